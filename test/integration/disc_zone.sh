#!/bin/bash
# Yellow and red zones (venus/log/zone.h).  A venus with a CML limit of 50
# records is disconnected and creates 200 small files: every create, write
# and close succeeds (writers are slowed, then stalled for a bounded time
# while Disconnected, never refused), and `cfs stats` counts yellow delays
# and red stalls.  After `cfs reconnect` the log drains and B sees all 200
# files with their content.  No assertion on timings.
#
# A stall past red lasts up to 10 s per operation while Disconnected, and
# the kernel serialises creates in one directory, so the files are spread
# over 50 directories (made while connected) and written by 200 writers
# at once.
HT_TIMEOUT=${HT_TIMEOUT:-400}
source "$(dirname "$0")/disc_lib.sh"

N=200
D=50

# path DIR I: where file I lives.
path() { printf '%s/z/d%s/f%s\n' "$1" $(($2 % D)) "$2"; }

# stat_of NAME KEY: a `cfs stats` counter of venus NAME (empty if absent).
stat_of() { ht_cfs "$1" stats 2>/dev/null | awk -v k="$2" '$1 == k { print $2; exit }'; }

# json_stat NAME KEY: the same from `cfs --json stats`.
json_stat() {
	ht_cfs "$1" --json stats | python3 -c \
		'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

# write_all DIR: N writers at once; 1 if any of them failed.
write_all() {
	local dir=$1 i pids=() rc=0
	for i in $(seq 1 "$N"); do
		printf 'zone file %s\n' "$i" >"$(path "$dir" "$i")" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || rc=1; done
	return "$rc"
}

# all_there DIR: every file with its content.
all_there() {
	local i
	for i in $(seq 1 "$N"); do
		ht_has_content "$(path "$1" "$i")" "zone file $i" || { echo "  f$i wrong or missing" >&2; return 1; }
	done
}

dt_venus_accepts cml_entries=50 || ht_skip "venus has no cml_entries key"
ht_vice_start
ht_venus_start A -o cml_entries=50
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
mkdir "$A/z"
for ((i = 0; i < D; i++)); do mkdir "$A/z/d$i"; done
ht_check "B sees the directories" ht_wait_for 10 test -d "$B/z/d$((D - 1))"
# Coda's form: zonelimit RED YELLOW in CML entries; the defaults are 95%
# and 80% of cml_entries, rounded up.
zl_says() { ht_cfs A zonelimit | grep -qF "$1"; }
ht_check "cfs zonelimit shows the defaults" zl_says "Zone limits are:  red = 48  yellow = 40"
ht_check "cfs zonelimit 45 35 is taken" ht_cfs A zonelimit 45 35
ht_check "cfs zonelimit shows 45 35" zl_says "Zone limits are:  red = 45  yellow = 35"
ht_check "cfs zonelimit 48 40 is taken" ht_cfs A zonelimit 48 40

ht_check "cfs disconnect on A" ht_cfs A disconnect
t0=$SECONDS
ht_check "offline: $N writers create their files, none fails" write_all "$A"
ht_note "$N files written in $((SECONDS - t0)) s; $(dt_pending A) CML entries pending"
ht_check "A reads all $N files back" all_there "$A"
y=$(stat_of A zone_yellow_delays)
r=$(stat_of A zone_red_stalls)
ht_note "zone_yellow_delays $y, zone_red_stalls $r"
ht_check "cfs stats: zone_yellow_delays > 0 ($y)" test "${y:-0}" -gt 0
ht_check "cfs stats: zone_red_stalls > 0 ($r)" test "${r:-0}" -gt 0
ht_check "cfs --json stats has the same red stalls" test "$(json_stat A zone_red_stalls)" = "$r"
ht_check "venus logged the bounded stalls" grep -q "red zone: CML at" "$HT_TMP/A/venus.log"

ht_check "cfs reconnect on A" ht_cfs A reconnect
ht_check "the CML drains within 120 s" ht_wait_drained A 120
ht_check "B sees all $N files with their content" all_there "$B"
ht_check "venus A is still alive" ht_venus_alive A
ht_done
