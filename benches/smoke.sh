#!/usr/bin/env bash
# CTest smoke run of the benchmark (not a timed test: speed goals are never
# checked here): makes the certificates, compares the raw and pyssl context
# settings, and runs every paired case for one short round (resumption
# cases die if a connection did not resume; with a raw server too), 50
# epoll connections and 20 memory-BIO pairs.
#   smoke.sh PYSSL_BENCH WORK_DIR
set -euo pipefail
bin=$1
work=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$here/gen_certs.sh" "$work/certs" >/dev/null
"$bin" --check-settings --certs "$work/certs"
for c in bulk small "handshake --key ec" "handshake --key rsa" "handshake --tls12" resume "resume --tls12" \
         peercert peercert_fresh decode peercert_der "small --server raw" "small --dir s2c --server raw" \
         "resume --server raw" "resume --tls12 --server raw"; do
    # shellcheck disable=SC2086
    "$bin" --certs "$work/certs" --paired $c --rounds 1 --segment 0.001 >/dev/null
done
for im in raw pyssl; do
    "$bin" --certs "$work/certs" --impl "$im" --test c10k --count 50 --window 10 >/dev/null
    "$bin" --certs "$work/certs" --impl "$im" --test membio --count 20 >/dev/null
done
echo "benchmark smoke run: every case ran"
