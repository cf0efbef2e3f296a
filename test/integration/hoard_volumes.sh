#!/bin/bash
# Hoarding across mount points (issue 10): entries below a mount point,
# in other volumes, are walked connected and found in the cache offline.
# Venus A makes vol2 (mounted at v2) and vol3 (mounted at proj/v3, inside
# a directory of the realm's root volume) and writes files in both.
# Venus B, which never looked at them, hoards v2/f (a file in vol2) and
# proj with d+ (its descendants, across the mount point into vol3); a walk
# fetches them all, `hoard verify` finds every entry in the cache, and with
# vice stopped B still reads the three files and verify still says so,
# also after B restarts over its cache.
source "$(dirname "$0")/lib.sh"

HOARD=${HOARD:-$top_builddir/tools/hoard}
VOLUTIL=${VOLUTIL:-$top_builddir/tools/volutil}
[ -x "$HOARD" ] || ht_hard "$HOARD not built (run make first)"
[ -x "$VOLUTIL" ] || ht_hard "$VOLUTIL not built (run make first)"
ht_hoard() {
	local name=$1
	shift
	HESPER_CTL=$(ht_ctl "$name") timeout -k 5 120 "$HOARD" "$@"
}
vu() { ht_t "$VOLUTIL" -h "127.0.0.1:$VICE_PORT" -d "$VICE_ROOT/root" "$@"; }

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

vu create vol2 >"$HT_TMP/vu" 2>&1 || ht_hard "volutil create vol2: $(cat "$HT_TMP/vu")"
vu create vol3 >"$HT_TMP/vu" 2>&1 || ht_hard "volutil create vol3: $(cat "$HT_TMP/vu")"
mkdir -p "$A/proj" || ht_hard "mkdir $A/proj"
ht_cfs A mkmount "$A/v2" vol2 >"$HT_TMP/mk" 2>&1 || ht_hard "cfs mkmount v2: $(cat "$HT_TMP/mk")"
ht_cfs A mkmount "$A/proj/v3" vol3 >"$HT_TMP/mk" 2>&1 ||
	ht_hard "cfs mkmount proj/v3: $(cat "$HT_TMP/mk")"
ht_t sh -c "echo in-vol2 >'$A/v2/f' && echo not-hoarded >'$A/v2/g' &&
	echo in-root >'$A/proj/r' && mkdir '$A/proj/v3/sub' &&
	echo in-vol3 >'$A/proj/v3/sub/h'" || ht_hard "cannot write in the three volumes"
ht_check "A's writes reached vice" ht_wait_drained A

ht_check "hoard add a file below a mount point" ht_hoard B add "$B/v2/f" 100
ht_check "hoard add a directory holding a mount point (d+)" ht_hoard B add "$B/proj" 50:d+
ht_hoard B walk >"$HT_TMP/walk" 2>&1 || ht_fail "hoard walk: $(tr '\n' ';' <"$HT_TMP/walk")"
ht_note "walk: $(tr '\n' ';' <"$HT_TMP/walk")"
verify() { HESPER_CTL=$(ht_ctl B) "$HOARD" verify; }
verify >"$HT_TMP/verify" 2>&1
ht_note "verify: $(tr '\n' ';' <"$HT_TMP/verify")"
# v2/f; proj, proj/r, proj/v3 (vol3's root), proj/v3/sub, proj/v3/sub/h
ht_check "hoard verify: all 6 objects known through the mount points" \
	grep -qx '6 hoarded objects known, 0 not cached' "$HT_TMP/verify"

ht_vice_stop
ht_check "vice down: the hoarded file in vol2 reads" ht_has_content "$B/v2/f" in-vol2
ht_check "vice down: the file in the root volume reads" ht_has_content "$B/proj/r" in-root
ht_check "vice down: the file in vol3 (d+ across the mount point) reads" \
	ht_has_content "$B/proj/v3/sub/h" in-vol3
verify >"$HT_TMP/verify" 2>&1
ht_note "verify offline: $(tr '\n' ';' <"$HT_TMP/verify")"
ht_check "vice down: hoard verify still finds them" \
	grep -qx '6 hoarded objects known, 0 not cached' "$HT_TMP/verify"

# A venus restarted over its cache knows the mount points it crossed.
ht_venus_stop B
ht_venus_start B
ht_check "restarted, vice down: the file in vol3 reads" \
	ht_has_content "$B/proj/v3/sub/h" in-vol3
verify >"$HT_TMP/verify" 2>&1
ht_note "verify after restart: $(tr '\n' ';' <"$HT_TMP/verify")"
ht_check "restarted, vice down: hoard verify still finds them" \
	grep -qx '6 hoarded objects known, 0 not cached' "$HT_TMP/verify"
ht_done
