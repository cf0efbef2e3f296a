#!/bin/bash
# bench/reint-bench.sh - reintegration throughput (issue 11, target 4).
# Not part of `make check`; as root, from the build directory:
#
#   top_builddir=$PWD ../bench/reint-bench.sh [NFILES] [STORE_MB]
#
# One vice, one venus.  `cfs disconnect`, then offline: NFILES (2000)
# creates in NFILES/100 directories (mkdirs), a chmod of each file
# (setattrs), a rename of every 4th and a remove of every 8th; with
# STORE_MB (0) > 0, STORE_MB one-MiB files written too (stores).  Then
# `cfs reconnect` and `cfs fr`: prints the records logged, the seconds
# from reconnect until the CML is empty, and records/s.  Timings, not
# checks: nothing here fails on a slow machine.
HT_TIMEOUT=${HT_TIMEOUT:-1800}
HT_OPTIMEOUT=${HT_OPTIMEOUT:-1200}
source "${top_srcdir:-$(dirname "$0")/..}/test/integration/disc_lib.sh"

NFILES=${1:-2000}
STORE_MB=${2:-0}

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)
mkdir "$A/b"
ht_cfs A disconnect
t0=$(ht_usec)
python3 - "$A/b" "$NFILES" "$STORE_MB" <<-'EOF'
import os, sys
top, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
nd = max(1, n // 100)
for d in range(nd):
    os.mkdir("%s/d%d" % (top, d))
for i in range(n):
    p = "%s/d%d/f%d" % (top, i % nd, i)
    with open(p, "w") as f:
        pass
for i in range(n):
    os.chmod("%s/d%d/f%d" % (top, i % nd, i), 0o600)
for i in range(0, n, 4):
    os.rename("%s/d%d/f%d" % (top, i % nd, i), "%s/d%d/r%d" % (top, i % nd, i))
for i in range(1, n, 8):
    os.unlink("%s/d%d/f%d" % (top, i % nd, i))
blk = os.urandom(1 << 20)
for i in range(mb):
    with open("%s/s%d" % (top, i), "wb") as f:
        f.write(blk[i:] + blk[:i])
EOF
t1=$(ht_usec)
recs=$(dt_pending A)
ht_note "offline: $recs records logged in $(( (t1 - t0) / 1000 )) ms"
t0=$(ht_usec)
ht_cfs A reconnect
dt_fr A
t1=$(ht_usec)
left=$(dt_pending A)
us=$(( t1 - t0 ))
ht_note "reintegrated $recs records ($STORE_MB MiB of stores) in $(( us / 1000 )) ms:" \
	"$(( recs * 1000000 / (us ? us : 1) )) records/s; $left left; fr rc $DT_FR_RC"
ht_done
