#!/usr/bin/env bash
# Builds MicroPython's unix port with pyssl's `ssl` module (modssl/).
#   build.sh            prints the path of the micropython binary last
#   build.sh --mbedtls  instead: the port with MicroPython's own TLS module
#                       on Debian's libmbedtls-dev (`tls`, no pyssl), for
#                       bench.sh; prints its path
#
# The MicroPython source is Debian sid's `micropython` source package,
# fetched with `apt-get source` through a private sources list and state
# directory (integrations/debian/apt-source.sh: the system's apt
# configuration is never touched; the mirror is the one apt is configured
# with). The +ds
# tarball has no mbedtls, axtls or berkeley-db, so the port is built with
# MICROPY_PY_SSL=0 MICROPY_SSL_MBEDTLS=0 MICROPY_PY_BTREE=0 and the module
# comes in through USER_C_MODULES.
#
# Linking: libpyssl.so from `cargo build --release`, with the port's rpath
# set to a staging directory holding a libpyssl.so.0 symlink (the SONAME,
# which cargo does not create) pointing at target/release/libpyssl.so
# (under $CARGO_TARGET_DIR when that is set).
#
# Everything lives under $PYSSL_MP_CACHE (default /var/cache/pyssl/
# micropython): src/ (the extracted source, kept across runs) and build/
# (a copy of the unix port's build directory). A re-run with nothing
# changed only re-links and takes seconds.
#
# Environment:
#   PYSSL_MP_CACHE   cache directory (see above)
#   DEBIAN_MIRROR    mirror for the source package (default: apt's)
#   PYSSL_JOBS       make -j (default: nproc)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${PYSSL_MP_CACHE:-/var/cache/pyssl/micropython}
jobs=${PYSSL_JOBS:-$(nproc)}
pkg=micropython
suite=sid
mbedtls=0
[[ ${1:-} == --mbedtls ]] && mbedtls=1

log() { printf '\n=== %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

# 1. The source package (once).
mkdir -p "$cache"
src_stamp=$cache/src/.extracted
if [[ ! -f $src_stamp ]] || [[ ! -f $cache/src/$(cat "$src_stamp")/ports/unix/Makefile ]]; then
    log "fetching the $pkg source package ($suite)"
    rm -rf "$cache/src"
    name=$("$root/integrations/debian/apt-source.sh" "$pkg" "$suite" "$cache/src" "$cache/apt")
    echo "$name" >"$src_stamp"
fi
src=$cache/src/$(cat "$src_stamp")
log "MicroPython source: $(cat "$src_stamp")"

if [[ ! -x $src/mpy-cross/build/mpy-cross ]]; then
    make -C "$src/mpy-cross" -j "$jobs" >&2
fi

if [[ $mbedtls == 1 ]]; then
    # Debian's own configuration (debian/rules: system mbedtls, patch 0006),
    # with only asyncio frozen (no micropython-lib in the source).
    log "building the unix port with Debian's mbedtls"
    mkdir -p "$cache/mbedtls"
    # shellcheck disable=SC2016 # $(MPY_DIR) is the manifest's variable
    echo 'include("$(MPY_DIR)/extmod/asyncio")' >"$cache/mbedtls/manifest.py"
    make -C "$src/ports/unix" -j "$jobs" BUILD="$cache/build-mbedtls" PROG=micropython \
        MICROPY_PY_SSL=1 MICROPY_SSL_MBEDTLS=1 MICROPY_SSL_AXTLS=0 MICROPY_PY_BTREE=0 \
        FROZEN_MANIFEST="$cache/mbedtls/manifest.py" STRIP=true >&2
    mp=$cache/build-mbedtls/micropython
    "$mp" -c 'import tls; print("tls on mbedtls", tls.MBEDTLS_VERSION)' >&2
    echo "$mp"
    exit 0
fi

# 2. libpyssl from this checkout, staged under its SONAME.
log "cargo build --release"
(cd "$root" && cargo build --release >&2)
lib=${CARGO_TARGET_DIR:-$root/target}/release/libpyssl.so
test -f "$lib"
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
libdir=$cache/lib
mkdir -p "$libdir"
ln -sfn "$lib" "$libdir/libpyssl.so"
ln -sfn "$lib" "$libdir/${soname:-libpyssl.so.0}"

# 3. The unix port, with modssl/ as a user C module and ssl.py frozen. The
#    module is copied into the cache, as USER_C_MODULES wants a directory
#    of modules and the checkout's integrations/micropython has others.
log "building the unix port (MicroPython $(cat "$src_stamp"))"
# A file is copied only when its content changed (then with a new mtime), so
# that make rebuilds exactly what another checkout changed.
mkdir -p "$cache/usermod/modssl"
for f in "$here"/modssl/*; do
    cmp -s "$f" "$cache/usermod/modssl/${f##*/}" || cp "$f" "$cache/usermod/modssl/"
done
make_args=(
    -C "$src/ports/unix" -j "$jobs"
    BUILD="$cache/build"
    PROG=micropython
    MICROPY_PY_SSL=0 MICROPY_SSL_MBEDTLS=0 MICROPY_SSL_AXTLS=0 MICROPY_PY_BTREE=0
    FROZEN_MANIFEST="$cache/usermod/modssl/manifest.py"
    USER_C_MODULES="$cache/usermod"
    PYSSL_INCLUDE="$root/include" PYSSL_LIBDIR="$libdir"
    STRIP=true
)
make "${make_args[@]}" >&2
mp=$cache/build/micropython
"$mp" -c 'import ssl; print("ssl on pyssl", ssl.PYSSL_VERSION, "/", ssl.OPENSSL_VERSION)' >&2
echo "$mp"
