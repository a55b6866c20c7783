//! `SSLContext`: CPython's `_ssl._SSLContext` over an OpenSSL `SSL_CTX`.
//!
//! A context may be shared by many threads and outlives every socket made
//! from it (sockets hold an `Arc`). Setters take a write lock, socket
//! creation a read lock, so reconfiguring while other threads create sockets
//! is safe; each socket copies the settings it needs when it is created.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_uchar, c_uint, c_void};
use std::sync::{Arc, RwLock};

use openssl_sys as ffi;

use crate::compat::Compat;
use crate::error::{clear_openssl_errors, set_ssl_error, PyErr, PyResult, Status};
use crate::here;
use crate::hooks;
use crate::ossl;
use crate::value::Value;

pub mod callbacks;

pub use callbacks::{PskClientCallback, PskServerCallback, SniCallback};

// Python's `ssl` constants. The C header has each as `PYSSL_` + its name
// (cbindgen.toml renames them); this is their only definition.

/// `ssl.PROTOCOL_TLS` (deprecated in CPython; client or server).
pub const PROTOCOL_TLS: i32 = 2;
/// `ssl.PROTOCOL_TLS_CLIENT`: verifies certificates and host names.
pub const PROTOCOL_TLS_CLIENT: i32 = 16;
/// `ssl.PROTOCOL_TLS_SERVER`.
pub const PROTOCOL_TLS_SERVER: i32 = 17;
/// `ssl.CERT_NONE`.
pub const CERT_NONE: i32 = 0;
/// `ssl.CERT_OPTIONAL`.
pub const CERT_OPTIONAL: i32 = 1;
/// `ssl.CERT_REQUIRED`.
pub const CERT_REQUIRED: i32 = 2;
/// `ssl.TLSVersion.MINIMUM_SUPPORTED`.
pub const TLS_VERSION_MINIMUM_SUPPORTED: i32 = -2;
/// `ssl.TLSVersion.MAXIMUM_SUPPORTED`.
pub const TLS_VERSION_MAXIMUM_SUPPORTED: i32 = -1;
/// `ssl.TLSVersion.SSLv3` (refused by OpenSSL 3 builds, as in CPython).
pub(crate) const TLS_VERSION_SSLV3: i32 = 0x300;
/// `ssl.TLSVersion.TLSv1`.
pub(crate) const TLS_VERSION_TLSV1: i32 = 0x301;
/// `ssl.TLSVersion.TLSv1_1`.
pub(crate) const TLS_VERSION_TLSV1_1: i32 = 0x302;
/// `ssl.TLSVersion.TLSv1_2`.
pub const TLS_VERSION_TLSV1_2: i32 = 0x303;
/// `ssl.TLSVersion.TLSv1_3`.
pub const TLS_VERSION_TLSV1_3: i32 = 0x304;

const SSL_OP_IGNORE_UNEXPECTED_EOF: u64 = 1 << 7;
const X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS: c_uint = 0x4;
const X509_CHECK_FLAG_NEVER_CHECK_SUBJECT: c_uint = 0x20;
const X509_V_FLAG_TRUSTED_FIRST: std::os::raw::c_ulong = 0x8000;
const SSL_MODE_RELEASE_BUFFERS: std::os::raw::c_long = 0x10;

/// Settings that live beside the `SSL_CTX`.
struct Settings {
    check_hostname: bool,
    /// ALPN protocols in wire format (server side selection list), shared
    /// with the selection callback so that a setter can replace it meanwhile.
    alpn: Arc<[u8]>,
    /// `SSLContext.post_handshake_auth`, applied to sockets at creation.
    post_handshake_auth: bool,
    /// `SSLContext._host_flags`.
    host_flags: c_uint,
    /// `SSLContext.sni_callback`.
    sni: Option<SniCallback>,
    psk_client: Option<PskClientCallback>,
    psk_server: Option<PskServerCallback>,
    /// `SSLContext.keylog_filename` and the open file.
    keylog: Option<(String, std::sync::Arc<std::sync::Mutex<std::fs::File>>)>,
}

/// An `SSLContext`.
pub struct Context {
    ctx: *mut ffi::SSL_CTX,
    protocol: i32,
    compat: Compat,
    settings: RwLock<Settings>,
}

// SAFETY: SSL_CTX is reference counted and safe to use from several threads
// for creating SSL objects; every mutation goes through `settings`' write
// lock, every SSL_new through its read lock.
unsafe impl Send for Context {}
// SAFETY: see Send.
unsafe impl Sync for Context {}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: we own one reference to ctx; sockets hold Arcs to us, so no
        // socket outlives this.
        unsafe { ffi::SSL_CTX_free(self.ctx) };
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("protocol", &self.protocol)
            .field("compat", &self.compat)
            .finish()
    }
}

/// The context-side read guard a socket holds while it is created.
pub struct CtxGuard<'a> {
    ctx: &'a Context,
    settings: std::sync::RwLockReadGuard<'a, Settings>,
}

impl CtxGuard<'_> {
    pub fn raw(&self) -> *mut ffi::SSL_CTX {
        self.ctx.ctx
    }
    pub fn check_hostname(&self) -> bool {
        self.settings.check_hostname
    }
    pub fn protocol(&self) -> i32 {
        self.ctx.protocol
    }
    pub fn post_handshake_auth(&self) -> bool {
        self.settings.post_handshake_auth
    }
}

impl Context {
    /// `_ssl._SSLContext(protocol)` with CPython's defaults.
    pub fn new(proto: i32, compat: Compat) -> PyResult<Arc<Context>> {
        ffi::init();
        clear_openssl_errors();
        // SAFETY: plain constructors without arguments.
        let method = unsafe {
            match proto {
                PROTOCOL_TLS => ffi::TLS_method(),
                PROTOCOL_TLS_CLIENT => ffi::TLS_client_method(),
                PROTOCOL_TLS_SERVER => ffi::TLS_server_method(),
                _ => {
                    return Err(PyErr::value_error(format!(
                        "invalid or unsupported protocol version {proto}"
                    )))
                }
            }
        };
        // SAFETY: method is a valid static method table.
        let raw = hooks::allow_threads(|| unsafe { ffi::SSL_CTX_new(method) });
        if raw.is_null() {
            return Err(set_ssl_error(compat, None, Status::Ssl, here!()));
        }
        let ctx = Arc::new(Context {
            ctx: raw,
            protocol: proto,
            compat,
            settings: RwLock::new(Settings {
                check_hostname: false,
                alpn: Arc::from(&[][..]),
                post_handshake_auth: false,
                host_flags: X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
                sni: None,
                psk_client: None,
                psk_server: None,
                keylog: None,
            }),
        });
        ctx.apply_defaults()?;
        // SAFETY: our SSL_CTX; ex_data 0 (its app data) points back to the
        // Context that owns it, for callbacks that only get an SSL.
        unsafe { ffi::SSL_CTX_set_ex_data(raw, 0, Arc::as_ptr(&ctx) as *mut c_void) };
        Ok(ctx)
    }

    fn apply_defaults(&self) -> PyResult<()> {
        let client = self.protocol == PROTOCOL_TLS_CLIENT;
        {
            let mut s = self.settings.write().unwrap_or_else(|e| e.into_inner());
            s.check_hostname = client;
        }
        self.set_verify_raw(if client { CERT_REQUIRED } else { CERT_NONE })?;
        let mut options: u64 = ffi::SSL_OP_ALL & !ffi::SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS;
        // SSL_OP_NO_SSLv2 is 0 in OpenSSL 3.
        options |= ossl::SSL_OP_NO_SSLV3;
        options |= ffi::SSL_OP_NO_COMPRESSION;
        options |= ffi::SSL_OP_CIPHER_SERVER_PREFERENCE;
        options |= ffi::SSL_OP_SINGLE_DH_USE | ffi::SSL_OP_SINGLE_ECDH_USE;
        if self.compat == Compat::Py311 {
            // Debian's 3.11 makes OpenSSL 3 treat an EOF like 1.1.1 did.
            options |= SSL_OP_IGNORE_UNEXPECTED_EOF;
        }
        // OpenSSL's default cipher list in every mode: Debian builds CPython
        // with --with-ssl-default-suites=openssl (3.11, 3.13 and 3.14 alike).
        // SAFETY: valid SSL_CTX owned by self.
        unsafe {
            ffi::SSL_CTX_set_options(self.ctx, options as _);
            // pyssl keeps TLS 1.2 as the floor in every mode (see README).
            if ffi::SSL_CTX_set_min_proto_version(self.ctx, ffi::TLS1_2_VERSION as _) == 0 {
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
            ffi::SSL_CTX_set_mode(self.ctx, SSL_MODE_RELEASE_BUFFERS as _);
            // 3.13 stopped setting it on client contexts (it broke TLS 1.3
            // PSK there); 3.11 sets it on every context.
            if self.compat == Compat::Py311 || self.protocol != PROTOCOL_TLS_CLIENT {
                let sid = b"Python\0";
                ffi::SSL_CTX_set_session_id_context(self.ctx, sid.as_ptr(), sid.len() as c_uint);
            }
            let params = ffi::SSL_CTX_get0_param(self.ctx);
            ffi::X509_VERIFY_PARAM_set_flags(params, X509_V_FLAG_TRUSTED_FIRST);
            ffi::X509_VERIFY_PARAM_set_hostflags(params, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            ffi::SSL_CTX_set_post_handshake_auth(self.ctx, 0);
            // ALPN selection on the server reads the list under the lock.
            ffi::SSL_CTX_set_alpn_select_cb__fixed_rust(
                self.ctx,
                Some(select_alpn),
                self as *const Context as *mut c_void,
            );
        }
        Ok(())
    }

    pub fn protocol(&self) -> i32 {
        self.protocol
    }

    pub fn compat(&self) -> Compat {
        self.compat
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Settings> {
        self.settings.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Read access for creating a socket.
    pub fn read(&self) -> CtxGuard<'_> {
        CtxGuard {
            ctx: self,
            settings: self.settings.read().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// `_set_verify_mode`.
    fn set_verify_raw(&self, mode: i32) -> PyResult<()> {
        let m = match mode {
            CERT_NONE => ffi::SSL_VERIFY_NONE,
            CERT_OPTIONAL => ffi::SSL_VERIFY_PEER,
            CERT_REQUIRED => ffi::SSL_VERIFY_PEER | ffi::SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
            _ => return Err(PyErr::value_error("invalid value for verify_mode")),
        };
        // SAFETY: valid SSL_CTX; keeping the current verify callback.
        unsafe {
            let cb = ossl::SSL_CTX_get_verify_callback(self.ctx);
            ffi::SSL_CTX_set_verify(self.ctx, m, cb);
        }
        Ok(())
    }

    /// `SSLContext.verify_mode = mode`.
    pub fn set_verify_mode(&self, mode: i32) -> PyResult<()> {
        let s = self.write();
        if mode == CERT_NONE && s.check_hostname {
            return Err(PyErr::value_error(
                "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.",
            ));
        }
        self.set_verify_raw(mode)
    }

    /// `SSLContext.verify_mode`.
    pub fn verify_mode(&self) -> i32 {
        let _s = self.read();
        // SAFETY: valid SSL_CTX.
        let m = unsafe { ffi::SSL_CTX_get_verify_mode(self.ctx) };
        match m {
            ffi::SSL_VERIFY_NONE => CERT_NONE,
            ffi::SSL_VERIFY_PEER => CERT_OPTIONAL,
            _ => CERT_REQUIRED,
        }
    }

    /// `SSLContext.check_hostname = enabled`; enabling it on a context with
    /// `CERT_NONE` switches to `CERT_REQUIRED`, as CPython does.
    pub fn set_check_hostname(&self, enabled: bool) -> PyResult<()> {
        let mut s = self.write();
        // SAFETY: valid SSL_CTX.
        if enabled && unsafe { ffi::SSL_CTX_get_verify_mode(self.ctx) } == ffi::SSL_VERIFY_NONE {
            self.set_verify_raw(CERT_REQUIRED)?;
        }
        s.check_hostname = enabled;
        Ok(())
    }

    pub fn check_hostname(&self) -> bool {
        self.read().check_hostname()
    }

    /// `SSLContext.set_ciphers(cipherlist)`.
    pub fn set_ciphers(&self, list: &CStr) -> PyResult<()> {
        let _s = self.write();
        // SAFETY: valid SSL_CTX and NUL-terminated string.
        if unsafe { ffi::SSL_CTX_set_cipher_list(self.ctx, list.as_ptr()) } == 0 {
            crate::error::clear_error_queue();
            return Err(PyErr::ssl_message("No cipher can be selected."));
        }
        Ok(())
    }

    /// `SSLContext._set_alpn_protocols(protos)` with the wire format that
    /// `ssl.py` builds (length-prefixed names).
    pub fn set_alpn_protocols(&self, wire: &[u8]) -> PyResult<()> {
        if wire.len() > u32::MAX as usize {
            return Err(PyErr::overflow_error(format!(
                "protocols longer than {} bytes",
                u32::MAX
            )));
        }
        let mut s = self.write();
        s.alpn = Arc::from(wire);
        // SAFETY: valid SSL_CTX; OpenSSL copies the buffer.
        let r = unsafe {
            ffi::SSL_CTX_set_alpn_protos(self.ctx, s.alpn.as_ptr(), s.alpn.len() as c_uint)
        };
        if r != 0 {
            return Err(PyErr::memory_error());
        }
        Ok(())
    }

    /// `SSLContext.minimum_version` / `maximum_version` setters
    /// (CPython's `set_min_max_proto_version`).
    pub fn set_proto_version(&self, v: i32, maximum: bool) -> PyResult<()> {
        let _s = self.write();
        match self.protocol {
            PROTOCOL_TLS | PROTOCOL_TLS_CLIENT | PROTOCOL_TLS_SERVER => {}
            _ => {
                return Err(PyErr::value_error(
                    "The context's protocol doesn't support modification of highest and lowest version.",
                ))
            }
        }
        let valid = matches!(
            v,
            TLS_VERSION_SSLV3
                | TLS_VERSION_TLSV1
                | TLS_VERSION_TLSV1_1
                | TLS_VERSION_TLSV1_2
                | TLS_VERSION_TLSV1_3
                | TLS_VERSION_MINIMUM_SUPPORTED
                | TLS_VERSION_MAXIMUM_SUPPORTED
        );
        if !valid {
            return Err(PyErr::value_error(format!(
                "Unsupported TLS/SSL version 0x{:x}",
                v as u32
            )));
        }
        let raw = if !maximum {
            match v {
                TLS_VERSION_MINIMUM_SUPPORTED => 0,
                TLS_VERSION_MAXIMUM_SUPPORTED => TLS_VERSION_TLSV1_3,
                v => v,
            }
        } else {
            match v {
                TLS_VERSION_MAXIMUM_SUPPORTED => 0,
                // PY_PROTO_MINIMUM_AVAILABLE: OpenSSL 3 is built without
                // SSLv3 here, so CPython's lowest available is TLSv1.
                TLS_VERSION_MINIMUM_SUPPORTED => TLS_VERSION_TLSV1,
                v => v,
            }
        };
        // SAFETY: valid SSL_CTX.
        let ok = unsafe {
            if maximum {
                ffi::SSL_CTX_set_max_proto_version(self.ctx, raw as _)
            } else {
                ffi::SSL_CTX_set_min_proto_version(self.ctx, raw as _)
            }
        };
        if ok == 0 {
            return Err(PyErr::value_error(format!(
                "Unsupported protocol version 0x{:x}",
                v as u32
            )));
        }
        Ok(())
    }

    /// `SSLContext.minimum_version` / `maximum_version` getters.
    pub fn proto_version(&self, maximum: bool) -> i32 {
        let _s = self.read();
        // SAFETY: valid SSL_CTX.
        let v = unsafe {
            if maximum {
                ffi::SSL_CTX_get_max_proto_version(self.ctx)
            } else {
                ffi::SSL_CTX_get_min_proto_version(self.ctx)
            }
        } as i32;
        match (v, maximum) {
            (0, false) => TLS_VERSION_MINIMUM_SUPPORTED,
            (0, true) => TLS_VERSION_MAXIMUM_SUPPORTED,
            (v, _) => v,
        }
    }

    /// `SSLContext.get_ciphers()`: the ciphers a new socket would offer.
    pub fn get_ciphers(&self) -> PyResult<Vec<CipherInfo>> {
        let g = self.read();
        // SAFETY: valid SSL_CTX under the read lock; the temporary SSL is
        // freed before returning.
        unsafe {
            let ssl = ffi::SSL_new(g.raw());
            if ssl.is_null() {
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
            let list = cipher_list(ossl::SSL_get_ciphers(ssl)).unwrap_or_default();
            ffi::SSL_free(ssl);
            Ok(list)
        }
    }

    /// `SSLContext.sni_callback = cb` (None removes it). Server side only,
    /// as CPython only calls it there.
    pub fn set_sni_callback(&self, sni: Option<SniCallback>) -> PyResult<()> {
        if self.protocol == PROTOCOL_TLS_CLIENT {
            return Err(PyErr::value_error(
                "sni_callback cannot be set on TLS_CLIENT context",
            ));
        }
        let mut s = self.write();
        let on = sni.is_some();
        s.sni = sni;
        // SAFETY: our SSL_CTX, under the write lock.
        unsafe { callbacks::install_sni(self.ctx, self, on) };
        Ok(())
    }

    /// `SSLContext.set_psk_client_callback(cb)` (CPython 3.13).
    pub fn set_psk_client_callback(&self, cb: Option<PskClientCallback>) -> PyResult<()> {
        if self.protocol == PROTOCOL_TLS_SERVER {
            return Err(set_ssl_error(
                self.compat,
                Some("Cannot add PSK client callback to a PROTOCOL_TLS_SERVER context"),
                Status::Ssl,
                here!(),
            ));
        }
        let mut s = self.write();
        let f = cb.as_ref().map(|_| callbacks::psk_client_trampoline as _);
        s.psk_client = cb;
        // SAFETY: our SSL_CTX under the write lock.
        unsafe { ffi::SSL_CTX_set_psk_client_callback(self.ctx, f) };
        Ok(())
    }

    /// `SSLContext.set_psk_server_callback(cb, identity_hint)` (3.13).
    pub fn set_psk_server_callback(
        &self,
        cb: Option<PskServerCallback>,
        identity_hint: Option<&CStr>,
    ) -> PyResult<()> {
        if self.protocol == PROTOCOL_TLS_CLIENT {
            return Err(set_ssl_error(
                self.compat,
                Some("Cannot add PSK server callback to a PROTOCOL_TLS_CLIENT context"),
                Status::Ssl,
                here!(),
            ));
        }
        let mut s = self.write();
        // SAFETY: our SSL_CTX under the write lock; the hint is copied.
        unsafe {
            let hint = identity_hint.map_or(std::ptr::null(), CStr::as_ptr);
            if ossl::SSL_CTX_use_psk_identity_hint(self.ctx, hint) != 1 {
                crate::error::clear_error_queue();
                return Err(PyErr::value_error("failed to set identity hint"));
            }
            let f = cb.as_ref().map(|_| callbacks::psk_server_trampoline as _);
            s.psk_server = cb;
            ffi::SSL_CTX_set_psk_server_callback(self.ctx, f);
        }
        Ok(())
    }

    pub(crate) fn psk_client_callback(&self) -> Option<PskClientCallback> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .psk_client
            .clone()
    }

    pub(crate) fn psk_server_callback(&self) -> Option<PskServerCallback> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .psk_server
            .clone()
    }

    pub(crate) fn sni_callback(&self) -> Option<SniCallback> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .sni
            .clone()
    }

    /// `SSLContext.keylog_filename = path` (None stops logging): appends
    /// NSS key log lines, after a header line when the file is empty.
    pub fn set_keylog_filename(&self, path: Option<&str>) -> PyResult<()> {
        use std::io::Write;
        let mut s = self.write();
        // SAFETY: our SSL_CTX under the write lock.
        unsafe { ffi::SSL_CTX_set_keylog_callback(self.ctx, None) };
        s.keylog = None;
        let Some(path) = path else {
            return Ok(());
        };
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| PyErr::os_error_with_filename(e.raw_os_error().unwrap_or(0), path))?;
        if file.metadata().map(|m| m.len() == 0).unwrap_or(false) {
            let _ = file.write_all(b"# TLS secrets log file, generated by OpenSSL / Python\n");
        }
        s.keylog = Some((
            path.to_owned(),
            std::sync::Arc::new(std::sync::Mutex::new(file)),
        ));
        // SAFETY: our SSL_CTX under the write lock.
        unsafe { ffi::SSL_CTX_set_keylog_callback(self.ctx, Some(keylog_callback)) };
        Ok(())
    }

    /// `SSLContext.keylog_filename`.
    pub fn keylog_filename(&self) -> Option<String> {
        self.read().settings.keylog.as_ref().map(|(p, _)| p.clone())
    }

    /// `SSLContext.load_dh_params(path)`.
    pub fn load_dh_params(&self, path: &str) -> PyResult<()> {
        let cpath =
            std::ffi::CString::new(path).map_err(|_| PyErr::value_error("embedded null byte"))?;
        let _s = self.write();
        clear_openssl_errors();
        // SAFETY: NUL-terminated path and mode; the BIO, the DH and the
        // file are released on every path.
        unsafe {
            crate::errno::set(0);
            let bio = ossl::BIO_new_file(cpath.as_ptr(), c"rb".as_ptr());
            if bio.is_null() {
                let errno = crate::errno::get();
                ffi::ERR_clear_error();
                return Err(PyErr::os_error_with_filename(
                    if errno != 0 { errno } else { libc::ENOENT },
                    path,
                ));
            }
            crate::errno::set(0);
            let dh =
                ffi::PEM_read_bio_DHparams(bio, std::ptr::null_mut(), None, std::ptr::null_mut());
            let errno = crate::errno::get();
            ossl::BIO_free(bio);
            if dh.is_null() {
                if errno != 0 {
                    ffi::ERR_clear_error();
                    return Err(PyErr::os_error_with_filename(errno, path));
                }
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
            let ok = ffi::SSL_CTX_set_tmp_dh(self.ctx, dh);
            ffi::DH_free(dh);
            if ok == 0 {
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
        }
        Ok(())
    }

    /// `SSLContext.set_ecdh_curve(name)`.
    pub fn set_ecdh_curve(&self, name: &str) -> PyResult<()> {
        let cname =
            std::ffi::CString::new(name).map_err(|_| PyErr::value_error("embedded null byte"))?;
        let _s = self.write();
        clear_openssl_errors();
        // SAFETY: NUL-terminated name; the key is freed after use.
        unsafe {
            let nid = ffi::OBJ_sn2nid(cname.as_ptr());
            if nid == 0 {
                return Err(PyErr::value_error(format!(
                    "unknown elliptic curve name {}",
                    crate::value::Value::Str(name.to_owned()).repr()
                )));
            }
            let key = ffi::EC_KEY_new_by_curve_name(nid);
            if key.is_null() {
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
            ffi::SSL_CTX_set_tmp_ecdh(self.ctx, key);
            ffi::EC_KEY_free(key);
        }
        Ok(())
    }

    /// `SSLContext.session_stats()`, in CPython's key order.
    pub fn session_stats(&self) -> Vec<(&'static str, i64)> {
        const KEYS: [(&str, c_int); 11] = [
            ("number", 20),
            ("connect", 21),
            ("connect_good", 22),
            ("connect_renegotiate", 23),
            ("accept", 24),
            ("accept_good", 25),
            ("accept_renegotiate", 26),
            ("hits", 27),
            ("misses", 29),
            ("timeouts", 30),
            ("cache_full", 31),
        ];
        let _s = self.read();
        KEYS.iter()
            // SAFETY: our SSL_CTX; these controls only read counters.
            .map(|(k, op)| {
                (
                    *k,
                    unsafe { ffi::SSL_CTX_ctrl(self.ctx, *op, 0, std::ptr::null_mut()) } as i64,
                )
            })
            .collect()
    }

    /// `SSLContext.get_ca_certs(binary_form)`: the CA certificates of the
    /// trust store (not those in a capath directory until they were used),
    /// as dicts or DER bytes.
    pub fn get_ca_certs(&self, binary_form: bool) -> PyResult<Value> {
        let _s = self.read();
        let mut out = Vec::new();
        // SAFETY: our SSL_CTX's store, read under the lock; certificates are
        // borrowed from it for the duration of each decode.
        unsafe {
            let store = ffi::SSL_CTX_get_cert_store(self.ctx);
            let objs = ffi::X509_STORE_get0_objects(store);
            let n = ffi::OPENSSL_sk_num(objs as *const ffi::OPENSSL_STACK);
            for i in 0..n {
                let obj = ffi::OPENSSL_sk_value(objs as *const ffi::OPENSSL_STACK, i)
                    as *const ffi::X509_OBJECT;
                if ossl::X509_OBJECT_get_type(obj) != 1 {
                    continue;
                }
                let cert = ffi::X509_OBJECT_get0_X509(obj);
                if ossl::X509_check_ca(cert) == 0 {
                    continue;
                }
                out.push(if binary_form {
                    crate::x509::decode::certificate_to_der(cert)?
                } else {
                    crate::x509::decode::decode_certificate(cert)?
                });
            }
        }
        Ok(Value::List(out))
    }

    /// `SSLContext.cert_store_stats()`: (x509, crl, x509_ca).
    pub fn cert_store_stats(&self) -> (i64, i64, i64) {
        let _s = self.read();
        let (mut x509, mut crl, mut ca) = (0, 0, 0);
        // SAFETY: our SSL_CTX's store, read under the lock; objects are
        // borrowed from the store.
        unsafe {
            let store = ffi::SSL_CTX_get_cert_store(self.ctx);
            let objs = ffi::X509_STORE_get0_objects(store);
            let n = ffi::OPENSSL_sk_num(objs as *const ffi::OPENSSL_STACK);
            for i in 0..n {
                let obj = ffi::OPENSSL_sk_value(objs as *const ffi::OPENSSL_STACK, i)
                    as *const ffi::X509_OBJECT;
                match ossl::X509_OBJECT_get_type(obj) {
                    1 => {
                        x509 += 1;
                        if ossl::X509_check_ca(ffi::X509_OBJECT_get0_X509(obj)) != 0 {
                            ca += 1;
                        }
                    }
                    2 => crl += 1,
                    _ => {}
                }
            }
        }
        (x509, crl, ca)
    }

    /// `SSLContext.verify_flags` (`X509_V_FLAG_*`).
    pub fn verify_flags(&self) -> u64 {
        let _s = self.read();
        // SAFETY: valid SSL_CTX and its parameter object.
        unsafe { ffi::X509_VERIFY_PARAM_get_flags(ffi::SSL_CTX_get0_param(self.ctx)) as u64 }
    }

    /// `SSLContext.verify_flags = new`.
    pub fn set_verify_flags(&self, new: u64) -> PyResult<()> {
        let _s = self.write();
        // SAFETY: valid SSL_CTX and its parameter object.
        unsafe {
            let param = ffi::SSL_CTX_get0_param(self.ctx);
            let cur = ffi::X509_VERIFY_PARAM_get_flags(param) as u64;
            let clear = cur & !new;
            let set = !cur & new;
            if clear != 0 && ffi::X509_VERIFY_PARAM_clear_flags(param, clear as _) == 0 {
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
            if set != 0 && ffi::X509_VERIFY_PARAM_set_flags(param, set as _) == 0 {
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
        }
        Ok(())
    }

    /// `SSLContext._host_flags` (`X509_CHECK_FLAG_*`).
    pub fn host_flags(&self) -> u32 {
        self.read().settings.host_flags
    }

    /// `SSLContext._host_flags = flags`.
    pub fn set_host_flags(&self, flags: u32) {
        let mut s = self.write();
        s.host_flags = flags;
        // SAFETY: valid SSL_CTX and its parameter object.
        unsafe { ffi::X509_VERIFY_PARAM_set_hostflags(ffi::SSL_CTX_get0_param(self.ctx), flags) };
    }

    /// `SSLContext.hostname_checks_common_name` (ssl.py, over `_host_flags`).
    pub fn hostname_checks_common_name(&self) -> bool {
        self.host_flags() & X509_CHECK_FLAG_NEVER_CHECK_SUBJECT == 0
    }

    /// `SSLContext.hostname_checks_common_name = enabled`.
    pub fn set_hostname_checks_common_name(&self, enabled: bool) {
        let flags = self.host_flags();
        self.set_host_flags(if enabled {
            flags & !X509_CHECK_FLAG_NEVER_CHECK_SUBJECT
        } else {
            flags | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT
        });
    }

    /// `SSLContext.num_tickets` (TLS 1.3 session tickets a server sends).
    pub fn num_tickets(&self) -> usize {
        let _s = self.read();
        // SAFETY: valid SSL_CTX.
        unsafe { ffi::SSL_CTX_get_num_tickets(self.ctx) }
    }

    /// `SSLContext.num_tickets = n`.
    pub fn set_num_tickets(&self, n: i64) -> PyResult<()> {
        if n < 0 {
            return Err(PyErr::value_error("value must be non-negative"));
        }
        if self.protocol != PROTOCOL_TLS_SERVER {
            return Err(PyErr::value_error("SSLContext is not a server context."));
        }
        let _s = self.write();
        // SAFETY: valid SSL_CTX.
        if unsafe { ffi::SSL_CTX_set_num_tickets(self.ctx, n as usize) } != 1 {
            return Err(PyErr::value_error("failed to set num tickets."));
        }
        Ok(())
    }

    /// `SSLContext.post_handshake_auth`.
    pub fn post_handshake_auth(&self) -> bool {
        self.read().settings.post_handshake_auth
    }

    /// `SSLContext.post_handshake_auth = enabled` (used by sockets created
    /// afterwards, as in CPython).
    pub fn set_post_handshake_auth(&self, enabled: bool) {
        self.write().post_handshake_auth = enabled;
    }

    /// `SSLContext.security_level`.
    pub fn security_level(&self) -> i32 {
        let _s = self.read();
        // SAFETY: valid SSL_CTX.
        unsafe { ffi::SSL_CTX_get_security_level(self.ctx) }
    }

    /// `SSLContext.options`.
    pub fn options(&self) -> u64 {
        let _s = self.read();
        // SAFETY: valid SSL_CTX.
        unsafe { ffi::SSL_CTX_get_options(self.ctx) as u64 }
    }

    /// `SSLContext.options = new`: clears and sets the differing bits.
    pub fn set_options(&self, new: u64) {
        let _s = self.write();
        // SAFETY: valid SSL_CTX.
        unsafe {
            let cur = ffi::SSL_CTX_get_options(self.ctx) as u64;
            let clear = cur & !new;
            let set = !cur & new;
            if clear != 0 {
                ffi::SSL_CTX_clear_options(self.ctx, clear as _);
            }
            if set != 0 {
                ffi::SSL_CTX_set_options(self.ctx, set as _);
            }
        }
    }

    /// `SSLContext.load_verify_locations(cafile, capath)`.
    pub fn load_verify_locations(
        &self,
        cafile: Option<&CStr>,
        capath: Option<&CStr>,
    ) -> PyResult<()> {
        if cafile.is_none() && capath.is_none() {
            return Err(PyErr::type_error(
                "cafile, capath and cadata cannot be all omitted",
            ));
        }
        clear_openssl_errors();
        let ca = cafile.map_or(std::ptr::null(), CStr::as_ptr);
        let cp = capath.map_or(std::ptr::null(), CStr::as_ptr);
        // As CPython, without the host's lock; the write lock is taken
        // inside, so it is never held while the host's hooks run.
        let (r, errno) = hooks::allow_threads(|| {
            let _s = self.write();
            crate::errno::set(0);
            // SAFETY: valid SSL_CTX under the write lock; paths are
            // NUL-terminated or NULL.
            let r = unsafe { ffi::SSL_CTX_load_verify_locations(self.ctx, ca, cp) };
            (r, crate::errno::get())
        });
        if r != 1 {
            if errno != 0 {
                crate::error::clear_error_queue();
                return Err(PyErr::os_error(errno));
            }
            return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
        }
        Ok(())
    }

    /// `SSLContext.load_verify_locations(cadata=...)`: PEM text (`pem`
    /// true, as for a `str`) or DER bytes, CPython's `_add_ca_certs`.
    pub fn load_verify_data(&self, data: &[u8], pem: bool) -> PyResult<()> {
        if data.is_empty() {
            return Err(PyErr::value_error("Empty certificate data"));
        }
        if data.len() > i32::MAX as usize {
            return Err(PyErr::overflow_error("Certificate data is too long."));
        }
        if pem && !data.is_ascii() {
            return Err(PyErr::type_error(
                "cadata should be an ASCII string or a bytes-like object",
            ));
        }
        let _s = self.write();
        clear_openssl_errors();
        // SAFETY: the BIO reads `data`, which outlives it; every OpenSSL
        // object made here is freed here.
        unsafe {
            let bio = ffi::BIO_new_mem_buf(data.as_ptr() as *const c_void, data.len() as c_int);
            if bio.is_null() {
                return Err(set_ssl_error(
                    self.compat,
                    Some("Can't allocate buffer"),
                    Status::Ssl,
                    here!(),
                ));
            }
            let store = ffi::SSL_CTX_get_cert_store(self.ctx);
            let mut loaded = 0;
            loop {
                let cert = if pem {
                    ffi::PEM_read_bio_X509(bio, std::ptr::null_mut(), None, std::ptr::null_mut())
                } else {
                    ffi::d2i_X509_bio(bio, std::ptr::null_mut())
                };
                if cert.is_null() {
                    break;
                }
                let r = ffi::X509_STORE_add_cert(store, cert);
                ffi::X509_free(cert);
                if r == 0 {
                    let e = ffi::ERR_peek_last_error() as u64;
                    if crate::error::err_get_lib(e) == ossl::ERR_LIB_X509
                        && crate::error::err_get_reason(e)
                            == ossl::X509_R_CERT_ALREADY_IN_HASH_TABLE
                    {
                        ffi::ERR_clear_error();
                    } else {
                        break;
                    }
                }
                loaded += 1;
            }
            ossl::BIO_free(bio);
            let e = ffi::ERR_peek_last_error() as u64;
            let lib = crate::error::err_get_lib(e);
            let reason = crate::error::err_get_reason(e);
            if loaded == 0 {
                let msg = if pem {
                    "no start line: cadata does not contain a certificate"
                } else {
                    "not enough data: cadata does not contain a certificate"
                };
                Err(set_ssl_error(self.compat, Some(msg), Status::Ssl, here!()))
            } else if (!pem && lib == ossl::ERR_LIB_ASN1 && reason == ossl::ASN1_R_HEADER_TOO_LONG)
                || (pem && lib == ossl::ERR_LIB_PEM && reason == ossl::PEM_R_NO_START_LINE)
            {
                ffi::ERR_clear_error();
                Ok(())
            } else if e != 0 {
                Err(set_ssl_error(self.compat, None, Status::Ssl, here!()))
            } else {
                Ok(())
            }
        }
    }

    /// `SSLContext.load_default_certs()`'s OpenSSL part:
    /// `set_default_verify_paths`.
    pub fn set_default_verify_paths(&self) -> PyResult<()> {
        let _s = self.write();
        clear_openssl_errors();
        // SAFETY: valid SSL_CTX.
        if unsafe { ffi::SSL_CTX_set_default_verify_paths(self.ctx) } != 1 {
            return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
        }
        Ok(())
    }

    /// `SSLContext.load_cert_chain(certfile, keyfile, password)`.
    pub fn load_cert_chain(
        &self,
        certfile: &CStr,
        keyfile: Option<&CStr>,
        password: Option<&[u8]>,
    ) -> PyResult<()> {
        if let Some(p) = password {
            if p.len() > i32::MAX as usize {
                return Err(PyErr::value_error(format!(
                    "password cannot be longer than {} bytes",
                    i32::MAX
                )));
            }
        }
        crate::error::clear_error_queue();
        // As CPython, the files are read without the host's lock; the write
        // lock is taken inside, so it is never held while the host's hooks
        // run (the password callback is pyssl's own).
        hooks::allow_threads(|| {
            let _s = self.write();
            crate::errno::set(0);
            let mut pw = PasswordInfo {
                password,
                error: None,
            };
            // SAFETY: valid SSL_CTX. The callback and its userdata (a stack
            // value that outlives both loads) are installed only for this
            // call and the originals restored before returning; the write
            // lock keeps other threads from loading concurrently.
            unsafe {
                let orig_cb = ossl::SSL_CTX_get_default_passwd_cb(self.ctx);
                let orig_ud = ossl::SSL_CTX_get_default_passwd_cb_userdata(self.ctx);
                ossl::SSL_CTX_set_default_passwd_cb(self.ctx, Some(password_callback));
                ossl::SSL_CTX_set_default_passwd_cb_userdata(
                    self.ctx,
                    &mut pw as *mut PasswordInfo as *mut c_void,
                );
                let result = self.load_cert_chain_inner(certfile, keyfile, &mut pw);
                ossl::SSL_CTX_set_default_passwd_cb(self.ctx, orig_cb);
                ossl::SSL_CTX_set_default_passwd_cb_userdata(self.ctx, orig_ud);
                result
            }
        })
    }

    /// # Safety
    /// Called by `load_cert_chain` with the password callback installed,
    /// the write lock held and the host's lock released.
    unsafe fn load_cert_chain_inner(
        &self,
        certfile: &CStr,
        keyfile: Option<&CStr>,
        pw: &mut PasswordInfo,
    ) -> PyResult<()> {
        let fail = |pw: &mut PasswordInfo| -> PyErr {
            if let Some(e) = pw.error.take() {
                crate::error::clear_error_queue();
                return e;
            }
            let errno = crate::errno::get();
            if errno != 0 {
                crate::error::clear_error_queue();
                return PyErr::os_error(errno);
            }
            set_ssl_error(self.compat, None, Status::Ssl, here!())
        };
        // SAFETY: valid SSL_CTX, NUL-terminated path.
        let r = unsafe { ffi::SSL_CTX_use_certificate_chain_file(self.ctx, certfile.as_ptr()) };
        if r != 1 {
            return Err(fail(pw));
        }
        let key = keyfile.unwrap_or(certfile);
        // SAFETY: as above.
        let r = unsafe {
            ffi::SSL_CTX_use_PrivateKey_file(self.ctx, key.as_ptr(), ffi::SSL_FILETYPE_PEM)
        };
        if r != 1 {
            return Err(fail(pw));
        }
        // SAFETY: valid SSL_CTX.
        if unsafe { ffi::SSL_CTX_check_private_key(self.ctx) } != 1 {
            return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
        }
        Ok(())
    }
}

/// What CPython reports of a cipher (`cipher_to_tuple` and
/// `cipher_to_dict`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CipherInfo {
    pub id: u64,
    pub name: Option<String>,
    pub protocol: Option<String>,
    pub description: String,
    pub strength_bits: i32,
    pub alg_bits: i32,
    pub aead: bool,
    pub symmetric: Option<String>,
    pub digest: Option<String>,
    pub kea: Option<String>,
    pub auth: Option<String>,
}

impl CipherInfo {
    /// CPython's `cipher_to_dict`.
    pub fn to_dict(&self) -> Value {
        let opt = |s: &Option<String>| s.clone().map_or(Value::None, Value::Str);
        let k = |s: &str| Value::Str(s.to_owned());
        Value::Dict(vec![
            (k("id"), Value::Int(self.id as i64)),
            (k("name"), opt(&self.name)),
            (k("protocol"), opt(&self.protocol)),
            (k("description"), Value::Str(self.description.clone())),
            (k("strength_bits"), Value::Int(self.strength_bits as i64)),
            (k("alg_bits"), Value::Int(self.alg_bits as i64)),
            (k("aead"), Value::Bool(self.aead)),
            (k("symmetric"), opt(&self.symmetric)),
            (k("digest"), opt(&self.digest)),
            (k("kea"), opt(&self.kea)),
            (k("auth"), opt(&self.auth)),
        ])
    }

    /// CPython's `cipher_to_tuple`: (name, protocol, secret bits).
    pub fn to_tuple(&self) -> Value {
        let opt = |s: &Option<String>| s.clone().map_or(Value::None, Value::Str);
        Value::Tuple(vec![
            opt(&self.name),
            opt(&self.protocol),
            Value::Int(self.strength_bits as i64),
        ])
    }
}

/// Reads a cipher stack as CPython does; None for a NULL stack.
///
/// # Safety
/// `sk` must be NULL or a valid `STACK_OF(SSL_CIPHER)` not modified meanwhile.
pub(crate) unsafe fn cipher_list(sk: *mut ffi::stack_st_SSL_CIPHER) -> Option<Vec<CipherInfo>> {
    if sk.is_null() {
        return None;
    }
    // SAFETY: valid stack per the contract; ciphers are static objects.
    unsafe {
        let n = ffi::OPENSSL_sk_num(sk as *const ffi::OPENSSL_STACK);
        let mut out = Vec::with_capacity(n.max(0) as usize);
        for i in 0..n {
            let c =
                ffi::OPENSSL_sk_value(sk as *const ffi::OPENSSL_STACK, i) as *const ffi::SSL_CIPHER;
            out.push(cipher_info(c));
        }
        Some(out)
    }
}

/// # Safety
/// `c` must be a valid `SSL_CIPHER`.
pub(crate) unsafe fn cipher_info(c: *const ffi::SSL_CIPHER) -> CipherInfo {
    let text = |p: *const c_char| -> Option<String> {
        // SAFETY: OpenSSL returns static NUL-terminated strings or NULL.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    let ln = |nid: c_int| -> Option<String> {
        // SAFETY: OBJ_nid2ln returns a static string or NULL.
        if nid == ffi::NID_undef {
            None
        } else {
            text(unsafe { ffi::OBJ_nid2ln(nid) })
        }
    };
    // SAFETY: valid cipher per the contract; buf is 512 bytes as in CPython
    // and OpenSSL writes at most len - 1 plus the NUL.
    unsafe {
        let mut buf = [0 as c_char; 512];
        ffi::SSL_CIPHER_description(c, buf.as_mut_ptr(), (buf.len() - 1) as c_int);
        let mut description = CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned();
        if description.len() > 1 && description.ends_with('\n') {
            description.pop();
        }
        let mut alg_bits = 0;
        let strength_bits = ffi::SSL_CIPHER_get_bits(c, &mut alg_bits);
        CipherInfo {
            id: ossl::SSL_CIPHER_get_id(c) as u64,
            name: text(ffi::SSL_CIPHER_get_name(c)),
            protocol: text(ffi::SSL_CIPHER_get_version(c)),
            description,
            strength_bits,
            alg_bits,
            aead: ossl::SSL_CIPHER_is_aead(c) != 0,
            symmetric: ln(ffi::SSL_CIPHER_get_cipher_nid(c)),
            digest: ln(ffi::SSL_CIPHER_get_digest_nid(c)),
            kea: ln(ossl::SSL_CIPHER_get_kx_nid(c)),
            auth: ln(ossl::SSL_CIPHER_get_auth_nid(c)),
        }
    }
}

/// CPython's `_PySSL_keylog_callback`: one line per secret, flushed.
unsafe extern "C" fn keylog_callback(ssl: *const ffi::SSL, line: *const c_char) {
    // SAFETY: OpenSSL passes the SSL and a NUL-terminated line; the SSL's
    // context's app data is the owning Context (set in Context::new), alive
    // as long as the SSL_CTX.
    let (ctx, line) = unsafe {
        let raw = ffi::SSL_get_SSL_CTX(ssl);
        let ctx = ffi::SSL_CTX_get_ex_data(raw, 0) as *const Context;
        if ctx.is_null() || line.is_null() {
            return;
        }
        (&*ctx, CStr::from_ptr(line))
    };
    let file = ctx
        .settings
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .keylog
        .as_ref()
        .map(|(_, f)| std::sync::Arc::clone(f));
    if let Some(file) = file {
        use std::io::Write;
        let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
        let mut buf = line.to_bytes().to_vec();
        buf.push(b'\n');
        // Like CPython, a failed write does not fail the handshake.
        let _ = f.write_all(&buf);
    }
}

/// CPython's `_PySSLPasswordInfo` for a string password.
struct PasswordInfo<'a> {
    password: Option<&'a [u8]>,
    error: Option<PyErr>,
}

/// CPython's `_password_callback`. Without a password pyssl never prompts
/// on a terminal (OpenSSL's default would): the key load fails instead.
unsafe extern "C" fn password_callback(
    buf: *mut c_char,
    size: c_int,
    _rwflag: c_int,
    userdata: *mut c_void,
) -> c_int {
    // SAFETY: userdata is the PasswordInfo installed by load_cert_chain,
    // alive for the duration of the load that calls us.
    let pw = unsafe { &mut *(userdata as *mut PasswordInfo) };
    if pw.error.is_some() {
        return -1;
    }
    let Some(password) = pw.password else {
        return -1;
    };
    if size < 0 || password.len() > size as usize {
        pw.error = Some(PyErr::value_error(format!(
            "password cannot be longer than {size} bytes"
        )));
        return -1;
    }
    // SAFETY: OpenSSL gives a buffer of `size` bytes; we copy at most that.
    unsafe { std::ptr::copy_nonoverlapping(password.as_ptr(), buf as *mut u8, password.len()) };
    password.len() as c_int
}

/// Server-side ALPN selection (`_selectALPN_cb`): the first of the server's
/// protocols the client offers; no overlap means no ALPN (NOACK).
unsafe extern "C" fn select_alpn(
    _ssl: *mut ffi::SSL,
    out: *mut *const c_uchar,
    outlen: *mut c_uchar,
    client: *const c_uchar,
    client_len: c_uint,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: arg is the Context that owns this SSL_CTX; the context lives
    // as long as the SSL_CTX and thus any handshake on it.
    let ctx = unsafe { &*(arg as *const Context) };
    // A reference to the current list: a setter may replace (and free) the
    // context's own while this handshake uses it.
    let server = Arc::clone(&ctx.settings.read().unwrap_or_else(|e| e.into_inner()).alpn);
    if client.is_null() || client_len == 0 {
        return ffi::SSL_TLSEXT_ERR_NOACK;
    }
    // SAFETY: OpenSSL passes the client's list, valid for the handshake.
    let client = unsafe { std::slice::from_raw_parts(client, client_len as usize) };
    let mut selected: *mut c_uchar = std::ptr::null_mut();
    let mut len: c_uchar = 0;
    // SAFETY: both lists are valid for their lengths; OpenSSL points
    // `selected` into one of them.
    let r = unsafe {
        ffi::SSL_select_next_proto(
            &mut selected,
            &mut len,
            server.as_ptr(),
            server.len() as c_uint,
            client.as_ptr(),
            client.len() as c_uint,
        )
    };
    if r != ffi::OPENSSL_NPN_NEGOTIATED {
        return ffi::SSL_TLSEXT_ERR_NOACK;
    }
    // SAFETY: OpenSSL's result lies within one of the two lists.
    let name = unsafe { std::slice::from_raw_parts(selected, len as usize) };
    // OpenSSL copies the answer only after we return, when `server` may be
    // gone: answer with the same protocol inside the client's list, which
    // OpenSSL owns for the whole handshake.
    let Some(at) = wire_find(client, name) else {
        return ffi::SSL_TLSEXT_ERR_NOACK;
    };
    // SAFETY: OpenSSL passes valid out slots.
    unsafe {
        *out = client[at..].as_ptr();
        *outlen = len;
    }
    ffi::SSL_TLSEXT_ERR_OK
}

/// The offset of protocol `name` within a wire-format list (after its
/// length byte), None when it is not there or the list is malformed.
fn wire_find(list: &[u8], name: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(&n) = list.get(i) {
        let item = list.get(i + 1..i + 1 + n as usize)?;
        if item == name {
            return Some(i + 1);
        }
        i += 1 + n as usize;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_find_walks_length_prefixed_names() {
        let list = b"\x02h2\x08http/1.1";
        assert_eq!(wire_find(list, b"h2"), Some(1));
        assert_eq!(wire_find(list, b"http/1.1"), Some(4));
        assert_eq!(wire_find(list, b"h3"), None);
        assert_eq!(wire_find(b"\x09h2", b"h2"), None, "truncated list");
    }

    /// Runs the selection callback on `ctx` for a client's list.
    fn select(ctx: &Arc<Context>, client: &[u8]) -> (c_int, *const c_uchar, c_uchar) {
        let mut out: *const c_uchar = std::ptr::null();
        let mut outlen: c_uchar = 0;
        // SAFETY: valid out slots and client list; arg is a live Context.
        let r = unsafe {
            select_alpn(
                std::ptr::null_mut(),
                &mut out,
                &mut outlen,
                client.as_ptr(),
                client.len() as c_uint,
                Arc::as_ptr(ctx) as *mut c_void,
            )
        };
        (r, out, outlen)
    }

    /// The selected protocol points into the client's list, which OpenSSL
    /// owns for the handshake, never into the context's list, which a
    /// setter on another thread may free before OpenSSL copies the answer.
    #[test]
    fn alpn_answer_points_into_the_clients_list() {
        let ctx = Context::new(PROTOCOL_TLS_SERVER, Compat::Py314).unwrap();
        ctx.set_alpn_protocols(b"\x08http/1.1\x02h2").unwrap();
        let client = b"\x02h2\x08http/1.1".to_vec();
        let (r, out, outlen) = select(&ctx, &client);
        assert_eq!(r, ffi::SSL_TLSEXT_ERR_OK);
        let range = client.as_ptr_range();
        assert!(
            range.contains(&out),
            "answer points outside the client's list"
        );
        // SAFETY: checked above to lie within `client`.
        let name = unsafe { std::slice::from_raw_parts(out, outlen as usize) };
        assert_eq!(name, b"http/1.1", "the server's preference wins");
        // No overlap: no ALPN.
        assert_eq!(select(&ctx, b"\x02h3").0, ffi::SSL_TLSEXT_ERR_NOACK);
    }
}
