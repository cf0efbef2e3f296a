#!/bin/bash
# scripts/build-debs.sh [OUTDIR] - build Hesper's Debian packages
# (hesper-client, hesper-server, hesper-modules-dkms) from this tree and
# check them with lintian.  As root it first installs the build
# dependencies from debian/control (apt-get build-dep) and lintian.
#
# The tree (tracked files plus new, not ignored ones) is copied to a
# scratch directory, so the source tree and its build dirs stay as they
# are.  The .debs, the .buildinfo/.changes and build.log land in OUTDIR
# (default ./debs).  Exit status: non-zero if the build failed or lintian reported
# an error; lintian's warnings are printed.  Takes a few minutes on 2 cores,
# which is why make check does not run it.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-debs}" && cd "${1:-debs}" && pwd)
log() { printf 'build-debs: %s\n' "$*" >&2; }

if [ "$(id -u)" -eq 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	if ! (cd "$src" && dpkg-checkbuilddeps) >/dev/null 2>&1 || ! command -v lintian >/dev/null; then
		log "installing build dependencies and lintian"
		apt-get update -q </dev/null >&2
		(cd "$src" && apt-get build-dep -y -q --no-install-recommends ./) </dev/null >&2
		apt-get install -y -q --no-install-recommends lintian dpkg-dev fakeroot </dev/null >&2
	fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hesper-debs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ver=$(cd "$src" && dpkg-parsechangelog -S Version)
tree=$tmp/hesper-$ver
mkdir -p "$tree"
(cd "$src" && git ls-files -z -co --exclude-standard | grep -zv '^debs/' |
	xargs -0 tar -cf - --no-recursion) | tar -C "$tree" -xf -
log "building hesper $ver in $tree"
# Run from make check (test/pkg/debs.sh), the environment carries the outer
# make's MAKEFLAGS, whose settings would override debian/rules' own TESTS
# list: the package's check would run the whole suite in a private tree.
(cd "$tree" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	dpkg-buildpackage -us -uc -b -j"${HS_JOBS:-2}") >"$out/build.log" 2>&1 ||
	{ tail -n 60 "$out/build.log" >&2; log "dpkg-buildpackage failed (log: $out/build.log)"; exit 1; }
mv "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$out"/
log "packages in $out:"
ls -1 "$out"/hesper*_"$ver"_*.deb >&2

command -v lintian >/dev/null || { log "lintian missing: not checked"; exit 0; }
rc=0
lintian --fail-on error --tag-display-limit 0 "$out"/hesper*_"$ver"_*.deb >&2 || rc=$?
[ "$rc" -eq 0 ] && log "lintian: no errors" || log "lintian: errors (exit $rc)"
exit "$rc"
