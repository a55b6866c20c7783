#!/usr/bin/env bash
# The inside half of integrations/debian/test.sh, run in a chroot by
# chroot.sh: the host-built Rust test binaries and C test programs, with
# the chroot's CPython as every oracle and its libssl under pyssl.
#   in-chroot.sh SUITE PYTHON BUILD_DIR RUST_BINARY...
# Tests listed in known-failures.txt for SUITE are skipped unless
# PYSSL_DEBIAN_ALL=1. Exits non-zero when any test that ran failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
suite=$1 python=$2 build=$3
shift 3

# known-failures.txt, this suite's targets only.
known=()
if [[ ${PYSSL_DEBIAN_ALL:-0} != 1 ]]; then
    while read -r s target _; do
        if [[ $s == all || $s == "$suite" ]]; then known+=("$target"); fi
    done <"$here/known-failures.txt"
fi
is_known() {
    local t
    for t in "${known[@]}"; do [[ $t == "$1" ]] && return 0; done
    return 1
}

echo "==> $suite: $("$python" -c 'import sys, ssl; print("Python", sys.version.split()[0], "/", ssl.OPENSSL_VERSION)')"
passed=0 failed=0 skipped=0
failures=()
run() { # LABEL COMMAND...
    local label=$1
    shift
    echo "--> $label"
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$label")
    fi
}

# The Rust tests find the default mode's oracle at
# $PYENV_ROOT/versions/3.13.0/bin/python3.13 (tests/sslobject_common,
# capi_values_diff): point that at the chroot's interpreter.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/pyenv/versions/3.13.0/bin"
printf '#!/bin/sh\nexec %s "$@"\n' "$python" >"$scratch/pyenv/versions/3.13.0/bin/python3.13"
chmod +x "$scratch/pyenv/versions/3.13.0/bin/python3.13"
export PYENV_ROOT=$scratch/pyenv PYSSL_CERT_DIFF_PYTHON=$python
# pyssl's mode for the oracle: 3.13 rules against trixie's 3.13, 3.14 rules
# against sid's 3.14.
case $suite in
sid) export PYSSL_ORACLE_COMPAT=314 ;;
*) export PYSSL_ORACLE_COMPAT=313 ;;
esac

cd "$root"  # where cargo runs tests
for bin in "$@"; do
    name=$(basename "$bin")
    name=${name%-*}  # cargo's hash suffix
    if is_known "rust:$name"; then
        echo "--> rust $name: skipped (known-failures.txt)"
        skipped=$((skipped + 1))
        continue
    fi
    skip=()
    for t in "${known[@]}"; do
        if [[ $t == "rust:$name::"* ]]; then skip+=(--skip "${t#"rust:$name::"}"); fi
    done
    run "rust $name${skip[*]:+ (${skip[*]})}" "$bin" --exact "${skip[@]}"
done

# The C suite: CTest's fixtures (certificates, the oracle's expectations)
# written to a directory of this suite's own, then every program.
data=$build/debian-$suite
rm -rf "$data"
mkdir -p "$data"
sh c-tests/gen_certs.sh openssl "$data/certs"
PYSSL_PYTHON314=$python sh c-tests/run_oracle.sh 314 "$data/certs" "$data/oracle-314.txt" \
    c-tests/oracle/ssl_oracle.py
# No 3.11 here: its tests skip themselves.
sh c-tests/run_oracle.sh 311 "$data/certs" "$data/oracle-311.txt" c-tests/oracle/ssl_oracle.py
c_program() {
    # Without the notice that repeats for every 3.11-mode scenario.
    PYSSL_TEST_DATA=$data timeout 120 "$1" 2>&1 |
        grep -v '^NOTICE: oracle for 3.11 mode unavailable'
    return "${PIPESTATUS[0]}"
}
for prog in "$build"/c-tests/pyssl_ctest_*; do
    name=${prog##*/pyssl_ctest_}
    if is_known "c:$name"; then
        echo "--> c $name: skipped (known-failures.txt)"
        skipped=$((skipped + 1))
        continue
    fi
    run "c $name" c_program "$prog"
done

echo "==> $suite: $passed test programs passed, $failed failed${failures[*]:+ (${failures[*]})}," \
    "$skipped skipped (known-failures.txt)"
[[ $failed -eq 0 ]]
