//! Build script: the C header and the shared library's SONAME.
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
