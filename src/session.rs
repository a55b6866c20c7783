//! `SSLSession`: a TLS session a client can resume (`_ssl.SSLSession`).

use std::sync::Arc;

use openssl_sys as ffi;

use crate::context::Context;
use crate::error::{PyErr, PyResult};

/// A session taken from a client socket after its handshake. Immutable;
/// shareable between threads.
pub struct Session {
    pub(crate) raw: *mut ffi::SSL_SESSION,
    /// The context of the socket it came from: CPython only resumes it on
    /// sockets of the same `SSL_CTX`.
    pub(crate) ctx: Option<Arc<Context>>,
}

// SAFETY: SSL_SESSION is reference counted with atomic counts, and pyssl
// only reads it after creation (OpenSSL's own uses are internally locked).
unsafe impl Send for Session {}
// SAFETY: see Send.
unsafe impl Sync for Session {}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: we own one reference (SSL_get1_session).
        unsafe { ffi::SSL_SESSION_free(self.raw) };
    }
}

/// CPython's `_ssl_session_dup`: a copy of `raw` through its DER encoding,
/// owned by the caller. It fails with CPython's `ValueError` where the
/// encoding does: a session still in its handshake (no cipher yet), or one
/// above 0xFF00 bytes (a peer certificate chain that large).
///
/// # Safety
/// `raw` must be a valid `SSL_SESSION`.
pub(crate) unsafe fn duplicate(raw: *mut ffi::SSL_SESSION) -> PyResult<*mut ffi::SSL_SESSION> {
    // SAFETY: valid session per the contract; the buffer is sized by the
    // first i2d call and the decoded copy is owned by the caller.
    unsafe {
        let len = ffi::i2d_SSL_SESSION(raw, std::ptr::null_mut());
        if len <= 0 || len > 0xFF00 {
            return Err(PyErr::value_error("i2d() failed."));
        }
        let mut buf = vec![0u8; len as usize];
        let mut p = buf.as_mut_ptr();
        if ffi::i2d_SSL_SESSION(raw, &mut p) == 0 {
            return Err(PyErr::value_error("i2d() failed."));
        }
        let mut cp = buf.as_ptr();
        let dup = ffi::d2i_SSL_SESSION(std::ptr::null_mut(), &mut cp, len as _);
        if dup.is_null() {
            return Err(PyErr::value_error("Invalid session"));
        }
        Ok(dup)
    }
}

impl Session {
    /// `SSLSession.id`.
    pub fn id(&self) -> Vec<u8> {
        let mut len: u32 = 0;
        // SAFETY: valid session; OpenSSL returns a pointer into it of `len` bytes.
        unsafe {
            let p = ffi::SSL_SESSION_get_id(self.raw, &mut len);
            if p.is_null() {
                return Vec::new();
            }
            std::slice::from_raw_parts(p, len as usize).to_vec()
        }
    }

    /// `SSLSession.time` (seconds since the epoch).
    pub fn time(&self) -> i64 {
        // SAFETY: valid session.
        unsafe { ffi::SSL_SESSION_get_time(self.raw) as i64 }
    }

    /// `SSLSession.timeout` (seconds).
    pub fn timeout(&self) -> i64 {
        // SAFETY: valid session.
        unsafe { ffi::SSL_SESSION_get_timeout(self.raw) as i64 }
    }

    /// `SSLSession.ticket_lifetime_hint`.
    pub fn ticket_lifetime_hint(&self) -> u64 {
        // SAFETY: valid session.
        unsafe { crate::ossl::SSL_SESSION_get_ticket_lifetime_hint(self.raw) as u64 }
    }

    /// `SSLSession.has_ticket`.
    pub fn has_ticket(&self) -> bool {
        // SAFETY: valid session.
        unsafe { crate::ossl::SSL_SESSION_has_ticket(self.raw) != 0 }
    }
}
