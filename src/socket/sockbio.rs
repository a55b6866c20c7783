//! The BIO under sockets over an fd: OpenSSL's socket BIO, except that
//! reads and writes never block and writes never raise `SIGPIPE`.
//!
//! - `send(MSG_NOSIGNAL)`: a peer that went away gives `EPIPE`
//!   (`BrokenPipeError`, as in CPython, which ignores `SIGPIPE`) instead of
//!   a `SIGPIPE` that kills a C host that did not ignore it.
//! - `MSG_DONTWAIT` on both: an OpenSSL call returns `WANT_READ`/`WANT_WRITE`
//!   instead of blocking inside OpenSSL, whatever the fd's own mode; a
//!   blocking socket then waits in `poll()` (`wait::wait_blocking`) outside
//!   the OpenSSL call. So one socket's OpenSSL calls can take turns (a
//!   reader and a writer thread: OpenSSL does not support two calls on one
//!   `SSL` at once), and a reader blocked waiting for data does not hold
//!   the `SSL` away from a writer.

use std::os::raw::{c_char, c_int, c_long, c_void};
use std::sync::OnceLock;

use openssl_sys as ffi;

use crate::ossl;

const BIO_TYPE_SOCKET: c_int = 5 | 0x0400 | 0x0100;
const BIO_C_SET_FD: c_int = 104;
const BIO_C_GET_FD: c_int = 105;
const BIO_NOCLOSE: c_long = 0;
const BIO_FLAGS_IN_EOF: c_int = 0x800;

/// A BIO method table made once (NULL if OpenSSL could not make it).
pub(crate) struct Method(*mut ffi::BIO_METHOD);
// SAFETY: the method table is created once, never changed afterwards and
// only read by OpenSSL.
unsafe impl Send for Method {}
// SAFETY: see Send.
unsafe impl Sync for Method {}

impl Method {
    /// The table in `cell`, made by `make` on first use.
    pub(crate) fn get(
        cell: &'static OnceLock<Method>,
        make: impl FnOnce() -> *mut ffi::BIO_METHOD,
    ) -> Option<*mut ffi::BIO_METHOD> {
        let m = cell.get_or_init(|| Method(make()));
        (!m.0.is_null()).then_some(m.0)
    }
}

fn method() -> Option<*mut ffi::BIO_METHOD> {
    static METHOD: OnceLock<Method> = OnceLock::new();
    Method::get(&METHOD, || {
        // SAFETY: builds a new method table from the socket BIO's own
        // functions; BIO_s_socket returns a static table.
        unsafe {
            let base = ossl::BIO_s_socket();
            let m = ffi::BIO_meth_new(BIO_TYPE_SOCKET, c"pyssl socket".as_ptr());
            if m.is_null() {
                return m;
            }
            ossl::BIO_meth_set_write(m, Some(write_nosignal));
            ossl::BIO_meth_set_read(m, Some(read_dontwait));
            ossl::BIO_meth_set_ctrl(m, ossl::BIO_meth_get_ctrl(base));
            ossl::BIO_meth_set_create(m, ossl::BIO_meth_get_create(base));
            ossl::BIO_meth_set_destroy(m, ossl::BIO_meth_get_destroy(base));
            m
        }
    })
}

/// The fd of one of our BIOs. Not cached in the BIO's data pointer: the
/// socket BIO of OpenSSL 3.5 and 3.6 (not 3.0's) allocates state of its
/// own there, and a copy of the fd there crashed every fd socket on them.
///
/// # Safety
/// `b` must be a BIO made by [`set_fd`].
unsafe fn bio_fd(b: *mut ffi::BIO) -> c_int {
    // SAFETY: a live socket BIO, as the caller guarantees.
    unsafe { ffi::BIO_ctrl(b, BIO_C_GET_FD, 0, std::ptr::null_mut()) as c_int }
}

/// OpenSSL's `sock_read` with `recv(MSG_DONTWAIT)` (plain `read` for an
/// fd that is not a socket, which then follows the fd's own mode).
unsafe extern "C" fn read_dontwait(b: *mut ffi::BIO, buf: *mut c_char, len: c_int) -> c_int {
    if buf.is_null() {
        return 0;
    }
    // SAFETY: OpenSSL passes its BIO and `len` writable bytes.
    unsafe {
        let fd = bio_fd(b);
        crate::errno::set(0);
        let n = len.max(0) as usize;
        let mut ret = libc::recv(fd, buf as *mut c_void, n, libc::MSG_DONTWAIT);
        if ret < 0 && crate::errno::get() == libc::ENOTSOCK {
            ret = libc::read(fd, buf as *mut c_void, n);
        }
        let ret = ret as c_int;
        ffi::BIO_clear_flags(b, ffi::BIO_FLAGS_RWS | ffi::BIO_FLAGS_SHOULD_RETRY);
        if ret <= 0 {
            if ossl::BIO_sock_should_retry(ret) != 0 {
                ffi::BIO_set_flags(b, ffi::BIO_FLAGS_READ | ffi::BIO_FLAGS_SHOULD_RETRY);
            } else if ret == 0 {
                // What BIO_eof() reports, as OpenSSL's sock_read sets it.
                ffi::BIO_set_flags(b, BIO_FLAGS_IN_EOF);
            }
        }
        ret
    }
}

/// OpenSSL's `sock_write` with `send(MSG_NOSIGNAL | MSG_DONTWAIT)` (plain
/// `write` for an fd that is not a socket).
unsafe extern "C" fn write_nosignal(b: *mut ffi::BIO, buf: *const c_char, len: c_int) -> c_int {
    // SAFETY: OpenSSL passes its BIO and `len` readable bytes.
    unsafe {
        let fd = bio_fd(b);
        crate::errno::set(0);
        let n = len.max(0) as usize;
        let flags = libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
        let mut ret = libc::send(fd, buf as *const c_void, n, flags);
        if ret < 0 && crate::errno::get() == libc::ENOTSOCK {
            ret = libc::write(fd, buf as *const c_void, n);
        }
        let ret = ret as c_int;
        ffi::BIO_clear_flags(b, ffi::BIO_FLAGS_RWS | ffi::BIO_FLAGS_SHOULD_RETRY);
        if ret <= 0 && ossl::BIO_sock_should_retry(ret) != 0 {
            ffi::BIO_set_flags(b, ffi::BIO_FLAGS_WRITE | ffi::BIO_FLAGS_SHOULD_RETRY);
        }
        ret
    }
}

/// `SSL_set_fd(ssl, fd)` with the no-SIGPIPE socket BIO. False on failure
/// (OpenSSL's error queue says why).
///
/// # Safety
/// `ssl` must be a valid `SSL*`.
pub(crate) unsafe fn set_fd(ssl: *mut ffi::SSL, fd: c_int) -> bool {
    let Some(m) = method() else {
        // SAFETY: valid SSL per the contract.
        return unsafe { ossl::SSL_set_fd(ssl, fd) } == 1;
    };
    // SAFETY: a new BIO of our method; SSL_set_bio takes its one reference.
    unsafe {
        let bio = ffi::BIO_new(m);
        if bio.is_null() {
            return false;
        }
        let mut fd = fd;
        ffi::BIO_ctrl(
            bio,
            BIO_C_SET_FD,
            BIO_NOCLOSE,
            (&mut fd as *mut c_int).cast(),
        );
        ffi::SSL_set_bio(ssl, bio, bio);
    }
    true
}
