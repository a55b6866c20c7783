//! OpenSSL callbacks that reach into the host: the SNI callback (CPython's
//! `_servername_callback`).
//!
//! A callback runs inside an OpenSSL call made by a socket operation, on the
//! thread that holds the socket's lock. The host's callback gets the
//! socket's handle and may switch its context (`pyssl_socket_set_context`),
//! which is allowed there because this module records which socket's
//! callback is running on the thread.

use std::cell::Cell;
use std::os::raw::{c_char, c_int, c_void};

use openssl_sys as ffi;

use crate::capi::socket::pyssl_socket;
use crate::context::Context;
use crate::socket::Socket;

/// The host's SNI callback (see `pyssl_sni_callback`).
pub type SniCallback = extern "C" fn(
    sock: *mut pyssl_socket,
    server_name: *const c_char,
    userdata: *mut c_void,
) -> c_int;

/// An SNI callback with its userdata.
#[derive(Clone, Copy, Debug)]
pub struct Sni {
    pub callback: SniCallback,
    pub userdata: *mut c_void,
}

thread_local! {
    static IN_CALLBACK: Cell<*const Socket> = const { Cell::new(std::ptr::null()) };
}

/// Whether this thread is inside one of `sock`'s callbacks.
pub fn in_callback_of(sock: &Socket) -> bool {
    IN_CALLBACK.with(|c| std::ptr::eq(c.get(), sock))
}

/// Stores the socket's handle in its SSL (ex_data 0, `SSL_set_app_data`).
pub(crate) fn bind(ssl: *mut ffi::SSL, handle: *mut pyssl_socket) {
    // SAFETY: valid SSL; the handle outlives the SSL (the SSL is freed when
    // the handle is).
    unsafe { ffi::SSL_set_ex_data(ssl, 0, handle.cast()) };
}

const SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG: c_int = 54;
const TLSEXT_NAMETYPE_HOST_NAME: c_int = 0;

/// Installs (or with None removes) the SNI trampoline on `ctx`'s SSL_CTX.
///
/// # Safety
/// `raw` must be the SSL_CTX owned by `ctx`, and the caller must hold the
/// context's write lock.
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
    // SAFETY: valid SSL; ex_data 0 is the handle bound at socket creation
    // (NULL for sockets made through the Rust API only).
    let handle = unsafe { ffi::SSL_get_ex_data(ssl, 0) } as *mut pyssl_socket;
    // SAFETY: a bound handle is alive for as long as its SSL.
    let sock = unsafe { crate::handle::borrow::<Socket, _>(handle) }.ok();
    // SAFETY: valid SSL; the name is owned by the SSL.
    let name = unsafe { ffi::SSL_get_servername(ssl, TLSEXT_NAMETYPE_HOST_NAME) };
    let prev =
        IN_CALLBACK.with(|c| c.replace(sock.map_or(std::ptr::null(), |s| s as *const Socket)));
    let result = std::panic::catch_unwind(|| (sni.callback)(handle, name, sni.userdata));
    IN_CALLBACK.with(|c| c.set(prev));
    let alert = match result {
        Ok(0) => return ffi::SSL_TLSEXT_ERR_OK,
        Ok(r) if r > 0 => r,
        _ => ffi::SSL_AD_HANDSHAKE_FAILURE,
    };
    // SAFETY: OpenSSL passes a valid alert slot.
    unsafe { *al = alert };
    ffi::SSL_TLSEXT_ERR_ALERT_FATAL
}
