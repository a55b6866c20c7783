//! C surface of `MemoryBIO`.

use std::os::raw::{c_int, c_void};
use std::sync::Arc;

use super::{guard, ssize_t};
use crate::capi::handle::{self, HandleKind};
use crate::error::PyResult;
use crate::membio::MemoryBio;

/// A memory BIO (`ssl.MemoryBIO`): a byte pipe for `pyssl_socket_new_bio`.
/// Sockets keep their BIOs alive, so the host may free them in any order.
/// A host call on a BIO while a socket's OpenSSL call uses it on another
/// thread waits for that call (with the host's lock released); from a
/// callback inside that call it runs at once.
pub struct pyssl_memory_bio {
    _private: [u8; 0],
}

pub(crate) struct BioHandle(pub Arc<MemoryBio>);

impl HandleKind for BioHandle {
    const MAGIC: u64 = 0x7079_7373_6c62_696f; // "pysslbio"
    const NAME: &'static str = "pyssl_memory_bio";
}

/// # Safety
/// `bio` must be NULL or a handle from `pyssl_memory_bio_new`.
pub(crate) unsafe fn bio_ref<'a>(bio: *const pyssl_memory_bio) -> PyResult<&'a Arc<MemoryBio>> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow::<BioHandle, _>(bio) }.map(|h| &h.0)
}

/// `ssl.MemoryBIO()`. NULL on failure.
#[no_mangle]
pub extern "C" fn pyssl_memory_bio_new() -> *mut pyssl_memory_bio {
    guard(|| Ok(handle::into_raw(BioHandle(Arc::new(MemoryBio::new()?)))))
}

/// Releases the caller's reference (a socket using the BIO keeps its own).
/// NULL is ignored.
#[no_mangle]
pub extern "C" fn pyssl_memory_bio_free(bio: *mut pyssl_memory_bio) {
    guard(|| {
        // SAFETY: NULL or a BIO handle; checked by take().
        unsafe { handle::take::<BioHandle, _>(bio) }.map(drop)
    })
}

/// `MemoryBIO.write(buf)`: `len`, or < 0 (after `write_eof`: `SSLError`
/// "cannot write() after write_eof()").
#[no_mangle]
pub extern "C" fn pyssl_memory_bio_write(
    bio: *mut pyssl_memory_bio,
    buf: *const c_void,
    len: usize,
) -> ssize_t {
    guard(|| {
        // SAFETY: handle checked by bio_ref.
        let b = unsafe { bio_ref(bio) }?;
        // SAFETY: checked by in_bytes; the caller gives `len` readable bytes.
        let data = unsafe { super::in_bytes(buf, len, "buf") }?;
        b.write(data).map(|n| n as ssize_t)
    })
}

/// `MemoryBIO.read(len)`: bytes copied into `buf` (at most `len`), 0 when
/// empty, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_memory_bio_read(
    bio: *mut pyssl_memory_bio,
    buf: *mut c_void,
    len: usize,
) -> ssize_t {
    guard(|| {
        // SAFETY: handle checked by bio_ref.
        let b = unsafe { bio_ref(bio) }?;
        // SAFETY: checked by out_bytes; the caller gives `len` writable bytes.
        let out = unsafe { super::out_bytes(buf, len, "buf") }?;
        b.read(out).map(|n| n as ssize_t)
    })
}

/// `MemoryBIO.pending`: bytes waiting to be read, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_memory_bio_pending(bio: *const pyssl_memory_bio) -> ssize_t {
    // SAFETY: handle checked by bio_ref.
    guard(|| Ok(unsafe { bio_ref(bio) }?.pending() as ssize_t))
}

/// `MemoryBIO.eof`: 1 once `write_eof` was called and nothing is pending,
/// 0 otherwise, < 0 on error.
#[no_mangle]
pub extern "C" fn pyssl_memory_bio_eof(bio: *const pyssl_memory_bio) -> c_int {
    // SAFETY: handle checked by bio_ref.
    guard(|| Ok(unsafe { bio_ref(bio) }?.eof() as c_int))
}

/// `MemoryBIO.write_eof()`: no more data will come; reads past the end then
/// see a real EOF.
#[no_mangle]
pub extern "C" fn pyssl_memory_bio_write_eof(bio: *mut pyssl_memory_bio) -> c_int {
    guard(|| {
        // SAFETY: handle checked by bio_ref.
        unsafe { bio_ref(bio) }?.write_eof();
        Ok(0)
    })
}
