#!/bin/bash
# A mapping that outlives its descriptor (open, mmap, close, write through
# the map, munmap): once munmap returned, another client reads the change.
source "$(dirname "$0")/lib.sh"
[ -x "$MMAPWRITE" ] || ht_hard "$MMAPWRITE not built (make check builds it)"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

head -c 16777216 /dev/zero | tr '\0' 'a' >"$A/f"
ht_check "B reads the original" bash -c "[ \"\$(head -c 4 '$B/f')\" = aaaa ]"
for i in 1 2 3 4 5; do
	off=$((i * 3000000))
	ht_check "round $i: mmapwrite -c" ht_t "$MMAPWRITE" -c "$A/f" "$off" "MAPPED-$i"
	ht_check "round $i: B reads it at once" bash -c \
		"[ \"\$(dd if='$B/f' bs=1 skip=$off count=8 status=none)\" = MAPPED-$i ]"
done

# Python: the mapping is the last reference, from a child that inherited it.
ht_check "python: fork, close, write through the map, munmap" ht_t python3 - "$A/f" "$B/f" <<'PY'
import mmap, os, sys
a, b = sys.argv[1], sys.argv[2]
fd = os.open(a, os.O_RDWR)
m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
os.close(fd)
pid = os.fork()
if pid == 0:
    m[100:108] = b"CHILD-MM"
    m.close()
    os._exit(0)
os.waitpid(pid, 0)
m[200:209] = b"PARENT-MM"
m.close()
with open(b, "rb") as f:
    f.seek(100); c = f.read(8)
    f.seek(200); p = f.read(9)
assert (c, p) == (b"CHILD-MM", b"PARENT-MM"), (c, p)
PY
# Every page dirty: the writeback comes in many WRITEs, gathered into few
# stores.
stores0=$(ht_sstat A stores)
ht_check "python: rewrite all 16 MiB through a map that outlived its fd" ht_t python3 - "$A/f" "$B/f" <<'PY'
import mmap, os, sys
a, b = sys.argv[1], sys.argv[2]
fd = os.open(a, os.O_RDWR)
m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
os.close(fd)
m[:] = b"z" * len(m)
m.close()
with open(b, "rb") as f:
    data = f.read()
assert data == b"z" * (16 << 20), "B read %d bytes, %d z" % (len(data), data.count(b"z"))
PY
ht_note "16 MiB of dirty pages took $(( $(ht_sstat A stores) - stores0 )) store(s)"
ht_check "A's copy is still 16 MiB" test "$(stat -c %s "$A/f")" -eq 16777216
ht_check "B's copy is still 16 MiB" test "$(stat -c %s "$B/f")" -eq 16777216
ht_done
