#!/bin/bash
# Malformed RPC input: rpcfuzz against vice leaves vice up and serving;
# venus against a hostile fake server stays up (its ctl socket answers).
source "$(dirname "$0")/lib.sh"
[ -x "$RPCFUZZ" ] || ht_hard "$RPCFUZZ not built (make check builds it)"

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)
echo "before the fuzz" >"$A/f"

rc=0
timeout -k 5 300 "$RPCFUZZ" client 127.0.0.1 "$VICE_PORT" >"$HT_TMP/fuzz-client.log" 2>&1 || rc=$?
ht_note "rpcfuzz client exited $rc; last lines:"
tail -n 5 "$HT_TMP/fuzz-client.log"
ht_check "rpcfuzz client reports vice survived and behaved (exit $rc)" test "$rc" -eq 0
ht_check "vice still runs after the fuzz" kill -0 "$HT_VICE_PID"
ht_check "A still reads through vice" ht_has_content "$A/f" "before the fuzz"
echo "after the fuzz" >"$A/g"
ht_venus_start B
B=$(ht_mnt B)
ht_check "a new client connects and reads A's file" ht_has_content "$B/g" "after the fuzz"

# The hostile server: it speaks TLS with vice's certificate (any will do:
# venus pins on first use) and answers garbage.
cert=$VICE_ROOT/root/tls/cert.pem
key=$VICE_ROOT/root/tls/key.pem
[ -f "$cert" ] || ht_hard "no vice certificate at $cert"
"$RPCFUZZ" server 0 "$cert" "$key" >"$HT_TMP/fuzz-server.log" 2>&1 </dev/null &
FPID=$!
HT_EXTRA_PIDS="$FPID"
ht_wait_for 30 grep -q '^rpcfuzz: listening on port [0-9]' "$HT_TMP/fuzz-server.log" \
	|| ht_hard "rpcfuzz server printed no 'listening on port N' line"
FPORT=$(sed -n 's/^rpcfuzz: listening on port \([0-9][0-9]*\).*/\1/p' "$HT_TMP/fuzz-server.log" | head -n 1)
ht_note "fake server on port $FPORT"

# venus may or may not manage to mount against it; it must not crash.
d=$HT_TMP/H
mkdir -p "$d/cache" "$d/mnt"
"$VENUS" -f -c "$HT_TMP/venus.conf" --cachedir "$d/cache" --mountpoint "$d/mnt" \
	"127.0.0.1:$FPORT" >"$d/venus.log" 2>&1 </dev/null &
HPID=$!
HT_VENUS_PID[H]=$HPID
echo "$HPID" >"$d/daemon.pid"
ht_wait_for 30 test -S "$d/cache/venus.ctl" || ht_fail "venus against the fake server made no ctl socket in 30 s"
if ht_wait_for 10 ht_is_mounted "$d/mnt"; then
	for i in 1 2 3; do
		timeout -k 5 60 ls -la "$d/mnt" >/dev/null 2>&1 || true
		timeout -k 5 60 cat "$d/mnt/x" >/dev/null 2>&1 || true
		timeout -k 5 60 touch "$d/mnt/y" >/dev/null 2>&1 || true
	done
else
	ht_note "venus did not mount against the fake server (fine)"
	# The fake server answers venus's first call with hostile records.
	ht_wait_for 30 grep -q '^rpcfuzz: \(sent hostile records\|client gone\)' \
		"$HT_TMP/fuzz-server.log" ||
		ht_note "venus made no call to the fake server in 30 s"
fi
ht_check "venus against the fake server still runs" kill -0 "$HPID"
ht_check "its ctl socket answers cfs stats" bash -c "HESPER_CTL='$d/cache/venus.ctl' timeout 30 '$CFS' stats | grep -q '^fetches '"
ht_kill "$FPID"
ht_done
