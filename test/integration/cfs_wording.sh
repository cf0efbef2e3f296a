#!/bin/bash
# cfs prints Coda's wording: checkservers, listvol; a path outside the
# mount is an error (exit 1).
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)

out=$(ht_cfs A checkservers 2>&1) || ht_fail "cfs checkservers exited $? (output: $out)"
ht_check "cfs checkservers prints 'All servers up'" grep -qx 'All servers up' <<<"$out"
out=$(ht_cfs A cs 2>&1) || ht_fail "cfs cs exited $?"
ht_check "cfs cs (alias) prints 'All servers up'" grep -qx 'All servers up' <<<"$out"

out=$(ht_cfs A listvol "$A" 2>&1) || ht_fail "cfs listvol $A exited $? (output: $out)"
printf '%s\n' "$out"
ht_check "cfs lv prints 'Connection State is Connected'" grep -q 'Connection State is Connected' <<<"$out"
ht_check "cfs lv prints 'Status of volume ID (N) named \"...\"'" grep -Eq 'Status of volume [0-9a-fx]+ \([0-9]+\) named "[^"]+"' <<<"$out"
ht_check "cfs lv prints the CML line" grep -Eq 'There are [0-9]+ CML entries pending for reintegration' <<<"$out"
out=$(ht_cfs A lv "$A" 2>&1) || ht_fail "cfs lv (alias) exited $?"

echo hello >"$A/f"
out=$(ht_cfs A getfid "$A/f" 2>&1) || ht_fail "cfs getfid exited $? (output: $out)"
printf '%s\n' "$out"
ht_check "cfs gf prints 'FID = V.V.U@REALM  VV = (...)'" grep -Eq '^FID = [0-9a-fx]+\.[0-9a-fx]+\.[0-9a-fx]+@[^ ]+ +VV = \(' <<<"$out"

rc=0
out=$(ht_cfs A listvol /tmp 2>&1) || rc=$?
ht_check "cfs lv /tmp (not in the mount) exits 1 (got $rc: $out)" test "$rc" -eq 1
rc=0
out=$(ht_cfs A getfid / 2>&1) || rc=$?
ht_check "cfs gf / exits 1 (got $rc)" test "$rc" -eq 1
rc=0
out=$(ht_cfs A no-such-command 2>&1) || rc=$?
ht_check "cfs with an unknown command exits non-zero" test "$rc" -ne 0

for k in fetches fetch_bytes stores store_bytes stores_skipped cache_hits cache_misses callback_breaks evictions; do
	v=$(ht_stat A "$k")
	ht_check "cfs stats has a numeric $k" grep -Eq '^[0-9]+$' <<<"$v"
done
for k in stores store_bytes fetches fetch_bytes dup_stores breaks clients; do
	v=$(ht_sstat A "$k")
	ht_check "cfs serverstats has a numeric $k" grep -Eq '^[0-9]+$' <<<"$v"
done
ht_done
