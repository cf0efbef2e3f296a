#!/bin/bash
# A client with no token gets System:AnyUser's rights and nothing more
# (issue 9's "Why"): a raw protocol client (test/tools/rawclient noauth)
# against a victim's directory whose ACL gives only her anything (mode
# 0700 too), knowing every fid, tries to list it, look up, getattr and
# read her 0600 file, overwrite and truncate it, chown it to another uid
# with mode 0666, delete her second file and plant a setuid file owned by
# her.  vice must refuse each (EACCES or EPERM), and what she and root
# then see through the mounts is what she wrote.
source "$(dirname "$0")/lib.sh"
RAWCLIENT=${RAWCLIENT:-$top_builddir/test/tools/rawclient}
[ -x "$RAWCLIENT" ] || ht_hard "$RAWCLIENT not built (make check builds it)"

V=hsvic$$
ht_local_user "$V"
VUID=$(id -u "$V")

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
chmod 755 "$HT_TMP" "$HT_TMP/A" "$HT_TMP/B"
ht_user_add "$V" "$VUID"
ht_clog_as "$V" "$V" A || ht_hard "clog of $V on venus A failed"
as_v() { ht_t runuser -u "$V" -- "$@"; }

# root makes her directory; from then on it is hers alone.
mkdir "$A/vic"
chown "$V" "$A/vic"
chmod 0700 "$A/vic"
ht_check "root: cfs sa gives $V all, System:AnyUser none" \
	ht_cfs A sa "$A/vic" "$V" all System:AnyUser none
ht_check "$V writes her 0600 file" as_v sh -c "umask 077; echo 'her secret' >'$A/vic/secret'"
ht_check "$V writes a second file" as_v sh -c "umask 077; echo 'keep me' >'$A/vic/second'"
ht_check "her files are hers, 0600" \
	test "$(stat -c '%u %a' "$A/vic/secret" "$A/vic/second" | sort -u)" = "$VUID 600"

fid() { ht_cfs A getfid "$1" | sed -n 's/^FID = \([0-9]*\.[0-9]*\.[0-9]*\).*/\1/p'; }
dfid=$(fid "$A/vic") f1=$(fid "$A/vic/secret") f2=$(fid "$A/vic/second")
[ -n "$dfid" ] && [ -n "$f1" ] && [ -n "$f2" ] || ht_hard "cfs getfid gave no fid"
ht_note "victim: dir $dfid, secret $f1, second $f2"
ht_check "$V: cfs getfid in her directory (venus resolves it as her)" \
	as_v env HESPER_CTL="$(ht_ctl A)" "$CFS" getfid "$A/vic/secret"

rc=0
timeout -k 5 300 "$RAWCLIENT" noauth 127.0.0.1 "$VICE_PORT" "$dfid" \
	secret "$f1" second "$f2" "$VUID" >"$HT_TMP/noauth.out" 2>&1 || rc=$?
cat "$HT_TMP/noauth.out"
ht_check "vice refuses the tokenless client every call (exit $rc)" test "$rc" -eq 0
for what in "list the directory" "look the file up" "getattr the file" \
	"read the file" "overwrite the file (chunk)" "overwrite the file (commit)" \
	"truncate the file" "chown the file, mode 0666" "delete the second file" \
	"plant a setuid file owned by the victim"; do
	ht_check "$what: EACCES or EPERM" grep -Fqx -e "noauth $what: Permission denied" \
		-e "noauth $what: Operation not permitted" "$HT_TMP/noauth.out"
done

# Her data, as she and root see it through both clients.
ht_check "$V still reads her file on A" test "$(as_v cat "$A/vic/secret")" = "her secret"
ht_check "root reads it intact on B" test "$(ht_t cat "$B/vic/secret")" = "her secret"
ht_check "her file is still hers, 0600" test "$(stat -c '%u %a' "$B/vic/secret")" = "$VUID 600"
ht_check "her second file is there" test "$(ht_t cat "$B/vic/second")" = "keep me"
ht_check "nothing was planted (B)" test ! -e "$B/vic/planted"
ht_check "nothing was planted ($V on A)" eval "! as_v ls '$A/vic' | grep -q planted"
ht_check "vice still runs" kill -0 "$HT_VICE_PID"
ht_done
