# test/integration/lib.sh - shared code of Hesper's integration tests.
# Sourced (not run) by test/integration/*.sh; bash only.
#
# Each test gets a private temp dir with one real vice (temp root, port
# chosen by the kernel) and any number of real venus instances, each with
# its own cachedir, mountpoint and control socket.  Everything is torn down
# on exit (unmount, stop daemons, remove the temp dir).  A test that cannot
# run here (no /dev/fuse, not root) exits 77 (automake's SKIP).
#
# Functions:
#   ht_vice_start [ARGS]        start vice; sets VICE_PORT, VICE_ROOT
#   ht_vice_stop                SIGTERM vice and wait
#   ht_vice_start_as NAME [-p PORT] [ARGS]
#                               another vice NAME (root $HT_TMP/vice.NAME/
#                               root); sets HT_VPORT[NAME], HT_VPID[NAME]
#   ht_vice_stop_as NAME        SIGTERM vice NAME
#   ht_etcd_start               a real etcd on loopback; sets HT_ETCD (its
#                               URL); skips the test if etcd is missing
#   ht_venus_start NAME [ARGS]  start venus NAME on $HT_TMP/NAME/mnt
#   ht_venus_stop NAME          SIGTERM venus NAME, wait for exit + unmount
#   ht_mnt NAME                 where tests work through venus NAME: with
#                               HT_REALM_DIRS=1 the realm's directory
#                               $HT_TMP/NAME/mnt/$HT_REALM, else the mount
#   ht_mnt_top NAME             the mount itself ($HT_TMP/NAME/mnt: /coda)
#   ht_realm_dir NAME REALM     /coda/REALM of venus NAME
#   ht_cfs NAME ARGS...         run cfs against venus NAME (HESPER_CTL)
#   ht_stat NAME KEY            one counter of `cfs stats`
#   ht_sstat NAME KEY           one counter of `cfs serverstats` (vice's)
#   ht_wait_for SECS CMD...     poll CMD until it succeeds or SECS pass
#   ht_check DESC CMD...        run CMD; record a failure if it fails
#   ht_fail MSG / ht_skip MSG / ht_note MSG / ht_done
#   ht_pdbtool ARGS...          pdbtool on this test's vice root
#   ht_user_add NAME ID         pdb user NAME (id ID) with a random password
#                               (kept in $HT_TMP/pw.NAME)
#   ht_clog NAME [USER]         clog USER (default root) for uid 0 on venus
#                               NAME; 0 or clog's status
#   ht_local_user NAME          make local user NAME (removed at exit)
#   ht_clog_as LOCALUSER USER [VENUS]
#                               clog USER as local user LOCALUSER (runuser,
#                               password on stdin) on VENUS (default: the
#                               last venus started)
#
# Identities: ht_vice_start makes pdb user root (id 0, in
# System:Administrators, password in $HT_TMP/pw.root) and every
# ht_venus_start then clogs root, so tests run as an authenticated
# administrator.  HT_NO_CLOG=1 skips that (a test of anonymous access).

set -euo pipefail

: "${top_builddir:=$PWD}"
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
top_builddir=$(cd "$top_builddir" && pwd)
top_srcdir=$(cd "$top_srcdir" && pwd)
export top_builddir top_srcdir

VICE=${VICE:-$top_builddir/vice/vice}
PDBTOOL=${PDBTOOL:-$top_builddir/tools/pdbtool}
CLOG=${CLOG:-$top_builddir/tools/clog}
CTOKENS=${CTOKENS:-$top_builddir/tools/ctokens}
CUNLOG=${CUNLOG:-$top_builddir/tools/cunlog}
VENUS=${VENUS:-$top_builddir/venus/venus}
CFS=${CFS:-$top_builddir/tools/cfs}
RPCFUZZ=${RPCFUZZ:-$top_builddir/test/tools/rpcfuzz}
MMAPWRITE=${MMAPWRITE:-$top_builddir/test/tools/mmapwrite}
ETCD=${ETCD:-etcd}
ETCDCLI=${ETCDCLI:-$top_builddir/test/tools/etcdcli}

HT_NAME=$(basename "$0" .sh)
# Whole-test watchdog (seconds): daemons are killed and mounts detached so
# a hung file system operation fails instead of blocking CI.
HT_TIMEOUT=${HT_TIMEOUT:-600}
# Per-operation bound for commands that go through a mount.
HT_OPTIMEOUT=${HT_OPTIMEOUT:-120}

ht_note() { printf '%s\n' "$HT_NAME: $*"; }
ht_skip() { printf '%s\n' "$HT_NAME: SKIP: $*"; exit 77; }
ht_hard() { printf '%s\n' "$HT_NAME: ERROR: $*" >&2; exit 99; }
# Failures are counted in a file so that checks in subshells count too.
ht_fail() {
	printf '%s\n' "$HT_NAME: FAIL: $*" >&2
	printf '%s\n' "$*" >>"$HT_TMP/failures"
}
ht_nfails() { if [ -f "$HT_TMP/failures" ]; then wc -l <"$HT_TMP/failures"; else echo 0; fi; }
# ht_check DESC CMD...: run CMD (bounded), count a failure if it fails.
ht_check() {
	local desc=$1
	shift
	if "$@"; then
		ht_note "ok: $desc"
	else
		ht_fail "$desc (command: $*)"
	fi
}
# Finish: exit 1 if any check failed.
ht_done() {
	local n
	n=$(ht_nfails)
	if [ "$n" -ne 0 ]; then
		printf '%s\n' "$HT_NAME: $n check(s) failed:" >&2
		sed 's/^/  - /' "$HT_TMP/failures" >&2
		exit 1
	fi
	ht_note "all checks passed"
	exit 0
}

# ---- environment -----------------------------------------------------------

[ "$(id -u)" -eq 0 ] || ht_skip "needs root (FUSE mounts with allow_other, unmounting)"
[ -c /dev/fuse ] || ht_skip "/dev/fuse is missing"
command -v fusermount3 >/dev/null 2>&1 || ht_skip "fusermount3 missing (apt-get install fuse3)"
for _b in "$VICE" "$VENUS" "$CFS"; do
	[ -x "$_b" ] || ht_hard "$_b not built (run make first)"
done
unset _b

HT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hesper-$HT_NAME.XXXXXX")
chmod 755 "$HT_TMP"
# Never read /etc/hesper/venus.conf; probe often so that tests see vice
# come back within seconds (the default is 30 s).
printf 'serverprobe 2\n' >"$HT_TMP/venus.conf"
# Realms (doc/design.md): venus's mount lists realms and /coda/<realm> is
# a realm's root volume.  HT_REALM is the test realm's name; with
# HT_REALM_DIRS=1 venus and vice are told it and ht_mnt answers the realm's
# directory, so tests written against ht_mnt keep working.  0 gives the old
# layout (the realm's root volume at the mount), for a venus without the
# realm directory.
: "${HT_REALM:=hesper.test}"
: "${HT_REALM_DIRS:=1}"
export HT_REALM HT_REALM_DIRS
if [ "$HT_REALM_DIRS" = 1 ]; then
	printf 'realm %s\n' "$HT_REALM" >>"$HT_TMP/venus.conf"
fi
declare -A HT_VENUS_PID=()
declare -A HT_VPORT=() HT_VPID=()
HT_LOCAL_USERS=()
HT_VICE_PID=
VICE_PORT=
VICE_ROOT=$HT_TMP/vice
# The realm every vice of a test serves (vice --realm; a later --realm in
# ht_vice_start's arguments wins).
HT_REALM=${HT_REALM:-hesper.test}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
# Leaks inside system libraries we cannot fix (test/integration/lsan.supp).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top_srcdir/test/integration/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

ht_gone() { ! kill -0 "$1" 2>/dev/null; }

ht_is_mounted() {
	awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/mounts
}

ht_unmount() {
	local m=$1 i
	ht_is_mounted "$m" || return 0
	fusermount3 -u "$m" 2>/dev/null || umount "$m" 2>/dev/null || true
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ht_is_mounted "$m" || return 0
		sleep 0.2
	done
	fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
}

# ht_kill PID: SIGTERM, wait up to 15 load-scaled seconds, then SIGKILL.
ht_kill() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	ht_wait_for 15 ht_gone "$pid" || true
	if kill -0 "$pid" 2>/dev/null; then
		ht_fail "pid $pid did not exit within 15 s (load-scaled) of SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# Sanitizer reports in a daemon log make the test fail.
ht_scan_log() {
	local log=$1
	[ -f "$log" ] || return 0
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
		ht_fail "sanitizer report in $(basename "$(dirname "$log")")/$(basename "$log"):"
		grep -E -A30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -n 80 >&2
	fi
}

ht_dump_logs() {
	local log
	for log in "$HT_TMP"/vice/vice.log "$HT_TMP"/vice.*/vice.log \
		   "$HT_TMP"/*/venus.log "$HT_TMP"/*.log; do
		[ -f "$log" ] || continue
		printf '%s\n' "---- last lines of ${log#"$HT_TMP"/} ----"
		tail -n 40 "$log"
	done
}

ht_cleanup() {
	local rc=$? name
	trap - EXIT INT TERM
	set +e
	[ -n "${HT_WATCHDOG:-}" ] && kill "$HT_WATCHDOG" 2>/dev/null
	for name in "${HT_LOCAL_USERS[@]}"; do userdel "$name" 2>/dev/null; done
	cd / || true
	for name in "${!HT_VENUS_PID[@]}"; do
		ht_unmount "$HT_TMP/$name/mnt"
		ht_kill "${HT_VENUS_PID[$name]}"
		ht_unmount "$HT_TMP/$name/mnt"
	done
	ht_kill "$HT_VICE_PID"
	[ -n "${HT_EXTRA_PIDS:-}" ] && for name in $HT_EXTRA_PIDS; do ht_kill "$name"; done
	for name in ${HT_SMALL_FS:-}; do umount "$name" 2>/dev/null || umount -l "$name"; done
	for name in "$HT_TMP"/vice/vice.log "$HT_TMP"/vice.*/vice.log \
		    "$HT_TMP"/*/venus.log "$HT_TMP"/*/clog.log; do
		ht_scan_log "$name"
	done
	if [ "$rc" -eq 0 ] && [ "$(ht_nfails)" -ne 0 ]; then
		rc=1
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		ht_dump_logs
	fi
	# Never descend into a mount that is somehow still there.
	if awk -v t="$HT_TMP/" 'index($2, t) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
		printf '%s\n' "$HT_NAME: a mount under $HT_TMP is still present; leaving the dir" >&2
		[ "$rc" -eq 0 ] && rc=1
	elif [ -z "${HT_KEEP:-}" ]; then
		rm -rf --one-file-system "$HT_TMP"
	else
		printf '%s\n' "$HT_NAME: kept $HT_TMP"
	fi
	exit "$rc"
}
trap ht_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ht_load_pct: how much slower than an idle machine this one runs now, in
# percent (the 1-minute load average per CPU, at least 100, at most 1000).
# Watchdogs and waits count time at 100/that rate, so a test never fails
# only because the machine was busy.
HT_NCPU=$(nproc 2>/dev/null || echo 1)
ht_load_pct() {
	local l _rest
	read -r l _rest </proc/loadavg || { echo 100; return; }
	l=$((10#${l/./} / HT_NCPU))
	((l < 100)) && l=100
	((l > 1000)) && l=1000
	echo "$l"
}
# ht_usec: wall clock in microseconds.
ht_usec() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }

# The watchdog: after HT_TIMEOUT load-scaled seconds kill the daemons (a
# FUSE request pending on a dead daemon fails with ENOTCONN) and detach the
# mounts, then end the test.
(
	trap - EXIT
	spent=0
	while ((spent < HT_TIMEOUT * 100)); do
		sleep 5 &
		wait $!
		spent=$((spent + 500 * 100 / $(ht_load_pct)))
	done
	printf '%s\n' "$HT_NAME: TIMEOUT after ${HT_TIMEOUT}s (load-scaled): killing daemons" >&2
	for f in "$HT_TMP"/*/daemon.pid; do
		[ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	awk -v t="$HT_TMP/" 'index($2, t) == 1 { print $2 }' /proc/mounts |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	sleep 2
	kill -TERM $$ 2>/dev/null
) </dev/null >/dev/null 2>&1 &
HT_WATCHDOG=$!

# ---- polling ---------------------------------------------------------------

# ht_wait_for SECS CMD...: 0 as soon as CMD succeeds, 1 after SECS
# load-scaled seconds (see ht_load_pct).
ht_wait_for() {
	local budget=$(($1 * 1000000)) last now
	shift
	last=$(ht_usec)
	while ! "$@" >/dev/null 2>&1; do
		now=$(ht_usec)
		budget=$((budget - (now - last) * 100 / $(ht_load_pct)))
		last=$now
		((budget > 0)) || return 1
		sleep 0.2
	done
	return 0
}

# Bound any command that may go through a mount.
ht_t() { timeout -k 5 $((HT_OPTIMEOUT * $(ht_load_pct) / 100)) "$@"; }

# ht_small_fs DIR SIZE: mount a tmpfs of SIZE (e.g. 8m) at DIR, before a
# daemon puts its root or cachedir there (full-disk tests); unmounted at
# the end.
ht_small_fs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" || ht_skip "cannot mount a tmpfs at $1"
	HT_SMALL_FS="$1 ${HT_SMALL_FS:-}"
}

# ---- vice ------------------------------------------------------------------

# _ht_vice_port WANTED-PORT LOG: the port of vice's last "listening" line
# (it must be WANTED-PORT unless that is 0); 1 if none yet.
_ht_vice_port() {
	local p
	p=$(sed -n 's/^vice: listening on .* port \([0-9][0-9]*\)$/\1/p' "$2" | tail -n 1)
	[ -n "$p" ] && { [ "$1" = 0 ] || [ "$p" = "$1" ]; } && printf '%s\n' "$p"
}
# _ht_vice_listening PORT LOG: vice is listening, or has died (stop waiting).
_ht_vice_listening() { _ht_vice_port "$1" "$2" >/dev/null || ! kill -0 "$HT_VICE_PID" 2>/dev/null; }

# ht_vice_start [-p PORT] [more vice args]: start vice in the foreground
# (background job), wait for its "listening" line, set VICE_PORT.
# HT_VICE_EXTRA (words) goes to every start, restarts included.
ht_vice_start() {
	local port=0 log i
	if [ "${1:-}" = -p ]; then
		port=$2
		shift 2
	fi
	mkdir -p "$VICE_ROOT"
	log=$VICE_ROOT/vice.log
	printf '%s\n' "---- vice start $(date +%T) ----" >>"$log"
	local realm=()
	# $HT_REALM unless the caller names another realm
	if [ "$HT_REALM_DIRS" = 1 ] && [[ " $* " != *" --realm "* ]]; then
		realm=(--realm "$HT_REALM")
	fi
	# shellcheck disable=SC2086 # words, on purpose
	"$VICE" -f -r "$VICE_ROOT/root" -l 127.0.0.1 -p "$port" "${realm[@]}" ${HT_VICE_EXTRA:-} "$@" >>"$log" 2>&1 </dev/null &
	HT_VICE_PID=$!
	echo "$HT_VICE_PID" >"$VICE_ROOT/daemon.pid"
	VICE_PORT=
	ht_wait_for 30 _ht_vice_listening "$port" "$log" || true
	kill -0 "$HT_VICE_PID" 2>/dev/null || { tail -n 20 "$log" >&2; ht_hard "vice exited during start-up"; }
	VICE_PORT=$(_ht_vice_port "$port" "$log") ||
		{ tail -n 20 "$log" >&2; ht_hard "vice printed no 'vice: listening on ... port N' line within 30 s (load-scaled)"; }
	ht_note "vice pid $HT_VICE_PID listening on 127.0.0.1 port $VICE_PORT"
	_ht_pdb_args "${realm[@]}" "$@" >"$VICE_ROOT/pdb.args"
	_ht_root_user
}

# ht_vice_start_as NAME [-p PORT] [more vice args]: one more vice, called
# NAME, with its own root ($HT_TMP/vice.NAME/root) and log
# ($HT_TMP/vice.NAME/vice.log); HT_VPORT[NAME] is its port, HT_VPID[NAME]
# its pid.  VICE_ROOT, VICE_PORT and HT_VICE_PID (the main vice) are kept.
ht_vice_start_as() {
	local name=$1 root=$VICE_ROOT pid=$HT_VICE_PID port=$VICE_PORT
	shift
	VICE_ROOT=$HT_TMP/vice.$name
	ht_vice_start "$@"
	HT_VPORT[$name]=$VICE_PORT
	HT_VPID[$name]=$HT_VICE_PID
	HT_EXTRA_PIDS="${HT_EXTRA_PIDS:-} $HT_VICE_PID"
	VICE_ROOT=$root HT_VICE_PID=$pid VICE_PORT=$port
}
ht_vice_stop_as() { ht_kill "${HT_VPID[$1]:-}"; HT_VPID[$1]=; }

# _ht_etcd_up URL PID: etcd answers (a missing key), or it died.
_ht_etcd_up() {
	local out
	! kill -0 "$2" 2>/dev/null && return 0
	out=$("$ETCDCLI" "$1" get /hesper-probe 2>&1) || true
	[[ $out == ENOENT* ]]
}

# ht_etcd_start: a real etcd (Debian's etcd-server) with its data in
# $HT_TMP/etcd, on loopback ports picked at random (tried again on
# others if it cannot bind them); HT_ETCD is its client URL.  Stopped at
# exit.  Skips the test if etcd or test/tools/etcdcli is missing.
ht_etcd_start() {
	local d=$HT_TMP/etcd cport pport try pid
	command -v "$ETCD" >/dev/null 2>&1 ||
		ht_skip "etcd is not installed (apt-get install etcd-server)"
	[ -x "$ETCDCLI" ] || ht_skip "$ETCDCLI not built (make check builds it)"
	for try in 1 2 3 4 5; do
		cport=$((20000 + RANDOM % 20000))
		pport=$((cport + 20000))
		rm -rf "$d"
		mkdir -p "$d"
		"$ETCD" --name ht --data-dir "$d/data" \
			--listen-client-urls "http://127.0.0.1:$cport" \
			--advertise-client-urls "http://127.0.0.1:$cport" \
			--listen-peer-urls "http://127.0.0.1:$pport" \
			--initial-advertise-peer-urls "http://127.0.0.1:$pport" \
			--initial-cluster "ht=http://127.0.0.1:$pport" \
			>"$d/etcd.log" 2>&1 </dev/null &
		pid=$!
		HT_EXTRA_PIDS="${HT_EXTRA_PIDS:-} $pid"
		HT_ETCD=http://127.0.0.1:$cport
		ht_wait_for 30 _ht_etcd_up "$HT_ETCD" "$pid" || true
		if kill -0 "$pid" 2>/dev/null && _ht_etcd_up "$HT_ETCD" "$pid"; then
			HT_ETCD_PID=$pid
			ht_note "etcd pid $pid on $HT_ETCD"
			return 0
		fi
		ht_kill "$pid"
	done
	tail -n 20 "$d/etcd.log" >&2
	ht_hard "etcd did not start"
}

# ---- identities (pdbtool, clog) ----------------------------------------------

# _ht_pdb_args VICEARGS...: pdbtool's options for the pdb such a vice
# uses, one a line: none (ROOT/pdb.db), or with --vldb etcd the realm's in
# etcd (--vldb etcd --etcd URL [--realm NAME]).
_ht_pdb_args() {
	local vldb= etcd= realm=
	while [ $# -gt 0 ]; do
		case $1 in
		--vldb|--etcd|--realm) [ $# -ge 2 ] || break
			printf -v "${1#--}" '%s' "$2"; shift ;;
		--vldb=*|--etcd=*|--realm=*) local o=${1%%=*}
			printf -v "${o#--}" '%s' "${1#*=}" ;;
		esac
		shift
	done
	[ -n "$etcd" ] && [ "${vldb:-etcd}" = etcd ] || return 0
	printf '%s\n' --vldb etcd --etcd "$etcd"
	[ -z "$realm" ] || printf '%s\n' --realm "$realm"
}

# ht_pdbtool ARGS...: pdbtool on the pdb of the vice at $VICE_ROOT (the
# realm's in etcd for a vice started with --vldb etcd).
ht_pdbtool() {
	local a=()
	[ ! -s "$VICE_ROOT/pdb.args" ] || mapfile -t a <"$VICE_ROOT/pdb.args"
	"$PDBTOOL" -r "$VICE_ROOT/root" "${a[@]}" "$@"
}

# ht_user_add NAME ID: a pdb user with a random password in $HT_TMP/pw.NAME
# (the same password when a test makes NAME on a second vice root).
ht_user_add() {
	local pw=$HT_TMP/pw.$1
	ht_pdbtool nu "$1" "$2" >/dev/null || ht_hard "pdbtool nu $1 $2 failed"
	[ -s "$pw" ] || (umask 077 && head -c 18 /dev/urandom | base64 >"$pw")
	ht_pdbtool passwd -pipe "$1" <"$pw" >/dev/null || ht_hard "pdbtool passwd $1 failed"
}

# root (id 0) in System:Administrators, once per vice root.
_ht_root_user() {
	ht_pdbtool l root >/dev/null 2>&1 && return 0
	ht_user_add root 0
	ht_pdbtool ag System:Administrators root >/dev/null ||
		ht_hard "pdbtool ag System:Administrators root failed"
}

# _ht_pinned NAME: venus NAME has recorded vice's certificate.
_ht_pinned() { [ -s "$(ht_cachedir "$1")/known_servers" ]; }

# ht_clog NAME [USER]: clog USER (default root) as uid 0 through venus NAME.
ht_clog() {
	local name=$1 user=${2:-root}
	ht_wait_for 30 _ht_pinned "$name" || true
	HESPER_CTL=$(ht_ctl "$name") timeout -k 5 60 "$CLOG" -pipe "$user" <"$HT_TMP/pw.$user"
}

# ht_local_user NAME: a local (passwd) user NAME, no home, removed at exit
# (call it directly, not in $(...), so the exit handler learns of it).
# Skips the test without useradd/runuser.
ht_local_user() {
	if ! command -v useradd >/dev/null || ! command -v runuser >/dev/null; then
		ht_skip "useradd or runuser is missing"
	fi
	useradd -M -N -s /usr/sbin/nologin "$1" || ht_hard "useradd $1 failed"
	HT_LOCAL_USERS+=("$1")
}

# ht_clog_as LOCALUSER USER [VENUS]: clog USER as local user LOCALUSER.
ht_clog_as() {
	local lu=$1 user=$2 name=${3:-$HT_LAST_VENUS} d
	# The local user reaches the control socket through these dirs
	# (search only, no listing).
	for d in "$HT_TMP" "$HT_TMP/$name" "$(ht_cachedir "$name")"; do
		chmod o+x "$d"
	done
	ht_wait_for 30 _ht_pinned "$name" || true
	HESPER_CTL=$(ht_ctl "$name") timeout -k 5 60 runuser -u "$lu" -- \
		"$CLOG" -pipe "$user" <"$HT_TMP/pw.$user"
}

# After a venus start: root's token, unless HT_NO_CLOG or vice is down
# (a token held from before survives in <cachedir>/tokens anyway).
_ht_auto_clog() {
	[ -n "${HT_NO_CLOG:-}" ] && return 0
	[ -n "${HT_VICE_PID:-}" ] && kill -0 "$HT_VICE_PID" 2>/dev/null || return 0
	[ -f "$HT_TMP/pw.root" ] || return 0
	if ht_clog "$1" >>"$HT_TMP/$1/clog.log" 2>&1; then
		ht_note "venus $1: clog root"
	else
		ht_note "venus $1: clog root failed: $(tail -n 1 "$HT_TMP/$1/clog.log")"
	fi
}

ht_vice_stop() {
	ht_kill "$HT_VICE_PID"
	HT_VICE_PID=
}

# ---- venus -----------------------------------------------------------------

ht_mnt_top() { printf '%s\n' "$HT_TMP/$1/mnt"; }
ht_realm_dir() { printf '%s\n' "$HT_TMP/$1/mnt/$2"; }
if [ "$HT_REALM_DIRS" = 1 ]; then
	ht_mnt() { printf '%s\n' "$HT_TMP/$1/mnt/$HT_REALM"; }
else
	ht_mnt() { ht_mnt_top "$1"; }
fi
ht_cachedir() { printf '%s\n' "$HT_TMP/$1/cache"; }
ht_ctl() { printf '%s\n' "$HT_TMP/$1/cache/venus.ctl"; }

# _ht_venus_up PID MNT: mounted, or venus died (stop waiting).
_ht_venus_up() { ht_is_mounted "$2" || ! kill -0 "$1" 2>/dev/null; }

# ht_venus_start NAME [venus args] [--server HOST:PORT]: start venus -f in
# the background, wait until its mount shows in /proc/mounts.
ht_venus_start() {
	local name=$1 server="127.0.0.1:${VICE_PORT}" d log pid i
	shift
	local args=()
	while [ $# -gt 0 ]; do
		if [ "$1" = --server ]; then
			server=$2
			shift 2
		else
			args+=("$1")
			shift
		fi
	done
	d=$HT_TMP/$name
	mkdir -p "$d/cache" "$d/mnt"
	log=$d/venus.log
	printf '%s\n' "---- venus start $(date +%T) ----" >>"$log"
	"$VENUS" -f -c "$HT_TMP/venus.conf" --cachedir "$d/cache" \
		--mountpoint "$d/mnt" "${args[@]}" "$server" >>"$log" 2>&1 </dev/null &
	pid=$!
	HT_VENUS_PID[$name]=$pid
	echo "$pid" >"$d/daemon.pid"
	ht_wait_for 30 _ht_venus_up "$pid" "$d/mnt" || true
	kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log" >&2; ht_hard "venus $name exited during start-up"; }
	ht_is_mounted "$d/mnt" || { tail -n 20 "$log" >&2; ht_hard "venus $name: $d/mnt not mounted within 30 s (load-scaled)"; }
	ht_note "venus $name pid $pid mounted $d/mnt"
	HT_LAST_VENUS=$name
	_ht_auto_clog "$name"
}

# ht_two_clients: vice, then venus A and B on it; sets A and B to their
# mounts (what most two-client tests start with).
ht_two_clients() {
	ht_vice_start
	ht_venus_start A
	ht_venus_start B
	A=$(ht_mnt A)
	B=$(ht_mnt B)
}

ht_venus_stop() {
	local name=$1
	ht_kill "${HT_VENUS_PID[$name]:-}"
	if ht_is_mounted "$HT_TMP/$name/mnt"; then
		ht_fail "venus $name exited on SIGTERM but left $HT_TMP/$name/mnt mounted"
		ht_unmount "$HT_TMP/$name/mnt"
	fi
	unset "HT_VENUS_PID[$name]"
}

ht_venus_alive() { kill -0 "${HT_VENUS_PID[$1]}" 2>/dev/null; }

# ---- cfs -------------------------------------------------------------------

ht_cfs() {
	local name=$1
	shift
	HESPER_CTL=$(ht_ctl "$name") timeout -k 5 60 "$CFS" "$@"
}

# _ht_counter CMD NAME KEY: value of KEY in `cfs CMD` asked through venus
# NAME; -1 and a recorded failure when the command fails or lacks KEY.
_ht_counter() {
	local out v
	out=$(ht_cfs "$2" "$1") || { ht_fail "cfs $1 via $2 failed"; echo -1; return 0; }
	v=$(awk -v k="$3" '$1 == k { print $2; exit }' <<<"$out")
	if [ -z "$v" ]; then
		ht_fail "cfs $1 via $2 has no '$3' line; got: $(tr '\n' ';' <<<"$out")"
		v=-1
	fi
	printf '%s\n' "$v"
}
# ht_stat NAME KEY: one of venus's counters (`cfs stats`).
ht_stat() { _ht_counter stats "$1" "$2"; }
# ht_sstat NAME KEY: one of vice's counters (`cfs serverstats`) through NAME.
ht_sstat() { _ht_counter serverstats "$1" "$2"; }

# ht_same_content FILE EXPECTED-STRING
ht_has_content() {
	local got
	got=$(ht_t cat -- "$1") || return 1
	[ "$got" = "$2" ] || { printf '%s\n' "  $1: expected '$2', got '$got'" >&2; return 1; }
}

# ht_wait_drained NAME [SECS]: wait until venus NAME is connected and has
# no CML entries pending (reintegration done); 1 if not within SECS (60).
ht_wait_drained() {
	local name=$1 secs=${2:-60}
	ht_wait_for "$secs" _ht_drained "$name" && return 0
	printf '%s\n' "  venus $name not drained after ${secs}s (load-scaled): $(ht_cfs "$name" --json lv "$(ht_mnt "$name")" 2>&1)" >&2
	return 1
}
# --json keeps Hesper's state names (the text says Coda's Reachable).
_ht_drained() {
	local out
	out=$(ht_cfs "$1" --json lv "$(ht_mnt "$1")" 2>/dev/null) || return 1
	python3 -c 'import json, sys; v = json.loads(sys.argv[1])["volumes"][0]
sys.exit(not (v["connection_state"] == "Connected" and v["cml_entries"] == 0))' "$out"
}

# ht_check_fresh DESC FILE EXPECTED: FILE must show EXPECTED at once (the
# close-to-open guarantee).  If it does not, poll for 10 s more to tell a
# late update (a race) from one that never comes, and say which.
ht_check_fresh() {
	local desc=$1 file=$2 want=$3 t0 i
	if ht_has_content "$file" "$want" 2>/dev/null; then
		ht_note "ok: $desc"
		return 0
	fi
	t0=$(date +%s%N)
	for ((i = 0; i < 100; i++)); do
		sleep 0.1
		if ht_has_content "$file" "$want" 2>/dev/null; then
			ht_fail "$desc: stale at first, correct after $((($(date +%s%N) - t0) / 1000000)) ms"
			return 0
		fi
	done
	ht_fail "$desc: still '$(timeout 10 head -c 80 "$file" 2>&1 | tr '\n' ' ')' after 10 s (want '$want')"
}

# A free TCP port on 127.0.0.1 (for a server that needs one given).
ht_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
