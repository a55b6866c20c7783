//! C surface of `Certificate` and certificate chains.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};

use super::value::{flat_to_raw, pyssl_value};
use super::{guard, ssize_t, write_out};
use crate::capi::handle::{self, HandleKind};
use crate::compat::Compat;
use crate::error::{PyErr, PyResult};
use crate::x509::certificate::Certificate;

/// A list of certificates (`get_verified_chain()` /
/// `get_unverified_chain()`), owning its certificates.
pub struct pyssl_cert_list {
    _private: [u8; 0],
}

/// One certificate (`_ssl.Certificate`), borrowed from its list.
pub struct pyssl_certificate {
    _private: [u8; 0],
}

/// Items are None where CPython puts None (a server's unverified chain
/// without a client certificate). Each certificate is a handle of its own
/// (`pyssl_certificate`), borrowed from the list.
pub(crate) struct CertList(Vec<Option<handle::Boxed<CertHandle>>>);

impl CertList {
    pub(crate) fn new(chain: Vec<Option<Certificate>>) -> CertList {
        CertList(
            chain
                .into_iter()
                .map(|c| c.map(|c| handle::Boxed::new(CertHandle(c))))
                .collect(),
        )
    }
}

impl Drop for CertList {
    fn drop(&mut self) {
        // Borrowed certificate handles die with their list.
        self.0.iter_mut().flatten().for_each(handle::Boxed::kill);
    }
}

/// What a `pyssl_certificate` points at.
pub(crate) struct CertHandle(Certificate);

impl HandleKind for CertHandle {
    const MAGIC: u64 = 0x7079_7373_6c63_7274; // "pysslcrt"
    const NAME: &'static str = "pyssl_certificate";
}

impl HandleKind for CertList {
    const MAGIC: u64 = 0x7079_7373_6c63_6c73; // "pysslcls"
    const NAME: &'static str = "pyssl_cert_list";
}

/// # Safety
/// `l` must be NULL or a handle from `pyssl_socket_get_chain`.
unsafe fn list_ref<'a>(l: *const pyssl_cert_list) -> PyResult<&'a CertList> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow::<CertList, _>(l) }
}

/// # Safety
/// `c` must be NULL or a pointer from `pyssl_cert_list_get` whose list is alive.
unsafe fn cert_ref<'a>(c: *const pyssl_certificate) -> PyResult<&'a Certificate> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow::<CertHandle, _>(c) }.map(|h| &h.0)
}

/// The number of certificates in a list, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_cert_list_len(list: *const pyssl_cert_list) -> ssize_t {
    // SAFETY: handle checked by list_ref.
    guard(|| Ok(unsafe { list_ref(list) }?.0.len() as ssize_t))
}

/// Certificate `i` of a list (borrowed: valid while the list lives). NULL
/// with an `IndexError` when out of range, and NULL with the last error left
/// as it was for a None item (call `pyssl_error_clear()` first to tell the
/// two apart): CPython 3.13 puts None first in a server's unverified chain
/// when the client sent no certificate.
#[no_mangle]
pub extern "C" fn pyssl_cert_list_get(
    list: *const pyssl_cert_list,
    i: usize,
) -> *const pyssl_certificate {
    guard(|| {
        // SAFETY: handle checked by list_ref.
        let l = unsafe { list_ref(list) }?;
        let c = l.0.get(i).ok_or_else(|| {
            PyErr::new(
                crate::error::Status::Value,
                "IndexError",
                "list index out of range",
            )
        })?;
        Ok(c.as_ref().map_or(std::ptr::null(), |c| c.as_handle()))
    })
}

/// Frees a list and its certificates; NULL is ignored.
#[no_mangle]
pub extern "C" fn pyssl_cert_list_free(list: *mut pyssl_cert_list) {
    guard(|| {
        // SAFETY: NULL or a list handle; checked by take().
        unsafe { handle::take::<CertList, _>(list) }.map(drop)
    })
}

/// `Certificate.get_info()`: 0 and `*out` set to the dict `getpeercert()`
/// would return (free with `pyssl_value_free`), or < 0.
#[no_mangle]
pub extern "C" fn pyssl_certificate_get_info(
    cert: *const pyssl_certificate,
    out: *mut *mut pyssl_value,
) -> c_int {
    guard(|| {
        // SAFETY: checked for NULL; the caller keeps its list alive.
        let c = unsafe { cert_ref(cert) }?;
        if out.is_null() {
            return Err(PyErr::bad_argument("out is NULL"));
        }
        let v = c.info_flat()?;
        write_out(out, flat_to_raw(&v), "out")?;
        Ok(0)
    })
}

/// `Certificate.public_bytes(ENCODING_DER)`: copies the DER into `buf` if
/// it fits and returns its length either way (call with `buflen` 0 to ask),
/// or < 0.
#[no_mangle]
pub extern "C" fn pyssl_certificate_der(
    cert: *const pyssl_certificate,
    buf: *mut u8,
    buflen: usize,
) -> ssize_t {
    guard(|| {
        // SAFETY: checked for NULL; the caller keeps its list alive.
        let der = unsafe { cert_ref(cert) }?.der()?;
        if !buf.is_null() && buflen >= der.len() {
            // SAFETY: buf has at least der.len() writable bytes.
            unsafe { std::ptr::copy_nonoverlapping(der.as_ptr(), buf, der.len()) };
        }
        Ok(der.len() as ssize_t)
    })
}

/// `Certificate.public_bytes(ENCODING_PEM)`: a new NUL-terminated string
/// (free with `pyssl_string_free`), or NULL on error.
#[no_mangle]
pub extern "C" fn pyssl_certificate_pem(cert: *const pyssl_certificate) -> *mut c_char {
    guard(|| {
        // SAFETY: checked for NULL; the caller keeps its list alive.
        let pem = unsafe { cert_ref(cert) }?.pem()?;
        Ok(std::ffi::CString::new(pem)
            .map_err(|_| PyErr::value_error("PEM contains NUL"))?
            .into_raw())
    })
}

/// `_ssl._test_decode_cert(path)`: decodes the first PEM certificate in the
/// file at `path` into the dict `getpeercert()` returns, with CPython 3.14's
/// error texts. 0 with `*out` set to a new root (free it with
/// `pyssl_value_free`), or a negative status with the thread's last error
/// (`SSLError` "Can't open file" / "Error decoding PEM-encoded file",
/// `UnicodeDecodeError`, ...).
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `out` must be NULL
/// or writable.
#[no_mangle]
pub extern "C" fn pyssl_test_decode_cert(path: *const c_char, out: *mut *mut pyssl_value) -> c_int {
    guard(|| test_decode_cert(path, Compat::default(), out))
}

/// `pyssl_test_decode_cert` with the error texts of the CPython version
/// `compat` (a `PYSSL_COMPAT_*` value).
#[no_mangle]
pub extern "C" fn pyssl_test_decode_cert_compat(
    path: *const c_char,
    compat: c_int,
    out: *mut *mut pyssl_value,
) -> c_int {
    guard(|| test_decode_cert(path, super::compat_arg(compat)?, out))
}

fn test_decode_cert(path: *const c_char, c: Compat, out: *mut *mut pyssl_value) -> PyResult<c_int> {
    if path.is_null() {
        return Err(PyErr::bad_argument("path is NULL"));
    }
    if out.is_null() {
        return Err(PyErr::bad_argument("out is NULL"));
    }
    // SAFETY: path is a non-NULL C string per the header's contract.
    let path = unsafe { CStr::from_ptr(path) };
    let v = crate::x509::decode::test_decode_cert_flat(path, c)?;
    write_out(out, flat_to_raw(&v), "out")?;
    Ok(0)
}

/// CPython's `_decode_certificate` of an OpenSSL `X509 *` the caller owns
/// (pyssl only reads it), with CPython 3.14's error texts: 0 and `*out` set
/// to the dict (free with `pyssl_value_free`), or < 0.
#[no_mangle]
pub extern "C" fn pyssl_decode_x509(x509: *const c_void, out: *mut *mut pyssl_value) -> c_int {
    guard(|| decode_x509(x509, Compat::default(), out))
}

/// `pyssl_decode_x509` with the error texts of the CPython version `compat`
/// (a `PYSSL_COMPAT_*` value).
#[no_mangle]
pub extern "C" fn pyssl_decode_x509_compat(
    x509: *const c_void,
    compat: c_int,
    out: *mut *mut pyssl_value,
) -> c_int {
    guard(|| decode_x509(x509, super::compat_arg(compat)?, out))
}

fn decode_x509(x509: *const c_void, c: Compat, out: *mut *mut pyssl_value) -> PyResult<c_int> {
    if x509.is_null() || out.is_null() {
        return Err(PyErr::bad_argument("x509 and out must not be NULL"));
    }
    // SAFETY: the caller passes a live X509*; decoding only reads it.
    let v =
        unsafe { crate::x509::decode::decode_certificate_flat(x509 as *mut openssl_sys::X509, c) }?;
    write_out(out, flat_to_raw(&v), "out")?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::error::last;

    #[test]
    fn test_decode_cert_checks_arguments() {
        let mut out: *mut pyssl_value = std::ptr::null_mut();
        // the arguments are NULL, string literals or a local.
        assert!(pyssl_test_decode_cert(std::ptr::null(), &mut out) < 0);
        assert!(pyssl_test_decode_cert(c"/nonexistent".as_ptr(), std::ptr::null_mut()) < 0);
        assert!(pyssl_test_decode_cert(c"/nonexistent".as_ptr(), &mut out) < 0);
        assert!(out.is_null());
        let e = last().unwrap();
        assert_eq!(
            (e.exc_type, e.message.as_str()),
            ("SSLError", "(\"Can't open file\",)")
        );
    }
}
