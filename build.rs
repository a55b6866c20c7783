//! Build script: the C header, generated under OUT_DIR.
//!
//! A build script writes only under OUT_DIR, so the committed
//! include/pyssl.h is not touched here: scripts/header.sh compares the
//! header generated here with it (CI) and copies it over (`--update`).
//!
//! The SONAME is not set here either. It promises a file named
//! libpyssl.so.MAJOR, which only an installer can provide: cargo-c
//! (`cargo cbuild`/`cargo cinstall`, from `[package.metadata.capi]` and
//! the version in Cargo.toml) links with it and makes the links, CMake
//! stages cargo-c's output the same way. A plain `cargo build` gives an
//! unversioned libpyssl.so that a C program links and runs against as it is.
use std::env;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src");
    // cargo-c links with it (tools/link-exports.sh).
    println!("cargo:rerun-if-changed=abi/pyssl.map");
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
