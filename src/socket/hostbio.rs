//! The BIO under sockets over the host's own I/O (libtls's
//! `tls_connect_cbs` style): OpenSSL's reads and writes of TLS bytes go to
//! a [`HostTransport`], which never blocks on pyssl's behalf. A transport
//! that would block says so ([`HostIo::WantRead`]/[`HostIo::WantWrite`])
//! and the operation returns `SSLWantReadError`/`SSLWantWriteError`, as
//! over memory BIOs; its errno failures and EOFs are those of a socket fd
//! whose `recv`/`send` failed or returned 0, so the EOF rules of fd
//! sockets apply (see `ssl_error`).
//!
//! The transport runs inside the OpenSSL call, on the calling thread, with
//! the host's lock released and no pyssl lock held (the socket's turn is
//! taken, as over an fd: a transport that starts another operation on the
//! same socket gets `PYSSL_ERROR_REENTRANCY`). A panic in it is caught and
//! reads as an `EIO` failure.

use std::os::raw::{c_char, c_int, c_long, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use openssl_sys as ffi;

use crate::ossl;
use crate::socket::sockbio::Method;

/// What one transfer of the host's transport did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostIo {
    /// Moved this many bytes (at least 1, at most the buffer's length).
    Done(usize),
    /// Read: the peer closed the stream (`recv` returned 0). Write: nothing
    /// could be written, which OpenSSL treats as a failure without errno.
    Eof,
    /// Would block until the stream is readable.
    WantRead,
    /// Would block until the stream is writable.
    WantWrite,
    /// Failed with this errno (an `OSError` as for a socket fd; 0, a
    /// transport that forgot to set it, is taken as `EIO`).
    Error(c_int),
}

/// The host's stream of TLS bytes.
pub trait HostTransport: Send + Sync {
    /// Reads at most `buf.len()` bytes of TLS data from the peer.
    fn read(&self, buf: &mut [u8]) -> HostIo;
    /// Writes at most `buf.len()` bytes of TLS data to the peer.
    fn write(&self, buf: &[u8]) -> HostIo;
}

const BIO_TYPE_SOURCE_SINK: c_int = 0x0400;
const BIO_CTRL_EOF: c_int = 2;
const BIO_CTRL_FLUSH: c_int = 11;
const BIO_FLAGS_IN_EOF: c_int = 0x800;

fn method() -> Option<*mut ffi::BIO_METHOD> {
    static METHOD: OnceLock<Method> = OnceLock::new();
    Method::get(&METHOD, || {
        // SAFETY: a new method table with our functions, made once.
        unsafe {
            let m = ffi::BIO_meth_new(BIO_TYPE_SOURCE_SINK, c"pyssl host I/O".as_ptr());
            if !m.is_null() {
                ossl::BIO_meth_set_write(m, Some(host_write));
                ossl::BIO_meth_set_read(m, Some(host_read));
                ossl::BIO_meth_set_ctrl(m, Some(host_ctrl));
                ossl::BIO_meth_set_create(m, Some(host_create));
                ossl::BIO_meth_set_destroy(m, Some(host_destroy));
            }
            m
        }
    })
}

/// The transport of a BIO of ours.
///
/// # Safety
/// `b` must be a BIO made by [`set_transport`], not yet destroyed.
unsafe fn transport<'a>(b: *mut ffi::BIO) -> Option<&'a dyn HostTransport> {
    // SAFETY: the data is the Box made in set_transport, alive until destroy.
    let data = unsafe { ffi::BIO_get_data(b) } as *const Arc<dyn HostTransport>;
    // SAFETY: as above; NULL only before set_transport finished.
    unsafe { data.as_ref() }.map(|t| &**t)
}

/// Runs one transfer, panics caught (an `EIO` failure), and records its
/// outcome in the BIO as OpenSSL's socket BIO does: retry flags, the EOF
/// flag `BIO_eof()` reports, errno.
///
/// # Safety
/// `b` must be a BIO of ours.
unsafe fn transfer(
    b: *mut ffi::BIO,
    len: usize,
    io: impl FnOnce(&dyn HostTransport) -> HostIo,
) -> c_int {
    // SAFETY: b is ours, as the caller guarantees.
    unsafe { ffi::BIO_clear_flags(b, ffi::BIO_FLAGS_RWS | ffi::BIO_FLAGS_SHOULD_RETRY) };
    // SAFETY: as above.
    let Some(t) = (unsafe { transport(b) }) else {
        crate::errno::set(libc::EBADF);
        return -1;
    };
    crate::errno::set(0);
    let outcome = catch_unwind(AssertUnwindSafe(|| io(t))).unwrap_or(HostIo::Error(libc::EIO));
    let (ret, flags) = match outcome {
        HostIo::Done(0) | HostIo::Eof => (0, BIO_FLAGS_IN_EOF),
        HostIo::Done(n) if n <= len => (n as c_int, 0),
        // A count the buffer cannot hold: the transport is broken.
        HostIo::Done(_) => {
            crate::errno::set(libc::EIO);
            (-1, 0)
        }
        HostIo::WantRead => (-1, ffi::BIO_FLAGS_READ | ffi::BIO_FLAGS_SHOULD_RETRY),
        HostIo::WantWrite => (-1, ffi::BIO_FLAGS_WRITE | ffi::BIO_FLAGS_SHOULD_RETRY),
        HostIo::Error(e) => {
            crate::errno::set(if e == 0 { libc::EIO } else { e });
            (-1, 0)
        }
    };
    if flags != 0 {
        // SAFETY: b is ours.
        unsafe { ffi::BIO_set_flags(b, flags) };
    }
    ret
}

unsafe extern "C" fn host_read(b: *mut ffi::BIO, buf: *mut c_char, len: c_int) -> c_int {
    if buf.is_null() || len <= 0 {
        return 0;
    }
    let len = len as usize;
    // SAFETY: OpenSSL passes its BIO (ours) and `len` writable bytes.
    unsafe {
        transfer(b, len, |t| {
            t.read(std::slice::from_raw_parts_mut(buf.cast::<u8>(), len))
        })
    }
}

unsafe extern "C" fn host_write(b: *mut ffi::BIO, buf: *const c_char, len: c_int) -> c_int {
    if buf.is_null() || len <= 0 {
        return 0;
    }
    let len = len as usize;
    // SAFETY: OpenSSL passes its BIO (ours) and `len` readable bytes.
    unsafe {
        transfer(b, len, |t| {
            t.write(std::slice::from_raw_parts(buf.cast::<u8>(), len))
        })
    }
}

unsafe extern "C" fn host_ctrl(
    b: *mut ffi::BIO,
    cmd: c_int,
    _n: c_long,
    _p: *mut c_void,
) -> c_long {
    match cmd {
        // SAFETY: OpenSSL passes its BIO.
        BIO_CTRL_EOF => (unsafe { ossl::BIO_test_flags(b, BIO_FLAGS_IN_EOF) } != 0) as c_long,
        // Writes go straight to the host: nothing to flush.
        BIO_CTRL_FLUSH => 1,
        _ => 0,
    }
}

unsafe extern "C" fn host_create(b: *mut ffi::BIO) -> c_int {
    // SAFETY: OpenSSL passes the new BIO; the data is set by set_transport.
    unsafe {
        ffi::BIO_set_data(b, std::ptr::null_mut());
        ffi::BIO_set_init(b, 1);
    }
    1
}

unsafe extern "C" fn host_destroy(b: *mut ffi::BIO) -> c_int {
    if b.is_null() {
        return 0;
    }
    // SAFETY: the data is NULL or the Box made in set_transport, freed once.
    unsafe {
        let data = ffi::BIO_get_data(b) as *mut Arc<dyn HostTransport>;
        if !data.is_null() {
            drop(Box::from_raw(data));
        }
        ffi::BIO_set_data(b, std::ptr::null_mut());
    }
    1
}

/// Makes `transport` the SSL's BIO in both directions (the BIO keeps a
/// reference). False on failure (OpenSSL's error queue says why).
///
/// # Safety
/// `ssl` must be a valid `SSL*`.
pub(crate) unsafe fn set_transport(ssl: *mut ffi::SSL, transport: Arc<dyn HostTransport>) -> bool {
    let Some(m) = method() else {
        return false;
    };
    // SAFETY: a new BIO of our method, whose data is ours until destroy;
    // SSL_set_bio takes its one reference.
    unsafe {
        let bio = ffi::BIO_new(m);
        if bio.is_null() {
            return false;
        }
        ffi::BIO_set_data(bio, Box::into_raw(Box::new(transport)).cast());
        ffi::SSL_set_bio(ssl, bio, bio);
    }
    true
}
