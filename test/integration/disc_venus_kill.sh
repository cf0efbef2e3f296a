#!/bin/bash
# venus killed (SIGKILL) at random moments during a stream of writes and
# renames, 50 times.  Each round restarts venus on the same cachedir, puts
# it offline (`cfs disconnect`; every third round instead `cfs wd -age 1
# -time 1`, so the trickle runs while it dies), and runs a writer that
# writes files (write, close, rename into place; each content unique) and
# journals, outside the mount, every close and rename that has returned.
# After a random 0.05-0.9 s venus is killed, its dead mount detached, and
# venus restarted: every journaled write must be there with its content
# (a rename whose return was not journaled may or may not have happened).
# Then bursts: offline, a few hundred creates, stores and rewrites as fast
# as they return, venus killed the moment the last one has returned; each
# that returned must be there after the restart (venus commits its
# database before it answers: a batch per event-loop turn, issue 11).
# At the end A reintegrates and B sees exactly A's tree.
HT_TIMEOUT=${HT_TIMEOUT:-300}
source "$(dirname "$0")/disc_lib.sh"

ROUNDS=${DT_ROUNDS:-50}
JOURNAL=$HT_TMP/journal
: >"$JOURNAL"

cat >"$HT_TMP/writer.py" <<'EOF'
# writer.py DIR JOURNAL ROUND SECONDS: write files into DIR until SECONDS
# pass or an operation fails; journal each returned close and rename.
import hashlib, os, random, sys, time
d, journal, rnd, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
j = os.open(journal, os.O_WRONLY | os.O_APPEND)
rng = random.Random()
end = time.monotonic() + secs
i = 0
try:
    while time.monotonic() < end:
        i += 1
        tmp = "tmp.%d.%d" % (rnd, i)
        final = "f%02d" % rng.randrange(50)
        n = rng.choice([10, 100, 1000, 5000, 20000, 200000]) if rng.random() < 0.9 else 1 << 20
        head = ("round %d seq %d %s\n" % (rnd, i, final)).encode()
        data = head + rng.randbytes(max(0, n - len(head)))
        h = hashlib.sha1(data).hexdigest()
        fd = os.open(os.path.join(d, tmp), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for o in range(0, len(data), 65536):
            os.write(fd, data[o:o + 65536])
        os.close(fd)
        os.write(j, ("C %s %s %s\n" % (tmp, final, h)).encode())
        os.rename(os.path.join(d, tmp), os.path.join(d, final))
        os.write(j, ("R %s %s\n" % (tmp, final)).encode())
        time.sleep(0.004)   # pacing, not a wait: spreads the files out
except OSError as e:
    print("writer: round %d stopped after %d files: %s" % (rnd, i, e), file=sys.stderr)
    with open(journal + ".stop", "w") as f:
        f.write("%.6f %s\n" % (time.time(), e))
    sys.exit(0)
print("writer: round %d wrote %d files" % (rnd, i), file=sys.stderr)
EOF

cat >"$HT_TMP/check.py" <<'EOF'
# check.py DIR JOURNAL [--resolve]: every journaled file has its content.
# The last close of the journal may have been followed by a rename whose
# return was not journaled: either outcome is accepted, and with
# --resolve the one found is journaled so the model stays exact.
import hashlib, os, sys
d, journal = sys.argv[1], sys.argv[2]
resolve = "--resolve" in sys.argv
files = {}        # name -> sha1 (None: a removed/renamed-away name)
last = None
for line in open(journal):
    w = line.split()
    if w[0] == "C":
        files[w[1]] = w[3]
        last = (w[1], w[2], w[3])
    elif w[0] == "R":
        files[w[2]] = files.pop(w[1])
        last = None
    elif w[0] == "K":
        last = None
def sha(name):
    try:
        with open(os.path.join(d, name), "rb") as f:
            return hashlib.sha1(f.read()).hexdigest()
    except FileNotFoundError:
        return None
bad = []
renamed = False
if last:
    tmp, final, h = last
    if sha(tmp) is None and sha(final) == h:
        renamed = True
        files[final] = files.pop(tmp)
for name, h in sorted(files.items()):
    got = sha(name)
    if got != h:
        bad.append("%s: want %s, got %s" % (name, h[:10], got[:10] if got else "no such file"))
hist = {}
for line in open(journal):
    w = line.split()
    for name in w[1:3]:
        hist.setdefault(name, []).append(line.strip())
for b in bad[:10]:
    print("  " + b, file=sys.stderr)
    for h in hist.get(b.split(":")[0], [])[-3:]:
        print("      journal: " + h, file=sys.stderr)
if bad:
    print("  %d of %d journaled files wrong" % (len(bad), len(files)), file=sys.stderr)
    sys.exit(1)
if resolve and last:
    with open(journal, "a") as j:
        j.write(("R %s %s\n" % (last[0], last[1])) if renamed else ("K %s\n" % last[0]))
print("%d files ok%s" % (len(files), " (last rename done)" if renamed else ""))
EOF

cat >"$HT_TMP/burst.py" <<'EOF'
# burst.py DIR JOURNAL BURST N: N operations as fast as they return: an
# empty create, a create with data, a rewrite of the file before (a
# logged store); each journaled once it returned (C name name sha1, K).
import hashlib, os, sys
d, journal, b, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
j = os.open(journal, os.O_WRONLY | os.O_APPEND)
def put(name, data, flags):
    fd = os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT | flags, 0o644)
    if data:
        os.write(fd, data)
    os.close(fd)
    os.write(j, ("C %s %s %s\nK %s\n" % (name, name, hashlib.sha1(data).hexdigest(), name)).encode())
for i in range(n):
    name = "b%d.%d" % (b, i)
    if i % 3 == 0:
        put(name, b"", os.O_EXCL)
    elif i % 3 == 1:
        put(name, ("burst %d file %d\n" % (b, i)).encode() * (1 + i % 7), os.O_EXCL)
    else:
        put("b%d.%d" % (b, i - 1), ("burst %d rewrite %d\n" % (b, i)).encode(), os.O_TRUNC)
EOF

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
mkdir "$A/w"
ht_check "B sees A's directory" ht_wait_for 10 test -d "$B/w"

failed_round=
t0=$SECONDS
for ((round = 1; round <= ROUNDS; round++)); do
	if [ $((round % 3)) -eq 0 ]; then
		mode=wd
		ht_check "round $round: cfs wd -age 1 -time 1" ht_cfs A wd -age 1 -time 1
	else
		mode=disconnected
		ht_check "round $round: cfs disconnect" ht_cfs A disconnect
	fi
	rm -f "$JOURNAL.stop"
	timeout -k 2 "$HT_OPTIMEOUT" python3 "$HT_TMP/writer.py" "$A/w" "$JOURNAL" "$round" 1.2 \
		2>"$HT_TMP/writer.err" &
	wpid=$!
	delay=$(dt_rand_ms 50 900)
	# Not a wait on a condition: the kill lands at a random moment of the
	# writer's run on purpose.
	sleep "$delay"
	kill_at=$(date +%s.%N)
	dt_venus_kill9 A
	wrc=0
	wait "$wpid" || wrc=$?
	ht_check "round $round: the writer ends after venus's death (exit $wrc)" test "$wrc" -eq 0
	# An operation that failed before the kill failed on a live venus.
	if [ -s "$JOURNAL.stop" ] && awk -v k="$kill_at" '{ exit !($1 < k - 0.002) }' "$JOURNAL.stop"; then
		ht_fail "round $round ($mode): a write/rename failed while venus was alive, $(awk -v k="$kill_at" '{ printf "%.3f", k - $1 }' "$JOURNAL.stop") s before the kill: $(cut -d' ' -f2- "$JOURNAL.stop")"
	fi
	ht_venus_start A
	out=$(timeout -k 5 "$HT_OPTIMEOUT" python3 "$HT_TMP/check.py" "$A/w" "$JOURNAL" --resolve 2>&1) || {
		ht_fail "round $round ($mode, killed after ${delay}s): journaled writes lost or wrong after the restart:"
		printf '%s\n' "$out" >&2
		failed_round=$round
		break
	}
	if [ $((round % 10)) -eq 0 ] || [ "$round" -le 3 ]; then
		ht_note "round $round ($mode, killed after ${delay}s): $(cat "$HT_TMP/writer.err") / $out"
	fi
done
ht_note "$((round - 1)) rounds in $((SECONDS - t0)) s"
ht_check "all $ROUNDS rounds kept every journaled write" test -z "$failed_round"

for ((burst = 1; burst <= ${DT_BURSTS:-3}; burst++)); do
	[ -z "$failed_round" ] || break
	ht_check "burst $burst: cfs disconnect" ht_cfs A disconnect
	ht_check "burst $burst: 300 offline creates and stores return" \
		ht_t python3 "$HT_TMP/burst.py" "$A/w" "$JOURNAL" "$burst" 300
	dt_venus_kill9 A   # at once: the last answer has just left
	ht_venus_start A
	out=$(timeout -k 5 "$HT_OPTIMEOUT" python3 "$HT_TMP/check.py" "$A/w" "$JOURNAL" 2>&1) || {
		ht_fail "burst $burst: answered creates/stores lost or wrong after kill -9:"
		printf '%s\n' "$out" >&2
		failed_round=burst$burst
	}
	ht_note "burst $burst: $out"
done

# Reintegrate; B must see exactly what A has.
ht_check "cfs reconnect on A" ht_cfs A reconnect
ht_check "cfs strong on A" ht_cfs A strong
dt_fr A
ht_check "cfs fr on A exits 0 (got $DT_FR_RC)" test "$DT_FR_RC" -eq 0
ht_check "cfs fr prints 'Modifications to ... reintegrated to server'" \
	grep -Eq 'Modifications to .* reintegrated to server' <<<"$DT_FR_OUT"
ht_check "A has 0 CML entries pending" test "$(dt_pending A)" -eq 0
ht_check "A has no pending conflicts" test "$(dt_conflicts_n A)" -eq 0
ht_check "the journaled writes are all on B" \
	timeout -k 5 "$HT_OPTIMEOUT" python3 "$HT_TMP/check.py" "$B/w" "$JOURNAL"
# This includes the files whose write the kill cut short (tmp.R.N not in
# the journal): whatever A shows for them after its restart must reach
# vice too (or be dropped), else A and B disagree for good.
ht_check "B's tree equals A's (diff -r; incl. files whose write the kill cut short)" \
	dt_same_tree "$A/w" "$B/w"
ht_check "B's listing equals A's (incl. files whose write the kill cut short)" \
	dt_same_listing "$A/w" "$B/w"
ht_done
