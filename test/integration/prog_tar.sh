#!/bin/bash
# Real programs: tar a source tree in through client A and out through
# client B; the trees compare equal (diff -r) and so do modes and mtimes.
source "$(dirname "$0")/lib.sh"

SRC=/usr/src/libxcrypt
[ -d "$SRC" ] || SRC=$top_srcdir
ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

mkdir "$A/tree"
ht_check "tar into A" ht_t bash -c "tar -C '$SRC' -cf - . | tar -C '$A/tree' -xf -"
ht_check "diff -r source vs. A" ht_t diff -r "$SRC" "$A/tree"
mkdir "$HT_TMP/out"
ht_check "tar out of B" ht_t bash -c "tar -C '$B/tree' -cf - . | tar -C '$HT_TMP/out' -xf -"
ht_check "diff -r source vs. what came out of B" diff -r "$SRC" "$HT_TMP/out"
# Directory sizes are the file system's business; everything else must match.
listing() {
	(cd "$1" && find . \( -type d -printf '%p d %m - %T+\n' \) -o -printf '%p %y %m %s %T+\n' |
		sed 's/\.[0-9]*$//' | sort)
}
ht_check "paths, types, modes, sizes and mtimes match on A" diff <(listing "$SRC") <(listing "$A/tree")
ht_check "paths, types, modes, sizes and mtimes match on B" diff <(listing "$SRC") <(listing "$B/tree")
n=$(find "$B/tree" -type f | wc -l)
ht_note "$n files went through"
# Symlinks and hard links.
ln -s target "$A/tree/sym"
ln "$A/tree/README.md" "$A/tree/hard" 2>/dev/null || ln "$A/tree/Makefile.am" "$A/tree/hard"
ht_check "B reads the symlink" test "$(readlink "$B/tree/sym")" = target
ht_check "B sees the hard link's count" test "$(stat -c %h "$B/tree/hard")" -eq 2
ht_check "rm -rf of the tree through B" ht_t rm -rf "$B/tree"
ht_check "A sees it gone" test ! -e "$A/tree"
ht_done
