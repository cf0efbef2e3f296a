#!/bin/bash
# Two clients: A writes a file; B sees the new content as soon as A's
# close() has returned (close-to-open consistency).
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

for i in 1 2 3 4 5; do
	printf 'round %s from A\n' "$i" >"$A/new$i"
	ht_check_fresh "B sees new$i right after A's close" "$B/new$i" "round $i from A"
done

mkdir "$A/dir"
echo inner >"$A/dir/file"
ht_check_fresh "B sees a directory A made" "$B/dir/file" "inner"
ht_check "B lists it" bash -c "ls '$B/dir' | grep -qx file"

# Overwrite in place, several times; B must never see an older version.
for i in 1 2 3 4 5; do
	printf 'version %s\n' "$i" >"$A/shared"
	ht_check_fresh "B sees version $i of shared" "$B/shared" "version $i"
done
# And the other way round.
echo "from B" >"$B/back"
ht_check_fresh "A sees B's file" "$A/back" "from B"

# Removal and rename are seen too.
mv "$A/new1" "$A/renamed"
ht_check_fresh "B sees the rename" "$B/renamed" "round 1 from A"
ht_check "B no longer sees the old name" test ! -e "$B/new1"
rm "$A/new2"
ht_check "B sees the removal" test ! -e "$B/new2"

# A bigger file (several fetch/store chunks).
head -c $((9 * 1024 * 1024 + 123)) /dev/urandom >"$HT_TMP/big"
cp "$HT_TMP/big" "$A/big"
ht_check "B reads a 9 MiB file identical to what A wrote" cmp "$HT_TMP/big" "$B/big"
ht_done
