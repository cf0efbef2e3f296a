#!/bin/bash
# A volume moved while a client writes to it (issue 10, "move while in
# use"): venus A keeps appending to a file and creating files in volume 1
# while `volutil move` takes it from vice A to vice B (one realm, VLDB in
# etcd).  During the move A answers changes with HS_EVBUSY (venus waits
# and sends again), after it with HS_EMOVED (venus asks the VLDB and goes
# to B).  No write fails, none is lost, none is applied twice: a venus on
# B reads every line once, in order, and every file.
source "$(dirname "$0")/lib.sh"

VOLUTIL=${VOLUTIL:-$top_builddir/tools/volutil}
[ -x "$VOLUTIL" ] || ht_hard "$VOLUTIL not built"

ht_etcd_start
VARGS=(--realm mw.test --vldb etcd --etcd "$HT_ETCD")

ht_vice_start "${VARGS[@]}"
A_PORT=$VICE_PORT A_ROOT=$VICE_ROOT/root
ht_vice_start_as B "${VARGS[@]}"
B_PORT=${HT_VPORT[B]} B_ROOT=$HT_TMP/vice.B/root

ht_venus_start VA --server "127.0.0.1:$A_PORT"
MA=$(ht_mnt VA)
mkdir "$MA/w"
ht_check "venus A is connected and drained" ht_wait_drained VA

# The writer: one line appended and one file made per step, until told
# to stop; every failure is written down.
_writer() {
	local i=0
	while [ ! -e "$HT_TMP/stop" ]; do
		i=$((i + 1))
		echo "line $i" >>"$MA/log" || echo "append $i failed" >>"$HT_TMP/werr"
		echo "file $i" >"$MA/w/f.$i" || echo "create $i failed" >>"$HT_TMP/werr"
		[ ! -s "$HT_TMP/werr" ] || break
		echo "$i" >"$HT_TMP/wcount"
		sleep 0.05
	done
}
_writer &
WPID=$!
HT_EXTRA_PIDS="${HT_EXTRA_PIDS:-} $WPID"
ht_wait_for 30 test -s "$HT_TMP/wcount" || ht_hard "the writer did not start"
sleep 1
out=$(ht_t "$VOLUTIL" -h "127.0.0.1:$A_PORT" -d "$A_ROOT" move 1 \
	"127.0.0.1:$B_PORT" -D "$B_ROOT" 2>&1) && rc=0 || rc=$?
ht_note "move under write: exit $rc: $out"
ht_check "volutil move under write works" test "$rc" -eq 0
# Go on writing for a while against the new server.
n0=$(cat "$HT_TMP/wcount")
_steps_past() { [ "$(cat "$HT_TMP/wcount")" -ge "$1" ]; }
ht_wait_for 60 _steps_past $((n0 + 20)) ||
	ht_fail "the writer made no progress after the move"
touch "$HT_TMP/stop"
wait "$WPID" || true
n=$(cat "$HT_TMP/wcount")
ht_note "the writer made $n steps"
ht_check "no write failed ($(cat "$HT_TMP/werr" 2>/dev/null | head -3 | tr '\n' ';'))" \
	test ! -s "$HT_TMP/werr"
ht_check "venus A drained its log to B" ht_wait_drained VA 120

ht_venus_start VB --server "127.0.0.1:$B_PORT"
MB=$(ht_mnt VB)
seq 1 "$n" | sed 's/^/line /' >"$HT_TMP/want"
ht_check "every line on B, once, in order" ht_t cmp "$HT_TMP/want" "$MB/log"
missing=0
for ((i = 1; i <= n; i++)); do
	[ "$(cat "$MB/w/f.$i" 2>/dev/null)" = "file $i" ] || missing=$((missing + 1))
done
ht_check "every file on B ($missing missing or wrong)" test "$missing" -eq 0

ht_done
