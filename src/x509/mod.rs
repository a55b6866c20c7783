//! X.509 certificates as CPython's `_ssl` shows them.

pub mod certificate;
pub mod decode;
mod fast;
