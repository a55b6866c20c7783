//! pyssl: the I/O and certificate core of CPython's `Modules/_ssl.c` as a
//! library with a C ABI.
//!
//! Layout, one concept per module:
//! - `capi`: the `extern "C"` shims (the header is generated from these);
//! - `error`: Python exceptions as values, OpenSSL error mapping helpers,
//!   and the thread-local last error;
//! - `context`: `SSLContext` (defaults, loading, verification settings);
//! - `socket`: `_SSLSocket`, the handshake/read/write/shutdown state
//!   machine and its retry loop;
//! - `sslerror`: `PySSL_SetError`, mapping an OpenSSL failure to the
//!   exception CPython raises (where `pyssl_read` decides on `SSLEOFError`);
//! - `sockbio`: the socket BIO without SIGPIPE;
//! - `wait`: `poll()` with deadlines (CPython's `PySSL_select`);
//! - `membio`: `MemoryBIO`;
//! - `session`: `SSLSession`;
//! - `certificate`: `Certificate` (one certificate of a chain);
//! - `cert`: certificate decoding (`_decode_certificate`);
//! - `value`: the Python value tree returned to C and its `repr()`;
//! - `compat`: the CPython versions whose behaviour pyssl can follow;
//! - `callbacks`: OpenSSL callbacks into the host (SNI);
//! - `hooks`: host hooks (lock release, interrupt checks);
//! - `turn`: one OpenSSL call at a time on a socket or memory BIO, without
//!   a lock held across it;
//! - `handle`: opaque handle checking.

pub mod capi;
pub mod cipher;
pub mod compat;
pub mod context;
pub(crate) mod errno;
pub mod error;
pub mod hooks;
pub mod membio;
pub mod ossl;
pub mod session;
pub mod socket;
pub mod ssl_error;
pub(crate) mod turn;
pub mod value;
pub mod wait;
pub mod x509;
