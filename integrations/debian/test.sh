#!/usr/bin/env bash
# Runs the Rust and C test suites, built on the host, inside the Debian
# chroots (chroot.sh builds them the first time): there pyssl loads the
# suite's libssl (trixie: OpenSSL 3.5, sid: 3.6) and every differential
# test uses the suite's CPython (3.13, 3.14) as its oracle. Tests listed in
# known-failures.txt are skipped.
#   integrations/debian/test.sh [SUITE...]       (default: trixie sid)
# Needs the CMake build with BUILD_TESTING=ON (scripts/test.sh makes it);
# builds the Rust test binaries with `cargo test --no-run`.
#   PYSSL_BUILD_DIR   the CMake build directory (default: build)
#   PYSSL_DEBIAN_ALL=1  run the known failures too
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
if ! command -v cargo >/dev/null && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
build=$(realpath -m "${PYSSL_BUILD_DIR:-build}")
suites=("$@")
[[ ${#suites[@]} -gt 0 ]] || suites=(trixie sid)

if ! compgen -G "$build/c-tests/pyssl_ctest_*" >/dev/null; then
    echo "debian/test.sh: no C test programs in $build/c-tests (build with BUILD_TESTING=ON first)" >&2
    exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! cargo test --no-run --message-format=json >"$log.json" 2>"$log"; then
    cat "$log" >&2
    exit 1
fi
mapfile -t bins < <(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"])
' "$log.json")
rm -f "$log.json"
[[ ${#bins[@]} -gt 0 ]] || { echo "debian/test.sh: cargo built no test binaries" >&2; exit 1; }

# Directories outside the checkout are mounted at their own paths too.
bind=()
target=$(dirname "$(dirname "$(dirname "${bins[0]}")")")  # TARGET/debug/deps/BIN
for d in "$target" "$build"; do
    case $d in "$root" | "$root"/*) ;; *) bind+=("$d") ;; esac
done
bind_list=$(IFS=:; echo "${bind[*]}")

status=0
for suite in "${suites[@]}"; do
    case $suite in
    trixie) python=/usr/bin/python3.13 ;;
    sid) python=/usr/bin/python3.14 ;;
    *) echo "debian/test.sh: unknown suite $suite" >&2; exit 2 ;;
    esac
    PYSSL_CHROOT_BIND=$bind_list "$here/chroot.sh" "$suite" -- \
        "$here/in-chroot.sh" "$suite" "$python" "$build" "${bins[@]}" || status=1
done
exit $status
