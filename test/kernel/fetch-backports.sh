#!/usr/bin/env bash
# test/kernel/fetch-backports.sh DIR - fetch bookworm-backports' newest
# linux-image-amd64 and its headers into DIR with apt, without touching
# the system's sources, package state or /usr/src, and make the headers
# usable from there.  Prints "KVER KBUILD MODROOT IMAGE" on stdout; exit 1
# (with a reason on stderr) when it cannot be had, e.g. without network.
set -euo pipefail
D=${1:?usage: fetch-backports.sh DIR}
mkdir -p "$D"/{etc,lists/partial,cache/archives/partial,debs,root}
D=$(cd "$D" && pwd)
log() { echo "fetch-backports: $*" >&2; }

if [ ! -e "$D/ready" ]; then
	# The machine's own Debian mirror (scripts/deps.sh), backports suite.
	. "$(dirname "$0")/../../scripts/deps.sh"
	mirror=$(hs_debian_mirror) || { log "no Debian archive in /etc/apt/sources*"; exit 1; }
	echo "deb $mirror bookworm-backports main" > "$D/etc/sources.list"
	A=(-o Dir::Etc::sourcelist="$D/etc/sources.list" -o Dir::Etc::sourceparts=-
	   -o Dir::State::Lists="$D/lists" -o Dir::Cache="$D/cache" -o Debug::NoLocking=1)
	[ "$(id -u)" = 0 ] && A+=(-o APT::Sandbox::User=root)
	timeout 120 apt-get "${A[@]}" -qq update >&2 || { log "apt-get update failed"; exit 1; }
	img=$(apt-cache "${A[@]}" depends linux-image-amd64 2>/dev/null |
	      grep -o 'linux-image-6[^ ]*-amd64' | sort -V | tail -1)
	[ -n "$img" ] || { log "no backports kernel found"; exit 1; }
	kver=${img#linux-image-}
	kbuild=$(apt-cache "${A[@]}" depends "linux-headers-$kver" 2>/dev/null |
		 grep -o 'linux-kbuild-[^ ]*' | head -1)
	(cd "$D/debs" && timeout 600 apt-get "${A[@]}" -qq download "$img" \
		"linux-headers-$kver" "linux-headers-${kver%-amd64}-common" "$kbuild") >&2 ||
		{ log "download failed"; exit 1; }
	for d in "$D"/debs/*.deb; do dpkg-deb -x "$d" "$D/root"; done
	# The packages point at /usr/src and /lib by absolute and ../../lib
	# paths: redirect them into DIR.
	ln -sfn "../usr/lib/$kbuild" "$D/root/lib/$kbuild"
	sed -i "s|^include /usr/src/|include $D/root/usr/src/|" \
		"$D/root/usr/src/linux-headers-$kver/Makefile"
	depmod -b "$D/root" "$kver"
	echo "$kver" > "$D/ready"
fi
kver=$(cat "$D/ready")
echo "$kver $D/root/usr/src/linux-headers-$kver $D/root $D/root/boot/vmlinuz-$kver"
