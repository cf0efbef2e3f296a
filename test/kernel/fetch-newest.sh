#!/usr/bin/env bash
# test/kernel/fetch-newest.sh DIR - the newest kernel Debian ships for
# the next release's users (trixie-backports' linux-image-amd64), with a
# build environment for it in DIR.
#
# That kernel's kbuild host programs (fixdep, modpost, objtool, ...) need
# trixie's glibc and its headers pin gcc-14, so DIR is a trixie root made
# by debootstrap (minbase) from the machine's own mirror, with make, gcc-14
# and the kernel's headers, binary and modules installed by its own apt.
# The system's apt sources and package state are not touched.  DIR is a
# cache: made once per machine (under a lock, bounded by timeouts), then
# only refreshed when a day old; offline, the cached kernel is used.
#
# Prints "KVER KBUILD MODROOT IMAGE" on stdout, KBUILD being a path inside
# DIR (build there with chroot); exit 1 with the reason on stderr when it
# cannot be had (not root, no debootstrap, no network on the first run).
# Env: BOOTSTRAP_TIMEOUT=900 (s, debootstrap), APT_TIMEOUT=900 (s, each
# apt-get), REFRESH_HOURS=24.
set -euo pipefail
D=${1:?usage: fetch-newest.sh DIR}
SUITE=trixie
log() { echo "fetch-newest: $*" >&2; }
fail() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] ||
	fail "debootstrap not installed (scripts/deps.sh installs it)"
PATH=$PATH:/usr/sbin:/sbin
mkdir -p "$(dirname "$D")"
D=$(cd "$(dirname "$D")" && pwd)/$(basename "$D")

# One builder per machine; a second run waits for the first.
exec 9> "$D.lock"
flock -w "${BOOTSTRAP_TIMEOUT:-900}" 9 || fail "timed out waiting for $D.lock"

# run_in CMD...: CMD inside DIR with its own /proc (objtool and apt need
# it), in a private mount namespace so nothing stays mounted on exit;
# bounded by APT_TIMEOUT.
run_in() {
	# shellcheck disable=SC2016 # $0/$@ are sh -c's own
	timeout -k 10 "${APT_TIMEOUT:-900}" unshare --mount --propagation private --fork \
		sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$D" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive INITRD=No "$@"
}

. "$(dirname "$0")/../../scripts/deps.sh"
if [ ! -e "$D/.hesper-bootstrapped" ]; then
	mirror=$(hs_debian_mirror) || fail "no Debian archive in /etc/apt/sources*"
	log "creating a $SUITE build root in $D (once per machine)"
	rm -rf "$D.new" "$D"
	timeout -k 10 "${BOOTSTRAP_TIMEOUT:-900}" debootstrap --variant=minbase \
		"$SUITE" "$D.new" "$mirror" > "$D.log" 2>&1 ||
		{ tail -5 "$D.log" >&2; rm -rf "$D.new"; fail "debootstrap $SUITE from $mirror failed (log: $D.log)"; }
	echo "deb $mirror $SUITE-backports main" > "$D.new/etc/apt/sources.list.d/backports.list"
	touch "$D.new/.hesper-bootstrapped"
	mv "$D.new" "$D"
fi

# newest_kver: the kernel release trixie-backports' (or trixie's, if
# newer) linux-image-amd64 depends on.
newest_kver() {
	local v best=
	for v in $(run_in apt-cache show linux-image-amd64 | awk '/^Version:/ { print $2 }'); do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done
	[ -n "$best" ] || return 1
	run_in apt-cache depends "linux-image-amd64=$best" |
		grep -o 'linux-image-[0-9][^ ]*-amd64' | head -1 | sed 's/^linux-image-//'
}

kver=$(cat "$D/.hesper-kver" 2>/dev/null || true)
if [ -z "$kver" ] || [ -n "$(find "$D/.hesper-kver" -mmin +$((${REFRESH_HOURS:-24} * 60)) 2>/dev/null)" ]; then
	if run_in apt-get -qq update >&2 && new=$(newest_kver) && [ -n "$new" ]; then
		if [ "$new" != "$kver" ] || [ ! -e "$D/usr/src/linux-headers-$new/Makefile" ]; then
			log "installing linux $new and its build tools in $D"
			# binutils: kbuild's cc-option probes need as(1), or flags
			# such as -fcf-protection silently drop out.
			run_in apt-get -y -qq --no-install-recommends \
				install make binutils "linux-headers-$new" "linux-binary-$new" \
				"linux-modules-$new" > "$D.log" 2>&1 ||
				{ tail -5 "$D.log" >&2; fail "apt-get install of linux $new failed (log: $D.log)"; }
			run_in apt-get -qq clean
			# older kernels of earlier runs: not needed any more
			if [ -n "$kver" ] && [ "$kver" != "$new" ]; then
				run_in apt-get -y -qq purge "linux-headers-$kver" "linux-binary-$kver" \
					"linux-modules-$kver" > /dev/null 2>&1 || true
				run_in apt-get -y -qq autoremove --purge > /dev/null 2>&1 || true
			fi
		fi
		kver=$new
		echo "$kver" > "$D/.hesper-kver"
	elif [ -n "$kver" ]; then
		log "apt-get update failed: using the cached linux $kver"
		touch "$D/.hesper-kver"
	else
		fail "apt-get update of $SUITE(-backports) failed in $D (no network?)"
	fi
fi
img=$D/usr/lib/modules/$kver/vmlinuz
[ -e "$img" ] || img=$D/boot/vmlinuz-$kver
[ -e "$img" ] && [ -e "$D/usr/src/linux-headers-$kver/Makefile" ] ||
	fail "linux $kver is incomplete in $D (remove it to rebuild)"
[ -e "$D/lib/modules/$kver/modules.dep" ] || depmod -b "$D" "$kver"
echo "$kver /usr/src/linux-headers-$kver $D $img"
