#!/usr/bin/env bash
# Reload, SIGUSR1/SIGUSR2 and kick. A server started from a config file
# serves alice (A, with a slow checksummed TCP transfer running) and bob
# (B). Then the file changes push-route and max-clients, bob's certificate
# is revoked, and SIGHUP: alice's session and transfer go on untouched, bob
# is ended with a BYE he logs as a revocation and is refused from then on, a
# new client (carol) gets the new push-route, and a client beyond the new
# max-clients (dave) is refused; carol's new fixed-address applies. A changed listen is named in one
# "needs a restart" line; a file that does not parse, or fails the checks,
# is refused in one line and the server keeps serving; client-to-client
# goes off and on for the live sessions. SIGUSR1 and SIGUSR2
# log the status and the counters and leave every process and queue as they
# were. `simpletun kick alice` ends alice's session with a BYE she logs,
# and she reconnects.
. "$(dirname "$0")/lib.sh"

topo_up A B H
C=$TMP/certs
certs_make "$C" carol dave
"$MKCERTS" --crl "$C" >>"$TMP/mkcerts.log" 2>&1 || fail "mkcerts --crl failed"
# The server reads its file and CRL again as nobody.
chmod 0755 "$C"
CONF=$TMP/server.conf
SOCK=$TMP/server.sock

# write_conf PUSH_ROUTE MAX_CLIENTS LISTEN [EXTRA LINE]
write_conf() {
	cat >"$CONF.new" <<-EOF
	listen $3
	dev stun0
	ca $C/ca.crt
	cert $C/server.crt
	key $C/server.key
	crl $C/crl.pem
	pool 198.18.0.0/24
	push-route $1
	max-clients $2
	status-socket $SOCK
	keepalive 2 10
	session-users $SESSION_UIDS 2048
	${4:-}
	$FIXED
	EOF
	mv "$CONF.new" "$CONF"
}

sget() { stat_get "$SOCK" session "cn=$1" "$2"; }
server_alive() { alive "${PID[server]}"; }

FIXED=
write_conf 203.0.113.0/24 8 0.0.0.0:1194
SERVER_SOCK=$SOCK
start_bg server S "$SIMPLETUN" server --config "$CONF"
SERVER_PIDS+=("${PID[server]}")
wait_until 30 server_ready server || fail "server did not come up"

client_a
client_b --connect-retry 1 4
wait_connected a
wait_connected b
has stun0 ipn A route show 203.0.113.0/24 ||
    fail "alice did not get push-route 203.0.113.0/24: '$SEEN'"
A_CTL=$(sget alice control_pid)
A_DATA=$(sget alice data_pid)
pass "alice and bob are connected; alice's control process is $A_CTL"

# A transfer that takes at least 20 s (400 x 32 KiB, 50 ms apart), so the
# reload happens in its middle.
head -c $((400 * 32768)) /dev/urandom >"$TMP/big"
BIGSUM=$(sha256sum <"$TMP/big" | cut -d' ' -f1)
OUT=$TMP/recv
start_bg recv S socat -u TCP-LISTEN:5001,bind=198.18.0.1,reuseaddr \
    "OPEN:$OUT,creat,trunc"
wait_until 10 listening S 5001 || fail "socat in S does not listen on 5001"
start_bg send A timeout 300 bash -c '
	for ((i = 0; i < 400; i++)); do
		dd if="$1" bs=32768 skip=$i count=1 status=none
		sleep 0.05
	done | socat -u - TCP:198.18.0.1:5001' send "$TMP/big"
received() { stat -c %s "$OUT" 2>/dev/null || echo 0; }
wait_until 60 num -ge 1000000 received ||
    fail "the transfer did not reach 1 MB ($(received) bytes)"

# (1) push-route and max-clients change, carol gets a fixed address, bob
# is revoked, SIGHUP.
FIXED="fixed-address carol 198.18.0.100"
write_conf 203.0.113.128/25 2 0.0.0.0:1194
"$MKCERTS" --revoke bob "$C" >>"$TMP/mkcerts.log" 2>&1 ||
    fail "mkcerts --revoke bob failed"
AT=$(received)
[[ $AT -lt $((400 * 32768)) ]] || fail "the transfer ended before the reload"
mark=$(log_mark server)
b_mark=$(log_mark b)
a_mark=$(log_mark a)
hup 'reload 1: applied'
log_since server "$mark" \
    'reload 1: applied: 1 push-route, 1 fixed-address, max-clients 2' ||
    fail "the reload did not apply push-route and max-clients"
! log_since server "$mark" 'need a restart' ||
    fail "a restart was asked for though only reloadable directives changed"
pass "(1) SIGHUP at byte $AT of the transfer: $(grep -o 'reload 1: applied.*' \
    "$TMP/server.log")"

wait_until 30 log_since b "$b_mark" \
    'ended the session; it said goodbye: certificate revoked' ||
    fail "bob did not log that the server ended his session as revoked"
wait_until 30 log_since server "$mark" \
    'TLS handshake failed.*revoked' ||
    fail "bob's reconnection was not refused as revoked"
for ((i = 0; i < 15; i++)); do
	! client_connected b || fail "bob connected again after his revocation"
	! sget bob vaddr >/dev/null || fail "bob has a session again"
	sleep 0.2
done
pass "(2) bob: $(grep -o 'server .* ended the session.*' "$TMP/b.log" |
    tail -n 1); refused since: $(grep -o 'TLS handshake failed.*' \
    "$TMP/server.log" | tail -n 1)"
stop_bg b || true

[[ $(sget alice control_pid) == "$A_CTL" && $(sget alice data_pid) == \
    "$A_DATA" ]] || fail "alice's session was replaced by the reload"
! log_since a "$a_mark" 'reconnecting|ended the session' ||
    fail "alice's client saw its session end"
wait_bg send 300 || fail "alice's transfer failed"
wait_bg recv 30 || fail "the receiver in S failed"
[[ $(sha256sum <"$OUT" | cut -d' ' -f1) == "$BIGSUM" ]] ||
    fail "the transfer arrived changed ($(received) bytes)"
[[ $(sget alice control_pid) == "$A_CTL" ]] ||
    fail "alice's session ended during the transfer"
pass "(3) alice's session (control $A_CTL) lived through it, and her" \
    "$((400 * 32768)) bytes arrived whole"

# (4) a new client gets the new push-route and fixed address; alice keeps
# her route.
client_start carol B 198.51.100.1 carol
wait_connected carol
[[ $(vaddr carol) == 198.18.0.100 ]] ||
    fail "carol got $(vaddr carol), not her new fixed address 198.18.0.100"
has stun0 ipn B route show 203.0.113.128/25 ||
    fail "carol did not get the new push-route 203.0.113.128/25: '$SEEN'"
! has stun0 ipn B route show 203.0.113.0/24 ||
    fail "carol got the old push-route 203.0.113.0/24: $SEEN"
has stun0 ipn A route show 203.0.113.0/24 ||
    fail "alice lost the route she was given: '$SEEN'"
pass "(4) carol connects as 198.18.0.100 with push-route 203.0.113.128/25"

# (5) max-clients 2 with alice and carol up: dave is refused, no one ends.
mark=$(log_mark server)
client_start dave B 198.51.100.1 dave --dev stun1
wait_until 30 log_since server "$mark" 'refusing dave.*max-clients reached' ||
    fail "dave was not refused by max-clients 2"
wait_until 30 log_has dave 'refused the session: max-clients reached' ||
    fail "dave did not log his refusal"
stop_bg dave || true
client_connected a && client_connected carol ||
    fail "a session ended when dave was refused"
pass "(5) dave is refused: $(grep -o 'refusing dave.*' "$TMP/server.log" |
    tail -n 1)"

# (6) listen cannot change while running: one line names it.
write_conf 203.0.113.128/25 2 0.0.0.0:1195
mark=$(log_mark server)
hup 'reload 2: applied'
wait_until 10 log_since server "$mark" \
    'reload: these need a restart and were not applied: listen$' ||
    fail "the changed listen was not named as needing a restart"
[[ $(tail -c +"$((mark + 1))" "$TMP/server.log" | grep -c 'need a restart') \
    -eq 1 ]] || fail "more than one restart line"
listening S 1194 || fail "the server left port 1194"
! listening S 1195 || fail "the server took 1195: $SEEN"
pass "(6) $(grep -o 'reload: these need.*' "$TMP/server.log" | tail -n 1)"

# (7) a file that does not parse, then one that fails the checks: refused,
# the running configuration stays, the server serves.
write_conf 203.0.113.128/25 2 0.0.0.0:1194 "no-such-directive 1"
hup 'reload refused, the running configuration stays: .*server.conf:13: unknown directive'
write_conf 203.0.113.128/25 2 0.0.0.0:1194 "fixed-address erin 10.9.9.9"
hup 'reload refused, the running configuration stays: fixed-address: 10.9.9.9'
server_alive || fail "the server ended on a broken configuration"
[[ $(sget alice control_pid) == "$A_CTL" ]] || fail "alice's session ended"
ping_ok A 198.18.0.1 || fail "alice's tunnel does not carry traffic"
pass "(7) broken files are refused: $(grep -o 'reload refused.*' \
    "$TMP/server.log" | tr '\n' '|')"

# (7b) client-to-client changes for the sessions that are up, both ways.
CAROL=$(vaddr carol)
ping_ok A "$CAROL" || fail "alice cannot reach carol with client-to-client yes"
write_conf 203.0.113.128/25 2 0.0.0.0:1194 "client-to-client no"
mark=$(log_mark server)
hup 'applied: .*client-to-client no'
# "applied" is logged once the data processes were told; each says when it
# has acted on it
wait_until 20 num -ge 2 \
    eval "tail -c +$((mark + 1)) '$TMP/server.log' | grep -c 'client-to-client off'" ||
    fail "alice's and carol's data processes did not turn client-to-client off"
ping_fails A "$CAROL" || fail "alice still reaches carol with client-to-client no"
ping_ok A 198.18.0.1 || fail "alice cannot reach the server"
write_conf 203.0.113.128/25 2 0.0.0.0:1194
mark=$(log_mark server)
hup 'applied: .*client-to-client yes'
ping_ok A "$CAROL" || fail "alice cannot reach carol again"
# stun0 forwards since the start (client-to-client yes then): nothing for
# the server, now nobody, to turn on, nor to warn of.
! log_since server "$mark" 'cannot turn on forwarding' ||
    fail "the server warned of forwarding that is on: $(grep -i \
    'cannot turn on forwarding' "$TMP/server.log" | tail -n 1)"
[[ $(sget alice control_pid) == "$A_CTL" ]] || fail "alice's session ended"
pass "(7b) client-to-client no, then yes, for the live sessions of alice" \
    "and carol ($CAROL)"

# (8) SIGUSR1 and SIGUSR2: logged, nothing ends, queues as they were.
Q=$(guard_queues)
C_CTL=$(sget carol control_pid)
mark=$(log_mark server)
kill -USR1 "${PID[server]}"
wait_until 10 log_since server "$mark" 'status: session cn=alice' ||
    fail "SIGUSR1 did not log the status table"
kill -USR2 "${PID[server]}"
wait_until 10 log_since server "$mark" 'counters: clients=2 ' ||
    fail "SIGUSR2 did not log the counters"
for pid in "${PID[server]}" "$A_CTL" "$A_DATA" "$C_CTL" \
    "$(stat_get "$SOCK" guard "" pid)"; do
	alive "$pid" || fail "process $pid ended after SIGUSR1/SIGUSR2"
done
[[ $(guard_queues) -eq $Q && $Q -eq 2 ]] ||
    fail "the guard holds $(guard_queues) queues, had $Q"
[[ -z $(mq_list) ]] || fail "named queues appeared: $(mq_list)"
ping_ok A 198.18.0.1 || fail "alice's tunnel does not carry traffic"
pass "(8) SIGUSR1/SIGUSR2: $(grep -c 'status: ' "$TMP/server.log") status" \
    "lines and '$(grep -o 'counters: [a-z_=0-9 ]*' "$TMP/server.log" |
    head -c 60)...'; $Q queues before and after"

# (9) kick: alice's session ends with a BYE she logs; she reconnects.
a_mark=$(log_mark a)
out=$("$SIMPLETUN" kick alice --status-socket "$SOCK") ||
    fail "simpletun kick alice failed: $out"
[[ $out == "kicked cn=alice sessions=1" ]] || fail "kick said: $out"
wait_until 20 log_since a "$a_mark" \
    'ended the session; it said goodbye: session ended by the server.s administrator \(kick\)' ||
    fail "alice did not log the kick"
wait_until 30 log_since a "$a_mark" 'reconnecting in 1 s' ||
    fail "alice did not plan to reconnect"
new_ctl() { [[ $(sget alice control_pid) != "$A_CTL" ]]; }
wait_until 30 new_ctl || fail "alice did not come back"
wait_connected a
ping_ok A 198.18.0.1 || fail "alice's new session does not carry traffic"
client_connected carol || fail "carol's session ended with alice's kick"
rc=0
out=$("$SIMPLETUN" kick nobody-here --status-socket "$SOCK") || rc=$?
[[ $rc -eq 1 && $out == *"no session of cn=nobody-here"* ]] ||
    fail "kicking an unknown CN gave $rc: $out"
pass "(9) kick: $(grep -o 'server .* ended the session.*' "$TMP/a.log" |
    tail -n 1); alice is back (control $(sget alice control_pid))"

check_logs
