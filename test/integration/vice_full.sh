#!/bin/bash
# vice's disk full (its root on a 32 MiB tmpfs): a store that does not
# fit fails with ENOSPC and leaves vice's previous version; files closed
# before stay intact; rm still works, directly and reintegrated (vice
# spends its reserve), and the space it frees can be written again.
HT_TIMEOUT=${HT_TIMEOUT:-180}
source "$(dirname "$0")/disc_lib.sh"

ht_small_fs "$VICE_ROOT/root" 32m
ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
sum() { ht_t sha256sum <"$1" | awk '{ print $1 }'; }

for i in 1 2 3; do
	head -c 300000 /dev/urandom >"$HT_TMP/keep$i"
	cp "$HT_TMP/keep$i" "$A/keep$i"
done
printf 'old contents\n' >"$A/victim"
ht_check "B reads the victim" ht_has_content "$B/victim" "old contents"

# Fill vice's disk with 2 MiB files until a store fails.
head -c $((2 << 20)) /dev/urandom >"$HT_TMP/chunk"
full=
for i in $(seq 1 30); do
	if ! ht_t cp "$HT_TMP/chunk" "$A/fill$i" 2>"$HT_TMP/cp.err"; then
		full=$i
		break
	fi
done
ht_note "the store of fill$full failed: $(cat "$HT_TMP/cp.err")"
ht_check "vice's disk filled up (a store failed)" test -n "$full"
ht_check "the failure says ENOSPC" grep -q "No space left" "$HT_TMP/cp.err"
ht_check "vice logs no other error" bash -c "! grep -i 'error' '$VICE_ROOT/vice.log'"
# A failed chunk's staged bytes are freed at once (vice/store_data.c):
# fill the room they left, as another process on vice's disk would, so
# that the deletes below find none and vice must spend its reserve.
dd if=/dev/zero of="$VICE_ROOT/root/ballast" bs=4k status=none 2>/dev/null || true

# Overwriting a file on the full disk fails, and vice keeps the old one.
if ht_t cp "$HT_TMP/chunk" "$A/victim" 2>/dev/null; then
	ht_fail "overwriting the victim with 2 MiB succeeded on a full disk"
fi
ht_check "B still reads the victim's old contents" ht_has_content "$B/victim" "old contents"

# rm works on the full disk, reintegrated too; nothing closed before is
# lost.
ht_check "B: cfs wd -age 1 -time 1" ht_cfs B wd -age 1 -time 1
ht_check "B removes a filler while write-disconnected" ht_t rm -f "$B/fill2"
ht_check "the remove is reintegrated" dt_wait_pending B 60 0
ht_check "A sees it gone" ht_wait_for 30 test ! -e "$A/fill2"
ht_check "B: cfs strong" ht_cfs B strong
ht_check "rm of one filler succeeds" ht_t rm -f "$A/fill1"
ht_check "B sees it gone" ht_wait_for 30 test ! -e "$B/fill1"
for i in $(seq 3 $((full - 1))); do
	ht_check "rm fill$i" ht_t rm -f "$A/fill$i"
done
ht_check "rm of the file whose store failed" ht_t rm -f "$A/fill$full"
for i in 1 2 3; do
	ht_check "B reads keep$i intact" test "$(sum "$B/keep$i")" = "$(sum "$HT_TMP/keep$i")"
done
ht_check "vice needed its reserve for a delete" grep -q "reserve released" "$VICE_ROOT/vice.log"
rm -f "$VICE_ROOT/root/ballast"
ht_check "a new 2 MiB file fits again" ht_t cp "$HT_TMP/chunk" "$A/again"
ht_check "B reads it" test "$(sum "$B/again")" = "$(sum "$HT_TMP/chunk")"
ht_check "vice took its reserve back" test "$(du -k "$VICE_ROOT/root/reserve" | awk '{ print $1 }')" -ge 8192
ht_done
