#!/usr/bin/env bash
# Certificates: a good client connects; a TLS client without a certificate, a
# client whose certificate comes from another CA, a client that trusts
# another CA and a client expecting another server name are all refused, with
# the reason in the logs; the server keeps serving the good client. With a
# revocation list (crl) the server refuses a revoked client and a client
# refuses a revoked server.
. "$(dirname "$0")/lib.sh"

topo_up A B
certs_make "$TMP/other"		# a second CA, with its own alice and server
C=$TMP/certs
O=$TMP/other
server_start

# (a) positive control: the good client connects and passes traffic.
client_a
wait_connected a
ping_ok A 198.18.0.1 || fail "no ping through the tunnel from the good client"
pass "(a) alice with a certificate of our CA connects and pings 198.18.0.1"

# (b) a TLS client that shows no certificate.
mark=$(log_mark server)
n A timeout 20 openssl s_client -connect 192.0.2.1:1194 -CAfile "$C/ca.crt" \
    -verify_return_error </dev/null >"$TMP/s_client.log" 2>&1 || true
grep -q -E 'BEGIN CERTIFICATE|Server certificate|CONNECTED' "$TMP/s_client.log" ||
    fail "(b) openssl s_client did not reach the server: $(cat "$TMP/s_client.log")"
wait_until 20 log_since server "$mark" \
    'TLS handshake failed.*(peer did not return a certificate|certificate required)' ||
    fail "(b) the server did not log the missing client certificate"
pass "(b) a TLS client without a certificate is refused:" \
    "$(grep -i 'TLS handshake failed' "$TMP/server.log" | tail -n 1)"

# The refused clients below use other tun devices: alice's stun0 stays up.
never_connected() {
	local name=$1 i
	for ((i = 0; i < 15; i++)); do
		! client_connected "$name" ||
		    fail "client $name reached state=connected"
		sleep 0.2
	done
}

# (c) a client certificate from another CA.
mark=$(log_mark server)
client_start evil A 192.0.2.1 alice --dev stun1 --cert "$O/alice.crt" \
    --key "$O/alice.key"
wait_until 30 log_since server "$mark" \
    'TLS handshake failed.*(certificate verify failed|unknown ca)' ||
    fail "(c) the server did not refuse a certificate of another CA"
wait_until 30 log_has evil 'TLS handshake failed' ||
    fail "(c) the client did not log its refusal"
never_connected evil
stop_bg evil || true
pass "(c) a client certificate from another CA is refused:" \
    "$(grep -i 'TLS handshake failed' "$TMP/server.log" | tail -n 1)"

# (c2) a client that trusts only another CA refuses our server.
client_start trusting A 192.0.2.1 alice --dev stun2 --ca "$O/ca.crt"
wait_until 30 log_has trusting \
    'TLS handshake failed.*(certificate verify failed|unable to get local issuer)' ||
    fail "(c2) the client did not refuse a server of another CA"
never_connected trusting
stop_bg trusting || true
pass "(c2) a client trusting another CA refuses the server:" \
    "$(grep -i 'TLS handshake failed' "$TMP/trusting.log" | tail -n 1)"

# (d) a client that expects another server name.
client_start wrongname A 192.0.2.1 alice --dev stun3 \
    --server-name other.example
wait_until 30 log_has wrongname 'TLS handshake failed.*hostname mismatch' ||
    fail "(d) the client did not refuse a server with another name"
never_connected wrongname
stop_bg wrongname || true
pass "(d) --server-name other.example is refused:" \
    "$(grep -i 'hostname mismatch' "$TMP/wrongname.log" | tail -n 1)"

# (e) the server kept serving: the session still passes traffic, and a new
# connection still succeeds.
client_connected a || fail "(e) the good client lost its session"
ping_ok A 198.18.0.1 || fail "(e) no ping through the tunnel after the refusals"
stop_bg a || fail "(e) the client did not exit cleanly on SIGTERM"
wait_until 30 stat_is "$SERVER_SOCK" server "" clients 0 ||
    fail "(e) the server still counts the client that left"
client_start a2 A 192.0.2.1 alice
wait_connected a2
ping_ok A 198.18.0.1 || fail "(e) no ping through a new session"
pass "(e) the server keeps serving: the session survived and alice reconnects"

# mkcerts_do ARGS...: certs/mkcerts on this run's certificates.
mkcerts_do() {
	"$MKCERTS" "$@" >>"$TMP/mkcerts.log" 2>&1 ||
	    fail "mkcerts $* failed: $(tail -n 5 "$TMP/mkcerts.log")"
}

# revoked_by_crl CRT: openssl itself finds CRT revoked by $C/crl.pem.
revoked_by_crl() {
	! openssl verify -crl_check_all -CAfile "$C/ca.crt" \
	    -CRLfile "$C/crl.pem" "$1" >"$TMP/verify.log" 2>&1 &&
	    grep -q -i 'certificate revoked' "$TMP/verify.log"
}
valid_by_crl() {
	openssl verify -crl_check_all -CAfile "$C/ca.crt" -CRLfile "$C/crl.pem" \
	    "$1" >/dev/null 2>&1
}

# The servers below read a crl at start, so each list gets a new server.
stop_bg a2 || fail "(f) alice did not exit cleanly on SIGTERM"
stop_bg server || fail "(f) the server did not exit cleanly on SIGTERM"

# (f0) positive control: with an empty list bob connects, so the refusal in
# (f) comes from his revocation, not from checking a list at all.
mkcerts_do --crl "$C"
valid_by_crl "$C/bob.crt" || fail "(f0) the empty list does not pass bob"
server_start crl0 -- --crl "$C/crl.pem"
client_b
wait_connected b
ping_ok B 198.18.0.1 || fail "(f0) no ping from bob with an empty crl"
stop_bg b || fail "(f0) bob did not exit cleanly on SIGTERM"
stop_bg crl0 || fail "(f0) the server did not exit cleanly on SIGTERM"
pass "(f0) with an empty crl bob connects and pings 198.18.0.1"

# (f) bob revoked: the server refuses him and keeps serving alice.
mkcerts_do --revoke bob "$C"
revoked_by_crl "$C/bob.crt" || fail "(f) openssl does not find bob revoked"
valid_by_crl "$C/alice.crt" || fail "(f) openssl finds alice revoked"
server_start crl -- --crl "$C/crl.pem"
client_start b2 B 198.51.100.1 bob
revoked_re='TLS handshake failed.*verify failed.*certificate revoked'
wait_until 30 log_has crl "$revoked_re" ||
    fail "(f) the server did not refuse bob's revoked certificate"
wait_until 30 log_has b2 'TLS handshake failed' ||
    fail "(f) bob's client did not log its refusal"
never_connected b2
stop_bg b2 || true
pass "(f) the server refuses revoked bob:" \
    "$(grep -i 'certificate revoked' "$TMP/crl.log" | tail -n 1)"
client_start a3 A 192.0.2.1 alice
wait_connected a3
ping_ok A 198.18.0.1 || fail "(f) no ping from alice through the crl server"
alive "${PID[crl]}" || fail "(f) the crl server is gone"
stop_bg a3 || fail "(f) alice did not exit cleanly on SIGTERM"
pass "(f) alice, not revoked, connects and pings through the same server"

# (g) a client with a crl refuses a revoked server; first, as a control,
# the same client accepts the server while it is not revoked.
client_start g0 A 192.0.2.1 alice --crl "$C/crl.pem"
wait_connected g0
ping_ok A 198.18.0.1 || fail "(g) no ping from a client with a crl"
stop_bg g0 || fail "(g) the client did not exit cleanly on SIGTERM"
mkcerts_do --revoke server "$C"
revoked_by_crl "$C/server.crt" ||
    fail "(g) openssl does not find the server revoked"
client_start g A 192.0.2.1 alice --crl "$C/crl.pem"
wait_until 30 log_has g "$revoked_re" ||
    fail "(g) the client did not refuse the revoked server"
never_connected g
stop_bg g || true
pass "(g) a client with a crl refuses the revoked server:" \
    "$(grep -i 'certificate revoked' "$TMP/g.log" | tail -n 1)"
stop_bg crl || fail "(g) the server did not exit cleanly on SIGTERM"

# (h) a list past its next update would fail every handshake: the server
# refuses to start with it, in one line, and exits 2.
( cd "$C/ca.db" && openssl ca -config openssl.cnf -batch -gencrl -crlsec 1 \
    -out ../expired-crl.pem ) >"$TMP/gencrl.log" 2>&1 ||
    fail "(h) cannot make a short-lived crl: $(cat "$TMP/gencrl.log")"
sleep 2	# let it expire; not an assertion
start_bg expired S "$SIMPLETUN" server --pool 198.18.0.0/24 --dev stun9 \
    --ca "$C/ca.crt" --cert "$C/server.crt" --key "$C/server.key" \
    --listen 0.0.0.0:1195 --crl "$C/expired-crl.pem"
rc=0
wait_bg expired 30 || rc=$?
[[ $rc -eq 2 ]] || fail "(h) the server exited $rc with an expired crl, want 2"
log_has expired "crl .*expired-crl.pem has expired" ||
    fail "(h) the server did not say the crl expired: $(cat "$TMP/expired.log")"
[[ $(wc -l <"$TMP/expired.log") -eq 1 ]] ||
    fail "(h) want one line: $(cat "$TMP/expired.log")"
pass "(h) an expired crl stops the server at startup: $(cat "$TMP/expired.log")"
check_logs
