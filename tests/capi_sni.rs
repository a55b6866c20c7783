//! The SNI callback through the C surface: the callback switches the
//! socket's context, and its return value maps to alerts as in CPython.

mod common;

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use pyssl::capi::*;

static CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn switch_to(sock: *mut pyssl_socket, name: *const c_char, ud: *mut c_void) -> c_int {
    CALLS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: pyssl passes the client's server name.
    let name = unsafe { CStr::from_ptr(name) }.to_str().unwrap();
    assert_eq!(name, "localhost");
    assert_eq!(pyssl_socket_set_context(sock, ud.cast()), 0);
    0
}

extern "C" fn refuse(_: *mut pyssl_socket, _: *const c_char, _: *mut c_void) -> c_int {
    112 // unrecognized_name
}

/// One handshake with `cb` as the server context's SNI callback, installed
/// before the sockets are made or (`late`) after.
fn run(
    cb: pyssl_sni_callback,
    ud: *mut c_void,
    server_ctx: *mut pyssl_context,
    late: bool,
) -> (c_int, c_int, String) {
    let c = common::certs();
    let client = pyssl_context_new(PYSSL_PROTOCOL_TLS_CLIENT);
    assert_eq!(
        pyssl_context_load_verify_locations(client, c.path("ca.pem").as_ptr(), std::ptr::null()),
        0
    );
    if !late {
        assert_eq!(pyssl_context_set_sni_callback(server_ctx, cb, ud), 0);
    }
    let (a, b) = common::socketpair();
    let cs = pyssl_socket_new(client, a, 0, c"localhost".as_ptr());
    let ss = pyssl_socket_new(server_ctx, b, 1, std::ptr::null());
    assert!(!cs.is_null() && !ss.is_null());
    if late {
        assert_eq!(pyssl_context_set_sni_callback(server_ctx, cb, ud), 0);
    }
    let ss_addr = ss as usize;
    let h = thread::spawn(move || pyssl_do_handshake(ss_addr as *mut pyssl_socket));
    let rc = pyssl_do_handshake(cs);
    let p = pyssl_error_message();
    // SAFETY: pyssl's message is NULL or a NUL-terminated string.
    let msg = if rc == 0 || p.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    };
    let src = h.join().unwrap();
    pyssl_socket_free(cs);
    pyssl_socket_free(ss);
    pyssl_context_free(client);
    common::close(a);
    common::close(b);
    (rc, src, msg)
}

/// A server context serving `name`.pem with its key.
fn server_ctx(name: &str) -> *mut pyssl_context {
    let c = common::certs();
    let ctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_SERVER);
    let (cert, key) = (
        c.path(&format!("{name}.pem")),
        c.path(&format!("{name}.key")),
    );
    let rc = pyssl_context_load_cert_chain(ctx, cert.as_ptr(), key.as_ptr(), std::ptr::null());
    assert_eq!(rc, 0);
    ctx
}

#[test]
fn sni_callback_switches_context_and_maps_alerts() {
    // The default context serves a self-signed certificate the client
    // rejects; the callback switches to the CA-signed one.
    let default = server_ctx("self");
    let good = server_ctx("server");
    let (rc, src, msg) = run(Some(switch_to), good.cast(), default, false);
    assert_eq!((rc, src), (0, 0), "{msg}");
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);

    // A callback installed after the socket was made gets the socket too
    // (its handle, which switch_to needs).
    let late = server_ctx("self");
    let (rc, src, msg) = run(Some(switch_to), good.cast(), late, true);
    assert_eq!((rc, src), (0, 0), "{msg}");
    assert_eq!(CALLS.load(Ordering::SeqCst), 2);
    pyssl_context_free(late);

    let (rc, src, msg) = run(Some(refuse), std::ptr::null_mut(), default, false);
    assert_eq!(rc, -1);
    assert!(
        msg.starts_with("[SSL: TLSV1_UNRECOGNIZED_NAME] tlsv1 unrecognized name ("),
        "{msg}"
    );
    assert_eq!(src, -1);

    // A client context refuses an SNI callback, as CPython does.
    let client = pyssl_context_new(PYSSL_PROTOCOL_TLS_CLIENT);
    assert_eq!(
        pyssl_context_set_sni_callback(client, Some(refuse), std::ptr::null_mut()),
        -13
    );
    // SAFETY: pyssl's message is a NUL-terminated string.
    let msg = unsafe { CStr::from_ptr(pyssl_error_message()) }
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(msg, "sni_callback cannot be set on TLS_CLIENT context");
    pyssl_context_free(client);
    pyssl_context_free(default);
    pyssl_context_free(good);
}
