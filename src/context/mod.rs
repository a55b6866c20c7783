//! `SSLContext`: CPython's `_ssl._SSLContext` over an OpenSSL `SSL_CTX`.
//!
//! A context may be shared by many threads and outlives every socket made
//! from it (sockets hold an `Arc`). Setters take a write lock, socket
//! creation a read lock, so reconfiguring while other threads create sockets
//! is safe; each socket copies the settings it needs when it is created.
//!
//! Here: creation, CPython's defaults and the plain settings. Beside it:
//! `trust` (CA loading, `get_ca_certs`), `identity` (`load_cert_chain` and
//! passwords), `alpn`, `keylog`, and `callbacks` (SNI and PSK into the host).

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_uchar, c_uint, c_void};
use std::sync::{Arc, RwLock};

use openssl_sys as ffi;

use crate::cipher::{cipher_list, CipherInfo};
use crate::compat::Compat;
use crate::error::{clear_openssl_errors, set_ssl_error, PyErr, PyResult, Status};
use crate::here;
use crate::hooks;
use crate::ossl;
use crate::value::Value;

mod alpn;
pub mod callbacks;
mod identity;
mod keylog;
mod trust;

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
    keylog: Option<(
        std::path::PathBuf,
        std::sync::Arc<std::sync::Mutex<std::fs::File>>,
    )>,
}

/// An `SSLContext`.
pub struct Context {
    ctx: *mut ffi::SSL_CTX,
    protocol: i32,
    compat: Compat,
    settings: RwLock<Settings>,
    /// Set once an SNI callback was installed (never cleared): only then
    /// do its sockets need their host tag in the SSL (see
    /// `Socket::bind_host_tag`).
    sni_ever: std::sync::atomic::AtomicBool,
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
            sni_ever: std::sync::atomic::AtomicBool::new(false),
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
        options |= crate::ssl_error::context_options(self.compat);
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
                Some(alpn::select_alpn),
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

    /// `SSLContext.load_dh_params(path)`.
    pub fn load_dh_params(&self, path: &std::path::Path) -> PyResult<()> {
        use std::os::unix::ffi::OsStrExt;
        let cpath = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| PyErr::value_error("embedded null byte"))?;
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
                    self.compat,
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
                    return Err(PyErr::os_error_with_filename(errno, path, self.compat));
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

    /// `SSLContext.set_ecdh_curve(name)`: `name` as the bytes a Python
    /// program's name becomes (a str when it is UTF-8, else bytes, in the
    /// message for an unknown one).
    pub fn set_ecdh_curve(&self, name: &[u8]) -> PyResult<()> {
        let cname =
            std::ffi::CString::new(name).map_err(|_| PyErr::value_error("embedded null byte"))?;
        let _s = self.write();
        clear_openssl_errors();
        // SAFETY: NUL-terminated name; the key is freed after use; the
        // group list is one nid read during the call.
        unsafe {
            let mut nid = ffi::OBJ_sn2nid(cname.as_ptr());
            if nid == 0 {
                return Err(PyErr::value_error(format!(
                    "unknown elliptic curve name {}",
                    crate::value::Value::from_name(name).repr_in(self.compat)
                )));
            }
            if self.compat.since_313() {
                // 3.13+ on OpenSSL 3: the name becomes the only group
                // (X25519 and the FFDHE groups too; curves TLS has no group
                // for fail with an empty error queue).
                const SSL_CTRL_SET_GROUPS: c_int = 91;
                let groups = std::ptr::addr_of_mut!(nid).cast::<c_void>();
                if ffi::SSL_CTX_ctrl(self.ctx, SSL_CTRL_SET_GROUPS, 1, groups) == 0 {
                    return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
                }
                return Ok(());
            }
            // 3.11 keeps the OpenSSL 1.1 way: an EC key for the curve.
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
}
