#!/usr/bin/env bash
# The pyssl demo: builds the examples, makes a throwaway CA and server
# certificate, starts the TLS echo server on a free loopback port and runs
# the client against it (handshake, version, cipher, the server's
# certificate as getpeercert() returns it, echo, clean shutdown).
#   scripts/demo.sh [--install-deps]    (--install-deps: what building and testing need, first)
#   PYSSL_BUILD_DIR   CMake build directory (default: build)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
case ${1:-} in
--install-deps) "$root/scripts/install-deps.sh" ;;
"") ;;
*) echo "usage: $0 [--install-deps]" >&2; exit 2 ;;
esac
if ! command -v cargo >/dev/null && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
build=${PYSSL_BUILD_DIR:-$root/build}

echo "==> building the examples in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target client echo_server -j "$(nproc)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pyssl-demo.XXXXXX")
server_pid=
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

echo "==> throwaway CA and server certificate for localhost in $tmp"
cat >"$tmp/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
(
    cd "$tmp"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
    openssl req -new -x509 -config openssl.cnf -extensions v3_ca -key ca.key \
        -subj "/C=XY/O=pyssl demo/CN=pyssl demo CA" -days 1 -out ca.pem
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key
    openssl req -new -config openssl.cnf -key server.key \
        -subj "/C=XY/O=pyssl demo/CN=localhost" -out server.csr
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 0x5eed \
        -days 1 -extfile openssl.cnf -extensions v3_server -out server.pem 2>/dev/null
) >/dev/null

echo "==> echo server"
"$build/examples/echo_server" 0 "$tmp/server.pem" "$tmp/server.key" --once \
    >"$tmp/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^listening on 127\.0\.0\.1 port \([0-9]*\)$/\1/p' "$tmp/server.log")
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $port ]]; then
    echo "the echo server did not start:" >&2
    cat "$tmp/server.log" >&2
    exit 1
fi
echo "listening on 127.0.0.1 port $port"

echo "==> client"
status=0
"$build/examples/client" 127.0.0.1 "$port" "$tmp/ca.pem" localhost \
    "Hello from pyssl, the C library with Python's ssl semantics" || status=$?

# The server exits after its one client; give it a moment, then stop it.
for _ in $(seq 50); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
echo "==> echo server log"
cat "$tmp/server.log"
if [[ $status -ne 0 ]]; then
    echo "==> demo FAILED (client exit $status)" >&2
    exit "$status"
fi
echo "==> demo OK"
