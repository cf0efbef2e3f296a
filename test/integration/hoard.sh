#!/bin/bash
# Hoarding (doc/hoard.1): add/list/modify/delete/clear; a walk fetches what
# the entries cover (d = current descendants, plain files, symlinks); hoarded files read while
# vice is down and a walk then fails cleanly; command files with a bad
# line are refused with its line number; eviction spares hoarded files.
source "$(dirname "$0")/lib.sh"

HOARD=${HOARD:-$top_builddir/tools/hoard}
[ -x "$HOARD" ] || ht_hard "$HOARD not built (run make first)"
ht_hoard() {
	local name=$1
	shift
	HESPER_CTL=$(ht_ctl "$name") timeout -k 5 120 "$HOARD" "$@"
}
# ht_fails DESC PATTERN CMD...: CMD must exit 1 with PATTERN on stderr.
ht_fails() {
	local desc=$1 pat=$2 rc=0
	shift 2
	"$@" >"$HT_TMP/out" 2>"$HT_TMP/err" || rc=$?
	if [ "$rc" -eq 1 ] && grep -q -- "$pat" "$HT_TMP/err"; then
		ht_note "ok: $desc"
	else
		ht_fail "$desc: exit $rc, stderr: $(tr '\n' ';' <"$HT_TMP/err")"
	fi
}

ht_vice_start
port=$VICE_PORT
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

mkdir -p "$A/proj/src/deep" "$A/other"
for f in a b c; do echo "file $f" >"$A/proj/$f"; done
echo "deep one" >"$A/proj/src/deep/d1"
echo "source one" >"$A/proj/src/s1"
echo "other one" >"$A/other/o1"
echo "not hoarded" >"$A/other/o2"
ln -s a "$A/proj/link"

# ---- the database ----
ht_check "hoard add DIR 100:d" ht_hoard B add "$B/proj" 100:d
ht_check "hoard add FILE 5 (relative path)" bash -c "cd '$B/other' && HESPER_CTL='$(ht_ctl B)' '$HOARD' add o1 5"
ht_hoard B list >"$HT_TMP/list" || ht_fail "hoard list failed"
ht_check "list shows the d entry" grep -qx "add $B/proj 100:d	# uid 0" "$HT_TMP/list"
ht_check "list shows the file entry" grep -qx "add $B/other/o1 5	# uid 0" "$HT_TMP/list"
ht_check "list --json parses" bash -c "HESPER_CTL='$(ht_ctl B)' '$HOARD' --json list |
	python3 -c 'import json,sys; e=json.load(sys.stdin)[\"entries\"]; assert {(x[\"priority\"], x[\"flags\"]) for x in e} == {(100, \"d\"), (5, \"\")}, e'"
ht_fails "a path outside the mount is refused" "Not in $(ht_mnt_top B)" ht_hoard B add /tmp 10
ht_fails "priority 0 is refused" "priority must be 1-1000" ht_hoard B add "$B/proj" 0
ht_fails "bad flags are refused" "flags must be c, c+, d or d+" ht_hoard B add "$B/proj" 10:x

# ---- a walk ----
f0=$(ht_stat B fetches)
ht_hoard B walk >"$HT_TMP/walk" 2>"$HT_TMP/walkerr" || ht_fail "hoard walk failed: $(cat "$HT_TMP/walkerr")"
ht_note "walk said: $(tr '\n' ';' <"$HT_TMP/walk")"
# proj, a, b, c, link, src, deep, d1, s1 and o1
ht_check "the walk summary counts 10 objects, 0 errors" \
	grep -Eq '^Walk done: 10 objects, [0-9]+ fetched, 0 errors$' "$HT_TMP/walk"
f1=$(ht_stat B fetches)
ht_check "the walk fetched the 6 hoarded files ($f0 -> $f1)" test "$((f1 - f0))" -eq 6
ht_check "hoard verify: nothing missing" bash -c "HESPER_CTL='$(ht_ctl B)' '$HOARD' verify | grep -qx '10 hoarded objects known, 0 not cached'"
ht_hoard B walk >"$HT_TMP/walk2" || ht_fail "second walk failed"
ht_check "a second walk fetches nothing" grep -Eq '^Walk done: 10 objects, 0 fetched, 0 errors$' "$HT_TMP/walk2"
echo "late file" >"$A/proj/src/late"
echo "not hoarded either" >"$A/other/o3"

# ---- vice down ----
ht_vice_stop
for f in proj/a proj/b proj/c proj/src/s1 proj/src/deep/d1 other/o1; do
	case $f in
	proj/src/s1) want="source one" ;;
	proj/src/deep/d1) want="deep one" ;;
	other/o1) want="other one" ;;
	*) want="file ${f#proj/}" ;;
	esac
	ht_check "disconnected: $f reads from the cache" ht_has_content "$B/$f" "$want"
done
ht_check "disconnected: the hoarded symlink reads" test "$(readlink "$B/proj/link")" = a
rc=0
timeout -k 5 60 cat "$B/other/o2" >/dev/null 2>&1 || rc=$?
ht_check "disconnected: a file never hoarded nor read fails (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
t0=$SECONDS
ht_fails "disconnected: hoard walk fails with ETIMEDOUT" "Connection timed out" ht_hoard B walk
ht_note "disconnected walk said: $(tr '\n' ';' <"$HT_TMP/err")"
ht_check "disconnected: the walk failed within 60 s ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -lt 60
ht_check "disconnected: hoard list still works" ht_hoard B list >/dev/null

ht_vice_start -p "$port"
ht_wait_for 60 bash -c "HESPER_CTL='$(ht_ctl B)' '$CFS' checkservers | grep -qx 'All servers up'" || true
ht_check "A is connected again" ht_wait_drained A
ht_check "B is connected again" ht_wait_drained B

# d fixed its members when it was added: the later file is not hoarded.
ht_hoard B walk >"$HT_TMP/walk3" || ht_fail "walk after reconnect failed"
ht_check "d does not take files created after it was added" grep -Eq '^Walk done: 10 objects' "$HT_TMP/walk3"
ht_check "add again replaces the entry: d+" ht_hoard B add "$B/proj" 200:d+
ht_hoard B walk >"$HT_TMP/walk4" || ht_fail "walk after modify failed"
ht_check "d+ takes later files too (11 objects)" grep -Eq '^Walk done: 11 objects, 1 fetched, 0 errors$' "$HT_TMP/walk4"
ht_check "list shows the replaced entry" bash -c "HESPER_CTL='$(ht_ctl B)' '$HOARD' list | grep -qx 'add $B/proj 200:d+	# uid 0'"
ht_fails "modify (deprecated) of a path not hoarded fails" "not in the hoard database" ht_hoard B modify "$B/other" 3
ht_check "... and says modify is deprecated" grep -q "modify is deprecated" "$HT_TMP/err"
ht_check "delete" ht_hoard B delete "$B/other/o1"
ht_fails "delete again fails" "not in the hoard database" ht_hoard B delete "$B/other/o1"
ht_check "list after delete has one entry" test "$(ht_hoard B list | wc -l)" -eq 1

# ---- command files ----
ht_hoard B list >"$HT_TMP/saved"
ht_check "clear" ht_hoard B clear
ht_check "list after clear is empty" test -z "$(ht_hoard B list)"
ht_check "a saved list loads back with -f" ht_hoard B -f "$HT_TMP/saved"
ht_check "... and lists the same" bash -c "HESPER_CTL='$(ht_ctl B)' '$HOARD' list | cmp -s - '$HT_TMP/saved'"
ht_hoard B clear >/dev/null
cat >"$HT_TMP/bad.hoard" <<EOF
# hoard profile
add $B/proj 50:d

add $B/other 2000   # too high
EOF
ht_fails "-f with a bad line names file and line" "bad.hoard:4: add: bad priority \"2000\": priority must be 1-1000" \
	ht_hoard B -f "$HT_TMP/bad.hoard"
ht_check "... and applies none of the file" test -z "$(ht_hoard B list)"
ht_fails "-f reports an unknown command by line" "stdin:2: unknown command \"hoardd\"" \
	bash -c "printf 'list\nhoardd /x\n' | HESPER_CTL='$(ht_ctl B)' '$HOARD' -f -"
ht_check "-f - reads commands from stdin" bash -c "printf 'add %s 7:c\nwalk\n' '$B/other' | HESPER_CTL='$(ht_ctl B)' '$HOARD' -f - | grep -q '^Walk done: 4 objects'"

# ---- eviction prefers objects that are not hoarded ----
ht_venus_start C --cachesize 3M
C=$(ht_mnt C)
mkdir "$A/hot" "$A/cold"
for i in 1 2; do head -c 1048576 /dev/urandom >"$A/hot/h$i"; done
for i in 1 2 3 4 5 6; do head -c 1048576 /dev/urandom >"$A/cold/c$i"; done
ht_check "hoard add hot 500:c on C" ht_hoard C add "$C/hot" 500:c
ht_check "walk on C" ht_hoard C walk >/dev/null
for i in 1 2 3 4 5 6; do ht_t cat "$C/cold/c$i" >/dev/null || ht_fail "C cannot read cold/c$i"; done
ev=$(ht_stat C evictions)
ht_check "reading 6 MiB through a 3 MiB cache evicted ($ev)" test "$ev" -ge 4
f0=$(ht_stat C fetches)
ht_t cat "$C/hot/h1" "$C/hot/h2" >/dev/null
f1=$(ht_stat C fetches)
ht_check "the hoarded files were not evicted (fetches $f0 -> $f1)" test "$f0" -eq "$f1"
ht_done
