//! The calling thread's `errno`: captured right after an OpenSSL or socket
//! call, as CPython does, and kept across the host's own code.

use std::os::raw::c_int;

/// Sets this thread's `errno`.
pub(crate) fn set(v: c_int) {
    // SAFETY: __errno_location returns this thread's errno.
    unsafe { *libc::__errno_location() = v };
}

/// This thread's `errno`.
pub(crate) fn get() -> c_int {
    // SAFETY: as above.
    unsafe { *libc::__errno_location() }
}
