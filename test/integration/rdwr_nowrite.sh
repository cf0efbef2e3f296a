#!/bin/bash
# The written flag: open O_RDWR and close with no write stores nothing
# (vice's store count unchanged) and venus counts a skipped store.
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
A=$(ht_mnt A)

# vice's store count, asked through venus NAME, is at least N.
stores_at_least() {
	local n
	n=$(ht_cfs "$1" serverstats 2>/dev/null | awk '$1 == "stores" { print $2 }')
	[ -n "$n" ] && [ "$n" -ge "$2" ]
}

echo "some data" >"$A/f"
ht_check "vice has the first store" ht_wait_for 30 stores_at_least A 1
stores0=$(ht_sstat A stores)
skipped0=$(ht_stat A stores_skipped)
vstores0=$(ht_stat A stores)

# bash's <> opens O_RDWR (the file exists, so O_CREAT does nothing).
for i in 1 2 3; do
	exec 3<>"$A/f"
	exec 3>&-
done
python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_RDWR))' "$A/f"
python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_WRONLY))' "$A/f"

ht_wait_for 10 bash -c "[ \"\$(HESPER_CTL='$(ht_ctl A)' '$CFS' stats | awk '\$1==\"stores_skipped\"{print \$2}')\" -ge $((skipped0 + 5)) ]" || true
# No wait for a store that must not come: each of the five closes either
# stores or counts a skipped store, so once five skips are counted none
# of them stored.
stores1=$(ht_sstat A stores)
skipped1=$(ht_stat A stores_skipped)
vstores1=$(ht_stat A stores)
ht_check "vice's store count unchanged ($stores0 -> $stores1)" test "$stores1" -eq "$stores0"
ht_check "venus's stores unchanged ($vstores0 -> $vstores1)" test "$vstores1" -eq "$vstores0"
ht_check "venus's stores_skipped grew by 5 ($skipped0 -> $skipped1)" test "$skipped1" -ge $((skipped0 + 5))
ht_check "content unchanged" ht_has_content "$A/f" "some data"

# A real write afterwards is still stored.
echo "changed" >>"$A/f"
ht_wait_for 30 stores_at_least A $((stores1 + 1)) || true
stores2=$(ht_sstat A stores)
ht_check "a real write is stored ($stores1 -> $stores2)" test "$stores2" -eq $((stores1 + 1))
ht_done
