#!/bin/bash
# issue 9 item 7: clients that send half of a 4 MiB record and stop, and
# clients that pipeline fetches and never read the replies.  A record must
# arrive whole, and replies that made vice stop reading must be read,
# within --record-timeout (3 s here), so vice drops every such connection
# and the memory it held; a client that is connected and idle (a real
# venus) is not dropped.
source "$(dirname "$0")/lib.sh"
VFLOOD=${VFLOOD:-$top_builddir/test/tools/vflood}
[ -x "$VFLOOD" ] || ht_hard "$VFLOOD not built (make check builds it)"
NFLOOD=50

ht_vice_start --record-timeout 3
ht_venus_start A
A=$(ht_mnt A)
echo "before" >"$A/f"

rc=0
ht_t "$VFLOOD" --src 127.0.0.2 --wait 120 partial 127.0.0.1 "$VICE_PORT" "$NFLOOD" \
	>"$HT_TMP/vflood.log" 2>&1 </dev/null || rc=$?
ht_note "vflood: $(head -n 1 "$HT_TMP/vflood.log"); $(tail -n 1 "$HT_TMP/vflood.log")"
ht_check "all $NFLOOD clients got in and sent half a record" \
	grep -q "^vflood: opened $NFLOOD refused 0" "$HT_TMP/vflood.log"
ht_check "vice closed every connection holding a partial record (vflood exit $rc)" \
	test "$rc" -eq 0
ht_check "vice still runs" kill -0 "$HT_VICE_PID"

head -c $((4 * 1024 * 1024)) /dev/urandom >"$A/big"
ht_check "A's 4 MiB file reached vice" ht_wait_drained A
rc=0
ht_t "$VFLOOD" --src 127.0.0.2 --wait 120 pipeline 127.0.0.1 "$VICE_PORT" 10 big \
	>"$HT_TMP/pipeline.log" 2>&1 </dev/null || rc=$?
ht_note "vflood: $(head -n 1 "$HT_TMP/pipeline.log"); $(tail -n 1 "$HT_TMP/pipeline.log")"
ht_check "vice closed every client that did not read its replies (vflood exit $rc)" \
	test "$rc" -eq 0
# Venus's connection sat idle through all of it: idle is not late.
ht_check "A still reads" ht_has_content "$A/f" "before"
echo "after" >"$A/g"
ht_venus_start B
ht_check "a new client reads A's write" ht_has_content "$(ht_mnt B)/g" "after"
ht_check "A's connection was never dropped" \
	test "$(grep -c 'connected to' "$HT_TMP/A/venus.log" || true)" -le 1
ht_done
