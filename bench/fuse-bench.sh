#!/bin/bash
# bench/fuse-bench.sh - Hesper over FUSE against the native file system,
# in one run, on this machine.  Not part of `make check`.
#
#   bench/fuse-bench.sh [BUILDDIR]        (as root; BUILDDIR default: build-quickstart,
#                                          else the current directory)
#
# Starts its own vice (temp root, free port) and two venus clients (temp
# cachedirs, mounts under the temp dir), all on the file system of
# $BENCH_DIR (default /var/tmp), and times the same workloads in a plain
# directory on that file system ("native") and through the mount
# ("hesper"):
#   - sequential write of a SIZE_MB (256) MiB file, close included (for
#     Hesper that is the store to vice);
#   - sequential read of it after dropping the page cache (Hesper: from the
#     container), and a cold read on the second client (a fetch from vice);
#   - RANDOM_READS (20000) random 4 KiB preads after dropping the page cache;
#   - tar -x of /usr/src/libxcrypt (about 150 files, 2 MiB).
# Prints seconds for each and the ratio hesper/native (1.00 = as fast;
# higher = slower).
set -euo pipefail

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-}
if [ -z "$BUILD" ]; then
	if [ -x "$SRCDIR/build-quickstart/venus/venus" ]; then
		BUILD=$SRCDIR/build-quickstart
	else
		BUILD=$PWD
	fi
fi
BUILD=$(cd "$BUILD" && pwd)
VICE=$BUILD/vice/vice
VENUS=$BUILD/venus/venus
CFS=$BUILD/tools/cfs
PDBTOOL=$BUILD/tools/pdbtool CLOG=$BUILD/tools/clog
SIZE_MB=${SIZE_MB:-256}
RANDOM_READS=${RANDOM_READS:-20000}
TARSRC=${TARSRC:-/usr/src/libxcrypt}
BENCH_DIR=${BENCH_DIR:-/var/tmp}

die() { printf 'fuse-bench: error: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (FUSE mounts, drop_caches)"
[ -c /dev/fuse ] || die "/dev/fuse is missing"
for b in "$VICE" "$VENUS" "$CFS"; do
	[ -x "$b" ] || die "$b not built (give the build directory as argument)"
done
[ -d "$TARSRC" ] || die "$TARSRC missing (apt-get install libxcrypt-source, or set TARSRC)"

T=$(mktemp -d "$BENCH_DIR/hesper-bench.XXXXXX")
PIDS=()
MNTS=()
is_mounted() { awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/mounts; }
cleanup() {
	local m p
	set +e
	cd /
	for m in "${MNTS[@]}"; do
		is_mounted "$m" && { fusermount3 -u "$m" 2>/dev/null || umount -l "$m"; }
	done
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for m in "${MNTS[@]}"; do
		is_mounted "$m" && umount -l "$m"
	done
	if awk -v t="$T/" 'index($2, t) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
		printf 'fuse-bench: a mount under %s remains; not removing it\n' "$T" >&2
	else
		rm -rf --one-file-system "$T"
	fi
}
trap cleanup EXIT

# ---- start vice and two venus ----
mkdir -p "$T/vice" "$T/native"
# The realm's root volume is MOUNT/REALM on each venus (doc/design.md).
REALM=bench.test
"$VICE" -f -r "$T/vice/root" -l 127.0.0.1 -p 0 --realm "$REALM" >"$T/vice/log" 2>&1 </dev/null &
PIDS+=($!)
port=
for ((i = 0; i < 150; i++)); do
	port=$(sed -n 's/^vice: listening on .* port \([0-9][0-9]*\)$/\1/p' "$T/vice/log" | head -n 1)
	[ -n "$port" ] && break
	sleep 0.2
done
[ -n "$port" ] || { cat "$T/vice/log" >&2; die "vice did not start"; }
# With authentication built: the pdb user root (System:Administrators),
# a random password, clogged on each venus, as compare.sh and the tests.
ROOTPW=$T/vice/root.password
if [ -x "$PDBTOOL" ] && [ -x "$CLOG" ]; then
	(umask 077 && head -c 18 /dev/urandom | base64 >"$ROOTPW")
	"$PDBTOOL" -r "$T/vice/root" nu root 0 >/dev/null &&
		"$PDBTOOL" -r "$T/vice/root" passwd -pipe root <"$ROOTPW" >/dev/null &&
		"$PDBTOOL" -r "$T/vice/root" ag System:Administrators root >/dev/null ||
		die "cannot create pdb user root with $PDBTOOL"
fi
printf 'realm %s\n' "$REALM" >"$T/venus.conf"
start_venus() {
	local n=$1 i
	mkdir -p "$T/$n/cache" "$T/$n/mnt"
	"$VENUS" -f -c "$T/venus.conf" --cachedir "$T/$n/cache" --mountpoint "$T/$n/mnt" \
		--cachesize 2G "127.0.0.1:$port" >"$T/$n/log" 2>&1 </dev/null &
	PIDS+=($!)
	MNTS+=("$T/$n/mnt")
	for ((i = 0; i < 150; i++)); do
		is_mounted "$T/$n/mnt" && break
		sleep 0.2
	done
	is_mounted "$T/$n/mnt" || { cat "$T/$n/log" >&2; die "venus $n did not mount"; }
	[ -f "$ROOTPW" ] || return 0
	for ((i = 0; i < 150; i++)); do
		[ -s "$T/$n/cache/known_servers" ] && break
		sleep 0.2
	done
	HESPER_CTL=$T/$n/cache/venus.ctl "$CLOG" -pipe root <"$ROOTPW" >>"$T/$n/log" 2>&1 ||
		die "venus $n: clog root failed (see $T/$n/log)"
}
start_venus A
start_venus B
HA=$T/A/mnt/$REALM
HB=$T/B/mnt/$REALM
NAT=$T/native

# ---- helpers ----
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
# timed CMD...: prints seconds
timed() {
	local t0 t1
	t0=$(now)
	"$@" >/dev/null
	t1=$(now)
	elapsed "$t0" "$t1"
}
seq_write() { dd if=/dev/zero of="$1" bs=1M count="$SIZE_MB" status=none; }
seq_read() { dd if="$1" of=/dev/null bs=1M status=none; }
rand_read() {
	python3 - "$1" "$RANDOM_READS" <<'PY'
import os, random, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
blocks = os.fstat(fd).st_size // 4096
rnd = random.Random(42)
for _ in range(int(sys.argv[2])):
    if len(os.pread(fd, 4096, rnd.randrange(blocks) * 4096)) != 4096:
        sys.exit("short read")
os.close(fd)
PY
}
untar() { mkdir -p "$1" && tar -C "$1" -xf "$T/src.tar"; }
tar -C "$TARSRC" -cf "$T/src.tar" .

declare -A R=()
run() { # run KEY CMD...
	R[$1]=$(timed "${@:2}")
}

printf 'fuse-bench: %s MiB file, %s random 4 KiB reads, tar of %s; native dir %s (%s)\n' \
	"$SIZE_MB" "$RANDOM_READS" "$TARSRC" "$NAT" "$(df -T "$T" | awk 'NR == 2 { print $2 }')"

run nat_write seq_write "$NAT/big"
run hes_write seq_write "$HA/big"
drop_caches
run nat_read seq_read "$NAT/big"
run hes_read seq_read "$HA/big"
drop_caches
run hes_cold seq_read "$HB/big"
drop_caches
run nat_rand rand_read "$NAT/big"
run hes_rand rand_read "$HA/big"
run nat_tar untar "$NAT/tree"
run hes_tar untar "$HA/tree"

ratio() { awk -v h="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.2f", h / n; else print "-" }'; }
mbps() { awk -v s="$1" -v m="$SIZE_MB" 'BEGIN { if (s > 0) printf "%.0f", m / s; else print "-" }'; }
printf '\n%-34s %10s %10s %8s\n' "workload" "native s" "hesper s" "ratio"
printf '%-34s %10s %10s %8s   (%s vs %s MiB/s)\n' "sequential write ${SIZE_MB} MiB" "${R[nat_write]}" "${R[hes_write]}" \
	"$(ratio "${R[hes_write]}" "${R[nat_write]}")" "$(mbps "${R[nat_write]}")" "$(mbps "${R[hes_write]}")"
printf '%-34s %10s %10s %8s   (%s vs %s MiB/s)\n' "sequential read ${SIZE_MB} MiB" "${R[nat_read]}" "${R[hes_read]}" \
	"$(ratio "${R[hes_read]}" "${R[nat_read]}")" "$(mbps "${R[nat_read]}")" "$(mbps "${R[hes_read]}")"
printf '%-34s %10s %10s %8s   (%s MiB/s, fetched from vice)\n' "cold read on a 2nd client" "${R[nat_read]}" "${R[hes_cold]}" \
	"$(ratio "${R[hes_cold]}" "${R[nat_read]}")" "$(mbps "${R[hes_cold]}")"
printf '%-34s %10s %10s %8s\n' "random 4 KiB reads x${RANDOM_READS}" "${R[nat_rand]}" "${R[hes_rand]}" \
	"$(ratio "${R[hes_rand]}" "${R[nat_rand]}")"
printf '%-34s %10s %10s %8s\n' "tar -x $(basename "$TARSRC")" "${R[nat_tar]}" "${R[hes_tar]}" \
	"$(ratio "${R[hes_tar]}" "${R[nat_tar]}")"
printf '\nvenus A (cfs stats):\n'
HESPER_CTL=$T/A/cache/venus.ctl "$CFS" stats | sed 's/^/  /'
printf 'vice (cfs serverstats):\n'
HESPER_CTL=$T/A/cache/venus.ctl "$CFS" serverstats | sed 's/^/  /'
