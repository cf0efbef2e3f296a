#!/bin/bash
# A file changed only through mmap(MAP_SHARED) + munmap + close is stored.
source "$(dirname "$0")/lib.sh"
[ -x "$MMAPWRITE" ] || ht_hard "$MMAPWRITE not built (make check builds it)"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

# vice's store count, asked through venus NAME, is at least N.
stores_at_least() {
	local n
	n=$(ht_cfs "$1" serverstats 2>/dev/null | awk '$1 == "stores" { print $2 }')
	[ -n "$n" ] && [ "$n" -ge "$2" ]
}

head -c 8192 /dev/zero | tr '\0' 'a' >"$A/f"
ht_check "B reads the original" bash -c "[ \"\$(head -c 4 '$B/f')\" = aaaa ]"
ht_check "vice has the first store" ht_wait_for 30 stores_at_least A 1
stores0=$(ht_sstat A stores)

ht_check "mmapwrite succeeds" ht_t "$MMAPWRITE" "$A/f" 100 "MAPPED-WRITE"
ht_wait_for 10 bash -c "[ \"\$(HESPER_CTL='$(ht_ctl A)' '$CFS' serverstats | awk '\$1==\"stores\"{print \$2}')\" -gt $stores0 ]" || true
stores1=$(ht_sstat A stores)
ht_check "vice's store count grew by 1 ($stores0 -> $stores1)" test "$stores1" -eq $((stores0 + 1))
ht_check "B sees the mapped write" bash -c "[ \"\$(dd if='$B/f' bs=1 skip=100 count=12 status=none)\" = MAPPED-WRITE ]"
ht_check "B's copy is 8192 bytes" test "$(stat -c %s "$B/f")" -eq 8192

# Python's mmap too, on a file B then reads.
python3 - "$A/g" <<'PY'
import mmap, os, sys
p = sys.argv[1]
with open(p, "wb") as f:
    f.write(b"\0" * 4096)
fd = os.open(p, os.O_RDWR)
m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[0:5] = b"hello"
m.close()
os.close(fd)
PY
ht_check "B sees python's mapped write" bash -c "[ \"\$(head -c 5 '$B/g')\" = hello ]"
ht_done
