//! `_SSLSocket`: the TLS connection state machine over a socket fd or two
//! memory BIOs, with CPython's retry loops, timeouts and EOF rules.
//!
//! Every operation follows the same loop as `_ssl.c`: call OpenSSL (with the
//! host's lock released), capture `SSL_get_error` and `errno`, run the host's
//! interrupt check, wait with `poll()` for the direction OpenSSL wants, and
//! retry until done, timed out, or (non-blocking) asked to come back. The
//! exception for a failure is chosen in [`crate::ssl_error`].

pub mod hostbio;
mod hostname;
mod info;
mod io;
mod session;
pub(crate) mod sockbio;

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
use crate::ssl_error::{set_error, ErrorSite, SslErr};
use crate::value::flat::Flat;
use crate::value::Value;
use crate::wait::{select, Deadline, SockState, TimeoutNs};

pub use hostbio::{HostIo, HostTransport};

const SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: std::os::raw::c_long = 0x2;
const SSL_MODE_AUTO_RETRY: std::os::raw::c_long = 0x4;

/// What carries the TLS bytes.
enum Transport {
    /// A connected socket fd, owned by the host.
    Fd,
    /// `_wrap_bio`: incoming and outgoing memory BIOs.
    Bio {
        incoming: Arc<MemoryBio>,
        outgoing: Arc<MemoryBio>,
    },
    /// The host's own I/O (`hostbio`): never blocks, errors as an fd's.
    Host(Arc<dyn HostTransport>),
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

const SSL_SENT_SHUTDOWN: c_int = 1;

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
    /// Set once OpenSSL reported the handshake finished after a call of
    /// ours; stays set when a later failure ends the connection.
    handshake_done: AtomicBool,
    /// Set once a call raised an error that later calls repeat without
    /// calling OpenSSL ([`crate::ssl_error::remembers_eof`]).
    eof_error: AtomicBool,
    /// Set once a call of ours failed with `SSL_ERROR_SSL` or
    /// `SSL_ERROR_SYSCALL`: OpenSSL may be in its error state since.
    failed: AtomicBool,
    /// Whether pyssl frees the SSL (not for a borrowed one).
    owned: bool,
    /// CPython 3.13.1+: mark the SSL shut down before freeing it, so that
    /// OpenSSL keeps its session resumable.
    keep_session_on_free: bool,
}

impl State {
    fn new(ssl: *mut ffi::SSL, fd: c_int, timeout: TimeoutNs, owned: Option<Compat>) -> State {
        State {
            ssl,
            fd: AtomicI32::new(fd),
            timeout: AtomicI64::new(timeout),
            err: AtomicU64::new(0),
            shutdown_seen_zero: AtomicBool::new(false),
            handshake_done: AtomicBool::new(false),
            eof_error: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            owned: owned.is_some(),
            keep_session_on_free: owned.is_some_and(Compat::since_313),
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
            unsafe {
                if self.keep_session_on_free {
                    ffi::SSL_set_shutdown(
                        self.ssl,
                        SSL_SENT_SHUTDOWN | ffi::SSL_get_shutdown(self.ssl),
                    );
                }
                ffi::SSL_free(self.ssl)
            };
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
    /// The last peer certificate asked for (held, so its address cannot be
    /// reused by another certificate while cached), with its dict and DER
    /// once made.
    peer_cache: Mutex<Option<PeerCache>>,
    /// Over an fd of its own: whose turn it is to call OpenSSL (a reader
    /// and a writer thread take turns, see [`crate::socket::sockbio`]).
    turn: crate::turn::Turn,
    /// The host's tag for this socket (0 for none) and whether it is in
    /// the SSL yet (see [`Socket::bind_host_tag`]).
    host_tag: std::sync::atomic::AtomicUsize,
    tag_bound: AtomicBool,
    state: State,
}

/// [`Socket::getpeercert_shared`]'s answers for one peer certificate.
struct PeerCache {
    cert: crate::x509::certificate::Certificate,
    dict: Option<Arc<Flat>>,
    der: Option<Arc<Flat>>,
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

    /// A socket over the host's own stream of TLS bytes (libtls's
    /// `tls_connect_cbs`): as `new_bio`, it never blocks on its own, and as
    /// `new_fd`, the transport's errno failures and EOFs follow the EOF
    /// rules of a socket (see [`hostbio`]).
    pub fn new_host(
        ctx: &Arc<Context>,
        transport: Arc<dyn HostTransport>,
        server_side: bool,
        server_hostname: Option<&CStr>,
    ) -> PyResult<Socket> {
        Self::new(
            ctx,
            Transport::Host(transport),
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
            // ssl.py's checks: SSLSocket._create's in every version;
            // SSLObject._create (wrap_bio) has the first in Debian's 3.11
            // (the second is only a DeprecationWarning there), neither in
            // 3.13, both in 3.14. Both test the name's truth, so "" counts
            // as no name, and the second holds on either side.
            let (server_rule, hostname_rule) = match (&transport, ctx.compat()) {
                (Transport::Bio { .. }, Compat::Py311) => (true, false),
                (Transport::Bio { .. }, Compat::Py313) => (false, false),
                _ => (true, true),
            };
            let named = server_hostname.is_some_and(|h| !h.is_empty());
            if server_rule && server_side && named {
                return Err(PyErr::value_error(
                    "server_hostname can only be specified in client mode",
                ));
            }
            if hostname_rule && guard.check_hostname() && !named {
                return Err(PyErr::value_error(
                    "check_hostname requires server_hostname",
                ));
            }
            // _ssl's own: the name as ASCII (argument parsing), then in
            // newPySSLSocket the side, then (configure_hostname) the form.
            let hostname = match server_hostname {
                Some(h) => Some(hostname::ascii_hostname(h)?),
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
            // (CPython empties OpenSSL's queue here. pyssl's operations
            // drop stale entries themselves, and the calls below that can
            // fail queue their own error last, which is the one reported.)
            // SAFETY: valid SSL_CTX under the context's read lock.
            let ssl = unsafe { ffi::SSL_new(guard.raw()) };
            if ssl.is_null() {
                return Err(set_ssl_error(ctx.compat(), None, Status::Ssl, here!()));
            }
            let state = State::new(ssl, fd, -1, Some(ctx.compat()));
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
                    Transport::Host(t) => {
                        if !hostbio::set_transport(ssl, Arc::clone(t)) {
                            return Err(set_ssl_error(ctx.compat(), None, Status::Ssl, here!()));
                        }
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
                if let (Some(h), Some(c)) = (&hostname, server_hostname) {
                    hostname::configure_hostname(ctx.compat(), ssl, h, c, guard.check_hostname())?;
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
            // The caller's C string: `hostname` is its text (checked ASCII).
            server_hostname_c: server_hostname.map(CStr::to_owned),
            server_hostname: hostname,
            transport,
            peer_cache: Mutex::new(None),
            turn: Default::default(),
            host_tag: Default::default(),
            tag_bound: AtomicBool::new(false),
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
            host_tag: Default::default(),
            tag_bound: AtomicBool::new(false),
            state: State::new(ssl, FD_NONE, 0, None),
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
        // The new context's SNI callback, if it gets one, needs the tag.
        if !self.tag_bound.load(Ordering::Relaxed) {
            self.bind_tag_now();
        }
        Ok(())
    }

    /// Sets the tag the SNI callback receives for this socket (the C
    /// surface's handle). Not for a borrowed SSL, whose app data is the
    /// host's. A pointer to the tag goes into the SSL (its ex_data, which
    /// costs two allocations) only once the socket's context has an SNI
    /// callback: here, or before the first OpenSSL call after one was
    /// installed ([`Socket::bind_tag_for_sni`]).
    pub fn bind_host_tag(&self, tag: usize) {
        if self.original_ctx.is_some() {
            self.host_tag.store(tag, Ordering::SeqCst);
            self.bind_tag_for_sni();
        }
    }

    /// Puts the host tag into the SSL if the SNI callback may need it:
    /// called before every OpenSSL call that can run a handshake, during
    /// the call's turn at the SSL.
    #[inline]
    pub(crate) fn bind_tag_for_sni(&self) {
        if self.tag_bound.load(Ordering::Relaxed) {
            return;
        }
        let sni = |c: &Option<Arc<Context>>| c.as_ref().is_some_and(|c| c.sni_ever());
        if sni(&self.original_ctx) {
            self.bind_tag_now();
        }
    }

    #[cold]
    fn bind_tag_now(&self) {
        let tag = self.host_tag.load(Ordering::SeqCst);
        if tag != 0 {
            // SAFETY: the cell is a field of self, which owns the SSL and
            // so outlives every OpenSSL call on it; a socket with a tag is
            // a handle's, in place in its Arc.
            unsafe { crate::context::callbacks::bind(self.ssl, &self.host_tag) };
            self.tag_bound.store(true, Ordering::Relaxed);
        }
    }

    /// Forgets the host's tag (its handle is being freed while a call may
    /// still run): the SNI callback gets none from now on.
    pub fn unbind_host_tag(&self) {
        self.host_tag.store(0, Ordering::SeqCst);
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
    /// its own (whose BIO never blocks) or the host's I/O, at the memory BIOs otherwise, in
    /// address order (two sockets may share BIOs in swapped roles). None
    /// for a borrowed `SSL*`, whose BIO may block inside OpenSSL (CPython's
    /// own, which takes no turns either).
    fn take_turn(&self) -> PyResult<Turns<'_>> {
        match &self.transport {
            Transport::Borrowed => Ok(Turns::None),
            Transport::Fd | Transport::Host(_) => Ok(Turns::Fd(self.turn.take()?)),
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
            // CPython's time type holds less than 2**63 ns (exact as a
            // double; i64::MAX is not).
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            if self.compat.since_313() && ns >= LIMIT {
                return Err(PyErr::overflow_error(match self.compat {
                    Compat::Py314 => "timestamp out of range for C PyTime_t",
                    _ => "timestamp out of range for platform time_t",
                }));
            }
            // 3.11 compares with i64::MAX as a double, 2**63 itself passes,
            // and the conversion gives a negative count on x86-64, which
            // settimeout() rejects.
            if ns > LIMIT {
                return Err(PyErr::overflow_error(
                    "timestamp too large to convert to C _PyTime_t",
                ));
            }
            if ns == LIMIT {
                return Err(PyErr::value_error("Timeout value out of range"));
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
            Transport::Bio { .. } | Transport::Host(_) => Ok((None, 0)),
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

    fn site<'a>(&'a self, st: &State, err: SslErr) -> ErrorSite<'a> {
        ErrorSite {
            ssl: st.ssl,
            err,
            socket: match self.transport {
                Transport::Fd => Some(st.fd() >= 0),
                Transport::Host(_) => Some(true),
                Transport::Borrowed if st.fd() == FD_NONE => None,
                Transport::Borrowed if st.fd() == FD_CLOSED => Some(true),
                Transport::Borrowed => Some(st.fd() >= 0),
                Transport::Bio { .. } => None,
            },
            server_hostname: self.server_hostname.as_deref(),
            compat: self.compat,
        }
    }

    /// `PySSL_SetError` for a call that returned `ret` with `err`.
    fn fail(&self, st: &State, err: SslErr, ret: c_int, loc: crate::error::Location) -> PyErr {
        let e = set_error(&self.site(st, err), ret, loc);
        if crate::ssl_error::remembers_eof(&e, self.compat) {
            st.eof_error.store(true, Ordering::Relaxed);
        }
        e
    }

    /// The error a read, write or handshake raises at once on a socket
    /// that remembers an EOF (3.14), before touching OpenSSL.
    fn remembered_eof(&self, st: &State, loc: crate::error::Location) -> PyResult<()> {
        if st.eof_error.load(Ordering::Relaxed) {
            return Err(crate::ssl_error::remembered_eof(self.compat, loc));
        }
        Ok(())
    }
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
