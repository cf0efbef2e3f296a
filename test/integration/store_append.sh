#!/bin/bash
# Appends written in place on vice (issue 11, written extents): a delta
# store whose extents all lie past the base's size (a growing log, a
# SQLite WAL) is written into vice's data file past its recorded size and
# committed, with no copy of the base.  Checked by the data file keeping
# its inode, the bytes venus sent, B reading every version byte for byte;
# and by crashes: vice killed with SIGKILL (1) with an append written past
# the recorded size but not committed, as a kill between the write and the
# commit leaves it (the journal line and the tail made by hand), and (2)
# at a random moment while A appends record after record.  After each
# restart the file is the old version or the new one, never a mix: whole
# records of the reference, in order.
HT_TIMEOUT=${HT_TIMEOUT:-400}
source "$(dirname "$0")/disc_lib.sh"

REC=4096                # one appended record
ht_vice_start
DT_VICE_PORT=$VICE_PORT
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
REF=$HT_TMP/ref
DATA=$VICE_ROOT/root/data

# rec N: record N (REC bytes, its number repeated).
rec() { /usr/bin/python3 -c "import sys; sys.stdout.write(('%07d\n' % int(sys.argv[1])) * ($REC // 8))" "$1"; }
# append FILE N: record N appended to FILE in one open and close.
append() { rec "$2" >>"$1"; }
sent() { echo $(($(ht_stat A store_bytes) - $1)); }
# vice's data file of size $1 (the only one of that size).
datafile() { find "$DATA" -type f -size "$1"c | head -n 1; }

head -c $((8 * 1024 * 1024)) /dev/urandom >"$REF"
ht_check "A writes an 8 MiB file" cp "$REF" "$A/log"
ht_check "B reads it equal" ht_t cmp "$REF" "$B/log"
df=$(datafile $((8 * 1024 * 1024)))
ht_check "vice's data file of the 8 MiB file is found" test -n "$df"
ino0=$(stat -c %i "$df")

as0=$(ht_stat A store_bytes)
for n in 1 2 3; do
	append "$REF" "$n"
	ht_check "A appends record $n" append "$A/log" "$n"
done
as=$(sent "$as0")
ht_note "3 appends of $REC bytes: venus A sent $as bytes"
ht_check "venus A sent the 3 records only ($as <= $((3 * REC)))" test "$as" -le $((3 * REC))
ht_check "B reads the appended file equal" ht_t cmp "$REF" "$B/log"
size=$(stat -c %s "$REF")
ht_check "vice's data file is the same file, grown in place (inode $ino0)" \
	test "$(stat -c %i "$df")" = "$ino0" -a "$(stat -c %s "$df")" = "$size"

# ---- (1) an append written past the recorded size, not committed ----
dt_vice_kill9
head -c 1048576 /dev/urandom >>"$df"
vol_vnode=$(basename "$(dirname "$df")")
IFS=. read -r vn un <<<"$(basename "$df")"
printf '%s %s %s\n' "$vol_vnode" "$vn" "$un" >>"$DATA/tmp/.appends"
dt_vice_restart
ht_check "after the restart vice cut the data file back to its recorded size ($size)" \
	test "$(stat -c %s "$df")" = "$size"
ht_check "vice emptied the append journal" test ! -s "$DATA/tmp/.appends"
ht_check "A is connected again" dt_wait_connected A 60
ht_check "A appends record 4 after the restart" append "$A/log" 4
append "$REF" 4
ht_check "B reads the old version plus record 4, nothing of the uncommitted tail" \
	ht_wait_for 60 cmp "$REF" "$B/log"

# ---- (2) vice killed while A appends ----
: >"$HT_TMP/rlog"
ht_check "A makes a file of records" append "$A/rlog" 0
appender() {
	local n
	for n in $(seq 1 60); do
		append "$A/rlog" "$n" 2>/dev/null || true
		[ -e "$HT_TMP/stop" ] && break
	done
}
appender &
apid=$!
HT_EXTRA_PIDS="${HT_EXTRA_PIDS:-} $apid"
ht_wait_for 60 test "$(ht_stat A stores)" -gt 8 || true
sleep 0.$((RANDOM % 10))
dt_vice_kill9
ht_note "vice killed while A appended"
dt_vice_restart
touch "$HT_TMP/stop"
wait "$apid" 2>/dev/null || true
# whole_records FILE: FILE is records 0..k-1 for some k (a version: the
# old or the new, never a mix), and at least one.
whole_records() {
	/usr/bin/python3 - "$1" "$REC" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
r = int(sys.argv[2])
ok = len(b) >= r and len(b) % r == 0 and all(
    b[i * r:(i + 1) * r] == (('%07d\n' % i) * (r // 8)).encode()
    for i in range(len(b) // r))
sys.exit(0 if ok else 1)
PY
}
ht_check "B reads whole records in order after the kill" ht_wait_for 60 whole_records "$B/rlog"
ht_check "A is connected again" dt_wait_connected A 60
[ "$(dt_pending A)" = 0 ] || dt_fr A "$A"
ht_check "A's CML is empty (every append reached vice)" dt_wait_pending A 120 0
ht_check "A's file is whole records in order" whole_records "$A/rlog"
ht_check "B reads what A holds" ht_wait_for 60 cmp "$A/rlog" "$B/rlog"
ht_done
