#!/bin/bash
# One server of a realm down (issue 10): vice A serves the realm's root
# volume, vice B the volume "data" mounted at /coda/REALM/data.  With B
# killed, cfs lv says data is Unreachable and root Reachable; data's
# cached files still read; writes to root go through at once (a second
# client sees them); writes to data are logged in data's CML.  When B
# returns (same port), data's records reintegrate to B, and the second
# client sees both volumes' changes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/realm_lib.sh"
rl_needs etcd

ht_etcd_start
rl_vices A B
ht_venus_start X --server "$(rl_port A)"
ht_clog X || ht_fail "clog root on X"
ht_venus_start Y --server "$(rl_port A)"
ht_clog Y || ht_fail "clog root on Y"
R=$(ht_mnt X)
RY=$(ht_mnt Y)

ht_check "volutil create data on B" rl_volutil B create data
ht_check "cfs mkmount data" ht_cfs X mkmount "$R/data" data
ht_t sh -c "echo cached >'$R/data/f' && echo top >'$R/g'" || ht_hard "cannot write both volumes"
ht_check "X has data/f cached" ht_has_content "$R/data/f" cached
_both_reachable() {
	[ "$(rl_state X "$R")" = Reachable ] && [ "$(rl_state X "$R/data")" = Reachable ]
}
ht_check "both volumes Reachable" _both_reachable

# ---- B goes away ------------------------------------------------------------------
portB=${HT_VPORT[B]}
ht_vice_stop_as B
# venus notices on its next call or probe (serverprobe 2)
_data_unreachable() {
	cat "$R/data/f" >/dev/null 2>&1 || true
	[ "$(rl_state X "$R/data")" = Unreachable ]
}
ht_check "cfs lv: data is Unreachable" ht_wait_for 60 _data_unreachable
ht_check "cfs lv: root is still Reachable" test "$(rl_state X "$R")" = Reachable
ht_check "cfs whereis data still names B" \
	bash -c "HESPER_CTL='$(ht_ctl X)' '$CFS' whereis '$R/data' | grep -qF '127.0.0.1:$portB'"
ht_check "data's cached file still reads" ht_has_content "$R/data/f" cached
ht_check "a write to root goes through" ht_t sh -c "echo while-B-down >'$R/g2'"
ht_check "... Y sees it at once (written through to A)" ht_has_content "$RY/g2" while-B-down
ht_check "a write to data is logged" ht_t sh -c "echo offline >'$R/data/h'"
ht_check "cfs lv data: CML entries pending" \
	bash -c "HESPER_CTL='$(ht_ctl X)' '$CFS' lv '$R/data' | grep -q 'CML entries pending'"
ht_check "cfs lv root: no CML entries" \
	bash -c "! HESPER_CTL='$(ht_ctl X)' '$CFS' lv '$R' | grep -q 'CML entries pending'"
ht_check "cfs checkservers names B as down" \
	bash -c "HESPER_CTL='$(ht_ctl X)' '$CFS' checkservers | grep -q 'still down:.*$portB'"

# ---- B returns ----------------------------------------------------------------------
ht_vice_start_as B -p "$portB" --vldb etcd --etcd "$HT_ETCD"
_data_drained() {
	local out
	out=$(ht_cfs X --json lv "$R/data" 2>/dev/null) || return 1
	python3 -c 'import json, sys; v = json.loads(sys.argv[1])["volumes"][0]
sys.exit(not (v["reachability"] == "Reachable" and v["cml_entries"] == 0))' "$out"
}
ht_check "data's records reintegrate to B" ht_wait_for 90 _data_drained
ht_check "Y reads data/h from B" ht_has_content "$RY/data/h" offline
ht_check "Y reads root's g2" ht_has_content "$RY/g2" while-B-down
ht_check "checkservers: all up" bash -c "HESPER_CTL='$(ht_ctl X)' '$CFS' checkservers | grep -q 'All servers up'"
ht_done
