#!/bin/bash
# test/pkg/notify.sh - what the systemd units rely on, with real vice and
# venus: READY=1 once listening / mounted and WATCHDOG=1 pings on
# $NOTIFY_SOCKET (sd_notify), "<prio>" prefixes when stderr is the journal
# stream ($JOURNAL_STREAM), --pidfile written then removed at exit, and
# venus.service's ExecStopPost detaching the mount a killed venus left.
# A python3 datagram socket stands in for systemd.
. "$(dirname "$0")/../integration/lib.sh"

grep -q '^#define HAVE_LIBSYSTEMD 1' "$top_builddir/config.h" ||
	ht_skip "built without libsystemd (apt-get install libsystemd-dev)"

# listen NAME: a datagram socket $HT_TMP/NAME.sock; each message becomes
# one line of $HT_TMP/NAME.log.
listen() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1] + ".sock")
open(sys.argv[1] + ".up", "w").close()
with open(sys.argv[1] + ".log", "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
        f.flush()
' "$HT_TMP/$1" &
	HT_EXTRA_PIDS="${HT_EXTRA_PIDS:-} $!"
	ht_wait_for 30 test -e "$HT_TMP/$1.up" || ht_hard "notify listener $1 did not start"
}
listen vice-notify
listen venus-notify

# said LOG PID WORDS: a message from PID (MAINPID=) holds WORDS.
said() { grep -q "$3 MAINPID=$2\$" "$HT_TMP/$1.log"; }

export NOTIFY_SOCKET=$HT_TMP/vice-notify.sock WATCHDOG_USEC=1000000
mkdir -p "$VICE_ROOT"
: >"$VICE_ROOT/vice.log"
export JOURNAL_STREAM=$(stat -c '%d:%i' "$VICE_ROOT/vice.log")
ht_vice_start --pidfile "$HT_TMP/vice.pid"
ht_check "vice sent READY=1 with its pid" ht_wait_for 30 said vice-notify "$HT_VICE_PID" 'READY=1 STATUS=listening'
ht_check "vice pings the watchdog" ht_wait_for 30 grep -q '^WATCHDOG=1' "$HT_TMP/vice-notify.log"
ht_check "vice wrote its pid file" test "$(cat "$HT_TMP/vice.pid" 2>/dev/null)" = "$HT_VICE_PID"
unset JOURNAL_STREAM

NOTIFY_SOCKET=$HT_TMP/venus-notify.sock
ht_venus_start c1 --pidfile "$HT_TMP/venus.pid"
vpid=${HT_VENUS_PID[c1]}
ht_check "venus sent READY=1 once mounted" ht_wait_for 30 said venus-notify "$vpid" 'READY=1 STATUS=mounted'
ht_check "venus wrote its pid file" test "$(cat "$HT_TMP/venus.pid" 2>/dev/null)" = "$vpid"
ht_check "venus pings the watchdog" ht_wait_for 30 grep -q '^WATCHDOG=1' "$HT_TMP/venus-notify.log"

ht_venus_stop c1
ht_check "venus said STOPPING=1" grep -q '^STOPPING=1' "$HT_TMP/venus-notify.log"
ht_check "venus removed its pid file" test ! -e "$HT_TMP/venus.pid"
# A venus killed outright leaves a dead mount: venus.service's
# ExecStopPost (its command, on this test's mount point) must detach it.
unset NOTIFY_SOCKET WATCHDOG_USEC
ht_venus_start c2
kill -KILL "${HT_VENUS_PID[c2]}"
wait "${HT_VENUS_PID[c2]}" 2>/dev/null || true
unset "HT_VENUS_PID[c2]"
stoppost=$(sed -n "s|^ExecStopPost=-/bin/sh -c '\(.*\)'$|\1|p" "$top_builddir/dist/systemd/venus.service")
ht_check "venus.service has an ExecStopPost for /coda" test -n "$stoppost"
ht_check "the dead mount is still listed" ht_is_mounted "$(ht_mnt_top c2)"
/bin/sh -c "${stoppost//\/coda/$(ht_mnt_top c2)}"
ht_check "ExecStopPost detached the dead mount" ht_wait_for 30 eval '! ht_is_mounted "$(ht_mnt_top c2)"'

ht_vice_stop
ht_check "vice removed its pid file" test ! -e "$HT_TMP/vice.pid"
# vice's stderr was the "journal": its lines carry syslog priorities.
ht_check "vice logs with <prio> prefixes on the journal stream" grep -q '^<6>vice: signal' "$VICE_ROOT/vice.log"
ht_done
