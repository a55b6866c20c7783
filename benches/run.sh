#!/usr/bin/env bash
# Builds pyssl (cargo, release) and the benchmark (CMake), makes the test
# certificates, raises the open-file limit for 10,000 connections, and runs
# every benchmark three ways (raw OpenSSL, pyssl, Python's ssl), printing
# the table. Arguments go to bench.py, e.g.:
#   benches/run.sh            # full run (a few minutes)
#   benches/run.sh --quick    # CI smoke: small sizes
#   benches/run.sh --only 'handshake|resumed' --reps 5
# Environment: CARGO_TARGET_DIR (where cargo builds; default target/),
# PYSSL_LIBRARY (benchmark this libpyssl.so, skip cargo; PYSSL_BENCH_LABEL
# names it in the report), PYSSL_BENCH_BUILD
# (build directory), PYTHON (default /usr/bin/python3.11).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
target=${CARGO_TARGET_DIR:-$root/target}
build=${PYSSL_BENCH_BUILD:-$target/pyssl-bench}
python=${PYTHON:-/usr/bin/python3.11}

label=()
if [ -z "${PYSSL_LIBRARY:-}" ]; then
  echo "== cargo build --release (CARGO_TARGET_DIR=$target)" >&2
  (cd "$root" && CARGO_TARGET_DIR=$target cargo build --release --quiet)
  PYSSL_LIBRARY=$target/release/libpyssl.so
else
  label=(--library-label "${PYSSL_BENCH_LABEL:-$PYSSL_LIBRARY}")
fi

echo "== building the benchmark in $build" >&2
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPYSSL_LIBRARY="$PYSSL_LIBRARY" \
  -DPYSSL_INCLUDE_DIR="$root/include" >/dev/null
cmake --build "$build" --parallel 2 >/dev/null

"$here/gen_certs.sh" "$build/certs"

# 10,000 connections need one descriptor each, per process, plus a few.
want=10400
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
  hard=$(ulimit -Hn)
  if [ "$hard" = unlimited ] || [ "$hard" -ge "$want" ]; then
    ulimit -n "$want"
  elif ulimit -Hn "$want" 2>/dev/null; then
    ulimit -n "$want"
  else
    ulimit -n "$hard"
    echo "notice: cannot raise the open-file limit to $want (hard limit $hard):" \
         "the epoll test will use fewer connections" >&2
  fi
fi

if [ ! -x "$python" ]; then
  echo "notice: $python not found; set PYTHON=... (the Python variant needs Debian's python3.11)" >&2
  python=$(command -v python3)
fi
exec "$python" "$here/bench.py" --bin "$build/pyssl_bench" --certs "$build/certs" --python "$python" \
  --json "$build/results.json" --markdown "$build/results.md" "${label[@]}" "$@"
