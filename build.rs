//! Build script: the C header, generated under OUT_DIR (a build script
//! writes nowhere else), and the shared library's SONAME.
//!
//! The committed include/pyssl.h is not touched here: scripts/header.sh
//! compares the header generated here with it (CI) and copies it over
//! (`--update`).
use std::env;
use std::path::Path;

/// Major version in the SONAME; bump on ABI breaks.
const SONAME: &str = "libpyssl.so.0";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{SONAME}");
    }
    header();
}

/// OUT_DIR/pyssl.h, from src/capi and cbindgen.toml.
fn header() {
    let crate_dir = env::var("CARGO_MANIFEST_DIR").unwrap();
    let out_dir = env::var("OUT_DIR").unwrap();
    let config = cbindgen::Config::from_file(Path::new(&crate_dir).join("cbindgen.toml"))
        .expect("cbindgen.toml");
    match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(Path::new(&out_dir).join("pyssl.h"));
        }
        Err(e) => {
            // A parse error must not hide behind a stale header.
            panic!("cbindgen failed: {e}");
        }
    }
}
