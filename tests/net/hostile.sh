#!/usr/bin/env bash
# A hostile server: a real server configured to push what no client should
# take (a route inside the client's LAN, a full tunnel, a route over the
# server's own address, an address in the client's LAN). For each the
# client logs one line naming what it refused, never comes up, keeps
# retrying, and its addresses and routes stay exactly as they were; a good
# server afterwards works. route-nopull and pull-filter ignore bring a
# session up without the routes they drop; allow-full-tunnel takes a full
# tunnel. What every client refuses whatever its host (multicast, an
# address in 127.0.0.0/8, MTU 9000, keepalive 301 s, a pushed 0.0.0.0/1)
# the server refuses to start with. When a session ends (its data process
# killed, or the whole client stopped or killed) the client's addresses
# and routes are as before.
#
#   A eth0 192.0.2.2/24 --- S (server, 192.0.2.1)
#   A lan0 198.51.100.2/24 --- L eth0 198.51.100.1/24, A's default gateway
#   H 203.0.113.2/24 behind S
. "$(dirname "$0")/lib.sh"

topo_up A H
ns_add L
veth A lan0 198.51.100.2/24 L eth0 198.51.100.1/24
ipn A route add default via 198.51.100.1

# The client host's addresses and routes as text. The kernel gives a
# device a qdisc the first time it comes up and keeps it after: not an
# address or a route, so that word is left out.
netstate() {
	{
		ipn A addr show
		ipn A -4 route show table all
		ipn A -6 route show table all
	} | sed -E 's/ qdisc [^ ]+//'
}
# Link-local addresses are tentative for a moment after a link comes up.
settled() { [[ -z $(ipn A -6 addr show tentative) ]]; }
same_as() { [[ $(netstate) == "$(<"$TMP/$1.net")" ]]; }
show_diff() { diff "$TMP/$1.net" <(netstate) >&2 || true; }

wait_until 10 settled || fail "A's IPv6 addresses stay tentative"
netstate >"$TMP/before-client.net"

# log_count NAME MARK REGEX: lines matching REGEX logged after MARK.
log_count() {
	tail -c +"$(($2 + 1))" "$TMP/$1.log" 2>/dev/null |
	    grep -c -i -E -- "$3" || true
}

# The client starts before any server listens: its tun device exists, down
# and without an address, and that is the state every session must leave.
client_a --connect-retry 2 4
wait_until 10 ipn A link show stun0 || fail "the client made no stun0"
wait_until 10 log_has a 'reconnecting' || fail "the client never retried"
wait_until 10 settled || fail "A's IPv6 addresses stay tentative"
netstate >"$TMP/before.net"

# refused WHAT -- SERVER ARGS...: a server pushing something bad. The
# client refuses it at least twice (it retries), each time with the one
# line "refusing the CONFIG of 192.0.2.1:1194: WHAT" and no other line
# about a CONFIG, never says it is connected, and A stays as it was.
CASE=0
refused() {
	local what=$1 mark n
	shift 2
	CASE=$((CASE + 1))
	mark=$(log_mark a)
	server_start "evil$CASE" -- "$@"
	wait_until 30 num -ge 2 log_count a "$mark" "refusing the CONFIG" ||
	    fail "no refusal of: $what (server: $*)"
	stop_bg "evil$CASE"
	n=$(log_count a "$mark" "refusing the CONFIG of 192\.0\.2\.1:1194: $what\$")
	[[ $n -ge 2 && $n -eq $(log_count a "$mark" 'CONFIG') ]] ||
	    fail "want each refusal to read '$what': $(tail -c +"$((mark + 1))" "$TMP/a.log")"
	[[ $(log_count a "$mark" 'connected') -eq 0 ]] ||
	    fail "connected after a refusal: $(tail -c +"$((mark + 1))" "$TMP/a.log")"
	# Between attempts a client is waiting, during one connecting.
	[[ $(stat_get "$TMP/a.sock" client "" state) =~ ^(connecting|waiting)$ ]] ||
	    fail "client status: $(status_dump "$TMP/a.sock")"
	same_as before || { show_diff before; fail "A changed after: $what"; }
	alive "${PID[a]}" || fail "the client ended"
	pass "refused $n times, A unchanged: $(grep -h 'refusing' "$TMP/a.log" | tail -n 1 | sed 's/.*refusing/refusing/')"
}

refused 'route 198\.51\.100\.128/25 lies inside the client.s network 198\.51\.100\.0/24' \
    -- --push-route 198.51.100.128/25
refused "route 198\.51\.100\.1/32 lies inside the client.s network 198\.51\.100\.0/24" \
    -- --push-route 198.51.100.1/32
refused 'route 0\.0\.0\.0/1 covers .* and allow-full-tunnel is no' \
    -- --push-redirect-gateway yes
refused "route 192\.0\.2\.1/32 covers the server.s address 192\.0\.2\.1 and allow-full-tunnel is no" \
    -- --push-route 192.0.2.1/32
refused "address 198\.51\.100\.2/24 overlaps the client.s network 198\.51\.100\.0/24" \
    -- --pool 198.51.100.0/24

# What a client refuses whatever its host, the server refuses to start
# with (the same msg_config_judge), rather than start and be refused by
# every client on every try.
server_refuses '^simpletun: push-route 0\.0\.0\.0/1: a client refuses it by default: route 0\.0\.0\.0/1 covers .* \(for a full tunnel: push-redirect-gateway\)$' \
    -- --push-route 0.0.0.0/1 --push-route 128.0.0.0/1 ||
    fail "a server pushing 0.0.0.0/1 started"
server_refuses '^simpletun: push-route 224\.0\.0\.0/4: a client refuses it by default: route 224\.0\.0\.0/4 lies in 224\.0\.0\.0/4 \(multicast\)$' \
    -- --push-route 224.0.0.0/4 || fail "a server pushing 224.0.0.0/4 started"
server_refuses "^simpletun: clients would refuse this server's CONFIG: address 127\.0\.0\.2/8 overlaps 127\.0\.0\.0/8 \(loopback\)$" \
    -- --pool 127.0.0.0/8 || fail "a server with pool 127.0.0.0/8 started"
server_refuses "^simpletun: clients would refuse this server's CONFIG: mtu 9000 is outside 576\.\.8940$" \
    -- --mtu 9000 || fail "a server with mtu 9000 started"
server_refuses "^simpletun: clients would refuse this server's CONFIG: keepalive 301 3600 is outside interval 1\.\.300, timeout interval\+1\.\.3600$" \
    -- --keepalive 301 3600 || fail "a server with keepalive 301 started"
pass "servers pushing what every client refuses do not start"

# A good server: the same client comes up and traffic flows.
server_start
wait_connected a
ping_ok A 198.18.0.1 || fail "no ping to the server through the tunnel"
ping_ok A 203.0.113.2 || fail "no ping to H through the tunnel"
has 'dev stun0' ipn A route show 203.0.113.0/24 ||
    fail "no pushed route: $(ipn A route show)"
pass "a good server afterwards: connected, pings through the tunnel"

# A session that ends because its data process is gone takes its address
# and routes with it; the client reconnects (after connect-retry's 2 s)
# and works again.
DATA=$(stat_get "$TMP/a.sock" client "" data_pid)
kill -TERM "$DATA"
wait_until 10 same_as before || {
	show_diff before
	fail "A's addresses and routes after the data process ended"
}
pass "data process $DATA ended: A's addresses and routes are as before"
wait_connected a
ping_ok A 203.0.113.2 || fail "no ping to H after reconnecting"
pass "reconnected from a clean state, pinging"

# SIGTERM of the whole client: A is as before the client started.
stop_bg a
same_as before-client || {
	show_diff before-client
	fail "A's addresses and routes after SIGTERM of the client"
}
pass "SIGTERM of the client: A's addresses and routes are as before it"

# route-nopull: up, with the server's address and no pushed route.
client_a --route-nopull yes
wait_connected a
ping_ok A 198.18.0.1 || fail "no ping to the server with route-nopull"
has 203.0.113 ipn A route show && fail "route-nopull took a route: $SEEN"
ping_fails A 203.0.113.2 || fail "H reachable without its route"
log_has a 'ignoring the 1 pushed routes \(route-nopull\)' ||
    fail "route-nopull was not logged"
stop_bg a
same_as before-client || fail "A changed after the route-nopull session"
pass "route-nopull: connected without the pushed route"

# pull-filter ignore drops the bad route, keeps the good one, and the
# session comes up.
stop_bg server
server_start -- --push-route 203.0.113.0/24 --push-route 198.51.100.128/25
client_a --pull-filter ignore 198.51.100.0/24
wait_connected a
ping_ok A 203.0.113.2 || fail "no ping to H with pull-filter"
ping_ok A 198.51.100.1 || fail "no ping to the LAN gateway with pull-filter"
has '198.51.100.128/25' ipn A route show && fail "pull-filter took it: $SEEN"
log_has a 'ignoring pushed route 198\.51\.100\.128/25 \(pull-filter ignore 198\.51\.100\.0/24\)' ||
    fail "the ignored route was not logged"
pass "pull-filter ignore: connected without 198.51.100.128/25"

# SIGKILL of the whole client (parent and children at once): the kernel
# deletes its tun device, and with it the session's address and routes.
mapfile -t PROCS < <(echo "${PID[a]}"; children_of "${PID[a]}")
kill -KILL "${PROCS[@]}"
stop_bg a KILL || true
wait_until 10 same_as before-client || {
	show_diff before-client
	fail "A's addresses and routes after SIGKILL of the client"
}
pass "SIGKILL of the client (${#PROCS[@]} processes): A is as before it"

# allow-full-tunnel takes 0.0.0.0/1 and 128.0.0.0/1 (push-redirect-gateway);
# the LAN, its gateway
# and the server stay on their longer routes.
stop_bg server
server_start -- --push-redirect-gateway yes --push-route 203.0.113.0/24
client_a --allow-full-tunnel yes
wait_connected a
has 'dev stun0' ipn A route get 8.8.8.8 || fail "8.8.8.8 not tunnelled: $SEEN"
has 'dev lan0' ipn A route get 198.51.100.1 || fail "LAN tunnelled: $SEEN"
has 'dev eth0' ipn A route get 192.0.2.1 || fail "server tunnelled: $SEEN"
ping_ok A 203.0.113.2 || fail "no ping to H in a full tunnel"
ping_ok A 198.51.100.1 || fail "no ping to the LAN gateway in a full tunnel"
pass "allow-full-tunnel: 8.8.8.8 goes through the tunnel, the LAN does not"

# SIGKILL of the client's parent alone: its children see it gone and end,
# the last tun fd closes, and A is as before.
kill -KILL "${PID[a]}"
stop_bg a KILL || true
wait_until 10 same_as before-client || {
	show_diff before-client
	fail "A's addresses and routes after SIGKILL of the client's parent"
}
pass "SIGKILL of the client's parent: A is as before it"
! log_has a 'remove route|unconfigure' ||
    fail "the client could not take a session's settings away: $(grep -h -E 'remove route|unconfigure' "$TMP/a.log")"
check_logs
