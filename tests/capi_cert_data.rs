//! `pyssl_context_load_cert_chain_data`: certificates and keys from memory,
//! PEM or DER, against `load_cert_chain` on files with the same content
//! (pyssl's own and, when installed, Debian's CPython 3.11).

mod common;

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;

use pyssl::capi::*;

const ORACLE: &str = "/usr/bin/python3.11";

/// Runs the openssl CLI in `dir` with the words of `args`.
fn openssl(dir: &Path, args: &str) {
    common::openssl(dir, &args.split_whitespace().collect::<Vec<_>>());
}

/// An RSA leaf signed by the common CA, and its key in every form, made
/// once per test process: the tests run in parallel and must not rewrite
/// each other's files.
fn keys() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(make_keys).clone()
}

fn make_keys() -> PathBuf {
    let c = common::certs();
    let dir = c.dir.join("certdata");
    std::fs::create_dir_all(&dir).unwrap();
    let ca = c.dir.join("ca.pem");
    let cakey = c.dir.join("ca.key");
    let (ca, cakey) = (ca.to_str().unwrap(), cakey.to_str().unwrap());
    openssl(
        &dir,
        "req -newkey rsa:2048 -nodes -keyout k8.pem -out leaf.csr -subj /CN=localhost",
    );
    openssl(
        &dir,
        &format!(
            "x509 -req -in leaf.csr -CA {ca} -CAkey {cakey} -CAcreateserial -out leaf.pem -days 30"
        ),
    );
    for step in [
        "rsa -in k8.pem -traditional -out k1.pem",
        "rsa -in k8.pem -traditional -aes128 -passout pass:pw -out k1enc.pem",
        "pkcs8 -topk8 -in k8.pem -passout pass:pw -out k8enc.pem",
        "rsa -in k8.pem -traditional -outform DER -out k1.der",
        "pkcs8 -topk8 -nocrypt -in k8.pem -outform DER -out k8.der",
        "pkcs8 -topk8 -in k8.pem -passout pass:pw -outform DER -out k8enc.der",
        "x509 -in leaf.pem -outform DER -out leaf.der",
        &format!("x509 -in {ca} -outform DER -out ca.der"),
        // Another RSA key (a mismatch) and a key of another type (EC).
        "genrsa -out other.pem 2048",
    ] {
        openssl(&dir, step);
    }
    std::fs::copy(ca, dir.join("ca.pem")).unwrap();
    std::fs::copy(c.dir.join("server.key"), dir.join("ec.pem")).unwrap();
    std::fs::write(dir.join("garbage.pem"), b"garbage\n").unwrap();
    std::fs::write(dir.join("empty.pem"), b"").unwrap();
    let cat = |out: &str, parts: &[&str]| {
        let mut v = Vec::new();
        for p in parts {
            v.extend(std::fs::read(dir.join(p)).unwrap());
        }
        std::fs::write(dir.join(out), v).unwrap();
    };
    cat("chain.pem", &["leaf.pem", "ca.pem"]);
    cat("keycert.pem", &["k8.pem", "leaf.pem"]);
    cat("certkey.pem", &["leaf.pem", "ca.pem", "k1.pem"]);
    cat("chain.der", &["leaf.der", "ca.der"]);
    cat("certkey.der", &["leaf.der", "ca.der", "k8.der"]);
    dir
}

/// `str()` of the error with the location suffix dropped.
fn strip(msg: &str) -> &str {
    match msg.rfind(" (") {
        Some(i) if msg.ends_with(')') => &msg[..i],
        _ => msg,
    }
}

fn last_error() -> String {
    // SAFETY: the last error's strings are valid until the next failing call.
    unsafe {
        let t = CStr::from_ptr(pyssl_error_type()).to_str().unwrap();
        let m = CStr::from_ptr(pyssl_error_message()).to_str().unwrap();
        format!("{t}: {}", strip(m))
    }
}

fn outcome(r: i32) -> String {
    if r == 0 {
        "OK".into()
    } else {
        last_error()
    }
}

fn pw_c(pw: Option<&str>) -> Option<CString> {
    pw.map(|p| CString::new(p).unwrap())
}

fn from_data(dir: &Path, cert: &str, key: Option<&str>, pw: Option<&str>) -> String {
    let ctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_SERVER);
    let c = std::fs::read(dir.join(cert)).unwrap();
    let k = key.map_or(Vec::new(), |k| std::fs::read(dir.join(k)).unwrap());
    let pw = pw_c(pw);
    let r = pyssl_context_load_cert_chain_data(
        ctx,
        c.as_ptr().cast(),
        c.len(),
        k.as_ptr().cast(),
        k.len(),
        pw.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
    );
    let o = outcome(r);
    pyssl_context_free(ctx);
    o
}

fn from_file(dir: &Path, cert: &str, key: Option<&str>, pw: Option<&str>) -> String {
    let ctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_SERVER);
    let path = |n: &str| CString::new(dir.join(n).to_str().unwrap()).unwrap();
    let (c, k, pw) = (path(cert), key.map(path), pw_c(pw));
    let r = pyssl_context_load_cert_chain(
        ctx,
        c.as_ptr(),
        k.as_ref().map_or(std::ptr::null(), |k| k.as_ptr()),
        pw.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
    );
    let o = outcome(r);
    pyssl_context_free(ctx);
    o
}

/// The PEM cases: each has a file equivalent.
const PEM_CASES: &[(&str, Option<&str>, Option<&str>)] = &[
    ("leaf.pem", Some("k8.pem"), None),
    ("leaf.pem", Some("k1.pem"), None),
    ("leaf.pem", Some("k8enc.pem"), Some("pw")),
    ("leaf.pem", Some("k8enc.pem"), Some("bad")),
    ("leaf.pem", Some("k1enc.pem"), Some("pw")),
    ("leaf.pem", Some("k1enc.pem"), Some("bad")),
    ("leaf.pem", Some("other.pem"), None),
    ("leaf.pem", Some("ec.pem"), None),
    ("leaf.pem", Some("garbage.pem"), None),
    ("leaf.pem", None, None),
    ("chain.pem", Some("k8.pem"), None),
    ("keycert.pem", None, None),
    ("certkey.pem", None, None),
    ("garbage.pem", Some("k8.pem"), None),
    ("empty.pem", Some("k8.pem"), None),
    ("ca.pem", Some("k8.pem"), None),
    ("leaf.pem", Some("k8.pem"), Some("unused")),
];

#[test]
fn pem_data_loads_as_the_same_file_does() {
    let dir = keys();
    let mut bad = Vec::new();
    for &(cert, key, pw) in PEM_CASES {
        let data = from_data(&dir, cert, key, pw);
        let file = from_file(&dir, cert, key, pw);
        println!("{cert} {key:?} {pw:?}: {data}");
        if data != file {
            bad.push(format!("{cert} {key:?} {pw:?}: data {data} / file {file}"));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
    // The texts themselves.
    assert_eq!(
        from_data(&dir, "leaf.pem", Some("k8enc.pem"), Some("bad")),
        "SSLError: [SSL] PEM lib"
    );
    assert_eq!(
        from_data(&dir, "leaf.pem", Some("other.pem"), None),
        "SSLError: [X509: KEY_VALUES_MISMATCH] key values mismatch"
    );
    assert_eq!(
        from_data(&dir, "garbage.pem", None, None),
        "SSLError: [SSL] PEM lib"
    );
}

#[test]
fn pem_data_loads_as_cpython_loads_the_file() {
    if !Path::new(ORACLE).exists() {
        println!("NOTICE: {ORACLE} (the CPython oracle) is not installed: skipped");
        return;
    }
    let dir = keys();
    let mut script = String::from(
        "import ssl, sys\nfor c, k, p in CASES:\n    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n    try:\n        ctx.load_cert_chain(c, k, p); print('OK')\n    except Exception as e:\n        print(type(e).__name__ + ': ' + str(e))\n",
    );
    let lit = |o: Option<&str>| o.map_or("None".to_owned(), |s| format!("{s:?}"));
    let cases: Vec<String> = PEM_CASES
        .iter()
        .map(|&(c, k, p)| format!("({c:?}, {}, {})", lit(k), lit(p)))
        .collect();
    script = format!("CASES = [{}]\n{script}", cases.join(", "));
    let out = Command::new(ORACLE)
        .arg("-c")
        .arg(&script)
        .current_dir(&dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let want: Vec<&str> = text.lines().collect();
    assert_eq!(want.len(), PEM_CASES.len(), "{text}");
    let mut bad = Vec::new();
    for (&(cert, key, pw), want) in PEM_CASES.iter().zip(want) {
        let got = from_data(&dir, cert, key, pw);
        if got != strip(want) {
            bad.push(format!(
                "{cert} {key:?} {pw:?}: pyssl {got} / python {want}"
            ));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn der_and_mixed_forms_load() {
    let dir = keys();
    for (cert, key, pw) in [
        ("leaf.der", Some("k1.der"), None),
        ("leaf.der", Some("k8.der"), None),
        ("leaf.der", Some("k8enc.der"), Some("pw")),
        ("leaf.der", Some("k8.pem"), None),
        ("leaf.pem", Some("k1.der"), None),
        ("leaf.pem", Some("k8enc.der"), Some("pw")),
        ("leaf.der", Some("k1enc.pem"), Some("pw")),
        ("chain.der", Some("k8.der"), None),
        ("certkey.der", None, None),
    ] {
        assert_eq!(from_data(&dir, cert, key, pw), "OK", "{cert} {key:?}");
    }
    // Failures are the PEM loader's, as for a file of the same bytes.
    for (cert, key, pw, want) in [
        (
            "leaf.der",
            Some("k8enc.der"),
            Some("bad"),
            "SSLError: [SSL] PEM lib",
        ),
        (
            "leaf.der",
            Some("k8enc.der"),
            None,
            "SSLError: [SSL] PEM lib",
        ),
        ("leaf.der", None, None, "SSLError: [SSL] PEM lib"),
        (
            "leaf.der",
            Some("other.pem"),
            None,
            "SSLError: [X509: KEY_VALUES_MISMATCH] key values mismatch",
        ),
        (
            "ca.der",
            Some("k8.der"),
            None,
            "SSLError: [SSL: NO_CERTIFICATE_ASSIGNED] no certificate assigned",
        ),
    ] {
        assert_eq!(
            from_data(&dir, cert, key, pw),
            want,
            "{cert} {key:?} {pw:?}"
        );
    }
}

#[test]
fn bad_arguments() {
    let ctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_SERVER);
    let bad = pyssl_status::PYSSL_ERROR_BAD_ARGUMENT as i32;
    let n = std::ptr::null();
    assert_eq!(
        pyssl_context_load_cert_chain_data(ctx, n, 10, n, 0, std::ptr::null()),
        bad
    );
    let c = b"x";
    assert_eq!(
        pyssl_context_load_cert_chain_data(ctx, c.as_ptr().cast(), 1, n, 5, std::ptr::null()),
        bad
    );
    assert_eq!(
        pyssl_context_load_cert_chain_data(
            std::ptr::null_mut(),
            c.as_ptr().cast(),
            1,
            n,
            0,
            std::ptr::null()
        ),
        bad
    );
    pyssl_context_free(ctx);
}
