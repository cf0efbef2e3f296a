#!/bin/bash
# Token expiry while disconnected and while connected (issue 9 item 6):
# nothing is lost, and a new clog lets the user's changes go to vice.
#
# Disconnected: an unprivileged user with a short-lived token (clog
# -lifetime) works in a directory whose ACL grants them rlidwk while root
# has client A disconnected; the token expires; after `cfs reconnect`
# the user's records wait ("pending tokens" in cfs lv): none is sent,
# none becomes a conflict, A still serves the data; a new clog lets them
# go and client B sees every file byte for byte.
# Connected: the user opens a file for writing with a live token, writes,
# the token expires, and then closes.  vice refuses the store (the call
# goes as System:AnyUser); close(2) still returns 0: venus logs the store
# as the user's CML record, which waits for a token like offline work.
# B keeps the old version until the user clogs again, then gets the new.
source "$(dirname "$0")/disc_lib.sh"

if ! declare -F ht_user_add >/dev/null || ! declare -F ht_clog_as >/dev/null; then
	ht_skip "needs ht_user_add and ht_clog_as (the auth harness)"
fi
U=hsexp$$
ht_local_user "$U"
UID_U=$(id -u "$U")

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
chmod 755 "$HT_TMP" "$HT_TMP/A" "$HT_TMP/B"
ht_user_add "$U" "$UID_U"
ht_clog_as "$U" "$U" A || ht_hard "clog of $U on venus A failed"

# as VENUS CMD...: run CMD as the user, cfs/ctokens talking to VENUS.
as() {
	local v=$1
	shift
	ht_t runuser -u "$U" -- env HESPER_CTL="$(ht_ctl "$v")" "$@"
}
# clog_for SECS: a new token for the user on A, SECS seconds long.
clog_for() {
	HESPER_CTL=$(ht_ctl A) timeout -k 5 60 runuser -u "$U" -- \
		"$CLOG" -pipe -lifetime "$1" "$U" <"$HT_TMP/pw.$U" >/dev/null
}
# The user's token on A has expired (ctokens says so).
_expired() { as A "$CTOKENS" | grep -q 'This token has expired'; }
# wait_expired LIFE: poll ctokens, bounded by the token's life plus slack.
wait_expired() {
	ht_wait_for $(($1 + 30)) _expired ||
		ht_hard "ctokens never said the $1 s token expired: $(as A "$CTOKENS" 2>&1 | tr '\n' ' ')"
}
_waits() { dt_lv A | grep -q "Reintegration pending tokens for uid $UID_U"; }

# root (System:Administrators) makes the user's directory: rlidwk for
# the user, System:AnyUser keeps the inherited rl.  Mode 0777, so the ACL
# alone decides.
mkdir -m 0777 "$A/d"
ht_check "root: cfs sa gives $U rlidwk" ht_cfs A sa "$A/d" "$U" rlidwk
ht_check "B lists the empty directory" test -z "$(ls -A "$B/d")"

# Reference data, readable by the user.
head -c 300000 /dev/urandom >"$HT_TMP/ref1"
head -c 70000 /dev/urandom >"$HT_TMP/ref2"
head -c 1500000 /dev/urandom >"$HT_TMP/ref3"
chmod 644 "$HT_TMP"/ref*
mkdir "$HT_TMP/u" && chown "$U" "$HT_TMP/u"

# ---- disconnected -------------------------------------------------------------

# The user looks at the directory while connected, so that A knows their
# rights on it and on the volume root offline (as Coda's venus, A
# refuses what it cannot check).
ht_check "$U lists the directory on A" eval "as A ls -la \"\$A\" \"\$A/d\" >/dev/null"
# Long enough to disconnect and write first: a busy machine gets longer.
LIFE=$((5 * $(ht_load_pct) / 100))
ht_check "$U: clog -lifetime $LIFE" clog_for $LIFE
ht_check "root: cfs disconnect on A" ht_cfs A disconnect
ht_check "A is Disconnected" dt_wait_state A 30 Disconnected
ht_check "$U writes offline" as A sh -ec "
	cp '$HT_TMP/ref1' '$A/d/f1'
	mkdir '$A/d/sub'
	cp '$HT_TMP/ref2' '$A/d/sub/f2'
	printf 'line one\n' >'$A/d/notes'
	printf 'line two\n' >>'$A/d/notes'"
n=$(dt_pending A)
ht_note "A logged $n records offline"
ht_check "the records are logged ($n)" test "$n" -ge 4
wait_expired $LIFE
ht_note "$U's token on A has expired"
ht_check "root: cfs reconnect on A" ht_cfs A reconnect
ht_check "cfs lv says $U's records wait for tokens" ht_wait_for 60 _waits
ht_note "cfs lv: $(dt_lv A | tr '\n' '|')"
ht_check "nothing was reintegrated ($(dt_pending A) of $n pending)" test "$(dt_pending A)" = "$n"
ht_check "nothing is in conflict ($(dt_conflicts_n A))" test "$(dt_conflicts_n A)" = 0
ht_check "A serves f1" ht_t cmp "$HT_TMP/ref1" "$A/d/f1"
ht_check "A serves sub/f2" ht_t cmp "$HT_TMP/ref2" "$A/d/sub/f2"
ht_check "A serves notes" ht_has_content "$A/d/notes" "$(printf 'line one\nline two')"
ht_check "$U reads f1 on A" as A cmp "$HT_TMP/ref1" "$A/d/f1"
ht_check "B has none of it yet" test -z "$(ls -A "$B/d")"

ht_check "$U: clog again" clog_for 3600
ht_check "A reintegrates (0 pending)" dt_wait_pending A 90 0
ht_check "still no conflict" test "$(dt_conflicts_n A)" = 0
ht_check "B sees f1 byte for byte" ht_t cmp "$HT_TMP/ref1" "$B/d/f1"
ht_check "B sees sub/f2 byte for byte" ht_t cmp "$HT_TMP/ref2" "$B/d/sub/f2"
ht_check "B sees notes" ht_has_content "$B/d/notes" "$(printf 'line one\nline two')"
ht_check "f1 is $U's on B" test "$(stat -c %u "$B/d/f1")" = "$UID_U"

# ---- connected: the token expires while the file is open --------------------------

ht_check "$U creates c on A (connected)" as A sh -c "printf 'version one\n' >'$A/d/c'"
ht_check "B reads version one" ht_has_content "$B/d/c" "version one"

# The writer: opens c, writes half of ref3, says ready, waits for go,
# writes the rest, closes; prints what open and close said.
cat >"$HT_TMP/writer.py" <<'EOF'
import os, sys, time
path, ready, go, data = sys.argv[1:5]
buf = open(data, "rb").read()
try:
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
except OSError as e:
    print("open: " + e.strerror)
    sys.exit(4)
os.write(fd, buf[: len(buf) // 2])
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.1)
os.write(fd, buf[len(buf) // 2 :])
try:
    os.close(fd)
except OSError as e:
    print("close: " + e.strerror)
    sys.exit(3)
print("close: ok")
EOF
_ready() { [ -e "$HT_TMP/u/ready" ] || ! kill -0 "$wpid" 2>/dev/null; }
# The token must still be live at open: a slow machine gets a longer one.
LIFE=4
for try in 1 2 3 4; do
	rm -f "$HT_TMP/u/ready" "$HT_TMP/u/go"
	clog_for $LIFE || ht_hard "clog -lifetime $LIFE failed"
	as A python3 "$HT_TMP/writer.py" "$A/d/c" "$HT_TMP/u/ready" "$HT_TMP/u/go" \
		"$HT_TMP/ref3" >"$HT_TMP/writer.out" 2>&1 &
	wpid=$!
	ht_wait_for 60 _ready || true
	[ -e "$HT_TMP/u/ready" ] && break
	wait "$wpid" || true
	ht_note "try $try: the writer did not get going: $(cat "$HT_TMP/writer.out")"
	LIFE=$((LIFE * 3))
done
[ -e "$HT_TMP/u/ready" ] || ht_hard "the writer never opened c"
wait_expired $LIFE
ht_note "$U's token on A expired with c open for writing"
touch "$HT_TMP/u/go"
wrc=0
wait "$wpid" || wrc=$?
ht_note "the writer: exit $wrc, $(tr '\n' ' ' <"$HT_TMP/writer.out")"
ht_check "close(2) after the expiry returns 0" grep -qx 'close: ok' "$HT_TMP/writer.out"
ht_check "the store waits for $U's token" ht_wait_for 60 _waits
ht_check "it is a pending record ($(dt_pending A))" test "$(dt_pending A)" -ge 1
ht_check "not a conflict ($(dt_conflicts_n A))" test "$(dt_conflicts_n A)" = 0
ht_check "A serves the new c" ht_t cmp "$HT_TMP/ref3" "$A/d/c"
ht_check "B still has version one" ht_has_content "$B/d/c" "version one"
{ grep -E 'STORE FAILED|refused: uid' "$HT_TMP/A/venus.log" || true; } | tail -n 3 |
	while read -r l; do ht_note "venus A: $l"; done

ht_check "$U: clog again" clog_for 3600
ht_check "A reintegrates the store (0 pending)" dt_wait_pending A 90 0
ht_check "still no conflict" test "$(dt_conflicts_n A)" = 0
ht_check "B sees the new c byte for byte" ht_t cmp "$HT_TMP/ref3" "$B/d/c"
ht_check "the disconnected files are intact on B" ht_t cmp "$HT_TMP/ref1" "$B/d/f1"
ht_done
