//! `_ssl.Certificate` (CPython 3.13): one certificate of a peer's chain.

use openssl_sys as ffi;

use crate::compat::Compat;
use crate::error::{set_ssl_error, PyErr, PyResult, Status};
use crate::here;
use crate::value::Value;

/// An X.509 certificate (a reference-counted OpenSSL `X509`).
pub struct Certificate {
    x509: *mut ffi::X509,
    /// The rules of the socket it came from (error texts).
    compat: Compat,
}

// SAFETY: X509 objects are reference counted atomically and pyssl only
// reads them after creation.
unsafe impl Send for Certificate {}
// SAFETY: see Send.
unsafe impl Sync for Certificate {}

impl Drop for Certificate {
    fn drop(&mut self) {
        // SAFETY: we own one reference.
        unsafe { ffi::X509_free(self.x509) };
    }
}

impl Certificate {
    /// Takes a new reference to `x509`.
    ///
    /// # Safety
    /// `x509` must be a valid `X509*`.
    pub unsafe fn from_borrowed(x509: *mut ffi::X509, compat: Compat) -> Certificate {
        // SAFETY: valid per the contract.
        unsafe { ffi::X509_up_ref(x509) };
        Certificate { x509, compat }
    }

    /// Takes over a reference the caller owns (e.g. from
    /// `SSL_get1_peer_certificate`).
    ///
    /// # Safety
    /// `x509` must be a valid `X509*` whose reference is handed over.
    pub unsafe fn from_owned(x509: *mut ffi::X509, compat: Compat) -> Certificate {
        Certificate { x509, compat }
    }

    pub fn as_ptr(&self) -> *mut ffi::X509 {
        self.x509
    }

    /// `Certificate.get_info()`: the dict `getpeercert()` returns.
    pub fn info(&self) -> PyResult<Value> {
        self.info_flat().map(|f| f.to_value())
    }

    /// [`Certificate::info`] as a flat tree.
    pub fn info_flat(&self) -> PyResult<crate::value::flat::Flat> {
        // SAFETY: valid X509 for our lifetime.
        unsafe { crate::x509::decode::decode_certificate_flat(self.x509, self.compat) }
    }

    /// `Certificate.public_bytes(ENCODING_DER)`.
    pub fn der(&self) -> PyResult<Vec<u8>> {
        // SAFETY: i2d with a NULL buffer returns the length; the second call
        // writes exactly that many bytes into our buffer.
        unsafe {
            let len = ffi::i2d_X509(self.x509, std::ptr::null_mut());
            if len < 0 {
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
            // One spare byte, for the NUL a value tree puts after it.
            let mut buf = vec![0u8; len as usize + 1];
            let mut p = buf.as_mut_ptr();
            if ffi::i2d_X509(self.x509, &mut p) < 0 {
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
            buf.truncate(len as usize);
            Ok(buf)
        }
    }

    /// `Certificate.public_bytes(ENCODING_PEM)`.
    pub fn pem(&self) -> PyResult<String> {
        // SAFETY: a memory BIO we own and free; its contents are copied out.
        unsafe {
            let bio = ffi::BIO_new(ffi::BIO_s_mem());
            if bio.is_null() {
                return Err(PyErr::memory_error());
            }
            let ok = ffi::PEM_write_bio_X509(bio, self.x509);
            let mut out = String::new();
            if ok == 1 {
                let mut ptr: *mut std::os::raw::c_char = std::ptr::null_mut();
                let len = ffi::BIO_ctrl(
                    bio,
                    ffi::BIO_CTRL_INFO,
                    0,
                    (&mut ptr as *mut *mut std::os::raw::c_char).cast(),
                );
                if !ptr.is_null() && len > 0 {
                    let bytes = std::slice::from_raw_parts(ptr as *const u8, len as usize);
                    out = String::from_utf8_lossy(bytes).into_owned();
                }
            }
            crate::ossl::BIO_free(bio);
            if ok != 1 {
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
            Ok(out)
        }
    }
}

/// Copies a `STACK_OF(X509)` into certificates (None for NULL).
///
/// # Safety
/// `sk` must be NULL or a valid stack of valid certificates.
pub(crate) unsafe fn from_stack(
    sk: *mut ffi::stack_st_X509,
    compat: Compat,
) -> Option<Vec<Certificate>> {
    if sk.is_null() {
        return None;
    }
    // SAFETY: valid stack per the contract; each element gets its own reference.
    unsafe {
        let n = ffi::OPENSSL_sk_num(sk as *const ffi::OPENSSL_STACK);
        Some(
            (0..n)
                .map(|i| {
                    Certificate::from_borrowed(
                        ffi::OPENSSL_sk_value(sk as *const ffi::OPENSSL_STACK, i) as *mut ffi::X509,
                        compat,
                    )
                })
                .collect(),
        )
    }
}
