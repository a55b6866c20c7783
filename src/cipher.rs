//! A cipher as CPython reports it (`cipher_to_tuple`, `cipher_to_dict`).

use std::ffi::CStr;
use std::os::raw::{c_char, c_int};

use openssl_sys as ffi;

use crate::ossl;

use crate::value::Value;

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
