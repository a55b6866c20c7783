//! The Python value tree that pyssl hands back (a decoded certificate is a
//! dict of tuples of strings), its `repr()` exactly as Python 3.11 prints
//! it, and Python's strict UTF-8 decoding with CPython's error text.

use crate::compat::Compat;
use std::fmt::Write as _;

pub mod flat;
mod printable_table;

/// A Python value: the subset of types `_ssl` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An `int` that fits in 64 bits.
    Int(i64),
    /// An `int` that does not fit in 64 bits: its decimal text, with a
    /// leading `-` when negative.
    BigInt(String),
    /// A `str`.
    Str(String),
    /// A `bytes` object.
    Bytes(Vec<u8>),
    /// A `tuple`.
    Tuple(Vec<Value>),
    /// A `list`.
    List(Vec<Value>),
    /// A `dict`, in insertion order (keys are unique in practice; lookups
    /// return the first match).
    Dict(Vec<(Value, Value)>),
}

impl Value {
    /// `repr(self)`, byte for byte as CPython 3.14 prints it.
    pub fn repr(&self) -> String {
        self.repr_in(Compat::default())
    }

    /// `repr(self)` as the CPython version `compat` prints it: the versions
    /// differ in which characters their Unicode database calls printable.
    pub fn repr_in(&self, compat: Compat) -> String {
        let mut out = String::new();
        self.write_repr(&mut out, non_printable(compat));
        out
    }

    /// The value a Python program would have passed for a name a C host
    /// gives as bytes (a file or curve name): a `str` when the bytes are
    /// UTF-8, else the `bytes` object.
    pub fn from_name(name: &[u8]) -> Value {
        match std::str::from_utf8(name) {
            Ok(s) => Value::Str(s.to_owned()),
            Err(_) => Value::Bytes(name.to_vec()),
        }
    }

    /// Appends `repr(self)` to `out`.
    fn write_repr(&self, out: &mut String, table: Table) {
        match self {
            Value::None => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::BigInt(s) => out.push_str(s),
            Value::Str(s) => repr_str(s, out, table),
            Value::Bytes(b) => repr_bytes(b, out),
            Value::Tuple(items) => {
                out.push('(');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_repr(out, table);
                }
                if items.len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_repr(out, table);
                }
                out.push(']');
            }
            Value::Dict(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write_repr(out, table);
                    out.push_str(": ");
                    v.write_repr(out, table);
                }
                out.push('}');
            }
        }
    }

    /// `self[key]` for a dict with `str` keys; None when absent or when
    /// `self` is not a dict.
    pub fn dict_get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(entries) => entries.iter().find_map(|(k, v)| match k {
                Value::Str(s) if s == key => Some(v),
                _ => None,
            }),
            _ => None,
        }
    }

    /// The Python type name (`type(self).__name__`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
        }
    }
}

/// A table of non-printable code point ranges (see `printable_table`).
type Table = &'static [(u32, u32)];

/// The non-printable characters of `compat`'s Unicode version (3.11: 14.0,
/// 3.13: 15.1, 3.14: 16.0).
fn non_printable(compat: Compat) -> Table {
    match compat {
        Compat::Py311 => printable_table::NON_PRINTABLE_311,
        Compat::Py313 => printable_table::NON_PRINTABLE_313,
        Compat::Py314 => printable_table::NON_PRINTABLE_314,
    }
}

/// `%*d`-style decimal of `n`, padded on the left with `pad` to `width`.
pub(crate) fn push_decimal(out: &mut String, n: u32, width: usize, pad: char) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    let mut v = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let len = buf.len() - i;
    for _ in len..width {
        out.push(pad);
    }
    buf[i..].iter().for_each(|&b| out.push(char::from(b)));
}

/// Python's `str.isprintable()` for one character in CPython `compat`:
/// false for categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs other than the
/// ASCII space.
pub fn is_printable(c: char, compat: Compat) -> bool {
    is_printable_in(c, non_printable(compat))
}

fn is_printable_in(c: char, table: Table) -> bool {
    let cp = c as u32;
    table
        .binary_search_by(|&(first, last)| {
            if last < cp {
                std::cmp::Ordering::Less
            } else if first > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_err()
}

/// `repr()` of a `str`: single quotes unless the text has a single quote
/// and no double quote; backslash escapes for the quote, backslash, `\t`,
/// `\n`, `\r`; `\xhh`, `\uhhhh` or `\Uhhhhhhhh` for the other characters
/// that are not printable.
fn repr_str(s: &str, out: &mut String, table: Table) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.reserve(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x7f => out.push(c),
            c if is_printable_in(c, table) => out.push(c),
            c => {
                let cp = c as u32;
                let _ = if cp <= 0xff {
                    write!(out, "\\x{cp:02x}")
                } else if cp <= 0xffff {
                    write!(out, "\\u{cp:04x}")
                } else {
                    write!(out, "\\U{cp:08x}")
                };
            }
        }
    }
    out.push(quote);
}

/// `repr()` of a `bytes` object.
fn repr_bytes(b: &[u8], out: &mut String) {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    out.reserve(b.len() + 3);
    out.push('b');
    out.push(quote as char);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c as char);
            }
            c if !(0x20..0x7f).contains(&c) => {
                let _ = write!(out, "\\x{c:02x}");
            }
            c => out.push(c as char),
        }
    }
    out.push(quote as char);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.to_owned())
    }

    fn b(x: &[u8]) -> Value {
        Value::Bytes(x.to_vec())
    }

    // Every expected string below is what /usr/bin/python3.11 (3.11.2)
    // printed for the same value.

    #[test]
    fn each_mode_uses_its_interpreters_unicode_version() {
        // U+1E030 is new in Unicode 15.0, U+1C89 in 16.0; reprs taken from
        // Debian's 3.11.2, trixie's 3.13.5 and sid's 3.14.10.
        let v = Value::Str("\u{1e030}\u{1c89}".into());
        assert_eq!(v.repr_in(Compat::Py311), "'\\U0001e030\\u1c89'");
        assert_eq!(v.repr_in(Compat::Py313), "'\u{1e030}\\u1c89'");
        assert_eq!(v.repr_in(Compat::Py314), "'\u{1e030}\u{1c89}'");
        assert_eq!(v.repr(), v.repr_in(Compat::Py314));
    }

    #[test]
    fn str_quotes() {
        assert_eq!(s("").repr(), "''");
        assert_eq!(s("abc").repr(), "'abc'");
        assert_eq!(s("it's").repr(), "\"it's\"");
        assert_eq!(s("say \"hi\"").repr(), "'say \"hi\"'");
        assert_eq!(s("both ' and \"").repr(), "'both \\' and \"'");
        assert_eq!(s("back\\slash").repr(), "'back\\\\slash'");
    }

    #[test]
    fn str_escapes() {
        assert_eq!(s("\t\n\r").repr(), "'\\t\\n\\r'");
        assert_eq!(s("\0\x01\x1f\x7f").repr(), "'\\x00\\x01\\x1f\\x7f'");
        assert_eq!(s("\u{80}\u{a0}\u{ad}").repr(), "'\\x80\\xa0\\xad'");
        assert_eq!(s("é ü ñ ÿ").repr(), "'é ü ñ ÿ'");
        assert_eq!(
            s("\u{2028}\u{200b}\u{feff}").repr(),
            "'\\u2028\\u200b\\ufeff'"
        );
        assert_eq!(s("\u{3000}x\u{e000}").repr(), "'\\u3000x\\ue000'");
        assert_eq!(s("日本語").repr(), "'日本語'");
        assert_eq!(s("\u{1f600}").repr(), "'\u{1f600}'");
        assert_eq!(
            s("\u{e0001}\u{10ffff}\u{f0000}").repr(),
            "'\\U000e0001\\U0010ffff\\U000f0000'"
        );
        // Unassigned in Unicode 14.0 (assigned in 15.0): escaped by 3.11,
        // printable for 3.14.
        let new15 = s("\u{1f6dc}\u{31350}");
        assert_eq!(new15.repr_in(Compat::Py311), "'\\U0001f6dc\\U00031350'");
        assert_eq!(new15.repr(), "'\u{1f6dc}\u{31350}'");
        // New in Unicode 14.0: printable.
        assert_eq!(s("\u{1f6dd}").repr(), "'\u{1f6dd}'");
        assert_eq!(s("\u{0870}\u{1faf0}").repr(), "'\u{0870}\u{1faf0}'");
        assert_eq!(s("\u{378}\u{d7fc}").repr(), "'\\u0378\\ud7fc'");
    }

    #[test]
    fn bytes_repr() {
        assert_eq!(b(b"").repr(), "b''");
        assert_eq!(b(b"abc").repr(), "b'abc'");
        assert_eq!(b(b"'").repr(), "b\"'\"");
        assert_eq!(b(b"'\"").repr(), "b'\\'\"'");
        assert_eq!(
            b(b"\x00\t\n\r\x1f \x7f\x80\xff\\").repr(),
            "b'\\x00\\t\\n\\r\\x1f \\x7f\\x80\\xff\\\\'"
        );
    }

    #[test]
    fn containers() {
        assert_eq!(Value::Tuple(vec![]).repr(), "()");
        assert_eq!(Value::Tuple(vec![Value::Int(1)]).repr(), "(1,)");
        assert_eq!(Value::List(vec![]).repr(), "[]");
        assert_eq!(Value::List(vec![Value::Int(1), s("x")]).repr(), "[1, 'x']");
        assert_eq!(
            Value::Tuple(vec![Value::Tuple(vec![Value::Tuple(vec![s("a"), s("b")])])]).repr(),
            "((('a', 'b'),),)"
        );
        assert_eq!(
            Value::Tuple(vec![Value::None, Value::Bool(true), Value::Bool(false)]).repr(),
            "(None, True, False)"
        );
        assert_eq!(Value::Dict(vec![]).repr(), "{}");
        let d = Value::Dict(vec![
            (s("version"), Value::Int(3)),
            (s("x"), Value::Int(-5)),
            (
                s("big"),
                Value::BigInt("-123456789012345678901234567890".into()),
            ),
            (s("b"), b(b"\x01")),
        ]);
        assert_eq!(
            d.repr(),
            "{'version': 3, 'x': -5, 'big': -123456789012345678901234567890, 'b': b'\\x01'}"
        );
        assert_eq!(d.dict_get("x"), Some(&Value::Int(-5)));
        assert_eq!(d.dict_get("nope"), None);
        assert_eq!(s("x").dict_get("x"), None);
        assert_eq!(Value::Int(i64::MIN).repr(), "-9223372036854775808");
    }
}
