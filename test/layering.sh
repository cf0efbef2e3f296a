#!/bin/bash
# test/layering.sh - venus's layers go one way (doc/design.md, issue 7).
#
# Each venus source file belongs to one layer, named by its folder
# (venus/util, store, net, log, core, repair, hoard, ctl, front/{fuse,coda};
# main.c and wire.c in venus/ itself); a file may include the headers of,
# and call the functions defined in, its own layer or lower ones only.
# Lower layers report upward through hook structs that main.c registers
# through wire.c (srv_hooks, vst_hooks, cache_set_priority,
# cml_set_settle_hook; the front ends call fso_set_front), which this check
# cannot see and need not.  Fails on an upward include or call, on an
# include of a private header (fsobj_int.h, cml_int.h, hoard_int.h) from
# outside its files, and on a file in a folder that is no layer.
#
# Calls are found by text: the non-static function definitions of each .c
# file, and every "name(" in the others, with comments and strings
# removed.  Run by hand: test/layering.sh [VENUS_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-${top_srcdir:-$here/..}/venus}
exec python3 - "$dir" <<'PY'
import os, re, sys

# Bottom to top.  A file's layer is its folder under venus/ (front/fuse
# and front/coda are both "front"); main.c and wire.c sit at the top, in
# venus/ itself.  A file in any other folder fails the check.
LAYERS = ["util", "store", "net", "log", "core", "repair", "hoard", "ctl",
          "front", "main"]

root = sys.argv[1]
bad = []
files = []   # paths relative to root, e.g. "core/fsobj.c"
for dp, dns, fns in os.walk(root):
    dns.sort()
    for fn in sorted(fns):
        if fn.endswith((".c", ".h")):
            files.append(os.path.relpath(os.path.join(dp, fn), root))

def layer_of(f):
    d = os.path.dirname(f)
    if d == "":
        return "main"
    return d.split("/")[0]

RANK = {}
for f in files:
    if layer_of(f) in LAYERS:
        RANK[f] = LAYERS.index(layer_of(f))
    else:
        bad.append("%s: venus/%s/ is no layer (%s)" % (f, os.path.dirname(f), " ".join(LAYERS)))
BYBASE = {os.path.basename(f): f for f in files}

def name(r):
    return LAYERS[r]

def strip(s):
    s = re.sub(r'/\*.*?\*/', ' ', s, flags=re.S)
    s = re.sub(r'//[^\n]*', ' ', s)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', s)

src = {f: open(os.path.join(root, f), errors="replace").read() for f in files}

# Includes of venus headers: "venus/<layer>/x.h", or "x.h" next to the file.
incre = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
def header(f, inc):
    if inc.startswith("venus/"):
        return inc[len("venus/"):]
    near = os.path.normpath(os.path.join(os.path.dirname(f), inc))
    return near if near in RANK else None
for f in files:
    for m in incre.finditer(src[f]):
        h = header(f, m.group(1))
        if h in RANK and f in RANK and RANK[h] > RANK[f]:
            bad.append("%s (%s) includes %s (%s)" % (f, name(RANK[f]), h, name(RANK[h])))

# Private headers: only their own files include them.
PRIVATE = {"fsobj_int.h": "fsobj", "cml_int.h": "cml", "hoard_int.h": "hoard"}
for f in files:
    for m in incre.finditer(src[f]):
        h = os.path.basename(m.group(1))
        if h in PRIVATE and not os.path.basename(f).startswith(PRIVATE[h]):
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
