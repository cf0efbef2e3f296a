#!/bin/bash
# venus's cache disk full (C's cachedir on a 24 MiB tmpfs, cachesize far
# above it): reading an uncached file evicts clean containers to make
# room; a write that cannot fit fails with ENOSPC, as does a create once
# nothing can be evicted (write-disconnected too); files closed before stay
# intact; rm makes room.
source "$(dirname "$0")/lib.sh"

ht_small_fs "$(ht_cachedir C)" 24m
ht_vice_start
ht_venus_start A
ht_venus_start C --cachesize 1G
A=$(ht_mnt A)
C=$(ht_mnt C)
sum() { ht_t sha256sum <"$1" | awk '{ print $1 }'; }
free_k() { df -k --output=avail "$(ht_cachedir C)" | tail -n 1 | tr -d ' '; }

# Clean containers fill C's disk: 2 MiB files read through C.
mkdir "$A/r"
n=0
for i in $(seq 1 9); do
	head -c $((2 << 20)) /dev/urandom >"$HT_TMP/r$i"
	cp "$HT_TMP/r$i" "$A/r/f$i"
done
for i in $(seq 1 9); do
	ht_check "C reads r/f$i" test "$(sum "$C/r/f$i")" = "$(sum "$HT_TMP/r$i")"
done
ht_note "C's cache disk: $(free_k) KiB free with 9 clean containers"
ev=$(ht_stat C evictions)
head -c $((6 << 20)) /dev/urandom >"$HT_TMP/big"
cp "$HT_TMP/big" "$A/big"
ht_check "C reads a 6 MiB uncached file" test "$(sum "$C/big")" = "$(sum "$HT_TMP/big")"
ht_check "clean containers were evicted for it ($(ht_stat C evictions) > $ev)" \
	test "$(ht_stat C evictions)" -gt "$ev"

# Written files are clean once stored, so writes evict them too: twelve
# 4 MiB files fit through a 24 MiB disk.
printf 'closed before\n' >"$C/kept"
head -c $((4 << 20)) /dev/urandom >"$HT_TMP/chunk"
for i in $(seq 1 12); do
	ht_check "C writes w$i" ht_t cp "$HT_TMP/chunk" "$C/w$i"
done

# One open file fills the disk: its write fails with ENOSPC; a create
# then succeeds or says ENOSPC (never EIO); the close stores what fitted.
cat >"$HT_TMP/fill.py" <<'PY'
import errno, os, sys
d = sys.argv[1]
fd = os.open(d + "/" + sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
buf = os.urandom(1 << 20)
n = 0
try:
    for i in range(64):
        n += os.write(fd, buf)
    print("write: fitted")
except OSError as e:
    print("write:", errno.errorcode[e.errno])
try:
    os.close(os.open(d + "/" + sys.argv[3], os.O_WRONLY | os.O_CREAT, 0o644))
    print("create: ok")
except OSError as e:
    print("create:", errno.errorcode[e.errno])
try:
    os.close(fd)
    print("close: ok")
except OSError as e:
    print("close:", errno.errorcode[e.errno])
print("written:", n)
PY
run_fill() {
	ht_t python3 "$HT_TMP/fill.py" "$C" "$1" "$2" >"$HT_TMP/fill.out" 2>&1 || true
	ht_note "$1: $(tr '\n' ';' <"$HT_TMP/fill.out")"
	ht_check "$1: the write failed with ENOSPC" grep -qx "write: ENOSPC" "$HT_TMP/fill.out"
	ht_check "$1: the create succeeded or said ENOSPC" grep -qxE "create: (ok|ENOSPC)" "$HT_TMP/fill.out"
}
run_fill hold new
ht_check "hold: the close succeeded" grep -qx "close: ok" "$HT_TMP/fill.out"
n=$(awk '$1 == "written:" { print $2 }' "$HT_TMP/fill.out")
ht_check "A sees what fitted in hold ($n bytes)" test "$(stat -c %s "$A/hold")" -eq "$n"
ht_check "A reads what C closed before" ht_has_content "$A/kept" "closed before"
for i in 1 12; do
	ht_check "A reads w$i" test "$(sum "$A/w$i")" = "$(sum "$HT_TMP/chunk")"
done
ht_check "rm on C works" ht_t rm -f "$C/hold" "$C/new"
ht_check "C writes again" ht_t cp "$HT_TMP/chunk" "$C/after"
ht_check "A reads it" test "$(sum "$A/after")" = "$(sum "$HT_TMP/chunk")"

# Write-disconnected: the create is logged in the CML, or says ENOSPC.
ht_check "cfs wd" ht_cfs C wd
run_fill hold2 new2
ht_check "cfs strong" ht_cfs C strong
ht_check "rm on C works" ht_t rm -f "$C/hold2" "$C/new2"
ht_done
