#!/usr/bin/env bash
# Runs shared_ssl.py under CPython and under MicroPython on pyssl against the
# same local servers (peer.py on python3.11, two `openssl s_server`s and
# pyssl's examples/echo_server, all on 127.0.0.1) and fails unless both
# print the same lines once location suffixes ("(_ssl.c:1006)",
# "(socket.rs:631)") are taken out.
#   run_shared.sh MICROPYTHON WORKDIR [COMPAT CPYTHON...]
# COMPAT (default 311) is the CPython version whose rules MicroPython's
# contexts follow; CPYTHON the command that runs the CPython side (default
# $PYTHON), e.g. `integrations/debian/chroot.sh trixie -- python3.13`.
# Environment: PYTHON (default /usr/bin/python3.11: the servers and peer
# client, and the default CPython side).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
mp=$1 work=$2 compat=${3:-311}
shift 2
[[ $# -gt 0 ]] && shift
PYTHON=${PYTHON:-/usr/bin/python3.11}
certs=$work/certs
mkdir -p "$work"
rm -rf "$certs"
sh "$root/c-tests/gen_certs.sh" openssl "$certs" >/dev/null

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() { # port
    for _ in $(seq 1 100); do
        if "$PYTHON" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "error: nothing listens on port $1" >&2
    return 1
}

# peer.py's server
rm -f "$work/py.port"
"$PYTHON" "$here/peer.py" server "$work/py.port" "$certs" 2>"$work/peer-server.err" &
pids+=($!)
for _ in $(seq 1 100); do [[ -s $work/py.port ]] && break; sleep 0.1; done
py_port=$(cat "$work/py.port")

# openssl s_server: the server certificate (with ALPN h2), and an expired one
ossl_port=$(free_port)
openssl s_server -quiet -accept "127.0.0.1:$ossl_port" -cert "$certs/server.pem" \
    -key "$certs/server.key" -alpn h2 </dev/null >"$work/s_server.log" 2>&1 &
pids+=($!)
expired_port=$(free_port)
openssl s_server -quiet -accept "127.0.0.1:$expired_port" -cert "$certs/expired.pem" \
    -key "$certs/expired.key" </dev/null >"$work/s_server-expired.log" 2>&1 &
pids+=($!)

# pyssl's echo server (examples/echo_server.c)
"$here/build_echo_server.sh" "$work" >/dev/null
"$work/echo_server" 0 "$certs/server.pem" "$certs/server.key" >"$work/echo.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'port' "$work/echo.log" 2>/dev/null && break; sleep 0.1; done
echo_port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/echo.log" | head -n 1)

wait_port "$ossl_port"
wait_port "$expired_port"
wait_port "$echo_port"

run() { # name interpreter...
    local name=$1
    shift
    local server_port async_port
    server_port=$(free_port)
    async_port=$(free_port)
    # peer.py's client for the script's server side
    "$PYTHON" "$here/peer.py" client "$server_port" "$certs" >"$work/peer-client-$name.log" 2>&1 &
    local client=$!
    local status=0
    timeout 120 "$@" "$here/shared_ssl.py" "$certs" "$py_port" "$ossl_port" "$expired_port" \
        "$echo_port" "$server_port" "$async_port" "$compat" >"$work/$name.out" 2>"$work/$name.err" || status=$?
    wait "$client" || { echo "peer client for $name failed:"; cat "$work/peer-client-$name.log"; status=1; }
    if [[ $status != 0 ]]; then
        echo "error: shared_ssl.py under $name exited with $status" >&2
        tail -n 20 "$work/$name.out" "$work/$name.err" >&2
        return 1
    fi
    # Location suffixes: CPython's "(_ssl.c:N)", pyssl's "(file.rs:N)".
    sed -E 's/ \((_ssl\.c|[a-z_/]+\.rs):[0-9]+\)/ (LOCATION)/g' "$work/$name.out" >"$work/$name.txt"
    echo "$name: $(wc -l <"$work/$name.txt") lines, $(grep -c ' raised ' "$work/$name.txt") exceptions ($work/$name.txt)"
}

status=0
if [[ $# -gt 0 ]]; then run cpython "$@" || status=1; else run cpython "$PYTHON" || status=1; fi
run micropython "$mp" || status=1
[[ $status == 0 ]] || exit 1
if diff -u "$work/cpython.txt" "$work/micropython.txt"; then
    n=$(wc -l <"$work/cpython.txt")
    echo "shared_ssl.py: $n lines identical under CPython (${*:-$PYTHON}) and MicroPython ($compat mode)"
else
    echo "error: shared_ssl.py differs (- CPython, + MicroPython)" >&2
    exit 1
fi
