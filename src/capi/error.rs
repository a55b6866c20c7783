//! C surface of the thread-local last error.
//!
//! After a call fails, these describe the exception CPython would have
//! raised. Successful calls leave the last error as it was (like `errno`),
//! including those that answer NULL for "none". Returned strings stay valid
//! until the next failing pyssl call on the same thread (or
//! `pyssl_error_clear`); these accessors never change them. To keep an
//! error across further calls, take an owned copy (`pyssl_error_take`,
//! read with `pyssl_error_get_*`, freed with `pyssl_error_free`).

use std::os::raw::{c_char, c_int, c_long};

use std::cell::{Cell, OnceCell};
use std::ffi::{CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::guard;
use super::handle::{self, HandleKind};
use super::status::pyssl_status;
use crate::error::{PyErr, PyResult, Status};

/// The exception class CPython raises, e.g. `"SSLEOFError"`,
/// `"SSLCertVerificationError"`, `"TimeoutError"`, `"ConnectionResetError"`;
/// NULL when no error was recorded on this thread. Valid until the next
/// failing pyssl call on this thread (successful calls keep it).
#[no_mangle]
pub extern "C" fn pyssl_error_type() -> *const c_char {
    last_c_str(|v| v.exc_type())
}

/// `str(exc)` exactly as CPython builds it (the `(file:line)` location is
/// pyssl's own); NULL when no error was recorded. Valid as for
/// `pyssl_error_type`.
#[no_mangle]
pub extern "C" fn pyssl_error_message() -> *const c_char {
    last_c_str(|v| v.message())
}

/// The status the failing call returned (`PYSSL_OK` when none).
#[no_mangle]
pub extern "C" fn pyssl_error_status() -> c_int {
    last_with(pyssl_status::PYSSL_OK as c_int, |e| {
        pyssl_status::from(e.status()) as c_int
    })
}

/// `exc.errno`: the `PY_SSL_ERROR_*` number for `SSLError`s, the OS errno
/// for `OSError`s; 0 when CPython leaves it None (see `pyssl_error_has_errno`).
#[no_mangle]
pub extern "C" fn pyssl_error_errno() -> c_int {
    last_with(0, |e| e.errno.unwrap_or(0))
}

/// 1 if `exc.errno` is set (not None), else 0.
#[no_mangle]
pub extern "C" fn pyssl_error_has_errno() -> c_int {
    last_with(0, |e| e.errno.is_some() as c_int)
}

/// `exc.strerror`, NULL when None.
#[no_mangle]
pub extern "C" fn pyssl_error_strerror() -> *const c_char {
    last_c_str(|v| v.strerror())
}

/// `exc.library` (OpenSSL library name such as `"SSL"`), NULL when None.
#[no_mangle]
pub extern "C" fn pyssl_error_library() -> *const c_char {
    last_c_str(|v| v.library())
}

/// `exc.reason` (OpenSSL reason such as `"CERTIFICATE_VERIFY_FAILED"`), NULL
/// when None.
#[no_mangle]
pub extern "C" fn pyssl_error_reason() -> *const c_char {
    last_c_str(|v| v.reason())
}

/// OpenSSL's library number (`ERR_GET_LIB`), 0 when none.
#[no_mangle]
pub extern "C" fn pyssl_error_lib_code() -> c_int {
    last_with(0, |e| e.lib_code)
}

/// OpenSSL's reason number (`ERR_GET_REASON`), 0 when none.
#[no_mangle]
pub extern "C" fn pyssl_error_reason_code() -> c_int {
    last_with(0, |e| e.reason_code)
}

/// `exc.verify_code` of an `SSLCertVerificationError` (an `X509_V_ERR_*`
/// value), -1 for other errors.
#[no_mangle]
pub extern "C" fn pyssl_error_verify_code() -> c_long {
    last_with(-1, |e| e.verify_code.map_or(-1, |c| c as c_long))
}

/// `exc.verify_message` of an `SSLCertVerificationError`, NULL otherwise.
#[no_mangle]
pub extern "C" fn pyssl_error_verify_message() -> *const c_char {
    last_c_str(|v| v.verify_message())
}

/// Forgets this thread's last error and frees its record. pyssl may be
/// called from a thread's exit-time destructors (pthread key and
/// `thread_local` destructors); the record of an error recorded after
/// pyssl's own destructor has run is freed only by the next error or by
/// this call, so such a destructor should end with `pyssl_error_clear()`.
#[no_mangle]
pub extern "C" fn pyssl_error_clear() {
    no_panic((), clear_last);
}

/// `exc.args` of the last error as a new tuple value (free with
/// `pyssl_value_free`), or NULL when none is recorded: what a host passes to
/// the exception class to rebuild the exception (e.g. `(1, "[SSL: ...] ...")`
/// for an `SSLError`, `("text",)` for one raised with a message only, the
/// five arguments of a `UnicodeDecodeError`). An `SSL*` class with an errno
/// (`pyssl_error_has_errno()`) always has `(errno, str(exc))`, as CPython's
/// `fill_and_set_sslerror` makes them, so a host may build those two from
/// `pyssl_error_errno()` and `pyssl_error_message()` instead. Does not change the last error,
/// but walking the tuple can (`pyssl_value_len` of a scalar fails with a
/// `TypeError`, as `len()` does): read the other `pyssl_error_*` fields first.
#[no_mangle]
pub extern "C" fn pyssl_error_args() -> *mut super::value::pyssl_value {
    no_panic(std::ptr::null_mut(), || {
        with_last(|l| l.map(|e| e.err.args())).map_or(std::ptr::null_mut(), |args| {
            super::value::flat_to_raw(&args)
        })
    })
}

// ---------------------------------------------------------------------------
// Owned errors: a copy of the last error that later pyssl calls leave alone.

/// An owned copy of an error (`pyssl_error_take`): what the thread's last
/// error said when it was taken, unchanged by later pyssl calls on any
/// thread (e.g. flushing the fatal alert from the outgoing BIO after a
/// failure), until `pyssl_error_free`. May be read from any thread.
pub struct pyssl_error {
    _private: [u8; 0],
}

/// The C-ready fields of an owned error, made when it is taken (so that
/// reading it never writes: it may be shared between threads).
struct OwnedError {
    err: PyErr,
    exc_type: CString,
    message: CString,
    strerror: Option<CString>,
    library: Option<CString>,
    reason: Option<CString>,
    verify_message: Option<CString>,
}

impl HandleKind for OwnedError {
    const MAGIC: u64 = 0x7079_7373_6c65_7272; // "pysslerr"
    const NAME: &'static str = "pyssl_error";
}

impl OwnedError {
    fn new(err: PyErr) -> OwnedError {
        OwnedError {
            exc_type: c_string(err.exc_type),
            message: c_string(&err.message),
            strerror: err.strerror().map(c_string),
            library: err.library.map(c_string),
            reason: err.reason.map(c_string),
            verify_message: err.verify_message.as_deref().map(c_string),
            err,
        }
    }
}

/// # Safety
/// `e` must be NULL or a handle from `pyssl_error_take`.
unsafe fn owned<'a>(e: *const pyssl_error) -> PyResult<&'a OwnedError> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow::<OwnedError, _>(e) }
}

/// A string field of an owned error; NULL when None or for a bad handle.
fn owned_str(e: *const pyssl_error, pick: fn(&OwnedError) -> Option<&CString>) -> *const c_char {
    guard(|| {
        // SAFETY: handle checked by owned().
        let e = unsafe { owned(e) }?;
        Ok(pick(e).map_or(std::ptr::null(), |c| c.as_ptr()))
    })
}

/// A number of an owned error; `bad` for a bad handle.
fn owned_num<T>(e: *const pyssl_error, bad: T, pick: fn(&PyErr) -> T) -> T {
    let mut out = None;
    guard(|| {
        // SAFETY: handle checked by owned().
        out = Some(pick(&unsafe { owned(e) }?.err));
        Ok(())
    });
    out.unwrap_or(bad)
}

/// An owned copy of this thread's last error (free it with
/// `pyssl_error_free`), or NULL when none is recorded. The thread's last
/// error stays as it is. A host that must make further pyssl calls before
/// raising (flushing the fatal alert a failed handshake left in the
/// outgoing BIO, closing the socket) takes the error first, then reads it
/// with the `pyssl_error_get_*` accessors, which mirror `pyssl_error_type`,
/// `pyssl_error_message`, ... field for field.
#[no_mangle]
pub extern "C" fn pyssl_error_take() -> *mut pyssl_error {
    guard(|| {
        Ok(last().map_or(std::ptr::null_mut(), |e| {
            handle::into_raw(OwnedError::new(e))
        }))
    })
}

/// Frees an owned error; NULL is ignored.
#[no_mangle]
pub extern "C" fn pyssl_error_free(e: *mut pyssl_error) {
    guard(|| {
        // SAFETY: NULL or an error handle; checked by take().
        unsafe { handle::take::<OwnedError, _>(e) }.map(drop)
    })
}

/// `pyssl_error_type()` of an owned error: the exception class. Strings of
/// an owned error stay valid until `pyssl_error_free`; a bad handle gives
/// NULL (or the numbers' "none" values below) and sets the thread's last
/// error to `PYSSL_ERROR_BAD_ARGUMENT`/`_BAD_HANDLE`.
#[no_mangle]
pub extern "C" fn pyssl_error_get_type(e: *const pyssl_error) -> *const c_char {
    owned_str(e, |e| Some(&e.exc_type))
}

/// `pyssl_error_message()` of an owned error: `str(exc)`.
#[no_mangle]
pub extern "C" fn pyssl_error_get_message(e: *const pyssl_error) -> *const c_char {
    owned_str(e, |e| Some(&e.message))
}

/// `pyssl_error_status()` of an owned error: the status the failing call
/// returned (the handle's own error status for a bad handle).
#[no_mangle]
pub extern "C" fn pyssl_error_get_status(e: *const pyssl_error) -> c_int {
    guard(|| {
        // SAFETY: handle checked by owned().
        Ok(pyssl_status::from(unsafe { owned(e) }?.err.status()) as c_int)
    })
}

/// `pyssl_error_errno()` of an owned error: `exc.errno`, 0 for None.
#[no_mangle]
pub extern "C" fn pyssl_error_get_errno(e: *const pyssl_error) -> c_int {
    owned_num(e, 0, |e| e.errno.unwrap_or(0))
}

/// `pyssl_error_has_errno()` of an owned error: 1 if `exc.errno` is set.
#[no_mangle]
pub extern "C" fn pyssl_error_get_has_errno(e: *const pyssl_error) -> c_int {
    owned_num(e, 0, |e| e.errno.is_some() as c_int)
}

/// `pyssl_error_strerror()` of an owned error: `exc.strerror`, NULL for None.
#[no_mangle]
pub extern "C" fn pyssl_error_get_strerror(e: *const pyssl_error) -> *const c_char {
    owned_str(e, |e| e.strerror.as_ref())
}

/// `pyssl_error_library()` of an owned error: `exc.library`, NULL for None.
#[no_mangle]
pub extern "C" fn pyssl_error_get_library(e: *const pyssl_error) -> *const c_char {
    owned_str(e, |e| e.library.as_ref())
}

/// `pyssl_error_reason()` of an owned error: `exc.reason`, NULL for None.
#[no_mangle]
pub extern "C" fn pyssl_error_get_reason(e: *const pyssl_error) -> *const c_char {
    owned_str(e, |e| e.reason.as_ref())
}

/// `pyssl_error_lib_code()` of an owned error (0 when none).
#[no_mangle]
pub extern "C" fn pyssl_error_get_lib_code(e: *const pyssl_error) -> c_int {
    owned_num(e, 0, |e| e.lib_code)
}

/// `pyssl_error_reason_code()` of an owned error (0 when none).
#[no_mangle]
pub extern "C" fn pyssl_error_get_reason_code(e: *const pyssl_error) -> c_int {
    owned_num(e, 0, |e| e.reason_code)
}

/// `pyssl_error_verify_code()` of an owned error: `exc.verify_code`, -1
/// when not an `SSLCertVerificationError`.
#[no_mangle]
pub extern "C" fn pyssl_error_get_verify_code(e: *const pyssl_error) -> c_long {
    owned_num(e, -1, |e| e.verify_code.map_or(-1, |c| c as c_long))
}

/// `pyssl_error_verify_message()` of an owned error: `exc.verify_message`,
/// NULL when not an `SSLCertVerificationError`.
#[no_mangle]
pub extern "C" fn pyssl_error_get_verify_message(e: *const pyssl_error) -> *const c_char {
    owned_str(e, |e| e.verify_message.as_ref())
}

/// `pyssl_error_args()` of an owned error: `exc.args` as a new tuple value
/// (free with `pyssl_value_free`), NULL for a bad handle.
#[no_mangle]
pub extern "C" fn pyssl_error_get_args(e: *const pyssl_error) -> *mut super::value::pyssl_value {
    guard(|| {
        // SAFETY: handle checked by owned().
        let e = unsafe { owned(e) }?;
        Ok(super::value::flat_to_raw(&e.err.args()))
    })
}

// ---------------------------------------------------------------------------
// The calling thread's last error, as the C surface hands it out.

/// The last error in C-ready form: strings stay valid until the next error
/// is recorded on this thread.
struct LastError {
    err: PyErr,
    // Made on first use: most errors (WANT_READ in a non-blocking loop) are
    // never read as text.
    exc_type: OnceCell<CString>,
    message: OnceCell<CString>,
    strerror: OnceCell<Option<CString>>,
    library: OnceCell<Option<CString>>,
    reason: OnceCell<Option<CString>>,
    verify_message: OnceCell<Option<CString>>,
}

fn c_string(s: &str) -> CString {
    // Python strings can hold NUL; C sees them cut at the first NUL.
    match CString::new(s) {
        Ok(c) => c,
        Err(e) => {
            let pos = e.nul_position();
            CString::new(&s.as_bytes()[..pos]).unwrap_or_default()
        }
    }
}

thread_local! {
    // A plain pointer, a type without a destructor, so that the slot stays
    // usable while the thread's destructors run: a host may call pyssl from
    // a pthread key destructor, and glibc runs those after Rust's
    // thread-local destructors (a slot with a destructor of its own then
    // panics on access, and the process aborts). The record is owned
    // by the slot; `FREE_LAST` frees it at thread exit.
    static LAST: Cell<*mut LastError> = const { Cell::new(std::ptr::null_mut()) };
    static FREE_LAST: FreeLast = const { FreeLast };
}

/// Frees the thread's last error when the thread's destructors run.
struct FreeLast;

impl Drop for FreeLast {
    fn drop(&mut self) {
        replace_last(std::ptr::null_mut());
    }
}

/// Puts `new` (NULL or from `Box::into_raw`) in the slot and frees what was
/// there.
fn replace_last(new: *mut LastError) {
    let old = LAST.with(|l| l.replace(new));
    if !old.is_null() {
        // SAFETY: a non-null pointer in the slot came from Box::into_raw in
        // set_last and is owned by the slot alone; it has just left the
        // slot, and no reference made by with_last outlives that call.
        drop(unsafe { Box::from_raw(old) });
    }
}

/// Runs `f` on the calling thread's last error. `f` must not record or
/// clear an error (nothing in this module's readers does).
fn with_last<R>(f: impl for<'a> FnOnce(Option<&'a LastError>) -> R) -> R {
    let p = LAST.with(Cell::get);
    // SAFETY: NULL or a live Box owned by the slot (see replace_last); only
    // set_last and clear_last free it, and neither runs during `f`, so the
    // reference lives no longer than the record.
    f(unsafe { p.as_ref() })
}

/// Runs an error accessor that cannot go through `guard` (recording an
/// error there would overwrite the one being read): a panic gives `bad`.
fn no_panic<R>(bad: R, f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(bad)
}

/// Records `err` as the calling thread's last error and returns its status.
pub fn set_last(err: PyErr) -> Status {
    debug_assert!(err.keeps_ssl_args_promise(), "{err:?}");
    let status = err.status();
    let last = LastError {
        err,
        exc_type: OnceCell::new(),
        message: OnceCell::new(),
        strerror: OnceCell::new(),
        library: OnceCell::new(),
        reason: OnceCell::new(),
        verify_message: OnceCell::new(),
    };
    // Registers FREE_LAST's destructor on the thread's first error. It
    // fails only when the thread's destructors have already dropped it; the
    // record then lives until the next error or pyssl_error_clear on this
    // thread (see there).
    let _ = FREE_LAST.try_with(|_| ());
    replace_last(Box::into_raw(Box::new(last)));
    status
}

/// Forgets the calling thread's last error.
pub fn clear_last() {
    replace_last(std::ptr::null_mut());
}

/// A copy of the calling thread's last error, if any.
pub fn last() -> Option<PyErr> {
    with_last(|l| l.map(|l| l.err.clone()))
}

/// Reads a C string field of the last error; NULL when there is none.
pub(crate) fn last_c_str(
    pick: for<'a> fn(&'a LastErrorView<'a>) -> Option<&'a CStr>,
) -> *const c_char {
    no_panic(std::ptr::null(), || {
        with_last(|l| {
            l.and_then(|last| pick(&LastErrorView(last)).map(CStr::as_ptr))
                .unwrap_or(std::ptr::null())
        })
    })
}

/// Reads a scalar of the last error.
pub(crate) fn last_with<T: Copy>(default: T, pick: fn(&PyErr) -> T) -> T {
    no_panic(default, || {
        with_last(|l| l.map_or(default, |last| pick(&last.err)))
    })
}

/// The C string of a class pyssl raises often (the `WANT_*` errors of
/// every non-blocking loop among them), so that reading it allocates
/// nothing.
fn static_class_name(name: &str) -> Option<&'static CStr> {
    Some(match name {
        "SSLError" => c"SSLError",
        "SSLWantReadError" => c"SSLWantReadError",
        "SSLWantWriteError" => c"SSLWantWriteError",
        "SSLZeroReturnError" => c"SSLZeroReturnError",
        "SSLEOFError" => c"SSLEOFError",
        "SSLSyscallError" => c"SSLSyscallError",
        "SSLCertVerificationError" => c"SSLCertVerificationError",
        _ => return None,
    })
}

/// Borrowed access to the C strings of the last error.
pub(crate) struct LastErrorView<'a>(&'a LastError);

impl LastErrorView<'_> {
    pub fn exc_type(&self) -> Option<&CStr> {
        let e = self.0;
        let name = e.err.class_name();
        Some(match static_class_name(name) {
            Some(c) => c,
            None => e.exc_type.get_or_init(|| c_string(name)),
        })
    }
    pub fn message(&self) -> Option<&CStr> {
        let e = self.0;
        Some(e.message.get_or_init(|| c_string(&e.err.message)))
    }
    pub fn strerror(&self) -> Option<&CStr> {
        let e = self.0;
        e.strerror
            .get_or_init(|| e.err.strerror().map(c_string))
            .as_deref()
    }
    pub fn library(&self) -> Option<&CStr> {
        let e = self.0;
        e.library
            .get_or_init(|| e.err.library.map(c_string))
            .as_deref()
    }
    pub fn reason(&self) -> Option<&CStr> {
        let e = self.0;
        e.reason
            .get_or_init(|| e.err.reason.map(c_string))
            .as_deref()
    }
    pub fn verify_message(&self) -> Option<&CStr> {
        let e = self.0;
        e.verify_message
            .get_or_init(|| e.err.verify_message.as_deref().map(c_string))
            .as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn last_error_is_per_thread() {
        set_last(PyErr::value_error("here"));
        let other = std::thread::spawn(|| last().is_none()).join().unwrap();
        assert!(other);
        assert_eq!(last().unwrap().message, "here");
        clear_last();
        assert!(last().is_none());
    }

    /// Thread-local destructors run in reverse order of registration, so a
    /// destructor registered before the thread's first error runs after
    /// FREE_LAST's: recording and reading an error there must still work.
    #[test]
    fn last_error_works_in_late_thread_destructors() {
        struct Late(std::sync::mpsc::Sender<Option<String>>);
        impl Drop for Late {
            fn drop(&mut self) {
                set_last(PyErr::value_error("late"));
                let _ = self.0.send(last().map(|e| e.message.clone()));
                clear_last();
            }
        }
        thread_local! {
            static LATE: RefCell<Option<Late>> = const { RefCell::new(None) };
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            LATE.with(|l| *l.borrow_mut() = Some(Late(tx)));
            set_last(PyErr::value_error("early"));
        })
        .join()
        .unwrap();
        assert_eq!(rx.recv().unwrap().as_deref(), Some("late"));
    }
}
