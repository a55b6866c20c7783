//! What Python's `ssl.py` adds on top of `_ssl`, for hosts without
//! `ssl.py`: opt-in helpers over [`Socket`], never used by the `_ssl`
//! operations themselves.

use crate::error::{PyResult, Status};
use crate::socket::Socket;

/// `ssl.py`'s `SSLSocket.sendall(data)`: `send()` (`_ssl` `write`) until
/// every byte is sent. `_ssl`'s write sends all of its data or fails, so
/// the loop matters only for a write that returns less; a failure (e.g.
/// `SSLWantWriteError` on a non-blocking socket) propagates, as in
/// `ssl.py`, where the count sent so far is lost too.
pub fn sendall(sock: &Socket, data: &[u8]) -> PyResult<()> {
    let mut count = 0;
    while count < data.len() {
        count += sock.write(&data[count..])?;
    }
    Ok(())
}

/// `ssl.py`'s `SSLSocket.read(len)` with `suppress_ragged_eofs=True` (the
/// default of `wrap_socket`): an `SSLEOFError` (`args[0] ==
/// SSL_ERROR_EOF`) reads as `b''` (0). Also `recv()`/`recv_into()`, which
/// call it. `SSLObject.read` (memory BIOs) suppresses nothing.
pub fn read_ragged(sock: &Socket, buf: &mut [u8]) -> PyResult<usize> {
    match sock.read(buf) {
        Err(e) if e.status() == Status::Eof => Ok(0),
        r => r,
    }
}
