#!/bin/bash
# bench/offline-bench.sh - what an offline create or store costs venus
# (issue 11 target 3).  Not a test: it prints figures.
#
# One vice, one venus, `cfs disconnect`, then three loops in one python
# process each, as bench/compare.sh runs them: N creates of a small file
# (open "w", write, close), M appends to those files (a logged store
# each), K creates of empty files (O_CREAT|O_EXCL, close).  Per phase:
# wall per op (timed inside the loop), venus CPU per op (/proc/PID/stat),
# and with
#   COUNT=1  the FUSE requests venus read per op, by opcode (strace of
#            venus's reads of /dev/fuse: the opcode is the header's
#            second word), and venus's syscalls per op (strace -c);
#            strace slows venus, so the timings of a COUNT run are not
#            the figures to quote;
#   PERF=1   a perf profile of venus per phase ($HT_TMP/perf.PHASE.txt,
#            copied to $OUT if set).
# Run from a build directory: top_builddir=. ../bench/offline-bench.sh;
# VENUS=... picks another venus binary (the one before a change).
HT_TIMEOUT=${HT_TIMEOUT:-1800}
source "$(dirname "$0")/../test/integration/lib.sh"
N=${BENCH_CREATES:-5000}
M=${BENCH_MODIFIES:-1000}
K=${BENCH_EMPTY:-5000}
PY=/usr/bin/python3
OUT=${OUT:-}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)
pid=${HT_VENUS_PID[A]}
mkdir "$A/off" "$A/empty"
ht_cfs A disconnect >/dev/null

cat >"$HT_TMP/loop.py" <<'PY'
import os, sys, time
phase, d, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.monotonic()
if phase == "create":
    for i in range(n):
        with open(os.path.join(d, "f%05d" % i), "w") as f:
            f.write("small file %d\n" % i)
elif phase == "append":
    for i in range(n):
        with open(os.path.join(d, "f%05d" % i), "a") as f:
            f.write("modified\n")
else:
    for i in range(n):
        os.close(os.open(os.path.join(d, "e%06d" % i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
print("%.6f" % (time.monotonic() - t))
PY

# FUSE opcodes (include/uapi/linux/fuse.h) by number.
FUSE_OPS="1:lookup 2:forget 3:getattr 4:setattr 14:open 15:read 16:write 18:release 20:fsync 22:setxattr 23:getxattr 25:flush 26:init 27:opendir 28:readdir 29:releasedir 35:create 42:batch_forget 43:fallocate 44:readdirplus"

# strace -x prints the read's bytes as \xNN: the opcode is bytes 4-7.
fuse_ops() {
	local fd
	fd=$(for f in /proc/"$pid"/fd/*; do [ "$(readlink "$f")" = /dev/fuse ] && basename "$f"; done | head -1)
	$PY - "$1" "$2" "$FUSE_OPS" "$fd" <<'PY'
import re, sys
name = dict(x.split(":") for x in sys.argv[3].split())
c = {}
for line in open(sys.argv[1]):
    m = re.search(r'read\(' + sys.argv[4] + r', "((?:\\x[0-9a-f]{2}){8})', line)
    if not m or not re.search(r"= \d+$", line.strip()):
        continue
    b = bytes.fromhex(m.group(1).replace("\\x", ""))
    op = str(int.from_bytes(b[4:8], "little"))
    c[op] = c.get(op, 0) + 1
n = int(sys.argv[2])
print("; ".join("%s %.2f" % (name.get(k, k), v / n) for k, v in sorted(c.items(), key=lambda kv: -kv[1])))
PY
}

phase() {
	local ph=$1 dir=$2 n=$3 c0 c1 wall sp= fp= pp=
	if [ "${COUNT:-0}" = 1 ]; then
		strace -c -f -p "$pid" -o "$HT_TMP/sc.$ph" 2>/dev/null & sp=$!
		sleep 1
	fi
	if [ "${PERF:-0}" = 1 ]; then
		perf record -g -p "$pid" -o "$HT_TMP/perf.$ph.data" 2>/dev/null & pp=$!
		sleep 1
	fi
	c0=$(cpu_ticks "$pid")
	wall=$($PY "$HT_TMP/loop.py" "$ph" "$dir" "$n")
	c1=$(cpu_ticks "$pid")
	[ -n "$sp" ] && { kill -INT "$sp"; wait "$sp" || true; }
	[ -n "$pp" ] && { kill -INT "$pp"; wait "$pp" || true; }
	ht_note "$ph x$n: wall $($PY -c "print('%.3f' % ($wall * 1000 / $n))") ms/op;" \
		"venus CPU $($PY -c "print('%.3f' % (($c1 - $c0) * 10 / $n))") ms/op;" \
		"load $(cut -d' ' -f1 /proc/loadavg)"
	if [ -n "$sp" ]; then
		ht_note "$ph syscalls/op: $(awk -v n="$n" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" { printf "%s %.1f; ", $NF, $4 / n }' "$HT_TMP/sc.$ph")"
	fi
	if [ -n "$pp" ]; then
		# Call graphs (perf.PHASE.txt), flat symbols (.flat.txt), each
		# syscall with what it calls (.incl.txt), by library.
		perf report -i "$HT_TMP/perf.$ph.data" --no-children --stdio 2>/dev/null |
			grep -v '^$' | head -120 >"$HT_TMP/perf.$ph.txt" || true
		perf report -i "$HT_TMP/perf.$ph.data" --no-children -g none --stdio 2>/dev/null |
			grep '%' | head -50 >"$HT_TMP/perf.$ph.flat.txt" || true
		perf report -i "$HT_TMP/perf.$ph.data" --children --sort sym -g none --stdio 2>/dev/null |
			grep -E '__x64_sys_|__libc_|sqlite3_step' | head -40 >"$HT_TMP/perf.$ph.incl.txt" || true
		if [ -n "$OUT" ]; then
			cp "$HT_TMP/perf.$ph.txt" "$OUT.perf.$ph.txt"
			cp "$HT_TMP/perf.$ph.flat.txt" "$OUT.perf.$ph.flat.txt"
			cp "$HT_TMP/perf.$ph.incl.txt" "$OUT.perf.$ph.incl.txt"
		fi
		perf report -i "$HT_TMP/perf.$ph.data" --no-children --sort dso -g none --stdio 2>/dev/null |
			grep '%' | head -8 | sed "s/^/$HT_NAME: $ph dso: /" || true
	fi
}

# FUSE requests: a second, small run of each phase under strace of reads.
fuse_count() {
	local ph=$1 dir=$2 n=$3 sp
	strace -f -x -s 8 -e trace=read -p "$pid" -o "$HT_TMP/fr.$ph" 2>/dev/null & sp=$!
	sleep 1
	$PY "$HT_TMP/loop.py" "$ph" "$dir" "$n" >/dev/null
	kill -INT "$sp"; wait "$sp" || true
	ht_note "$ph FUSE requests/op: $(fuse_ops "$HT_TMP/fr.$ph" "$n")"
}

phase create "$A/off" "$N"
phase append "$A/off" "$M"
phase empty "$A/empty" "$K"
if [ "${COUNT:-0}" = 1 ]; then
	mkdir "$A/off2" "$A/empty2"
	fuse_count create "$A/off2" 200
	fuse_count append "$A/off2" 200
	fuse_count empty "$A/empty2" 200
fi
ht_note "CML records: $(ht_cfs A --json lv "$A" | $PY -c 'import json,sys; print(json.load(sys.stdin)["volumes"][0]["cml_entries"])')"
ht_done
