#!/usr/bin/python3
"""Per-operation cache and branch misses of raw OpenSSL against pyssl, from
cachegrind's simulation (valgrind --tool=cachegrind --cache-sim=yes
--branch-sim=yes). valgrind 3.19's cachegrind cannot start counting at a
client request, so each lane runs twice, with a few and with many
operations; the difference divided by the extra operations is the cost of
one operation, start-up and warm-up cancelled out.

    cg_cache.py RAW_FEW.out RAW_MANY.out PYSSL_FEW.out PYSSL_MANY.out OPS [--top N]

OPS: the operations the MANY runs did beyond the FEW runs. Prints the
events per operation and the difference, then pyssl's own functions (of
libpyssl, by source path src/) ranked by instruction-cache misses.
"""

import argparse
import collections

EVENTS = ["Ir", "I1mr", "D1mr", "D1mw", "Bcm", "Bim"]


def load(path):
    """{(file, function): [counts]} and the event names of one dump."""
    events, per, fl, fn = None, collections.defaultdict(list), None, None
    with open(path) as f:
        for line in f:
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("fl="):
                fl = line[3:].strip()
            elif line.startswith("fn="):
                fn = line[3:].strip()
            elif line[:1].isdigit():
                vals = [int(x) for x in line.split()[1:]]
                cur = per[(fl, fn)]
                if not cur:
                    cur.extend([0] * len(events))
                for i, v in enumerate(vals):
                    cur[i] += v
    return events, per


def per_op(few, many, ops):
    """{(file, function): {event: count per operation}}."""
    ev, a = load(few)
    ev2, b = load(many)
    if ev != ev2 or not all(e in ev for e in EVENTS):
        raise SystemExit(f"{few}, {many}: need the events {EVENTS} (--cache-sim=yes --branch-sim=yes)")
    out = {}
    for k in set(a) | set(b):
        va, vb = a.get(k) or [0] * len(ev), b.get(k) or [0] * len(ev)
        out[k] = {e: (vb[ev.index(e)] - va[ev.index(e)]) / ops for e in EVENTS}
    return out


def totals(fns):
    return {e: sum(v[e] for v in fns.values()) for e in EVENTS}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw_few")
    ap.add_argument("raw_many")
    ap.add_argument("pyssl_few")
    ap.add_argument("pyssl_many")
    ap.add_argument("ops", type=float)
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    raw = per_op(a.raw_few, a.raw_many, a.ops)
    pys = per_op(a.pyssl_few, a.pyssl_many, a.ops)
    tr, tp = totals(raw), totals(pys)
    print(f"per operation   {'':>8}" + "".join(f"{e:>10}" for e in EVENTS))
    print(f"  raw           {'':>8}" + "".join(f"{tr[e]:>10,.0f}" for e in EVENTS))
    print(f"  pyssl         {'':>8}" + "".join(f"{tp[e]:>10,.0f}" for e in EVENTS))
    print(f"  difference    {'':>8}" + "".join(f"{tp[e] - tr[e]:>+10,.0f}" for e in EVENTS))
    own = {k: v for k, v in pys.items() if "/src/" in (k[0] or "") and "/rustc/" not in (k[0] or "")}
    to = totals(own)
    print(f"  pyssl's src/  {'':>8}" + "".join(f"{to[e]:>10,.0f}" for e in EVENTS))
    print(f"\npyssl's functions by instruction-cache misses per operation (top {a.top}):")
    print(f"{'I1mr':>8} {'Ir':>8}  function")
    for k, v in sorted(own.items(), key=lambda kv: -kv[1]["I1mr"])[: a.top]:
        print(f"{v['I1mr']:8.1f} {v['Ir']:8.0f}  {k[1][:100]}")


if __name__ == "__main__":
    main()
