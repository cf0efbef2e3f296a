#!/bin/bash
# test/pkg/debs.sh - build the Debian packages with scripts/build-debs.sh
# (dpkg-buildpackage, then lintian: no errors), check that each file lands
# in the package debian/control and debian/*.install say, and build the
# DKMS source tree of hesper-modules-dkms the way dkms.conf does when
# kernel headers are installed.  About a minute on 2 cores; run once, in
# the -Werror build (the packages are built without sanitizers anyway).
set -euo pipefail
: "${top_builddir:=$PWD}" "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
name=debs
skip() { echo "$name: SKIP: $*"; exit 77; }
fails=0
fail() { echo "$name: FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "$name: ok: $*"; }

grep -q -- '-fsanitize' "$top_builddir/Makefile" 2>/dev/null &&
	skip "sanitizer build: the packages are checked in the plain build"
for t in dpkg-buildpackage dh dh_dkms lintian fakeroot git; do
	command -v "$t" >/dev/null 2>&1 || skip "$t missing (scripts/deps.sh installs it)"
done
(cd "$top_srcdir" && dpkg-checkbuilddeps) >/dev/null 2>&1 ||
	skip "build dependencies of debian/control missing (scripts/build-debs.sh as root installs them)"
[ -d "$top_srcdir/.git" ] || [ -f "$top_srcdir/.git" ] || skip "not a git checkout"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hesper-debs-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if "$top_srcdir/scripts/build-debs.sh" "$tmp/out" >"$tmp/build.log" 2>&1; then
	ok "dpkg-buildpackage -b and lintian (no errors)"
else
	cat "$tmp/build.log" >&2
	fail "scripts/build-debs.sh"
fi
sed -n 's/^[WE]: /lintian: &/p' "$tmp/build.log"

# has PACKAGE PATH...: each PATH is in PACKAGE's .deb.
has() {
	local pkg=$1 deb list p
	shift
	deb=$(ls "$tmp"/out/"$pkg"_*.deb 2>/dev/null | head -1)
	[ -n "$deb" ] || { fail "$pkg: no .deb"; return; }
	list=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
	for p; do
		grep -qx -- "$p" <<<"$list" && ok "$pkg has $p" || fail "$pkg lacks $p"
	done
}
has hesper-client /usr/sbin/venus /usr/bin/cfs /usr/bin/hoard \
	/lib/systemd/system/venus.service /etc/hesper/venus.conf \
	/usr/share/man/man8/venus.8.gz /usr/share/man/man5/venus.conf.5.gz \
	/usr/share/man/man1/cfs.1.gz /usr/share/man/man1/hoard.1.gz \
	/usr/share/bash-completion/completions/cfs \
	/usr/share/bash-completion/completions/hoard
has hesper-server /usr/sbin/vice /lib/systemd/system/vice.service \
	/usr/share/man/man8/vice.8.gz /usr/share/bash-completion/completions/vice
ver=$(cd "$top_srcdir" && dpkg-parsechangelog -S Version)
has hesper-modules-dkms "/usr/src/hesper-$ver/dkms.conf" "/usr/src/hesper-$ver/Makefile" \
	"/usr/src/hesper-$ver/include/hesper/coda_abi.h"

# The unit in the package runs the packaged programs with Debian's paths.
deb=$(ls "$tmp"/out/hesper-server_*.deb 2>/dev/null | head -1)
if [ -n "$deb" ]; then
	dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/vice.service >"$tmp/vice.service"
	grep -qx 'ExecStart=/usr/sbin/vice -f -r /var/lib/hesper/vice' "$tmp/vice.service" &&
		ok "vice.service uses /usr/sbin and /var/lib/hesper" || fail "vice.service paths"
fi

# DKMS's MAKE[0] on the packaged tree, for the running kernel's headers.
deb=$(ls "$tmp"/out/hesper-modules-dkms_*.deb 2>/dev/null | head -1)
kdir=/lib/modules/$(uname -r)/build
[ -d "$kdir" ] || kdir=$(ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -1)
if [ -n "$deb" ] && [ -n "$kdir" ] && [ -d "$kdir" ]; then
	dpkg-deb -x "$deb" "$tmp/dkms"
	mk=$(sed -n 's/^MAKE\[0\]="\(.*\)"$/\1/p' "$tmp/dkms/usr/src/hesper-$ver/dkms.conf")
	mk=${mk//'${kernel_source_dir}'/$kdir}
	if (cd "$tmp/dkms/usr/src/hesper-$ver" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $mk) \
		>"$tmp/dkms.log" 2>&1 && [ -f "$tmp/dkms/usr/src/hesper-$ver/hesper.ko" ]; then
		ok "dkms.conf's '$mk' builds hesper.ko"
	else
		cat "$tmp/dkms.log" >&2
		fail "DKMS build against $kdir"
	fi
else
	echo "$name: note: no kernel headers: the DKMS build is left to test/kernel/run.sh"
fi
[ "$fails" -eq 0 ] || exit 1
echo "$name: all checks passed"
