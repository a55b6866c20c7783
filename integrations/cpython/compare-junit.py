"""Compares the per-test outcomes of two `python -m test --junit-xml` reports.

Usage: compare-junit.py STOCK.xml PATCHED.xml

Prints a summary of each report and every test whose outcome differs, and
exits with status 1 when there is any difference.
"""

import collections
import sys
import xml.etree.ElementTree as ET

# Child element of <testcase> written by test.support.testresult -> outcome.
CHILD_OUTCOMES = {
    "error": "error",
    "failure": "failure",
    "skipped": "skipped",
    "output": "expected failure",
    "outcome": "unexpected success",
}


def outcomes(path):
    """{test id: (outcome, detail)} in report order."""
    result = {}
    previous = "<start>"
    for n, case in enumerate(ET.parse(path).getroot().iter("testcase")):
        name = case.get("name")
        if name is None:
            # A test whose subtests failed gets no result of its own.
            result[f"<unnamed test #{n} after {previous}>"] = ("subtest failure", "")
            continue
        previous = name
        outcome, detail = "passed", ""
        for child in case:
            if child.tag in CHILD_OUTCOMES:
                outcome = CHILD_OUTCOMES[child.tag]
                detail = child.get("message") or child.text or ""
                break
        result[name] = (outcome, detail)
    return result


def count(results):
    counts = collections.Counter(o for o, _ in results.values())
    parts = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
    return f"{len(results)} tests: {parts}"


def summary(label, results):
    print(f"{label}: {count(results)}")
    # One line per test module when the report has several
    # (test.test_ssl, test.test_asyncio.test_ssl, ...).
    modules = collections.defaultdict(dict)
    for name, result in results.items():
        if not name.startswith("<"):
            modules[name.rsplit(".", 2)[0]][name] = result
    if len(modules) > 1:
        for module, tests in modules.items():
            print(f"    {module}: {count(tests)}")


def first_lines(text, n=6):
    lines = text.strip().splitlines()
    out = "\n        ".join(lines[:n])
    return out + ("\n        ..." if len(lines) > n else "")


def main():
    stock_path, patched_path = sys.argv[1:3]
    stock, patched = outcomes(stock_path), outcomes(patched_path)
    summary("stock  ", stock)
    summary("patched", patched)
    differences = 0
    for name in list(stock) + [n for n in patched if n not in stock]:
        a = stock.get(name, ("missing", ""))
        b = patched.get(name, ("missing", ""))
        if a[0] == b[0]:
            continue
        differences += 1
        print(f"\nDIFFERENT: {name}\n    stock:   {a[0]}\n    patched: {b[0]}")
        for label, (outcome, detail) in (("stock", a), ("patched", b)):
            if detail and outcome != "skipped":
                print(f"    {label} detail:\n        {first_lines(detail)}")
    if differences:
        print(f"\n{differences} test(s) with different outcomes")
        return 1
    print("\nevery test has the same outcome with both modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
