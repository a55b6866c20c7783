#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind) of the cases where pyssl is
# behind, raw OpenSSL against pyssl, per operation, with the functions that
# make the difference (cg_compare.py). Deterministic where wall time on a
# shared machine is not. Findings: benches/PROFILE.md.
#   benches/profile.sh [OUT_DIR]       (default: $build/profile)
# Needs the benchmark built and the certificates made, and for the Python
# cases the stock and patched _ssl modules: benches/run.sh does all three
# (`benches/run.sh --sections paired --only NONE` runs nothing else).
# Python cases count only inside FUNCTION (callgrind --toggle-collect):
# 2,000 timed calls and the one check call before them; the handshake
# cases (py_hs*, py_resume*) count the whole process instead (see there).
# Environment: as run.sh (CARGO_TARGET_DIR, PYSSL_BENCH_BUILD, PYTHON,
# PYSSL_BENCH_PY_MODULES); CASES to pick cases (default: all but the
# cache_* ones, which simulate the caches with cachegrind and are slow).
set -euo pipefail

# shellcheck source=paths.sh
. "$(dirname "${BASH_SOURCE[0]}")/paths.sh"
out=${1:-$build/profile}
bin=$build/pyssl_bench
certs=$build/certs
cases=${CASES:-small hs12 resume12 resume12_rawserver resume13 decode peercert_fresh der py_get_info py_get_ca_certs py_getpeercert py_der py_small py_hs13 py_hs12 py_resume13 py_resume12}
mkdir -p "$out"

cg() { # name -- command...
    local name=$1
    shift 2
    valgrind --tool=callgrind --callgrind-out-file="$out/$name.out" "$@" >/dev/null 2>"$out/$name.err" ||
        { cat "$out/$name.err" >&2; exit 1; }
}

# One C case: both lanes, counters zeroed after a warm-up (pyssl_bench
# --profile), compared.
c_case() { # name ops pyssl_bench-arguments...
    local name=$1 ops=$2
    shift 2
    for im in raw pyssl; do
        cg "$name-$im" -- "$bin" --certs "$certs" "$@" --profile "$im" --ops "$ops"
    done
    # the dump at the client request is the .1 file: the measured operations only
    echo "== $name: $* ($ops operations)"
    "$here/cg_compare.py" "$out/$name-raw.out.1" "$out/$name-pyssl.out.1" "$ops" --top 30
    echo
}

# One C case under cachegrind's cache and branch simulation: each lane
# with FEW and with MANY operations (cachegrind counts the whole process),
# compared per operation by cg_cache.py.
cache_case() { # name few many pyssl_bench-arguments...
    local name=$1 few=$2 many=$3
    shift 3
    for im in raw pyssl; do
        for n in "$few" "$many"; do
            valgrind --tool=cachegrind --cache-sim=yes --branch-sim=yes \
                --cachegrind-out-file="$out/$name-$im-$n.out" \
                "$bin" --certs "$certs" "$@" --profile "$im" --ops "$n" >/dev/null 2>"$out/$name-$im.err" ||
                { cat "$out/$name-$im.err" >&2; exit 1; }
        done
    done
    echo "== $name: $* (cachegrind, ($many - $few) operations)"
    "$here/cg_cache.py" "$out/$name-raw-$few.out" "$out/$name-raw-$many.out" \
        "$out/$name-pyssl-$few.out" "$out/$name-pyssl-$many.out" "$((many - few))"
    echo
}

for c in $cases; do
    case $c in
    small) c_case small 5000 --paired small ;;
    hs12) c_case hs12 100 --paired handshake --tls12 ;;
    resume12) c_case resume12 300 --paired resume --tls12 ;;
    resume13) c_case resume13 300 --paired resume ;;
    resume12_rawserver) c_case resume12_rawserver 300 --paired resume --tls12 --server raw ;;
    cache_resume12) cache_case cache_resume12 200 1200 --paired resume --tls12 ;;
    cache_resume12_rawserver) cache_case cache_resume12_rawserver 200 1200 --paired resume --tls12 --server raw ;;
    cache_small) cache_case cache_small 2000 22000 --paired small ;;
    decode) c_case decode 500 --paired decode ;;
    peercert_fresh) c_case peercert_fresh 500 --paired peercert_fresh ;;
    der) c_case der 5000 --paired peercert_der ;;
    py_get_info | py_get_ca_certs | py_getpeercert | py_der | py_small)
        # calls: what the toggled functions were entered for
        case $c in
        py_get_info) fns=(_ssl_Certificate_get_info) args=(--test get_info --count 2000) calls=2001 ;;
        # one CA certificate in the client's context: one decode a call
        py_get_ca_certs) fns=(_ssl__SSLContext_get_ca_certs) args=(--test get_ca_certs --count 2000) calls=2001 ;;
        py_getpeercert) fns=(_ssl__SSLSocket_getpeercert) args=(--test peercert --count 2000) calls=2001 ;;
        py_der) fns=(_ssl__SSLSocket_getpeercert) args=(--test peercert_der --count 2000) calls=2001 ;;
        # 20,000 timed writes of 64 B and their reads, 1,250 more in the
        # warm-up (1/16); counted: each write and read call
        py_small) fns=(_ssl__SSLSocket_write _ssl__SSLSocket_read) calls=21250
            args=(--test small --chunk 64 --bytes $((64 * 20000))) ;;
        esac
        toggles=()
        for fn in "${fns[@]}"; do toggles+=(--toggle-collect="$fn"); done
        for m in stock patched; do
            PYTHONPATH=$py_modules/$m valgrind --tool=callgrind "${toggles[@]}" \
                --callgrind-out-file="$out/$c-$m.out" "$python" "$here/pybench.py" --certs "$certs" \
                --warmup 0 "${args[@]}" >/dev/null 2>"$out/$c-$m.err" ||
                { cat "$out/$c-$m.err" >&2; exit 1; }
        done
        echo "== $c: python ${args[*]} (inside ${fns[*]}, $calls operations)"
        "$here/cg_compare.py" "$out/$c-stock.out" "$out/$c-patched.out" "$calls" --top 30 --labels stock,patched
        echo
        ;;
    py_hs13 | py_hs12 | py_resume13 | py_resume12)
        # A Python connection is more than _ssl's functions (the socket
        # objects, ssl.py's wrapper, the collector), so these count the
        # whole process twice, with 20 and 120 connections: the difference
        # over 100 is the cost of one connection, start-up and imports
        # cancelled out.
        case $c in
        py_hs13) args=(--test handshake) ;;
        py_hs12) args=(--test handshake --tls12) ;;
        py_resume13) args=(--test resume) ;;
        py_resume12) args=(--test resume --tls12) ;;
        esac
        echo "== $c: python ${args[*]} (whole process, 120 - 20 connections)"
        per=()
        for m in stock patched; do
            tot=()
            for n in 20 120; do
                f=$out/$c-$m-$n.out
                PYTHONHASHSEED=0 PYTHONPATH=$py_modules/$m valgrind --tool=callgrind --callgrind-out-file="$f" \
                    "$python" "$here/pybench.py" --certs "$certs" --warmup 0 --count "$n" "${args[@]}" \
                    >/dev/null 2>"$out/$c-$m.err" || { cat "$out/$c-$m.err" >&2; exit 1; }
                tot+=("$(sed -n 's/^totals: //p' "$f")")
            done
            per+=($(((tot[1] - tot[0]) / 100)))
            echo "  $m: $(printf "%'d" "${per[-1]}") instructions per connection"
        done
        awk -v s="${per[0]}" -v p="${per[1]}" \
            'BEGIN { printf "  patched - stock: %+d (%+.2f%%), stock/patched %.4f\n", p - s, 100 * (p - s) / s, s / p }'
        echo
        ;;
    *)
        echo "unknown case $c" >&2
        exit 2
        ;;
    esac
done
