//! The trust store: CA certificates loaded from files, directories and
//! data, and what CPython reports of them.

use super::*;

impl Context {
    /// `SSLContext.get_ca_certs(binary_form)`: the CA certificates of the
    /// trust store (not those in a capath directory until they were used),
    /// as dicts or DER bytes.
    pub fn get_ca_certs(&self, binary_form: bool) -> PyResult<Value> {
        Ok(self.get_ca_certs_flat(binary_form)?.to_value())
    }

    /// [`Context::get_ca_certs`] as a flat tree.
    pub fn get_ca_certs_flat(&self, binary_form: bool) -> PyResult<crate::value::flat::Flat> {
        let _s = self.read();
        let mut b = crate::value::flat::Builder::default();
        let list = b.mark();
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
                if binary_form {
                    b.value(&crate::x509::decode::certificate_to_der(cert, self.compat)?);
                } else {
                    crate::x509::decode::decode_certificate_into(&mut b, cert, self.compat)?;
                }
            }
        }
        b.list(list);
        Ok(b.finish())
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
}
