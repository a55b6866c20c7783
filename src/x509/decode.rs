//! Certificate decoding: CPython's `_decode_certificate` and its helpers,
//! rule for rule, on the same OpenSSL calls, so that the dict a C caller
//! gets is the one `SSLSocket.getpeercert()` returns.
//!
//! The dict has, in this order: `subject` and `issuer` (tuples of RDN
//! tuples of `(name, value)` pairs), `version`, `serialNumber`,
//! `notBefore`, `notAfter`, and, when present, `subjectAltName`, `OCSP`,
//! `caIssuers` and `crlDistributionPoints`.
//!
//! Text is decoded from UTF-8 strictly, as `PyUnicode_FromStringAndSize`
//! does, so bad bytes raise the same `UnicodeDecodeError`. OpenSSL failures
//! raise `SSLError` built from the error queue, as `_setSSLError` does.
//! Unlike CPython, pyssl leaves the calling thread's OpenSSL error queue
//! empty when a decode returns (CPython can leave errors from malformed
//! extensions behind, which may confuse later `SSL_get_error` calls).

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

use openssl_sys as ossl;
use openssl_sys::{ASN1_OBJECT, ASN1_STRING, BIO, GENERAL_NAME, OPENSSL_STACK, X509, X509_NAME};

use crate::compat::Compat;
use crate::error::{as_utf8, decode_utf8};
use crate::error::{clear_openssl_errors, set_ssl_error, PyErr, PyResult, Status};
use crate::value::flat::{Builder, Flat};
use crate::value::Value;

use super::fast::{self, GeneralName};

/// OpenSSL functions and macros `openssl-sys` does not declare (kept out
/// of pyssl's C header).
///
/// cbindgen:ignore
mod ffi {
    use std::os::raw::{c_char, c_int};

    use openssl_sys::{
        stack_st_ACCESS_DESCRIPTION, stack_st_DIST_POINT, stack_st_GENERAL_NAME, ASN1_INTEGER,
        ASN1_OBJECT, BIO, GENERAL_NAME, X509_NAME_ENTRY,
    };

    extern "C" {
        pub fn X509_NAME_ENTRY_set(ne: *const X509_NAME_ENTRY) -> c_int;
        pub fn GENERAL_NAME_print(out: *mut BIO, gen: *mut GENERAL_NAME) -> c_int;
        pub fn GENERAL_NAMES_free(names: *mut stack_st_GENERAL_NAME);
        pub fn i2t_ASN1_OBJECT(buf: *mut c_char, buf_len: c_int, a: *const ASN1_OBJECT) -> c_int;
        pub fn i2a_ASN1_INTEGER(bp: *mut BIO, a: *const ASN1_INTEGER) -> c_int;
        pub fn BIO_gets(bp: *mut BIO, buf: *mut c_char, size: c_int) -> c_int;
        pub fn AUTHORITY_INFO_ACCESS_free(aia: *mut stack_st_ACCESS_DESCRIPTION);
        pub fn CRL_DIST_POINTS_free(dps: *mut stack_st_DIST_POINT);
    }

    /// `BIO_CTRL_RESET`, for the `BIO_reset` macro.
    pub const BIO_CTRL_RESET: c_int = 1;
    /// `BIO_C_SET_FILENAME`, for the `BIO_read_filename` macro.
    pub const BIO_C_SET_FILENAME: c_int = 108;
    /// `BIO_CLOSE | BIO_FP_READ`.
    pub const BIO_CLOSE_FP_READ: std::os::raw::c_long = 0x01 | 0x02;
}

/// `X509_NAME_MAXLEN`: `_asn1obj2py`'s first buffer.
const X509_NAME_MAXLEN: usize = 256;
/// The `char buf[2048]` CPython reads printed text into; `BIO_gets` and
/// `i2t_ASN1_OBJECT` are given one byte less.
const PRINT_BUF: usize = 2048;

/// An owned BIO, freed on drop.
struct Bio(*mut BIO);

impl Bio {
    /// `BIO_new(BIO_s_mem())`.
    fn mem() -> Option<Bio> {
        // SAFETY: BIO_s_mem returns a static method table; BIO_new returns
        // an owned BIO or NULL.
        let b = unsafe { ossl::BIO_new(ossl::BIO_s_mem()) };
        (!b.is_null()).then_some(Bio(b))
    }

    /// `(void) BIO_reset(bio)`.
    fn reset(&self) {
        // SAFETY: self.0 is a live BIO; BIO_CTRL_RESET takes no pointer.
        unsafe { ossl::BIO_ctrl(self.0, ffi::BIO_CTRL_RESET, 0, ptr::null_mut()) };
    }

    /// `len = BIO_gets(bio, buf, sizeof(buf)-1)` with CPython's 2048-byte
    /// buffer: the first line (newline included), at most 2046 bytes. A
    /// negative length is an OpenSSL failure, reported as `_setSSLError`.
    fn gets(&self, c: Compat) -> PyResult<Vec<u8>> {
        let mut buf = [0u8; PRINT_BUF];
        // SAFETY: buf has PRINT_BUF bytes and BIO_gets writes at most
        // size bytes including the terminating NUL.
        let len = unsafe {
            ffi::BIO_gets(
                self.0,
                buf.as_mut_ptr().cast::<c_char>(),
                (PRINT_BUF - 1) as c_int,
            )
        };
        if len < 0 {
            return Err(set_ssl_error(c, None, Status::Ssl, crate::here!()));
        }
        Ok(buf[..len as usize].to_vec())
    }
}

impl Drop for Bio {
    fn drop(&mut self) {
        // SAFETY: self.0 is a BIO this guard owns, freed exactly once.
        unsafe { ossl::BIO_free_all(self.0) };
    }
}

/// Frees an extension structure returned by `X509_get_ext_d2i` on drop.
struct ExtGuard<T> {
    ptr: *mut T,
    free: unsafe extern "C" fn(*mut T),
}

impl<T> Drop for ExtGuard<T> {
    fn drop(&mut self) {
        // SAFETY: ptr was returned non-NULL by X509_get_ext_d2i for the
        // type `free` releases, and is freed exactly once.
        unsafe { (self.free)(self.ptr) };
    }
}

/// `OPENSSL_sk_num`, 0 for NULL.
///
/// # Safety
/// `sk` must be NULL or a live OpenSSL stack.
unsafe fn sk_num<S>(sk: *const S) -> usize {
    // SAFETY: per the caller; OPENSSL_sk_num returns -1 for NULL.
    let n = unsafe { ossl::OPENSSL_sk_num(sk.cast::<OPENSSL_STACK>()) };
    n.max(0) as usize
}

/// `OPENSSL_sk_value` for an index below `sk_num`.
///
/// # Safety
/// `sk` must be a live OpenSSL stack whose items are `T`s.
unsafe fn sk_value<S, T>(sk: *const S, i: usize) -> *mut T {
    // SAFETY: per the caller; OpenSSL checks the index.
    unsafe { ossl::OPENSSL_sk_value(sk.cast::<OPENSSL_STACK>(), i as c_int).cast::<T>() }
}

/// `_setSSLError(NULL, 0, ...)`: an `SSLError` from the error queue.
fn ssl_error(c: Compat, loc: crate::error::Location) -> PyErr {
    set_ssl_error(c, None, Status::Ssl, loc)
}

/// The bytes of an ASN1_STRING (`ASN1_STRING_get0_data`, `_length`);
/// None when its data pointer is NULL.
///
/// # Safety
/// `s` must be a live ASN1_STRING.
unsafe fn asn1_bytes<'a>(s: *const ASN1_STRING) -> Option<&'a [u8]> {
    // SAFETY: s is live per the caller; the data pointer and length
    // describe its buffer, which lives as long as s.
    unsafe {
        let data = ossl::ASN1_STRING_get0_data(s);
        let len = ossl::ASN1_STRING_length(s).max(0) as usize;
        if data.is_null() {
            None
        } else {
            Some(std::slice::from_raw_parts(data, len))
        }
    }
}

/// `PyUnicode_FromStringAndSize(data, len)` on an ASN1_STRING's bytes:
/// NULL data gives `""`.
///
/// # Safety
/// `s` must be a live ASN1_STRING.
unsafe fn asn1_to_str(s: *const ASN1_STRING) -> PyResult<Value> {
    // SAFETY: per the caller.
    let bytes = unsafe { asn1_bytes(s) }.unwrap_or(&[]);
    decode_utf8(bytes).map(Value::Str)
}

/// `_asn1obj2py(state, name, 0)`: the object's long name, or its dotted
/// form when OpenSSL has no name for it, handed to `take` (which decodes
/// it).
///
/// # Safety
/// `obj` must be a live ASN1_OBJECT.
unsafe fn asn1obj_text<R>(
    obj: *const ASN1_OBJECT,
    c: Compat,
    take: impl FnOnce(&[u8]) -> PyResult<R>,
) -> PyResult<R> {
    // CPython's stack buffer; the heap only for a longer dotted OID.
    let mut buf = [0u8; X509_NAME_MAXLEN];
    // SAFETY: buf has X509_NAME_MAXLEN bytes, the size passed; obj is live.
    let len = unsafe {
        ossl::OBJ_obj2txt(
            buf.as_mut_ptr().cast::<c_char>(),
            X509_NAME_MAXLEN as c_int,
            obj,
            0,
        )
    };
    if len < 0 {
        return Err(ssl_error(c, crate::here!()));
    }
    if len as usize > X509_NAME_MAXLEN - 1 {
        // The text did not fit: ask for its length, then convert again.
        // SAFETY: a NULL buffer of size 0 only computes the length.
        let needed = unsafe { ossl::OBJ_obj2txt(ptr::null_mut(), 0, obj, 0) };
        let size = needed.max(0) as usize + 1;
        let mut big = vec![0u8; size];
        // SAFETY: big has `size` bytes, the size passed.
        let len =
            unsafe { ossl::OBJ_obj2txt(big.as_mut_ptr().cast::<c_char>(), size as c_int, obj, 0) };
        if len < 0 {
            return Err(ssl_error(c, crate::here!()));
        }
        let len = (len as usize).min(big.len());
        return take(&big[..len]);
    }
    take(&buf[..len as usize])
}

/// Pushes `bytes` decoded as `PyUnicode_FromStringAndSize` does.
fn push_utf8(b: &mut Builder, bytes: &[u8]) -> PyResult<()> {
    b.str(as_utf8(bytes)?);
    Ok(())
}

/// CPython 3.11 calls `_setSSLError` a second time when `_asn1obj2py`
/// fails, with the first exception still pending. Building the `SSLError`
/// then fails inside the interpreter, which raises `SystemError` instead,
/// unless the error queue holds an error whose reason CPython cannot name
/// (the lookup then bails out and the first exception stays). The queue is
/// cleared either way.
fn second_ssl_error(first: PyErr, c: Compat) -> PyErr {
    let code = crate::error::peek_last_error();
    clear_openssl_errors();
    let named = code == 0
        || crate::error::reason_name(
            crate::error::ErrNames::of(c),
            crate::error::err_get_lib(code),
            crate::error::err_get_reason(code),
        )
        .is_some();
    if named {
        PyErr::new(
            Status::Ssl,
            "SystemError",
            "<class 'ssl.SSLError'> returned a result with an exception set",
        )
    } else {
        first
    }
}

/// [`fast::string_to_utf8`] of a live ASN1_STRING into `out`: true when
/// `ASN1_STRING_to_UTF8` would convert it without failing.
///
/// # Safety
/// `s` must be a live ASN1_STRING.
unsafe fn fast_string(s: *const ASN1_STRING, out: &mut String) -> bool {
    // SAFETY: s is live per the caller.
    let (ty, data) = unsafe { (ossl::ASN1_STRING_type(s), asn1_bytes(s)) };
    data.is_some_and(|d| fast::string_to_utf8(ty, d, out))
}

/// `_create_tuple_for_attribute`: `(name, value)`, the value as `bytes`
/// for a BIT STRING and as `str` (via `ASN1_STRING_to_UTF8`) otherwise; a
/// NULL buffer gives None, as `Py_BuildValue("s#")` does.
///
/// # Safety
/// `name` and `value` must be live.
unsafe fn attribute_tuple(
    b: &mut Builder,
    name: *const ASN1_OBJECT,
    value: *const ASN1_STRING,
    c: Compat,
) -> PyResult<()> {
    let mark = b.mark();
    // SAFETY: name is live per the caller.
    if let Err(e) = unsafe { asn1obj_text(name, c, |t| push_utf8(b, t)) } {
        return Err(second_ssl_error(e, c));
    }
    // SAFETY: value is live per the caller.
    if unsafe { ossl::ASN1_STRING_type(value) } == ossl::V_ASN1_BIT_STRING {
        // SAFETY: value is live.
        match unsafe { asn1_bytes(value) } {
            Some(bytes) => b.bytes(bytes),
            None => b.none(),
        }
    } else if !b.str_with(|out| {
        // SAFETY: value is live per the caller.
        unsafe { fast_string(value, out) }
    }) {
        let mut out: *mut u8 = ptr::null_mut();
        // SAFETY: value is live; on success `out` receives an OpenSSL
        // allocation of `len` bytes (plus a NUL) that we free below.
        let len = unsafe { ossl::ASN1_STRING_to_UTF8(&mut out, value) };
        if len < 0 {
            return Err(ssl_error(c, crate::here!()));
        }
        if out.is_null() {
            b.none();
        } else {
            // SAFETY: out holds len bytes written by ASN1_STRING_to_UTF8.
            let text = push_utf8(b, unsafe { std::slice::from_raw_parts(out, len as usize) });
            // SAFETY: out was allocated by OpenSSL and is freed once, after
            // its last use above.
            unsafe { ossl::OPENSSL_free(out.cast::<c_void>()) };
            text?;
        }
    }
    b.tuple(mark);
    Ok(())
}

/// `_create_tuple_for_X509_NAME`: a tuple of RDNs, each a tuple of
/// `(name, value)` attributes; consecutive entries with the same set
/// number form one RDN.
///
/// # Safety
/// `xname` must be a live X509_NAME.
unsafe fn name_to_tuple(b: &mut Builder, xname: *const X509_NAME, c: Compat) -> PyResult<()> {
    // SAFETY: xname is live per the caller.
    let count = unsafe { ossl::X509_NAME_entry_count(xname) }.max(0);
    let dn = b.mark();
    // The mark of the RDN being built, and its set number.
    let mut rdn: Option<(usize, c_int)> = None;
    for i in 0..count {
        // SAFETY: i is below the entry count of the live name, so the
        // entry, its object and its data are live while xname is.
        let (level, object, data) = unsafe {
            let entry = ossl::X509_NAME_get_entry(xname, i);
            let level = ffi::X509_NAME_ENTRY_set(entry);
            let object = ossl::X509_NAME_ENTRY_get_object(entry) as *const ASN1_OBJECT;
            let data = ossl::X509_NAME_ENTRY_get_data(entry) as *const ASN1_STRING;
            (level, object, data)
        };
        let mark = match rdn {
            Some((mark, l)) if l == level => mark,
            _ => {
                if let Some((mark, _)) = rdn {
                    b.tuple(mark);
                }
                b.mark()
            }
        };
        rdn = Some((mark, level));
        // SAFETY: object and data belong to the live entry.
        unsafe { attribute_tuple(b, object, data, c) }?;
    }
    if let Some((mark, _)) = rdn {
        b.tuple(mark);
    }
    b.tuple(dn);
    Ok(())
}

/// [`name_to_tuple`] as a [`Value`] (for the rare general names that are
/// directory names).
///
/// # Safety
/// `xname` must be a live X509_NAME.
unsafe fn name_value(xname: *const X509_NAME, c: Compat) -> PyResult<Value> {
    let mut b = Builder::default();
    // SAFETY: per the caller.
    unsafe { name_to_tuple(&mut b, xname, c) }?;
    Ok(b.finish().to_value())
}

/// The `(type, value)` pair for one subjectAltName entry, as
/// `_get_peer_alt_names` builds it.
///
/// # Safety
/// `name` must be a live GENERAL_NAME and `bio` a memory BIO.
unsafe fn general_name_tuple(name: *mut GENERAL_NAME, bio: &Bio, c: Compat) -> PyResult<Value> {
    // SAFETY: name is live; `d` is the union member selected by `type_`.
    let (gntype, d) = unsafe { ((*name).type_, (*name).d) };
    match gntype {
        ossl::GEN_DIRNAME => {
            // SAFETY: for GEN_DIRNAME, d is the X509_NAME.
            let dn = unsafe { name_value(d as *const X509_NAME, c) }?;
            Ok(pair("DirName", dn))
        }
        ossl::GEN_EMAIL | ossl::GEN_DNS | ossl::GEN_URI => {
            // Taken from the raw bytes: GENERAL_NAME_print mishandles NULs
            // (CVE-2013-4238).
            let key = match gntype {
                ossl::GEN_EMAIL => "email",
                ossl::GEN_DNS => "DNS",
                _ => "URI",
            };
            // SAFETY: for these types, d is an IA5String.
            let v = unsafe { asn1_to_str(d as *const ASN1_STRING) }?;
            Ok(pair(key, v))
        }
        ossl::GEN_RID => {
            let mut buf = [0u8; PRINT_BUF];
            // SAFETY: the buffer has PRINT_BUF bytes and is given one less,
            // as CPython does; for GEN_RID, d is the ASN1_OBJECT.
            let len = unsafe {
                ffi::i2t_ASN1_OBJECT(
                    buf.as_mut_ptr().cast::<c_char>(),
                    (PRINT_BUF - 1) as c_int,
                    d as *const ASN1_OBJECT,
                )
            };
            let v = if len < 0 {
                return Err(ssl_error(c, crate::here!()));
            } else if len as usize >= PRINT_BUF {
                "<INVALID>".to_owned()
            } else {
                decode_utf8(&buf[..len as usize])?
            };
            Ok(pair("Registered ID", Value::Str(v)))
        }
        ossl::GEN_IPADD => {
            // SAFETY: for GEN_IPADD, d is an OCTET STRING.
            let ip = unsafe { asn1_bytes(d as *const ASN1_STRING) }.unwrap_or(&[]);
            let mut text = String::new();
            fast::ip_text(ip, &mut text);
            Ok(pair("IP Address", Value::Str(text)))
        }
        _ => {
            // othername, X400Name, EdiPartyName: OpenSSL's printed form,
            // split at the first ':'.
            bio.reset();
            // SAFETY: name is live and bio is a memory BIO.
            unsafe { ffi::GENERAL_NAME_print(bio.0, name) };
            let line = bio.gets(c)?;
            // strchr() stops at a NUL byte.
            let cstr_len = line.iter().position(|&c| c == 0).unwrap_or(line.len());
            let Some(colon) = line[..cstr_len].iter().position(|&c| c == b':') else {
                return Err(PyErr::value_error(format!(
                    "Invalid value {}",
                    lossy_prefix(&line[..cstr_len], 200)
                )));
            };
            let k = decode_utf8(&line[..colon])?;
            let v = decode_utf8(&line[colon + 1..])?;
            Ok(Value::Tuple(vec![Value::Str(k), Value::Str(v)]))
        }
    }
}

/// A `(key, value)` pair of str keys, as the extensions' tuples hold them.
fn pair(k: &str, v: Value) -> Value {
    Value::Tuple(vec![Value::Str(k.to_owned()), v])
}

/// The subjectAltName tuple of [`fast::subject_alt_names`]' entries, as
/// `general_name_tuple` makes them for these kinds.
fn san_value(b: &mut Builder, names: &[GeneralName]) -> PyResult<()> {
    let mark = b.mark();
    for n in names {
        let pair = b.mark();
        match *n {
            GeneralName::Email(t) => {
                b.str("email");
                push_utf8(b, t)?;
            }
            GeneralName::Dns(t) => {
                b.str("DNS");
                push_utf8(b, t)?;
            }
            GeneralName::Uri(t) => {
                b.str("URI");
                push_utf8(b, t)?;
            }
            GeneralName::IpAddress(ip) => {
                b.str("IP Address");
                b.str_with(|out| {
                    fast::ip_text(ip, out);
                    true
                });
            }
        }
        b.tuple(pair);
    }
    b.tuple(mark);
    Ok(())
}

/// `key` and a tuple of URIs decoded in order; nothing when there are none
/// (as `_get_aia_uri` and `_get_crl_dp` answer None then).
fn uri_entry(b: &mut Builder, key: &str, uris: &[&[u8]]) -> PyResult<()> {
    if uris.is_empty() {
        return Ok(());
    }
    b.str(key);
    let mark = b.mark();
    for u in uris {
        push_utf8(b, u)?;
    }
    b.tuple(mark);
    Ok(())
}

/// `key` and `v`, when there is a value (an OpenSSL path's answer).
fn value_entry(b: &mut Builder, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        b.str(key);
        b.value(&v);
    }
}

/// What `X509_get_ext_d2i` finds for one extension: nothing (absent, or
/// present more than once, which it treats alike without an error), or
/// the DER of its value.
#[derive(Clone, Copy)]
enum Ext<'a> {
    Absent,
    Der(&'a [u8]),
}

/// An extension after its fast parse.
enum Parsed<T> {
    /// `X509_get_ext_d2i` gives NULL without an error.
    Absent,
    /// The fast path's answer.
    Fast(T),
    /// Present, but only OpenSSL's own decoding can tell.
    Slow,
}

impl<'a> Ext<'a> {
    fn parse<T>(self, fast: fn(&'a [u8]) -> Option<T>) -> Parsed<T> {
        match self {
            Ext::Absent => Parsed::Absent,
            Ext::Der(d) => fast(d).map_or(Parsed::Slow, Parsed::Fast),
        }
    }
}

/// The subjectAltName, Authority Information Access and CRL distribution
/// points extensions of `cert`, found in one pass as `X509_get_ext_d2i`
/// finds each; None where OpenSSL's data is unusual (a NULL value), so
/// that the caller takes OpenSSL's own path.
///
/// # Safety
/// `cert` must be a live X509; the slices borrow from it.
unsafe fn find_extensions<'a>(cert: *mut X509) -> [Option<Ext<'a>>; 3] {
    const NIDS: [c_int; 3] = [
        ossl::NID_subject_alt_name,
        ossl::NID_info_access,
        ossl::NID_crl_distribution_points,
    ];
    let mut found: [(usize, Option<&'a [u8]>); 3] = [(0, None); 3];
    // SAFETY: cert is live; each extension, its object and its data live
    // as long as the certificate.
    unsafe {
        for i in 0..ossl::X509_get_ext_count(cert).max(0) {
            let ext = ossl::X509_get_ext(cert, i);
            let nid = ossl::OBJ_obj2nid(ossl::X509_EXTENSION_get_object(ext));
            if let Some(k) = NIDS.iter().position(|&n| n == nid) {
                found[k].0 += 1;
                found[k].1 = asn1_bytes(ossl::X509_EXTENSION_get_data(ext) as *const ASN1_STRING);
            }
        }
    }
    found.map(|(count, der)| match (count, der) {
        (1, Some(d)) => Some(Ext::Der(d)),
        (1, None) => None,
        _ => Some(Ext::Absent),
    })
}

/// `%.200s` in `PyUnicode_FromFormat`: at most `max` bytes, decoded from
/// UTF-8 with the "replace" error handler.
fn lossy_prefix(bytes: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned()
}

/// `_get_peer_alt_names`: the subjectAltName tuple, or None without the
/// extension (or when OpenSSL cannot decode it).
///
/// # Safety
/// `cert` must be a live X509.
unsafe fn peer_alt_names(cert: *mut X509, c: Compat) -> PyResult<Option<Value>> {
    let Some(bio) = Bio::mem() else {
        return Err(PyErr::ssl_message("failed to allocate BIO"));
    };
    // SAFETY: cert is live; the result is NULL or an owned GENERAL_NAMES.
    let names = unsafe {
        ossl::X509_get_ext_d2i(
            cert,
            ossl::NID_subject_alt_name,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    }
    .cast::<ossl::stack_st_GENERAL_NAME>();
    if names.is_null() {
        return Ok(None);
    }
    let _names = ExtGuard {
        ptr: names,
        free: ffi::GENERAL_NAMES_free,
    };
    let mut out = Vec::new();
    // SAFETY: names is a live stack of GENERAL_NAME.
    for i in 0..unsafe { sk_num(names) } {
        // SAFETY: i is in range; the item lives as long as the stack.
        let name: *mut GENERAL_NAME = unsafe { sk_value(names, i) };
        // SAFETY: name is live and bio is a memory BIO.
        out.push(unsafe { general_name_tuple(name, &bio, c) }?);
    }
    Ok(Some(Value::Tuple(out)))
}

/// `_get_aia_uri` for `NID_ad_OCSP`, then for `NID_ad_ca_issuers`: the
/// URIs of the Authority Information Access entries of each method; None
/// without the extension or without a match. CPython decodes the extension
/// once per method; decoding it once and walking it twice, in CPython's
/// order, gives the same values and the same first error.
///
/// # Safety
/// `cert` must be a live X509.
unsafe fn aia_uris(cert: *mut X509) -> PyResult<(Option<Value>, Option<Value>)> {
    // SAFETY: cert is live; the result is NULL or an owned
    // AUTHORITY_INFO_ACCESS.
    let info = unsafe {
        ossl::X509_get_ext_d2i(
            cert,
            ossl::NID_info_access,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    }
    .cast::<ossl::stack_st_ACCESS_DESCRIPTION>();
    if info.is_null() {
        return Ok((None, None));
    }
    let _info = ExtGuard {
        ptr: info,
        free: ffi::AUTHORITY_INFO_ACCESS_free,
    };
    let uris = |nid: c_int| -> PyResult<Option<Value>> {
        let mut uris = Vec::new();
        // SAFETY: info is a live stack of ACCESS_DESCRIPTION.
        for i in 0..unsafe { sk_num(info) } {
            // SAFETY: i is in range; the description, its method and
            // location live as long as the stack.
            let uri = unsafe {
                let ad: *mut ossl::ACCESS_DESCRIPTION = sk_value(info, i);
                let location = (*ad).location;
                if ossl::OBJ_obj2nid((*ad).method) != nid || (*location).type_ != ossl::GEN_URI {
                    continue;
                }
                asn1_to_str((*location).d as *const ASN1_STRING)
            }?;
            uris.push(uri);
        }
        Ok((!uris.is_empty()).then_some(Value::Tuple(uris)))
    };
    let ocsp = uris(ossl::NID_ad_OCSP)?;
    Ok((ocsp, uris(ossl::NID_ad_ca_issuers)?))
}

/// `_get_crl_dp`: the URIs of the CRL distribution points' full names;
/// points without a name are skipped (CVE-2019-5010), and so are names
/// relative to the issuer (CPython reads their entries as general names,
/// which never have the URI type).
///
/// # Safety
/// `cert` must be a live X509.
unsafe fn crl_dp_uris(cert: *mut X509) -> PyResult<Option<Value>> {
    // SAFETY: cert is live; the result is NULL or an owned CRL_DIST_POINTS.
    let dps = unsafe {
        ossl::X509_get_ext_d2i(
            cert,
            ossl::NID_crl_distribution_points,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    }
    .cast::<ossl::stack_st_DIST_POINT>();
    if dps.is_null() {
        return Ok(None);
    }
    let _dps = ExtGuard {
        ptr: dps,
        free: ffi::CRL_DIST_POINTS_free,
    };
    let mut uris = Vec::new();
    // SAFETY: dps is a live stack of DIST_POINT.
    for i in 0..unsafe { sk_num(dps) } {
        // SAFETY: i is in range; the point and its name live as long as the
        // stack; `fullname` is the union member when `type_` is 0.
        let gns = unsafe {
            let dp: *mut ossl::DIST_POINT = sk_value(dps, i);
            let dpn = (*dp).distpoint;
            if dpn.is_null() || (*dpn).type_ != 0 {
                continue;
            }
            (*dpn).name.fullname
        };
        // SAFETY: gns is NULL or a live stack of GENERAL_NAME.
        for j in 0..unsafe { sk_num(gns) } {
            // SAFETY: j is in range; the name lives as long as the stack.
            let uri = unsafe {
                let gn: *mut GENERAL_NAME = sk_value(gns, j);
                if (*gn).type_ != ossl::GEN_URI {
                    continue;
                }
                asn1_to_str((*gn).d as *const ASN1_STRING)
            }?;
            uris.push(uri);
        }
    }
    Ok((!uris.is_empty()).then_some(Value::Tuple(uris)))
}

/// Prints with `print` into `bio` and reads the first line back, decoded.
fn printed(bio: &Bio, c: Compat, print: impl FnOnce(*mut BIO)) -> PyResult<Value> {
    bio.reset();
    print(bio.0);
    let line = bio.gets(c)?;
    decode_utf8(&line).map(Value::Str)
}

/// `_decode_certificate`: the dict `getpeercert()` returns.
///
/// # Safety
/// `cert` must be NULL (an error) or a live `X509*`; it is only read.
pub unsafe fn decode_certificate(cert: *mut X509, c: Compat) -> PyResult<Value> {
    // SAFETY: per the caller.
    unsafe { decode_certificate_flat(cert, c) }.map(|f| f.to_value())
}

/// [`decode_certificate`] as a [`Flat`] tree.
///
/// # Safety
/// `cert` must be NULL (an error) or a live `X509*`; it is only read.
pub unsafe fn decode_certificate_flat(cert: *mut X509, c: Compat) -> PyResult<Flat> {
    let mut b = Builder::with_capacity(96, 1024);
    // SAFETY: per the caller.
    unsafe { decode_certificate_into(&mut b, cert, c) }?;
    Ok(b.finish())
}

/// [`decode_certificate`] pushed onto `b` (a dict; nothing on error).
///
/// # Safety
/// `cert` must be NULL (an error) or a live `X509*`; it is only read.
pub unsafe fn decode_certificate_into(b: &mut Builder, cert: *mut X509, c: Compat) -> PyResult<()> {
    if cert.is_null() {
        return Err(PyErr::bad_argument("certificate is NULL"));
    }
    let mark = b.mark();
    // SAFETY: cert is a live X509 per the caller.
    let result = unsafe { decode_certificate_inner(b, cert, c) };
    clear_openssl_errors();
    if result.is_err() {
        // Drop what the failed decode left pending.
        b.discard(mark);
    }
    result
}

/// A memory BIO made on first use (the fast paths need none).
struct LazyBio(Option<Bio>);

impl LazyBio {
    fn get(&mut self) -> PyResult<&Bio> {
        if self.0.is_none() {
            let Some(bio) = Bio::mem() else {
                return Err(PyErr::ssl_message("failed to allocate BIO"));
            };
            self.0 = Some(bio);
        }
        Ok(self.0.as_ref().expect("made above"))
    }
}

/// A printed field: `fast` of the ASN1_STRING's type and bytes when it has
/// an answer, else `print` into the BIO and its first line, as CPython
/// reads it.
///
/// # Safety
/// `s` must be a live ASN1_STRING.
unsafe fn printed_field(
    b: &mut Builder,
    s: *const ASN1_STRING,
    fast: fn(i32, &[u8], &mut String) -> bool,
    bio: &mut LazyBio,
    c: Compat,
    print: impl FnOnce(*mut BIO),
) -> PyResult<()> {
    // SAFETY: s is live per the caller.
    let (ty, data) = unsafe { (ossl::ASN1_STRING_type(s), asn1_bytes(s)) };
    if !data.is_some_and(|d| b.str_with(|out| fast(ty, d, out))) {
        let v = printed(bio.get()?, c, print)?;
        b.value(&v);
    }
    Ok(())
}

/// # Safety
/// `cert` must be a live X509.
unsafe fn decode_certificate_inner(b: &mut Builder, cert: *mut X509, c: Compat) -> PyResult<()> {
    let dict = b.mark();
    b.str("subject");
    // SAFETY: cert is live; its names live as long as it does.
    unsafe { name_to_tuple(b, ossl::X509_get_subject_name(cert), c) }?;
    b.str("issuer");
    // SAFETY: as above.
    unsafe { name_to_tuple(b, ossl::X509_get_issuer_name(cert), c) }?;
    // SAFETY: cert is live. `long + 1` as C computes it on LP64.
    let version = unsafe { ossl::X509_get_version(cert) } as i64;
    b.str("version");
    b.int(version.wrapping_add(1));

    let mut bio = LazyBio(None);
    // SAFETY: cert is live; its serial number and times live as long as
    // it does, and the printing closures get a memory BIO.
    unsafe {
        let serial = ossl::X509_get_serialNumber(cert);
        b.str("serialNumber");
        printed_field(b, serial as _, fast::serial_text, &mut bio, c, |p| {
            ffi::i2a_ASN1_INTEGER(p, serial);
        })?;
        for (key, time) in [
            ("notBefore", ossl::X509_getm_notBefore(cert)),
            ("notAfter", ossl::X509_getm_notAfter(cert)),
        ] {
            b.str(key);
            printed_field(b, time as _, fast::time_text, &mut bio, c, |p| {
                ossl::ASN1_TIME_print(p, time);
            })?;
        }
    }
    drop(bio);

    // SAFETY: cert is live; the extension values borrow from it.
    let [san, aia, crldp] = unsafe { find_extensions(cert) };
    match san.map(|e| e.parse(fast::subject_alt_names)) {
        Some(Parsed::Absent) => {}
        Some(Parsed::Fast(names)) => {
            b.str("subjectAltName");
            san_value(b, &names)?;
        }
        // SAFETY: cert is live.
        _ => value_entry(b, "subjectAltName", unsafe { peer_alt_names(cert, c) }?),
    }
    match aia.map(|e| e.parse(fast::aia_uris)) {
        Some(Parsed::Absent) => {}
        Some(Parsed::Fast((ocsp, ca_issuers))) => {
            uri_entry(b, "OCSP", &ocsp)?;
            uri_entry(b, "caIssuers", &ca_issuers)?;
        }
        _ => {
            // SAFETY: cert is live.
            let (ocsp, ca_issuers) = unsafe { aia_uris(cert) }?;
            value_entry(b, "OCSP", ocsp);
            value_entry(b, "caIssuers", ca_issuers);
        }
    }
    match crldp.map(|e| e.parse(fast::crl_dp_uris)) {
        Some(Parsed::Absent) => {}
        Some(Parsed::Fast(uris)) => uri_entry(b, "crlDistributionPoints", &uris)?,
        // SAFETY: cert is live.
        _ => value_entry(b, "crlDistributionPoints", unsafe { crl_dp_uris(cert) }?),
    }
    b.dict(dict);
    Ok(())
}

/// `_certificate_to_der`: the certificate's DER encoding as `bytes`.
///
/// # Safety
/// `cert` must be NULL (an error) or a live `X509*`.
pub unsafe fn certificate_to_der(cert: *mut X509, c: Compat) -> PyResult<Value> {
    if cert.is_null() {
        return Err(PyErr::bad_argument("certificate is NULL"));
    }
    let mut out: *mut u8 = ptr::null_mut();
    // SAFETY: cert is live; with *out NULL, OpenSSL allocates the buffer.
    let len = unsafe { ossl::i2d_X509(cert, &mut out) };
    if len < 0 || out.is_null() {
        return Err(ssl_error(c, crate::here!()));
    }
    // SAFETY: out holds len bytes written by i2d_X509.
    let der = unsafe { std::slice::from_raw_parts(out, len as usize) }.to_vec();
    // SAFETY: out was allocated by OpenSSL and is freed once.
    unsafe { ossl::OPENSSL_free(out.cast::<c_void>()) };
    Ok(Value::Bytes(der))
}

/// `_ssl._test_decode_cert(path)`: reads the first PEM certificate of a
/// file and decodes it. Fails as CPython 3.11 does: `SSLError("Can't open
/// file")` when the file cannot be opened, `SSLError("Error decoding
/// PEM-encoded file")` when it holds no readable certificate.
pub fn test_decode_cert(path: &CStr, c: Compat) -> PyResult<Value> {
    test_decode_cert_flat(path, c).map(|f| f.to_value())
}

/// [`test_decode_cert`] as a flat tree.
pub fn test_decode_cert_flat(path: &CStr, c: Compat) -> PyResult<Flat> {
    // SAFETY: BIO_s_file returns a static method table; BIO_new returns an
    // owned BIO or NULL.
    let raw = unsafe { ossl::BIO_new(ossl::BIO_s_file()) };
    if raw.is_null() {
        return Err(PyErr::ssl_message("Can't malloc memory to read file"));
    }
    let bio = Bio(raw);
    // SAFETY: BIO_read_filename: bio is a file BIO, path a NUL-terminated
    // string that OpenSSL only reads (it opens the file with fopen).
    let opened = unsafe {
        ossl::BIO_ctrl(
            bio.0,
            ffi::BIO_C_SET_FILENAME,
            ffi::BIO_CLOSE_FP_READ,
            path.as_ptr() as *mut c_void,
        )
    };
    if opened <= 0 {
        clear_openssl_errors();
        return Err(PyErr::ssl_message("Can't open file"));
    }
    // SAFETY: bio is a readable file BIO; no password callback.
    let x = unsafe { ossl::PEM_read_bio_X509(bio.0, ptr::null_mut(), None, ptr::null_mut()) };
    drop(bio);
    if x.is_null() {
        clear_openssl_errors();
        return Err(PyErr::ssl_message("Error decoding PEM-encoded file"));
    }
    // SAFETY: x is a live X509 we own.
    let result = unsafe { decode_certificate_flat(x, c) };
    // SAFETY: x is freed once, after its last use.
    unsafe { ossl::X509_free(x) };
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built by tests/certgen/gen_certs.py's `simple_cert` (with a zero
    /// Ed25519 key and a dummy signature).
    const PEM: &str = "-----BEGIN CERTIFICATE-----\n\
MIIB8DCCAaKgAwIBAgIKEjRWeJCrze8SNDAFBgMrZXAwOjELMAkGA1UEBhMCREUx\n\
KzAWBgNVBAoMD0dyw7zDn2UgJ3B5c3NsJzARBgNVBAMMCnB5c3NsLnRlc3QwHhcN\n\
MjAwMTAxMDAwMDAwWhcNMzAwMTAxMDAwMDAwWjA6MQswCQYDVQQGEwJERTErMBYG\n\
A1UECgwPR3LDvMOfZSAncHlzc2wnMBEGA1UEAwwKcHlzc2wudGVzdDAqMAUGAytl\n\
cAMhAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAo4HDMIHAMEUGA1Ud\n\
EQQ+MDyCCnB5c3NsLnRlc3SHBH8AAAGHEAAAAAAAAAAAAAAAAAAAAAGBA2FAYqAR\n\
BggrBgEFBQcIBaAFDAN4QHkwTwYIKwYBBQUHAQEEQzBBMBwGCCsGAQUFBzABhhBo\n\
dHRwOi8vb2NzcC50ZXN0MCEGCCsGAQUFBzAChhVodHRwOi8vY2EudGVzdC9jYS5k\n\
ZXIwJgYDVR0fBB8wHTAboBmgF4YVaHR0cDovL2NybC50ZXN0L3guY3JsMAUGAytl\n\
cANBAHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4\n\
eHh4eHh4eHh4eHh4eHh4eHh4eHg=\n\
-----END CERTIFICATE-----\n\
";

    /// `repr(_ssl._test_decode_cert(...))` for PEM, from /usr/bin/python3.11.
    const PY_REPR: &str = "{'subject': ((('countryName', 'DE'),), (('organizationName', \"Grüße 'pyssl'\"), ('commonName', 'pyssl.test'))), 'issuer': ((('countryName', 'DE'),), (('organizationName', \"Grüße 'pyssl'\"), ('commonName', 'pyssl.test'))), 'version': 3, 'serialNumber': '1234567890ABCDEF1234', 'notBefore': 'Jan  1 00:00:00 2020 GMT', 'notAfter': 'Jan  1 00:00:00 2030 GMT', 'subjectAltName': (('DNS', 'pyssl.test'), ('IP Address', '127.0.0.1'), ('IP Address', '0:0:0:0:0:0:0:1'), ('email', 'a@b'), ('othername', 'XmppAddr:x@y')), 'OCSP': ('http://ocsp.test',), 'caIssuers': ('http://ca.test/ca.der',), 'crlDistributionPoints': ('http://crl.test/x.crl',)}";

    /// An owned X509 parsed from PEM text.
    struct Cert(*mut X509);

    impl Cert {
        fn parse(pem: &str) -> Cert {
            // SAFETY: the memory BIO reads from `pem`, which outlives it;
            // the BIO is freed once and the X509 is owned by the result.
            unsafe {
                let bio = ossl::BIO_new_mem_buf(pem.as_ptr().cast(), pem.len() as c_int);
                assert!(!bio.is_null());
                let x = ossl::PEM_read_bio_X509(bio, ptr::null_mut(), None, ptr::null_mut());
                ossl::BIO_free_all(bio);
                assert!(!x.is_null());
                Cert(x)
            }
        }
    }

    impl Drop for Cert {
        fn drop(&mut self) {
            // SAFETY: owned, freed once.
            unsafe { ossl::X509_free(self.0) };
        }
    }

    fn base64_decode(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0);
        for c in text.bytes() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => continue,
            };
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        out
    }

    #[test]
    fn decodes_like_cpython() {
        let cert = Cert::parse(PEM);
        // SAFETY: cert.0 is a live X509.
        let v = unsafe { decode_certificate(cert.0, Compat::default()) }.unwrap();
        assert_eq!(v.repr(), PY_REPR);
        assert_eq!(v.dict_get("version"), Some(&Value::Int(3)));
        assert_eq!(crate::error::peek_last_error(), 0);
    }

    #[test]
    fn der_is_the_pem_body() {
        let cert = Cert::parse(PEM);
        let body: String = PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        // SAFETY: cert.0 is a live X509.
        let der = unsafe { certificate_to_der(cert.0, Compat::default()) }.unwrap();
        assert_eq!(der, Value::Bytes(base64_decode(&body)));
        // SAFETY: NULL is rejected before use.
        let e = unsafe { certificate_to_der(ptr::null_mut(), Compat::default()) }.unwrap_err();
        assert_eq!(e.status, Status::BadArgument);
    }

    #[test]
    fn reads_a_file() {
        let dir = std::env::temp_dir().join(format!("pyssl-cert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.pem");
        std::fs::write(&path, PEM).unwrap();
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        let v = test_decode_cert(&c, Compat::default());
        std::fs::write(&path, "not a certificate\n").unwrap();
        let bad = test_decode_cert(&c, Compat::default()).unwrap_err();
        let dir_err = test_decode_cert(
            &std::ffi::CString::new(dir.to_str().unwrap()).unwrap(),
            Compat::default(),
        )
        .unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(v.unwrap().repr(), PY_REPR);
        assert_eq!(bad.exc_type, "SSLError");
        assert_eq!(bad.message, "('Error decoding PEM-encoded file',)");
        assert_eq!(dir_err.message, "('Error decoding PEM-encoded file',)");
    }

    #[test]
    fn missing_file_is_cant_open() {
        let e = test_decode_cert(c"/nonexistent/pyssl-test.pem", Compat::default()).unwrap_err();
        assert_eq!(e.exc_type, "SSLError");
        assert_eq!(e.message, "(\"Can't open file\",)");
        assert_eq!(e.errno, None);
        assert_eq!(crate::error::peek_last_error(), 0);
    }

    #[test]
    fn null_certificate_is_an_error() {
        // SAFETY: NULL is handled before any use.
        let e = unsafe { decode_certificate(ptr::null_mut(), Compat::default()) }.unwrap_err();
        assert_eq!(e.status, Status::BadArgument);
    }
}
