#!/usr/bin/env bash
# Installs what building and testing pyssl needs on Debian/Ubuntu:
# the apt packages below, a Rust toolchain with rustfmt and clippy
# (through rustup; Debian's own rustc is too old for the crate) and cargo-c.
#   --build-only   skip what only the full test run needs (nightly Rust,
#                  rust-src, cargo-fuzz)
set -euo pipefail
build_only=0
[[ ${1:-} == --build-only ]] && build_only=1

packages=(
    build-essential ca-certificates clang cbindgen cmake curl git llvm
    gnutls-bin libcmocka-dev libssl-dev openssl pkg-config python3 valgrind
    python3.11 python3-cryptography golang-go
    debootstrap  # integrations/debian/chroot.sh: the trixie and sid chroots
    abigail-tools  # scripts/abi.sh: abidw/abidiff, the ABI guard
    # integrations/micropython: apt-get source (dpkg-source, the archive
    # keyring, xz) and the unix port's build (libffi)
    dpkg-dev debian-archive-keyring xz-utils libffi-dev
    libmbedtls-dev  # integrations/micropython/bench.sh: MicroPython's own TLS module
)

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        echo "install-deps: need root (or sudo) to run: $*" >&2
        exit 1
    fi
}

echo "==> apt-get install ${packages[*]}"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${packages[@]}"

# Rust: keep an existing toolchain, otherwise install rustup's stable one.
if ! command -v cargo >/dev/null && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
    echo "==> installing Rust with rustup (https://rustup.rs)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
        sh -s -- -y --profile minimal --component rustfmt,clippy
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
if command -v rustup >/dev/null; then
    installed=$(rustup component list --installed)
    for c in rustfmt clippy; do
        if ! grep -q "^$c" <<<"$installed"; then
            echo "==> rustup component add $c"
            rustup component add "$c"
        fi
    done
fi
# cargo-c (cargo cbuild/cinstall) builds and installs the C library; CMake
# drives it. Pinned: 0.10.24 is the newest that builds with rustc 1.95.
# Built unoptimized (--debug): it only drives cargo, and on 2 cores that
# build takes about 4 minutes where the optimized one takes about 22.
cargo_c_version=0.10.24
if ! cargo cbuild --version >/dev/null 2>&1; then
    echo "==> cargo install cargo-c --version $cargo_c_version --locked --debug"
    cargo install cargo-c --version "$cargo_c_version" --locked --debug
fi
# Nightly for the sanitizer runs (with rust-src for the thread sanitizer's
# instrumented std) and cargo-fuzz.
if [[ $build_only == 1 ]]; then
    echo "==> dependencies ready for building ($(cargo --version))"
    exit 0
fi
if command -v rustup >/dev/null; then
    if ! rustup run nightly rustc --version >/dev/null 2>&1; then
        echo "==> rustup toolchain install nightly"
        rustup toolchain install nightly --profile minimal
    fi
    if ! rustup component list --toolchain nightly --installed | grep -q '^rust-src'; then
        echo "==> rustup component add rust-src --toolchain nightly"
        rustup component add rust-src --toolchain nightly
    fi
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> cargo install cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

for tool in cargo "cargo fmt" "cargo clippy" "cargo cbuild" "cargo +nightly" "cargo fuzz"; do
    $tool --version >/dev/null 2>&1 || { echo "install-deps: '$tool' is not available" >&2; exit 1; }
done
echo "==> dependencies ready ($(cargo --version))"
