#!/bin/bash
# Client ids and store ids belong to their client (issue 9): a raw
# client with no token that learns venus A's client id and store ids
# from a file's attributes cannot take A's connection (connect-as),
# cannot spend A's next store ids so that A's writes vanish (squat), and
# cannot lock A out of staging by filling the staging area
# (stage-flood).  After each attempt A's changes land and B sees them.
source "$(dirname "$0")/lib.sh"
RAWCLIENT=${RAWCLIENT:-$top_builddir/test/tools/rawclient}
[ -x "$RAWCLIENT" ] || ht_hard "$RAWCLIENT not built (make check builds it)"

raw() { timeout -k 5 300 "$RAWCLIENT" "$1" 127.0.0.1 "$VICE_PORT" "${@:2}"; }
# Lines of venus A's log saying it (re)connected to vice.
a_connects() { grep -c 'connected to vice' "$HT_TMP/A/venus.log" || true; }

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

echo "victim v1" >"$A/victim"
ht_check_fresh "B sees A's file" "$B/victim" "victim v1"
conns=$(a_connects)

# 1. connect-as: HS_CONNECT with A's client id and another key.
rc=0
raw connect-as victim >"$HT_TMP/connect-as.log" 2>&1 || rc=$?
cat "$HT_TMP/connect-as.log"
ht_check "connect-as A's client id is refused with EPERM (exit $rc)" test "$rc" -eq 0
ht_check "vice logs the refused key" grep -q "another client's key: refused" "$VICE_ROOT/vice.log"
ht_check "A writes after the hijack attempt" bash -c "echo 'after hijack' >'$A/after-hijack'"
ht_check_fresh "A's write after the hijack attempt reaches B" "$B/after-hijack" "after hijack"
ht_check "vice did not drop A's connection" bash -c "! grep -q 'reconnected from' '$VICE_ROOT/vice.log'"
ht_check "A did not have to reconnect" test "$(a_connects)" -eq "$conns"

# 2. squat: A's next store ids, taken from the attributes of its file.
rc=0
raw squat victim 40 >"$HT_TMP/squat.log" 2>&1 || rc=$?
tail -n 3 "$HT_TMP/squat.log"
ht_check "every call with A's store ids is refused (exit $rc)" test "$rc" -eq 0
# A's next mutations use exactly those store ids: they must land.
ht_check "A overwrites its file" bash -c "echo 'victim v2' >'$A/victim'"
ht_check "A makes a directory" mkdir "$A/newdir"
ht_check "A makes a new file" bash -c "echo 'new file' >'$A/newfile'"
ht_check_fresh "A's overwrite after the squat lands (seen from B)" "$B/victim" "victim v2"
ht_check "A's mkdir after the squat lands (seen from B)" ht_wait_for 30 test -d "$B/newdir"
ht_check_fresh "A's new file after the squat is A's (seen from B)" "$B/newfile" "new file"
ht_check "no squat entry exists" bash -c "! ls '$B' | grep -q '^squat'"

# 3. stage-flood: more one-byte stores than a client may stage, never
# committed; then one chunk under A's id.  Staging quotas are per user:
# when the harness logs A in (clog root), the flood from three client ids
# uses up all that anonymous callers may stage; without tokens A is
# anonymous too, and one client id must not use up that quota.
nflood=1
if declare -F ht_clog_as >/dev/null; then
	nflood=3
fi
rc=0
raw stage-flood victim "$nflood" 300 >"$HT_TMP/flood.log" 2>&1 || rc=$?
cat "$HT_TMP/flood.log"
ht_check "staging under A's client id is refused (exit $rc)" test "$rc" -eq 0
ht_check "the flood hit a quota or was refused" \
	grep -qE 'stage-flood: [0-9]+ staged, [1-9][0-9]* EDQUOT|[1-9][0-9]* EACCES/EPERM' "$HT_TMP/flood.log"
for i in 1 2 3 4 5; do
	head -c $((200000 + i)) /dev/urandom >"$HT_TMP/after$i"
	ht_check "A stores after$i after the flood" cp "$HT_TMP/after$i" "$A/after$i"
done
for i in 1 2 3 4 5; do
	ht_check "A's store $i after the flood lands (B reads it whole)" \
		ht_wait_for 30 cmp -s "$HT_TMP/after$i" "$B/after$i"
done
ht_check "vice still runs" kill -0 "$HT_VICE_PID"

ht_done
