//! Build script: OpenSSL error-name tables, the C header, and the shared
//! library's SONAME.
use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// Major version in the SONAME; bump on ABI breaks.
const SONAME: &str = "libpyssl.so.0";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{SONAME}");
    }
    error_names();
    header();
}

/// CPython's `err_codes_to_names` / `lib_codes_to_names` come from OpenSSL's
/// `*err.h` headers; derive ours the same way from the headers we compile
/// against, so `library`/`reason` match for this OpenSSL.
fn error_names() {
    let include = env::var("DEP_OPENSSL_INCLUDE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/usr/include"));
    let dir = include.join("openssl");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut libs: BTreeMap<String, u32> = BTreeMap::new();
    let mut reasons: Vec<(String, String, u32)> = Vec::new();
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.ends_with("err.h") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap_or_default();
        for line in text.lines() {
            let Some((macro_name, value)) = parse_define(line) else {
                continue;
            };
            if let Some(lib) = macro_name.strip_prefix("ERR_LIB_") {
                if lib != "OFFSET" && lib != "MASK" {
                    libs.insert(lib.to_string(), value);
                }
            } else if let Some(pos) = macro_name.find("_R_") {
                let lib = &macro_name[..pos];
                let reason = &macro_name[pos + 3..];
                if !lib.is_empty() && !reason.is_empty() && !lib.starts_with("ERR") {
                    reasons.push((lib.to_string(), reason.to_string(), value));
                }
            }
        }
    }
    let mut out = String::new();
    out.push_str("/// (ERR_LIB_* code, name), from OpenSSL's headers.\n");
    out.push_str("pub static LIBRARIES: &[(i32, &str)] = &[\n");
    for (name, code) in &libs {
        writeln!(out, "    ({code}, {name:?}),").unwrap();
    }
    out.push_str("];\n");
    out.push_str("/// (library code, reason code, reason name), from OpenSSL's headers.\n");
    out.push_str("pub static REASONS: &[(i32, i32, &str)] = &[\n");
    let mut seen = std::collections::BTreeSet::new();
    for (lib, reason, code) in &reasons {
        if let Some(lib_code) = libs.get(lib) {
            if seen.insert((*lib_code, *code)) {
                writeln!(out, "    ({lib_code}, {code}, {reason:?}),").unwrap();
            }
        }
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::write(out_dir.join("err_names.rs"), out).unwrap();
}

/// `# define NAME 123` (with optional `L`) -> (NAME, 123).
fn parse_define(line: &str) -> Option<(&str, u32)> {
    let rest = line.trim_start().strip_prefix('#')?.trim_start();
    let rest = rest.strip_prefix("define")?;
    let mut parts = rest.split_whitespace();
    let name = parts.next()?;
    let value = parts.next()?.trim_end_matches('L');
    if parts.next().is_some() {
        return None;
    }
    value.parse().ok().map(|v| (name, v))
}

/// include/pyssl.h is generated here and committed; CI fails if it drifts.
fn header() {
    let crate_dir = env::var("CARGO_MANIFEST_DIR").unwrap();
    let config = cbindgen::Config::from_file(Path::new(&crate_dir).join("cbindgen.toml"))
        .expect("cbindgen.toml");
    match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(Path::new(&crate_dir).join("include/pyssl.h"));
        }
        Err(e) => {
            // A parse error must not hide behind a stale header.
            panic!("cbindgen failed: {e}");
        }
    }
}
