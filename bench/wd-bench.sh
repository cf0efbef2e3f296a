#!/bin/bash
# bench/wd-bench.sh - git clone and tar -x in write-back mode (`cfs wd`)
# against a local directory (issue 11 target 2).  Not a test: it prints
# figures.
#
# One vice, one venus after `cfs wd`; REPS times, in turn: the workload in
# a local directory on HT_TMP's file system, then in the mount, then
# `cfs fr`.  The workloads are bench/compare.sh's: `git clone -q
# --no-hardlinks SRC` (SRC: this source tree, or CLONE_SRC) and tar -x of
# libxcrypt (scripts/deps.sh's tree, or XCRYPT_TAR).  Per run: wall,
# venus CPU (/proc/PID/stat), records, `cfs fr` wall, and with
#   COUNT=1  FUSE requests by opcode (venus's reads of /dev/fuse in one
#            strace -f of venus) and venus's syscalls from it; strace slows
#            venus, so a COUNT run's timings are not the ones to quote;
#   PERF=1   perf record --call-graph dwarf of venus during the workload
#            ($HT_TMP/perf.WL.txt, copied to $OUT.perf.WL.txt if OUT).
# WORKLOADS (clone,tarxc), REPS (3).  Run from a build directory:
# top_builddir=. ../bench/wd-bench.sh; VENUS=... another venus binary.
HT_TIMEOUT=${HT_TIMEOUT:-1800}
source "$(dirname "$0")/../test/integration/lib.sh"
REPS=${REPS:-3}
WORKLOADS=${WORKLOADS:-clone,tarxc}
CLONE_SRC=${CLONE_SRC:-$top_srcdir}
PY=/usr/bin/python3
OUT=${OUT:-}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
secs() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1e6 }'; }

if [[ ,$WORKLOADS, == *,tarxc,* ]] && [ -z "${XCRYPT_TAR:-}" ]; then
	# shellcheck source=scripts/deps.sh
	source "$top_srcdir/scripts/deps.sh"
	(hs_prepare_xcrypt "$HT_TMP/xc") >"$HT_TMP/xc.log" 2>&1 ||
		cp -a /usr/src/libxcrypt/. "$HT_TMP/xc/"
	XCRYPT_TAR=$HT_TMP/xcrypt.tar
	tar -C "$HT_TMP/xc" -cf "$XCRYPT_TAR" .
	rm -rf "$HT_TMP/xc"
fi

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)
pid=${HT_VENUS_PID[A]}
ht_cfs A wd >/dev/null
mkdir -p "$HT_TMP/local"

# FUSE opcodes (include/uapi/linux/fuse.h) by number.
FUSE_OPS="1:lookup 2:forget 3:getattr 4:setattr 5:readlink 6:symlink 8:mknod 9:mkdir
10:unlink 11:rmdir 12:rename 13:link 14:open 15:read 16:write 17:statfs 18:release
20:fsync 21:setxattr 22:getxattr 23:listxattr 24:removexattr 25:flush 26:init
27:opendir 28:readdir 29:releasedir 30:fsyncdir 34:access 35:create 36:interrupt
38:destroy 39:ioctl 40:poll 42:batch_forget 43:fallocate 44:readdirplus 45:rename2
46:lseek 47:copy_file_range 48:setupmapping"

# strace -x prints the read's bytes as \xNN: the opcode is bytes 4-7.
fuse_ops() {
	local fd
	fd=$(for f in /proc/"$pid"/fd/*; do [ "$(readlink "$f")" = /dev/fuse ] && basename "$f"; done | head -1)
	$PY - "$1" "$FUSE_OPS" "$fd" <<'PY'
import re, sys
name = dict(x.split(":") for x in sys.argv[2].split())
c = {}
for line in open(sys.argv[1]):
    m = re.search(r'read\(' + sys.argv[3] + r', "((?:\\x[0-9a-f]{2}){8})', line)
    if not m or not re.search(r"= \d+$", line.strip()):
        continue
    b = bytes.fromhex(m.group(1).replace("\\x", ""))
    op = str(int.from_bytes(b[4:8], "little"))
    c[op] = c.get(op, 0) + 1
print("total %d: " % sum(c.values()) +
      "; ".join("%s %d" % (name.get(k, k), v) for k, v in sorted(c.items(), key=lambda kv: -kv[1])))
PY
}

w_clone() { git clone -q --no-hardlinks "$CLONE_SRC" "$1/repo"; }
w_tarxc() { mkdir -p "$1/xc" && tar -C "$1/xc" -xf "$XCRYPT_TAR"; }

cml() { ht_cfs A --json lv "$A" | $PY -c 'import json,sys; print(json.load(sys.stdin)["volumes"][0]["cml_entries"])'; }

# run WL REP: the workload locally, then in the mount, then cfs fr.
run() {
	local wl=$1 rep=$2 t0 tl tw tf c0 c1 n p sp= pp=
	t0=$(ht_usec)
	"w_$wl" "$HT_TMP/local/r$rep"
	tl=$(($(ht_usec) - t0))
	mkdir -p "$A/r$rep"
	if [ "${COUNT:-0}" = 1 ]; then
		# One tracer per process: every syscall, counted afterwards.
		strace -f -x -s 8 -p "$pid" -o "$HT_TMP/fr.$wl.$rep" 2>/dev/null & sp=$!
		sleep 1
	fi
	if [ "${PERF:-0}" = 1 ]; then
		perf record --call-graph dwarf -F 2000 -p "$pid" -o "$HT_TMP/perf.$wl.data" 2>/dev/null & pp=$!
		sleep 1
	fi
	c0=$(cpu_ticks "$pid")
	t0=$(ht_usec)
	"w_$wl" "$A/r$rep"
	tw=$(($(ht_usec) - t0))
	c1=$(cpu_ticks "$pid")
	for p in $sp $pp; do kill -INT "$p"; wait "$p" || true; done
	n=$(cml)
	t0=$(ht_usec)
	ht_cfs A fr "$A" >/dev/null
	tf=$(($(ht_usec) - t0))
	ht_note "$wl rep $rep: local $(secs "$tl") s; wd $(secs "$tw") s" \
		"($(awk -v a="$tw" -v b="$tl" 'BEGIN { printf "%.1f", a / b }')x) + fr $(secs "$tf") s," \
		"$n records; venus CPU $(awk -v t=$((c1 - c0)) 'BEGIN { printf "%.2f", t / 100 }') s; load $(cut -d' ' -f1 /proc/loadavg)"
	if [ -n "$sp" ]; then
		ht_note "$wl FUSE requests: $(fuse_ops "$HT_TMP/fr.$wl.$rep")"
		ht_note "$wl venus syscalls: $(sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' "$HT_TMP/fr.$wl.$rep" |
			sort | uniq -c | sort -rn | awk '{ printf "%s %d; ", $2, $1 }')"
	fi
	if [ -n "$pp" ]; then
		perf report -i "$HT_TMP/perf.$wl.data" --no-children --stdio 2>/dev/null |
			grep -v '^$' | head -300 >"$HT_TMP/perf.$wl.txt" || true
		perf report -i "$HT_TMP/perf.$wl.data" --children --sort sym -g none --stdio 2>/dev/null |
			grep '%' | head -80 >"$HT_TMP/perf.$wl.incl.txt" || true
		if [ -n "$OUT" ]; then
			cp "$HT_TMP/perf.$wl.txt" "$OUT.perf.$wl.txt"
			cp "$HT_TMP/perf.$wl.incl.txt" "$OUT.perf.$wl.incl.txt"
			cp "$HT_TMP/perf.$wl.data" "$OUT.perf.$wl.data"
		fi
	fi
}

IFS=, read -ra WLS <<<"$WORKLOADS"
for ((rep = 1; rep <= REPS; rep++)); do
	for wl in "${WLS[@]}"; do run "$wl" "$rep"; done
done
ht_note "conflicts: $(ht_cfs A stats | awk '$1 == "conflicts" { print $2 }')"
ht_done
