//! Differential tests against CPython: certificates decoded by
//! `_ssl._test_decode_cert` in Debian's CPython 3.11 (the oracle) and by
//! pyssl must give the same `repr()`, or the same exception class and
//! message; random text and bytes must give the same `repr()` and the same
//! UTF-8 decoding errors.
//!
//! tests/certgen/gen_certs.py writes the corpus and the oracle's answers.
//! Environment:
//! - `PYSSL_CERT_DIFF_COUNT` (default 500): generated certificates;
//! - `PYSSL_CERT_DIFF_MUTATED` (default 200): byte-level mutations of them;
//! - `PYSSL_CERT_DIFF_STRINGS` (default 2000): random strings and bytes;
//! - `PYSSL_CERT_DIFF_SEED` (default 1): the generator's seed;
//! - `PYSSL_CERT_DIFF_KEEP`: keep the corpus directory even on success;
//! - `PYSSL_CERT_DIFF_PYTHON` (default `/usr/bin/python3.11`): the oracle;
//! - `PYSSL_ORACLE_COMPAT` (313 or 314; default 311, for Debian's 3.11):
//!   the pyssl mode whose error texts are compared with the oracle's.
//!
//! Without the oracle the tests print a notice and pass.

use std::ffi::{CStr, CString};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use pyssl::capi::*;
use pyssl::error::decode_utf8;
use pyssl::error::PyErr;
use pyssl::value::Value;

/// Debian's CPython 3.11 (not whatever `python3.11` is first on PATH).
const ORACLE: &str = "/usr/bin/python3.11";

/// The oracle's path: `PYSSL_CERT_DIFF_PYTHON` or [`ORACLE`].
fn oracle() -> String {
    std::env::var("PYSSL_CERT_DIFF_PYTHON").unwrap_or_else(|_| ORACLE.to_owned())
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}")),
        Err(_) => default,
    }
}

/// Writes a line straight to stderr: the test harness captures `println!`
/// and `eprintln!` of passing tests, and these lines must show.
fn notice(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn oracle_available(test: &str) -> bool {
    let python = oracle();
    if Path::new(&python).exists() {
        return true;
    }
    notice(&format!(
        "NOTICE: {test} SKIPPED: {python} (the CPython oracle) is not installed"
    ));
    false
}

/// A fresh directory under cargo's scratch area for integration tests.
fn work_dir(tag: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cert_diff-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_generator(args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/certgen/gen_certs.py");
    let out = Command::new(oracle())
        .arg(&script)
        .args(args)
        .output()
        .expect("running the CPython oracle");
    assert!(
        out.status.success(),
        "gen_certs.py failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Parses expected.txt: `NAME \n LEN \n TEXT \n` records.
fn read_expected(dir: &Path) -> Vec<(String, String)> {
    let data = std::fs::read(dir.join("expected.txt")).unwrap();
    let mut out = Vec::new();
    let mut rest = &data[..];
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').unwrap();
        let name = String::from_utf8(rest[..nl].to_vec()).unwrap();
        rest = &rest[nl + 1..];
        let nl = rest.iter().position(|&b| b == b'\n').unwrap();
        let len: usize = std::str::from_utf8(&rest[..nl]).unwrap().parse().unwrap();
        rest = &rest[nl + 1..];
        let text = String::from_utf8(rest[..len].to_vec()).unwrap();
        assert_eq!(rest[len], b'\n');
        rest = &rest[len + 1..];
        out.push((name, text));
    }
    out
}

/// `str(exc)` as Python prints it (pyssl's message is exactly that).
fn py_str(e: &PyErr) -> String {
    e.message.clone()
}

/// Drops the ` (file.rs:LINE)` suffix pyssl puts where CPython puts
/// ` (_ssl.c:LINE)` (which the generator already removed).
fn strip_location(msg: &str) -> &str {
    let Some(open) = msg.rfind(" (") else {
        return msg;
    };
    let tail = &msg[open + 2..];
    let Some(inner) = tail.strip_suffix(')') else {
        return msg;
    };
    match inner.rsplit_once(':') {
        Some((file, line))
            if file.ends_with(".rs")
                && !line.is_empty()
                && line.bytes().all(|b| b.is_ascii_digit()) =>
        {
            &msg[..open]
        }
        _ => msg,
    }
}

fn outcome(r: Result<Value, PyErr>) -> String {
    match r {
        Ok(v) => v.repr_in(compat()),
        Err(e) => strip_location(&format!("{}: {}", e.exc_type, py_str(&e))).to_owned(),
    }
}

/// Rebuilds a value through the C accessors only.
///
/// # Safety
/// `v` must be a live value from pyssl.
unsafe fn from_c(v: *const pyssl_value) -> Value {
    // SAFETY: v is live per the caller; every child is borrowed from the
    // same root, and the strings from pyssl are freed once.
    unsafe {
        let kind = pyssl_value_kind(v);
        assert!(kind >= 0, "pyssl_value_kind failed");
        match kind {
            k if k == pyssl_value_type::PYSSL_VALUE_NONE as i32 => Value::None,
            k if k == pyssl_value_type::PYSSL_VALUE_BOOL as i32 => {
                Value::Bool(pyssl_value_bool(v) == 1)
            }
            k if k == pyssl_value_type::PYSSL_VALUE_INT as i32 => {
                let mut i = 0i64;
                if pyssl_value_int(v, &mut i) == 0 {
                    Value::Int(i)
                } else {
                    let p = pyssl_value_int_text(v);
                    let s = CStr::from_ptr(p).to_str().unwrap().to_owned();
                    pyssl_string_free(p);
                    Value::BigInt(s)
                }
            }
            k if k == pyssl_value_type::PYSSL_VALUE_STR as i32 => {
                let mut len = 0usize;
                let p = pyssl_value_str(v, &mut len);
                assert!(!p.is_null());
                assert_eq!(pyssl_value_len(v), len as isize);
                let b = std::slice::from_raw_parts(p.cast::<u8>(), len + 1);
                assert_eq!(b[len], 0);
                Value::Str(String::from_utf8(b[..len].to_vec()).unwrap())
            }
            k if k == pyssl_value_type::PYSSL_VALUE_BYTES as i32 => {
                let mut len = 0usize;
                let p = pyssl_value_bytes(v, &mut len);
                assert!(!p.is_null());
                Value::Bytes(std::slice::from_raw_parts(p, len).to_vec())
            }
            k if k == pyssl_value_type::PYSSL_VALUE_TUPLE as i32 => {
                let n = pyssl_value_len(v);
                assert!(n >= 0);
                assert!(pyssl_value_tuple_item(v, n as usize).is_null());
                Value::Tuple(
                    (0..n as usize)
                        .map(|i| from_c(pyssl_value_tuple_item(v, i)))
                        .collect(),
                )
            }
            k if k == pyssl_value_type::PYSSL_VALUE_DICT as i32 => {
                let n = pyssl_value_len(v);
                assert!(n >= 0);
                let mut entries = Vec::new();
                for i in 0..n as usize {
                    let key = from_c(pyssl_value_dict_key(v, i));
                    let value = pyssl_value_dict_value(v, i);
                    if let Value::Str(s) = &key {
                        if let Ok(c) = CString::new(s.as_str()) {
                            assert_eq!(pyssl_value_dict_get(v, c.as_ptr()), value);
                        }
                    }
                    entries.push((key, from_c(value)));
                }
                Value::Dict(entries)
            }
            k => panic!("unknown kind {k}"),
        }
    }
}

/// The pyssl mode the oracle is: `PYSSL_ORACLE_COMPAT`, else 3.11.
fn oracle_compat() -> i32 {
    match std::env::var("PYSSL_ORACLE_COMPAT").as_deref() {
        Err(_) => PYSSL_COMPAT_3_11,
        Ok("313") => PYSSL_COMPAT_3_13,
        Ok("314") => PYSSL_COMPAT_3_14,
        Ok(other) => panic!("PYSSL_ORACLE_COMPAT={other}: want 313 or 314"),
    }
}

/// [`oracle_compat`] as a mode.
fn compat() -> pyssl::compat::Compat {
    pyssl::compat::Compat::from_code(oracle_compat()).unwrap()
}

/// The outcome through the C surface: `pyssl_test_decode_cert_compat`, then the
/// tree read back with the accessors and checked against
/// `pyssl_value_repr`.
fn outcome_via_c(path: &CStr) -> String {
    let mut out: *mut pyssl_value = std::ptr::null_mut();
    // SAFETY: path is a C string and out a local; on success out is a live
    // root, read and then freed once, as is the repr string.
    unsafe {
        let rc = pyssl_test_decode_cert_compat(path.as_ptr(), oracle_compat(), &mut out);
        if rc != 0 {
            assert!(rc < 0 && out.is_null());
            let e = pyssl::capi::error::last().expect("a failed call records its error");
            assert_eq!(pyssl_status::from(e.status) as i32, rc);
            return outcome(Err(e));
        }
        let v = from_c(out);
        let p = pyssl_value_repr_compat(out, oracle_compat());
        let repr = CStr::from_ptr(p).to_str().unwrap().to_owned();
        pyssl_string_free(p);
        pyssl_value_free(out);
        assert_eq!(
            v.repr_in(compat()),
            repr,
            "accessors and pyssl_value_repr_compat disagree"
        );
        repr
    }
}

/// Compares every case; returns the number of cases.
fn compare(dir: &Path, expected: &[(String, String)], actual: impl Fn(&str) -> String) -> usize {
    let mut failures = Vec::new();
    for (name, want) in expected {
        let got = actual(name);
        if &got != want {
            failures.push((name, want, got));
        }
    }
    if !failures.is_empty() {
        let mut report = format!(
            "{} of {} cases differ from CPython (corpus kept in {}):\n",
            failures.len(),
            expected.len(),
            dir.display()
        );
        for (name, want, got) in failures.iter().take(15) {
            report.push_str(&format!("--- {name}\n  python: {want}\n  pyssl:  {got}\n"));
        }
        panic!("{report}");
    }
    expected.len()
}

fn finish(dir: &Path) {
    if std::env::var_os("PYSSL_CERT_DIFF_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(dir);
    } else {
        println!("corpus kept in {}", dir.display());
    }
}

#[test]
fn certificates_decode_like_cpython() {
    if !oracle_available("certificates_decode_like_cpython") {
        return;
    }
    let count = env_usize("PYSSL_CERT_DIFF_COUNT", 500);
    let mutated = env_usize("PYSSL_CERT_DIFF_MUTATED", 200);
    let seed = env_usize("PYSSL_CERT_DIFF_SEED", 1);
    let dir = work_dir("certs");
    run_generator(&[
        "certs",
        dir.to_str().unwrap(),
        "--count",
        &count.to_string(),
        "--mutated",
        &mutated.to_string(),
        "--seed",
        &seed.to_string(),
    ]);
    let expected = read_expected(&dir);
    assert!(expected.len() >= count + mutated, "corpus is incomplete");
    let decoded_ok = expected.iter().filter(|(_, t)| t.starts_with('{')).count();
    let n = compare(&dir, &expected, |name| {
        let path = CString::new(dir.join(name).into_os_string().into_encoded_bytes()).unwrap();
        // Start from an empty OpenSSL error queue, as the generator does.
        // SAFETY: only touches this thread's error queue.
        unsafe { openssl_sys::ERR_clear_error() };
        let direct = outcome(pyssl::x509::decode::test_decode_cert(&path, compat()));
        // SAFETY: as above.
        unsafe { openssl_sys::ERR_clear_error() };
        let via_c = outcome_via_c(&path);
        assert_eq!(direct, via_c, "{name}: the Rust and C surfaces disagree");
        direct
    });
    notice(&format!(
        "cert_diff: {n} cases (seed {seed}: {count} generated, {mutated} mutated, plus fixed \
         files), {decoded_ok} decoded to a dict, all identical to CPython"
    ));
    finish(&dir);
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn strings_repr_and_decode_like_cpython() {
    if !oracle_available("strings_repr_and_decode_like_cpython") {
        return;
    }
    let count = env_usize("PYSSL_CERT_DIFF_STRINGS", 2000);
    let seed = env_usize("PYSSL_CERT_DIFF_SEED", 1);
    let dir = work_dir("strings");
    run_generator(&[
        "strings",
        dir.to_str().unwrap(),
        "--count",
        &count.to_string(),
        "--seed",
        &seed.to_string(),
    ]);
    let expected = read_expected(&dir);
    let n = compare(&dir, &expected, |name| {
        let (kind, hex) = name.split_once(':').unwrap();
        let raw = unhex(hex);
        match kind {
            "s" => Value::Str(String::from_utf8(raw).unwrap()).repr_in(compat()),
            "y" => Value::Bytes(raw).repr_in(compat()),
            "b" => outcome(decode_utf8(&raw).map(Value::Str)),
            _ => panic!("unknown case kind {kind}"),
        }
    });
    notice(&format!(
        "strings_diff: {n} cases (seed {seed}), all identical to CPython"
    ));
    finish(&dir);
}
