#!/bin/bash
# The cache survives a restart: after SIGTERM and a restart of venus with
# the same cachedir, reading files cached before does not fetch them again.
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

mkdir "$A/d"
for i in 1 2 3 4 5; do
	head -c $((i * 100000)) /dev/urandom >"$HT_TMP/f$i"
	cp "$HT_TMP/f$i" "$A/d/f$i"
done
for i in 1 2 3 4 5; do
	ht_check "B reads f$i" cmp "$HT_TMP/f$i" "$B/d/f$i"
done
f0=$(ht_stat B fetches)
ht_check "B fetched (fetches=$f0)" test "$f0" -ge 5

ht_venus_stop B
ht_check "B's cachedir still holds venus.db" test -f "$(ht_cachedir B)/venus.db"
ht_venus_start B
B=$(ht_mnt B)
ht_check "fetches is 0 after the restart" test "$(ht_stat B fetches)" -eq 0
for i in 1 2 3 4 5; do
	ht_check "B reads f$i after the restart" cmp "$HT_TMP/f$i" "$B/d/f$i"
done
f1=$(ht_stat B fetches)
ht_check "no fetch for files cached before the restart (fetches=$f1)" test "$f1" -eq 0
hits=$(ht_stat B cache_hits)
ht_check "cache_hits counted them ($hits)" test "$hits" -ge 5

# Something changed while B was down is fetched, not served stale.
ht_venus_stop B
echo "changed while B was down" >"$A/d/f1"
ht_venus_start B
B=$(ht_mnt B)
ht_check "B sees the change made while it was down" ht_has_content "$B/d/f1" "changed while B was down"
ht_check "unchanged files still come from the cache" cmp "$HT_TMP/f2" "$B/d/f2"
f2=$(ht_stat B fetches)
ht_check "exactly one fetch after the second restart (fetches=$f2)" test "$f2" -eq 1

# A written file survives a restart of its writer.
echo "written by A" >"$A/d/mine"
ht_venus_stop A
ht_venus_start A
A=$(ht_mnt A)
ht_check "A reads its own file after a restart" ht_has_content "$A/d/mine" "written by A"
ht_done
