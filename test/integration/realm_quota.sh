#!/bin/bash
# Quotas (issue 10): a volume of 100 blocks (1 KiB each).  Connected, a
# file past the quota fails at close with EDQUOT and cfs lv shows Coda's
# quota lines; cfs setquota changes it.  Offline, the same write is logged;
# at reintegration vice refuses the record with EDQUOT: the record stays
# with its data and is reported (cfs lv, listlocal); after cfs setquota
# raises the quota it reintegrates.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/realm_lib.sh"
[ "$HT_REALM_DIRS" = 1 ] || ht_skip "needs the realm directory (HT_REALM_DIRS=1)"
[ -x "$VOLUTIL" ] || ht_hard "$VOLUTIL not built"

ht_vice_start
ht_venus_start A
R=$(ht_mnt A)
ht_check "volutil create q -quota 100" \
	ht_t "$VOLUTIL" -h "127.0.0.1:$VICE_PORT" -d "$VICE_ROOT/root" create q -quota 100
ht_check "cfs mkmount q" ht_cfs A mkmount "$R/q" q
ht_check "cfs lv q: maximum quota is 100" bash -c \
	"HESPER_CTL='$(ht_ctl A)' '$CFS' lv '$R/q' | grep -q '^  Minimum quota is 0, maximum quota is 100\$'"
ht_check "cfs lv q: Coda's blocks and partition lines" bash -c \
	"out=\$(HESPER_CTL='$(ht_ctl A)' '$CFS' lv '$R/q') &&
	 grep -q '^  Current blocks used are [0-9]*\$' <<<\"\$out\" &&
	 grep -q '^  The partition has [0-9]* blocks available out of [0-9]*\$' <<<\"\$out\""

# ---- connected: close fails with EDQUOT -------------------------------------------
ht_check "50 KiB fit" ht_t dd if=/dev/zero of="$R/q/small" bs=1024 count=50 status=none
_edquot() {
	python3 - "$1" "$2" <<'PY'
import errno, os, sys
path, kib = sys.argv[1], int(sys.argv[2])
try:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, b"x" * 1024 * kib)
    os.close(fd)
except OSError as e:
    sys.exit(0 if e.errno == errno.EDQUOT else 2)
sys.exit(1)
PY
}
ht_check "200 KiB more: EDQUOT (at write or close)" _edquot "$R/q/big" 200
ht_check "cfs lv: blocks used stay within the quota" bash -c \
	"n=\$(HESPER_CTL='$(ht_ctl A)' '$CFS' --json lv '$R/q' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"volumes\"][0][\"blocks_used\"])') && [ \"\$n\" -le 100 ]"
ht_check "cfs setquota q 1000" ht_cfs A setquota "$R/q" 1000
ht_check "... cfs lv says 1000" bash -c \
	"HESPER_CTL='$(ht_ctl A)' '$CFS' lv '$R/q' | grep -q 'maximum quota is 1000\$'"
ht_check "now 200 KiB fit" ht_t dd if=/dev/zero of="$R/q/big" bs=1024 count=200 status=none
ht_check "cfs setquota q 300" ht_cfs A setquota "$R/q" 300

# ---- offline: the record is kept and reported -------------------------------------
ht_check "cfs disconnect" ht_cfs A disconnect
ht_check "a 400 KiB file offline" ht_t dd if=/dev/zero of="$R/q/offline" bs=1024 count=400 status=none
ht_check "cfs reconnect" ht_cfs A reconnect
_refused() {
	local lv why
	lv=$(ht_cfs A lv "$R/q" 2>&1) || true
	why=$(ht_cfs A conflicts "$R/q" 2>&1; ht_cfs A checklocal "$R/q" 2>&1) || true
	grep -q 'CML entries pending' <<<"$lv" && grep -qi 'quota' <<<"$why"
}
ht_check "reintegration stops at EDQUOT; cfs lv, conflicts/checklocal report it" \
	ht_wait_for 60 _refused
ht_check "listlocal still lists the store" bash -c \
	"HESPER_CTL='$(ht_ctl A)' '$CFS' listlocal '$R/q' | grep -q '^Store'"
ht_check "the file still reads locally" test "$(stat -c %s "$R/q/offline")" = 409600
ht_check "cfs setquota q 0 (unlimited)" ht_cfs A setquota "$R/q" 0
ht_cfs A fr "$R/q" >/dev/null 2>&1 || true
_q_drained() {
	local out
	out=$(ht_cfs A --json lv "$R/q" 2>/dev/null) || return 1
	python3 -c 'import json, sys; v = json.loads(sys.argv[1])["volumes"][0]
sys.exit(not (v["cml_entries"] == 0))' "$out"
}
ht_check "after the quota is raised the record reintegrates" ht_wait_for 60 _q_drained
ht_check "cfs lv: maximum quota is unlimited" bash -c \
	"HESPER_CTL='$(ht_ctl A)' '$CFS' lv '$R/q' | grep -q 'maximum quota is unlimited\$'"
ht_done
