# test/integration/disc_lib.sh - helpers of the disconnected-operation tests
# (test/integration/disc_*.sh).  Sourced, bash only; sources lib.sh.
#
# Functions (in addition to lib.sh's):
#   dt_lv NAME                  `cfs lv` of NAME's mount (stdout+stderr)
#   dt_state NAME               Connected, WriteDisconnected or Disconnected
#                               (cfs --json lv), or "?"
#   dt_pending NAME             CML entries pending (cfs --json lv), or -1
#   dt_conflicts_n NAME         records in conflict (cfs --json lv), or 0
#   dt_wait_state NAME SECS STATE...   poll until the state is one of STATE
#   dt_wait_pending NAME SECS N  poll until N entries are pending
#   dt_wait_connected NAME SECS  poll (nudging with `cfs cs`) until the state
#                               is no longer Disconnected
#   dt_fr NAME [ARGS]           run `cfs fr`; sets DT_FR_RC and DT_FR_OUT
#   dt_vice_kill9               SIGKILL vice (no clean shutdown) and reap it
#   dt_vice_restart             start vice again: same root, same port
#   dt_venus_kill9 NAME         SIGKILL venus NAME, detach its dead mount
#   dt_listing DIR              one sorted line per object under DIR:
#                               "path type mode size links [target]"
#   dt_listing_t DIR            the same, bounded by HT_OPTIMEOUT
#   dt_same_listing D1 D2       listings equal (a short diff if not)
#   dt_same_tree D1 D2          diff -r equal (a short diff if not)
#   dt_run DESC FUNC ARGS...    ht_check DESC on FUNC run in a child bash
#                               with set -e (so the first failing command
#                               fails the check and is named in the log)
#   dt_sh DESC SCRIPT           the same for a bash script
#   dt_venus_accepts KEY=VAL    venus takes `-o KEY=VAL` (config key known)
#   dt_rand_ms LO HI            a random delay in seconds, LO..HI ms

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dt_lv() { ht_cfs "$1" lv "$(ht_mnt "$1")" 2>&1; }

# _dt_lv_field NAME KEY DEFAULT: a field of `cfs --json lv` of venus NAME
# (the text form speaks Coda's Reachable/Unreachable; JSON keeps Hesper's
# Connected/WriteDisconnected/Disconnected).
_dt_lv_field() {
	local out
	out=$(ht_cfs "$1" --json lv "$(ht_mnt "$1")" 2>/dev/null) || out=
	python3 -c 'import json, sys
try:
    print(json.loads(sys.argv[1])["volumes"][0][sys.argv[2]])
except Exception:
    print(sys.argv[3])' "$out" "$2" "$3"
}

dt_state() { _dt_lv_field "$1" connection_state '?'; }

dt_pending() { _dt_lv_field "$1" cml_entries -1; }

dt_conflicts_n() { _dt_lv_field "$1" conflicts 0; }

_dt_state_in() {
	local name=$1 s w
	shift
	s=$(dt_state "$name")
	for w in "$@"; do [ "$s" = "$w" ] && return 0; done
	return 1
}
dt_wait_state() {
	local name=$1 secs=$2
	shift 2
	ht_wait_for "$secs" _dt_state_in "$name" "$@"
}

_dt_pending_is() { [ "$(dt_pending "$1")" = "$2" ]; }
dt_wait_pending() { ht_wait_for "$2" _dt_pending_is "$1" "$3"; }

# checkservers contacts the server (Coda's meaning), so it also reconnects
# a venus whose own probe has not come round yet.
_dt_up() {
	ht_cfs "$1" cs >/dev/null 2>&1 || true
	! _dt_state_in "$1" Disconnected '?'
}
dt_wait_connected() { ht_wait_for "$2" _dt_up "$1"; }

dt_fr() {
	local name=$1
	shift
	DT_FR_RC=0
	DT_FR_OUT=$(HESPER_CTL=$(ht_ctl "$name") timeout -k 5 "$HT_OPTIMEOUT" \
		"$CFS" fr "$@" 2>&1) || DT_FR_RC=$?
	ht_note "cfs fr on $name: exit $DT_FR_RC; last lines: $(tail -n 3 <<<"$DT_FR_OUT" | tr '\n' '|')"
	if [ "$DT_FR_RC" -ne 0 ]; then
		ht_note "cfs fr output, and the conflicts:"
		{ printf '%s\n' "$DT_FR_OUT"; ht_cfs "$name" conflicts 2>&1 || true; } | head -n 40 | sed 's/^/    /'
	fi
}

dt_vice_kill9() {
	[ -n "$HT_VICE_PID" ] || return 0
	kill -KILL "$HT_VICE_PID" 2>/dev/null || true
	wait "$HT_VICE_PID" 2>/dev/null || true
	HT_VICE_PID=
}

# Nothing listens on TCP port $1.
_dt_port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

# The port of the first start is kept so that venus finds vice again.
dt_vice_restart() {
	[ -n "${DT_VICE_PORT:-}" ] || DT_VICE_PORT=$VICE_PORT
	# A port still held by a dying process: wait for it to be free (if it
	# stays held, ht_vice_start says so).
	ht_wait_for 5 _dt_port_free "$DT_VICE_PORT" || true
	local log=$VICE_ROOT/vice.log n0=0
	[ -f "$log" ] && n0=$(grep -c '^vice: listening on' "$log" || true)
	ht_vice_start -p "$DT_VICE_PORT"
	# lib.sh may have read the line of the previous start: wait for ours.
	ht_wait_for 30 _dt_listening_lines_gt "$log" "$n0" ||
		ht_hard "vice restarted on port $DT_VICE_PORT printed no new 'listening' line in 30 s"
}
_dt_listening_lines_gt() { [ "$(grep -c '^vice: listening on' "$1" || true)" -gt "$2" ]; }

dt_venus_kill9() {
	local name=$1 pid=${HT_VENUS_PID[$1]:-}
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	fusermount3 -u -z "$(ht_mnt_top "$name")" 2>/dev/null || umount -l "$(ht_mnt_top "$name")" 2>/dev/null || true
	unset "HT_VENUS_PID[$name]"
}

# Directory sizes are the file system's business and are left out.
dt_listing() {
	(cd "$1" && find . -mindepth 1 \( -type d -printf '%P d %m\n' \) -o \
		\( -type l -printf '%P l %s -> %l\n' \) -o -printf '%P %y %m %s %n\n' |
		LC_ALL=C sort)
}

# dt_listing_t DIR: dt_listing bounded by HT_OPTIMEOUT (a hung mount fails).
dt_listing_t() {
	timeout -k 5 "$HT_OPTIMEOUT" bash -c "$(declare -f dt_listing)"'; dt_listing "$1"' _ "$1"
}

# dt_same_listing DIR1 DIR2: dt_listing of both equal (shows <= 30 lines of
# the difference).  dt_same_tree DIR1 DIR2: diff -r of both (idem).
dt_same_listing() {
	diff <(dt_listing_t "$1") <(dt_listing_t "$2") >"$HT_TMP/listing.diff" && return 0
	head -n 30 "$HT_TMP/listing.diff" | sed 's/^/    /' >&2
	return 1
}
dt_same_tree() {
	ht_t diff -r --no-dereference "$1" "$2" >"$HT_TMP/tree.diff" 2>&1 && return 0
	head -n 30 "$HT_TMP/tree.diff" | sed 's/^/    /' >&2
	return 1
}

_DT_TRAP='trap '\''echo "  failed (exit $?): $BASH_COMMAND" >&2'\'' ERR'
_dt_result() {
	local desc=$1 rc=$2
	if [ "$rc" -eq 0 ]; then
		ht_note "ok: $desc"
	else
		ht_fail "$desc (exit $rc): $(head -n 6 "$HT_TMP/dt_run.err" | tr '\n' '|')"
	fi
}
dt_run() {
	local desc=$1 func=$2 rc=0
	shift 2
	# shellcheck disable=SC2163 # export the function named by $func
	if declare -F "$func" >/dev/null; then export -f "$func"; fi
	ht_t bash -Eeuo pipefail -c "$_DT_TRAP"'; "$@"' _ "$func" "$@" 2>"$HT_TMP/dt_run.err" || rc=$?
	_dt_result "$desc" "$rc"
}
# dt_sh DESC SCRIPT: the same for a bash script.
dt_sh() {
	local rc=0
	ht_t bash -Eeuo pipefail -c "$_DT_TRAP
$2" 2>"$HT_TMP/dt_run.err" || rc=$?
	_dt_result "$1" "$rc"
}

# dt_venus_accepts KEY=VALUE: does venus take `-o KEY=VALUE`?  (A venus
# that does not would make ht_venus_start give up with a hard error.)
dt_venus_accepts() {
	local out
	mkdir -p "$HT_TMP/optcheck"
	out=$(timeout -k 2 5 "$VENUS" -f -c "$HT_TMP/venus.conf" -o "$1" \
		--cachedir "$HT_TMP/optcheck/cache" --mountpoint "$HT_TMP/optcheck/no-such-dir" \
		127.0.0.1:1 2>&1 </dev/null) || true
	ht_unmount "$HT_TMP/optcheck/no-such-dir"
	! grep -q "unknown key" <<<"$out"
}

dt_rand_ms() {
	local lo=$1 hi=$2 ms
	ms=$((lo + RANDOM % (hi - lo + 1)))
	printf '%d.%03d\n' $((ms / 1000)) $((ms % 1000))
}
