#!/bin/bash
# venus starts with vice down.  A caches some files, B writes one A has
# only seen in a listing; A and vice stop; A starts again on the same
# cachedir with vice still down (serverprobe 2 s).  It must mount, say
# Disconnected, serve the cached files, fail a read of the uncached one
# with ETIMEDOUT ("Connection timed out") in bounded time, and log writes.
# When vice comes back, A reintegrates by itself (no cfs command) and B
# sees the changes.
HT_TIMEOUT=${HT_TIMEOUT:-240}
source "$(dirname "$0")/disc_lib.sh"

ht_vice_start
DT_VICE_PORT=$VICE_PORT
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

mkdir "$A/d"
printf 'cached on A\n' >"$A/cached"
printf 'cached in d\n' >"$A/d/inner"
head -c 3000000 /dev/urandom >"$HT_TMP/big"
cp "$HT_TMP/big" "$A/d/big"
printf 'written by B\n' >"$B/uncached"
ht_check "A lists the root (and so knows B's file by name)" \
	bash -c "ls '$A' | grep -qx uncached"
ht_check "A reads its cached file" ht_has_content "$A/cached" "cached on A"

ht_venus_stop A
ht_vice_stop
ht_note "A and vice stopped"

# ---- offline start ----------------------------------------------------------

t0=$SECONDS
probe=(-o serverprobe=2)
if ! dt_venus_accepts serverprobe=2; then
	ht_fail "venus rejects the venus.conf key serverprobe (-o serverprobe=2: unknown key); starting A without it (probe interval default 30 s)"
	probe=()
fi
ht_venus_start A "${probe[@]}"
ht_note "A mounted with vice down after $((SECONDS - t0)) s"
ht_check "A says Disconnected" test "$(dt_state A)" = Disconnected
ht_check "A serves a cached file" ht_has_content "$A/cached" "cached on A"
ht_check "A serves a cached file in a directory" ht_has_content "$A/d/inner" "cached in d"
ht_check "A serves the cached 3 MB file" cmp "$HT_TMP/big" "$A/d/big"
ht_check "A lists the root from its cache" bash -c "ls '$A' | grep -qx cached"

t0=$(date +%s%N)
rc=0
timeout -k 5 30 cat "$A/uncached" >/dev/null 2>"$HT_TMP/err" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
ht_note "cat of the uncached file: exit $rc after $ms ms: $(cat "$HT_TMP/err")"
ht_check "reading an uncached file fails and does not hang (exit $rc; 124/137 = timed out)" \
	test "$rc" -ne 0 -a "$rc" -ne 124 -a "$rc" -ne 137
ht_check "the error is ETIMEDOUT ('Connection timed out')" grep -q 'Connection timed out' "$HT_TMP/err"
out=$(ht_cfs A listmissing 2>&1) || true
ht_check "cfs listmissing names the file A could not fetch" grep -q "/uncached (fid [0-9a-f.]*): not cached" <<<"$out"
ht_check "A still serves cached files after the failed read" ht_has_content "$A/cached" "cached on A"

# Writes are logged.
dt_sh "offline writes on A succeed" "
	printf 'appended offline\n' >>'$A/cached'
	printf 'created offline\n' >'$A/d/new'
	mkdir '$A/newdir'
	printf 'in a new dir\n' >'$A/newdir/f'
	mv '$A/d/inner' '$A/d/inner.renamed'
"
ht_check "A reads its offline changes" ht_has_content "$A/cached" "$(printf 'cached on A\nappended offline')"
n=$(dt_pending A)
ht_check "A has CML entries pending (N=$n) > 0" test "$n" -gt 0
ht_check "A still says Disconnected" test "$(dt_state A)" = Disconnected

# ---- vice back: reintegration by itself ---------------------------------------

t0=$SECONDS
dt_vice_restart
ht_check "A reintegrates by itself within 90 s of vice's return (0 pending)" \
	dt_wait_pending A 90 0
ht_note "pending reached $(dt_pending A) $((SECONDS - t0)) s after vice's return"
ht_check "A says Connected" test "$(dt_state A)" = Connected
ht_check "B reconnects" dt_wait_connected B 60
ht_check "B sees A's offline append" ht_has_content "$B/cached" "$(printf 'cached on A\nappended offline')"
ht_check "B sees A's offline create" ht_has_content "$B/d/new" "created offline"
ht_check "B sees A's offline mkdir + create" ht_has_content "$B/newdir/f" "in a new dir"
ht_check "B sees A's offline rename" ht_has_content "$B/d/inner.renamed" "cached in d"
ht_check "B no longer sees the old name" test ! -e "$B/d/inner"
ht_check "A now reads the file it could not fetch" ht_has_content "$A/uncached" "written by B"
ht_check "A and B list the same tree" dt_same_listing "$A" "$B"
ht_done
