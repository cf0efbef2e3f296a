#!/bin/bash
# vice killed (SIGKILL) in the middle of reintegration, again and again.
# A, disconnected, creates and changes ~300 files (some of several MiB);
# then, in each of 5 rounds, A logs a further batch offline (appends to the
# same files, new files, a new multi-MiB version of a big file), reconnects
# and starts `cfs fr`, and after a random 5-500 ms (less after a kill that
# came too late) vice is killed with
# SIGKILL and restarted on the same root and port.  At the end `cfs fr`
# succeeds and B sees every change exactly once: appends once, creates not
# duplicated, nothing lost (diff -r and a listing against a local mirror).
HT_TIMEOUT=${HT_TIMEOUT:-300}
source "$(dirname "$0")/disc_lib.sh"

ROUNDS=${DT_ROUNDS:-5}
DATA=$HT_TMP/data
EXPECT=$HT_TMP/expect
mkdir -p "$DATA" "$EXPECT"
for i in 0 1 2 3 4 5; do
	head -c $(((3 + i) * 1024 * 1024 + i * 1000)) /dev/urandom >"$DATA/big$i"
done

# batch ROOT R DATA: the offline changes of round R (0 = the initial one),
# applied alike to A's mount and to the mirror.
batch() {
	local r=$1 n=$2 data=$3 i d
	if [ "$n" -eq 0 ]; then
		for d in 1 2 3 4; do
			mkdir "$r/new$d"
			for i in $(seq 1 50); do
				printf 'created offline: dir %s file %s\n' "$d" "$i" >"$r/new$d/c$i"
			done
		done
		for i in 1 2 3 4; do cp "$data/big$i" "$r/big$i"; done
		for i in $(seq 0 99); do printf 'offline append 0\n' >>"$r/base/b$i"; done
		mkdir "$r/renamed"
		for i in $(seq 90 99); do mv "$r/base/b$i" "$r/renamed/b$i"; done
		for i in $(seq 80 89); do rm "$r/base/b$i"; done
		return 0
	fi
	for i in $(seq 0 79); do printf 'offline append %s\n' "$n" >>"$r/base/b$i"; done
	mkdir "$r/round$n"
	for i in $(seq 1 20); do printf 'round %s file %s\n' "$n" "$i" >"$r/round$n/n$i"; done
	cp "$data/big$(((n + 1) % 6))" "$r/big$((n % 4 + 1))"
	printf 'appended in round %s\n' "$n" >>"$r/renamed/b9$((n % 10))"
	mv "$r/new$((n % 4 + 1))/c$n" "$r/round$n/moved-c$n"
	rm "$r/new$((n % 4 + 1))/c$((n + 10))"
}

ht_vice_start
DT_VICE_PORT=$VICE_PORT
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

# Connected: 100 files with a first line; B reads them.
mkdir "$A/k" "$EXPECT/base"
mkdir "$A/k/base"
for i in $(seq 0 99); do
	printf 'base %s\n' "$i" >"$A/k/base/b$i"
	printf 'base %s\n' "$i" >"$EXPECT/base/b$i"
done
ht_check "B reads the base files" dt_same_tree "$EXPECT" "$B/k"

ht_check "cfs disconnect on A" ht_cfs A disconnect
batch "$EXPECT" 0 "$DATA"
dt_run "round 0: A's offline changes (~300 files, 4 of 3-7 MiB)" batch "$A/k" 0 "$DATA"
n=$(dt_pending A)
ht_check "A has CML entries pending after the offline changes (N=$n)" test "$n" -gt 0

s0_dup=$(ht_sstat B dup_stores)
hit=0
hi=500   # the longest delay (ms); halved whenever a kill came too late
for ((round = 1; round <= ROUNDS; round++)); do
	if [ "$round" -gt 1 ]; then
		ht_check "round $round: cfs disconnect on A" ht_cfs A disconnect
		batch "$EXPECT" "$round" "$DATA"
		dt_run "round $round: A's offline changes" batch "$A/k" "$round" "$DATA"
	fi
	before=$(dt_pending A)
	ht_check "round $round: cfs reconnect on A" ht_cfs A reconnect
	rm -f "$HT_TMP/fr.rc"
	(
		rc=0
		HESPER_CTL=$(ht_ctl A) timeout -k 5 90 "$CFS" fr >"$HT_TMP/fr.out" 2>&1 || rc=$?
		echo "$rc" >"$HT_TMP/fr.rc"
	) &
	frpid=$!
	HT_EXTRA_PIDS="${HT_EXTRA_PIDS:-} $frpid"
	delay=$(dt_rand_ms 5 "$hi")
	# Not a wait on a condition: vice dies at a random moment of the
	# reintegration on purpose.
	sleep "$delay"
	dt_vice_kill9
	ht_check "round $round: cfs fr returns within 60 s of vice's death" ht_wait_for 60 test -s "$HT_TMP/fr.rc"
	wait "$frpid" 2>/dev/null || true
	# Counted after the kill: what vice's death left pending.
	at_kill=$(dt_pending A)
	frrc=$(cat "$HT_TMP/fr.rc" 2>/dev/null || echo 0)
	ht_note "round $round: $before pending at reconnect, $at_kill left when vice was killed after ${delay}s; fr exit $frrc: $(tail -n 1 "$HT_TMP/fr.out" 2>/dev/null)"
	# Mid-reintegration: some blocks done, or the first one in flight
	# (fr failed with records left).
	if [ "$at_kill" -gt 0 ] && { [ "$at_kill" -lt "$before" ] || [ "$frrc" -ne 0 ]; }; then
		hit=$((hit + 1))
	elif [ "$hi" -gt 20 ]; then
		hi=$((hi / 2))   # too late: reintegration is fast here
	fi
	ht_check "round $round: venus A survives vice's death" ht_venus_alive A
	dt_vice_restart
	ht_check "round $round: A reconnects to the restarted vice" dt_wait_connected A 60
done
ht_check "at least one of the $ROUNDS kills landed mid-reintegration (some pending, fewer than at the reconnect): $hit did" \
	test "$hit" -ge 1

dt_fr A
ht_check "final cfs fr on A exits 0 (got $DT_FR_RC)" test "$DT_FR_RC" -eq 0
ht_check "final cfs fr prints 'Modifications to ... reintegrated to server'" \
	grep -Eq 'Modifications to .* reintegrated to server' <<<"$DT_FR_OUT"
ht_check "A has 0 CML entries pending" test "$(dt_pending A)" -eq 0
ht_check "A has no pending conflicts" test "$(dt_conflicts_n A)" -eq 0
ht_check "B reconnects to vice" dt_wait_connected B 60
ht_check "B sees exactly the mirror (diff -r: appends once, nothing lost)" dt_same_tree "$EXPECT" "$B/k"
ht_check "B's listing equals the mirror's (no duplicate creates)" dt_same_listing "$EXPECT" "$B/k"
ht_check "A's listing equals the mirror's" dt_same_listing "$EXPECT" "$A/k"
for i in 0 50 79; do
	ht_check "b$i on B has each offline append exactly once" \
		test "$(grep -c '^offline append' "$B/k/base/b$i")" -eq $((ROUNDS))
done
dup=$(ht_sstat B dup_stores)
ht_note "vice dup_stores: $s0_dup before the rounds, $dup after (vice restarts reset it)"
ht_done
