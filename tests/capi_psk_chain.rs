//! PSK callbacks and certificate chains through the C surface.

mod common;

use std::ffi::{c_char, c_int, c_void, CStr};
use std::thread;

use pyssl::capi::*;

const KEY: &[u8] = b"0123456789abcdef";

extern "C" fn client_psk(
    hint: *const c_char,
    id: *mut c_char,
    max_id: usize,
    psk: *mut u8,
    max: usize,
    _: *mut c_void,
) -> isize {
    // SAFETY: pyssl passes the hint or NULL.
    assert_eq!(
        unsafe { CStr::from_ptr(hint) }.to_str().unwrap(),
        "the hint"
    );
    let ident = b"client-1\0";
    assert!(max_id >= ident.len() && max >= KEY.len());
    // SAFETY: buffers of the sizes pyssl passes.
    unsafe {
        std::ptr::copy_nonoverlapping(ident.as_ptr(), id as *mut u8, ident.len());
        std::ptr::copy_nonoverlapping(KEY.as_ptr(), psk, KEY.len());
    }
    KEY.len() as isize
}

extern "C" fn server_psk(
    identity: *const c_char,
    psk: *mut u8,
    max: usize,
    ud: *mut c_void,
) -> isize {
    // SAFETY: pyssl passes the client's identity.
    assert_eq!(
        unsafe { CStr::from_ptr(identity) }.to_str().unwrap(),
        "client-1"
    );
    if !ud.is_null() {
        return -1; // refuse
    }
    assert!(max >= KEY.len());
    // SAFETY: buffer of max bytes.
    unsafe { std::ptr::copy_nonoverlapping(KEY.as_ptr(), psk, KEY.len()) };
    KEY.len() as isize
}

fn handshake(
    cctx: *mut pyssl_context,
    sctx: *mut pyssl_context,
    host: &CStr,
) -> (c_int, c_int, *mut pyssl_socket, *mut pyssl_socket, i32, i32) {
    let (a, b) = common::socketpair();
    let cs = pyssl_socket_new(cctx, a, 0, host.as_ptr());
    let ss = pyssl_socket_new(sctx, b, 1, std::ptr::null());
    assert!(!cs.is_null() && !ss.is_null());
    let addr = ss as usize;
    let h = thread::spawn(move || pyssl_do_handshake(addr as *mut pyssl_socket));
    let rc = pyssl_do_handshake(cs);
    (rc, h.join().unwrap(), cs, ss, a, b)
}

#[test]
fn psk_tls12_handshake_and_refusal() {
    for refuse in [false, true] {
        let cctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_CLIENT);
        assert_eq!(pyssl_context_set_check_hostname(cctx, 0), 0);
        assert_eq!(pyssl_context_set_verify_mode(cctx, PYSSL_CERT_NONE), 0);
        assert_eq!(
            pyssl_context_set_maximum_version(cctx, PYSSL_TLS_VERSION_TLSV1_2),
            0
        );
        assert_eq!(pyssl_context_set_ciphers(cctx, c"PSK".as_ptr()), 0);
        assert_eq!(
            pyssl_context_set_psk_client_callback(cctx, Some(client_psk), std::ptr::null_mut()),
            0
        );
        let sctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_SERVER);
        assert_eq!(
            pyssl_context_set_maximum_version(sctx, PYSSL_TLS_VERSION_TLSV1_2),
            0
        );
        assert_eq!(pyssl_context_set_ciphers(sctx, c"PSK".as_ptr()), 0);
        let ud = if refuse {
            1usize as *mut c_void
        } else {
            std::ptr::null_mut()
        };
        assert_eq!(
            pyssl_context_set_psk_server_callback(sctx, Some(server_psk), c"the hint".as_ptr(), ud),
            0
        );
        let (rc, src, cs, ss, a, b) = handshake(cctx, sctx, c"localhost");
        if refuse {
            assert_eq!((rc, src), (-1, -1));
        } else {
            assert_eq!((rc, src), (0, 0));
            let mut name: *const c_char = std::ptr::null();
            assert_eq!(
                pyssl_socket_cipher(cs, &mut name, std::ptr::null_mut(), std::ptr::null_mut()),
                1
            );
            // SAFETY: static cipher name.
            assert!(unsafe { CStr::from_ptr(name) }
                .to_str()
                .unwrap()
                .contains("PSK"));
        }
        pyssl_socket_free(cs);
        pyssl_socket_free(ss);
        pyssl_context_free(cctx);
        pyssl_context_free(sctx);
        common::close(a);
        common::close(b);
    }
    // Wrong side, as CPython 3.13 refuses it.
    let sctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_SERVER);
    assert_eq!(
        pyssl_context_set_psk_client_callback(sctx, Some(client_psk), std::ptr::null_mut()),
        -1
    );
    // SAFETY: NUL-terminated message.
    let msg = unsafe { CStr::from_ptr(pyssl_error_message()) }
        .to_str()
        .unwrap();
    assert!(
        msg.starts_with("Cannot add PSK client callback to a PROTOCOL_TLS_SERVER context ("),
        "{msg}"
    );
    pyssl_context_free(sctx);
}

#[test]
fn verified_and_unverified_chains() {
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
    let (rc, src, cs, ss, a, b) = handshake(cctx, sctx, c"localhost");
    assert_eq!((rc, src), (0, 0));
    let mut list = std::ptr::null_mut();
    assert_eq!(pyssl_socket_get_chain(cs, 1, &mut list), 0);
    assert_eq!(pyssl_cert_list_len(list), 2); // leaf + CA
    let leaf = pyssl_cert_list_get(list, 0);
    let n = pyssl_certificate_der(leaf, std::ptr::null_mut(), 0);
    assert!(n > 100);
    let mut der = vec![0u8; n as usize];
    assert_eq!(pyssl_certificate_der(leaf, der.as_mut_ptr(), der.len()), n);
    assert_eq!(der[0], 0x30);
    assert!(pyssl_cert_list_get(list, 2).is_null());
    pyssl_cert_list_free(list);
    let mut list = std::ptr::null_mut();
    assert_eq!(pyssl_socket_get_chain(cs, 0, &mut list), 0);
    assert_eq!(pyssl_cert_list_len(list), 1);
    pyssl_cert_list_free(list);
    // The server got no client certificate: None.
    let mut list = 1usize as *mut pyssl_cert_list;
    assert_eq!(pyssl_socket_get_chain(ss, 0, &mut list), 0);
    assert!(list.is_null());
    pyssl_socket_free(cs);
    pyssl_socket_free(ss);
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
    common::close(a);
    common::close(b);
}
