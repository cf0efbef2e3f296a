#!/bin/bash
# Names with control characters cannot forge cfs's text output: a newline
# or an ESC in a file name comes out escaped (\n, \033) in every text
# reply that prints it (getfid, listcache, getpath, errors), never as a
# line of its own or a raw terminal sequence; --json keeps the real name.
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)
ESC=$'\e'
NL_NAME=$'nl\nFID = forged.0.0@x'
ESC_NAME="esc${ESC}[31mred"
BS_NAME='back\slash'

for n in "$NL_NAME" "$ESC_NAME" "$BS_NAME"; do
	printf 'x' >"$A/$n" || ht_hard "cannot create a file named ${n@Q}"
done

# has_raw FILE: the file holds an ESC byte or a forged line.
has_raw() { grep -q "$ESC" "$1" || grep -q '^FID = forged' "$1"; }

ht_cfs A getfid "$A/$NL_NAME" "$A/$ESC_NAME" >"$HT_TMP/gf.txt" 2>&1 || ht_fail "cfs getfid failed: $(cat "$HT_TMP/gf.txt")"
ht_check "getfid prints one line per name (got $(wc -l <"$HT_TMP/gf.txt"))" test "$(wc -l <"$HT_TMP/gf.txt")" -eq 2
ht_check "getfid echoes the newline escaped" grep -qF 'nl\nFID = forged' "$HT_TMP/gf.txt"
ht_check "getfid echoes the ESC escaped" grep -qF 'esc\033[31mred' "$HT_TMP/gf.txt"
ht_check "getfid output holds no raw ESC or forged line" bash -c '! { grep -q "$1" "$2" || grep -q "^FID = forged" "$2"; }' _ "$ESC" "$HT_TMP/gf.txt"

ht_cfs A listcache >"$HT_TMP/lc.txt" 2>&1 || ht_fail "cfs listcache failed"
ht_check "listcache shows the names escaped" grep -qF "$A/nl\\nFID = forged.0.0@x" "$HT_TMP/lc.txt"
ht_check "listcache escapes a backslash" grep -qF "$A/back\\\\slash" "$HT_TMP/lc.txt"
if has_raw "$HT_TMP/lc.txt"; then ht_fail "listcache printed a raw ESC or a forged line"; fi

# getpath: a fid back to the escaped name.
fid=$(ht_cfs A --json getfid "$A/$ESC_NAME" | python3 -c 'import json,sys; f = json.load(sys.stdin)["fids"][0]; print(f["fid"] + "@" + f["realm"])')
ht_cfs A getpath "$fid" >"$HT_TMP/gp.txt" 2>&1
ht_check "getpath prints the ESC escaped" grep -qF 'esc\033[31mred' "$HT_TMP/gp.txt"
if has_raw "$HT_TMP/gp.txt"; then ht_fail "getpath printed a raw ESC"; fi

# An error message naming a missing file with a newline stays one line.
ht_cfs A getfid "$A/missing"$'\n''forged line' >"$HT_TMP/err.txt" 2>&1 && ht_fail "getfid of a missing file succeeded"
ht_check "an error about a newline name is one line (got $(wc -l <"$HT_TMP/err.txt"))" test "$(wc -l <"$HT_TMP/err.txt")" -eq 1

# JSON keeps the real names.
ht_cfs A --json listcache >"$HT_TMP/lc.json" || ht_fail "cfs --json listcache failed"
ht_check "JSON listcache carries the raw names" python3 - "$HT_TMP/lc.json" "$A/$NL_NAME" "$A/$ESC_NAME" <<'PY'
import json, sys
paths = {o["path"] for o in json.load(open(sys.argv[1]))["objects"]}
sys.exit(0 if sys.argv[2] in paths and sys.argv[3] in paths else 1)
PY

ht_done
