//! The status codes every fallible C function returns.

use crate::error::Status;

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

impl From<Status> for pyssl_status {
    fn from(s: Status) -> pyssl_status {
        match s {
            Status::Ssl => pyssl_status::PYSSL_ERROR_SSL,
            Status::WantRead => pyssl_status::PYSSL_ERROR_WANT_READ,
            Status::WantWrite => pyssl_status::PYSSL_ERROR_WANT_WRITE,
            Status::WantX509Lookup => pyssl_status::PYSSL_ERROR_WANT_X509_LOOKUP,
            Status::Syscall => pyssl_status::PYSSL_ERROR_SYSCALL,
            Status::ZeroReturn => pyssl_status::PYSSL_ERROR_ZERO_RETURN,
            Status::WantConnect => pyssl_status::PYSSL_ERROR_WANT_CONNECT,
            Status::Eof => pyssl_status::PYSSL_ERROR_EOF,
            Status::NoSocket => pyssl_status::PYSSL_ERROR_NO_SOCKET,
            Status::InvalidErrorCode => pyssl_status::PYSSL_ERROR_INVALID_ERROR_CODE,
            Status::Timeout => pyssl_status::PYSSL_ERROR_TIMEOUT,
            Status::Os => pyssl_status::PYSSL_ERROR_OS,
            Status::Value => pyssl_status::PYSSL_ERROR_VALUE,
            Status::BadArgument => pyssl_status::PYSSL_ERROR_BAD_ARGUMENT,
            Status::BadHandle => pyssl_status::PYSSL_ERROR_BAD_HANDLE,
            Status::Memory => pyssl_status::PYSSL_ERROR_MEMORY,
            Status::Internal => pyssl_status::PYSSL_ERROR_INTERNAL,
            Status::HostInterrupt => pyssl_status::PYSSL_ERROR_HOST_INTERRUPT,
            Status::Reentrancy => pyssl_status::PYSSL_ERROR_REENTRANCY,
        }
    }
}
