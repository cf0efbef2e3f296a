#!/bin/bash
# Write-back modes.  `cfs wd -age 1 -time 1`: a write returns at once and
# is logged (lv: WriteDisconnected, entries pending), then trickles to
# vice within a few seconds (pending back to 0, B sees it).  `cfs
# adaptive` trickles too; `cfs strong` is synchronous again (lv:
# Connected; B sees a write right after close).  `cfs --json lv` parses.
HT_TIMEOUT=${HT_TIMEOUT:-180}
source "$(dirname "$0")/disc_lib.sh"

# json_ok NAME [STATE]: `cfs --json lv` parses; with STATE, some string in
# it equals STATE.
json_ok() {
	local out
	out=$(ht_cfs "$1" --json lv "$(ht_mnt "$1")") || return 1
	python3 -c '
import json, sys
doc = json.loads(sys.argv[1])
want = sys.argv[2] if len(sys.argv) > 2 else None
def strings(x):
    if isinstance(x, str): yield x
    elif isinstance(x, dict):
        for v in x.values(): yield from strings(v)
    elif isinstance(x, list):
        for v in x: yield from strings(v)
if want and want not in strings(doc):
    print("  no %r in %s" % (want, sys.argv[1]), file=sys.stderr); sys.exit(1)
' "$out" "${@:2}"
}

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
printf 'start\n' >"$A/f"
ht_check "B reads f" ht_has_content "$B/f" "start"
ht_check "cfs --json lv parses (connected)" json_ok A Connected

# ---- write-disconnected ---------------------------------------------------------

ht_check "cfs wd -age 1 -time 1" ht_cfs A wd -age 1 -time 1
ht_check "lv says WriteDisconnected" test "$(dt_state A)" = WriteDisconnected
ht_check "cfs --json lv parses and says WriteDisconnected" json_ok A WriteDisconnected
head -c 2000000 /dev/urandom >"$HT_TMP/big"
t0=$(date +%s%N)
printf 'written in wd mode\n' >"$A/f"
cp "$HT_TMP/big" "$A/big"
ms=$((($(date +%s%N) - t0) / 1000000))
n=$(dt_pending A)
ht_note "two writes took $ms ms; then $n CML entries pending"
ht_check "the writes are logged, not yet sent (pending $n > 0)" test "$n" -gt 0
ht_check "the writes return at once (${ms} ms < 2000 ms)" test "$ms" -lt 2000
t0=$SECONDS
ht_check "the log trickles to vice: 0 pending within 15 s" dt_wait_pending A 15 0
ht_note "trickled within $((SECONDS - t0)) s"
ht_check "still WriteDisconnected after the trickle" test "$(dt_state A)" = WriteDisconnected
ht_check "B sees the wd write" ht_wait_for 10 ht_has_content "$B/f" "written in wd mode"
ht_check "B reads the 2 MB file written in wd mode" cmp "$HT_TMP/big" "$B/big"
# Several writes in a burst all arrive.
for i in $(seq 1 20); do printf 'burst %s\n' "$i" >"$A/burst$i"; done
ht_check "a burst of 20 creates trickles: 0 pending within 15 s" dt_wait_pending A 15 0
ok=1
for i in $(seq 1 20); do ht_has_content "$B/burst$i" "burst $i" || ok=0; done
ht_check "B sees all 20 files of the burst" test "$ok" -eq 1

# ---- adaptive ---------------------------------------------------------------------

ht_check "cfs adaptive" ht_cfs A adaptive
ht_note "lv state in adaptive mode: $(dt_state A)"
printf 'written in adaptive mode\n' >"$A/f"
ht_check "adaptive: 0 pending within 25 s" dt_wait_pending A 25 0
ht_check "adaptive: B sees the write" ht_wait_for 10 ht_has_content "$B/f" "written in adaptive mode"

# ---- strong -------------------------------------------------------------------------

ht_check "cfs strong" ht_cfs A strong
ht_check "strong: lv says Connected" test "$(dt_state A)" = Connected
ht_check "strong: cfs --json lv parses and says Connected" json_ok A Connected
for i in 1 2 3; do
	printf 'strong %s\n' "$i" >"$A/f"
	ht_check "strong: nothing pending right after close ($i)" test "$(dt_pending A)" -eq 0
	ht_check_fresh "strong: B sees write $i right after A's close" "$B/f" "strong $i"
done
ht_check "cfs wd with default ages" ht_cfs A wd
ht_check "wd (defaults): lv says WriteDisconnected" test "$(dt_state A)" = WriteDisconnected
printf 'held back\n' >"$A/held"
ht_check "wd (defaults, age 60 s): the write stays pending" test "$(dt_pending A)" -gt 0
dt_fr A
ht_check "cfs fr pushes it at once (exit $DT_FR_RC)" test "$DT_FR_RC" -eq 0
ht_check "cfs fr says 'Modifications to ... reintegrated to server'" \
	grep -Eq 'Modifications to .* reintegrated to server' <<<"$DT_FR_OUT"
ht_check "after fr nothing is pending" test "$(dt_pending A)" -eq 0
ht_check "B sees the file fr pushed" ht_has_content "$B/held" "held back"
ht_check "back to strong" ht_cfs A strong
ht_done
