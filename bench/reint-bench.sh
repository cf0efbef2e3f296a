#!/bin/bash
# bench/reint-bench.sh - reintegration throughput (issue 11, target 4).
# Not part of `make check`; as root, from the build directory:
#
#   top_builddir=$PWD ../bench/reint-bench.sh [NFILES] [STORE_MB]
#
# One vice, one venus.  `cfs disconnect`, then offline: NFILES (2000)
# creates in NFILES/100 directories (mkdirs), a chmod of each file
# (setattrs), a rename of every 4th and a remove of every 8th; with
# STORE_MB (0) > 0, STORE_MB one-MiB files written too (stores).  Then
# `cfs reconnect` and `cfs fr`: prints the records logged, the seconds
# from reconnect until the CML is empty, and records/s.  Timings, not
# checks: nothing here fails on a slow machine.
HT_TIMEOUT=${HT_TIMEOUT:-1800}
HT_OPTIMEOUT=${HT_OPTIMEOUT:-1200}
source "${top_srcdir:-$(dirname "$0")/..}/test/integration/disc_lib.sh"

NFILES=${1:-2000}
STORE_MB=${2:-0}

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)
mkdir "$A/b"
ht_cfs A disconnect
t0=$(ht_usec)
python3 - "$A/b" "$NFILES" "$STORE_MB" <<-'EOF'
import os, sys
top, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
nd = max(1, n // 100)
for d in range(nd):
    os.mkdir("%s/d%d" % (top, d))
for i in range(n):
    p = "%s/d%d/f%d" % (top, i % nd, i)
    with open(p, "w") as f:
        pass
for i in range(n):
    os.chmod("%s/d%d/f%d" % (top, i % nd, i), 0o600)
for i in range(0, n, 4):
    os.rename("%s/d%d/f%d" % (top, i % nd, i), "%s/d%d/r%d" % (top, i % nd, i))
for i in range(1, n, 8):
    os.unlink("%s/d%d/f%d" % (top, i % nd, i))
blk = os.urandom(1 << 20)
for i in range(mb):
    with open("%s/s%d" % (top, i), "wb") as f:
        f.write(blk[i:] + blk[:i])
EOF
t1=$(ht_usec)
recs=$(dt_pending A)
ht_note "offline: $recs records logged in $(( (t1 - t0) / 1000 )) ms"
# PERF=FILE: perf record -g of venus and vice from the reconnect to the
# end of fr; STRACE=FILE: their system calls (STRACE_E, default fsyncs).
if [ -n "${PERF:-}" ]; then
	perf record -q ${PERF_OPTS:--g} -o "$PERF" -p "${HT_VENUS_PID[A]},$HT_VICE_PID" 2>/dev/null &
	perf_pid=$!
fi
if [ -n "${STRACE:-}" ]; then
	strace -f -tt -T -e trace="${STRACE_E:-fsync,fdatasync}" -o "$STRACE" \
		-p "${HT_VENUS_PID[A]}" -p "$HT_VICE_PID" 2>/dev/null &
	strace_pid=$!
fi
[ -z "${PERF:-}${STRACE:-}" ] || sleep 1
# CPU time (user + system, ms) of venus and vice: on a loaded machine
# the wall time mostly measures the other jobs.
cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ s += $14 + $15 } END { printf "%d\n", s * 1000 / hz }' \
		"/proc/${HT_VENUS_PID[A]}/stat" "/proc/$HT_VICE_PID/stat"
}
# Each daemon's own share too (the two overlap: the wall time follows
# the larger), in microseconds from each live thread's schedstat (stat
# counts 10 ms ticks; a thread that ended meanwhile is not counted).
cpu_one() {
	cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%d\n", s / 1000 }'
}
cv0=$(cpu_one "${HT_VENUS_PID[A]}")
cs0=$(cpu_one "$HT_VICE_PID")
c0=$(cpu_ms)
t0=$(ht_usec)
ht_cfs A reconnect
tr=$(ht_usec)
tf=$tr
dt_fr A
t1=$(ht_usec)
c1=$(cpu_ms)
cv1=$(cpu_one "${HT_VENUS_PID[A]}")
cs1=$(cpu_one "$HT_VICE_PID")
[ -z "${PERF:-}" ] || { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
[ -z "${STRACE:-}" ] || { kill -INT "$strace_pid"; wait "$strace_pid" || true; }
ht_note "cfs reconnect $(( (tr - t0) / 1000 )) ms; cfs fr $(( (t1 - tf) / 1000 )) ms"
left=$(dt_pending A)
cpu=$(( c1 - c0 ))
ht_note "CPU of venus + vice from reconnect to the end of fr: $cpu ms:" \
	"$(( recs * 1000 / (cpu ? cpu : 1) )) records per CPU second; load $(cut -d' ' -f1 /proc/loadavg)" \
	"(schedstat: venus $(( (cv1 - cv0) / 1000 )) ms, vice $(( (cs1 - cs0) / 1000 )) ms)"
us=$(( t1 - tf + tr - t0 ))
ht_note "reintegrated $recs records ($STORE_MB MiB of stores) in $(( us / 1000 )) ms:" \
	"$(( recs * 1000000 / (us ? us : 1) )) records/s; $left left; fr rc $DT_FR_RC"
# venus's own figure for each pass (reint.c): without cfs's start-up.
grep -h 'reintegrated in' "$HT_TMP/A/venus.log" | sed 's/^/    /' || true
awk '/reintegrated in/ { for (i = 2; i <= NF; i++) if ($i ~ /^records/) n += $(i - 1)
                        sub(/.* reintegrated in /, ""); s += $1 }
     END { if (s > 0) printf "venus: %d records in %.3f s of passes: %d records/s\n", n, s, n / s }' \
	"$HT_TMP/A/venus.log"
ht_done
