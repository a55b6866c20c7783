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

# shellcheck source=paths.sh
. "$(dirname "${BASH_SOURCE[0]}")/paths.sh"

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

# The Python patched/stock run needs Debian's CPython _ssl built twice,
# stock and patched (integrations/cpython/test-ssl.sh, which fetches the
# python3.11 source package once). The patched module loads
# target/release/libpyssl.so. Skipped by --quick unless already built, or
# with PYSSL_BENCH_NO_PYTHON=1.
quick=0
for arg in "$@"; do [ "$arg" = --quick ] && quick=1; done
py_args=()
if [ "${PYSSL_BENCH_NO_PYTHON:-0}" != 1 ]; then
  if ! ls "$py_modules"/patched/_ssl.*.so >/dev/null 2>&1 && [ "$quick" = 0 ] && [ -z "${PYSSL_BENCH_PY_MODULES:-}" ]; then
    echo "== building the stock and patched _ssl modules (integrations/cpython/test-ssl.sh)" >&2
    PYSSL_BUILD_ONLY=1 "$root/integrations/cpython/test-ssl.sh" 3.11 >&2 ||
      echo "notice: could not build the _ssl modules: the Python patched/stock run is skipped" >&2
  fi
  if ls "$py_modules"/patched/_ssl.*.so >/dev/null 2>&1; then
    py_args=(--py-modules "$py_modules")
  fi
fi

if [ ! -x "$python" ]; then
  echo "notice: $python not found; set PYTHON=... (the Python variant needs Debian's python3.11)" >&2
  python=$(command -v python3)
fi
exec "$python" "$here/bench.py" --bin "$build/pyssl_bench" --certs "$build/certs" --python "$python" \
  --json "$build/results.json" --markdown "$build/results.md" "${label[@]}" "${py_args[@]}" "$@"
