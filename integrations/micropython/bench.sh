#!/usr/bin/env bash
# MicroPython + pyssl against CPython 3.11's ssl and MicroPython's own TLS
# module on Debian's mbedtls, side by side in one run: sequential verified
# handshakes per second and bulk MB/s (16 KiB records echoed by pyssl's
# examples/echo_server on 127.0.0.1, EC P-256 certificate), with ratios.
# Builds the ports first (build.sh, seconds when cached; the mbedtls port
# only when libmbedtls-dev is installed).
#   bench.sh [SECONDS [MEGABYTES [ROUNDS]]]   (default 3 s of handshakes,
#                                             256 MiB, 3 rounds)
# The clients take turns, ROUNDS times; each figure is the best round (the
# machine's 2 cores are shared, so single runs are noisy).
# Environment: PYTHON (default /usr/bin/python3.11).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-3} megabytes=${2:-256} rounds=${3:-3}
PYTHON=${PYTHON:-/usr/bin/python3.11}
work=$root/target/micropython/bench
mkdir -p "$work"

clients=(cpython micropython)
declare -A exe=([cpython]=$PYTHON [micropython]=$("$here/build.sh" 2>/dev/null | tail -n 1))
declare -A label=([cpython]="CPython 3.11 ssl" [micropython]="MicroPython + pyssl"
                  [mbedtls]="MicroPython + mbedtls (tls)")
if [[ -f /usr/include/mbedtls/ssl.h ]]; then
    exe[mbedtls]=$("$here/build.sh" --mbedtls 2>"$work/build-mbedtls.log" | tail -n 1) || exe[mbedtls]=
    [[ -n ${exe[mbedtls]} ]] && clients+=(mbedtls) || echo "the mbedtls port did not build ($work/build-mbedtls.log)"
else
    echo "libmbedtls-dev is not installed: no MicroPython + mbedtls column"
fi

sh "$root/c-tests/gen_certs.sh" openssl "$work/certs" >/dev/null
"$here/tests/build_echo_server.sh" "$work" >/dev/null
"$work/echo_server" 0 "$work/certs/server.pem" "$work/certs/server.key" >"$work/echo.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q port "$work/echo.log" && break; sleep 0.1; done
port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/echo.log" | head -n 1)

declare -A hs mb cipher
for c in "${clients[@]}"; do hs[$c]=0 mb[$c]=0; done
for r in $(seq 1 "$rounds"); do
    line="round $r:"
    for c in "${clients[@]}"; do
        "${exe[$c]}" "$here/bench/client.py" "$work/certs" "$port" "$seconds" "$megabytes" >"$work/$c.txt"
        read -r h m < <(awk '$1 == "handshakes" { h = $2 / $3 } $1 == "bulk" { m = $2 / 1048576 / $3 }
                             END { printf "%.1f %.1f\n", h, m }' "$work/$c.txt")
        cipher[$c]=$(awk '$1 == "cipher" { print $2, $3 }' "$work/$c.txt")
        line="$line $c $h hs/s $m MB/s;"
        hs[$c]=$(awk -v a="${hs[$c]}" -v b="$h" 'BEGIN { print (b > a ? b : a) }')
        mb[$c]=$(awk -v a="${mb[$c]}" -v b="$m" 'BEGIN { print (b > a ? b : a) }')
    done
    echo "$line"
done

echo "pyssl $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), $("$PYTHON" -c 'import ssl; print(ssl.OPENSSL_VERSION)'), $(nproc) cores, best of $rounds rounds"
printf '%-30s %13s %9s %9s %9s  %s\n' client handshakes/s MB/s "hs ratio" "MB ratio" "cipher (vs CPython)"
for c in "${clients[@]}"; do
    awk -v l="${label[$c]}" -v h="${hs[$c]}" -v m="${mb[$c]}" -v h0="${hs[cpython]}" -v m0="${mb[cpython]}" \
        -v ci="${cipher[$c]}" 'BEGIN { printf "%-30s %13.1f %9.1f %9.2f %9.2f  %s\n", l, h, m, h / h0, m / m0, ci }'
done
