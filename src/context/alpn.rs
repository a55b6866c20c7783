//! ALPN: the protocols a context offers and the server's selection
//! (`_selectALPN_cb`).

use super::*;

impl Context {
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
}

/// Server-side ALPN selection (`_selectALPN_cb`): the first of the server's
/// protocols the client offers; no overlap means no ALPN (NOACK).
pub(super) unsafe extern "C" fn select_alpn(
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
