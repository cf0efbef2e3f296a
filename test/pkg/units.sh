#!/bin/bash
# test/pkg/units.sh - `systemd-analyze verify` on vice.service and
# venus.service as make generated them (dist/systemd/*.service.in with
# configure's paths).  ExecStart is pointed at the build tree's programs so
# the check does not depend on an installed Hesper.  Needs no root.
set -euo pipefail
: "${top_builddir:=$PWD}"
name=units
skip() { echo "$name: SKIP: $*"; exit 77; }
command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze missing (apt-get install systemd)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hesper-units.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
for unit in vice venus; do
	src=$top_builddir/dist/systemd/$unit.service
	[ -r "$src" ] || { echo "$name: ERROR: $src not built (run make)" >&2; exit 99; }
	prog=$(sed -n 's|^ExecStart=\([^ ]*\).*|\1|p' "$src")
	[ "$(basename "$prog")" = "$unit" ] || { echo "$name: FAIL: $unit.service runs '$prog'" >&2; fails=$((fails + 1)); }
	sed "s|^ExecStart=[^ ]*|ExecStart=$top_builddir/$unit/$unit|" "$src" >"$tmp/$unit.service"
	grep -q '^Type=notify$' "$tmp/$unit.service" || { echo "$name: FAIL: $unit.service is not Type=notify" >&2; fails=$((fails + 1)); }
done
# --man=no: the pages are not installed in a build tree.
if out=$(cd "$tmp" && systemd-analyze verify --man=no ./vice.service ./venus.service 2>&1) && [ -z "$out" ]; then
	echo "$name: ok: systemd-analyze verify vice.service venus.service"
else
	echo "$name: FAIL: systemd-analyze verify:" >&2
	printf '%s\n' "$out" >&2
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] || exit 1
echo "$name: all checks passed"
