//! The context's own certificate chain and private key
//! (`load_cert_chain`), with CPython's password handling.

use super::*;

impl Context {
    /// `SSLContext.load_cert_chain(certfile, keyfile, password)`.
    pub fn load_cert_chain(
        &self,
        certfile: &CStr,
        keyfile: Option<&CStr>,
        password: Option<&[u8]>,
    ) -> PyResult<()> {
        self.with_password(password, |pw| {
            // SAFETY: called with the password callback installed, the
            // write lock held and the host's lock released.
            unsafe { self.load_cert_chain_inner(certfile, keyfile, pw) }
        })
    }

    /// `load_cert_chain` from bytes instead of files: the chain (the leaf,
    /// then its intermediates) and the key as PEM or DER; `key` None reads
    /// the key from `cert` (DER: the certificates, then the key). Each is
    /// DER when it starts with an ASN.1 SEQUENCE that parses as DER, PEM
    /// otherwise (so garbage fails as a file of it does, "PEM lib"). Keys:
    /// PKCS#1, PKCS#8, encrypted PKCS#8 and (PEM) traditional encrypted
    /// keys. The PEM path is OpenSSL's own file loading over a memory BIO,
    /// so every error is the one `load_cert_chain` raises for a file with
    /// the same content.
    pub fn load_cert_chain_data(
        &self,
        cert: &[u8],
        key: Option<&[u8]>,
        password: Option<&[u8]>,
    ) -> PyResult<()> {
        for (data, what) in [(Some(cert), "certificate"), (key, "key")] {
            if data.is_some_and(|d| d.len() > i32::MAX as usize) {
                return Err(PyErr::value_error(format!(
                    "{what} data cannot be longer than {} bytes",
                    i32::MAX
                )));
            }
        }
        self.with_password(password, |pw| {
            // SAFETY: as in load_cert_chain.
            unsafe { self.load_cert_chain_data_inner(cert, key, pw) }
        })
    }

    /// Runs a load with CPython's password callback installed for it.
    fn with_password(
        &self,
        password: Option<&[u8]>,
        load: impl FnOnce(&mut PasswordInfo) -> PyResult<()>,
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
            // value that outlives the load) are installed only for this
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
                let result = load(&mut pw);
                ossl::SSL_CTX_set_default_passwd_cb(self.ctx, orig_cb);
                ossl::SSL_CTX_set_default_passwd_cb_userdata(self.ctx, orig_ud);
                result
            }
        })
    }

    /// The error of a failed load, as `load_cert_chain` reports it.
    fn load_failure(&self, pw: &mut PasswordInfo) -> PyErr {
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
    }

    /// # Safety
    /// As [`Context::load_cert_chain_inner`].
    unsafe fn load_cert_chain_data_inner(
        &self,
        cert: &[u8],
        key: Option<&[u8]>,
        pw: &mut PasswordInfo,
    ) -> PyResult<()> {
        let ctx = self.ctx;
        // SAFETY: valid SSL_CTX with the password callback installed.
        let rest = match unsafe { der::use_chain(ctx, cert) } {
            Der::Done(rest) => rest,
            Der::Failed => return Err(self.load_failure(pw)),
            // SAFETY: as above.
            Der::TryPem if unsafe { pem::use_chain(ctx, cert) } => cert,
            Der::TryPem => return Err(self.load_failure(pw)),
        };
        let key = key.unwrap_or(rest);
        // SAFETY: as above.
        let ok = match unsafe { der::use_key(ctx, key) } {
            Der::Done(_) => true,
            Der::Failed => false,
            // SAFETY: as above.
            Der::TryPem => unsafe { pem::use_key(ctx, key) },
        };
        if !ok {
            return Err(self.load_failure(pw));
        }
        // SAFETY: valid SSL_CTX.
        if unsafe { ffi::SSL_CTX_check_private_key(ctx) } != 1 {
            return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
        }
        Ok(())
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
        // SAFETY: valid SSL_CTX, NUL-terminated path.
        let r = unsafe { ffi::SSL_CTX_use_certificate_chain_file(self.ctx, certfile.as_ptr()) };
        if r != 1 {
            return Err(self.load_failure(pw));
        }
        let key = keyfile.unwrap_or(certfile);
        // SAFETY: as above.
        let r = unsafe {
            ffi::SSL_CTX_use_PrivateKey_file(self.ctx, key.as_ptr(), ffi::SSL_FILETYPE_PEM)
        };
        if r != 1 {
            return Err(self.load_failure(pw));
        }
        // SAFETY: valid SSL_CTX.
        if unsafe { ffi::SSL_CTX_check_private_key(self.ctx) } != 1 {
            return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
        }
        Ok(())
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

/// What a DER load did: not DER (try PEM), done (with the bytes after the
/// certificates), or DER that OpenSSL refused (its error queue says why).
enum Der<'a> {
    TryPem,
    Done(&'a [u8]),
    Failed,
}

/// `ERR_raise(lib, reason)`, as OpenSSL's own loaders report a failure.
fn err_raise(lib: c_int, reason: c_int) {
    // SAFETY: appends an error record to this thread's queue; the strings
    // are static and NUL-terminated.
    unsafe {
        ffi::ERR_new();
        ffi::ERR_set_debug(c"identity.rs".as_ptr(), line!() as c_int, c"".as_ptr());
        ffi::ERR_set_error(lib, reason, std::ptr::null());
    }
}

/// `ERR_R_PEM_LIB`: "PEM lib", what a PEM file that does not load gives.
const ERR_R_PEM_LIB: c_int = ossl::ERR_LIB_PEM | (2 << 18);
const SSL_CTRL_CHAIN: c_int = 88;

/// The default password callback of `ctx` and its userdata.
///
/// # Safety
/// `ctx` must be a valid `SSL_CTX*`.
unsafe fn passwd_cb(ctx: *mut ffi::SSL_CTX) -> (Option<ossl::pem_password_cb>, *mut c_void) {
    // SAFETY: valid SSL_CTX.
    unsafe {
        (
            ossl::SSL_CTX_get_default_passwd_cb(ctx),
            ossl::SSL_CTX_get_default_passwd_cb_userdata(ctx),
        )
    }
}

/// Uses `x` (owned, freed here) as the leaf of `ctx` and drops the old
/// chain; false on failure.
///
/// # Safety
/// `ctx` valid; `x` a valid `X509*` the caller gives up.
unsafe fn use_leaf(ctx: *mut ffi::SSL_CTX, x: *mut ffi::X509) -> bool {
    // SAFETY: valid objects; SSL_CTX_use_certificate takes its own reference.
    unsafe {
        let mut ok = ffi::SSL_CTX_use_certificate(ctx, x) == 1;
        ffi::X509_free(x);
        if ossl::ERR_peek_error() != 0 {
            ok = false;
        }
        ok && ffi::SSL_CTX_ctrl(ctx, SSL_CTRL_CHAIN, 0, std::ptr::null_mut()) != 0
    }
}

/// Adds `ca` (owned) to the chain of `ctx`; false (and `ca` freed) on failure.
///
/// # Safety
/// `ctx` valid; `ca` a valid `X509*` the caller gives up.
unsafe fn add_chain(ctx: *mut ffi::SSL_CTX, ca: *mut ffi::X509) -> bool {
    // SAFETY: SSL_CTX_add0_chain_cert takes `ca` on success only.
    unsafe {
        if ffi::SSL_CTX_ctrl(ctx, ffi::SSL_CTRL_CHAIN_CERT, 0, ca.cast()) == 0 {
            ffi::X509_free(ca);
            return false;
        }
    }
    true
}

/// A read-only memory BIO over `data` (at most `i32::MAX` bytes,
/// checked by the caller), freed on drop.
struct MemBio(*mut ffi::BIO);

impl MemBio {
    fn new(data: &[u8]) -> Option<MemBio> {
        // SAFETY: the BIO reads `data`, which outlives it (MemBio is
        // dropped before the load returns).
        let b = unsafe { ffi::BIO_new_mem_buf(data.as_ptr().cast(), data.len() as c_int) };
        (!b.is_null()).then_some(MemBio(b))
    }
}

impl Drop for MemBio {
    fn drop(&mut self) {
        // SAFETY: our own BIO.
        unsafe { ossl::BIO_free(self.0) };
    }
}

/// Gives `pkey` (owned, freed here) to `ctx` as its key; false on failure.
///
/// # Safety
/// `ctx` valid; `pkey` a valid `EVP_PKEY*` the caller gives up.
unsafe fn use_pkey(ctx: *mut ffi::SSL_CTX, pkey: *mut ffi::EVP_PKEY) -> bool {
    // SAFETY: valid objects; SSL_CTX_use_PrivateKey takes its own reference.
    unsafe {
        let ok = ffi::SSL_CTX_use_PrivateKey(ctx, pkey) == 1;
        ffi::EVP_PKEY_free(pkey);
        ok
    }
}

/// The PEM loads: OpenSSL's `use_certificate_chain_file` and
/// `SSL_CTX_use_PrivateKey_file(SSL_FILETYPE_PEM)` over a memory BIO.
mod pem {
    use super::*;

    /// `use_certificate_chain_file` from bytes.
    ///
    /// # Safety
    /// `ctx` must be a valid `SSL_CTX*`.
    pub(super) unsafe fn use_chain(ctx: *mut ffi::SSL_CTX, data: &[u8]) -> bool {
        crate::error::clear_error_queue();
        let Some(bio) = MemBio::new(data) else {
            return false;
        };
        // SAFETY: valid ctx and BIO; the callback is the context's.
        unsafe {
            let (cb, ud) = passwd_cb(ctx);
            let x = ossl::PEM_read_bio_X509_AUX(bio.0, std::ptr::null_mut(), cb, ud);
            if x.is_null() {
                err_raise(ossl::ERR_LIB_SSL, ERR_R_PEM_LIB);
                return false;
            }
            if !use_leaf(ctx, x) {
                return false;
            }
            loop {
                let ca = ffi::PEM_read_bio_X509(bio.0, std::ptr::null_mut(), cb, ud);
                if ca.is_null() {
                    break;
                }
                if !add_chain(ctx, ca) {
                    return false;
                }
            }
        }
        // The chain ends at the first non-certificate: fine when that is
        // the end of the data (or a key), as for a file.
        let e = crate::error::peek_last_error();
        if crate::error::err_get_lib(e) == ossl::ERR_LIB_PEM
            && crate::error::err_get_reason(e) == ossl::PEM_R_NO_START_LINE
        {
            crate::error::clear_error_queue();
            true
        } else {
            false
        }
    }

    /// `SSL_CTX_use_PrivateKey_file(SSL_FILETYPE_PEM)` from bytes.
    ///
    /// # Safety
    /// `ctx` must be a valid `SSL_CTX*`.
    pub(super) unsafe fn use_key(ctx: *mut ffi::SSL_CTX, data: &[u8]) -> bool {
        let Some(bio) = MemBio::new(data) else {
            return false;
        };
        // SAFETY: valid ctx and BIO; the callback is the context's.
        unsafe {
            let (cb, ud) = passwd_cb(ctx);
            let pkey = ffi::PEM_read_bio_PrivateKey(bio.0, std::ptr::null_mut(), cb, ud);
            if pkey.is_null() {
                err_raise(ossl::ERR_LIB_SSL, ERR_R_PEM_LIB);
                return false;
            }
            use_pkey(ctx, pkey)
        }
    }
}

/// The DER loads: concatenated certificates, and a key in any DER form.
mod der {
    use super::*;

    const ASN1_SEQUENCE: u8 = 0x30;

    /// One DER certificate at the start of `data` and the bytes after it.
    fn parse_cert(data: &[u8]) -> Option<(*mut ffi::X509, &[u8])> {
        if data.first() != Some(&ASN1_SEQUENCE) {
            return None;
        }
        let mut p = data.as_ptr();
        // SAFETY: d2i_X509 reads at most `len` bytes from `p` and advances it.
        let x = unsafe { ffi::d2i_X509(std::ptr::null_mut(), &mut p, data.len() as _) };
        if x.is_null() {
            crate::error::clear_error_queue();
            return None;
        }
        let used = p as usize - data.as_ptr() as usize;
        Some((x, &data[used..]))
    }

    /// The chain from DER certificates; `Done` has the bytes after the last
    /// certificate (the key, when it is in the same data).
    ///
    /// # Safety
    /// `ctx` must be a valid `SSL_CTX*`.
    pub(super) unsafe fn use_chain<'a>(ctx: *mut ffi::SSL_CTX, data: &'a [u8]) -> Der<'a> {
        let Some((x, mut rest)) = parse_cert(data) else {
            return Der::TryPem;
        };
        crate::error::clear_error_queue();
        // SAFETY: valid ctx; x is ours to give.
        if !unsafe { use_leaf(ctx, x) } {
            return Der::Failed;
        }
        while let Some((ca, after)) = parse_cert(rest) {
            // SAFETY: as above.
            if !unsafe { add_chain(ctx, ca) } {
                return Der::Failed;
            }
            rest = after;
        }
        Der::Done(rest)
    }

    /// A DER key: PKCS#1 or another traditional form, PKCS#8, or encrypted
    /// PKCS#8 (with the context's password callback).
    ///
    /// # Safety
    /// `ctx` must be a valid `SSL_CTX*`.
    pub(super) unsafe fn use_key(ctx: *mut ffi::SSL_CTX, data: &[u8]) -> Der<'static> {
        if data.first() != Some(&ASN1_SEQUENCE) {
            return Der::TryPem;
        }
        // SAFETY: d2i reads at most `len` bytes; the BIO reads `data`,
        // which outlives it; the callback is the context's.
        let pkey = unsafe {
            let mut p = data.as_ptr();
            let mut pkey = ffi::d2i_AutoPrivateKey(std::ptr::null_mut(), &mut p, data.len() as _);
            if pkey.is_null() {
                if let Some(bio) = MemBio::new(data) {
                    let (cb, ud) = passwd_cb(ctx);
                    pkey = ffi::d2i_PKCS8PrivateKey_bio(bio.0, std::ptr::null_mut(), cb, ud);
                }
            }
            pkey
        };
        if pkey.is_null() {
            // Not a DER key: the PEM load reports it as for a file.
            crate::error::clear_error_queue();
            return Der::TryPem;
        }
        // SAFETY: valid ctx and key, which is ours to give.
        if unsafe { use_pkey(ctx, pkey) } {
            Der::Done(&[])
        } else {
            Der::Failed
        }
    }
}
