#!/bin/bash
# No lost update through cancellation.  A, disconnected, writes f, chmods
# it and writes it again: the second store cancels the first, and the
# chmod now stands first in the log.  Meanwhile B, connected, writes f.
# When A reintegrates, the version check must still fire: an
# update/update conflict, B's data on the server, A's kept locally.
HT_TIMEOUT=${HT_TIMEOUT:-180}
source "$(dirname "$0")/disc_lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

printf 'base\n' >"$A/f"
ht_check "B reads the base" ht_has_content "$B/f" "base"

ht_check "cfs disconnect on A" ht_cfs A disconnect
dt_sh "A's offline store, chmod, store succeed" "
	printf 'A one\n' >'$A/f'
	chmod 600 '$A/f'
	printf 'A two\n' >'$A/f'
"
printf "B's\n" >"$B/f"

ht_check "cfs reconnect on A" ht_cfs A reconnect
rc=0
out=$(ht_cfs A fr "$A" 2>&1) || rc=$?
ht_note "cfs fr: exit $rc: $(tr '\n' '|' <<<"$out")"
ht_check "cfs fr reports the conflict (exit $rc)" test "$rc" -ne 0
ht_check "fr says Reintegration failed due to a conflict" \
	grep -q 'Reintegration failed due to a conflict' <<<"$out"
cl=$(ht_cfs A conflicts 2>&1) || true
ht_check "cfs conflicts lists f as update/update" \
	grep -Eq "(^|/)f: update/update conflict; local version: " <<<"$cl"
local_file=$(sed -n 's/.*; local version: //p' <<<"$cl" | head -n 1)
ht_check "the local version file holds A's last write" \
	test -n "$local_file" -a "$(cat -- "$local_file" 2>/dev/null)" = "A two"
ht_check "B still reads its own write (nothing lost)" ht_has_content "$B/f" "B's"
ht_done
