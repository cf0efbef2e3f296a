#!/bin/bash
# Batched validation (HS_GETATTRS, venus/core/fsobj_valid.c): after a
# restart, B revalidates its cached tree in calls of many objects, not one
# HS_GETATTR per object, and keeps no stale object: what A changed while B
# was down (contents, mode, a removal, a create) is what B sees.  With vice
# down, B still lists the cached tree.
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

N=40
mkdir "$A/t" "$A/t/d1" "$A/t/d2"
for i in $(seq 1 $N); do
	echo "one $i" >"$A/t/d1/f$i"
	echo "two $i" >"$A/t/d2/g$i"
done
ls -lR "$B/t" >"$HT_TMP/before"
cat "$B"/t/d1/* "$B"/t/d2/* >/dev/null
ht_check "B lists the tree" grep -q "g$N\$" "$HT_TMP/before"

ht_venus_stop B
echo "changed while B was down" >"$A/t/d1/f3"
chmod 0600 "$A/t/d1/f4"
rm "$A/t/d1/f5"
echo "new" >"$A/t/d2/new"
ht_venus_start B
B=$(ht_mnt B)

ls -lR "$B/t" >"$HT_TMP/after"
ht_check "B sees the contents A wrote while it was down" \
	ht_has_content "$B/t/d1/f3" "changed while B was down"
ht_check "B sees the mode A set" test "$(stat -c %a "$B/t/d1/f4")" = 600
ht_check "B no longer lists the file A removed" test ! -e "$B/t/d1/f5"
ht_check "B lists the file A made" ht_has_content "$B/t/d2/new" "new"
ht_check "unchanged files are as they were" ht_has_content "$B/t/d2/g7" "two 7"
ht_check "the listing lost only f5" test "$(grep -c ' f[0-9]*$' "$HT_TMP/after")" -eq $((N - 1))

calls=$(ht_stat B validate_calls)
objs=$(ht_stat B validate_objects)
single=$(ht_stat B getattr_calls)
ht_note "after the restart: $calls HS_GETATTRS calls for $objs objects, $single HS_GETATTR calls"
ht_check "B validated in batches (validate_calls=$calls)" test "$calls" -ge 1
ht_check "the batches answered the cached tree (validate_objects=$objs)" \
	test "$objs" -ge $((2 * N))
ht_check "far fewer single getattrs than objects (getattr_calls=$single)" \
	test "$single" -lt "$N"
ht_check "the batch found the changed objects" test "$(ht_stat B validate_changed)" -ge 1

# vice down: a restarted B serves the cached tree.
ht_venus_stop B
ht_vice_stop
ht_venus_start B -o serverprobe=2
B=$(ht_mnt B)
ht_check "with vice down, B lists the cached tree" \
	bash -c "ls -lR '$B/t' | grep -q 'g$N\$'"
ht_check "with vice down, B reads a cached file" ht_has_content "$B/t/d2/g7" "two 7"
ht_done
