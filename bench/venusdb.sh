#!/bin/bash
# bench/venusdb.sh - venus's database cost of offline changes and of tar -x
# (issue 11, "venus's database").  Not a test: it prints figures.
#
# Offline (`cfs disconnect`): N creates (open O_CREAT+close of an empty
# file) and M modifies (rewrite of a 100-byte file: a logged store) in
# one directory, per-op wall time; venus's fsync/fdatasync/pwrite64/fcntl
# counts over the creates (perf stat on syscall tracepoints, if perf works).
# Connected (strong mode): tar -x of a tarball (BENCH_TAR, default
# /usr/include/linux) and venus's CPU seconds during it (/proc/PID/stat).
# Run from a build directory: top_builddir=. bench/venusdb.sh; VENUS=...
# picks another venus binary (the one before a change).
HT_TIMEOUT=${HT_TIMEOUT:-1800}
source "$(dirname "$0")/../test/integration/lib.sh"
N=${BENCH_CREATES:-5000}
M=${BENCH_MODIFIES:-1000}
TARSRC=${BENCH_TAR:-/usr/include/linux}

cpu_s() { awk '{ printf "%.2f\n", ($14 + $15) / 100 }' "/proc/$1/stat"; }

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)
pid=${HT_VENUS_PID[A]}

tar -C "$(dirname "$TARSRC")" -cf "$HT_TMP/src.tar" "$(basename "$TARSRC")"
entries=$(tar -tf "$HT_TMP/src.tar" | wc -l)
c0=$(cpu_s "$pid"); t0=$(ht_usec)
tar -C "$A" -xf "$HT_TMP/src.tar"
t1=$(ht_usec); c1=$(cpu_s "$pid")
ht_note "tar -x of $TARSRC ($entries entries, strong): $(( (t1 - t0) / 1000 )) ms," \
	"$(( (t1 - t0) / entries )) us/entry; venus CPU $(echo "$c1 - $c0" | bc) s"

mkdir "$A/off"
ht_cfs A disconnect >/dev/null
if command -v perf >/dev/null; then
	perf stat -x, -e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync \
		-e syscalls:sys_enter_pwrite64,syscalls:sys_enter_fcntl \
		-p "$pid" -o "$HT_TMP/perf.out" &
	spid=$!
	sleep 1
fi
c0=$(cpu_s "$pid"); t0=$(ht_usec)
python3 - "$A/off" "$N" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    os.close(os.open(os.path.join(d, "c%05d" % i), os.O_WRONLY | os.O_CREAT, 0o644))
PY
t1=$(ht_usec); c1=$(cpu_s "$pid")
if [ -n "${spid:-}" ]; then
	kill -INT "$spid"; wait "$spid" || true
	ht_note "syscalls during the creates: $(awk -F, '/sys_enter/ { sub(/.*sys_enter_/, "", $3); s = s $3 " " $1 "; " } END { print s }' "$HT_TMP/perf.out")"
fi
ht_note "offline: $N creates: $(( (t1 - t0) / 1000 )) ms, $(( (t1 - t0) / N )) us/create; venus CPU $(echo "$c1 - $c0" | bc) s"
c0=$(cpu_s "$pid"); t0=$(ht_usec)
python3 - "$A/off" "$M" <<'PY'
import os, sys
d, m = sys.argv[1], int(sys.argv[2])
for i in range(m):
    fd = os.open(os.path.join(d, "c%05d" % i), os.O_WRONLY | os.O_TRUNC)
    os.write(fd, b"x" * 100)
    os.close(fd)
PY
t1=$(ht_usec); c1=$(cpu_s "$pid")
ht_note "offline: $M modifies (logged stores): $(( (t1 - t0) / 1000 )) ms, $(( (t1 - t0) / M )) us/store; venus CPU $(echo "$c1 - $c0" | bc) s"
ht_note "CML: $(ht_cfs A listlocal 2>/dev/null | wc -l) lines of cfs listlocal"
ht_done
