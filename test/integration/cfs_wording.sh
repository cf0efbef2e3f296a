#!/bin/bash
# cfs prints Coda 8's lines (coda-src/vtools/cfs.cc) and takes Coda's
# argument forms: checkservers, listvol (Reachable/Unreachable, the
# reintegration age line, the CML line with bytes), getfid's version
# vector, getpath/getpfid, flushobject on an open file, zonelimit RED
# YELLOW, wd with fractional -time/-hogtime, listlocal/checklocal, ck into
# a checkpoint directory and the closure it writes (ec, rc), the commands
# Hesper added from Coda, the refused ones (exit 255), and the aliases.
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)

# says WHAT PATTERN TEXT: a check that TEXT has a line matching the ERE.
says() { ht_check "$1" grep -Eq -- "$2" <<<"$3"; }

# json_is EXPR ARGS...: `cfs --json ARGS` parses and the Python EXPR on it
# (as d) is true.
json_is() {
	local expr=$1 out
	shift
	out=$(ht_cfs A --json "$@" 2>/dev/null) || true
	python3 -c 'import json, sys; d = json.loads(sys.argv[2]); sys.exit(not eval(sys.argv[1]))' \
		"$expr" "$out" || { echo "  cfs --json $*: $out" >&2; return 1; }
}

out=$(ht_cfs A checkservers 2>&1) || ht_fail "cfs checkservers exited $? (output: $out)"
ht_check "cs: 'Contacting servers .....' first" test "$(head -n 1 <<<"$out")" = "Contacting servers ....."
ht_check "cs: then 'All servers up'" test "$(sed -n 2p <<<"$out")" = "All servers up"
out=$(ht_cfs A cs 2>&1) || ht_fail "cfs cs exited $?"
says "cs (alias) prints 'All servers up'" '^All servers up$' "$out"

out=$(ht_cfs A listvol "$A" 2>&1) || ht_fail "cfs listvol $A exited $? (output: $out)"
printf '%s\n' "$out" | sed 's/^/    /'
says "lv: '  Status of volume ID (N) named \"...\"'" '^  Status of volume [0-9a-f]{8} \([0-9]+\) named "[^"]+"$' "$out"
says "lv: '  Volume type is ReadWrite'" '^  Volume type is ReadWrite$' "$out"
says "lv: '  Connection State is Reachable'" '^  Connection State is Reachable$' "$out"
says "lv: strong mode is 'Reintegration age: 0 sec, time 0.000 sec'" \
	'^  Reintegration age: 0 sec, time 0\.000 sec$' "$out"
ht_check "lv: no CML line while the CML is empty" eval '! grep -q "CML entries pending" <<<"$out"'
out=$(ht_cfs A lv -local "$A" 2>&1) || ht_fail "cfs lv -local exited $?"
says "lv -local (Coda's flag) answers too" 'Connection State is Reachable' "$out"

echo hello >"$A/f"
out=$(ht_cfs A getfid "$A/f" 2>&1) || ht_fail "cfs getfid exited $? (output: $out)"
printf '%s\n' "$out" | sed 's/^/    /'
says "gf: 'FID = V.N.U@REALM  VV = [ v 0 0 0 0 0 0 0 ] [ 0.0 ] [ 0 ]'" \
	'^FID = [0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+@[^ ]+ +VV = \[ [0-9]+( 0){7} \] \[ 0\.0 \] \[ 0 \]$' "$out"
v1=$(sed -n 's/.*VV = \[ \([0-9]*\) .*/\1/p' <<<"$out")
echo again >>"$A/f"
v2=$(ht_cfs A gf "$A/f" | sed -n 's/.*VV = \[ \([0-9]*\) .*/\1/p') || true
ht_check "gf: a store raises the first site of the vector ($v1 -> $v2)" test "${v2:-0}" -gt "${v1:-0}"
fid=$(sed -n 's/^FID = \([^ ]*\).*/\1/p' <<<"$out")
rootfid=$(ht_cfs A gf "$A" | sed -n 's/^FID = \([^ @]*\)@.*/\1/p') || true
out=$(ht_cfs A getpath "$fid" 2>&1) || ht_fail "cfs getpath exited $? ($out)"
ht_check "getpath FID: a tab, then the path ('$out')" test "$out" = "$(printf '\t%s' "$A/f")"
out=$(ht_cfs A getpfid "$fid" 2>&1) || ht_fail "cfs getpfid exited $? ($out)"
says "getpfid FID: 'FID = ' and the parent's (the root's) fid" "^FID = ${rootfid//./\\.} *$" "$out"
out=$(ht_cfs A gp nonsense 2>&1) || true
says "gp of a malformed fid: Coda's message" '^Malformed fid: should look like %x\.%x\.%x@<realm>$' "$out"
out=$(ht_cfs A gf "$A/f" "$A" 2>&1) || true
says "gf of two paths echoes each, aligned" "^  $A/f  FID = " "$out"

exec 3<"$A/f"
rc=0
out=$(ht_cfs A flushobject "$A/f" 2>&1) || rc=$?
exec 3<&-
ht_check "fl of an open file: 'Can't flush active file' (got: $out)" test "$out" = "Can't flush active file"
ht_check "fl of an open file exits 1 (got $rc)" test "$rc" -eq 1
ht_check "fl of the closed file succeeds silently" test -z "$(ht_cfs A fl "$A/f" 2>&1)"
ht_check "the flushed file reads back" ht_has_content "$A/f" "$(printf 'hello\nagain')"

out=$(ht_cfs A zonelimit 2>&1) || true
says "zl without arguments shows the limits" '^Zone limits are:  red = [0-9]+  yellow = [0-9]+$' "$out"
out=$(ht_cfs A zl 9000 7000 2>&1) || ht_fail "cfs zl 9000 7000 exited $?"
ht_check "zl RED YELLOW: 'Zone limits set:  red = 9000  yellow = 7000'" \
	test "$out" = "Zone limits set:  red = 9000  yellow = 7000"
out=$(ht_cfs A zl -1 -1 2>&1) || ht_fail "cfs zl -1 -1 exited $?"
ht_check "zl -1 -1: no limits" test "$out" = "Zone limits set:  red = -1  yellow = -1"
rc=0; ht_cfs A zl 80% 95 >/dev/null 2>&1 || rc=$?
ht_check "zl with a non-number is refused (exit $rc)" test "$rc" -ne 0

ht_check "wd -age 5 -time 2.5 is taken" ht_cfs A wd -age 5 -time 2.5
out=$(ht_cfs A lv "$A") || true
says "lv: 'Reintegration age: 5 sec, time 3.000 sec' (whole seconds, rounded up)" \
	'^  Reintegration age: 5 sec, time 3\.000 sec$' "$out"
ht_check "wd -hogtime 0.25 -age 1 $A (Coda's spelling, a DIR) is taken" ht_cfs A wd -hogtime 0.25 -age 1 "$A"
rc=0; ht_cfs A wd -time soon >/dev/null 2>&1 || rc=$?
ht_check "wd -time soon is refused (exit $rc)" test "$rc" -ne 0
ht_check "strong" ht_cfs A strong

# ---- offline: the CML in Coda's words, checkpointed ----
ht_check "cfs disconnect" ht_cfs A disconnect
printf 'offline data\n' >"$A/g"
out=$(ht_cfs A lv "$A") || true
printf '%s\n' "$out" | sed 's/^/    /'
says "lv: '  Connection State is Unreachable'" '^  Connection State is Unreachable$' "$out"
says "lv: '  There are N CML entries pending for reintegration (B bytes)'" \
	'^  There are [1-9][0-9]* CML entries pending for reintegration \([0-9]+ bytes\)$' "$out"
out=$(ht_cfs A listlocal "$A") || true
printf '%s\n' "$out" | sed 's/^/    /'
says "listlocal: 'Store <TAB>PATH (length = 13)'" "^Store 	$A/g \\(length = 13\\)$" "$out"
says "listlocal: 'N entries total in the modify log for volume V'" \
	'^[1-9][0-9]* entries total in the modify log for volume [^ ]+$' "$out"
out=$(ht_cfs A checklocal "$A") || true
says "checklocal: 'local mutation: ...'" '^local mutation: [A-Z][a-z]+ 	' "$out"
says "checklocal: the head is not in conflict" '^no conflict$' "$out"

ck=$HT_TMP/ckpt
rc=0; out=$(ht_cfs A ck "$A" "$A" 2>&1) || rc=$?
says "ck into the mount is refused as in Coda" 'Checkpoint directory .* should NOT be in Coda' "$out"
out=$(ht_cfs A checkpointml "$A" "$ck" 2>&1) || ht_fail "cfs ck $A $ck exited $? ($out)"
tarf=$(ls "$ck"/*.tar 2>/dev/null | head -n 1)
cmlf=${tarf%.tar}.cml
ht_check "ck wrote REALM_VOLUME.tar and .cml in $ck ($out)" test -s "$tarf" -a -s "$cmlf"
ht_check "the .cml lists the store as listlocal does" grep -q "^Store 	$A/g (length = 13)$" "$cmlf"
ht_check "the closure holds g by its path" bash -c 'tar -tf "$1" | grep -qx g' _ "$tarf"
ht_check "ck again keeps the earlier checkpoint as .old" \
	bash -c 'HESPER_CTL="$1" "$2" ck "$3" "$4" >/dev/null && test -s "$5.old"' _ "$(ht_ctl A)" "$CFS" "$A" "$ck" "$tarf"
out=$(ht_cfs A ec "$tarf" 2>&1) || ht_fail "cfs ec exited $? ($out)"
says "ec: 'Examining closure NAME'" "^Examining closure ${tarf//./\\.}$" "$out"
says "ec lists g" ' g$' "$out"
ht_check "--json ec lists g" json_is '"g" in d["closures"][0]["members"]' ec "$tarf"
rc=0; out=$(ht_cfs A ec -c "$tarf" 2>&1) || rc=$?
ht_check "ec -c: Coda's 'not yet implemented', exit 255 (got $rc)" test "$rc" -eq 255

ht_check "cfs reconnect" ht_cfs A reconnect
dt_out=$(HESPER_CTL=$(ht_ctl A) ht_t "$CFS" fr 2>&1) || ht_fail "cfs fr exited $? ($dt_out)"
says "fr: 'Modifications to VOLUME reintegrated to server'" \
	'^Modifications to [^ /]+ reintegrated to server$' "$dt_out"
ht_check "the CML drains" ht_wait_drained A 60
printf 'overwritten\n' >"$A/g"
out=$(ht_cfs A rc "$tarf" 2>&1) || ht_fail "cfs rc exited $? ($out)"
says "rc: 'Replaying closure NAME @ MOUNT'" "^Replaying closure ${tarf//./\\.} @ $A$" "$out"
ht_check "rc wrote the checkpointed data back through the mount" ht_has_content "$A/g" "offline data"

# ---- the other commands Coda has ----
ht_check "flushcache exits 0" ht_cfs A flushcache
ht_check "after flushcache the files read back" ht_has_content "$A/g" "offline data"
ht_check "flushvolume DIR exits 0" ht_cfs A flushvolume "$A"
ht_check "truncatelog exits 0" ht_cfs A truncatelog
ht_check "checkvolumes exits 0" ht_cfs A checkvolumes
ht_check "--json lv: Hesper's state and Coda's" \
	json_is 'd["volumes"][0]["connection_state"] == "Connected" and d["volumes"][0]["reachability"] == "Reachable"' lv "$A"
ht_check "--json getpath" json_is 'd["paths"][0]["path"].endswith("/f")' getpath "$fid"
ht_check "--json flushcache" json_is '"flushed" in d' flushcache
ht_check "--json zonelimit" json_is 'd["red"] == -1' zonelimit
ht_check "--json of a refused command: an error object" json_is 'd["errno"] > 0' sysname
for c in "clearpriorities" "cp" "sysname" "@sys" "cpuname" "waitforever -on" "wf -off" \
	 "redir $A 10.0.0.1" "lookaside --list" "lka +/tmp/db" "purgeml $A"; do
	rc=0
	# shellcheck disable=SC2086
	out=$(ht_cfs A $c 2>&1) || rc=$?
	ht_check "cfs $c is refused with a reason, exit 255 (got $rc: $out)" \
		test "$rc" -eq 255 -a -n "$out"
done
for a in cs:checkservers ck:checkpointml cp:clearpriorities ec:examineclosure fl:flushobject \
	 gf:getfid gp:getpath lc:listcache lv:listvol lka:lookaside rc:replayclosure \
	 tl:truncatelog wf:waitforever wd:writedisconnect fr:forcereintegrate zl:zonelimit \
	 @sys:sysname @cpu:cpuname; do
	out=$(ht_cfs A help "${a%%:*}" 2>&1)
	ht_check "alias ${a%%:*} is Coda's ${a#*:}" grep -q "^Usage: cfs ${a#*:}" <<<"$out"
done

rc=0
out=$(ht_cfs A listvol /tmp 2>&1) || rc=$?
ht_check "cfs lv /tmp (not in the mount) exits 1 (got $rc: $out)" test "$rc" -eq 1
rc=0
out=$(ht_cfs A getfid / 2>&1) || rc=$?
ht_check "cfs gf / exits 1 (got $rc)" test "$rc" -eq 1
rc=0
out=$(ht_cfs A no-such-command 2>&1) || rc=$?
ht_check "cfs with an unknown command exits non-zero" test "$rc" -ne 0

for k in fetches fetch_bytes stores store_bytes stores_skipped cache_hits cache_misses callback_breaks evictions; do
	v=$(ht_stat A "$k")
	ht_check "cfs stats has a numeric $k" grep -Eq '^[0-9]+$' <<<"$v"
done
for k in stores store_bytes fetches fetch_bytes dup_stores breaks clients; do
	v=$(ht_sstat A "$k")
	ht_check "cfs serverstats has a numeric $k" grep -Eq '^[0-9]+$' <<<"$v"
done
ht_done
