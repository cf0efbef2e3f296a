#!/bin/bash
# cfs's volume commands in Coda 8's wording (doc/cfs.1), on one vice with
# two volumes: lv's quota lines, whereis, setquota, mkmount, lsmount,
# getmountpoint, rmmount, checkvolumes, flushvolume, getfid/getpath of the
# second volume's fids, and --json of each.  The mount itself (the
# directory of realms) holds no volume.
source "$(dirname "$0")/lib.sh"
VOLUTIL=${VOLUTIL:-$top_builddir/tools/volutil}
[ "$HT_REALM_DIRS" = 1 ] || ht_skip "needs the realm directory (HT_REALM_DIRS=1)"
[ -x "$VOLUTIL" ] || ht_skip "needs volutil (the vol branch)"

ht_vice_start
ht_venus_start A
R=$(ht_mnt A)
TOP=$(ht_mnt_top A)
SRV=127.0.0.1:$VICE_PORT

says() { ht_check "$1" grep -Eq -- "$2" <<<"$3"; }
json_is() {
	local expr=$1 out
	shift
	out=$(ht_cfs A --json "$@" 2>/dev/null) || true
	python3 -c 'import json, sys; d = json.loads(sys.argv[2]); sys.exit(not eval(sys.argv[1]))' \
		"$expr" "$out" || { echo "  cfs --json $*: $out" >&2; return 1; }
}

ht_t "$VOLUTIL" -h "$SRV" -d "$VICE_ROOT/root" create v2 -quota 500 >/dev/null ||
	ht_hard "volutil create v2 failed"

# ---- lv: Coda 8's quota lines -------------------------------------------------------
out=$(ht_cfs A lv "$R" 2>&1) || ht_fail "cfs lv $R exited $? ($out)"
printf '%s\n' "$out" | sed 's/^/    /'
says "lv: '  Minimum quota is N, maximum quota is unlimited'" \
	'^  Minimum quota is [0-9]+, maximum quota is unlimited$' "$out"
says "lv: '  Current blocks used are N'" '^  Current blocks used are [0-9]+$' "$out"
says "lv: '  The partition has N blocks available out of N'" \
	'^  The partition has [0-9]+ blocks available out of [0-9]+$' "$out"
out=$(ht_cfs A lv -local "$R" 2>&1) || true
ht_check "lv -local: no quota lines (venus alone)" eval '! grep -q "quota" <<<"$out"'
rc=0; out=$(ht_cfs A lv "$TOP" 2>&1) || rc=$?
ht_check "lv of the directory of realms fails (exit $rc)" test "$rc" -ne 0
says "... naming the realm's directory" "Invalid argument .*$R\\)\$" "$out"

# ---- mkmount, lsmount ------------------------------------------------------------------
ht_check "mkmount (mkm) $R/v2 v2 is silent" test -z "$(ht_cfs A mkm "$R/v2" v2 2>&1)"
ht_check "the mount point is a directory" test -d "$R/v2"
out=$(ht_cfs A lsmount "$R/v2" 2>&1) || ht_fail "lsmount exited $?"
says "lsmount: 'Mount point for volume \"v2\"'" '^Mount point for volume "v2"$' "$out"
echo plain >"$R/plain"
out=$(ht_cfs A lsmount "$R/plain" 2>&1) || true
says "lsmount of a file: 'Not a mount point'" '^Not a mount point$' "$out"
out=$(ht_cfs A lsmount "$R/v2" "$R/plain" 2>&1) || true
says "lsmount of two: each line starts with the path" "^ +$R/v2  Mount point for volume \"v2\"\$" "$out"
json_is 'd["mountpoints"][0]["volume"] == "v2"' lsmount "$R/v2"
json_is 'd["mountpoints"][0]["volume"] is None' lsmount "$R/plain"
rc=0; out=$(ht_cfs A mkmount "$R/v3" no-such-volume 2>&1) || rc=$?
ht_check "mkmount of an unknown volume fails (exit $rc): $out" test "$rc" -ne 0

# ---- whereis, lv of two volumes -----------------------------------------------------
out=$(ht_cfs A whereis "$R/v2" 2>&1) || ht_fail "whereis exited $?"
says "whereis: '  HOST:PORT'" "^  $SRV\$" "$out"
out=$(ht_cfs A whereis "$R" "$R/v2" 2>&1) || ht_fail "whereis of two exited $?"
says "whereis of two: '  PATH:    HOST:PORT'" "^  $R/v2:    $SRV\$" "$out"
json_is 'd["locations"][0]["servers"] == ["'"$SRV"'"] and d["locations"][0]["realm"] == "'"$HT_REALM"'"' whereis "$R/v2"
out=$(ht_cfs A lv "$R" "$R/v2" 2>&1) || ht_fail "lv of two exited $?"
says "lv of two: v2 named" '^  Status of volume [0-9a-f]{8} \([0-9]+\) named "v2"$' "$out"
says "lv of two: v2's maximum is 500" '^  Minimum quota is 0, maximum quota is 500$' "$out"
says "lv of two: '  PATH:' before each" "^  $R/v2:\$" "$out"
json_is 'len(d["volumes"]) == 2 and d["volumes"][1]["name"] == "v2" and d["volumes"][1]["max_quota"] == 500' \
	lv "$R" "$R/v2"

# ---- setquota ----------------------------------------------------------------------
out=$(ht_cfs A setquota "$R/v2" 800 2>&1) || ht_fail "setquota exited $? ($out)"
says "setquota: Coda's 'maximum quota is 500'" '^maximum quota is 500$' "$out"
says "setquota: Coda's 'New value of vs->MaxQuota will be set to 800'" \
	'^New value of vs->MaxQuota will be set to 800$' "$out"
json_is 'd["volumes"][0]["max_quota"] == 800' lv "$R/v2"
json_is 'd["old_max_quota"] == 800 and d["max_quota"] == 0' sq "$R/v2" 0
rc=0; ht_cfs A setquota "$R/v2" lots >/dev/null 2>&1 || rc=$?
ht_check "setquota with a bad count fails (exit $rc)" test "$rc" -ne 0

# ---- fids of the second volume; getmountpoint -----------------------------------------
echo in-v2 >"$R/v2/f"
out=$(ht_cfs A getfid "$R/v2/f" 2>&1) || ht_fail "getfid exited $?"
fid=$(sed -n 's/^FID = \([^ ]*\) .*/\1/p' <<<"$out")
says "getfid in v2: @$HT_REALM" "^FID = [0-9a-f]+\\.[0-9a-f]+\\.[0-9a-f]+@$HT_REALM " "$out"
out=$(ht_cfs A getpath "$fid" 2>&1) || ht_fail "getpath $fid exited $?"
says "getpath of v2's fid" "^	$R/v2/f\$" "$out"
vid=${fid%%.*}
out=$(ht_cfs A getmountpoint "$vid@$HT_REALM" 2>&1) || ht_fail "getmountpoint exited $? ($out)"
says "getmountpoint (Coda's 'VOLID@REALM:  PATH')" "^$vid@$HT_REALM:  $R/v2\$" "$out"
json_is 'd["mountpoints"][0]["path"] == "'"$R/v2"'"' gmt "$vid@$HT_REALM"
rc=0; ht_cfs A getmountpoint "fffff@$HT_REALM" >/dev/null 2>&1 || rc=$?
ht_check "getmountpoint of an unknown volume fails (exit $rc)" test "$rc" -ne 0

# ---- checkvolumes, flushvolume, checkservers --------------------------------------
ht_check "checkvolumes is silent" test -z "$(ht_cfs A checkvolumes 2>&1)"
ht_check "flushvolume of v2 is silent" test -z "$(ht_cfs A flushvolume "$R/v2" 2>&1)"
ht_check "v2 reads again after flushvolume and checkvolumes" ht_has_content "$R/v2/f" in-v2
json_is 'd["all_up"] and d["servers"][0]["name"] == "'"$SRV"'"' checkservers

# ---- rmmount ---------------------------------------------------------------------------
rc=0; ht_cfs A rmmount "$R/plain" >/dev/null 2>&1 || rc=$?
ht_check "rmmount of a file refuses (exit $rc)" test "$rc" -ne 0
ht_check "... and leaves it" test -f "$R/plain"
ht_check "rmmount (rmm) is silent" test -z "$(ht_cfs A rmm "$R/v2" 2>&1)"
ht_check "the mount point is gone" test ! -e "$R/v2"
ht_check "the volume stays" bash -c "'$VOLUTIL' -h '$SRV' -d '$VICE_ROOT/root' list | grep -qw v2"
ht_done
