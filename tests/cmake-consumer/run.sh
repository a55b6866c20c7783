#!/usr/bin/env bash
# Packaging tests, run by CTest:
#   run.sh install   BUILD_DIR WORK_DIR          install into WORK_DIR/prefix
#   run.sh cmake     SOURCE_DIR WORK_DIR         find_package(pyssl) consumer
#   run.sh pkgconfig SOURCE_DIR WORK_DIR [CC]    pkg-config --cflags --libs pyssl
#   run.sh static    SOURCE_DIR WORK_DIR [CC]    libpyssl.a via pkg-config --static
# $CMAKE is the cmake to use (default: cmake from PATH).
set -euo pipefail
cmake_bin=${CMAKE:-cmake}

mode=$1
work=$3
prefix=$work/prefix
here=$(cd "$(dirname "$0")" && pwd)

# The library directory of the installed prefix (lib, lib64, lib/<triplet>).
libdir_of() {
    local pc
    pc=$(find "$prefix" -name pyssl.pc -path '*/pkgconfig/*' | head -n 1)
    [[ -n $pc ]] || { echo "pyssl.pc not installed under $prefix" >&2; exit 1; }
    dirname "$(dirname "$pc")"
}

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

case $mode in
install)
    build=$2
    rm -rf "$prefix"
    "$cmake_bin" --install "$build" --prefix "$prefix"
    libdir=$(libdir_of)
    # The real file plus its SONAME symlink chain.
    ls -l "$libdir"/libpyssl.so*
    [[ -L $libdir/libpyssl.so && -L $libdir/libpyssl.so.0 ]] || { echo "missing SONAME symlinks" >&2; exit 1; }
    real=$(readlink -f "$libdir/libpyssl.so")
    [[ -f $real && ! -L $real ]] || { echo "libpyssl.so does not resolve to a file" >&2; exit 1; }
    soname=$(readelf -d "$real" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [[ $soname == libpyssl.so.0 ]] || { echo "SONAME is '$soname'" >&2; exit 1; }
    for f in "$libdir/libpyssl.a" "$prefix/include/pyssl.h" \
             "$libdir/pkgconfig/pyssl.pc" "$libdir/cmake/pyssl/pysslConfig.cmake" \
             "$libdir/cmake/pyssl/pysslConfigVersion.cmake"; do
        [[ -f $f ]] || { echo "not installed: $f" >&2; exit 1; }
    done
    echo "installed into $prefix"
    ;;
cmake)
    rm -rf "$work/consumer"
    "$cmake_bin" -S "$here" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_BUILD_TYPE=Release
    "$cmake_bin" --build "$work/consumer"
    "$work/consumer/consumer"
    needed "$work/consumer/consumer" | grep -qx 'libpyssl.so.0' \
        || { echo "consumer does not load libpyssl.so.0" >&2; exit 1; }
    "$work/consumer/consumer_static"
    if needed "$work/consumer/consumer_static" | grep -q libpyssl; then
        echo "consumer_static depends on the shared library" >&2; exit 1
    fi
    ;;
pkgconfig)
    cc=${4:-cc}
    libdir=$(libdir_of)
    export PKG_CONFIG_PATH=$libdir/pkgconfig
    pkg-config --exists --print-errors pyssl
    echo "pkg-config: $(pkg-config --modversion pyssl): $(pkg-config --cflags --libs pyssl)"
    # shellcheck disable=SC2046
    "$cc" -std=c99 -Wall -Wextra -Werror -o "$work/pc_consumer" "$here/main.c" \
        $(pkg-config --cflags --libs pyssl)
    LD_LIBRARY_PATH=$libdir "$work/pc_consumer"
    ;;
static)
    cc=${4:-cc}
    libdir=$(libdir_of)
    export PKG_CONFIG_PATH=$libdir/pkgconfig
    # Libs.private + Requires.private must be enough to link the archive.
    libs=()
    for f in $(pkg-config --libs --static pyssl); do
        [[ $f == -lpyssl ]] || libs+=("$f")
    done
    echo "static link: $libdir/libpyssl.a ${libs[*]}"
    # shellcheck disable=SC2046
    "$cc" -std=c99 -Wall -Wextra -Werror -o "$work/static_consumer" "$here/main.c" \
        $(pkg-config --cflags pyssl) "$libdir/libpyssl.a" "${libs[@]}"
    if needed "$work/static_consumer" | grep -q libpyssl; then
        echo "static_consumer depends on the shared library" >&2; exit 1
    fi
    "$work/static_consumer"
    ;;
*)
    echo "unknown mode: $mode" >&2; exit 2 ;;
esac
