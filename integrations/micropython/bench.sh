#!/usr/bin/env bash
# MicroPython + pyssl against CPython 3.11's ssl, side by side in one run:
# sequential TLS 1.3 handshakes per second and bulk MB/s (16 KiB records
# echoed by pyssl's examples/echo_server on 127.0.0.1, EC P-256 certificate),
# with the ratios. Builds the port first (build.sh, seconds when cached).
#   bench.sh [SECONDS [MEGABYTES [ROUNDS]]]   (default 3 s of handshakes,
#                                             64 MiB, 3 rounds)
# The two clients take turns, ROUNDS times; each figure is the best round
# (the machine's 2 cores are shared, so single runs are noisy).
# Environment: PYTHON (default /usr/bin/python3.11).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-3} megabytes=${2:-64} rounds=${3:-3}
PYTHON=${PYTHON:-/usr/bin/python3.11}
work=$root/target/micropython/bench
mkdir -p "$work"

mp=$("$here/build.sh" 2>/dev/null | tail -n 1)
sh "$root/c-tests/gen_certs.sh" openssl "$work/certs" >/dev/null
ln -sfn "$root/target/release/libpyssl.so" "$work/libpyssl.so.0"
gcc -O2 -Wall -I"$root/include" "$root/examples/echo_server.c" -o "$work/echo_server" \
    -L"$root/target/release" -Wl,-rpath,"$work" -lpyssl
"$work/echo_server" 0 "$work/certs/server.pem" "$work/certs/server.key" >"$work/echo.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q port "$work/echo.log" && break; sleep 0.1; done
port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/echo.log" | head -n 1)

run() { # name interpreter: prints "handshakes/s MB/s"
    "$2" "$here/bench/client.py" "$work/certs" "$port" "$seconds" "$megabytes" >"$work/$1.txt"
    awk '$1 == "handshakes" { hs = $2 / $3 } $1 == "bulk" { mb = $2 / 1048576 / $3 }
         END { printf "%.1f %.1f\n", hs, mb }' "$work/$1.txt"
}
best() { # "a b" "c d": the larger of each column
    awk -v x="$1" -v y="$2" 'BEGIN { split(x, p); split(y, q)
        printf "%.1f %.1f\n", (p[1] > q[1] ? p[1] : q[1]), (p[2] > q[2] ? p[2] : q[2]) }'
}
cpy="0 0" mpy="0 0"
for r in $(seq 1 "$rounds"); do
    c=$(run cpython "$PYTHON")
    m=$(run micropython "$mp")
    echo "round $r: CPython $c, MicroPython $m (handshakes/s MB/s)"
    cpy=$(best "$cpy" "$c")
    mpy=$(best "$mpy" "$m")
done
echo "pyssl $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?'), $("$PYTHON" -c 'import ssl; print(ssl.OPENSSL_VERSION)'), $(nproc) cores"
printf '%-28s %14s %10s   (best of %s rounds)\n' "client" "handshakes/s" "MB/s" "$rounds"
read -r c_hs c_mb <<<"$cpy"
read -r m_hs m_mb <<<"$mpy"
printf '%-28s %14s %10s\n' "CPython 3.11 ssl" "$c_hs" "$c_mb" "MicroPython + pyssl" "$m_hs" "$m_mb"
awk -v a="$m_hs" -v b="$c_hs" -v c="$m_mb" -v d="$c_mb" \
    'BEGIN { printf "%-28s %14.2f %10.2f\n", "ratio MicroPython/CPython", a / b, c / d }'
