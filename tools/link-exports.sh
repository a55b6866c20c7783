#!/bin/sh
# The linker of cargo-c's build of libpyssl.so (`-Clinker=` in Cargo.toml's
# [package.metadata.capi.library]): cc, with abi/pyssl.map as the version
# script in place of the one rustc writes. rustc's lists every #[no_mangle]
# function; a second --version-script would only be merged with it (GNU ld
# lets its exact names win over pyssl.map's pattern), so rustc's is dropped.
# Other links (no version script in the arguments) go to cc unchanged.
map="$(cd "$(dirname "$0")/.." && pwd)/abi/pyssl.map"
for arg in "$@"; do
    shift
    case $arg in
    -Wl,--version-script=*) set -- "$@" "-Wl,--version-script=$map" ;;
    *) set -- "$@" "$arg" ;;
    esac
done
exec cc "$@"
