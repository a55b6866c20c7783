//! Value-returning context and socket calls compared with Python's own
//! output for the same configuration (get_ca_certs, get_ciphers,
//! session_stats).

mod common;

use std::ffi::CStr;
use std::process::Command;

use pyssl::capi::*;

fn python(exe: &str, code: &str, arg: &str) -> Option<String> {
    let oracle_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle");
    let out = Command::new(exe)
        .args(["-c", code, arg, oracle_dir])
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{exe}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap().trim_end().to_owned())
}

fn repr(v: *mut pyssl_value) -> String {
    let p = pyssl_value_repr(v);
    // SAFETY: a NUL-terminated string from pyssl, freed below.
    let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    pyssl_string_free(p);
    pyssl_value_free(v);
    s
}

fn py313() -> Option<String> {
    let root = std::env::var("PYENV_ROOT")
        .unwrap_or_else(|_| format!("{}/.pyenv", std::env::var("HOME").unwrap_or_default()));
    let p = format!("{root}/versions/3.13.0/bin/python3.13");
    std::path::Path::new(&p).exists().then_some(p)
}

const PY: &str = r#"
import ssl, sys
sys.path.insert(0, sys.argv[2])
import debian_build  # contexts as Debian builds them
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(sys.argv[1])
print(repr(ctx.get_ca_certs()))
print(repr(ctx.get_ca_certs(True)))
print(repr(ctx.get_ciphers()))
print(repr(ctx.session_stats()))
"#;

#[test]
fn values_match_python() {
    let c = common::certs();
    let ca = c.path("ca.pem");
    let mut oracles = vec![(PYSSL_COMPAT_3_11, Some("/usr/bin/python3.11".to_owned()))];
    oracles.push((PYSSL_COMPAT_3_13, py313()));
    for (compat, exe) in oracles {
        let Some(exe) = exe.filter(|e| std::path::Path::new(e).exists()) else {
            eprintln!("SKIPPED: no Python oracle for compat {compat}");
            continue;
        };
        let want = python(&exe, PY, ca.to_str().unwrap()).unwrap();
        let want: Vec<&str> = want.lines().collect();
        let ctx = pyssl_context_new_compat(PYSSL_PROTOCOL_TLS_CLIENT, compat);
        assert_eq!(
            pyssl_context_load_verify_locations(ctx, ca.as_ptr(), std::ptr::null()),
            0
        );
        let mut v = std::ptr::null_mut();
        assert_eq!(pyssl_context_get_ca_certs(ctx, 0, &mut v), 0);
        assert_eq!(repr(v), want[0], "get_ca_certs() vs {exe}");
        assert_eq!(pyssl_context_get_ca_certs(ctx, 1, &mut v), 0);
        assert_eq!(repr(v), want[1], "get_ca_certs(True) vs {exe}");
        assert_eq!(pyssl_context_get_ciphers(ctx, &mut v), 0);
        assert_eq!(repr(v), want[2], "get_ciphers() vs {exe}");
        assert_eq!(pyssl_context_session_stats(ctx, &mut v), 0);
        assert_eq!(repr(v), want[3], "session_stats() vs {exe}");
        pyssl_context_free(ctx);
    }
}
