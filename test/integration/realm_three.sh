#!/bin/bash
# One realm on three servers (issue 10): one etcd holds the VLDB and the
# pdb; vices A, B and C each serve a volume made with volutil create; cfs
# mkmount puts them into one tree under the realm's root (on A):
#
#   /coda/REALM/            volume root   (A)
#   /coda/REALM/src/        volume src    (B)  libxcrypt's source
#   /coda/REALM/src/obj/    volume obj    (C)  its out-of-tree build
#
# libxcrypt is configured and built across the three volumes; cfs whereis
# names each volume's server; cfs lv lists the volumes; a second venus
# sees the same tree byte for byte; rename across the volumes is EXDEV.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/realm_lib.sh"
rl_needs etcd
command -v make >/dev/null || ht_skip "make missing"
command -v gcc >/dev/null || ht_skip "gcc missing"

ht_etcd_start
rl_vices A B C
ht_venus_start X --server "$(rl_port A)"
ht_clog X || ht_fail "clog root on X"
R=$(ht_mnt X)
ht_check "the realm's root is a directory" test -d "$R"

# ---- volumes on three servers, mounted into one tree -------------------------
ht_check "volutil create src on B" rl_volutil B create src
ht_check "volutil create obj on C" rl_volutil C create obj
ht_check "cfs mkmount src (on B) under the root (on A)" ht_cfs X mkmount "$R/src" src
ht_check "cfs mkmount obj (on C) inside src (on B)" ht_cfs X mkmount "$R/src/obj" obj
ht_check "cfs lsmount src" bash -c "HESPER_CTL='$(ht_ctl X)' '$CFS' lsmount '$R/src' | grep -q 'Mount point for volume \"src\"'"
for v in "$R:A" "$R/src:B" "$R/src/obj:C"; do
	d=${v%:*} s=${v##*:}
	ht_check "cfs whereis ${d#"$R"}/ names vice $s" \
		bash -c "HESPER_CTL='$(ht_ctl X)' '$CFS' whereis '$d' | grep -qF '$(rl_port "$s")'"
done
ht_check "cfs lv of the three volumes names each" bash -c "
	out=\$(HESPER_CTL='$(ht_ctl X)' '$CFS' lv '$R' '$R/src' '$R/src/obj') &&
	grep -q 'named \"src\"' <<<\"\$out\" && grep -q 'named \"obj\"' <<<\"\$out\" &&
	[ \"\$(grep -c 'Connection State is Reachable' <<<\"\$out\")\" = 3 ]"
ht_check "cfs --json lv: three volumes with quota lines" bash -c "
	HESPER_CTL='$(ht_ctl X)' '$CFS' --json lv '$R' '$R/src' '$R/src/obj' |
	python3 -c 'import json,sys; v=json.load(sys.stdin)[\"volumes\"]; sys.exit(not (len(v)==3 and len({x[\"id\"] for x in v})==3 and all(\"blocks_used\" in x for x in v)))'"

# ---- libxcrypt across the volumes ---------------------------------------------
XC=/usr/src/libxcrypt
# build-aux/ comes from Debian's upstream tarball, which scripts/deps.sh
# --xcrypt keeps in $HS_XCRYPT_CACHE (the quick start's way to build it)
TARBALL=$(find "${HS_XCRYPT_CACHE:-/var/cache/hesper/libxcrypt-src}" -maxdepth 1 \
	-name 'libxcrypt_*.orig.tar.*' 2>/dev/null | sort | tail -n 1) || true
if [ -d "$XC" ] && [ -n "$TARBALL" ] && command -v autoreconf >/dev/null; then
	ht_check "copy libxcrypt's source into src (B)" ht_t bash -c "
		mkdir -p '$R/src/libxcrypt' &&
		tar -C '$XC' -cf - . | tar -C '$R/src/libxcrypt' -xf - &&
		tar -C '$R/src/libxcrypt' -xf '$TARBALL' --strip-components=1 --wildcards '*/build-aux/*'"
	ht_check "autoreconf in src (B)" ht_t bash -c "cd '$R/src/libxcrypt' && autoreconf -fi >'$HT_TMP/autoreconf.log' 2>&1"
	ht_check "configure in obj (C) of the source in src (B)" ht_t bash -c "
		cd '$R/src/obj' && ../libxcrypt/configure >'$HT_TMP/configure.log' 2>&1"
	ht_check "make -j2 in obj (C)" ht_t bash -c "make -C '$R/src/obj' -j2 >'$HT_TMP/make.log' 2>&1"
	ht_check "the library is built in obj" bash -c "ls '$R/src/obj/.libs/'libcrypt.* >/dev/null"
	BUILT=$R/src
else
	ht_note "no libxcrypt source with build-aux (scripts/deps.sh --xcrypt): a small project instead"
	mkdir -p "$R/src/proj"
	printf 'int twice(int x) { return 2 * x; }\n' >"$R/src/proj/lib.c"
	printf '#include <stdio.h>\nint twice(int);\nint main(void) { printf("%%d\\n", twice(21)); return 0; }\n' \
		>"$R/src/proj/main.c"
	printf 'VPATH = ../proj\nprog: main.o lib.o\n\t$(CC) -o $@ main.o lib.o\n' >"$R/src/obj/Makefile"
	ht_check "make in obj (C) of sources in src (B)" ht_t make -C "$R/src/obj" prog
	ht_check "the program runs" test "$("$R/src/obj/prog")" = 42
	BUILT=$R/src
fi
ht_check "the root volume (A) holds a file too" ht_t sh -c "echo top >'$R/top'"

# ---- a second client sees the same tree ----------------------------------------
ht_venus_start Y --server "$(rl_port A)"
ht_clog Y || ht_fail "clog root on Y"
RY=$(ht_mnt Y)
ht_check "Y sees the same tree byte for byte" rl_same_tree "$BUILT" "$RY/src"
ht_check "Y reads the root volume's file" ht_has_content "$RY/top" top

# ---- the volumes stay apart ------------------------------------------------------
ht_check "mv across volumes (A -> B) is EXDEV for rename(2)" \
	python3 -c "import os,sys,errno
try: os.rename(sys.argv[1], sys.argv[2])
except OSError as e: sys.exit(e.errno != errno.EXDEV)
sys.exit(1)" "$R/top" "$R/src/top"
ht_check "cfs getmountpoint of obj" bash -c "
	id=\$(HESPER_CTL='$(ht_ctl X)' '$CFS' --json lv '$R/src/obj' | python3 -c 'import json,sys; print(\"%x\" % json.load(sys.stdin)[\"volumes\"][0][\"id\"])') &&
	HESPER_CTL='$(ht_ctl X)' '$CFS' getmountpoint \"\$id@$HT_REALM\" | grep -qF '$R/src/obj'"
ht_done
