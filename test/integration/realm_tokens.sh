#!/bin/bash
# Tokens per realm (Coda's clog user@realm): venus.conf's realm $HT_REALM
# on vice A and a second realm other.test on vice O, named in a realms
# file.  The two realms have different realm keys (auth.key) and pdbs
# (each vice makes its own root user), so a token of one means nothing to
# the other.  clog root@other.test authenticates against O through venus
# and hands the token in for other.test only; a directory of other.test
# that System:AnyUser may not use is written only with that token;
# ctokens lists one "@realm" block per realm; cunlog @other.test drops
# that one and keeps the first realm's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/realm_lib.sh"
rl_needs
OTHER=other.test

ht_vice_start_as A
ht_vice_start_as O --realm "$OTHER"
ht_check "the two realms have different keys" bash -c \
	"! cmp -s '$(rl_root A)/auth.key' '$(rl_root O)/auth.key'"
printf '# realms (Coda'"'"'s format): realm server[:port]...\n%s %s\n' \
	"$OTHER" "$(rl_port O)" >"$HT_TMP/realms"
printf 'realmtab %s\n' "$HT_TMP/realms" >>"$HT_TMP/venus.conf"

HT_NO_CLOG=1 ht_venus_start X --server "$(rl_port A)"
CTL=$(ht_ctl X)
R=$(ht_mnt X)
RO=$(ht_realm_dir X "$OTHER")
ht_check "the first realm's root is a directory" ht_t test -d "$R"
ht_check "clog root (venus.conf's realm)" ht_clog X
ht_check "other.test is mounted on first access" ht_t test -d "$RO"

# clogr USER@REALM: clog through X with root's password of that realm.
clogr() {
	HESPER_CTL=$CTL timeout -k 5 60 "$CLOG" -pipe "$1" <"$HT_TMP/pw.root"
}
toks() { HESPER_CTL=$CTL "$CTOKENS" "$@"; }
# mk DIR: mkdir DIR, then it exists (as seen through X).
mk() { ht_t mkdir "$1" 2>/dev/null && ht_t test -d "$1"; }

# ---- with a token for other.test: a directory AnyUser may not use ------------
ht_check "clog root@$OTHER" clogr "root@$OTHER"
out=$(toks)
ht_check "ctokens lists @$HT_REALM" grep -qx "    @$HT_REALM" <<<"$out"
ht_check "ctokens lists @$OTHER" grep -qx "    @$OTHER" <<<"$out"
ht_check "ctokens shows two tokens" test "$(grep -c 'Coda user id' <<<"$out")" -eq 2
ht_check "mkdir in $OTHER as its root" mk "$RO/private"
ht_check "cfs sa private System:AnyUser none" \
	env HESPER_CTL="$CTL" "$CFS" sa "$RO/private" System:AnyUser none
ht_check "the ACL has no System:AnyUser" bash -c \
	"! HESPER_CTL='$CTL' '$CFS' la '$RO/private' | grep -q System:AnyUser"
ht_check "with the token, mkdir in private works" mk "$RO/private/a"
ht_check "and a file is written there" ht_t sh -c "echo one >'$RO/private/f'"
ht_check "it reads back" ht_has_content "$RO/private/f" one

# ---- cunlog @other.test: that realm's token only --------------------------------
ht_check "cunlog @$OTHER" env HESPER_CTL="$CTL" "$CUNLOG" "@$OTHER"
out=$(toks)
ht_check "ctokens still lists @$HT_REALM" grep -qx "    @$HT_REALM" <<<"$out"
ht_check "but not @$OTHER" bash -c "! grep -qx '    @$OTHER' <<<'$out'"
ht_check "ctokens @$OTHER: Not Authenticated" bash -c \
	"HESPER_CTL='$CTL' '$CTOKENS' @$OTHER | grep -q 'Not Authenticated'"
ht_check "without it, mkdir in private fails" bash -c "! mkdir '$RO/private/b' 2>/dev/null"
ht_check "the first realm still writes with its token" \
	ht_t sh -c "echo here >'$R/g'"
ht_check "and makes directories" mk "$R/d"

# ---- clog again: the write works again ----------------------------------------
ht_check "clog root@$OTHER again" clogr "root@$OTHER"
ht_check "mkdir in private works after the clog" mk "$RO/private/c"
# The realm-0 token was never sent to O: O's log names no bad token.
ht_check "ctokens -all (root) lists both realms" bash -c \
	"[ \$(HESPER_CTL='$CTL' '$CTOKENS' -all | grep -c '^    @') -eq 2 ]"

# ---- a venus restart keeps both (the tokens file names realms) ------------------
ht_venus_stop X
# A line as venus wrote it before realms (no realm column) is realm 0's.
TF=$(ht_cachedir X)/tokens
sed -i "s/ $HT_REALM\$//" "$TF"
ht_check "the tokens file has a line without a realm" \
	bash -c "awk 'NF == 5' '$TF' | grep -q ."
HT_NO_CLOG=1 ht_venus_start X --server "$(rl_port A)"
CTL=$(ht_ctl X)
out=$(toks)
ht_check "after a restart both realms' tokens are held" bash -c \
	"grep -qx '    @$HT_REALM' <<<'$out' && grep -qx '    @$OTHER' <<<'$out'"
ht_check "and other.test's still opens private" mk "$RO/private/d"

# ---- cunlog with no realm drops every token --------------------------------------
ht_check "cunlog" env HESPER_CTL="$CTL" "$CUNLOG"
ht_check "ctokens: Not Authenticated" bash -c \
	"HESPER_CTL='$CTL' '$CTOKENS' | grep -q 'Not Authenticated'"
ht_done
