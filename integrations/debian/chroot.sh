#!/usr/bin/env bash
# Runs COMMAND in a Debian chroot of SUITE, building the chroot first when it
# is missing or was made for another package list:
#   chroot.sh SUITE [--] COMMAND...    (no COMMAND: only build, or check)
# SUITE is trixie (CPython 3.13, OpenSSL 3.5) or sid (CPython 3.14,
# OpenSSL 3.6). The chroot is made with `debootstrap --variant=minbase` from
# the Debian archive this machine's apt uses (mirror.sh) and cached outside
# the checkout, so re-runs take a second.
#
# Inside, the checkout is at /pyssl (the working directory) and also at its
# own path, because binaries built on the host carry absolute paths (cargo's
# CARGO_MANIFEST_DIR, CTest's files). /proc, /dev, /etc/hosts and
# /etc/resolv.conf come from the host. Every mount is made in a private
# mount namespace (unshare), so none outlives the command, even when it
# fails. The command gets the caller's environment with PATH, HOME and
# LANG reset and TMPDIR unset.
#
# Environment:
#   PYSSL_CHROOT_CACHE  where chroots are kept (default /var/cache/pyssl/chroots)
#   PYSSL_CHROOT_BIND   more host directories, colon-separated, to mount at
#                       their own paths (a build or target directory kept
#                       outside the checkout)
#   DEBIAN_MIRROR       archive to build from (default: the machine's, mirror.sh)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
checkout=$(cd "$here/../.." && pwd)
mnt=/pyssl

# --inside ROOT COMMAND...: the part that runs in the new mount namespace.
if [[ ${1:-} == --inside ]]; then
    r=$2
    shift 2
    mount -t proc proc "$r/proc"
    mount --rbind /dev "$r/dev"
    for f in /etc/hosts /etc/resolv.conf; do
        if [[ -e $f ]]; then
            [[ -e $r$f || -L $r$f ]] || : >"$r$f"
            mount --bind "$(readlink -f "$f")" "$r$f"
        fi
    done
    mkdir -p "$r$mnt" "$r$checkout"
    mount --bind "$checkout" "$r$mnt"
    mount --bind "$checkout" "$r$checkout"
    IFS=: read -r -a extra <<<"${PYSSL_CHROOT_BIND:-}"
    for d in "${extra[@]}"; do
        [[ -n $d ]] || continue
        mkdir -p "$r$d"
        mount --bind "$d" "$r$d"
    done
    unset TMPDIR
    # shellcheck disable=SC2016 # expanded by the chroot's sh
    exec chroot "$r" /usr/bin/env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8 \
        /bin/sh -c 'cd "$0" && exec "$@"' "$mnt" "$@"
fi

usage() { echo "usage: chroot.sh trixie|sid [--] [COMMAND...]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
suite=$1
shift
[[ ${1:-} == -- ]] && shift

# What the tests need in every chroot: the openssl CLI (certificates),
# cmocka (the C suite's host-built programs load it), CA certificates.
packages=(ca-certificates openssl libcmocka0)
# Installed when the suite has them (tests/certgen/gen_certs.py uses it).
optional=(python3-cryptography)
case $suite in
# trixie also builds CPython's _ssl module from Debian's source package
# (integrations/cpython/test-ssl.sh 3.13): apt-get source and dpkg-source
# (dpkg-dev, which brings patch, make, binutils and xz-utils), gcc,
# libssl-dev, and the bluetooth headers that Debian's pyconfig.h makes
# socketmodule.h include.
trixie) packages+=(python3.13 libpython3.13-testsuite python3.13-dev
    gcc make dpkg-dev libssl-dev libbluetooth-dev) ;;
sid) packages+=(python3.14 libpython3.14-testsuite python3.14-dev) ;;
*) usage ;;
esac

if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then exec sudo -E "$0" "$suite" -- "$@"; fi
    echo "chroot.sh: needs root (mounts and chroot)" >&2
    exit 1
fi
export PATH="$PATH:/usr/sbin:/sbin"

cache=${PYSSL_CHROOT_CACHE:-/var/cache/pyssl/chroots}
final=$cache/$suite
stamp_name=.pyssl-chroot
# The stamp records what the chroot was built for; any change rebuilds it.
want_stamp="suite=$suite packages=${packages[*]} optional=${optional[*]}"

# in_ns ROOT COMMAND...: COMMAND chrooted into ROOT, mounts private.
in_ns() { unshare --mount --propagation private -- "$0" --inside "$@"; }

# Refuses to go on when anything is mounted at or below DIR (in this
# namespace), so that rm -rf cannot reach into a mounted /dev or checkout.
assert_unmounted() {
    local dir=$1
    local mounted
    mounted=$(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo)
    if [[ -n $mounted ]]; then
        echo "chroot.sh: not removing $dir, it has mounts in it: ${mounted//$'\n'/ }" >&2
        exit 1
    fi
}

remove_tree() {
    [[ -e $1 ]] || return 0
    assert_unmounted "$1"
    rm -rf --one-file-system "$1"
}

build() {
    local tmp=$cache/.$suite.build old=$cache/.$suite.old mirror t0 t1 opt avail
    mirror=$("$here/mirror.sh")
    command -v debootstrap >/dev/null ||
        { echo "chroot.sh: debootstrap is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
    remove_tree "$tmp"
    echo "==> chroot.sh: building the $suite chroot in $final"
    t0=$SECONDS
    # debootstrap mounts /proc and /sys in the target itself: keep those
    # private too, so a failed run leaves nothing mounted.
    unshare --mount --propagation private -- \
        debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >"$cache/$suite.debootstrap.log" 2>&1 || {
        tail -n 30 "$cache/$suite.debootstrap.log" >&2
        echo "chroot.sh: debootstrap $suite failed (log: $cache/$suite.debootstrap.log)" >&2
        exit 1
    }
    t1=$SECONDS
    {
        echo 'APT::Install-Recommends "false";'
        echo 'Acquire::Languages "none";'
        # sid's Release may be past its Valid-Until on a frozen mirror.
        if [[ $suite == sid ]]; then echo 'Acquire::Check-Valid-Until "false";'; fi
    } >"$tmp/etc/apt/apt.conf.d/90pyssl"
    local apt_log=$cache/$suite.apt.log
    apt_in() {
        in_ns "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get -q "$@" >>"$apt_log" 2>&1 || {
            tail -n 30 "$apt_log" >&2
            echo "chroot.sh: apt-get $* failed in the $suite chroot (log: $apt_log)" >&2
            exit 1
        }
    }
    : >"$apt_log"
    apt_in update
    local install=("${packages[@]}")
    for opt in "${optional[@]}"; do
        avail=$(in_ns "$tmp" apt-cache policy "$opt" | awk '/Candidate:/ { print $2 }')
        if [[ -n $avail && $avail != "(none)" ]]; then install+=("$opt"); fi
    done
    apt_in -y install "${install[@]}"
    apt_in clean
    echo "$want_stamp" >"$tmp/$stamp_name"
    # Replace atomically: a half-built tree is never at $final.
    remove_tree "$old"
    if [[ -e $final ]]; then mv -T "$final" "$old"; fi
    mv -T "$tmp" "$final"
    remove_tree "$old"
    echo "==> chroot.sh: built $suite in $((SECONDS - t0))s" \
        "(debootstrap $((t1 - t0))s, packages $((SECONDS - t1))s): installed ${install[*]}"
}

mkdir -p "$cache"
exec 9>"$cache/.$suite.lock"
# Shared while running commands, exclusive while (re)building.
flock -s 9
if [[ $(cat "$final/$stamp_name" 2>/dev/null) != "$want_stamp" ]]; then
    flock -x 9
    if [[ $(cat "$final/$stamp_name" 2>/dev/null) != "$want_stamp" ]]; then build; fi
    flock -s 9
fi

[[ $# -gt 0 ]] || exit 0
# The lock's descriptor stays here, not in the command's processes.
in_ns "$final" "$@" 9>&-
