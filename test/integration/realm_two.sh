#!/bin/bash
# Two realms (issue 10): venus.conf's realm $HT_REALM on vice A, and a
# second realm other.test on vice O named in a realms file (Coda's format,
# "realm server[:port]...", venus.conf key realmtab).  /coda lists both
# once other.test was visited; each realm's root is /coda/<realm>.  With
# every server of one realm stopped, the other realm still answers at once
# (bounded by a load-scaled timeout; no timing is asserted), and the
# stopped realm's cached files still read.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/realm_lib.sh"
rl_needs
OTHER=other.test

rl_vices A
ht_vice_start_as O --realm "$OTHER"
printf '# realms (Coda'"'"'s format): realm server[:port]...\n%s %s\n' \
	"$OTHER" "$(rl_port O)" >"$HT_TMP/realms"
printf 'realmtab %s\n' "$HT_TMP/realms" >>"$HT_TMP/venus.conf"

ht_venus_start X --server "$(rl_port A)"
ht_clog X || ht_fail "clog root on X"
TOP=$(ht_mnt_top X)
R=$(ht_mnt X)
RO=$(ht_realm_dir X "$OTHER")

ht_check "the realm of venus.conf is a directory" test -d "$R"
ht_check "the realms file's realm is mounted on first access" ht_t test -d "$RO"
ht_check "/coda lists both realms" bash -c \
	"ls '$TOP' | grep -qx '$HT_REALM' && ls '$TOP' | grep -qx '$OTHER'"
ht_check "a write in the first realm" ht_t sh -c "echo here >'$R/f'"
# anonymous in other.test (its pdb does not know X's root token): use a
# directory anyone may write, or read only
if ht_t sh -c "echo there >'$RO/f'" 2>/dev/null; then
	ht_check "the second realm reads back" ht_has_content "$RO/f" there
else
	ht_note "other.test is read-only for us (no token there)"
	ht_check "the second realm lists" ht_t ls "$RO"
fi
ht_check "whereis in the second realm names O" bash -c \
	"HESPER_CTL='$(ht_ctl X)' '$CFS' whereis '$RO' | grep -qF '$(rl_port O)'"
ht_check "fids of the second realm say @$OTHER" bash -c \
	"HESPER_CTL='$(ht_ctl X)' '$CFS' getfid '$RO' | grep -q '@$OTHER '"
ht_check "an unknown realm is ENOENT, at once" bash -c \
	"! timeout 30 stat '$TOP/no-such-realm.invalid' 2>/dev/null"

# ---- every server of other.test stopped ----------------------------------------
ht_vice_stop_as O
# Bounded waits: a hang fails the check instead of blocking the test.
quick() { timeout -k 2 $((20 * $(ht_load_pct) / 100)) "$@"; }
ht_check "ls of the first realm answers" quick ls "$R/"
ht_check "the first realm's file reads" quick cat "$R/f"
ht_check "the first realm writes" quick sh -c "echo still >'$R/g'"
ht_check "ls of /coda answers" quick ls "$TOP/"
ht_check "ls of the stopped realm returns (cached or an error)" \
	bash -c "quick() { timeout -k 2 \$((20 * $(ht_load_pct) / 100)) \"\$@\"; }; quick ls '$RO/' >/dev/null 2>&1; [ \$? -lt 124 ]"
ht_check "the first realm is Reachable" test "$(rl_state X "$R")" = Reachable
ht_check "cfs lv of the stopped realm answers" quick bash -c "HESPER_CTL='$(ht_ctl X)' '$CFS' lv '$RO' >/dev/null 2>&1; true"
ht_done
