//! The error model: Python exceptions as values, and the calling thread's
//! last error that the C surface exposes.
//!
//! Every failure inside pyssl is a [`PyErr`]: the exception class CPython
//! raises in the same situation, `str(exc)`, and the attributes CPython sets
//! (`errno`, `strerror`, `library`, `reason`, `verify_code`,
//! `verify_message`). Builders for OpenSSL-derived errors mirror `_ssl.c`'s
//! `fill_and_set_sslerror` and `_setSSLError`.

use std::cell::{OnceCell, RefCell};
use std::ffi::{CStr, CString};
use std::os::raw::c_char;

use openssl_sys as ffi;

use crate::err_names as names;

/// Result statuses returned by every fallible C function. Success is `0` (or
/// a byte count); the negative values are CPython's `PY_SSL_ERROR_*` negated,
/// followed by pyssl's own.
#[repr(C)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pyssl_status {
    /// Success.
    PYSSL_OK = 0,
    /// `SSL_ERROR_SSL`: `SSLError`, or `SSLCertVerificationError` for a
    /// certificate verification failure; also plain `SSLError`s CPython raises
    /// with a message only ("Underlying socket has been closed.", ...).
    PYSSL_ERROR_SSL = -1,
    /// `SSLWantReadError`: non-blocking socket or memory BIO needs input.
    PYSSL_ERROR_WANT_READ = -2,
    /// `SSLWantWriteError`: non-blocking socket cannot take output now.
    PYSSL_ERROR_WANT_WRITE = -3,
    /// `SSL_ERROR_WANT_X509_LOOKUP` (`SSLError`).
    PYSSL_ERROR_WANT_X509_LOOKUP = -4,
    /// `SSL_ERROR_SYSCALL` reported as `SSLSyscallError` or `SSLError`.
    PYSSL_ERROR_SYSCALL = -5,
    /// `SSLZeroReturnError`: the peer closed the TLS session.
    PYSSL_ERROR_ZERO_RETURN = -6,
    /// `SSL_ERROR_WANT_CONNECT` (`SSLError`).
    PYSSL_ERROR_WANT_CONNECT = -7,
    /// `SSLEOFError`: EOF in violation of the protocol.
    PYSSL_ERROR_EOF = -8,
    /// `SSLError` "Underlying socket connection gone".
    PYSSL_ERROR_NO_SOCKET = -9,
    /// `SSLError` "Invalid error code".
    PYSSL_ERROR_INVALID_ERROR_CODE = -10,
    /// `TimeoutError`: the socket's timeout expired.
    PYSSL_ERROR_TIMEOUT = -11,
    /// `OSError` or one of its errno subclasses (`ConnectionResetError`,
    /// `FileNotFoundError`, ...); `pyssl_error_errno()` has the errno.
    PYSSL_ERROR_OS = -12,
    /// `ValueError` or a subclass (`UnicodeDecodeError`), or another
    /// argument error CPython raises (`TypeError`, `OverflowError`).
    PYSSL_ERROR_VALUE = -13,
    /// A NULL pointer or impossible length where a value is required.
    PYSSL_ERROR_BAD_ARGUMENT = -14,
    /// A handle that is not a live pyssl handle of the expected kind
    /// (detected where cheap: freed or foreign handles are not always caught).
    PYSSL_ERROR_BAD_HANDLE = -15,
    /// `MemoryError`: an allocation failed.
    PYSSL_ERROR_MEMORY = -16,
    /// A bug in pyssl (a caught panic); the handle may be unusable.
    PYSSL_ERROR_INTERNAL = -17,
    /// The host's interrupt check (see `pyssl_set_host_hooks`) failed: the
    /// operation stopped and the host's own error is pending.
    PYSSL_ERROR_HOST_INTERRUPT = -18,
    /// `RuntimeError`: an operation was started from inside a callback of
    /// an operation on the same socket or memory BIO on the same thread
    /// (e.g. the SNI callback calling `pyssl_do_handshake` on its own
    /// socket). It would re-enter OpenSSL on an object in mid-use.
    PYSSL_ERROR_REENTRANCY = -19,
}

pub use pyssl_status as Status;

/// CPython's `PY_SSL_ERROR_*` codes (the positive `errno` of an `SSLError`).
pub mod py_ssl {
    pub(crate) const SSL: i32 = 1;
    pub(crate) const WANT_READ: i32 = 2;
    pub(crate) const WANT_WRITE: i32 = 3;
    pub(crate) const WANT_X509_LOOKUP: i32 = 4;
    pub(crate) const SYSCALL: i32 = 5;
    pub(crate) const ZERO_RETURN: i32 = 6;
    pub(crate) const WANT_CONNECT: i32 = 7;
    pub(crate) const EOF: i32 = 8;
    pub(crate) const INVALID_ERROR_CODE: i32 = 10;
}

/// Where in pyssl an error was raised: CPython prints `(_ssl.c:LINE)`, pyssl
/// prints its own file and line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub file: &'static str,
    pub line: u32,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = self.file.rsplit('/').next().unwrap_or(self.file);
        write!(f, "{}:{}", file, self.line)
    }
}

/// The current source location, for error messages.
#[macro_export]
macro_rules! here {
    () => {
        $crate::error::Location {
            file: file!(),
            line: line!(),
        }
    };
}

/// A Python exception as CPython's `_ssl` would raise it. Boxed so that
/// `PyResult` stays small on the I/O fast path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyErr(Box<ErrorInfo>);

impl std::ops::Deref for PyErr {
    type Target = ErrorInfo;
    fn deref(&self) -> &ErrorInfo {
        &self.0
    }
}

impl std::ops::DerefMut for PyErr {
    fn deref_mut(&mut self) -> &mut ErrorInfo {
        &mut self.0
    }
}

impl From<ErrorInfo> for PyErr {
    fn from(info: ErrorInfo) -> PyErr {
        PyErr(Box::new(info))
    }
}

/// The class, text and attributes of a [`PyErr`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    /// What the C function returns.
    pub status: Status,
    /// The exception class name, e.g. `"SSLEOFError"`.
    pub exc_type: &'static str,
    /// `str(exc)`.
    pub message: String,
    /// `exc.errno` (None when CPython leaves it None).
    pub errno: Option<i32>,
    /// `exc.strerror`.
    pub strerror: Option<String>,
    /// `exc.library` and its OpenSSL code.
    pub library: Option<&'static str>,
    pub lib_code: i32,
    /// `exc.reason` and its OpenSSL code.
    pub reason: Option<&'static str>,
    pub reason_code: i32,
    /// `exc.verify_code` / `exc.verify_message` (SSLCertVerificationError).
    pub verify_code: Option<i64>,
    pub verify_message: Option<String>,
    /// `exc.args`: what a host passes to the class to rebuild the exception.
    pub args: Vec<crate::value::Value>,
}

pub type PyResult<T> = Result<T, PyErr>;

impl PyErr {
    /// `PyErr_SetString(type, msg)`: args are `(msg,)`, errno is None.
    pub fn new(status: Status, exc_type: &'static str, message: impl Into<String>) -> Self {
        PyErr::from(ErrorInfo {
            status,
            exc_type,
            message: message.into(),
            errno: None,
            strerror: None,
            library: None,
            lib_code: 0,
            reason: None,
            reason_code: 0,
            verify_code: None,
            verify_message: None,
            args: Vec::new(),
        })
        .with_args(|e| vec![crate::value::Value::Str(e.message.clone())])
    }

    fn with_args(mut self, f: impl FnOnce(&ErrorInfo) -> Vec<crate::value::Value>) -> Self {
        self.args = f(&self);
        self
    }

    pub fn value_error(message: impl Into<String>) -> Self {
        Self::new(Status::PYSSL_ERROR_VALUE, "ValueError", message)
    }

    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new(Status::PYSSL_ERROR_VALUE, "TypeError", message)
    }

    pub fn overflow_error(message: impl Into<String>) -> Self {
        Self::new(Status::PYSSL_ERROR_VALUE, "OverflowError", message)
    }

    pub fn bad_argument(message: impl Into<String>) -> Self {
        Self::new(Status::PYSSL_ERROR_BAD_ARGUMENT, "ValueError", message)
    }

    pub fn memory_error() -> Self {
        Self::new(Status::PYSSL_ERROR_MEMORY, "MemoryError", "")
    }

    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(Status::PYSSL_ERROR_TIMEOUT, "TimeoutError", message)
    }

    /// `PyErr_SetString(PySSLErrorObject, msg)`: a plain SSLError with a
    /// message and no errno. `SSLError.__str__` falls back to `str(args)`
    /// without a `strerror`, so `str(exc)` is the one-item tuple `('msg',)`.
    pub fn ssl_message(message: impl Into<String>) -> Self {
        let args = vec![crate::value::Value::Str(message.into())];
        let text = crate::value::Value::Tuple(args.clone()).repr();
        let mut e = Self::new(Status::PYSSL_ERROR_SSL, "SSLError", text);
        e.args = args;
        e
    }

    /// `PyErr_SetFromErrno(PyExc_OSError)`: the errno subclass, args
    /// `(errno, strerror)`, `str()` is `[Errno N] strerror`.
    pub fn os_error(errno: i32) -> Self {
        let strerror = strerror(errno);
        let exc_type = os_error_class(errno);
        let mut e = Self::new(
            Status::PYSSL_ERROR_OS,
            exc_type,
            format!("[Errno {errno}] {strerror}"),
        );
        e.errno = Some(errno);
        e.args = vec![
            crate::value::Value::Int(errno as i64),
            crate::value::Value::Str(strerror.clone()),
        ];
        e.strerror = Some(strerror);
        e
    }

    /// `PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, filename)`:
    /// `str()` is `[Errno N] strerror: 'filename'`.
    pub fn os_error_with_filename(errno: i32, filename: &str) -> Self {
        let mut e = Self::os_error(errno);
        let repr = crate::value::Value::Str(filename.to_owned()).repr();
        e.message = format!("{}: {repr}", e.message);
        e
    }

    /// The error of a caught panic.
    pub fn internal(what: &str) -> Self {
        Self::new(
            Status::PYSSL_ERROR_INTERNAL,
            "SystemError",
            format!("pyssl internal error: {what}"),
        )
    }

    pub fn bad_handle(kind: &str) -> Self {
        Self::new(
            Status::PYSSL_ERROR_BAD_HANDLE,
            "ValueError",
            format!("invalid {kind} handle"),
        )
    }

    pub fn reentrancy() -> Self {
        Self::new(
            Status::PYSSL_ERROR_REENTRANCY,
            "RuntimeError",
            "SSL object in use: an operation on it is already running on this thread",
        )
    }

    pub fn host_interrupt() -> Self {
        Self::new(
            Status::PYSSL_ERROR_HOST_INTERRUPT,
            "HostError",
            "interrupted by the host's check",
        )
    }
}

/// `strerror(errno)` as Python shows it.
pub fn strerror(errno: i32) -> String {
    // SAFETY: strerror returns a pointer to a static or thread-local string
    // that stays valid until the next strerror call on this thread; we copy
    // it out immediately.
    unsafe {
        let p = libc::strerror(errno);
        if p.is_null() {
            return format!("Unknown error {errno}");
        }
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// The OSError subclass CPython picks for an errno (`errnomap` in
/// Objects/exceptions.c).
pub fn os_error_class(errno: i32) -> &'static str {
    match errno {
        libc::EAGAIN | libc::EALREADY | libc::EINPROGRESS => "BlockingIOError",
        libc::ECHILD => "ChildProcessError",
        libc::EPIPE | libc::ESHUTDOWN => "BrokenPipeError",
        libc::ECONNABORTED => "ConnectionAbortedError",
        libc::ECONNREFUSED => "ConnectionRefusedError",
        libc::ECONNRESET => "ConnectionResetError",
        libc::EEXIST => "FileExistsError",
        libc::ENOENT => "FileNotFoundError",
        libc::EISDIR => "IsADirectoryError",
        libc::ENOTDIR => "NotADirectoryError",
        libc::EINTR => "InterruptedError",
        libc::EACCES | libc::EPERM => "PermissionError",
        libc::ESRCH => "ProcessLookupError",
        libc::ETIMEDOUT => "TimeoutError",
        _ => "OSError",
    }
}

/// OpenSSL's library name for `ERR_GET_LIB`, as CPython's table has it.
pub fn library_name(names: ErrNames, lib: i32) -> Option<&'static str> {
    names
        .libraries
        .binary_search_by_key(&lib, |(code, _)| *code)
        .ok()
        .map(|i| names.libraries[i].1)
}

/// OpenSSL's reason macro name (without `LIB_R_`), as CPython's table has
/// it; None for reasons CPython does not know (it then prints `[LIB]`).
pub fn reason_name(names: ErrNames, lib: i32, reason: i32) -> Option<&'static str> {
    let all = names::REASONS;
    let start = all.partition_point(|(l, r, _, _)| (*l, *r) < (lib, reason));
    all[start..]
        .iter()
        .take_while(|(l, r, _, _)| (*l, *r) == (lib, reason))
        .find(|(_, _, _, tables)| tables & names.table != 0)
        .map(|(_, _, n, _)| *n)
}

/// The name tables CPython compiled in, as a mode and the OpenSSL pyssl
/// runs on select them: Debian's 3.11.2 has one (made for OpenSSL 3.0);
/// 3.13 and later pick theirs by OpenSSL version, as CPython does when it
/// is built (pyssl may be built on one OpenSSL 3 and run on another).
#[derive(Debug, Clone, Copy)]
pub struct ErrNames {
    libraries: &'static [(i32, &'static str)],
    table: u8,
}

impl ErrNames {
    pub fn of(compat: crate::compat::Compat) -> ErrNames {
        if compat == crate::compat::Compat::Py311 {
            return ErrNames {
                libraries: names::LIBRARIES,
                table: names::T311,
            };
        }
        // SAFETY: a plain query of the library's version.
        let v = unsafe { ffi::OpenSSL_version_num() };
        ErrNames {
            libraries: names::LIBRARIES_313,
            table: if v >= 0x3010_0000 {
                names::T313_34
            } else {
                names::T313_300
            },
        }
    }
}

/// `ERR_GET_LIB` for OpenSSL 3.
pub fn err_get_lib(e: u64) -> i32 {
    if e & 0x8000_0000 != 0 {
        // ERR_SYSTEM_FLAG: a system error, library SYS.
        return 2;
    }
    ((e >> 23) & 0xff) as i32
}

/// `ERR_GET_REASON` for OpenSSL 3.
pub fn err_get_reason(e: u64) -> i32 {
    if e & 0x8000_0000 != 0 {
        return (e & 0x7fff_ffff) as i32;
    }
    (e & 0x7f_ffff) as i32
}

/// `ERR_reason_error_string`.
pub fn reason_string(e: u64) -> Option<String> {
    // SAFETY: OpenSSL returns a static string or NULL.
    unsafe {
        let p = ffi::ERR_reason_error_string(e as _);
        if p.is_null() {
            None
        } else {
            Some(CStr::from_ptr(p).to_string_lossy().into_owned())
        }
    }
}

/// `ERR_peek_last_error()`.
pub fn peek_last_error() -> u64 {
    // SAFETY: reads the calling thread's OpenSSL error queue.
    unsafe { ffi::ERR_peek_last_error() as u64 }
}

/// `ERR_clear_error()` only when the queue is not empty: peeking is much
/// cheaper than clearing on hot paths.
pub fn clear_openssl_errors() {
    // SAFETY: both touch only the calling thread's error queue.
    unsafe {
        if crate::ossl::ERR_peek_error() != 0 {
            ffi::ERR_clear_error();
        }
    }
}

/// `ERR_clear_error()`: empties the calling thread's OpenSSL error queue.
pub fn clear_error_queue() {
    // SAFETY: touches only the calling thread's error queue.
    unsafe { ffi::ERR_clear_error() };
}

/// Certificate-verification details for `fill_and_set_sslerror`.
pub struct VerifyInfo {
    pub code: i64,
    pub message: Option<String>,
}

/// CPython's `fill_and_set_sslerror`: builds `[LIB: REASON] errstr (loc)`
/// and the attributes, from an OpenSSL error code `errcode` (0 for none).
// CPython's fill_and_set_sslerror's arguments, plus the name table.
#[allow(clippy::too_many_arguments)]
pub fn fill_ssl_error(
    status: Status,
    exc_type: &'static str,
    ssl_errno: i32,
    errstr: Option<&str>,
    loc: Location,
    errcode: u64,
    verify: Option<VerifyInfo>,
    names: ErrNames,
) -> PyErr {
    let mut library = None;
    let mut reason = None;
    let mut lib_code = 0;
    let mut reason_code = 0;
    let mut errstr: Option<String> = errstr.map(str::to_owned);
    // Error strings must be loaded for ERR_reason_error_string.
    ffi::init();
    if errcode != 0 {
        lib_code = err_get_lib(errcode);
        reason_code = err_get_reason(errcode);
        reason = reason_name(names, lib_code, reason_code);
        library = library_name(names, lib_code);
        if errstr.is_none() {
            errstr = reason_string(errcode);
        }
    }
    let errstr = errstr.unwrap_or_else(|| "unknown error".to_owned());
    let (verify_code, verify_message) = match verify {
        Some(v) => (Some(v.code), v.message),
        None => (None, None),
    };
    let message = match (&verify_code, library, reason) {
        (Some(_), Some(lib), Some(rsn)) => format!(
            "[{lib}: {rsn}] {errstr}: {} ({loc})",
            verify_message.as_deref().unwrap_or("None")
        ),
        (_, Some(lib), Some(rsn)) => format!("[{lib}: {rsn}] {errstr} ({loc})"),
        (_, Some(lib), None) => format!("[{lib}] {errstr} ({loc})"),
        _ => format!("{errstr} ({loc})"),
    };
    PyErr::from(ErrorInfo {
        status,
        exc_type,
        strerror: Some(message.clone()),
        message,
        // init_value is (ERR_GET_REASON(ssl_errno), msg)
        errno: Some(err_get_reason(ssl_errno as u32 as u64)),
        library,
        lib_code,
        reason,
        reason_code,
        verify_code,
        verify_message,
        args: Vec::new(),
    })
    // init_value is (ERR_GET_REASON(ssl_errno), msg)
    .with_args(|e| {
        vec![
            crate::value::Value::Int(e.errno.unwrap_or(0) as i64),
            crate::value::Value::Str(e.message.clone()),
        ]
    })
}

/// CPython's `_setSSLError(errstr, ...)`: a plain `SSLError` from the last
/// OpenSSL error (or from `errstr` alone), clearing the error queue.
/// `compat` selects CPython's table of error names.
pub fn set_ssl_error(
    compat: crate::compat::Compat,
    errstr: Option<&str>,
    status: Status,
    loc: Location,
) -> PyErr {
    let errcode = if errstr.is_none() {
        peek_last_error()
    } else {
        0
    };
    let e = fill_ssl_error(
        status,
        "SSLError",
        errcode as i32,
        errstr,
        loc,
        errcode,
        None,
        ErrNames::of(compat),
    );
    clear_error_queue();
    e
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
    static LAST: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// Records `err` as the calling thread's last error and returns its status.
pub fn set_last(err: PyErr) -> Status {
    let status = err.status;
    let last = LastError {
        err,
        exc_type: OnceCell::new(),
        message: OnceCell::new(),
        strerror: OnceCell::new(),
        library: OnceCell::new(),
        reason: OnceCell::new(),
        verify_message: OnceCell::new(),
    };
    LAST.with(|l| *l.borrow_mut() = Some(last));
    status
}

/// Forgets the calling thread's last error.
pub fn clear_last() {
    LAST.with(|l| *l.borrow_mut() = None);
}

/// A copy of the calling thread's last error, if any.
pub fn last() -> Option<PyErr> {
    LAST.with(|l| l.borrow().as_ref().map(|l| l.err.clone()))
}

/// Reads a C string field of the last error; NULL when there is none.
pub(crate) fn last_c_str(
    pick: for<'a> fn(&'a LastErrorView<'a>) -> Option<&'a CStr>,
) -> *const c_char {
    LAST.with(|l| {
        let guard = l.borrow();
        match guard.as_ref() {
            Some(last) => {
                let view = LastErrorView(last);
                pick(&view).map_or(std::ptr::null(), CStr::as_ptr)
            }
            None => std::ptr::null(),
        }
    })
}

/// Reads a scalar of the last error.
pub(crate) fn last_with<T>(default: T, pick: fn(&PyErr) -> T) -> T {
    LAST.with(|l| l.borrow().as_ref().map_or(default, |last| pick(&last.err)))
}

/// Borrowed access to the C strings of the last error.
pub(crate) struct LastErrorView<'a>(&'a LastError);

impl LastErrorView<'_> {
    pub fn exc_type(&self) -> Option<&CStr> {
        let e = self.0;
        Some(e.exc_type.get_or_init(|| c_string(e.err.exc_type)))
    }
    pub fn message(&self) -> Option<&CStr> {
        let e = self.0;
        Some(e.message.get_or_init(|| c_string(&e.err.message)))
    }
    pub fn strerror(&self) -> Option<&CStr> {
        let e = self.0;
        e.strerror
            .get_or_init(|| e.err.strerror.as_deref().map(c_string))
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

    #[test]
    fn names_come_from_cpythons_table() {
        // OpenSSL 3.0 knows this reason, Debian 3.11's table does not.
        let n = ErrNames::of(crate::compat::Compat::Py311);
        assert_eq!(reason_name(n, 20, 1115), None);
        assert_eq!(library_name(n, 20), Some("SSL"));
        assert_eq!(library_name(n, 2), Some("SYS"));
        assert_eq!(reason_name(n, 20, 134), Some("CERTIFICATE_VERIFY_FAILED"));
        assert_eq!(
            reason_name(n, 20, 294),
            Some("UNEXPECTED_EOF_WHILE_READING")
        );
    }

    #[test]
    fn os_errors_use_cpython_classes_and_text() {
        let e = PyErr::os_error(libc::ECONNRESET);
        assert_eq!(e.exc_type, "ConnectionResetError");
        assert_eq!(e.message, "[Errno 104] Connection reset by peer");
        assert_eq!(e.errno, Some(104));
        assert_eq!(PyErr::os_error(libc::ENOENT).exc_type, "FileNotFoundError");
        assert_eq!(PyErr::os_error(libc::EBADF).exc_type, "OSError");
    }

    #[test]
    fn message_formats_follow_fill_and_set_sslerror() {
        let loc = Location {
            file: "src/x.rs",
            line: 7,
        };
        let e = fill_ssl_error(
            Status::PYSSL_ERROR_EOF,
            "SSLEOFError",
            8,
            Some("EOF"),
            loc,
            0,
            None,
            ErrNames::of(crate::compat::Compat::Py311),
        );
        assert_eq!(e.message, "EOF (x.rs:7)");
        assert_eq!(e.errno, Some(8));
        let code = (20u64 << 23) | 134;
        let e = fill_ssl_error(
            Status::PYSSL_ERROR_SSL,
            "SSLCertVerificationError",
            1,
            None,
            loc,
            code,
            Some(VerifyInfo {
                code: 18,
                message: Some("self-signed certificate".into()),
            }),
            ErrNames::of(crate::compat::Compat::Py311),
        );
        assert_eq!(
            e.message,
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (x.rs:7)"
        );
        assert_eq!(e.library, Some("SSL"));
        assert_eq!(e.verify_code, Some(18));
    }

    #[test]
    fn args_are_what_cpython_passes_to_the_class() {
        use crate::value::Value;
        assert_eq!(
            PyErr::ssl_message("No cipher can be selected.").args,
            vec![Value::Str("No cipher can be selected.".into())]
        );
        let e = PyErr::os_error(libc::ECONNRESET);
        assert_eq!(
            Value::Tuple(e.args.clone()).repr(),
            "(104, 'Connection reset by peer')"
        );
        let loc = Location {
            file: "x.rs",
            line: 1,
        };
        let e = fill_ssl_error(
            Status::PYSSL_ERROR_EOF,
            "SSLEOFError",
            8,
            Some("EOF"),
            loc,
            0,
            None,
            ErrNames::of(crate::compat::Compat::Py311),
        );
        assert_eq!(Value::Tuple(e.args.clone()).repr(), "(8, 'EOF (x.rs:1)')");
        let e = crate::value::decode_utf8(b"ab\xff").unwrap_err();
        assert_eq!(
            Value::Tuple(e.args.clone()).repr(),
            "('utf-8', b'ab\\xff', 2, 3, 'invalid start byte')"
        );
    }

    #[test]
    fn last_error_is_per_thread() {
        set_last(PyErr::value_error("here"));
        let other = std::thread::spawn(|| last().is_none()).join().unwrap();
        assert!(other);
        assert_eq!(last().unwrap().message, "here");
        clear_last();
        assert!(last().is_none());
    }
}

#[cfg(test)]
mod names_tests {
    use super::*;
    use crate::compat::Compat;

    #[test]
    fn tables_follow_the_mode_and_the_openssl_version() {
        // SSL_R_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY: in 3.13's OpenSSL 3.1+
        // table only; SSL_R_RECORD_LAYER_FAILURE (OpenSSL 3.2) likewise.
        // SAFETY: a plain query of the library's version.
        let new = unsafe { ffi::OpenSSL_version_num() } >= 0x3010_0000;
        for (lib, reason, name) in [
            (20, 1115, "TLSV1_ALERT_UNKNOWN_PSK_IDENTITY"),
            (20, 313, "RECORD_LAYER_FAILURE"),
        ] {
            assert_eq!(reason_name(ErrNames::of(Compat::Py311), lib, reason), None);
            let want = new.then_some(name);
            assert_eq!(reason_name(ErrNames::of(Compat::Py313), lib, reason), want);
            assert_eq!(reason_name(ErrNames::of(Compat::Py314), lib, reason), want);
        }
        // A name every table has.
        for c in [Compat::Py311, Compat::Py313, Compat::Py314] {
            assert_eq!(
                reason_name(ErrNames::of(c), 20, 134),
                Some("CERTIFICATE_VERIFY_FAILED")
            );
            assert_eq!(library_name(ErrNames::of(c), 20), Some("SSL"));
        }
    }
}
