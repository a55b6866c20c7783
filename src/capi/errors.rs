//! C surface of the thread-local last error.
//!
//! After a call fails, these describe the exception CPython would have
//! raised. Successful calls leave the last error as it was (like `errno`),
//! including those that answer NULL for "none". Returned strings stay valid
//! until the next failing pyssl call on the same thread (or
//! `pyssl_error_clear`); these accessors never change them.

use std::os::raw::{c_char, c_int, c_long};

use crate::error::{clear_last, last_c_str, last_with, Status};

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
    last_with(Status::PYSSL_OK as c_int, |e| e.status as c_int)
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

/// Forgets this thread's last error.
#[no_mangle]
pub extern "C" fn pyssl_error_clear() {
    clear_last();
}

/// `exc.args` of the last error as a new tuple value (free with
/// `pyssl_value_free`), or NULL when none is recorded: what a host passes to
/// the exception class to rebuild the exception (e.g. `(1, "[SSL: ...] ...")`
/// for an `SSLError`, `("text",)` for one raised with a message only, the
/// five arguments of a `UnicodeDecodeError`). Does not change the last error,
/// but walking the tuple can (`pyssl_value_len` of a scalar fails with a
/// `TypeError`, as `len()` does): read the other `pyssl_error_*` fields first.
#[no_mangle]
pub extern "C" fn pyssl_error_args() -> *mut super::value::pyssl_value {
    match crate::error::last() {
        Some(e) => super::value::value_into_raw(crate::value::Value::Tuple(e.args.clone())),
        None => std::ptr::null_mut(),
    }
}
