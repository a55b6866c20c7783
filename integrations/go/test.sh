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

# A directory of links, on the rpath, serves both the linker (-lpyssl) and
# the loader. cargo build's libpyssl.so has no SONAME (cargo-c's has
# libpyssl.so.0); the second link serves a library that has one.
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
# -v: the side-by-side tables (t.Log) are the point of the run.
go test -race -count=1 -v ${GO_TEST_FLAGS:-} .
# The example (its own module, using this one through a replace
# directive): built, then run against the pyssl echo server.
(cd "$root/examples/go-client" && test -z "$(gofmt -l .)" && go vet ./... &&
    go build -o "$target_dir/go-client" .)
tmp=$(mktemp -d)
server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
sh "$root/c-tests/gen_certs.sh" openssl "$tmp/certs" >/dev/null
cc -std=c99 -O1 -o "$tmp/echo_server" "$root/examples/echo_server.c" -I"$root/include" \
    -L"$lib" -Wl,-rpath,"$lib" -lpyssl
"$tmp/echo_server" 0 "$tmp/certs/server.pem" "$tmp/certs/server.key" --once >"$tmp/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^listening on 127\.0\.0\.1 port \([0-9]*\)$/\1/p' "$tmp/server.log")
    [[ -n $port ]] && break
    sleep 0.1
done
[[ -n $port ]] || { cat "$tmp/server.log" >&2; exit 1; }
"$target_dir/go-client" 127.0.0.1 "$port" "$tmp/certs/ca.pem" localhost "Hello from Go through pyssl" |
    tee "$tmp/client.log"
grep -q "^shutdown: clean$" "$tmp/client.log"
echo "==> integrations/go: all passed"
