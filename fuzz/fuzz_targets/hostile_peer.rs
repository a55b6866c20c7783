//! A hostile TLS peer: arbitrary bytes as the peer's stream, against a pyssl
//! client or server, over memory BIOs or a socketpair in blocking, timeout
//! and non-blocking modes. Nothing may crash, hang or leak.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use pyssl::compat::Compat;
use pyssl::context::Context;
use pyssl::membio::MemoryBio;
use pyssl::socket::Socket;

struct Contexts {
    client: [Arc<Context>; 2],
    server: [Arc<Context>; 2],
}

fn contexts() -> &'static Contexts {
    static C: OnceLock<Contexts> = OnceLock::new();
    C.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/");
        let pem = std::ffi::CString::new(format!("{dir}fuzz.pem")).unwrap();
        let key = std::ffi::CString::new(format!("{dir}fuzz.key")).unwrap();
        let make = |proto, compat| {
            let c = Context::new(proto, compat).unwrap();
            if proto == 17 {
                c.load_cert_chain(&pem, Some(&key), None).unwrap();
            } else {
                c.load_verify_locations(Some(&pem), None).unwrap();
            }
            c
        };
        Contexts {
            client: [make(16, Compat::Py314), make(16, Compat::Py311)],
            server: [make(17, Compat::Py314), make(17, Compat::Py311)],
        }
    })
}

fn exercise(sock: &Socket, flags: u8, drain: &dyn Fn()) {
    let mut buf = [0u8; 4096];
    for _ in 0..4 {
        let r = sock.do_handshake();
        drain();
        if r.is_ok() || !matches!(r.as_ref().unwrap_err().exc_type, "SSLWantReadError" | "SSLWantWriteError") {
            break;
        }
    }
    let _ = sock.getpeercert(flags & 0x40 != 0);
    let _ = sock.version();
    let _ = sock.cipher();
    for _ in 0..3 {
        let _ = sock.read(&mut buf);
        drain();
    }
    if flags & 0x10 != 0 {
        let _ = sock.write(b"hello from pyssl");
        drain();
    }
    if flags & 0x20 != 0 {
        let _ = sock.shutdown();
        drain();
        let _ = sock.shutdown();
        drain();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, peer)) = data.split_first() else {
        return;
    };
    let peer = &peer[..peer.len().min(64 * 1024)];
    let server = flags & 1 != 0;
    let compat = ((flags >> 3) & 1) as usize;
    let c = contexts();
    let ctx = if server { &c.server[compat] } else { &c.client[compat] };
    let host = if server { None } else { Some(c"localhost") };
    match (flags >> 1) & 3 {
        0 => {
            let inc = Arc::new(MemoryBio::new().unwrap());
            let out = Arc::new(MemoryBio::new().unwrap());
            let sock = Socket::new_bio(ctx, inc.clone(), out.clone(), server, host).unwrap();
            inc.write(peer).unwrap();
            if flags & 0x80 != 0 {
                inc.write_eof();
            }
            let drain = || {
                let mut sink = [0u8; 8192];
                while out.read(&mut sink).unwrap_or(0) > 0 {}
            };
            exercise(&sock, flags, &drain);
        }
        mode => {
            let mut fds = [0; 2];
            // SAFETY: a valid array of two ints.
            assert_eq!(unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, fds.as_mut_ptr()) }, 0);
            // SAFETY: writes from our buffer to our fd; the peer end is then
            // half-closed so a blocking read sees EOF instead of hanging.
            unsafe {
                libc::send(fds[1], peer.as_ptr().cast(), peer.len(), libc::MSG_DONTWAIT);
                libc::shutdown(fds[1], libc::SHUT_WR);
            }
            let sock = Socket::new_fd(ctx, fds[0], server, host).unwrap();
            sock.set_timeout(match mode {
                1 => 0.0,
                2 => -1.0,
                _ => 0.005,
            })
            .unwrap();
            let drain = || {
                let mut sink = [0u8; 8192];
                // SAFETY: reads into our buffer from our fd without blocking.
                while unsafe { libc::recv(fds[1], sink.as_mut_ptr().cast(), sink.len(), libc::MSG_DONTWAIT) } > 0 {}
            };
            exercise(&sock, flags, &drain);
            drop(sock);
            // SAFETY: our fds.
            unsafe {
                libc::close(fds[0]);
                libc::close(fds[1]);
            }
        }
    }
});
