#!/bin/bash
# Written extents (issue 11): a store sends only the byte ranges written
# since the last one (HS_STORE_DELTA) and vice builds the new version
# from its previous one.  Checked by the bytes venus sent and vice
# received (cfs stats, cfs serverstats), and by a second client reading
# every file byte for byte equal to a local reference built the same way:
# a 4 KiB pwrite into a 1 GiB file; truncate down, extend and write in one
# open; fallocate (punch and grow); two opens; a conflict with a second
# client as for a whole-file store; 1000 SQLite transactions in WAL mode
# (in 100 sqlite3 runs, and in one connection as bench/compare.sh runs
# them: bytes at most twice the WAL's frames).
HT_TIMEOUT=${HT_TIMEOUT:-600}
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
REF=$HT_TMP/ref
mkdir -p "$REF"
GIB=$((1024 * 1024 * 1024))
SMALL=$((64 * 1024))

# ops FILE OP...: one open(O_RDWR|O_CREAT), the ops in order, one close.
# Ops: w:OFF:LEN:SEED (pseudo-random bytes), t:SIZE (ftruncate),
# p:OFF:LEN (punch a hole, keep size), a:OFF:LEN (fallocate, may grow).
cat >"$HT_TMP/ops" <<'PY'
import ctypes, os, random, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
for op in sys.argv[2:]:
    k, *a = op.split(':')
    a = [int(x) for x in a]
    if k == 'w':
        os.pwrite(fd, random.Random(a[2]).randbytes(a[1]), a[0])
    elif k == 't':
        os.ftruncate(fd, a[0])
    elif k in 'pa':
        mode = 3 if k == 'p' else 0   # PUNCH_HOLE | KEEP_SIZE, or allocate
        if libc.fallocate(fd, mode, a[0], a[1]) != 0:
            sys.exit('fallocate: errno %d' % ctypes.get_errno())
os.close(fd)
PY
ops() { ht_t python3 "$HT_TMP/ops" "$@"; }
# both NAME OP...: the same ops on A's file and on the local reference.
both() { local n=$1; shift; ops "$REF/$n" "$@" && ops "$A/$n" "$@"; }
sent() { echo $(($(ht_stat A store_bytes) - $1)); }

# ---- 1 GiB: stored whole once, then a 4 KiB pwrite sends <= 64 KiB ----
ht_check "A writes a 1 GiB file (16 MiB of data at each end, a hole between)" \
	both big w:0:16777216:1 w:$((GIB - 16777216)):16777216:2
ht_check "B reads it equal" ht_t cmp "$REF/big" "$B/big"
as0=$(ht_stat A store_bytes)
ht_check "the same 1 GiB file rewritten whole (O_TRUNC)" \
	bash -c "cp --sparse=always '$REF/big' '$A/big'"
ht_note "whole-file store of the 1 GiB file (before issue 11, any write): venus A sent $(sent "$as0") bytes"
ht_check "B reads it equal" ht_t cmp "$REF/big" "$B/big"
as0=$(ht_stat A store_bytes); vs0=$(ht_sstat A store_bytes)
ht_check "a 4 KiB pwrite into the middle of the data and close" \
	both big w:8192000:4096:3
as=$(sent "$as0"); vs=$(($(ht_sstat A store_bytes) - vs0))
ht_note "4 KiB into 1 GiB: venus A sent $as bytes, vice received $vs"
ht_check "venus A sent $as bytes (<= $SMALL)" test "$as" -le "$SMALL"
ht_check "vice received $vs bytes (<= $SMALL)" test "$vs" -le "$SMALL"
ht_check "B reads the 1 GiB file byte for byte equal" ht_t cmp "$REF/big" "$B/big"
as0=$(ht_stat A store_bytes)
ht_check "a 4 KiB pwrite into the hole and close" both big w:$((GIB / 2)):4096:4
as=$(sent "$as0")
ht_check "venus A sent $as bytes (<= $SMALL)" test "$as" -le "$SMALL"
ht_check "B reads it equal again" ht_t cmp "$REF/big" "$B/big"

# ---- truncate down, extend, write in one open: the cut sends zeros ----
ht_check "A writes a 4 MiB file" both cut w:0:4194304:5
ht_check "B reads it" ht_t cmp "$REF/cut" "$B/cut"
as0=$(ht_stat A store_bytes)
ht_check "one open: cut to 1 MiB, extend to 6 MiB, write 4 KiB at 3 MiB" \
	both cut t:1048576 t:6291456 w:3145728:4096:6
as=$(sent "$as0")
ht_check "venus A sent $as bytes (<= $SMALL)" test "$as" -le "$SMALL"
ht_check "B reads zeros where the cut was, and the write" ht_t cmp "$REF/cut" "$B/cut"
ht_check "truncate(1) of a closed file" bash -c "truncate -s 100000 '$REF/cut' && truncate -s 100000 '$A/cut'"
ht_check "B reads the truncated file" ht_t cmp "$REF/cut" "$B/cut"

# ---- fallocate: a punched hole and a grown size ----
ht_check "A writes a 2 MiB file" both fa w:0:2097152:7
as0=$(ht_stat A store_bytes)
ht_check "punch 64 KiB at 512 KiB, allocate 1 MiB past the end" \
	both fa p:524288:65536 a:2097152:1048576
as=$(sent "$as0")
ht_check "venus A sent $as bytes (<= $SMALL)" test "$as" -le "$SMALL"
ht_check "B reads the hole and the new size" ht_t cmp "$REF/fa" "$B/fa"

# ---- two opens: sequential closes each send their own extents ----
ht_check "A writes a 4 MiB file" both two w:0:4194304:8
as0=$(ht_stat A store_bytes)
ht_check "first open writes 4 KiB" both two w:4096:4096:9
ht_check "second open writes 4 KiB at the end" both two w:4194304:4096:10
as=$(sent "$as0")
ht_check "venus A sent $as bytes for both (<= $SMALL)" test "$as" -le "$SMALL"
ht_check "B reads both writes" ht_t cmp "$REF/two" "$B/two"

# ---- conflict: B changes the file while A holds it open ----
ht_check "A writes a 1 MiB file" both conf w:0:1048576:11
ht_check "B reads it" ht_t cmp "$REF/conf" "$B/conf"
cat >"$HT_TMP/hold" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
open(sys.argv[2], 'w').close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
os.pwrite(fd, b'A' * 4096, 0)
try:
    os.close(fd)
    print('closed')
except OSError as e:
    print('close failed: %s' % e.strerror)
PY
python3 "$HT_TMP/hold" "$A/conf" "$HT_TMP/held" "$HT_TMP/go" >"$HT_TMP/hold.out" 2>&1 &
hold=$!
ht_check "A holds conf open for writing" ht_wait_for 60 test -e "$HT_TMP/held"
ht_check "B writes conf meanwhile" bash -c "printf 'B wrote this\n' >'$B/conf'"
touch "$HT_TMP/go"
wait "$hold" || true
ht_note "A's writer: $(cat "$HT_TMP/hold.out")"
ht_check "A's close reports the conflict" grep -q 'close failed' "$HT_TMP/hold.out"
ht_check "B still reads its own write (nothing lost)" ht_has_content "$B/conf" "B wrote this"

# ---- no base on vice: the whole file under a fresh store id ----
ht_check "A writes a file of 3000001 bytes" both nobase w:0:3000001:12
ht_check "B reads it" ht_t cmp "$REF/nobase" "$B/nobase"
df=$(find "$VICE_ROOT/root/data" -type f -size 3000001c | head -n 1)
ht_check "vice's data file of it is found" test -n "$df"
rm -f -- "$df"
as0=$(ht_stat A store_bytes)
ht_check "a 4 KiB pwrite and close with vice's data file gone" both nobase w:4096:4096:13
as=$(sent "$as0")
ht_note "HS_ENOBASE: venus A sent $as bytes"
ht_check "venus A sent the whole file ($as >= 3000001 bytes)" test "$as" -ge 3000001
ht_check "B reads the whole file equal" ht_t cmp "$REF/nobase" "$B/nobase"

# ---- SQLite in WAL mode: 1000 transactions ----
if command -v sqlite3 >/dev/null; then
	ht_check "sqlite3 makes an 8 MiB WAL database on A" ht_t sqlite3 "$A/db.sqlite" \
		"PRAGMA journal_mode=WAL;
		 CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
		 WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 8000)
		 INSERT INTO t(v) SELECT randomblob(1000) FROM c;"
	dbsize=$(stat -c %s "$A/db.sqlite")
	as0=$(ht_stat A store_bytes)
	sql=
	for i in $(seq 1 10); do
		sql+="UPDATE t SET v = randomblob(1000) WHERE id = $((i * 797));"
	done
	ht_check "one run of 10 transactions" ht_t sqlite3 "$A/db.sqlite" "$sql"
	ht_note "one sqlite3 run of 10 transactions: venus A sent $(sent "$as0") bytes"
	as0=$(ht_stat A store_bytes)
	# 100 runs of sqlite3 (each opens, commits 10 transactions, closes:
	# a checkpoint into the database and a store) = 1000 transactions.
	for r in $(seq 1 100); do
		sql=
		for i in $(seq 1 10); do
			sql+="UPDATE t SET v = randomblob(1000) WHERE id = $(((r * 10 + i) * 7 % 8000 + 1));"
		done
		ht_t sqlite3 "$A/db.sqlite" "$sql" || ht_fail "sqlite3 run $r failed"
	done
	as=$(sent "$as0")
	ht_note "1000 transactions in 100 runs: venus A sent $as bytes; the database is $dbsize bytes (whole-file stores would send >= $((100 * dbsize)))"
	ht_check "bytes sent ($as) are under 10 runs' worth of the whole database" \
		test "$as" -lt $((10 * dbsize))
	ht_check "B's integrity_check is ok" bash -c "[ \"\$(timeout 60 sqlite3 '$B/db.sqlite' 'PRAGMA integrity_check;')\" = ok ]"
	ht_check "B counts 8000 rows" bash -c "[ \"\$(timeout 60 sqlite3 '$B/db.sqlite' 'SELECT count(*) FROM t;')\" = 8000 ]"
	ht_check "A and B read the same database" ht_t cmp "$A/db.sqlite" "$B/db.sqlite"
	# The bench's workload (bench/compare.sh, extents_rep): one
	# connection, 1000 WAL transactions with no automatic checkpoint,
	# one passive checkpoint, close.  The database's changed pages are
	# scattered: they must travel as themselves, not merged into larger
	# ranges; the WAL, a new file, goes whole.  Bytes are deterministic
	# (seeded rows).
	/usr/bin/python3 - "$HT_TMP/wal.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("create table t (id integer primary key, v blob)")
c.executemany("insert into t values (?, randomblob(3000))", ((i,) for i in range(5120)))
c.commit()
c.close()
PY
	ht_check "a 16 MiB database copied in" cp "$HT_TMP/wal.db" "$A/wal.db"
	as0=$(ht_stat A store_bytes)
	wal=$(ht_t /usr/bin/python3 - "$A/wal.db" <<'PY'
import random, sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("pragma journal_mode=wal")
c.execute("pragma wal_autocheckpoint=0")
rnd = random.Random(7)
for _ in range(1000):
    c.execute("begin")
    c.execute("update t set v = randomblob(100) where id = ?", (rnd.randrange(5120),))
    c.execute("commit")
busy, frames, done = c.execute("pragma wal_checkpoint(passive)").fetchone()
psize = c.execute("pragma page_size").fetchone()[0]
c.close()
print(frames * (psize + 24))
PY
	) || ht_fail "the WAL workload failed"
	as=$(sent "$as0")
	ht_note "1000 WAL transactions in one connection: venus A sent $as bytes, WAL frames $wal bytes"
	ht_check "bytes sent ($as) are at most twice the WAL frames ($wal)" \
		test -n "$wal" -a "$as" -le $((2 * ${wal:-0}))
	ht_check "B reads the same database" ht_t cmp "$A/wal.db" "$B/wal.db"
else
	ht_note "sqlite3 missing: the WAL part is skipped"
fi
ht_done
