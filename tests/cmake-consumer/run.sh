#!/usr/bin/env bash
# Packaging tests: a C program (main.c here) built against each build
# output the README names, and run.
# Run by CTest (the CMake build tree itself is the `smoke` tests):
#   run.sh install   BUILD_DIR WORK_DIR          cmake --install into WORK_DIR/prefix
#   run.sh cmake     SOURCE_DIR WORK_DIR         find_package(pyssl) consumer
#   run.sh pkgconfig SOURCE_DIR WORK_DIR [CC]    pkg-config --cflags --libs pyssl
#   run.sh static    SOURCE_DIR WORK_DIR [CC]    libpyssl.a via pkg-config --static
# Run by scripts/test.sh (they run cargo, which CTest's tests should not):
#   run.sh cargo     SOURCE_DIR WORK_DIR [CC]    `cargo build --release`'s target/release
#   run.sh cinstall  SOURCE_DIR WORK_DIR [CC]    `cargo cinstall` into WORK_DIR/prefix,
#                                                then the pkgconfig and static checks
# $CMAKE is the cmake to use (default: cmake from PATH); CARGO_TARGET_DIR is
# honoured. The SONAME expected is libpyssl.so.MAJOR, MAJOR from Cargo.toml.
set -euo pipefail
cmake_bin=${CMAKE:-cmake}

mode=$1
work=$3
cc=${4:-cc}
prefix=$work/prefix
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
version=$(sed -n 's/^version[ \t]*=[ \t]*"\([0-9.]*\)".*/\1/p' "$src/Cargo.toml" | head -n 1)
soname_want=libpyssl.so.${version%%.*}

# The library directory of the installed prefix (lib, lib64, lib/<triplet>).
libdir_of() {
    local pc
    pc=$(find "$prefix" -name pyssl.pc -path '*/pkgconfig/*' | head -n 1)
    [[ -n $pc ]] || { echo "pyssl.pc not installed under $prefix" >&2; exit 1; }
    dirname "$(dirname "$pc")"
}

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
soname_of() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }

# The installed prefix: the real file, its SONAME symlink chain, the rest.
check_prefix() {
    local libdir real f
    libdir=$(libdir_of)
    ls -l "$libdir"/libpyssl.so*
    [[ -L $libdir/libpyssl.so && -L $libdir/$soname_want ]] || { echo "missing SONAME symlinks" >&2; exit 1; }
    real=$(readlink -f "$libdir/libpyssl.so")
    [[ -f $real && ! -L $real ]] || { echo "libpyssl.so does not resolve to a file" >&2; exit 1; }
    [[ $(basename "$real") == "libpyssl.so.$version" ]] || { echo "real file is $real, not libpyssl.so.$version" >&2; exit 1; }
    [[ $(soname_of "$real") == "$soname_want" ]] || { echo "SONAME is '$(soname_of "$real")', not '$soname_want'" >&2; exit 1; }
    for f in "$libdir/libpyssl.a" "$prefix/include/pyssl.h" "$libdir/pkgconfig/pyssl.pc" "$@"; do
        [[ -f $f ]] || { echo "not installed: $f" >&2; exit 1; }
    done
    cmp "$prefix/include/pyssl.h" "$src/include/pyssl.h" || { echo "installed pyssl.h is not include/pyssl.h" >&2; exit 1; }
}

# The shared library through pkg-config.
use_pkgconfig() {
    local libdir
    libdir=$(libdir_of)
    export PKG_CONFIG_PATH=$libdir/pkgconfig
    pkg-config --exists --print-errors pyssl
    echo "pkg-config: $(pkg-config --modversion pyssl): $(pkg-config --cflags --libs pyssl)"
    # shellcheck disable=SC2046
    "$cc" -std=c99 -Wall -Wextra -Werror -o "$work/pc_consumer" "$here/main.c" \
        $(pkg-config --cflags --libs pyssl)
    needed "$work/pc_consumer" | grep -qxF "$soname_want" \
        || { echo "pc_consumer does not load $soname_want" >&2; exit 1; }
    LD_LIBRARY_PATH=$libdir "$work/pc_consumer"
}

# libpyssl.a: Libs.private + Requires.private must be enough to link it.
use_static() {
    local libdir libs f
    libdir=$(libdir_of)
    export PKG_CONFIG_PATH=$libdir/pkgconfig
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
}

case $mode in
install)
    build=$2
    rm -rf "$prefix"
    "$cmake_bin" --install "$build" --prefix "$prefix"
    libdir=$(libdir_of)
    check_prefix "$libdir/cmake/pyssl/pysslConfig.cmake" "$libdir/cmake/pyssl/pysslConfigVersion.cmake"
    echo "installed into $prefix"
    ;;
cmake)
    rm -rf "$work/consumer"
    "$cmake_bin" -S "$here" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_BUILD_TYPE=Release
    "$cmake_bin" --build "$work/consumer"
    "$work/consumer/consumer"
    needed "$work/consumer/consumer" | grep -qxF "$soname_want" \
        || { echo "consumer does not load $soname_want" >&2; exit 1; }
    "$work/consumer/consumer_static"
    if needed "$work/consumer/consumer_static" | grep -q libpyssl; then
        echo "consumer_static depends on the shared library" >&2; exit 1
    fi
    ;;
pkgconfig) use_pkgconfig ;;
static) use_static ;;
cargo)
    # The README's command for a plain cargo build: no SONAME there (only an
    # installer can provide the file it would name), so the program needs
    # libpyssl.so itself, found through LD_LIBRARY_PATH.
    lib=${CARGO_TARGET_DIR:-$src/target}/release
    [[ -f $lib/libpyssl.so ]] || { echo "$lib/libpyssl.so not found: run cargo build --release" >&2; exit 1; }
    mkdir -p "$work"
    "$cc" -std=c99 -Wall -Wextra -Werror -o "$work/cargo_consumer" "$here/main.c" \
        -I"$src/include" -L"$lib" -lpyssl
    needed "$work/cargo_consumer" | grep -qx libpyssl.so \
        || { echo "cargo_consumer does not load libpyssl.so: $(needed "$work/cargo_consumer" | tr '\n' ' ')" >&2; exit 1; }
    LD_LIBRARY_PATH=$lib "$work/cargo_consumer"
    ;;
cinstall)
    rm -rf "$prefix"
    (cd "$src" && cargo cinstall --release --prefix "$prefix" --libdir lib)
    check_prefix
    echo "cargo cinstall: installed into $prefix"
    use_pkgconfig
    use_static
    ;;
*)
    echo "unknown mode: $mode" >&2; exit 2 ;;
esac
