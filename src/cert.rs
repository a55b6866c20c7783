//! TEMPORARY placeholder until the certificate module lands.
use crate::error::{PyErr, PyResult};
use crate::value::Value;
/// # Safety
/// valid X509
pub unsafe fn decode_certificate(_cert: *mut openssl_sys::X509) -> PyResult<Value> {
    Err(PyErr::value_error("not yet"))
}
/// # Safety
/// valid X509
pub unsafe fn certificate_to_der(_cert: *mut openssl_sys::X509) -> PyResult<Value> {
    Err(PyErr::value_error("not yet"))
}
