#!/bin/bash
# With vice stopped, operations that need it fail with an error in bounded
# time (no hang), cfs checkservers reports the server down; after vice
# comes back, venus reconnects.
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

echo "cached on A" >"$A/cached"
ht_check "A reads its file" ht_has_content "$A/cached" "cached on A"
echo "written by B" >"$B/uncached"
ls "$A" >/dev/null
port=$VICE_PORT

ht_vice_stop
ht_note "vice stopped"

t0=$SECONDS
rc=0
timeout -k 5 60 cat "$A/uncached" >/dev/null 2>"$HT_TMP/err1" || rc=$?
ht_note "cat of an uncached file: exit $rc after $((SECONDS - t0))s: $(cat "$HT_TMP/err1")"
ht_check "reading an uncached file fails (not hangs: exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124 -a "$rc" -ne 137

t0=$SECONDS
rc=0
timeout -k 5 60 bash -c "echo x >'$A/newfile'" 2>"$HT_TMP/err2" || rc=$?
ht_note "create: exit $rc after $((SECONDS - t0))s: $(cat "$HT_TMP/err2")"
# Coda's disconnected operation: the create is logged, not refused.
ht_check "creating a file while vice is down is logged (exit $rc)" test "$rc" -eq 0

t0=$SECONDS
rc=0
out=$(timeout -k 5 60 "$CFS" --socket "$(ht_ctl A)" checkservers 2>&1) || rc=$?
ht_note "cfs checkservers: exit $rc after $((SECONDS - t0))s: $out"
ht_check "cfs checkservers does not hang" test "$rc" -ne 124 -a "$rc" -ne 137
ht_check "cfs checkservers reports the server down" grep -q '^These servers still down: ' <<<"$out"
out=$(ht_cfs A lv "$A" 2>&1) || true
ht_check "cfs lv says Unreachable" grep -q 'Connection State is Unreachable' <<<"$out"
ht_check "venus A is still running" ht_venus_alive A

# vice back on the same port with the same root: venus reconnects.
ht_vice_start -p "$port"
ht_check "after vice restarts, A reads the file again" \
	ht_wait_for 60 bash -c "timeout -k 5 60 cat '$A/uncached' 2>/dev/null | grep -qx 'written by B'"
ht_wait_for 60 bash -c "HESPER_CTL='$(ht_ctl A)' '$CFS' checkservers | grep -qx 'All servers up'" || true
ht_check "cfs checkservers says All servers up again" bash -c "HESPER_CTL='$(ht_ctl A)' '$CFS' checkservers | grep -qx 'All servers up'"
ht_check "A reintegrates what it logged while vice was down" ht_wait_drained A
# B was idle: it learns that vice is back at its next probe.
ht_check "B reconnects by itself" ht_wait_drained B
ht_check "B sees the file A created while vice was down" ht_has_content "$B/newfile" "x"
echo "after reconnect" >"$A/later"
ht_check "B sees a file A created after the reconnect" ht_has_content "$B/later" "after reconnect"
ht_done
