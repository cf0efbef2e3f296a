#!/usr/bin/env bash
# bench/kernel-bench.sh - Hesper's kernel module against the container's
# own file system, FUSE and the stock coda.ko, in one qemu VM (the test
# harness's, test/kernel/run.sh, booted with BENCH=1).  Not part of
# `make check`.
#
#   bench/kernel-bench.sh [BUILDDIR]     BUILDDIR: where venus/venus,
#                                        vice/vice and tools/cfs were built
#                                        (default: the current directory)
#
# Workloads (bench/kernel-bench-io.c, in the guest): sequential write of
# BENCH_MB (32) MiB, then its close (through venus: the store to vice,
# timed apart), sequential read after drop_caches, BENCH_OPS (2000) random
# 4 KiB reads, random 4 KiB writes in place and their close (a store
# again), and a tar -x of about 10 MiB (the VM's /bin and modules).
# The cache, and so the containers, are on tmpfs; "native" is a plain
# tmpfs directory.  Prints throughput (MB/s; seconds for tar) per target
# and the ratio to native (1.00 = as fast, lower = slower; for tar the
# ratio is native time / target time, so also lower = slower).  The VM runs
# under TCG: absolute numbers mean little, ratios are what to compare.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$PWD}" && pwd)
for f in venus/venus vice/vice tools/cfs; do
	[ -x "$B/$f" ] || { echo "kernel-bench: $B/$f not built" >&2; exit 1; }
done
W=${WORK:-/tmp/hesper-kbench.$$}
set +e
BENCH=1 KERNELS=default KEEP=1 WORK=$W top_builddir=$B "$SRC/test/kernel/run.sh" |
	grep -v '^\[6.1\] bench:'
rc=${PIPESTATUS[0]}
set -e
log=$W/6.1/console.log
[ -f "$log" ] && grep -q '^bench: done' "$log" ||
	{ echo "kernel-bench: the VM did not finish (rc $rc); see $log" >&2; exit 1; }
grep '^bench: setup' "$log"
awk '
/^bench: / && NF == 4 && $2 != "setup" {
	v[$2, $3] = $4 + 0; if (!($2 in seen)) { seen[$2] = 1; order[n++] = $2 }
}
END {
	nw = split("seqwrite seqclose_s seqread randread randwrite randclose_s untar_s", w, " ")
	printf "%-7s", "target"
	for (i = 1; i <= nw; i++) printf " %15s", w[i]
	printf "\n"
	for (k = 0; k < n; k++) {
		t = order[k]
		printf "%-7s", t
		for (i = 1; i <= nw; i++) {
			x = v[t, w[i]]; nat = v["native", w[i]]
			if (x == "" || nat == "" || x == 0 || nat == 0) {
				printf " %15s", x == "" ? "-" : sprintf("%.2f", x); continue
			}
			r = (w[i] ~ /_s$/) ? nat / x : x / nat
			printf " %7.2f (%5.3f)", x, r
		}
		printf "\n"
	}
	print "MB/s, or seconds for *_s; (ratio to native: target/native for MB/s,"
	print "native/target for seconds; 1 = as fast, lower = slower)"
}' "$log"
rm -rf "$W"
