//! Host hooks: lock release around blocking calls and the interrupt check,
//! as CPython's GIL release and PyErr_CheckSignals.

mod common;

use std::ffi::{c_int, c_void, CStr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use pyssl::capi::*;

static RELEASED: AtomicUsize = AtomicUsize::new(0);
static REACQUIRED: AtomicUsize = AtomicUsize::new(0);
static CHECKS: AtomicUsize = AtomicUsize::new(0);
static INTERRUPT: AtomicBool = AtomicBool::new(false);

extern "C" fn release(ud: *mut c_void) -> *mut c_void {
    assert_eq!(ud as usize, 42);
    RELEASED.fetch_add(1, Ordering::SeqCst);
    7usize as *mut c_void
}

extern "C" fn reacquire(_: *mut c_void, token: *mut c_void) {
    assert_eq!(token as usize, 7);
    REACQUIRED.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn check(_: *mut c_void) -> c_int {
    CHECKS.fetch_add(1, Ordering::SeqCst);
    INTERRUPT.load(Ordering::SeqCst) as c_int
}

#[test]
fn hooks_wrap_blocking_calls_and_interrupts_stop_them() {
    let hooks = pyssl_host_hooks {
        release: Some(release),
        reacquire: Some(reacquire),
        check_interrupt: Some(check),
        userdata: 42usize as *mut c_void,
    };
    assert_eq!(pyssl_set_host_hooks(&hooks), 0);
    let c = common::certs();
    let cctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_CLIENT);
    assert_eq!(
        pyssl_context_load_verify_locations(cctx, c.path("ca.pem").as_ptr(), std::ptr::null()),
        0
    );
    let sctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_SERVER);
    assert_eq!(
        pyssl_context_load_cert_chain(
            sctx,
            c.path("server.pem").as_ptr(),
            c.path("server.key").as_ptr(),
            std::ptr::null()
        ),
        0
    );
    let (a, b) = common::socketpair();
    let cs = pyssl_socket_new(cctx, a, 0, c"localhost".as_ptr());
    let ss = pyssl_socket_new(sctx, b, 1, std::ptr::null());
    let addr = ss as usize;
    let h = thread::spawn(move || pyssl_do_handshake(addr as *mut pyssl_socket));
    assert_eq!(pyssl_do_handshake(cs), 0);
    assert_eq!(h.join().unwrap(), 0);
    assert!(RELEASED.load(Ordering::SeqCst) > 0);
    assert_eq!(
        RELEASED.load(Ordering::SeqCst),
        REACQUIRED.load(Ordering::SeqCst)
    );
    assert!(CHECKS.load(Ordering::SeqCst) > 0);

    // With an error pending on the host's side, a read stops at the check
    // after its first OpenSSL call, as CPython's does after
    // PyErr_CheckSignals; the OpenSSL call itself ran unlocked.
    assert_eq!(pyssl_socket_set_timeout(cs, 5.0), 0);
    let before = RELEASED.load(Ordering::SeqCst);
    INTERRUPT.store(true, Ordering::SeqCst);
    let mut buf = [0u8; 16];
    let n = pyssl_read(cs, buf.as_mut_ptr().cast(), buf.len());
    assert_eq!(n, -18, "PYSSL_ERROR_HOST_INTERRUPT");
    // SAFETY: NUL-terminated type name.
    assert_eq!(
        unsafe { CStr::from_ptr(pyssl_error_type()) }
            .to_str()
            .unwrap(),
        "HostError"
    );
    assert!(RELEASED.load(Ordering::SeqCst) > before);
    INTERRUPT.store(false, Ordering::SeqCst);
    assert_eq!(pyssl_set_host_hooks(std::ptr::null()), 0);

    pyssl_socket_free(cs);
    pyssl_socket_free(ss);
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
    common::close(a);
    common::close(b);
}
