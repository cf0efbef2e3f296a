#!/bin/bash
# volutil(8) against a running vice: create, list (text and --json), info,
# rename, setquota, remove, and the refusals (no realm key, another
# realm's key, the root volume).  Then quotas through venus: with
# `volutil setquota root N` a write past the quota fails at close(2) with
# EDQUOT and vice keeps the previous contents; removing a file gives its
# blocks back.
source "$(dirname "$0")/lib.sh"

VOLUTIL=${VOLUTIL:-$top_builddir/tools/volutil}

ht_vice_start
vu() { ht_t "$VOLUTIL" -d "$VICE_ROOT/root" -h "127.0.0.1:$VICE_PORT" "$@"; }
# The blocks_used of volume $1 (volutil info --json).
used() { vu --json info "$1" | sed -n 's/.*"blocks_used":\([0-9]*\).*/\1/p'; }

# Predicates for ht_check (run in this shell).
lists_root() { vu list | grep -Eq '^root +0x00000001 On-line'; }
refused() {     # refused PATTERN ARGS...: volutil fails saying PATTERN
	local pat=$1
	shift
	! vu "$@" 2>"$HT_TMP/err" && grep -q "$pat" "$HT_TMP/err"
}
info_says() { vu info "$1" | grep -q "$2"; }
gone() { ! vu info "$1" 2>/dev/null; }
other() {       # volutil with another root (its own auth.key)
	! ht_t "$VOLUTIL" -d "$HT_TMP/other" -h "127.0.0.1:$VICE_PORT" "$@" \
		2>"$HT_TMP/err"
}
used_is() { test "$(used "$1")" "$2" "$3"; }

ht_check "volutil --version" "$VOLUTIL" --version
ht_check "volutil list shows the root volume" lists_root
ht_check "create proj with a quota" vu create proj -quota 1000
ht_check "create scratch with id 77" vu create scratch -id 77
ht_check "a second proj is refused" refused "File exists" create proj
vu list >"$HT_TMP/list"
ht_note "volutil list: $(cat "$HT_TMP/list")"
ht_check "list names proj with its quota" grep -Eq '^proj +0x00000002 On-line +1000 +0 +1$' "$HT_TMP/list"
ht_check "list names scratch as id 77" grep -Eq '^scratch +0x0000004d ' "$HT_TMP/list"
vu --json list >"$HT_TMP/list.json"
ht_check "list --json is JSON with three volumes" python3 -c "
import json, sys
v = json.load(open(sys.argv[1]))
assert [x['name'] for x in v] == ['root', 'proj', 'scratch'], v
assert v[1]['max_quota'] == 1000 and v[1]['online'] is True, v
" "$HT_TMP/list.json"
ht_check "info proj" info_says proj 'Maximum quota 1000 blocks'
ht_check "rename scratch to tmpvol" vu rename scratch tmpvol
ht_check "info by the new name" info_says tmpvol 'id 0x0000004d'
ht_check "remove tmpvol (by id)" vu remove 77
ht_check "it is gone" gone tmpvol
ht_check "the root volume is not removed" refused "not permitted" remove root

# Refusals: no realm key; a key that is not the realm's.
mkdir -p "$HT_TMP/other/tls"
cp "$VICE_ROOT/root/tls/cert.pem" "$HT_TMP/other/tls/"
ht_check "without auth.key volutil refuses to start" other list
ht_check "... and names the key" grep -q auth.key "$HT_TMP/err"
(umask 077 && head -c 32 /dev/urandom >"$HT_TMP/other/auth.key")
ht_check "another realm's key is not an administrator" other create evil
ht_check "... permission denied" grep -q "permission denied" "$HT_TMP/err"
ht_check "vice logged the refusal" grep -q "not an administrator" "$VICE_ROOT/vice.log"

# Quotas through venus, on the root volume.
ht_venus_start A
A=$(ht_mnt A)
ht_check "setquota root 64 blocks" vu setquota root 64
head -c 40000 /dev/urandom >"$HT_TMP/small"
head -c 100000 /dev/urandom >"$HT_TMP/big"
ht_check "a 40000-byte file fits" ht_t cp "$HT_TMP/small" "$A/small"
ht_check "it uses 40 blocks" ht_wait_for 30 used_is root = 40
printf 'old\n' >"$A/victim"
ht_check "the victim uses a block" ht_wait_for 30 used_is root = 41
if ht_t cp "$HT_TMP/big" "$A/victim" 2>"$HT_TMP/cp.err"; then
	ht_fail "a 100000-byte store passed a 64-block quota"
fi
ht_note "cp: $(cat "$HT_TMP/cp.err")"
ht_check "the failure says EDQUOT" grep -q "Disk quota exceeded" "$HT_TMP/cp.err"
ht_check "vice kept the old contents" used_is root = 41
ht_check "lifting the quota" vu setquota root 0
ht_check "the big file fits now" ht_t cp "$HT_TMP/big" "$A/big"
ht_check "its blocks are counted" ht_wait_for 30 used_is root -ge 138
ht_check "rm gives the blocks back" ht_t rm -f "$A/big" "$A/small"
ht_check "blocks used fall" ht_wait_for 30 used_is root -le 1
ht_done
