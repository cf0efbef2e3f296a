#!/bin/bash
# Users and tokens (issue 9 items 1 and 2): pdb users made with pdbtool,
# two unprivileged local users clog on one venus; ctokens shows each only
# their own token, cunlog drops it, a wrong password fails with a clear
# message and exit 1, a short-lifetime token expires and ctokens says so,
# and a venus restart keeps the tokens.
source "$(dirname "$0")/lib.sh"

# Two local test users (removed at exit).
U1=htauth1$$
U2=htauth2$$
ht_local_user "$U1"
ht_local_user "$U2"
UID1=$(id -u "$U1")
UID2=$(id -u "$U2")

ht_vice_start --token-lifetime 3600
ht_venus_start A
CTL=$(ht_ctl A)

# root was made by the harness and clogged as root.
ht_check "pdb has root in System:Administrators" \
	bash -c "'$PDBTOOL' -r '$VICE_ROOT/root' i root | grep -q 'belongs to groups: \\[ -204 \\]'"
out=$(HESPER_CTL=$CTL "$CTOKENS")
ht_check "root's ctokens shows Coda user id 0" grep -q 'Coda user id:[[:space:]]*0$' <<<"$out"

# Users named like the local users, with the local uids as ids (Coda's
# convention), and a group.
ht_user_add alice "$UID1"
ht_user_add bob "$UID2"
ht_check "ng alice:friends" ht_pdbtool ng alice:friends alice
ht_check "ag alice:friends bob" ht_pdbtool ag alice:friends bob
ht_check "bob's CPS holds alice:friends" \
	bash -c "'$PDBTOOL' -r '$VICE_ROOT/root' i bob | grep -q 'cps: \\[ $UID2 -'"
# pdbtool's refusals: exit 1, a message, nothing changed.
refused() { local out; ! out=$(ht_pdbtool "$@" 2>&1) && grep -q '^pdbtool: ' <<<"$out"; }
ht_check "pdbtool refuses a bad user name" refused nu 'bad:name' 5000
ht_check "pdbtool refuses a taken id" refused nu carol "$UID1"
ht_check "pdbtool refuses a group not named OWNER:x" refused ng bob:x alice
ht_check "pdbtool refuses deleting a system group" refused d System:AnyUser
ht_check "pdbtool refuses adding to a user" refused ag alice bob
ht_check "pdbtool refuses an unknown member" refused ag alice:friends nobody
ht_check "pdbtool refuses a password for a group" bash -c "! echo x | '$PDBTOOL' -r '$VICE_ROOT/root' passwd -pipe alice:friends 2>/dev/null"
ht_check "pdbtool refuses an empty password" bash -c "! echo | '$PDBTOOL' -r '$VICE_ROOT/root' passwd -pipe alice 2>/dev/null"
ht_check "carol was not made" refused l carol
ht_check "pdbtool reads commands from stdin" bash -c "printf 'nu dave 7000\nag alice:friends dave\n' | '$PDBTOOL' -r '$VICE_ROOT/root' >/dev/null && '$PDBTOOL' -r '$VICE_ROOT/root' i dave | grep -q 'belongs to groups: \[ -206 \]'"
ht_check "pdbtool list --json parses" bash -c "'$PDBTOOL' -r '$VICE_ROOT/root' --json list | python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(e[\"name\"]==\"alice:friends\" for e in d)'"
ht_check "pdb.db is 0600" test "$(stat -c %a "$VICE_ROOT/root/pdb.db")" = 600
ht_check "auth.key is 0600" test "$(stat -c %a "$VICE_ROOT/root/auth.key")" = 600
ht_check "no password in clear in pdb.db" \
	bash -c "! grep -qF \"\$(cat '$HT_TMP/pw.alice')\" '$VICE_ROOT/root/pdb.db'"

# Each local user clogs.
ht_check "clog alice as $U1" ht_clog_as "$U1" alice A
ht_check "clog bob as $U2" ht_clog_as "$U2" bob A

as() { local u=$1; shift; HESPER_CTL=$CTL runuser -u "$u" -- "$@"; }
out1=$(as "$U1" "$CTOKENS")
out2=$(as "$U2" "$CTOKENS")
ht_check "$U1 sees alice's id" grep -q "Coda user id:[[:space:]]*$UID1\$" <<<"$out1"
ht_check "$U1 does not see bob's" bash -c "! grep -q 'user id:[[:space:]]*$UID2\$' <<<'$out1'"
ht_check "$U2 sees bob's id" grep -q "Coda user id:[[:space:]]*$UID2\$" <<<"$out2"
ht_check "$U2 does not see alice's" bash -c "! grep -q 'user id:[[:space:]]*$UID1\$' <<<'$out2'"
ht_check "the token expires in the future" grep -q 'Expiration time:' <<<"$out1"
ht_check "$U1 may not list everyone's tokens" bash -c "! HESPER_CTL='$CTL' runuser -u '$U1' -- '$CTOKENS' -all >/dev/null 2>&1"
all=$(HESPER_CTL=$CTL "$CTOKENS" -all)
ht_check "root lists all three tokens" test "$(grep -c 'Coda user id' <<<"$all")" -eq 3

# A wrong password: clear message, exit 1, and the old token stays.
set +e
msg=$(echo "not-the-password" | HESPER_CTL=$CTL runuser -u "$U1" -- "$CLOG" -pipe alice 2>&1)
rc=$?
set -e
ht_check "wrong password exits 1" test "$rc" -eq 1
ht_check "wrong password says so" grep -q 'Invalid login' <<<"$msg"
ht_note "wrong password: $msg"
# An unknown user gets the same answer.
set +e
msg2=$(echo "x" | HESPER_CTL=$CTL "$CLOG" -pipe nosuchuser 2>&1)
set -e
ht_check "unknown user: the same message" test "$msg" = "$msg2"
# ... and the same exchange: vice answers with a decoy salt and fails
# only at the proof, so the protocol does not tell users apart either.
ht_check "vice never says 'user not found'" bash -c "! grep -q 'user not found' '$VICE_ROOT/vice.log'"
ht_check "vice failed both at the proof" test "$(grep -c 'StoredKey mismatch' "$VICE_ROOT/vice.log")" -eq 2

# The tokens survive a venus restart (<cachedir>/tokens).
ht_check "tokens file is 0600" test "$(stat -c %a "$(ht_cachedir A)/tokens")" = 600
# The client key venus sends in HS_CONNECT: 32 bytes, kept across restarts.
key_of() { sqlite3 "file:$(ht_cachedir A)/venus.db?mode=ro" "SELECT hex(key) FROM client_key"; }
key1=$(key_of)
ht_check "venus made a 32-byte client key" test "${#key1}" -eq 64
HT_NO_CLOG=1
ht_venus_stop A
ht_venus_start A
ht_check "the client key survived the restart" test "$(key_of)" = "$key1"
ht_check "alice's token survived the restart" \
	bash -c "HESPER_CTL='$CTL' runuser -u '$U1' -- '$CTOKENS' | grep -q 'Coda user id:[[:space:]]*$UID1\$'"

# cunlog drops only the caller's token.
ht_check "cunlog as $U1" as "$U1" "$CUNLOG"
ht_check "$U1 is no longer authenticated" bash -c "HESPER_CTL='$CTL' runuser -u '$U1' -- '$CTOKENS' | grep -q 'Not Authenticated'"
ht_check "$U2 still is" bash -c "HESPER_CTL='$CTL' runuser -u '$U2' -- '$CTOKENS' | grep -q 'Coda user id'"

# A short token: vice honours a lifetime the client asks for, and the
# token expires (ctokens says so).
ht_check "clog -lifetime 2" bash -c "HESPER_CTL='$CTL' runuser -u '$U1' -- '$CLOG' -pipe -lifetime 2 alice <'$HT_TMP/pw.alice'"
_expired() { HESPER_CTL=$CTL runuser -u "$U1" -- "$CTOKENS" | grep -q 'This token has expired'; }
ht_check "ctokens says the short token expired" ht_wait_for 30 _expired

# vice caps the lifetime (--token-lifetime 3600): a client asking for a
# day gets an hour.
ht_check "clog -lifetime 86400" bash -c "HESPER_CTL='$CTL' runuser -u '$U1' -- '$CLOG' -pipe -lifetime 86400 alice <'$HT_TMP/pw.alice'"
# "tokens" on the control socket: "UID VID EXPIRES NAME REALM".
exp=$(python3 - "$CTL" "$UID1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"tokens -all\n")
buf = b""
while not buf.endswith(b"status 0\n") and b"status " not in buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
for line in buf.decode().splitlines():
    f = line.split()
    if len(f) >= 4 and f[0] == sys.argv[2]:
        print(f[2])
PY
)
now=$(date +%s)
ht_check "vice capped the token at its --token-lifetime" \
	test -n "$exp" -a "$((exp - now))" -le 3600 -a "$((exp - now))" -gt 3000

# vice down: clog says it cannot reach vice (not "Invalid login"), exit 1,
# and the token venus holds is untouched.
ht_vice_stop
set +e
msg=$(HESPER_CTL=$CTL runuser -u "$U2" -- "$CLOG" -pipe bob <"$HT_TMP/pw.bob" 2>&1)
rc=$?
set -e
ht_note "vice down: $msg"
ht_check "clog with vice down exits 1" test "$rc" -eq 1
ht_check "... saying it cannot reach vice" grep -q 'cannot authenticate to vice' <<<"$msg"
ht_check "... and bob's token stays" bash -c "HESPER_CTL='$CTL' runuser -u '$U2' -- '$CTOKENS' | grep -q 'Coda user id:[[:space:]]*$UID2\$'"
ht_done
