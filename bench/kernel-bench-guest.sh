# kernel-bench-guest.sh - sourced by the test VM's /init (guest-init.sh)
# when booted by bench/kernel-bench.sh: the same workloads on the
# container's own file system (tmpfs, where venus keeps its cache), through
# Hesper's module, through FUSE and through coda.ko, each with real vice +
# venus.  Prints "bench: TARGET WORKLOAD VALUE" lines; the host computes
# the ratios.  Knobs on the kernel command line: kbench.mb=N kbench.ops=N.
mb=$(sed -n 's/.*kbench\.mb=\([0-9]*\).*/\1/p' /proc/cmdline); mb=${mb:-32}
ops=$(sed -n 's/.*kbench\.ops=\([0-9]*\).*/\1/p' /proc/cmdline); ops=${ops:-2000}

rm -rf /tmp/tarsrc; mkdir -p /tmp/tarsrc/mod
cp -a /bin /tmp/tarsrc/ && cp /lib/modules/*.ko /tmp/tarsrc/mod/
tar cf /tmp/bench.tar -C /tmp/tarsrc . && rm -rf /tmp/tarsrc
echo "bench: setup size_mb $mb ops $ops tar_kib $(du -k /tmp/bench.tar | cut -f1)"

# bench_dir TARGET DIR: every workload in DIR
bench_dir() {
	kbench-io "$2" "$mb" "$ops" | sed "s/^/bench: $1 /"
	mkdir -p "$2/untar"
	kbench-io -t tar xf /tmp/bench.tar -C "$2/untar" | sed "s/^seconds/bench: $1 untar_s/"
	rm -rf "$2/untar"
}

ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
mkdir -p /tmp/vice /mnt/v
vice -f -r /tmp/vice/root -l 127.0.0.1 -p 2432 > /tmp/vice/vice.log 2>&1 &
vice_pid=$!
i=0; until grep -q 'listening on' /tmp/vice/vice.log || [ $i -gt 300 ]; do sleep 0.1; i=$((i + 1)); done

mkdir -p /tmp/native
bench_dir native /tmp/native
for fe in hesper fuse coda; do
	rm -rf /tmp/vc-$fe; mkdir -p /tmp/vc-$fe
	: > /tmp/empty.conf
	venus -f -c /tmp/empty.conf --cachedir /tmp/vc-$fe --mountpoint /mnt/v \
		--frontend $fe 127.0.0.1:2432 > /tmp/venus-$fe.log 2>&1 &
	v=$!
	if wait_mount /mnt/v; then
		mkdir -p /mnt/v/b-$fe
		bench_dir $fe /mnt/v/b-$fe
		rm -rf /mnt/v/b-$fe
	else
		echo "bench: $fe failed to mount"; tail -5 /tmp/venus-$fe.log
	fi
	kill -TERM $v; wait $v 2>/dev/null
	grep -q ' /mnt/v ' /proc/mounts && umount -l /mnt/v
done
kill -TERM $vice_pid; wait $vice_pid 2>/dev/null
echo "bench: done"
