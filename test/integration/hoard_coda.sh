#!/bin/bash
# A hoard file written for Coda (hoard.cc's grammar and flag meanings:
# c current children, c+ current and future children, d current
# descendants, d+ current and future descendants) loads with `hoard -f`
# and caches the same set of objects Coda's would; Coda's uid arguments,
# command lines in one quoted argument, '-', on/off, Coda's batch order;
# and venus converts hoard entries stored with the old flag encoding once
# at start-up, logging each.
source "$(dirname "$0")/lib.sh"

HOARD=${HOARD:-$top_builddir/tools/hoard}
[ -x "$HOARD" ] || ht_hard "$HOARD not built (run make first)"
command -v sqlite3 >/dev/null || ht_skip "sqlite3 not installed"
ht_hoard() {
	local name=$1
	shift
	HESPER_CTL=$(ht_ctl "$name") timeout -k 5 120 "$HOARD" "$@"
}

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

for d in cur_c fut_c cur_d fut_d; do
	mkdir -p "$A/$d/sub"
	echo "$d one" >"$A/$d/f1"
	echo "$d deep" >"$A/$d/sub/s1"
done
mkdir "$A/top"
echo "top file" >"$A/top/file"

# Coda's own syntax: abbreviations, fields in either order, a comment.
cat >"$HT_TMP/coda.hoard" <<HOARD
# a hoard profile written for Coda
clear
add $B/cur_c 100:c
a $B/fut_c c+:200
add $B/cur_d 300:d
a   $B/fut_d	400:d+
add $B/top/file 1000
walk
HOARD
ht_hoard B -f "$HT_TMP/coda.hoard" >"$HT_TMP/load" 2>&1 || ht_fail "hoard -f of a Coda hoard file failed"
ht_note "hoard -f said: $(tr '\n' ';' <"$HT_TMP/load")"
ht_hoard B list >"$HT_TMP/list"
for e in "cur_c 100:c" "fut_c 200:c+" "cur_d 300:d" "fut_d 400:d+" "top/file 1000"; do
	ht_check "list shows $e as typed" grep -qx "add $B/${e% *} ${e#* }	# uid 0" "$HT_TMP/list"
done

# Objects created after the entries were first walked.
for f in cur_c/new fut_c/new cur_d/sub/new fut_d/sub/new; do echo "late $f" >"$A/$f"; done
ht_check "hoard walk" ht_hoard B walk >/dev/null

# cached: reading it on B fetches nothing from vice.
cached() {
	local f0 f1
	f0=$(ht_stat B fetches)
	ht_t cat "$B/$1" >/dev/null || return 2
	f1=$(ht_stat B fetches)
	[ "$f0" -eq "$f1" ]
}
for f in cur_c/f1 fut_c/f1 fut_c/new cur_d/f1 cur_d/sub/s1 fut_d/f1 fut_d/sub/s1 \
	fut_d/sub/new top/file; do
	ht_check "hoarded as in Coda: $f" cached "$f"
done
for f in cur_c/sub/s1 cur_c/new fut_c/sub/s1 cur_d/sub/new; do
	rc=0
	cached "$f" || rc=$?
	ht_check "not hoarded, as in Coda: $f (rc $rc)" test "$rc" -eq 1
done

# ---- Coda's uid arguments, quoted command lines, on/off ----
ht_check "list FILE UID: uid 0 has 5 entries" bash -c "HESPER_CTL='$(ht_ctl B)' '$HOARD' list '$HT_TMP/l0' 0 && test \$(wc -l <'$HT_TMP/l0') -eq 5"
ht_check "list - UID: uid 4242 has none" test -z "$(ht_hoard B list - 4242)"
ht_check "clear UID leaves other users' entries" ht_hoard B clear 4242
ht_check "... all 5 still there" test "$(ht_hoard B list | wc -l)" -eq 5
ht_check "verify FILE VERBOSITY UID" bash -c "HESPER_CTL='$(ht_ctl B)' '$HOARD' verify - 1 0 | grep -qx '$B/top/file: cached'"
ht_check "several command lines in one quoted argument" ht_hoard B "d $B/top/file
a $B/cur_c/new 5"
ht_check "... applied" bash -c "HESPER_CTL='$(ht_ctl B)' '$HOARD' list | grep -q 'cur_c/new 5' && ! HESPER_CTL='$(ht_ctl B)' '$HOARD' list | grep -q top/file"
ht_check "hoard - reads commands from stdin" bash -c "printf 'l\n' | HESPER_CTL='$(ht_ctl B)' '$HOARD' - | grep -q 'cur_c 100:c'"
ht_check "hoard -d shows the requests" bash -c "HESPER_CTL='$(ht_ctl B)' '$HOARD' -d list 2>&1 >/dev/null | grep -qx 'hoard: request: hoard_list'"
ht_check "hoard off" bash -c "HESPER_CTL='$(ht_ctl B)' '$HOARD' off | grep -qx 'Periodic hoard walks off'"
ht_check "... venus logs it" grep -q "periodic walks off" "$HT_TMP/B/venus.log"
ht_check "hoard on" bash -c "HESPER_CTL='$(ht_ctl B)' '$HOARD' on | grep -qx 'Periodic hoard walks on'"

# ---- entries stored with the old encoding are converted once ----
ht_venus_stop B
db=$(ht_cachedir B)/venus.db
# Hoard paths begin with the realm (venus.db schema 4).
rp=${B##*/}/
# Before: "c+" was stored as children|all (3), "d" as children|future (5),
# in a table without attrs.
sqlite3 "$db" "ALTER TABLE hoard DROP COLUMN attrs;
	UPDATE hoard SET flags = 3, expanded = 1 WHERE path = '${rp}fut_c';
	INSERT INTO hoard_member(entry, path) VALUES ('${rp}fut_c', '${rp}fut_c/f1');
	UPDATE hoard SET flags = 5 WHERE path = '${rp}cur_d';" ||
	ht_hard "cannot rewrite $db"
ht_venus_start B
ht_check "list after conversion: c+ as typed" bash -c "HESPER_CTL='$(ht_ctl B)' '$HOARD' list | grep -qx 'add $B/fut_c 200:c+	# uid 0'"
ht_check "list after conversion: d as typed" bash -c "HESPER_CTL='$(ht_ctl B)' '$HOARD' list | grep -qx 'add $B/cur_d 300:d	# uid 0'"
ht_check "the log names the c+ entry it changed" grep -q "hoard: entry $B/fut_c: flags \"c+\" were stored as current descendants; now current and future children" "$HT_TMP/B/venus.log"
ht_check "the log names the d entry it changed" grep -q "hoard: entry $B/cur_d: flags \"d\" were stored as current and future children; now current descendants" "$HT_TMP/B/venus.log"
ht_check "2 changes logged, c and d+ untouched" test "$(grep -c 'hoard: entry .*were stored as' "$HT_TMP/B/venus.log")" -eq 2
ht_check "stale members of the changed entry dropped" test "$(sqlite3 "$db" "SELECT count(*) FROM hoard_member WHERE entry = '${rp}fut_c'")" -eq 0
ht_check "Coda's attribute bits stored" test "$(sqlite3 "$db" "SELECT group_concat(path || '=' || attrs, ' ') FROM (SELECT * FROM hoard ORDER BY path)")" = "${rp}cur_c=2 ${rp}cur_c/new=0 ${rp}cur_d=4 ${rp}fut_c=3 ${rp}fut_d=5"
ht_venus_stop B
ht_venus_start B
ht_check "a second start converts nothing" test "$(grep -c 'hoard: entry .*were stored as' "$HT_TMP/B/venus.log")" -eq 2
ht_check "the walk after conversion takes fut_c's later files" ht_hoard B walk >/dev/null
ht_check "... fut_c/new is hoarded" cached fut_c/new
# "Current" is fixed when the entry is added, as Coda's hoard lists the
# directory then: a file created after `hoard add` (before any walk) is not
# hoarded.
mkdir "$A/exp"
echo "exp one" >"$A/exp/f1"
ht_check "hoard add DIR c (no walk in the batch)" ht_hoard B add "$B/exp" 5:c
ht_check "... recorded its members at once" test "$(sqlite3 "$(ht_cachedir B)/venus.db" "SELECT group_concat(path) FROM hoard_member WHERE entry = '${rp}exp'")" = "${rp}exp/f1"
echo "exp late" >"$A/exp/late"
ht_check "walk" ht_hoard B walk >/dev/null
ht_check "exp/f1 is hoarded" cached exp/f1
rc=0
cached exp/late || rc=$?
ht_check "exp/late, created after the add, is not (rc $rc)" test "$rc" -eq 1
# Coda's batch order: adds before deletes, whatever the line order.
printf 'delete %s\nadd %s 9\n' "$B/top/file" "$B/top/file" >"$HT_TMP/order.hoard"
ht_check "a batch runs in Coda's order" ht_hoard B -f "$HT_TMP/order.hoard"
ht_check "... so delete-then-add leaves no entry, as in Coda" bash -c "! HESPER_CTL='$(ht_ctl B)' '$HOARD' list | grep -q top/file"
ht_done
