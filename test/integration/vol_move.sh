#!/bin/bash
# volutil dump, restore, lock, unlock and move between two vices (A and
# B): files written through a venus on A are read, equal, through a venus
# on B after `volutil move`; A then answers HS_EMOVED for the volume
# (also after a restart: it does not make a new, empty root volume); a
# locked volume refuses changes with HS_EVBUSY and still serves reads; a
# move to a server that is not there fails and leaves the source
# unlocked and writable; a dump restored under a new name and id is a
# second volume.
#
# With etcd installed, both vices are servers of one realm whose VLDB is
# in etcd: B, joining second, makes no root volume of its own, and after
# the move the VLDB (asked on A) names B.  Without etcd each vice has its
# own sqlite VLDB and B's fresh, empty root volume is dropped with
# sqlite3 (and remembered as moved) to make room: see _strip_root.
source "$(dirname "$0")/lib.sh"

VOLUTIL=${VOLUTIL:-$top_builddir/tools/volutil}
RAWCLIENT=${RAWCLIENT:-$top_builddir/test/tools/rawclient}
[ -x "$VOLUTIL" ] || ht_hard "$VOLUTIL not built"
command -v sqlite3 >/dev/null || ht_skip "sqlite3 (the CLI) is missing"

VARGS=()
if command -v "${ETCD:-etcd}" >/dev/null && [ -z "${HT_VOL_MOVE_SQLITE:-}" ]; then
	ht_etcd_start
	VARGS=(--realm vm.test --vldb etcd --etcd "$HT_ETCD")
	ht_note "one realm, VLDB in etcd at $HT_ETCD"
else
	ht_note "no etcd: a sqlite VLDB per vice"
fi

# ---- vice A, venus VA: some files in volume 1 ("root") ----
ht_vice_start "${VARGS[@]}"
A_PID=$HT_VICE_PID A_PORT=$VICE_PORT A_ROOT=$VICE_ROOT/root
HT_EXTRA_PIDS="${HT_EXTRA_PIDS:-} $A_PID"
vua() { ht_t "$VOLUTIL" -h "127.0.0.1:$A_PORT" -d "$A_ROOT" "$@"; }

ht_venus_start VA
MA=$(ht_mnt VA)
head -c $((3 * 1024 * 1024 + 17)) /dev/urandom >"$HT_TMP/big"
cp "$HT_TMP/big" "$MA/big"
echo "small file" >"$MA/small"
mkdir -p "$MA/d/e"
echo "deep" >"$MA/d/e/deep"
ln -s ../small "$MA/d/link"
# sparse: 1 byte at 0, 1 byte past a 5 MiB hole
printf a >"$HT_TMP/sparse"
printf b | dd of="$HT_TMP/sparse" bs=1 seek=$((5 * 1024 * 1024)) conv=notrunc status=none
cp --sparse=always "$HT_TMP/sparse" "$MA/sparse"
ht_check "venus A stored everything" ht_wait_drained VA

# ---- dump to a file ----
ht_check "volutil dump 1 works" vua dump 1 "$HT_TMP/a1.dump"
ht_check "the dump is an SQLite file of format 1" \
	test "$(sqlite3 "$HT_TMP/a1.dump" "SELECT value FROM meta WHERE key = 'format'")" = 1
n=$(sqlite3 "$HT_TMP/a1.dump" "SELECT COUNT(*) FROM data WHERE length(bytes) > 1048576")
ht_check "data rows are 1 MiB at most ($n larger)" test "$n" -eq 0
n=$(sqlite3 "$HT_TMP/a1.dump" "SELECT COALESCE(SUM(length(bytes)), 0) FROM data")
ht_check "holes are not dumped ($n data bytes)" test "$n" -lt $((4 * 1024 * 1024 + 1024))

# ---- lock: reads go on, changes answer HS_EVBUSY ----
ht_check "volutil lock 1" vua lock 1
out=$(vua info 1 2>&1) || true
ht_note "info while locked: $out"
ht_check "a locked volume still serves reads" ht_has_content "$MA/d/e/deep" deep
out=$(vua setquota 1 100000 2>&1) && rc=0 || rc=$?
ht_check "setquota on a locked volume is refused as busy ($out)" \
	grep -q "busy" <<<"$out"
ht_check "volutil unlock 1" vua unlock 1
ht_check "setquota after unlock" vua setquota 1 0

# ---- vice B: no root volume of its own ----
_strip_root() {
	sqlite3 "$1/vice.db" "BEGIN;
		DELETE FROM vnodes WHERE vol = 1; DELETE FROM dirents WHERE vol = 1;
		DELETE FROM acls WHERE vol = 1; DELETE FROM volumes WHERE id = 1;
		CREATE TABLE IF NOT EXISTS moved(id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
		INSERT OR REPLACE INTO moved(id, at) VALUES(1, 0); COMMIT;"
}
VICE_ROOT=$HT_TMP/viceB
ht_vice_start "${VARGS[@]}"
if [ ${#VARGS[@]} -eq 0 ]; then
	port=$VICE_PORT
	ht_vice_stop
	_strip_root "$VICE_ROOT/root" || ht_hard "cannot drop B's root volume"
	ht_vice_start -p "$port"
fi
B_PID=$HT_VICE_PID B_PORT=$VICE_PORT B_ROOT=$VICE_ROOT/root
vub() { ht_t "$VOLUTIL" -h "127.0.0.1:$B_PORT" -d "$B_ROOT" "$@"; }

# ---- a move to nowhere fails and leaves the source unlocked ----
dead=$(ht_free_port)
out=$(vua move 1 "127.0.0.1:$dead" -D "$B_ROOT" 2>&1) && rc=0 || rc=$?
ht_note "move to a dead port: exit $rc: $out"
ht_check "a move to a dead server fails" test "$rc" -ne 0
ht_check "and says the source was unlocked" grep -q "unlocked" <<<"$out"
echo "after failed move" >"$MA/after-fail"
ht_check "the source takes writes again" ht_wait_drained VA

# ---- the move ----
out=$(vua move 1 "127.0.0.1:$B_PORT" -D "$B_ROOT" 2>&1) && rc=0 || rc=$?
ht_note "move: exit $rc: $out"
ht_check "volutil move 1 to B works" test "$rc" -eq 0
out=$(vua dump 1 "$HT_TMP/gone.dump" 2>&1) && rc=0 || rc=$?
ht_check "A answers HS_EMOVED for the moved volume ($out)" grep -q "VMOVED" <<<"$out"
out=$(vub --json list 2>&1) || true
ht_check "B lists volume root ($out)" grep -q '"name":"root"' <<<"$out"
if [ ${#VARGS[@]} -gt 0 ]; then
	out=$("$RAWCLIENT" vldb-lookup 127.0.0.1 "$A_PORT" 1 2>&1) || true
	ht_check "the VLDB, asked on A, names B for volume 1 ($out)" \
		grep -q "127.0.0.1:$B_PORT" <<<"$out"
fi

# ---- venus VB on B reads the same files ----
ht_venus_start VB --server "127.0.0.1:$B_PORT"
MB=$(ht_mnt VB)
ht_check "big file equal on B" ht_t cmp "$HT_TMP/big" "$MB/big"
ht_check "sparse file equal on B" ht_t cmp "$HT_TMP/sparse" "$MB/sparse"
ht_check "small file on B" ht_has_content "$MB/small" "small file"
ht_check "file written after the failed move on B" ht_has_content "$MB/after-fail" "after failed move"
ht_check "deep file on B" ht_has_content "$MB/d/e/deep" deep
ht_check "symlink on B" test "$(readlink "$MB/d/link")" = ../small
echo "written on B" >"$MB/new-on-B"
ht_check "B takes writes to the moved volume" ht_wait_drained VB

# ---- A restarted: still no volume 1 there ----
HT_VICE_PID=$A_PID
ht_vice_stop
VICE_ROOT=$HT_TMP/vice
ht_vice_start -p "$A_PORT" "${VARGS[@]}"
A_PID=$HT_VICE_PID
HT_EXTRA_PIDS="${HT_EXTRA_PIDS:-} $B_PID"
out=$(vua dump 1 "$HT_TMP/gone.dump" 2>&1) && rc=0 || rc=$?
ht_check "after a restart A still answers HS_EMOVED ($out)" grep -q "VMOVED" <<<"$out"

# ---- dump on B, restore on A under a new name and id ----
ht_check "dump on B" vub dump 1 "$HT_TMP/b1.dump"
ht_check "restore on A as copy, id 9" vua restore "$HT_TMP/b1.dump" copy -id 9
out=$(vua --json list 2>&1) || true
ht_check "A lists the copy ($out)" grep -q '"name":"copy","id":9' <<<"$out"
out=$(vua restore "$HT_TMP/b1.dump" copy -id 10 2>&1) && rc=0 || rc=$?
ht_check "a second restore under a taken name is refused ($out)" test "$rc" -ne 0
ht_check "a file that is not a dump is refused" bash -c "! '$VOLUTIL' -h 127.0.0.1:$A_PORT -d '$A_ROOT' restore '$HT_TMP/big' junk -id 11 2>/dev/null"

ht_done
