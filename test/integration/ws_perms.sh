#!/bin/bash
# One workstation, many users: venus's cache is private to root.  After a
# start, and after an upgrade from a cache with loose modes (and venus run
# under umask 000): the cache directory is 0711 (it holds the control
# socket, which every user must reach) or tighter, venus.db and its
# -wal/-shm, known_servers and every container file 0600, the cml,
# conflicts and containers directories 0700; user nobody cannot list the
# cache or read any of it, and still reaches the control socket.
source "$(dirname "$0")/lib.sh"

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
"${NOBODY[@]}" true 2>/dev/null || ht_skip "cannot run as user nobody (setpriv)"

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)
C=$(ht_cachedir A)
# A copy of cfs that nobody can run whatever the build tree's modes.
install -m 755 "$CFS" "$HT_TMP/cfs"

mode() { stat -c %a "$1"; }
# private FILE MAX: FILE's mode has no bit outside MAX (octal).
private() { [ $((8#$(mode "$1") & ~8#$2)) -eq 0 ]; }

check_private() {
	local when=$1 f n=0
	ht_check "$when: cache dir is 0711 or tighter (got $(mode "$C"))" private "$C" 711
	for f in venus.db venus.db-wal venus.db-shm known_servers; do
		[ -e "$C/$f" ] || continue
		ht_check "$when: $f is 0600 (got $(mode "$C/$f"))" private "$C/$f" 600
	done
	for f in containers cml conflicts; do
		[ -e "$C/$f" ] || continue
		ht_check "$when: $f/ is 0700 (got $(mode "$C/$f"))" private "$C/$f" 700
	done
	for f in "$C"/containers/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		private "$f" 600 || ht_fail "$when: container $(basename "$f") has mode $(mode "$f")"
	done
	ht_check "$when: some container files exist ($n)" test "$n" -gt 0
	ht_check "$when: nobody cannot list the cache" bash -c '! "${@:2}" ls "$1" >/dev/null 2>&1' _ "$C" "${NOBODY[@]}"
	ht_check "$when: nobody cannot read venus.db" bash -c '! "${@:2}" cat "$1" >/dev/null 2>&1' _ "$C/venus.db" "${NOBODY[@]}"
	for f in "$C"/containers/*; do
		[ -f "$f" ] || continue
		if "${NOBODY[@]}" cat "$f" >/dev/null 2>&1; then
			ht_fail "$when: nobody read container $(basename "$f")"
		fi
	done
	ht_check "$when: nobody reaches the control socket" \
		env HESPER_CTL="$(ht_ctl A)" "${NOBODY[@]}" "$HT_TMP/cfs" mountpoint
}

printf 'secret data\n' >"$A/secret" || ht_hard "cannot write $A/secret"
cat "$A/secret" >/dev/null
check_private "after start"

# An upgrade: an older venus left everything readable.
ht_venus_stop A
chmod 755 "$C" "$C"/containers
[ -d "$C/cml" ] && chmod 755 "$C/cml"
chmod 644 "$C"/venus.db "$C"/containers/* "$C"/known_servers 2>/dev/null
ht_check "the loose cache is readable by nobody before the restart" \
	"${NOBODY[@]}" cat "$C/venus.db"
old_umask=$(umask)
umask 000
ht_venus_start A
umask "$old_umask"
printf 'more data\n' >"$A/after" || ht_fail "cannot write after the restart"
cat "$A/after" "$A/secret" >/dev/null
check_private "after an upgrade under umask 000"

ht_done
