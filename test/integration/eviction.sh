#!/bin/bash
# Eviction: with cachesize 4 MiB, reading 20 files of 1 MiB keeps the
# container directory under the limit and counts evictions.
source "$(dirname "$0")/lib.sh"

LIMIT=$((4 * 1024 * 1024))
ht_vice_start
ht_venus_start A
ht_venus_start C --cachesize 4M
A=$(ht_mnt A)
C=$(ht_mnt C)
CONT=$(ht_cachedir C)/containers

container_bytes() { find "$CONT" -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
container_kib() { du -sk "$CONT" 2>/dev/null | awk '{ print $1 }'; }

mkdir "$A/big"
for i in $(seq 1 20); do
	head -c 1048576 /dev/urandom >"$HT_TMP/src"
	cp "$HT_TMP/src" "$A/big/f$i"
	sha256sum <"$HT_TMP/src" | awk '{ print $1 }' >"$HT_TMP/sum$i"
done
ht_check "C's containers dir exists" test -d "$CONT"
max=0
for i in $(seq 1 20); do
	sum=$(ht_t sha256sum <"$C/big/f$i" | awk '{ print $1 }')
	[ "$sum" = "$(cat "$HT_TMP/sum$i")" ] || ht_fail "C read wrong data for f$i"
	b=$(container_bytes)
	[ "$b" -gt "$max" ] && max=$b
done
ht_note "largest container total seen: $max bytes; now $(container_bytes) bytes, du $(container_kib) KiB"
ht_check "container bytes never exceeded 4 MiB (max $max)" test "$max" -le "$LIMIT"
ht_check "du of containers <= 4 MiB + 64 KiB slack ($(container_kib) KiB)" test "$(container_kib)" -le $((4096 + 64))
ev=$(ht_stat C evictions)
ht_check "evictions grew ($ev >= 16)" test "$ev" -ge 16

# Evicted files are fetched again, correctly.
sum=$(ht_t sha256sum <"$C/big/f1" | awk '{ print $1 }')
ht_check "an evicted file reads back correctly" test "$sum" = "$(cat "$HT_TMP/sum1")"
# An open file's container is not evicted under it.
exec 4<"$C/big/f2"
for i in 3 4 5 6 7 8; do ht_t cat "$C/big/f$i" >/dev/null; done
sum=$(sha256sum <&4 | awk '{ print $1 }')
exec 4<&-
ht_check "a file kept open while others are read stays readable" test "$sum" = "$(cat "$HT_TMP/sum2")"
ht_done
