# test/integration/realm_lib.sh - shared code of the realm_*.sh tests
# (issue 10: realms of volumes on many servers).  Sourced after lib.sh.
#
#   rl_needs [etcd]           skip unless the tests run with the realm
#                             directory (HT_REALM_DIRS=1); volutil must
#                             be built (ht_etcd_start skips without etcd)
#   rl_vices NAME...          start one vice per NAME, all of realm
#                             $HT_REALM with the VLDB (and pdb) in etcd
#                             when ht_etcd_start ran ($HT_ETCD; else each
#                             its own SQLite VLDB), sharing the first one's
#                             realm key (auth.key) and its pdb user root
#   rl_port NAME              "127.0.0.1:PORT" of vice NAME
#   rl_root NAME              vice NAME's root directory
#   rl_volutil NAME ARGS...   volutil run against vice NAME (as on that
#                             server: its realm key)
#   rl_lv VENUS PATH          `cfs lv PATH` through VENUS (text)
#   rl_state VENUS PATH       Coda's Connection State of PATH's volume
#                             (Reachable/Unreachable), or "error"
#   rl_same_tree DIR1 DIR2    the trees are equal byte for byte (diff -r)
#                             with the same types, modes and sizes

VOLUTIL=${VOLUTIL:-$top_builddir/tools/volutil}

rl_needs() {
	[ "$HT_REALM_DIRS" = 1 ] || ht_skip "needs the realm directory (HT_REALM_DIRS=1)"
	[ -x "$VOLUTIL" ] || ht_hard "$VOLUTIL not built"
	return 0
}

rl_port() { printf '127.0.0.1:%s\n' "${HT_VPORT[$1]}"; }
rl_root() { printf '%s\n' "$HT_TMP/vice.$1/root"; }

# pdbtool on the realm's pdb: in etcd when the pdb is there (pdbtool
# takes vice's --vldb/--etcd), else on vice NAME's own.
_rl_pdbtool() {
	local name=$1
	shift
	if [ -n "${HT_ETCD:-}" ] && grep -q -- --etcd <<<"$("$PDBTOOL" --help 2>&1)"; then
		"$PDBTOOL" -r "$(rl_root "$name")" --vldb etcd --etcd "$HT_ETCD" --realm "$HT_REALM" "$@"
	else
		"$PDBTOOL" -r "$(rl_root "$name")" "$@"
	fi
}

# The realm's administrator root, made once in the realm's pdb with
# lib.sh's password (pw.root), so clog root works against every server.
_rl_root_user() {
	local name=$1
	[ -s "$HT_TMP/pw.root" ] || (umask 077 && head -c 18 /dev/urandom | base64 >"$HT_TMP/pw.root")
	_rl_pdbtool "$name" l root >/dev/null 2>&1 && return 0
	_rl_pdbtool "$name" nu root 0 >/dev/null || ht_hard "pdbtool nu root 0 on $name failed"
	_rl_pdbtool "$name" passwd -pipe root <"$HT_TMP/pw.root" >/dev/null ||
		ht_hard "pdbtool passwd root on $name failed"
	_rl_pdbtool "$name" ag System:Administrators root >/dev/null ||
		ht_hard "pdbtool ag System:Administrators root on $name failed"
}

rl_vices() {
	local first= name vldb=()
	[ -n "${HT_ETCD:-}" ] && vldb=(--vldb etcd --etcd "$HT_ETCD")
	for name in "$@"; do
		if [ -n "$first" ]; then
			# one realm, one key (doc/design.md "Realms"): the admin
			# copies the first server's auth.key
			mkdir -p "$(rl_root "$name")"
			cp -p "$(rl_root "$first")/auth.key" "$(rl_root "$name")/auth.key" ||
				ht_hard "no auth.key in $(rl_root "$first")"
		fi
		# (lib.sh adds --realm $HT_REALM)
		ht_vice_start_as "$name" "${vldb[@]}"
		_rl_root_user "$name"
		first=${first:-$name}
	done
}

rl_volutil() {
	local name=$1
	shift
	ht_t "$VOLUTIL" -h "$(rl_port "$name")" -d "$(rl_root "$name")" "$@"
}

rl_lv() { ht_cfs "$1" lv "$2" 2>&1; }

rl_state() {
	local out
	out=$(ht_cfs "$1" lv "$2" 2>/dev/null) || { echo error; return 0; }
	sed -n 's/^  Connection State is //p' <<<"$out" | head -n 1
}

rl_same_tree() {
	local l1 l2
	ht_t diff -r "$1" "$2" >/dev/null || { ht_note "diff -r $1 $2 differs"; return 1; }
	l1=$(cd "$1" && find . \( -type d -printf '%p d %m\n' \) -o -printf '%p %y %m %s\n' | sort)
	l2=$(cd "$2" && find . \( -type d -printf '%p d %m\n' \) -o -printf '%p %y %m %s\n' | sort)
	[ "$l1" = "$l2" ] || { ht_note "listings of $1 and $2 differ"; return 1; }
}
