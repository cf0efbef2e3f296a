#!/bin/bash
# codacon shows a build in the mount as it runs: codacon (plain and --json)
# follows venus A while A writes and compiles a C file, B changes it (a
# callback break on A, then a fetch), A goes offline and back (connection
# lines, reintegration) and A and B change one file apart (a conflict).
# A subscriber that never reads and one that reads late cost venus
# nothing: the workload completes, and the late one is told how many
# events it lost.  codacon waits through a venus restart.  Last, `cfs
# watch` in line mode, piped to a file.
HT_TIMEOUT=${HT_TIMEOUT:-240}
source "$(dirname "$0")/lib.sh"

CODACON=${CODACON:-$top_builddir/tools/codacon}
command -v gcc >/dev/null 2>&1 || ht_skip "gcc missing"
command -v python3 >/dev/null 2>&1 || ht_skip "python3 missing"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
OUT=$HT_TMP/codacon.txt
JS=$HT_TMP/codacon.json

# A subscriber that never reads, with a tiny receive buffer: venus's
# queue for it fills and stays full.
cat >"$HT_TMP/stuck.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b"subscribe\n")
time.sleep(3600)   # not a wait: it never reads, until the test kills it
EOF
# A subscriber that reads its first line, then nothing until FLAG exists,
# then what venus kept for it, into OUT, up to the "dropped" line (the
# stream never idles while a conflict is retried).
cat >"$HT_TMP/late.py" <<'EOF'
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b"subscribe\n")
f = s.makefile("rb")
open(sys.argv[3], "w").write(f.readline().decode())
while not os.path.exists(sys.argv[2]):
    time.sleep(0.1)
s.settimeout(5)
with open(sys.argv[3], "ab") as out:
    try:
        while True:
            line = f.readline()
            if not line:
                break
            out.write(line)
            out.flush()
            if b" dropped n=" in line:
                break
    except (socket.timeout, OSError):
        pass
open(sys.argv[3] + ".done", "w").close()
EOF

HESPER_CTL=$(ht_ctl A) "$CODACON" >"$OUT" 2>"$HT_TMP/codacon.err" &
CON1=$!
HESPER_CTL=$(ht_ctl A) "$CODACON" --json >"$JS" 2>"$HT_TMP/codacon-json.err" &
CON2=$!
python3 "$HT_TMP/stuck.py" "$(ht_ctl A)" &
STUCK=$!
HT_EXTRA_PIDS="$CON1 $CON2 $STUCK"

# Subscribed once a read of a marker file shows up in both streams.
echo marker >"$A/marker"
subscribed() {
	cat "$A/marker" >/dev/null
	grep -q 'Open marker' "$OUT" && grep -q '"name":"marker"' "$JS"
}
ht_wait_for 60 subscribed || ht_hard "codacon shows nothing: $(cat "$HT_TMP/codacon.err")"
ht_note "both codacons subscribed"

# ---- a build in the mount ---------------------------------------------------

mkdir "$A/proj"
cat >"$A/proj/hello.c" <<'EOF'
#include <stdio.h>
int main(void) { puts("hello from hesper"); return 0; }
EOF
ht_check "gcc builds in the mount" ht_t gcc -o "$A/proj/hello" "$A/proj/hello.c"
ht_check "the program runs" test "$(ht_t "$A/proj/hello")" = "hello from hesper"

has() { grep -Eq -- "$1" "$OUT"; }
waitline() { ht_check "codacon shows: $2" ht_wait_for 60 has "$1"; }
waitline '^Open hello\.c \([0-9]+\.[0-9]+\.[0-9]+\) for writing \( [0-9]{2}:[0-9]{2}:[0-9]{2} \)$' \
	"the source opened for writing"
waitline '^Close hello\.c \(.*\), written ' "its close, written"
waitline '^Store hello\.c \(.*\) [0-9]+ bytes in [0-9.]+ s ' "its store with bytes and seconds"
waitline '^Open hello\.c \(.*\) for reading ' "gcc reading the source"
waitline '^Store hello \(.*\) [0-9]+ bytes in ' "the linked program stored"

# ---- B changes the source: a callback break on A, then a fetch ---------------

ht_check "B reads the source" grep -q hesper "$B/proj/hello.c"
echo '/* changed on B */' >>"$B/proj/hello.c"
waitline '^Callback .* \(.*\) hello\.c ' "the callback break from B's change"
ht_check "A reads B's change" grep -q 'changed on B' "$A/proj/hello.c"
waitline '^Fetch hello\.c \(.*\) [0-9]+ bytes in [0-9.]+ s ' "the fetch with bytes and seconds"

# ---- offline and back: connection, reintegration, a conflict -----------------

echo base >"$A/shared"
ht_check "B reads shared" grep -q base "$B/shared"
ht_check "cfs disconnect on A" ht_cfs A disconnect
waitline '^unreachable ' "the connection going away"
echo "offline on A" >"$A/offline"
echo "A's version" >"$A/shared"
echo "B's version" >"$B/shared"
ht_check "cfs reconnect on A" ht_cfs A reconnect
waitline '^up ' "the connection coming back"
ht_cfs A fr >/dev/null 2>&1 || true
waitline '^Reintegrate [0-9]+ records, [0-9]+ left ' "reintegration progress"
waitline '^Reintegrate (done|stopped: conflicts), [0-9]+ left ' "the end of reintegration"
waitline "^CONFLICT \\(update/update\\): (/$HT_REALM)?/shared \\(" "the conflict on shared"
ht_check "B sees A's offline file" grep -q "offline on A" "$B/offline"

# Every line has Coda's timestamp; the JSON stream parses and has it all.
ht_check "every plain line ends with ( HH:MM:SS )" \
	bash -c "! grep -Ev ' \( [0-9]{2}:[0-9]{2}:[0-9]{2} \)$' '$OUT'"
ht_check "the JSON lines parse and hold every kind" python3 - "$JS" <<'EOF'
import json, sys
kinds = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["time"].endswith("Z"), e
    kinds.add(e["event"])
    if e["event"] in ("fetch", "store") and "error" not in e:
        assert e["bytes"] >= 0 and e["seconds"] >= 0, e
want = {"open", "close", "fetch", "store", "callback", "connection",
        "reintegrate", "conflict"}
assert want <= kinds, want - kinds
EOF

# ---- slow subscribers cost venus nothing --------------------------------------

python3 "$HT_TMP/late.py" "$(ht_ctl A)" "$HT_TMP/late.go" "$HT_TMP/late.txt" &
LATE=$!
HT_EXTRA_PIDS="$HT_EXTRA_PIDS $LATE"
ht_check "the late subscriber got its first line" \
	ht_wait_for 30 grep -qx 'events 1' "$HT_TMP/late.txt"
# Far more events than venus queues for one subscriber (256 KiB).
ht_check "8000 opens in the mount complete" ht_t python3 - "$A/proj/hello.c" <<'EOF'
import sys
for i in range(8000):
    with open(sys.argv[1], "rb") as f:
        f.read(1)
EOF
ht_check "the stuck subscriber is still connected" kill -0 "$STUCK"
touch "$HT_TMP/late.go"
ht_check "the late subscriber finished reading" ht_wait_for 60 test -e "$HT_TMP/late.txt.done"
ht_check "the late subscriber was told events were dropped" \
	grep -Eq '^[0-9]+\.[0-9]+ dropped n=[1-9][0-9]*$' "$HT_TMP/late.txt"
ht_check "venus A still answers" ht_cfs A stats

# At most 8 subscribers: with the two codacons and the stuck one, five
# more are served and the rest refused with a message.
got=$(python3 - "$(ht_ctl A)" <<'EOF'
import socket, sys
ok = busy = 0
keep = []
for i in range(8):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(b"subscribe\n")
    f = s.makefile("rb")
    line = f.readline()
    if line == b"events 1\n":
        ok += 1
        keep.append((s, f))
    elif b"subscribers already" in line:
        busy += 1
print(ok, busy)
EOF
)
# (5 3, or 4 4 if venus has not yet noticed the late one hang up.)
ht_check "5 more subscribers served, the rest refused ($got)" \
	bash -c "[ '$got' = '5 3' ] || [ '$got' = '4 4' ]"
# (A keeps logging while its conflict is unresolved, so B's change is the
# one that crosses.)
echo after >"$A/after"
ht_check "A still reads and writes" grep -q after "$A/after"
echo "from B" >"$B/after2"
ht_check "A sees B's new file" ht_wait_for 30 grep -q "from B" "$A/after2"

# ---- venus restarts: codacon waits for it and follows the new one -------------

rc=0
msg=$("$CODACON" --once --socket "$HT_TMP/none.ctl" 2>&1) || rc=$?
ht_check "codacon --once against no venus exits 1 ($rc)" test "$rc" -eq 1
ht_check "and says why ($msg)" grep -q "cannot reach venus at $HT_TMP/none.ctl" <<<"$msg"
ht_venus_stop A
ht_venus_start A
ht_check "codacon is still running" kill -0 "$CON1"
echo restarted >"$A/restarted"
reopened() { cat "$A/restarted" >/dev/null; grep -q '^Open restarted .* for reading' "$OUT"; }
ht_check "codacon follows the restarted venus" ht_wait_for 60 reopened

# ---- cfs watch, line mode ------------------------------------------------------

ht_check "cfs watch prints two refreshes into a pipe" \
	bash -c "HESPER_CTL='$(ht_ctl A)' timeout 60 '$CFS' watch -n 2 -i 0.2 >'$HT_TMP/watch.txt'"
ht_check "cfs watch shows the volume" grep -q 'Volume' "$HT_TMP/watch.txt"
ht_check "cfs watch shows the cache" grep -Eq '^Cache: [0-9]+ objects' "$HT_TMP/watch.txt"
ht_check "cfs watch shows the CML" grep -Eq '^CML: [0-9]+ records' "$HT_TMP/watch.txt"
ht_check "cfs watch refreshed twice" test "$(grep -c '^--- ' "$HT_TMP/watch.txt")" -eq 2
ht_check "cfs watch has no terminal escapes in a pipe" \
	bash -c "! grep -q $'\e' '$HT_TMP/watch.txt'"

ht_done
