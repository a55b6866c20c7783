//! C surface of `SSLSession`.

use std::os::raw::{c_int, c_uchar};

use super::socket::{pyssl_socket, sock_ref};
use super::{copy_out, guard, ssize_t, write_opt, write_out};
use crate::capi::handle::{self, HandleKind};
use crate::error::{PyErr, PyResult};

/// A TLS session (`ssl.SSLSession`) for resumption. Immutable and
/// thread-safe; keeps its context alive.
pub struct pyssl_session {
    _private: [u8; 0],
}

impl HandleKind for crate::session::Session {
    const MAGIC: u64 = 0x7079_7373_6c73_6573; // "pysslses"
    const NAME: &'static str = "pyssl_session";
}

/// # Safety
/// `s` must be NULL or a handle from `pyssl_socket_get_session`.
unsafe fn session_ref<'a>(s: *const pyssl_session) -> PyResult<&'a crate::session::Session> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow::<crate::session::Session, _>(s) }
}

/// `SSLSocket.session`: 0 and `*out` set to a new session (free with
/// `pyssl_session_free`) or to NULL for None; < 0 on error. In 3.11 mode
/// the session is a copy through its DER encoding, as 3.11 makes it (and
/// `pyssl_socket_set_session` resumes one): `ValueError` "i2d() failed."
/// during the handshake or above 0xFF00 bytes, and a connection resumed
/// from it has no unverified chain.
#[no_mangle]
pub extern "C" fn pyssl_socket_get_session(
    sock: *const pyssl_socket,
    out: *mut *mut pyssl_session,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by sock_ref.
        let s = unsafe { sock_ref(sock) }?;
        if out.is_null() {
            return Err(PyErr::bad_argument("out is NULL"));
        }
        let raw = s.session()?.map_or(std::ptr::null_mut(), handle::into_raw);
        write_out(out, raw, "out")?;
        Ok(0)
    })
}

/// `SSLSocket.session = session` before a client's handshake, to resume it.
/// `ValueError` for a session of another context, a server socket, or
/// after the handshake.
#[no_mangle]
pub extern "C" fn pyssl_socket_set_session(
    sock: *mut pyssl_socket,
    session: *const pyssl_session,
) -> c_int {
    // SAFETY: handles checked by sock_ref/session_ref.
    guard(|| unsafe { sock_ref(sock)?.set_session(session_ref(session)?) }.map(|_| 0))
}

/// Frees a session; NULL is ignored.
#[no_mangle]
pub extern "C" fn pyssl_session_free(session: *mut pyssl_session) {
    guard(|| {
        // SAFETY: NULL or a session handle; checked by take().
        unsafe { handle::take::<crate::session::Session, _>(session) }.map(drop)
    })
}

/// `SSLSession.id`: copies it into `buf`, returns its length (at most 32),
/// or < 0 (`buflen` too small: `PYSSL_ERROR_BAD_ARGUMENT`).
#[no_mangle]
pub extern "C" fn pyssl_session_id(
    session: *const pyssl_session,
    buf: *mut c_uchar,
    buflen: usize,
) -> ssize_t {
    guard(|| {
        // SAFETY: handle checked by session_ref.
        let id = unsafe { session_ref(session) }?.id();
        copy_out(&id, buf, buflen, "session id")
    })
}

/// `SSLSession.time`, `.timeout`, `.ticket_lifetime_hint` and
/// `.has_ticket` into the non-NULL out-parameters; 0 or < 0.
#[no_mangle]
pub extern "C" fn pyssl_session_info(
    session: *const pyssl_session,
    time: *mut i64,
    timeout: *mut i64,
    ticket_lifetime_hint: *mut u64,
    has_ticket: *mut c_int,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by session_ref.
        let s = unsafe { session_ref(session) }?;
        write_opt(time, s.time());
        write_opt(timeout, s.timeout());
        write_opt(ticket_lifetime_hint, s.ticket_lifetime_hint());
        write_opt(has_ticket, s.has_ticket() as c_int);
        Ok(0)
    })
}
