#!/usr/bin/env bash
# Reload (SIGHUP) of a server in tap mode, as README.md "Reload, signals,
# kick" promises. A tap server started from a config file serves alice (A)
# and bob (B) on one segment. client-to-client no, by a reload: at once A
# and B no longer reach each other (ARP, ping; A's session counts the
# frames as blocked) but both reach the server, and both sessions stay
# (same control and data processes); back to yes: they reach each other
# again, and the server does not warn that it cannot turn on forwarding
# (the guard switches frames; the kernel forwards none in tap mode). A
# reload changing the restart-only tap directives (dev-type, mac-age,
# max-macs-per-client) names them in one line, keeps their old values and
# every session goes on. A session that starts after a reload
# to client-to-client no gets it (alice, restarted, cannot reach bob) and
# the old max-macs-per-client (a second MAC of hers is not refused).
. "$(dirname "$0")/lib.sh"

command -v arping >/dev/null || skip "no arping"
# Read whole before grep looks (see has in lib.sh); stderr is wanted too.
usage=$(arping --help 2>&1) && grep -q -e '-s <MAC>' <<<"$usage" ||
    skip "arping is not Thomas Habets' (no -s MAC)"
topo_up A B
C=$TMP/certs
# The server reads its file again as nobody.
chmod 0755 "$C"
CONF=$TMP/server.conf
SOCK=$TMP/server.sock

# write_conf [LINE...]: the server's file, with LINE... at its end (a
# directive given twice is an error, so dev-type comes from DEV_TYPE).
DEV_TYPE=tap
write_conf() {
	{
		cat <<-EOF
		listen 0.0.0.0:1194
		dev stap0
		dev-type $DEV_TYPE
		ca $C/ca.crt
		cert $C/server.crt
		key $C/server.key
		pool 198.18.0.0/24
		status-socket $SOCK
		keepalive 2 10
		session-users $SESSION_UIDS 2048
		EOF
		printf '%s\n' "$@"
	} >"$CONF.new"
	mv "$CONF.new" "$CONF"
}

sget() { stat_get "$SOCK" session "cn=$1" "$2"; }
# restart_lines MARK: how many "need a restart" lines since MARK.
restart_lines() {
	tail -c +"$(($1 + 1))" "$TMP/server.log" | grep -c 'need a restart' ||
	    true
}
# arping_ok NS IP: an ARP reply within 10 s; arping_fails NS IP: none to
# 3 requests within 5 s.
arping_ok() { n "$1" arping -q -c 3 -w 10 -i stap0 "$2"; }
arping_fails() { ! n "$1" arping -q -c 3 -w 5 -i stap0 "$2"; }
# processes NAME: a session's control and data pids.
processes() { echo "$(sget "$1" control_pid) $(sget "$1" data_pid)"; }

# both_reach_server: ARP and ping, each client <-> the server.
both_reach_server() {
	arping_ok A 198.18.0.1 || fail "arping A -> server ($1)"
	arping_ok B 198.18.0.1 || fail "arping B -> server ($1)"
	ping_ok A 198.18.0.1 || fail "ping A -> server ($1)"
	ping_ok B 198.18.0.1 || fail "ping B -> server ($1)"
	ping_ok S "$VA" || fail "ping server -> A ($1)"
	ping_ok S "$VB" || fail "ping server -> B ($1)"
}
# a_b_reach: ARP and ping, A <-> B.
a_b_reach() {
	arping_ok A "$VB" || fail "arping A -> B ($1)"
	arping_ok B "$VA" || fail "arping B -> A ($1)"
	ping_ok A "$VB" || fail "ping A -> B ($1)"
	ping_ok B "$VA" || fail "ping B -> A ($1)"
}
# a_b_blocked: neither ARP nor ping, A <-> B; alice's session counts
# what A sent to B's MAC (it knows it from before) as blocked.
a_b_blocked() {
	local before
	before=$(sget alice blocked)
	ping_fails A "$VB" || fail "ping A -> B works ($1)"
	ping_fails B "$VA" || fail "ping B -> A works ($1)"
	arping_fails A "$VB" || fail "arping A -> B answered ($1)"
	arping_fails B "$VA" || fail "arping B -> A answered ($1)"
	wait_until 20 num -gt "$before" sget alice blocked ||
	    fail "alice's session blocked nothing ($1): blocked=$(sget \
	    alice blocked), was $before"
	BLOCKED="$before -> $(sget alice blocked)"
}

write_conf
SERVER_SOCK=$SOCK
start_bg server S "$SIMPLETUN" server --config "$CONF"
SERVER_PIDS+=("${PID[server]}")
wait_until 30 server_ready server || fail "server did not come up"
has link/ether ipn S link show stap0 || fail "the server's stap0 is not a tap: $SEEN"
# bob comes back by himself if his session ends; it must not.
clients_ab --dev stap0 --dev-type tap --connect-retry 1 4
ALICE=$(processes alice)
BOB=$(processes bob)
same_sessions() {
	[[ $(processes alice) == "$ALICE" && $(processes bob) == "$BOB" ]] ||
	    fail "a session was replaced ($1): alice $(processes alice)" \
	    "(was $ALICE), bob $(processes bob) (was $BOB)"
	client_connected a && client_connected b ||
	    fail "a client is not connected ($1)"
}

# (1) client-to-client yes (the default): A <-> B.
a_b_reach "client-to-client yes"
both_reach_server "client-to-client yes"
MB=$(ipn B link show stap0 | awk '/link\/ether/ { print $2 }')
[[ $(ipn A neigh show "$VB" dev stap0) == *"lladdr $MB"* ]] ||
    fail "A does not know B's MAC $MB: $(ipn A neigh show dev stap0)"
pass "(1) tap, client-to-client yes: A ($VA) <-> B ($VB, $MB) ARP and ping;" \
    "sessions alice $ALICE, bob $BOB (control, data)"

# (2) client-to-client no, live: each data process hears it at once.
write_conf "client-to-client no"
mark=$(log_mark server)
hup 'reload 1: applied: .*client-to-client no'
wait_until 20 num -ge 2 \
    eval "tail -c +$((mark + 1)) '$TMP/server.log' | grep -c 'client-to-client off'" ||
    fail "the data processes did not turn client-to-client off"
[[ $(restart_lines "$mark") -eq 0 ]] ||
    fail "a restart was asked for though only client-to-client changed"
a_b_blocked "after the reload to client-to-client no"
both_reach_server "client-to-client no"
same_sessions "client-to-client no"
pass "(2) reload to client-to-client no: A and B no longer reach each other" \
    "(alice's blocked $BLOCKED), both reach the server; same sessions"

# (3) back to yes. The guard switches the frames, the server's kernel
# forwards none: with forwarding off on the tap, the server (now nobody)
# has nothing to turn on, nor to warn of.
n S sysctl -q -w net.ipv4.conf.stap0.forwarding=0
write_conf
mark=$(log_mark server)
hup 'reload 2: applied: .*client-to-client yes'
wait_until 20 num -ge 2 \
    eval "tail -c +$((mark + 1)) '$TMP/server.log' | grep -c 'client-to-client on'" ||
    fail "the data processes did not turn client-to-client on"
! log_since server "$mark" 'forwarding' ||
    fail "the server warned of forwarding in tap mode: $(grep -i \
    forwarding "$TMP/server.log" | tail -n 1)"
a_b_reach "after the reload back to client-to-client yes"
both_reach_server "client-to-client yes again"
same_sessions "client-to-client yes again"
pass "(3) reload back to client-to-client yes: A <-> B again (stap0 does" \
    "not forward, no warning of it); same sessions"

# (4) restart-only tap directives: named in one line, not applied.
DEV_TYPE=tun
write_conf "mac-age 60" "max-macs-per-client 1"
mark=$(log_mark server)
hup 'reload 3: applied: .*client-to-client yes'
wait_until 10 log_since server "$mark" \
    'reload: these need a restart and were not applied: dev-type, mac-age, max-macs-per-client$' ||
    fail "the restart-only tap directives were not named: $(tail -c \
    +"$((mark + 1))" "$TMP/server.log")"
[[ $(restart_lines "$mark") -eq 1 ]] || fail "more than one restart line"
has link/ether ipn S link show stap0 || fail "the server's stap0 changed: $SEEN"
a_b_reach "after a reload of restart-only directives"
both_reach_server "after a reload of restart-only directives"
same_sessions "after a reload of restart-only directives"
pass "(4) $(grep -o 'reload: these need.*' "$TMP/server.log" | tail -n 1);" \
    "the sessions go on"

# (5) client-to-client no (the restart-only changes stay in the file),
# then alice's client restarts: her new session has client-to-client no
# and the old dev-type and max-macs-per-client (4, not 1).
write_conf "client-to-client no" "mac-age 60" "max-macs-per-client 1"
mark=$(log_mark server)
hup 'reload 4: applied: .*client-to-client no'
wait_until 10 log_since server "$mark" \
    'reload: these need a restart and were not applied: dev-type, mac-age, max-macs-per-client$' ||
    fail "the restart-only tap directives were not named again"
stop_bg a || fail "client a did not exit cleanly"
wait_until 20 stat_is "$SOCK" server "" clients 1 ||
    fail "alice's session did not end: $(status_dump "$SOCK")"
client_start a A 192.0.2.1 alice --dev stap0 --dev-type tap
wait_connected a
VA=$(vaddr a)
[[ $(processes alice) != "$ALICE" ]] || fail "alice's session is the old one"
ALICE=$(processes alice)
# Her new tap has forgotten B's MAC: she is told it, so that what she
# sends to B is unicast (and counted as blocked), not an ARP broadcast.
ipn A neigh replace "$VB" lladdr "$MB" dev stap0 nud permanent
a_b_blocked "alice's new session after the reload to client-to-client no"
both_reach_server "alice's new session, client-to-client no"
same_sessions "alice's new session, client-to-client no"
FORGED=02:00:5e:ba:dd:02
macs=$(stat_get "$SOCK" guard "" macs)
n A arping -q -c 3 -w 10 -i stap0 -s "$FORGED" 198.18.0.1 ||
    fail "no ARP reply to alice's second MAC $FORGED (max-macs-per-client 1 applied?)"
wait_until 20 num -gt "$macs" stat_get "$SOCK" guard "" macs ||
    fail "the guard did not learn alice's second MAC: $(status_dump "$SOCK")"
stat_is "$SOCK" session cn=alice mac_refused 0 ||
    fail "alice's second MAC was refused: mac_refused=$(sget alice \
    mac_refused) (max-macs-per-client 1 applied to a new session)"
pass "(5) alice's new session ($ALICE) after a reload to client-to-client" \
    "no: cannot reach bob (blocked $BLOCKED), reaches the server; a tap" \
    "session (dev-type kept); her second MAC $FORGED is learned, not" \
    "refused (max-macs-per-client kept at 4)"

stop_bg a || fail "client a did not exit cleanly"
stop_bg b || fail "client b did not exit cleanly"
stop_bg server || fail "server did not exit cleanly"
check_logs
