#!/bin/bash
# Calls as users (issue 9): venus makes each call as the local user that
# caused it, each CML record carries that user's uid, and reintegration
# sends each user's records in blocks of their own (with that user's token;
# the two users here have none, so their calls go as System:AnyUser: the
# shared directory's ACL grants System:AnyUser rlidwk where vice has ACLs
# and cfs setacl exists, and a vice without ACLs lets anyone do anything).
# Each user lists the directory while connected, so venus knows their
# rights on it when disconnected.
#
# Two local users (made here with useradd) write on A while it is
# disconnected: venus.db's CML rows carry their uids (root's mkdir before
# them carries 0); after the reconnect both users' records are
# reintegrated, each in a block of its own uid (venus's debug log), and B
# sees every file with its owner.  Connected, a file a user creates is
# that user's on B too.
HT_TIMEOUT=${HT_TIMEOUT:-180}
source "$(dirname "$0")/disc_lib.sh"
command -v useradd >/dev/null && command -v setpriv >/dev/null ||
	ht_skip "needs useradd and setpriv"
command -v sqlite3 >/dev/null || ht_skip "needs sqlite3"

U1=hsuc$$a
U2=hsuc$$b
uc_users_del() { userdel "$U1" 2>/dev/null; userdel "$U2" 2>/dev/null; return 0; }
trap 'rc=$?; uc_users_del; (exit $rc); ht_cleanup' EXIT
useradd -M -N -s /usr/sbin/nologin "$U1" || ht_hard "useradd $U1 failed"
useradd -M -N -s /usr/sbin/nologin "$U2" || ht_hard "useradd $U2 failed"
ID1=$(id -u "$U1")
ID2=$(id -u "$U2")

# as USER CMD...: run CMD as USER (its uid and primary gid, no groups).
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- "$@"
}

ht_vice_start
ht_venus_start A -d
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
DB=$(ht_cachedir A)/venus.db
# The users reach the mount through the test's private dirs.
chmod o+x "$HT_TMP" "$HT_TMP/A"

ht_check "root makes a shared directory" mkdir "$A/shared"
ht_check "chmod 0777" chmod 0777 "$A/shared"
if ht_cfs A sa "$A/shared" System:AnyUser rlidwk >/dev/null 2>&1; then
	ht_note "cfs sa: System:AnyUser rlidwk on shared"
fi
ht_check "B sees it" test -d "$B/shared"
ht_check "$U1 lists it" as "$U1" ls "$A/shared"
ht_check "$U2 lists it" as "$U2" ls "$A/shared"

# ---- disconnected: two users write ------------------------------------------

ht_cfs A disconnect >/dev/null 2>&1 || ht_fail "cfs disconnect failed"
ht_check "A says Disconnected" dt_wait_state A 30 Disconnected
ht_check "root makes a directory offline" mkdir "$A/shared/byroot"
ht_check "$U1 writes a file offline" as "$U1" bash -c "echo one >'$A/shared/f1'"
ht_check "$U1 makes a directory and a file in it" \
	as "$U1" bash -c "mkdir '$A/shared/d1' && echo inner >'$A/shared/d1/x'"
ht_check "$U2 writes a file offline" as "$U2" bash -c "echo two >'$A/shared/f2'"
ht_check "$U1 appends to its file" as "$U1" bash -c "echo more >>'$A/shared/f1'"
ht_check "$U2 may not write into $U1's file (mode bits)" \
	as "$U2" bash -c "! echo bad 2>/dev/null >>'$A/shared/f1'"
ht_check "records pending on A ($(dt_pending A))" test "$(dt_pending A)" -gt 0

uids() { sqlite3 "$DB" 'SELECT DISTINCT uid FROM cml ORDER BY uid' | tr '\n' ' '; }
want=$(printf '%s\n' 0 "$ID1" "$ID2" | sort -n | tr '\n' ' ')
ht_check "the CML rows carry uids 0, $ID1, $ID2 (got: $(uids))" test "$(uids)" = "$want"
ht_check "$U1's rows name its files" test \
	"$(sqlite3 "$DB" "SELECT COUNT(*) FROM cml WHERE uid = $ID1 AND name IN ('f1', 'd1', 'x')")" -ge 3
ht_check "$U2's rows name its file" test \
	"$(sqlite3 "$DB" "SELECT COUNT(*) FROM cml WHERE uid = $ID2 AND name = 'f2'")" -ge 1

# ---- reconnect: each user's records in blocks of their own ------------------

ht_cfs A reconnect >/dev/null 2>&1 || true
ht_check "A reintegrates everything (0 pending within 90 s)" dt_wait_pending A 90 0
ht_check "nothing is in conflict" test "$(dt_conflicts_n A)" = 0
log=$HT_TMP/A/venus.log
ht_check "a block of $U1's records (uid $ID1) was sent" \
	grep -q "reintegrating [0-9]* records of volume [0-9a-fx]*, uid $ID1, from" "$log"
ht_check "a block of $U2's records (uid $ID2) was sent" \
	grep -q "reintegrating [0-9]* records of volume [0-9a-fx]*, uid $ID2, from" "$log"
ht_check "a block of root's records was sent" \
	grep -q "reintegrating [0-9]* records of volume [0-9a-fx]*, uid 0, from" "$log"
ht_check "B sees $U1's file" ht_has_content "$B/shared/f1" "$(printf 'one\nmore')"
ht_check "B sees $U1's directory and file" ht_has_content "$B/shared/d1/x" inner
ht_check "B sees $U2's file" ht_has_content "$B/shared/f2" two
ht_check "B sees root's directory" test -d "$B/shared/byroot"
# The owner is the caller's: its uid as the record carries it, or (vice
# with tokens) System:AnyUser's anonymous id, since these users have none.
owner_is() { local o; o=$(stat -c %u "$1") && { [ "$o" = "$2" ] || [ "$o" = 65534 ]; }; }
ht_check "f1 is $U1's on B" owner_is "$B/shared/f1" "$ID1"
ht_check "d1 is $U1's on B" owner_is "$B/shared/d1" "$ID1"
ht_check "f2 is $U2's on B" owner_is "$B/shared/f2" "$ID2"

# ---- connected: calls go as the caller -------------------------------------

ht_check "A says Connected" test "$(dt_state A)" = Connected
ht_check "$U2 creates a file while connected" as "$U2" bash -c "echo three >'$A/shared/f3'"
ht_check "$U1 reads $U2's file" as "$U1" cat "$A/shared/f3"
ht_check "f3 is $U2's on B" owner_is "$B/shared/f3" "$ID2"
ht_check "B reads it" ht_has_content "$B/shared/f3" three
ht_done
