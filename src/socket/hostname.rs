//! `server_hostname`: SNI and the name to verify (`_ssl_configure_hostname`).

use super::*;

/// `_ssl` takes `server_hostname` as ASCII (ssl.py IDNA-encodes it first):
/// other text fails with the `UnicodeEncodeError` CPython raises.
pub(super) fn ascii_hostname(h: &CStr) -> PyResult<String> {
    let s = h
        .to_str()
        .map_err(|_| PyErr::value_error("server_hostname is not valid UTF-8"))?;
    if let Some((pos, ch)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
        let code = ch as u32;
        let esc = if code < 0x100 {
            format!("\\x{code:02x}")
        } else if code < 0x10000 {
            format!("\\u{code:04x}")
        } else {
            format!("\\U{code:08x}")
        };
        return Err(PyErr::new(
            Status::Value,
            "UnicodeEncodeError",
            format!("'ascii' codec can't encode character '{esc}' in position {pos}: ordinal not in range(128)"),
        ));
    }
    Ok(s.to_owned())
}

/// `_ssl_configure_hostname`: SNI for names (not IP addresses), and the
/// host or IP to verify when `check_hostname` is on. `c` is `hostname` as
/// a C string.
///
/// # Safety
/// `ssl` must be a valid `SSL*`.
pub(super) unsafe fn configure_hostname(
    compat: Compat,
    ssl: *mut ffi::SSL,
    hostname: &str,
    c: &CStr,
    check_hostname: bool,
) -> PyResult<()> {
    if hostname.is_empty() || hostname.starts_with('.') {
        return Err(PyErr::value_error(
            "server_hostname cannot be an empty string or start with a leading dot.",
        ));
    }
    let ip = if may_be_ip_address(hostname) {
        // SAFETY: NUL-terminated string; the result is freed below.
        let ip = unsafe { ossl::a2i_IPADDRESS(c.as_ptr()) };
        if ip.is_null() {
            crate::error::clear_error_queue();
        }
        ip
    } else {
        std::ptr::null_mut()
    };
    let result = (|| {
        // SAFETY: valid SSL and NUL-terminated hostname; `ip` is a valid
        // ASN1_OCTET_STRING when non-null.
        unsafe {
            if ip.is_null() && ffi::SSL_set_tlsext_host_name(ssl, c.as_ptr() as *mut _) == 0 {
                return Err(set_ssl_error(compat, None, Status::Ssl, here!()));
            }
            if check_hostname {
                let param = ffi::SSL_get0_param(ssl);
                let ok = if ip.is_null() {
                    ffi::X509_VERIFY_PARAM_set1_host(param, c.as_ptr(), hostname.len())
                } else {
                    let data = ffi::ASN1_STRING_get0_data(ip as *const ffi::ASN1_STRING);
                    let len = ffi::ASN1_STRING_length(ip as *const ffi::ASN1_STRING);
                    ffi::X509_VERIFY_PARAM_set1_ip(param, data, len as usize)
                };
                if ok == 0 {
                    return Err(set_ssl_error(compat, None, Status::Ssl, here!()));
                }
            }
        }
        Ok(())
    })();
    if !ip.is_null() {
        // SAFETY: allocated by a2i_IPADDRESS above.
        unsafe { ffi::ASN1_OCTET_STRING_free(ip) };
    }
    result
}

/// False for names `a2i_IPADDRESS` certainly rejects, so that a host name
/// skips it (and the error it queues): without a `:` it is IPv6-free and
/// OpenSSL parses it with `sscanf("%d.%d.%d.%d")`, whose first `%d` needs
/// white space, a sign or a digit first.
fn may_be_ip_address(name: &str) -> bool {
    name.contains(':')
        || name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b"+- \t\n\x0b\x0c\r".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_skip_the_ip_parser_are_not_ip_addresses() {
        for name in [
            "localhost",
            "example.org",
            "a1.2.3.4",
            "x",
            "1.2.3.4",
            " 1.2.3.4",
            "+1.2.3.4",
            "\t1.2.3.4",
            "::1",
            "fe80::1",
            "1.2.3",
            "256.1.1.1",
            "1.2.3.4x",
            "-1.2.3.4",
            "0x1.2.3.4",
        ] {
            let c = std::ffi::CString::new(name).unwrap();
            // SAFETY: NUL-terminated string; the result is freed.
            let ip = unsafe { ossl::a2i_IPADDRESS(c.as_ptr()) };
            if !ip.is_null() {
                // SAFETY: allocated by a2i_IPADDRESS above.
                unsafe { ffi::ASN1_OCTET_STRING_free(ip) };
                assert!(may_be_ip_address(name), "{name:?} is an IP address");
            }
            crate::error::clear_error_queue();
        }
        assert!(!may_be_ip_address("localhost"));
        assert!(may_be_ip_address("127.0.0.1"));
    }
}
