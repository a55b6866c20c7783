#!/usr/bin/env bash
# Prints the Debian archive URI this machine's apt is configured with, so
# that no script has to name a mirror: the entry apt itself reads (apt-get
# indextargets) for the host's own release (VERSION_CODENAME), not its
# -security or -updates suites. DEBIAN_MIRROR, when set, wins.
set -euo pipefail

if [[ -n ${DEBIAN_MIRROR:-} ]]; then
    printf '%s\n' "${DEBIAN_MIRROR%/}"
    exit 0
fi
# shellcheck disable=SC1091
codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
if [[ -z $codename ]]; then
    echo "mirror.sh: /etc/os-release names no VERSION_CODENAME; set DEBIAN_MIRROR" >&2
    exit 1
fi
# Site is the URI as written in sources.list or *.sources (without dists/).
# shellcheck disable=SC2016 # apt's format fields, not shell
site=$(apt-get indextargets --format '$(TARGET_OF) $(RELEASE) $(SITE)' 'Created-By: Packages' |
    awk -v want="$codename" '$1 == "deb" && $2 == want { print $3; exit }')
if [[ -z $site ]]; then
    echo "mirror.sh: apt has no 'deb ... $codename' source; set DEBIAN_MIRROR" >&2
    exit 1
fi
printf '%s\n' "${site%/}"
