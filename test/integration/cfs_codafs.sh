#!/bin/bash
# Done means for issue 12: the output-parsing part of Coda 8's
# python/codafs/cfs.py works against Hesper.  test/tools/codafs_cfs.py
# applies cfs.py's rules (stderr folded in, exit status checked, ASCII,
# its regular expressions) to `cfs getfid` and `cfs listvol`, the commands
# cfs.py parses (listacl/setacl need ACLs, which Hesper has not yet).
# Each parsed field must equal what `cfs --json` reports, connected and
# disconnected; a path outside the mount must fail as cfs.py fails.
source "$(dirname "$0")/lib.sh"

PARSE=$top_srcdir/test/tools/codafs_cfs.py

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)
export HESPER_CTL
HESPER_CTL=$(ht_ctl A)

mkdir "$A/dir"
echo data >"$A/dir/file"
echo spaced >"$A/dir/a name with spaces"
ln -s file "$A/dir/link"

# parse CMD PATH: codafs_cfs.py's JSON.
parse() { ht_t python3 "$PARSE" "$CFS" "$1" "$2"; }

# same_fid PATH: cfs.py's getfid fields equal cfs --json getfid's.
same_fid() {
	local got want
	got=$(parse getfid "$1") || return 1
	want=$(ht_t "$CFS" --json getfid "$1") || return 1
	python3 -c 'import json, sys
g = json.loads(sys.argv[1]); w = json.loads(sys.argv[2])["fids"][0]
ok = (int(g["volume"], 16), int(g["vnode"], 16), int(g["unique"], 16), g["realm"]) == \
     (w["volume"], w["vnode"], w["unique"], w["realm"])
if not ok: print("  parsed", g, "json", w, file=sys.stderr)
sys.exit(not ok)' "$got" "$want"
}

# same_vol PATH: cfs.py's listvol (volume id, name) equal cfs --json lv's.
same_vol() {
	local got want
	got=$(parse listvol "$1") || return 1
	want=$(ht_t "$CFS" --json listvol "$1") || return 1
	python3 -c 'import json, sys
g = json.loads(sys.argv[1]); w = json.loads(sys.argv[2])["volumes"][0]
ok = (int(g["volume_id"], 16), g["name"]) == (w["id"], w["name"]) and w["name"] != "unknown"
if not ok: print("  parsed", g, "json", w, file=sys.stderr)
sys.exit(not ok)' "$got" "$want"
}

paths=("$A" "$A/dir" "$A/dir/file" "$A/dir/a name with spaces" "$A/dir/link")
for p in "${paths[@]}"; do
	ht_check "connected: cfs.py getfid parses ${p#"$A"}" same_fid "$p"
	ht_check "connected: cfs.py listvol parses ${p#"$A"}" same_vol "$p"
done

ht_check "cfs disconnect" ht_cfs A disconnect
echo offline >"$A/dir/new"
for p in "$A/dir/file" "$A/dir/new"; do
	ht_check "disconnected: cfs.py getfid parses ${p#"$A"}" same_fid "$p"
	ht_check "disconnected: cfs.py listvol parses ${p#"$A"}" same_vol "$p"
done
ht_check "cfs reconnect" ht_cfs A reconnect
ht_check "the CML drains" ht_wait_drained A 60

rc=0
out=$(parse getfid /tmp 2>&1) || rc=$?
ht_check "outside the mount cfs.py's getfid fails (ExecutionError; got $rc: $out)" \
	test "$rc" -eq 2 -a -n "$(grep ExecutionError <<<"$out")"
rc=0
out=$(parse listvol /tmp 2>&1) || rc=$?
ht_check "outside the mount cfs.py's listvol fails (got $rc: $out)" test "$rc" -eq 2
ht_done
