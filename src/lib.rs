//! pyssl: the I/O and certificate core of CPython's `Modules/_ssl.c` as a
//! library with a C ABI.
//!
//! Two layers. The core is CPython's `_ssl` in Rust and names no C type;
//! `capi` is the only layer with handles, statuses and raw pointers, and
//! nothing in the core imports it.
//!
//! The core, one concept per module:
//! - `context/`: `SSLContext` (creation, defaults, settings); `trust` (CA
//!   loading, `get_ca_certs`), `identity` (`load_cert_chain`, passwords),
//!   `alpn`, `keylog`, `callbacks` (SNI and PSK into the host);
//! - `socket/`: `_SSLSocket` over an fd, memory BIOs, the host's I/O
//!   (`hostbio`, a BIO over a Rust transport) or a borrowed `SSL*`;
//!   `io` (the retry loop, handshake, read, write, shutdown), `info` (the
//!   accessors, `getpeercert`), `session`, `hostname`, `sockbio` (the socket
//!   BIO without SIGPIPE);
//! - `ssl_error`: `PySSL_SetError` and every EOF rule of every mode (where
//!   `pyssl_read` decides on `b''` or `SSLEOFError`);
//! - `error/`: Python exceptions as values (`PyErr`), OpenSSL error helpers,
//!   `names` (CPython's library and reason tables), `unicode`
//!   (`UnicodeDecodeError`);
//! - `x509/`: `decode` (`_decode_certificate`), `certificate`
//!   (`_ssl.Certificate`);
//! - `value/`: the Python values `_ssl` returns and their `repr()`;
//! - `membio`: `MemoryBIO`; `session`: `SSLSession`; `cipher`: a cipher as
//!   CPython reports it;
//! - `sslpy`: what `ssl.py` adds (`sendall`, ragged-EOF suppression), as
//!   opt-in helpers;
//! - `compat`: the CPython versions pyssl follows;
//! - `hooks`: the host's lock and interrupt check; `wait`: `poll()` with
//!   deadlines; `turn`: one OpenSSL call at a time on a socket or BIO;
//!   `errno`; `ossl`: OpenSSL declarations `openssl-sys` lacks.
//!
//! `capi/`, one file per C concept: `context`, `socket` (over an fd,
//! memory BIOs or the host's I/O callbacks), `session`, `membio`, `x509`
//! (certificates and chains), `value`, `error` (the thread's last error,
//! owned copies), `sslpy` (the `ssl.py` helpers), `status`
//! (`pyssl_status`), `hooks`, `info`, and `handle` (magic-checked opaque handles) with the `guard` boundary in
//! `mod.rs`. The header `include/pyssl.h` is generated from it.

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
pub mod sslpy;
pub(crate) mod turn;
pub mod value;
pub mod wait;
pub mod x509;
