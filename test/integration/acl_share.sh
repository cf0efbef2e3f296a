#!/bin/bash
# Sharing a directory through an ACL (issue 9): two unprivileged local
# users with clog tokens, an ACL that grants one and a negative right
# that takes write away from the other, `cfs sa` on client A in force on
# client B as soon as it returns (vice breaks the directory's callbacks
# before it answers), and a third user, with a token but not on the ACL,
# refused.  Needs the auth harness (ht_user_add, ht_clog_as; lib.sh clogs
# root as an administrator after each venus start).
source "$(dirname "$0")/lib.sh"

if ! declare -F ht_user_add >/dev/null || ! declare -F ht_clog_as >/dev/null; then
	ht_skip "needs ht_user_add and ht_clog_as (the auth harness)"
fi
# Three local users, removed at exit by lib.sh (ht_local_user).
U=()
for i in 1 2 3; do
	U+=("hsacl$i$$")
	ht_local_user "hsacl$i$$"
done
U1=${U[0]} U2=${U[1]} U3=${U[2]}

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
# Let the local users reach the mounts; ht_clog_as gives them search
# (not read) on the cache dirs for the control sockets (venus keeps
# them 0711).
chmod 755 "$HT_TMP" "$HT_TMP/A" "$HT_TMP/B"

# as USER VENUS CMD...: run CMD as a local user, cfs talking to VENUS.
as() {
	local u=$1 v=$2
	shift 2
	ht_t runuser -u "$u" -- env HESPER_CTL="$(ht_ctl "$v")" CFS="$CFS" "$@"
}
for u in "${U[@]}"; do
	ht_user_add "$u" "$(id -u "$u")"
	for v in A B; do
		ht_clog_as "$u" "$u" "$v" ||
			ht_hard "clog of $u on venus $v failed"
	done
done

# root (System:Administrators) sets up the share: U1 everything, U2
# everything but w (negative), nobody else anything.
# The mode bits let everyone in (FUSE keeps default_permissions, so they
# only narrow, design.md): whatever is refused below, the ACL refused.
mkdir -m 0777 "$A/share"
ht_check "root: cfs sa grants $U1 and $U2" \
	ht_cfs A sa "$A/share" "$U1" all "$U2" write System:AnyUser none
ht_check "root: cfs sa -negative takes w from $U2" \
	ht_cfs A sa -negative "$A/share" "$U2" w
la=$(ht_cfs A la "$A/share")
ht_note "ACL of share:"$'\n'"$la"
ht_check "la lists $U1 with rlidwka" grep -Eq "^ *$U1  rlidwka *\$" <<<"$la"
ht_check "la lists $U2's negative w" grep -Eq "^ *$U2 -w *\$" <<<"$la"
ht_check "la no longer lists System:AnyUser" eval "! grep -q AnyUser <<<\"\$la\""

ht_check "$U1 writes a file on A" as "$U1" A sh -c "umask 0; echo shared >'$A/share/f'"
ht_check "$U1's file is owned by $U1, mode 0666" \
	test "$(stat -c %u.%a "$A/share/f")" = "$(id -u "$U1").666"
ht_check "$U2 reads it on B" test "$(as "$U2" B cat "$B/share/f")" = shared
ht_check "$U2 may not write it on B (negative w)" \
	eval "! as '$U2' B sh -c 'echo mine >>\"$B/share/f\"' 2>/dev/null"
ht_check "$U2 may create on B (i)" as "$U2" B touch "$B/share/g"
ht_check "$U3 may not list the share on B" eval "! as '$U3' B ls '$B/share' >/dev/null 2>&1"
ht_check "$U3 may not read the file on A" eval "! as '$U3' A cat '$A/share/f' >/dev/null 2>&1"
ht_check "$U3 may not read the file B has cached" \
	eval "! as '$U3' B cat '$B/share/f' >/dev/null 2>&1"
ht_check "$U3 may not create on A" eval "! as '$U3' A touch '$A/share/h' 2>/dev/null"
ht_check "$U3 may not change the ACL" eval "! as '$U3' A \"\$CFS\" sa '$A/share' '$U3' all 2>/dev/null"
ht_check "$U2 may not change the ACL (no a)" eval "! as '$U2' B \"\$CFS\" sa '$B/share' '$U2' all 2>/dev/null"

# U1 (a) takes r away from U2 on client A; B refuses U2 as soon as the
# command returned.
ht_check "$U1: cfs sa -negative on A" as "$U1" A "$CFS" sa -negative "$A/share" "$U2" rw
ht_check "$U2 may no longer read on B, at once" \
	eval "! as '$U2' B cat '$B/share/f' >/dev/null 2>&1"
ht_check "$U1 still reads on B" test "$(as "$U1" B cat "$B/share/f")" = shared
# A grant is in force on B at once too: B's cached "nothing" for U3 goes
# with the callback break.
ht_check "$U1: cfs sa on A grants $U3 rl" as "$U1" A "$CFS" sa "$A/share" "$U3" rl
ht_check "$U3 reads on B, at once" test "$(as "$U3" B cat "$B/share/f")" = shared
ht_check "$U3 still may not create on B" eval "! as '$U3' B touch '$B/share/h' 2>/dev/null"
ht_check "the file is intact" test "$(cat "$A/share/f")" = shared
ht_check "$U2's file is there" test -f "$A/share/g"
ht_done
