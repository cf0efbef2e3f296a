#!/bin/bash
# test/layering.sh - venus's layers go one way (doc/design.md, issue 7).
#
# Each venus source file belongs to one layer; a file may include the
# headers of, and call the functions defined in, its own layer or lower
# ones only.  Lower layers report upward through hook structs that main.c
# registers through wire.c (srv_hooks, vst_hooks, cache_set_priority,
# cml_set_settle_hook; the front ends call fso_set_front), which this check
# cannot see and need not.  Fails on an
# upward include or call, on an include of a private header (fsobj_int.h,
# cml_int.h, hoard_int.h) from outside its files, and on a venus file missing from the table below (a new
# file must be given its layer).
#
# Calls are found as file-cycles.py finds them: the non-static function
# definitions of each .c file, and every "name(" in the others, with
# comments and strings removed.  Run by hand: test/layering.sh [VENUS_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-${top_srcdir:-$here/..}/venus}
exec python3 - "$dir" <<'PY'
import os, re, sys

# Bottom to top.  When the files move into folders (venus/<layer>/...),
# layer_of() can take the folder instead of this table.
LAYERS = ["util", "store", "net", "log", "core", "repair", "hoard", "ctl",
          "front", "main"]
TABLE = {
    "util":   "venus.h venus.c log.c config.c event.c event.h util.c util.h",
    "store":  "db.c db_sql.c db.h cache.c cache.h",
    "net":    "server.c server.h",
    "log":    "cml.c cml.h cml_int.h cml_read.c cml_data.c cml_drop.c "
              "volstate.c volstate.h zone.c zone.h",
    "core":   "fsobj.c fsobj.h fsobj_int.h fsobj_disc.h fsobj_find.c "
              "fsobj_readdir.c fsobj_fetch.c fsobj_open.c fsobj_store.c "
              "fsobj_setattr.c fsobj_dir.c fsobj_ctl.c fsobj_cb.c "
              "fsobj_local.c fsobj_zone.c fsobj_disc.c",
    "repair": "reint.c reint.h conflict.c conflict_keep.c conflict.h",
    "hoard":  "hoard.c hoard.h hoard_int.h hoard_known.c hoard_map.c hoard_walk.c",
    "ctl":    "ctl.c ctl.h ctl_int.h ctl_ckpt.c ctl_cmds.c ctl_cml.c "
              "ctl_events.c ctl_fid.c ctl_hoard.c ctl_vol.c",
    "front":  "front.h fuse.c fuse_int.h fuse_dir.c fuse_fdref.c fuse_file.c "
              "fuse_inode.c fuse_mapped.c fuse_node.c fuse_notify.c "
              "coda.c coda_int.h coda_dir.c coda_file.c coda_ops.c "
              "coda_reply.c fuse_zone.c",
    "main":   "main.c wire.c wire.h",
}
RANK = {}
for layer, names in TABLE.items():
    for n in names.split():
        RANK[n] = LAYERS.index(layer)

root = sys.argv[1]
bad = []
files = sorted(f for f in os.listdir(root) if f.endswith((".c", ".h")))
for f in files:
    if f not in RANK:
        bad.append("%s: not in test/layering.sh's table: give it a layer" % f)

def name(r):
    return LAYERS[r]

def strip(s):
    s = re.sub(r'/\*.*?\*/', ' ', s, flags=re.S)
    s = re.sub(r'//[^\n]*', ' ', s)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', s)

src = {f: open(os.path.join(root, f), errors="replace").read() for f in files}

# Includes of venus headers: "venus/x.h" or "x.h" next to the file.
incre = re.compile(r'^\s*#\s*include\s+"(?:venus/)?([^"/]+)"', re.M)
for f in files:
    for m in incre.finditer(src[f]):
        h = m.group(1)
        if h in RANK and f in RANK and RANK[h] > RANK[f]:
            bad.append("%s (%s) includes %s (%s)" % (f, name(RANK[f]), h, name(RANK[h])))

# Private headers: only their own files include them.
PRIVATE = {"fsobj_int.h": "fsobj", "cml_int.h": "cml", "hoard_int.h": "hoard"}
for f in files:
    for m in incre.finditer(src[f]):
        h = m.group(1)
        if h in PRIVATE and not f.startswith(PRIVATE[h]):
            bad.append("%s includes %s, private to %s*" % (f, h, PRIVATE[h]))

# Calls of functions defined in another file.
defre = re.compile(r'^(?!static\b)[A-Za-z_][\w \t\*]*?\b([A-Za-z_]\w*)\s*\([^;{]*\)\s*\{', re.M)
owner = {}
for f in files:
    if f.endswith(".c"):
        for m in defre.finditer(src[f]):
            n = m.group(1)
            if n not in ("if", "while", "for", "switch", "return", "sizeof"):
                owner.setdefault(n, f)
callre = re.compile(r'\b([A-Za-z_]\w*)\s*\(')
for f in files:
    if not f.endswith(".c") or f not in RANK:
        continue
    seen = set()
    for m in callre.finditer(strip(src[f])):
        g = owner.get(m.group(1))
        if g and g != f and g in RANK and RANK[g] > RANK[f] and m.group(1) not in seen:
            seen.add(m.group(1))
            bad.append("%s (%s) calls %s() of %s (%s)" %
                       (f, name(RANK[f]), m.group(1), g, name(RANK[g])))

for b in bad:
    print("layering: " + b)
if bad:
    sys.exit(1)
print("layering: %d files in %d layers, no upward include or call" %
      (len(files), len(LAYERS)))
PY
