#!/bin/sh
# Runs the Python oracle for one pyssl mode and writes its expectations.
#   run_oracle.sh MODE CERTDIR OUTFILE ORACLE_SCRIPT
# MODE 311: Debian's CPython 3.11 ($PYSSL_PYTHON311, else /usr/bin/python3.11,
#           else python3.11 on PATH).
# MODE 314: CPython 3.13 ($PYSSL_PYTHON314, else pyenv's python3.13 with
#           PYENV_VERSION=${PYSSL_PYENV_VERSION:-3.13.0}, else python3.13).
# Without a suitable interpreter OUTFILE says "# UNAVAILABLE: ..." and the
# C tests skip their comparisons with a notice; this script still succeeds.
set -u

MODE=${1:?usage: run_oracle.sh MODE CERTDIR OUTFILE ORACLE_SCRIPT}
CERTDIR=${2:?}
OUT=${3:?}
SCRIPT=${4:?}

# has_version PYTHON MAJOR.MINOR...: the interpreter runs and is one of them.
has_version() {
    py=$1
    shift
    v=$("$py" -c 'import sys, ssl; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || return 1
    for want in "$@"; do
        [ "$v" = "$want" ] && return 0
    done
    return 1
}

PY=
case "$MODE" in
311)
    WANT=3.11
    for cand in "${PYSSL_PYTHON311:-}" /usr/bin/python3.11 "$(command -v python3.11 2>/dev/null)"; do
        if [ -n "$cand" ] && has_version "$cand" 3.11; then
            PY=$cand
            break
        fi
    done
    ;;
314)
    WANT="3.13 (or 3.14)"
    if [ -n "${PYSSL_PYTHON314:-}" ] && has_version "$PYSSL_PYTHON314" 3.13 3.14; then
        PY=$PYSSL_PYTHON314
    else
        root=${PYENV_ROOT:-}
        if [ -z "$root" ] && command -v pyenv >/dev/null 2>&1; then
            root=$(pyenv root 2>/dev/null)
        fi
        PYENV_VERSION=${PYSSL_PYENV_VERSION:-3.13.0}
        export PYENV_VERSION
        if [ -n "$root" ] && has_version "$root/shims/python3.13" 3.13; then
            PY=$root/shims/python3.13
        elif cand=$(command -v python3.13 2>/dev/null) && has_version "$cand" 3.13; then
            PY=$cand
        fi
    fi
    ;;
*)
    echo "run_oracle.sh: unknown mode $MODE" >&2
    exit 2
    ;;
esac

if [ -z "$PY" ]; then
    msg="no Python $WANT interpreter found for the $MODE oracle"
    echo "# UNAVAILABLE: $msg" > "$OUT"
    echo "NOTICE: $msg; the C tests will skip their comparisons for this mode"
    exit 0
fi

echo "oracle $MODE: $PY"
exec "$PY" "$SCRIPT" "$CERTDIR" "$OUT"
