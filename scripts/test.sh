#!/usr/bin/env bash
# Runs every pyssl test: the Rust checks, then the CMake build and CTest
# (cmocka suite, header and symbol checks, packaging, interop).
#   PYSSL_BUILD_DIR   CMake build directory (default: build)
#   PYSSL_JOBS        parallel jobs (default: nproc)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v cargo >/dev/null && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
build=${PYSSL_BUILD_DIR:-build}
jobs=${PYSSL_JOBS:-$(nproc)}
# The CMake build reuses cargo's own release build instead of a second one.
target_dir=${CARGO_TARGET_DIR:-$root/target}

step() { printf '\n==> %s\n' "$*"; }
start=$SECONDS

step "cargo test"
cargo test

step "cargo build --release"
cargo build --release

step "header drift: include/pyssl.h matches the committed one"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$root" diff --exit-code -- include/pyssl.h ||
        { echo "include/pyssl.h changed when built: commit the regenerated header" >&2; exit 1; }
else
    echo "not a git checkout: skipped"
fi

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

step "cmake configure ($build)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON \
    -DPYSSL_CARGO_TARGET_DIR="$target_dir"

step "cmake build"
cmake --build "$build" -j "$jobs"

step "ctest"
(cd "$build" && ctest --output-on-failure -j "$jobs")

step "all tests passed in $((SECONDS - start))s"
