#!/bin/bash
# One workstation, many users: conflicts are repaired by their owner or
# root.  On A, user nobody and root each change their own file while A is
# disconnected; B changes both on vice; A's reintegration puts both in
# conflict.  nobody's cfs conflicts shows only nobody's; nobody may
# discardlocal their own record but gets EPERM for root's, and for -all
# while root's is in conflict; root repairs the rest.
HT_TIMEOUT=${HT_TIMEOUT:-240}
source "$(dirname "$0")/disc_lib.sh"

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
"${NOBODY[@]}" true 2>/dev/null || ht_skip "cannot run as user nobody (setpriv)"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
SOCK=$(ht_ctl A)
install -m 755 "$CFS" "$HT_TMP/cfs"
ncfs() { HESPER_CTL=$SOCK "${NOBODY[@]}" "$HT_TMP/cfs" "$@"; }
nwrite() { "${NOBODY[@]}" sh -c 'printf "%s\n" "$1" >"$2"' _ "$1" "$2"; }

mkdir -m 777 "$A/shared"
nwrite base "$A/shared/nconf" || ht_hard "nobody cannot write in $A/shared"
printf 'base\n' >"$A/shared/rconf"
ht_check "B reads nobody's file" ht_has_content "$B/shared/nconf" base
ht_check "B reads root's file" ht_has_content "$B/shared/rconf" base

ht_check "cfs disconnect on A" ht_cfs A disconnect
nwrite "A nobody" "$A/shared/nconf" || ht_fail "nobody's offline write failed"
printf 'A root\n' >"$A/shared/rconf"
printf 'B\n' >"$B/shared/nconf"
printf 'B\n' >"$B/shared/rconf"
ht_check "cfs reconnect on A" ht_cfs A reconnect
dt_fr A
ht_check "cfs fr on A reports the conflicts (exit $DT_FR_RC)" test "$DT_FR_RC" -eq 1
ht_check "two records in conflict" test "$(dt_conflicts_n A)" -eq 2

ht_cfs A conflicts >"$HT_TMP/c.root" 2>&1
ht_check "root's conflicts lists both" bash -c 'grep -q nconf "$1" && grep -q rconf "$1"' _ "$HT_TMP/c.root"
ncfs conflicts >"$HT_TMP/c.nobody" 2>&1 || ht_fail "nobody's cfs conflicts failed"
ht_check "nobody's conflicts lists nobody's" grep -q nconf "$HT_TMP/c.nobody"
ht_check "nobody's conflicts hides root's" bash -c '! grep -q rconf "$1"' _ "$HT_TMP/c.nobody"

out=$(ncfs discardlocal "$A/shared/rconf" 2>&1) && ht_fail "nobody discarded root's record"
ht_check "nobody's discardlocal of root's record: EPERM, says why (${out:0:140})" \
	grep -q 'Operation not permitted (the record belongs to another user' <<<"$out"
out=$(ncfs preservelocal "$A/shared/rconf" 2>&1) && ht_fail "nobody preserved root's record"
ht_check "nobody's preservelocal of root's record: EPERM" grep -q 'Operation not permitted' <<<"$out"
out=$(ncfs discardlocal -all 2>&1) && ht_fail "nobody's discardlocal -all went ahead over root's record"
ht_check "nobody's discardlocal -all: EPERM, says why (${out:0:140})" \
	grep -q 'records of other users are in conflict' <<<"$out"
ht_check "still two records in conflict" test "$(dt_conflicts_n A)" -eq 2

ht_check "nobody discards nobody's own record" ncfs discardlocal "$A/shared/nconf"
ht_check "one record left in conflict" test "$(dt_conflicts_n A)" -eq 1
ht_check "nobody's file is the server's version" ht_has_content "$A/shared/nconf" B
ht_check "root discards the rest" ht_cfs A discardlocal -all
ht_check "no conflicts left" test "$(dt_conflicts_n A)" -eq 0
ht_wait_drained A 60 || ht_fail "A did not drain"

ht_done
