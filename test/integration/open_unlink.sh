#!/bin/bash
# Open-unlinked files keep working through their descriptors until the
# last close (fstat with nlink 0, read, write, mmap), on the client that
# removed them and on one that had them open when another client removed
# them; rename over an open file likewise.  sqlite3's temporary files
# (opened, then unlinked at once) work on the mount.  Disconnected, the
# remove is logged and reintegrates cleanly.
source "$(dirname "$0")/disc_lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

ht_check "open, unlink, fstat/read/write/mmap (python3)" ht_t python3 - "$A" <<'PY'
import mmap, os, sys
d = sys.argv[1]
p = os.path.join(d, "tmpfile")
fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
os.write(fd, b"hello, unlinked world\n" * 100)
os.unlink(p)
assert not os.path.exists(p), "the name is still there"
st = os.fstat(fd)
assert st.st_nlink == 0, "nlink %d" % st.st_nlink
assert st.st_size == 2200, "size %d" % st.st_size
assert os.pread(fd, 5, 0) == b"hello", "pread"
os.pwrite(fd, b"HELLO", 0)
assert os.pread(fd, 5, 0) == b"HELLO", "pread after pwrite"
os.ftruncate(fd, 4096)
assert os.fstat(fd).st_size == 4096, "size after ftruncate"
m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[0:5] = b"mmap!"
m.flush()
assert os.pread(fd, 5, 0) == b"mmap!", "pread after the mapped write"
m.close()
fd2 = os.dup(fd)
os.close(fd)
assert os.pread(fd2, 5, 0) == b"mmap!", "pread through the dup"
os.close(fd2)
# Rename over an open file: the old one stays readable.
q = os.path.join(d, "target")
with open(q, "wb") as f:
    f.write(b"old contents")
fd = os.open(q, os.O_RDONLY)
with open(q + ".new", "wb") as f:
    f.write(b"new contents")
os.rename(q + ".new", q)
assert os.fstat(fd).st_nlink == 0, "renamed-over nlink"
assert os.pread(fd, 12, 0) == b"old contents", "renamed-over read"
os.close(fd)
with open(q, "rb") as f:
    assert f.read() == b"new contents", "the new name"
PY
ht_check "the unlinked file is gone on B" test ! -e "$B/tmpfile"
ht_check "B reads the renamed file" bash -c "[ \"\$(cat '$B/target')\" = 'new contents' ]"

# B has the file open when A removes it: B keeps its copy (Coda).
printf 'shared copy\n' >"$A/shared"
ht_check "B reads shared" bash -c "[ \"\$(cat '$B/shared')\" = 'shared copy' ]"
exec 7<"$B/shared"
rm "$A/shared"
ht_check "B no longer sees the name" ht_wait_for 30 test ! -e "$B/shared"
ht_check "B's open descriptor still reads its copy" ht_t python3 -c "
import os
assert os.pread(7, 11, 0) == b'shared copy', os.pread(7, 11, 0)
assert os.fstat(7).st_nlink == 0, os.fstat(7).st_nlink
"
exec 7<&-

# sqlite3 opens its temporary files and unlinks them at once.
if command -v sqlite3 >/dev/null; then
	mkdir "$A/sqltmp"
	ht_check "sqlite3 with temporary files on the mount" ht_t env SQLITE_TMPDIR="$A/sqltmp" \
		sqlite3 "$A/db" "PRAGMA temp_store=FILE; PRAGMA cache_size=20;
		CREATE TABLE t(x TEXT);
		WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<20000)
		INSERT INTO t SELECT hex(randomblob(40)) FROM c;
		CREATE INDEX tx ON t(x); VACUUM;
		SELECT count(DISTINCT x) > 0 FROM (SELECT x FROM t ORDER BY x);
		PRAGMA integrity_check;"
	ht_check "no temporary file left" bash -c "[ -z \"\$(ls -A '$A/sqltmp')\" ]"
	ht_check "B reads the database" bash -c "[ \"\$(sqlite3 '$B/db' 'SELECT count(*) FROM t')\" = 20000 ]"
fi

# Disconnected: an existing file and a new one, written, unlinked while
# open, closed; reintegration removes the one and never shows the other.
printf 'base\n' >"$A/old"
ht_check "B reads old" ht_has_content "$B/old" "base"
ht_check "cfs disconnect on A" ht_cfs A disconnect
ht_check "offline: open, write, unlink, fstat, read, close" ht_t python3 - "$A" <<'PY'
import os, sys
d = sys.argv[1]
for name, flags in (("old", os.O_RDWR), ("new", os.O_RDWR | os.O_CREAT)):
    p = os.path.join(d, name)
    fd = os.open(p, flags, 0o644)
    os.pwrite(fd, b"offline data", 0)
    os.unlink(p)
    st = os.fstat(fd)
    assert st.st_nlink == 0, (name, st.st_nlink)
    assert os.pread(fd, 12, 0) == b"offline data", name
    os.close(fd)
    assert not os.path.exists(p), name
PY
ht_check "cfs reconnect on A" ht_cfs A reconnect
ht_check "cfs fr reintegrates" ht_cfs A fr "$A"
ht_check "B sees old gone" ht_wait_for 30 test ! -e "$B/old"
ht_check "B never sees new" test ! -e "$B/new"
ht_check "nothing pending on A" test "$(dt_pending A)" = 0
ht_done
