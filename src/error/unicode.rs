//! `bytes.decode('utf-8')` with the `UnicodeDecodeError` CPython raises.

use super::{PyErr, PyResult, Status};
use crate::value::Value;

/// `bytes.decode('utf-8')` (strict), as `PyUnicode_FromStringAndSize`
/// does it: on failure a `UnicodeDecodeError` whose text is what Python
/// prints, e.g. `'utf-8' codec can't decode byte 0xff in position 3:
/// invalid start byte`.
pub fn decode_utf8(bytes: &[u8]) -> PyResult<String> {
    let s = as_utf8(bytes)?;
    // One spare byte: the C surface appends a NUL in place.
    let mut out = String::with_capacity(s.len() + 1);
    out.push_str(s);
    Ok(out)
}

/// [`decode_utf8`] without the copy: the bytes as a `str`, or the same
/// `UnicodeDecodeError`.
pub fn as_utf8(bytes: &[u8]) -> PyResult<&str> {
    // Rust accepts exactly the sequences CPython's decoder accepts (no
    // surrogates, no overlongs, nothing past U+10FFFF), so the first error
    // starts at the same offset; CPython's own rules then decide how many
    // bytes the error spans and the reason.
    std::str::from_utf8(bytes).map_err(|e| utf8_error(bytes, e.valid_up_to()))
}

/// The `UnicodeDecodeError` CPython's UTF-8 decoder raises for the invalid
/// sequence that starts at `start`.
fn utf8_error(bytes: &[u8], start: usize) -> PyErr {
    let (len, reason) = utf8_error_span(&bytes[start..]);
    let message = if len == 1 {
        format!(
            "'utf-8' codec can't decode byte 0x{:02x} in position {start}: {reason}",
            bytes[start]
        )
    } else {
        format!(
            "'utf-8' codec can't decode bytes in position {start}-{}: {reason}",
            start + len - 1
        )
    };
    let mut e = PyErr::new(Status::Value, "UnicodeDecodeError", message);
    // UnicodeDecodeError(encoding, object, start, end, reason)
    e.args = super::Args::Values(vec![
        Value::Str("utf-8".to_owned()),
        Value::Bytes(bytes.to_vec()),
        Value::Int(start as i64),
        Value::Int((start + len) as i64),
        Value::Str(reason.to_owned()),
    ]);
    e
}

const INVALID_START: &str = "invalid start byte";
const INVALID_CONTINUATION: &str = "invalid continuation byte";
const UNEXPECTED_END: &str = "unexpected end of data";

fn is_continuation(b: u8) -> bool {
    (0x80..0xc0).contains(&b)
}

/// How many bytes CPython's decoder reports as undecodable at the start of
/// `rest` (an invalid sequence), and why.
fn utf8_error_span(rest: &[u8]) -> (usize, &'static str) {
    let lead = rest[0];
    let avail = rest.len();
    let at = |i: usize| rest.get(i).copied().unwrap_or(0);
    match lead {
        0xc2..=0xdf => {
            if avail < 2 {
                (avail, UNEXPECTED_END)
            } else {
                (1, INVALID_CONTINUATION)
            }
        }
        0xe0..=0xef => {
            let c2 = at(1);
            // E0 needs A0..BF next (no overlong forms), ED needs 80..9F (no
            // surrogates).
            let bad2 = avail >= 2
                && (!is_continuation(c2)
                    || (lead == 0xe0 && c2 < 0xa0)
                    || (lead == 0xed && c2 >= 0xa0));
            if avail < 2 {
                (avail, UNEXPECTED_END)
            } else if bad2 {
                (1, INVALID_CONTINUATION)
            } else if avail < 3 {
                (avail, UNEXPECTED_END)
            } else {
                (2, INVALID_CONTINUATION)
            }
        }
        0xf0..=0xf4 => {
            let c2 = at(1);
            // F0 needs 90..BF next (no overlong forms), F4 needs 80..8F
            // (nothing past U+10FFFF).
            let bad2 = avail >= 2
                && (!is_continuation(c2)
                    || (lead == 0xf0 && c2 < 0x90)
                    || (lead == 0xf4 && c2 >= 0x90));
            if avail < 2 {
                (avail, UNEXPECTED_END)
            } else if bad2 {
                (1, INVALID_CONTINUATION)
            } else if avail >= 3 && !is_continuation(at(2)) {
                (2, INVALID_CONTINUATION)
            } else if avail < 4 {
                (avail, UNEXPECTED_END)
            } else {
                (3, INVALID_CONTINUATION)
            }
        }
        // 80..C1 (continuation bytes and overlong two-byte leads) and
        // F5..FF.
        _ => (1, INVALID_START),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_err(x: &[u8]) -> String {
        let e = decode_utf8(x).unwrap_err();
        assert_eq!(e.exc_type, "UnicodeDecodeError");
        e.message.clone()
    }

    #[test]
    fn utf8_errors_match_python() {
        assert_eq!(decode_utf8(b"ok \xc3\xa9").unwrap(), "ok é");
        assert_eq!(decode_utf8(b"a\0b").unwrap(), "a\0b");
        let cases: &[(&[u8], &str)] = &[
            (
                b"abc\xff",
                "'utf-8' codec can't decode byte 0xff in position 3: invalid start byte",
            ),
            (
                b"\x80",
                "'utf-8' codec can't decode byte 0x80 in position 0: invalid start byte",
            ),
            (
                b"\xc0\x80",
                "'utf-8' codec can't decode byte 0xc0 in position 0: invalid start byte",
            ),
            (
                b"x\xc3",
                "'utf-8' codec can't decode byte 0xc3 in position 1: unexpected end of data",
            ),
            (
                b"\xc3(",
                "'utf-8' codec can't decode byte 0xc3 in position 0: invalid continuation byte",
            ),
            (
                b"\xe2\x82",
                "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data",
            ),
            (
                b"\xe2\x82(",
                "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte",
            ),
            (
                b"\xe0\x80\x80",
                "'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte",
            ),
            (
                b"\xed\xa0\x80",
                "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte",
            ),
            (
                b"\xed\xa0",
                "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte",
            ),
            (
                b"\xf0\x9f\x98",
                "'utf-8' codec can't decode bytes in position 0-2: unexpected end of data",
            ),
            (
                b"\xf0\x9f(",
                "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte",
            ),
            (
                b"\xf0\x9f\x98(",
                "'utf-8' codec can't decode bytes in position 0-2: invalid continuation byte",
            ),
            (
                b"\xf4\x90\x80\x80",
                "'utf-8' codec can't decode byte 0xf4 in position 0: invalid continuation byte",
            ),
            (
                b"\xf5\x80",
                "'utf-8' codec can't decode byte 0xf5 in position 0: invalid start byte",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(&decode_err(input), want, "input {input:?}");
        }
    }
}
