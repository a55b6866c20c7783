//! OpenSSL callbacks that reach into the host: the SNI callback (CPython's
//! `_servername_callback`).
//!
//! A callback runs inside an OpenSSL call made by a socket operation, on the
//! thread of that operation, with the host's lock released and no pyssl
//! lock held: the host's callback may take its own lock and call back into
//! pyssl (switch the socket's context with `pyssl_socket_set_context`, read
//! the socket's memory BIOs). Starting another operation on the same memory
//! BIOs from there is refused (`PYSSL_ERROR_REENTRANCY`).

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use openssl_sys as ffi;

use super::{PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER};
use crate::context::Context;
use crate::error::{set_ssl_error, PyErr, PyResult, Status};
use crate::here;
use crate::ossl;

/// The host's SNI callback, called during a server handshake with the
/// socket's host tag (see [`crate::socket::Socket::bind_host_tag`]; 0 when
/// none) and the server name the client sent. 0 goes on (CPython's None), a
/// positive value aborts with that TLS alert (an int result), a negative one
/// with `handshake_failure` (an exception).
pub type SniCallback = Arc<dyn Fn(usize, Option<&CStr>) -> i32 + Send + Sync>;

/// The host's PSK client callback: the server's identity hint (None when
/// empty), the identity buffer (write a NUL-terminated identity), the key
/// buffer; returns the key's length, or < 0 to fail the handshake.
pub type PskClientCallback =
    Arc<dyn Fn(Option<&CStr>, &mut [u8], &mut [u8]) -> isize + Send + Sync>;

/// The host's PSK server callback: the client's identity (None when empty)
/// and the key buffer; returns the key's length, or < 0 to fail.
pub type PskServerCallback = Arc<dyn Fn(Option<&CStr>, &mut [u8]) -> isize + Send + Sync>;

/// Points the SSL (ex_data 0, `SSL_set_app_data`) at its socket's host tag
/// cell, which the SNI callback reads when it runs: a socket freed by the
/// host during a call has its tag zeroed, so later callbacks of that call
/// get none instead of a freed handle (or another socket at its address).
///
/// # Safety
/// `cell` must outlive every OpenSSL call on `ssl` (it lives in the socket
/// that owns the SSL).
pub(crate) unsafe fn bind(ssl: *mut ffi::SSL, cell: *const AtomicUsize) {
    // SAFETY: valid SSL; OpenSSL only stores the pointer.
    unsafe { ffi::SSL_set_ex_data(ssl, 0, cell as *mut c_void) };
}

const SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG: c_int = 54;
const TLSEXT_NAMETYPE_HOST_NAME: c_int = 0;

/// Installs (or with None removes) the SNI trampoline on `ctx`'s SSL_CTX.
///
/// # Safety
/// `raw` must be the SSL_CTX owned by `ctx`, and the caller must hold the
/// context's write lock (no socket is created from it meanwhile).
pub(crate) unsafe fn install_sni(raw: *mut ffi::SSL_CTX, ctx: &Context, on: bool) {
    // SAFETY: valid SSL_CTX per the contract; `ctx` outlives its SSL_CTX's
    // use as a callback argument (the Context owns the SSL_CTX).
    unsafe {
        if on {
            ffi::SSL_CTX_set_tlsext_servername_callback__fixed_rust(raw, Some(sni_trampoline));
            ffi::SSL_CTX_ctrl(
                raw,
                SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG,
                0,
                ctx as *const Context as *mut c_void,
            );
        } else {
            ffi::SSL_CTX_set_tlsext_servername_callback__fixed_rust(raw, None);
        }
    }
}

/// CPython's `_servername_callback`: the host's result 0 continues (None),
/// a positive value aborts with that TLS alert (an int result), a negative
/// one with `handshake_failure` (an exception).
unsafe extern "C" fn sni_trampoline(ssl: *mut ffi::SSL, al: *mut c_int, arg: *mut c_void) -> c_int {
    // SAFETY: arg is the Context installed with the callback, alive while
    // its SSL_CTX is; ssl is the SSL being handshaken.
    let ctx = unsafe { &*(arg as *const Context) };
    let Some(sni) = ctx.sni_callback() else {
        return ffi::SSL_TLSEXT_ERR_OK;
    };
    // SAFETY: valid SSL; ex_data 0 is NULL or the socket's tag cell, alive
    // while OpenSSL runs on the socket's SSL (see bind).
    let cell = unsafe { ffi::SSL_get_ex_data(ssl, 0) } as *const AtomicUsize;
    // SAFETY: as above.
    let tag = unsafe { cell.as_ref() }.map_or(0, |c| c.load(Ordering::SeqCst));
    // SAFETY: valid SSL; the name is NULL or a string owned by the SSL.
    let name = unsafe { ffi::SSL_get_servername(ssl, TLSEXT_NAMETYPE_HOST_NAME) };
    // SAFETY: as above.
    let name = (!name.is_null()).then(|| unsafe { CStr::from_ptr(name) });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sni(tag, name)));
    let alert = match result {
        Ok(0) => return ffi::SSL_TLSEXT_ERR_OK,
        Ok(r) if r > 0 => r,
        _ => ffi::SSL_AD_HANDSHAKE_FAILURE,
    };
    // SAFETY: OpenSSL passes a valid alert slot.
    unsafe { *al = alert };
    ffi::SSL_TLSEXT_ERR_ALERT_FATAL
}

/// The Context owning the SSL's current SSL_CTX (its app data).
///
/// # Safety
/// `ssl` must be a valid SSL whose SSL_CTX was made by [`Context::new`].
unsafe fn context_of<'a>(ssl: *const ffi::SSL) -> Option<&'a Context> {
    // SAFETY: per the contract; the Context outlives its SSL_CTX's use.
    unsafe {
        let raw = ffi::SSL_get_SSL_CTX(ssl);
        let p = ffi::SSL_CTX_get_ex_data(raw, 0) as *const Context;
        p.as_ref()
    }
}

/// `psk_client_callback` (CPython 3.13): an empty hint is None; the
/// identity must fit with its NUL and the key in OpenSSL's buffer, else the
/// handshake fails (0).
pub(crate) extern "C" fn psk_client_trampoline(
    ssl: *mut ffi::SSL,
    hint: *const c_char,
    identity: *mut c_char,
    max_identity_len: std::os::raw::c_uint,
    psk: *mut u8,
    max_psk_len: std::os::raw::c_uint,
) -> std::os::raw::c_uint {
    // SAFETY: OpenSSL calls us during this SSL's handshake.
    let Some(cb) = (unsafe { context_of(ssl) }).and_then(Context::psk_client_callback) else {
        return 0;
    };
    // SAFETY: hint is NULL or NUL-terminated.
    let hint = (!hint.is_null()).then(|| unsafe { CStr::from_ptr(hint) });
    let hint = hint.filter(|h| !h.is_empty());
    if max_identity_len == 0 {
        return 0;
    }
    // SAFETY: OpenSSL's buffers have the sizes it passes and are not
    // otherwise used while the callback runs.
    let (identity, psk) = unsafe {
        (
            std::slice::from_raw_parts_mut(identity.cast::<u8>(), max_identity_len as usize),
            std::slice::from_raw_parts_mut(psk, max_psk_len as usize),
        )
    };
    // Cleared, so that an unterminated answer is detected below.
    identity.fill(0);
    let n = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(hint, identity, psk)))
        .unwrap_or(-1);
    let terminated = identity.last() == Some(&0);
    if n < 0 || n as u64 > max_psk_len as u64 || !terminated {
        return 0;
    }
    n as std::os::raw::c_uint
}

/// `psk_server_callback` (CPython 3.13).
pub(crate) extern "C" fn psk_server_trampoline(
    ssl: *mut ffi::SSL,
    identity: *const c_char,
    psk: *mut u8,
    max_psk_len: std::os::raw::c_uint,
) -> std::os::raw::c_uint {
    // SAFETY: OpenSSL calls us during this SSL's handshake.
    let Some(cb) = (unsafe { context_of(ssl) }).and_then(Context::psk_server_callback) else {
        return 0;
    };
    // An empty identity reaches the host as None (CPython's None).
    // SAFETY: identity is NULL or NUL-terminated.
    let identity = (!identity.is_null()).then(|| unsafe { CStr::from_ptr(identity) });
    let identity = identity.filter(|i| !i.is_empty());
    // SAFETY: OpenSSL's key buffer has the size it passes.
    let psk = unsafe { std::slice::from_raw_parts_mut(psk, max_psk_len as usize) };
    let n =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(identity, psk))).unwrap_or(-1);
    if n < 0 || n as u64 > max_psk_len as u64 {
        return 0;
    }
    n as std::os::raw::c_uint
}

impl Context {
    /// `SSLContext.sni_callback = cb` (None removes it). Server side only,
    /// as CPython only calls it there.
    pub fn set_sni_callback(&self, sni: Option<SniCallback>) -> PyResult<()> {
        if self.protocol == PROTOCOL_TLS_CLIENT {
            return Err(PyErr::value_error(
                "sni_callback cannot be set on TLS_CLIENT context",
            ));
        }
        let mut s = self.write();
        let on = sni.is_some();
        s.sni = sni;
        if on {
            // Before the callback is installed: a socket that sees it
            // installed binds its tag before its next OpenSSL call.
            self.sni_ever
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        // SAFETY: our SSL_CTX, under the write lock.
        unsafe { install_sni(self.ctx, self, on) };
        Ok(())
    }

    /// Whether an SNI callback was ever installed on this context.
    pub(crate) fn sni_ever(&self) -> bool {
        self.sni_ever.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// `SSLContext.set_psk_client_callback(cb)` (CPython 3.13).
    pub fn set_psk_client_callback(&self, cb: Option<PskClientCallback>) -> PyResult<()> {
        if self.protocol == PROTOCOL_TLS_SERVER {
            return Err(set_ssl_error(
                self.compat,
                Some("Cannot add PSK client callback to a PROTOCOL_TLS_SERVER context"),
                Status::Ssl,
                here!(),
            ));
        }
        let mut s = self.write();
        let f = cb.as_ref().map(|_| psk_client_trampoline as _);
        s.psk_client = cb;
        // SAFETY: our SSL_CTX under the write lock.
        unsafe { ffi::SSL_CTX_set_psk_client_callback(self.ctx, f) };
        Ok(())
    }

    /// `SSLContext.set_psk_server_callback(cb, identity_hint)` (3.13).
    pub fn set_psk_server_callback(
        &self,
        cb: Option<PskServerCallback>,
        identity_hint: Option<&CStr>,
    ) -> PyResult<()> {
        if self.protocol == PROTOCOL_TLS_CLIENT {
            return Err(set_ssl_error(
                self.compat,
                Some("Cannot add PSK server callback to a PROTOCOL_TLS_CLIENT context"),
                Status::Ssl,
                here!(),
            ));
        }
        let mut s = self.write();
        // SAFETY: our SSL_CTX under the write lock; the hint is copied.
        unsafe {
            let hint = identity_hint.map_or(std::ptr::null(), CStr::as_ptr);
            if ossl::SSL_CTX_use_psk_identity_hint(self.ctx, hint) != 1 {
                crate::error::clear_error_queue();
                return Err(PyErr::value_error("failed to set identity hint"));
            }
            let f = cb.as_ref().map(|_| psk_server_trampoline as _);
            s.psk_server = cb;
            ffi::SSL_CTX_set_psk_server_callback(self.ctx, f);
        }
        Ok(())
    }

    pub(crate) fn psk_client_callback(&self) -> Option<PskClientCallback> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .psk_client
            .clone()
    }

    pub(crate) fn psk_server_callback(&self) -> Option<PskServerCallback> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .psk_server
            .clone()
    }

    pub(crate) fn sni_callback(&self) -> Option<SniCallback> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .sni
            .clone()
    }
}
