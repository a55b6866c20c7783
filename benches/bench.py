#!/usr/bin/python3.11
"""Runs the pyssl benchmarks: every test three ways (raw OpenSSL from C,
pyssl from C, Python's ssl), interleaved and repeated, and prints a table
of best and median results with ratios against raw OpenSSL.

Normally started by benches/run.sh, which builds everything first.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# "raw2" is raw OpenSSL again: raw2/raw is the noise floor of a ratio.
VARIANTS = ("raw", "raw2", "pyssl", "python")
MiB = 1 << 20


class Case:
    """One measurement, run for each variant with the same arguments.

    metric(result) gives the number the table shows; `higher` says which
    way is better; `goal` checks the ratios."""

    def __init__(self, name, args, unit, metric, higher=True, goal=None, rows=None, cpu=None):
        self.name = name
        self.args = args
        self.unit = unit
        self.metric = metric
        self.higher = higher
        self.goal = goal
        # operations per CPU-second of all the test's processes (higher is
        # better): far less disturbed by other load than wall-clock time
        self.cpu = cpu
        # extra rows from the same runs: (name, unit, metric, higher, goal)
        self.rows = rows or []


def rate(key="calls"):
    return lambda r: r[key] / r["seconds"]


def cpu_rate(key="calls"):
    return lambda r: r[key] / r["cpu_seconds"]


def mib_per_s(r):
    return r["bytes"] / MiB / r["seconds"]


def ratio_goal(minimum):
    def check(stats):
        # judged on CPU time when measured: wall-clock ratios of a shared,
        # noisy 2-core machine move by more than the margins
        ratio = stats["pyssl"]["cpu_ratio"]
        if ratio is None:
            ratio = stats["pyssl"]["ratio"]
        if ratio is None:
            return None, "n/a"
        return ratio >= minimum, f"pyssl/raw >= {minimum:.2f}"
    return check


def memory_goal(stats):
    raw, py = stats["raw"]["best"], stats["pyssl"]["best"]
    if raw is None or py is None:
        return None, "n/a"
    return py <= raw + 1024, "pyssl <= raw + 1 KiB"


def decode_goal(stats):
    py, cpy = stats["pyssl"]["cpu_best"], stats["python"]["cpu_best"]
    if py is None or cpy is None:
        return None, "pyssl >= 2x python (n/a)"
    return py >= 2 * cpy, f"pyssl >= 2x python (is {py / cpy:.2f}x)"


def cases(quick, c10k_n, pipeline=False):
    bulk = 16 * MiB if quick else 256 * MiB
    small = 10_000 if quick else 100_000
    hs = {"ec": 40 if quick else 400, "rsa": 20 if quick else 200}
    resume = 60 if quick else 600
    decode = 2000 if quick else 20_000
    der = 10_000 if quick else 200_000
    mem = 200 if quick else 1000
    out = []
    for direction in ("c2s", "s2c"):
        for tr in ("unix", "tcp"):
            out.append(Case(f"bulk {direction} {tr}", ["--test", "bulk", "--dir", direction, "--transport", tr,
                                                       "--bytes", str(bulk), "--chunk", "16384"],
                            "MiB/s", mib_per_s, goal=ratio_goal(0.97), cpu=cpu_rate("bytes")))
    for tr in ("unix", "tcp"):
        out.append(Case(f"small 64B c2s {tr}", ["--test", "small", "--dir", "c2s", "--transport", tr,
                                                "--bytes", str(small * 64), "--chunk", "64"],
                        "writes/s", rate(), goal=ratio_goal(0.95), cpu=cpu_rate()))
    if pipeline:
        # the same transfers with the reader in a second process
        for direction in ("c2s", "s2c"):
            for tr in ("unix", "tcp"):
                out.append(Case(f"bulk {direction} {tr} 2-proc",
                                ["--test", "bulk2p", "--dir", direction, "--transport", tr,
                                 "--bytes", str(bulk), "--chunk", "16384"],
                                "MiB/s", mib_per_s, goal=ratio_goal(0.97), cpu=cpu_rate("bytes")))
        for tr in ("unix", "tcp"):
            out.append(Case(f"small 64B c2s {tr} 2-proc",
                            ["--test", "small2p", "--dir", "c2s", "--transport", tr,
                             "--bytes", str(small * 64), "--chunk", "64"],
                            "writes/s", rate(), goal=ratio_goal(0.95), cpu=cpu_rate()))
    for label, key, tls12 in (("TLS1.3 ECDSA", "ec", False), ("TLS1.3 RSA", "rsa", False),
                              ("TLS1.2 ECDSA", "ec", True)):
        for tr in ("unix", "tcp"):
            args = ["--test", "handshake", "--key", key, "--transport", tr, "--count", str(hs[key])]
            out.append(Case(f"handshake {label} {tr}", args + (["--tls12"] if tls12 else []),
                            "hs/s", rate(), goal=ratio_goal(0.97), cpu=cpu_rate()))
    for label, tls12 in (("TLS1.3", False), ("TLS1.2", True)):
        for tr in ("unix", "tcp"):
            args = ["--test", "resume", "--key", "ec", "--transport", tr, "--count", str(resume)]
            out.append(Case(f"resumed {label} {tr}", args + (["--tls12"] if tls12 else []),
                            "hs/s", rate(), goal=ratio_goal(0.97), cpu=cpu_rate()))
    out.append(Case("getpeercert() dict", ["--test", "peercert", "--count", str(decode)],
                    "calls/s", rate(), goal=decode_goal, cpu=cpu_rate()))
    out.append(Case("getpeercert(True) DER", ["--test", "peercert_der", "--count", str(der)],
                    "calls/s", rate(), cpu=cpu_rate()))
    out.append(Case("idle conn memory client", ["--test", "memory", "--count", str(mem)],
                    "bytes", lambda r: r["client_bytes"], higher=False, goal=memory_goal,
                    rows=[("idle conn memory server", "bytes", lambda r: r["server_bytes"], False, memory_goal)]))
    # every connection in one process over memory BIOs (no fds): a pair is two connections
    out.append(Case(f"{c10k_n} pairs membio, one process: heap/client", ["--test", "membio", "--count", str(c10k_n)],
                    "bytes", lambda r: r["client_bytes"], higher=False,
                    rows=[(f"{c10k_n} pairs membio: heap/server", "bytes", lambda r: r["server_bytes"], False, None),
                          (f"{c10k_n} pairs membio: RSS/connection", "bytes", lambda r: r["rss_bytes_per_conn"],
                           False, None),
                          (f"{c10k_n} pairs membio: handshake time", "s", lambda r: r["seconds"], False, None)]))
    for tr in ("unix", "tcp"):
        out.append(Case(f"{c10k_n} conns epoll {tr}", ["--test", "c10k", "--transport", tr,
                                                       "--count", str(c10k_n), "--window", "1000"],
                        "s", lambda r: r["seconds"], higher=False, cpu=cpu_rate("connections"),
                        rows=[(f"{c10k_n} conns {tr} peak mem", "MiB",
                               lambda r: r["peak_growth_kib"] / 1024, False, None),
                              (f"{c10k_n} conns {tr} idle RSS/conn client", "bytes",
                               lambda r: r["client_idle_rss_bytes_per_conn"], False, None),
                              (f"{c10k_n} conns {tr} idle RSS/conn server", "bytes",
                               lambda r: r["server_idle_rss_bytes_per_conn"], False, None)]))
    return out


def command(variant, a, case):
    common = ["--certs", a.certs] + case.args
    if variant == "python":
        return [a.python, os.path.join(HERE, "pybench.py")] + common
    return [a.bin, "--impl", "raw" if variant == "raw2" else variant] + common


def run_one(variant, a, case):
    cmd = command(variant, a, case)
    env = dict(os.environ)
    env.pop("PYTHONMALLOC", None)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {a.timeout}s"}, cmd
    if p.stderr.strip():
        for line in p.stderr.strip().splitlines():
            if "notice" in line:
                print(f"  {variant}: {line}", file=sys.stderr)
    if p.returncode != 0:
        return {"error": (p.stderr.strip() or f"exit status {p.returncode}")[-400:]}, cmd
    try:
        return json.loads(p.stdout.strip().splitlines()[-1]), cmd
    except (ValueError, IndexError):
        return {"error": f"no JSON in output: {p.stdout[-200:]!r}"}, cmd


def rows_of(case):
    yield case.name, case.unit, case.metric, case.higher, case.goal, case.cpu
    for row in case.rows:
        yield row + (None,)


def summarize(case, results):
    """results[variant] = list of JSON results (one per repetition)."""
    table = []
    for name, unit, metric, higher, goal, cpu in rows_of(case):
        stats = {}
        for v in VARIANTS:
            vals, cpus, notes = [], [], []
            for r in results.get(v, []):
                if "error" in r:
                    notes.append("error")
                elif "unavailable" in r:
                    notes.append("unavailable: " + r["unavailable"])
                else:
                    vals.append(metric(r))
                    if cpu and r.get("cpu_seconds"):
                        cpus.append(cpu(r))
            stats[v] = {
                "values": vals,
                "best": (max(vals) if higher else min(vals)) if vals else None,
                "median": statistics.median(vals) if vals else None,
                "cpu_values": cpus,
                "cpu_best": max(cpus) if cpus else None,
                "notes": sorted(set(notes)),
            }
        raw = stats["raw"]
        for v in VARIANTS:
            # best against best: other load only ever slows a run down
            b, rb = stats[v]["best"], raw["best"]
            stats[v]["ratio"] = (b / rb if higher else rb / b) if b and rb else None
            c, rc = stats[v]["cpu_best"], raw["cpu_best"]
            stats[v]["cpu_ratio"] = c / rc if c and rc else None
        met, text = goal(stats) if goal else (None, "")
        table.append({"name": name, "unit": unit, "higher": higher, "stats": stats,
                      "goal": text, "met": met})
    return table


def fmt(x):
    if x is None:
        return "n/a"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_ratio(x):
    return "n/a" if x is None else f"{x:.3f}"


def render(tables):
    head = ("| test | unit | raw best | raw median | pyssl best | pyssl median | python best | python median "
            "| pyssl/raw | pyssl/raw CPU | python/raw | python/raw CPU | floor raw2/raw | floor CPU | goal |")
    lines = [head, "|" + "---|" * 15]
    for row in tables:
        s = row["stats"]
        goal = row["goal"]
        if row["met"] is True:
            goal = "met: " + goal
        elif row["met"] is False:
            goal = "**MISSED**: " + goal
        cells = [row["name"], row["unit"] + ("" if row["higher"] else " (lower is better)")]
        for v in ("raw", "pyssl", "python"):
            cells += [fmt(s[v]["best"]), fmt(s[v]["median"])]
        for v in ("pyssl", "python", "raw2"):
            cells += [fmt_ratio(s[v]["ratio"]), fmt_ratio(s[v]["cpu_ratio"])]
        cells.append(goal)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine_notes(a, load_start, load_end, seconds):
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    except OSError:
        model = "?"
    def git(*args):
        try:
            return subprocess.run(["git", "-C", HERE, *args], capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"
    if a.library_label:
        pyssl = a.library_label
    else:
        rev = git("rev-parse", "--short", "HEAD")
        dirty = " + uncommitted changes" if git("status", "--porcelain", "--", "src") else ""
        pyssl = f"pyssl {rev}{dirty}"
    ossl = subprocess.run([a.python, "-c", "import ssl; print(ssl.OPENSSL_VERSION)"],
                          capture_output=True, text=True).stdout.strip()
    pyver = subprocess.run([a.python, "-c", "import sys; print(sys.version.split()[0])"],
                           capture_output=True, text=True).stdout.strip()
    return (f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, {platform.node() or 'host'}: "
            f"{os.cpu_count()} CPUs ({model}), load average {load_start:.2f} at start, "
            f"{load_end:.2f} at end; {pyssl}; {ossl}; Python {pyver} ({a.python}); "
            f"{a.reps} repetitions{' (--quick)' if a.quick else ''}; {seconds:.0f} s")


# ---- paired runs: raw, pyssl and raw again in one process (paired.c) ----

def paired_cases():
    """(name, pyssl_bench arguments, goal for the median pyssl/raw)."""
    return [
        ("bulk 16 KiB c2s", ["--paired", "bulk"], 0.98),
        ("64 B writes c2s", ["--paired", "small"], 0.98),
        ("handshake TLS1.3 ECDSA", ["--paired", "handshake", "--key", "ec"], 0.98),
        ("handshake TLS1.3 RSA", ["--paired", "handshake", "--key", "rsa"], 0.98),
        ("handshake TLS1.2 ECDSA", ["--paired", "handshake", "--key", "ec", "--tls12"], 0.98),
        ("resumed TLS1.3", ["--paired", "resume", "--key", "ec"], 0.98),
        ("resumed TLS1.2", ["--paired", "resume", "--key", "ec", "--tls12"], 0.98),
        ("getpeercert() cached", ["--paired", "peercert"], 0.98),
        ("getpeercert() fresh (new socket over the SSL*)", ["--paired", "peercert_fresh"], 1.0),
        ("fresh decode (pyssl_decode_x509)", ["--paired", "decode"], 1.0),
        ("getpeercert(True) DER", ["--paired", "peercert_der"], 0.98),
        # The same against a raw server in every lane: the pyssl lane is a
        # pyssl client only (above, both of its ends are pyssl).
        ("64 B writes c2s, raw server", ["--paired", "small", "--server", "raw"], 0.98),
        ("64 B reads s2c, raw server", ["--paired", "small", "--dir", "s2c", "--server", "raw"], 0.98),
        ("resumed TLS1.3, raw server", ["--paired", "resume", "--key", "ec", "--server", "raw"], 0.98),
        ("resumed TLS1.2, raw server",
         ["--paired", "resume", "--key", "ec", "--tls12", "--server", "raw"], 0.98),
    ]


def run_json(cmd, a, env=None):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {a.timeout}s"}
    if p.returncode != 0:
        return {"error": (p.stderr.strip() or f"exit status {p.returncode}")[-400:]}
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"no JSON in output: {p.stdout[-200:]!r}"}


def spread(vals):
    """median (min-max) of a list of ratios."""
    if not vals:
        return "n/a"
    med = statistics.median(vals)
    if len(vals) == 1:
        return f"{med:.3f}"
    return f"{med:.3f} ({min(vals):.3f}-{max(vals):.3f})"


def run_three_lanes(a, failures, selected, tag, command, ref, other, env=None):
    """Runs each (name, args, goal) case of a three-lane runner (paired.c,
    pypaired.py: REF, OTHER, REF again) in a.paired_reps processes; the
    table of the medians of their per-process medians, with the range."""
    runs = {name: [] for name, _, _ in selected}
    for rep in range(a.paired_reps):
        for name, args, _ in selected:
            cmd = command(args)
            r = run_json(cmd, a, env)
            if "error" in r:
                failures.append((name, tag, r["error"], cmd))
                print(f"  FAILED {name} [{tag}]: {r['error']}\n    {shlex.join(cmd)}", file=sys.stderr)
            else:
                runs[name].append(r)
            print(f"  {tag} {rep + 1}/{a.paired_reps}: {name} done", file=sys.stderr)
    head = (f"| case | {ref} ops/CPU-s (bulk: writes) | {other} ops/CPU-s | {other}/{ref} CPU "
            f"| floor {ref}2/{ref} CPU | {other}/{ref} wall | floor wall | goal |")
    lines = [head, "|" + "---|" * 8]
    table = []
    for name, _, goal in selected:
        rs = runs[name]
        ratios = [r["ratio"] for r in rs]
        med = statistics.median(ratios) if ratios else None
        met = None if med is None else med >= goal
        text = f"{other}/{ref} >= {goal:.2f}"
        text = ("met: " if met else "**MISSED**: ") + text if met is not None else text
        table.append({"name": name, "runs": rs, "ratio": med, "goal": goal, "met": met})
        ref_rate = statistics.median([r[f"{ref}_ops_per_cpu_s"] for r in rs]) if rs else None
        other_rate = statistics.median([r[f"{other}_ops_per_cpu_s"] for r in rs]) if rs else None
        lines.append("| " + " | ".join([
            name, fmt(ref_rate), fmt(other_rate), spread(ratios), spread([r["floor"] for r in rs]),
            spread([r["ratio_wall"] for r in rs]), spread([r["floor_wall"] for r in rs]), text]) + " |")
    return "\n".join(lines), table


def run_paired(a, failures):
    selected = [c for c in paired_cases() if not a.only or re.search(a.only, c[0])]
    return run_three_lanes(
        a, failures, selected, "paired",
        lambda args: [a.bin, "--certs", a.certs, "--rounds", str(a.rounds), "--segment", str(a.segment)] + args,
        "raw", "pyssl")


# ---- Python: Debian's python3.11 with the stock and the patched _ssl ----

def py_cases():
    """(name, pypaired.py arguments, goal for patched/stock)."""
    return [
        ("handshake TLS1.3 ECDSA", ["--case", "handshake"], 0.99),
        ("handshake TLS1.2 ECDSA", ["--case", "handshake", "--tls12"], 0.99),
        ("resumed TLS1.3", ["--case", "resume"], 0.99),
        ("resumed TLS1.2", ["--case", "resume", "--tls12"], 0.99),
        ("64 B write + read", ["--case", "small"], 0.99),
        ("bulk 16 KiB", ["--case", "bulk"], 0.99),
        ("getpeercert() (cached by the patch)", ["--case", "peercert"], 0.99),
        ("Certificate.get_info() (fresh decode)", ["--case", "get_info"], 1.0),
        ("SSLContext.get_ca_certs() (fresh decode)", ["--case", "get_ca_certs"], 1.0),
        ("getpeercert(True) DER", ["--case", "peercert_der"], 0.99),
    ]


def run_python(a, failures):
    """pypaired.py: stock, patched and stock again in one process, in
    alternating segments (the paired method), a.paired_reps processes per
    case; the median of the per-process medians of the paired ratios."""
    root = os.path.realpath(a.py_modules)
    selected = [c for c in py_cases() if not a.only or re.search(a.only, c[0])]
    env = dict(os.environ)
    env.pop("PYTHONMALLOC", None)
    return run_three_lanes(
        a, failures, selected, "python",
        lambda args: [a.python, os.path.join(HERE, "pypaired.py"), "--certs", a.certs,
                      "--stock", os.path.join(root, "stock"), "--patched", os.path.join(root, "patched"),
                      "--rounds", str(a.py_rounds), "--segment", str(a.py_segment)] + args,
        "stock", "patched", env)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the pyssl_bench binary")
    ap.add_argument("--certs", required=True)
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--quick", action="store_true", help="small sizes, for CI smoke runs")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3, --quick 2)")
    ap.add_argument("--c10k", type=int, default=None, help="concurrent connections (default 10000, --quick 1000)")
    ap.add_argument("--only", default=None, help="regular expression: run only matching tests")
    ap.add_argument("--pipeline", action="store_true",
                    help="also run bulk and small writes with the reader in a second process")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--json", default=None, help="write all results here")
    ap.add_argument("--markdown", default=None, help="write the table here")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--library-label", default=None,
                    help="what pyssl library is measured (default: this checkout's commit)")
    ap.add_argument("--paired-reps", type=int, default=None,
                    help="processes per paired case (default 3, --quick 1)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds per paired process (default 31, --quick 6)")
    ap.add_argument("--segment", type=float, default=None,
                    help="seconds of raw CPU time per paired segment (default 0.02, --quick 0.004)")
    ap.add_argument("--py-modules", default=None,
                    help="directory with stock/ and patched/ _ssl modules (integrations/cpython/test-ssl.sh)")
    ap.add_argument("--py-rounds", type=int, default=None,
                    help="rounds per process of the Python patched/stock run (default 31, --quick 6)")
    ap.add_argument("--py-segment", type=float, default=None,
                    help="seconds per segment of the Python run (default 0.05, --quick 0.01)")
    ap.add_argument("--sections", default="process,paired,python",
                    help="which parts to run: process (separate processes per variant), paired, python")
    a = ap.parse_args()
    a.reps = a.reps or (2 if a.quick else 3)
    a.paired_reps = a.paired_reps or (1 if a.quick else 3)
    a.rounds = a.rounds or (6 if a.quick else 31)
    a.segment = a.segment or (0.004 if a.quick else 0.02)
    a.py_rounds = a.py_rounds or (6 if a.quick else 31)
    a.py_segment = a.py_segment or (0.01 if a.quick else 0.05)
    sections = set(a.sections.split(","))
    c10k_n = a.c10k or (1000 if a.quick else 10_000)
    variants = [v for v in a.variants.split(",") if v]
    if not os.path.exists(a.python):
        print(f"note: {a.python} not found: the Python variant is skipped", file=sys.stderr)
        variants = [v for v in variants if v != "python"]

    check = subprocess.run([a.bin, "--check-settings", "--certs", a.certs], capture_output=True, text=True)
    if check.returncode != 0:
        print("raw OpenSSL and pyssl contexts differ; the comparison would not be fair:\n" + check.stderr,
              file=sys.stderr)
        return 1

    selected = [c for c in cases(a.quick, c10k_n, a.pipeline) if not a.only or re.search(a.only, c.name)]
    if "process" not in sections:
        selected = []
    results = {c.name: {v: [] for v in VARIANTS} for c in selected}
    failures = []
    t_start, load_start = time.time(), os.getloadavg()[0]
    for rep in range(a.reps):
        for i, case in enumerate(selected):
            # rotate the order so no variant always runs first or last
            k = (rep + i) % len(variants)
            order = variants[k:] + variants[:k]
            for v in order:
                r, cmd = run_one(v, a, case)
                results[case.name][v].append(r)
                if "error" in r:
                    failures.append((case.name, v, r["error"], cmd))
                    print(f"  FAILED {case.name} [{v}]: {r['error']}\n    {shlex.join(cmd)}", file=sys.stderr)
            print(f"  rep {rep + 1}/{a.reps}: {case.name} done", file=sys.stderr)
    paired_md = paired_table = python_md = python_table = None
    if "paired" in sections:
        paired_md, paired_table = run_paired(a, failures)
    if "python" in sections:
        if a.py_modules and all(os.path.isdir(os.path.join(a.py_modules, m)) for m in ("stock", "patched")):
            python_md, python_table = run_python(a, failures)
        else:
            print("note: no --py-modules with stock/ and patched/: the Python patched/stock run is skipped",
                  file=sys.stderr)
    seconds = time.time() - t_start
    tables = []
    for case in selected:
        tables.extend(summarize(case, results[case.name]))
        # consistency: the same protocol and cipher everywhere
        seen = {(r.get("version"), r.get("cipher")) for v in variants for r in results[case.name][v]
                if "error" not in r and r.get("version")}
        if len(seen) > 1:
            print(f"warning: {case.name}: variants negotiated different parameters: {sorted(seen)}",
                  file=sys.stderr)
    notes = machine_notes(a, load_start, os.getloadavg()[0], seconds)
    parts = []
    if selected:
        parts.append("Separate processes per variant, best of the repetitions:\n\n" + render(tables))
    if paired_md:
        parts.append(f"Paired in one process (raw, pyssl, raw again in alternating segments), "
                     f"{a.paired_reps} processes x {a.rounds} rounds, segments of {a.segment} s; "
                     f"median of the per-process medians of the paired ratios (min-max over the "
                     f"processes):\n\n" + paired_md)
    if python_md:
        parts.append(f"Python {a.python}, pyssl-patched against stock _ssl in one process (stock, patched, "
                     f"stock again in alternating segments, benches/pypaired.py), {a.paired_reps} processes x "
                     f"{a.py_rounds} rounds, segments of {a.py_segment} s; median of the per-process medians "
                     f"of the paired ratios (min-max over the processes):\n\n" + python_md)
    table = "\n\n".join(parts)
    print()
    print(notes)
    print()
    print(table)
    unavailable = sorted({n for t in tables for v in VARIANTS for n in t["stats"][v]["notes"]
                          if n.startswith("unavailable")})
    for n in unavailable:
        print(f"\nnote: some results are {n}")
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(notes + "\n\n" + table + "\n")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"notes": notes, "results": results, "table": tables, "paired": paired_table,
                       "python": python_table}, f, indent=1, default=str)
    if failures:
        print(f"\n{len(failures)} run(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
