#!/usr/bin/env bash
# Dead peer: when the client's link goes down both sides declare the peer
# dead after the keepalive timeout, the server frees the session, and when
# the link comes back the same client process reconnects by itself.
. "$(dirname "$0")/lib.sh"

topo_up A
server_start -- --keepalive 1 4
client_a --connect-retry 1 4
wait_connected a
ping_ok A 198.18.0.1 || fail "no ping through the tunnel"
CP=${PID[a]}
OLD_DATA=$(stat_get "$SERVER_SOCK" session cn=alice data_pid)
pass "connected with keepalive 1 4, pinging"

ipn A link set eth0 down
t0=$SECONDS
wait_until 30 stat_is "$SERVER_SOCK" server "" clients 0 ||
    fail "the server still counts the client $((SECONDS - t0)) s after its link went down"
pass "the server dropped the session after $((SECONDS - t0)) s"
wait_until 10 log_has server 'peer dead' ||
    fail "the server did not log 'peer dead'"
wait_until 30 log_has a 'peer dead' || fail "the client did not log 'peer dead'"
pass "both sides logged: $(grep -h -i 'peer dead' "$TMP/server.log" | tail -n 1)" \
    "/ $(grep -h -i 'peer dead' "$TMP/a.log" | tail -n 1)"
wait_until 10 stat_is "$SERVER_SOCK" server "" pool_used 0 ||
    fail "the dead client's address is still in use"
wait_until 10 stat_is "$SERVER_SOCK" guard "" routes 0 ||
    fail "the guard still routes to the dead client"
SP=${PID[server]}
wait_until 10 num -eq 0 guard_queues ||
    fail "the guard still holds $(guard_queues) queues"
[[ -z $(mq_list) ]] || fail "/dev/mqueue holds: $(mq_list | tr '\n' ' ')"
[[ $(children_of "$SP" | wc -l) -eq 1 ]] ||
    fail "the server has children $(children_of "$SP" | tr '\n' ' '), want the guard only"
pass "the dead session's address, route, queue and processes are gone"

ipn A link set eth0 up
t0=$SECONDS
wait_until 60 ping_ok A 198.18.0.1 ||
    fail "no ping through the tunnel within 60 s of the link coming back"
pass "the client reconnected by itself in $((SECONDS - t0)) s"
alive "$CP" || fail "the client process $CP ended"
wait_until 10 stat_is "$SERVER_SOCK" server "" clients 1 ||
    fail "server status: $(status_dump "$SERVER_SOCK")"
[[ $(stat_count "$SERVER_SOCK" session) -eq 1 ]] ||
    fail "want one session: $(status_dump "$SERVER_SOCK")"
[[ $(stat_get "$SERVER_SOCK" session cn=alice data_pid) != "$OLD_DATA" ]] ||
    fail "the session still has the dead session's data process"
client_connected a || fail "the client does not say state=connected"
pass "the server shows one session again"
check_logs
