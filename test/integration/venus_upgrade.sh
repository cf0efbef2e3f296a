#!/bin/bash
# Cache directories made by earlier releases keep working.  The fixtures
# in test/integration/fixtures hold a release's vice store and venus
# cachedir, made by fixtures/mk_venus_fixture.sh (A cached a tree, was
# disconnected, logged 9 CML records, hoarded proj 100:d).
#
# venus_v1 (venus.db schema version 1): this venus opens it with vice
# down, migrates the schema, lists the CML, shows the hoard entry and
# serves the cached files from their containers without a fetch.  When
# vice is back and A reconnects, root's records wait for a token (vice
# refuses System:AnyUser), none turns into a conflict; after clog root,
# reintegration applies them and a second client sees them.
# venus_v2 (version 2, the release before the SQL layer): venus C opens
# it with its vice down, migrates it to version 3 (each CML record gets
# uid 0: venus made every call as root then), and shows the same.
# Version 4 made /coda a directory of realms: the old root moves to
# /coda/<realm> (its ino leaves 1), hoard paths gain the realm.
HT_TIMEOUT=${HT_TIMEOUT:-240}
source "$(dirname "$0")/disc_lib.sh"
HOARD=${HOARD:-$top_builddir/tools/hoard}
[ -x "$HOARD" ] || ht_hard "$HOARD not built (run make first)"
fixtures=$top_srcdir/test/integration/fixtures
fixture=$fixtures/venus_v1.tar.gz

tar -xzf "$fixture" -C "$HT_TMP" || ht_hard "cannot unpack $fixture"
# The same vice (its TLS key is in the fixture) on a port free here.
DT_VICE_PORT=$(ht_free_port)
VICE_PORT=$DT_VICE_PORT
sed -i "s/^127\.0\.0\.1:[0-9]* /127.0.0.1:$DT_VICE_PORT /" "$(ht_cachedir A)/known_servers"
# The realm's directory: ht_mnt once lib.sh knows realms, else the realm
# named after the server (venus.conf sets no realm here).
_vu_mnt() {
	if declare -F ht_mnt_top >/dev/null; then ht_mnt "$1"; else printf '%s\n' "$(ht_mnt "$1")/127.0.0.1"; fi
}
A=$(_vu_mnt A)

# ---- the old cache, vice down -----------------------------------------------

# The schema this venus writes (it grows with features: 5 has volume stamps).
SCHEMA=$(sed -n 's/^#define DB_SCHEMA_VERSION //p' "$top_srcdir/venus/store/db.h")
probe=(-o serverprobe=2)
dt_venus_accepts serverprobe=2 || probe=()
ht_venus_start A "${probe[@]}"
ht_check "venus logs the migration of venus.db from version 1" \
	grep -q "venus.db: schema version 1 migrated to $SCHEMA" "$HT_TMP/A/venus.log"
ht_check "A says Disconnected" test "$(dt_state A)" = Disconnected
ht_check "A kept its 9 CML records (cfs lv: $(dt_pending A))" test "$(dt_pending A)" = 9
# listlocal of the mount itself: every record (of every volume).
ht_cfs A listlocal "${A%/*}" >"$HT_TMP/listlocal" 2>&1 || ht_fail "cfs listlocal failed: $(cat "$HT_TMP/listlocal")"
for want in "Store 	$A/cached (length = 29)" "Create 	$A/d/new" "Mkdir 	$A/newdir" \
	"Store 	$A/newdir/f (length = 13)" "Rename 	$A/d/inner.renamed" \
	"Remove 	$A/d/gone" "Setattr 	$A/d/numbers" \
	"9 entries total in the modify log"; do
	ht_check "cfs listlocal shows: $want" grep -qF "$want" "$HT_TMP/listlocal"
done
HESPER_CTL=$(ht_ctl A) ht_t "$HOARD" list >"$HT_TMP/hoardlist" 2>&1 || ht_fail "hoard list failed"
ht_check "hoard list shows the entry" grep -qx "add $A/proj 100:d	# uid 0" "$HT_TMP/hoardlist"

f0=$(ht_stat A fetches)
ht_check "A reads a file it changed offline" ht_has_content "$A/cached" "$(printf 'cached on A\nappended offline')"
ht_check "A reads a file created offline" ht_has_content "$A/d/new" "created offline"
ht_check "A reads a renamed file" ht_has_content "$A/d/inner.renamed" "cached in d"
ht_check "A reads a hoarded file" ht_has_content "$A/proj/h1" "hoarded"
ht_check "A reads its cached 3000 lines" cmp <(seq 1 3000) "$A/d/numbers"
ht_check "the removed file stays removed" test ! -e "$A/d/gone"
ht_check "the offline chmod holds" test "$(stat -c %a "$A/d/numbers")" = 600
ht_check "no fetch was needed (fetches $f0 -> $(ht_stat A fetches))" \
	test "$(ht_stat A fetches)" = "$f0"

# ---- vice back, reconnect, reintegrate ----------------------------------------

# A started with vice down, so the harness could not clog root: A
# reintegrates as System:AnyUser, vice refuses that (the volume's ACL
# gives System:AnyUser rl), and root's records wait for a token without
# becoming conflicts.  clog then lets them go.
dt_vice_restart
ht_cfs A reconnect >/dev/null 2>&1 || true
_vu_waits() { grep -q "reintegration of uid 0's records pending tokens" "$HT_TMP/A/venus.log"; }
ht_check "A's records wait for root's token" ht_wait_for 90 _vu_waits
ht_check "none became a conflict ($(dt_conflicts_n A))" test "$(dt_conflicts_n A)" = 0
ht_check "all 9 are still pending ($(dt_pending A))" test "$(dt_pending A)" = 9
ht_check "clog root on A" ht_clog A
ht_check "A reintegrates its 9 records (0 pending within 90 s)" dt_wait_pending A 90 0
ht_check "A says Connected" test "$(dt_state A)" = Connected
ht_venus_start B
B=$(_vu_mnt B)
ht_check "B sees the offline append" ht_has_content "$B/cached" "$(printf 'cached on A\nappended offline')"
ht_check "B sees the offline create" ht_has_content "$B/d/new" "created offline"
ht_check "B sees the offline mkdir + create" ht_has_content "$B/newdir/f" "in a new dir"
ht_check "B sees the offline rename" ht_has_content "$B/d/inner.renamed" "cached in d"
ht_check "B no longer sees the old name" test ! -e "$B/d/inner"
ht_check "B no longer sees the removed file" test ! -e "$B/d/gone"
ht_check "B sees the offline chmod" test "$(stat -c %a "$B/d/numbers")" = 600
ht_check "A and B list the same tree" dt_same_listing "$A" "$B"
ht_check "hoard walk on A succeeds" bash -c "HESPER_CTL='$(ht_ctl A)' timeout -k 5 120 '$HOARD' walk"

# ---- the migrated cache opens again, with nothing to migrate ------------------

ht_venus_stop A
ht_venus_start A
ht_check "the second start migrates nothing" \
	test "$(grep -c 'venus.db: schema version 1 migrated' "$HT_TMP/A/venus.log")" = 1
ht_check "A still has no pending records" test "$(dt_pending A)" = 0
ht_check "A still shows the hoard entry" bash -c \
	"HESPER_CTL='$(ht_ctl A)' '$HOARD' list | grep -qx 'add $A/proj 100:d	# uid 0'"
ht_check "A reads its file" ht_has_content "$A/cached" "$(printf 'cached on A\nappended offline')"

# ---- a version 2 cache (its vice is not here: C stays disconnected) ----------

mkdir -p "$HT_TMP/v2" "$HT_TMP/C"
tar -xzf "$fixtures/venus_v2.tar.gz" -C "$HT_TMP/v2" || ht_hard "cannot unpack venus_v2.tar.gz"
mv "$HT_TMP/v2/A/cache" "$HT_TMP/C/cache"
C=$(_vu_mnt C)
# No vice there: nothing to clog.
HT_NO_CLOG=1 ht_venus_start C "${probe[@]}" --server "127.0.0.1:$(ht_free_port)"
ht_check "C migrates version 2 to $SCHEMA" grep -q "venus.db: schema version 2 migrated to $SCHEMA" \
	"$HT_TMP/C/venus.log"
ht_check "C's 9 CML records are root's (uid 0)" test \
	"$(sqlite3 "$(ht_cachedir C)/venus.db" 'SELECT COUNT(*) FROM cml WHERE uid = 0')" = 9
ht_check "C says Disconnected" test "$(dt_state C)" = Disconnected
ht_check "C kept its 9 CML records" test "$(dt_pending C)" = 9
ht_check "cfs listlocal on C names 9 records" bash -c \
	"HESPER_CTL='$(ht_ctl C)' '$CFS' listlocal '${C%/*}' | grep -q '^9 entries total in the modify log'"
ht_check "hoard list on C shows the entry" bash -c \
	"HESPER_CTL='$(ht_ctl C)' '$HOARD' list | grep -qx 'add $C/proj 100:d	# uid 0'"
ht_check "C reads a file changed offline" ht_has_content "$C/cached" "$(printf 'cached on A\nappended offline')"
ht_check "C reads a renamed file" ht_has_content "$C/d/inner.renamed" "cached in d"
ht_check "C reads its cached 3000 lines" cmp <(seq 1 3000) "$C/d/numbers"
ht_check "C needed no fetch" test "$(ht_stat C fetches)" = 0
ht_done
