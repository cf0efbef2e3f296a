#!/bin/bash
# Mount points and the realm directory (issue 10), through the kernel.
#
# The mount (/coda) is venus's own read-only directory of realms: it
# lists the realm, is mode 0555, and mkdir in it is EACCES.  A second
# volume made with volutil create and mounted with cfs mkmount is crossed
# by lookup: stat of the mount point shows a directory (the volume's
# root), ls -la lists it, `..` of the volume root is the mount point's
# directory (cd -P back), cfs lsmount names the volume; rename and link
# across the two volumes fail with EXDEV (mv then copies) and nothing is
# logged; a second client sees the volume's files through the mount
# point; cfs rmmount removes the link and leaves the volume.  With vice
# down, a venus restarted over its cache still lists the realm and crosses
# the cached mount point.
source "$(dirname "$0")/lib.sh"
VOLUTIL=${VOLUTIL:-$top_builddir/tools/volutil}
[ -x "$VOLUTIL" ] || ht_hard "$VOLUTIL not built (run make first)"

ht_vice_start
ht_venus_start A
# ht_mnt is the realm's directory once lib.sh knows realms (ht_mnt_top
# the raw mount); before that it is the raw mount.
if declare -F ht_mnt_top >/dev/null; then
	TOP=$(ht_mnt_top A)
	R=$(ht_mnt A)
else
	TOP=$(ht_mnt A)
	R=$TOP/$(ht_t ls "$TOP" | head -n 1)
fi
realm=${R##*/}

# ---- the realm directory ------------------------------------------------------

ht_check "the realm directory lists the realm ($realm)" \
	test "$(ht_t ls "$TOP")" = "$realm"
ht_check "the realm directory is mode 555 ($(stat -c %a "$TOP"))" \
	test "$(stat -c %a "$TOP")" = 555
ht_check "the realm's root is a directory" test -d "$R"
_mp_eacces() {
	local out
	out=$(ht_t "$@" 2>&1) && return 1
	grep -q "Permission denied" <<<"$out" || { printf '  %s\n' "$out" >&2; return 1; }
}
ht_check "mkdir in the realm directory: EACCES" _mp_eacces mkdir "$TOP/x"
ht_check "touch in the realm directory: EACCES" _mp_eacces touch "$TOP/x"
ht_check "an unknown realm is ENOENT" test ! -e "$TOP/no-such-realm.invalid"
ht_check "$R/.. is the realm directory" \
	test "$(stat -c %i "$R/..")" = "$(stat -c %i "$TOP")"

# ---- a second volume, mounted -------------------------------------------------

ht_t "$VOLUTIL" -h "127.0.0.1:$VICE_PORT" -d "$VICE_ROOT/root" create vol2 >"$HT_TMP/vu" 2>&1 ||
	ht_hard "volutil create vol2: $(cat "$HT_TMP/vu")"
if ! ht_cfs A mkmount "$R/v2" vol2 >"$HT_TMP/mk" 2>&1; then
	grep -qi "not implemented\|function not\|unknown command" "$HT_TMP/mk" &&
		ht_skip "cfs mkmount is not in this build: $(cat "$HT_TMP/mk")"
	ht_hard "cfs mkmount $R/v2 vol2: $(cat "$HT_TMP/mk")"
fi

ht_check "stat of the mount point shows a directory" test -d "$R/v2"
ht_check "lstat too (the kernel sees the volume's root)" \
	test "$(stat -c %F "$R/v2")" = directory
ht_check "the mount point is listed as a directory" \
	ht_t find "$R" -maxdepth 1 -name v2 -type d -print -quit
ht_t sh -c "echo in-vol2 >'$R/v2/f' && mkdir '$R/v2/sub' && echo in-root >'$R/g'" ||
	ht_fail "cannot write in both volumes"
ht_t ls -la "$R/v2" >"$HT_TMP/ls" 2>&1 || ht_fail "ls -la $R/v2: $(cat "$HT_TMP/ls")"
ht_check "ls -la across the mount point shows f and sub" \
	sh -c "grep -q ' f\$' '$HT_TMP/ls' && grep -q ' sub\$' '$HT_TMP/ls'"
ht_check "cd -P into the volume and back out by .." \
	test "$(cd -P "$R/v2/sub" && cd -P ../.. && stat -c %i .)" = "$(stat -c %i "$R")"
ht_check "$R/v2/.. is the mount point's directory" \
	test "$(stat -c %i "$R/v2/..")" = "$(stat -c %i "$R")"
ht_check "the volume root has its own inode" \
	test "$(stat -c %i "$R/v2")" != "$(stat -c %i "$R")"
ht_check "cfs lsmount names the volume" \
	sh -c "HESPER_CTL='$(ht_ctl A)' '$CFS' lsmount '$R/v2' | grep -q vol2"

# ---- across volumes: EXDEV ----------------------------------------------------

_mp_exdev() {
	python3 - "$@" <<'EOF'
import errno, os, sys
op, a, b = sys.argv[1:4]
try:
    (os.rename if op == "rename" else os.link)(a, b)
except OSError as e:
    sys.exit(0 if e.errno == errno.EXDEV else 1)
sys.exit(1)
EOF
}
ht_check "rename of a file into the other volume: EXDEV" _mp_exdev rename "$R/g" "$R/v2/g"
ht_check "rename out of the volume: EXDEV" _mp_exdev rename "$R/v2/f" "$R/f"
ht_check "rename of a directory across: EXDEV" _mp_exdev rename "$R/v2/sub" "$R/sub"
ht_check "link across the volumes: EXDEV" _mp_exdev link "$R/g" "$R/v2/g"
ht_check "ln across the volumes fails" sh -c "! ln '$R/g' '$R/v2/g2' 2>/dev/null"
ht_check "mv across copies (and still works)" ht_t mv "$R/g" "$R/v2/g"
ht_check "moved file's contents" ht_has_content "$R/v2/g" in-root
ht_check "rename inside the volume works" ht_t mv "$R/v2/f" "$R/v2/f2"
_mp_nothing_logged() {
	local out
	out=$(ht_cfs A --json lv "$R" 2>&1) || { printf '  %s\n' "$out" >&2; return 1; }
	python3 -c 'import json, sys; v = json.loads(sys.argv[1])["volumes"]
sys.exit(not all(x["cml_entries"] == 0 for x in v))' "$out"
}
ht_check "nothing was logged (the CML is empty)" _mp_nothing_logged

# ---- a second client sees it --------------------------------------------------

ht_venus_start B
if declare -F ht_mnt_top >/dev/null; then RB=$(ht_mnt B); else RB=$(ht_mnt B)/$realm; fi
ht_check "B crosses the mount point" ht_has_content "$RB/v2/f2" in-vol2
ht_check "B sees the moved file in vol2" ht_has_content "$RB/v2/g" in-root

# ---- rmmount ------------------------------------------------------------------

ht_check "cfs rmmount" ht_cfs A rmmount "$R/v2"
ht_check "the mount point is gone" test ! -e "$R/v2"
ht_check "the volume stays (volutil list)" \
	sh -c "'$VOLUTIL' -h '127.0.0.1:$VICE_PORT' -d '$VICE_ROOT/root' list | grep -q vol2"

# ---- vice down: the cached realm root and mount point still serve -------------

ht_check "cfs mkmount again" ht_cfs A mkmount "$R/again" vol2
ht_check "read through the new mount point" ht_has_content "$R/again/f2" in-vol2
ht_venus_stop B
ht_venus_stop A
ht_vice_stop
ht_venus_start A
ht_check "vice down: the realm directory lists the realm" test "$(ht_t ls "$TOP")" = "$realm"
ht_check "vice down: A crosses the cached mount point" ht_has_content "$R/again/f2" in-vol2
ht_check "vice down: .. of the volume root" \
	test "$(stat -c %i "$R/again/..")" = "$(stat -c %i "$R")"
ht_done
