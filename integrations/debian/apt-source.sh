#!/usr/bin/env bash
# Fetches and extracts a Debian source package without touching the
# system's apt configuration: a private sources list and state directory
# under WORKDIR, the mirror apt is configured with (mirror.sh).
#   apt-source.sh PACKAGE "SUITE..." DESTDIR WORKDIR
# Extracts into DESTDIR/PACKAGE-VERSION (dpkg-source -x, Debian's patches
# applied), prints that directory's name, removes WORKDIR's downloads.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pkg=$1 suites=$2 dest=$3 apt_dir=$4

rm -rf "$apt_dir"
rm -f "$dest"/*.tar.* "$dest"/*.dsc  # dpkg-source's copies of the tarballs
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
    "$apt_dir/etc/sources.list.d" "$apt_dir/etc/preferences.d" "$apt_dir/download" "$dest"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mirror=$("$here/mirror.sh")
for suite in $suites; do
    echo "deb-src [signed-by=$keyring] $mirror $suite main"
done >"$apt_dir/etc/sources.list"
apt_opts=(
    -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
    -o "Dir::Etc::SourceParts=$apt_dir/etc/sources.list.d"
    -o "Dir::Etc::Preferences=$apt_dir/etc/preferences"
    -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
    -o "Dir::State=$apt_dir"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::State::status=/var/lib/dpkg/status"
    -o "Dir::Cache=$apt_dir/cache"
    -o "Debug::NoLocking=1"
)
# apt drops privileges to _apt for downloads, which cannot write here.
if [[ $(id -u) -eq 0 ]]; then apt_opts+=(-o "APT::Sandbox::User=root"); fi
apt-get "${apt_opts[@]}" -q update >&2
(cd "$apt_dir/download" && apt-get "${apt_opts[@]}" -q source --download-only "$pkg") >&2
dsc=$(ls "$apt_dir"/download/"$pkg"_*.dsc)
version=$(basename "$dsc" .dsc)
version=${version#"$pkg"_}
dpkg-source -q -x "$dsc" "$dest/$pkg-$version" >&2
rm -rf "$apt_dir"
rm -f "$dest"/*.tar.* "$dest"/*.dsc  # dpkg-source's copies of the tarballs
echo "$pkg-$version"
