#!/bin/bash
# preservelocal on an update/remove conflict: A, disconnected, changes a
# file that B, connected, removes.  The conflict keeps A's version; `cfs
# preservelocal` brings it back on the server under the same name, so B
# reads A's version and both clients agree.
HT_TIMEOUT=${HT_TIMEOUT:-180}
source "$(dirname "$0")/disc_lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

mkdir "$A/d"
printf 'base\n' >"$A/d/g"
ht_check "B reads the base" ht_has_content "$B/d/g" "base"

ht_check "cfs disconnect on A" ht_cfs A disconnect
dt_sh "A changes d/g offline" "printf 'A kept\n' >'$A/d/g'"
rm "$B/d/g"

ht_check "cfs reconnect on A" ht_cfs A reconnect
dt_fr A "$A"
ht_check "cfs fr reports the conflict (exit $DT_FR_RC)" test "$DT_FR_RC" -ne 0
cl=$(ht_cfs A conflicts 2>&1) || true
ht_check "cfs conflicts lists d/g as update/remove" \
	grep -Eq "(^|/)d/g: update/remove conflict; local version: " <<<"$cl"

ht_check "cfs preservelocal brings the local version back" ht_cfs A preservelocal "$A/d/g"
out=$(ht_cfs A conflicts 2>&1) || true
ht_check "no conflict is left" test -z "$out"
ht_check "A has nothing pending" ht_wait_drained A
ht_check "A reads its version" ht_has_content "$A/d/g" "A kept"
ht_check "B reads A's version under the same name" ht_has_content "$B/d/g" "A kept"
ht_done
