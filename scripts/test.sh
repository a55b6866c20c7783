#!/usr/bin/env bash
# Runs every pyssl test: the Rust checks, the header and ABI checks, C
# programs against cargo's and cargo-c's outputs, the CMake build and CTest
# (cmocka suite, header and symbol checks, packaging, interop), the load tests, the
# Go host's tests (integrations/go), MicroPython's unix port with pyssl's
# ssl module (integrations/micropython), the sanitizer and valgrind runs,
# short fuzz runs, CPython's own SSL tests on a _ssl module patched to run
# on pyssl (3.11 on the host, 3.13 in the trixie chroot), and the suites
# again inside Debian trixie and sid chroots (integrations/debian/).
#   PYSSL_BUILD_DIR   CMake build directory (default: build)
#   PYSSL_JOBS        parallel jobs (default: nproc)
#   PYSSL_QUICK=1     only the Rust checks and CTest (for a quick local run;
#                     also skips the Go and MicroPython hosts' tests)
#   PYSSL_FUZZ_SECONDS  seconds per fuzz target (default: 30)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v cargo >/dev/null && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
build=${PYSSL_BUILD_DIR:-build}
jobs=${PYSSL_JOBS:-$(nproc)}
fuzz_seconds=${PYSSL_FUZZ_SECONDS:-30}
# The CMake build reuses cargo-c's release build instead of a second one.
target_dir=${CARGO_TARGET_DIR:-$root/target}
host=$(rustc -vV | sed -n 's/^host: //p')

step() { printf '\n==> %s  [%ds]\n' "$*" "$((SECONDS - start))"; }
start=$SECONDS

step "cargo test (certificate differential test at CI scale: 5,000 generated + 2,000 mutated)"
PYSSL_CERT_DIFF_COUNT=5000 PYSSL_CERT_DIFF_MUTATED=2000 cargo test

step "cargo build --release"
cargo build --release

step "header drift: a freshly generated pyssl.h is the committed include/pyssl.h"
scripts/header.sh

step "cargo cbuild --release (cargo-c: libpyssl.so with its SONAME, libpyssl.a, pyssl.pc)"
cargo cbuild --release --target "$host"

step "ABI: abidiff of cargo-c's libpyssl.so against abi/ (scripts/abi.sh)"
scripts/abi.sh

step "a C program against cargo build --release's target/release"
tests/cmake-consumer/run.sh cargo "$root" "$target_dir/c-consumers/cargo"

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

# After ctest: cargo cinstall relinks the library that CMake's cbuild uses.
step "a C program against a cargo cinstall prefix (shared through pkg-config, and static)"
tests/cmake-consumer/run.sh cinstall "$root" "$target_dir/c-consumers/cinstall"

if [[ ${PYSSL_QUICK:-0} == 1 ]]; then
    step "quick run: all selected tests passed"
    exit 0
fi

step "Go host (integrations/go): go test -race against python3.11, the echo server and crypto/tls"
integrations/go/test.sh

step "MicroPython host (integrations/micropython): unix port with pyssl's ssl, shared script vs CPython, MicroPython's TLS tests"
integrations/micropython/test.sh

step "load: 100,000 handshakes (flat RSS, no fd leak), 1,000 connections, 8 threads on one context"
PYSSL_LOAD_HANDSHAKES=100000 PYSSL_LOAD_CONNECTIONS=1000 cargo test --release --test load

step "valgrind memcheck of the C suite"
(cd "$build" && ctest -T memcheck -L "pyssl-c|unit" --output-on-failure -j "$jobs")

step "C suite with -fsanitize=address,undefined, on the debug library (Rust's debug assertions on)"
cmake -S "$root" -B "$build-asan" -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=ON \
    -DPYSSL_SANITIZE=ON -DPYSSL_BUILD_EXAMPLES=OFF -DPYSSL_CARGO_TARGET_DIR="$target_dir" \
    -DPYSSL_CARGO_PROFILE=debug
cmake --build "$build-asan" -j "$jobs"
(cd "$build-asan" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest -L "pyssl-c|unit" --output-on-failure -j "$jobs")

step "Rust tests under AddressSanitizer (nightly)"
PYSSL_LOAD_NO_RSS=1 RUSTFLAGS="-Zsanitizer=address" RUSTDOCFLAGS="-Zsanitizer=address" \
    CARGO_TARGET_DIR="$target_dir/asan" cargo +nightly test --target "$host" --tests

step "concurrency tests under ThreadSanitizer (nightly, instrumented std)"
# The symbolizer names the frames inside OpenSSL, which tsan.supp matches.
symbolizer=$(command -v llvm-symbolizer || ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | tail -n 1)
PYSSL_LOAD_NO_RSS=1 PYSSL_LOAD_CONNECTIONS=200 PYSSL_LOAD_HANDSHAKES=300 \
    TSAN_OPTIONS="suppressions=$root/tests/tsan.supp external_symbolizer_path=$symbolizer halt_on_error=1" \
    RUSTFLAGS="-Zsanitizer=thread" CARGO_TARGET_DIR="$target_dir/tsan" \
    cargo +nightly test -Zbuild-std --target "$host" --test load --test capi_hooks --test capi_sni \
    --test capi_locking --test core_io

step "fuzz targets, ${fuzz_seconds}s each (cargo fuzz)"
for t in cert_decode value_repr hostile_peer capi_sequence; do
    mkdir -p "fuzz/corpus/$t"
    log=$(mktemp)
    seeds=()
    [[ -d fuzz/seeds/$t ]] && seeds=("seeds/$t")
    if ! (cd fuzz && cargo +nightly fuzz run "$t" "corpus/$t" "${seeds[@]}" -- \
        -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=1) >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz target $t failed (artifacts in fuzz/artifacts/$t)" >&2
        exit 1
    fi
    echo "$t: $(grep -E '^stat::number_of_executed_units' "$log" | tr -s ' ') $(grep -E '^stat::peak_rss_mb' "$log" | tr -s ' ')"
    rm -f "$log"
done

step "CPython's test_ssl on the _ssl module patched to run on pyssl"
integrations/cpython/test-ssl.sh

step "Python benchmark smoke: stock and patched _ssl in one process (benches/pypaired.py), one short round a case"
benches/gen_certs.sh "$build/pysmoke-certs" >/dev/null
for c in handshake "handshake --tls12" resume "resume --tls12" small bulk peercert get_info get_ca_certs peercert_der; do
    # shellcheck disable=SC2086
    /usr/bin/python3.11 benches/pypaired.py --stock target/cpython/3.11/stock --patched target/cpython/3.11/patched \
        --certs "$build/pysmoke-certs" --case $c --rounds 1 --segment 0.001 >/dev/null
done
echo "pypaired.py: every case ran"

step "CPython 3.13's test_ssl and asyncio SSL tests on its _ssl patched to run on pyssl (trixie chroot)"
integrations/cpython/test-ssl.sh 3.13

step "Rust and C suites in Debian trixie and sid chroots (OpenSSL 3.5/3.6, CPython 3.13/3.14 as oracles)"
PYSSL_BUILD_DIR=$build integrations/debian/test.sh

step "all tests passed in $((SECONDS - start))s"
