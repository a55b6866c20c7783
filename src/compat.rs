//! The CPython versions whose `_ssl` behaviour pyssl follows.
//!
//! The default is CPython 3.14's `_ssl.c`; a context can select the
//! behaviour of Debian's CPython 3.11 or 3.13 build instead. 3.13 and 3.14
//! differ only where the last table says. Every difference is listed here
//! and in the README:
//!
//! | rule | 3.11 (Debian 3.11.2) | 3.13 / 3.14 (default) |
//! |---|---|---|
//! | context options | adds `OP_IGNORE_UNEXPECTED_EOF` | not set |
//! | EOF without close_notify in `read` | `b''` (0) through the ignored EOF | `SSLEOFError` `[SSL: UNEXPECTED_EOF_WHILE_READING]` |
//! | `SSL_ERROR_SYSCALL`, empty queue, `read`/`write` | `SSLEOFError` (errno ignored) | `OSError` from errno, else `SSLEOFError` |
//! | `SSL_ERROR_SYSCALL`, empty queue, memory BIO, ret -1 | `SSLSyscallError` "Some I/O error occurred" | `SSLEOFError` |
//! | `SSL_ERROR_SSL` `UNEXPECTED_EOF_WHILE_READING` | `SSLError` | `SSLEOFError` |
//! | `ERR_LIB_SYS` on the queue | `SSLError` | `OSError` from its errno |
//!
//! | rule | 3.13 (Debian 13's 3.13.5) | 3.14 (sid's 3.14.10) |
//! |---|---|---|
//! | a server's `get_unverified_chain()` without a client certificate | `[None]` | `None` |
//! | `SSLError` text without an OpenSSL reason string | `unknown error` | `unknown error (0x<code>)` |
//! | a verify message without library and reason | left out | appended |

// C sees these and the other Python constants as `PYSSL_` + the name.
/// Behave as Debian's CPython 3.11.2 (see README, "CPython versions").
pub const COMPAT_3_11: i32 = 311;
/// Behave as Debian 13's CPython 3.13.5 (differs from 3.14 only where
/// docs/behaviour.md says).
pub const COMPAT_3_13: i32 = 313;
/// Behave as CPython 3.14 (Debian sid's 3.14.10; the default).
pub const COMPAT_3_14: i32 = 314;

/// Which CPython's rules a context (and its sockets) follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compat {
    /// Debian's CPython 3.11.2 build.
    Py311,
    /// CPython 3.13 (Debian 13's 3.13.5).
    Py313,
    /// CPython 3.14 (Debian sid's 3.14.10).
    #[default]
    Py314,
}

impl Compat {
    /// From the C constant (`311`, `313` or `314`).
    pub fn from_code(code: i32) -> Option<Compat> {
        match code {
            COMPAT_3_11 => Some(Compat::Py311),
            COMPAT_3_13 => Some(Compat::Py313),
            COMPAT_3_14 => Some(Compat::Py314),
            _ => None,
        }
    }

    pub fn code(self) -> i32 {
        match self {
            Compat::Py311 => COMPAT_3_11,
            Compat::Py313 => COMPAT_3_13,
            Compat::Py314 => COMPAT_3_14,
        }
    }
}

impl Compat {
    /// 3.13 or later: the rules 3.13 changed from 3.11.
    pub fn since_313(self) -> bool {
        self != Compat::Py311
    }
}
