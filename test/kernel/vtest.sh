# vtest.sh - sourced by guest-init.sh when run.sh packed real vice, venus
# and cfs: the same written-flag and namespace checks (kcheck) through
# venus's kernel front end (venus/front/coda/coda.c), on Hesper's module and on the
# stock coda.ko, with the cache on tmpfs and on ext4.  A store is counted
# by vice (cfs serverstats).  Busybox sh; uses ok/bad/check/run/wait_mount
# and programs() from guest-init.sh.

vice_up() {
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
	mkdir -p /tmp/vice
	vice -f -r /tmp/vice/root -l 127.0.0.1 -p 2432 > /tmp/vice/vice.log 2>&1 &
	vice_pid=$!
	i=0
	until grep -q 'listening on' /tmp/vice/vice.log; do
		i=$((i + 1)); [ $i -gt 300 ] && return 1
		kill -0 $vice_pid 2>/dev/null || return 1
		sleep 0.1
	done
	# vice enforces ACLs: root (id 0, an administrator) gets a token in
	# every venus (clog_root), as the integration tests' harness does.
	head -c 18 /dev/urandom | base64 > /tmp/vice/pw
	pdbtool -r /tmp/vice/root nu root 0 > /dev/null &&
		pdbtool -r /tmp/vice/root ag System:Administrators root > /dev/null &&
		pdbtool -r /tmp/vice/root passwd -pipe root < /tmp/vice/pw > /dev/null
}

# clog_root CACHEDIR TAG: root's token in the venus of CACHEDIR, once
# venus has pinned vice's certificate (its first contact may follow the
# mount on a slow guest; up to 60 s).
clog_root() {
	i=0
	until [ -s "$1/known_servers" ] || [ $i -ge 600 ]; do
		i=$((i + 1)); sleep 0.1
	done
	check "[$2] clog root" sh -c "HESPER_CTL=$1/venus.ctl clog -pipe root < /tmp/vice/pw > /dev/null"
}

# specials TAG DIR: FIFOs and device nodes through Hesper's module (mknod
# becomes a CREATE with the type; venus keeps the object on vice, this
# kernel serves the data).
specials() {
	t=$1 d=$2
	check "[$t] mkfifo" mkfifo $d/fifo
	check "[$t] the FIFO is a FIFO" sh -c "[ \"\$(stat -c %F $d/fifo)\" = fifo ]"
	check "[$t] the FIFO carries data between two processes" sh -c "
		(timeout 10 sh -c 'echo through > $d/fifo') &
		[ \"\$(timeout 10 cat $d/fifo)\" = through ]; r=\$?; wait; exit \$r"
	check "[$t] mknod c 1 3" mknod $d/null c 1 3
	check "[$t] the node is char 1,3" sh -c "[ \"\$(stat -c '%F %t %T' $d/null)\" = 'character special file 1 3' ]"
	check "[$t] the node opens this kernel's /dev/null" sh -c "echo x > $d/null && [ -z \"\$(cat $d/null)\" ]"
	check "[$t] rm of the special files" rm $d/fifo $d/null
}

# The realm's tree under venus's mount: /mnt/v/127.0.0.1 once venus lists
# realms at its mount (its realm is named after the server), else /mnt/v.
vtree() { if [ -d /mnt/v/127.0.0.1 ]; then echo /mnt/v/127.0.0.1; else echo /mnt/v; fi; }

# venus_run MOD FS CACHEDIR
venus_run() {
	mod=$1 fs=$2 cache=$3 t="venus-$1/$2"
	rm -rf "$cache"; mkdir -p "$cache" /mnt/v
	: > /tmp/empty.conf
	# -d on Hesper's module: venus logs each CLOSE's written extents,
	# which kcheck -e compares with what it wrote
	d=; [ $mod = hesper ] && d=-d
	venus -f $d -c /tmp/empty.conf --cachedir "$cache" --mountpoint /mnt/v \
		--frontend $mod 127.0.0.1:2432 > /tmp/venus-$mod.log 2>&1 &
	v_pid=$!
	if ! wait_mount /mnt/v; then
		bad "[$t] venus mounted /mnt/v"
		tail -20 /tmp/venus-$mod.log | sed 's/^/venus: /'
		kill -9 $v_pid; wait $v_pid 2>/dev/null
		return
	fi
	ok "[$t] venus --frontend $mod mounted /mnt/v"
	clog_root "$cache" "$t"
	x=
	[ $mod = coda ] && x=-x
	[ "$mod/$fs" = coda/tmpfs ] && x="-x -T"
	# one vice for every run: each works in its own directory
	sub=$(vtree)/run-$mod-$fs
	check "[$t] mkdir $sub" mkdir $sub
	if [ $mod = hesper ]; then
		run kcheck -e "grep 'coda: close ino' /tmp/venus-$mod.log | tail -n 70" \
			"$t" $sub "HESPER_CTL=$cache/venus.ctl cfs serverstats"
	else
		run kcheck $x "$t" $sub "HESPER_CTL=$cache/venus.ctl cfs serverstats"
	fi
	[ "$mod/$fs" = hesper/tmpfs ] && programs "$t" $sub
	[ $mod = hesper ] && specials "$t" $sub
	HESPER_CTL=$cache/venus.ctl cfs stats 2>&1 | tr '\n' ' ' | sed "s|^|note - [$t] venus stats: |"; echo
	kill -TERM $v_pid
	i=0
	while kill -0 $v_pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	check "[$t] venus exits on SIGTERM" sh -c "! kill -0 $v_pid 2>/dev/null"
	check "[$t] venus unmounted /mnt/v" sh -c "! grep -q ' /mnt/v ' /proc/mounts"
	grep -q ' /mnt/v ' /proc/mounts && umount -l /mnt/v
	wait $v_pid 2>/dev/null
	if grep -qiE 'AddressSanitizer|runtime error' /tmp/venus-$mod.log; then
		bad "[$t] sanitizer report in venus's log"
		grep -A20 -iE 'AddressSanitizer|runtime error' /tmp/venus-$mod.log | head -40
	fi
}

echo "guest: real venus tests at $(cut -d' ' -f1 /proc/uptime)s"
# venus_zone MOD: the kernel channel passes the yellow/red zones (zone.h) as
# FUSE does: core throttles the replies of create, mkdir and close-with-
# store.  Offline, with the yellow limit at 2 CML entries (red far off so
# no reply stalls), a few creates must count yellow delays in cfs stats.
venus_zone() {
	mod=$1 t="zone-$1" cache=/tmp/vcache-zone-$1
	rm -rf "$cache"; mkdir -p "$cache" /mnt/v
	venus -f -c /tmp/empty.conf --cachedir "$cache" --mountpoint /mnt/v \
		-o cml_entries=1000 --frontend $mod 127.0.0.1:2432 > /tmp/venus-zone-$mod.log 2>&1 &
	v_pid=$!
	wait_mount /mnt/v || { bad "[$t] mount"; kill -9 $v_pid; wait $v_pid 2>/dev/null; return; }
	clog_root "$cache" "$t"
	export HESPER_CTL=$cache/venus.ctl
	vt=$(vtree)
	check "[$t] mkdir while connected" mkdir $vt/zone-$mod
	check "[$t] cfs zonelimit 900 2" cfs zonelimit 900 2
	check "[$t] cfs disconnect" cfs disconnect
	for i in 1 2 3 4 5 6; do echo "zone $i" > $vt/zone-$mod/f$i || bad "[$t] write f$i"; done
	y=$(cfs stats 2>/dev/null | awk '$1 == "zone_yellow_delays" { print $2 }')
	check "[$t] offline creates through the kernel were delayed (yellow ${y:-none})" \
		test "${y:-0}" -gt 0
	check "[$t] f6 reads back" grep -q "zone 6" $vt/zone-$mod/f6
	unset HESPER_CTL
	kill -TERM $v_pid
	i=0
	while kill -0 $v_pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	grep -q ' /mnt/v ' /proc/mounts && umount -l /mnt/v
	wait $v_pid 2>/dev/null
}

# venus killed -9 while mounted on Hesper's module: errors, then umount.
venus_kill() {
	rm -rf /tmp/vcache-kill; mkdir -p /tmp/vcache-kill
	venus -f -c /tmp/empty.conf --cachedir /tmp/vcache-kill --mountpoint /mnt/v \
		--frontend hesper 127.0.0.1:2432 > /tmp/venus-kill.log 2>&1 &
	v_pid=$!
	wait_mount /mnt/v || { bad "[venus-kill] mount"; kill -9 $v_pid; return; }
	clog_root /tmp/vcache-kill venus-kill
	vt=$(vtree)
	echo data > $vt/killfile
	kill -9 $v_pid; wait $v_pid 2>/dev/null
	check "[venus-kill] after kill -9 of venus: open fails fast" \
		sh -c "! timeout 5 cat $vt/killfile-new 2>/dev/null"
	check "[venus-kill] stat of an uncached name fails fast" \
		sh -c "! timeout 5 stat $vt/other >/dev/null 2>&1"
	check "[venus-kill] umount after venus was killed" umount /mnt/v
}

if vice_up; then
	ok "vice listening on 127.0.0.1:2432"
	venus_run hesper tmpfs /tmp/vcache-hesper
	venus_run coda tmpfs /tmp/vcache-coda
	if losetup /dev/loop1 /images/ext4b.img && mount -t ext4 /dev/loop1 /mnt/ext4; then
		venus_run hesper ext4 /mnt/ext4/vcache-hesper
		venus_run coda ext4 /mnt/ext4/vcache-coda
		umount /mnt/ext4; losetup -d /dev/loop1
	else
		bad "ext4 on /dev/loop1 for venus"
	fi
	venus_zone hesper
	venus_zone coda
	venus_kill
	kill -TERM $vice_pid; wait $vice_pid 2>/dev/null
else
	bad "vice started"
	tail -20 /tmp/vice/vice.log | sed 's/^/vice: /'
fi
