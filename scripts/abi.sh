#!/usr/bin/env bash
# The ABI guard: compares the ABI of a libpyssl.so with the committed
# description abi/<SONAME>.abi (libabigail's abidw/abidiff, Debian's
# abigail-tools).
#   scripts/abi.sh [LIB]            fails when LIB breaks the ABI recorded for
#                                   its SONAME (a removed or changed function);
#                                   additions pass and are listed
#   scripts/abi.sh --update [LIB]   (re)writes abi/<SONAME>.abi from LIB
# LIB defaults to cargo cbuild's release library, which carries the SONAME
# (cargo-c makes it libpyssl.so.MAJOR from Cargo.toml's version); run
# `cargo cbuild --release` first. A break needs a new major in Cargo.toml:
# there is no description for the new SONAME until --update writes it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
update=0
if [[ ${1:-} == --update ]]; then
    update=1
    shift
fi
if [[ -n ${1:-} ]]; then
    lib=$1
else
    host=$(rustc -vV | sed -n 's/^host: //p')
    lib=${CARGO_TARGET_DIR:-$root/target}/$host/release/libpyssl.so
fi
[[ -f $lib ]] || { echo "abi.sh: $lib not found (run cargo cbuild --release)" >&2; exit 1; }
for tool in abidw abidiff readelf objcopy; do
    command -v "$tool" >/dev/null || { echo "abi.sh: $tool not found (apt-get install abigail-tools binutils)" >&2; exit 1; }
done
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ -n $soname ]] || { echo "abi.sh: $lib has no SONAME (build it with cargo cbuild, not cargo build)" >&2; exit 1; }
desc=$root/abi/$soname.abi

# What is compared is the dynamic symbol table: the functions exported
# under the SONAME, what they need (DT_NEEDED). The release build's debug
# info is line tables without types, and its compile units name rustc's
# commit, cargo's registry and codegen-unit hashes; a copy without it keeps
# those out of the description.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objcopy --strip-debug "$lib" "$tmp/$soname"
abidw_flags=(--no-corpus-path --no-show-locs --no-comp-dir-path)

if [[ $update == 1 ]]; then
    mkdir -p "$root/abi"
    abidw "${abidw_flags[@]}" --out-file "$desc" "$tmp/$soname"
    echo "wrote abi/$soname.abi from $lib: commit it"
    exit 0
fi
if [[ ! -f $desc ]]; then
    echo "abi.sh: no abi/$soname.abi: a new SONAME starts a new ABI;" >&2
    echo "        run scripts/abi.sh --update and commit abi/$soname.abi" >&2
    exit 1
fi

rc=0
abidiff --no-show-locs "$desc" "$tmp/$soname" || rc=$?
# abidiff's exit status is a bit set: 1 error, 2 usage error, 4 an ABI
# change, 8 an incompatible ABI change (e.g. a removed function).
if (( rc & 3 )); then
    echo "abi.sh: abidiff failed (status $rc)" >&2
    exit 1
elif (( rc & 8 )); then
    echo "abi.sh: $lib breaks the ABI of $soname recorded in abi/$soname.abi (report above)." >&2
    echo "        Keep the old functions, or bump the major version in Cargo.toml (a new SONAME)" >&2
    echo "        and record the new ABI with scripts/abi.sh --update." >&2
    exit 1
elif (( rc & 4 )); then
    echo "ABI of $soname: compatible changes only (above); scripts/abi.sh --update records them"
else
    echo "ABI of $soname: unchanged from abi/$soname.abi"
fi
