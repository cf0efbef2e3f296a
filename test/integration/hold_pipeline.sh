#!/bin/bash
# issue 9 item 7: 50 clients that pipeline 4 MiB fetches and never read a
# reply.  vice stops reading each once a reply waits unread (rpc/conn.c,
# HRPC_OUTPUT_PAUSE), so its peak RSS stays below a bound that does not
# grow with the requests queued (before: 4 such clients took it to 1 GiB),
# and a real venus still reads and writes through it meanwhile.
source "$(dirname "$0")/lib.sh"
VFLOOD=${VFLOOD:-$top_builddir/test/tools/vflood}
[ -x "$VFLOOD" ] || ht_hard "$VFLOOD not built (make check builds it)"
NFLOOD=50
# doc/design.md "Bounded server": per flooding conn at most
# HRPC_OUTPUT_PAUSE (1 MiB) + one reply (HRPC_MAX_RECORD, 4.06 MiB) of
# output, plus vice's own 64 MiB: 50 x 5.1 + 64 = 319 MiB.
BOUND_KB=$((320 * 1024))

# The deadline for unread replies (--record-timeout) is hold_partial.sh's;
# here the flood must stay connected while RSS is measured.
ht_vice_start --record-timeout 3600
if grep -q libasan "/proc/$HT_VICE_PID/maps"; then
	# ASan's shadow and allocator metadata are not vice's to bound.
	BOUND_KB=$((BOUND_KB + 512 * 1024))
	ht_note "vice runs under ASan: bound raised by 512 MiB"
fi
ht_venus_start A
A=$(ht_mnt A)
head -c $((4 * 1024 * 1024)) /dev/urandom >"$HT_TMP/big"
ht_t cp "$HT_TMP/big" "$A/big"
ht_check "A's 4 MiB file reached vice" ht_wait_drained A
F0=$(ht_sstat A fetches)

"$VFLOOD" --src 127.0.0.2 pipeline 127.0.0.1 "$VICE_PORT" "$NFLOOD" big \
	>"$HT_TMP/vflood.log" 2>&1 </dev/null &
FPID=$!
HT_EXTRA_PIDS="$FPID"
ht_wait_for 120 grep -q '^vflood: opened' "$HT_TMP/vflood.log" ||
	ht_hard "vflood did not open its connections: $(cat "$HT_TMP/vflood.log")"
ht_check "all $NFLOOD flooding clients got in" \
	grep -q "^vflood: opened $NFLOOD refused 0" "$HT_TMP/vflood.log"
# Each flooding client got at least its first 4 MiB reply made.
_flood_served() { (($(ht_sstat A fetches) >= F0 + NFLOOD)); }
ht_check "vice answered a fetch of every flooding client" ht_wait_for 120 _flood_served

# A fresh venus fetches the whole file through the flooded vice, and
# writes; A sees the write.
ht_venus_start B
B=$(ht_mnt B)
ht_check "B reads A's 4 MiB file while vice is flooded" \
	ht_t cmp "$HT_TMP/big" "$B/big"
echo "written during the flood" >"$B/note"
ht_check "B's write reaches A" ht_wait_for 30 ht_has_content "$A/note" "written during the flood"

rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$HT_VICE_PID/status"; }
hwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$HT_VICE_PID/status"; }
ht_note "vice: VmRSS $(rss_kb) kB, peak VmHWM $(hwm_kb) kB, bound $BOUND_KB kB"
ht_check "vice's peak RSS stays below $((BOUND_KB / 1024)) MiB" \
	test "$(hwm_kb)" -lt "$BOUND_KB"
ht_check "the flooding clients are still connected (paused, not dropped)" \
	grep -q '^vflood: closed by server 0$' "$HT_TMP/vflood.log"
# Each sent 64 fetches; a vice that kept reading would have answered
# all 3200 into its output buffers.
served=$(($(ht_sstat A fetches) - F0))
ht_note "fetches answered since the flood began: $served of $((NFLOOD * 64)) asked"
ht_check "vice stopped reading the clients that do not read" \
	test "$served" -lt $((NFLOOD * 64 / 4))

ht_kill "$FPID"
ht_check "vice still runs after the flood" kill -0 "$HT_VICE_PID"
echo "after the flood" >"$A/after"
ht_check "B sees A's write after the flood" ht_wait_for 30 ht_has_content "$B/after" "after the flood"
ht_done
