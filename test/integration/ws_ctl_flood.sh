#!/bin/bash
# An unprivileged user cannot lock root out of venus's control socket:
# user nobody opens 64 connections and keeps each alive with one byte
# every 2 s, never completing a request line.  venus refuses all but a few
# at once (per-uid cap, root's reserve) with a message, closes the
# trickling ones when their line is not complete in time, and root's cfs
# answers all along.  nobody's own cfs works again afterwards.
HT_TIMEOUT=${HT_TIMEOUT:-180}
source "$(dirname "$0")/lib.sh"

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
"${NOBODY[@]}" true 2>/dev/null || ht_skip "cannot run as user nobody (setpriv)"
# nobody cannot use a python3 under root's home (pyenv): the system one
NPY=/usr/bin/python3
[ -x "$NPY" ] || ht_skip "$NPY missing"

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)
SOCK=$(ht_ctl A)
install -m 755 "$CFS" "$HT_TMP/cfs"
mkdir -m 1777 "$HT_TMP/nobody"
REPORT=$HT_TMP/nobody/flood.txt

# The flood: open N connections, trickle a byte on each every 2 s, and
# record for each how it ended: "refused" (venus's message at once),
# "closed" (venus closed it later, with its reason), or "open" (still
# open when the budget ran out).  Writes REPORT when every one is over.
cat >"$HT_TMP/flood.py" <<'PY'
import os, select, socket, sys, time
path, n, budget, report = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
conns, state, text = [], {}, {}
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    conns.append(s)
    state[s] = None
    text[s] = b""
start = time.monotonic()
last = 0.0
while any(v is None for v in state.values()) and time.monotonic() - start < budget:
    live = [s for s in conns if state[s] is None]
    if time.monotonic() - last >= 2:
        last = time.monotonic()
        for s in live:
            try:
                s.send(b"x")
            except OSError:
                pass
    r, _, _ = select.select(live, [], [], 0.5)
    for s in r:
        try:
            d = s.recv(4096)
        except OSError:
            d = b""
        text[s] += d
        if not d:
            state[s] = "refused" if b"too many" in text[s] else "closed"
with open(report, "w") as f:
    for s in conns:
        why = text[s].decode(errors="replace").splitlines()
        f.write("%s %s\n" % (state[s] or "open", why[0] if why else ""))
PY
chmod 644 "$HT_TMP/flood.py"

budget=$((60 * $(ht_load_pct) / 100))
"${NOBODY[@]}" "$NPY" "$HT_TMP/flood.py" "$SOCK" 64 "$budget" "$REPORT" \
	>"$HT_TMP/flood.log" 2>&1 &
FLOOD=$!
# Eight more users with eight connections each: together they reach the
# global cap, and only root's reserve is left.
OTHERS=()
for u in 60001 60002 60003 60004 60005 60006 60007 60008; do
	setpriv --reuid=$u --regid=$u --clear-groups "$NPY" "$HT_TMP/flood.py" "$SOCK" 8 \
		"$budget" "$HT_TMP/nobody/flood.$u" >>"$HT_TMP/flood.log" 2>&1 &
	OTHERS+=($!)
done

# While the flood runs, root's cfs answers (each call bounded by ht_cfs's
# timeout; polled, never timed).
ok=0
for i in 1 2 3 4 5; do
	if ht_cfs A stats >/dev/null 2>&1 && ht_cfs A lv "$A" >/dev/null 2>&1; then
		ok=$((ok + 1))
	fi
	kill -0 "$FLOOD" 2>/dev/null || break
	sleep 1
done
ht_check "root's cfs answered during the flood ($ok of $i tries)" test "$ok" -eq "$i"
# nobody's own cfs, refused while its connections are held, is told why.
if ! out=$(HESPER_CTL=$SOCK "${NOBODY[@]}" "$HT_TMP/cfs" stats 2>&1); then
	ht_check "a refused cfs says why (${out:0:100})" grep -q 'too many control connections' <<<"$out"
fi

for p in "$FLOOD" "${OTHERS[@]}"; do
	ht_wait_for 90 ht_gone "$p" || ht_fail "a flood did not end within 90 s (load-scaled)"
	wait "$p" 2>/dev/null || true
done
ht_check "other users' connections were refused for root's reserve" \
	grep -q 'kept for root' "$HT_TMP"/nobody/flood.600*
[ -s "$REPORT" ] || ht_hard "the flood wrote no report: $(cat "$HT_TMP/flood.log")"
refused=$(grep -c '^refused' "$REPORT" || true)
closed=$(grep -c '^closed' "$REPORT" || true)
open=$(grep -c '^open' "$REPORT" || true)
ht_note "flood: $refused refused, $closed closed by venus, $open left open"
ht_check "venus refused most of nobody's 64 connections ($refused)" test "$refused" -ge 48
ht_check "refusals say why" grep -q '^refused .*too many control connections' "$REPORT"
ht_check "venus closed every trickling connection ($open left open)" test "$open" -eq 0
ht_check "a trickle is closed for an incomplete line" grep -q '^closed .*not complete in time' "$REPORT"
ht_check "nobody's cfs works once the flood is over" \
	env HESPER_CTL="$SOCK" "${NOBODY[@]}" "$HT_TMP/cfs" stats
ht_check "venus is still alive" ht_venus_alive A

ht_done
