#!/bin/sh
# guest-init.sh - PID 1 of the test VM (packed as /init by run.sh).
# Loads the modules, runs every in-guest test, prints ok/FAIL lines and one
# HESPER-KTEST verdict, then powers off.  Busybox sh.
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /mnt/h /mnt/ext4
mount -t tmpfs tmpfs /tmp
echo "guest: kernel $(uname -r), $(nproc) cpu(s), up at $(cut -d' ' -f1 /proc/uptime)s"
fail=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fail=$((fail + 1)); }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else bad "$desc"; fi; }
# run a command with output indented, count failures by its exit status
run() { "$@" || fail=$((fail + 1)); }

while read -r m; do
	insmod "/lib/modules/$m" 2>/dev/null || echo "note: insmod $m failed (optional)"
done < /lib/modules/load-order
check "insmod hesper.ko" insmod /lib/modules/hesper.ko
check "fs type hesper registered" grep -qw hesper /proc/filesystems
check "/dev/hcfs0 exists" test -c /dev/hcfs0

wait_mount() { # $1 = mount point; up to 10 s
	i=0
	while ! grep -q " $1 " /proc/mounts; do
		i=$((i + 1)); [ $i -gt 200 ] && return 1
		sleep 0.05
	done
}

# mini MOD FS CACHEDIR: minivenus on Hesper's module or coda.ko
mini() {
	mod=$1 fs=$2 cache=$3
	case $mod in
	hesper) dev=/dev/hcfs0 x= ;;
	coda) dev=/dev/cfs0 x=-x ;;
	esac
	[ "$mod/$fs" = coda/tmpfs ] && x="-x -T"
	echo "guest: [$mod/$fs] minivenus at $(cut -d' ' -f1 /proc/uptime)s"
	rm -rf "$cache" /tmp/zapped; mkdir -p "$cache"
	minivenus -d $dev -t $mod -m /mnt/h -c "$cache" -s /tmp/stats -z /tmp/zapped &
	mv_pid=$!
	if ! wait_mount /mnt/h; then bad "[$mod/$fs] mount"; kill -9 $mv_pid; return; fi
	ok "[$mod/$fs] mount -t $mod (ROOT answered by a forked mount child)"
	if [ $mod = hesper ]; then # and the written extents CLOSE carries
		run kcheck -e "cat /tmp/stats" "$mod/$fs" /mnt/h "cat /tmp/stats"
	else
		run kcheck $x "$mod/$fs" /mnt/h "cat /tmp/stats"
	fi
	# downcalls: the daemon renames zap_a -> zap_b and chmods it behind our back
	for f in zap_a zap_p zap_r zap_u; do echo "$f data" > /mnt/h/$f; chmod 644 /mnt/h/$f; done
	cat /mnt/h/zap_a /mnt/h/zap_p /mnt/h/zap_r /mnt/h/zap_u > /dev/null
	kill -USR1 $mv_pid
	i=0; while [ ! -e /tmp/zapped ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	check "[$mod/$fs] ZAPDIR: old name gone" test ! -e /mnt/h/zap_a
	check "[$mod/$fs] ZAPDIR: new name visible" test -e /mnt/h/zap_b
	check "[$mod/$fs] ZAPFILE: new mode seen" test "$(stat -c %a /mnt/h/zap_b)" = 600
	check "[$mod/$fs] PURGEFID: removed file gone" test ! -e /mnt/h/zap_p
	check "[$mod/$fs] REPLACE: renumbered file still opens" test "$(cat /mnt/h/zap_r)" = "zap_r data"
	[ $mod = hesper ] && check "[$mod/$fs] PURGEUSER: new mode seen" test "$(stat -c %a /mnt/h/zap_u)" = 640
	if [ "$mod" = hesper ]; then # replies that lie: errors, not crashes
		check "[$mod/$fs] oversized reply: the upcall fails (EIO)" \
			sh -c '! stat /mnt/h/oversize-reply 2>/dev/null'
		check "[$mod/$fs] READLINK count past the reply: EIO" \
			sh -c '! readlink /mnt/h/bad-link >/dev/null 2>&1'
		mkdir /mnt/h/bad-dir
		check "[$mod/$fs] corrupt directory record: readdir fails (EIO)" \
			kcheck -R /mnt/h/bad-dir
		check "[$mod/$fs] the mount still works after them" stat /mnt/h/zap_b
	fi
	# real programs once per kernel through minivenus (tmpfs); through
	# venus too when vtest.sh runs
	if [ "$mod/$fs" = hesper/tmpfs ]; then
		echo "guest: programs at $(cut -d' ' -f1 /proc/uptime)s"
		programs "$mod/$fs" /mnt/h
		echo "guest: programs done at $(cut -d' ' -f1 /proc/uptime)s"
	fi
	check "[$mod/$fs] umount" umount /mnt/h
	kill $mv_pid 2>/dev/null; wait $mv_pid 2>/dev/null
}

# Real programs as clients through the module.
programs() { # TAG MNT
	t=$1 m=$2
	# a small tree: a few MiB of binaries, directories and 120 symlinks
	rm -rf /tmp/tarsrc; mkdir -p /tmp/tarsrc/mod /tmp/tarsrc/bin/links
	cp /bin/busybox /tmp/tarsrc/bin/ && cp /lib/modules/hesper.ko /lib/modules/ext4.ko /tmp/tarsrc/mod/
	echo "small file the links point at" > /tmp/tarsrc/bin/target
	# (not at busybox: diff -r follows links and would compare 2 MiB each)
	for a in $(busybox --list | head -120); do ln -s ../target /tmp/tarsrc/bin/links/$a; done
	tar cf /tmp/src.tar -C /tmp/tarsrc .
	mkdir $m/tar
	check "[$t] tar: unpack $(du -k /tmp/src.tar | cut -f1) KiB into the mount" \
		tar xf /tmp/src.tar -C $m/tar
	check "[$t] tar: unpacked tree matches" diff -r /tmp/tarsrc $m/tar
	check "[$t] tar: pack from the mount" sh -c "tar cf /tmp/back.tar -C $m/tar . && test -s /tmp/back.tar"
	check "[$t] rm -r of the unpacked tree" rm -r $m/tar
	echo "guest: [$t] tar done at $(cut -d' ' -f1 /proc/uptime)s"
	if [ -x /usr/bin/sqlite3 ]; then
		mkdir $m/db
		check "[$t] sqlite3: WAL database, writes through mmap" sqlite_test
		rm -rf $m/db
	fi
	if [ -x /usr/bin/gcc ]; then
		mkdir $m/cc
		printf '#include <stdio.h>\nint main(void){puts("compiled through hesper");return 0;}\n' > $m/cc/hello.c
		check "[$t] gcc: compile + link on the mount" gcc -o $m/cc/hello $m/cc/hello.c
		check "[$t] run the compiled program" sh -c "$m/cc/hello | grep -q 'compiled through hesper'"
		rm -rf $m/cc
	fi
}

# sqlite3 with a WAL (its -shm index is a shared writable mapping) and
# mmap I/O for the database file.
sqlite_test() {
	out=$(cd $m/db && sqlite3 t.db "PRAGMA journal_mode=WAL; PRAGMA mmap_size=1048576;
		CREATE TABLE t(a INTEGER, b TEXT);
		WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<2000)
		INSERT INTO t SELECT x, hex(randomblob(50)) FROM c;
		SELECT count(*), sum(a) FROM t;" 2>&1)
	out2=$(cd $m/db && sqlite3 t.db "PRAGMA mmap_size=1048576; PRAGMA integrity_check;
		SELECT count(*) FROM t;" 2>&1)
	if [ "$(echo $out)" != "wal 1048576 2000|2001000" ] || [ "$(echo $out2)" != "1048576 ok 2000" ]; then
		echo "$out" "$out2" | sed 's/^/sqlite: /'
		return 1
	fi
}

# venus dies while a process waits on it: errors, not hangs; then cleanup.
death() {
	rm -rf /tmp/cache-death; mkdir -p /tmp/cache-death
	minivenus -d /dev/hcfs0 -t hesper -m /mnt/h -c /tmp/cache-death -s /tmp/stats &
	mv_pid=$!
	wait_mount /mnt/h || { bad "[death] mount"; return; }
	echo data > /mnt/h/kept
	sleep 1000 < /mnt/h/kept & holder=$!
	stat /mnt/h/hang-here >/dev/null 2>&1 & waiter=$!
	sleep 1
	check "[death] a process is blocked in an upcall" kill -0 $waiter
	kill -9 $mv_pid; wait $mv_pid 2>/dev/null
	t0=$(cut -d. -f1 /proc/uptime)
	wait $waiter; rc=$?
	t1=$(cut -d. -f1 /proc/uptime)
	check "[death] the blocked process got an error (rc $rc) in $((t1 - t0)) s" \
		test $rc -ne 0 -a $((t1 - t0)) -lt 5
	check "[death] new lookups fail (EIO), no hang" sh -c '! timeout 5 ls /mnt/h/other 2>/dev/null'
	check "[death] open of a file fails, no hang" sh -c '! timeout 5 cat /mnt/h/nothere 2>/dev/null'
	kill $holder; wait $holder 2>/dev/null
	check "[death] umount after venus died" umount /mnt/h
}

if grep -q 'ktest.bench=1' /proc/cmdline && [ -f /bin/kbench.sh ]; then
	. /bin/kbench.sh
	rmmod hesper
	echo "guest: done at $(cut -d' ' -f1 /proc/uptime)s"
	poweroff -f
fi

echo "guest: minivenus tests at $(cut -d' ' -f1 /proc/uptime)s"
mini hesper tmpfs /tmp/cache-hesper
mini coda tmpfs /tmp/cache-coda
if losetup /dev/loop0 /images/ext4.img && mount -t ext4 /dev/loop0 /mnt/ext4; then
	ok "ext4 on a loop device"
	mini hesper ext4 /mnt/ext4/cache-hesper
	mini coda ext4 /mnt/ext4/cache-coda
	umount /mnt/ext4; losetup -d /dev/loop0
else
	bad "ext4 on a loop device"
fi
if [ -f /bin/vtest.sh ] && ! grep -q 'ktest.venus=0' /proc/cmdline; then
	. /bin/vtest.sh
fi
echo "guest: death test at $(cut -d' ' -f1 /proc/uptime)s"
death
check "rmmod hesper" rmmod hesper
check "rmmod coda" rmmod coda
dmesg | grep -iE 'hesper|coda|BUG|WARNING|Oops|hung' | grep -v 'loading out-of-tree\|taint' | sed 's/^/dmesg: /'
check "no kernel BUG/WARNING/Oops in dmesg" sh -c '! dmesg | grep -qE "BUG:|WARNING:|Oops|hung_task"'
echo "guest: done at $(cut -d' ' -f1 /proc/uptime)s"
if [ "$fail" -eq 0 ]; then echo "HESPER-KTEST: PASS"; else echo "HESPER-KTEST: FAIL ($fail)"; fi
poweroff -f
