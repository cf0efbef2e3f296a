#!/bin/bash
# pjdfstest (POSIX file-system conformance) on a Hesper FUSE mount.
#
# Built from the unmodified upstream archive kept beside the source tree
# ($top_srcdir/../shared/thirdparty; CI reaches no source host):
#   github.com/pjd/pjdfstest commit 85a8aea9e685999ef0540392fd80535f873d7ff7
# Its tests run with `prove -r` from a directory on the mount; the test
# passes only if every failing test file is in EXPECTED_FAIL below.
# The whole run (build + suite) may take minutes; the watchdog allows more.
#
# Identities: pjdfstest runs as root and switches to uids 65534 and 65533
# (and assorted gids) to test what non-owners may do.  Without a token a
# uid calls vice as System:AnyUser, which owns nothing and may only read
# (rl, the volume's default ACL), so those checks would test Hesper's
# security rather than POSIX.  The test therefore sets up as a site would
# for local users who expect POSIX semantics: a pdb user per uid (ids
# equal uids, as in Coda), a clog token for each, and System:AuthUser
# rlidwk on the work directory.  root keeps its administrator token
# (lib.sh), which its chowns need.  Groups need no pdb entries (the kernel
# checks group bits and membership; vice lets the owner chgrp).  Id 65534
# is also HS_ID_ANONYMOUS (doc/design.md says what that means for a site).
# PJD_TESTS="chmod/00.t rename" runs only those files or directories.
HT_TIMEOUT=${HT_TIMEOUT:-1500}
source "$(dirname "$0")/lib.sh"

PJD_COMMIT=85a8aea9e685999ef0540392fd80535f873d7ff7
PJD_TARBALL=${PJD_TARBALL:-$top_srcdir/../shared/thirdparty/pjdfstest-85a8aea.tar.gz}

# Test files (relative to pjdfstest/tests) allowed to fail, each for a
# reason doc/design.md states.  Keep this list short; it is empty: the
# FUSE mount passes the whole suite under the identities set up below.
EXPECTED_FAIL=()

[ -f "$PJD_TARBALL" ] || ht_skip "pjdfstest archive missing: $PJD_TARBALL"
for tool in prove autoreconf make cc tar runuser setpriv; do
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
# pdb users for the uids pjdfstest switches to (see the header).
for u in nobody:65534 pjd65533:65533; do
	ht_user_add "${u%:*}" "${u#*:}"
done
ht_venus_start A
# Each uid clogs its user (65533 has no passwd entry: setpriv, not runuser).
ht_clog_as nobody nobody >"$HT_TMP/clog.nobody" 2>&1 ||
	ht_hard "clog nobody as uid 65534 failed: $(cat "$HT_TMP/clog.nobody")"
HESPER_CTL=$(ht_ctl A) timeout -k 5 60 setpriv --reuid=65533 --regid=65533 \
	--clear-groups -- "$CLOG" -pipe pjd65533 <"$HT_TMP/pw.pjd65533" \
	>"$HT_TMP/clog.65533" 2>&1 ||
	ht_hard "clog pjd65533 as uid 65533 failed: $(cat "$HT_TMP/clog.65533")"
work=$(ht_mnt A)/pjd
mkdir "$work"
chmod 0755 "$work"
ht_cfs A sa "$work" System:AuthUser rlidwk >/dev/null ||
	ht_hard "cfs sa $work System:AuthUser rlidwk failed"

# Two test directories at a time: the run is mostly waiting on round trips.
log=$HT_TMP/prove.log
rc=0
# PJD_TESTS: files or directories under tests/ to run (default: all).
targets=()
for t in ${PJD_TESTS:-}; do targets+=("$pjd/tests/$t"); done
[ ${#targets[@]} -gt 0 ] || targets=("$pjd/tests")
(cd "$work" && timeout -k 5 1200 prove -r -j2 --timer "${targets[@]}") >"$log" 2>&1 || rc=$?
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
