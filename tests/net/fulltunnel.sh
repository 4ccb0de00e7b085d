#!/usr/bin/env bash
# Full tunnel. A client with redirect-gateway (its own, or pushed with
# push-redirect-gateway and taken with allow-full-tunnel) reaches I, a host
# only the server can reach and that has no route back to the pool, so
# the server's masquerade (an nftables table of its own) is what answers;
# the test adds no route on the client. The client's routing tables (IPv4
# and IPv6, every table) are exactly as before after SIGTERM of the
# client, after SIGKILL of its data process, and after SIGKILL of the whole
# client followed by its next start (which removes the host route the
# killed one left, as its state file says). The server's nftables table is
# gone after SIGTERM and after SIGKILL of the server. A server pushing
# 0.0.0.0/0 refuses to start with one line, and one with forwarding off
# warns.
#
#   C eth0 192.0.2.2/24 --- R ec 192.0.2.1/24 (C's default gateway)
#   R es 198.51.100.1/24 --- S eth0 198.51.100.2/24 (server)
#   S ei 203.0.113.1/24 --- I eth0 203.0.113.2/24 (no other route)
. "$(dirname "$0")/lib.sh"

require_root_net
command -v nft >/dev/null || skip "no nft command"
tmp_make
ns_add C R S I
veth C eth0 192.0.2.2/24 R ec 192.0.2.1/24
veth R es 198.51.100.1/24 S eth0 198.51.100.2/24
veth S ei 203.0.113.1/24 I eth0 203.0.113.2/24
ipn C route add default via 192.0.2.1
ipn S route add 192.0.2.0/24 via 198.51.100.1
n R sysctl -q -w net.ipv4.ip_forward=1
n S sysctl -q -w net.ipv4.ip_forward=1
certs_make

TABLE=simpletun-stun0

# Every route of C, every table, both families.
routes() {
	ipn C route show table all
	ipn C -6 route show table all
}
same_as_before() { [[ $(routes) == "$(<"$TMP/before.routes")" ]]; }
show_diff() { diff "$TMP/before.routes" <(routes) >&2 || true; }
# Link-local addresses are tentative for a moment after a link comes up.
settled() { [[ -z $(ipn C -6 addr show tentative) ]]; }
table_there() { n S nft list table ip "$TABLE" >/dev/null 2>&1; }
table_gone() { ! table_there; }

# ft_server NAME [EXTRA ARGS]: a server in S with no pushed route.
ft_server() {
	local name=$1 c=$TMP/certs
	shift
	SERVER_SOCK=$TMP/$name.sock
	start_bg "$name" S "$SIMPLETUN" server --listen 0.0.0.0:1194 \
	    --dev stun0 --ca "$c/ca.crt" --cert "$c/server.crt" \
	    --key "$c/server.key" --pool 198.18.0.0/24 \
	    --status-socket "$SERVER_SOCK" --keepalive 2 10 \
	    --session-users "$SESSION_UIDS" 2048 "$@"
	SERVER_PIDS+=("${PID[$name]}")
	wait_until 30 server_ready "$name" ||
	    fail "server $name did not come up (see $name.log)"
}
# ft_client [EXTRA ARGS]: client c in C; connect-retry 20 leaves a quiet
# gap after a session ends, so the table can be looked at.
ft_client() {
	client_start c C 198.51.100.2 alice --connect-retry 20 40 "$@"
}
data_pid() { stat_get "$TMP/c.sock" client "" data_pid; }
new_data_pid() {
	local p
	p=$(data_pid) && [[ $p != 0 && $p != "$1" ]]
}

wait_until 10 settled || fail "C's IPv6 addresses stay tentative"
routes >"$TMP/before.routes"
NETNS=$(n C stat -L -c %i /proc/self/ns/net)
STATE=/run/simpletun/client-$NETNS-stun0.routes
ping_fails C 203.0.113.2 || fail "C reaches I without the tunnel"
pass "C cannot reach I by itself"

# A server that pushes what every client refuses does not start.
server_refuses '^simpletun: push-route 0\.0\.0\.0/0: a client refuses it by default: route 0\.0\.0\.0/0 covers 0\.0\.0\.0/8 .* \(for a full tunnel: push-redirect-gateway\)$' \
    -- --push-route 0.0.0.0/0 || fail "a server pushing 0.0.0.0/0 started"
pass "push-route 0.0.0.0/0: refused at startup"

ft_server server --masquerade ei
table_there || fail "no nftables table $TABLE in S"
# Not a pipe into grep -q: under pipefail nft's SIGPIPE, when grep exits
# at the rule before nft wrote the closing lines, fails the check.
ruleset=$(n S nft list table ip "$TABLE")
grep -q 'oifname "ei" ip saddr 198.18.0.0/24 masquerade' <<<"$ruleset" ||
    fail "the table holds no masquerade rule: $ruleset"
! log_has server 'forwarding is off' || fail "a forwarding warning with forwarding on"
pass "server up with masquerade (table ip $TABLE)"

# The client's own redirect-gateway.
ft_client --redirect-gateway yes
wait_connected c
has 'dev stun0' ipn C route get 203.0.113.2 ||
    fail "I is not reached through the tunnel: $SEEN"
has 'via 192.0.2.1 dev eth0' ipn C route show 198.51.100.2/32 ||
    fail "no host route to the server: $(ipn C route show)"
[[ -s $STATE ]] || fail "no state file $STATE"
ping_ok C 203.0.113.2 || fail "no ping to I through the full tunnel"
ping_ok C 198.18.0.1 || fail "no ping to the server's tunnel address"
pass "redirect-gateway: I answers through the tunnel and the masquerade"

# SIGKILL of the data process: the session ends, every route it added
# goes, and after connect-retry it comes back.
DATA=$(data_pid)
kill -KILL "$DATA"
wait_until 15 same_as_before || {
	show_diff
	fail "C's routes after SIGKILL of the data process"
}
# the host route goes first, then the state file
wait_until 10 test ! -e "$STATE" || fail "the state file stays after the session ended"
pass "SIGKILL of data process $DATA: C's routes are as before"
wait_until 90 new_data_pid "$DATA" || fail "no new session after the kill"
wait_connected c
ping_ok C 203.0.113.2 || fail "no ping to I after reconnecting"
pass "reconnected, I answers again"

# SIGTERM of the client.
stop_bg c
same_as_before || { show_diff; fail "C's routes after SIGTERM of the client"; }
[[ ! -e $STATE ]] || fail "the state file stays after SIGTERM"
pass "SIGTERM of the client: C's routes are as before"

# SIGKILL of the whole client: its tun device and the routes on it go with
# it; the host route to the server stays until the next start removes it.
ft_client --redirect-gateway yes
wait_connected c
mapfile -t PROCS < <(echo "${PID[c]}"; children_of "${PID[c]}")
kill -KILL "${PROCS[@]}"
stop_bg c KILL || true
has 'via 192.0.2.1 dev eth0' ipn C route show 198.51.100.2/32 ||
    fail "the killed client's host route went already: $(ipn C route show)"
[[ -s $STATE ]] || fail "the killed client left no state file"
ft_client --redirect-gateway yes
wait_until 30 log_has c 'removed the route 198\.51\.100\.2/32 left by a killed client' ||
    fail "the next start did not remove the killed client's host route"
wait_connected c
ping_ok C 203.0.113.2 || fail "no ping to I after the restart"
stop_bg c
same_as_before || {
	show_diff
	fail "C's routes after SIGKILL of the client and a restart"
}
[[ ! -e $STATE ]] || fail "the state file stays"
pass "SIGKILL of the client (${#PROCS[@]} processes), restart, SIGTERM: C's routes are as before"

# The server ends: its table goes with it.
stop_bg server
table_gone || fail "table $TABLE stays after SIGTERM of the server"
pass "SIGTERM of the server: table $TABLE is gone"

# Pushed: push-redirect-gateway, taken with allow-full-tunnel.
ft_server pushed --masquerade ei --push-redirect-gateway yes
ft_client --allow-full-tunnel yes
wait_connected c
has 'dev stun0' ipn C route get 203.0.113.2 ||
    fail "pushed redirect: I not through the tunnel: $SEEN"
ping_ok C 203.0.113.2 || fail "no ping to I with push-redirect-gateway"
stop_bg c
same_as_before || { show_diff; fail "C's routes after the pushed full tunnel"; }
pass "push-redirect-gateway with allow-full-tunnel: I answers, C's routes as before"

# SIGKILL of the whole server: the kernel drops the table with its socket.
table_there || fail "no table in the second server"
mapfile -t PROCS < <(echo "${PID[pushed]}"; children_of "${PID[pushed]}")
kill -KILL "${PROCS[@]}"
stop_bg pushed KILL || true
wait_until 10 table_gone || fail "table $TABLE stays after SIGKILL of the server"
pass "SIGKILL of the server: table $TABLE is gone"

# Forwarding off: one warning line.
n S sysctl -q -w net.ipv4.ip_forward=0
ft_server nofwd --masquerade ei
[[ $(grep -c -i 'IPv4 forwarding is off' "$TMP/nofwd.log") -eq 1 ]] ||
    fail "no warning with forwarding off: $(cat "$TMP/nofwd.log")"
stop_bg nofwd
pass "forwarding off: $(grep -h -i 'forwarding is off' "$TMP/nofwd.log" | sed 's/^.*warning: //')"
check_logs
