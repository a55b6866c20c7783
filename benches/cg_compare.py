#!/usr/bin/python3
"""Compares two callgrind dumps of the same work (raw OpenSSL and pyssl,
or stock and patched _ssl), per operation: the totals, the functions whose
inclusive count differs most, and pyssl's own functions.

    cg_compare.py RAW.out PYSSL.out OPS [--top N] [--labels raw,pyssl]

OPS is the number of operations each dump counted (benches/profile.sh
passes it). Needs callgrind_annotate (valgrind).
"""

import argparse
import re
import subprocess

LINE = re.compile(r"^\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*?)(?:\s+\[(.*)\])?$")


def load(path, inclusive):
    out = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}",
                          "--threshold=100", path], capture_output=True, text=True, check=True).stdout
    funcs, total, started = {}, None, False
    for line in out.splitlines():
        if "file:function" in line:
            started = True
            continue
        if started and not line.strip() and funcs:
            break  # the end of the function list
        m = LINE.match(line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        name = m.group(2)
        if name == "PROGRAM TOTALS":
            total = n
            continue
        if not started:
            continue
        # "file:function": keep the function, and the object for addresses
        fn = name.split(":", 1)[1] if ":" in name else name
        obj = (m.group(3) or "").rsplit("/", 1)[-1]
        if fn.startswith("0x"):
            fn = f"{obj}:{fn}"
        key = (fn, obj)
        funcs[key] = funcs.get(key, 0) + n
    return total, funcs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("other")
    ap.add_argument("ops", type=float)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--labels", default="raw,pyssl")
    ap.add_argument("--own", default="libpyssl.so", help="object whose functions to list on their own")
    a = ap.parse_args()
    lb, lo = a.labels.split(",")
    tb, inc_b = load(a.base, True)
    to, inc_o = load(a.other, True)
    _, self_o = load(a.other, False)
    per = lambda n: n / a.ops
    print(f"instructions per operation: {lb} {per(tb):,.0f}, {lo} {per(to):,.0f}, "
          f"difference {per(to - tb):+,.0f} ({to / tb - 1:+.1%})")
    print(f"\nfunctions whose count differs most (per operation; {lo} - {lb})")
    print("(functions in both dumps: the libraries both call; self counts, which add up)")
    _, self_b = load(a.base, False)
    # the frames around everything (main, libc start) carry the totals
    keys = [k for k in set(self_b) & set(self_o) if k[1] != a.own and self_b[k] != tb and self_o[k] != to]
    diffs = sorted(keys, key=lambda k: -abs(self_o[k] - self_b[k]))
    print(f"{'difference':>11} {lb:>10} {lo:>10}  function [object]  (self)")
    for k in diffs[:a.top]:
        b, o = self_b[k], self_o[k]
        if abs(per(o - b)) < 1:
            break
        print(f"{per(o - b):+11,.0f} {per(b):10,.0f} {per(o):10,.0f}  {k[0]} [{k[1]}]")
    only_b = sum(v for k, v in self_b.items() if k not in self_o)
    only_o = sum(v for k, v in self_o.items() if k not in self_b)
    print(f"self counts of functions only in {lb}: {per(only_b):,.0f}; only in {lo}: {per(only_o):,.0f}")
    for label, mine, theirs in ((lb, self_b, self_o), (lo, self_o, self_b)):
        only = sorted((k for k in mine if k not in theirs), key=lambda k: -mine[k])
        print(f"  only in {label}: " + ", ".join(f"{k[0]} {per(mine[k]):,.0f}" for k in only[:a.top]
                                                  if per(mine[k]) >= 1))
    own = [k for k in inc_o if k[1] == a.own]
    if own:
        print(f"\n{a.own} functions, per operation (inclusive, self):")
        for k in sorted(own, key=lambda k: -inc_o[k])[:a.top]:
            print(f"{per(inc_o[k]):11,.0f} {per(self_o.get(k, 0)):10,.0f}  {k[0]}")


if __name__ == "__main__":
    main()
