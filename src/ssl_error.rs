//! `PySSL_SetError`: which exception an OpenSSL failure becomes, and every
//! EOF rule of every mode.
//!
//! This is where `pyssl_read` (and handshake, write, shutdown) decide on
//! `b''`, `SSLEOFError`, `SSLZeroReturnError`, `SSLWantReadError`,
//! `OSError`, `SSLCertVerificationError` and friends, following the selected
//! CPython version (see [`crate::compat`]). The EOF rules, all here:
//! - a close_notify received (and none sent) reads as `b''`:
//!   [`read_reached_close_notify`];
//! - 3.11 makes OpenSSL 3 treat an EOF without close_notify as a clean
//!   one, so such a read is `b''` too: [`context_options`], applied when a
//!   context is created;
//! - every other failure, ragged EOFs in 3.13/3.14 included: [`set_error`];
//! - 3.14 remembers an `SSLEOFError` and raises it again without calling
//!   OpenSSL: [`remembers_eof`], [`remembered_eof`].

use std::ffi::CStr;
use std::os::raw::c_int;

use openssl_sys as ffi;

use crate::compat::Compat;
use crate::error::{
    err_get_lib, err_get_reason, fill_ssl_error, peek_last_error, py_ssl, LazySsl, Location, PyErr,
    Status, VerifyInfo,
};
use crate::ossl;

/// CPython's `_PySSLError`: `SSL_get_error()` and `errno` right after a call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SslErr {
    pub ssl: c_int,
    pub c: c_int,
}

impl SslErr {
    /// `_PySSL_errno(failed, ssl, ret)`: must run right after the OpenSSL
    /// call, before anything else can change `errno`.
    ///
    /// # Safety
    /// `ssl` must be a valid `SSL*`.
    #[inline]
    pub unsafe fn capture(failed: bool, ssl: *mut ffi::SSL, ret: c_int) -> SslErr {
        if !failed {
            return SslErr::default();
        }
        let c = crate::errno::get();
        // SAFETY: valid SSL*, as the caller guarantees.
        let code = unsafe { ffi::SSL_get_error(ssl, ret) };
        SslErr { ssl: code, c }
    }
}

impl SslErr {
    /// Whether `SSL_get_error` found OpenSSL's queue empty when it gave
    /// this code: it answers `SSL_ERROR_SSL` or `SSL_ERROR_SYSCALL` for any
    /// queued entry, and these codes only for an empty queue. The call's
    /// error then has no OpenSSL entry of its own (CPython's peek would find
    /// nothing, or only what host code run since left there, which is not
    /// this call's), so nothing needs peeking or clearing.
    pub fn queue_was_empty(&self) -> bool {
        matches!(
            self.ssl,
            ffi::SSL_ERROR_WANT_READ
                | ffi::SSL_ERROR_WANT_WRITE
                | ffi::SSL_ERROR_WANT_X509_LOOKUP
                | ffi::SSL_ERROR_WANT_CONNECT
                | ffi::SSL_ERROR_ZERO_RETURN
        )
    }
}

/// What `PySSL_SetError` needs to know about the socket.
pub struct ErrorSite<'a> {
    pub ssl: *mut ffi::SSL,
    pub err: SslErr,
    /// CPython's `GET_SOCKET(sslsock)`: `Some(true)` for a live socket,
    /// `Some(false)` for one that is gone (`Py_None`), `None` for memory BIOs.
    pub socket: Option<bool>,
    pub server_hostname: Option<&'a str>,
    pub compat: Compat,
}

const SSL_RECEIVED_SHUTDOWN: c_int = 2;
const SSL_OP_IGNORE_UNEXPECTED_EOF: u64 = 1 << 7;

/// The EOF-related `SSL_CTX` options of a mode: Debian's 3.11 sets
/// `SSL_OP_IGNORE_UNEXPECTED_EOF`, so that OpenSSL 3 reports an EOF without
/// close_notify as a clean close (as 1.1.1 did); 3.13 and 3.14 do not.
pub(crate) fn context_options(compat: Compat) -> u64 {
    if compat == Compat::Py311 {
        SSL_OP_IGNORE_UNEXPECTED_EOF
    } else {
        0
    }
}

/// `read()`'s clean end: the call failed with `SSL_ERROR_ZERO_RETURN`
/// after a close_notify was received and none sent yet (`b''`).
///
/// # Safety
/// `ssl` must be a valid `SSL*`.
pub(crate) unsafe fn read_reached_close_notify(ssl: *mut ffi::SSL, err: SslErr) -> bool {
    // SAFETY: valid SSL, as the caller guarantees.
    err.ssl == ffi::SSL_ERROR_ZERO_RETURN
        && unsafe { ffi::SSL_get_shutdown(ssl) } == SSL_RECEIVED_SHUTDOWN
}

const ERR_LIB_SYS: i32 = 2;
const X509_V_ERR_HOSTNAME_MISMATCH: i64 = 62;
const X509_V_ERR_IP_ADDRESS_MISMATCH: i64 = 64;

/// `PySSL_SetError(sslsock, ret, ...)`. Clears the OpenSSL error queue.
pub fn set_error(site: &ErrorSite<'_>, ret: c_int, loc: Location) -> PyErr {
    // A non-blocking caller's everyday answer, kept out of the rest.
    let want = match site.err.ssl {
        ffi::SSL_ERROR_WANT_READ => Some((
            Status::WantRead,
            "SSLWantReadError",
            py_ssl::WANT_READ,
            "The operation did not complete (read)",
        )),
        ffi::SSL_ERROR_WANT_WRITE => Some((
            Status::WantWrite,
            "SSLWantWriteError",
            py_ssl::WANT_WRITE,
            "The operation did not complete (write)",
        )),
        _ => None,
    };
    match want {
        // No entry of its own on the queue (see SslErr::queue_was_empty).
        Some((status, exc_type, p, errstr)) => PyErr::lazy_ssl(LazySsl {
            status,
            exc_type,
            ssl_errno: p,
            errstr: Some(errstr),
            loc,
            errcode: 0,
            compat: site.compat,
        }),
        None => set_other_error(site, ret, loc),
    }
}

/// [`set_error`] for every code but `WANT_READ`/`WANT_WRITE`.
#[inline(never)]
fn set_other_error(site: &ErrorSite<'_>, ret: c_int, loc: Location) -> PyErr {
    let e = if site.err.queue_was_empty() {
        0
    } else {
        peek_last_error()
    };
    let lib = err_get_lib(e);
    let reason = err_get_reason(e);
    let is_verify_failure =
        e != 0 && lib == ossl::ERR_LIB_SSL && reason == ossl::SSL_R_CERTIFICATE_VERIFY_FAILED;
    let mut exc_type = "SSLError";
    let mut status = Status::Ssl;
    let mut errstr: Option<&'static str> = None;
    let mut p;

    match site.err.ssl {
        ffi::SSL_ERROR_ZERO_RETURN => {
            errstr = Some("TLS/SSL connection has been closed (EOF)");
            exc_type = "SSLZeroReturnError";
            status = Status::ZeroReturn;
            p = py_ssl::ZERO_RETURN;
        }
        ffi::SSL_ERROR_WANT_X509_LOOKUP => {
            errstr = Some("The operation did not complete (X509 lookup)");
            status = Status::WantX509Lookup;
            p = py_ssl::WANT_X509_LOOKUP;
        }
        ffi::SSL_ERROR_WANT_CONNECT => {
            errstr = Some("The operation did not complete (connect)");
            status = Status::WantConnect;
            p = py_ssl::WANT_CONNECT;
        }
        ffi::SSL_ERROR_SYSCALL => {
            status = Status::Syscall;
            p = py_ssl::SYSCALL;
            if e == 0 {
                match site.compat {
                    Compat::Py311 => {
                        if ret == 0 || site.socket == Some(false) {
                            (exc_type, status, p) = eof();
                            errstr = Some(EOF_TEXT);
                        } else if site.socket.is_some() && ret == -1 {
                            crate::error::clear_error_queue();
                            if site.err.c != 0 {
                                return PyErr::os_error(site.err.c);
                            }
                            (exc_type, status, p) = eof();
                            errstr = Some(EOF_TEXT);
                        } else {
                            exc_type = "SSLSyscallError";
                            errstr = Some("Some I/O error occurred");
                        }
                    }
                    Compat::Py313 | Compat::Py314 => {
                        crate::error::clear_error_queue();
                        if site.err.c != 0 {
                            return PyErr::os_error(site.err.c);
                        }
                        (exc_type, status, p) = eof();
                        errstr = Some(EOF_TEXT);
                    }
                }
            } else if site.compat.since_313() {
                if is_verify_failure {
                    exc_type = "SSLCertVerificationError";
                }
                if lib == ERR_LIB_SYS {
                    crate::error::clear_error_queue();
                    return PyErr::os_error(reason);
                }
            }
        }
        ffi::SSL_ERROR_SSL => {
            p = py_ssl::SSL;
            if e == 0 {
                errstr = Some("A failure in the SSL library occurred");
            }
            if is_verify_failure {
                exc_type = "SSLCertVerificationError";
            }
            if site.compat.since_313() {
                if e != 0
                    && lib == ossl::ERR_LIB_SSL
                    && reason == ossl::SSL_R_UNEXPECTED_EOF_WHILE_READING
                {
                    (exc_type, status, p) = eof();
                    errstr = Some(EOF_TEXT);
                }
                if e != 0 && lib == ERR_LIB_SYS {
                    crate::error::clear_error_queue();
                    return PyErr::os_error(reason);
                }
            }
        }
        _ => {
            status = Status::InvalidErrorCode;
            p = py_ssl::INVALID_ERROR_CODE;
            errstr = Some("Invalid error code");
        }
    }
    if exc_type != "SSLCertVerificationError" {
        // Nothing left to read from OpenSSL: the texts are built when the
        // host asks for them (a WANT_READ's rarely are). The queue is empty
        // when nothing was peeked.
        if e != 0 {
            crate::error::clear_error_queue();
        }
        return PyErr::lazy_ssl(LazySsl {
            status,
            exc_type,
            ssl_errno: p,
            errstr,
            loc,
            errcode: e,
            compat: site.compat,
        });
    }
    let verify = Some(verify_info(site));
    let err = fill_ssl_error(
        status,
        exc_type,
        p,
        errstr,
        loc,
        e,
        verify,
        crate::error::ErrNames::of(site.compat),
    );
    crate::error::clear_error_queue();
    err.into()
}

const EOF_TEXT: &str = "EOF occurred in violation of protocol";

/// CPython 3.14.10 (gh-148292, for OpenSSL 4): once a call on a socket
/// raised `SSLEOFError`, the socket remembers, and its `read` (even
/// `read(0)`), `write` (even of nothing) and `do_handshake` raise
/// [`remembered_eof`] without calling OpenSSL; `shutdown` still calls it.
/// 3.11 and 3.13 call OpenSSL again, whose answer then follows the stale
/// `errno` (a `BrokenPipeError` after an alert that could not be sent).
pub fn remembers_eof(err: &PyErr, compat: Compat) -> bool {
    // status(), not the field: a lazy error (a WANT_READ) stays unbuilt.
    compat == Compat::Py314 && err.status() == Status::Eof
}

/// The `SSLEOFError` a 3.14 socket that [`remembers_eof`] raises: no
/// library or reason, `args[0]` `SSL_ERROR_EOF`.
pub fn remembered_eof(compat: Compat, loc: Location) -> PyErr {
    let (exc_type, status, p) = eof();
    fill_ssl_error(
        status,
        exc_type,
        p,
        Some(EOF_TEXT),
        loc,
        0,
        None,
        crate::error::ErrNames::of(compat),
    )
    .into()
}

fn eof() -> (&'static str, Status, i32) {
    ("SSLEOFError", Status::Eof, py_ssl::EOF)
}

/// `verify_code` and `verify_message` for `SSLCertVerificationError`.
fn verify_info(site: &ErrorSite<'_>) -> VerifyInfo {
    // SAFETY: valid SSL*.
    let code = unsafe { ffi::SSL_get_verify_result(site.ssl) } as i64;
    let host = site.server_hostname.unwrap_or("None");
    let message = match code {
        X509_V_ERR_HOSTNAME_MISMATCH => Some(format!(
            "Hostname mismatch, certificate is not valid for '{host}'."
        )),
        X509_V_ERR_IP_ADDRESS_MISMATCH => Some(format!(
            "IP address mismatch, certificate is not valid for '{host}'."
        )),
        _ => {
            // SAFETY: returns a static string (or NULL).
            let p = unsafe { ffi::X509_verify_cert_error_string(code as _) };
            if p.is_null() {
                None
            } else {
                // SAFETY: NUL-terminated static string.
                Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
            }
        }
    };
    VerifyInfo { code, message }
}
