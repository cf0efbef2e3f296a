#!/bin/bash
# The VLDB in etcd: one real etcd, three vices of one realm (--vldb etcd).
# The first vice makes the realm's volume "root", the others do not; every
# server answers HS_VLDB_LOOKUP for every volume of the realm and names
# the realm's root in HS_CONNECT; volume names and ids are unique in the
# realm (two more "servers" made of vice's own VLDB code, vldbtool, make
# entries, in parallel too); entries survive vice restarts, and a restart
# drops entries naming the server for volumes it does not have; a vice
# whose etcd cannot be reached says so and exits.
source "$(dirname "$0")/lib.sh"

RAW=$top_builddir/test/tools/rawclient
TOOL=$top_builddir/test/tools/vldbtool
REALM=vldb.test
ht_etcd_start
VARGS=(--realm "$REALM" --vldb etcd --etcd "$HT_ETCD")

ht_vice_start_as A "${VARGS[@]}"
ht_vice_start_as B "${VARGS[@]}"
ht_vice_start_as C "${VARGS[@]}"
PA=${HT_VPORT[A]} PB=${HT_VPORT[B]} PC=${HT_VPORT[C]}

lookup() { timeout -k 5 60 "$RAW" vldb-lookup 127.0.0.1 "$1" "$2"; }
# expect PORT WHAT LINE: vice on PORT answers LINE for WHAT.
expect() {
	local out
	out=$(lookup "$1" "$2") || true
	[ "$out" = "$3" ] || { ht_note "lookup $2 on port $1: '$out', want '$3'"; return 1; }
}
# tool NAME PORT CMD...: vldbtool as server NAME:PORT with its own store.
tool() { timeout -k 5 60 "$TOOL" "$HT_TMP/$1" "$REALM" "$HT_ETCD" "$1:$2" "${@:3}"; }
# nvols NAME: volumes in vice NAME's store.
nvols() { sqlite3 "$HT_TMP/vice.$1/root/vice.db" 'SELECT count(*) FROM volumes'; }
command -v sqlite3 >/dev/null || ht_skip "sqlite3 (the shell) is not installed"

# ---- the realm's root volume: made by A only ----
for p in "$PA" "$PB" "$PC"; do
	ht_check "vice on $p finds root on A" expect "$p" root "1 root 127.0.0.1:$PA"
	ht_check "vice on $p finds volume 1 on A" expect "$p" 1 "1 root 127.0.0.1:$PA"
	ht_check "HS_CONNECT on $p names root volume 1 and the realm" \
		test "$(timeout 60 "$RAW" connect-info 127.0.0.1 "$p")" = "root_volume 1 realm $REALM"
done
ht_check "B made no volume of its own" test "$(nvols B)" = 0
ht_check "an unknown volume is ENOENT" expect "$PB" 4242 ENOENT
ht_check "an unknown name is ENOENT" expect "$PC" nosuch ENOENT

# ---- entries made elsewhere in the realm are seen by every vice ----
id1=$(tool s1 7001 alloc users) || ht_fail "alloc users"
id2=$(tool s2 7002 alloc projects) || ht_fail "alloc projects"
ht_check "ids are fresh (not root's): $id1 $id2" test "$id1" -gt 1 -a "$id2" -gt 1 -a "$id1" != "$id2"
for p in "$PA" "$PB" "$PC"; do
	ht_check "vice on $p finds users on s1" expect "$p" users "$id1 users s1:7001"
	ht_check "vice on $p finds volume $id2 on s2" expect "$p" "$id2" "$id2 projects s2:7002"
done
ht_check "a name is unique in the realm (EEXIST)" \
	bash -c "! '$TOOL' '$HT_TMP/s2' '$REALM' '$HT_ETCD' s2:7002 alloc users 2>'$HT_TMP/dup.err'"
ht_check "... saying so" grep -q 'File exists' "$HT_TMP/dup.err"
ht_check "... and users still names $id1" expect "$PB" users "$id1 users s1:7001"

# Ids handed out in parallel by several servers never collide.
pids=()
for i in 1 2 3 4 5 6; do
	tool "p$i" "710$i" alloc "par$i" >"$HT_TMP/par$i.id" &
	pids+=($!)
done
wait "${pids[@]}"       # not the daemons, also background jobs
ids=$(cat "$HT_TMP"/par*.id | sort -n)
ht_note "parallel ids: $(echo $ids)"
ht_check "six parallel allocations gave six ids" test "$(wc -w <<<"$ids")" = 6
ht_check "... all distinct" test "$(sort -u <<<"$ids" | wc -l)" = 6
ht_check "... none taken before" bash -c "! grep -qxE '1|$id1|$id2' <<<'$ids'"

# Volumes made by volutil on B and C (HS_VOL_CREATE) are found on A.
VOLUTIL=${VOLUTIL:-$top_builddir/tools/volutil}
vu() { ht_t "$VOLUTIL" -d "$HT_TMP/vice.$1/root" -h "127.0.0.1:$2" "${@:3}"; }
if [ -x "$VOLUTIL" ]; then
	ht_check "volutil create bvol on B" vu B "$PB" create bvol
	ht_check "volutil create cvol on C" vu C "$PC" create cvol
	bid=$(lookup "$PA" bvol | cut -d' ' -f1)
	ht_check "A finds bvol on B" expect "$PA" bvol "$bid bvol 127.0.0.1:$PB"
	ht_check "A finds cvol on C" ht_wait_for 10 bash -c "'$RAW' vldb-lookup 127.0.0.1 '$PA' cvol | grep -qx '[0-9]* cvol 127.0.0.1:$PC'"
	ht_check "bvol's id is new in the realm: $bid" bash -c "! grep -qxE '1|$id1|$id2' <<<'$bid'"
	ht_check "C cannot make a second bvol" bash -c "! '$VOLUTIL' -d '$HT_TMP/vice.C/root' -h 127.0.0.1:$PC create bvol >/dev/null 2>&1"
	ht_check "... nor keeps one locally" test "$(nvols C)" = 1
else
	ht_note "no volutil: volumes made by vldbtool only"
fi

# A rename moves the name; unpublishing drops the entry.
ht_check "rename users -> homes" tool s1 7001 publish "$id1" homes
ht_check "homes is $id1" expect "$PA" homes "$id1 homes s1:7001"
ht_check "users is gone" expect "$PA" users ENOENT
ht_check "s2 cannot unpublish s1's volume" tool s2 7002 unpublish "$id1"
ht_check "... which stays" expect "$PC" "$id1" "$id1 homes s1:7001"
ht_check "s1 unpublishes it" tool s1 7001 unpublish "$id1"
ht_check "... gone by id" expect "$PC" "$id1" ENOENT
ht_check "... and by name" expect "$PC" homes ENOENT

# ---- restarts ----
ht_vice_stop_as A
ht_vice_start_as A -p "$PA" "${VARGS[@]}"
ht_check "A restarted still holds root" ht_wait_for 30 expect "$PB" root "1 root 127.0.0.1:$PA"
ht_check "A made no second root" test "$(nvols A)" = 1
ht_check "projects survives" expect "$PA" projects "$id2 projects s2:7002"

# An entry naming B for a volume B does not have is dropped when B starts
# (B lost it, or crashed between reserving and making it): made with B's
# own store (its server id) while B is down.
ht_vice_stop_as B
ht_check "an entry naming B" timeout -k 5 60 "$TOOL" "$HT_TMP/vice.B/root" \
	"$REALM" "$HT_ETCD" "127.0.0.1:$PB" publish 4000 ghost
ht_check "... seen by C" expect "$PC" ghost "4000 ghost 127.0.0.1:$PB"
ht_vice_start_as B -p "$PB" "${VARGS[@]}"
ht_check "B's restart dropped the ghost" ht_wait_for 30 expect "$PB" ghost ENOENT
ht_check "... by id too" expect "$PC" 4000 ENOENT
ht_check "B still finds root" expect "$PB" root "1 root 127.0.0.1:$PA"

# ---- no etcd: a clear message and exit 1 ----
ht_kill "$HT_ETCD_PID"
rc=0
out=$(timeout -k 5 60 "$VICE" -f -r "$HT_TMP/vice.D/root" -l 127.0.0.1 -p 0 \
	"${VARGS[@]}" 2>&1) || rc=$?
ht_note "vice with etcd down: exit $rc: $out"
ht_check "vice with etcd down exits 1" test "$rc" = 1
ht_check "... naming the VLDB and etcd" grep -q 'VLDB: etcd http://127.0.0.1:[0-9]*: ' <<<"$out"
ht_check "a running vice answers lookups with etcd down with an error, not a hang" \
	bash -c "! timeout -k 5 60 '$RAW' vldb-lookup 127.0.0.1 '$PC' root >/dev/null"

ht_done
