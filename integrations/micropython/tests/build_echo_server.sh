#!/usr/bin/env bash
# Builds pyssl's examples/echo_server.c into DIR against the checkout's
# library (cargo's release build), found at run time through a link in DIR
# named after its SONAME (cargo makes none); prints the binary's path.
#   build_echo_server.sh DIR
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
dir=$1
release=${CARGO_TARGET_DIR:-$root/target}/release
mkdir -p "$dir"
# The name the binary will ask for: the SONAME when the library has one,
# else its file name (a plain `cargo build` sets none).
soname=$(objdump -p "$release/libpyssl.so" | awk '$1 == "SONAME" { print $2 }')
ln -sfn "$release/libpyssl.so" "$dir/${soname:-libpyssl.so}"
gcc -O2 -Wall -I"$root/include" "$root/examples/echo_server.c" -o "$dir/echo_server" \
    -L"$release" -Wl,-rpath,"$dir" -lpyssl
echo "$dir/echo_server"
