//! `pyssl_socket_new_cbs`: a socket over the host's I/O callbacks, against
//! a pyssl server over memory BIOs (pumped by the test) or over an fd of a
//! socketpair; its EOF and errno failures against an fd socket's.

mod common;

use std::ffi::{c_void, CStr};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicIsize, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pyssl::capi::*;
use pyssl::socket::{HostIo, HostTransport};

const WANT_READ: isize = pyssl_status::PYSSL_ERROR_WANT_READ as isize;
const WANT_WRITE: isize = pyssl_status::PYSSL_ERROR_WANT_WRITE as isize;

fn ctxs(compat: i32) -> (*mut pyssl_context, *mut pyssl_context) {
    let c = common::certs();
    let cctx = pyssl_context_new_compat(PYSSL_PROTOCOL_TLS_CLIENT, compat);
    assert_eq!(
        pyssl_context_load_verify_locations(cctx, c.path("ca.pem").as_ptr(), std::ptr::null()),
        0
    );
    let sctx = pyssl_context_new_compat(PYSSL_PROTOCOL_TLS_SERVER, compat);
    // The server's chain from memory: its certificate, then the CA's.
    let mut chain = std::fs::read(c.dir.join("server.pem")).unwrap();
    chain.extend(std::fs::read(c.dir.join("ca.pem")).unwrap());
    let key = std::fs::read(c.dir.join("server.key")).unwrap();
    assert_eq!(
        pyssl_context_load_cert_chain_data(
            sctx,
            chain.as_ptr().cast(),
            chain.len(),
            key.as_ptr().cast(),
            key.len(),
            std::ptr::null()
        ),
        0
    );
    (cctx, sctx)
}

fn err_type() -> String {
    // SAFETY: valid until the next failing call.
    unsafe { CStr::from_ptr(pyssl_error_type()) }
        .to_string_lossy()
        .into_owned()
}

fn err_message() -> String {
    // SAFETY: as above.
    let m = unsafe { CStr::from_ptr(pyssl_error_message()) }.to_string_lossy();
    match m.rfind(" (") {
        Some(i) if m.ends_with(')') => m[..i].to_owned(),
        _ => m.into_owned(),
    }
}

/// The host's side of a pumped connection: what the client wrote and what
/// it may read, a write capacity (to make writes block) and an EOF flag.
#[derive(Default)]
struct Pipe {
    to_server: Mutex<Vec<u8>>,
    to_client: Mutex<Vec<u8>>,
    capacity: usize,
    eof: std::sync::atomic::AtomicBool,
    /// Set: the read callback reports this errno instead.
    fail_errno: AtomicIsize,
    reads: AtomicUsize,
    want_reads: AtomicUsize,
    want_writes: AtomicUsize,
    /// A socket the read callback calls pyssl_read on (reentrancy).
    reenter: AtomicPtr<pyssl_socket>,
    reentered: AtomicIsize,
}

extern "C" fn pipe_read(user: *mut c_void, buf: *mut c_void, len: usize) -> isize {
    // SAFETY: user is the test's Pipe, alive while the socket is.
    let p = unsafe { &*(user as *const Pipe) };
    p.reads.fetch_add(1, Ordering::SeqCst);
    let s = p.reenter.swap(std::ptr::null_mut(), Ordering::SeqCst);
    if !s.is_null() {
        let mut b = [0u8; 16];
        p.reentered.store(
            pyssl_read(s, b.as_mut_ptr().cast(), b.len()),
            Ordering::SeqCst,
        );
    }
    let e = p.fail_errno.load(Ordering::SeqCst);
    if e != 0 {
        // SAFETY: sets this thread's errno.
        unsafe { *libc::__errno_location() = e as i32 };
        return -1;
    }
    let mut q = p.to_client.lock().unwrap();
    if q.is_empty() {
        if p.eof.load(Ordering::SeqCst) {
            return 0;
        }
        p.want_reads.fetch_add(1, Ordering::SeqCst);
        return WANT_READ;
    }
    let n = len.min(q.len());
    // SAFETY: the socket gives `len` writable bytes at buf.
    unsafe { std::ptr::copy_nonoverlapping(q.as_ptr(), buf.cast::<u8>(), n) };
    q.drain(..n);
    n as isize
}

extern "C" fn pipe_write(user: *mut c_void, buf: *const c_void, len: usize) -> isize {
    // SAFETY: as in pipe_read.
    let p = unsafe { &*(user as *const Pipe) };
    let mut q = p.to_server.lock().unwrap();
    let room = p.capacity.saturating_sub(q.len());
    if room == 0 {
        p.want_writes.fetch_add(1, Ordering::SeqCst);
        return WANT_WRITE;
    }
    let n = len.min(room);
    // SAFETY: the socket gives `len` readable bytes at buf.
    q.extend_from_slice(unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), n) });
    n as isize
}

/// A callback client and a memory-BIO server, pumped by [`Pumped::pump`].
struct Pumped {
    pipe: Box<Pipe>,
    client: *mut pyssl_socket,
    server: *mut pyssl_socket,
    s_in: *mut pyssl_memory_bio,
    s_out: *mut pyssl_memory_bio,
    ctxs: (*mut pyssl_context, *mut pyssl_context),
}

impl Pumped {
    fn new(compat: i32, capacity: usize) -> Pumped {
        let ctxs = ctxs(compat);
        let pipe = Box::new(Pipe {
            capacity,
            ..Default::default()
        });
        let client = pyssl_socket_new_cbs(
            ctxs.0,
            Some(pipe_read),
            Some(pipe_write),
            &*pipe as *const Pipe as *mut c_void,
            0,
            c"localhost".as_ptr(),
        );
        assert!(!client.is_null());
        let (s_in, s_out) = (pyssl_memory_bio_new(), pyssl_memory_bio_new());
        let server = pyssl_socket_new_bio(ctxs.1, s_in, s_out, 1, std::ptr::null());
        assert!(!server.is_null());
        Pumped {
            pipe,
            client,
            server,
            s_in,
            s_out,
            ctxs,
        }
    }

    /// Moves the bytes between the client's pipe and the server's BIOs.
    fn pump(&self) {
        let mut q = self.pipe.to_server.lock().unwrap();
        if !q.is_empty() {
            assert_eq!(
                pyssl_memory_bio_write(self.s_in, q.as_ptr().cast(), q.len()),
                q.len() as isize
            );
            q.clear();
        }
        let mut buf = vec![0u8; 65536];
        let n = pyssl_memory_bio_read(self.s_out, buf.as_mut_ptr().cast(), buf.len());
        assert!(n >= 0);
        self.pipe
            .to_client
            .lock()
            .unwrap()
            .extend_from_slice(&buf[..n as usize]);
    }

    fn handshake(&self) {
        let (mut c, mut s) = (WANT_READ as i32, WANT_READ as i32);
        for _ in 0..200 {
            if c != 0 {
                c = pyssl_do_handshake(self.client);
                assert!(
                    c == 0 || c == WANT_READ as i32 || c == WANT_WRITE as i32,
                    "{c}"
                );
            }
            self.pump();
            if s != 0 {
                s = pyssl_do_handshake(self.server);
                assert!(s == 0 || s == WANT_READ as i32, "{s} {}", err_message());
            }
            self.pump();
            if c == 0 && s == 0 {
                return;
            }
        }
        panic!("handshake did not finish: client {c}, server {s}");
    }
}

impl Drop for Pumped {
    fn drop(&mut self) {
        pyssl_socket_free(self.client);
        pyssl_socket_free(self.server);
        pyssl_memory_bio_free(self.s_in);
        pyssl_memory_bio_free(self.s_out);
        pyssl_context_free(self.ctxs.0);
        pyssl_context_free(self.ctxs.1);
    }
}

#[test]
fn callback_client_talks_to_a_memory_bio_server() {
    for compat in [PYSSL_COMPAT_3_11, PYSSL_COMPAT_3_14] {
        let p = Pumped::new(compat, 1 << 20);
        p.handshake();
        assert!(p.pipe.want_reads.load(Ordering::SeqCst) > 0);
        // SAFETY: a static string.
        let v = unsafe { CStr::from_ptr(pyssl_socket_version(p.client)) };
        assert_eq!(v.to_str().unwrap(), "TLSv1.3");
        // The chain loaded from memory reached the client: leaf and CA.
        let mut list = std::ptr::null_mut();
        assert_eq!(pyssl_socket_get_chain(p.client, 0, &mut list), 0);
        assert_eq!(pyssl_cert_list_len(list), 2);
        pyssl_cert_list_free(list);
        // Data both ways.
        assert_eq!(pyssl_write(p.client, b"ping".as_ptr().cast(), 4), 4);
        p.pump();
        let mut buf = [0u8; 64];
        assert_eq!(pyssl_read(p.server, buf.as_mut_ptr().cast(), buf.len()), 4);
        assert_eq!(&buf[..4], b"ping");
        assert_eq!(pyssl_write(p.server, b"pong!".as_ptr().cast(), 5), 5);
        assert_eq!(
            pyssl_read(p.client, buf.as_mut_ptr().cast(), buf.len()),
            WANT_READ
        );
        assert_eq!(err_type(), "SSLWantReadError");
        p.pump();
        assert_eq!(pyssl_read(p.client, buf.as_mut_ptr().cast(), buf.len()), 5);
        assert_eq!(&buf[..5], b"pong!");
        // A clean close: close_notify both ways, then b''.
        assert_eq!(pyssl_shutdown(p.server), WANT_READ as i32);
        p.pump();
        assert_eq!(pyssl_read(p.client, buf.as_mut_ptr().cast(), buf.len()), 0);
    }
}

#[test]
fn blocked_writes_return_want_write_until_drained() {
    let p = Pumped::new(PYSSL_COMPAT_3_14, 64);
    p.handshake();
    assert!(p.pipe.want_writes.load(Ordering::SeqCst) > 0);
    let data = vec![7u8; 50_000];
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    let mut wants = 0;
    // Everything the server can read now.
    let mut drain = |got: &mut Vec<u8>| loop {
        let n = pyssl_read(p.server, buf.as_mut_ptr().cast(), buf.len());
        if n <= 0 {
            break;
        }
        got.extend_from_slice(&buf[..n as usize]);
    };
    loop {
        let r = pyssl_write(p.client, data.as_ptr().cast(), data.len());
        if r == data.len() as isize {
            break;
        }
        assert_eq!(r, WANT_WRITE, "{}", err_message());
        assert_eq!(err_type(), "SSLWantWriteError");
        wants += 1;
        p.pump();
        drain(&mut got);
    }
    assert!(wants > 10);
    p.pump();
    drain(&mut got);
    assert_eq!(got, data);
}

#[test]
fn errno_failures_are_oserrors() {
    for (compat, read_type) in [
        // 3.11 reports a failed SSL_read_ex (ret 0) as an EOF, as CPython.
        (PYSSL_COMPAT_3_11, "SSLEOFError"),
        (PYSSL_COMPAT_3_14, "ConnectionResetError"),
    ] {
        let p = Pumped::new(compat, 1 << 20);
        p.handshake();
        p.pipe
            .fail_errno
            .store(libc::ECONNRESET as isize, Ordering::SeqCst);
        let mut buf = [0u8; 16];
        let r = pyssl_read(p.client, buf.as_mut_ptr().cast(), buf.len());
        assert!(r < 0);
        assert_eq!(err_type(), read_type);
        if read_type == "ConnectionResetError" {
            assert_eq!(r, pyssl_status::PYSSL_ERROR_OS as isize);
            assert_eq!(pyssl_error_errno(), libc::ECONNRESET);
            assert_eq!(err_message(), "[Errno 104] Connection reset by peer");
        }
        // In the handshake, SSL_do_handshake returns -1: an OSError in both.
        let q = Pumped::new(compat, 1 << 20);
        q.pipe
            .fail_errno
            .store(libc::EPIPE as isize, Ordering::SeqCst);
        assert_eq!(
            pyssl_do_handshake(q.client),
            pyssl_status::PYSSL_ERROR_OS as i32
        );
        assert_eq!(err_type(), "BrokenPipeError");
        assert_eq!(err_message(), "[Errno 32] Broken pipe");
    }
}

#[test]
fn a_callback_reentering_its_socket_gets_reentrancy() {
    let p = Pumped::new(PYSSL_COMPAT_3_14, 1 << 20);
    p.pipe.reenter.store(p.client, Ordering::SeqCst);
    p.handshake();
    assert_eq!(
        p.pipe.reentered.load(Ordering::SeqCst),
        pyssl_status::PYSSL_ERROR_REENTRANCY as isize
    );
    // The socket is still fine.
    assert_eq!(pyssl_write(p.client, b"x".as_ptr().cast(), 1), 1);
}

#[test]
fn null_callbacks_are_rejected() {
    let (cctx, sctx) = ctxs(PYSSL_COMPAT_3_14);
    let bad = pyssl_status::PYSSL_ERROR_BAD_ARGUMENT as i32;
    let host = c"localhost".as_ptr();
    let null = std::ptr::null_mut();
    for (r, w, h, status) in [
        (None, Some(pipe_write as _), host, bad),
        (Some(pipe_read as _), None, host, bad),
        // ssl.py's checks apply as for the other constructors.
        (
            Some(pipe_read as _),
            Some(pipe_write as _),
            std::ptr::null(),
            pyssl_status::PYSSL_ERROR_VALUE as i32,
        ),
    ] {
        assert!(pyssl_socket_new_cbs(cctx, r, w, null, 0, h).is_null());
        assert_eq!(pyssl_error_status(), status);
    }
    assert_eq!(err_message(), "check_hostname requires server_hostname");
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
}

// ---------------------------------------------------------------------------
// Against an fd socket: the same peer behaviour seen through callbacks
// (doing recv/send on the fd) and through pyssl_socket_new.

/// The fd the callbacks use.
extern "C" fn fd_read(user: *mut c_void, buf: *mut c_void, len: usize) -> isize {
    let fd = user as usize as RawFd;
    // SAFETY: `len` writable bytes at buf.
    would_block(unsafe { libc::recv(fd, buf, len, 0) }, WANT_READ)
}

/// `r`, or `want` for an EAGAIN failure.
fn would_block(r: isize, want: isize) -> isize {
    let eagain = std::io::Error::last_os_error().raw_os_error() == Some(libc::EAGAIN);
    if r < 0 && eagain {
        want
    } else {
        r
    }
}

extern "C" fn fd_write(user: *mut c_void, buf: *const c_void, len: usize) -> isize {
    let fd = user as usize as RawFd;
    // SAFETY: `len` readable bytes at buf.
    would_block(
        unsafe { libc::send(fd, buf, len, libc::MSG_NOSIGNAL) },
        WANT_WRITE,
    )
}

/// A client over callbacks doing recv/send on `fd`.
fn fd_client(ctx: *mut pyssl_context, fd: RawFd) -> *mut pyssl_socket {
    let user = fd as usize as *mut c_void;
    pyssl_socket_new_cbs(
        ctx,
        Some(fd_read),
        Some(fd_write),
        user,
        0,
        c"localhost".as_ptr(),
    )
}

/// Runs a client against a blocking pyssl fd server in a thread that
/// handshakes, echoes one message, then ends as `server_end` says; returns
/// what the client saw at each step.
fn scenario(compat: i32, over_callbacks: bool, server_end: &'static str) -> Vec<String> {
    let (cctx, sctx) = ctxs(compat);
    let (a, b) = common::socketpair();
    let sctx_p = sctx as usize;
    let server = std::thread::spawn(move || {
        let s = pyssl_socket_new(sctx_p as *mut pyssl_context, b, 1, std::ptr::null());
        assert_eq!(pyssl_do_handshake(s), 0, "{}", err_message());
        let mut buf = [0u8; 64];
        let n = pyssl_read(s, buf.as_mut_ptr().cast(), buf.len());
        assert_eq!(pyssl_write(s, buf.as_ptr().cast(), n as usize), n);
        match server_end {
            "close_notify" => {
                // Sends close_notify without waiting for the client's.
                assert_eq!(pyssl_socket_set_timeout(s, 0.0), 0);
                let _ = pyssl_shutdown(s);
            }
            "ragged" => {}
            // Closes with the client's next record unread: a reset.
            "reset" => {
                let mut pfd = libc::pollfd {
                    fd: b,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                assert_eq!(unsafe { libc::poll(&mut pfd, 1, 5000) }, 1);
            }
            _ => unreachable!(),
        }
        pyssl_socket_free(s);
        common::close(b);
    });
    let c = if over_callbacks {
        fd_client(cctx, a)
    } else {
        pyssl_socket_new(cctx, a, 0, c"localhost".as_ptr())
    };
    assert!(!c.is_null());
    let mut seen = Vec::new();
    let mut step = |r: isize| {
        seen.push(if r >= 0 {
            format!("{r}")
        } else {
            format!("{r} {} {}", err_type(), err_message())
        })
    };
    step(pyssl_do_handshake(c) as isize);
    step(pyssl_write(c, b"hello".as_ptr().cast(), 5));
    let mut buf = [0u8; 64];
    step(pyssl_read(c, buf.as_mut_ptr().cast(), buf.len()));
    if server_end == "reset" {
        step(pyssl_write(c, b"more".as_ptr().cast(), 4));
    }
    server.join().unwrap();
    step(pyssl_read(c, buf.as_mut_ptr().cast(), buf.len()));
    step(pyssl_read(c, buf.as_mut_ptr().cast(), buf.len()));
    pyssl_socket_free(c);
    common::close(a);
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
    seen
}

/// OpenSSL 3.2's record layer (seen on 3.5 and 3.6) reports some failures
/// differently from 3.0's.
fn new_record_layer() -> bool {
    pyssl_openssl_version_number() >= 0x3020_0000
}

/// What a record that does not decrypt reads as on the running OpenSSL.
fn bad_record_text() -> &'static str {
    if new_record_layer() {
        "[SSL: RECORD_LAYER_FAILURE] record layer failure"
    } else {
        "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed or bad record mac"
    }
}

#[test]
fn eofs_are_an_fd_sockets() {
    for compat in [PYSSL_COMPAT_3_11, PYSSL_COMPAT_3_13, PYSSL_COMPAT_3_14] {
        for end in ["close_notify", "ragged", "reset"] {
            let fd = scenario(compat, false, end);
            let cb = scenario(compat, true, end);
            println!("{compat} {end}: {cb:?}");
            assert_eq!(cb, fd, "compat {compat}, {end}");
        }
    }
    // The texts themselves, 3.14: a ragged EOF is SSLEOFError; from
    // OpenSSL 3.2 on, the alert OpenSSL then fails to send to the closed
    // socketpair comes first (CPython 3.13/3.14 on trixie's OpenSSL 3.5
    // raise the same BrokenPipeError).
    let cb = scenario(PYSSL_COMPAT_3_14, true, "ragged");
    let want = if new_record_layer() {
        "-12 BrokenPipeError [Errno 32] Broken pipe"
    } else {
        "-8 SSLEOFError [SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol"
    };
    assert_eq!(cb[3], want);
}

#[test]
fn a_nonblocking_fd_under_callbacks_loops_on_want_read() {
    let (cctx, sctx) = ctxs(PYSSL_COMPAT_3_14);
    let (a, b) = common::socketpair();
    // SAFETY: test-owned fd.
    unsafe { libc::fcntl(a, libc::F_SETFL, libc::O_NONBLOCK) };
    let sctx_p = sctx as usize;
    // The server starts once the client's first call has come back, so
    // that this call cannot find the server's answer already there.
    let (go, started) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        started.recv().unwrap();
        let s = pyssl_socket_new(sctx_p as *mut pyssl_context, b, 1, std::ptr::null());
        assert_eq!(pyssl_do_handshake(s), 0);
        let mut buf = [0u8; 64];
        let n = pyssl_read(s, buf.as_mut_ptr().cast(), buf.len());
        assert_eq!(pyssl_write(s, buf.as_ptr().cast(), n as usize), n);
        pyssl_socket_free(s);
        common::close(b);
    });
    let c = fd_client(cctx, a);
    let wait = || {
        let mut pfd = libc::pollfd {
            fd: a,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, 5000) };
    };
    assert_eq!(pyssl_do_handshake(c) as isize, WANT_READ);
    go.send(()).unwrap();
    let mut wants = 1;
    loop {
        match pyssl_do_handshake(c) as isize {
            0 => break,
            WANT_READ => {
                wants += 1;
                wait()
            }
            r => panic!("{r} {}", err_message()),
        }
    }
    assert!(wants > 0);
    assert_eq!(pyssl_write(c, b"abc".as_ptr().cast(), 3), 3);
    let mut buf = [0u8; 8];
    let n = loop {
        match pyssl_read(c, buf.as_mut_ptr().cast(), buf.len()) {
            WANT_READ => wait(),
            n => break n,
        }
    };
    assert_eq!(n, 3);
    server.join().unwrap();
    pyssl_socket_free(c);
    common::close(a);
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
}

// ---------------------------------------------------------------------------
// The core's transport: panics and impossible counts.

struct Broken {
    panic: bool,
}

impl HostTransport for Broken {
    fn read(&self, buf: &mut [u8]) -> HostIo {
        if self.panic {
            panic!("transport bug");
        }
        HostIo::Done(buf.len() + 1)
    }
    fn write(&self, buf: &[u8]) -> HostIo {
        HostIo::Done(buf.len())
    }
}

#[test]
fn a_broken_transport_is_an_eio() {
    let ctx = pyssl::context::Context::new(PYSSL_PROTOCOL_TLS_CLIENT, Default::default()).unwrap();
    for panic in [true, false] {
        let t = Arc::new(Broken { panic });
        let s = pyssl::socket::Socket::new_host(&ctx, t, false, Some(c"localhost")).unwrap();
        let e = s.do_handshake().unwrap_err();
        assert_eq!(e.exc_type, "OSError");
        assert_eq!(e.errno, Some(libc::EIO));
    }
}

// ---------------------------------------------------------------------------
// pyssl_socket_handshake_done: survives the failure that makes version()
// None again (CPython's version() after a failed read, checked against
// python3.11: None).

#[test]
fn handshake_done_survives_a_later_failure() {
    let p = Pumped::new(PYSSL_COMPAT_3_14, 1 << 20);
    assert_eq!(pyssl_socket_handshake_done(p.client), 0);
    p.handshake();
    assert_eq!(pyssl_socket_handshake_done(p.client), 1);
    assert_eq!(pyssl_socket_handshake_done(p.server), 1);
    // A record that does not decrypt: a fatal error.
    let mut bogus = vec![0x17, 0x03, 0x03, 0x00, 0x20];
    bogus.extend([b'x'; 32]);
    p.pipe.to_client.lock().unwrap().extend(bogus);
    let mut buf = [0u8; 16];
    assert!(pyssl_read(p.client, buf.as_mut_ptr().cast(), buf.len()) < 0);
    assert_eq!(err_message(), bad_record_text());
    assert!(pyssl_socket_version(p.client).is_null());
    assert_eq!(pyssl_socket_handshake_done(p.client), 1);
    // A failed handshake never completed.
    let q = Pumped::new(PYSSL_COMPAT_3_14, 1 << 20);
    q.pipe
        .fail_errno
        .store(libc::EPIPE as isize, Ordering::SeqCst);
    assert!(pyssl_do_handshake(q.client) < 0);
    assert_eq!(pyssl_socket_handshake_done(q.client), 0);
    assert_eq!(
        pyssl_socket_handshake_done(std::ptr::null()),
        pyssl_status::PYSSL_ERROR_BAD_ARGUMENT as i32
    );
}

// ---------------------------------------------------------------------------
// pyssl_error_take: an owned error outlives later failures.

fn cstr(p: *const std::ffi::c_char) -> Option<String> {
    // SAFETY: NULL or a NUL-terminated string valid for this call.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// Field for field what the thread's accessors say.
fn same_as_last(e: *const pyssl_error) {
    assert_eq!(cstr(pyssl_error_get_type(e)), cstr(pyssl_error_type()));
    assert_eq!(
        cstr(pyssl_error_get_message(e)),
        cstr(pyssl_error_message())
    );
    assert_eq!(pyssl_error_get_status(e), pyssl_error_status());
    assert_eq!(pyssl_error_get_errno(e), pyssl_error_errno());
    assert_eq!(pyssl_error_get_has_errno(e), pyssl_error_has_errno());
    assert_eq!(
        cstr(pyssl_error_get_strerror(e)),
        cstr(pyssl_error_strerror())
    );
    assert_eq!(
        cstr(pyssl_error_get_library(e)),
        cstr(pyssl_error_library())
    );
    assert_eq!(cstr(pyssl_error_get_reason(e)), cstr(pyssl_error_reason()));
    assert_eq!(pyssl_error_get_lib_code(e), pyssl_error_lib_code());
    assert_eq!(pyssl_error_get_reason_code(e), pyssl_error_reason_code());
    assert_eq!(pyssl_error_get_verify_code(e), pyssl_error_verify_code());
    assert_eq!(
        cstr(pyssl_error_get_verify_message(e)),
        cstr(pyssl_error_verify_message())
    );
}

#[test]
fn a_taken_error_outlives_later_calls() {
    pyssl_error_clear();
    assert!(pyssl_error_take().is_null());
    // A verification failure: the client trusts nothing.
    let p = Pumped::new(PYSSL_COMPAT_3_14, 1 << 20);
    let bare = pyssl_context_new(PYSSL_PROTOCOL_TLS_CLIENT);
    let pipe = Box::new(Pipe {
        capacity: 1 << 20,
        ..Default::default()
    });
    let c = pyssl_socket_new_cbs(
        bare,
        Some(pipe_read),
        Some(pipe_write),
        &*pipe as *const Pipe as *mut c_void,
        0,
        c"localhost".as_ptr(),
    );
    let mut r = 0;
    let mut e = std::ptr::null_mut();
    for _ in 0..10 {
        r = pyssl_do_handshake(c);
        if r != WANT_READ as i32 {
            // Taken before the server's failure (the alert) replaces it.
            e = pyssl_error_take();
            same_as_last(e);
        }
        // Pump by hand between this client's pipe and p's server.
        let mut q = pipe.to_server.lock().unwrap();
        pyssl_memory_bio_write(p.s_in, q.as_ptr().cast(), q.len());
        q.clear();
        drop(q);
        let _ = pyssl_do_handshake(p.server);
        let mut buf = vec![0u8; 65536];
        let n = pyssl_memory_bio_read(p.s_out, buf.as_mut_ptr().cast(), buf.len());
        pipe.to_client
            .lock()
            .unwrap()
            .extend_from_slice(&buf[..n as usize]);
        if r != WANT_READ as i32 {
            break;
        }
    }
    assert_eq!(r, pyssl_status::PYSSL_ERROR_SSL as i32);
    assert!(!e.is_null());
    // The server's failure (it got the client's alert) is the thread's now.
    assert_eq!(
        cstr(pyssl_error_message())
            .as_deref()
            .map(|m| m.starts_with("[SSL: TLSV1_ALERT_UNKNOWN_CA]")),
        Some(true)
    );
    assert_eq!(
        cstr(pyssl_error_get_type(e)).as_deref(),
        Some("SSLCertVerificationError")
    );
    let args = pyssl_error_get_args(e);
    assert!(!args.is_null());
    pyssl_value_free(args);
    // Later failures replace the thread's error, not the owned one.
    let mut buf = [0u8; 4];
    assert!(pyssl_read(c, buf.as_mut_ptr().cast(), 4) < 0);
    assert!(pyssl_socket_handshake_done(std::ptr::null()) < 0);
    assert_eq!(
        pyssl_error_status(),
        pyssl_status::PYSSL_ERROR_BAD_ARGUMENT as i32
    );
    assert_eq!(
        cstr(pyssl_error_get_type(e)).as_deref(),
        Some("SSLCertVerificationError")
    );
    // The server sends its CA too (its chain was loaded from memory).
    assert_eq!(pyssl_error_get_verify_code(e), 19);
    assert_eq!(
        cstr(pyssl_error_get_verify_message(e)).as_deref(),
        Some("self-signed certificate in certificate chain")
    );
    assert_eq!(
        pyssl_error_get_status(e),
        pyssl_status::PYSSL_ERROR_SSL as i32
    );
    pyssl_error_free(e);
    pyssl_error_free(std::ptr::null_mut());
    // A bad handle: NULL, and the thread's error says why.
    assert!(pyssl_error_get_type(std::ptr::null()).is_null());
    assert_eq!(
        pyssl_error_status(),
        pyssl_status::PYSSL_ERROR_BAD_ARGUMENT as i32
    );
    pyssl_socket_free(c);
    pyssl_context_free(bare);
}

// ---------------------------------------------------------------------------
// The ssl.py helpers.

#[test]
fn read_ragged_suppresses_only_ragged_eofs() {
    let p = Pumped::new(PYSSL_COMPAT_3_14, 1 << 20);
    p.handshake();
    let mut buf = [0u8; 16];
    let len = buf.len();
    // Nothing yet: a WANT_READ is not suppressed.
    assert_eq!(
        pyssl_read_ragged(p.client, buf.as_mut_ptr().cast(), len),
        WANT_READ
    );
    p.pipe.eof.store(true, Ordering::SeqCst);
    assert_eq!(
        pyssl_read(p.client, buf.as_mut_ptr().cast(), len),
        pyssl_status::PYSSL_ERROR_EOF as isize
    );
    pyssl_error_clear();
    assert_eq!(pyssl_read_ragged(p.client, buf.as_mut_ptr().cast(), len), 0);
    // The suppressed error is not recorded.
    assert_eq!(pyssl_error_status(), 0);
    // Other failures pass through.
    let q = Pumped::new(PYSSL_COMPAT_3_14, 1 << 20);
    q.handshake();
    q.pipe
        .fail_errno
        .store(libc::ECONNRESET as isize, Ordering::SeqCst);
    assert_eq!(
        pyssl_read_ragged(q.client, buf.as_mut_ptr().cast(), len),
        pyssl_status::PYSSL_ERROR_OS as isize
    );
}

#[test]
fn sendall_sends_everything() {
    let p = Pumped::new(PYSSL_COMPAT_3_14, 1 << 20);
    p.handshake();
    let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    assert_eq!(pyssl_sendall(p.client, data.as_ptr().cast(), data.len()), 0);
    p.pump();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    while got.len() < data.len() {
        let n = pyssl_read(p.server, buf.as_mut_ptr().cast(), buf.len());
        assert!(n > 0, "{n}");
        got.extend_from_slice(&buf[..n as usize]);
    }
    assert_eq!(got, data);
    // A blocked transport: the failure is returned, as ssl.py raises it.
    let q = Pumped::new(PYSSL_COMPAT_3_14, 64);
    q.handshake();
    assert_eq!(
        pyssl_sendall(q.client, data.as_ptr().cast(), data.len()),
        WANT_WRITE as i32
    );
    assert_eq!(
        pyssl_sendall(q.client, std::ptr::null(), 5),
        pyssl_status::PYSSL_ERROR_BAD_ARGUMENT as i32
    );
}

// ---------------------------------------------------------------------------
// Against CPython: a python3.11 ssl server on loopback, a pyssl client over
// callbacks doing recv/send on a TCP socket.

#[test]
fn callback_client_talks_to_a_cpython_server() {
    const PYTHON: &str = "/usr/bin/python3.11";
    if !std::path::Path::new(PYTHON).exists() {
        println!("NOTICE: {PYTHON} is not installed: skipped");
        return;
    }
    let c = common::certs();
    let script = format!(
        "import socket, ssl, sys\n\
         ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
         ctx.load_cert_chain({:?}, {:?})\n\
         ls = socket.create_server(('127.0.0.1', 0))\n\
         print(ls.getsockname()[1], flush=True)\n\
         s, _ = ls.accept()\n\
         t = ctx.wrap_socket(s, server_side=True)\n\
         t.sendall(t.recv(100).upper())\n\
         print(t.version(), flush=True)\n\
         t.unwrap()\n",
        c.dir.join("server.pem").to_str().unwrap(),
        c.dir.join("server.key").to_str().unwrap(),
    );
    let mut child = std::process::Command::new(PYTHON)
        .arg("-c")
        .arg(script)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    let port: u16 = line.trim().parse().unwrap();
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&tcp);
    let (cctx, sctx) = ctxs(PYSSL_COMPAT_3_14);
    let s = fd_client(cctx, fd);
    assert_eq!(pyssl_do_handshake(s), 0, "{}", err_message());
    assert_eq!(pyssl_sendall(s, b"hello".as_ptr().cast(), 5), 0);
    let mut buf = [0u8; 16];
    assert_eq!(pyssl_read(s, buf.as_mut_ptr().cast(), buf.len()), 5);
    assert_eq!(&buf[..5], b"HELLO");
    // Python's unwrap: its close_notify reads as b'', ours completes it.
    assert_eq!(pyssl_read(s, buf.as_mut_ptr().cast(), buf.len()), 0);
    assert_eq!(pyssl_shutdown(s), 0, "{}", err_message());
    line.clear();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert_eq!(line.trim(), "TLSv1.3");
    assert!(child.wait().unwrap().success());
    pyssl_socket_free(s);
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
}
