//! The C surface: thin `extern "C"` shims over the Rust core.
//!
//! Every exported function runs inside [`guard`], which catches panics,
//! turns errors into the thread's last error and a negative status, and
//! never lets a Rust panic unwind into C.

#![allow(non_camel_case_types)]
// C callers cannot see Rust's `unsafe`; every export checks its pointers
// and documents what it requires of them.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{PyErr, PyResult, Status};

pub mod context;
pub mod error;
pub mod handle;
pub mod hooks;
pub mod info;
pub mod membio;
pub mod session;
pub mod socket;
pub mod sslpy;
pub mod status;
pub mod value;
pub mod x509;

// One flat namespace, as in the header.
pub use self::{
    context::*, error::*, hooks::*, info::*, membio::*, session::*, socket::*, sslpy::*, status::*,
    value::*, x509::*,
};

/// C's `ssize_t` (a byte count or a negative status); declared by
/// `<sys/types.h>`, so the header does not define it.
pub type ssize_t = isize;

/// A `PYSSL_COMPAT_*` argument.
pub(crate) fn compat_arg(code: std::os::raw::c_int) -> PyResult<crate::compat::Compat> {
    crate::compat::Compat::from_code(code)
        .ok_or_else(|| PyErr::value_error(format!("unsupported compat version {code}")))
}

/// What an exported function returns when it fails.
pub trait FfiReturn {
    fn from_status(status: Status) -> Self;
}

impl FfiReturn for std::os::raw::c_int {
    fn from_status(status: Status) -> Self {
        pyssl_status::from(status) as Self
    }
}

impl FfiReturn for isize {
    fn from_status(status: Status) -> Self {
        pyssl_status::from(status) as Self
    }
}

impl<T> FfiReturn for *mut T {
    fn from_status(_: Status) -> Self {
        std::ptr::null_mut()
    }
}

impl<T> FfiReturn for *const T {
    fn from_status(_: Status) -> Self {
        std::ptr::null()
    }
}

impl FfiReturn for () {
    fn from_status(_: Status) -> Self {}
}

/// Runs the body of an exported function: errors become the thread's last
/// error plus a negative status (or NULL), panics become
/// `PYSSL_ERROR_INTERNAL`.
pub fn guard<R: FfiReturn>(f: impl FnOnce() -> PyResult<R>) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => R::from_status(set_last(e)),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned());
            R::from_status(set_last(PyErr::internal(&what)))
        }
    }
}

/// Writes a required out-parameter (`BAD_ARGUMENT` when it is NULL).
pub fn write_out<T>(out: *mut T, value: T, what: &str) -> PyResult<()> {
    if out.is_null() {
        return Err(PyErr::bad_argument(format!("{what} is NULL")));
    }
    // SAFETY: non-null; the caller of the exported function provides a
    // writable slot of this type, as the header documents.
    unsafe { out.write(value) };
    Ok(())
}

/// Writes an optional out-parameter (skipped when NULL).
pub fn write_opt<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: as for write_out.
        unsafe { out.write(value) };
    }
}

/// Copies `data` into the caller's buffer of `buflen` bytes and returns its
/// length; `BAD_ARGUMENT` when the buffer is too small, or NULL while there
/// is something to copy (NULL with length 0 holds an empty answer, as in
/// `in_bytes`/`out_bytes`).
pub fn copy_out(data: &[u8], buf: *mut u8, buflen: usize, what: &str) -> PyResult<ssize_t> {
    if data.is_empty() {
        return Ok(0);
    }
    if buf.is_null() || buflen < data.len() {
        return Err(PyErr::bad_argument(format!(
            "buffer too small for the {what}"
        )));
    }
    // SAFETY: buf has at least data.len() writable bytes (checked above,
    // given the caller's buflen); the regions cannot overlap (ours is owned).
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len()) };
    Ok(data.len() as ssize_t)
}

/// The `len` bytes at `buf`, checked before any slice is made: empty for
/// `len` 0 (`buf` may then be NULL), `BAD_ARGUMENT` for a NULL `buf` or a
/// length no C object can have (above `SSIZE_MAX`).
///
/// # Safety
/// Unless rejected, `buf` must point to `len` readable bytes.
pub unsafe fn in_bytes<'a>(
    buf: *const std::os::raw::c_void,
    len: usize,
    what: &str,
) -> PyResult<&'a [u8]> {
    check_buffer(buf.is_null(), len, what)?;
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: non-NULL, len <= isize::MAX; the caller gives `len` bytes.
    Ok(unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) })
}

/// The `len` writable bytes at `buf`, checked as for [`in_bytes`].
///
/// # Safety
/// Unless rejected, `buf` must point to `len` writable bytes not otherwise
/// in use during the call.
pub unsafe fn out_bytes<'a>(
    buf: *mut std::os::raw::c_void,
    len: usize,
    what: &str,
) -> PyResult<&'a mut [u8]> {
    check_buffer(buf.is_null(), len, what)?;
    if len == 0 {
        return Ok(&mut []);
    }
    // SAFETY: as for in_bytes, writable per the caller.
    Ok(unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), len) })
}

#[inline]
fn check_buffer(null: bool, len: usize, what: &str) -> PyResult<()> {
    if len > isize::MAX as usize || (null && len > 0) {
        return Err(bad_buffer(null, len, what));
    }
    Ok(())
}

/// [`check_buffer`]'s error, out of the way of every call's fast path.
#[cold]
#[inline(never)]
fn bad_buffer(null: bool, len: usize, what: &str) -> PyErr {
    if len > isize::MAX as usize {
        return PyErr::bad_argument(format!("{what} length {len} is larger than SSIZE_MAX"));
    }
    debug_assert!(null);
    PyErr::bad_argument(format!("{what} is NULL"))
}

/// A C string argument as `&str`; NULL gives None.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string.
pub unsafe fn opt_str<'a>(p: *const std::os::raw::c_char, what: &str) -> PyResult<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: caller guarantees a NUL-terminated string.
    let c = unsafe { std::ffi::CStr::from_ptr(p) };
    c.to_str()
        .map(Some)
        .map_err(|_| PyErr::value_error(format!("{what} is not valid UTF-8")))
}

/// A file name from C: its bytes as they are, as Linux takes them (not
/// necessarily UTF-8).
pub fn c_path(c: &std::ffi::CStr) -> &std::path::Path {
    use std::os::unix::ffi::OsStrExt;
    std::path::Path::new(std::ffi::OsStr::from_bytes(c.to_bytes()))
}

/// A C string argument as raw bytes; NULL gives None.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string.
pub unsafe fn opt_cstr<'a>(p: *const std::os::raw::c_char) -> Option<&'a std::ffi::CStr> {
    if p.is_null() {
        None
    } else {
        // SAFETY: caller guarantees a NUL-terminated string.
        Some(unsafe { std::ffi::CStr::from_ptr(p) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_out_checks_the_buffer_only_when_there_is_something_to_copy() {
        assert_eq!(copy_out(b"", std::ptr::null_mut(), 0, "id").unwrap(), 0);
        let e = copy_out(b"ab", std::ptr::null_mut(), 2, "id").unwrap_err();
        assert_eq!(e.status, Status::BadArgument);
        let mut buf = [0u8; 4];
        let e = copy_out(b"abc", buf.as_mut_ptr(), 2, "id").unwrap_err();
        assert_eq!(e.message, "buffer too small for the id");
        assert_eq!(buf, [0; 4]);
        assert_eq!(copy_out(b"abc", buf.as_mut_ptr(), 4, "id").unwrap(), 3);
        assert_eq!(&buf, b"abc\0");
    }
}
