#!/bin/bash
# Reintegration in blocks of HS_REINT_MAX records, and cfs fr's progress
# (issue 11).  In write-back mode with an age no record reaches, A logs
# 1100 mkdirs; `cfs fr -v` must reintegrate them in at most 2 blocks
# (one progress line per block), print "reintegrated 0 of 1100 records"
# and "reintegrated 1100 of 1100 records (...)" on stderr, and B must see
# every directory.  Without -v (stderr not a terminal) no progress line
# shows.  Then 400 small stores reintegrate without being held for quota
# (vice's staging cap per client).  Counts only: no timings.
source "$(dirname "$0")/disc_lib.sh"

N=1100

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
mkdir "$A/r"
ht_check "cfs wd -age 3600 on A (nothing trickles)" ht_cfs A wd -age 3600 -time 30
ht_check "A logs $N mkdirs" ht_t python3 -c 'import os, sys
for i in range(int(sys.argv[2])):
    os.mkdir("%s/d%d" % (sys.argv[1], i))' "$A/r" "$N"
ht_check "A has $N CML entries pending (lv: $(dt_pending A))" test "$(dt_pending A)" -eq "$N"
rc=0
HESPER_CTL=$(ht_ctl A) ht_t "$CFS" fr -v >"$HT_TMP/fr.out" 2>"$HT_TMP/fr.err" || rc=$?
ht_note "cfs fr -v: exit $rc; stderr: $(tr '\n' '|' <"$HT_TMP/fr.err")"
ht_check "cfs fr -v exits 0" test "$rc" -eq 0
ht_check "A has 0 CML entries pending after fr" test "$(dt_pending A)" -eq 0
# One progress line at the start and one per block.
nb=$(( $(grep -c '^reintegrated ' "$HT_TMP/fr.err" || true) - 1 ))
ht_check "$N records went in at most 2 blocks (progress lines: $nb blocks)" test "$nb" -le 2
ht_check "fr -v starts with 'reintegrated 0 of $N records'" \
	grep -q "^reintegrated 0 of $N records (" "$HT_TMP/fr.err"
ht_check "fr -v ends with 'reintegrated $N of $N records'" \
	grep -q "^reintegrated $N of $N records (0.0 MiB of 0.0 MiB)" "$HT_TMP/fr.err"
ht_check "fr -v keeps stdout's 'Modifications to ... reintegrated to server'" \
	grep -Eq 'Modifications to .* reintegrated to server' "$HT_TMP/fr.out"
ht_check "B sees the $N directories" test "$(ls "$B/r" | wc -l)" -eq "$N"

mkdir "$A/r/last"
rc=0
HESPER_CTL=$(ht_ctl A) ht_t "$CFS" fr >"$HT_TMP/fr2.out" 2>"$HT_TMP/fr2.err" || rc=$?
ht_check "cfs fr (no -v) exits 0" test "$rc" -eq 0
ht_check "cfs fr without -v, stderr not a terminal: no progress line" \
	test ! -s "$HT_TMP/fr2.err"
# Many small stores in one pass: a block stages each store under its own
# store id first, and vice stages at most 256 per client; more in one
# block came back EDQUOT and were held "over quota" on an unlimited volume.
NS=400
ht_check "A logs $NS small files" ht_t python3 -c 'import os, sys
for i in range(int(sys.argv[2])):
    with open("%s/s%d" % (sys.argv[1], i), "w") as f:
        f.write("store %d\n" % i)' "$A/r/last" "$NS"
ht_check "cfs fr of $NS stores exits 0" ht_cfs A fr
ht_check "A has 0 CML entries pending after the stores" test "$(dt_pending A)" -eq 0
ht_check "no store was held for quota" bash -c "! grep -q 'QUOTA:' '$HT_TMP/A/venus.log'"
ht_check "B reads the last store" bash -c "[ \"\$(cat '$B/r/last/s$((NS - 1))')\" = 'store $((NS - 1))' ]"
ht_done
