#!/bin/bash
# bench/compare.sh - Hesper against a local directory, sshfs and rclone, on
# the workloads of issue 11, in one run on this machine.  Not part of
# `make check`.  See usage() and README.md (Benchmarks).
set -euo pipefail

VERSION=2
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)

usage() {
	cat <<EOF
Usage: bench/compare.sh [--install] [--build DIR] [--reps N] [--out DIR]
                        [--systems LIST] [--workloads LIST] [--keep] [--readme]
       bench/compare.sh --help | --version

Runs, as root, every workload on each system, REPS times, round-robin over
the systems within a repetition, and writes the medians as a Markdown table
(OUT/<date>-<host>.md) and the per-run figures as TSV (same name, .tsv).

Systems (--systems, comma separated; default all):
  local      a plain directory on BENCH_DIR's file system (ext4 here)
  hesper     Hesper over FUSE, strong mode (two venus on one vice)
  hesper-wd  the same after \`cfs wd\` (write back); "+N s fr" is the
             \`cfs fr\` that follows each mutating workload
  sshfs      sshfs -o kernel_cache to a private sshd on a free port
  rclone     rclone mount --vfs-cache-mode full (sftp remote on that
             sshd, a local remote without sshd); "(N s up)" is the time
             until its uploads are done
Workloads (--workloads; default all): write cold warm rand tarhdr
  tarxc clone configure make offline tls extents reint scale
  (the last four and offline are Hesper's alone: issue 11's targets 1, 3-6)

Options:
  --install   apt-get install sshfs, openssh-server and rclone first
              (without them their columns say "not installed")
  --build DIR Hesper's build directory (default: build, build-quickstart)
  --reps N    repetitions (default REPS or 3); the table shows medians
  --out DIR   where results go (default bench/results)
  --keep      keep the temp dir (logs) at the end; a run cut short leaves
              its figures in TEMPDIR/raw.tsv
  --readme    also put the table in README.md (between its markers)
  --report TSV  only write the table (TSV's name with .md) from the figures
              of an earlier run (with that run's --systems, --workloads
              and sizes)
Environment: SIZE_MB (1024) size of the streamed file, RANDOM_READS
(20000), OFFLINE_FILES (5000), OFFLINE_MODS (1000), MAKE_JOBS (2),
BENCH_DIR (/var/tmp) where every system keeps its data, HEADERS_SRC (a
directory to tar for tarhdr; default Debian's linux-headers tree, else
/usr/include), XCRYPT (/usr/src/libxcrypt), OP_TIMEOUT (3600 s per
workload; one that takes longer counts as failed), BENCH_NOTE (a
paragraph put above the table: what was unusual about the run).  Hesper only:
SQLITE_MB (64) and SQLITE_TXNS (1000) for extents, REINT_RECORDS (10000)
metadata records, DAY_RECORDS (10000) and DAY_MB (100) for the day of
work (reint), SCALE_FILES (100000) cached files (scale; bench/scale.sh
runs instead when it exists), VICE_ARGS (more arguments for vice, such
as "--sync delayed"; the table's header shows them).
EOF
}

die() { printf 'compare: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'compare: %s\n' "$*" >&2; }

INSTALL=0 KEEP=0 README=0 REPORT='' BUILD='' OUT=$SRCDIR/bench/results
SYSTEMS=local,hesper,hesper-wd,sshfs,rclone
WORKLOADS=write,cold,warm,rand,tarhdr,tarxc,clone,configure,make,offline,tls,extents,reint,scale
REPS=${REPS:-3}
while [ $# -gt 0 ]; do
	case $1 in
	--install) INSTALL=1 ;;
	--build) BUILD=${2:?--build needs a directory}; shift ;;
	--reps) REPS=${2:?--reps needs a number}; shift ;;
	--out) OUT=${2:?--out needs a directory}; shift ;;
	--systems) SYSTEMS=${2:?--systems needs a list}; shift ;;
	--workloads) WORKLOADS=${2:?--workloads needs a list}; shift ;;
	--keep) KEEP=1 ;;
	--readme) README=1 ;;
	--report) REPORT=${2:?--report needs a TSV file}; shift ;;
	--help | -h) usage; exit 0 ;;
	--version) printf 'compare.sh (Hesper bench) %s\n' "$VERSION"; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
	shift
done
# ---- results (also --report) ---------------------------------------------------------------------------
write_report() {
local HOST STEM LOCAL_FS VERSIONS NOTES s
HOST=$(hostname -s 2>/dev/null || hostname)
if [ -n "$REPORT" ]; then
	STEM=${REPORT%.tsv}
else
	mkdir -p "$OUT"
	STEM=$OUT/$(date -u +%Y-%m-%d)-$HOST
	[ -e "$STEM.md" ] && STEM=$STEM-$(date -u +%H%M%S)
	cp "$RAW" "$STEM.tsv"
fi
LOCAL_FS=$(df -T "$BENCH_DIR" | awk 'NR == 2 { print $2 }')
VERSIONS="Hesper $(git -C "$SRCDIR" describe --always --dirty 2>/dev/null || echo '?')${VICE_ARGS:+ (vice $VICE_ARGS)}"
# awk reads all: a reader that quits early (head) can SIGPIPE the
# writer, and under pipefail and set -e that ended a whole run.
first() { awk -v re="$1" '!f && tolower($0) ~ re { print; f = 1 }'; }
if command -v sshfs >/dev/null; then VERSIONS="$VERSIONS, $(sshfs -V 2>&1 | first '^sshfs')"; fi
if command -v rclone >/dev/null; then VERSIONS="$VERSIONS, $(rclone version 2>/dev/null | first .)"; fi
if [ -n "$REPORT" ]; then
	VERSIONS=${RUN_VERSIONS:-"$VERSIONS (when the table was written)"}
else
	# What the table says besides the figures, for --report.
	RUN_VERSIONS=$VERSIONS
	declare -p START_DATE RCLONE_KIND HEADERS_NOTE XCRYPT_NOTE TLS_CIPHER RUN_VERSIONS \
		2>/dev/null | sed 's/^declare -[-a-z]* //' >"$STEM.env"
fi
NOTES=""
for s in "${SYS[@]}"; do [ -n "${NOTE[$s]:-}" ] && NOTES="$NOTES $s=${NOTE[$s]}"; done

python3 - "$RAW" "$STEM.md" "$SYSTEMS" "$WORKLOADS" "$NOTES" <<PY
import collections, os, statistics, sys
raw, md, systems, workloads, notes = sys.argv[1:6]
systems = systems.split(",")
notes = dict(n.split("=", 1) for n in notes.split())
rows = collections.defaultdict(list)
with open(raw) as f:
    next(f)
    for line in f:
        rep, s, wl, sec, ss, sn, st = line.rstrip("\n").split("\t")
        rows[s, wl].append((st, float(sec) if sec else None,
                            float(ss) if ss else None, int(sn) if sn and sn != "-1" else None))

def med(s, wl, i=1):
    v = [r[i] for r in rows.get((s, wl), []) if r[0] in ("ok", "errors") and r[i] is not None]
    return statistics.median(v) if v else None

def fmt(x):
    return "%.0f" % x if x >= 100 else "%.1f" % x if x >= 10 else "%.2f" % x

def cell(s, wl):
    if s in notes:
        return notes[s]
    r = rows.get((s, wl), [])
    if not r:
        return "-"
    if all(x[0] == "skipped" for x in r):
        return "skipped"
    if all(x[0] == "after-timeout" for x in r):
        return "not run (an earlier workload timed out)"
    m = med(s, wl)
    if m is None:
        return "> $OP_TIMEOUT s (timeout)" if all(x[0] == "timeout" for x in r) else "fails"
    txt = fmt(m) + " s"
    nok = sum(1 for x in r if x[0] in ("ok", "errors"))
    if nok < len(r):
        txt += " (%d of %d failed or timed out)" % (len(r) - nok, len(r))
    if any(x[0] == "errors" for x in r):
        txt += " (tar errors)"
    ss = med(s, wl, 2)
    if ss is not None and s == "hesper-wd":
        n = med(s, wl, 3)
        txt += " (+%s s fr%s)" % (fmt(ss), ", %d records" % n if n else "")
    elif ss is not None and s == "rclone" and wl != "configure":
        txt += " (%s s up)" % fmt(m + ss)
    return txt

def ratio(h, b):
    if h is None or b is None or b <= 0:
        return "-"
    r = h / b
    if 0.9 <= r <= 1.1:
        return "even"
    return "%.1fx slower" % r if r > 1 else "%.1fx faster" % (1 / r)

names = {"local": "$LOCAL_FS", "hesper": "Hesper", "hesper-wd": "Hesper wd",
         "sshfs": "sshfs", "rclone": "rclone"}
labels = [("write", "write $SIZE_MB MiB + close"),
          ("cold", "read $SIZE_MB MiB cold, on a second client"),
          ("warm", "read $SIZE_MB MiB warm"),
          ("rand", "$RANDOM_READS random 4 KiB preads"),
          ("tarhdr", "tar -x of linux-headers"),
          ("tarxc", "tar -x of libxcrypt"),
          ("clone", "git clone of this repository"),
          ("configure", "configure of libxcrypt"),
          ("make", "make -j$MAKE_JOBS of libxcrypt")]
# The target column (issue 11): the figure the target is judged on, and
# whether it is met.
tls = med("tls", "tls")
tput = $SIZE_MB / tls if tls else None
def met(ok):
    return "**met**" if ok else "not met"
def target(wl):
    h, l = med("hesper", wl), med("local", wl)
    if wl == "write":
        if not (h and l and tls):
            return "1: <= 1.5x ($LOCAL_FS + TLS time)"
        r = h / (l + tls)
        return "1: <= 1.5x ($LOCAL_FS + TLS time): %.1fx, %s" % (r, met(r <= 1.5))
    if wl == "cold":
        if not (h and tput):
            return "1: >= 50% of TLS"
        p = 100 * $SIZE_MB / h / tput
        return "1: >= 50%% of TLS: %.0f%%, %s" % (p, met(p >= 50))
    if wl in ("tarhdr", "tarxc", "clone"):
        parts = []
        pv = [med(p, wl) for p in peers if med(p, wl) is not None]
        if h and pv:
            r = h / min(pv)
            parts.append("2: strong <= best peer: %.1fx, %s" % (r, met(r <= 1.0)))
        else:
            parts.append("2: strong <= best peer")
        w = med("hesper-wd", wl)
        if w and l:
            parts.append("wd <= 3x $LOCAL_FS: %.1fx, %s" % (w / l, met(w / l <= 3)))
        else:
            parts.append("wd <= 3x $LOCAL_FS")
        return "; ".join(parts)
    return "-"

out = []
hdr = ["workload"] + [names[s] for s in systems]
peers = [s for s in ("sshfs", "rclone") if s in systems and s not in notes]
if "hesper" in systems:
    if "local" in systems:
        hdr.append("Hesper vs $LOCAL_FS")
    if peers:
        hdr.append("Hesper vs best peer")
    if "hesper-wd" in systems and "local" in systems:
        hdr.append("wd vs $LOCAL_FS")
hdr.append("target (issue 11)")
out.append("| " + " | ".join(hdr) + " |")
out.append("|" + "---|" * len(hdr))
for wl, label in labels:
    if wl not in workloads.split(","):
        continue
    line = [label] + [cell(s, wl) for s in systems]
    h = med("hesper", wl)
    if "hesper" in systems:
        if "local" in systems:
            line.append(ratio(h, med("local", wl)))
        if peers:
            pv = [med(p, wl) for p in peers if med(p, wl) is not None]
            line.append(ratio(h, min(pv)) if pv else "-")
        if "hesper-wd" in systems and "local" in systems:
            line.append(ratio(med("hesper-wd", wl), med("local", wl)))
    line.append(target(wl))
    out.append("| " + " | ".join(line) + " |")

# Hesper alone: | measure | figure | target | met |
def kib(b):
    return "%.0f KiB" % (b / 1024) if b < 10 << 20 else "%.1f MiB" % (b / 1048576)
hx = []
def row(what, fig, tgt, ok):
    hx.append("| %s | %s | %s | %s |" % (what, fig, tgt, "-" if ok is None else met(ok)))
if tls:
    row("loopback TLS 1.3, one connection (${TLS_CIPHER:-?})", "%.0f MiB/s" % tput, "the baseline of target 1", None)
    # The store is the close after the write (older runs: write + close).
    store = ("close", "store of $SIZE_MB MiB (the close after the write)") \
        if med("hesper", "close") else ("write", "store of $SIZE_MB MiB (write + close)")
    for wl, what in (store, ("cold", "cold fetch of $SIZE_MB MiB")):
        h = med("hesper", wl)
        if h:
            p = 100 * $SIZE_MB / h / tput
            row(what, "%.0f MiB/s = %.0f%% of TLS" % ($SIZE_MB / h, p), "1: >= 50% of TLS", p >= 50)
c, m, r = med("hesper", "offline_create"), med("hesper", "offline_modify"), med("hesper", "reintegrate")
if c is not None:
    row("offline create of a small file ($OFFLINE_FILES)", "%.2f ms" % (1000 * c / $OFFLINE_FILES), "3: well under 1 ms", 1000 * c / $OFFLINE_FILES < 1)
    row("offline store: append to a file ($OFFLINE_MODS)", "%.2f ms" % (1000 * m / $OFFLINE_MODS), "3: well under 1 ms", 1000 * m / $OFFLINE_MODS < 1)
    n = med("hesper", "reintegrate", 3)
    if r and n:
        row("reintegration of those %d records (creates + stores)" % n, "%.0f records/s (%s s)" % (n / r, fmt(r)), "-", None)
c = med("hesper", "offline_meta_create")
if c is not None:
    row("offline create of an empty file ($REINT_RECORDS)", "%.2f ms" % (1000 * c / $REINT_RECORDS), "3: well under 1 ms", 1000 * c / $REINT_RECORDS < 1)
r, n = med("hesper", "reint_meta"), med("hesper", "reint_meta", 3)
if r and n:
    row("reintegration of %d metadata records (cfs reconnect + fr)" % n, "%.0f records/s (%s s)" % (n / r, fmt(r)), "4: >= 20,000 records/s", n / r >= 20000)
r, n = med("hesper", "reint_day"), med("hesper", "reint_day", 3)
if r and n:
    full = $DAY_RECORDS >= 10000 and $DAY_MB >= 100
    row("a day of work: %d records, $DAY_MB MiB of stores" % n, "%s s" % fmt(r),
        "4: < 10 s" + ("" if full else " (for 10,000 records + 100 MiB; this run is smaller)"), r < 10 if full else None)
wd, wn = med("hesper-wd", "tarxc", 2), med("hesper-wd", "tarxc", 3)
if wd and wn:
    row("cfs fr after tar -x of libxcrypt in wd (%d records)" % wn, "%.0f records/s (%s s)" % (wn / wd, fmt(wd)), "-", None)
b, t = med("hesper", "ext4k_bytes"), med("hesper", "ext4k_s")
if b is not None and t is not None:
    row("4 KiB pwrite + close into a $SIZE_MB MiB file", "%s sent (vice got %s), %s s" % (kib(b), kib(med("hesper", "ext4k_vice_bytes") or 0), fmt(t)),
        "5: <= 64 KiB sent", b <= 65536)
b, w = med("hesper", "sqlite_bytes"), med("hesper", "sqlite_wal_bytes")
if b is not None and w:
    row("$SQLITE_TXNS SQLite WAL transactions on a $SQLITE_MB MiB database", "%s sent; WAL written %s" % (kib(b), kib(w)),
        "5: proportional to the pages changed (<= 2x the WAL)", b <= 2 * w)
s = med("hesper", "scale_rss_kb")
if s is not None:
    n = med("hesper", "scale_rss_kb", 3)
    full = n >= 100000
    sm = "" if full else " (for 100,000; this run has %d)" % n
    row("venus RSS with %d cached files" % n, "%.0f MB" % (s / 1024), "6: < 100 MB" + sm, s / 1024 < 100 if full else None)
    rs = med("hesper", "scale_restart")
    if rs is not None:
        row("restart to the first answered lookup", "%s s" % fmt(rs), "6: < 2 s" + sm, rs < 2 if full else None)
    a, w = med("hesper", "scale_lsR_restart"), med("hesper", "scale_lsR_warm")
    if a and w:
        row("ls -lR after restart vs warm", "%s s vs %s s = %.1fx" % (fmt(a), fmt(w), a / w), "6: <= 2x" + sm, a / w <= 2 if full else None)

scale_out = ""
try:
    with open("${T:-/nonexistent}/scale.out") as f:
        scale_out = f.read().strip()
except OSError:
    pass

with open(md, "w") as f:
    f.write("Benchmarks of ${START_DATE:-?} on $HOST: ")
    f.write("$(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, Linux $(uname -r).\n")
    f.write("$VERSIONS.\n")
    f.write("Medians of $REPS interleaved repetition(s) (bench/compare.sh, SIZE_MB=$SIZE_MB); all data on $LOCAL_FS under $BENCH_DIR.\n")
    f.write("rclone: ${RCLONE_KIND:-not run}. linux-headers: ${HEADERS_NOTE:-not run}. libxcrypt: ${XCRYPT_NOTE:-not run}.\n")
    loads = sorted(r[1] for r in rows.get(("machine", "load1"), []) if r[1] is not None)
    load = "%.1f" % loads[0] if len(loads) == 1 else "%.1f to %.1f" % (loads[0], loads[-1]) if loads else "?"
    # Above the CPU count the other jobs shared the cores with the bench.
    if loads and loads[-1] > $(nproc):
        f.write("Busy machine: 1-minute load average %s at the start of each repetition (other jobs ran beside the bench); prefer the ratios, which compare systems timed in turn within the same repetition.\n\n" % load)
    else:
        f.write("1-minute load average %s at the start of each repetition.\n\n" % load)
    if os.environ.get("BENCH_NOTE"):
        f.write(os.environ["BENCH_NOTE"].strip() + "\n\n")
    f.write("\n".join(out) + "\n")
    if hx:
        f.write("\nHesper only:\n\n| measure | figure | target (issue 11) | |\n|---|---|---|---|\n" + "\n".join(hx) + "\n")
    if scale_out:
        f.write("\nbench/scale.sh (target 6):\n\n\`\`\`\n" + scale_out + "\n\`\`\`\n")
    f.write("\nPer-run figures: %s\n" % "$(basename "$STEM").tsv")
PY
log "results: $STEM.md and $STEM.tsv"
cat "$STEM.md"
[ "$README" = 1 ] && readme_table "$STEM.md"
return 0
}

# readme_table MD: README.md's table between its markers becomes MD's text.
readme_table() {
	python3 - "$SRCDIR/README.md" "$1" <<'PY' || die "README.md: cannot write the table"
import sys
readme, md = sys.argv[1:3]
begin, end = "<!-- bench/compare.sh --readme: begin -->", "<!-- bench/compare.sh --readme: end -->"
text = open(readme).read()
if begin not in text or end not in text:
    sys.exit("compare: error: README.md lacks the markers %s ... %s" % (begin, end))
a, b = text.index(begin) + len(begin), text.index(end)
table = open(md).read().replace("Per-run figures: ", "Per-run figures: bench/results/")
open(readme, "w").write(text[:a] + "\n" + table + text[b:])
PY
	log "README.md: Benchmarks table rewritten from $1"
}

[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps/REPS must be a positive number, not '$REPS'"
SIZE_MB=${SIZE_MB:-1024}
RANDOM_READS=${RANDOM_READS:-20000}
OFFLINE_FILES=${OFFLINE_FILES:-5000}
OFFLINE_MODS=${OFFLINE_MODS:-1000}
SQLITE_MB=${SQLITE_MB:-64}
SQLITE_TXNS=${SQLITE_TXNS:-1000}
REINT_RECORDS=${REINT_RECORDS:-10000}
DAY_RECORDS=${DAY_RECORDS:-10000}
DAY_MB=${DAY_MB:-100}
SCALE_FILES=${SCALE_FILES:-100000}
MAKE_JOBS=${MAKE_JOBS:-2}
BENCH_DIR=${BENCH_DIR:-/var/tmp}
XCRYPT=${XCRYPT:-/usr/src/libxcrypt}
OP_TIMEOUT=${OP_TIMEOUT:-3600}
for v in SIZE_MB RANDOM_READS OFFLINE_FILES OFFLINE_MODS MAKE_JOBS OP_TIMEOUT SQLITE_MB SQLITE_TXNS \
	REINT_RECORDS DAY_RECORDS DAY_MB SCALE_FILES; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive number, not '${!v}'"
done
((OFFLINE_MODS <= OFFLINE_FILES)) || die "OFFLINE_MODS ($OFFLINE_MODS) exceeds OFFLINE_FILES ($OFFLINE_FILES)"
IFS=, read -r -a SYS <<<"$SYSTEMS"
IFS=, read -r -a WL <<<"$WORKLOADS"
for s in "${SYS[@]}"; do
	case $s in local | hesper | hesper-wd | sshfs | rclone) ;; *) die "unknown system: $s" ;; esac
done
for w in "${WL[@]}"; do
	case $w in write | cold | warm | rand | tarhdr | tarxc | clone | configure | make | offline | tls | extents | reint | scale) ;;
	*) die "unknown workload: $w" ;;
	esac
done
want() { [[ ",$WORKLOADS," == *",$1,"* ]]; }
want_hesper_only() { want offline || want extents || want reint || want scale; }
have_sys() { [[ ",$SYSTEMS," == *",$1,"* ]]; }
declare -A NOTE=()
if [ -n "$REPORT" ]; then
	# Only the table again, from a TSV of an earlier (or cut-short) run;
	# give the same --systems, --workloads and sizes.
	[ -r "$REPORT" ] || die "cannot read $REPORT"
	RAW=$REPORT
	REPS=$(awk -F'\t' 'NR > 1 && $1 > m { m = $1 } END { print m + 0 }' "$REPORT")
	START_DATE="run ending $(date -u -r "$REPORT" '+%Y-%m-%d %H:%M UTC')"
	RCLONE_KIND='not recorded' HEADERS_NOTE='not recorded' XCRYPT_NOTE='not recorded'
	# The run's own notes (its .env beside the TSV), when it left them.
	if [ -r "${REPORT%.tsv}.env" ]; then
		# shellcheck source=/dev/null
		source "${REPORT%.tsv}.env"
	fi
	write_report
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "run as root (FUSE mounts, drop_caches, sshd)"
[ -c /dev/fuse ] || die "/dev/fuse is missing"
command -v fusermount3 >/dev/null || die "fusermount3 missing (apt-get install fuse3)"
command -v python3 >/dev/null || die "python3 missing"
# Debian's interpreter, not a version manager's shim in PATH (a pyenv shim
# took 4 s to start at load 9: that time landed in per-op figures).
if [ -x /usr/bin/python3 ]; then python3() { /usr/bin/python3 "$@"; }; fi

# ---- packages ---------------------------------------------------------------
if [ "$INSTALL" = 1 ]; then
	missing=()
	for p in sshfs openssh-server rclone; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		log "installing ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2 || die "apt-get update failed"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >&2 ||
			die "apt-get install ${missing[*]} failed"
	fi
fi
SSHD=/usr/sbin/sshd
if have_sys sshfs && ! command -v sshfs >/dev/null; then NOTE[sshfs]="not installed"; fi
if have_sys sshfs && ! [ -x "$SSHD" ]; then NOTE[sshfs]="not installed"; fi
if have_sys rclone && ! command -v rclone >/dev/null; then NOTE[rclone]="not installed"; fi

# ---- Hesper's build -----------------------------------------------------------
if [ -z "$BUILD" ]; then
	for d in "$SRCDIR/build" "$SRCDIR/build-quickstart" "$PWD"; do
		[ -x "$d/venus/venus" ] && { BUILD=$d; break; }
	done
fi
if have_sys hesper || have_sys hesper-wd || want_hesper_only; then
	[ -n "$BUILD" ] || die "no Hesper build found (give --build DIR)"
	BUILD=$(cd "$BUILD" && pwd)
	for b in vice/vice venus/venus tools/cfs; do
		[ -x "$BUILD/$b" ] || die "$BUILD/$b not built"
	done
fi
VICE=$BUILD/vice/vice VENUS=$BUILD/venus/venus CFS=$BUILD/tools/cfs
PDBTOOL=$BUILD/tools/pdbtool CLOG=$BUILD/tools/clog

# ---- temp dir, teardown -------------------------------------------------------
mkdir -p "$BENCH_DIR"
T=$(mktemp -d "$BENCH_DIR/hesper-compare.XXXXXX")
chmod 755 "$T"
PIDS=()
MNTS=()
WL_PID=''
is_mounted() { awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/mounts; }
unmount() {
	local i
	is_mounted "$1" || return 0
	fusermount3 -u "$1" 2>/dev/null || umount "$1" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		is_mounted "$1" || return 0
		sleep 0.2
	done
	umount -l "$1" 2>/dev/null || true
}
cleanup() {
	local m p i
	set +e
	cd /
	# A workload still running (its timeout's process group).
	[ -n "$WL_PID" ] && kill -TERM -- "-$WL_PID" "$WL_PID" 2>/dev/null
	for m in "${MNTS[@]}"; do unmount "$m"; done
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for ((i = 0; i < 75; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for m in "${MNTS[@]}"; do is_mounted "$m" && umount -l "$m"; done
	if awk -v t="$T/" 'index($2, t) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
		log "a mount under $T remains; not removing it"
	elif [ "$KEEP" = 1 ]; then
		log "kept $T"
	else
		rm -rf --one-file-system "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_for SECS CMD...: poll CMD every 0.2 s; 1 if it never succeeded.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || return 1
		sleep 0.2
	done
}
usec() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }
secs() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1e6 }'; }

# ---- Hesper: vice and venus (as bench/fuse-bench.sh), user root ----------------
VICE_PORT=
REALM=bench.test
ROOTPW=$T/vice/root.password
start_vice() {
	mkdir -p "$T/vice"
	# shellcheck disable=SC2086 # VICE_ARGS: words, on purpose
	"$VICE" -f -r "$T/vice/root" -l 127.0.0.1 -p 0 --realm "$REALM" ${VICE_ARGS:-} >"$T/vice/log" 2>&1 </dev/null &
	PIDS+=($!)
	_vice_port() { VICE_PORT=$(sed -n 's/^vice: listening on .* port \([0-9][0-9]*\)$/\1/p' "$T/vice/log" | head -n 1); [ -n "$VICE_PORT" ]; }
	wait_for 60 _vice_port || { cat "$T/vice/log" >&2; die "vice did not start"; }
	# With authentication built (tools/pdbtool, tools/clog): the pdb user
	# root (id 0, System:Administrators) with a random password, as the
	# test harness and quickstart make it; each venus then clogs root.
	if [ -x "$PDBTOOL" ] && [ -x "$CLOG" ]; then
		(umask 077 && head -c 18 /dev/urandom | base64 >"$ROOTPW")
		if ! "$PDBTOOL" -r "$T/vice/root" nu root 0 >/dev/null ||
			! "$PDBTOOL" -r "$T/vice/root" passwd -pipe root <"$ROOTPW" >/dev/null ||
			! "$PDBTOOL" -r "$T/vice/root" ag System:Administrators root >/dev/null; then
			die "cannot create pdb user root with $PDBTOOL"
		fi
	fi
}
CACHE_GB=$((SIZE_MB * 3 / 1024 + 3))
venus_ctl() { printf '%s\n' "$T/venus-$1/cache/venus.ctl"; }
# vtop N: venus N's mount (its realms); vmnt N: the bench realm's root there.
vtop() { printf '%s\n' "$T/venus-$1/mnt"; }
vmnt() { printf '%s\n' "$T/venus-$1/mnt/$REALM"; }
cfs_on() { local n=$1; shift; HESPER_CTL=$(venus_ctl "$n") timeout -k 5 "$OP_TIMEOUT" "$CFS" "$@"; }
declare -A VPID=()
# start_venus N [nowait]: venus N on the vice; without nowait, wait for its
# mount and clog root.
start_venus() {
	local n=$1 d=$T/venus-$1
	mkdir -p "$d/cache" "$d/mnt"
	# The realm's root volume is MOUNT/REALM (doc/design.md, Realms).
	printf 'realm %s\n' "$REALM" >"$T/venus.conf"
	"$VENUS" -f -c "$T/venus.conf" --cachedir "$d/cache" --mountpoint "$d/mnt" \
		--cachesize "${CACHE_GB}G" "127.0.0.1:$VICE_PORT" >>"$d/log" 2>&1 </dev/null &
	VPID[$n]=$!
	PIDS+=($!)
	MNTS+=("$d/mnt")
	[ "${2:-}" = nowait ] && return 0
	wait_for 60 is_mounted "$d/mnt" || { cat "$d/log" >&2; die "venus $n did not mount"; }
	clog_venus "$n"
}
clog_venus() {
	local d=$T/venus-$1
	if [ -f "$ROOTPW" ]; then
		wait_for 60 test -s "$d/cache/known_servers" || true
		HESPER_CTL=$d/cache/venus.ctl "$CLOG" -pipe root <"$ROOTPW" >>"$d/log" 2>&1 ||
			die "venus $1: clog root failed (see $d/log)"
	fi
}
# cml N: CML records pending on venus N (cfs --json lv), -1 if unknown.
cml() {
	local out
	# sed, not python3: this runs in polling loops, and on a loaded machine
	# an interpreter's start-up (pyenv shims) took seconds per poll.
	out=$(cfs_on "$1" --json lv "$(vmnt "$1")" 2>/dev/null) || { echo -1; return; }
	out=$(sed -n 's/.*"cml_entries":\([0-9][0-9]*\).*/\1/p' <<<"$out" | head -n 1)
	echo "${out:--1}"
}
cml_empty() { [ "$(cml "$1")" = 0 ]; }

# ---- sshd (throwaway keys, free port) and sshfs ---------------------------------
SSH_PORT=
start_sshd() {
	local d=$T/ssh
	mkdir -p "$d" /run/sshd
	chmod 700 "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" -C bench-host
	ssh-keygen -q -t ed25519 -N '' -f "$d/id" -C bench-client
	cp "$d/id.pub" "$d/authorized_keys"
	SSH_PORT=$(free_port)
	cat >"$d/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
EOF
	set_ssh_opts
	"$SSHD" -D -e -f "$d/sshd_config" >"$d/sshd.log" 2>&1 </dev/null &
	PIDS+=($!)
	wait_for 30 ssh "${SSH_OPTS[@]}" root@127.0.0.1 true || { cat "$d/sshd.log" >&2; die "sshd did not start"; }
}
SSH_OPTS=(-p 0)
set_ssh_opts() {
	SSH_OPTS=(-p "$SSH_PORT" -i "$T/ssh/id" -o BatchMode=yes -o StrictHostKeyChecking=no
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)
}
start_sshfs() {
	local n=$1 m=$T/sshfs-$1
	mkdir -p "$m" "$T/sshfs-remote"
	sshfs -f -o "kernel_cache,port=$SSH_PORT,IdentityFile=$T/ssh/id,BatchMode=yes" \
		-o "StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,LogLevel=ERROR" \
		"root@127.0.0.1:$T/sshfs-remote" "$m" >"$T/sshfs-$n.log" 2>&1 </dev/null &
	PIDS+=($!)
	MNTS+=("$m")
	wait_for 30 is_mounted "$m" || { cat "$T/sshfs-$n.log" >&2; die "sshfs $n did not mount"; }
}

# ---- rclone -----------------------------------------------------------------------
RCLONE_KIND=
declare -A RC_PORT=()
start_rclone() {
	local n=$1 m=$T/rclone-$1 remote
	mkdir -p "$m" "$T/rclone-remote"
	export RCLONE_CONFIG=$T/rclone.conf
	if [ -n "$SSH_PORT" ]; then
		RCLONE_KIND="sftp to the sshd above"
		printf '[bench]\ntype = sftp\nhost = 127.0.0.1\nport = %s\nuser = root\nkey_file = %s\nshell_type = unix\n' \
			"$SSH_PORT" "$T/ssh/id" >"$RCLONE_CONFIG"
		remote=bench:$T/rclone-remote
	else
		RCLONE_KIND="local remote (no sshd)"
		: >"$RCLONE_CONFIG"
		remote=$T/rclone-remote
	fi
	RC_PORT[$n]=$(free_port)
	rclone mount "$remote" "$m" --vfs-cache-mode full --cache-dir "$T/rclone-cache-$n" \
		--rc --rc-addr "127.0.0.1:${RC_PORT[$n]}" --rc-no-auth \
		--log-file "$T/rclone-$n.log" </dev/null &
	PIDS+=($!)
	MNTS+=("$m")
	wait_for 30 is_mounted "$m" || { cat "$T/rclone-$n.log" >&2; die "rclone $n did not mount"; }
}
rc() { local n=$1; shift; rclone rc --url "http://127.0.0.1:${RC_PORT[$n]}/" "$@"; }
rclone_idle() {
	# Idle when no upload is in progress or queued (vfs/stats diskCache).
	rc "$1" vfs/stats | awk '/"uploads(InProgress|Queued)"/ { gsub(/[^0-9]/, "", $2); n += $2; f++ }
		END { exit !(f == 2 && n == 0) }'
}

# ---- the systems: first and second client, syncing --------------------------------
# sys_a S / sys_b S: the directory of S's first and second client.
# Hesper strong and wd share one vice and realm: wd works in wd/.
sys_a() {
	case $1 in
	local) echo "$T/local" ;;
	hesper) vmnt A ;;
	hesper-wd) echo "$(vmnt C)/wd" ;;
	sshfs) echo "$T/sshfs-A" ;;
	rclone) echo "$T/rclone-A" ;;
	esac
}
sys_b() {
	case $1 in
	local) echo "$T/local" ;;
	hesper) vmnt B ;;
	hesper-wd) echo "$(vmnt D)/wd" ;;
	sshfs) echo "$T/sshfs-B" ;;
	rclone) echo "$T/rclone-B" ;;
	esac
}
# sys_sync S: after a mutating workload, wait until the server has it;
# sets SYNC_S (seconds, empty if S needs nothing) and SYNC_N (records).
sys_sync() {
	local t0
	SYNC_S='' SYNC_N=''
	case $1 in
	hesper-wd)
		SYNC_N=$(cml C)
		t0=$(usec)
		cfs_on C fr "$(vmnt C)" >/dev/null 2>&1 || log "cfs fr on C failed"
		SYNC_S=$(secs $(($(usec) - t0)))
		;;
	rclone)
		t0=$(usec)
		wait_for "$OP_TIMEOUT" rclone_idle A || log "rclone A: uploads not done"
		SYNC_S=$(secs $(($(usec) - t0)))
		;;
	esac
}
# sys_refresh_b S: let the second client see what the first made.
sys_refresh_b() {
	case $1 in
	rclone) rc B vfs/refresh >/dev/null 2>&1 || log "rclone B: vfs/refresh failed" ;;
	esac
}

# ---- workload inputs ---------------------------------------------------------------
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
HEADERS_NOTE='' XCRYPT_NOTE='' BUILD_OK=0
prepare_inputs() {
	local src d v h
	mkdir -p "$T/in" "$T/local"
	if want write || want cold || want warm || want rand || want extents; then
		# Random data: no system gets to skip zeros.
		head -c "$((SIZE_MB * 1048576))" /dev/urandom >"$T/in/data"
	fi
	if want tarhdr; then
		src=()
		if [ -n "${HEADERS_SRC:-}" ]; then
			[ -d "$HEADERS_SRC" ] || die "HEADERS_SRC $HEADERS_SRC is not a directory"
			src=("$HEADERS_SRC")
		else
			# Debian's newest linux-headers-V-common and its arch trees.
			h=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-common' 2>/dev/null | sort -V | tail -n 1)
			if [ -n "$h" ]; then
				v=${h#/usr/src/linux-headers-}
				v=${v%-common}
				for d in /usr/src/linux-headers-"$v"*; do src+=("$d"); done
			else
				src=(/usr/include)
			fi
		fi
		tar -C / -cf "$T/in/headers.tar" "${src[@]#/}"
		HEADERS_NOTE="$(printf '%s ' "${src[@]}")($(tar -tf "$T/in/headers.tar" | wc -l) entries, $(($(stat -c %s "$T/in/headers.tar") / 1048576)) MiB)"
	fi
	if want tarxc || want configure || want make; then
		[ -d "$XCRYPT" ] || die "$XCRYPT missing (apt-get install libxcrypt-source, or set XCRYPT)"
		# libxcrypt as quickstart builds it: the Debian source plus
		# build-aux/ from the upstream tarball (scripts/deps.sh).
		# shellcheck source=scripts/deps.sh
		source "$SRCDIR/scripts/deps.sh"
		mkdir -p "$T/in/xc"
		if (hs_prepare_xcrypt "$T/in/xc") >"$T/in/xc.log" 2>&1; then
			XCRYPT_NOTE="$XCRYPT with build-aux/ from $(basename "$(hs_fetch_xcrypt_aux 2>/dev/null)")"
			tar -C "$T/in/xc" -cf "$T/in/xcrypt.tar" .
			if (want configure || want make) && (cd "$T/in/xc" && autoreconf -fi) >>"$T/in/xc.log" 2>&1; then
				tar -C "$T/in/xc" -cf "$T/in/xcrypt-ac.tar" .
				BUILD_OK=1
			fi
		else
			XCRYPT_NOTE="$XCRYPT only (no build-aux/: $(tail -n 1 "$T/in/xc.log"); configure and make skipped)"
			tar -C "$XCRYPT" -cf "$T/in/xcrypt.tar" .
		fi
		XCRYPT_NOTE="$XCRYPT_NOTE, $(tar -tf "$T/in/xcrypt.tar" | grep -vc '/$') files"
	fi
}

# ---- the workloads -------------------------------------------------------------------
# Each prints nothing and fails on error; run by run_one under a timeout.
# The write in 1 MiB pieces, as dd bs=1M; the close is timed apart
# ($T/close.s): on Hesper it is the store (target 1).
w_write() {
	cat "$T/in/data" >/dev/null && mkdir -p "$1" && rm -f "$T/close.s" &&
	python3 - "$T/in/data" "$1/big" "$T/close.s" <<'PY'
import os, sys, time
src = os.open(sys.argv[1], os.O_RDONLY)
dst = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
while True:
    b = os.read(src, 1 << 20)
    if not b:
        break
    while b:
        b = b[os.write(dst, b):]
t = time.monotonic()
os.close(dst)
with open(sys.argv[3], "w") as f:
    f.write("%.3f\n" % (time.monotonic() - t))
PY
}
w_read() { dd if="$1/big" of=/dev/null bs=1M status=none; }
w_rand() {
	python3 - "$1/big" "$RANDOM_READS" <<'PY'
import os, random, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
blocks = os.fstat(fd).st_size // 4096
rnd = random.Random(42)
for _ in range(int(sys.argv[2])):
    if len(os.pread(fd, 4096, rnd.randrange(blocks) * 4096)) != 4096:
        sys.exit("short read")
os.close(fd)
PY
}
w_untar() { mkdir -p "$1" && tar -C "$1" -xf "$2"; }
w_clone() { git clone -q --no-hardlinks "$SRCDIR" "$1/repo"; }
w_configure() { cd "$1/xc" && ./configure; }
w_make() { make -C "$1/xc" -j"$MAKE_JOBS"; }

# The workloads run in a child bash (run_one): what they read.
export T SRCDIR SIZE_MB RANDOM_READS MAKE_JOBS
RAW=$T/raw.tsv
printf 'rep\tsystem\tworkload\tseconds\tsync_seconds\tsync_records\tstatus\n' >"$RAW"
# record REP SYS WL SECONDS SYNC_S SYNC_N STATUS
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"; }

# run_one REP SYS WL FUNC ARGS...: time FUNC (in a child bash under a
# timeout), then sync; one raw row.
run_one() {
	local rep=$1 s=$2 wl=$3 t0 t st=ok
	shift 3
	t0=$(usec)
	# In the background and waited for, so that a signal to this script
	# is handled at once (cleanup stops the workload).
	printf '%s\n' "---- rep $rep $s $wl ----" >>"$T/workloads.log"
	timeout -k 10 "$OP_TIMEOUT" bash -c "$(declare -f "$1"); set -e; $(printf '%q ' "$@")" \
		>>"$T/workloads.log" 2>&1 </dev/null &
	WL_PID=$!
	wait "$WL_PID" || st=$?
	if [ "$st" = 124 ] || [ "$st" = 137 ]; then
		st=timeout
		STUCK[$s]=1
		log "rep $rep: $wl on $s took more than OP_TIMEOUT=$OP_TIMEOUT s"
	elif [ "$st" != ok ] && [[ $wl == tar* ]] && [ "$st" = 2 ]; then
		# tar went on past files it could not make as asked (symlinks on
		# rclone, times and owners of symlinks on sshfs): timed, marked.
		st=errors
		log "rep $rep: $wl on $s: tar reported errors (see $T/workloads.log)"
	elif [ "$st" != ok ]; then
		st=fail
		log "rep $rep: $wl on $s failed (see $T/workloads.log)"
	fi
	WL_PID=''
	t=$(secs $(($(usec) - t0)))
	SYNC_S='' SYNC_N=''
	case $wl in write | tarhdr | tarxc | clone | configure | make) sys_sync "$s" ;; esac
	record "$rep" "$s" "$wl" "$t" "$SYNC_S" "$SYNC_N" "$st"
	printf '  %-10s %-9s %9s s%s %s\n' "$wl" "$s" "$t" "${SYNC_S:+ (sync $SYNC_S s${SYNC_N:+, $SYNC_N records})}" "${st/ok/}" >&2
}

# The offline figures, on venus O (strong, its own cache): disconnect,
# create files, modify some, reconnect, time until the CML is empty.
offline_rep() {
	local rep=$1 o d t0 t1 t2 n t3
	o=$(vmnt O)
	d=$o/off$rep
	mkdir -p "$d"
	cfs_on O disconnect >/dev/null || { record "$rep" hesper offline_create "" "" "" fail; return; }
	# The loops time themselves: the interpreter's start is not an op.
	t0=$(usec)
	tc=$(python3 - "$d" "$OFFLINE_FILES" create <<'PY'
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
t = time.monotonic()
for i in range(n):
    with open(os.path.join(d, "f%05d" % i), "w") as f:
        f.write("small file %d\n" % i)
print("%.3f" % (time.monotonic() - t))
PY
) || true
	t1=$(usec)
	tm=$(python3 - "$d" "$OFFLINE_MODS" <<'PY'
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
t = time.monotonic()
for i in range(n):
    with open(os.path.join(d, "f%05d" % i), "a") as f:
        f.write("modified\n")
print("%.3f" % (time.monotonic() - t))
PY
) || true
	t2=$(usec)
	n=$(cml O)
	reint_wait O   # cfs reconnect + fr, as the reint rows: not the trickle's pace
	t3=$(usec)
	tc=${tc:-$(secs $((t1 - t0)))} tm=${tm:-$(secs $((t2 - t1)))}
	record "$rep" hesper offline_create "$tc" "" "$OFFLINE_FILES" ok
	record "$rep" hesper offline_modify "$tm" "" "$OFFLINE_MODS" ok
	record "$rep" hesper reintegrate "$(secs $((t3 - t2)))" "" "$n" ok
	printf '  offline   create %s s, modify %s s, %s records reintegrated in %s s\n' \
		"$tc" "$tm" "$n" "$(secs $((t3 - t2)))" >&2
	rm -rf "$d"
}

# Loopback TLS 1.3 baseline: SIZE_MB through one TLS connection with
# OpenSSL's default TLS 1.3 suite (Hesper sets none either).
tls_rep() {
	local rep=$1 out
	if [ -x "$SRCDIR/bench/tls-baseline.sh" ]; then
		# The bulk work's harness (same method: TLS 1.3, 1 MiB writes).
		if out=$("$SRCDIR/bench/tls-baseline.sh" "$SIZE_MB" 2>>"$T/workloads.log") &&
			out=$(awk '$1 == "tls-baseline" { print $2; exit }' <<<"$out") && [ -n "$out" ]; then
			TLS_CIPHER="bench/tls-baseline.sh"
			record "$rep" tls tls "$out" "" "" ok
			printf '  tls       %s s for %s MiB (bench/tls-baseline.sh)\n' "$out" "$SIZE_MB" >&2
		else
			record "$rep" tls tls "" "" "" fail
		fi
		return
	fi
	if out=$(python3 - "$T/tls" "$SIZE_MB" <<'PY' 2>>"$T/workloads.log"
import os, socket, ssl, subprocess, sys, time
d, mb = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
crt, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
if not os.path.exists(crt):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj",
                    "/CN=bench", "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
total = mb << 20
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
pid = os.fork()
if pid == 0:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(crt, key)
    c = ctx.wrap_socket(ls.accept()[0], server_side=True)
    buf, got = bytearray(1 << 20), 0
    while got < total:
        n = c.recv_into(buf)
        if n == 0:
            os._exit(1)
        got += n
    c.sendall(b"k")
    os._exit(0)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_verify_locations(crt)
ctx.check_hostname = False
c = ctx.wrap_socket(socket.create_connection(ls.getsockname()))
chunk = memoryview(os.urandom(1 << 20))
t0 = time.monotonic()
for _ in range(mb):
    c.sendall(chunk)
assert c.recv(1) == b"k"
dt = time.monotonic() - t0
os.waitpid(pid, 0)
print("%.3f %s" % (dt, c.cipher()[0]))
PY
	); then
		TLS_CIPHER=${out#* }
		record "$rep" tls tls "${out%% *}" "" "" ok
		printf '  tls       %s s for %s MiB (%s)\n' "${out%% *}" "$SIZE_MB" "$TLS_CIPHER" >&2
	else
		record "$rep" tls tls "" "" "" fail
	fi
}
TLS_CIPHER='?'

# ---- Hesper-only workloads of issue 11 (targets 3 to 6) ------------------------------
# Their raw rows hold a figure in the seconds column: the unit is in the
# row's name (NAME_bytes, NAME_s, NAME_kb, NAME_n).
# vstat N NAME: venus N's counter NAME (cfs stats), vice's with "server".
vstat() {
	local n=$1 name=$2 cmd=stats
	[ "$name" = server_store_bytes ] && { cmd=serverstats; name=store_bytes; }
	cfs_on "$n" "$cmd" 2>/dev/null | awk -v k="$name" '$1 == k { print $2; f = 1 } END { if (!f) print -1 }'
}
# reint_wait N: reconnect venus N, force reintegration, wait for an empty CML.
reint_wait() {
	cfs_on "$1" reconnect >/dev/null || log "cfs reconnect on $1 failed"
	cfs_on "$1" fr "$(vmnt "$1")" >/dev/null 2>&1 || true
	wait_for "$OP_TIMEOUT" cml_empty "$1" || log "venus $1: CML not empty after $OP_TIMEOUT s"
}

# Target 5, written extents, on venus A (strong): a 4 KiB pwrite + close
# into the SIZE_MB file of this repetition's write (made if absent), and
# SQLITE_TXNS small WAL transactions on a SQLITE_MB database: bytes sent.
extents_rep() {
	local rep=$1 d f s0 v0 t0 t1 s1 v1 out
	d=$(vmnt A)/r$rep
	f=$d/big
	mkdir -p "$d"
	[ -s "$f" ] || dd if="$T/in/data" of="$f" bs=1M status=none || { record "$rep" hesper ext4k_s "" "" "" fail; return; }
	s0=$(vstat A store_bytes) v0=$(vstat A server_store_bytes)
	t0=$(usec)
	python3 - "$f" <<'PY' || { record "$rep" hesper ext4k_s "" "" "" fail; return; }
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
size = os.fstat(fd).st_size
os.pwrite(fd, os.urandom(4096), (size // 2) & ~4095)
os.close(fd)
PY
	t1=$(usec)
	s1=$(vstat A store_bytes) v1=$(vstat A server_store_bytes)
	record "$rep" hesper ext4k_s "$(secs $((t1 - t0)))" "" "" ok
	record "$rep" hesper ext4k_bytes "$((s1 - s0))" "" "" ok
	record "$rep" hesper ext4k_vice_bytes "$((v1 - v0))" "" "" ok
	printf '  extents   4 KiB pwrite + close: %s s, venus sent %s bytes, vice got %s\n' \
		"$(secs $((t1 - t0)))" "$((s1 - s0))" "$((v1 - v0))" >&2
	# SQLite: the database is made outside and copied in (one store).
	mkdir -p "$d/sq"
	python3 - "$T/sq.db" "$SQLITE_MB" <<'PY' || { record "$rep" hesper sqlite_bytes "" "" "" fail; return; }
import os, sqlite3, sys
p, mb = sys.argv[1], int(sys.argv[2])
if os.path.exists(p):
    os.unlink(p)
c = sqlite3.connect(p)
c.execute("create table t (id integer primary key, v blob)")
c.executemany("insert into t values (?, randomblob(3000))", ((i,) for i in range(mb * 320)))
c.commit()
c.close()
PY
	cp "$T/sq.db" "$d/sq/db"
	s0=$(vstat A store_bytes) v0=$(vstat A server_store_bytes)
	t0=$(usec)
	out=$(python3 - "$d/sq/db" "$SQLITE_TXNS" "$SQLITE_MB" <<'PY'
import random, sqlite3, sys
p, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(p, isolation_level=None)
c.execute("pragma journal_mode=wal")
c.execute("pragma wal_autocheckpoint=0")
rnd = random.Random(7)
for _ in range(n):
    c.execute("begin")
    c.execute("update t set v = randomblob(100) where id = ?", (rnd.randrange(mb * 320),))
    c.execute("commit")
busy, frames, done = c.execute("pragma wal_checkpoint(passive)").fetchone()
psize = c.execute("pragma page_size").fetchone()[0]
c.close()
print(frames * (psize + 24))
PY
	) || { record "$rep" hesper sqlite_bytes "" "" "" fail; log "sqlite workload failed"; return; }
	t1=$(usec)
	s1=$(vstat A store_bytes) v1=$(vstat A server_store_bytes)
	record "$rep" hesper sqlite_s "$(secs $((t1 - t0)))" "" "" ok
	record "$rep" hesper sqlite_bytes "$((s1 - s0))" "" "" ok
	record "$rep" hesper sqlite_vice_bytes "$((v1 - v0))" "" "" ok
	record "$rep" hesper sqlite_wal_bytes "$out" "" "" ok
	printf '  extents   %s SQLite WAL txns: %s s, venus sent %s bytes, vice got %s, WAL frames %s bytes\n' \
		"$SQLITE_TXNS" "$(secs $((t1 - t0)))" "$((s1 - s0))" "$((v1 - v0))" "$out" >&2
}

# Target 4, on venus O: REINT_RECORDS offline creates of empty files (one
# metadata record each), then a day of work: DAY_MB of 1 MiB stores and
# creates up to DAY_RECORDS records; each reintegrated after cfs reconnect
# and cfs fr.
reint_rep() {
	local rep=$1 d n t0 t1 t2
	d=$(vmnt O)/reint$rep
	mkdir -p "$d/meta" "$d/day"
	cfs_on O disconnect >/dev/null || { record "$rep" hesper reint_meta_s "" "" "" fail; return; }
	t0=$(usec)
	tc=$(python3 - "$d/meta" "$REINT_RECORDS" <<'PY'
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
t = time.monotonic()
for i in range(n):
    os.close(os.open(os.path.join(d, "e%06d" % i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
print("%.3f" % (time.monotonic() - t))
PY
) || true
	t1=$(usec)
	tc=${tc:-$(secs $((t1 - t0)))}
	n=$(cml O)
	reint_wait O
	t2=$(usec)
	record "$rep" hesper offline_meta_create "$tc" "" "$REINT_RECORDS" ok
	record "$rep" hesper reint_meta "$(secs $((t2 - t1)))" "" "$n" ok
	printf '  reint     %s empty creates offline in %s s; %s records reintegrated in %s s\n' \
		"$REINT_RECORDS" "$tc" "$n" "$(secs $((t2 - t1)))" >&2
	cfs_on O disconnect >/dev/null || { record "$rep" hesper reint_day "" "" "" fail; return; }
	t0=$(usec)
	python3 - "$d/day" "$DAY_MB" <<'PY' || true
import os, sys
d, mb = sys.argv[1], int(sys.argv[2])
for i in range(mb):
    with open(os.path.join(d, "s%04d" % i), "wb") as f:
        f.write(os.urandom(1 << 20))
PY
	n=$(cml O)
	python3 - "$d/day" "$((DAY_RECORDS - n))" <<'PY' || true
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(max(n, 0)):
    os.close(os.open(os.path.join(d, "m%06d" % i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
PY
	t1=$(usec)
	n=$(cml O)
	reint_wait O
	t2=$(usec)
	record "$rep" hesper reint_day "$(secs $((t2 - t1)))" "" "$n" ok
	printf '  reint     day of work (%s MiB, %s records) made in %s s, reintegrated in %s s\n' \
		"$DAY_MB" "$n" "$(secs $((t1 - t0)))" "$(secs $((t2 - t1)))" >&2
	timeout -k 10 "$OP_TIMEOUT" rm -rf "$d" || true
}

# Target 6, on its own venus S (write back while filling): SCALE_FILES
# empty files in directories of 1000, then venus's RSS, ls -lR warm, a
# restart (SIGTERM, start again) timed to the first answered lookup, and
# ls -lR after it.  bench/scale.sh (the scale work's own script) runs
# instead when it exists; its output is quoted under the table.
scale_rep() {
	local rep=$1 d t0 t1 pid rss
	if [ -x "$SRCDIR/bench/scale.sh" ]; then
		# Its interface: N=count bench/scale.sh BUILDDIR.
		(cd "$BUILD" && N=$SCALE_FILES "$SRCDIR/bench/scale.sh" "$BUILD") \
			>"$T/scale.out" 2>>"$T/workloads.log" ||
			log "bench/scale.sh failed (see $T/workloads.log)"
		record "$rep" hesper scale_script "" "" "" ok
		return
	fi
	[ -n "${VPID[S]:-}" ] || start_venus S
	d=$(vmnt S)/scale$rep
	mkdir -p "$d"
	cfs_on S wd >/dev/null || log "cfs wd on S failed"
	python3 - "$d" "$SCALE_FILES" <<'PY' || { record "$rep" hesper scale_rss_kb "" "" "" fail; return; }
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    if i % 1000 == 0:
        sub = os.path.join(d, "d%03d" % (i // 1000))
        os.mkdir(sub)
    os.close(os.open(os.path.join(sub, "f%04d" % (i % 1000)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
PY
	cfs_on S fr "$(vmnt S)" >/dev/null 2>&1 || true
	wait_for "$OP_TIMEOUT" cml_empty S || log "venus S: CML not empty"
	cfs_on S strong >/dev/null 2>&1 || log "cfs strong on S failed"
	ls -lR "$d" >/dev/null
	t0=$(usec); ls -lR "$d" >/dev/null; t1=$(usec)
	record "$rep" hesper scale_lsR_warm "$(secs $((t1 - t0)))" "" "$SCALE_FILES" ok
	pid=${VPID[S]}
	rss=$(ps -o rss= -p "$pid" | tr -d ' ')
	record "$rep" hesper scale_rss_kb "$rss" "" "$SCALE_FILES" ok
	# Restart: SIGTERM, wait for the unmount, start again.
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	unmount "$(vtop S)"
	t0=$(usec)
	start_venus S nowait
	wait_for 600 stat "$d/d000/f0000" || log "venus S: no lookup after restart"
	t1=$(usec)
	record "$rep" hesper scale_restart "$(secs $((t1 - t0)))" "" "$SCALE_FILES" ok
	printf '  scale     %s files: venus RSS %s KiB, first lookup %s s after restart\n' \
		"$SCALE_FILES" "$rss" "$(secs $((t1 - t0)))" >&2
	clog_venus S
	t0=$(usec); ls -lR "$d" >/dev/null; t1=$(usec)
	record "$rep" hesper scale_lsR_restart "$(secs $((t1 - t0)))" "" "$SCALE_FILES" ok
	timeout -k 10 "$OP_TIMEOUT" rm -rf "$d" || true
	cfs_on S fr "$(vmnt S)" >/dev/null 2>&1 || true
}

# ---- start everything ------------------------------------------------------------------
log "temp dir $T ($(df -T "$T" | awk 'NR == 2 { print $2 }')); Hesper build ${BUILD:-none}"
ACTIVE=()
for s in "${SYS[@]}"; do
	[ -n "${NOTE[$s]:-}" ] || ACTIVE+=("$s")
done
if have_sys hesper || have_sys hesper-wd || want_hesper_only; then start_vice; fi
if have_sys hesper; then start_venus A; start_venus B; elif want extents; then start_venus A; fi
if have_sys hesper-wd; then
	start_venus C
	start_venus D
	cfs_on C wd >/dev/null || die "cfs wd on C failed"
	cfs_on D wd >/dev/null || die "cfs wd on D failed"
fi
if want offline || want reint; then start_venus O; fi
if [[ " ${ACTIVE[*]} " == *" sshfs "* ]] || { [[ " ${ACTIVE[*]} " == *" rclone "* ]] && [ -x "$SSHD" ]; }; then
	start_sshd
fi
if [[ " ${ACTIVE[*]} " == *" sshfs "* ]]; then start_sshfs A; start_sshfs B; fi
if [[ " ${ACTIVE[*]} " == *" rclone "* ]]; then start_rclone A; start_rclone B; fi
log "preparing inputs"
prepare_inputs
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---- the run: per repetition, each workload on every system in turn -----------------
for ((rep = 1; rep <= REPS; rep++)); do
	# Rotate the order so no system always runs first (or last).
	order=()
	for ((i = 0; i < ${#ACTIVE[@]}; i++)); do
		order+=("${ACTIVE[(i + rep - 1) % ${#ACTIVE[@]}]}")
	done
	log "repetition $rep of $REPS: ${order[*]}"
	record "$rep" machine load1 "$(cut -d' ' -f1 /proc/loadavg)" "" "" ok
	# A system with a workload cut off by OP_TIMEOUT skips the rest of
	# the repetition.
	declare -A STUCK=()
	for wl in "${WL[@]}"; do
		case $wl in
		offline) offline_rep "$rep"; continue ;;
		extents) extents_rep "$rep"; continue ;;
		reint) reint_rep "$rep"; continue ;;
		scale) scale_rep "$rep"; continue ;;
		tls) tls_rep "$rep"; continue ;;
		esac
		for s in "${order[@]}"; do
			if [ -n "${STUCK[$s]:-}" ]; then
				# What follows would only time the stuck state.
				record "$rep" "$s" "$wl" "" "" "" after-timeout
				continue
			fi
			a=$(sys_a "$s")/r$rep
			b=$(sys_b "$s")/r$rep
			case $wl in
			write) run_one "$rep" "$s" write w_write "$a"
				[ -s "$T/close.s" ] && record "$rep" "$s" close "$(cat "$T/close.s")" "" "" ok ;;
			cold) sys_refresh_b "$s"; drop_caches; run_one "$rep" "$s" cold w_read "$b" ;;
			warm) run_one "$rep" "$s" warm w_read "$b" ;;
			rand) run_one "$rep" "$s" rand w_rand "$b" ;;
			tarhdr) run_one "$rep" "$s" tarhdr w_untar "$a/hdr" "$T/in/headers.tar" ;;
			tarxc) run_one "$rep" "$s" tarxc w_untar "$a/xc-tar" "$T/in/xcrypt.tar" ;;
			clone) mkdir -p "$a"; run_one "$rep" "$s" clone w_clone "$a" ;;
			configure | make)
				if [ "$BUILD_OK" != 1 ]; then
					record "$rep" "$s" "$wl" "" "" "" skipped
					continue
				fi
				if [ "$wl" = configure ]; then
					# The autoreconf'd tree, untimed (and synced).
					mkdir -p "$a" && timeout -k 10 "$OP_TIMEOUT" tar -C "$a" --one-top-level=xc -xf "$T/in/xcrypt-ac.tar" &&
						sys_sync "$s"
					run_one "$rep" "$s" configure w_configure "$a"
				else
					run_one "$rep" "$s" make w_make "$a"
				fi
				;;
			esac
		done
	done
	# Untimed: this repetition's files go, so caches and disks stay small.
	for s in "${ACTIVE[@]}"; do
		timeout -k 10 "$OP_TIMEOUT" rm -rf "$(sys_a "$s")/r$rep" || log "rm of rep $rep on $s failed"
		sys_sync "$s"
	done
done

write_report
