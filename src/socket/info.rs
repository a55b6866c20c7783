//! What a connection reports: the peer's certificate and chains, version,
//! cipher, ALPN, channel binding and the other read-only accessors.

use super::*;

impl Socket {
    /// `SSLSocket.getpeercert(binary_form)`: None (`Ok(None)`), the DER as
    /// bytes, `{}` when the certificate was not verified, or the decoded dict.
    pub fn getpeercert(&self, binary_form: bool) -> PyResult<Option<Value>> {
        Ok(self.getpeercert_shared(binary_form)?.map(|f| f.to_value()))
    }

    /// [`Socket::getpeercert`] as a flat tree, without a copy: the decoded
    /// dict and the DER are the ones the socket keeps for its later calls.
    pub fn getpeercert_shared(&self, binary_form: bool) -> PyResult<Option<Arc<Flat>>> {
        let st = self.state();
        // SAFETY: valid SSL; the certificate reference we get is owned by
        // `cert` (released when it drops).
        let cert = unsafe {
            if ffi::SSL_is_init_finished(st.ssl) == 0 {
                return Err(PyErr::value_error("handshake not done yet"));
            }
            let raw = ffi::SSL_get1_peer_certificate(st.ssl);
            if raw.is_null() {
                return Ok(None);
            }
            crate::x509::certificate::Certificate::from_owned(raw, self.compat)
        };
        if !binary_form {
            // SAFETY: valid SSL and its context.
            let mode = unsafe { ffi::SSL_CTX_get_verify_mode(ffi::SSL_get_SSL_CTX(st.ssl)) };
            if mode & ffi::SSL_VERIFY_PEER == 0 {
                return Ok(Some(Flat::from_value(&Value::Dict(Vec::new())).into()));
            }
        }
        // The peer's certificate object only changes with a new handshake
        // (or post-handshake authentication): decode or encode each once.
        let mut cache = self.peer_cache.lock().unwrap_or_else(|e| e.into_inner());
        let entry = match cache.as_mut() {
            Some(c) if c.cert.as_ptr() == cert.as_ptr() => c,
            _ => cache.insert(PeerCache {
                cert,
                dict: None,
                der: None,
            }),
        };
        let slot = if binary_form {
            &mut entry.der
        } else {
            &mut entry.dict
        };
        if let Some(v) = slot {
            return Ok(Some(v.clone()));
        }
        let v = Arc::new(if binary_form {
            Flat::bytes(entry.cert.der()?)
        } else {
            entry.cert.info_flat()?
        });
        *slot = Some(v.clone());
        Ok(Some(v))
    }

    /// `SSLSocket.get_unverified_chain()` (3.13): the chain the peer sent;
    /// on the server side CPython puts the peer's certificate first (OpenSSL
    /// leaves it out there), None in its place when the client sent none
    /// (3.14: the whole answer is None then). None without a chain.
    pub fn unverified_chain(
        &self,
    ) -> PyResult<Option<Vec<Option<crate::x509::certificate::Certificate>>>> {
        let st = self.state();
        // SAFETY: valid SSL; the stack and certificates are borrowed from it
        // and each copied certificate takes its own reference.
        unsafe {
            let stack = crate::x509::certificate::from_stack(
                ffi::SSL_get_peer_cert_chain(st.ssl),
                self.compat,
            );
            if self.server_side && self.compat == Compat::Py314 {
                // 3.14.10: the client's certificate first whenever there is
                // one (also on resumption, where OpenSSL keeps no chain),
                // None when there is none.
                let peer = ffi::SSL_get1_peer_certificate(st.ssl);
                if peer.is_null() {
                    return Ok(None);
                }
                let peer = crate::x509::certificate::Certificate::from_owned(peer, self.compat);
                let rest = stack.unwrap_or_default().into_iter().map(Some);
                return Ok(Some(std::iter::once(Some(peer)).chain(rest).collect()));
            }
            let Some(chain) = stack else {
                return Ok(None);
            };
            let mut chain: Vec<_> = chain.into_iter().map(Some).collect();
            if self.server_side {
                let peer = ffi::SSL_get1_peer_certificate(st.ssl);
                let first = (!peer.is_null())
                    .then(|| crate::x509::certificate::Certificate::from_owned(peer, self.compat));
                chain.insert(0, first);
            }
            Ok(Some(chain))
        }
    }

    /// `SSLSocket.get_verified_chain()` (3.13): the chain OpenSSL built and
    /// verified, None without one.
    pub fn verified_chain(
        &self,
    ) -> PyResult<Option<Vec<Option<crate::x509::certificate::Certificate>>>> {
        let st = self.state();
        // SAFETY: valid SSL; as for unverified_chain.
        let chain = unsafe {
            crate::x509::certificate::from_stack(ffi::SSL_get0_verified_chain(st.ssl), self.compat)
        };
        Ok(chain.map(|c| c.into_iter().map(Some).collect()))
    }

    /// `SSLSocket.version()`: None before the handshake.
    pub fn version(&self) -> PyResult<Option<&'static CStr>> {
        let st = self.state();
        // SAFETY: valid SSL; SSL_get_version returns a static string.
        unsafe {
            if ffi::SSL_is_init_finished(st.ssl) == 0 {
                return Ok(None);
            }
            let v = ffi::SSL_get_version(st.ssl);
            if v.is_null() {
                return Ok(None);
            }
            let v = CStr::from_ptr(v);
            Ok((v.to_bytes() != b"unknown").then_some(v))
        }
    }

    /// Whether the handshake completed, even if a later failure ended the
    /// connection (then `version()` is None again, as in CPython, whose
    /// `version()` asks `SSL_is_init_finished`). Not an `_ssl` method: for
    /// hosts that must tell "failed after the handshake" from "failed in it".
    pub fn handshake_done(&self) -> bool {
        let st = self.state();
        // SAFETY: valid SSL; a borrowed one may have been handshaken by its
        // owner outside pyssl.
        st.handshake_done.load(Ordering::Relaxed)
            || unsafe { ffi::SSL_is_init_finished(st.ssl) } != 0
    }

    /// `SSLSocket.cipher()`: (name, protocol, secret bits), None without a
    /// current cipher.
    pub fn cipher(&self) -> PyResult<Option<(&'static CStr, &'static CStr, i32)>> {
        let st = self.state();
        // SAFETY: valid SSL; SSL_CIPHERs and their names are static tables.
        unsafe {
            let c = ffi::SSL_get_current_cipher(st.ssl);
            if c.is_null() {
                return Ok(None);
            }
            let name = CStr::from_ptr(ffi::SSL_CIPHER_get_name(c));
            let proto = CStr::from_ptr(ffi::SSL_CIPHER_get_version(c));
            let bits = ffi::SSL_CIPHER_get_bits(c, std::ptr::null_mut());
            Ok(Some((name, proto, bits)))
        }
    }

    /// `SSLSocket.selected_alpn_protocol()`.
    pub fn selected_alpn_protocol(&self) -> PyResult<Option<Vec<u8>>> {
        let st = self.state();
        let mut data: *const u8 = std::ptr::null();
        let mut len: c_uint = 0;
        // SAFETY: valid SSL; OpenSSL points data into the SSL's own buffer,
        // copied before returning.
        unsafe {
            ffi::SSL_get0_alpn_selected(st.ssl, &mut data, &mut len);
            if data.is_null() || len == 0 {
                return Ok(None);
            }
            Ok(Some(
                std::slice::from_raw_parts(data, len as usize).to_vec(),
            ))
        }
    }

    /// `SSLSocket.compression()`: the compression method's short name, None
    /// without compression (always, unless `OP_NO_COMPRESSION` is cleared
    /// and OpenSSL supports it).
    pub fn compression(&self) -> PyResult<Option<&'static CStr>> {
        let st = self.state();
        // SAFETY: valid SSL; OBJ_nid2sn returns a static string.
        unsafe {
            let comp = ffi::SSL_get_current_compression(st.ssl);
            if comp.is_null() {
                return Ok(None);
            }
            let nid = ffi::COMP_get_type(comp);
            if nid == ffi::NID_undef {
                return Ok(None);
            }
            let name = ffi::OBJ_nid2sn(nid);
            Ok((!name.is_null()).then(|| CStr::from_ptr(name)))
        }
    }

    /// `SSLSocket.get_channel_binding(cb_type)`: only "tls-unique"; None
    /// when there is no Finished message yet.
    pub fn channel_binding(&self, cb_type: &str) -> PyResult<Option<Vec<u8>>> {
        if cb_type != "tls-unique" {
            return Err(PyErr::value_error(format!(
                "'{cb_type}' channel binding type not implemented"
            )));
        }
        let st = self.state();
        let mut buf = [0u8; 128];
        // SAFETY: valid SSL; OpenSSL writes at most buf.len() bytes.
        let len = unsafe {
            if (ffi::SSL_session_reused(st.ssl) != 0) ^ !self.server_side {
                // resumed XOR client: our own Finished
                ffi::SSL_get_finished(st.ssl, buf.as_mut_ptr().cast(), buf.len())
            } else {
                ffi::SSL_get_peer_finished(st.ssl, buf.as_mut_ptr().cast(), buf.len())
            }
        };
        if len == 0 {
            return Ok(None);
        }
        Ok(Some(buf[..len.min(buf.len())].to_vec()))
    }

    /// `SSLSocket.verify_client_post_handshake()` (TLS 1.3 servers).
    pub fn verify_client_post_handshake(&self) -> PyResult<()> {
        let st = self.state();
        clear_openssl_errors();
        // SAFETY: valid SSL.
        if unsafe { ossl::SSL_verify_client_post_handshake(st.ssl) } == 0 {
            return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
        }
        Ok(())
    }

    /// `SSLSocket.shared_ciphers()`. 3.11: every cipher the socket offers
    /// (`SSL_get_ciphers`). 3.13 and later: the server's ciphers that the
    /// client offered, in the server's order, None without both lists (so
    /// on the client side and before the handshake).
    pub fn shared_ciphers(&self) -> PyResult<Option<Vec<crate::cipher::CipherInfo>>> {
        let st = self.state();
        // SAFETY: valid SSL; both stacks belong to it and are only read here
        // (concurrent calls on one socket are the host's, as in CPython);
        // ciphers are static objects.
        unsafe {
            let server = ossl::SSL_get_ciphers(st.ssl);
            if self.compat == Compat::Py311 {
                return Ok(crate::cipher::cipher_list(server));
            }
            let client = ossl::SSL_get_client_ciphers(st.ssl);
            if server.is_null() || client.is_null() {
                return Ok(None);
            }
            let all = crate::cipher::cipher_list(server).unwrap_or_default();
            let n = ffi::OPENSSL_sk_num(server as *const ffi::OPENSSL_STACK);
            let shared = (0..n)
                .zip(all)
                .filter(|(i, _)| {
                    let c = ffi::OPENSSL_sk_value(server as *const ffi::OPENSSL_STACK, *i);
                    ossl::OPENSSL_sk_find(client as *mut ffi::OPENSSL_STACK, c) >= 0
                })
                .map(|(_, info)| info)
                .collect();
            Ok(Some(shared))
        }
    }

    /// `SSLSocket.pending()`.
    pub fn pending(&self) -> PyResult<usize> {
        let st = self.state();
        // SAFETY: valid SSL.
        let n = unsafe { ffi::SSL_pending(st.ssl) };
        if n < 0 {
            return Err(self.fail(st, st.err(), n, here!()));
        }
        Ok(n as usize)
    }

    /// The verification mode the socket was created with.
    pub fn verify_mode(&self) -> PyResult<i32> {
        let st = self.state();
        // SAFETY: valid SSL.
        let m = unsafe { ffi::SSL_get_verify_mode(st.ssl) };
        Ok(match m {
            ffi::SSL_VERIFY_NONE => CERT_NONE,
            ffi::SSL_VERIFY_PEER => CERT_OPTIONAL,
            _ => CERT_REQUIRED,
        })
    }
}
