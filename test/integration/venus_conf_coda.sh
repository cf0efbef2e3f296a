#!/bin/bash
# A Coda venus.conf (codaconfedit's key="value", Coda-only keys, cacheblocks)
# starts venus: each key Hesper has no use for is warned about once in the
# log, reintegration_age/time put venus in write-disconnected mode with
# those values (records age in the CML until forced), and an unknown key
# stops venus with file:line.
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start B
B=$(ht_mnt B)

conf=$HT_TMP/coda-venus.conf
cat >"$conf" <<CONF
# written by coda-client-setup / codaconfedit
cacheblocks="100000"
cachefiles=0
rvm_log="/var/lib/coda/LOG"
rvm_data="/var/lib/coda/DATA"
rvm_log="/var/lib/coda/LOG"
marinersocket="/var/run/coda-client.mariner"
errorlog="/var/log/coda/venus.err"
serverprobe=2
reintegration_age=3600
reintegration_time="15"
realm="$HT_REALM"
CONF
ht_venus_start C -c "$conf"
C=$(ht_mnt C)
log=$HT_TMP/C/venus.log
ht_check "one warning for rvm_log (given twice)" test "$(grep -c "Coda key 'rvm_log' ignored" "$log")" -eq 1
for k in rvm_data marinersocket errorlog; do
	ht_check "one warning for $k" test "$(grep -c "Coda key '$k' ignored" "$log")" -eq 1
done
ht_check "no warning for keys that work" bash -c "! grep -Eq \"'(cacheblocks|cachefiles|serverprobe|reintegration_age|reintegration_time)'\" '$log'"
ht_check "venus.conf's reintegration age and time are in force" \
	grep -q "venus.conf: write-disconnected: reintegration age 3600 s, time 15 s" "$log"

s0=$(ht_sstat C stores)
echo "logged, not stored" >"$C/wd-file" || ht_fail "write on C failed"
s1=$(ht_sstat C stores)
ht_check "close in write-disconnected mode sends no store ($s0 -> $s1)" test "$s0" -eq "$s1"
ht_check "cfs forcereintegrate" ht_cfs C forcereintegrate >/dev/null
ht_check "after reintegration B reads the file" \
	ht_wait_for 60 ht_has_content "$B/wd-file" "logged, not stored"

printf 'cachesize=10MB\nbogus_key="1"\n' >"$HT_TMP/bad.conf"
rc=0
timeout -k 5 60 "$VENUS" -f -c "$HT_TMP/bad.conf" --cachedir "$HT_TMP/bad-cache" \
	--mountpoint "$HT_TMP/bad-mnt" "127.0.0.1:$VICE_PORT" >"$HT_TMP/bad.out" 2>&1 || rc=$?
ht_check "an unknown key stops venus (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
ht_check "... naming file and line" grep -q "$HT_TMP/bad.conf:2: unknown key 'bogus_key'" "$HT_TMP/bad.out"
ht_done
