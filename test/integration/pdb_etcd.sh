#!/bin/bash
# The pdb in etcd (issue 10): two vices of one realm (--vldb etcd) share
# their users, groups and passwords through etcd, and one token key.
# A user made with pdbtool --vldb etcd (no server's root involved) clogs
# against the second server; her token opens on both (tokenprobe makes
# calls with it; vice -d logs "calls as id N"), and through venus on the
# first server she may write where System:Administrators may.  A pdbtool
# change reaches both servers; a server whose own auth.key differs from
# the realm's refuses to start.
source "$(dirname "$0")/lib.sh"
TOKENPROBE=${TOKENPROBE:-$top_builddir/test/tools/tokenprobe}

ht_etcd_start
REALM=pdb.test
EARGS=(--realm "$REALM" --vldb etcd --etcd "$HT_ETCD")
ht_vice_start_as a -d "${EARGS[@]}"
ht_vice_start_as b -d "${EARGS[@]}"
RA=$HT_TMP/vice.a/root
RB=$HT_TMP/vice.b/root
PA=${HT_VPORT[a]}
PB=${HT_VPORT[b]}

ht_check "both servers hold the same auth.key" cmp -s "$RA/auth.key" "$RB/auth.key"
ht_check "b's auth.key (from etcd) is 0600" test "$(stat -c %a "$RB/auth.key")" = 600
ht_check "the realm's key is in etcd" \
	bash -c "'$ETCDCLI' '$HT_ETCD' get /hesper/$REALM/authkey >/dev/null"

pdb() { "$PDBTOOL" --vldb etcd --etcd "$HT_ETCD" --realm "$REALM" "$@"; }
ht_check "the etcd pdb has the system groups" pdb l System:Administrators
ht_check "lib.sh made root (an administrator) in the realm's pdb" \
	bash -c "'$PDBTOOL' --vldb etcd --etcd '$HT_ETCD' --realm '$REALM' i root | grep -q 'belongs to groups: \\[ -204 \\]'"
ht_check "pdbtool --vldb etcd nu alice" pdb nu alice 5000
PW=$HT_TMP/pw.alice
(umask 077 && head -c 18 /dev/urandom | base64 >"$PW")
ht_check "pdbtool --vldb etcd passwd alice" pdb passwd -pipe alice <"$PW"
ht_check "pdbtool ag System:Administrators alice" pdb ag System:Administrators alice
ht_check "nu without an id takes the next one in the realm" \
	bash -c "'$PDBTOOL' --vldb etcd --etcd '$HT_ETCD' --realm '$REALM' nu bob | grep -q 'id 5001\$'"
ht_check "a taken id is refused" bash -c "! '$PDBTOOL' --vldb etcd --etcd '$HT_ETCD' --realm '$REALM' nu carol 5000 2>/dev/null"
ht_check "pdbtool needs --etcd with --vldb etcd" bash -c "! '$PDBTOOL' --vldb etcd l alice 2>/dev/null"
# Two pdbtools at once (two admins on two machines): every user made,
# each with an id of its own (the counter is taken by compare-and-swap).
mk() { local i; for i in 1 2 3 4 5 6; do pdb nu "$1$i" >/dev/null || return 1; done; }
mk p & mk1=$!
mk q & mk2=$!
wait "$mk1" && wait "$mk2"
ht_check "concurrent nu: both pdbtools succeed" test $? -eq 0
ht_check "concurrent nu: 12 users with 12 distinct ids" \
	bash -c "'$PDBTOOL' --vldb etcd --etcd '$HT_ETCD' --realm '$REALM' --json list |
		python3 -c 'import json,sys; d=[e[\"id\"] for e in json.load(sys.stdin) if e[\"name\"][0] in \"pq\"]; assert len(d)==12 and len(set(d))==12, d'"
ht_check "server a's own SQLite pdb has no alice" \
	bash -c "! '$PDBTOOL' -r '$RA' l alice 2>/dev/null"
ht_check "no password in clear in etcd" \
	bash -c "! '$ETCDCLI' '$HT_ETCD' get /hesper/$REALM/pdb/secret/5000 | grep -qF \"\$(cat '$PW')\""

# venus on server a; root has no token yet (root is in no etcd pdb).
HT_NO_CLOG=1 ht_venus_start v --server "127.0.0.1:$PA"
M=$(ht_mnt v)
ht_check "anonymous: mkdir in the root volume is refused" bash -c "! mkdir '$M/anon' 2>/dev/null"

# clog alice against server b: venus has no pin for b, so add b's.
FPB=$(sed -n 's/^vice: certificate SHA-256 fingerprint //p' "$HT_TMP/vice.b/vice.log" | tail -n 1)
[ -n "$FPB" ] || ht_hard "no fingerprint line in b's log"
printf '127.0.0.1:%s %s\n' "$PB" "$FPB" >>"$(ht_cachedir v)/known_servers"
ht_check "clog alice against server b" \
	bash -c "HESPER_CTL='$(ht_ctl v)' timeout -k 5 60 '$CLOG' -host 127.0.0.1:$PB -pipe alice <'$PW'"
TOK=$(awk '$1 == 0 && $5 == "alice" { print $4 }' "$(ht_cachedir v)/tokens")
[ -n "$TOK" ] || ht_hard "venus holds no token of alice for uid 0"

# The token opens on both servers.
anon=$("$TOKENPROBE" 127.0.0.1 "$PA" -)
alice=$("$TOKENPROBE" 127.0.0.1 "$PA" "$TOK")
ht_note "server a: anonymous: $anon; with alice's token: $alice"
# All seven rights, and HS_R_SYSADMIN (0x80, protocol 6): an administrator.
ht_check "server a gives alice's token all rights on the root" \
	test "$alice" = "getattr 0 rights 0xff"
ht_check "... and anonymous callers only rl" test "$anon" != "$alice"
ht_check "server a logged a call as alice" grep -q 'calls as id 5000 ' "$HT_TMP/vice.a/vice.log"
"$TOKENPROBE" 127.0.0.1 "$PB" "$TOK" >/dev/null
ht_check "server b logged a call as alice" grep -q 'calls as id 5000 ' "$HT_TMP/vice.b/vice.log"
ht_check "through venus on a, alice (an administrator) may mkdir" mkdir "$M/by_alice"

# A pdbtool change reaches the servers (pdb_generation, at most ~1 s).
ht_check "pdbtool rg System:Administrators alice" pdb rg System:Administrators alice
not_admin() { [ "$("$TOKENPROBE" 127.0.0.1 "$PA" "$TOK")" != "getattr 0 rights 0xff" ]; }
ht_check "server a sees alice leave System:Administrators" ht_wait_for 30 not_admin

# A server with a key of its own refuses to join the realm.
mkdir -p "$HT_TMP/vice.c/root"
(umask 077 && head -c 32 /dev/urandom >"$HT_TMP/vice.c/root/auth.key")
ht_check "a server whose auth.key differs refuses to start" \
	bash -c "! timeout -k 5 60 '$VICE' -f -r '$HT_TMP/vice.c/root' -l 127.0.0.1 -p 0 ${EARGS[*]} >'$HT_TMP/vice.c/vice.log' 2>&1"
ht_check "... and says why" grep -q 'auth.key differs from the realm' "$HT_TMP/vice.c/vice.log"

ht_done
