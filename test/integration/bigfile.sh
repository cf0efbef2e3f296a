#!/bin/bash
# Files larger than the cache (venus C: cachesize 4 MiB, files of 16 MiB,
# the same logic as 5 GiB against 1 GiB): writing one, or reading one
# another client wrote, evicts none of the small files cached; a file
# just written reads back without a fetch; the next big file replaces it.
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start C --cachesize 4M
A=$(ht_mnt A)
C=$(ht_mnt C)
CONT=$(ht_cachedir C)/containers
sum() { ht_t sha256sum <"$1" | awk '{ print $1 }'; }

mkdir "$A/d"
for i in 1 2 3 4 5 6; do
	head -c 524288 /dev/urandom >"$A/d/f$i"
done
for i in 1 2 3 4 5 6; do ht_t cat "$C/d/f$i" >/dev/null; done
fetches=$(ht_stat C fetches)
ev=$(ht_stat C evictions)
# smalls_cached: rereading the six small files fetches nothing.
smalls_cached() {
	local f0 i
	f0=$(ht_stat C fetches)
	for i in 1 2 3 4 5 6; do ht_t cat "$C/d/f$i" >/dev/null || return 1; done
	[ "$(ht_stat C fetches)" -eq "$f0" ]
}
ht_check "the six small files are cached on C" smalls_cached

head -c $((16 << 20)) /dev/urandom >"$HT_TMP/big"
ht_check "C writes a 16 MiB file" ht_t cp "$HT_TMP/big" "$C/big"
ht_check "no eviction on C ($(ht_stat C evictions) = $ev)" test "$(ht_stat C evictions)" -eq "$ev"
ht_check "the small files are still cached" smalls_cached
fb=$(ht_stat C fetch_bytes)
ht_check "C reads back what it wrote" test "$(sum "$C/big")" = "$(sum "$HT_TMP/big")"
ht_check "without fetching it ($(ht_stat C fetch_bytes) = $fb)" test "$(ht_stat C fetch_bytes)" -eq "$fb"
ht_check "A reads it" test "$(sum "$A/big")" = "$(sum "$HT_TMP/big")"

# A big file from another client: fetched whole, others stay.
head -c $((12 << 20)) /dev/urandom >"$HT_TMP/big2"
ht_check "A writes a 12 MiB file" ht_t cp "$HT_TMP/big2" "$A/big2"
ht_check "C reads it" test "$(sum "$C/big2")" = "$(sum "$HT_TMP/big2")"
ht_check "the older big file went ($(ht_stat C evictions) = $ev + 1)" \
	test "$(ht_stat C evictions)" -eq $((ev + 1))
ht_check "the small files are still cached" smalls_cached
fb=$(ht_stat C fetch_bytes)
ht_check "C reads it again" test "$(sum "$C/big2")" = "$(sum "$HT_TMP/big2")"
ht_check "without fetching it ($(ht_stat C fetch_bytes) = $fb)" test "$(ht_stat C fetch_bytes)" -eq "$fb"
kib=$(du -sk "$CONT" | awk '{ print $1 }')
ht_check "C's containers: $kib KiB (<= 4 MiB + one big file + slack)" \
	test "$kib" -le $((4096 + 12288 + 256))
ht_note "fetches on C: $fetches before the big files, $(ht_stat C fetches) after"
ht_done
