#!/bin/bash
# Kerberos (issue 9 item 2): a real MIT KDC (Debian's krb5-kdc) runs in
# the test's directory with its own krb5.conf and kdc.conf; vice gets a
# keytab for hesper/127.0.0.1 (--keytab), a local user kinits and runs
# clog -kerberos, and venus then holds a token for the pdb user the
# principal maps to.  No password of the user reaches vice or clog.
source "$(dirname "$0")/lib.sh"

for p in krb5kdc kdb5_util kadmin.local kinit; do
	command -v "$p" >/dev/null || [ -x "/usr/sbin/$p" ] || ht_skip "$p is missing (krb5-kdc, krb5-admin-server, krb5-user)"
done
PATH=$PATH:/usr/sbin
[ -e /usr/lib/x86_64-linux-gnu/sasl2/libgssapiv2.so ] || ls /usr/lib/*/sasl2/libgssapiv2.so >/dev/null 2>&1 ||
	ht_skip "the SASL GSSAPI plugin is missing (libsasl2-modules-gssapi-mit)"

U1=htkrb1$$
ht_local_user "$U1"
UID1=$(id -u "$U1")

# The realm, all under $HT_TMP/krb.
K=$HT_TMP/krb
REALM=HESPER.TEST
KPORT=$(ht_free_port)
mkdir -p "$K"
cat >"$K/krb5.conf" <<CONF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	dns_canonicalize_hostname = false
	rdns = false
	udp_preference_limit = 1
[realms]
	$REALM = {
		kdc = 127.0.0.1:$KPORT
	}
CONF
cat >"$K/kdc.conf" <<CONF
[kdcdefaults]
	kdc_ports = $KPORT
	kdc_tcp_ports = $KPORT
[realms]
	$REALM = {
		database_name = $K/principal
		key_stash_file = $K/stash
		acl_file = $K/kadm5.acl
		max_life = 10h
	}
[logging]
	kdc = FILE:$K/kdc.log
CONF
: >"$K/kadm5.acl"
export KRB5_CONFIG=$K/krb5.conf KRB5_KDC_PROFILE=$K/kdc.conf
kdb5_util create -s -r "$REALM" -P "master-$$" >"$K/setup.log" 2>&1 || { cat "$K/setup.log"; ht_hard "kdb5_util create failed"; }
ALICEPW="alice-$$-pw"
kadmin.local -r "$REALM" -q "addprinc -pw $ALICEPW alice" >>"$K/setup.log" 2>&1 &&
	kadmin.local -r "$REALM" -q "addprinc -randkey hesper/127.0.0.1" >>"$K/setup.log" 2>&1 &&
	kadmin.local -r "$REALM" -q "ktadd -k $K/vice.keytab hesper/127.0.0.1" >>"$K/setup.log" 2>&1 ||
	{ cat "$K/setup.log"; ht_hard "kadmin.local failed"; }
krb5kdc -n -r "$REALM" >>"$K/kdc.log" 2>&1 &
HT_EXTRA_PIDS="${HT_EXTRA_PIDS:-} $!"
_kdc_up() { (exec 3<>"/dev/tcp/127.0.0.1/$KPORT") 2>/dev/null; }
ht_wait_for 30 _kdc_up || ht_hard "krb5kdc did not listen on port $KPORT"

ht_vice_start --keytab "$K/vice.keytab" --hostname 127.0.0.1
ht_venus_start A
CTL=$(ht_ctl A)

# pdb user alice, no password: Kerberos is her only way in.
ht_check "pdbtool nu alice" ht_pdbtool nu alice "$UID1"

# The local user's ticket cache and the config must be readable by her.
chmod o+x "$HT_TMP" "$K"
chmod o+r "$K/krb5.conf"
mkdir -m 700 "$K/cc"
chown "$U1" "$K/cc"
CC=$K/cc/ccache
as_u1() { runuser -u "$U1" -- env KRB5_CONFIG="$K/krb5.conf" KRB5CCNAME="FILE:$CC" HESPER_CTL="$CTL" "$@"; }
for d in "$HT_TMP/A" "$(ht_cachedir A)"; do chmod o+x "$d"; done

set +e
out=$(as_u1 "$CLOG" -kerberos 2>&1)
rc=$?
set -e
ht_check "clog -kerberos without a ticket fails" test "$rc" -eq 1
ht_note "without a ticket: $out"
ht_check "kinit alice" bash -c "printf '%s\n' '$ALICEPW' | runuser -u '$U1' -- env KRB5_CONFIG='$K/krb5.conf' KRB5CCNAME='FILE:$CC' kinit alice >/dev/null"
ht_check "clog -kerberos" as_u1 "$CLOG" -kerberos
out=$(as_u1 "$CTOKENS")
ht_note "ctokens: $(tr '\n' ' ' <<<"$out")"
ht_check "ctokens shows alice's id" grep -q "Coda user id:[[:space:]]*$UID1\$" <<<"$out"
ht_check "vice logged a GSSAPI login for alice" grep -q "alice ($UID1) authenticated with GSSAPI" "$VICE_ROOT/vice.log"
ht_check "clog -kerberos bob with alice's ticket is refused" bash -c "! HESPER_CTL='$CTL' runuser -u '$U1' -- env KRB5_CONFIG='$K/krb5.conf' KRB5CCNAME='FILE:$CC' '$CLOG' -kerberos bob 2>/dev/null"

# A principal with no pdb user is refused.
kadmin.local -r "$REALM" -q "addprinc -pw $ALICEPW mallory" >>"$K/setup.log" 2>&1
ht_check "kinit mallory" bash -c "printf '%s\n' '$ALICEPW' | runuser -u '$U1' -- env KRB5_CONFIG='$K/krb5.conf' KRB5CCNAME='FILE:$CC' kinit mallory >/dev/null"
set +e
out=$(as_u1 "$CLOG" -kerberos 2>&1)
rc=$?
set -e
ht_check "clog -kerberos as a principal pdb does not know fails" test "$rc" -eq 1
ht_check "... with the usual message" grep -q 'Invalid login' <<<"$out"
ht_note "unknown principal: $out"
ht_done
