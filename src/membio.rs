//! `MemoryBIO`: CPython's `_ssl.MemoryBIO`, the byte pipes under an
//! `SSLObject` (asyncio's transport).

use std::sync::{Mutex, MutexGuard};

use openssl_sys as ffi;

use crate::error::{set_ssl_error, PyErr, PyResult, Status};
use crate::here;
use crate::ossl;

/// A memory BIO. Host calls and socket operations that use it are
/// serialized by its lock.
pub struct MemoryBio {
    inner: Mutex<Inner>,
}

pub(crate) struct Inner {
    pub(crate) bio: *mut ffi::BIO,
    eof_written: bool,
}

// SAFETY: the BIO is only touched with `inner` locked (by host calls or by
// the socket operation that holds the guard), so it is never used by two
// threads at once; OpenSSL BIOs carry no thread affinity.
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
                }),
            })
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `MemoryBIO.pending`.
    pub fn pending(&self) -> usize {
        let g = self.lock();
        // SAFETY: valid BIO, locked.
        unsafe { ossl::BIO_ctrl_pending(g.bio) }
    }

    /// `MemoryBIO.eof`: EOF written and nothing left to read.
    pub fn eof(&self) -> bool {
        let g = self.lock();
        // SAFETY: valid BIO, locked.
        g.eof_written && unsafe { ossl::BIO_ctrl_pending(g.bio) } == 0
    }

    /// `MemoryBIO.read(n)`: up to `buf.len()` bytes, 0 when empty.
    pub fn read(&self, buf: &mut [u8]) -> PyResult<usize> {
        let g = self.lock();
        // SAFETY: valid BIO, locked.
        let avail = unsafe { ossl::BIO_ctrl_pending(g.bio) }.min(i32::MAX as usize);
        let len = buf.len().min(avail);
        if len == 0 {
            return Ok(0);
        }
        // SAFETY: buf has at least len bytes.
        let n = unsafe { ffi::BIO_read(g.bio, buf.as_mut_ptr().cast(), len as i32) };
        if n < 0 {
            return Err(set_ssl_error(None, Status::PYSSL_ERROR_SSL, here!()));
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
        let g = self.lock();
        if g.eof_written {
            return Err(PyErr::ssl_message("cannot write() after write_eof()"));
        }
        // SAFETY: valid BIO, locked; data has data.len() bytes.
        let n = unsafe { ffi::BIO_write(g.bio, data.as_ptr().cast(), data.len() as i32) };
        if n < 0 {
            return Err(set_ssl_error(None, Status::PYSSL_ERROR_SSL, here!()));
        }
        Ok(n as usize)
    }

    /// `MemoryBIO.write_eof()`: reads past the data now report a real EOF.
    pub fn write_eof(&self) {
        let mut g = self.lock();
        g.eof_written = true;
        // SAFETY: valid BIO, locked.
        unsafe {
            ffi::BIO_clear_flags(g.bio, ffi::BIO_FLAGS_RWS | ffi::BIO_FLAGS_SHOULD_RETRY);
            ossl::bio_set_mem_eof_return(g.bio, 0);
        }
    }
}
