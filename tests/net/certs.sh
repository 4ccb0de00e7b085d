#!/usr/bin/env bash
# Certificates: a good client connects; a TLS client without a certificate, a
# client whose certificate comes from another CA, a client that trusts
# another CA and a client expecting another server name are all refused, with
# the reason in the logs; the server keeps serving the good client.
. "$(dirname "$0")/lib.sh"

topo_up A
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
check_logs
