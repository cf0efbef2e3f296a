#!/bin/bash
# scripts/quickstart.sh - from a fresh Debian 12 machine (as root) to a
# running Hesper with a real workload on /coda:
#
#   1. installs missing Debian packages (scripts/deps.sh);
#   2. builds Hesper in build-quickstart/ and installs it (make install,
#      prefix /usr/local unless PREFIX is set);
#   3. stops a previous quickstart run (vice, venus, the /coda mount);
#   4. starts vice (root /var/lib/hesper/vice, port 2432) and venus
#      (cache /var/lib/hesper/venus, mounted on /coda); makes the pdb user
#      root (id 0, System:Administrators; random password in the 0600 file
#      /var/lib/hesper/root.password) on first run and clogs root, so
#      /coda is used as an authenticated administrator;
#   5. copies libxcrypt's source (/usr/src/libxcrypt) into /coda/libxcrypt
#      and configures and builds it there;
#   6. prints what went over the wire (cfs stats, cfs serverstats).
# vice and venus keep running; `scripts/quickstart.sh --stop` stops them.
#
# Environment: PREFIX (/usr/local), HESPER_PORT (2432), HESPER_JOBS (2),
# HESPER_NO_BUILD=1 to use what is already installed under PREFIX.
set -euo pipefail

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/deps.sh
source "$SRCDIR/scripts/deps.sh"

PREFIX=${PREFIX:-/usr/local}
BUILD=$SRCDIR/build-quickstart
PORT=${HESPER_PORT:-2432}
JOBS=${HESPER_JOBS:-2}
VICE_ROOT=/var/lib/hesper/vice
CACHEDIR=/var/lib/hesper/venus
MNT=/coda
# Realms (doc/design.md): venus's mount lists realms and a realm's tree is
# /coda/REALM (venus names its realm after its server unless venus.conf
# says otherwise).  HESPER_REALM_DIRS=0 for a venus without the realm
# directory (the realm's root at /coda itself).
REALM=${HESPER_REALM:-127.0.0.1}
TREE=$MNT
VICE_REALM=()
if [ "${HESPER_REALM_DIRS:-1}" = 1 ]; then
	TREE=$MNT/$REALM
fi
LOGDIR=/var/log/hesper
RUNDIR=/run/hesper

is_mounted() { awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/mounts; }

# stop_pidfile NAME: SIGTERM the daemon recorded in $RUNDIR/NAME.pid.
stop_pidfile() {
	local f=$RUNDIR/$1.pid pid i
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		hs_log "stopping $1 (pid $pid)"
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		if kill -0 "$pid" 2>/dev/null; then
			hs_log "$1 (pid $pid) ignored SIGTERM for 20 s; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$f"
}

stop_all() {
	stop_pidfile venus
	if is_mounted "$MNT"; then
		hs_log "unmounting $MNT"
		fusermount3 -u "$MNT" 2>/dev/null || umount "$MNT" 2>/dev/null \
			|| umount -l "$MNT" || hs_die "cannot unmount $MNT"
	fi
	stop_pidfile vice
}

if [ "${1:-}" = --stop ]; then
	hs_require_root "scripts/quickstart.sh --stop"
	stop_all
	hs_log "stopped; the cache ($CACHEDIR) and vice's data ($VICE_ROOT) stay"
	exit 0
fi
[ $# -eq 0 ] || hs_die "usage: scripts/quickstart.sh [--stop]"

hs_require_root "scripts/quickstart.sh"
[ -c /dev/fuse ] || hs_die "/dev/fuse is missing: load the fuse module (modprobe fuse) or run on a machine with FUSE"

# 1. packages
hs_install_deps "$SRCDIR"
XCRYPT_TARBALL=$(hs_fetch_xcrypt_aux)

# 2. build and install
mkdir -p "$LOGDIR" "$RUNDIR" "$BUILD"
if [ -n "${HESPER_NO_BUILD:-}" ]; then
	hs_log "HESPER_NO_BUILD set: using the programs under $PREFIX"
else
hs_log "building Hesper in $BUILD (log: $LOGDIR/build.log)"
{
	(cd "$SRCDIR" && autoreconf -fi) &&
	# A relative path to configure: rpcgen writes the path it was given
	# into hesper_xdr.c's #include, and only a relative one resolves.
	(cd "$BUILD" && ../configure --prefix="$PREFIX" --sysconfdir=/etc --localstatedir=/var) &&
	make -C "$BUILD" -j"$(nproc)" &&
	make -C "$BUILD" install
} >"$LOGDIR/build.log" 2>&1 || {
	tail -n 40 "$LOGDIR/build.log" >&2
	hs_die "build failed; full log in $LOGDIR/build.log"
}
fi
# make install puts the daemons in sbin or bin; take what is there, else
# the build tree.
find_prog() {
	local p
	for p in "$PREFIX/sbin/$1" "$PREFIX/bin/$1" "$BUILD/$2"; do
		if [ -x "$p" ]; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	hs_die "$1 was not built"
}
VICE=$(find_prog vice vice/vice)
VENUS=$(find_prog venus venus/venus)
CFS=$(find_prog cfs tools/cfs)
PDBTOOL=$(find_prog pdbtool tools/pdbtool)
CLOG=$(find_prog clog tools/clog)
ROOTPW=$(dirname "$VICE_ROOT")/root.password

# 3. a previous run
stop_all

# 4. vice and venus (foreground mode under nohup, so their pids and logs
# are ours to keep)
mkdir -p "$VICE_ROOT" "$CACHEDIR" "$MNT"
hs_log "starting vice (root $VICE_ROOT, port $PORT; log $LOGDIR/vice.log)"
: >"$LOGDIR/vice.log"
if [ "$TREE" != "$MNT" ] && grep -q -- --realm <<<"$("$VICE" --help 2>&1)"; then
	VICE_REALM=(--realm "$REALM")
fi
nohup "$VICE" -f -r "$VICE_ROOT" -p "$PORT" --publish "127.0.0.1:$PORT" "${VICE_REALM[@]}" >>"$LOGDIR/vice.log" 2>&1 </dev/null &
echo $! >"$RUNDIR/vice.pid"
for ((i = 0; i < 150; i++)); do
	grep -q '^vice: listening on ' "$LOGDIR/vice.log" && break
	kill -0 "$(cat "$RUNDIR/vice.pid")" 2>/dev/null || { cat "$LOGDIR/vice.log" >&2; hs_die "vice exited"; }
	sleep 0.2
done
grep -q '^vice: listening on ' "$LOGDIR/vice.log" || { cat "$LOGDIR/vice.log" >&2; hs_die "vice did not start listening within 30 s"; }
grep '^vice: ' "$LOGDIR/vice.log" | sed 's/^/  /'

hs_log "starting venus (cache $CACHEDIR, mount $MNT; log $LOGDIR/venus.log)"
: >"$LOGDIR/venus.log"
nohup "$VENUS" -f --cachedir "$CACHEDIR" --mountpoint "$MNT" "127.0.0.1:$PORT" \
	>>"$LOGDIR/venus.log" 2>&1 </dev/null &
echo $! >"$RUNDIR/venus.pid"
for ((i = 0; i < 150; i++)); do
	is_mounted "$MNT" && break
	kill -0 "$(cat "$RUNDIR/venus.pid")" 2>/dev/null || { cat "$LOGDIR/venus.log" >&2; hs_die "venus exited"; }
	sleep 0.2
done
is_mounted "$MNT" || { cat "$LOGDIR/venus.log" >&2; hs_die "$MNT was not mounted within 30 s"; }
export HESPER_CTL=$CACHEDIR/venus.ctl
"$CFS" checkservers | sed 's/^/  /'

# The administrator: pdb user root with a random password kept beside the
# vice root (0600), made once; then a token for root.
if ! "$PDBTOOL" -r "$VICE_ROOT" l root >/dev/null 2>&1; then
	hs_log "creating pdb user root (password in $ROOTPW)"
	(umask 077 && head -c 18 /dev/urandom | base64 >"$ROOTPW")
	if ! "$PDBTOOL" -r "$VICE_ROOT" nu root 0 >/dev/null ||
	   ! "$PDBTOOL" -r "$VICE_ROOT" passwd -pipe root <"$ROOTPW" >/dev/null ||
	   ! "$PDBTOOL" -r "$VICE_ROOT" ag System:Administrators root; then
		hs_die "cannot create pdb user root"
	fi
fi
[ -r "$ROOTPW" ] || hs_die "pdb user root exists but $ROOTPW is gone: set a new one with $PDBTOOL -r $VICE_ROOT passwd root, saving it there"
for ((i = 0; i < 150; i++)); do
	[ -s "$CACHEDIR/known_servers" ] && break
	sleep 0.2
done
"$CLOG" -pipe root <"$ROOTPW" || hs_die "clog root failed"
hs_log "clog root: done (see ctokens)"

# 5. the workload
W=$TREE/libxcrypt
if [ -e "$W" ]; then
	hs_log "removing $W from a previous run"
	rm -rf "$W"
fi
hs_log "copying /usr/src/libxcrypt to $W"
start=$SECONDS
hs_prepare_xcrypt "$W" 2>>"$LOGDIR/libxcrypt.log"
copy_s=$((SECONDS - start))
hs_log "configuring and building libxcrypt in $W (log: $LOGDIR/libxcrypt.log)"
start=$SECONDS
(
	cd "$W"
	autoreconf -fi
	./configure
	make -j"$JOBS"
) >>"$LOGDIR/libxcrypt.log" 2>&1 || {
	tail -n 40 "$LOGDIR/libxcrypt.log" >&2
	hs_die "building libxcrypt in $W failed (vice and venus keep running)"
}
build_s=$((SECONDS - start))
[ -e "$W/.libs/libcrypt.so" ] || [ -e "$W/.libs/libcrypt.a" ] \
	|| hs_die "libxcrypt built but no .libs/libcrypt.* in $W"

# 6. report
stat_of() { awk -v k="$2" '$1 == k { print $2 }' <<<"$1"; }
vstats=$("$CFS" stats)
sstats=$("$CFS" serverstats)
files=$(find "$W" -type f | wc -l)
bytes=$(du -sb "$W" | awk '{ print $1 }')
cat <<EOF

Hesper is running.
  workload: libxcrypt copied in ${copy_s}s, configured and built in ${build_s}s in $W
  files in $W:     $files ($bytes bytes)
  venus (cfs stats):
    fetches         $(stat_of "$vstats" fetches) ($(stat_of "$vstats" fetch_bytes) bytes)
    stores          $(stat_of "$vstats" stores) ($(stat_of "$vstats" store_bytes) bytes)
    stores skipped  $(stat_of "$vstats" stores_skipped) (opened for write, not written)
    cache hits      $(stat_of "$vstats" cache_hits), misses $(stat_of "$vstats" cache_misses)
  vice (cfs serverstats):
    stores          $(stat_of "$sstats" stores) ($(stat_of "$sstats" store_bytes) bytes)
    fetches         $(stat_of "$sstats" fetches) ($(stat_of "$sstats" fetch_bytes) bytes)

  $MNT is mounted; try: $CFS lv $TREE
  logs:  $LOGDIR/vice.log $LOGDIR/venus.log
  cache: $CACHEDIR   server data: $VICE_ROOT
  stop:  $SRCDIR/scripts/quickstart.sh --stop
EOF
