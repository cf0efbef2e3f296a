#!/bin/bash
# test/pkg/systemd_vm.sh - issue 13's "Done means" under a real systemd:
# a Debian 12 root (debootstrap minbase + systemd, fuse3 and the packages'
# run-time libraries) boots as PID 1 from an initramfs under qemu (TCG)
# with Debian's 6.1 kernel; a oneshot unit in it runs
#   apt-get install ./hesper-client_*.deb ./hesper-server_*.deb
#   systemctl enable --now vice venus
# writes and reads a file in /coda, then `apt-get purge`s both and checks
# that no vice/venus process and no /coda mount are left.  The guest
# prints "HESPER-VMTEST ok: ..." / "HESPER-VMTEST FAIL: ..." lines and
# "HESPER-VMTEST: DONE" on the serial console and powers off.
#
# The root is made once per machine in $VMROOT (default
# /var/cache/hesper/vmroot-bookworm, about a minute with a near mirror;
# under a lock, bounded by timeouts) and never changed after; the test
# adds its files as a second cpio archive.  Warm: about 2 minutes (the
# package build, then the VM).  Plain build only, like debs.sh.
# Exit: 0 pass, 1 fail, 77 skip (not root, no debootstrap/qemu/kernel, no
# network for the first debootstrap, packages' build deps missing).
# Env: VMROOT, BOOTSTRAP_TIMEOUT=900 (s), VM_TIMEOUT=400 (s, load-scaled).
set -euo pipefail
: "${top_builddir:=$PWD}" "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
name=systemd_vm
skip() { echo "$name: SKIP: $*"; exit 77; }
die() { echo "$name: FAIL: $*" >&2; exit 1; }
T0=$(date +%s)
say() { echo "$name: [$(($(date +%s) - T0))s] $*"; }

grep -q -- '-fsanitize' "$top_builddir/Makefile" 2>/dev/null &&
	skip "sanitizer build: the packages are checked in the plain build"
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, package build as root)"
for t in debootstrap qemu-system-x86_64 cpio gzip depmod flock dpkg-buildpackage dh dh_dkms fakeroot git; do
	command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || [ -x "/sbin/$t" ] ||
		skip "$t missing (scripts/deps.sh installs it)"
done
PATH=$PATH:/usr/sbin:/sbin
(cd "$top_srcdir" && dpkg-checkbuilddeps) >/dev/null 2>&1 ||
	skip "build dependencies of debian/control missing (scripts/build-debs.sh as root installs them)"
[ -d "$top_srcdir/.git" ] || [ -f "$top_srcdir/.git" ] || skip "not a git checkout"
# The guest kernel: the one linux-image-amd64 depends on (as test/kernel/run.sh).
KVER=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
       grep -o 'linux-image-[^ ,]*' | head -1 | sed 's/^linux-image-//') || true
[ -n "$KVER" ] || skip "linux-image-amd64 not installed"
[ -r "/boot/vmlinuz-$KVER" ] || skip "no kernel image /boot/vmlinuz-$KVER"
fuseko=/lib/modules/$KVER/kernel/fs/fuse/fuse.ko
[ -r "$fuseko" ] || skip "no $fuseko"

# ---- the cached root: debootstrap once per machine ----
VMROOT=${VMROOT:-/var/cache/hesper/vmroot-bookworm}
PKGS=systemd,systemd-sysv,udev,kmod,procps,fuse3,adduser,libevent-2.1-7,libevent-openssl-2.1-7,libevent-pthreads-2.1-7,libssl3,libsqlite3-0,libtirpc3,libfuse3-3,libsystemd0,libncursesw6,libsasl2-2,libsasl2-modules,libsasl2-modules-db,libcurl4,libbrotli1,libldap-2.5-0,libnghttp2-14,libpsl5,librtmp1,libssh2-1,libjson-c5
mkdir -p "$(dirname "$VMROOT")"
exec 9>"$VMROOT.lock"
flock -w "${BOOTSTRAP_TIMEOUT:-900}" 9 || die "timed out waiting for $VMROOT.lock"
# The marker holds the package list the root was made with: a new list
# (the packages gained a dependency) makes a new root.
if [ "$(cat "$VMROOT/.hesper-complete" 2>/dev/null)" != "$PKGS" ]; then
	# shellcheck source=/dev/null # scripts/deps.sh, only its functions
	mirror=$(. "$top_srcdir/scripts/deps.sh" >/dev/null 2>&1; hs_debian_mirror) ||
		skip "no Debian mirror in /etc/apt/sources* for debootstrap"
	say "debootstrap bookworm into $VMROOT from $mirror (once per machine)"
	rm -rf "$VMROOT.new" "$VMROOT"
	timeout -k 10 "${BOOTSTRAP_TIMEOUT:-900}" debootstrap --variant=minbase \
		--include="$PKGS" bookworm "$VMROOT.new" "$mirror" >"$VMROOT.log" 2>&1 ||
		{ tail -5 "$VMROOT.log"; rm -rf "$VMROOT.new";
		  skip "debootstrap from $mirror failed (no network? log: $VMROOT.log)"; }
	r=$VMROOT.new
	# A root for a VM with no network: no downloaded .debs or docs (smaller
	# initramfs), a fixed machine-id (an empty one means first boot, and
	# systemd-firstboot would prompt), and no initrd-release (systemd must
	# run as a normal system, not as an initrd).
	rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/usr/share/doc/* "$r"/usr/share/man/* \
		"$r"/usr/share/locale/* "$r"/usr/share/info/* "$r"/etc/initrd-release
	echo 0123456789abcdef0123456789abcdef >"$r/etc/machine-id"
	printf '%s\n' "$PKGS" >"$r/.hesper-complete"
	mv "$r" "$VMROOT"
	say "debootstrap done"
fi
[ ! -e "$VMROOT/etc/initrd-release" ] || die "$VMROOT/etc/initrd-release exists"
# The root packed once (cpio newc, gzip), reused by every run.
base=$VMROOT.cpio.gz
if [ ! -s "$base" ] || [ "$VMROOT/.hesper-complete" -nt "$base" ]; then
	say "packing $VMROOT into $base"
	(cd "$VMROOT" && find . -path ./.hesper-complete -prune -o -print0 |
		cpio --null -o -H newc --quiet) | gzip -1 >"$base.tmp"
	mv "$base.tmp" "$base"
fi
exec 9>&-

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hesper-sysvm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- the packages ----
say "building the packages (scripts/build-debs.sh)"
"$top_srcdir/scripts/build-debs.sh" "$tmp/out" >"$tmp/build.log" 2>&1 ||
	{ tail -40 "$tmp/build.log"; die "scripts/build-debs.sh"; }

# ---- what the test adds to the root: a second cpio archive ----
o=$tmp/overlay
mkdir -p "$o/root/vmtest" "$o/etc/systemd/system/multi-user.target.wants" \
	"$o/etc/modules-load.d" "$o/usr/lib/modules"
cp "$tmp"/out/hesper-client_*.deb "$tmp"/out/hesper-server_*.deb "$o/root/vmtest/"
# fuse.ko of the guest kernel with its modules.* (/lib is /usr/lib in
# bookworm's merged /usr: the archive must not carry a /lib entry).
mkdir -p "$tmp/mods/lib/modules/$KVER/kernel/fs/fuse"
cp "$fuseko" "$tmp/mods/lib/modules/$KVER/kernel/fs/fuse/"
cp "/lib/modules/$KVER"/modules.{order,builtin,builtin.modinfo} "$tmp/mods/lib/modules/$KVER/" 2>/dev/null || true
depmod -b "$tmp/mods" "$KVER"
cp -a "$tmp/mods/lib/modules/$KVER" "$o/usr/lib/modules/"
echo fuse >"$o/etc/modules-load.d/hesper-vmtest.conf"
# /etc/hosts as Debian's installer writes it: the host name resolves (vice
# publishes its volumes under it when it listens on every address).
vmhost=$(cat "$VMROOT/etc/hostname" 2>/dev/null || true)
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
	"${vmhost:-localhost}" >"$o/etc/hosts"
ln -s /dev/null "$o/etc/systemd/system/systemd-firstboot.service"
ln -s ../hesper-vmtest.service "$o/etc/systemd/system/multi-user.target.wants/hesper-vmtest.service"
cat >"$o/etc/systemd/system/hesper-vmtest.service" <<'EOF'
[Unit]
Description=Hesper packages under systemd (test/pkg/systemd_vm.sh)
After=basic.target

[Service]
Type=oneshot
ExecStart=/bin/bash /root/vmtest/run.sh
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOF
cat >"$o/root/vmtest/run.sh" <<'EOF'
#!/bin/bash
# In the guest: issue 13's "Done means", step by step.
cd /root/vmtest
export DEBIAN_FRONTEND=noninteractive
say() { echo "HESPER-VMTEST $*" >/dev/console; }
ok() { say "ok: $*"; }
bad() { say "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# wait_for SECS CMD...: poll CMD every second for up to SECS seconds.
wait_for() { local n=$1; shift; while ! "$@"; do n=$((n - 1)); [ "$n" -gt 0 ] || return 1; sleep 1; done; }
# The realm's tree: /coda/REALM once venus lists realms in /coda (REALM
# is venus.conf's realm, else its server), else /coda itself.
tree() {
	local r
	r=$(sed -n 's/^realm[[:space:]]*//p' /etc/hesper/venus.conf 2>/dev/null)
	r=${r:-$(sed -n 's/^server[[:space:]]*//p' /etc/hesper/venus.conf 2>/dev/null)}
	if [ -n "$r" ] && [ -d "/coda/$r" ]; then echo "/coda/$r"; else echo /coda; fi
}
reachable() { cfs lv "$(tree)" 2>/dev/null | grep -q Reachable; }
coda_mounted() { grep -qs ' /coda ' /proc/mounts; }

say "guest: $(uname -r), systemd $(systemctl --version | head -1 | cut -d' ' -f2), pid 1 $(cat /proc/1/comm)"
# (no --no-download: with it, apt 2.6 fails on local .debs, "Pathname to
# install is not absolute"; there is no network and nothing to fetch.)
# --no-install-recommends: the VM has no network to fetch the GSSAPI plugin.
if apt-get install -y -q --no-install-recommends "$PWD"/hesper-client_*.deb "$PWD"/hesper-server_*.deb >/tmp/apt.log 2>&1; then
	ok "apt-get install ./hesper-client_*.deb ./hesper-server_*.deb"
else
	bad "apt-get install"; tail -20 /tmp/apt.log >/dev/console
fi
grep -q '^server 127.0.0.1$' /etc/hesper/venus.conf ||
	sed -i 's/^server .*/server 127.0.0.1/' /etc/hesper/venus.conf
check "systemctl enable --now vice venus" systemctl enable --now vice venus
check "vice is active" systemctl is-active -q vice
check "venus is active" systemctl is-active -q venus
check "/coda is a FUSE mount" grep -qs ' /coda fuse' /proc/mounts
check "cfs lv /coda says Reachable" wait_for 180 reachable
# vice enforces ACLs: as an admin would after installing, make pdb user
# root an administrator and clog it (README, "Installing from packages").
head -c 18 /dev/urandom | base64 >/tmp/pw
check "pdbtool: user root in System:Administrators" sh -c \
	'pdbtool nu root 0 && pdbtool ag System:Administrators root && pdbtool passwd -pipe root </tmp/pw'
check "clog root" sh -c 'clog -pipe root </tmp/pw'
f=$(tree)/vmtest.$$
if echo "hello from systemd" >"$f" && [ "$(cat "$f")" = "hello from systemd" ]; then
	ok "write and read back $f"
else
	bad "write and read back $f"
fi
check "cfs lv /coda still Reachable" reachable
journalctl -u vice -u venus --no-pager -q 2>/dev/null | tail -30 >/tmp/journal.log
if apt-get purge -y -q hesper-client hesper-server >/tmp/purge.log 2>&1; then
	ok "apt-get purge hesper-client hesper-server"
else
	bad "apt-get purge"; tail -20 /tmp/purge.log >/dev/console
fi
check "no vice process" wait_for 30 eval '! pgrep -x vice >/dev/null'
check "no venus process" wait_for 30 eval '! pgrep -x venus >/dev/null'
check "no /coda mount" eval '! coda_mounted'
check "units gone" eval '! systemctl cat vice venus >/dev/null 2>&1'
sed 's/^/journal: /' /tmp/journal.log >/dev/console
echo "HESPER-VMTEST: DONE" >/dev/console
sync
systemctl poweroff -f || poweroff -f
EOF

(cd "$o" && find . -print0 | cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 >"$tmp/overlay.cpio.gz"
cat "$base" "$tmp/overlay.cpio.gz" >"$tmp/initramfs.gz"

# ---- boot ----
# Uncompressed vmlinux boots faster under TCG (PVH entry); the kernel
# tests cache one, else the bzImage is booted.
kernel=/boot/vmlinuz-$KVER
k=${CACHE:-/var/tmp/hesper-ktest}/vmlinux-$KVER
[ -s "$k" ] && kernel=$k
load=$(awk -v n="$(nproc)" '{ p = int($1 / n * 100); print (p < 100 ? 100 : (p > 1000 ? 1000 : p)) }' /proc/loadavg)
vmt=$(( ${VM_TIMEOUT:-400} * load / 100 ))
say "booting $kernel (systemd as PID 1 from the initramfs; tcg, timeout ${vmt}s)"
t=$(date +%s)
set +e
timeout -k 5 "$vmt" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
	-nodefaults -no-user-config -display none -serial stdio -no-reboot \
	-kernel "$kernel" -initrd "$tmp/initramfs.gz" \
	-append "console=ttyS0 panic=-1 rdinit=/lib/systemd/systemd systemd.unit=multi-user.target systemd.show_status=error" \
	</dev/null >"$tmp/console.log" 2>&1
qrc=$?
set -e
say "vm ran $(($(date +%s) - t))s, qemu exit $qrc"
tr -d '\r' <"$tmp/console.log" | grep -ao 'HESPER-VMTEST.*' | sed "s/^/$name: /" || true

want=("apt-get install" "enable --now vice venus" "vice is active" "venus is active" "clog root"
      "FUSE mount" "says Reachable" "write and read back" "still Reachable" "apt-get purge"
      "no vice process" "no venus process" "no /coda mount" "units gone")
fails=0
for w in "${want[@]}"; do
	grep -aq "HESPER-VMTEST ok: .*$w" "$tmp/console.log" || { echo "$name: missing ok line: $w" >&2; fails=$((fails + 1)); }
done
grep -aq 'HESPER-VMTEST FAIL' "$tmp/console.log" && fails=$((fails + 1))
grep -aq 'HESPER-VMTEST: DONE' "$tmp/console.log" || { echo "$name: no DONE line" >&2; fails=$((fails + 1)); }
if [ "$fails" -ne 0 ] || [ "$qrc" -ne 0 ]; then
	echo "$name: console tail:" >&2
	tr -d '\r' <"$tmp/console.log" | tail -60 >&2
	die "$fails check(s) failed, qemu exit $qrc (124 = timeout)"
fi
say "all checks passed"
