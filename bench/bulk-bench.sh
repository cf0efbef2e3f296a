#!/bin/bash
# bench/bulk-bench.sh - the bulk data path (issue 11, target 1): a SIZE_MB
# (1024) MiB write+close through venus A (the store to vice), then a cold
# read of it through venus B (a fetch).  Not part of `make check`.
#
#   cd build && top_builddir=$PWD ../bench/bulk-bench.sh     (as root)
#
# Uses test/integration/lib.sh (real vice, two real venus).  With PERF=1
# each phase runs under `perf record -g` on vice and the venus concerned
# (reports in $OUT, default /tmp/bulk-bench); with STRACE=1 under
# `strace -c -f` counting fsync/fdatasync/write/read system calls.
# Prints seconds and MiB/s per phase, and the CPU seconds (user+system)
# vice and the venus concerned used in it: on a shared machine the wall
# time follows the load, the CPU time much less.  Compare with
# bench/tls-baseline.sh, which prints the same figures for plain TLS:
# with BASELINE=1 (the default) it runs first, at the same size, so the
# ratios the issue asks for come from one run.  Each phase also prints
# how long each daemon waited for a CPU (run-queue wait): on a loaded
# machine most of the wall time.  SPLIT=1 times B's cold open (the
# whole-file fetch) and its reads apart; SYNC=1 runs sync(1) before each
# phase, untimed, so B does not fill its container while A's and vice's
# gigabyte are still dirty on the same machine.
set -euo pipefail
SIZE_MB=${SIZE_MB:-1024}
OUT=${OUT:-/tmp/bulk-bench}
HT_TIMEOUT=${HT_TIMEOUT:-1800}
HT_OPTIMEOUT=${HT_OPTIMEOUT:-900}
source "$(dirname "$0")/../test/integration/lib.sh"
mkdir -p "$OUT"

# CPU seconds (user+system) pid has used so far.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

# Seconds pid has waited on a run queue so far (/proc/PID/schedstat):
# on a loaded machine, time runnable but not running.
rq_s() { awk '{ print $2 / 1e9 }' "/proc/$1/schedstat"; }
# Seconds pid's main thread has run so far (the CPU seconds above count
# every thread); the phase's wall time minus this and the run-queue wait
# is what that thread slept: for the disk, or for the other side.
on_s() { awk '{ print $1 / 1e9 }' "/proc/$1/schedstat"; }

# phase NAME PIDS... -- CMD...: time CMD with the profilers on PIDS.
phase() {
	local name=$1 p=() t0 t1 prof=()
	shift
	while [ "$1" != -- ]; do p+=("$1"); shift; done
	shift
	local pid
	for pid in "${p[@]}"; do
		if [ "${PERF:-0}" = 1 ]; then
			perf record ${PERF_CG:--g} -o "$OUT/$name.$pid.perf" -p "$pid" >/dev/null 2>&1 3>&- &
			prof+=($!)
		elif [ "${STRACE:-0}" = 1 ]; then
			strace ${STRACE_FLAGS:--c} -f -e trace=${STRACE_CALLS:-fsync,fdatasync,write,read,pwrite64,pread64,openat,writev,readv} \
				-o "$OUT/$name.$pid.strace" -p "$pid" 2>/dev/null 3>&- &
			prof+=($!)
		fi
	done
	[ ${#prof[@]} -eq 0 ] || sleep 1
	# SYNC=1: write back what earlier phases left dirty first, as a
	# second client on its own machine would not hold A's dirty container.
	[ "${SYNC:-0}" = 1 ] && sync
	local c0=() c1=() q0=() q1=() o0=() o1=() i
	for pid in "${p[@]}"; do
		c0+=("$(cpu_s "$pid")"); q0+=("$(rq_s "$pid")"); o0+=("$(on_s "$pid")")
	done
	t0=$(ht_usec)
	"$@"
	t1=$(ht_usec)
	for pid in "${p[@]}"; do
		c1+=("$(cpu_s "$pid")"); q1+=("$(rq_s "$pid")"); o1+=("$(on_s "$pid")")
	done
	for pid in "${prof[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
	for pid in "${prof[@]}"; do wait "$pid" 2>/dev/null || true; done
	local us=$((t1 - t0))
	printf '%-14s %8.2f s %8.1f MiB/s\n' "$name" "$(bc -l <<<"$us/1000000")" \
		"$(bc -l <<<"$SIZE_MB*1000000/$us")"
	for i in "${!p[@]}"; do
		printf '    cpu %-6s %6.2f s   run-queue wait %6.2f s   main thread asleep %6.2f s\n' \
			"$(ps -o comm= -p "${p[$i]}")" "$(bc -l <<<"${c1[$i]} - ${c0[$i]}")" \
			"$(bc -l <<<"${q1[$i]} - ${q0[$i]}")" \
			"$(bc -l <<<"$us/1000000 - (${o1[$i]} - ${o0[$i]}) - (${q1[$i]} - ${q0[$i]})")"
	done
	if [ "${PERF:-0}" = 1 ]; then
		for pid in "${p[@]}"; do
			perf report -i "$OUT/$name.$pid.perf" --no-children --stdio 2>/dev/null |
				grep -E '^ +[0-9]' | head -15 >"$OUT/$name.$pid.top" || true
		done
	fi
}

[ "${BASELINE:-1}" = 1 ] && "$(dirname "$0")/tls-baseline.sh" "$SIZE_MB"
ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
VPID=$HT_VICE_PID
APID=${HT_VENUS_PID[A]}
BPID=${HT_VENUS_PID[B]}
echo "probe" >"$A/probe"; cat "$B/probe" >/dev/null
sync
# The plain file system first (issue 11's "ext4 write"), then the same
# write through venus A and its close (the store) timed apart, as
# bench/compare.sh's "write + close" does it (no fsync: close publishes).
LOCAL=$HT_TMP/local-write   # the file system of the caches; removed with HT_TMP
phase local-write -- dd if=/dev/zero of="$LOCAL" bs=1M count="$SIZE_MB" status=none
rm -f "$LOCAL"
write3() { dd if=/dev/zero bs=1M count="$SIZE_MB" status=none >&3; }
close3() { exec 3>&-; }
exec 3>"$A/f"
phase write "$VPID" "$APID" -- write3
phase close "$VPID" "$APID" -- close3
# /dev/zero would be a hole-free file of zeros: fetches send it whole.
if [ "${SPLIT:-0}" = 1 ]; then
	# The open waits for the whole-file fetch; the reads then come from
	# B's container through FUSE.
	open4() { exec 4<"$B/f"; }
	read4() { dd of=/dev/null bs=1M status=none <&4; exec 4<&-; }
	phase cold-open "$VPID" "$BPID" -- open4
	phase read-after "$VPID" "$BPID" -- read4
else
phase cold-read "$VPID" "$BPID" -- dd if="$B/f" of=/dev/null bs=1M status=none
fi
ht_check "B read back $SIZE_MB MiB of zeros" cmp -s -n $((SIZE_MB << 20)) "$B/f" /dev/zero
ht_note "A store_bytes $(ht_stat A store_bytes) B fetch_bytes $(ht_stat B fetch_bytes)"
[ "${PERF:-0}" = 1 ] && for f in "$OUT"/*.top; do echo "== $f"; cat "$f"; done
ht_done
