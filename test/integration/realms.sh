#!/bin/bash
# Two realms (issue 10): two vices on different ports, the second named in
# venus's realms file (realmtab).  The realm directory lists both; a file
# written under /coda/two.test lands on the second vice (a second venus
# whose realm is that vice reads it) and not on the first; a change made
# there breaks A's callback (the break arrives with the second realm's
# fids); link across realms is EXDEV and mv copies; an unknown realm is
# ENOENT.  With the second vice down the first realm goes on at full
# speed, and A finds the second again when it is back.  After a restart
# of A the second realm's fids are the same (its index is kept in
# venus.db).
source "$(dirname "$0")/lib.sh"

# top NAME: the raw mount (the realm directory).
top() { if declare -F ht_mnt_top >/dev/null; then ht_mnt_top "$1"; else ht_mnt "$1"; fi; }

ht_vice_start
P1=$VICE_PORT
HT_EXTRA_PIDS=$HT_VICE_PID
ROOT1=$VICE_ROOT
# The second vice takes the first's key; still, venus holds tokens per
# realm (clog user@realm) and sends realm 0's only to realm 0's servers,
# so root clogs in two.test too (realm_tokens.sh tests realms with their
# own keys).
VICE_ROOT=$HT_TMP/vice2
mkdir -p "$VICE_ROOT/root"
cp "$ROOT1/root/auth.key" "$VICE_ROOT/root/auth.key" ||
	ht_hard "no auth.key in $ROOT1/root"
ht_vice_start
P2=$VICE_PORT
printf '# realm servers\ntwo.test 127.0.0.1:%s   # the second vice\n' "$P2" >"$HT_TMP/realms"

ht_venus_start A --server "127.0.0.1:$P1" -o "realmtab=$HT_TMP/realms"
ht_venus_start B --server "127.0.0.1:$P2"
TA=$(top A)
TB=$(top B)
R1=$TA/$(ht_t ls "$TA" | grep -vx two.test | head -n 1)
R2=$TA/two.test
RB=$TB/$(ht_t ls "$TB" | head -n 1)
ht_check "clog root@two.test on A" env HESPER_CTL="$(ht_ctl A)" \
	timeout -k 5 60 "$CLOG" -pipe root@two.test <"$HT_TMP/pw.root"

ht_check "A's realm directory lists two.test ($(ht_t ls "$TA" | tr '\n' ' '))" \
	bash -c "ls '$TA' | grep -qx two.test"
ht_check "two.test's root is a directory" test -d "$R2"
ht_check "an unknown realm is ENOENT" test ! -e "$TA/no-such-realm.invalid"

echo "in two" >"$R2/f" || ht_fail "write $R2/f"
ht_check "A reads back the file in two.test" ht_has_content "$R2/f" "in two"
ht_check "B (realm 0 = the second vice) reads it" ht_has_content "$RB/f" "in two"
echo "in one" >"$R1/g" || ht_fail "write $R1/g"
ht_check "the first realm's file is not on the second vice" test ! -e "$RB/g"

# "FID = VOL.VNODE.UNIQUE@REALM ...": the fid alone.
fid_of() { ht_cfs A getfid "$1" 2>&1 | awk '$1 == "FID" { print $3; exit }'; }
fid0=$(fid_of "$R2/f")
echo "changed by B" >"$RB/f"
ht_check "B's change reaches A (callback break in realm two.test)" \
	ht_wait_for 30 ht_has_content "$R2/f" "changed by B"

_exdev() {
	local out
	out=$(ht_t ln "$1" "$2" 2>&1) && return 1
	grep -qi "cross-device" <<<"$out" || { printf '  %s\n' "$out" >&2; return 1; }
}
ht_check "link across realms is EXDEV" _exdev "$R1/g" "$R2/g"
ht_check "mv across realms copies" ht_t mv "$R1/g" "$R2/g"
ht_check "the moved file is in two.test" ht_has_content "$R2/g" "in one"
ht_check "and gone from the first realm" test ! -e "$R1/g"

# One realm's trouble never blocks another.
ht_vice_stop
ht_check "with the second vice down, the first realm writes" \
	bash -c "echo still >'$R1/h'"
ht_check "and reads" ht_has_content "$R1/h" "still"
ht_vice_start -p "$P2"
_back() { ht_t cat "$R2/f" >/dev/null 2>&1 && ht_has_content "$R2/f" "changed by B"; }
ht_check "A reaches two.test again once its vice is back" ht_wait_for 60 _back

# The realm's index (in its fids) survives a restart of venus.
ht_venus_stop A
ht_venus_start A --server "127.0.0.1:$P1" -o "realmtab=$HT_TMP/realms"
ht_check "after a restart A reads two.test" \
	ht_wait_for 30 ht_has_content "$R2/f" "changed by B"
fid1=$(fid_of "$R2/f")
ht_check "the file's fid is the same after the restart ($fid0 / $fid1)" \
	test -n "$fid0" -a "$fid0" = "$fid1"

ht_done
