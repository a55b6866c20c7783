//! C surface of `SSLContext`.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_uchar, c_void};
use std::sync::Arc;

use super::socket::pyssl_socket;
use super::{guard, opt_cstr, ssize_t, write_opt, write_out};
use crate::capi::handle::{self, HandleKind};
use crate::context::{Context, PskClientCallback, PskServerCallback, SniCallback};
use crate::error::{PyErr, PyResult};

/// An `SSLContext`: configuration shared by sockets. Thread-safe: one
/// context may be used by many threads at once, and sockets keep it alive,
/// so it may be freed before them.
pub struct pyssl_context {
    _private: [u8; 0],
}

// The constants are defined once, in the core; these are their C names
// for Rust callers of the C surface (the header gets them from the core).
pub use crate::compat::{
    COMPAT_3_11 as PYSSL_COMPAT_3_11, COMPAT_3_13 as PYSSL_COMPAT_3_13,
    COMPAT_3_14 as PYSSL_COMPAT_3_14,
};
pub use crate::context::{
    CERT_NONE as PYSSL_CERT_NONE, CERT_OPTIONAL as PYSSL_CERT_OPTIONAL,
    CERT_REQUIRED as PYSSL_CERT_REQUIRED, PROTOCOL_TLS as PYSSL_PROTOCOL_TLS,
    PROTOCOL_TLS_CLIENT as PYSSL_PROTOCOL_TLS_CLIENT,
    PROTOCOL_TLS_SERVER as PYSSL_PROTOCOL_TLS_SERVER,
    TLS_VERSION_MAXIMUM_SUPPORTED as PYSSL_TLS_VERSION_MAXIMUM_SUPPORTED,
    TLS_VERSION_MINIMUM_SUPPORTED as PYSSL_TLS_VERSION_MINIMUM_SUPPORTED,
    TLS_VERSION_TLSV1_2 as PYSSL_TLS_VERSION_TLSV1_2,
    TLS_VERSION_TLSV1_3 as PYSSL_TLS_VERSION_TLSV1_3,
};

pub(crate) struct ContextHandle(pub Arc<Context>);

impl HandleKind for ContextHandle {
    const MAGIC: u64 = 0x7079_7373_6c63_7478; // "pysslctx"
    const NAME: &'static str = "pyssl_context";
}

/// The context behind a handle, with a reference of the call's own: a
/// host hook that frees the handle during the call (while the host's lock
/// is released) frees the context only when the call returns.
///
/// # Safety
/// `ctx` must be NULL or a handle from `pyssl_context_new*`.
pub(crate) unsafe fn ctx_ref(ctx: *const pyssl_context) -> PyResult<Arc<Context>> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow::<ContextHandle, _>(ctx) }.map(|h| Arc::clone(&h.0))
}

fn new_context(protocol: c_int, compat: c_int) -> PyResult<*mut pyssl_context> {
    let compat = super::compat_arg(compat)?;
    let ctx = Context::new(protocol, compat)?;
    Ok(handle::into_raw(ContextHandle(ctx)))
}

/// `ssl.SSLContext(protocol)` with CPython 3.14's defaults. For
/// `PYSSL_PROTOCOL_TLS_CLIENT`: `CERT_REQUIRED` and `check_hostname` on; for
/// `PYSSL_PROTOCOL_TLS_SERVER`: `CERT_NONE`. Both: TLS 1.2 minimum. Other
/// protocols, CPython's deprecated fixed versions (`PROTOCOL_TLSv1` = 3,
/// `_TLSv1_1` = 4, `_TLSv1_2` = 5) among them, fail with `ValueError`
/// "invalid or unsupported protocol version N". NULL on failure (see
/// `pyssl_error_message()`).
#[no_mangle]
pub extern "C" fn pyssl_context_new(protocol: c_int) -> *mut pyssl_context {
    guard(|| new_context(protocol, PYSSL_COMPAT_3_14))
}

/// Like `pyssl_context_new`, following the rules of CPython version
/// `compat` (`PYSSL_COMPAT_3_11`, `_3_13` or `_3_14`) for the context and
/// its sockets.
#[no_mangle]
pub extern "C" fn pyssl_context_new_compat(protocol: c_int, compat: c_int) -> *mut pyssl_context {
    guard(|| new_context(protocol, compat))
}

/// Releases the caller's reference; sockets made from the context keep it
/// alive until they are freed. NULL is ignored.
#[no_mangle]
pub extern "C" fn pyssl_context_free(ctx: *mut pyssl_context) {
    guard(|| {
        // SAFETY: NULL or a context handle; checked by take().
        unsafe { handle::take::<ContextHandle, _>(ctx) }.map(drop)
    })
}

/// The `PYSSL_COMPAT_*` value the context follows, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_context_get_compat(ctx: *const pyssl_context) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| Ok(unsafe { ctx_ref(ctx) }?.compat().code()))
}

/// The protocol the context was created with, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_context_get_protocol(ctx: *const pyssl_context) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| Ok(unsafe { ctx_ref(ctx) }?.protocol()))
}

/// `SSLContext.load_verify_locations(cafile, capath)`. Either may be NULL,
/// not both. A missing file fails with `FileNotFoundError`.
#[no_mangle]
pub extern "C" fn pyssl_context_load_verify_locations(
    ctx: *mut pyssl_context,
    cafile: *const c_char,
    capath: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked; strings are NULL or NUL-terminated.
        let (ctx, cafile, capath) = unsafe { (ctx_ref(ctx)?, opt_cstr(cafile), opt_cstr(capath)) };
        ctx.load_verify_locations(cafile, capath).map(|_| 0)
    })
}

/// `SSLContext.load_verify_locations(cadata=...)`: `is_pem` nonzero for PEM
/// text (CPython's `str` cadata), zero for DER bytes.
#[no_mangle]
pub extern "C" fn pyssl_context_load_verify_data(
    ctx: *mut pyssl_context,
    data: *const c_uchar,
    len: usize,
    is_pem: c_int,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        let ctx = unsafe { ctx_ref(ctx) }?;
        if data.is_null() {
            return Err(PyErr::bad_argument("data is NULL"));
        }
        // SAFETY: checked by in_bytes; the caller gives `len` readable bytes.
        let bytes = unsafe { super::in_bytes(data.cast(), len, "data") }?;
        ctx.load_verify_data(bytes, is_pem != 0).map(|_| 0)
    })
}

/// The trust store OpenSSL was built with (`set_default_verify_paths`, as
/// `SSLContext.load_default_certs()` does on Linux).
#[no_mangle]
pub extern "C" fn pyssl_context_load_default_certs(ctx: *mut pyssl_context) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| {
        unsafe { ctx_ref(ctx) }?
            .set_default_verify_paths()
            .map(|_| 0)
    })
}

/// `SSLContext.load_cert_chain(certfile, keyfile, password)`. `keyfile` NULL
/// reads the key from `certfile`; `password` NULL means none (pyssl never
/// prompts on a terminal).
#[no_mangle]
pub extern "C" fn pyssl_context_load_cert_chain(
    ctx: *mut pyssl_context,
    certfile: *const c_char,
    keyfile: *const c_char,
    password: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked; strings are NULL or NUL-terminated.
        let (ctx, certfile, keyfile, password) = unsafe {
            (
                ctx_ref(ctx)?,
                opt_cstr(certfile),
                opt_cstr(keyfile),
                opt_cstr(password),
            )
        };
        let certfile = certfile
            .ok_or_else(|| PyErr::type_error("certfile should be a valid filesystem path"))?;
        ctx.load_cert_chain(certfile, keyfile, password.map(|p| p.to_bytes()))
            .map(|_| 0)
    })
}

/// `SSLContext.load_cert_chain` from memory: `cert` holds the chain (the
/// leaf, then its intermediates) as PEM or DER (concatenated
/// certificates), `key` the private key as PEM or DER (PKCS#1, PKCS#8,
/// encrypted PKCS#8, or a traditional encrypted PEM key); `key_len` 0
/// reads the key from `cert` (for DER: after the certificates). Each is
/// taken as DER when it parses as DER, else as PEM. `password` (NULL for
/// none; pyssl never prompts) decrypts the key. Errors are the ones
/// `load_cert_chain` raises for files with the same content: "[SSL] PEM
/// lib" for garbage, an empty buffer or a wrong password, "[X509:
/// KEY_VALUES_MISMATCH] key values mismatch" for a key of another
/// certificate. 0 or < 0; `cert` and `key` may be freed afterwards.
#[no_mangle]
pub extern "C" fn pyssl_context_load_cert_chain_data(
    ctx: *mut pyssl_context,
    cert: *const c_void,
    cert_len: usize,
    key: *const c_void,
    key_len: usize,
    password: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked; the buffers are checked by in_bytes (the
        // caller gives `cert_len` and `key_len` readable bytes); password
        // is NULL or NUL-terminated.
        let (ctx, cert, key, password) = unsafe {
            (
                ctx_ref(ctx)?,
                super::in_bytes(cert, cert_len, "cert")?,
                super::in_bytes(key, key_len, "key")?,
                opt_cstr(password),
            )
        };
        let key = (!key.is_empty()).then_some(key);
        ctx.load_cert_chain_data(cert, key, password.map(|p| p.to_bytes()))
            .map(|_| 0)
    })
}

/// `SSLContext.verify_mode = mode` (`PYSSL_CERT_*`). `CERT_NONE` fails with
/// `ValueError` while `check_hostname` is on.
#[no_mangle]
pub extern "C" fn pyssl_context_set_verify_mode(ctx: *mut pyssl_context, mode: c_int) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| unsafe { ctx_ref(ctx) }?.set_verify_mode(mode).map(|_| 0))
}

/// `SSLContext.verify_mode`, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_context_get_verify_mode(ctx: *const pyssl_context) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| Ok(unsafe { ctx_ref(ctx) }?.verify_mode()))
}

/// `SSLContext.check_hostname = enabled`; enabling it turns `CERT_NONE` into
/// `CERT_REQUIRED`, as in CPython.
#[no_mangle]
pub extern "C" fn pyssl_context_set_check_hostname(
    ctx: *mut pyssl_context,
    enabled: c_int,
) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| {
        unsafe { ctx_ref(ctx) }?
            .set_check_hostname(enabled != 0)
            .map(|_| 0)
    })
}

/// `SSLContext.check_hostname`: 1 or 0, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_context_get_check_hostname(ctx: *const pyssl_context) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| Ok(unsafe { ctx_ref(ctx) }?.check_hostname() as c_int))
}

/// `SSLContext.set_ciphers(ciphers)` (OpenSSL cipher-list syntax; TLS 1.3
/// suites are not affected, as in CPython).
#[no_mangle]
pub extern "C" fn pyssl_context_set_ciphers(
    ctx: *mut pyssl_context,
    ciphers: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked; string NULL or NUL-terminated.
        let (ctx, ciphers) = unsafe { (ctx_ref(ctx)?, opt_cstr(ciphers)) };
        let ciphers = ciphers.ok_or_else(|| PyErr::bad_argument("ciphers is NULL"))?;
        ctx.set_ciphers(ciphers).map(|_| 0)
    })
}

/// `SSLContext.set_alpn_protocols()`, given the wire format ssl.py builds:
/// each name prefixed by its length byte (e.g. `"\x02h2\x08http/1.1"`).
#[no_mangle]
pub extern "C" fn pyssl_context_set_alpn_protocols(
    ctx: *mut pyssl_context,
    protos: *const c_uchar,
    len: usize,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        let ctx = unsafe { ctx_ref(ctx) }?;
        // SAFETY: checked by in_bytes; the caller gives `len` readable bytes.
        let wire = unsafe { super::in_bytes(protos.cast(), len, "protos") }?;
        ctx.set_alpn_protocols(wire).map(|_| 0)
    })
}

/// `SSLContext.minimum_version = version` (`PYSSL_TLS_VERSION_*` or the
/// raw `0x0301`..`0x0304`).
#[no_mangle]
pub extern "C" fn pyssl_context_set_minimum_version(
    ctx: *mut pyssl_context,
    version: c_int,
) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| {
        unsafe { ctx_ref(ctx) }?
            .set_proto_version(version, false)
            .map(|_| 0)
    })
}

/// `SSLContext.maximum_version = version`.
#[no_mangle]
pub extern "C" fn pyssl_context_set_maximum_version(
    ctx: *mut pyssl_context,
    version: c_int,
) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| {
        unsafe { ctx_ref(ctx) }?
            .set_proto_version(version, true)
            .map(|_| 0)
    })
}

/// `SSLContext.minimum_version` (a `PYSSL_TLS_VERSION_*` value); on a bad
/// handle returns `PYSSL_ERROR_BAD_ARGUMENT`/`_BAD_HANDLE`.
#[no_mangle]
pub extern "C" fn pyssl_context_get_minimum_version(ctx: *const pyssl_context) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| Ok(unsafe { ctx_ref(ctx) }?.proto_version(false)))
}

/// `SSLContext.maximum_version`.
#[no_mangle]
pub extern "C" fn pyssl_context_get_maximum_version(ctx: *const pyssl_context) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| Ok(unsafe { ctx_ref(ctx) }?.proto_version(true)))
}

/// `SSLContext.options` into `*out`; 0 or < 0.
#[no_mangle]
pub extern "C" fn pyssl_context_get_options(ctx: *const pyssl_context, out: *mut u64) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        let v = unsafe { ctx_ref(ctx) }?.options();
        if out.is_null() {
            return Err(PyErr::bad_argument("out is NULL"));
        }
        write_out(out, v, "out")?;
        Ok(0)
    })
}

/// `SSLContext.options = options` (OpenSSL `SSL_OP_*` bits).
#[no_mangle]
pub extern "C" fn pyssl_context_set_options(ctx: *mut pyssl_context, options: u64) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        unsafe { ctx_ref(ctx) }?.set_options(options);
        Ok(0)
    })
}

/// `SSLContext.verify_flags` (`X509_V_FLAG_*` bits) into `*out`; 0 or < 0.
#[no_mangle]
pub extern "C" fn pyssl_context_get_verify_flags(
    ctx: *const pyssl_context,
    out: *mut u64,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        let v = unsafe { ctx_ref(ctx) }?.verify_flags();
        if out.is_null() {
            return Err(PyErr::bad_argument("out is NULL"));
        }
        write_out(out, v, "out")?;
        Ok(0)
    })
}

/// `SSLContext.verify_flags = flags`.
#[no_mangle]
pub extern "C" fn pyssl_context_set_verify_flags(ctx: *mut pyssl_context, flags: u64) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| unsafe { ctx_ref(ctx) }?.set_verify_flags(flags).map(|_| 0))
}

/// `SSLContext.hostname_checks_common_name`: 1 or 0, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_context_get_hostname_checks_common_name(
    ctx: *const pyssl_context,
) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| Ok(unsafe { ctx_ref(ctx) }?.hostname_checks_common_name() as c_int))
}

/// `SSLContext.hostname_checks_common_name = enabled` (default on, as in
/// CPython with OpenSSL 3).
#[no_mangle]
pub extern "C" fn pyssl_context_set_hostname_checks_common_name(
    ctx: *mut pyssl_context,
    enabled: c_int,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        unsafe { ctx_ref(ctx) }?.set_hostname_checks_common_name(enabled != 0);
        Ok(0)
    })
}

/// `SSLContext.num_tickets`, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_context_get_num_tickets(ctx: *const pyssl_context) -> ssize_t {
    // SAFETY: handle checked by ctx_ref.
    guard(|| Ok(unsafe { ctx_ref(ctx) }?.num_tickets() as ssize_t))
}

/// `SSLContext.num_tickets = n` (server contexts only, `ValueError`
/// otherwise).
#[no_mangle]
pub extern "C" fn pyssl_context_set_num_tickets(ctx: *mut pyssl_context, n: i64) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| unsafe { ctx_ref(ctx) }?.set_num_tickets(n).map(|_| 0))
}

/// `SSLContext.post_handshake_auth`: 1 or 0, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_context_get_post_handshake_auth(ctx: *const pyssl_context) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| Ok(unsafe { ctx_ref(ctx) }?.post_handshake_auth() as c_int))
}

/// `SSLContext.post_handshake_auth = enabled` (TLS 1.3; applies to sockets
/// created afterwards).
#[no_mangle]
pub extern "C" fn pyssl_context_set_post_handshake_auth(
    ctx: *mut pyssl_context,
    enabled: c_int,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        unsafe { ctx_ref(ctx) }?.set_post_handshake_auth(enabled != 0);
        Ok(0)
    })
}

/// `SSLContext.security_level` (OpenSSL's), or < 0 on error.
#[no_mangle]
pub extern "C" fn pyssl_context_get_security_level(ctx: *const pyssl_context) -> c_int {
    // SAFETY: handle checked by ctx_ref.
    guard(|| Ok(unsafe { ctx_ref(ctx) }?.security_level()))
}

/// A host's callback `userdata`, handed back to it untouched.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);

// SAFETY: the header says callbacks run on the handshaking thread, which
// may be any thread; pyssl never dereferences the pointer.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

impl UserData {
    // A method, so that closures capture the whole (Send) wrapper.
    pub(crate) fn get(self) -> *mut c_void {
        self.0
    }
}

/// The SNI callback type: called during a server handshake with the socket,
/// the server name the client sent (ASCII A-label, NULL when none) and the
/// registered `userdata`. Return 0 to go on (CPython's None), a positive TLS
/// alert number to abort the handshake with that alert (an int result), or
/// a negative value for `handshake_failure` (CPython's exception case).
/// The callback may call `pyssl_socket_set_context` on the socket. It must
/// not longjmp or throw out (see the notes at the top of this header).
pub type pyssl_sni_callback = Option<
    extern "C" fn(
        sock: *mut pyssl_socket,
        server_name: *const c_char,
        userdata: *mut std::os::raw::c_void,
    ) -> c_int,
>;

/// `SSLContext.sni_callback = cb` (NULL removes it); `ValueError` on a
/// `PYSSL_PROTOCOL_TLS_CLIENT` context, as in CPython.
#[no_mangle]
pub extern "C" fn pyssl_context_set_sni_callback(
    ctx: *mut pyssl_context,
    callback: pyssl_sni_callback,
    userdata: *mut std::os::raw::c_void,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        let ctx = unsafe { ctx_ref(ctx) }?;
        let user = UserData(userdata);
        ctx.set_sni_callback(callback.map(|cb| -> SniCallback {
            Arc::new(move |tag, name| {
                // The tag is the socket's handle (see socket::into_handle),
                // 0 once the host freed it; only a live one reaches it.
                let mut sock = tag as *mut pyssl_socket;
                // SAFETY: a bound handle is alive for as long as its SSL;
                // borrow checks the magic.
                if unsafe { super::socket::sock_ref(sock) }.is_err() {
                    sock = std::ptr::null_mut();
                }
                cb(
                    sock,
                    name.map_or(std::ptr::null(), CStr::as_ptr),
                    user.get(),
                )
            })
        }))
        .map(|_| 0)
    })
}

/// `SSLContext.keylog_filename = path`: appends TLS secrets in NSS key log
/// format (for Wireshark); NULL stops logging. A file that cannot be opened
/// fails with the `OSError` subclass for its errno.
#[no_mangle]
pub extern "C" fn pyssl_context_set_keylog_filename(
    ctx: *mut pyssl_context,
    path: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked; string NULL or NUL-terminated.
        let (ctx, path) = unsafe { (ctx_ref(ctx)?, super::opt_cstr(path)) };
        ctx.set_keylog_filename(path.map(super::c_path)).map(|_| 0)
    })
}

/// `SSLContext.load_dh_params(path)`: DH parameters (PEM) for DHE ciphers.
#[no_mangle]
pub extern "C" fn pyssl_context_load_dh_params(
    ctx: *mut pyssl_context,
    path: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked; string NULL or NUL-terminated.
        let (ctx, path) = unsafe { (ctx_ref(ctx)?, super::opt_cstr(path)) };
        let path = path.ok_or_else(|| PyErr::bad_argument("path is NULL"))?;
        ctx.load_dh_params(super::c_path(path)).map(|_| 0)
    })
}

/// `SSLContext.set_ecdh_curve(name)` (an OpenSSL short name such as
/// `"prime256v1"`); `ValueError` for an unknown name. As in each CPython:
/// 3.11 mode makes an EC key for the curve (`X25519` and the FFDHE groups
/// fail), 3.13 and 3.14 make the name the only key-exchange group (curves
/// TLS has no group for fail with `SSLError` "unknown error").
#[no_mangle]
pub extern "C" fn pyssl_context_set_ecdh_curve(
    ctx: *mut pyssl_context,
    name: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked; string NULL or NUL-terminated.
        let (ctx, name) = unsafe { (ctx_ref(ctx)?, super::opt_cstr(name)) };
        let name = name.ok_or_else(|| PyErr::bad_argument("name is NULL"))?;
        ctx.set_ecdh_curve(name.to_bytes()).map(|_| 0)
    })
}

/// `SSLContext.cert_store_stats()`: the counts of certificates, CRLs and CA
/// certificates in the trust store, into the non-NULL out-parameters.
#[no_mangle]
pub extern "C" fn pyssl_context_cert_store_stats(
    ctx: *const pyssl_context,
    x509: *mut i64,
    crl: *mut i64,
    x509_ca: *mut i64,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        let (a, b, c) = unsafe { ctx_ref(ctx) }?.cert_store_stats();
        write_opt(x509, a);
        write_opt(crl, b);
        write_opt(x509_ca, c);
        Ok(0)
    })
}

/// PSK client callback (CPython 3.13 `set_psk_client_callback`): gets the
/// server's identity hint (NULL for None) and writes a NUL-terminated
/// identity into `identity` (`max_identity_len` bytes including the NUL;
/// an empty string for None) and the key into `psk`; returns the key's
/// length, or < 0 to fail the handshake. It must not longjmp or throw out
/// (see the notes at the top of this header).
pub type pyssl_psk_client_callback = Option<
    extern "C" fn(
        hint: *const c_char,
        identity: *mut c_char,
        max_identity_len: usize,
        psk: *mut u8,
        max_psk_len: usize,
        userdata: *mut std::os::raw::c_void,
    ) -> ssize_t,
>;

/// PSK server callback (CPython 3.13 `set_psk_server_callback`): gets the
/// client's identity (NULL for None), writes the key into `psk` and
/// returns its length, or < 0 to fail the handshake. It must not longjmp or
/// throw out (see the notes at the top of this header).
pub type pyssl_psk_server_callback = Option<
    extern "C" fn(
        identity: *const c_char,
        psk: *mut u8,
        max_psk_len: usize,
        userdata: *mut std::os::raw::c_void,
    ) -> ssize_t,
>;

/// `SSLContext.set_psk_client_callback(cb)`; NULL removes it. `SSLError`
/// on a `PYSSL_PROTOCOL_TLS_SERVER` context. TLS 1.2 PSK ciphers must be
/// enabled with `pyssl_context_set_ciphers` (e.g. "PSK"), as in Python.
#[no_mangle]
pub extern "C" fn pyssl_context_set_psk_client_callback(
    ctx: *mut pyssl_context,
    callback: pyssl_psk_client_callback,
    userdata: *mut std::os::raw::c_void,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        let ctx = unsafe { ctx_ref(ctx) }?;
        let user = UserData(userdata);
        ctx.set_psk_client_callback(callback.map(|cb| -> PskClientCallback {
            Arc::new(move |hint, identity, psk| {
                cb(
                    hint.map_or(std::ptr::null(), CStr::as_ptr),
                    identity.as_mut_ptr().cast(),
                    identity.len(),
                    psk.as_mut_ptr(),
                    psk.len(),
                    user.get(),
                )
            })
        }))
        .map(|_| 0)
    })
}

/// `SSLContext.set_psk_server_callback(cb, identity_hint)`; NULL `callback`
/// removes it. `SSLError` on a `PYSSL_PROTOCOL_TLS_CLIENT` context.
#[no_mangle]
pub extern "C" fn pyssl_context_set_psk_server_callback(
    ctx: *mut pyssl_context,
    callback: pyssl_psk_server_callback,
    identity_hint: *const c_char,
    userdata: *mut std::os::raw::c_void,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked; string NULL or NUL-terminated.
        let (ctx, hint) = unsafe { (ctx_ref(ctx)?, opt_cstr(identity_hint)) };
        let user = UserData(userdata);
        ctx.set_psk_server_callback(
            callback.map(|cb| -> PskServerCallback {
                Arc::new(move |identity, psk| {
                    cb(
                        identity.map_or(std::ptr::null(), CStr::as_ptr),
                        psk.as_mut_ptr(),
                        psk.len(),
                        user.get(),
                    )
                })
            }),
            hint,
        )
        .map(|_| 0)
    })
}

fn write_value(
    out: *mut *mut super::value::pyssl_value,
    v: crate::value::Value,
) -> PyResult<c_int> {
    if out.is_null() {
        return Err(PyErr::bad_argument("out is NULL"));
    }
    write_out(out, super::value::value_into_raw(v), "out")?;
    Ok(0)
}

/// `SSLContext.get_ciphers()`: 0 and `*out` set to a list of CPython's
/// cipher dicts (`id`, `name`, `protocol`, `description`, `strength_bits`,
/// `alg_bits`, `aead`, `symmetric`, `digest`, `kea`, `auth`); < 0 on error.
#[no_mangle]
pub extern "C" fn pyssl_context_get_ciphers(
    ctx: *const pyssl_context,
    out: *mut *mut super::value::pyssl_value,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        let list = unsafe { ctx_ref(ctx) }?.get_ciphers()?;
        write_value(
            out,
            crate::value::Value::List(list.iter().map(|c| c.to_dict()).collect()),
        )
    })
}

/// `SSLContext.session_stats()`: 0 and `*out` set to the dict of
/// OpenSSL's session-cache counters, in CPython's key order.
#[no_mangle]
pub extern "C" fn pyssl_context_session_stats(
    ctx: *const pyssl_context,
    out: *mut *mut super::value::pyssl_value,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        let stats = unsafe { ctx_ref(ctx) }?.session_stats();
        let dict = stats
            .into_iter()
            .map(|(k, v)| {
                (
                    crate::value::Value::Str(k.to_owned()),
                    crate::value::Value::Int(v),
                )
            })
            .collect();
        write_value(out, crate::value::Value::Dict(dict))
    })
}

/// `SSLContext.get_ca_certs(binary_form)`: 0 and `*out` set to a list of
/// certificate dicts (or DER bytes) of the CA certificates loaded.
#[no_mangle]
pub extern "C" fn pyssl_context_get_ca_certs(
    ctx: *const pyssl_context,
    binary_form: c_int,
    out: *mut *mut super::value::pyssl_value,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by ctx_ref.
        let v = unsafe { ctx_ref(ctx) }?.get_ca_certs_flat(binary_form != 0)?;
        if out.is_null() {
            return Err(PyErr::bad_argument("out is NULL"));
        }
        write_out(out, super::value::flat_to_raw(&v), "out")?;
        Ok(0)
    })
}
