//! TLS sessions on a socket: `SSLSocket.session` and resumption.

use super::*;

impl Socket {
    /// `SSLSocket.session`: None before a session exists.
    pub fn session(&self) -> PyResult<Option<crate::session::Session>> {
        let st = self.state();
        let raw = if self.compat.since_313() {
            // SAFETY: valid SSL; SSL_get1_session gives us a reference.
            unsafe { ossl::SSL_get1_session(st.ssl) }
        } else {
            // 3.11 hands out a copy through the DER encoding (its
            // workaround for an OpenSSL 1.1.0 bug), which fails mid-handshake
            // and for sessions above 0xFF00 bytes.
            // SAFETY: valid SSL; the session is borrowed for the copy.
            let cur = unsafe { ffi::SSL_get_session(st.ssl) };
            if cur.is_null() {
                return Ok(None);
            }
            // SAFETY: valid session, borrowed from the SSL meanwhile.
            unsafe { crate::session::duplicate(cur) }?
        };
        if raw.is_null() {
            return Ok(None);
        }
        Ok(Some(crate::session::Session {
            raw,
            ctx: self.context(),
        }))
    }

    /// `SSLSocket.session = session` (CPython's `PySSL_set_session`).
    pub fn set_session(&self, session: &crate::session::Session) -> PyResult<()> {
        let st = self.state();
        let same_ctx = match (&self.context(), &session.ctx) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        if !same_ctx {
            return Err(PyErr::value_error(
                "Session refers to a different SSLContext.",
            ));
        }
        if self.server_side {
            return Err(PyErr::value_error(
                "Cannot set session for server-side SSLSocket.",
            ));
        }
        // SAFETY: valid SSL and session; SSL_set_session takes its own
        // reference to the duplicate, which we release.
        unsafe {
            if ffi::SSL_is_init_finished(st.ssl) != 0 {
                return Err(PyErr::value_error("Cannot set session after handshake."));
            }
            // CPython 3.13.1+ sets the session itself (sockets it frees keep
            // their sessions resumable, see State's Drop). 3.11 resumes a
            // serialized copy: a session stays usable after its socket was
            // freed without a shutdown, and the resumed connection has no
            // peer chain (the encoding does not carry it).
            let r = if self.compat.since_313() {
                ffi::SSL_set_session(st.ssl, session.raw)
            } else {
                let dup = crate::session::duplicate(session.raw)?;
                let r = ffi::SSL_set_session(st.ssl, dup);
                ffi::SSL_SESSION_free(dup);
                r
            };
            if r == 0 {
                return Err(set_ssl_error(self.compat, None, Status::Ssl, here!()));
            }
        }
        Ok(())
    }

    /// `SSLSocket.session_reused`.
    pub fn session_reused(&self) -> PyResult<bool> {
        let st = self.state();
        // SAFETY: valid SSL.
        Ok(unsafe { ffi::SSL_session_reused(st.ssl) } != 0)
    }
}
