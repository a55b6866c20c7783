//! Library information.

use std::os::raw::c_char;

/// pyssl's version, e.g. "0.1.0" (static string).
#[no_mangle]
pub extern "C" fn pyssl_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// `ssl.OPENSSL_VERSION`: the version text of the OpenSSL pyssl runs on
/// (static string).
#[no_mangle]
pub extern "C" fn pyssl_openssl_version() -> *const c_char {
    // SAFETY: OPENSSL_VERSION (0) returns a static string.
    unsafe { openssl_sys::OpenSSL_version(0) }
}

/// `ssl.OPENSSL_VERSION_NUMBER`.
#[no_mangle]
pub extern "C" fn pyssl_openssl_version_number() -> u64 {
    // SAFETY: no arguments, returns a constant.
    unsafe { openssl_sys::OpenSSL_version_num() as u64 }
}
