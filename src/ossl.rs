//! OpenSSL declarations that `openssl-sys` does not provide, and wrappers
//! for OpenSSL's function-like macros.

#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_long, c_void};

use openssl_sys::{ASN1_OCTET_STRING, BIO, SSL, SSL_CTX, X509_STORE_CTX};

pub(crate) type pem_password_cb = unsafe extern "C" fn(
    buf: *mut c_char,
    size: c_int,
    rwflag: c_int,
    userdata: *mut c_void,
) -> c_int;
pub(crate) type verify_cb = Option<extern "C" fn(c_int, *mut X509_STORE_CTX) -> c_int>;

pub(crate) type bio_write_fn = unsafe extern "C" fn(*mut BIO, *const c_char, c_int) -> c_int;
pub(crate) type bio_read_fn = unsafe extern "C" fn(*mut BIO, *mut c_char, c_int) -> c_int;
pub(crate) type bio_ctrl_fn = unsafe extern "C" fn(*mut BIO, c_int, c_long, *mut c_void) -> c_long;
pub(crate) type bio_create_fn = unsafe extern "C" fn(*mut BIO) -> c_int;

// Library and reason numbers (checked against OpenSSL's headers in tests).
pub(crate) const ERR_LIB_PEM: i32 = 9;
pub(crate) const ERR_LIB_X509: i32 = 11;
pub(crate) const ERR_LIB_ASN1: i32 = 13;
pub(crate) const ERR_LIB_SSL: i32 = 20;
pub(crate) const PEM_R_NO_START_LINE: i32 = 108;
pub(crate) const X509_R_CERT_ALREADY_IN_HASH_TABLE: i32 = 101;
pub(crate) const ASN1_R_HEADER_TOO_LONG: i32 = 123;
pub(crate) const SSL_R_CERTIFICATE_VERIFY_FAILED: i32 = 134;
pub(crate) const SSL_R_UNEXPECTED_EOF_WHILE_READING: i32 = 294;
pub(crate) const SSL_OP_NO_SSLV3: u64 = 1 << 25;

#[allow(unused_doc_comments)]
/// cbindgen:ignore
extern "C" {
    pub(crate) fn BIO_free(b: *mut BIO) -> c_int;
    pub(crate) fn BIO_test_flags(b: *const BIO, flags: c_int) -> c_int;
    pub(crate) fn PEM_read_bio_X509_AUX(
        bp: *mut BIO,
        x: *mut *mut openssl_sys::X509,
        cb: Option<pem_password_cb>,
        u: *mut c_void,
    ) -> *mut openssl_sys::X509;
    pub(crate) fn ERR_peek_error() -> std::os::raw::c_ulong;
    pub(crate) fn a2i_IPADDRESS(ipasc: *const c_char) -> *mut ASN1_OCTET_STRING;
    pub(crate) fn SSL_CTX_set_default_passwd_cb(ctx: *mut SSL_CTX, cb: Option<pem_password_cb>);
    pub(crate) fn SSL_CTX_set_default_passwd_cb_userdata(ctx: *mut SSL_CTX, u: *mut c_void);
    pub(crate) fn SSL_CTX_get_default_passwd_cb(ctx: *mut SSL_CTX) -> Option<pem_password_cb>;
    pub(crate) fn SSL_CTX_get_default_passwd_cb_userdata(ctx: *mut SSL_CTX) -> *mut c_void;
    pub(crate) fn SSL_set_read_ahead(ssl: *mut SSL, yes: c_int);
    pub(crate) fn SSL_CTX_get_verify_callback(ctx: *const SSL_CTX) -> verify_cb;
    pub(crate) fn SSL_set_fd(ssl: *mut SSL, fd: c_int) -> c_int;
    pub(crate) fn BIO_s_socket() -> *const openssl_sys::BIO_METHOD;
    pub(crate) fn BIO_sock_should_retry(i: c_int) -> c_int;
    pub(crate) fn BIO_meth_set_write(
        m: *mut openssl_sys::BIO_METHOD,
        f: Option<bio_write_fn>,
    ) -> c_int;
    pub(crate) fn BIO_meth_set_read(
        m: *mut openssl_sys::BIO_METHOD,
        f: Option<bio_read_fn>,
    ) -> c_int;
    pub(crate) fn BIO_meth_set_ctrl(
        m: *mut openssl_sys::BIO_METHOD,
        f: Option<bio_ctrl_fn>,
    ) -> c_int;
    pub(crate) fn BIO_meth_set_create(
        m: *mut openssl_sys::BIO_METHOD,
        f: Option<bio_create_fn>,
    ) -> c_int;
    pub(crate) fn BIO_meth_set_destroy(
        m: *mut openssl_sys::BIO_METHOD,
        f: Option<bio_create_fn>,
    ) -> c_int;
    pub(crate) fn BIO_meth_get_ctrl(m: *const openssl_sys::BIO_METHOD) -> Option<bio_ctrl_fn>;
    pub(crate) fn BIO_meth_get_create(m: *const openssl_sys::BIO_METHOD) -> Option<bio_create_fn>;
    pub(crate) fn BIO_meth_get_destroy(m: *const openssl_sys::BIO_METHOD) -> Option<bio_create_fn>;
    pub(crate) fn BIO_up_ref(b: *mut BIO) -> c_int;
    pub(crate) fn BIO_ctrl_pending(b: *mut BIO) -> usize;
    pub(crate) fn SSL_verify_client_post_handshake(ssl: *mut SSL) -> c_int;
    pub(crate) fn SSL_set_post_handshake_auth(ssl: *mut SSL, val: c_int);
    pub(crate) fn SSL_get_client_ciphers(ssl: *const SSL) -> *mut openssl_sys::stack_st_SSL_CIPHER;
    pub(crate) fn OPENSSL_sk_find(
        st: *mut openssl_sys::OPENSSL_STACK,
        data: *const c_void,
    ) -> c_int;
    pub(crate) fn SSL_get_ciphers(ssl: *const SSL) -> *mut openssl_sys::stack_st_SSL_CIPHER;
    pub(crate) fn SSL_CIPHER_get_id(c: *const openssl_sys::SSL_CIPHER) -> std::os::raw::c_ulong;
    pub(crate) fn SSL_CIPHER_is_aead(c: *const openssl_sys::SSL_CIPHER) -> c_int;
    pub(crate) fn SSL_CIPHER_get_kx_nid(c: *const openssl_sys::SSL_CIPHER) -> c_int;
    pub(crate) fn SSL_CIPHER_get_auth_nid(c: *const openssl_sys::SSL_CIPHER) -> c_int;
    pub(crate) fn SSL_get1_session(ssl: *mut SSL) -> *mut openssl_sys::SSL_SESSION;
    pub(crate) fn X509_OBJECT_get_type(a: *const openssl_sys::X509_OBJECT) -> c_int;
    pub(crate) fn BIO_new_file(filename: *const c_char, mode: *const c_char) -> *mut BIO;
    pub(crate) fn SSL_CTX_use_psk_identity_hint(ctx: *mut SSL_CTX, hint: *const c_char) -> c_int;
    pub(crate) fn X509_check_ca(x: *mut openssl_sys::X509) -> c_int;
    pub(crate) fn SSL_SESSION_get_ticket_lifetime_hint(
        s: *const openssl_sys::SSL_SESSION,
    ) -> std::os::raw::c_ulong;
    pub(crate) fn SSL_SESSION_has_ticket(s: *const openssl_sys::SSL_SESSION) -> c_int;
}

const SSL_CTRL_MODE: c_int = 33;
const BIO_C_SET_BUF_MEM_EOF_RETURN: c_int = 130;

/// `SSL_set_mode(ssl, mode)`.
///
/// # Safety
/// `ssl` must be a valid `SSL*`.
pub(crate) unsafe fn ssl_set_mode(ssl: *mut SSL, mode: c_long) -> c_long {
    // SAFETY: valid SSL*, as the caller guarantees; SSL_CTRL_MODE takes no pointer.
    unsafe { openssl_sys::SSL_ctrl(ssl, SSL_CTRL_MODE, mode, std::ptr::null_mut()) }
}

/// `BIO_set_mem_eof_return(b, v)`.
///
/// # Safety
/// `b` must be a valid memory `BIO*`.
pub(crate) unsafe fn bio_set_mem_eof_return(b: *mut BIO, v: c_long) -> c_long {
    // SAFETY: valid BIO*, as the caller guarantees; no pointer argument.
    unsafe { openssl_sys::BIO_ctrl(b, BIO_C_SET_BUF_MEM_EOF_RETURN, v, std::ptr::null_mut()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::reason_name;

    #[test]
    fn numbers_match_openssl_headers() {
        let names = crate::error::ErrNames::of(crate::compat::Compat::Py311);
        assert_eq!(
            reason_name(names, ERR_LIB_PEM, PEM_R_NO_START_LINE),
            Some("NO_START_LINE")
        );
        assert_eq!(
            reason_name(names, ERR_LIB_X509, X509_R_CERT_ALREADY_IN_HASH_TABLE),
            Some("CERT_ALREADY_IN_HASH_TABLE")
        );
        assert_eq!(
            reason_name(names, ERR_LIB_ASN1, ASN1_R_HEADER_TOO_LONG),
            Some("HEADER_TOO_LONG")
        );
        assert_eq!(
            reason_name(names, ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED),
            Some("CERTIFICATE_VERIFY_FAILED")
        );
        assert_eq!(
            reason_name(names, ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING),
            Some("UNEXPECTED_EOF_WHILE_READING")
        );
    }
}
