#!/bin/bash
# Callback break: B caches a file; A changes it; B's next read shows the
# new content, not the stale cached copy, and B counted the break.
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

echo "old content" >"$A/f"
ht_check_fresh "B reads the file" "$B/f" "old content"
ht_check_fresh "B's second read is served from its cache" "$B/f" "old content"
breaks0=$(ht_stat B callback_breaks)
fetch0=$(ht_stat B fetches)

echo "new content, longer than before" >"$A/f"
ht_check_fresh "B sees the new content right after A's close" "$B/f" "new content, longer than before"
breaks1=$(ht_stat B callback_breaks)
ht_check "B's callback_breaks grew ($breaks0 -> $breaks1)" test "$breaks1" -gt "$breaks0"
fetch1=$(ht_stat B fetches)
ht_check "B fetched again ($fetch0 -> $fetch1)" test "$fetch1" -gt "$fetch0"

# Keep B's file open across A's change: a new open must see new data.
exec 3<"$B/f"
echo "third" >"$A/f"
exec 3<&-
ht_check_fresh "B sees the third version after an open across the change" "$B/f" "third"

# A change to a directory breaks B's cached listing.
ls "$B" >/dev/null
touch "$A/added"
ht_check "B's listing shows the entry A added" bash -c "ls '$B' | grep -qx added"
# Attribute changes too.
chmod 600 "$A/f"
ht_check "B sees A's chmod" test "$(stat -c %a "$B/f")" = 600

srvbreaks=$(ht_sstat A breaks)
ht_check "vice counted breaks ($srvbreaks)" test "$srvbreaks" -gt 0
ht_done
