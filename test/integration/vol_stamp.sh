#!/bin/bash
# Volume version stamps (HS_VOLSTAMPS, venus/core/fsobj_vstamp.c): a venus
# stopped cleanly records its volume's stamp; restarted, it sends it, and
# vice's "valid" spares every object its validation.
#   1. B caches a tree, stops, restarts: `ls -lR` and reading every file
#      validate nothing (no HS_GETATTRS; HS_GETATTR only to learn the
#      rights of the token B got at its start, one per directory) and
#      fetch nothing, and the contents are right.
#   2. B stops; A changes a file, removes one, creates one; B restarts:
#      the stamp is refused and B sees the changes.
#   3. B restarts with a valid stamp, then A changes a file: B sees it
#      (vice broke B's volume promise).
#   4. vice restarts: every stamp is refused, B still right.
#   5. B, killed (SIGKILL) after its validation ended, restarts on the
#      stamp it recorded then.
source "$(dirname "$0")/lib.sh"

ht_vice_start
PORT=$VICE_PORT
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

N=30
mkdir "$A/t" "$A/t/d1" "$A/t/d2"
for i in $(seq 1 $N); do
	echo "one $i" >"$A/t/d1/f$i"
	echo "two $i" >"$A/t/d2/g$i"
done
ln -s d1/f1 "$A/t/link"
ls -lR "$B/t" >"$HT_TMP/before"
cat "$B"/t/d1/* "$B"/t/d2/* >"$HT_TMP/before.data"
r0=$(ht_stat B volstamp_recorded)
ht_check "B lists the tree" grep -q "g$N\$" "$HT_TMP/before"

ht_venus_kill9() {
	local pid=${HT_VENUS_PID[$1]:-}
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	ht_unmount "$(ht_mnt_top "$1")"
	unset "HT_VENUS_PID[$1]"
}

# vice answered B's stamp (B's count of answers accepted reaches want).
stamp_valid() { [ "$(ht_stat B volstamp_valid)" -ge "$1" ]; }
stamp_changed() { [ "$(ht_stat B volstamp_changed)" -ge "$1" ]; }

# ---- 1. a clean restart needs no validation ----
recorded() { [ "$(ht_stat B volstamp_recorded)" -ge "${1:-1}" ]; }
ht_check "B recorded its stamp once quiet (for a kill -9)" \
	ht_wait_for 40 recorded $((r0 + 1))
ht_venus_stop B
ht_venus_start B
B=$(ht_mnt B)
ht_check "B's recorded stamp was accepted" ht_wait_for 30 stamp_valid 1
ls -lR "$B/t" >"$HT_TMP/after1"
cat "$B"/t/d1/* "$B"/t/d2/* >"$HT_TMP/after1.data"
ht_check "the listing after the restart is the one before" \
	diff "$HT_TMP/before" "$HT_TMP/after1"
ht_check "the contents after the restart are those before" \
	cmp "$HT_TMP/before.data" "$HT_TMP/after1.data"
ht_check "the symlink reads" test "$(readlink "$B/t/link")" = d1/f1
g=$(ht_stat B getattr_calls)
v=$(ht_stat B validate_objects)
f=$(ht_stat B fetches)
ht_note "after a clean restart: getattr_calls=$g validate_objects=$v fetches=$f"
# B's clog at its start voided the rights it kept (hints until vice
# answers for the new token): one HS_GETATTR per directory listed (the
# realm's root, t, d1, d2) tells them; nothing is validated.
ht_check "HS_GETATTR only for the token's rights (getattr_calls=$g)" test "$g" -le 4
ht_check "no object validated (validate_objects=$v)" test "$v" -eq 0
ht_check "no fetch (fetches=$f)" test "$f" -eq 0

# ---- 2. changes while B was down: the stamp is refused ----
ht_venus_stop B
echo "changed while B was down" >"$A/t/d1/f3"
rm "$A/t/d1/f5"
echo "new" >"$A/t/d2/new"
ht_venus_start B
B=$(ht_mnt B)
ht_check "B's stamp was refused" ht_wait_for 30 stamp_changed 1
ht_check "B sees the contents A wrote while it was down" \
	ht_has_content "$B/t/d1/f3" "changed while B was down"
ht_check "B no longer lists the file A removed" test ! -e "$B/t/d1/f5"
ht_check "B lists the file A made" ht_has_content "$B/t/d2/new" "new"
ht_check "unchanged files are as they were" ht_has_content "$B/t/d2/g7" "two 7"
ht_check "B validated object by object" test "$(ht_stat B validate_objects)" -gt 0

# ---- 3. a valid stamp, then a change: the volume promise breaks ----
ls -lR "$B/t" >/dev/null
cat "$B"/t/d1/* "$B"/t/d2/* >/dev/null
ht_venus_stop B
ht_venus_start B
B=$(ht_mnt B)
ht_check "B's stamp was accepted again" ht_wait_for 30 stamp_valid 1
ht_check "B reads f9 from its cache" ht_has_content "$B/t/d1/f9" "one 9"
echo "changed after B's restart" >"$A/t/d1/f9"
echo "another" >"$A/t/d2/another"
# vice held A's closes until B answered the break: no wait.
ht_check "B sees A's change at once" \
	ht_has_content "$B/t/d1/f9" "changed after B's restart"
ht_check "B sees A's new file at once" \
	ht_has_content "$B/t/d2/another" "another"
ht_check "B's other files are right" ht_has_content "$B/t/d2/g8" "two 8"

# ---- 4. vice restarted: every stamp is refused ----
ht_venus_stop B
ht_venus_stop A
ht_vice_stop
ht_vice_start -p "$PORT"
ht_venus_start B
B=$(ht_mnt B)
ht_check "after vice's restart B's stamp was refused" ht_wait_for 30 stamp_changed 1
ht_check "B still reads the changed file" \
	ht_has_content "$B/t/d1/f9" "changed after B's restart"
ht_check "B still lacks the removed file" test ! -e "$B/t/d1/f5"
ht_check "B lists the whole tree" \
	test "$(ls "$B/t/d2" | wc -l)" -eq $((N + 2))

# ---- 5. killed: the stamp recorded when validation ended still serves ----
ls -lR "$B/t" >"$HT_TMP/before5"
cat "$B"/t/d1/* "$B"/t/d2/* >"$HT_TMP/before5.data"
ht_check "B recorded a stamp once its validation ended" ht_wait_for 30 recorded
ht_venus_kill9 B
ht_venus_start B
B=$(ht_mnt B)
ht_check "after a kill -9 B's stamp was accepted" ht_wait_for 30 stamp_valid 1
ls -lR "$B/t" >"$HT_TMP/after5"
cat "$B"/t/d1/* "$B"/t/d2/* >"$HT_TMP/after5.data"
ht_check "the listing after the kill is the one before" \
	diff "$HT_TMP/before5" "$HT_TMP/after5"
ht_check "the contents after the kill are those before" \
	cmp "$HT_TMP/before5.data" "$HT_TMP/after5.data"
ht_check "nothing validated after the kill" \
	test "$(ht_stat B validate_objects)" -eq 0
ht_done
