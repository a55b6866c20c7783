#!/usr/bin/env bash
# Builds libpyssl (cargo build --release) and runs the Go package's tests
# under the race detector, against Debian's python3.11 and the pyssl echo
# server. Nothing is fetched: GOTOOLCHAIN=local, GOPROXY=off.
#   CARGO_TARGET_DIR   cargo's target directory (default: <repo>/target)
#   PYSSL_PYTHON       the Python to compare with (default: /usr/bin/python3.11)
#   GO_TEST_FLAGS      extra `go test` flags (e.g. -run Echo)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if ! command -v cargo >/dev/null && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
# Debian's golang-go puts go in /usr/bin; the versioned dir is a fallback.
if ! command -v go >/dev/null && [[ -x /usr/lib/go/bin/go ]]; then
    export PATH="/usr/lib/go/bin:$PATH"
fi
target_dir=${CARGO_TARGET_DIR:-$root/target}

(cd "$root" && cargo build --release)

# cargo writes libpyssl.so with the SONAME libpyssl.so.0 but no file of
# that name: binaries linked to it look for libpyssl.so.0 at run time.
# A directory of the two links, on the rpath, serves both the linker
# (-lpyssl) and the loader.
lib="$target_dir/go-lib"
mkdir -p "$lib"
ln -sf "$target_dir/release/libpyssl.so" "$lib/libpyssl.so.0"
ln -sf libpyssl.so.0 "$lib/libpyssl.so"

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=readonly
export CGO_ENABLED=1 CGO_LDFLAGS="-L$lib -Wl,-rpath,$lib"
export PYSSL_LIB_DIR="$lib"
# Keep go's caches inside the target dir when HOME is not writable.
export GOCACHE=${GOCACHE:-$target_dir/go-cache}

cd "$here"
echo "==> $(go version)"
test -z "$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting" >&2; exit 1; }
go vet ./...
# shellcheck disable=SC2086
go test -race -count=1 ${GO_TEST_FLAGS:-} ./...
# The example builds against the package (its own module, replace'd here).
(cd "$root/examples/go-client" && go vet ./... && go build -o "$target_dir/go-client" .)
echo "==> integrations/go: all passed"
