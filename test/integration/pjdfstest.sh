#!/bin/bash
# pjdfstest (POSIX file-system conformance) on a Hesper FUSE mount.
#
# Built from the unmodified upstream archive kept beside the source tree
# ($top_srcdir/../shared/thirdparty; CI reaches no source host):
#   github.com/pjd/pjdfstest commit 85a8aea9e685999ef0540392fd80535f873d7ff7
# Its tests run with `prove -r` from a directory on the mount; the test
# passes only if every failing test file is in EXPECTED_FAIL below.
# The whole run (build + suite) may take minutes; the watchdog allows more.
HT_TIMEOUT=${HT_TIMEOUT:-1500}
source "$(dirname "$0")/lib.sh"

PJD_COMMIT=85a8aea9e685999ef0540392fd80535f873d7ff7
PJD_TARBALL=${PJD_TARBALL:-$top_srcdir/../shared/thirdparty/pjdfstest-85a8aea.tar.gz}

# Test files (relative to pjdfstest/tests) allowed to fail, each for a
# reason doc/design.md states.  Keep this list short; it is empty: the
# FUSE mount passes the whole suite.
EXPECTED_FAIL=()

[ -f "$PJD_TARBALL" ] || ht_skip "pjdfstest archive missing: $PJD_TARBALL"
for tool in prove autoreconf make cc tar; do
	command -v "$tool" >/dev/null 2>&1 || ht_skip "$tool missing (scripts/deps.sh installs it)"
done

# Build in the test's temp dir (commit recorded above; the archive's top
# directory is pjdfstest/).
src=$HT_TMP/pjd
mkdir -p "$src"
tar -xzf "$PJD_TARBALL" -C "$src"
pjd=$src/pjdfstest
if ! (cd "$pjd" && autoreconf -ifs && ./configure && make pjdfstest) \
	>"$HT_TMP/pjd-build.log" 2>&1; then
	tail -n 30 "$HT_TMP/pjd-build.log" >&2
	ht_skip "pjdfstest $PJD_COMMIT did not build here (see above)"
fi
ht_note "built pjdfstest $PJD_COMMIT"

ht_vice_start
ht_venus_start A
work=$(ht_mnt A)/pjd
mkdir "$work"
chmod 0755 "$work"

# Two test directories at a time: the run is mostly waiting on round trips.
log=$HT_TMP/prove.log
rc=0
(cd "$work" && timeout -k 5 1200 prove -r -j2 --timer "$pjd/tests") >"$log" 2>&1 || rc=$?
tail -n 40 "$log"
ht_note "prove exited $rc; slowest test files:"
sed -n 's|.*/tests/\([^ ]*\.t\) [. ]*ok *\([0-9]*\) ms.*|\2 ms \1|p' "$log" |
	sort -rn | sed -n '1,8s/^/  /p'   # reads all: no SIGPIPE under pipefail

# Failed files from prove's summary: "/path/tests/x/n.t (Wstat: W Tests:
# N Failed: F)" with W or F not 0, or followed by "Parse errors:" (a bad
# plan).  A file listed only for "TODO passed" has not failed.
failed=$(awk '
	/\/tests\/.*\.t +\(Wstat: / {
		f = $1; sub(/.*\/tests\//, "", f)
		if ($3 != "0" || $7 != "0)") print f
		next
	}
	/^  Parse errors:/ && f != "" { print f }
' "$log" | sort -u)
for f in $failed; do
	exp=0
	for e in "${EXPECTED_FAIL[@]}"; do
		[ "$f" = "$e" ] && exp=1
	done
	if [ "$exp" = 1 ]; then
		ht_note "expected failure: $f"
	else
		ht_fail "pjdfstest $f failed"
	fi
done
if [ "$rc" -ne 0 ] && [ -z "$failed" ]; then
	ht_fail "prove failed ($rc) without naming a failed test file"
fi
grep -q '^Files=' "$log" || ht_fail "prove printed no summary"
ht_done
