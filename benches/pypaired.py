#!/usr/bin/python3.11
"""Stock against pyssl-patched ``_ssl`` in one Python process, in the
paired method of ``pyssl_bench --paired`` (paired.c): three lanes (stock,
patched, stock again) take turns in short segments of the same work, the
order rotating each round, and each round gives the ratios patched/stock
and stock-again/stock (the noise floor) of operations per CPU-second.
Load that comes and goes on the machine then weighs on all three lanes
alike, where separate processes run minutes apart see different load.

    /usr/bin/python3.11 benches/pypaired.py --stock DIR --patched DIR \\
        --certs DIR --case CASE [--rounds N] [--segment SECONDS] [--tls12]

DIR holds an ``_ssl`` extension module; each lane imports its own copy of
``ssl.py`` bound to its module (the two modules are separate shared
objects, so both live in the process at once). CASE: handshake, resume,
small (64 B write + read), bulk (16 KiB), peercert, peercert_der,
get_info, get_ca_certs. Prints one JSON line, as paired.c does.
"""

import argparse
import glob
import importlib
import importlib.util
import json
import os
import signal
import statistics
import sys
import time
import types

import pybench

# The orders of the three lanes, one per round in turn (as paired.c).
PERMS = [(0, 1, 2), (1, 2, 0), (2, 0, 1), (0, 2, 1), (1, 0, 2), (2, 1, 0)]


def load_ssl(moddir):
    """A fresh ``ssl`` module bound to the ``_ssl`` extension in moddir."""
    found = glob.glob(os.path.join(moddir, "_ssl.*.so"))
    if len(found) != 1:
        pybench.die(f"expected one _ssl module in {moddir}, found {found}")
    spec = importlib.util.spec_from_file_location("_ssl", found[0])
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    saved = {k: sys.modules.pop(k) for k in ("_ssl", "ssl") if k in sys.modules}
    sys.modules["_ssl"] = ext
    try:
        mod = importlib.import_module("ssl")
    finally:
        sys.modules.pop("ssl", None)
        sys.modules.pop("_ssl", None)
        sys.modules.update(saved)
    if os.path.realpath(mod._ssl.__file__) != os.path.realpath(found[0]):
        pybench.die(f"ssl bound to {mod._ssl.__file__}, not {found[0]}")
    return mod


class Lane:
    """One variant's ssl module, contexts and standing connections."""

    def __init__(self, name, ssl_mod, a):
        self.name = name
        self.ssl = ssl_mod
        self.a = types.SimpleNamespace(**vars(a), transport="unix")
        self.enter()
        self.a.cctx, self.a.sctx = pybench.contexts(self.a)

    def enter(self):
        # pybench's helpers use its module-level ssl and WANT.
        pybench.ssl = self.ssl
        pybench.WANT = (self.ssl.SSLWantReadError, self.ssl.SSLWantWriteError)


def setup(lane, case):
    """The state one lane's segments work on; its step(n) does n operations."""
    a = lane.a
    lane.enter()
    pp = pybench.Pairs(a.transport)
    if case in ("handshake", "resume"):
        sess = pybench.first_session(a, pp) if case == "resume" else None

        def step(n):
            for _ in range(n):
                cs, ss = pp.make()
                cs.setblocking(False)
                ss.setblocking(False)
                c, s = pybench.wrap(a, cs, False, sess), pybench.wrap(a, ss, True)
                pybench.pump_handshake(c, s)
                if c.session_reused != (sess is not None):
                    pybench.die(f"{lane.name}: session_reused is {c.session_reused} in a {case} case")
                pybench.pump_shutdown(c, s)
                c.close()
                s.close()
        return step
    if case in ("small", "bulk"):
        chunk = 64 if case == "small" else 16384
        cs, ss = pp.make()
        for sock in (cs, ss):
            pybench.big_buffers(sock)
            sock.setblocking(False)
        c, s = pybench.wrap(a, cs, False), pybench.wrap(a, ss, True)
        pybench.pump_handshake(c, s)
        c.setblocking(True)
        s.setblocking(True)
        data = bytes(chunk)
        mv = memoryview(bytearray(max(chunk, pybench.READ_BUF)))
        batch = max(32768 // chunk, 1) if chunk >= 4096 else 32
        lane.keep = (c, s)

        def step(n):
            send, recv_into = c.send, s.recv_into
            done = 0
            while done < n:
                k = min(n - done, batch)
                for _ in range(k):
                    if send(data) != chunk:
                        pybench.die("short write")
                want = k * chunk
                got = 0
                while got < want:
                    got += recv_into(mv, min(want - got, pybench.READ_BUF))
                done += k
        return step
    if case == "get_ca_certs":
        get = a.cctx.get_ca_certs
        if not get():
            pybench.die("no CA certificates")
    else:
        lane.keep = pybench.connected(a)
        c = lane.keep[1]
        if case == "peercert":
            get = c.getpeercert
        elif case == "peercert_der":
            get = lambda: c.getpeercert(True)  # noqa: E731 - one call a step
        elif case == "get_info":
            get = c._sslobj.get_unverified_chain()[0].get_info
        else:
            pybench.die(f"unknown case {case}")
        if not get():
            pybench.die(f"{case}: empty result")

    def step(n):
        for _ in range(n):
            get()
    return step


def timed(lane, step, n):
    lane.enter()
    w0, c0 = time.perf_counter(), time.thread_time()
    step(n)
    return time.thread_time() - c0, time.perf_counter() - w0


def quartiles(v):
    q = statistics.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3
    return statistics.median(v), q[0], q[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stock", required=True)
    ap.add_argument("--patched", required=True)
    ap.add_argument("--certs", required=True)
    ap.add_argument("--case", required=True)
    ap.add_argument("--rounds", type=int, default=31)
    ap.add_argument("--segment", type=float, default=0.05, help="seconds per segment")
    ap.add_argument("--key", default="ec", choices=("ec", "rsa"))
    ap.add_argument("--tls12", action="store_true")
    a = ap.parse_args()
    signal.alarm(600)
    stock, patched = load_ssl(a.stock), load_ssl(a.patched)
    lanes = [Lane("stock", stock, a), Lane("patched", patched, a), Lane("stock2", stock, a)]
    steps = [setup(lane, a.case) for lane in lanes]
    for lane, step in zip(lanes, steps):
        timed(lane, step, 2)  # warm-up
    # Operations per segment: doubled until the stock lane takes a segment.
    n = 1
    while timed(lanes[0], steps[0], n)[1] < a.segment and n < 1 << 24:
        n *= 2
    cpu = {i: [] for i in range(3)}
    wall = {i: [] for i in range(3)}
    for rnd in range(a.rounds):
        for i in PERMS[rnd % len(PERMS)]:
            c, w = timed(lanes[i], steps[i], n)
            cpu[i].append(c)
            wall[i].append(w)
    # ops per second: n / time; a ratio of rates is the inverse ratio of times
    ratio = [s / p for s, p in zip(cpu[0], cpu[1])]
    floor = [s / s2 for s, s2 in zip(cpu[0], cpu[2])]
    ratio_wall = [s / p for s, p in zip(wall[0], wall[1])]
    floor_wall = [s / s2 for s, s2 in zip(wall[0], wall[2])]
    out = {"impl": "pypaired", "case": a.case, "tls12": a.tls12, "rounds": a.rounds,
           "ops_per_segment": n,
           "stock_ops_per_cpu_s": n / statistics.median(cpu[0]),
           "patched_ops_per_cpu_s": n / statistics.median(cpu[1]),
           "stock2_ops_per_cpu_s": n / statistics.median(cpu[2]),
           "stock_ssl": stock._ssl.__file__, "patched_ssl": patched._ssl.__file__}
    for key, v in (("ratio", ratio), ("floor", floor), ("ratio_wall", ratio_wall), ("floor_wall", floor_wall)):
        out[key], out[key + "_q1"], out[key + "_q3"] = quartiles(v)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
