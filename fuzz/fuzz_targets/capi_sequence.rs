//! The C API as a state machine: random sequences of calls with random
//! arguments on live handles (and NULL). Every call must return a status,
//! never crash, and leave no leak behind once everything is freed.
#![no_main]

use std::ffi::c_int;
use std::ptr::null_mut;

use libfuzzer_sys::fuzz_target;
use pyssl::capi::*;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

const CERT: &std::ffi::CStr = c"seeds/fuzz.pem";

#[derive(Default)]
struct World {
    ctxs: Vec<*mut pyssl_context>,
    bios: Vec<*mut pyssl_memory_bio>,
    socks: Vec<*mut pyssl_socket>,
    fds: Vec<c_int>,
}

fn pick<T>(v: &[*mut T], b: u8) -> *mut T {
    // Index past the end gives NULL on purpose.
    v.get(b as usize % (v.len() + 1)).copied().unwrap_or(null_mut())
}

fuzz_target!(|data: &[u8]| {
    let dir = env!("CARGO_MANIFEST_DIR");
    let _ = std::env::set_current_dir(dir);
    let mut input = Bytes(data);
    let mut w = World::default();
    let mut buf = vec![0u8; 1 << 16];
    let mut steps = 0;
    while let (Some(op), Some(arg)) = (input.byte(), input.byte()) {
        steps += 1;
        if steps > 64 {
            break;
        }
        match op % 24 {
            0 => {
                let proto = [2, 16, 17, 0, -1][arg as usize % 5];
                let compat = [311, 313, 314, 0][(arg as usize / 5) % 4];
                let c = pyssl_context_new_compat(proto, compat);
                if !c.is_null() {
                    w.ctxs.push(c);
                }
            }
            1 => {
                pyssl_context_set_verify_mode(pick(&w.ctxs, arg), (arg as c_int % 5) - 1);
            }
            2 => {
                pyssl_context_set_check_hostname(pick(&w.ctxs, arg), (arg & 1) as c_int);
            }
            3 => {
                let s = std::ffi::CString::new(input.take(arg as usize % 32).iter().map(|&b| b.max(1)).collect::<Vec<_>>()).unwrap();
                pyssl_context_set_ciphers(pick(&w.ctxs, arg), s.as_ptr());
            }
            4 => {
                let d = input.take(arg as usize);
                pyssl_context_set_alpn_protocols(pick(&w.ctxs, arg), d.as_ptr(), d.len());
            }
            5 => {
                pyssl_context_set_minimum_version(pick(&w.ctxs, arg), [0x301, 0x303, 0x304, -2, -1, 7][arg as usize % 6]);
                pyssl_context_set_maximum_version(pick(&w.ctxs, arg / 3), [0x301, 0x303, 0x304, -2, -1, 7][arg as usize / 7 % 6]);
            }
            6 => {
                let c = pick(&w.ctxs, arg);
                if arg & 1 == 0 {
                    pyssl_context_load_cert_chain(c, CERT.as_ptr(), c"seeds/fuzz.key".as_ptr(), std::ptr::null());
                } else {
                    pyssl_context_load_verify_locations(c, CERT.as_ptr(), std::ptr::null());
                }
            }
            7 => {
                let d = input.take(arg as usize);
                pyssl_context_load_verify_data(pick(&w.ctxs, arg), d.as_ptr(), d.len(), (arg & 1) as c_int);
            }
            8 => {
                let b = pyssl_memory_bio_new();
                if !b.is_null() {
                    w.bios.push(b);
                }
            }
            9 => {
                let d = input.take(arg as usize * 4);
                pyssl_memory_bio_write(pick(&w.bios, arg), d.as_ptr().cast(), d.len());
            }
            10 => {
                pyssl_memory_bio_read(pick(&w.bios, arg), buf.as_mut_ptr().cast(), arg as usize * 64);
                pyssl_memory_bio_pending(pick(&w.bios, arg));
                pyssl_memory_bio_eof(pick(&w.bios, arg));
            }
            11 => {
                pyssl_memory_bio_write_eof(pick(&w.bios, arg));
            }
            12 => {
                let host = if arg & 2 != 0 { c"localhost".as_ptr() } else { std::ptr::null() };
                let s = pyssl_socket_new_bio(pick(&w.ctxs, arg), pick(&w.bios, arg / 2), pick(&w.bios, arg / 4), (arg & 1) as c_int, host);
                if !s.is_null() {
                    w.socks.push(s);
                }
            }
            13 => {
                let mut fds = [0; 2];
                // SAFETY: a valid array of two ints.
                if unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, fds.as_mut_ptr()) } == 0 {
                    w.fds.extend(fds);
                    let host = if arg & 2 != 0 { c"localhost".as_ptr() } else { std::ptr::null() };
                    let s = pyssl_socket_new(pick(&w.ctxs, arg), fds[0], (arg & 1) as c_int, host);
                    if !s.is_null() {
                        // Never block: nothing answers on the other end.
                        pyssl_socket_set_timeout(s, 0.0);
                        w.socks.push(s);
                    }
                }
            }
            14 => {
                pyssl_do_handshake(pick(&w.socks, arg));
            }
            15 => {
                pyssl_read(pick(&w.socks, arg), buf.as_mut_ptr().cast(), arg as usize * 37);
            }
            16 => {
                let d = input.take(arg as usize);
                pyssl_write(pick(&w.socks, arg), d.as_ptr().cast(), d.len());
            }
            17 => {
                pyssl_shutdown(pick(&w.socks, arg));
            }
            18 => {
                let mut v = null_mut();
                if pyssl_getpeercert(pick(&w.socks, arg), (arg & 1) as c_int, &mut v) == 0 {
                    pyssl_value_free(v);
                }
            }
            19 => {
                let s = pick(&w.socks, arg);
                let t = [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300, 0.001, -0.0][arg as usize % 7];
                // Blocking and long timeouts could hang on a silent peer.
                if t == 0.0 || t.is_nan() || t > 1e299 {
                    pyssl_socket_set_timeout(s, t);
                }
                pyssl_socket_set_fd(s, if arg & 8 != 0 { -1 } else { -5 });
            }
            20 => {
                pyssl_socket_version(pick(&w.socks, arg));
                pyssl_socket_cipher(pick(&w.socks, arg), null_mut(), null_mut(), null_mut());
                pyssl_socket_pending(pick(&w.socks, arg));
                pyssl_socket_selected_alpn_protocol(pick(&w.socks, arg), buf.as_mut_ptr(), arg as usize);
            }
            21 => {
                if !w.socks.is_empty() {
                    let i = arg as usize % w.socks.len();
                    pyssl_socket_free(w.socks.swap_remove(i));
                }
            }
            22 => {
                if !w.ctxs.is_empty() {
                    let i = arg as usize % w.ctxs.len();
                    pyssl_context_free(w.ctxs.swap_remove(i));
                }
            }
            _ => {
                if !w.bios.is_empty() {
                    let i = arg as usize % w.bios.len();
                    pyssl_memory_bio_free(w.bios.swap_remove(i));
                }
            }
        }
        // The error accessors work after any call.
        pyssl_error_type();
        pyssl_error_message();
        pyssl_error_verify_code();
    }
    // Free in an arbitrary order: contexts and BIOs before their sockets.
    for c in w.ctxs {
        pyssl_context_free(c);
    }
    for b in w.bios {
        pyssl_memory_bio_free(b);
    }
    for s in w.socks {
        pyssl_socket_free(s);
    }
    for fd in w.fds {
        // SAFETY: our fds.
        unsafe { libc::close(fd) };
    }
});
