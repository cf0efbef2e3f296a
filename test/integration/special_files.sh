#!/bin/bash
# FIFOs, sockets and device nodes are objects vice stores (type, mode,
# owner, rdev) that every client sees; their data paths stay local.  A
# mknod made while disconnected is logged and reintegrated.  Also: an
# ftruncate through an open descriptor moves ctime at once.
source "$(dirname "$0")/disc_lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

# "type mode major:minor (hex)" as stat(1) prints them.
desc() { stat -c '%F %a %t:%T' "$1"; }
same_desc() { [ "$(desc "$1" 2>/dev/null)" = "$2" ]; }

ht_check "mkfifo on A" ht_t mkfifo -m 0640 "$A/fifo"
ht_check "mknod c 1 3 on A" ht_t mknod -m 0666 "$A/null" c 1 3
ht_check "mknod b 7 5 on A" ht_t mknod -m 0600 "$A/blk" b 7 5
ht_check "bind of a Unix socket on A" ht_t python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$A/sock"
ht_check "mknod S_IFREG on A (python os.mknod)" ht_t python3 -c '
import os, stat, sys; os.mknod(sys.argv[1], 0o640 | stat.S_IFREG)' "$A/reg"

ht_check "A sees the fifo" same_desc "$A/fifo" "fifo 640 0:0"
ht_check "B sees the fifo (got $(desc "$B/fifo" 2>&1))" same_desc "$B/fifo" "fifo 640 0:0"
ht_check "B sees the char device 1,3 (got $(desc "$B/null" 2>&1))" \
	same_desc "$B/null" "character special file 666 1:3"
ht_check "B sees the block device 7,5 (got $(desc "$B/blk" 2>&1))" \
	same_desc "$B/blk" "block special file 600 7:5"
ht_check "B sees the socket (got $(desc "$B/sock" 2>&1))" bash -c "stat -c %F '$B/sock' | grep -qx socket"
ht_check "B sees an empty regular file (got $(desc "$B/reg" 2>&1))" \
	same_desc "$B/reg" "regular empty file 640 0:0"
ht_check "B lists the fifo with type p" bash -c "ls -l '$B' | grep -q '^p.* fifo\$'"

# Data paths are the client's own: a FIFO on A is a pipe on A.
ht_check "a FIFO on A carries data between two processes on A" ht_t bash -c "
	(printf 'through the pipe\n' >'$A/fifo') &
	got=\$(cat '$A/fifo'); wait; [ \"\$got\" = 'through the pipe' ]"
# The mount is nodev (FUSE's default, kept on purpose): a device node
# on it never opens, on any client.
ht_check "the char device does not open (nodev): EACCES" ht_t python3 -c '
import errno, os, sys
try:
    os.open(sys.argv[1], os.O_RDONLY)
except OSError as e:
    sys.exit(0 if e.errno == errno.EACCES else 1)
sys.exit(1)' "$B/null"

# Attributes are shared like a file's.
ht_check "chmod on B" ht_t chmod 0604 "$B/fifo"
ht_check "A sees the new mode" ht_wait_for 10 same_desc "$A/fifo" "fifo 604 0:0"
ht_check "rename on A" ht_t mv "$A/blk" "$A/blk2"
ht_check "B sees the renamed device" ht_wait_for 10 same_desc "$B/blk2" "block special file 600 7:5"
ht_check "unlink on B" ht_t rm "$B/sock"
ht_check "A sees the socket gone" ht_wait_for 10 test ! -e "$A/sock"

# ftruncate through an open descriptor: ctime moves at once on the writer.
printf 'abcdef' >"$A/t"
ht_check "ctime moves at once after ftruncate on an open fd" ht_t python3 -c '
import os, sys, time
p = sys.argv[1]
c0 = os.stat(p).st_ctime_ns
time.sleep(1.1)   # a timestamp granularity of at most 1 s, then a later change
fd = os.open(p, os.O_RDWR)
os.ftruncate(fd, 3)
c1 = os.fstat(fd).st_ctime_ns
c2 = os.stat(p).st_ctime_ns
os.close(fd)
sys.exit(0 if c1 > c0 and c2 > c0 else 1)' "$A/t"

# So does a write through an open descriptor, before its close.
ht_check "ctime moves at once after a write on an open fd" ht_t python3 -c '
import os, sys, time
p = sys.argv[1]
c0 = os.stat(p).st_ctime_ns
time.sleep(1.1)
fd = os.open(p, os.O_WRONLY)
os.write(fd, b"x")
c1 = os.fstat(fd).st_ctime_ns
os.close(fd)
sys.exit(0 if c1 > c0 else 1)' "$A/t"

# A hoard walk over special files caches their attributes, no errors.
HOARD=${HOARD:-$top_builddir/tools/hoard}
ht_check "hoard add of B's root" env HESPER_CTL="$(ht_ctl B)" timeout -k 5 120 "$HOARD" add "$B" 10:c+
walk=$(HESPER_CTL=$(ht_ctl B) timeout -k 5 120 "$HOARD" walk 2>&1) || ht_fail "hoard walk failed: $walk"
ht_check "hoard walk over special files: 0 errors ($(tr '\n' ';' <<<"$walk"))" \
	grep -Eq '^Walk done: [0-9]+ objects, [0-9]+ fetched, 0 errors$' <<<"$walk"

# Disconnected: a mknod is logged and reintegrated.
ht_vice_stop
ls -l "$A" >/dev/null 2>&1 || true
ht_wait_for 40 _dt_state_in A Disconnected || true
ht_check "A is Disconnected with vice stopped (state: $(dt_state A))" test "$(dt_state A)" = Disconnected
ht_check "mkfifo on A while disconnected" ht_t mkfifo -m 0620 "$A/offfifo"
ht_check "mknod c 1 5 on A while disconnected" ht_t mknod -m 0644 "$A/offzero" c 1 5
ht_check "A sees its offline fifo" same_desc "$A/offfifo" "fifo 620 0:0"
n=$(dt_pending A)
ht_check "CML entries pending on A (N=$n) > 0" test "$n" -gt 0
ll=$(ht_cfs A listlocal "$A" 2>&1) || true
ht_check "cfs listlocal names the mknod records ($(tr '\n' ';' <<<"$ll"))" grep -q Mknod <<<"$ll"
dt_vice_restart
ht_check "A reconnects within 60 s" dt_wait_connected A 60
dt_fr A
ht_check "cfs fr on A exits 0 (got $DT_FR_RC: $(tail -n 2 <<<"$DT_FR_OUT" | tr '\n' ' '))" \
	test "$DT_FR_RC" -eq 0
ht_check "A has 0 CML entries pending (lv: $(dt_pending A))" test "$(dt_pending A)" -eq 0
ht_check "B reconnects within 60 s" dt_wait_connected B 60
ht_check "B sees the reintegrated fifo (got $(desc "$B/offfifo" 2>&1))" \
	ht_wait_for 30 same_desc "$B/offfifo" "fifo 620 0:0"
ht_check "B sees the reintegrated char device 1,5 (got $(desc "$B/offzero" 2>&1))" \
	ht_wait_for 30 same_desc "$B/offzero" "character special file 644 1:5"
ht_done
