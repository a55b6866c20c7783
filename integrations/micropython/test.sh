#!/usr/bin/env bash
# MicroPython's unix port with pyssl's ssl module: builds it (build.sh), runs
# tests/shared_ssl.py under CPython and MicroPython and compares the outputs
# (tests/run_shared.sh: CPython 3.11 on the host, then CPython 3.13 in the
# trixie chroot against MicroPython in 3.13 mode), runs TLS over Python stream objects
# (tests/stream_pipe.py), checks that Ctrl-C interrupts a blocking call
# (tests/interrupt.py), then MicroPython's own TLS tests (tests/extmod/
# ssl_*, tls_*, tests/multi_net/ssl*, *tls*, over loopback) and fails on any
# outcome that known-differences.txt does not expect; last, a short
# benchmark run (bench.sh).
#   test.sh
# Environment: PYSSL_MP_CACHE (see build.sh), PYTHON (default
# /usr/bin/python3.11: the CPython of the shared script and of MicroPython's
# test runners).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export PYTHON=${PYTHON:-/usr/bin/python3.11}
cache=${PYSSL_MP_CACHE:-/var/cache/pyssl/micropython}
work=$root/target/micropython
mkdir -p "$work"

step() { printf '\n=== %s  [%ds]\n' "$*" "$SECONDS"; }

step "build"
mp=$("$here/build.sh" | tail -n 1)
src=$cache/src/$(cat "$cache/src/.extracted")
echo "micropython: $mp"

status=0
step "shared_ssl.py under CPython ($PYTHON) and MicroPython"
"$here/tests/run_shared.sh" "$mp" "$work/shared" || status=1

step "shared_ssl.py under CPython 3.13 (trixie chroot, integrations/debian/chroot.sh) and MicroPython in 3.13 mode"
# The work directory is inside the checkout, which the chroot mounts.
"$here/tests/run_shared.sh" "$mp" "$work/shared-3.13" 313 \
    "$root/integrations/debian/chroot.sh" trixie -- python3.13 || status=1

step "TLS over streams without fileno() (tests/stream_pipe.py against stream_pipe.exp)"
if "$mp" "$here/tests/stream_pipe.py" "$work/shared/certs" >"$work/stream_pipe.out" 2>&1 &&
    diff -u "$here/tests/stream_pipe.exp" "$work/stream_pipe.out"; then
    echo "$(wc -l <"$work/stream_pipe.out") lines as expected"
else
    echo "error: stream_pipe.py (- expected, + got)" >&2
    status=1
fi

step "Ctrl-C stops a blocking handshake (tests/interrupt.py, SIGINT after 1 s)"
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# --foreground: one SIGINT, to MicroPython only (timeout(1) otherwise sends
# it to its process group as well, and a second Ctrl-C arriving after the
# first was handled interrupts the script again); -k: never hang here.
out=$(timeout --foreground -k 10 -s INT 1 "$mp" "$here/tests/interrupt.py" "$port" 2>&1 || true)
if [[ $out == $'handshake\nKeyboardInterrupt' ]]; then
    echo "KeyboardInterrupt raised"
else
    printf 'error: expected KeyboardInterrupt, got:\n%s\n' "$out" >&2
    status=1
fi

step "MicroPython's TLS tests"
cd "$src/tests"
extmod='' multi=''
for t in extmod/ssl_*.py extmod/tls_*.py; do
    [[ $t == extmod/tls_threads.py ]] || extmod="$extmod $t"
done
for t in multi_net/ssl*.py multi_net/*tls*.py; do
    [[ " $multi " == *" $t "* ]] || multi="$multi $t"
done
export MICROPY_MICROPYTHON=$mp MICROPY_CPYTHON3=$PYTHON
rm -rf "$work/results"
# shellcheck disable=SC2086
timeout 600 "$PYTHON" ./run-tests.py -j 1 --result-dir "$work/results" $extmod >"$work/extmod.log" 2>&1 || true
# shellcheck disable=SC2086
timeout 900 "$PYTHON" "$here/tests/run_multitests.py" ./run-multitests.py -i micropython -i micropython \
    $multi >"$work/multi_net.log" 2>&1 || true
# Outcomes from each runner's summary ("N tests passed", "N tests skipped:
# LIST", "N tests failed: LIST"); its per-test lines interleave when it runs
# tests in parallel.
"$PYTHON" - "$here/known-differences.txt" "$work/extmod.log" "$work/multi_net.log" "$extmod" "$multi" <<'EOF' || status=1
import re
import sys

known = {}
for line in open(sys.argv[1]):
    if line.strip() and not line.startswith("#"):
        test, outcome, reason = line.split(None, 2)
        known[test] = (outcome, reason.strip())
got = {}
tests = []
for log, names in ((sys.argv[2], sys.argv[4].split()), (sys.argv[3], sys.argv[5].split())):
    text = open(log).read()
    lists = {k: m.group(1).split() if m else []
             for k in ("skipped", "failed")
             for m in [re.search(r"^\d+ tests? %s: (.*)$" % k, text, re.M)]}
    passed = re.search(r"^(\d+) tests? passed$", text, re.M)
    rest = [t for t in names if t not in lists["skipped"] and t not in lists["failed"]]
    for t in names:
        if t in lists["skipped"]:
            got[t] = "skip"
        elif t in lists["failed"]:
            got[t] = "fail"
        elif passed and int(passed.group(1)) == len(rest):
            got[t] = "pass"
    tests += names
bad = 0
counts = {"pass": 0, "fail": 0, "skip": 0}
for t in tests:
    outcome = got.get(t, "missing")
    want = known.get(t, ("pass", ""))[0]
    counts[outcome] = counts.get(outcome, 0) + 1
    mark = "ok " if outcome == want else "BAD"
    if outcome != want:
        bad += 1
    print(f"{mark} {t}: {outcome}" + (f" (expected: {want})" if outcome != want else ""))
for t in sorted(set(known) - set(tests)):
    print(f"BAD {t}: listed in known-differences.txt but not run")
    bad += 1
print(f"MicroPython TLS tests: {len(tests)} run, {counts['pass']} passed, "
      f"{counts['fail']} failed as known-differences.txt expects them to, {counts['skip']} skipped"
      if not bad else f"MicroPython TLS tests: {bad} unexpected outcomes")
sys.exit(1 if bad else 0)
EOF
if [[ $status != 0 ]]; then
    echo "logs: $work/extmod.log $work/multi_net.log" >&2
    echo "error: MicroPython integration tests failed" >&2
    exit 1
fi

# Figures only (nothing asserted on them): a short run of bench.sh.
step "benchmark: MicroPython + pyssl vs CPython 3.11 (bench.sh 2 32 2)"
"$here/bench.sh" 2 32 2 || status=1
if [[ $status != 0 ]]; then
    echo "error: MicroPython integration tests failed" >&2
    exit 1
fi
step "all MicroPython integration tests passed"
