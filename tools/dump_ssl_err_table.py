"""Prints the OpenSSL library and reason names the running interpreter's
_ssl module has compiled in, one per line, sorted:
    version 3.14.10
    openssl OpenSSL 3.6.5 29 Sep 2026
    library CODE NAME
    reason LIBRARY_CODE REASON_CODE NAME

CPython up to 3.12 exposes these tables as _ssl.lib_codes_to_names and
_ssl.err_codes_to_names. 3.13 and later keep them in module state only, and
Debian serves no source package for its 3.14, so this reads them from the
loaded module's memory instead: CPython's tables are static arrays of
{const char *name; int library; int reason;} and {const char *name; int
code;} (16 bytes each on 64-bit Linux), ended by a NULL name. The scan looks
for the longest runs of such records whose names point at upper-case C
strings inside the module; for 3.11 the result is checked against the
exposed dicts, and tools/gen_err_names.py checks 3.13's against the tables
of its source package.

Run: python3.X tools/dump_ssl_err_table.py > table.txt"""
import ctypes
import re
import ssl
import struct
import sys

import _ssl

NAME = re.compile(rb"[A-Z][A-Z0-9_]*")


def module_maps(path):
    """[(start, end)] of the readable mappings of the file `path`."""
    maps = []
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and fields[5] == path and fields[1][0] == "r":
                start, end = (int(x, 16) for x in fields[0].split("-"))
                maps.append((start, end))
    return maps


def c_string(addr, maps, limit=80):
    """The upper-case name at `addr` when `addr` is inside the module and
    holds one, NUL-terminated; else None."""
    for start, end in maps:
        if start <= addr < end:
            raw = ctypes.string_at(addr, min(limit, end - addr))
            name = raw.split(b"\0", 1)
            if len(name) == 2 and NAME.fullmatch(name[0]):
                return name[0].decode()
            return None
    return None


def runs(maps, record_ok):
    """Runs of consecutive 16-byte records, [(address, [record, ...])], for
    which record_ok(name, a, b) holds; a run ends at a NULL name."""
    found = []
    for start, end in maps:
        data = ctypes.string_at(start, end - start)
        for align in range(0, 16, 8):
            run, run_at = [], None
            for off in range(align, len(data) - 15, 16):
                ptr, a, b = struct.unpack_from("<Qii", data, off)
                name = c_string(ptr, maps) if ptr else None
                if name is not None and record_ok(name, a, b):
                    if not run:
                        run_at = start + off
                    run.append((name, a, b))
                    continue
                if run and ptr == 0 and a == 0 and b == 0:
                    found.append((run_at, run))
                run = []
    return found


def main():
    path = _ssl.__file__
    maps = module_maps(path)
    if not maps:
        sys.exit(f"{path} is not mapped in this process")
    reason_runs = runs(maps, lambda n, lib, reason: 1 <= lib <= 255 and 1 <= reason < (1 << 23))
    lib_runs = runs(maps, lambda n, code, pad: 1 <= code <= 255 and pad == 0)
    if not reason_runs or not lib_runs:
        sys.exit("no name table found in the _ssl module")
    reasons = max(reason_runs, key=lambda r: len(r[1]))[1]
    libraries = max(lib_runs, key=lambda r: len(r[1]))[1]
    # A later entry for the same code wins, as when CPython fills its dict.
    by_code = {}
    for name, lib, reason in reasons:
        by_code[(lib, reason)] = name
    libs = {}
    for name, code, _ in libraries:
        libs[code] = name
    if hasattr(_ssl, "err_codes_to_names"):
        if by_code != dict(_ssl.err_codes_to_names) or libs != dict(_ssl.lib_codes_to_names):
            sys.exit("the tables found differ from _ssl's own dicts")
    print("version", sys.version.split()[0])
    print("openssl", ssl.OPENSSL_VERSION)
    for code, name in sorted(libs.items()):
        print("library", code, name)
    for (lib, reason), name in sorted(by_code.items()):
        print("reason", lib, reason, name)

main()
