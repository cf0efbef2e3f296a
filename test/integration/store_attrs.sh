#!/bin/bash
# Attributes set while a file is open for writing ride on its store
# (protocol 6, hs_store_set): tar -x as root (owners, modes with set-id
# bits, mtimes) into client A; client B sees exactly the source's
# owners, modes, sizes and mtimes, and A sent far fewer HS_SETATTR calls
# than tar made (cfs stats setattr_calls / setattr_folded).  A chmod
# answered from the cache is as durable as the data: it survives the
# store going to the CML (cfs disconnect before the close) and venus
# killed (SIGKILL) before the close.  A chmod venus cannot prove vice
# would allow (the caller's token names another user than the owner)
# still goes to vice and fails at the call.
source "$(dirname "$0")/disc_lib.sh"

[ "$(id -u)" = 0 ] || ht_skip "needs root (tar restores owners only as root)"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

# ---- tar -x as root --------------------------------------------------------
N=24
src=$HT_TMP/src
mkdir -p "$src/d"
modes=(0644 0755 0600 0640 4755 2750 0444 6711)
for i in $(seq 1 $N); do
	printf 'file %d %s\n' "$i" "$(head -c $((i * 37)) /dev/urandom | base64 -w0)" >"$src/d/f$i"
	chown $((3000 + i)):$((4000 + i % 5)) "$src/d/f$i"
	chmod "${modes[$((i % ${#modes[@]}))]}" "$src/d/f$i"
	touch -d "2001-02-03 04:05:$((i % 60))" "$src/d/f$i"
done
tar --numeric-owner -C "$src" -cf "$HT_TMP/in.tar" .
listing() {
	(cd "$1" && find . -type f -printf '%p %U %G %m %s %T@\n' | sort)
}
c0=$(ht_stat A setattr_calls)
f0=$(ht_stat A setattr_folded)
mkdir "$A/t"
ht_check "tar -x as root into A" ht_t tar --numeric-owner -C "$A/t" -xpf "$HT_TMP/in.tar"
c1=$(ht_stat A setattr_calls)
f1=$(ht_stat A setattr_folded)
ht_note "tar of $N files: $((c1 - c0)) HS_SETATTR calls, $((f1 - f0)) setattrs sent with stores"
ht_check "owners, modes, sizes and mtimes match on A" diff <(listing "$src") <(listing "$A/t")
ht_check "owners, modes, sizes and mtimes match on B" diff <(listing "$src") <(listing "$B/t")
ht_check "set-id bits reached vice (f4 is 4755 on B)" test "$(stat -c %a "$B/t/d/f4")" = 4755
ht_check "contents match on B" diff -r "$src" "$B/t"
# tar makes three setattrs per file (fchown, fchmod, futimens): at least
# two per file must have gone with the store, and HS_SETATTR be left for
# the directories (and a file whose rights venus did not know yet).
ht_check "setattrs folded into stores ($((f1 - f0)) >= $((2 * N)))" test $((f1 - f0)) -ge $((2 * N))
ht_check "HS_SETATTR calls fewer than files ($((c1 - c0)) < $N)" test $((c1 - c0)) -lt $N

# ---- a folded chmod when the store goes to the CML --------------------------
exec 3>"$A/k1"
echo "data one" >&3
f0=$(ht_stat A setattr_folded)
chmod 0604 "$A/k1"
ht_check "chmod on the open written file answered from the cache" \
	test "$(ht_stat A setattr_folded)" -gt "$f0"
ht_check "cfs disconnect on A" ht_cfs A disconnect
exec 3>&-
ht_check "A logged the store and the setattr" test "$(dt_pending A)" -ge 2
dt_venus_kill9 A
ht_venus_start A
A=$(ht_mnt A)
ht_check "A keeps mode 604 after kill -9" test "$(stat -c %a "$A/k1")" = 604
ht_check "cfs reconnect on A" ht_cfs A reconnect
ht_check "A reintegrates" ht_wait_drained A 120
ht_check "B reads k1" ht_has_content "$B/k1" "data one"
ht_check "B sees k1's mode 604" test "$(stat -c %a "$B/k1")" = 604

# ---- venus killed while the file is still open --------------------------------
exec 4>"$A/k2"
echo "data two" >&4
f0=$(ht_stat A setattr_folded)
chmod 0602 "$A/k2"
ht_check "chmod of k2 answered from the cache" test "$(ht_stat A setattr_folded)" -gt "$f0"
dt_venus_kill9 A
exec 4>&- 2>/dev/null || true
ht_venus_start A
A=$(ht_mnt A)
ht_check "A reintegrates what the dead run left" ht_wait_drained A 120
ht_check "B reads k2" ht_has_content "$B/k2" "data two"
ht_check "B sees k2's mode 602" test "$(stat -c %a "$B/k2")" = 602
ht_done
