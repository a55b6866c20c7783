//! C surface of certificate decoding for hosts that hold OpenSSL `X509*`
//! objects themselves (`get_ca_certs`, `Certificate.get_info`).

use std::os::raw::{c_int, c_void};

use super::value::{pyssl_value, value_into_raw};
use super::{guard, write_out};
use crate::error::PyErr;

/// CPython's `_decode_certificate` of an OpenSSL `X509 *` the caller owns
/// (pyssl only reads it): 0 and `*out` set to the dict (free with
/// `pyssl_value_free`), or < 0.
#[no_mangle]
pub extern "C" fn pyssl_decode_x509(x509: *const c_void, out: *mut *mut pyssl_value) -> c_int {
    guard(|| {
        if x509.is_null() || out.is_null() {
            return Err(PyErr::bad_argument("x509 and out must not be NULL"));
        }
        // SAFETY: the caller passes a live X509*; decoding only reads it.
        let v = unsafe { crate::cert::decode_certificate(x509 as *mut openssl_sys::X509) }?;
        write_out(out, value_into_raw(v), "out")?;
        Ok(0)
    })
}
