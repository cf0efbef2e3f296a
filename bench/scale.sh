#!/bin/bash
# bench/scale.sh - venus with many cached objects (issue 11, target 6).
# Run by hand (as root, FUSE), not by `make check`:
#
#   N=100000 bench/scale.sh [BUILDDIR]     (BUILDDIR default: ./build)
#
# Starts a vice and a venus A (test/integration/lib.sh, temp dirs under
# $TMPDIR), makes N small files in directories of PER_DIR (1000) on A
# (CREATE=offline, the default: made after `cfs disconnect`, then `cfs
# reconnect` and `cfs fr` reintegrate them; CREATE=wd: with `cfs wd`, then
# reintegrated (at d2 of 100,000 the tree's top directory vanished on
# 2026-12-02: the write-back bug wdfix chases); CREATE=strong: one create
# and store each, the slowest), reads them all once, then:
#   - venus's RSS (ps -o rss) and venus.db's size (with its WAL);
#   - `ls -lR` warm (twice, the second timed);
#   - SIGTERM and restart of A: seconds from exec until the mount shows,
#     and until the first stat of a file answers;
#   - `ls -lR` right after the restart, and again (warm);
#   - the RPCs it took: cfs stats getattr_calls, validate_calls,
#     validate_objects, fetches, volstamp_valid and volstamp_changed (a
#     recorded volume stamp accepted or refused, protocol 7); then the fetches after reading every
#     file (0: every container survived the restart's checks).
# SAVE=DIR: once the tree is made and read, keep a copy of vice's root,
# A's cache and root's password in DIR (made fresh; ~1.2 GB at 100,000).
# FROM=DIR: start from such a copy instead of making the tree (same N and
# PER_DIR; the fill of 100,000 files takes the better part of an hour on
# a loaded machine, a copy seconds).  Both stop and restart vice and A.
# SYNTH=K (with FROM): a synthetic cache K times as big, for the start
# alone: with venus stopped, venus.db's rows of t/ are copied K-1 times
# (t1/ ... under new inos and made-up vnodes vice never heard of,
# containers hard-linked); the start, the first stat and the RSS are of
# the K-times cache, the listings still of t/ (vice refuses the made-up
# fids one by one when they are validated; with vice down a restarted
# venus answers the realm's directory with ETIMEDOUT, so it stays up).
# BEFORE=DIR (another build directory of the same cache format): each of
# ROUNDS (1) rounds restarts A with BEFORE's venus first, then with this
# build's, on the same cache, so that both are measured in one run.
# Prints one "name value" line per figure; timings are wall-clock seconds
# on a shared machine: compare runs made in the same conditions.
set -euo pipefail

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$SRCDIR/build}" && pwd)
top_srcdir=$SRCDIR
export top_builddir top_srcdir
N=${N:-100000}
PER_DIR=${PER_DIR:-1000}
CREATE=${CREATE:-offline}
HT_TIMEOUT=${HT_TIMEOUT:-7200}
source "$SRCDIR/test/integration/disc_lib.sh"

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc | sed 's/^\./0./'; }
out() { printf '%-28s %s\n' "$1" "$2"; }
rss_kb() { ps -o rss= -p "${HT_VENUS_PID[A]}" | tr -d ' '; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' \
	"/proc/${HT_VENUS_PID[A]}/stat"; }
db_kb() { du -kc "$(ht_cachedir A)"/venus.db* | tail -1 | cut -f1; }

# The parts of a run that make its cache: vice's root, A's cache, pw.root.
SAVED=(vice/root A/cache pw.root)
save_to() {   # DIR
	ht_venus_stop A
	ht_vice_stop
	rm -rf "$1" && mkdir -p "$1"
	for p in "${SAVED[@]}"; do
		mkdir -p "$1/$(dirname "$p")" && cp -a "$HT_TMP/$p" "$1/$p"
	done
	echo "$VICE_PORT" >"$1/port"
	ht_vice_start -p "$VICE_PORT"
	ht_venus_start A
}
if [ -n "${FROM:-}" ]; then
	for p in "${SAVED[@]}"; do
		mkdir -p "$HT_TMP/$(dirname "$p")" && cp -a "$FROM/$p" "$HT_TMP/$p"
	done
	ht_vice_start -p "$(cat "$FROM/port")"   # the port venus pinned
else
	ht_vice_start
fi
# The offline or write-back fill logs one record per file and directory:
# room for them all, or the red zone stalls each writer for 10 s past 95%
# of the default 100,000 entries.
[ "$CREATE" != strong ] && printf 'cml_entries %d\n' $((2 * N + 1000)) >>"$HT_TMP/venus.conf"
ht_venus_start A
M=$(ht_mnt A)

# ---- the tree ----
t0=$(now)
if [ -z "${FROM:-}" ]; then
	mkdir "$M/t"   # connected: the realm's root is cached for the offline case
	[ "$CREATE" = wd ] && ht_cfs A wd >/dev/null
	[ "$CREATE" = offline ] && ht_cfs A disconnect >/dev/null
	ndirs=$(((N + PER_DIR - 1) / PER_DIR))
	for ((d = 0; d < ndirs; d++)); do
		mkdir "$M/t/d$d"
		(cd "$M/t/d$d" && for ((i = 0; i < PER_DIR && d * PER_DIR + i < N; i++)); do
			echo "$d $i" >"f$i"; done)
	done
	if [ "$CREATE" != strong ]; then
		[ "$CREATE" = wd ] && ht_cfs A wr >/dev/null
		[ "$CREATE" = offline ] && ht_cfs A reconnect >/dev/null
		ht_cfs A fr >/dev/null 2>&1 || true
		dt_wait_pending A 7200 0 || ht_fail "the CML did not drain"
	fi
	out create_s "$(since "$t0")"
fi
cat "$M"/t/d*/f* >/dev/null
[ -n "${SAVE:-}" ] && save_to "$SAVE"
TREE=$M/t
if [ -n "${SYNTH:-}" ]; then
	ht_venus_stop A
	/usr/bin/python3 - "$(ht_cachedir A)" "$SYNTH" <<'PY'
import os, sqlite3, sys
cache, k = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(os.path.join(cache, "venus.db"))
(top, pdir), = db.execute("SELECT child, dir FROM dirent WHERE name = 't'")
sub, todo = {top}, [top]
while todo:
    kids = [c for (c,) in db.execute("SELECT child FROM dirent WHERE dir = ?", (todo.pop(),))]
    sub.update(kids)
    todo.extend(kids)
span = db.execute("SELECT MAX(ino) FROM fsobj").fetchone()[0] + 1
vspan = db.execute("SELECT MAX(vnode) FROM fsobj").fetchone()[0] + 1
cols = [r[1] for r in db.execute("PRAGMA table_info(fsobj)")]
rows = [r for r in db.execute("SELECT * FROM fsobj") if r[0] in sub]
ents = [r for r in db.execute("SELECT dir, name, child FROM dirent") if r[0] in sub]
ix = {c: i for i, c in enumerate(cols)}
cdir = os.path.join(cache, "containers")
for j in range(1, k):
    m = lambda i: i + j * span if i in sub else i
    for r in rows:
        r = list(r)
        if r[0] == top:
            r[ix["name"]] = "t%d" % j
        r[ix["ino"]] = m(r[ix["ino"]])
        r[ix["parent"]] = m(r[ix["parent"]])
        r[ix["vnode"]] += j * vspan
        db.execute("INSERT INTO fsobj VALUES (%s)" % ",".join("?" * len(r)), r)
        src = os.path.join(cdir, str(r[0] - j * span))
        if os.path.exists(src):
            os.link(src, os.path.join(cdir, str(r[0])))
    db.executemany("INSERT INTO dirent VALUES (?, ?, ?)",
                   [(m(d), n, m(c)) for d, n, c in ents] + [(pdir, "t%d" % j, m(top))])
db.commit()
print("synth objects", db.execute("SELECT COUNT(*) FROM fsobj").fetchone()[0])
PY
	ht_venus_start A
fi

# ---- warm ----
ls -lR "$TREE" >/dev/null
t0=$(now); ls -lR "$TREE" >"$HT_TMP/ls.warm"; out ls_lR_warm_s "$(since "$t0")"
out entries "$(grep -c ' f[0-9]*$' "$HT_TMP/ls.warm")"
out rss_kb "$(rss_kb)"
out venus_db_kb "$(db_kb)"

# ---- restart: with BEFORE's venus (if given), then with this build's ----
restart() {   # LABEL VENUS
	local lab=$1 t0
	VENUS=$2
	ht_venus_stop A
	t0=$(now)
	HT_NO_CLOG=1 ht_venus_start A
	out "$lab.start_to_mount_s" "$(since "$t0")"
	stat "$M/t/d0/f0" >/dev/null
	out "$lab.start_to_first_stat_s" "$(since "$t0")"
	out "$lab.rss_kb_after_start" "$(rss_kb)"
	out "$lab.cpu_s_after_start" "$(cpu_s)"
	ht_clog A >/dev/null
	t0=$(now); ls -lR "$TREE" >"$HT_TMP/ls.cold"; out "$lab.ls_lR_after_restart_s" "$(since "$t0")"
	for k in getattr_calls validate_calls validate_objects validate_changed fetches; do
		out "$lab.$k" "$(ht_stat A $k 2>/dev/null || echo -)"
	done
	# Volume stamps (protocol 7; an older venus has no such counters).
	for k in volstamp_valid volstamp_changed; do
		out "$lab.$k" "$(ht_cfs A stats 2>/dev/null |
			awk -v k=$k '$1 == k { v = $2 } END { print v == "" ? "-" : v }')"
	done
	t0=$(now); ls -lR "$TREE" >/dev/null; out "$lab.ls_lR_again_s" "$(since "$t0")"
	out "$lab.rss_kb_end" "$(rss_kb)"
	# Every container survived the restart: reading the files fetches none.
	cat "$M"/t/d*/f* >/dev/null
	out "$lab.fetches_after_cat" "$(ht_stat A fetches 2>/dev/null || echo -)"
	cmp -s "$HT_TMP/ls.warm" "$HT_TMP/ls.cold" && out "$lab.listing_same" yes ||
		out "$lab.listing_same" no
}
MINE=$VENUS
for r in $(seq 1 "${ROUNDS:-1}"); do
	[ -n "${BEFORE:-}" ] && restart "before$r" "$BEFORE/venus/venus"
	restart "after$r" "$MINE"
done
ht_done
