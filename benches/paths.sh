# Sourced by run.sh and profile.sh: where the benchmark's parts are.
# Environment: CARGO_TARGET_DIR (cargo's target directory), PYSSL_BENCH_BUILD
# (the benchmark's build directory), PYTHON (default /usr/bin/python3.11),
# PYSSL_BENCH_PY_MODULES (stock/ and patched/ _ssl modules).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
target=${CARGO_TARGET_DIR:-$root/target}
build=${PYSSL_BENCH_BUILD:-$target/pyssl-bench}
python=${PYTHON:-/usr/bin/python3.11}
# test-ssl.sh builds them here (the patched one loads target/release/libpyssl.so)
py_modules=${PYSSL_BENCH_PY_MODULES:-$root/target/cpython/3.11}
