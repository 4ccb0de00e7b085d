#!/usr/bin/env bash
# Hooks: up and down on both sides, client-connect and client-disconnect on
# the server. Each hook writes its environment (and its uid, and what it
# sees of tun) to a file; the values are checked. A client-connect that
# exits non-zero refuses that client, which logs why and gets no session;
# client-disconnect runs when a session ends, by SIGTERM of its client and
# by SIGKILL of every process of it (the server sees it by keepalive).
. "$(dirname "$0")/lib.sh"

topo_up A B H

# The hook: one file per run, $TMP/hooks/ROLE-EVENT[-CN].N; bob is refused.
mkdir "$TMP/hooks"
cat >"$TMP/hook" <<EOS
#!/bin/sh
n=0
name=$TMP/hooks/\$SIMPLETUN_ROLE-\$SIMPLETUN_EVENT\${SIMPLETUN_CN:+-\$SIMPLETUN_CN}
while [ -e "\$name.\$n" ]; do n=\$((n + 1)); done
{
	env | grep -E '^(SIMPLETUN_|PATH=)' | sort
	echo "UID=\$(id -u)"
	echo "TUN=\$(ip -4 -o addr show dev "\$SIMPLETUN_DEV" 2>/dev/null |
	    awk '{ print \$4 }')"
	echo "OTHER=\$(env | grep -v -E '^(SIMPLETUN_|PATH=|PWD=|SHLVL=|_=)' | wc -l)"
} >"\$name.tmp.\$n"
mv "\$name.tmp.\$n" "\$name.\$n"
[ "\$SIMPLETUN_EVENT" != client-connect ] || [ "\$SIMPLETUN_CN" != bob ] ||
	exit 3
exit 0
EOS
chmod 0755 "$TMP/hook"

H=(--up "$TMP/hook" --down "$TMP/hook")
server_start -- "${H[@]}" --client-connect "$TMP/hook" \
    --client-disconnect "$TMP/hook"
ran server-up.0 || fail "the server's up hook did not run before it listened"
is server-up.0 SIMPLETUN_EVENT up
is server-up.0 SIMPLETUN_ROLE server
is server-up.0 SIMPLETUN_DEV stun0
is server-up.0 SIMPLETUN_LOCAL_ADDR 198.18.0.1
is server-up.0 SIMPLETUN_PREFIX 24
is server-up.0 SIMPLETUN_POOL 198.18.0.0/24
is server-up.0 SIMPLETUN_MTU 1420
is server-up.0 SIMPLETUN_ROUTES 203.0.113.0/24
for v in LOCAL_ADDR6 PREFIX6 POOL6; do is server-up.0 SIMPLETUN_$v ""; done
is server-up.0 TUN 198.18.0.1/24
is server-up.0 UID 0
is server-up.0 OTHER 0
pass "server up: its variables, as root, tun configured, nothing else inherited"

client_a "${H[@]}"
wait_connected a
va=$(vaddr a)
wait_until 10 ran client-up.0 || fail "the client's up hook did not run"
ran server-client-connect-alice.0 || fail "client-connect did not run for alice"
f=server-client-connect-alice.0
is $f SIMPLETUN_CN alice
is $f SIMPLETUN_PEER_ADDR "$va"
is $f SIMPLETUN_PEER_ADDR6 ""
is $f SIMPLETUN_LOCAL_ADDR 198.18.0.1
is $f SIMPLETUN_DEV stun0
is $f UID 0
[[ $(val $f SIMPLETUN_REAL_ADDR) =~ ^192\.0\.2\.2:[0-9]+$ ]] ||
    fail "client-connect: SIMPLETUN_REAL_ADDR is '$(val $f SIMPLETUN_REAL_ADDR)'"
[[ $(val $f SIMPLETUN_SESSION_UID) -ge $SESSION_UIDS ]] ||
    fail "client-connect: SIMPLETUN_SESSION_UID is '$(val $f SIMPLETUN_SESSION_UID)'"
pass "client-connect: alice's CN, addresses and session uid, as root"
f=client-up.0
is $f SIMPLETUN_ROLE client
is $f SIMPLETUN_DEV stun0
is $f SIMPLETUN_LOCAL_ADDR "$va"
is $f SIMPLETUN_PREFIX 24
is $f SIMPLETUN_PEER_ADDR 198.18.0.1
for v in LOCAL_ADDR6 PREFIX6 PEER_ADDR6; do is $f SIMPLETUN_$v ""; done
is $f SIMPLETUN_MTU 1420
is $f SIMPLETUN_ROUTES 203.0.113.0/24
is $f SIMPLETUN_REMOTE 192.0.2.1:1194
is $f SIMPLETUN_SERVER_NAME server
is $f TUN "$va/24"
is $f UID 0
is $f OTHER 0
pass "client up: its variables, as root, once tun has its address"
ping_ok A 203.0.113.2
ping_ok H "$va"

# bob: refused by client-connect, and told why.
client_b
wait_until 30 log_has b "refused by the server's client-connect \(exit status 3\)" ||
    fail "bob does not log why client-connect refused him"
ran server-client-connect-bob.0 || fail "client-connect did not run for bob"
log_has server "refusing bob from 198\.51\.100\.2:[0-9]+: refused by the server's client-connect" ||
    fail "the server does not log the refusal"
! client_connected b || fail "bob got a session"
! ran server-client-disconnect-bob.0 ||
    fail "client-disconnect ran for a refused client"
# bob's session ends once the acceptor has reaped its processes.
wait_until 20 stat_is "$SERVER_SOCK" server "" clients 1 ||
    fail "the server still counts bob"
pass "a refusing client-connect: bob logs why and gets no session"
stop_bg b || true

# SIGTERM of alice's client: her down, and the server's client-disconnect.
stop_bg a
ran client-down.0 || fail "the client's down hook did not run"
is client-down.0 SIMPLETUN_LOCAL_ADDR "$va"
is client-down.0 SIMPLETUN_ROUTES 203.0.113.0/24
is client-down.0 TUN "$va/24"
wait_until 30 ran server-client-disconnect-alice.0 ||
    fail "client-disconnect did not run when alice's client ended"
is server-client-disconnect-alice.0 SIMPLETUN_PEER_ADDR "$va"
is server-client-disconnect-alice.0 SIMPLETUN_CN alice
pass "SIGTERM of the client: its down hook, then client-disconnect"

# SIGKILL of every process of alice's client: the server ends the session
# at the keepalive timeout and runs client-disconnect.
client_a "${H[@]}"
wait_connected a
wait_until 10 ran server-client-connect-alice.1
pids=("${PID[a]}" $(children_of "${PID[a]}"))
kill -KILL "${pids[@]}"
wait_until 10 gone_tree "${PID[a]}"
unset "PID[a]"
wait_until 60 ran server-client-disconnect-alice.1 ||
    fail "client-disconnect did not run after kill -9 of the client"
! ran client-down.1 || fail "a killed client ran its down hook"
pass "kill -9 of the client: client-disconnect runs on the server"

stop_bg server
ran server-down.0 || fail "the server's down hook did not run"
is server-down.0 SIMPLETUN_LOCAL_ADDR 198.18.0.1
is server-down.0 UID 0
pass "the server's down hook at its end, as root"

# With pool6, the same hooks get the IPv6 side too: the server's address,
# prefix and pool, IPv6 routes among the pushed ones, each client's IPv6
# address on both ends.
server_start -- "${H[@]}" --client-connect "$TMP/hook" \
    --client-disconnect "$TMP/hook" --pool6 2001:db8:1::/64 \
    --push-route 203.0.113.0/24 --push-route 2001:db8:ff::/64
f=server-up.1
is $f SIMPLETUN_LOCAL_ADDR6 2001:db8:1::1
is $f SIMPLETUN_PREFIX6 64
is $f SIMPLETUN_POOL6 2001:db8:1::/64
is $f SIMPLETUN_ROUTES "203.0.113.0/24 2001:db8:ff::/64"
client_a "${H[@]}"
wait_connected a
wait_until 10 ran client-up.2 || fail "the client's up hook did not run"
a6=$(stat_get "$TMP/a.sock" client "" vaddr6) ||
    fail "alice has no IPv6 address: $(status_dump "$TMP/a.sock")"
is server-client-connect-alice.2 SIMPLETUN_PEER_ADDR6 "$a6"
f=client-up.2
is $f SIMPLETUN_LOCAL_ADDR6 "$a6"
is $f SIMPLETUN_PREFIX6 64
is $f SIMPLETUN_PEER_ADDR6 2001:db8:1::1
[[ " $(val $f SIMPLETUN_ROUTES) " == *" 2001:db8:ff::/64 "* ]] ||
    fail "client up: SIMPLETUN_ROUTES '$(val $f SIMPLETUN_ROUTES)' lacks 2001:db8:ff::/64"
stop_bg a
wait_until 30 ran server-client-disconnect-alice.2 ||
    fail "client-disconnect did not run for alice's IPv6 session"
is server-client-disconnect-alice.2 SIMPLETUN_PEER_ADDR6 "$a6"
is client-down.1 SIMPLETUN_LOCAL_ADDR6 "$a6"
stop_bg server
is server-down.1 SIMPLETUN_POOL6 2001:db8:1::/64
pass "with pool6: the IPv6 addresses, prefix, pool and routes in every hook"

# A hook that cannot be run is a configuration error, named.
chmod 0644 "$TMP/hook"
rc=0
c=$TMP/certs
n S "$SIMPLETUN" server --ca "$c/ca.crt" --cert "$c/server.crt" \
    --key "$c/server.key" --pool 198.18.0.0/24 --up "$TMP/hook" \
    >"$TMP/bad.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || fail "a non-executable hook: exit $rc, expected 1"
grep -q "up: $TMP/hook: not executable" "$TMP/bad.out" ||
    fail "a non-executable hook: $(cat "$TMP/bad.out")"
pass "a non-executable hook is refused at start"
