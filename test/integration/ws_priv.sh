#!/bin/bash
# One workstation, many users: who may do what through cfs.  User nobody
# is refused (EPERM, a clear message, venus unchanged) the commands that
# change state every user shares; nobody's listcache, getfid, getpath and
# listlocal show only what nobody may see: not a file in root's 0700
# directory, not root's CML records or hoard entries, but nobody's own.
source "$(dirname "$0")/disc_lib.sh"

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
"${NOBODY[@]}" true 2>/dev/null || ht_skip "cannot run as user nobody (setpriv)"

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)
SOCK=$(ht_ctl A)
install -m 755 "$CFS" "$HT_TMP/cfs"
# ncfs ARGS: cfs as nobody.
ncfs() { HESPER_CTL=$SOCK "${NOBODY[@]}" "$HT_TMP/cfs" "$@"; }

# ---- shared state is root's ----
for cmd in disconnect reconnect "wd -age 5" strong flushcache "zonelimit 10 20"; do
	# shellcheck disable=SC2086
	out=$(ncfs $cmd 2>&1) && ht_fail "nobody's cfs $cmd succeeded"
	ht_check "nobody's cfs $cmd is refused with EPERM and says why (${out:0:120})" \
		grep -q 'Operation not permitted (only root may do this' <<<"$out"
done
ht_check "venus is still connected" test "$(dt_state A)" = Connected
out=$(ncfs --json disconnect 2>/dev/null) || true
ht_check "JSON refusal carries errno EPERM (1)" grep -q '"errno":1}' <<<"$out"

# ---- what nobody sees ----
mkdir -m 700 "$A/private" && printf 'root only\n' >"$A/private/secret"
mkdir -m 777 "$A/shared" && printf 'all\n' >"$A/shared/open"
cat "$A/private/secret" "$A/shared/open" >/dev/null
ht_cfs A listcache >"$HT_TMP/lc.root" 2>&1
ht_check "root's listcache shows the private file" grep -q '/private/secret$' "$HT_TMP/lc.root"
ncfs listcache >"$HT_TMP/lc.nobody" 2>&1 || ht_fail "nobody's listcache failed: $(cat "$HT_TMP/lc.nobody")"
ht_check "nobody's listcache shows the shared file" grep -q '/shared/open$' "$HT_TMP/lc.nobody"
ht_check "nobody's listcache hides the private file" bash -c '! grep -q "secret" "$1"' _ "$HT_TMP/lc.nobody"
ncfs --json listcache >"$HT_TMP/lc.nobody.json" 2>&1
ht_check "nobody's JSON listcache hides it too" bash -c '! grep -q "secret" "$1"' _ "$HT_TMP/lc.nobody.json"
fid=$(ht_cfs A --json getfid "$A/private/secret" | python3 -c 'import json,sys; f = json.load(sys.stdin)["fids"][0]; print(f["fid"] + "@" + f["realm"])')
out=$(ncfs getpath "$fid" 2>&1) && ht_fail "nobody's getpath of the private file succeeded: $out"
ht_check "nobody's getpath does not name the private file" bash -c '! grep -q secret <<<"$1"' _ "$out"
root_getpath() { ht_cfs A getpath "$1" | grep -q secret; }
ht_check "root's getpath names it" root_getpath "$fid"
out=$(ncfs getfid "$A/private/secret" 2>&1) && ht_fail "nobody's getfid of the private file succeeded: $out"
ht_check "nobody's getfid of the private file gives no fid" bash -c '! grep -q "FID =" <<<"$1"' _ "$out"

# root's hoard entries are root's to see.
HOARD=$top_builddir/tools/hoard
install -m 755 "$HOARD" "$HT_TMP/hoard"
ht_check "root hoards the private directory" env HESPER_CTL="$SOCK" "$HOARD" add "$A/private" 50:d
ht_check "root's hoard list shows it" bash -c 'HESPER_CTL="$1" "$2" list | grep -q private' _ "$SOCK" "$HOARD"
out=$(HESPER_CTL=$SOCK "${NOBODY[@]}" "$HT_TMP/hoard" list 2>&1) || ht_fail "nobody's hoard list failed: $out"
ht_check "nobody's hoard list hides root's entry" bash -c '! grep -q private <<<"$1"' _ "$out"
out=$(HESPER_CTL=$SOCK "${NOBODY[@]}" "$HT_TMP/hoard" add "$A/shared" 10 2>&1) && ht_fail "nobody changed the hoard database"

# ---- CML records: each user sees their own ----
ht_check "root disconnects" ht_cfs A disconnect
"${NOBODY[@]}" sh -c 'printf mine >"$1"' _ "$A/shared/nobodys" || ht_fail "nobody cannot write in $A/shared"
printf 'roots' >"$A/shared/roots"
ht_cfs A listlocal >"$HT_TMP/ll.root" 2>&1
ht_check "root's listlocal shows both records" bash -c 'grep -q nobodys "$1" && grep -q roots "$1"' _ "$HT_TMP/ll.root"
ncfs listlocal >"$HT_TMP/ll.nobody" 2>&1 || ht_fail "nobody's listlocal failed: $(cat "$HT_TMP/ll.nobody")"
ht_check "nobody's listlocal shows nobody's record" grep -q nobodys "$HT_TMP/ll.nobody"
ht_check "nobody's listlocal hides root's record" bash -c '! grep -q "shared/roots" "$1"' _ "$HT_TMP/ll.nobody"
ncfs checklocal >"$HT_TMP/cl.nobody" 2>&1
ht_check "nobody's checklocal names no record of root's" bash -c '! grep -q "shared/roots" "$1"' _ "$HT_TMP/cl.nobody"
ht_check "root reconnects" ht_cfs A reconnect
ht_wait_drained A 60 || ht_fail "A did not reintegrate"
ht_check "both files reached vice" bash -c 'test "$(cat "$1/shared/nobodys")" = mine && test "$(cat "$1/shared/roots")" = roots' _ "$A"

ht_done
