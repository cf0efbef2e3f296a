#!/bin/bash
# Disconnected operation on a real tree.  Client A unpacks a source tree
# (libxcrypt's, if /usr/src/libxcrypt is there, plus a generated tree with
# subdirectories, symlinks and a 20 MiB file) and B reads it.  Then, twice
# (phase 1: `cfs disconnect`; phase 2: vice stopped), A changes the tree
# offline - appends, overwrites, truncates, partial writes to the big file,
# creates, renames of files and directories, removes of files and of a
# subtree, chmod, symlinks, a hard link, and a tar extraction - while a
# local mirror gets the same changes.  `cfs lv` must say Disconnected with
# CML entries pending; after the reconnect `cfs fr` reintegrates them and
# B must see exactly the mirror (diff -r and a listing of paths, types,
# modes, sizes and link counts).
HT_TIMEOUT=${HT_TIMEOUT:-300}
source "$(dirname "$0")/disc_lib.sh"

XCRYPT=/usr/src/libxcrypt
SRC=$HT_TMP/src
DATA=$HT_TMP/data
MIRROR=$HT_TMP/mirror

# ---- the source tree and the data the changes write ------------------------

gen_src() {
	local src=$1 x=$2
	python3 - "$src" "$x" <<-'EOF'
	import os, random, sys
	src, xcrypt = sys.argv[1], sys.argv[2]
	rnd = random.Random(4242)
	def put(path, n, mode=0o644):
	    os.makedirs(os.path.dirname(path), exist_ok=True)
	    with open(path, "wb") as f:
	        f.write(rnd.randbytes(n))
	    os.chmod(path, mode)
	sizes = [0, 1, 17, 512, 4095, 4096, 4097, 65536, 70001, 200000]
	for d in range(16):
	    base = os.path.join(src, "gen", "d%d" % d)
	    for i in range(10):
	        put(os.path.join(base, "f%d" % i), sizes[(i + d) % len(sizes)],
	            0o755 if i == 9 else 0o644)
	    for i in range(3):
	        put(os.path.join(base, "sub", "s%d" % i), 100 * i + 3)
	    os.symlink("f0", os.path.join(base, "link"))
	os.symlink("/nonexistent/absolute", os.path.join(src, "gen", "abslink"))
	put(os.path.join(src, "gen", "big"), 20 * 1024 * 1024)
	if not os.path.isdir(xcrypt):
	    # No libxcrypt: ~150 more files in a source-like layout.
	    for d in ("lib", "test", "doc", "build-aux/m4"):
	        for i in range(38):
	            put(os.path.join(src, "xcrypt", d, "file%02d.c" % i), rnd.randrange(0, 30000))
	    os.symlink("lib/file00.c", os.path.join(src, "xcrypt", "README"))
	EOF
	if [ -d "$x" ]; then
		cp -a "$x" "$src/xcrypt"
	fi
}

mkdir -p "$SRC" "$DATA"
gen_src "$SRC" "$XCRYPT"
head -c 300000 /dev/urandom >"$DATA/blob1"
head -c 1000000 /dev/urandom >"$DATA/blob2"
head -c 3000000 /dev/urandom >"$DATA/blob3"
tar -C "$SRC/xcrypt" -cf "$DATA/xcrypt.tar" .
nfiles=$(find "$SRC" -type f | wc -l)
ht_note "source tree: $nfiles files, $(find "$SRC" -type l | wc -l) symlinks, $(du -sh "$SRC" | cut -f1)"

# mutate ROOT PHASE DATA: the offline changes, applied alike to the mount
# and to the mirror.  Phase p works on gen/d$o..d$((o+6)), o = 7*(p-1), and
# phase 2 also changes what phase 1 created.
mutate() {
	local r=$1 p=$2 data=$3 o i
	o=$((7 * (p - 1)))
	local d0=$r/gen/d$o d1=$r/gen/d$((o + 1)) d2=$r/gen/d$((o + 2)) d3=$r/gen/d$((o + 3))
	local d4=$r/gen/d$((o + 4)) d5=$r/gen/d$((o + 5)) d6=$r/gen/d$((o + 6))
	# Contents: append, overwrite, truncate (shorter, to 0, longer).
	printf 'appended in phase %s\n' "$p" >>"$d0/f0"
	cat "$data/blob1" >"$d0/f1"
	truncate -s 10 "$d0/f7"
	: >"$d0/f8"
	truncate -s 250000 "$d0/f2"
	# A partial write in the middle of the 20 MiB file, and one at its end.
	dd if="$data/blob2" of="$r/gen/big" bs=4096 seek=$((1000 * p)) conv=notrunc status=none
	printf 'tail of phase %s\n' "$p" >>"$r/gen/big"
	# New directories and files.
	mkdir -p "$r/new$p/a/b"
	for i in $(seq 1 20); do
		printf 'new file %s in phase %s\n' "$i" "$p" >"$r/new$p/a/b/n$i"
	done
	cp "$data/blob3" "$r/new$p/blob"
	# Renames: in place, across directories, over an existing file, of a
	# directory with contents, of a directory created offline.
	mv "$d1/f0" "$d1/f0.renamed"
	mv "$d1/f1" "$r/new$p/a/moved-from-d1"
	mv "$d1/f2" "$d1/f3"
	mv "$d2" "$r/gen/moved$p"
	mv "$r/new$p/a/b" "$r/gen/b-from-new$p"
	# Writes through the new names.
	printf 'after rename %s\n' "$p" >>"$d1/f0.renamed"
	printf 'in a moved dir %s\n' "$p" >"$r/gen/moved$p/sub/x"
	# Removes: files and a subtree.
	rm "$d3/f5" "$d3/f6"
	rm -rf "$d4"
	# Modes.
	chmod 600 "$d5/f0"
	chmod 755 "$d5/f1"
	chmod 700 "$d5/sub"
	chmod 444 "$d5/f2"
	# Symlinks and a hard link.
	ln -s ../d$((o + 5))/f1 "$d6/sym"
	ln -s "dangling-$p" "$d6/dangling"
	rm "$d6/link"
	ln "$d6/f2" "$d6/hard"
	printf 'through the hard link %s\n' "$p" >>"$d6/hard"
	# Several versions of one file; a file created and removed again.
	for i in 1 2 3 4 5; do printf 'version %s\n' "$i" >"$r/new$p/multi"; done
	printf 'short-lived\n' >"$r/new$p/tmp"
	rm "$r/new$p/tmp"
	# A real program: tar extracts a tree.
	mkdir "$r/untar$p"
	tar -C "$r/untar$p" -xf "$data/xcrypt.tar"
	if [ "$p" -ge 2 ]; then
		# Change what phase 1 created (and was reintegrated).
		printf 'phase 2 append\n' >>"$r/new1/multi"
		mv "$r/new1" "$r/new1.renamed"
		rm -rf "$r/untar1/lib"
		rm "$r/gen/b-from-new1/n1"
		chmod 640 "$r/new1.renamed/blob"
	fi
}

compare_trees() {
	local tag=$1
	ht_check "$tag: diff -r mirror vs B's tree" \
		dt_same_tree "$MIRROR" "$B/tree"
	ht_check "$tag: listing (path type mode size links) of B equals the mirror's" \
		dt_same_listing "$MIRROR" "$B/tree"
	ht_check "$tag: listing of A equals the mirror's" \
		dt_same_listing "$MIRROR" "$A/tree"
	ht_check "$tag: the 20 MiB file on B is byte-identical" cmp "$MIRROR/gen/big" "$B/tree/gen/big"
}

# reintegrate TAG: fr on A; A back to Connected with nothing pending.
reintegrate() {
	local tag=$1
	dt_fr A
	ht_check "$tag: cfs fr on A exits 0 (got $DT_FR_RC: $(tail -n 2 <<<"$DT_FR_OUT" | tr '\n' ' '))" \
		test "$DT_FR_RC" -eq 0
	ht_check "$tag: cfs fr prints 'Modifications to ... reintegrated to server'" \
		grep -Eq 'Modifications to .* reintegrated to server' <<<"$DT_FR_OUT"
	ht_check "$tag: A has 0 CML entries pending after fr (lv: $(dt_pending A))" \
		test "$(dt_pending A)" -eq 0
	ht_check "$tag: A is Connected after fr (lv: $(dt_state A))" \
		test "$(dt_state A)" = Connected
}

# ---- set-up: A unpacks, B reads --------------------------------------------

ht_vice_start
DT_VICE_PORT=$VICE_PORT
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

t0=$SECONDS
mkdir "$A/tree"
ht_check "tar the source tree into A" ht_t bash -c "tar -C '$SRC' -cf - . | tar -C '$A/tree' -xf -"
ht_check "B reads the whole tree (diff -r)" dt_same_tree "$SRC" "$B/tree"
ht_check "B's listing matches the source" dt_same_listing "$SRC" "$B/tree"
ht_note "set-up took $((SECONDS - t0)) s"
cp -a "$SRC" "$MIRROR"

# ---- phase 1: cfs disconnect ------------------------------------------------

t0=$SECONDS
cp "$MIRROR/gen/d0/f0" "$HT_TMP/d0-f0.before"
ht_check "cfs disconnect on A" ht_cfs A disconnect
ht_check "phase 1: cfs lv on A says Disconnected right after cfs disconnect" \
	test "$(dt_state A)" = Disconnected
mutate "$MIRROR" 1 "$DATA"
dt_run "phase 1: offline changes on A succeed" mutate "$A/tree" 1 "$DATA"
ht_check "phase 1: A sees its own changes (listing equals the mirror's)" \
	dt_same_listing "$MIRROR" "$A/tree"
ht_check "phase 1: A reads its changed big file" cmp "$MIRROR/gen/big" "$A/tree/gen/big"
out=$(dt_lv A)
printf '%s\n' "$out" | sed 's/^/    /'
ht_check "phase 1: cfs lv on A says 'Connection State is Unreachable'" \
	grep -q 'Connection State is Unreachable' <<<"$out"
n=$(sed -n 's/.*There are \([0-9][0-9]*\) CML entries pending for reintegration.*/\1/p' <<<"$out")
ht_check "phase 1: cfs lv on A has 'There are N CML entries pending for reintegration', N > 0 (N='$n')" \
	test "${n:-0}" -gt 0
ht_check "phase 1: B does not see A's offline append before reintegration" \
	cmp "$HT_TMP/d0-f0.before" "$B/tree/gen/d0/f0"
ht_check "cfs reconnect on A" ht_cfs A reconnect
reintegrate "phase 1"
compare_trees "phase 1"
# A single writer has nothing to conflict with.  If venus found conflicts
# anyway, say so, and let the local versions win so that phase 2 starts
# from the mirror's state (and tests phase 2, not phase 1's leftovers).
cl=$(ht_cfs A conflicts 2>&1) || true
ht_check "phase 1: no conflicts with a single writer (cfs conflicts: $(head -n 3 <<<"$cl" | tr '\n' '|'))" \
	test -z "$cl"
if [ -n "$cl" ]; then
	ht_check "phase 1: cfs preservelocal -all" ht_cfs A preservelocal -all
	dt_fr A
	ht_check "phase 1: after preservelocal -all, B sees the mirror" dt_same_tree "$MIRROR" "$B/tree"
	ht_check "phase 1: after preservelocal -all, B's listing is the mirror's" dt_same_listing "$MIRROR" "$B/tree"
fi
ht_note "phase 1 took $((SECONDS - t0)) s"

# ---- phase 2: vice stopped --------------------------------------------------

t0=$SECONDS
ht_vice_stop
ht_note "vice stopped"
# Venus notices when it next needs vice; a listing with a fresh stat
# must not fail, and after it A must call itself Disconnected.
ls -l "$A/tree" >/dev/null 2>&1 || true
ht_wait_for 40 _dt_state_in A Disconnected || true
ht_check "phase 2: cfs lv on A says Disconnected with vice stopped (state: $(dt_state A))" \
	test "$(dt_state A)" = Disconnected
mutate "$MIRROR" 2 "$DATA"
dt_run "phase 2: offline changes on A succeed (vice down)" mutate "$A/tree" 2 "$DATA"
ht_check "phase 2: A sees its own changes" \
	dt_same_listing "$MIRROR" "$A/tree"
out=$(dt_lv A)
ht_check "phase 2: cfs lv on A says Unreachable" grep -q 'Connection State is Unreachable' <<<"$out"
n=$(dt_pending A)
ht_check "phase 2: CML entries pending on A (N=$n) > 0" test "$n" -gt 0
dt_vice_restart
ht_check "phase 2: A reconnects to the restarted vice within 60 s" \
	dt_wait_connected A 60
reintegrate "phase 2"
ht_check "phase 2: B reconnects to the restarted vice within 60 s" dt_wait_connected B 60
compare_trees "phase 2"
cl=$(ht_cfs A conflicts 2>&1) || true
ht_check "phase 2: no conflicts with a single writer (cfs conflicts: $(head -n 3 <<<"$cl" | tr '\n' '|'))" \
	test -z "$cl"
ht_note "phase 2 took $((SECONDS - t0)) s"

# The reintegrated tree is usable: B removes it, A sees it gone.
ht_check "rm -rf of the tree through B" ht_t rm -rf "$B/tree"
ht_check "A sees the tree gone" ht_wait_for 10 test ! -e "$A/tree"
ht_done
