#!/bin/bash
# issue 9 item 7: 2000 idle connections from one address.  The per-host
# cap (--max-conns-per-host 50 here) admits 50 and resets the rest at
# once, so vice's fds and memory stay bounded and a real venus from
# another address (127.0.0.1; the flood comes from 127.0.0.2) still gets
# in and works.  Connections that never finish TLS + HS_CONNECT are closed
# after --connect-timeout (5 s here); admitted idle ones are kept.
source "$(dirname "$0")/lib.sh"
VFLOOD=${VFLOOD:-$top_builddir/test/tools/vflood}
[ -x "$VFLOOD" ] || ht_hard "$VFLOOD not built (make check builds it)"
CAP=50
NFLOOD=2000
# doc/design.md "Bounded server": an idle admitted conn costs well under
# 256 KiB (TLS state, buffers); 50 of them plus vice's own 64 MiB.
BOUND_KB=$((96 * 1024))

ht_vice_start --max-conns-per-host "$CAP" --connect-timeout 5
if grep -q libasan "/proc/$HT_VICE_PID/maps"; then
	BOUND_KB=$((BOUND_KB + 512 * 1024))
	ht_note "vice runs under ASan: bound raised by 512 MiB"
fi
nfds() { find "/proc/$HT_VICE_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
hwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$HT_VICE_PID/status"; }
FD0=$(nfds)

# Phase 1: 2000 clients that complete HS_CONNECT and then sit idle.
"$VFLOOD" --src 127.0.0.2 idle-hello 127.0.0.1 "$VICE_PORT" "$NFLOOD" \
	>"$HT_TMP/hello.log" 2>&1 </dev/null &
FPID=$!
HT_EXTRA_PIDS="$FPID"
ht_wait_for 300 grep -q '^vflood: opened' "$HT_TMP/hello.log" ||
	ht_hard "vflood idle-hello did not finish opening: $(tail -n 3 "$HT_TMP/hello.log")"
ht_note "$(head -n 1 "$HT_TMP/hello.log")"
ht_check "the per-host cap admitted exactly $CAP and refused the rest" \
	grep -q "^vflood: opened $CAP refused $((NFLOOD - CAP))$" "$HT_TMP/hello.log"
ht_note "vice holds $(nfds) fds (before the flood: $FD0)"
ht_check "vice's fds stay within the cap" test "$(nfds)" -le $((FD0 + CAP + 2))
grep -q 'refused: per-host connection cap reached' "$VICE_ROOT/vice.log" ||
	ht_fail "vice logged no refusal"
ht_check "refusals are logged rate-limited, not one line each" \
	test "$(grep -c 'refused: per-host' "$VICE_ROOT/vice.log")" -lt 100

ht_venus_start A
A=$(ht_mnt A)
echo "through the flood" >"$A/f"
ht_check "venus from another address works under the flood" \
	ht_has_content "$A/f" "through the flood"
ht_venus_start B
ht_check "a second venus reads A's write" ht_has_content "$(ht_mnt B)/f" "through the flood"
# Strangers (raw TCP, and TLS without HS_CONNECT, from a third address)
# are closed after --connect-timeout; the admitted idle clients are not.
for m in idle-tcp idle-tls; do
	"$VFLOOD" --src 127.0.0.3 "$m" 127.0.0.1 "$VICE_PORT" 40 \
		>"$HT_TMP/$m.log" 2>&1 </dev/null &
	HT_EXTRA_PIDS="$HT_EXTRA_PIDS $!"
done
for m in idle-tcp idle-tls; do
	ht_check "$m: unadmitted connections are closed by vice" \
		ht_wait_for 120 grep -q '^vflood: all closed' "$HT_TMP/$m.log"
	ht_note "$m: $(head -n 1 "$HT_TMP/$m.log")"
done
ht_check "admitted idle clients are kept past --connect-timeout" \
	test "$(tail -n 1 "$HT_TMP/hello.log")" = "vflood: closed by server 0"
ht_note "vice: peak VmHWM $(hwm_kb) kB, bound $BOUND_KB kB"
ht_check "vice's peak RSS stays below $((BOUND_KB / 1024)) MiB" \
	test "$(hwm_kb)" -lt "$BOUND_KB"
ht_kill "$FPID"
_fds_back() { (($(nfds) <= FD0 + 4)); }
ht_check "vice let go of the flood's connections" ht_wait_for 60 _fds_back
echo "after the flood" >"$A/g"
ht_check "venus B still works" ht_has_content "$(ht_mnt B)/g" "after the flood"
ht_done
