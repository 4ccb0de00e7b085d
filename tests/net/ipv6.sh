#!/usr/bin/env bash
# IPv6 inside the tunnel (issue 7 point 3): a server with pool and pool6,
# a host H behind it on 2001:db8:203::/64 (pushed as an IPv6 route), two
# clients. ping -6 and a checksummed TCP transfer client <-> server,
# client <-> H, client <-> client; status shows each session's IPv6
# address, and alice has her fixed-address from pool6; a forged inner IPv6
# source is dropped and counted; the client's tun has no IPv6 address or
# route left after it exits; bad pool6 and IPv6 push-route values stop the
# server with one line.
. "$(dirname "$0")/lib.sh"

topo_up A B H

POOL6=2001:db8:1::/64
SRV6=2001:db8:1::1
NET6=2001:db8:203::/64
H6=2001:db8:203::2
n S sysctl -q -w net.ipv6.conf.all.forwarding=1
ipn S addr add 2001:db8:203::1/64 dev eh nodad
ipn H addr add "$H6/64" dev eth0 nodad
ipn H route add "$POOL6" via 2001:db8:203::1

# --- startup refusals ----------------------------------------------------

server_refuses "pool6.*not an IPv6 network" -- --pool6 198.19.0.0/24
server_refuses "pool6.*prefix must be 64\.\.124" -- --pool6 2001:db8:1::/48
server_refuses "pool6.*prefix must be 64\.\.124" -- --pool6 2001:db8:1::/126
server_refuses "pool6.*host bits" -- --pool6 2001:db8:1::5/64
server_refuses "push-route 2001:db8:1::/80 overlaps pool6" -- \
    --pool6 "$POOL6" --push-route 2001:db8:1::/80
server_refuses "push-route ::/0: a client refuses it" -- \
    --pool6 "$POOL6" --push-route ::/0
server_refuses "push-route fe80::/64: a client refuses it.*link-local" -- \
    --pool6 "$POOL6" --push-route fe80::/64
server_refuses "IPv6 routes need pool6" -- --push-route "$NET6"
server_refuses "pool6.*reserved|clients would refuse.*::/8" -- \
    --pool6 ::ffff:0:0/104
pass "bad pool6 and IPv6 push-route values stop the server with one line"

# --- the tunnel ------------------------------------------------------------

server_start -- --pool6 "$POOL6" --push-route 203.0.113.0/24 \
    --push-route "$NET6" --fixed-address alice 2001:db8:1::66
client_a
client_b
wait_connected a
wait_connected b
A6=$(stat_get "$TMP/a.sock" client "" vaddr6) || fail "a has no vaddr6: $(status_dump "$TMP/a.sock")"
B6=$(stat_get "$TMP/b.sock" client "" vaddr6) || fail "b has no vaddr6"
[[ $A6 == 2001:db8:1::66 ]] ||
    fail "alice has $A6, not her fixed-address 2001:db8:1::66"
[[ $B6 == 2001:db8:1::* && $A6 != "$B6" ]] || fail "vaddr6 '$A6' and '$B6'"
stat_is "$SERVER_SOCK" session cn=alice vaddr6 "$A6" ||
    fail "server status: $(status_dump "$SERVER_SOCK")"
stat_is "$SERVER_SOCK" session cn=bob vaddr6 "$B6" ||
    fail "server status: $(status_dump "$SERVER_SOCK")"
stat_is "$SERVER_SOCK" server "" address6 "$SRV6" ||
    fail "server status: $(status_dump "$SERVER_SOCK")"
has "\"vaddr6\": *\"$A6\"" \
    "$SIMPLETUN" status --json --status-socket "$SERVER_SOCK" ||
    fail "no vaddr6 $A6 in the JSON status: $SEEN"
has stun0 ipn A -6 route show "$NET6" ||
    fail "A has no route to $NET6 on stun0: $(ipn A -6 route)"
say "alice is $A6, bob is $B6"
pass "each session has an IPv6 address from pool6 (status text and JSON)"

for size in 56 4000; do
	ping_ok A "$SRV6" -6 -s $size || fail "A -> server $SRV6, -s $size"
	ping_ok A "$H6" -6 -s $size || fail "A -> H $H6, -s $size"
	ping_ok H "$A6" -6 -s $size || fail "H -> A $A6, -s $size"
	ping_ok A "$B6" -6 -s $size || fail "A -> B $B6, -s $size"
	ping_ok B "$A6" -6 -s $size || fail "B -> A $A6, -s $size"
	ping_ok S "$B6" -6 -s $size || fail "S -> B $B6, -s $size"
done
pass "ping -6 (56 and 4000 bytes) A->S, A->H, H->A, A->B, B->A, S->B"

head -c 8M /dev/urandom >"$TMP/big"
for t in "A S $SRV6 5001" "S A $A6 5002" "A H $H6 5003" "H B $B6 5004" \
    "A B $B6 5005"; do
	read -r from to addr port <<<"$t"
	transfer_ok "$from" "$to" "$addr" "$port" "$TMP/big"
	pass "8 MB $from -> $to [$addr] over IPv6, sha256 matches" \
	    "($TRANSFER_SECONDS s)"
done
rm -f "$TMP"/recv.* "$TMP/big"

# --- a forged inner IPv6 source ---------------------------------------------

FORGED=2001:db8:1::77
ipn A addr add "$FORGED/128" dev stun0 nodad
before=$(stat_get "$SERVER_SOCK" session cn=alice bad_source)
ping_fails A "$SRV6" -6 -I "$FORGED" ||
    fail "a forged inner source $FORGED got an answer"
wait_until 10 num -ge $((before + 3)) stat_get "$SERVER_SOCK" session cn=alice bad_source ||
    fail "alice's bad_source went from $before to $(stat_get "$SERVER_SOCK" session cn=alice bad_source), want +3"
ping_ok A "$SRV6" -6 -I "$A6" || fail "A -> $SRV6 from its own address"
pass "a forged inner IPv6 source is dropped (bad_source $before ->" \
    "$(stat_get "$SERVER_SOCK" session cn=alice bad_source))"

# --- the client takes its IPv6 away ---------------------------------------

stop_bg a || fail "client a did not exit cleanly on SIGTERM"
# The tun may be gone with its client; if it is still there, it is bare.
left=
if ipn A link show stun0 >/dev/null 2>&1; then
	left=$(ipn A -6 addr show dev stun0 scope global)
	left+=$(ipn A -6 route show dev stun0 | grep -v '^fe80' || true)
fi
[[ -z $left ]] || fail "A's stun0 keeps IPv6 after the client ended: $left"
pass "client a left no IPv6 address or route on its tun"
stop_bg b || fail "client b did not exit cleanly on SIGTERM"
stop_bg server || fail "the server did not exit cleanly on SIGTERM"
check_logs
