//! The I/O state machine: CPython's retry loop and the handshake, read,
//! write and shutdown built on it. Which exception a failed call raises
//! (the EOF rules included) is decided in `ssl_error`.

use super::*;

impl Socket {
    /// CPython's retry loop, shared by handshake, read, write and shutdown:
    /// call OpenSSL with the host's lock released (`call`, which captures
    /// `SSL_get_error` and `errno` at once), run the host's interrupt check,
    /// let the operation decide (`decide`), wait with `poll()` for the
    /// direction OpenSSL wants, retry. Returns the last OpenSSL return value,
    /// byte count and error codes for the caller to turn into a result or an
    /// error (the codes of this thread's call, whatever another thread using
    /// the socket recorded since).
    fn io_loop(
        &self,
        st: &State,
        op: Op,
        (fd, sock_timeout): (Option<c_int>, TimeoutNs),
        mut call: impl FnMut(&State) -> (c_int, usize, SslErr),
        mut decide: impl FnMut(&State, c_int, SslErr) -> Flow,
    ) -> PyResult<(c_int, usize, SslErr)> {
        let deadline = Deadline::new(sock_timeout);
        loop {
            let (ret, n, err) = allow_threads(|| -> PyResult<_> {
                // The socket (or its memory BIOs) is this call's while
                // OpenSSL runs, and free again before the host's lock is
                // taken back.
                let _turn = self.take_turn()?;
                self.bind_tag_for_sni();
                let r = call(st);
                // SAFETY: valid SSL (see State), ours during the turn.
                if !st.handshake_done.load(Ordering::Relaxed)
                    && unsafe { ffi::SSL_is_init_finished(st.ssl) } != 0
                {
                    st.handshake_done.store(true, Ordering::Relaxed);
                }
                Ok(r)
            })?;
            st.set_err(err);
            if matches!(err.ssl, ffi::SSL_ERROR_SSL | ffi::SSL_ERROR_SYSCALL) {
                st.failed.store(true, Ordering::Relaxed);
            }
            // CPython's shutdown loop does not check for signals.
            if op != Op::Shutdown {
                check_interrupt()?;
            }
            match decide(st, ret, err) {
                Flow::Finish => return Ok((ret, n, err)),
                Flow::Again => continue,
                Flow::Wait => {}
            }
            let timeout = deadline.remaining(sock_timeout);
            let state = match err.ssl {
                ffi::SSL_ERROR_WANT_READ => select(fd, false, sock_timeout, timeout),
                ffi::SSL_ERROR_WANT_WRITE => select(fd, true, sock_timeout, timeout),
                _ if op == Op::Shutdown => return Ok((ret, n, err)),
                _ => SockState::OperationOk,
            };
            match (state, op) {
                (SockState::HasTimedOut, _) => return Err(PyErr::timeout(op.timed_out(err))),
                (SockState::HasBeenClosed, Op::Handshake) => {
                    return Err(PyErr::ssl_message(format!("{}: {SOCKET_CLOSED}", here!())))
                }
                (SockState::HasBeenClosed, Op::Write) => {
                    return Err(PyErr::ssl_message(SOCKET_CLOSED))
                }
                (SockState::IsNonBlocking, _) => return Ok((ret, n, err)),
                (SockState::IsBlocking, _) => {
                    crate::wait::wait_blocking(fd, err.ssl == ffi::SSL_ERROR_WANT_WRITE)
                }
                (SockState::OperationOk, _) => {}
                (_, Op::Shutdown) => return Ok((ret, n, err)),
                _ => {}
            }
            if !wants_io(err) {
                return Ok((ret, n, err));
            }
        }
    }

    /// `SSLSocket.do_handshake()`.
    pub fn do_handshake(&self) -> PyResult<()> {
        let st = self.state();
        let io = self.io_params(st)?;
        self.remembered_eof(st, here!())?;
        // OpenSSL's handshake state machine empties the queue itself on
        // entry (and a finished handshake returns 1 without looking at
        // it), except in its error state, which only a failed call leaves
        // behind (`State::failed`); a borrowed SSL* may have failed in the
        // host's own calls.
        if st.failed.load(Ordering::Relaxed) || matches!(self.transport, Transport::Borrowed) {
            clear_openssl_errors();
        }
        let (ret, _, err) = self.io_loop(
            st,
            Op::Handshake,
            io,
            // SAFETY: valid SSL; concurrent use is the host's, as in CPython.
            |st| unsafe {
                let r = ffi::SSL_do_handshake(st.ssl);
                (r, 0, SslErr::capture(r < 1, st.ssl, r))
            },
            |_, _, _| Flow::Wait,
        )?;
        if ret < 1 {
            return Err(self.fail(st, err, ret, here!()));
        }
        Ok(())
    }

    /// `SSLSocket.read(len)` into `buf`: the byte count, 0 for a clean
    /// close_notify (`b''`), or an error.
    pub fn read(&self, buf: &mut [u8]) -> PyResult<usize> {
        let st = self.state();
        let io = self.io_params(st)?;
        self.remembered_eof(st, here!())?;
        if buf.is_empty() {
            return Ok(0);
        }
        clear_openssl_errors();
        let (ptr, len) = (buf.as_mut_ptr(), buf.len());
        let mut closed = false;
        let (ret, n, err) = self.io_loop(
            st,
            Op::Read,
            io,
            // SAFETY: valid SSL (see State); `ptr` has `len` writable bytes.
            |st| unsafe {
                let mut n = 0usize;
                let r = ffi::SSL_read_ex(st.ssl, ptr.cast(), len, &mut n);
                (r, n, SslErr::capture(r == 0, st.ssl, r))
            },
            |st, _, err| {
                // A close_notify received (and none sent yet) reads as b''.
                // SAFETY: valid SSL (see State).
                closed = unsafe { crate::ssl_error::read_reached_close_notify(st.ssl, err) };
                if closed {
                    Flow::Finish
                } else {
                    Flow::Wait
                }
            },
        )?;
        if closed {
            return Ok(0);
        }
        if ret == 0 {
            return Err(self.fail(st, err, 0, here!()));
        }
        Ok(n)
    }

    /// `SSLSocket.write(data)`: all of `data` or an error. After
    /// `WANT_READ`/`WANT_WRITE` on a non-blocking socket, call again with
    /// the same data (OpenSSL may have taken part of it already).
    pub fn write(&self, data: &[u8]) -> PyResult<usize> {
        let st = self.state();
        let (fd, sock_timeout) = self.io_params(st)?;
        self.remembered_eof(st, here!())?;
        clear_openssl_errors();
        // CPython waits for the socket to be writable once before writing.
        match select(fd, true, sock_timeout, sock_timeout) {
            SockState::HasTimedOut => return Err(PyErr::timeout(WRITE_TIMED_OUT)),
            SockState::HasBeenClosed => return Err(PyErr::ssl_message(SOCKET_CLOSED)),
            _ => {}
        }
        let (ret, n, err) = self.io_loop(
            st,
            Op::Write,
            (fd, sock_timeout),
            // SAFETY: valid SSL (see State); `data` is readable for its length.
            |st| unsafe {
                let mut n = 0usize;
                let r = ffi::SSL_write_ex(st.ssl, data.as_ptr().cast(), data.len(), &mut n);
                (r, n, SslErr::capture(r == 0, st.ssl, r))
            },
            |_, _, _| Flow::Wait,
        )?;
        if ret == 0 {
            return Err(self.fail(st, err, 0, here!()));
        }
        Ok(n)
    }

    /// `SSLSocket.shutdown()` (the unwrap): sends close_notify, then waits
    /// for the peer's. Ok once done; `WANT_*` errors in non-blocking mode.
    pub fn shutdown(&self) -> PyResult<()> {
        let st = self.state();
        match self.transport {
            // An fd the host closed without telling us is found below,
            // from the failure it gives (no system call on every shutdown).
            Transport::Fd if st.fd() < 0 => return Err(no_socket()),
            Transport::Borrowed if st.fd() == FD_GONE || st.fd() == FD_CLOSED => {
                return Err(no_socket())
            }
            _ => {}
        }
        let io = self.io_params(st)?;
        clear_openssl_errors();
        let mut zeros = 0;
        let (ret, _, err) = self.io_loop(
            st,
            Op::Shutdown,
            io,
            // SAFETY: valid SSL (see State).
            |st| unsafe {
                if st.shutdown_seen_zero.load(Ordering::Relaxed) {
                    // Read-ahead could swallow cleartext sent after the
                    // peer's close_notify (unwrap).
                    ossl::SSL_set_read_ahead(st.ssl, 0);
                }
                let r = ffi::SSL_shutdown(st.ssl);
                (r, 0, SslErr::capture(r < 0, st.ssl, r))
            },
            |st, ret, _| match ret {
                1.. => Flow::Finish,
                // close_notify sent: try once more to receive the peer's.
                0 => {
                    zeros += 1;
                    if zeros > 1 {
                        return Flow::Finish;
                    }
                    st.shutdown_seen_zero.store(true, Ordering::Relaxed);
                    Flow::Again
                }
                _ => Flow::Wait,
            },
        )?;
        if ret < 0 {
            if self.fd_was_closed(st, err) {
                return Err(no_socket());
            }
            return Err(self.fail(st, err, ret, here!()));
        }
        Ok(())
    }

    /// After a failed shutdown over an fd of its own: whether the host
    /// closed the fd (CPython's `sock_fd == -1`, "Underlying socket
    /// connection gone"). A `WANT_*` with `EAGAIN` came from a live fd;
    /// anything else asks the descriptor table.
    fn fd_was_closed(&self, st: &State, err: SslErr) -> bool {
        if !matches!(self.transport, Transport::Fd) {
            return false;
        }
        let would_block = err.c == libc::EAGAIN || err.c == libc::EWOULDBLOCK;
        if wants_io(err) && would_block {
            return false;
        }
        !fd_is_open(st.fd())
    }
}

/// The operations that share [`Socket::io_loop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Handshake,
    Read,
    Write,
    Shutdown,
}

impl Op {
    /// CPython's `TimeoutError` text (the handshake's carries a location,
    /// `ERRSTR` in `_ssl.c`).
    fn timed_out(self, err: SslErr) -> String {
        match self {
            Op::Handshake => format!("{}: {HANDSHAKE_TIMED_OUT}", here!()),
            Op::Read => READ_TIMED_OUT.to_owned(),
            Op::Write => WRITE_TIMED_OUT.to_owned(),
            Op::Shutdown if err.ssl == ffi::SSL_ERROR_WANT_READ => READ_TIMED_OUT.to_owned(),
            Op::Shutdown => WRITE_TIMED_OUT.to_owned(),
        }
    }
}

/// What an operation does after an OpenSSL call of the loop.
enum Flow {
    /// Stop: the call's result is final.
    Finish,
    /// Call OpenSSL again at once.
    Again,
    /// Wait for the socket if OpenSSL wants I/O, then retry.
    Wait,
}

fn wants_io(err: SslErr) -> bool {
    err.ssl == ffi::SSL_ERROR_WANT_READ || err.ssl == ffi::SSL_ERROR_WANT_WRITE
}
