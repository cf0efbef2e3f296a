#!/bin/bash
# A truncate with no write is stored: truncate(1) (setattr size, no open)
# and open(O_TRUNC) + close.
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

printf '0123456789abcdefghijklmnopqrstuvwxyz\n' >"$A/f"
ht_check "B reads the original" ht_has_content "$B/f" "0123456789abcdefghijklmnopqrstuvwxyz"
stores0=$(ht_sstat A stores)

ht_check "truncate -s 10 succeeds" ht_t truncate -s 10 "$A/f"
ht_check "A sees 10 bytes" test "$(stat -c %s "$A/f")" -eq 10
ht_check "B sees 10 bytes" test "$(stat -c %s "$B/f")" -eq 10
ht_check "B reads the first 10 bytes" ht_has_content "$B/f" "0123456789"
stores1=$(ht_sstat A stores)
ht_note "vice stores: $stores0 -> $stores1 (a truncate may be sent as a store or a setattr)"

# Growing truncate: zero filled.
ht_check "truncate -s 20 succeeds" ht_t truncate -s 20 "$A/f"
ht_check "B sees 20 bytes, zero filled" bash -c "[ \"\$(od -An -c '$B/f' | tr -d ' \n')\" = '0123456789\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0' ]"

# O_TRUNC open, no write.
printf 'something\n' >"$A/g"
ht_check "B reads g" ht_has_content "$B/g" "something"
: >"$A/g"
ht_check "B sees g empty after an O_TRUNC open with no write" test "$(stat -c %s "$B/g")" -eq 0

# ftruncate on an open fd.
printf 'abcdef' >"$A/h"
python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDWR); os.ftruncate(fd, 3); os.close(fd)' "$A/h"
ht_check "B sees ftruncate's result" ht_has_content "$B/h" "abc"
ht_done
