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
