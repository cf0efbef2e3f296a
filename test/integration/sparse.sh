#!/bin/bash
# Holes are never sent nor stored: 1 byte written at offset 2 GiB + 1
# moves a few KiB each way (vice's and venus's byte counters), takes a
# few KiB on vice's disk (du) and in the reading client's container; a
# file of data and holes reads back identically on another client; a
# sparse file written in write-disconnected mode is reintegrated sparse.
HT_TIMEOUT=${HT_TIMEOUT:-180}
source "$(dirname "$0")/disc_lib.sh"

OFF=$((2 * 1024 * 1024 * 1024 + 1))
SMALL=$((256 * 1024))     # bytes moved or stored that count as "small"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
DATA=$VICE_ROOT/root/data

# pwrite1 FILE OFFSET BYTE: one byte at OFFSET, through a real close(2).
cat >"$HT_TMP/pwrite1" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
os.pwrite(fd, sys.argv[3].encode(), int(sys.argv[2]))
os.close(fd)
PY
pwrite1() { ht_t python3 "$HT_TMP/pwrite1" "$@"; }
# pread1 FILE OFFSET: the byte at OFFSET, as a Python repr.
cat >"$HT_TMP/pread1" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print(repr(os.pread(fd, 1, int(sys.argv[2]))))
os.close(fd)
PY
pread1() { ht_t python3 "$HT_TMP/pread1" "$@"; }
du_k() { du -sk "$1" | awk '{ print $1 }'; }

vs0=$(ht_sstat A store_bytes)
vf0=$(ht_sstat A fetch_bytes)
as0=$(ht_stat A store_bytes)
t0=$(date +%s%N)
ht_check "1 byte at 2 GiB + 1 is written and closed" pwrite1 "$A/sparse" "$OFF" x
ht_note "write + close of the sparse file took $((($(date +%s%N) - t0) / 1000000)) ms"
ht_check "A sees its size" test "$(stat -c %s "$A/sparse")" -eq $((OFF + 1))
vs=$(($(ht_sstat A store_bytes) - vs0))
as=$(($(ht_stat A store_bytes) - as0))
ht_check "vice received $vs bytes (< $SMALL)" test "$vs" -lt "$SMALL"
ht_check "venus A sent $as bytes (< $SMALL)" test "$as" -lt "$SMALL"
ht_check "vice's data takes $(du_k "$DATA") KiB on disk (< 1024)" test "$(du_k "$DATA")" -lt 1024

bf0=$(ht_stat B fetch_bytes)
t0=$(date +%s%N)
ht_check "B sees the size" test "$(stat -c %s "$B/sparse")" -eq $((OFF + 1))
ht_check "B reads the byte" test "$(pread1 "$B/sparse" "$OFF")" = "b'x'"
ht_note "B's first read took $((($(date +%s%N) - t0) / 1000000)) ms"
ht_check "B reads a zero in the hole" test "$(pread1 "$B/sparse" 1000000)" = "b'\\x00'"
vf=$(($(ht_sstat A fetch_bytes) - vf0))
bf=$(($(ht_stat B fetch_bytes) - bf0))
ht_check "vice sent $vf bytes (< $SMALL)" test "$vf" -lt "$SMALL"
ht_check "venus B fetched $bf bytes (< $SMALL)" test "$bf" -lt "$SMALL"
ht_check "B's containers take $(du_k "$(ht_cachedir B)/containers") KiB (< 1024)" \
	test "$(du_k "$(ht_cachedir B)/containers")" -lt 1024

# Data, holes, data across fetch and store chunks, a trailing hole; the
# same file built locally is the reference.
cat >"$HT_TMP/mkmixed" <<'PY'
import os, sys, random
random.seed(7)
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
for off, n in ((0, 100000), (3 << 20, 5000), ((5 << 20) - 10, 20), (6 << 20, 1 << 20)):
    os.pwrite(fd, random.randbytes(n), off)
for i in range(200):   # many small extents in one chunk
    os.pwrite(fd, bytes([i + 1]) * 10, (9 << 20) + i * 8192)
os.ftruncate(fd, 12 << 20)
os.close(fd)
PY
mkmixed() { ht_t python3 "$HT_TMP/mkmixed" "$@"; }
mkmixed "$HT_TMP/mixed"
ht_check "A writes a file of data and holes" mkmixed "$A/mixed"
ht_check "B reads it identically" ht_t cmp "$HT_TMP/mixed" "$B/mixed"
ht_check "A reads it identically" ht_t cmp "$HT_TMP/mixed" "$A/mixed"

# A file that is one hole (written, then cut and extended): no data to
# send, yet its store must commit.
cat >"$HT_TMP/allhole" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.pwrite(fd, b"x", 1 << 20)
os.ftruncate(fd, 100)
os.ftruncate(fd, int(sys.argv[2]))
os.close(fd)
PY
allhole() { ht_t python3 "$HT_TMP/allhole" "$@"; }
ht_check "A writes a file that is one 5 MiB hole" allhole "$A/hole" $((5 << 20))
ht_check "B sees its size" test "$(stat -c %s "$B/hole")" -eq $((5 << 20))
ht_check "B reads zeros" ht_t cmp -n $((5 << 20)) /dev/zero "$B/hole"

# Reintegration of a sparse store.
ht_check "cfs wd -age 1 -time 1" ht_cfs A wd -age 1 -time 1
vs0=$(ht_sstat A store_bytes)
vd0=$(du_k "$DATA")
ad0=$(du_k "$(ht_cachedir A)")
ht_check "a sparse file written while write-disconnected" pwrite1 "$A/wdsparse" "$OFF" y
ht_check "a file that is one hole, written while write-disconnected" allhole "$A/wdhole" 4096
ht_check "its store is reintegrated" dt_wait_pending A 60 0
ht_check "B sees the hole's size" test "$(stat -c %s "$B/wdhole")" -eq 4096
ht_check "B reads the byte" test "$(pread1 "$B/wdsparse" "$OFF")" = "b'y'"
vs=$(($(ht_sstat A store_bytes) - vs0))
ht_check "vice received $vs bytes for it (< $SMALL)" test "$vs" -lt "$SMALL"
ad=$(($(du_k "$(ht_cachedir A)") - ad0))
vd=$(($(du_k "$DATA") - vd0))
ht_check "its container and CML copy took $ad KiB more in A's cache (< 1024)" test "$ad" -lt 1024
ht_check "it took $vd KiB more on vice's disk (< 1024)" test "$vd" -lt 1024
ht_done
