//! `_SSLSocket`: the TLS connection state machine over a socket fd or two
//! memory BIOs, with CPython's retry loops, timeouts and EOF rules.
//!
//! Every operation follows the same loop as `_ssl.c`: call OpenSSL (with the
//! host's lock released), capture `SSL_get_error` and `errno`, run the host's
//! interrupt check, wait with `poll()` for the direction OpenSSL wants, and
//! retry until done, timed out, or (non-blocking) asked to come back. The
//! exception for a failure is chosen in [`crate::socket::ssl_error`].

pub(crate) mod sockbio;
pub(crate) mod ssl_error;

use std::ffi::CStr;
use std::os::raw::{c_int, c_uint};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use openssl_sys as ffi;

use crate::compat::Compat;
use crate::context::{
    Context, CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED, PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER,
};
use crate::error::{clear_openssl_errors, set_ssl_error, PyErr, PyResult, Status};
use crate::here;
use crate::hooks::{allow_threads, check_interrupt};
use crate::membio::MemoryBio;
use crate::ossl;
use crate::socket::ssl_error::{set_error, ErrorSite, SslErr};
use crate::value::Value;
use crate::wait::{select, Deadline, SockState, TimeoutNs};

const SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: std::os::raw::c_long = 0x2;
const SSL_MODE_AUTO_RETRY: std::os::raw::c_long = 0x4;
const SSL_RECEIVED_SHUTDOWN: c_int = 2;

/// What carries the TLS bytes.
enum Transport {
    /// A connected socket fd, owned by the host.
    Fd,
    /// `_wrap_bio`: incoming and outgoing memory BIOs.
    Bio {
        incoming: Arc<MemoryBio>,
        outgoing: Arc<MemoryBio>,
    },
    /// An `SSL*` the host owns and configured (a patched CPython `_ssl`),
    /// with the fd and timeout given before each call (`State::fd` is
    /// [`FD_NONE`] for memory BIOs, [`FD_GONE`] for a vanished socket).
    Borrowed,
}

// The markers a borrowed `SSL*` gets for its fd (`set_io`), from CPython's
// socket states. The C header has them as `PYSSL_FD_*`.

/// `pyssl_socket_set_io` fd: the host's socket object is gone (CPython's
/// `Py_None` socket): operations fail with `PYSSL_ERROR_NO_SOCKET`.
pub const FD_GONE: c_int = -1;
/// `pyssl_socket_set_io` fd: there is no socket, the `SSL*` runs over
/// memory BIOs (CPython's `sock == NULL`).
pub const FD_NONE: c_int = -2;
/// `pyssl_socket_set_io` fd: the host's socket object is alive but closed
/// (CPython's `sock_fd == -1`): OpenSSL keeps using its old fd, a wait in
/// timeout mode fails with "Underlying socket has been closed.", and
/// shutdown with "Underlying socket connection gone".
pub const FD_CLOSED: c_int = -3;

/// Per-connection state. Like CPython's `PySSLSocket`, it may be used by
/// several threads at once (a reader and a writer): every field a call
/// changes is atomic.
struct State {
    ssl: *mut ffi::SSL,
    /// The socket fd; see [`FD_GONE`], [`FD_NONE`] and [`FD_CLOSED`].
    fd: AtomicI32,
    timeout: AtomicI64,
    /// CPython's `self->err`: the last `_PySSLError` (ssl code, errno).
    err: AtomicU64,
    shutdown_seen_zero: AtomicBool,
    /// Whether pyssl frees the SSL (not for a borrowed one).
    owned: bool,
}

impl State {
    fn new(ssl: *mut ffi::SSL, fd: c_int, timeout: TimeoutNs, owned: bool) -> State {
        State {
            ssl,
            fd: AtomicI32::new(fd),
            timeout: AtomicI64::new(timeout),
            err: AtomicU64::new(0),
            shutdown_seen_zero: AtomicBool::new(false),
            owned,
        }
    }
    fn fd(&self) -> c_int {
        self.fd.load(Ordering::Relaxed)
    }
    fn timeout(&self) -> TimeoutNs {
        self.timeout.load(Ordering::Relaxed)
    }
    fn err(&self) -> SslErr {
        let v = self.err.load(Ordering::Relaxed);
        SslErr {
            ssl: (v >> 32) as u32 as c_int,
            c: v as u32 as c_int,
        }
    }
    fn set_err(&self, e: SslErr) {
        self.err.store(
            ((e.ssl as u32 as u64) << 32) | e.c as u32 as u64,
            Ordering::Relaxed,
        );
    }
}

// SAFETY: the SSL object may be used from any thread; concurrent calls on
// one socket are the host's choice, as with CPython (OpenSSL tolerates a
// reader and a writer in practice); all other fields are atomics.
unsafe impl Send for State {}
// SAFETY: see Send.
unsafe impl Sync for State {}

impl Drop for State {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: we own the SSL; freeing it never sends anything
            // (CPython's dealloc does the same) and never closes the fd.
            unsafe { ffi::SSL_free(self.ssl) };
        }
    }
}

/// An `SSLSocket` (`_ssl._SSLSocket`) or `SSLObject`.
pub struct Socket {
    /// The current context (None for a borrowed `SSL*`); changed by
    /// `set_context`, e.g. from an SNI callback while the handshake holds
    /// `state`, hence its own lock.
    ctx: Mutex<Option<Arc<Context>>>,
    /// The context the socket was created with: its SSL_CTX stays the
    /// SSL's session context, and its SNI callback may still run.
    original_ctx: Option<Arc<Context>>,
    /// The SSL, fixed for the socket's life (also inside `state`), for the
    /// calls allowed from inside this socket's own callbacks.
    ssl: *mut ffi::SSL,
    compat: Compat,
    server_side: bool,
    server_hostname: Option<String>,
    /// The same, NUL-terminated for C.
    server_hostname_c: Option<std::ffi::CString>,
    transport: Transport,
    /// The last decoded peer certificate (held, so its address cannot be
    /// reused by another certificate while cached) and its dict.
    peer_cache: Mutex<Option<(crate::x509::certificate::Certificate, Value)>>,
    /// Over an fd of its own: whose turn it is to call OpenSSL (a reader
    /// and a writer thread take turns, see [`crate::socket::sockbio`]).
    turn: crate::turn::Turn,
    state: State,
}

// SAFETY: `Socket::ssl` duplicates `State::ssl` (see State's Send); the
// other fields are immutable, locked or thread-safe types.
unsafe impl Send for Socket {}
// SAFETY: see Send.
unsafe impl Sync for Socket {}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("server_side", &self.server_side)
            .field("server_hostname", &self.server_hostname)
            .finish()
    }
}

/// The three timeout texts CPython uses.
const HANDSHAKE_TIMED_OUT: &str = "The handshake operation timed out";
const READ_TIMED_OUT: &str = "The read operation timed out";
const WRITE_TIMED_OUT: &str = "The write operation timed out";
const SOCKET_CLOSED: &str = "Underlying socket has been closed.";

impl Socket {
    /// `SSLContext.wrap_socket(sock, server_side, server_hostname)` over a
    /// connected fd. The fd stays the caller's.
    pub fn new_fd(
        ctx: &Arc<Context>,
        fd: c_int,
        server_side: bool,
        server_hostname: Option<&CStr>,
    ) -> PyResult<Socket> {
        if fd < 0 {
            return Err(PyErr::os_error(libc::EBADF));
        }
        Self::new(ctx, Transport::Fd, fd, server_side, server_hostname)
    }

    /// `SSLContext.wrap_bio(incoming, outgoing, server_side, server_hostname)`.
    pub fn new_bio(
        ctx: &Arc<Context>,
        incoming: Arc<MemoryBio>,
        outgoing: Arc<MemoryBio>,
        server_side: bool,
        server_hostname: Option<&CStr>,
    ) -> PyResult<Socket> {
        Self::new(
            ctx,
            Transport::Bio { incoming, outgoing },
            -1,
            server_side,
            server_hostname,
        )
    }

    fn new(
        ctx: &Arc<Context>,
        transport: Transport,
        fd: c_int,
        server_side: bool,
        server_hostname: Option<&CStr>,
    ) -> PyResult<Socket> {
        // The host's lock is released for the whole creation (CPython
        // releases it around SSL_new) and the context's read lock taken
        // inside, so no pyssl lock is held while the host's hooks run.
        let (state, hostname) = allow_threads(|| -> PyResult<_> {
            let guard = ctx.read();
            // ssl.py's checks in SSLSocket._create / SSLObject._create.
            if server_side && server_hostname.is_some() {
                return Err(PyErr::value_error(
                    "server_hostname can only be specified in client mode",
                ));
            }
            if !server_side && guard.check_hostname() && server_hostname.is_none() {
                return Err(PyErr::value_error(
                    "check_hostname requires server_hostname",
                ));
            }
            let hostname = match server_hostname {
                Some(h) => Some(ascii_hostname(h)?),
                None => None,
            };
            // _ssl's checks in newPySSLSocket.
            if server_side && guard.protocol() == PROTOCOL_TLS_CLIENT {
                return Err(set_ssl_error(
                    ctx.compat(),
                    Some("Cannot create a server socket with a PROTOCOL_TLS_CLIENT context"),
                    Status::Ssl,
                    here!(),
                ));
            }
            if !server_side && guard.protocol() == PROTOCOL_TLS_SERVER {
                return Err(set_ssl_error(
                    ctx.compat(),
                    Some("Cannot create a client socket with a PROTOCOL_TLS_SERVER context"),
                    Status::Ssl,
                    here!(),
                ));
            }
            clear_openssl_errors();
            // SAFETY: valid SSL_CTX under the context's read lock.
            let ssl = unsafe { ffi::SSL_new(guard.raw()) };
            if ssl.is_null() {
                return Err(set_ssl_error(ctx.compat(), None, Status::Ssl, here!()));
            }
            let state = State::new(ssl, fd, -1, true);
            // From here on `state` frees the SSL on every error path.
            // SAFETY: valid SSL; BIO references are taken before SSL_set_bio
            // hands one to the SSL, so both the SSL and the MemoryBio own one.
            unsafe {
                match &transport {
                    Transport::Fd => {
                        if !crate::socket::sockbio::set_fd(ssl, fd) {
                            return Err(set_ssl_error(ctx.compat(), None, Status::Ssl, here!()));
                        }
                    }
                    Transport::Bio { incoming, outgoing } => {
                        let rbio = incoming.raw();
                        let wbio = outgoing.raw();
                        // SSL_set_bio takes one reference per distinct BIO.
                        ossl::BIO_up_ref(rbio);
                        if wbio != rbio {
                            ossl::BIO_up_ref(wbio);
                        }
                        ffi::SSL_set_bio(ssl, rbio, wbio);
                    }
                    Transport::Borrowed => unreachable!("borrowed sockets come from wrap_ssl"),
                }
                ossl::ssl_set_mode(
                    ssl,
                    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY,
                );
                if guard.post_handshake_auth() {
                    if server_side {
                        // OpenSSL does not ignore SSL_VERIFY_POST_HANDSHAKE:
                        // only with SSL_VERIFY_PEER, and only on servers.
                        let mode = ffi::SSL_get_verify_mode(ssl);
                        if mode & ffi::SSL_VERIFY_PEER != 0 {
                            let cb = ossl::SSL_CTX_get_verify_callback(guard.raw());
                            ffi::SSL_set_verify(ssl, mode | ffi::SSL_VERIFY_POST_HANDSHAKE, cb);
                        }
                    } else {
                        ossl::SSL_set_post_handshake_auth(ssl, 1);
                    }
                }
                if let Some(h) = &hostname {
                    configure_hostname(ctx.compat(), ssl, h, guard.check_hostname())?;
                }
                if server_side {
                    ffi::SSL_set_accept_state(ssl);
                } else {
                    ffi::SSL_set_connect_state(ssl);
                }
            }
            Ok((state, hostname))
        })?;
        let ssl = state.ssl;
        Ok(Socket {
            ctx: Mutex::new(Some(Arc::clone(ctx))),
            original_ctx: Some(Arc::clone(ctx)),
            ssl,
            compat: ctx.compat(),
            server_side,
            server_hostname_c: hostname
                .as_deref()
                .and_then(|h| std::ffi::CString::new(h).ok()),
            server_hostname: hostname,
            transport,
            peer_cache: Mutex::new(None),
            turn: Default::default(),
            state,
        })
    }

    /// Wraps an `SSL*` that the caller created, configured and keeps
    /// owning (pyssl never frees it), for hosts such as a patched CPython
    /// `_ssl` that hand pyssl only the I/O. `server_hostname` is used in
    /// verification messages. Call [`Socket::set_io`] before each operation.
    ///
    /// # Safety
    /// `ssl` must be a valid `SSL*` that outlives the returned socket and is
    /// not used by anyone else during pyssl calls on it.
    pub unsafe fn wrap_ssl(
        ssl: *mut ffi::SSL,
        server_side: bool,
        server_hostname: Option<&str>,
        compat: Compat,
    ) -> Socket {
        Socket {
            ctx: Mutex::new(None),
            original_ctx: None,
            ssl,
            compat,
            server_side,
            server_hostname: server_hostname.map(str::to_owned),
            server_hostname_c: server_hostname.and_then(|h| std::ffi::CString::new(h).ok()),
            transport: Transport::Borrowed,
            peer_cache: Mutex::new(None),
            turn: Default::default(),
            state: State::new(ssl, FD_NONE, 0, false),
        }
    }

    /// A borrowed socket's transport for the next calls: `fd` >= 0 a live
    /// socket, [`FD_GONE`] or [`FD_NONE`]; `timeout_ns` as
    /// `sock_timeout` (negative blocking). The fd's flags are not touched.
    pub fn set_io(&self, fd: c_int, timeout_ns: TimeoutNs) -> PyResult<()> {
        if !matches!(self.transport, Transport::Borrowed) {
            return Err(PyErr::value_error("set_io is only for a borrowed SSL*"));
        }
        if fd < FD_CLOSED {
            return Err(PyErr::bad_argument(format!("invalid fd {fd}")));
        }
        let st = self.state();
        // The host's SSL* already uses its fd; only record it for poll().
        st.fd.store(fd, Ordering::Relaxed);
        st.timeout.store(timeout_ns, Ordering::Relaxed);
        Ok(())
    }

    /// The socket's current context.
    pub fn context(&self) -> Option<Arc<Context>> {
        self.ctx.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// `SSLSocket.context = ctx` (`PySSL_set_context`): switches the SSL to
    /// another context, typically from an SNI callback to serve another
    /// certificate. Allowed from inside this socket's SNI callback.
    pub fn set_context(&self, ctx: &Arc<Context>) -> PyResult<()> {
        if self.original_ctx.is_none() {
            return Err(PyErr::value_error("a borrowed SSL* has no pyssl context"));
        }
        let mut cur = self.ctx.lock().unwrap_or_else(|e| e.into_inner());
        let g = ctx.read();
        // SAFETY: valid SSL and SSL_CTX; OpenSSL takes its own reference to
        // the new SSL_CTX. As in CPython, switching while another thread is
        // in the middle of a handshake on the socket is the host's doing;
        // the SNI callback is the intended place.
        unsafe { ffi::SSL_set_SSL_CTX(self.ssl, g.raw()) };
        *cur = Some(Arc::clone(ctx));
        Ok(())
    }

    /// Sets the tag the SNI callback receives for this socket (the C
    /// surface's handle). Not for a borrowed SSL, whose app data is the
    /// host's.
    pub fn bind_host_tag(&self, tag: usize) {
        if self.original_ctx.is_some() {
            crate::context::callbacks::bind(self.ssl, tag);
        }
    }

    pub fn compat(&self) -> Compat {
        self.compat
    }

    pub fn server_side(&self) -> bool {
        self.server_side
    }

    pub fn server_hostname(&self) -> Option<&str> {
        self.server_hostname.as_deref()
    }

    pub(crate) fn server_hostname_c(&self) -> Option<&std::ffi::CStr> {
        self.server_hostname_c.as_deref()
    }

    /// The connection state (CPython's object fields).
    fn state(&self) -> &State {
        &self.state
    }

    /// This thread's turn for one OpenSSL call: at the socket over an fd of
    /// its own (whose BIO never blocks), at the memory BIOs otherwise, in
    /// address order (two sockets may share BIOs in swapped roles). None
    /// for a borrowed `SSL*`, whose BIO may block inside OpenSSL (CPython's
    /// own, which takes no turns either).
    fn take_turn(&self) -> PyResult<Turns<'_>> {
        match &self.transport {
            Transport::Borrowed => Ok(Turns::None),
            Transport::Fd => Ok(Turns::Fd(self.turn.take()?)),
            Transport::Bio { incoming, outgoing } => {
                if Arc::ptr_eq(incoming, outgoing) {
                    return Ok(Turns::Bios(incoming.claim()?, None));
                }
                let (first, second) = if Arc::as_ptr(incoming) < Arc::as_ptr(outgoing) {
                    (incoming, outgoing)
                } else {
                    (outgoing, incoming)
                };
                let a = first.claim()?;
                Ok(Turns::Bios(a, Some(second.claim()?)))
            }
        }
    }

    /// `socket.settimeout(t)`: negative = blocking, 0 = non-blocking,
    /// positive = seconds. Like Python, sets the fd's `O_NONBLOCK` to match.
    pub fn set_timeout(&self, seconds: f64) -> PyResult<()> {
        if seconds.is_nan() {
            return Err(PyErr::value_error("Invalid value NaN (not a number)"));
        }
        let ns: TimeoutNs = if seconds < 0.0 {
            -1
        } else {
            let ns = (seconds * 1e9).ceil();
            if ns > i64::MAX as f64 {
                return Err(PyErr::overflow_error("timeout doesn't fit into C timeval"));
            }
            ns as i64
        };
        let st = self.state();
        if let Transport::Fd = self.transport {
            if st.fd() >= 0 {
                set_nonblocking(st.fd(), ns >= 0)?;
            }
        }
        st.timeout.store(ns, Ordering::Relaxed);
        Ok(())
    }

    /// The timeout in seconds (negative = blocking).
    pub fn timeout(&self) -> PyResult<f64> {
        let st = self.state();
        Ok(if st.timeout() < 0 {
            -1.0
        } else {
            st.timeout() as f64 / 1e9
        })
    }

    /// Replaces the fd (e.g. after the host re-created its socket object);
    /// -1 means the socket is gone: every operation then fails with
    /// `PYSSL_ERROR_NO_SOCKET`, as CPython does once its socket is collected.
    pub fn set_fd(&self, fd: c_int) -> PyResult<()> {
        if !matches!(self.transport, Transport::Fd) {
            return Err(PyErr::value_error("socket is not over an fd of its own"));
        }
        let st = self.state();
        if fd >= 0 {
            // SAFETY: valid SSL; the new BIO replaces the old one (which it frees).
            if !unsafe { crate::socket::sockbio::set_fd(st.ssl, fd) } {
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
        }
        st.fd.store(fd.max(-1), Ordering::Relaxed);
        Ok(())
    }

    /// The socket's fd, -1 when there is none (gone, closed, or memory
    /// BIOs: the borrowed transports' markers are not fds).
    pub fn fd(&self) -> PyResult<c_int> {
        Ok(self.state().fd().max(-1))
    }

    /// The fd to wait on (None over memory BIOs) and the timeout that
    /// applies (`GET_SOCKET_TIMEOUT`: 0 over memory BIOs).
    fn io_params(&self, st: &State) -> PyResult<(Option<c_int>, TimeoutNs)> {
        match self.transport {
            Transport::Bio { .. } => Ok((None, 0)),
            Transport::Borrowed if st.fd() == FD_NONE => Ok((None, 0)),
            // A closed socket object: OpenSSL still uses its old fd, and a
            // wait in timeout mode finds the socket closed (fd -1).
            Transport::Borrowed if st.fd() == FD_CLOSED => Ok((Some(-1), st.timeout())),
            Transport::Fd | Transport::Borrowed => {
                if st.fd() < 0 {
                    return Err(no_socket());
                }
                Ok((Some(st.fd()), st.timeout()))
            }
        }
    }

    fn site<'a>(&'a self, st: &State) -> ErrorSite<'a> {
        ErrorSite {
            ssl: st.ssl,
            err: st.err(),
            socket: match self.transport {
                Transport::Fd => Some(st.fd() >= 0),
                Transport::Borrowed if st.fd() == FD_NONE => None,
                Transport::Borrowed if st.fd() == FD_CLOSED => Some(true),
                Transport::Borrowed => Some(st.fd() >= 0),
                Transport::Bio { .. } => None,
            },
            server_hostname: self.server_hostname.as_deref(),
            compat: self.compat,
        }
    }

    fn fail(&self, st: &State, ret: c_int, loc: crate::error::Location) -> PyErr {
        set_error(&self.site(st), ret, loc)
    }

    /// CPython's retry loop, shared by handshake, read, write and shutdown:
    /// call OpenSSL with the host's lock released (`call`, which captures
    /// `SSL_get_error` and `errno` at once), run the host's interrupt check,
    /// let the operation decide (`decide`), wait with `poll()` for the
    /// direction OpenSSL wants, retry. Returns the last OpenSSL return value
    /// and byte count for the caller to turn into a result or an error.
    fn io_loop(
        &self,
        st: &State,
        op: Op,
        (fd, sock_timeout): (Option<c_int>, TimeoutNs),
        mut call: impl FnMut(&State) -> (c_int, usize, SslErr),
        mut decide: impl FnMut(&State, c_int, SslErr) -> Flow,
    ) -> PyResult<(c_int, usize)> {
        let deadline = Deadline::new(sock_timeout);
        loop {
            let (ret, n, err) = allow_threads(|| -> PyResult<_> {
                // The socket (or its memory BIOs) is this call's while
                // OpenSSL runs, and free again before the host's lock is
                // taken back.
                let _turn = self.take_turn()?;
                Ok(call(st))
            })?;
            st.set_err(err);
            // CPython's shutdown loop does not check for signals.
            if op != Op::Shutdown {
                check_interrupt()?;
            }
            match decide(st, ret, err) {
                Flow::Finish => return Ok((ret, n)),
                Flow::Again => continue,
                Flow::Wait => {}
            }
            let timeout = deadline.remaining(sock_timeout);
            let state = match err.ssl {
                ffi::SSL_ERROR_WANT_READ => select(fd, false, sock_timeout, timeout),
                ffi::SSL_ERROR_WANT_WRITE => select(fd, true, sock_timeout, timeout),
                _ if op == Op::Shutdown => return Ok((ret, n)),
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
                (SockState::IsNonBlocking, _) => return Ok((ret, n)),
                (SockState::IsBlocking, _) => {
                    crate::wait::wait_blocking(fd, err.ssl == ffi::SSL_ERROR_WANT_WRITE)
                }
                (SockState::OperationOk, _) => {}
                (_, Op::Shutdown) => return Ok((ret, n)),
                _ => {}
            }
            if !wants_io(err) {
                return Ok((ret, n));
            }
        }
    }

    /// `SSLSocket.do_handshake()`.
    pub fn do_handshake(&self) -> PyResult<()> {
        let st = self.state();
        let io = self.io_params(st)?;
        clear_openssl_errors();
        let (ret, _) = self.io_loop(
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
            return Err(self.fail(st, ret, here!()));
        }
        Ok(())
    }

    /// `SSLSocket.read(len)` into `buf`: the byte count, 0 for a clean
    /// close_notify (`b''`), or an error.
    pub fn read(&self, buf: &mut [u8]) -> PyResult<usize> {
        let st = self.state();
        let io = self.io_params(st)?;
        if buf.is_empty() {
            return Ok(0);
        }
        clear_openssl_errors();
        let (ptr, len) = (buf.as_mut_ptr(), buf.len());
        let mut closed = false;
        let (ret, n) = self.io_loop(
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
                closed = err.ssl == ffi::SSL_ERROR_ZERO_RETURN
                    && unsafe { ffi::SSL_get_shutdown(st.ssl) } == SSL_RECEIVED_SHUTDOWN;
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
            return Err(self.fail(st, 0, here!()));
        }
        Ok(n)
    }

    /// `SSLSocket.write(data)`: all of `data` or an error. After
    /// `WANT_READ`/`WANT_WRITE` on a non-blocking socket, call again with
    /// the same data (OpenSSL may have taken part of it already).
    pub fn write(&self, data: &[u8]) -> PyResult<usize> {
        let st = self.state();
        let (fd, sock_timeout) = self.io_params(st)?;
        clear_openssl_errors();
        // CPython waits for the socket to be writable once before writing.
        match select(fd, true, sock_timeout, sock_timeout) {
            SockState::HasTimedOut => return Err(PyErr::timeout(WRITE_TIMED_OUT)),
            SockState::HasBeenClosed => return Err(PyErr::ssl_message(SOCKET_CLOSED)),
            _ => {}
        }
        let (ret, n) = self.io_loop(
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
            return Err(self.fail(st, 0, here!()));
        }
        Ok(n)
    }

    /// `SSLSocket.shutdown()` (the unwrap): sends close_notify, then waits
    /// for the peer's. Ok once done; `WANT_*` errors in non-blocking mode.
    pub fn shutdown(&self) -> PyResult<()> {
        let st = self.state();
        match self.transport {
            Transport::Fd if st.fd() < 0 || !fd_is_open(st.fd()) => return Err(no_socket()),
            Transport::Borrowed if st.fd() == FD_GONE || st.fd() == FD_CLOSED => {
                return Err(no_socket())
            }
            _ => {}
        }
        let io = self.io_params(st)?;
        clear_openssl_errors();
        let mut zeros = 0;
        let (ret, _) = self.io_loop(
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
            return Err(self.fail(st, ret, here!()));
        }
        Ok(())
    }

    /// `SSLSocket.getpeercert(binary_form)`: None (`Ok(None)`), the DER as
    /// bytes, `{}` when the certificate was not verified, or the decoded dict.
    pub fn getpeercert(&self, binary_form: bool) -> PyResult<Option<Value>> {
        let st = self.state();
        // SAFETY: valid SSL; the certificate reference we get is owned by
        // `cert` (released when it drops).
        let cert = unsafe {
            if ffi::SSL_is_init_finished(st.ssl) == 0 {
                return Err(PyErr::value_error("handshake not done yet"));
            }
            let raw = ffi::SSL_get1_peer_certificate(st.ssl);
            if raw.is_null() {
                return Ok(None);
            }
            crate::x509::certificate::Certificate::from_owned(raw)
        };
        if binary_form {
            return cert.der().map(|d| Some(Value::Bytes(d)));
        }
        // SAFETY: valid SSL and its context.
        let mode = unsafe { ffi::SSL_CTX_get_verify_mode(ffi::SSL_get_SSL_CTX(st.ssl)) };
        if mode & ffi::SSL_VERIFY_PEER == 0 {
            return Ok(Some(Value::Dict(Vec::new())));
        }
        // The peer's certificate object only changes with a new handshake
        // (or post-handshake authentication): decode each one once.
        let mut cache = self.peer_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((c, v)) = cache.as_ref() {
            if c.as_ptr() == cert.as_ptr() {
                return Ok(Some(v.clone()));
            }
        }
        let v = cert.info()?;
        *cache = Some((cert, v.clone()));
        Ok(Some(v))
    }

    /// `SSLSocket.get_unverified_chain()` (3.13): the chain the peer sent;
    /// on the server side CPython puts the peer's certificate first (OpenSSL
    /// leaves it out there), None in its place when the client sent none
    /// (3.14: the whole answer is None then). None without a chain.
    pub fn unverified_chain(
        &self,
    ) -> PyResult<Option<Vec<Option<crate::x509::certificate::Certificate>>>> {
        let st = self.state();
        // SAFETY: valid SSL; the stack and certificates are borrowed from it
        // and each copied certificate takes its own reference.
        unsafe {
            let stack = crate::x509::certificate::from_stack(ffi::SSL_get_peer_cert_chain(st.ssl));
            if self.server_side && self.compat == Compat::Py314 {
                // 3.14.10: the client's certificate first whenever there is
                // one (also on resumption, where OpenSSL keeps no chain),
                // None when there is none.
                let peer = ffi::SSL_get1_peer_certificate(st.ssl);
                if peer.is_null() {
                    return Ok(None);
                }
                let peer = crate::x509::certificate::Certificate::from_owned(peer);
                let rest = stack.unwrap_or_default().into_iter().map(Some);
                return Ok(Some(std::iter::once(Some(peer)).chain(rest).collect()));
            }
            let Some(chain) = stack else {
                return Ok(None);
            };
            let mut chain: Vec<_> = chain.into_iter().map(Some).collect();
            if self.server_side {
                let peer = ffi::SSL_get1_peer_certificate(st.ssl);
                let first = (!peer.is_null())
                    .then(|| crate::x509::certificate::Certificate::from_owned(peer));
                chain.insert(0, first);
            }
            Ok(Some(chain))
        }
    }

    /// `SSLSocket.get_verified_chain()` (3.13): the chain OpenSSL built and
    /// verified, None without one.
    pub fn verified_chain(
        &self,
    ) -> PyResult<Option<Vec<Option<crate::x509::certificate::Certificate>>>> {
        let st = self.state();
        // SAFETY: valid SSL; as for unverified_chain.
        let chain =
            unsafe { crate::x509::certificate::from_stack(ffi::SSL_get0_verified_chain(st.ssl)) };
        Ok(chain.map(|c| c.into_iter().map(Some).collect()))
    }

    /// `SSLSocket.version()`: None before the handshake.
    pub fn version(&self) -> PyResult<Option<&'static CStr>> {
        let st = self.state();
        // SAFETY: valid SSL; SSL_get_version returns a static string.
        unsafe {
            if ffi::SSL_is_init_finished(st.ssl) == 0 {
                return Ok(None);
            }
            let v = ffi::SSL_get_version(st.ssl);
            if v.is_null() {
                return Ok(None);
            }
            let v = CStr::from_ptr(v);
            Ok((v.to_bytes() != b"unknown").then_some(v))
        }
    }

    /// `SSLSocket.cipher()`: (name, protocol, secret bits), None without a
    /// current cipher.
    pub fn cipher(&self) -> PyResult<Option<(&'static CStr, &'static CStr, i32)>> {
        let st = self.state();
        // SAFETY: valid SSL; SSL_CIPHERs and their names are static tables.
        unsafe {
            let c = ffi::SSL_get_current_cipher(st.ssl);
            if c.is_null() {
                return Ok(None);
            }
            let name = CStr::from_ptr(ffi::SSL_CIPHER_get_name(c));
            let proto = CStr::from_ptr(ffi::SSL_CIPHER_get_version(c));
            let bits = ffi::SSL_CIPHER_get_bits(c, std::ptr::null_mut());
            Ok(Some((name, proto, bits)))
        }
    }

    /// `SSLSocket.selected_alpn_protocol()`.
    pub fn selected_alpn_protocol(&self) -> PyResult<Option<Vec<u8>>> {
        let st = self.state();
        let mut data: *const u8 = std::ptr::null();
        let mut len: c_uint = 0;
        // SAFETY: valid SSL; OpenSSL points data into the SSL's own buffer,
        // copied before returning.
        unsafe {
            ffi::SSL_get0_alpn_selected(st.ssl, &mut data, &mut len);
            if data.is_null() || len == 0 {
                return Ok(None);
            }
            Ok(Some(
                std::slice::from_raw_parts(data, len as usize).to_vec(),
            ))
        }
    }

    /// `SSLSocket.compression()`: the compression method's short name, None
    /// without compression (always, unless `OP_NO_COMPRESSION` is cleared
    /// and OpenSSL supports it).
    pub fn compression(&self) -> PyResult<Option<&'static CStr>> {
        let st = self.state();
        // SAFETY: valid SSL; OBJ_nid2sn returns a static string.
        unsafe {
            let comp = ffi::SSL_get_current_compression(st.ssl);
            if comp.is_null() {
                return Ok(None);
            }
            let nid = ffi::COMP_get_type(comp);
            if nid == ffi::NID_undef {
                return Ok(None);
            }
            let name = ffi::OBJ_nid2sn(nid);
            Ok((!name.is_null()).then(|| CStr::from_ptr(name)))
        }
    }

    /// `SSLSocket.get_channel_binding(cb_type)`: only "tls-unique"; None
    /// when there is no Finished message yet.
    pub fn channel_binding(&self, cb_type: &str) -> PyResult<Option<Vec<u8>>> {
        if cb_type != "tls-unique" {
            return Err(PyErr::value_error(format!(
                "'{cb_type}' channel binding type not implemented"
            )));
        }
        let st = self.state();
        let mut buf = [0u8; 128];
        // SAFETY: valid SSL; OpenSSL writes at most buf.len() bytes.
        let len = unsafe {
            if (ffi::SSL_session_reused(st.ssl) != 0) ^ !self.server_side {
                // resumed XOR client: our own Finished
                ffi::SSL_get_finished(st.ssl, buf.as_mut_ptr().cast(), buf.len())
            } else {
                ffi::SSL_get_peer_finished(st.ssl, buf.as_mut_ptr().cast(), buf.len())
            }
        };
        if len == 0 {
            return Ok(None);
        }
        Ok(Some(buf[..len.min(buf.len())].to_vec()))
    }

    /// `SSLSocket.verify_client_post_handshake()` (TLS 1.3 servers).
    pub fn verify_client_post_handshake(&self) -> PyResult<()> {
        let st = self.state();
        clear_openssl_errors();
        // SAFETY: valid SSL.
        if unsafe { ossl::SSL_verify_client_post_handshake(st.ssl) } == 0 {
            return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
        }
        Ok(())
    }

    /// `SSLSocket.session`: None before a session exists.
    pub fn session(&self) -> PyResult<Option<crate::session::Session>> {
        let st = self.state();
        // SAFETY: valid SSL; SSL_get1_session gives us a reference.
        let raw = unsafe { ossl::SSL_get1_session(st.ssl) };
        if raw.is_null() {
            return Ok(None);
        }
        Ok(Some(crate::session::Session {
            raw,
            ctx: self.context(),
        }))
    }

    /// `SSLSocket.session = session` (CPython's `PySSL_set_session`).
    pub fn set_session(&self, session: &crate::session::Session) -> PyResult<()> {
        let st = self.state();
        let same_ctx = match (&self.context(), &session.ctx) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        if !same_ctx {
            return Err(PyErr::value_error(
                "Session refers to a different SSLContext.",
            ));
        }
        if self.server_side {
            return Err(PyErr::value_error(
                "Cannot set session for server-side SSLSocket.",
            ));
        }
        // SAFETY: valid SSL and session; SSL_set_session takes its own
        // reference to the duplicate, which we release.
        unsafe {
            if ffi::SSL_is_init_finished(st.ssl) != 0 {
                return Err(PyErr::value_error("Cannot set session after handshake."));
            }
            // CPython resumes a serialized copy, so a session stays usable
            // after its socket was freed without a shutdown (which marks the
            // original not resumable).
            // Sharing a session that is still resumable behaves the same
            // and spares the re-parse of the DER round trip.
            let r = if ossl::SSL_SESSION_is_resumable(session.raw) != 0 {
                ffi::SSL_set_session(st.ssl, session.raw)
            } else {
                let dup = session.duplicate()?;
                let r = ffi::SSL_set_session(st.ssl, dup);
                ffi::SSL_SESSION_free(dup);
                r
            };
            if r == 0 {
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
        }
        Ok(())
    }

    /// `SSLSocket.session_reused`.
    pub fn session_reused(&self) -> PyResult<bool> {
        let st = self.state();
        // SAFETY: valid SSL.
        Ok(unsafe { ffi::SSL_session_reused(st.ssl) } != 0)
    }

    /// `SSLSocket.shared_ciphers()`. 3.11: every cipher the socket offers
    /// (`SSL_get_ciphers`). 3.13 and later: the server's ciphers that the
    /// client offered, in the server's order, None without both lists (so
    /// on the client side and before the handshake).
    pub fn shared_ciphers(&self) -> PyResult<Option<Vec<crate::cipher::CipherInfo>>> {
        let st = self.state();
        // SAFETY: valid SSL; both stacks belong to it and are only read here
        // (concurrent calls on one socket are the host's, as in CPython);
        // ciphers are static objects.
        unsafe {
            let server = ossl::SSL_get_ciphers(st.ssl);
            if self.compat == Compat::Py311 {
                return Ok(crate::cipher::cipher_list(server));
            }
            let client = ossl::SSL_get_client_ciphers(st.ssl);
            if server.is_null() || client.is_null() {
                return Ok(None);
            }
            let all = crate::cipher::cipher_list(server).unwrap_or_default();
            let n = ffi::OPENSSL_sk_num(server as *const ffi::OPENSSL_STACK);
            let shared = (0..n)
                .zip(all)
                .filter(|(i, _)| {
                    let c = ffi::OPENSSL_sk_value(server as *const ffi::OPENSSL_STACK, *i);
                    ossl::OPENSSL_sk_find(client as *mut ffi::OPENSSL_STACK, c) >= 0
                })
                .map(|(_, info)| info)
                .collect();
            Ok(Some(shared))
        }
    }

    /// `SSLSocket.pending()`.
    pub fn pending(&self) -> PyResult<usize> {
        let st = self.state();
        // SAFETY: valid SSL.
        let n = unsafe { ffi::SSL_pending(st.ssl) };
        if n < 0 {
            return Err(self.fail(st, n, here!()));
        }
        Ok(n as usize)
    }

    /// The verification mode the socket was created with.
    pub fn verify_mode(&self) -> PyResult<i32> {
        let st = self.state();
        // SAFETY: valid SSL.
        let m = unsafe { ffi::SSL_get_verify_mode(st.ssl) };
        Ok(match m {
            ffi::SSL_VERIFY_NONE => CERT_NONE,
            ffi::SSL_VERIFY_PEER => CERT_OPTIONAL,
            _ => CERT_REQUIRED,
        })
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

/// `_setSSLError("Underlying socket connection gone", PY_SSL_ERROR_NO_SOCKET)`.
fn no_socket() -> PyErr {
    set_ssl_error(
        Compat::default(), // a message of its own: no name is looked up
        Some("Underlying socket connection gone"),
        Status::NoSocket,
        here!(),
    )
}

/// A socket's turn at OpenSSL for one call.
// Held for their Drop (giving the turn back), never read.
#[allow(dead_code)]
enum Turns<'a> {
    None,
    Fd(crate::turn::TurnClaim<'a>),
    Bios(crate::membio::Claim<'a>, Option<crate::membio::Claim<'a>>),
}

/// `_ssl` takes `server_hostname` as ASCII (ssl.py IDNA-encodes it first):
/// other text fails with the `UnicodeEncodeError` CPython raises.
fn ascii_hostname(h: &CStr) -> PyResult<String> {
    let s = h
        .to_str()
        .map_err(|_| PyErr::value_error("server_hostname is not valid UTF-8"))?;
    if s.is_empty() || s.starts_with('.') {
        return Err(PyErr::value_error(
            "server_hostname cannot be an empty string or start with a leading dot.",
        ));
    }
    if let Some((pos, ch)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
        let code = ch as u32;
        let esc = if code < 0x100 {
            format!("\\x{code:02x}")
        } else if code < 0x10000 {
            format!("\\u{code:04x}")
        } else {
            format!("\\U{code:08x}")
        };
        return Err(PyErr::new(
            Status::Value,
            "UnicodeEncodeError",
            format!("'ascii' codec can't encode character '{esc}' in position {pos}: ordinal not in range(128)"),
        ));
    }
    Ok(s.to_owned())
}

/// `_ssl_configure_hostname`: SNI for names (not IP addresses), and the
/// host or IP to verify when `check_hostname` is on.
///
/// # Safety
/// `ssl` must be a valid `SSL*`.
unsafe fn configure_hostname(
    compat: Compat,
    ssl: *mut ffi::SSL,
    hostname: &str,
    check_hostname: bool,
) -> PyResult<()> {
    let c = std::ffi::CString::new(hostname)
        .map_err(|_| PyErr::value_error("embedded null character"))?;
    // SAFETY: NUL-terminated string; the result is freed below.
    let ip = unsafe { ossl::a2i_IPADDRESS(c.as_ptr()) };
    if ip.is_null() {
        crate::error::clear_error_queue();
    }
    let result = (|| {
        // SAFETY: valid SSL and NUL-terminated hostname; `ip` is a valid
        // ASN1_OCTET_STRING when non-null.
        unsafe {
            if ip.is_null() && ffi::SSL_set_tlsext_host_name(ssl, c.as_ptr() as *mut _) == 0 {
                return Err(set_ssl_error(compat, None, Status::Ssl, here!()));
            }
            if check_hostname {
                let param = ffi::SSL_get0_param(ssl);
                let ok = if ip.is_null() {
                    ffi::X509_VERIFY_PARAM_set1_host(param, c.as_ptr(), hostname.len())
                } else {
                    let data = ffi::ASN1_STRING_get0_data(ip as *const ffi::ASN1_STRING);
                    let len = ffi::ASN1_STRING_length(ip as *const ffi::ASN1_STRING);
                    ffi::X509_VERIFY_PARAM_set1_ip(param, data, len as usize)
                };
                if ok == 0 {
                    return Err(set_ssl_error(compat, None, Status::Ssl, here!()));
                }
            }
        }
        Ok(())
    })();
    if !ip.is_null() {
        // SAFETY: allocated by a2i_IPADDRESS above.
        unsafe { ffi::ASN1_OCTET_STRING_free(ip) };
    }
    result
}

/// Python's `internal_setblocking`: O_NONBLOCK on for timeouts >= 0.
fn set_nonblocking(fd: c_int, nonblocking: bool) -> PyResult<()> {
    // One ioctl, as CPython does where FIONBIO exists.
    let mut on: c_int = nonblocking as c_int;
    // SAFETY: FIONBIO reads one int from the pointer; failures are reported.
    if unsafe { libc::ioctl(fd, libc::FIONBIO, &mut on) } < 0 {
        return Err(PyErr::os_error(crate::errno::get()));
    }
    Ok(())
}

/// Whether `fd` is an open descriptor (CPython's `sock_fd != INVALID_SOCKET`).
fn fd_is_open(fd: c_int) -> bool {
    // SAFETY: F_GETFD only inspects the descriptor table.
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}
