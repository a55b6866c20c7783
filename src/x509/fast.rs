//! The decoder's fast paths: the common cases of a certificate's fields
//! computed in Rust, with the answer OpenSSL's calls would give, and no
//! answer (`None`) for anything else, which the caller then decodes with
//! those OpenSSL calls. Each fast path accepts only input for which the
//! OpenSSL call it replaces succeeds without touching the error queue, so
//! falling back or not never changes the result or a later error.
//!
//! - strings of name entries (`ASN1_STRING_to_UTF8`): the types OpenSSL
//!   converts, when every character converts;
//! - `serialNumber` (`i2a_ASN1_INTEGER`), `notBefore`/`notAfter`
//!   (`ASN1_TIME_print`) in their usual forms;
//! - the subjectAltName, Authority Information Access and CRL
//!   distribution points extensions (`X509_get_ext_d2i`) when their DER is
//!   in the strict subset [`Der`] reads and every general name in them is
//!   of a kind that is only bytes (email, DNS, URI, IP address).

use crate::value::push_decimal;

/// `V_ASN1_UTF8STRING` and the other universal tags OpenSSL's
/// `ASN1_STRING_to_UTF8` converts.
const UTF8STRING: i32 = 12;
const BMPSTRING: i32 = 30;
const UNIVERSALSTRING: i32 = 28;
/// NumericString, PrintableString, T61String, IA5String, UTCTime,
/// GeneralizedTime, VisibleString: one byte a character (Latin-1).
const ONE_BYTE: [i32; 7] = [18, 19, 20, 22, 23, 24, 26];
const UTCTIME: i32 = 23;
const GENERALIZEDTIME: i32 = 24;
/// `V_ASN1_NEG`, set in the type of a negative INTEGER.
const NEG: i32 = 0x100;
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `ASN1_STRING_to_UTF8` of a string of ASN.1 type `ty`, decoded, appended
/// to `out`: false (with `out` in any state) when OpenSSL would fail (a
/// type it does not convert, a character that is not a Unicode scalar
/// value) or when the text would not be valid UTF-8.
pub(crate) fn string_to_utf8(ty: i32, data: &[u8], out: &mut String) -> bool {
    if ty == UTF8STRING {
        let Ok(s) = std::str::from_utf8(data) else {
            return false;
        };
        out.push_str(s);
        return true;
    }
    if ONE_BYTE.contains(&ty) {
        match std::str::from_utf8(data) {
            // ASCII is UTF-8 as it is.
            Ok(s) if data.is_ascii() => out.push_str(s),
            _ => out.extend(data.iter().map(|&b| char::from(b))),
        }
        return true;
    }
    let width = match ty {
        BMPSTRING => 2,
        UNIVERSALSTRING => 4,
        _ => return false,
    };
    if data.len() % width != 0 {
        return false;
    }
    for unit in data.chunks_exact(width) {
        let cp = unit.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
        let Some(c) = char::from_u32(cp) else {
            return false;
        };
        out.push(c);
    }
    true
}

/// `i2a_ASN1_INTEGER`'s text up to its first line break (which it puts
/// after every 35 bytes), appended to `out`: false for longer integers.
pub(crate) fn serial_text(ty: i32, data: &[u8], out: &mut String) -> bool {
    if data.len() > 35 {
        return false;
    }
    if ty & NEG != 0 {
        out.push('-');
    }
    if data.is_empty() {
        out.push_str("00");
    }
    for &b in data {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    true
}

/// `ASN1_TIME_print` of a UTCTime `YYMMDDHHMMSSZ` or a GeneralizedTime
/// `YYYYMMDDHHMMSSZ`, valid as `ossl_asn1_time_to_tm` checks it: `Mon DD
/// HH:MM:SS YYYY GMT`, appended to `out`. False for every other form
/// (offsets, fractions, missing seconds, invalid dates).
pub(crate) fn time_text(ty: i32, data: &[u8], out: &mut String) -> bool {
    let digits = match (ty, data.len()) {
        (UTCTIME, 13) => 12,
        (GENERALIZEDTIME, 15) => 14,
        _ => return false,
    };
    if data[digits] != b'Z' || !data[..digits].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let two = |i: usize| u32::from(data[i] - b'0') * 10 + u32::from(data[i + 1] - b'0');
    let (year, rest) = if digits == 12 {
        let yy = two(0);
        (if yy < 50 { 2000 + yy } else { 1900 + yy }, 2)
    } else {
        (two(0) * 100 + two(2), 4)
    };
    let (month, day) = (two(rest), two(rest + 2));
    let (hour, minute, second) = (two(rest + 4), two(rest + 6), two(rest + 8));
    if !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    const MDAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let leap = year % 400 == 0 || (year % 100 != 0 && year % 4 == 0);
    let mdays = MDAYS[month as usize - 1] + u32::from(month == 2 && leap);
    if day == 0 || day > mdays {
        return false;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    out.push_str(MONTHS[month as usize - 1]);
    out.push(' ');
    push_decimal(out, day, 2, ' ');
    out.push(' ');
    push_decimal(out, hour, 2, '0');
    out.push(':');
    push_decimal(out, minute, 2, '0');
    out.push(':');
    push_decimal(out, second, 2, '0');
    out.push(' ');
    push_decimal(out, year, 1, '0');
    out.push_str(" GMT");
    true
}

/// An IP address entry as CPython prints it: dotted IPv4, eight
/// uppercase hex groups without leading zeros for IPv6 (`%X`), `<invalid>`
/// for other lengths; appended to `out`.
pub(crate) fn ip_text(ip: &[u8], out: &mut String) {
    match ip.len() {
        4 => {
            for (i, &b) in ip.iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_decimal(out, u32::from(b), 1, '0');
            }
        }
        16 => {
            for (i, w) in ip.chunks_exact(2).enumerate() {
                if i > 0 {
                    out.push(':');
                }
                let v = u16::from_be_bytes([w[0], w[1]]);
                let digits = (16 - v.leading_zeros() as usize).div_ceil(4).max(1);
                for k in (0..digits).rev() {
                    out.push(char::from(HEX[usize::from((v >> (4 * k)) & 15)]));
                }
            }
        }
        _ => out.push_str("<invalid>"),
    }
}

/// A reader of DER's strict subset: tags of one byte, definite lengths in
/// their shortest form (at most 3 length bytes). Everything else (BER,
/// high tag numbers, truncation) reads as None.
pub(crate) struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Der<'a> {
        Der(bytes)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The next element: its tag byte and its contents.
    pub(crate) fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.0.split_first()?;
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 3 || rest.len() < n || rest[0] == 0 {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |acc, &b| acc << 8 | usize::from(b));
            if len < 0x80 {
                return None;
            }
            (len, &rest[n..])
        };
        if rest.len() < len {
            return None;
        }
        let (contents, rest) = rest.split_at(len);
        self.0 = rest;
        Some((tag, contents))
    }

    /// The contents of the only element of `bytes`, which must have `tag`.
    pub(crate) fn only(bytes: &'a [u8], tag: u8) -> Option<&'a [u8]> {
        let mut d = Der::new(bytes);
        match d.next()? {
            (t, contents) if t == tag && d.is_empty() => Some(contents),
            _ => None,
        }
    }
}

/// A general name whose value is only bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GeneralName<'a> {
    Email(&'a [u8]),
    Dns(&'a [u8]),
    Uri(&'a [u8]),
    IpAddress(&'a [u8]),
}

/// One general name: the primitive, implicitly tagged kinds only (`[1]`
/// email, `[2]` DNS, `[6]` URI, `[7]` IP address).
fn general_name(tag: u8, contents: &[u8]) -> Option<GeneralName<'_>> {
    Some(match tag {
        0x81 => GeneralName::Email(contents),
        0x82 => GeneralName::Dns(contents),
        0x86 => GeneralName::Uri(contents),
        0x87 => GeneralName::IpAddress(contents),
        _ => return None,
    })
}

/// The items of a non-empty `GeneralNames` sequence's contents.
fn general_names(contents: &[u8]) -> Option<Vec<GeneralName<'_>>> {
    let mut d = Der::new(contents);
    let mut out = Vec::with_capacity(8);
    while !d.is_empty() {
        let (tag, value) = d.next()?;
        out.push(general_name(tag, value)?);
    }
    (!out.is_empty()).then_some(out)
}

/// The subjectAltName extension's value (`GeneralNames`).
pub(crate) fn subject_alt_names(ext: &[u8]) -> Option<Vec<GeneralName<'_>>> {
    general_names(Der::only(ext, 0x30)?)
}

/// An OBJECT IDENTIFIER's contents that OpenSSL's `c2i_ASN1_OBJECT`
/// accepts: not empty, the last byte ends a sub-identifier, and no
/// sub-identifier starts with a 0x80 padding byte.
fn valid_oid(contents: &[u8]) -> bool {
    let Some(&last) = contents.last() else {
        return false;
    };
    last & 0x80 == 0
        && contents
            .iter()
            .enumerate()
            .all(|(i, &b)| b != 0x80 || (i > 0 && contents[i - 1] & 0x80 != 0))
}

/// id-ad-ocsp (1.3.6.1.5.5.7.48.1), DER contents.
const AD_OCSP: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
/// id-ad-caIssuers (1.3.6.1.5.5.7.48.2), DER contents.
const AD_CA_ISSUERS: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];

/// The Authority Information Access extension's value: the URIs of the
/// OCSP entries and those of the caIssuers entries, in order.
pub(crate) type AiaUris<'a> = (Vec<&'a [u8]>, Vec<&'a [u8]>);

/// [`AiaUris`] of an Authority Information Access extension's value.
pub(crate) fn aia_uris(ext: &[u8]) -> Option<AiaUris<'_>> {
    let mut d = Der::new(Der::only(ext, 0x30)?);
    if d.is_empty() {
        return None;
    }
    let (mut ocsp, mut ca_issuers) = (Vec::new(), Vec::new());
    while !d.is_empty() {
        let (tag, contents) = d.next()?;
        if tag != 0x30 {
            return None;
        }
        let mut ad = Der::new(contents);
        let (otag, method) = ad.next()?;
        let (ltag, location) = ad.next()?;
        if otag != 0x06 || !ad.is_empty() || !valid_oid(method) {
            return None;
        }
        if let GeneralName::Uri(uri) = general_name(ltag, location)? {
            if method == AD_OCSP {
                ocsp.push(uri);
            } else if method == AD_CA_ISSUERS {
                ca_issuers.push(uri);
            }
        }
    }
    Some((ocsp, ca_issuers))
}

/// The URIs of a CRL distribution points extension's value: of the full
/// names of the points that have only a full name (or nothing at all).
pub(crate) fn crl_dp_uris(ext: &[u8]) -> Option<Vec<&[u8]>> {
    let mut d = Der::new(Der::only(ext, 0x30)?);
    if d.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(4);
    while !d.is_empty() {
        let (tag, contents) = d.next()?;
        if tag != 0x30 {
            return None;
        }
        if contents.is_empty() {
            continue;
        }
        // distributionPoint [0] EXPLICIT, holding fullName [0] IMPLICIT.
        let name = Der::only(contents, 0xa0)?;
        for n in general_names(Der::only(name, 0xa0)?)? {
            if let GeneralName::Uri(uri) = n {
                out.push(uri);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fast path's text, None when it has no answer.
    fn text(f: impl FnOnce(&mut String) -> bool) -> Option<String> {
        let mut s = String::new();
        f(&mut s).then_some(s)
    }

    fn string_to_utf8(ty: i32, data: &[u8]) -> Option<String> {
        text(|s| super::string_to_utf8(ty, data, s))
    }

    fn serial_text(ty: i32, data: &[u8]) -> Option<String> {
        text(|s| super::serial_text(ty, data, s))
    }

    fn time_text(ty: i32, data: &[u8]) -> Option<String> {
        text(|s| super::time_text(ty, data, s))
    }

    fn ip_text(ip: &[u8]) -> String {
        let mut s = String::new();
        super::ip_text(ip, &mut s);
        s
    }

    #[test]
    fn strings() {
        assert_eq!(string_to_utf8(12, "Grüße".as_bytes()).unwrap(), "Grüße");
        assert_eq!(string_to_utf8(12, b"\xff"), None);
        assert_eq!(string_to_utf8(19, b"ab\xe9").unwrap(), "ab\u{e9}");
        assert_eq!(string_to_utf8(30, b"\x00a\x20\xac").unwrap(), "a\u{20ac}");
        assert_eq!(string_to_utf8(30, b"\xd8\x00"), None);
        assert_eq!(string_to_utf8(30, b"\x00"), None);
        assert_eq!(
            string_to_utf8(28, b"\x00\x01\xf6\x00").unwrap(),
            "\u{1f600}"
        );
        assert_eq!(string_to_utf8(28, b"\x00\x11\x00\x00"), None);
        assert_eq!(string_to_utf8(4, b"x"), None);
        assert_eq!(string_to_utf8(21, b"x"), None);
    }

    #[test]
    fn serials_and_times() {
        assert_eq!(serial_text(2, &[0x01, 0xab]).unwrap(), "01AB");
        assert_eq!(serial_text(0x102, &[0x05]).unwrap(), "-05");
        assert_eq!(serial_text(2, &[]).unwrap(), "00");
        assert_eq!(serial_text(2, &[0; 36]), None);
        assert_eq!(
            time_text(23, b"200101000000Z").unwrap(),
            "Jan  1 00:00:00 2020 GMT"
        );
        assert_eq!(
            time_text(23, b"991231235959Z").unwrap(),
            "Dec 31 23:59:59 1999 GMT"
        );
        assert_eq!(
            time_text(24, b"00040229120000Z").unwrap(),
            "Feb 29 12:00:00 4 GMT"
        );
        assert_eq!(time_text(24, b"19000229120000Z"), None);
        assert_eq!(time_text(23, b"200101000060Z"), None);
        assert_eq!(time_text(23, b"2001010000Z"), None);
        assert_eq!(time_text(23, b"200101000000+0000"), None);
    }

    #[test]
    fn ip_addresses() {
        assert_eq!(ip_text(&[127, 0, 0, 1]), "127.0.0.1");
        assert_eq!(ip_text(&[255, 10, 200, 0]), "255.10.200.0");
        let v6 = [
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x0f, 0x10, 0, 0xab, 0xcd, 0, 0, 0, 1,
        ];
        assert_eq!(ip_text(&v6), "2001:DB8:0:F:1000:ABCD:0:1");
        assert_eq!(ip_text(&[1, 2, 3]), "<invalid>");
        assert_eq!(ip_text(&[]), "<invalid>");
    }

    #[test]
    fn der_subset() {
        assert_eq!(Der::only(&[0x30, 0x00], 0x30), Some(&[][..]));
        assert_eq!(Der::only(&[0x30, 0x00, 0x00], 0x30), None);
        assert_eq!(Der::only(&[0x30, 0x81, 0x01, 0x00], 0x30), None);
        assert_eq!(Der::only(&[0x30, 0x80, 0x00, 0x00], 0x30), None);
        assert_eq!(Der::only(&[0x1f, 0x01, 0x00], 0x1f), None);
        let long: Vec<u8> = [0x04, 0x81, 0x80].into_iter().chain([7; 0x80]).collect();
        assert_eq!(Der::only(&long, 0x04).map(<[u8]>::len), Some(0x80));
        assert!(valid_oid(AD_OCSP));
        assert!(!valid_oid(&[0x2b, 0x80, 0x01]));
        assert!(!valid_oid(&[0x2b, 0x81]));
        assert!(!valid_oid(&[]));
    }

    #[test]
    fn extensions() {
        let san = [0x30, 0x08, 0x82, 0x01, b'a', 0x87, 0x01, 0x7f, 0x81, 0x00];
        assert_eq!(san[1] as usize, san.len() - 2);
        assert_eq!(
            subject_alt_names(&san).unwrap(),
            vec![
                GeneralName::Dns(b"a"),
                GeneralName::IpAddress(&[0x7f]),
                GeneralName::Email(b"")
            ]
        );
        assert_eq!(subject_alt_names(&[0x30, 0x02, 0xa0, 0x00]), None);
        assert_eq!(subject_alt_names(&[0x30, 0x00]), None);
        let mut aia = vec![0x30, 0x0e, 0x06, 0x08];
        aia.extend_from_slice(AD_CA_ISSUERS);
        aia.extend_from_slice(&[0x86, 0x02, b'u', b'1']);
        assert_eq!(
            aia_uris(&[&[0x30, 0x10][..], &aia].concat()).unwrap(),
            (vec![], vec![&b"u1"[..]])
        );
        let dp = [
            0x30, 0x0b, 0x30, 0x07, 0xa0, 0x05, 0xa0, 0x03, 0x86, 0x01, b'x', 0x30, 0x00,
        ];
        assert_eq!(crl_dp_uris(&dp).unwrap(), vec![&b"x"[..]]);
    }
}
