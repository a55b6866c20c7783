#!/usr/bin/env bash
# Runs CPython's own SSL tests against Debian's stock _ssl module and against
# the same module patched to delegate its I/O and certificate decoding to
# pyssl, and fails when any test has a different outcome; then does the same
# for the scenarios of scenarios.py.
#   test-ssl.sh [3.11|3.13]    (default 3.11)
# 3.11: Debian 12's CPython on this (bookworm) host, test_ssl.
# 3.13: Debian 13's CPython in the trixie chroot (integrations/debian/
#       chroot.sh), test_ssl, test_asyncio.test_ssl and
#       test_asyncio.test_sslproto. libpyssl is built on the host (cargo
#       build --release) and the modules in the chroot, against its headers.
#
# The modules and logs go under target/cpython/VERSION/. Debian's source
# package is kept outside the checkout, in PYSSL_SRC_CACHE/pythonVERSION
# (default /var/cache/pyssl/src), so that re-runs and fresh clones reuse it
# until the installed interpreter's version changes; the system's apt
# configuration is never touched (a private sources list and state
# directory are used for `apt-get source`).
#
# Environment:
#   PYTHON        interpreter to test (default /usr/bin/pythonVERSION)
#   DEBIAN_MIRROR mirror for the source package (default: the one apt is
#                 configured with where the modules are built,
#                 integrations/debian/mirror.sh)
#   TEST_ARGS     extra arguments for `python -m test` (e.g. "-m test_read*")
#   PYSSL_SRC_CACHE where the source packages are kept (see above)
#   PYSSL_BUILD_ONLY=1  stop once the stock and patched modules are built
#                 (benches/run.sh uses them for the Python patched/stock run)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

version=${1:-3.11}
case $version in
3.11)
    chroot=  # the host
    src_suites="bookworm bookworm-updates"
    tests="test_ssl"
    ;;
3.13)
    chroot=trixie
    # The suite the chroot's python3.13 comes from, so that the source is
    # the installed interpreter's.
    src_suites="trixie"
    tests="test_ssl test_asyncio.test_ssl test_asyncio.test_sslproto"
    ;;
*)
    echo "usage: test-ssl.sh [3.11|3.13]" >&2
    exit 2
    ;;
esac
PYTHON=${PYTHON:-/usr/bin/python$version}
out=$root/target/cpython/$version
patch_file=$here/_ssl.c.$version.patch
lib=$root/target/release/libpyssl.so
src_cache=${PYSSL_SRC_CACHE:-/var/cache/pyssl/src}

log() { printf '\n=== %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ -n "$chroot" ] && [ "${PYSSL_TEST_SSL_IN_CHROOT:-0}" != 1 ]; then
    # pyssl on the host, everything else in the chroot (built by chroot.sh
    # with the packages below on its first run).
    log "cargo build --release (on the host)"
    if ! command -v cargo >/dev/null && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
        export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
    fi
    cargo build --release
    test -f "$lib"
    log "continuing in the $chroot chroot"
    as_root mkdir -p "$src_cache"
    # The source cache is mounted at its own path in the chroot.
    export PYSSL_CHROOT_BIND="$src_cache${PYSSL_CHROOT_BIND:+:$PYSSL_CHROOT_BIND}"
    exec "$root/integrations/debian/chroot.sh" "$chroot" -- \
        env PYSSL_TEST_SSL_IN_CHROOT=1 PYSSL_SRC_CACHE="$src_cache" "$here/test-ssl.sh" "$version"
fi

# 1. Packages (in the chroot, chroot.sh installed them).
packages="python$version-dev libpython$version-testsuite dpkg-dev libssl-dev libbluetooth-dev patch gcc"
missing=
for p in $packages; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ] && [ -n "$chroot" ]; then
    echo "error: the $chroot chroot lacks$missing (integrations/debian/chroot.sh installs them)" >&2
    exit 1
elif [ -n "$missing" ]; then
    log "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q
    # shellcheck disable=SC2086
    as_root apt-get install -y -q --no-install-recommends $missing
fi

# 2. The Debian source package of CPython VERSION (newest in src_suites),
#    with Debian's patches applied by dpkg-source.
#    Kept per installed version: the stamp holds the extracted directory's
#    name and the interpreter version it was fetched for.
pkg=python$version
installed=$pkg-$(dpkg-query -W -f='${Version}' "$pkg" | sed 's/^[0-9]*://')
src_dir=$src_cache/$pkg
src_stamp=$src_dir/.extracted
read -r name fetched_for _ 2>/dev/null <"$src_stamp" || name= fetched_for=
if [ "$fetched_for" != "$installed" ] || [ ! -f "$src_dir/$name/Modules/_ssl.c" ]; then
    log "fetching the $pkg source package (for the installed $installed)"
    as_root mkdir -p "$src_cache"
    rm -rf "$src_dir" "$src_dir.apt"
    # The newest of the suites' versions (apt-get source's own choice).
    name=$("$root/integrations/debian/apt-source.sh" "$pkg" "$src_suites" "$src_dir" "$src_dir.apt")
    rm -rf "$src_dir.apt"
    echo "$name $installed" >"$src_stamp"
fi
[ "$name" = "$installed" ] || echo "notice: the source is $name, the installed interpreter $installed" >&2
src=$src_dir/$name
log "CPython source: $src"
echo "Debian patches touching Modules/_ssl.c:" \
    "$(grep -l '^+++ .*Modules/_ssl\.c' "$src"/debian/patches/* | xargs -r -n1 basename | tr '\n' ' ')"
echo "installed $pkg: $(dpkg-query -W -f='${Version}' "$pkg")"
"$PYTHON" -c 'import sys, ssl; print("Python", sys.version.split()[0], "/", ssl.OPENSSL_VERSION)'

# 3. pyssl (built here, or on the host before entering the chroot), then
#    both modules.
if [ -z "$chroot" ]; then
    log "cargo build --release"
    cargo build --release
fi
test -f "$lib"

ext_suffix=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
py_include=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
cflags=(-shared -fPIC -O2 -g -Wall -I"$py_include" -I"$src/Modules" -I"$src/Include/internal"
        -DPy_BUILD_CORE_MODULE)

log "building the stock and patched _ssl modules"
mkdir -p "$out/stock" "$out/patched"
gcc "${cflags[@]}" "$src/Modules/_ssl.c" -o "$out/stock/_ssl$ext_suffix" -lssl -lcrypto
patch --quiet -o "$out/patched/_ssl.c" "$src/Modules/_ssl.c" "$patch_file"
# The patched module loads target/release/libpyssl.so through its rpath
# ($ORIGIN) and a link named after the library's SONAME (libpyssl.so when
# it has none, as cargo build's has not).
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
ln -sfn ../../../release/libpyssl.so "$out/patched/${soname:-libpyssl.so}"
# shellcheck disable=SC2016 # $ORIGIN is the dynamic linker's
gcc "${cflags[@]}" -I"$root/include" "$out/patched/_ssl.c" -o "$out/patched/_ssl$ext_suffix" \
    -L"$root/target/release" -Wl,-rpath,'$ORIGIN' -lpyssl -lssl -lcrypto
echo "the patched module loads $(readlink -f "$out/patched/${soname:-libpyssl.so}")"

# The patched module must leave I/O and certificate printing to pyssl.
forbidden='SSL_do_handshake|SSL_read_ex|SSL_write_ex|SSL_shutdown|poll|ASN1_TIME_print|i2a_ASN1_INTEGER|GENERAL_NAME_print|X509_NAME_get_entry|X509_get_ext_d2i'
if nm -D --undefined-only "$out/patched/_ssl$ext_suffix" | grep -Ew "($forbidden)(@.*)?$"; then
    echo "error: the patched module still calls the functions above" >&2
    exit 1
fi
if [ "${PYSSL_BUILD_ONLY:-0}" = 1 ]; then
    echo "modules built in $out/stock and $out/patched"
    exit 0
fi

# 4. The tests with each module.
run_tests() { # name
    local name=$1 dir=$out/$1
    log "$tests with the $name module"
    PYTHONPATH=$dir "$PYTHON" -c 'import _ssl; print("_ssl.__file__ =", _ssl.__file__)'
    local file
    file=$(PYTHONPATH=$dir "$PYTHON" -c 'import _ssl; print(_ssl.__file__)')
    if [ "$file" != "$dir/_ssl$ext_suffix" ]; then
        echo "error: $dir does not shadow the installed _ssl" >&2
        exit 1
    fi
    rm -f "$out/$name.xml"
    # A failing run is not an error here: the comparison decides.
    # --timeout: a hang dumps the tracebacks and ends the run.
    # shellcheck disable=SC2086
    PYTHONPATH=$dir "$PYTHON" -m test $tests --timeout 600 --junit-xml "$out/$name.xml" ${TEST_ARGS:-} \
        >"$out/$name.log" 2>&1 || true
    # regrtest's summary
    grep -E '(^|\] )test_[a-z_.]+ (passed|failed|skipped|crashed)' "$out/$name.log" |
        sed 's/^.*\] //' || true
    sed -n '/^== Tests result/,$p' "$out/$name.log"
    if [ ! -s "$out/$name.xml" ]; then
        tail -n 50 "$out/$name.log"
        echo "error: no JUnit report from the $name run (log: $out/$name.log)" >&2
        exit 1
    fi
}
run_tests stock
run_tests patched

log "comparing outcomes"
status=0
"$PYTHON" "$here/compare-junit.py" "$out/stock.xml" "$out/patched.xml" || status=1

# 5. Scenarios outside the test suite (scenarios.py), compared line by line.
for name in stock patched; do
    log "scenarios.py with the $name module"
    if ! PYTHONPATH=$out/$name "$PYTHON" "$here/scenarios.py" \
        >"$out/scenarios-$name.txt" 2>"$out/scenarios-$name.err"; then
        cat "$out/scenarios-$name.err"
        echo "error: scenarios.py failed with the $name module" >&2
        status=1
    fi
    head -n 1 "$out/scenarios-$name.err"  # _ssl.__file__
    echo "$(wc -l <"$out/scenarios-$name.txt") outcomes in $out/scenarios-$name.txt"
done
if diff -u "$out/scenarios-stock.txt" "$out/scenarios-patched.txt"; then
    echo "every scenario has the same outcome"
else
    echo "error: scenario outcomes differ (- stock, + patched)" >&2
    status=1
fi
exit $status
