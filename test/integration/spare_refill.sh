#!/bin/bash
# The spare pool's idle refill (venus/store/spare.c, issue 11 target 2):
# an idle venus fills <cachedir>/spare with SPARE_FILL empty files; a
# burst of creates in write-back mode takes them (its first container is
# the top spare: the pool is full, so nothing was added above it; how
# many are taken depends on the burst's pauses, so it is not counted);
# every create that returned is there after kill -9 of venus the moment
# the burst ended; the pool fills again once venus is idle; the records
# reintegrate without conflict and another client sees the same files.
HT_TIMEOUT=${HT_TIMEOUT:-300}
source "$(dirname "$0")/disc_lib.sh"

N=200
FILL=$(sed -n 's/^#define SPARE_FILL  *\([0-9][0-9]*\).*/\1/p' "$top_srcdir/venus/store/spare.h")
[ -n "$FILL" ] || ht_hard "SPARE_FILL not found in venus/store/spare.h"
spares() { find "$(ht_cachedir A)/spare" -maxdepth 1 -type f 2>/dev/null | wc -l; }
# Inode numbers of the files under A's cachedir below $1 (spare or not).
inos() { find "$(ht_cachedir A)" "$@" -type f -printf '%i\n' | sort; }
spares_at_least() { [ "$(spares)" -ge "$1" ]; }
# The pool is only refilled where inodes are plentiful (spare.c).
[ "$(df --output=iavail "$HT_TMP" | tail -n 1)" -ge 65536 ] ||
	ht_skip "fewer than 65536 free inodes under $HT_TMP"

ht_two_clients
ht_check "an idle venus fills its spare pool to $FILL" ht_wait_for 60 spares_at_least "$FILL"
ht_check "cfs wd" ht_cfs A wd
mkdir "$A/b"
inos -path '*/spare/*' >"$HT_TMP/spare.inos"
before=$(spares)
cat >"$HT_TMP/burst.py" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, "f%04d" % i), "w") as f:
        f.write("file %d of the burst\n" % i)
EOF
ht_check "$N creates return" ht_t python3 "$HT_TMP/burst.py" "$A/b" "$N"
dt_venus_kill9 A   # at once: the last answer has just left
inos -not -path '*/spare/*' >"$HT_TMP/other.inos"
used=$(comm -12 "$HT_TMP/spare.inos" "$HT_TMP/other.inos" | wc -l)
ht_note "spares: $before before the burst, $(spares) after it; $used of the burst's files are former spares"
ht_check "the burst's files were made from spares" test "$used" -gt 0
ht_venus_start A
missing=0
for ((i = 0; i < N; i++)); do
	f=$(printf '%s/b/f%04d' "$A" "$i")
	[ "$(cat "$f" 2>/dev/null)" = "file $i of the burst" ] || missing=$((missing + 1))
done
ht_check "every returned create is there after kill -9 ($missing missing)" test "$missing" -eq 0
ht_check "the pool fills again while venus is idle" ht_wait_for 30 spares_at_least "$before"
dt_fr A
ht_check "cfs fr" test "$DT_FR_RC" -eq 0
ht_check "the log is empty" test "$(dt_pending A)" = 0
ht_check "no conflicts" test "$(dt_conflicts_n A)" = 0
ht_check "B sees A's files" dt_same_tree "$A/b" "$B/b"
ht_done
