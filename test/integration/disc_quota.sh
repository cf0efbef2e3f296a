#!/bin/bash
# A CML record past its volume's quota (issue 10): venus A, disconnected,
# logs a small file, a file bigger than the root volume's quota and
# another small file.  At reintegration vice refuses the big store with
# EDQUOT: that record stays in the CML with its data, held for quota
# (`cfs conflicts` and `cfs listlocal` say "quota", `cfs lv` counts it,
# listlocal marks it "(held: over quota)", `cfs fr` fails with
# "Disk quota exceeded", venus logs QUOTA), the other records are applied
# (B reads them), and A still shows its own version of the big file.
# `volutil setquota` lifts the quota and `cfs reconnect` sends the record:
# B reads the big file byte for byte and A's log is empty.  (A write past
# the quota while connected fails at close with EDQUOT: volutil.sh.)
HT_TIMEOUT=${HT_TIMEOUT:-300}
source "$(dirname "$0")/lib.sh"

VOLUTIL=${VOLUTIL:-$top_builddir/tools/volutil}
[ -x "$VOLUTIL" ] || ht_skip "waits for volutil setquota (the vol pieces of issue 10)"
vu() { ht_t "$VOLUTIL" -d "$VICE_ROOT/root" -h "127.0.0.1:$VICE_PORT" "$@"; }

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
head -c 300000 /dev/urandom >"$HT_TMP/big"

ht_check "setquota root 100 blocks" vu setquota root 100
ht_check "a connected write fits" ht_t sh -c "echo connected >'$A/first'"
ht_check "disconnect" ht_cfs A disconnect
ht_check "offline: a small file" ht_t sh -c "echo kept >'$A/kept'"
ht_check "offline: a 300000-byte file (logged)" ht_t cp "$HT_TMP/big" "$A/big"
ht_check "offline: another small file" ht_t sh -c "echo after >'$A/after'"

held() { ht_cfs A conflicts 2>/dev/null | grep -q "big: quota conflict"; }
ht_check "reconnect" ht_cfs A reconnect
ht_check "the big store is held for quota" ht_wait_for 90 held
ht_note "cfs conflicts: $(ht_cfs A conflicts 2>&1 | tr '\n' ';')"
ht_check "cfs listlocal lists it" bash -c \
	"HESPER_CTL='$(ht_ctl A)' '$CFS' listlocal '$A' | grep -q big"
ht_cfs A lv "$A" >"$HT_TMP/lv" 2>&1
ht_note "cfs lv: $(tr '\n' ';' <"$HT_TMP/lv")"
ht_check "cfs lv counts it held" grep -qx "  1 CML entries held: over quota" "$HT_TMP/lv"
ht_check "cfs lv --json: quota_held" \
	bash -c "HESPER_CTL='$(ht_ctl A)' '$CFS' --json lv '$A' | grep -q '\"quota_held\":1[,}]'"
ht_check "cfs listlocal marks it held" bash -c \
	"HESPER_CTL='$(ht_ctl A)' '$CFS' listlocal '$A' | grep -q 'big.*(held: over quota)\$'"
ht_check "cfs listlocal marks only it" test "$(HESPER_CTL=$(ht_ctl A) "$CFS" listlocal "$A" |
	grep -c 'held: over quota')" = 1
ht_check "cfs listlocal --json: quota true" bash -c \
	"HESPER_CTL='$(ht_ctl A)' '$CFS' --json listlocal '$A' | grep -q 'big\",[^}]*\"quota\":true}'"
ht_check "B reads the small file logged before it" ht_wait_for 30 ht_has_content "$B/kept" kept
ht_check "B reads the small file logged after it" ht_wait_for 30 ht_has_content "$B/after" after
ht_check "A still shows its version of the big file" cmp -s "$HT_TMP/big" "$A/big"
ht_check "vice does not have the big data" \
	test "$(ht_t stat -c %s "$B/big" 2>/dev/null || echo gone)" != 300000
if ht_cfs A fr "$A" >"$HT_TMP/fr.out" 2>&1; then
	ht_fail "cfs fr succeeded with a record held for quota"
fi
ht_note "cfs fr: $(tr '\n' ';' <"$HT_TMP/fr.out")"
ht_check "cfs fr says the quota is exceeded" grep -qi "quota" "$HT_TMP/fr.out"
ht_check "venus logged it" grep -q "QUOTA: .*big" "$HT_TMP/A/venus.log"
ht_check "the record is still there" held

ht_check "setquota root 0 (no limit)" vu setquota root 0
ht_check "reconnect sends it again" ht_cfs A reconnect
ht_check "A's log drains" ht_wait_drained A 90
ht_check "B reads the big file" ht_wait_for 30 cmp -s "$HT_TMP/big" "$B/big"
ht_check "no conflict is left" test -z "$(ht_cfs A conflicts 2>&1)"
ht_check "cfs lv: nothing held any more" \
	bash -c "! HESPER_CTL='$(ht_ctl A)' '$CFS' lv '$A' | grep -q 'held: over quota'"
ht_check "cfs lv --json: quota_held 0" \
	bash -c "HESPER_CTL='$(ht_ctl A)' '$CFS' --json lv '$A' | grep -q '\"quota_held\":0[,}]'"
ht_done
