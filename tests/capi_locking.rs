//! No pyssl lock is held while host code runs.
//!
//! The host here is an interpreter with a global lock, installed through
//! `pyssl_set_host_hooks` as CPython installs its GIL: every thread holds the
//! lock while it calls pyssl, pyssl releases it around OpenSSL calls and
//! `poll()`, and callbacks take it again (CPython's `PyGILState_Ensure`).
//! Each test makes the interleaving that deadlocked or read freed memory
//! before, and fails (instead of hanging) when a call does not come back.

mod common;

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex, Once};
use std::thread;
use std::time::{Duration, Instant};

use pyssl::capi::*;

/// `PYSSL_ERROR_REENTRANCY`.
const REENTRANCY: isize = pyssl_status::PYSSL_ERROR_REENTRANCY as isize;

/// How long a call may take before the test calls it a deadlock.
const STUCK: Duration = Duration::from_secs(20);

/// The host's global lock, with its owner recorded so that the hooks can
/// tell a pyssl call made without it (a mistake of the test) from a real
/// release.
struct HostLock {
    owner: Mutex<Option<thread::ThreadId>>,
    cv: Condvar,
}

static HOST: HostLock = HostLock {
    owner: Mutex::new(None),
    cv: Condvar::new(),
};

/// Set when pyssl released the host lock on a thread that did not hold it.
static MISUSE: AtomicBool = AtomicBool::new(false);

impl HostLock {
    fn acquire(&self) {
        let me = thread::current().id();
        let mut owner = self.owner.lock().unwrap();
        assert_ne!(*owner, Some(me), "host lock taken twice");
        while owner.is_some() {
            owner = self.cv.wait(owner).unwrap();
        }
        *owner = Some(me);
    }
    fn release(&self) {
        *self.owner.lock().unwrap() = None;
        self.cv.notify_all();
    }
    fn held_here(&self) -> bool {
        *self.owner.lock().unwrap() == Some(thread::current().id())
    }
}

/// Runs `f` as a host thread: with the host lock held.
fn host<R>(f: impl FnOnce() -> R) -> R {
    HOST.acquire();
    let r = f();
    HOST.release();
    r
}

thread_local! {
    /// Set on a thread whose next reacquire must wait for [`RENDEZVOUS`].
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

/// 0 idle, 1 the armed thread is about to take the host lock back, 2 the
/// other thread has taken it first.
static RENDEZVOUS: (Mutex<u8>, Condvar) = (Mutex::new(0), Condvar::new());

fn wait_for(state: u8) {
    let (m, cv) = &RENDEZVOUS;
    let g = m.lock().unwrap();
    let (g, t) = cv.wait_timeout_while(g, STUCK, |s| *s != state).unwrap();
    assert!(!t.timed_out(), "rendezvous state {state} never reached");
    drop(g);
}

fn set_state(state: u8) {
    let (m, cv) = &RENDEZVOUS;
    *m.lock().unwrap() = state;
    cv.notify_all();
}

extern "C" fn release(_: *mut c_void) -> *mut c_void {
    if !HOST.held_here() {
        MISUSE.store(true, Ordering::SeqCst);
        return std::ptr::null_mut();
    }
    HOST.release();
    1usize as *mut c_void
}

extern "C" fn reacquire(_: *mut c_void, token: *mut c_void) {
    if token.is_null() {
        return;
    }
    if ARMED.with(|a| a.replace(false)) {
        // Let the other thread take the host lock while this one is between
        // its OpenSSL call and getting the lock back.
        set_state(1);
        wait_for(2);
    }
    HOST.acquire();
}

/// Every pyssl call of this file is made with the host lock held.
fn assert_no_misuse() {
    assert!(
        !MISUSE.load(Ordering::SeqCst),
        "a pyssl call released the host lock on a thread that did not hold it"
    );
}

static HOOKS: Once = Once::new();

fn install_hooks() {
    HOOKS.call_once(|| {
        let hooks = pyssl_host_hooks {
            release: Some(release),
            reacquire: Some(reacquire),
            check_interrupt: None,
            userdata: std::ptr::null_mut(),
        };
        assert_eq!(pyssl_set_host_hooks(&hooks), 0);
    });
}

/// One rendezvous at a time: the tests of this file run in parallel.
static SERIAL: Mutex<()> = Mutex::new(());

/// Thread A runs `a` with the host lock; when pyssl inside `a` has released
/// the host lock and wants it back, thread B takes it and runs `b`. Before
/// the fix, `a` still held a pyssl lock there that `b` waits for: both
/// threads hung. Returns both results.
fn interleave<A, B>(
    a: impl FnOnce() -> A + Send + 'static,
    b: impl FnOnce() -> B + Send + 'static,
) -> (A, B)
where
    A: Send + 'static,
    B: Send + 'static,
{
    install_hooks();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    set_state(0);
    // Plain threads, not scoped ones: after a deadlock the test must fail,
    // not wait for them.
    let (ta, ra) = mpsc::channel();
    let (tb, rb) = mpsc::channel();
    thread::spawn(move || {
        let r = host(|| {
            ARMED.with(|x| x.set(true));
            let r = a();
            ARMED.with(|x| x.set(false));
            r
        });
        let _ = ta.send(r);
    });
    thread::spawn(move || {
        wait_for(1);
        HOST.acquire();
        set_state(2);
        let r = b();
        HOST.release();
        let _ = tb.send(r);
    });
    let rb = rb
        .recv_timeout(STUCK)
        .expect("deadlock: the call made under the host lock never returned");
    let ra = ra
        .recv_timeout(STUCK)
        .expect("deadlock: the call that released the host lock never returned");
    (ra, rb)
}

fn certs() -> &'static common::Certs {
    common::certs()
}

fn client_ctx() -> *mut pyssl_context {
    install_hooks();
    host(client_ctx_locked)
}

fn client_ctx_locked() -> *mut pyssl_context {
    let c = certs();
    let ctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_CLIENT);
    assert!(!ctx.is_null());
    assert_eq!(
        pyssl_context_load_verify_locations(ctx, c.path("ca.pem").as_ptr(), std::ptr::null()),
        0
    );
    ctx
}

fn server_ctx() -> *mut pyssl_context {
    install_hooks();
    host(server_ctx_locked)
}

fn server_ctx_locked() -> *mut pyssl_context {
    let c = certs();
    let ctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_SERVER);
    assert!(!ctx.is_null());
    assert_eq!(
        pyssl_context_load_cert_chain(
            ctx,
            c.path("server.pem").as_ptr(),
            c.path("server.key").as_ptr(),
            std::ptr::null()
        ),
        0
    );
    ctx
}

/// Raw pointers cross threads in these tests; pyssl's handles are thread-safe.
struct P<T>(*mut T);
impl<T> Clone for P<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for P<T> {}
impl<T> P<T> {
    /// The pointer (a method, so closures capture the whole `P`).
    fn get(self) -> *mut T {
        self.0
    }
}
// SAFETY: pyssl handles may be used from any thread.
unsafe impl<T> Send for P<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for P<T> {}

/// A client and a server `SSLObject` over memory BIOs.
struct BioPair {
    c_in: P<pyssl_memory_bio>,
    c_out: P<pyssl_memory_bio>,
    s_in: P<pyssl_memory_bio>,
    s_out: P<pyssl_memory_bio>,
    client: P<pyssl_socket>,
    server: P<pyssl_socket>,
}

impl BioPair {
    fn new(cctx: *mut pyssl_context, sctx: *mut pyssl_context) -> BioPair {
        let bios: Vec<_> = (0..4).map(|_| pyssl_memory_bio_new()).collect();
        assert!(bios.iter().all(|b| !b.is_null()));
        let client = pyssl_socket_new_bio(cctx, bios[0], bios[1], 0, c"localhost".as_ptr());
        let server = pyssl_socket_new_bio(sctx, bios[2], bios[3], 1, std::ptr::null());
        assert!(!client.is_null() && !server.is_null());
        BioPair {
            c_in: P(bios[0]),
            c_out: P(bios[1]),
            s_in: P(bios[2]),
            s_out: P(bios[3]),
            client: P(client),
            server: P(server),
        }
    }

    /// With the host lock held.
    fn new_locked(cctx: *mut pyssl_context, sctx: *mut pyssl_context) -> BioPair {
        host(|| BioPair::new(cctx, sctx))
    }

    /// Moves what `from` wrote into `to`; the byte count.
    fn pump(from: P<pyssl_memory_bio>, to: P<pyssl_memory_bio>) -> usize {
        let mut buf = vec![0u8; 65536];
        let mut total = 0;
        loop {
            let n = pyssl_memory_bio_read(from.get(), buf.as_mut_ptr().cast(), buf.len());
            assert!(n >= 0, "memory_bio_read: {}", error_text());
            if n == 0 {
                return total;
            }
            let w = pyssl_memory_bio_write(to.get(), buf.as_ptr().cast(), n as usize);
            assert_eq!(w, n, "memory_bio_write: {}", error_text());
            total += n as usize;
        }
    }

    /// Runs both handshakes to completion on this thread.
    fn handshake(&self) -> Result<(), String> {
        let (mut c_done, mut s_done) = (false, false);
        for _ in 0..100 {
            if !c_done {
                match pyssl_do_handshake(self.client.get()) {
                    0 => c_done = true,
                    -2 | -3 => {}
                    _ => return Err(format!("client: {}", error_text())),
                }
            }
            Self::pump(self.c_out, self.s_in);
            if !s_done {
                match pyssl_do_handshake(self.server.get()) {
                    0 => s_done = true,
                    -2 | -3 => {}
                    _ => return Err(format!("server: {}", error_text())),
                }
            }
            Self::pump(self.s_out, self.c_in);
            if c_done && s_done {
                return Ok(());
            }
        }
        Err("handshake did not finish".into())
    }
}

impl Drop for BioPair {
    /// Call with the host lock held.
    fn drop(&mut self) {
        pyssl_socket_free(self.client.get());
        pyssl_socket_free(self.server.get());
        for b in [self.c_in, self.c_out, self.s_in, self.s_out] {
            pyssl_memory_bio_free(b.get());
        }
    }
}

fn error_text() -> String {
    let t = pyssl_error_type();
    let m = pyssl_error_message();
    if t.is_null() {
        return "(no error)".into();
    }
    // SAFETY: pyssl's strings are NUL-terminated and valid until the next
    // failing call on this thread.
    unsafe {
        format!(
            "{}: {}",
            std::ffi::CStr::from_ptr(t).to_string_lossy(),
            if m.is_null() {
                "".into()
            } else {
                std::ffi::CStr::from_ptr(m).to_string_lossy()
            }
        )
    }
}

/// Issue item 3: a memory-BIO handshake waits for the host lock while
/// another thread, holding it, writes into that socket's BIO.
#[test]
fn bio_write_under_host_lock_while_handshake_waits_for_it() {
    let (cctx, sctx) = (P(client_ctx()), P(server_ctx()));
    let pair = BioPair::new_locked(cctx.get(), sctx.get());
    let (client, c_in, c_out) = (pair.client, pair.c_in, pair.c_out);
    let (hs, (w, pending)) = interleave(
        move || pyssl_do_handshake(client.get()),
        move || {
            // Another host thread feeding the transport meanwhile.
            let w = pyssl_memory_bio_write(c_in.get(), b"".as_ptr().cast(), 0);
            (w, pyssl_memory_bio_pending(c_out.get()))
        },
    );
    assert_eq!(hs, -2, "the client's first flight wants a read");
    assert_eq!(w, 0);
    assert!(pending > 0, "the ClientHello is in the outgoing BIO");
    host(|| pair.handshake()).unwrap();
    pyssl_context_free(cctx.get());
    pyssl_context_free(sctx.get());
    assert_no_misuse();
}

/// Issue item 4: a context load releases the host lock (as CPython's does)
/// while another host thread reads the context.
#[test]
fn context_getter_under_host_lock_while_load_waits_for_it() {
    install_hooks();
    let ctx = P(host(|| pyssl_context_new(PYSSL_PROTOCOL_TLS_CLIENT)));
    let ca = certs().path("ca.pem");
    let (load, check) = interleave(
        move || pyssl_context_load_verify_locations(ctx.get(), ca.as_ptr(), std::ptr::null()),
        move || pyssl_context_get_check_hostname(ctx.get()),
    );
    assert_eq!(load, 0);
    assert_eq!(check, 1);

    let c = certs();
    let sctx = P(host(|| pyssl_context_new(PYSSL_PROTOCOL_TLS_SERVER)));
    let (cert, key) = (c.path("server.pem"), c.path("server.key"));
    let (load, mode) = interleave(
        move || {
            pyssl_context_load_cert_chain(sctx.get(), cert.as_ptr(), key.as_ptr(), std::ptr::null())
        },
        move || pyssl_context_get_verify_mode(sctx.get()),
    );
    assert_eq!(load, 0);
    assert_eq!(mode, PYSSL_CERT_NONE);
    pyssl_context_free(ctx.get());
    pyssl_context_free(sctx.get());
    assert_no_misuse();
}

/// Issue item 4 (socket creation): `SSL_new` runs without the host lock
/// while another host thread reconfigures the context.
#[test]
fn context_setter_under_host_lock_while_socket_creation_waits_for_it() {
    let ctx = P(client_ctx());
    let (a, b) = common::socketpair();
    let (sock, set) = interleave(
        move || P(pyssl_socket_new(ctx.get(), a, 0, c"localhost".as_ptr())),
        move || pyssl_context_set_verify_flags(ctx.get(), 0),
    );
    assert!(!sock.get().is_null(), "{}", error_text());
    assert_eq!(set, 0);
    pyssl_socket_free(sock.get());
    pyssl_context_free(ctx.get());
    common::close(a);
    common::close(b);
    assert_no_misuse();
}

static SNI_SEEN: AtomicUsize = AtomicUsize::new(0);
static SNI_PENDING: AtomicUsize = AtomicUsize::new(usize::MAX);
static SNI_REENTRY: AtomicIsize = AtomicIsize::new(0);

/// An SNI callback that reads its own socket's outgoing BIO, as the host
/// of issue item 2 did, takes the host lock as CPython's callback takes the
/// GIL, and tries to re-enter its own socket's handshake.
extern "C" fn sni_touching_bio(
    sock: *mut pyssl_socket,
    _: *const c_char,
    ud: *mut c_void,
) -> c_int {
    host(|| {
        let n = pyssl_memory_bio_pending(ud.cast());
        SNI_PENDING.store(n as usize, Ordering::SeqCst);
        // A nested handshake on the socket being handshaken is refused
        // rather than run inside OpenSSL's own call.
        SNI_REENTRY.store(pyssl_do_handshake(sock) as isize, Ordering::SeqCst);
        SNI_SEEN.fetch_add(1, Ordering::SeqCst);
    });
    0
}

/// Issue item 2: the SNI callback touches its own memory BIO.
#[test]
fn sni_callback_reads_its_own_memory_bio() {
    install_hooks();
    let (cctx, sctx) = (P(client_ctx()), P(server_ctx()));
    let pair = BioPair::new_locked(cctx.get(), sctx.get());
    assert_eq!(
        pyssl_context_set_sni_callback(sctx.get(), Some(sni_touching_bio), pair.s_out.get().cast()),
        0
    );
    let pair = P(Box::into_raw(Box::new(pair)));
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        // SAFETY: the box lives until the handshake thread is done with it.
        let pair = unsafe { &*pair.get() };
        let _ = tx.send(host(|| pair.handshake()));
    });
    let r = rx
        .recv_timeout(STUCK)
        .expect("deadlock: the handshake whose SNI callback reads its BIO never returned");
    r.unwrap();
    assert_eq!(SNI_SEEN.load(Ordering::SeqCst), 1);
    assert_eq!(SNI_PENDING.load(Ordering::SeqCst), 0, "nothing written yet");
    assert_eq!(
        SNI_REENTRY.load(Ordering::SeqCst),
        REENTRANCY,
        "a nested operation on the socket fails with PYSSL_ERROR_REENTRANCY"
    );
    // SAFETY: from Box::into_raw above; the thread is done.
    drop(unsafe { Box::from_raw(pair.get()) });
    pyssl_context_free(cctx.get());
    pyssl_context_free(sctx.get());
    assert_no_misuse();
}

/// Issue item 1: ALPN selection while another thread replaces the server's
/// list. Both lists have the same length, so a freed list is reused at once
/// by the next one and a pointer into it reads the other list's bytes.
#[test]
fn alpn_selection_survives_concurrent_set_alpn_protocols() {
    install_hooks();
    let (cctx, sctx) = (P(client_ctx()), P(server_ctx()));
    let offer = b"\x02h2";
    assert_eq!(
        host(|| pyssl_context_set_alpn_protocols(cctx.get(), offer.as_ptr(), offer.len())),
        0
    );
    let lists: [&[u8]; 2] = [b"\x02h2\x08http/1.1", b"\x08http/1.1\x02h2"];
    assert_eq!(
        host(|| pyssl_context_set_alpn_protocols(sctx.get(), lists[0].as_ptr(), lists[0].len())),
        0
    );
    let stop = AtomicBool::new(false);
    let rounds = if cfg!(debug_assertions) { 300 } else { 1500 };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut wrong = Vec::new();
    thread::scope(|s| {
        let stop = &stop;
        s.spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let l = lists[i % 2];
                // Without the host lock: a plain C thread reconfiguring the
                // context while others handshake (allowed by the README).
                assert_eq!(
                    pyssl_context_set_alpn_protocols(sctx.get(), l.as_ptr(), l.len()),
                    0
                );
                i += 1;
                // Let the handshakes' readers of the list in (the lock
                // prefers writers).
                thread::sleep(Duration::from_micros(20));
            }
        });
        for _ in 0..rounds {
            if Instant::now() > deadline {
                break;
            }
            let pair = BioPair::new_locked(cctx.get(), sctx.get());
            host(|| pair.handshake()).unwrap();
            let mut buf = [0u8; 32];
            let n =
                pyssl_socket_selected_alpn_protocol(pair.server.get(), buf.as_mut_ptr(), buf.len());
            if buf.get(..n.max(0) as usize) != Some(b"h2") {
                wrong.push(buf[..n.max(0) as usize].to_vec());
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert!(
        wrong.is_empty(),
        "server selected something else than h2 {} times: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    pyssl_context_free(cctx.get());
    pyssl_context_free(sctx.get());
    assert_no_misuse();
}

/// Many host threads on one lock: memory-BIO pairs pumped by a thread of
/// their own, socketpair pairs, a thread reconfiguring and loading into the
/// shared contexts, and SNI callbacks calling back into pyssl.
#[test]
fn host_lock_stress() {
    install_hooks();
    let (cctx, sctx) = (P(client_ctx()), P(server_ctx()));
    assert_eq!(
        host(|| pyssl_context_set_sni_callback(
            sctx.get(),
            Some(sni_reads_socket),
            std::ptr::null_mut()
        )),
        0
    );
    let rounds = if cfg!(debug_assertions) { 20 } else { 60 };
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = mpsc::channel::<Result<(), String>>();
    let workers = 6;
    // Plain threads: a deadlocked worker must fail the test, not hang it.
    // The reconfiguring thread: loads (which release the host lock) and
    // setters, all on the contexts the handshakes use.
    let reconf = {
        let stop = std::sync::Arc::clone(&stop);
        thread::spawn(move || {
            let ca = certs().path("ca.pem");
            let alpn = b"\x02h2";
            while !stop.load(Ordering::Relaxed) {
                host(|| {
                    assert_eq!(
                        pyssl_context_load_verify_locations(
                            cctx.get(),
                            ca.as_ptr(),
                            std::ptr::null()
                        ),
                        0
                    );
                    assert_eq!(
                        pyssl_context_set_alpn_protocols(sctx.get(), alpn.as_ptr(), 3),
                        0
                    );
                    assert_eq!(pyssl_context_get_check_hostname(cctx.get()), 1);
                });
                thread::yield_now();
            }
        })
    };
    for w in 0..workers {
        let tx = done_tx.clone();
        thread::spawn(move || {
            let r = (0..rounds).try_for_each(|_| {
                if w % 2 == 0 {
                    bio_round(cctx, sctx)
                } else {
                    fd_round(cctx, sctx)
                }
            });
            let _ = tx.send(r);
        });
    }
    for _ in 0..workers {
        let r = done_rx
            .recv_timeout(STUCK * 3)
            .expect("deadlock: a worker of the stress test never finished");
        if let Err(e) = r {
            stop.store(true, Ordering::Relaxed);
            panic!("{e}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    reconf.join().unwrap();
    pyssl_context_free(cctx.get());
    pyssl_context_free(sctx.get());
    assert_no_misuse();
}

extern "C" fn sni_reads_socket(sock: *mut pyssl_socket, _: *const c_char, _: *mut c_void) -> c_int {
    host(|| {
        assert_eq!(pyssl_socket_server_side(sock), 1);
        let mut t = 0.0f64;
        assert_eq!(pyssl_socket_get_timeout(sock, &mut t), 0);
    });
    0
}

/// A memory-BIO handshake and echo whose transport is pumped by a second
/// host thread, as an event loop would.
fn bio_round(cctx: P<pyssl_context>, sctx: P<pyssl_context>) -> Result<(), String> {
    let pair = BioPair::new_locked(cctx.get(), sctx.get());
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        let done = &done;
        let (c_out, s_in, s_out, c_in) = (pair.c_out, pair.s_in, pair.s_out, pair.c_in);
        s.spawn(move || {
            while !done.load(Ordering::Relaxed) {
                host(|| {
                    BioPair::pump(c_out, s_in);
                    BioPair::pump(s_out, c_in);
                });
                thread::yield_now();
            }
        });
        let r = (|| {
            let (mut c_done, mut s_done) = (false, false);
            let start = Instant::now();
            while !(c_done && s_done) {
                if start.elapsed() > STUCK {
                    return Err("bio handshake did not finish".to_string());
                }
                host(|| {
                    for (sock, flag) in [(pair.client, &mut c_done), (pair.server, &mut s_done)] {
                        if !*flag {
                            match pyssl_do_handshake(sock.get()) {
                                0 => *flag = true,
                                -2 | -3 => {}
                                _ => return Err(error_text()),
                            }
                        }
                    }
                    Ok(())
                })?;
                thread::yield_now();
            }
            Ok(())
        })();
        done.store(true, Ordering::Relaxed);
        r
    })
}

/// A handshake and echo over a socketpair, client and server on two threads.
fn fd_round(cctx: P<pyssl_context>, sctx: P<pyssl_context>) -> Result<(), String> {
    let (a, b) = common::socketpair();
    let (cs, ss) = host(|| {
        (
            P(pyssl_socket_new(cctx.get(), a, 0, c"localhost".as_ptr())),
            P(pyssl_socket_new(sctx.get(), b, 1, std::ptr::null())),
        )
    });
    if cs.get().is_null() || ss.get().is_null() {
        return Err(error_text());
    }
    let r = thread::scope(|s| {
        let server = s.spawn(move || {
            host(|| {
                pyssl_socket_set_timeout(ss.get(), 10.0);
                if pyssl_do_handshake(ss.get()) != 0 {
                    return Err(format!("server: {}", error_text()));
                }
                let mut buf = [0u8; 16];
                let n = pyssl_read(ss.get(), buf.as_mut_ptr().cast(), buf.len());
                if n != 4 || pyssl_write(ss.get(), buf.as_ptr().cast(), 4) != 4 {
                    return Err(format!("server echo: {}", error_text()));
                }
                Ok(())
            })
        });
        let client = host(|| {
            pyssl_socket_set_timeout(cs.get(), 10.0);
            if pyssl_do_handshake(cs.get()) != 0 {
                return Err(format!("client: {}", error_text()));
            }
            let mut buf = [0u8; 16];
            if pyssl_write(cs.get(), b"ping".as_ptr().cast(), 4) != 4
                || pyssl_read(cs.get(), buf.as_mut_ptr().cast(), buf.len()) != 4
                || &buf[..4] != b"ping"
            {
                return Err(format!("client echo: {}", error_text()));
            }
            Ok(())
        });
        server.join().unwrap().and(client)
    });
    host(|| {
        pyssl_socket_free(cs.get());
        pyssl_socket_free(ss.get());
    });
    common::close(a);
    common::close(b);
    r
}

/// What the I/O callbacks of [`io_callbacks_run_without_the_host_lock`]
/// pump into and out of: the server's memory BIOs.
struct CbUser {
    s_in: P<pyssl_memory_bio>,
    s_out: P<pyssl_memory_bio>,
    /// Set when a callback was entered with the host lock held.
    held: AtomicBool,
}

extern "C" fn cb_read(user: *mut c_void, buf: *mut c_void, len: usize) -> isize {
    // SAFETY: user is the test's CbUser, alive while the socket is.
    let u = unsafe { &*(user as *const CbUser) };
    if HOST.held_here() {
        u.held.store(true, Ordering::SeqCst);
    }
    // As a host's callback does (PyGILState_Ensure), then back into pyssl.
    match host(|| pyssl_memory_bio_read(u.s_out.get(), buf, len)) {
        0 => pyssl_status::PYSSL_ERROR_WANT_READ as isize,
        n => n,
    }
}

extern "C" fn cb_write(user: *mut c_void, buf: *const c_void, len: usize) -> isize {
    // SAFETY: as in cb_read.
    let u = unsafe { &*(user as *const CbUser) };
    if HOST.held_here() {
        u.held.store(true, Ordering::SeqCst);
    }
    host(|| pyssl_memory_bio_write(u.s_in.get(), buf, len))
}

/// The I/O callbacks of a `pyssl_socket_new_cbs` socket run with the host
/// lock released, and may take it and call pyssl (on other objects: here
/// the peer's memory BIOs) without a deadlock.
#[test]
fn io_callbacks_run_without_the_host_lock() {
    let (cctx, sctx) = (P(client_ctx()), P(server_ctx()));
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let r = host(|| {
            let (s_in, s_out) = (P(pyssl_memory_bio_new()), P(pyssl_memory_bio_new()));
            let server =
                pyssl_socket_new_bio(sctx.get(), s_in.get(), s_out.get(), 1, std::ptr::null());
            let user = Box::new(CbUser {
                s_in,
                s_out,
                held: AtomicBool::new(false),
            });
            let client = pyssl_socket_new_cbs(
                cctx.get(),
                Some(cb_read),
                Some(cb_write),
                &*user as *const CbUser as *mut c_void,
                0,
                c"localhost".as_ptr(),
            );
            assert!(!client.is_null() && !server.is_null());
            let (mut c, mut s) = (-1, -1);
            for _ in 0..50 {
                if c != 0 {
                    c = pyssl_do_handshake(client);
                }
                if s != 0 {
                    s = pyssl_do_handshake(server);
                }
                if c == 0 && s == 0 {
                    break;
                }
            }
            pyssl_socket_free(client);
            pyssl_socket_free(server);
            pyssl_memory_bio_free(s_in.get());
            pyssl_memory_bio_free(s_out.get());
            (c, s, user.held.load(Ordering::SeqCst))
        });
        let _ = tx.send(r);
    });
    let (c, s, held) = rx
        .recv_timeout(STUCK)
        .expect("deadlock: a handshake whose I/O callbacks take the host lock never returned");
    assert_eq!((c, s), (0, 0), "{}", error_text());
    assert!(!held, "an I/O callback ran with the host lock held");
    pyssl_context_free(cctx.get());
    pyssl_context_free(sctx.get());
    assert_no_misuse();
}
