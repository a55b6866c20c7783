//! Differential test against CPython: the OpenSSL library and reason names
//! pyssl uses in a mode, on the OpenSSL it runs on, are exactly the table
//! the oracle interpreter's `_ssl` has compiled in (read by
//! tools/dump_ssl_err_table.py). CPython prints `[LIB: REASON]` only for
//! the names in its table, so every entry shows in some error text.
//!
//! Oracles: Debian's /usr/bin/python3.11 for 3.11 mode; for 3.13/3.14 mode
//! `$PYENV_ROOT/versions/3.13.0/bin/python3.13`, which the Debian chroots
//! (integrations/debian) point at their python3.13 or python3.14, with
//! `PYSSL_ORACLE_COMPAT` (313 or 314, default 313) naming the mode.
//! Without an oracle the test prints a notice and passes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use pyssl::compat::Compat;
use pyssl::error::{library_table, reason_table, ErrNames};

fn oracles() -> Vec<(Compat, PathBuf)> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".pyenv")
        });
    let default = match std::env::var("PYSSL_ORACLE_COMPAT").as_deref() {
        Ok("314") => Compat::Py314,
        Ok("313") | Err(_) => Compat::Py313,
        Ok(other) => panic!("PYSSL_ORACLE_COMPAT={other}: want 313 or 314"),
    };
    vec![
        (Compat::Py311, PathBuf::from("/usr/bin/python3.11")),
        (default, root.join("versions/3.13.0/bin/python3.13")),
    ]
}

type Table = (BTreeMap<i32, String>, BTreeMap<(i32, i32), String>);

/// The oracle's tables, as tools/dump_ssl_err_table.py prints them.
fn dump(python: &Path) -> (String, Table) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/dump_ssl_err_table.py");
    let out = Command::new(python).arg(&script).output().unwrap();
    assert!(
        out.status.success(),
        "{} {}: {}",
        python.display(),
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (mut version, mut openssl) = (String::new(), String::new());
    let (mut libs, mut reasons) = (BTreeMap::new(), BTreeMap::new());
    for line in text.lines() {
        let f: Vec<&str> = line.splitn(4, ' ').collect();
        match f[0] {
            "version" => version = line[8..].to_owned(),
            "openssl" => openssl = line[8..].to_owned(),
            "library" => {
                libs.insert(f[1].parse().unwrap(), f[2].to_owned());
            }
            "reason" => {
                reasons.insert(
                    (f[1].parse().unwrap(), f[2].parse().unwrap()),
                    f[3].to_owned(),
                );
            }
            _ => panic!("unexpected line from the dump: {line:?}"),
        }
    }
    (format!("CPython {version} on {openssl}"), (libs, reasons))
}

#[test]
fn name_tables_are_the_oracles() {
    for (compat, python) in oracles() {
        if !python.exists() {
            eprintln!(
                "NOTICE: {compat:?} names not compared: oracle {} not found",
                python.display()
            );
            continue;
        }
        let (what, (libs, reasons)) = dump(&python);
        let names = ErrNames::of(compat);
        let ours_libs: BTreeMap<i32, String> = library_table(names)
            .map(|(c, n)| (c, n.to_owned()))
            .collect();
        let ours: BTreeMap<(i32, i32), String> = reason_table(names)
            .map(|(l, r, n)| ((l, r), n.to_owned()))
            .collect();
        assert!(
            reasons.len() > 1000,
            "{what}: only {} reasons read",
            reasons.len()
        );
        let missing: Vec<_> = reasons
            .iter()
            .filter(|(k, v)| ours.get(k) != Some(v))
            .collect();
        let extra: Vec<_> = ours
            .iter()
            .filter(|(k, v)| reasons.get(k) != Some(v))
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{compat:?} against {what}: {} names differ; oracle only: {:?}; pyssl only: {:?}",
            missing.len() + extra.len(),
            &missing[..missing.len().min(10)],
            &extra[..extra.len().min(10)]
        );
        assert_eq!(ours_libs, libs, "{compat:?} against {what}: library names");
        eprintln!(
            "{compat:?}: {} reasons and {} libraries, as {what}",
            reasons.len(),
            libs.len()
        );
    }
}
