#!/bin/bash
# scripts/deps.sh - Debian 12 packages Hesper needs to build, test and run
# its demo workload.  Sourced by scripts/quickstart.sh and scripts/test.sh;
# can also be run on its own (as root): scripts/deps.sh [--xcrypt]
#
# hs_install_deps      installs whatever of HS_DEBS is missing (one
#                      apt-get update, only if something is missing).
# hs_fetch_xcrypt_aux  makes sure $HS_XCRYPT_CACHE holds Debian's libxcrypt
#                      source tarball: /usr/src/libxcrypt (libxcrypt-source)
#                      lacks build-aux/ (the m4 macros and perl generators
#                      its configure.ac includes), which only the upstream
#                      tarball in Debian's source package carries.

# Build Hesper: autotools, compiler, libraries (pkg-config names in
# configure.ac), rpcgen.  Run and test it: fuse3 (fusermount3), python3 and
# friends used by the integration tests.  libxcrypt (the demo and test
# workload): libtool, libltdl-dev (LT_SYS_SYMBOL_USCORE), perl, xz-utils.
# libsystemd-dev: sd_notify for the units; systemd: systemd-analyze verify
# in test/pkg/units.sh; debhelper, dh-dkms, dpkg-dev, fakeroot, lintian:
# the package build in test/pkg/debs.sh (scripts/build-debs.sh).
# pjdfstest (test/integration/pjdfstest.sh, built from its archive):
# autoconf, automake, gcc, make, and perl's prove.
# Cyrus SASL (SCRAM-SHA-256, GSSAPI) and MIT krb5 for authentication and
# its Kerberos test; clang and its libFuzzer runtime for test/fuzz.
# A realm of several servers keeps its VLDB and pdb in etcd: vice talks
# to etcd's v3 JSON gateway with libcurl and json-c; the tests run a real
# etcd-server (etcdctl from etcd-client for checks).
HS_DEBS=(
	autoconf automake libtool libltdl-dev pkg-config gcc make perl
	libfuse3-dev fuse3 libevent-dev libssl-dev libsqlite3-dev
	libtirpc-dev rpcsvc-proto libcmocka-dev libncurses-dev libsystemd-dev systemd
	debhelper dh-dkms dpkg-dev fakeroot lintian
	libxcrypt-source sqlite3 xz-utils tar diffutils coreutils
	python3 git openssl procps util-linux ca-certificates
	clang libclang-rt-14-dev
	libsasl2-dev libsasl2-modules libsasl2-modules-gssapi-mit
	krb5-kdc krb5-admin-server krb5-user
	libcurl4-openssl-dev libjson-c-dev etcd-server etcd-client
)
# Packages another part of the tree asks for (e.g. the kernel tests):
# extra names, one per line, in test/kernel/debian-packages if present.

HS_XCRYPT_CACHE=${HS_XCRYPT_CACHE:-/var/cache/hesper/libxcrypt-src}

hs_log() { printf '%s\n' "hesper: $*" >&2; }
hs_die() { printf '%s\n' "hesper: error: $*" >&2; exit 1; }

hs_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		hs_die "$1 must run as root (it installs packages and mounts /coda)"
	fi
}

# hs_install_deps [SRCDIR]
hs_install_deps() {
	local srcdir=${1:-.} pkg missing=() extra=()
	if [ -r "$srcdir/test/kernel/debian-packages" ]; then
		mapfile -t extra < <(grep -v '^[[:space:]]*\(#\|$\)' "$srcdir/test/kernel/debian-packages")
	fi
	for pkg in "${HS_DEBS[@]}" "${extra[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$pkg")
		fi
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		hs_log "all Debian packages present"
		return 0
	fi
	hs_log "installing: ${missing[*]}"
	# INITRD=No: the kernel image (for the qemu tests) needs no initrd of its own.
	export DEBIAN_FRONTEND=noninteractive INITRD=No
	apt-get update -q </dev/null || hs_die "apt-get update failed"
	apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null \
		|| hs_die "apt-get install failed for: ${missing[*]}"
}

# hs_debian_mirror: the Debian archive this machine's apt already uses for
# its release suite (deb822 .sources or one-line .list), so that private
# source lists follow the machine's mirror or proxy.  1 if none is found.
hs_debian_mirror() {
	local codename uri
	codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
	uri=$(awk -v s="$codename" '
		/^URIs:/ { u = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s && u != "") { print u; exit } }
		/^$/ { u = "" }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	if [ -z "$uri" ]; then
		uri=$(awk -v s="$codename" '$1 == "deb" && $3 == s { print $2; exit }' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
	fi
	[ -n "$uri" ] || return 1
	printf '%s\n' "$uri"
}

# hs_fetch_xcrypt_aux: prints the path of libxcrypt's upstream tarball.
# Uses a private deb-src list so the system's apt configuration is left
# alone.
hs_fetch_xcrypt_aux() {
	local cache=$HS_XCRYPT_CACHE tarball
	tarball=$(find "$cache" -maxdepth 1 -name 'libxcrypt_*.orig.tar.*' 2>/dev/null | sort | tail -n 1 || true)
	if [ -n "$tarball" ]; then
		printf '%s\n' "$tarball"
		return 0
	fi
	hs_log "fetching Debian's libxcrypt source package (for build-aux/)"
	mkdir -p "$cache/lists/partial" "$cache/dl"
	local suite
	suite=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
	local mirror
	mirror=$(hs_debian_mirror) || hs_die "no Debian archive found in /etc/apt/sources*"
	printf 'deb-src %s %s main\n' "$mirror" "$suite" >"$cache/sources.list"
	local aptopts=(-o "Dir::Etc::SourceList=$cache/sources.list"
		       -o "Dir::Etc::SourceParts=$cache/none.d"
		       -o "Dir::State::Lists=$cache/lists"
		       -o "APT::Sandbox::User=root")
	apt-get "${aptopts[@]}" update -q </dev/null >&2 \
		|| hs_die "apt-get update (deb-src) failed"
	(cd "$cache/dl" && apt-get "${aptopts[@]}" source --download-only -q libxcrypt </dev/null >&2) \
		|| hs_die "apt-get source libxcrypt failed"
	tarball=$(find "$cache/dl" -maxdepth 1 -name 'libxcrypt_*.orig.tar.*' | sort | tail -n 1)
	[ -n "$tarball" ] || hs_die "no libxcrypt orig tarball in $cache/dl"
	mv "$tarball" "$cache/"
	rm -rf "$cache/lists" "$cache/dl"
	printf '%s\n' "$cache/$(basename "$tarball")"
}

# hs_prepare_xcrypt DEST: DEST becomes a buildable libxcrypt tree: a copy of
# /usr/src/libxcrypt (tar c | tar x) plus build-aux/ from the upstream
# tarball.
hs_prepare_xcrypt() {
	local dest=$1 tarball
	tarball=$(hs_fetch_xcrypt_aux)
	mkdir -p "$dest"
	tar -C /usr/src/libxcrypt -cf - . | tar -C "$dest" -xf -
	tar -C "$dest" -xf "$tarball" --strip-components=1 --wildcards '*/build-aux/*'
	[ -f "$dest/build-aux/m4/zw_automodern.m4" ] \
		|| hs_die "build-aux missing from $tarball"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	hs_require_root "scripts/deps.sh"
	hs_install_deps "$(cd "$(dirname "$0")/.." && pwd)"
	if [ "${1:-}" = --xcrypt ]; then
		hs_fetch_xcrypt_aux
	fi
fi
