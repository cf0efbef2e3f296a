#!/bin/bash
# CML cancellation.  Offline, A creates 1000 files (and a subtree, and a
# file it renames) and removes them all again: the pending count returns
# to its value before (identity cancellation), and the reintegration sends
# vice nothing (its store and reintegrated-record counters do not move; B
# sees none of it).  Then 10 successive stores to one file offline leave
# one record and one frozen copy (the others emptied into spare/), and B
# sees the last version.
HT_TIMEOUT=${HT_TIMEOUT:-240}
source "$(dirname "$0")/disc_lib.sh"

# sstat_opt KEY: a serverstats counter, or "" if vice does not report it.
sstat_opt() {
	ht_cfs B serverstats 2>/dev/null | awk -v k="$1" '$1 == k { print $2; exit }'
}

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

printf 'version 0\n' >"$A/one"
mkdir "$A/keep"
ht_check "B reads one" ht_has_content "$B/one" "version 0"

# ---- part 1: create and remove 1000 files ---------------------------------------

ht_check "cfs disconnect on A" ht_cfs A disconnect
p0=$(dt_pending A)
ht_note "pending before: $p0"
t0=$SECONDS
dt_sh "offline: create 1000 files (with data) in a new directory" "
	mkdir '$A/keep/c'
	for i in \$(seq 1 1000); do printf 'file %s\n' \"\$i\" >'$A/keep/c/f'\$i; done
"
ht_note "1000 creates took $((SECONDS - t0)) s"
p1=$(dt_pending A)
ht_check "the creates are logged ($p1 pending; want >= $((p0 + 1000)))" test "$p1" -ge $((p0 + 1000))
t0=$SECONDS
dt_sh "offline: remove them all again" "
	for i in \$(seq 1 1000); do rm '$A/keep/c/f'\$i; done
	rmdir '$A/keep/c'
"
ht_note "1000 removes took $((SECONDS - t0)) s"
p2=$(dt_pending A)
ht_check "identity cancellation of 1000 files and their directory: pending back to $p0 (got $p2)" \
	test "$p2" -eq "$p0"

dt_sh "offline: a subtree with a symlink, made and removed (rm -r)" "
	mkdir -p '$A/keep/sub/a/b'
	printf 'x\n' >'$A/keep/sub/a/b/x'
	ln -s x '$A/keep/sub/a/b/sym'
	rm -r '$A/keep/sub'
"
p2=$(dt_pending A)
ht_check "identity cancellation of a subtree: pending back to $p0 (got $p2)" test "$p2" -eq "$p0"

dt_sh "offline: a file created, written, renamed, chmod'ed and removed" "
	printf 'renamed\n' >'$A/keep/r1'
	mv '$A/keep/r1' '$A/keep/r2'
	chmod 600 '$A/keep/r2'
	rm '$A/keep/r2'
"
p2=$(dt_pending A)
ht_check "identity cancellation takes the name ops too (create, store, rename, chmod, remove): pending back to $p0 (got $p2)" \
	test "$p2" -eq "$p0"

s_stores=$(ht_sstat B stores)
s_reint=$(sstat_opt reint_records)
ht_check "cfs reconnect on A" ht_cfs A reconnect
dt_fr A
ht_check "cfs fr on A exits 0 (got $DT_FR_RC)" test "$DT_FR_RC" -eq 0
ht_check "A has 0 pending" test "$(dt_pending A)" -eq 0
s_stores2=$(ht_sstat B stores)
ht_check "vice got no store from the cancelled records (stores $s_stores -> $s_stores2)" \
	test "$s_stores2" -eq "$s_stores"
s_reint2=$(sstat_opt reint_records)
if [ -n "$s_reint" ] && [ -n "$s_reint2" ]; then
	ht_check "vice applied no reintegrated record (reint_records $s_reint -> $s_reint2)" \
		test "$s_reint2" -eq "$s_reint"
else
	ht_note "cfs serverstats does not report reint_records; checked stores and B's view only"
fi
ht_check "B sees none of the cancelled objects" \
	test ! -e "$B/keep/c" -a ! -e "$B/keep/sub" -a ! -e "$B/keep/r1" -a ! -e "$B/keep/r2"
ht_check "B's keep/ is empty" test -z "$(ls -A "$B/keep")"

# ---- part 2: 10 stores to one file -----------------------------------------------

ht_check "cfs disconnect on A (part 2)" ht_cfs A disconnect
p0=$(dt_pending A)
dt_sh "offline: 10 successive stores to one file" "
	for i in \$(seq 1 10); do printf 'version %s\n' \"\$i\" >'$A/one'; done
"
p1=$(dt_pending A)
ht_check "10 stores leave one record (pending $p0 -> $p1)" test "$p1" -eq $((p0 + 1))
# The cancelled stores' frozen copies are emptied and kept for reuse
# (venus/store/spare.c): one copy left in cml/, the last version.
cdir=$(ht_cachedir A)
dt_sh "one frozen copy left, holding version 10; spare/ keeps empty files" "
	test \$(ls '$cdir/cml' | wc -l) -eq 1
	grep -qx 'version 10' '$cdir/cml/'*
	test \$(ls '$cdir/spare' | wc -l) -ge 1
	test -z \"\$(find '$cdir/spare' -type f -size +0)\"
"
s_stores=$(ht_sstat B stores)
s_reint=$(sstat_opt reint_records)
ht_check "cfs reconnect on A (part 2)" ht_cfs A reconnect
dt_fr A
ht_check "cfs fr on A exits 0 (got $DT_FR_RC)" test "$DT_FR_RC" -eq 0
s_stores2=$(ht_sstat B stores)
ht_check "vice got exactly one store for it (stores $s_stores -> $s_stores2)" \
	test "$s_stores2" -eq $((s_stores + 1))
s_reint2=$(sstat_opt reint_records)
if [ -n "$s_reint" ] && [ -n "$s_reint2" ]; then
	ht_check "vice applied one reintegrated record (reint_records $s_reint -> $s_reint2)" \
		test "$s_reint2" -eq $((s_reint + 1))
fi
ht_check_fresh "B reads the last version" "$B/one" "version 10"
ht_done
