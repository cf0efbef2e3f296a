#!/bin/bash
# Write-back mode (`cfs wd`) under tar -x: every name made or removed in
# the log stays as the log says while the trickle reintegrates beside it.
#
# 0. A directory made in wd mode, looked up again by the kernel (its
#    dentry gone) while its mkdir waits in the log: vice's ENOENT came back
#    (bench/scale.sh CREATE=wd: a mkdir failed after 1000+ files, the
#    kernel's 10 s entry timeout).
# 1. tar -x of a generated tree (a few hundred files in nested new
#    directories) on A in wd mode with a 1 s age, `cfs fr` looping beside
#    it so that blocks are in flight while tar makes names in the
#    directories they create.
# 2. tar -x of the same archive over the tree B made (strong), A in wd
#    mode with the default age: tar meets every name (EEXIST), removes
#    it and makes it again.  A directory A never listed used to answer
#    lookups from vice after the logged remove: the name came back, tar
#    looped on EEXIST/unlink and logged a remove per turn (the bench's
#    tar -x of libxcrypt).
# 3. mkdirs and creates in a directory made while disconnected, after the
#    reconnect, while its records trickle (a mkdir there returned ENOENT
#    in bench/scale.sh).
# 4. A directory changed while disconnected that A never listed: after the
#    reconnect, with its records waiting, vice's listing used to replace
#    the log's names (a file made offline vanished, one removed came back).
# After each: `cfs fr`, the tree on B equals the source (diff -r), no
# conflicts, the CML empty.
HT_TIMEOUT=${HT_TIMEOUT:-900}
source "$(dirname "$0")/disc_lib.sh"

ht_two_clients

# The source: 12 directories up to 4 deep, 300 files (some empty, some
# executable), a few symlinks; and its archive.
SRC=$HT_TMP/src
/usr/bin/python3 - "$SRC" <<'PY'
import os, sys
root = sys.argv[1]
dirs = ["a", "a/b", "a/b/c", "a/b/c/d", "e", "e/f", "e/g", "e/g/h", "i", "i/j", "k", "k/l"]
for d in dirs:
    os.makedirs(os.path.join(root, d))
for n in range(300):
    d = dirs[n % len(dirs)]
    p = os.path.join(root, d, "file%03d%s" % (n, ".sh" if n % 7 == 0 else ".txt"))
    with open(p, "w") as f:
        f.write(("line %d of %s\n" % (n, p[len(root):])) * (n % 5))
    if n % 7 == 0:
        os.chmod(p, 0o755)
for n in range(6):
    os.symlink("file%03d.txt" % (n + 1), os.path.join(root, dirs[n], "link%d" % n))
PY
tar -C "$SRC" -cf "$HT_TMP/src.tar" .

# Every record gone, none in conflict.
log_clean() {
	local n c
	n=$(dt_pending A)
	c=$(dt_conflicts_n A)
	[ "$n" = 0 ] && [ "$c" = 0 ] && return 0
	printf '  A: %s records pending, %s conflicts\n' "$n" "$c" >&2
	return 1
}
# The conflict lines venus A logged so far.
conflict_lines() { grep -c 'CONFLICT' "$HT_TMP/A/venus.log" || true; }

# fr_loop: `cfs fr` on A again and again until $HT_TMP/fr.stop exists.
fr_loop() {
	while [ ! -e "$HT_TMP/fr.stop" ]; do
		HESPER_CTL=$(ht_ctl A) timeout -k 5 60 "$CFS" fr "$A" >/dev/null 2>&1 || true
		sleep 0.1
	done
}

# ---- 0: a directory made in wd mode, found again after the kernel forgot it --
# The root was never listed on A.  Once the kernel's dentry of zero is
# gone (entry timeout, here dropped at once), its lookup reaches venus:
# it must answer from the log (vice has no zero until the trickle), not
# ENOENT (bench/scale.sh's mkdir after 1000+ files).
ht_check "cfs wd on A" ht_cfs A wd
mkdir "$A/zero"
printf 'z\n' >"$A/zero/f"
sync
echo 2 >/proc/sys/vm/drop_caches
ht_check "0: mkdir in it after the kernel dropped its dentries" mkdir "$A/zero/sub"
ht_check "0: its file reads" ht_has_content "$A/zero/f" z
ht_check "0: records wait (wd)" test "$(dt_pending A)" -gt 0
dt_fr A
ht_check "0: cfs fr drains the log" test "$DT_FR_RC" -eq 0
ht_check "0: B sees zero/f and zero/sub" test -d "$B/zero/sub" -a -f "$B/zero/f"

# ---- 1: tar -x into new directories, trickle and cfs fr beside it ----------
ht_check "cfs wd -age 1 -time 1 on A" ht_cfs A wd -age 1 -time 1
rm -f "$HT_TMP/fr.stop"
fr_loop &
FR=$!
mkdir "$A/one"
ht_check "1: tar -x on A while cfs fr runs beside it" ht_t tar -C "$A/one" -xf "$HT_TMP/src.tar"
touch "$HT_TMP/fr.stop"
wait "$FR" || true
dt_fr A
ht_check "1: cfs fr drains the log" test "$DT_FR_RC" -eq 0
ht_check "1: no conflicts, CML empty" log_clean
ht_check "1: the tree on B equals the source" dt_same_tree "$SRC" "$B/one"
ht_check "1: and A's" dt_same_tree "$SRC" "$A/one"

# ---- 2: tar -x over the tree B made ------------------------------------------
mkdir "$B/two"
ht_check "2: B (strong) makes the tree" ht_t tar -C "$B/two" -xf "$HT_TMP/src.tar"
ht_check "cfs wd on A (default age: nothing trickles during tar)" ht_cfs A wd
c0=$(conflict_lines)
ht_check "2: tar -x on A over B's tree ends (no EEXIST loop)" \
	ht_t timeout 120 tar -C "$A/two" -xf "$HT_TMP/src.tar"
n=$(dt_pending A)
ht_note "2: $n records logged by tar -x over $(tar -tf "$HT_TMP/src.tar" | wc -l) entries"
# Per file at most: remove, create, store, setattrs (mode, owner, times).
ht_check "2: records bounded by the archive ($n <= 6 per entry)" \
	test "$n" -le $((6 * $(tar -tf "$HT_TMP/src.tar" | wc -l)))
ht_check "2: A lists every name of the source" dt_same_tree "$SRC" "$A/two"
dt_fr A
ht_check "2: cfs fr drains the log" test "$DT_FR_RC" -eq 0
ht_check "2: no conflicts, CML empty" log_clean
ht_check "2: no CONFLICT in A's log" test "$(conflict_lines)" = "$c0"
ht_check "2: the tree on B equals the source" dt_same_tree "$SRC" "$B/two"

# ---- 3: a directory made while disconnected ------------------------------------
ht_check "cfs disconnect on A" ht_cfs A disconnect
mkdir "$A/three"
mkdir "$A/three/d0"
for i in $(seq 1 20); do printf 'offline %s\n' "$i" >"$A/three/d0/f$i"; done
ht_check "cfs reconnect on A" ht_cfs A reconnect
ht_check "A reconnects within 60 s" dt_wait_connected A 60
ht_check "cfs wd -age 1 -time 1 on A" ht_cfs A wd -age 1 -time 1
rm -f "$HT_TMP/fr.stop"
fr_loop &
FR=$!
ok=1
for d in $(seq 1 8); do
	mkdir "$A/three/d$d" || { ok=0; ht_note "3: mkdir three/d$d failed"; break; }
	for i in $(seq 1 20); do
		printf 'wd %s %s\n' "$d" "$i" >"$A/three/d$d/f$i" || { ok=0; break 2; }
	done
	mkdir "$A/three/d0/sub$d" || { ok=0; ht_note "3: mkdir three/d0/sub$d failed"; break; }
done
touch "$HT_TMP/fr.stop"
wait "$FR" || true
ht_check "3: every mkdir and create in the directory made offline worked" test "$ok" -eq 1
dt_fr A
ht_check "3: cfs fr drains the log" test "$DT_FR_RC" -eq 0
ht_check "3: no conflicts, CML empty" log_clean
ht_check "3: B sees A's tree" dt_same_tree "$A/three" "$B/three"
ht_check "3: B has 9 directories of 20 files and 8 subdirectories of d0" \
	test "$(find "$B/three" -type f | wc -l)" = 180 -a "$(find "$B/three/d0" -mindepth 1 -type d | wc -l)" = 8

# ---- 4: a directory changed while disconnected, never listed ----------------------
# A looked up four/d/x but never listed four/d; offline it makes new and
# removes x.  Reconnected, records waiting (wd, default age): ls shows the
# log's view (new, y; not x) and lookups agree, vice's listing only fills
# in the names the log does not speak for.
mkdir -p "$B/four/d"
printf 'x\n' >"$B/four/d/x"
printf 'y\n' >"$B/four/d/y"
ht_check "4: A looks up four/d/x" stat "$A/four/d/x"
ht_check "cfs wd on A" ht_cfs A wd
ht_check "cfs disconnect on A" ht_cfs A disconnect
printf 'new\n' >"$A/four/d/new"
rm "$A/four/d/x"
ht_check "cfs reconnect on A" ht_cfs A reconnect
ht_check "A reconnects within 60 s" dt_wait_connected A 60
ht_check "4: records wait (wd)" test "$(dt_pending A)" -gt 0
ht_check "4: ls on A shows new and y, not x" test "$(ls "$A/four/d" | tr '\n' ' ')" = "new y "
ht_check "4: x stays removed on A" test ! -e "$A/four/d/x"
ht_check "4: new reads on A" ht_has_content "$A/four/d/new" new
ht_check "4: a create beside them" sh -c "printf 'new2\n' >'$A/four/d/new2'"
dt_fr A
ht_check "4: cfs fr drains the log" test "$DT_FR_RC" -eq 0
ht_check "4: no conflicts, CML empty" log_clean
ht_check "4: B sees A's tree" dt_same_tree "$A/four" "$B/four"
ht_check "4: B has new, new2 and y" test "$(ls "$B/four/d" | tr '\n' ' ')" = "new new2 y "

ht_done
