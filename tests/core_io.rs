//! The socket state machine end to end over socketpairs (Rust API).

mod common;

use std::sync::Arc;
use std::thread;

use pyssl::compat::Compat;
use pyssl::context::Context;
use pyssl::socket::Socket;

fn server_ctx(compat: Compat) -> Arc<Context> {
    let c = common::certs();
    let ctx = Context::new(17, compat).unwrap();
    ctx.load_cert_chain(&c.path("server.pem"), Some(&c.path("server.key")), None)
        .unwrap();
    ctx
}

fn client_ctx(compat: Compat) -> Arc<Context> {
    let c = common::certs();
    let ctx = Context::new(16, compat).unwrap();
    ctx.load_verify_locations(Some(&c.path("ca.pem")), None)
        .unwrap();
    ctx
}

fn pair(compat: Compat) -> (Socket, Socket, i32, i32) {
    let (a, b) = common::socketpair();
    let cs = Socket::new_fd(&client_ctx(compat), a, false, Some(c"localhost")).unwrap();
    let ss = Socket::new_fd(&server_ctx(compat), b, true, None).unwrap();
    (cs, ss, a, b)
}

fn handshake(cs: &Socket, ss: &Socket) {
    thread::scope(|s| {
        let h = s.spawn(|| ss.do_handshake());
        cs.do_handshake().unwrap();
        h.join().unwrap().unwrap();
    });
}

#[test]
fn handshake_read_write_and_clean_shutdown() {
    let (cs, ss, a, b) = pair(Compat::Py314);
    handshake(&cs, &ss);
    assert_eq!(cs.write(b"hello").unwrap(), 5);
    let mut buf = [0u8; 64];
    assert_eq!(ss.read(&mut buf).unwrap(), 5);
    // The dict is decoded once per certificate and returned again after.
    let first = cs.getpeercert(false).unwrap().unwrap();
    assert!(first
        .repr()
        .starts_with("{'subject': ((('commonName', 'localhost'),),), "));
    assert_eq!(cs.getpeercert(false).unwrap().unwrap(), first);
    // The DER is encoded once too; the dict stays cached beside it.
    let der = cs.getpeercert(true).unwrap();
    assert!(matches!(&der, Some(pyssl::value::Value::Bytes(b)) if b.len() > 100));
    assert_eq!(cs.getpeercert(true).unwrap(), der);
    assert_eq!(cs.getpeercert(false).unwrap().unwrap(), first);
    // The server did not ask for a certificate: None.
    assert!(ss.getpeercert(false).unwrap().is_none());
    assert_eq!(&buf[..5], b"hello");
    assert_eq!(ss.read(&mut []).unwrap(), 0);
    thread::scope(|s| {
        let h = s.spawn(|| cs.shutdown());
        // The server sees the close_notify as b'' and answers it.
        assert_eq!(ss.read(&mut buf).unwrap(), 0);
        ss.shutdown().unwrap();
        h.join().unwrap().unwrap();
    });
    common::close(a);
    common::close(b);
}

#[test]
fn eof_without_close_notify_follows_the_mode() {
    for (compat, expect_eof_error) in [(Compat::Py314, true), (Compat::Py311, false)] {
        let (cs, ss, a, b) = pair(compat);
        handshake(&cs, &ss);
        // A FIN without close_notify (closing with the server's unread
        // session tickets pending would send a reset instead).
        // SAFETY: test-owned fd.
        unsafe { libc::shutdown(a, libc::SHUT_WR) };
        let mut buf = [0u8; 16];
        let r = ss.read(&mut buf);
        if expect_eof_error {
            let e = r.unwrap_err();
            assert_eq!(e.exc_type, "SSLEOFError", "{compat:?}: {e:?}");
            assert!(
                e.message.starts_with(
                    "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol ("
                ),
                "{}",
                e.message
            );
        } else {
            assert_eq!(r.unwrap(), 0, "{compat:?}");
        }
        drop(cs);
        common::close(a);
        common::close(b);
    }
}

/// CPython 3.14.10 remembers an SSLEOFError: read (even of 0 bytes),
/// write (even of nothing) and do_handshake raise it again without calling
/// OpenSSL; 3.13 calls OpenSSL again (measured in Debian trixie and sid).
#[test]
fn a_314_socket_remembers_its_eof_error() {
    for compat in [Compat::Py314, Compat::Py313] {
        let (cs, ss, a, b) = pair(compat);
        handshake(&cs, &ss);
        // SAFETY: test-owned fd.
        unsafe { libc::shutdown(a, libc::SHUT_WR) };
        let mut buf = [0u8; 16];
        assert_eq!(ss.read(&mut buf).unwrap_err().exc_type, "SSLEOFError");
        let remembered = |r: Result<(), pyssl::error::PyErr>| {
            let e = r.unwrap_err();
            assert_eq!(e.exc_type, "SSLEOFError", "{compat:?}: {e:?}");
            assert!(e
                .message
                .starts_with("EOF occurred in violation of protocol ("));
            assert_eq!((e.library, e.errno), (None, Some(8)));
        };
        if compat == Compat::Py314 {
            remembered(ss.read(&mut []).map(drop));
            remembered(ss.read(&mut buf).map(drop));
            remembered(ss.write(b"").map(drop));
            remembered(ss.write(b"x").map(drop));
            remembered(ss.do_handshake());
        } else {
            // No OpenSSL call for 0 bytes; the others ask OpenSSL again,
            // which reports the EOF again here.
            assert_eq!(ss.read(&mut []).unwrap(), 0);
            remembered(ss.write(b"x").map(drop));
        }
        // shutdown() still calls OpenSSL.
        let e = ss.shutdown().unwrap_err();
        assert_eq!(e.reason, Some("SHUTDOWN_WHILE_IN_INIT"), "{e:?}");
        drop(cs);
        common::close(a);
        common::close(b);
    }
}

/// A client and a server whose self-signed certificate the client rejects.
fn untrusted_pair() -> (Socket, Socket, i32, i32) {
    let (a, b) = common::socketpair();
    let c = common::certs();
    let sctx = Context::new(17, Compat::Py314).unwrap();
    sctx.load_cert_chain(&c.path("self.pem"), Some(&c.path("self.key")), None)
        .unwrap();
    let cs = Socket::new_fd(&client_ctx(Compat::Py314), a, false, Some(c"localhost")).unwrap();
    let ss = Socket::new_fd(&sctx, b, true, None).unwrap();
    (cs, ss, a, b)
}

#[test]
fn verification_failure_is_cert_verification_error() {
    let (cs, ss, a, b) = untrusted_pair();
    thread::scope(|s| {
        let h = s.spawn(|| ss.do_handshake());
        let e = cs.do_handshake().unwrap_err();
        assert_eq!(e.exc_type, "SSLCertVerificationError");
        assert_eq!(e.verify_code, Some(18));
        assert!(
            e.message.starts_with(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate ("
            ),
            "{}",
            e.message
        );
        let se = h.join().unwrap().unwrap_err();
        assert_eq!(se.exc_type, "SSLError", "{se:?}");
    });
    common::close(a);
    common::close(b);
}

#[test]
fn timeouts_and_nonblocking() {
    let (cs, _ss, a, b) = pair(Compat::Py314);
    cs.set_timeout(0.0).unwrap();
    let e = cs.do_handshake().unwrap_err();
    assert_eq!(e.exc_type, "SSLWantReadError");
    assert!(e
        .message
        .starts_with("The operation did not complete (read) ("));
    cs.set_timeout(0.05).unwrap();
    let e = cs.do_handshake().unwrap_err();
    assert_eq!(e.exc_type, "TimeoutError");
    assert!(
        e.message.ends_with(": The handshake operation timed out"),
        "{}",
        e.message
    );
    common::close(a);
    common::close(b);
}

#[test]
fn session_resumption_channel_binding_and_ciphers() {
    let c = common::certs();
    let sctx = server_ctx(Compat::Py314);
    let cctx = client_ctx(Compat::Py314);
    let mut session = None;
    for round in 0..2 {
        let (a, b) = common::socketpair();
        let cs = Socket::new_fd(&cctx, a, false, Some(c"localhost")).unwrap();
        let ss = Socket::new_fd(&sctx, b, true, None).unwrap();
        if let Some(s) = &session {
            cs.set_session(s).unwrap();
        }
        handshake(&cs, &ss);
        // TLS 1.3 tickets arrive after the handshake: a read pulls them in.
        ss.write(b"x").unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(cs.read(&mut buf).unwrap(), 1);
        assert_eq!(cs.session_reused().unwrap(), round == 1);
        let cb_client = cs.channel_binding("tls-unique").unwrap().unwrap();
        let cb_server = ss.channel_binding("tls-unique").unwrap().unwrap();
        assert_eq!(cb_client, cb_server);
        assert_eq!(
            cs.channel_binding("tls-server-end-point")
                .unwrap_err()
                .message,
            "'tls-server-end-point' channel binding type not implemented"
        );
        assert_eq!(cs.version().unwrap().unwrap().to_str().unwrap(), "TLSv1.3");
        let (name, proto, bits) = cs.cipher().unwrap().unwrap();
        assert!(name.to_str().unwrap().starts_with("TLS_"), "{name:?}");
        assert_eq!(proto.to_str().unwrap(), "TLSv1.3");
        assert!(bits >= 128);
        assert!(cs.compression().unwrap().is_none());
        // 3.13+: None on the client side; the server lists what both offer.
        assert!(cs.shared_ciphers().unwrap().is_none());
        let shared = ss.shared_ciphers().unwrap().unwrap();
        assert!(shared
            .iter()
            .any(|ci| ci.name.as_deref() == Some(name.to_str().unwrap())));
        let s = cs.session().unwrap().unwrap();
        assert!(s.has_ticket());
        assert!(ss.set_session(&s).is_err());
        session = Some(s);
        // Freed without shutdown, as CPython's tests do: the session
        // must stay resumable.
        drop((cs, ss));
        common::close(a);
        common::close(b);
    }
    let ciphers = sctx.get_ciphers().unwrap();
    assert!(ciphers.iter().any(|ci| ci.aead && ci.kea.is_some()));
    let _ = c;
}

#[test]
fn keylog_dh_params_ecdh_curve_and_store_stats() {
    let c = common::certs();
    let dir = &c.dir;
    let sctx = server_ctx(Compat::Py314);
    let log = dir.join(format!("keylog-{}.txt", std::process::id()));
    sctx.set_keylog_filename(Some(&log)).unwrap();
    assert_eq!(sctx.keylog_filename().as_deref(), Some(log.as_path()));
    let (a, b) = common::socketpair();
    let cs = Socket::new_fd(&client_ctx(Compat::Py314), a, false, Some(c"localhost")).unwrap();
    let ss = Socket::new_fd(&sctx, b, true, None).unwrap();
    handshake(&cs, &ss);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("# TLS secrets log file, generated by OpenSSL / Python\n"));
    assert!(text.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET "), "{text}");
    sctx.set_keylog_filename(None).unwrap();
    assert!(sctx.keylog_filename().is_none());

    let e = sctx
        .load_dh_params(std::path::Path::new("/nonexistent/dh.pem"))
        .unwrap_err();
    assert_eq!(e.exc_type, "FileNotFoundError");
    assert_eq!(
        e.message,
        "[Errno 2] No such file or directory: '/nonexistent/dh.pem'"
    );
    let dh = dir.join("dh.pem");
    let ok = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "group:ffdhe2048",
            "-out",
        ])
        .arg(&dh)
        .status()
        .unwrap();
    assert!(ok.success());
    sctx.load_dh_params(&dh).unwrap();
    let e = sctx
        .load_dh_params(std::path::Path::new(c.path("ca.pem").to_str().unwrap()))
        .unwrap_err();
    assert_eq!(e.exc_type, "SSLError");
    assert!(
        e.message
            .starts_with("[PEM: NO_START_LINE] no start line ("),
        "{}",
        e.message
    );

    sctx.set_ecdh_curve(b"prime256v1").unwrap();
    let e = sctx.set_ecdh_curve(b"nonsense").unwrap_err();
    assert_eq!(
        (e.exc_type, e.message.as_str()),
        ("ValueError", "unknown elliptic curve name 'nonsense'")
    );

    let cctx = client_ctx(Compat::Py314);
    assert_eq!(cctx.cert_store_stats(), (1, 0, 1));
    let stats = sctx.session_stats();
    assert_eq!(stats[0].0, "number");
    assert_eq!(
        stats.iter().find(|(k, _)| *k == "accept_good").unwrap().1,
        1
    );
    drop((cs, ss));
    common::close(a);
    common::close(b);
}

/// One thread reads while another writes on the same socket, as CPython
/// allows (`SSLSocket` has no lock): over a blocking socketpair, and over
/// memory BIOs pumped by a third thread. Either way the socket's two
/// operations take turns at OpenSSL, one call at a time, and the reader
/// waits for data outside OpenSSL.
#[test]
fn a_reader_and_a_writer_share_a_socket() {
    const N: usize = 200;
    // With TLS 1.3 session tickets, read by the client's reader while its
    // writer writes: the two threads' OpenSSL calls take turns (before they
    // did not, and a ticket read during a write lost data).
    let (cs, ss, a, b) = pair(Compat::Py314);
    handshake(&cs, &ss);
    thread::scope(|s| {
        // The server echoes N messages.
        s.spawn(|| {
            let mut buf = [0u8; 64];
            let mut got = 0;
            while got < N * 8 {
                let n = ss.read(&mut buf).unwrap();
                assert_eq!(ss.write(&buf[..n]).unwrap(), n);
                got += n;
            }
        });
        // The client writes from one thread and reads from another.
        let reader = s.spawn(|| {
            let mut buf = [0u8; 64];
            let mut got = Vec::new();
            while got.len() < N * 8 {
                let n = cs.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            got
        });
        for i in 0..N {
            assert_eq!(cs.write(format!("{i:08}").as_bytes()).unwrap(), 8);
        }
        let got = reader.join().unwrap();
        let want: Vec<u8> = (0..N)
            .flat_map(|i| format!("{i:08}").into_bytes())
            .collect();
        assert_eq!(got, want);
    });
    common::close(a);
    common::close(b);

    // Memory BIOs: the client's reader and writer threads and a pump thread
    // that plays the server's transport.
    use pyssl::membio::MemoryBio;
    let bio = || Arc::new(MemoryBio::new().unwrap());
    let (c_in, c_out, s_in, s_out) = (bio(), bio(), bio(), bio());
    let cs = Socket::new_bio(
        &client_ctx(Compat::Py314),
        Arc::clone(&c_in),
        Arc::clone(&c_out),
        false,
        Some(c"localhost"),
    )
    .unwrap();
    let ss = Socket::new_bio(
        &server_ctx(Compat::Py314),
        Arc::clone(&s_in),
        Arc::clone(&s_out),
        true,
        None,
    )
    .unwrap();
    let pump = |from: &MemoryBio, to: &MemoryBio| {
        let mut buf = [0u8; 4096];
        loop {
            let n = from.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            assert_eq!(to.write(&buf[..n]).unwrap(), n);
        }
    };
    let want_io = |r: pyssl::error::PyResult<usize>| match r {
        Ok(n) => n,
        Err(e) if e.exc_type == "SSLWantReadError" => 0,
        Err(e) => panic!("{}: {}", e.exc_type, e.message),
    };
    let done = std::sync::atomic::AtomicBool::new(false);
    let stop = || done.load(std::sync::atomic::Ordering::Relaxed);
    thread::scope(|s| {
        // The server side and both pumps on one thread.
        s.spawn(|| {
            let mut buf = [0u8; 64];
            let mut handshaken = false;
            while !stop() {
                pump(&c_out, &s_in);
                if !handshaken {
                    handshaken = ss.do_handshake().is_ok();
                } else {
                    let n = want_io(ss.read(&mut buf));
                    if n > 0 {
                        assert_eq!(ss.write(&buf[..n]).unwrap(), n);
                    }
                }
                pump(&s_out, &c_in);
                thread::yield_now();
            }
        });
        let mut tries = 0;
        while let Err(e) = cs.do_handshake() {
            assert_eq!(e.exc_type, "SSLWantReadError", "{}", e.message);
            tries += 1;
            assert!(tries < 100_000, "the memory-BIO handshake did not finish");
            thread::yield_now();
        }
        let reader = s.spawn(|| {
            let mut buf = [0u8; 64];
            let mut got = Vec::new();
            while got.len() < N * 8 {
                let n = want_io(cs.read(&mut buf));
                got.extend_from_slice(&buf[..n]);
                thread::yield_now();
            }
            got
        });
        for i in 0..N {
            assert_eq!(cs.write(format!("{i:08}").as_bytes()).unwrap(), 8);
        }
        let got = reader.join().unwrap();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let want: Vec<u8> = (0..N)
            .flat_map(|i| format!("{i:08}").into_bytes())
            .collect();
        assert_eq!(got, want);
    });
}

/// Appends an entry to this thread's OpenSSL queue, as host code that used
/// OpenSSL and left its error behind would: `lib` 20 is SSL (an entry
/// `SSL_get_error` turns into `SSL_ERROR_SSL`), 2 is SYS (`SSL_ERROR_SYSCALL`).
fn leave_stale_error(lib: i32) {
    // SAFETY: appends a record to this thread's queue; the strings are
    // static and NUL-terminated.
    unsafe {
        openssl_sys::ERR_new();
        openssl_sys::ERR_set_debug(c"host.c".as_ptr(), 1, c"".as_ptr());
        openssl_sys::ERR_set_error(lib, 1, std::ptr::null());
    }
}

fn queue_is_empty() -> bool {
    // SAFETY: reads this thread's queue.
    unsafe { openssl_sys::ERR_peek_last_error() == 0 }
}

fn class_and_text(e: &pyssl::error::PyErr) -> (&'static str, String) {
    // The text without pyssl's location, which names a line.
    let text = e.message.split(" (").next().unwrap_or_default().to_owned();
    (e.exc_type, text)
}

#[test]
fn stale_openssl_errors_never_change_a_result() {
    for lib in [20, 2] {
        let (cs, ss, a, b) = pair(Compat::Py314);
        cs.set_timeout(0.0).unwrap();
        leave_stale_error(lib);
        let e = cs.do_handshake().unwrap_err();
        assert_eq!(e.exc_type, "SSLWantReadError", "{e:?}");
        assert!(queue_is_empty());
        thread::scope(|s| {
            let h = s.spawn(|| ss.do_handshake());
            cs.set_timeout(-1.0).unwrap();
            cs.do_handshake().unwrap();
            h.join().unwrap().unwrap();
        });
        cs.set_timeout(0.0).unwrap();
        let mut buf = [0u8; 64];
        // The first read takes the session tickets in, through OpenSSL's
        // state machine (which empties the queue); the second does not.
        let e = cs.read(&mut buf).unwrap_err();
        assert_eq!(e.exc_type, "SSLWantReadError", "{e:?}");
        leave_stale_error(lib);
        let e = cs.read(&mut buf).unwrap_err();
        assert_eq!(e.exc_type, "SSLWantReadError", "{e:?}");
        assert!(queue_is_empty());
        leave_stale_error(lib);
        assert_eq!(cs.write(b"x").unwrap(), 1);
        leave_stale_error(lib);
        let e = cs.shutdown().unwrap_err();
        assert_eq!(e.exc_type, "SSLWantReadError", "{e:?}");
        assert!(queue_is_empty());
        common::close(a);
        common::close(b);
    }

    // After a failed handshake OpenSSL no longer empties the queue itself:
    // a second handshake call reports the same with a stale entry as without.
    let failed_twice = |stale: Option<i32>| {
        let (cs, ss, a, b) = untrusted_pair();
        let again = thread::scope(|s| {
            let h = s.spawn(|| ss.do_handshake());
            let first = cs.do_handshake().unwrap_err();
            assert_eq!(first.exc_type, "SSLCertVerificationError");
            h.join().unwrap().unwrap_err();
            if let Some(lib) = stale {
                leave_stale_error(lib);
            }
            let again = cs.do_handshake().unwrap_err();
            assert!(queue_is_empty());
            class_and_text(&again)
        });
        common::close(a);
        common::close(b);
        again
    };
    let without = failed_twice(None);
    assert_eq!(failed_twice(Some(20)), without);
    assert_eq!(failed_twice(Some(2)), without);
}

/// The key log turned on and off while other threads handshake on the same
/// context: OpenSSL tests its callback for NULL and then reads it again to
/// call it, so a removal in between made a handshaking thread call NULL
/// (3 crashes in 3 runs of 300 handshakes before pyssl stopped removing it).
#[test]
fn keylog_toggled_while_handshaking() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let c = common::certs();
    let sctx = server_ctx(Compat::Py314);
    let cctx = client_ctx(Compat::Py314);
    let log = c
        .dir
        .join(format!("keylog-toggle-{}.txt", std::process::id()));
    let stop = Arc::new(AtomicBool::new(false));
    let toggler = {
        let (sctx, log, stop) = (Arc::clone(&sctx), log.clone(), Arc::clone(&stop));
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                sctx.set_keylog_filename(Some(&log)).unwrap();
                sctx.set_keylog_filename(None).unwrap();
            }
        })
    };
    for _ in 0..300 {
        let (a, b) = common::socketpair();
        let cs = Socket::new_fd(&cctx, a, false, Some(c"localhost")).unwrap();
        let ss = Socket::new_fd(&sctx, b, true, None).unwrap();
        handshake(&cs, &ss);
        drop((cs, ss));
        common::close(a);
        common::close(b);
    }
    stop.store(true, Ordering::Relaxed);
    toggler.join().unwrap();
    let _ = std::fs::remove_file(&log);
}
