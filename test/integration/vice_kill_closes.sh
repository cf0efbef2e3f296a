#!/bin/bash
# vice killed (SIGKILL) while many clients close files at once: every
# close that returned before the kill is on vice after the restart.
# Eight writers (four on venus A, four on venus B) each write small files
# in their own directory, each recording a file once its close returned
# (strong mode: the close returns after vice's reply to the store).
# vice's group commit holds those replies until one flush covers the
# turn's commits; this checks that no reply leaves before its change is
# committed.  Once enough closes returned, the records are copied, vice
# is killed with SIGKILL, A and B stop (so nothing reaches vice but what
# it had), vice restarts on the same root, and a fresh venus C reads
# every recorded file and its contents from vice.
HT_TIMEOUT=${HT_TIMEOUT:-400}
source "$(dirname "$0")/disc_lib.sh"

WRITERS=8
WANT=${VK_WANT:-60}     # closes returned before the kill (at least)
STOP=$HT_TMP/stop

# writer DIR N: files DIR/fK until $STOP exists, K recorded in done.N
# once the close of DIR/fK returned 0.
writer() {
	local dir=$1 n=$2 k=0
	while [ ! -e "$STOP" ] && [ "$k" -lt 2000 ]; do
		k=$((k + 1))
		if printf 'writer %s file %s %s\n' "$n" "$k" "$(head -c $((k * 37 % 3000)) /dev/zero | tr '\0' x)" \
			>"$dir/f$k" 2>/dev/null; then
			echo "$k" >>"$HT_TMP/done.$n"
		fi
	done
}

done_total() { cat "$HT_TMP"/done.* 2>/dev/null | wc -l; }
enough_done() { [ "$(done_total)" -ge "$WANT" ]; }

ht_vice_start
DT_VICE_PORT=$VICE_PORT
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
mkdir "$A/k"
ht_check "B sees the shared directory" ht_wait_for 30 test -d "$B/k"
pids=
for n in $(seq 1 $WRITERS); do
	if [ "$n" -le $((WRITERS / 2)) ]; then r=$A; else r=$B; fi
	mkdir "$r/k/w$n"
	: >"$HT_TMP/done.$n"
	writer "$r/k/w$n" "$n" &
	pids="$pids $!"
done
HT_EXTRA_PIDS="${HT_EXTRA_PIDS:-} $pids"
ht_check "at least $WANT closes returned on the $WRITERS writers" ht_wait_for 120 enough_done
# What returned before the kill: copied first, then vice dies.
for n in $(seq 1 $WRITERS); do cp "$HT_TMP/done.$n" "$HT_TMP/before.$n"; done
dt_vice_kill9
touch "$STOP"
wait $pids 2>/dev/null || true
total=$(cat "$HT_TMP"/before.* | wc -l)
ht_note "$total closes had returned when vice was killed"
ht_venus_stop A
ht_venus_stop B
dt_vice_restart
ht_venus_start C
C=$(ht_mnt C)

# check_all: every recorded file, on C, has the contents written.
check_all() {
	local n k r bad=0 f
	for n in $(seq 1 $WRITERS); do
		while read -r k; do
			f="$C/k/w$n/f$k"
			if ! printf 'writer %s file %s %s\n' "$n" "$k" "$(head -c $((k * 37 % 3000)) /dev/zero | tr '\0' x)" |
				cmp -s - "$f"; then
				[ "$bad" -lt 5 ] && ht_note "lost or wrong after the kill: w$n/f$k"
				bad=$((bad + 1))
			fi
		done <"$HT_TMP/before.$n"
	done
	[ "$bad" -eq 0 ]
}
ht_check "C reaches the restarted vice" ht_wait_for 60 test -d "$C/k"
ht_check "every one of the $total closes that returned before the kill is on vice, contents intact" check_all
# vice_kill_delayed.sh runs this with replies that do not wait for a flush.
if [[ " ${HT_VICE_EXTRA:-} " == *" delayed "* ]]; then
	ht_check "vice ran with --sync delayed" \
		grep -q -e '--sync delayed: replies do not wait' "$VICE_ROOT/vice.log"
fi
ht_done
