//! `MemoryBIO`: CPython's `_ssl.MemoryBIO`, the byte pipes under an
//! `SSLObject` (asyncio's transport).

use std::sync::{Condvar, Mutex, MutexGuard};

use openssl_sys as ffi;

use crate::error::{set_ssl_error, PyErr, PyResult, Status};
use crate::here;
use crate::hooks::allow_threads;
use crate::ossl;

/// A memory BIO.
///
/// OpenSSL's memory BIOs are not thread-safe, so the BIO is touched by one
/// thread at a time: host calls hold `inner` for the length of one BIO
/// call, and a socket operation marks the BIO in use (`Inner::turn`) for
/// the length of each OpenSSL call, without holding `inner`. No lock is
/// held while host code runs: a callback inside that OpenSSL call (on the
/// same thread) may use the BIO, and a host call from another thread waits
/// with the host's lock released until the OpenSSL call is over.
pub struct MemoryBio {
    inner: Mutex<Inner>,
    /// Signalled when the turn is given back and someone waits for it.
    idle: Condvar,
}

struct Inner {
    bio: *mut ffi::BIO,
    eof_written: bool,
    /// The thread running an OpenSSL call on this BIO, if any.
    turn: crate::turn::TurnState,
}

// SAFETY: the BIO is only touched by one thread at a time: host calls with
// `inner` locked and the BIO not in use by another thread's OpenSSL call,
// OpenSSL calls while `turn` names their thread (see MemoryBio); OpenSSL
// BIOs carry no thread affinity.
unsafe impl Send for Inner {}

impl Drop for Inner {
    fn drop(&mut self) {
        // SAFETY: we own one reference; an SSL using it holds its own.
        unsafe { ossl::BIO_free(self.bio) };
    }
}

impl MemoryBio {
    /// `MemoryBIO()`.
    pub fn new() -> PyResult<MemoryBio> {
        // SAFETY: BIO_s_mem is a static method table; the new BIO is ours.
        unsafe {
            let bio = ffi::BIO_new(ffi::BIO_s_mem());
            if bio.is_null() {
                return Err(PyErr::ssl_message("failed to allocate BIO"));
            }
            // An empty non-blocking read means "no data yet", not EOF.
            ffi::BIO_set_flags(bio, ffi::BIO_FLAGS_READ | ffi::BIO_FLAGS_SHOULD_RETRY);
            ossl::bio_set_mem_eof_return(bio, -1);
            Ok(MemoryBio {
                inner: Mutex::new(Inner {
                    bio,
                    eof_written: false,
                    turn: Default::default(),
                }),
                idle: Condvar::new(),
            })
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The raw BIO, to hand to `SSL_set_bio` (which takes its own reference).
    pub(crate) fn raw(&self) -> *mut ffi::BIO {
        self.lock().bio
    }

    /// The BIO for one host call: at once when no OpenSSL call runs on it
    /// or when the caller is that call's thread (a callback); otherwise
    /// after that call, waited for with the host's lock released and no
    /// pyssl lock held, so that the call can finish whatever it needs.
    fn access(&self) -> MutexGuard<'_, Inner> {
        let me = crate::turn::thread_token();
        loop {
            let g = self.lock();
            if g.turn.user == 0 || g.turn.user == me {
                return g;
            }
            drop(g);
            allow_threads(|| {
                drop(crate::turn::wait_free(self.lock(), &self.idle, |i| {
                    &mut i.turn
                }))
            });
        }
    }

    /// Marks the BIO in use by this thread's OpenSSL call until the returned
    /// claim drops. Called with the host's lock released: waits for another
    /// thread's call on the BIO to end. A call already running on this
    /// thread (an operation started from inside one of its callbacks) is
    /// `PYSSL_ERROR_REENTRANCY`.
    pub(crate) fn claim(&self) -> PyResult<Claim<'_>> {
        drop(crate::turn::take(&self.inner, &self.idle, |i| &mut i.turn)?);
        Ok(Claim(self))
    }

    /// `MemoryBIO.pending`.
    pub fn pending(&self) -> usize {
        let g = self.access();
        // SAFETY: valid BIO, ours for this call (see access()).
        unsafe { ossl::BIO_ctrl_pending(g.bio) }
    }

    /// `MemoryBIO.eof`: EOF written and nothing left to read.
    pub fn eof(&self) -> bool {
        let g = self.access();
        // SAFETY: valid BIO, ours for this call (see access()).
        g.eof_written && unsafe { ossl::BIO_ctrl_pending(g.bio) } == 0
    }

    /// `MemoryBIO.read(n)`: up to `buf.len()` bytes, 0 when empty.
    pub fn read(&self, buf: &mut [u8]) -> PyResult<usize> {
        let g = self.access();
        // SAFETY: valid BIO, ours for this call (see access()).
        let avail = unsafe { ossl::BIO_ctrl_pending(g.bio) }.min(i32::MAX as usize);
        let len = buf.len().min(avail);
        if len == 0 {
            return Ok(0);
        }
        // SAFETY: buf has at least len bytes.
        let n = unsafe { ffi::BIO_read(g.bio, buf.as_mut_ptr().cast(), len as i32) };
        if n < 0 {
            return Err(set_ssl_error(
                crate::compat::Compat::default(),
                None,
                Status::Ssl,
                here!(),
            ));
        }
        Ok(n as usize)
    }

    /// `MemoryBIO.write(b)`.
    pub fn write(&self, data: &[u8]) -> PyResult<usize> {
        if data.len() > i32::MAX as usize {
            return Err(PyErr::overflow_error(format!(
                "string longer than {} bytes",
                i32::MAX
            )));
        }
        let g = self.access();
        if g.eof_written {
            return Err(PyErr::ssl_message("cannot write() after write_eof()"));
        }
        // SAFETY: valid BIO, ours for this call; data has data.len() bytes.
        let n = unsafe { ffi::BIO_write(g.bio, data.as_ptr().cast(), data.len() as i32) };
        if n < 0 {
            return Err(set_ssl_error(
                crate::compat::Compat::default(),
                None,
                Status::Ssl,
                here!(),
            ));
        }
        Ok(n as usize)
    }

    /// `MemoryBIO.write_eof()`: reads past the data now report a real EOF.
    pub fn write_eof(&self) {
        let mut g = self.access();
        g.eof_written = true;
        // SAFETY: valid BIO, ours for this call (see access()).
        unsafe {
            ffi::BIO_clear_flags(g.bio, ffi::BIO_FLAGS_RWS | ffi::BIO_FLAGS_SHOULD_RETRY);
            ossl::bio_set_mem_eof_return(g.bio, 0);
        }
    }
}

/// A memory BIO marked in use by an OpenSSL call (see [`MemoryBio::claim`]).
pub(crate) struct Claim<'a>(&'a MemoryBio);

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        crate::turn::give(&self.0.inner, &self.0.idle, |i| &mut i.turn);
    }
}
