#!/usr/bin/env bash
# test/kernel/run.sh - Hesper's kernel test harness.
#
# Builds kernel/ against Debian's packaged kernel (not the running one),
# builds the in-guest programs statically, packs them with busybox, the
# module, coda.ko, fuse.ko, ext4 and loop into an initramfs, boots it under
# qemu (TCG) and reads ok/FAIL lines from the serial console.  Repeats for
# bookworm-backports' 6.12 when it can be fetched (see fetch-backports.sh)
# and for the newest kernel Debian ships, trixie-backports', built in a
# cached trixie root (see fetch-newest.sh).
#
# Exit: 0 all passed, 1 a failure, 77 skipped (no qemu, kernel image or
# headers).  Env knobs:
#   WORK=/tmp/hesper-ktest.$UID.$$  scratch directory (removed after a pass)
#   CACHE=/var/tmp/hesper-ktest  uncompressed vmlinux, backports kernel
#   NEWEST_CACHE=/var/cache/hesper/kbuild-trixie  trixie root (~650 MB)
#   KERNELS="default bpo newest" which kernels to boot (bpo = 6.12,
#                                newest = trixie-backports', 7.3 today)
#   VM_TIMEOUT=280 SMP=2 MEM=1024
#   NO_GCC=1                     do not pack gcc for the compile test
#   BENCH=1                      boot once into bench/kernel-bench-guest.sh
#                                (bench/kernel-bench.sh sets it)
#   VENUS= VICE= CFS=            real venus, vice and cfs for vtest.sh
#                                (default: from the build dir, $top_builddir
#                                under make check, else the current dir)
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$SRC/test/kernel
WORK=${WORK:-/tmp/hesper-ktest.$(id -u).$$}
CACHE=${CACHE:-/var/tmp/hesper-ktest}
KERNELS_SET=${KERNELS:+1}
KERNELS=${KERNELS:-default bpo newest}
NEWEST_CACHE=${NEWEST_CACHE:-/var/cache/hesper/kbuild-trixie}
VM_TIMEOUT=${VM_TIMEOUT:-280}
SMP=${SMP:-2}
MEM=${MEM:-1024}
T0=$(date +%s.%N)

secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
say() { printf '[ktest %6ss] %s\n' "$(secs "$T0")" "$*"; }
skip() { say "SKIP: $*"; exit 77; }
die() { say "FAIL: $*"; exit 1; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
for t in busybox cpio gcc modprobe mkfs.ext4; do
	command -v $t >/dev/null || [ -x /bin/$t ] || [ -x /sbin/$t ] || skip "$t not installed"
done
KVER=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
       grep -o 'linux-image-[^ ,]*' | head -1 | sed 's/^linux-image-//') || true
[ -n "$KVER" ] || skip "linux-image-amd64 not installed"
[ -r /boot/vmlinuz-$KVER ] || skip "no kernel image /boot/vmlinuz-$KVER"
[ -e /lib/modules/$KVER/build/Makefile ] || skip "no headers for $KVER (linux-headers-amd64)"

rm -rf "$WORK"; mkdir -p "$WORK"/{bin,src} "$CACHE"

# ---- userland: static, so the initramfs needs no loader ----
t=$(date +%s.%N)
CFLAGS="-O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -I$SRC/include"
# the protocol header against Linux's own (layouts, opcodes, flags)
gcc $CFLAGS -c -o "$WORK/abi_check.o" "$HERE/abi_check.c" || die "coda_abi.h differs from <linux/coda.h>"
gcc $CFLAGS -static -o "$WORK/bin/minivenus" "$HERE/minivenus.c"
gcc $CFLAGS -static -o "$WORK/bin/kcheck" "$HERE/kcheck.c"
if [ -n "${BENCH:-}" ]; then	# bench/kernel-bench.sh: workloads instead of tests
	gcc $CFLAGS -static -o "$WORK/bin/kbench-io" "$SRC/bench/kernel-bench-io.c"
	cp "$SRC/bench/kernel-bench-guest.sh" "$WORK/bin/kbench.sh"
fi
mkfs.ext4 -q -F -L hcache "$WORK/ext4.img" 48M
B=${top_builddir:-$PWD}
VENUS=${VENUS:-$B/venus/venus} VICE=${VICE:-$B/vice/vice} CFS=${CFS:-$B/tools/cfs}
PDBTOOL=${PDBTOOL:-$B/tools/pdbtool} CLOG=${CLOG:-$B/tools/clog}
if [ -x "$VENUS" ] && [ -x "$VICE" ] && [ -x "$CFS" ] && [ -x "$PDBTOOL" ] &&
   [ -x "$CLOG" ]; then
	with_venus=1
	say "real venus/vice: $VENUS, $VICE"
	# A sanitizer build is about venus, and the suite runs once without:
	# one kernel is enough there.
	if [ -z "$KERNELS_SET" ] && ldd "$VENUS" 2>/dev/null | grep -q libasan; then
		KERNELS=default
		say "venus is built with ASan: booting only the default kernel"
	fi
else
	with_venus=
	say "no built venus/vice/cfs (looked in $B): only the minivenus tests run"
fi
say "userland built in $(secs "$t")s"

# scaled_timeout SECS: SECS times the host's load per CPU (at least 1, at
# most 6): the guest runs under tcg, so a busy host slows it down and the
# watchdog must not mistake slow for hung (lib.sh's waits do the same).
scaled_timeout() {
	awk -v t="$1" -v n="$(nproc)" '{ s = $1 / n; if (s < 1) s = 1;
		if (s > 6) s = 6; printf "%d\n", t * s }' /proc/loadavg
}

# copy_prog BIN ROOT [DESTDIR]: a dynamic program with its libraries and
# loader (ldd misses libgcc_s, which pthread_cancel dlopen()s)
copy_prog() {
	local bin=$1 r=$2 dest=${3:-$(dirname "$1")} lib
	mkdir -p "$r$dest"; cp -L "$bin" "$r$dest/"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*') /lib/x86_64-linux-gnu/libgcc_s.so.1; do
		[ -e "$r$lib" ] && continue
		mkdir -p "$r$(dirname "$lib")"; cp -L "$lib" "$r$lib"
	done
}

# copy_sasl ROOT: Cyrus SASL's SCRAM plugin (dlopen()ed, so ldd misses
# it) for vice and clog: the guest's venus calls as root with a token.
copy_sasl() {
	local r=$1 d=/usr/lib/x86_64-linux-gnu/sasl2 f
	mkdir -p "$r$d"
	for f in "$d"/libscram.so*; do
		[ -e "$f" ] && cp -P "$f" "$r$d/"
	done
	[ -e "$d/libscram.so" ] && copy_prog "$d/libscram.so" "$r" "$d"
	return 0
}

# copy_gcc ROOT: just enough of gcc, binutils and libc's headers for the
# guest to compile and link a small C program (the "compile" client).
copy_gcc() {
	local r=$1 f hdr t
	command -v gcc >/dev/null || return 0
	t=$WORK/gcc-probe; mkdir -p "$t"
	printf '#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\nint main(void){return 0;}\n' > "$t/p.c"
	hdr=$(gcc -M "$t/p.c" | tr ' \\' '\n\n' | grep '^/')
	for f in "$(command -v gcc)" "$(command -v as)" "$(command -v ld)" \
		 "$(gcc -print-prog-name=cc1)" "$(gcc -print-prog-name=collect2)" \
		 "$(gcc -print-prog-name=lto-wrapper)"; do
		[ -x "$f" ] && copy_prog "$f" "$r"
	done
	for f in $hdr liblto_plugin.so Scrt1.o crti.o crtn.o crtbeginS.o crtendS.o \
		 libgcc.a libgcc_s.so libc.so libc_nonshared.a libc.so.6; do
		case $f in /*) ;; *) f=$(gcc -print-file-name="$f") ;; esac
		[ -e "$f" ] || continue
		mkdir -p "$r$(dirname "$f")"; cp -L "$f" "$r$f"
	done
	# the linker scripts name these by absolute path
	for f in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libc_nonshared.a \
		 /lib/x86_64-linux-gnu/libc.so.6 /lib64/ld-linux-x86-64.so.2; do
		[ -e "$f" ] && { mkdir -p "$r$(dirname "$f")"; cp -L "$f" "$r$f"; }
	done
}

# vmlinux_of IMG KVER: uncompressed ELF (PVH entry) boots twice as fast
# under TCG.  Debian's 6.x images are xz, trixie-backports' 7.x zstd.
vmlinux_of() {
	local img=$1 out=$CACHE/vmlinux-$2 pos magic unz
	if [ ! -s "$out" ] || [ "$img" -nt "$out" ]; then
		for magic in '\xfd7zXZ\x00:xz' '\x28\xb5\x2f\xfd:zstd'; do
			unz=${magic##*:}
			pos=$(LC_ALL=C grep -obUaP "${magic%:*}" "$img" | head -1 | cut -d: -f1 || true)
			[ -n "$pos" ] && command -v "$unz" > /dev/null && break
			pos=
		done
		if [ -n "$pos" ]; then
			tail -c +$((pos + 1)) "$img" | $unz -dc > "$out.tmp" 2>/dev/null || true
			if [ "$(head -c4 "$out.tmp" | od -An -c | tr -d ' ')" = '177ELF' ] &&
			   readelf -n "$out.tmp" 2>/dev/null | grep -q 'Xen.*(0x00000012)'; then
				mv "$out.tmp" "$out"
			fi
		fi
		rm -f "$out.tmp"
	fi
	if [ -s "$out" ]; then echo "$out"; else echo "$img"; fi
}

# in_root ROOT CMD...: CMD chrooted into ROOT with its own /proc (objtool
# reads it), in a private mount namespace so nothing stays mounted.
in_root() {
	local root=$1; shift
	# shellcheck disable=SC2016 # $0/$@ are sh -c's own
	unshare --mount --propagation private --fork \
		sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" \
		env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin LC_ALL=C.UTF-8 "$@"
}

total_pass=0 total_fail=0 rc_all=0 booted=0
# boot_kernel NAME KVER KBUILD MODROOT IMAGE [EXTRA-CMDLINE [ROOT]]
# ROOT: build the module chrooted there (KBUILD is a path inside it).
boot_kernel() {
	local name=$1 kver=$2 kbuild=$3 modroot=$4 image=$5 extra=${6:-} root=${7:-}
	local w=$WORK/$name r t log deps kind p base cw
	r=$w/root; log=$w/console.log
	mkdir -p "$w/mod" "$r"/{bin,dev,proc,sys,tmp,mnt,images,lib/modules}
	ln -s bin "$r/sbin"

	t=$(date +%s.%N)
	# The tree hesper-modules-dkms installs in /usr/src (debian/rules):
	# kernel/ with include/hesper/ beside it, built with dkms.conf's MAKE.
	cp -r "$SRC/kernel/." "$w/mod/"
	mkdir -p "$w/mod/include/hesper"
	cp "$SRC/include/hesper/coda_abi.h" "$w/mod/include/hesper/"
	# A fresh make, not a child of `make check -jN`: its job-server notice
	# is not a compiler warning.
	if [ -n "$root" ]; then
		cw=$(mktemp -d "$root/tmp/hesper-mod.XXXXXX")
		cp -r "$w/mod/." "$cw/"
		in_root "$root" make -s -C "/tmp/$(basename "$cw")" KDIR="$kbuild" \
			CONFIG_DEBUG_INFO_BTF_MODULES= all > "$w/build.log" 2>&1 ||
			{ cat "$w/build.log"; rm -rf "$cw"; die "module build failed for $kver"; }
		cp "$cw/hesper.ko" "$w/mod/"; rm -rf "$cw"
	else
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s -C "$w/mod" KDIR="$kbuild" CONFIG_DEBUG_INFO_BTF_MODULES= all \
			> "$w/build.log" 2>&1 ||
			{ cat "$w/build.log"; die "module build failed for $kver"; }
	fi
	if grep -E 'warning:|error:' "$w/build.log"; then die "module build warnings for $kver"; fi
	modinfo -F vermagic "$w/mod/hesper.ko" | grep -q "^$kver " || die "vermagic mismatch"
	say "[$name] module built for $kver in $(secs "$t")s"

	cp /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
	cp "$WORK"/bin/* "$r/bin/"
	install -m755 "$HERE/guest-init.sh" "$r/init"
	if [ -n "$with_venus" ]; then
		install -m644 "$HERE/vtest.sh" "$r/bin/vtest.sh"
		for p in "$VENUS" "$VICE" "$CFS" "$PDBTOOL" "$CLOG"; do
			copy_prog "$p" "$r" /bin
		done
		copy_sasl "$r"
		cp "$WORK/ext4.img" "$r/images/ext4b.img"
	fi
	command -v sqlite3 >/dev/null && copy_prog "$(command -v sqlite3)" "$r"
	[ -n "${NO_GCC:-}" ] || copy_gcc "$r"
	cp "$WORK/ext4.img" "$r/images/ext4.img"
	cp "$w/mod/hesper.ko" "$r/lib/modules/"

	: > "$r/lib/modules/load-order"
	for m in loop ext4 coda fuse; do
		deps=$(modprobe -d "$modroot" -S "$kver" --show-depends "$m" 2>/dev/null) || continue
		while read -r kind p _; do
			[ "$kind" = insmod ] || continue
			base=$(basename "$p"); base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
			grep -qx "$base" "$r/lib/modules/load-order" && continue
			case $p in
			*.xz) xz -dc "$p" > "$r/lib/modules/$base" ;;
			*.zst) zstd -qdc "$p" > "$r/lib/modules/$base" ;;
			*) cp "$p" "$r/lib/modules/$base" ;;
			esac
			echo "$base" >> "$r/lib/modules/load-order"
		done <<< "$deps"
	done
	(cd "$r" && find . -print0 | cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 > "$w/initramfs.gz"

	t=$(date +%s.%N)
	vm_timeout=$(scaled_timeout "$VM_TIMEOUT")
	say "[$name] booting $kver under qemu (tcg, smp $SMP, ${MEM}M, timeout ${vm_timeout}s)"
	set +e
	timeout -k 5 "$vm_timeout" qemu-system-x86_64 -accel tcg,thread=multi -cpu max \
		-nodefaults -no-user-config -m "$MEM" -smp "$SMP" \
		-kernel "$(vmlinux_of "$image" "$kver")" -initrd "$w/initramfs.gz" \
		-append "console=ttyS0 panic=-1 quiet $extra" \
		-display none -serial stdio -no-reboot < /dev/null > "$log" 2>&1
	local qrc=$?
	set -e
	booted=$((booted + 1))
	grep -E '^(ok|FAIL|note) |^bench:|^guest:|^dmesg:|^venus:|^vice:|^sqlite:|^HESPER-KTEST' "$log" | sed "s/^/[$name] /"
	local p_=$(grep -c '^ok ' "$log" || true) f_=$(grep -c '^FAIL ' "$log" || true)
	total_pass=$((total_pass + p_)); total_fail=$((total_fail + f_))
	say "[$name] $p_ passed, $f_ failed; vm $(secs "$t")s (console: $log)"
	if [ $qrc -ne 0 ]; then
		tail -40 "$log"; say "[$name] qemu exited $qrc (124 = timeout)"; rc_all=1
	elif ! grep -q '^HESPER-KTEST: PASS' "$log"; then
		rc_all=1
	fi
}

for k in $KERNELS; do
	case $k in
	default)
		boot_kernel 6.1 "$KVER" "/lib/modules/$KVER/build" / "/boot/vmlinuz-$KVER" \
			"${BENCH:+ktest.bench=1 kbench.mb=${BENCH_MB:-32} kbench.ops=${BENCH_OPS:-2000}}" ;;
	bpo)
		if BPO=$("$HERE/fetch-backports.sh" "$CACHE/bpo"); then
			# shellcheck disable=SC2086
			set -- $BPO
			# real venus once is enough (time); VENUS_ALL_KERNELS=1 for both
			boot_kernel 6.12 "$1" "$2" "$3" "$4" \
				"$([ -n "${VENUS_ALL_KERNELS:-}" ] || echo ktest.venus=0)"
		else
			say "6.12 (bookworm-backports) not available: skipped"
		fi ;;
	newest)
		# trixie-backports' kernel, its module built in a cached trixie
		# root (its kbuild tools need trixie's glibc and gcc-14)
		if NEW=$("$HERE/fetch-newest.sh" "$NEWEST_CACHE" 2> "$WORK/newest.err"); then
			sed 's/^/  /' "$WORK/newest.err"
			# shellcheck disable=SC2086
			set -- $NEW
			v=${1%%[+-]*}
			boot_kernel "${v%.*}" "$1" "$2" "$3" "$4" \
				"$([ -n "${VENUS_ALL_KERNELS:-}" ] || echo ktest.venus=0)" "$3"
		else
			sed 's/^/  /' "$WORK/newest.err"
			say "SKIP newest kernel (trixie-backports): $(tail -1 "$WORK/newest.err")"
		fi ;;
	*) die "unknown kernel '$k' in KERNELS (default, bpo, newest)" ;;
	esac
done
say "total: $total_pass passed, $total_fail failed in $(secs "$T0")s"
[ $booted -gt 0 ] || skip "no kernel could be booted (KERNELS=$KERNELS)"
[ $rc_all -eq 0 ] && [ -z "${KEEP:-}" ] && rm -rf "$WORK"
exit $rc_all
