//! C surface of the `ssl.py` helpers: what Python's `ssl.py` adds on top of
//! `_ssl`, opt-in for hosts that have no `ssl.py` (the plain `pyssl_read`,
//! `pyssl_write`, ... stay `_ssl`'s).

use std::os::raw::{c_int, c_void};

use super::socket::{pyssl_socket, sock_hold};
use super::{guard, ssize_t};

/// `ssl.py`'s `SSLSocket.sendall(data)`: writes (`pyssl_write`, `_ssl`'s
/// `write`) until all `len` bytes are sent; 0 or < 0. As in `ssl.py`, a
/// failure (`PYSSL_ERROR_WANT_WRITE` on a non-blocking socket included)
/// is returned as is: call again with the same `buf` and `len`, as for
/// `pyssl_write`.
#[no_mangle]
pub extern "C" fn pyssl_sendall(sock: *mut pyssl_socket, buf: *const c_void, len: usize) -> c_int {
    guard(|| {
        // SAFETY: handle checked by sock_hold.
        let s = unsafe { sock_hold(sock) }?;
        // SAFETY: checked by in_bytes; the caller gives `len` readable bytes.
        let data = unsafe { super::in_bytes(buf, len, "buf") }?;
        crate::sslpy::sendall(&s, data).map(|_| 0)
    })
}

/// `ssl.py`'s `SSLSocket.read(len)` (and so `recv`, `recv_into`) with
/// `suppress_ragged_eofs=True`, `wrap_socket()`'s default: as `pyssl_read`,
/// except that `PYSSL_ERROR_EOF` (`SSLEOFError`, an EOF without
/// close_notify) reads as 0 (`b''`), leaving the last error as it was.
/// `ssl.py`'s `SSLObject.read` (memory BIOs) suppresses nothing: use
/// `pyssl_read` there to stay exact.
#[no_mangle]
pub extern "C" fn pyssl_read_ragged(
    sock: *mut pyssl_socket,
    buf: *mut c_void,
    len: usize,
) -> ssize_t {
    guard(|| {
        // SAFETY: handle checked by sock_hold.
        let s = unsafe { sock_hold(sock) }?;
        // SAFETY: checked by out_bytes; the caller gives `len` writable bytes.
        let slice = unsafe { super::out_bytes(buf, len, "buf") }?;
        crate::sslpy::read_ragged(&s, slice).map(|n| n as ssize_t)
    })
}
