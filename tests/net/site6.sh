#!/usr/bin/env bash
# Site-to-site over IPv6: a server with pool6 and `client-network alice
# 2001:db8:5::/64` (host L6 in it, behind client A) and a host H on
# 2001:db8:203::/64 behind the server reach each other through the tunnel:
# pings and checksummed TCP transfers both ways. Client B gets A's network
# pushed as an IPv6 route and reaches L6; B cannot send from a source inside
# A's network (dropped, counted as bob's bad_source, never on H's wire).
# While A is away its network's packets are dropped and counted by the
# guard (net_down), and flow again once A is back. With client-to-client
# off, B gets no route and its packets to L6 are blocked. A client with
# pull-filter ignore 2001:db8:5::/48 drops that pushed route (one log
# line) and keeps H's. Bad IPv6 client-network configurations stop the
# server with one line.
#
#   L6 eth0 2001:db8:5::2/64 --- lan0 2001:db8:5::1/64 A eth0 192.0.2.2 --- S
#   (L6's default route via A; A forwards IPv6, as its admin would set up)
#   H eth0 2001:db8:203::2/64 --- eh 2001:db8:203::1/64 S
. "$(dirname "$0")/lib.sh"

topo_up A B H
ns_add L6
POOL6=2001:db8:1::/64
SRV6=2001:db8:1::1
NET6=2001:db8:203::/64
H6=2001:db8:203::2
LNET6=2001:db8:5::/64
L6=2001:db8:5::2
n S sysctl -q -w net.ipv6.conf.all.forwarding=1
ipn S addr add 2001:db8:203::1/64 dev eh nodad
ipn H addr add "$H6/64" dev eth0 nodad
ipn H route add "$POOL6" via 2001:db8:203::1
ipn H route add "$LNET6" via 2001:db8:203::1
ip -n "$(nsname A)" link add lan0 type veth peer name eth0 \
    netns "$(nsname L6)"
ipn A addr add 2001:db8:5::1/64 dev lan0 nodad
ipn L6 addr add "$L6/64" dev eth0 nodad
ipn A link set lan0 up
ipn L6 link set eth0 up
ipn L6 route add default via 2001:db8:5::1
n A sysctl -q -w net.ipv6.conf.all.forwarding=1
V6=(--pool6 "$POOL6" --push-route 203.0.113.0/24 --push-route "$NET6")

# --- refusals at startup ----------------------------------------------------

server_refuses "client-network 2001:db8:5::/64 of 'alice': IPv6 networks need pool6$" \
    -- --client-network alice "$LNET6" ||
    fail "an IPv6 client-network without pool6 was not refused as such"
server_refuses "client-network 2001:db8:1::/80 of 'alice' overlaps pool6 2001:db8:1::/64$" \
    -- "${V6[@]}" --client-network alice 2001:db8:1::/80 ||
    fail "a client-network inside pool6 was not refused as such"
server_refuses "client-network 2001:db8:5::/48 of 'bob' overlaps 2001:db8:5::/64 of 'alice'$" \
    -- "${V6[@]}" --client-network alice "$LNET6" \
    --client-network bob 2001:db8:5::/48 ||
    fail "overlapping IPv6 client-networks were not refused as such"
server_refuses "push-route 2001:db8:5::/80 is inside client-network 2001:db8:5::/64 of 'alice'$" \
    -- "${V6[@]}" --push-route 2001:db8:5::/80 --client-network alice "$LNET6" ||
    fail "an IPv6 push-route inside a client-network was not refused"
server_refuses "'2001:db8:5::1/64' has host bits set" \
    -- "${V6[@]}" --client-network alice 2001:db8:5::1/64 ||
    fail "an IPv6 client-network with host bits was not refused"
server_refuses "'2001:db8::/15': prefix must be 16\.\.128" \
    -- "${V6[@]}" --client-network alice 2001:db8::/15 ||
    fail "an IPv6 client-network /15 was not refused"
server_refuses "'alice 2001:db8:5::/64' given twice" \
    -- "${V6[@]}" --client-network alice "$LNET6" \
    --client-network alice "$LNET6" ||
    fail "an IPv6 client-network given twice was not refused"
server_refuses "client-network fe80::/64 of 'alice' is no network to route \\(and the other clients would refuse it\\): .*link-local" \
    -- "${V6[@]}" --client-network alice fe80::/64 ||
    fail "a link-local client-network pushed to the others was not refused"
ipn S link show stun0 >/dev/null 2>&1 && fail "a refused server left stun0"
pass "bad IPv6 client-network values stop the server with one line"

# --- the tunnel -------------------------------------------------------------

ping_fails L6 "$H6" -6 || fail "L6 reaches H without the tunnel"
server_start -- "${V6[@]}" --client-network alice "$LNET6"
has "dev stun0" ipn S -6 route show "$LNET6" ||
    fail "no route $LNET6 dev stun0 in S: $(ipn S -6 route show)"
pass "the server routes $LNET6 into stun0: $(ipn S -6 route show "$LNET6")"
clients_ab
wait_until 10 stat_is "$SERVER_SOCK" server "" clients 2 ||
    fail "server status: $(status_dump "$SERVER_SOCK")"
B6=$(stat_get "$TMP/b.sock" client "" vaddr6) || fail "b has no vaddr6"
has "dev stun0" ipn B -6 route show "$LNET6" ||
    fail "B did not take $LNET6: $(ipn B -6 route show)"
has "dev stun0" ipn A -6 route show "$LNET6" &&
    fail "A was pushed its own network: $(ipn A -6 route show)"
pass "B took the pushed $LNET6, A was not pushed its own network"

# IPv6 routers do not fragment: A (and S) answer a 4000-byte ping from
# L6 (from H) with Packet Too Big for the tunnel's MTU, and ping stops at
# that error. One such ping first teaches each sender the path MTU.
for t in "L6 $H6" "H $L6" "L6 $B6"; do
	read -r from to <<<"$t"
	n "$from" ping -6 -n -q -c 1 -w 2 -s 4000 "$to" >/dev/null 2>&1 || true
	has "mtu 1420" n "$from" ip -6 route get "$to" ||
	    fail "$from did not learn the tunnel's MTU toward $to: $SEEN"
done
for size in 56 4000; do
	ping_ok L6 "$H6" -6 -s $size || fail "L6 -> H, -s $size"
	ping_ok H "$L6" -6 -s $size || fail "H -> L6, -s $size"
	ping_ok B "$L6" -6 -s $size || fail "B -> L6, -s $size"
	ping_ok L6 "$B6" -6 -s $size || fail "L6 -> B ($B6), -s $size"
done
ping_ok L6 "$SRV6" -6 || fail "L6 -> the server's tunnel address $SRV6"
pass "ping -6 (56 and 4000 bytes) L6 <-> H, B <-> L6, L6 -> $SRV6"

head -c 8M /dev/urandom >"$TMP/big"
for t in "L6 H $H6 5001" "H L6 $L6 5002" "B L6 $L6 5003"; do
	read -r from to addr port <<<"$t"
	transfer_ok "$from" "$to" "$addr" "$port" "$TMP/big"
	pass "8 MB $from -> $to [$addr] through the tunnel, sha256 matches" \
	    "($TRANSFER_SECONDS s)"
done
rm -f "$TMP/big"
[[ $(stat_get "$SERVER_SOCK" session cn=alice bad_source) -eq 0 ]] ||
    fail "alice's own IPv6 network counted as a bad source"

# --- B cannot send from A's network -------------------------------------------

# On H's wire, from anywhere in A's network: L6's packets are the positive
# control, B's spoofed ones must not be there.
SPOOF=2001:db8:5::77
start_bg cap-h H tcpdump -Z root -U -n -i eth0 -w "$TMP/cap-h.pcap" \
    icmp6 and src net "$LNET6"
wait_until 15 log_has cap-h "listening on" || fail "tcpdump in H did not start"
ipn B addr add "$SPOOF/128" dev stun0 nodad
before=$(stat_get "$SERVER_SOCK" session cn=bob bad_source)
ping_fails B "$H6" -6 -I "$SPOOF" ||
    fail "B's ping from $SPOOF (in A's network) got an answer"
wait_until 10 num -ge $((before + 3)) stat_get "$SERVER_SOCK" session cn=bob bad_source ||
    fail "bob's bad_source went from $before to $(stat_get "$SERVER_SOCK" session cn=bob bad_source), want +3"
after=$(stat_get "$SERVER_SOCK" session cn=bob bad_source)
ping_ok L6 "$H6" -6 || fail "positive control: L6 -> H"
ping_ok B "$H6" -6 -I "$B6" || fail "B -> H from its own address"
captured() {	# captured SRC: packets from SRC in H's capture so far
	tcpdump -n -r "$TMP/cap-h.pcap" src host "$1" 2>/dev/null | wc -l
}
wait_until 10 num -ge 1 captured "$L6" ||
    fail "positive control: L6's ping is not in H's capture"
stop_bg cap-h || true
from_l=$(captured "$L6")
from_spoof=$(captured "$SPOOF")
[[ $from_spoof -eq 0 ]] ||
    fail "$from_spoof packets from $SPOOF (B, spoofed) reached H"
[[ $(stat_get "$SERVER_SOCK" session cn=alice bad_source) -eq 0 ]] ||
    fail "alice's own IPv6 network counted as a bad source"
pass "B's packets from $SPOOF are dropped: bob's bad_source" \
    "$before -> $after, 0 of them on H's wire (L6's: $from_l), alice's 0"
# B would pick it as the source toward L6 (longest matching prefix)
ipn B addr del "$SPOOF/128" dev stun0

# --- A away, A back -------------------------------------------------------------

stop_bg a || fail "client a did not exit cleanly"
wait_until 20 stat_is "$SERVER_SOCK" server "" clients 1 ||
    fail "the server still counts A: $(status_dump "$SERVER_SOCK")"
before=$(stat_get "$SERVER_SOCK" guard "" net_down)
ping_fails H "$L6" -6 || fail "H reaches L6 while A is away"
wait_until 10 num -ge $((before + 3)) stat_get "$SERVER_SOCK" guard "" net_down ||
    fail "the guard's net_down went from $before to $(stat_get "$SERVER_SOCK" guard "" net_down), want +3"
down=$(stat_get "$SERVER_SOCK" guard "" net_down)
pass "while A is away, H -> L6 is dropped: guard net_down $before -> $down"
client_start a2 A 192.0.2.1 alice
wait_connected a2
ping_ok H "$L6" -6 || fail "H -> L6 once A is back"
ping_ok L6 "$H6" -6 || fail "L6 -> H once A is back"
ping_ok B "$L6" -6 || fail "B -> L6 once A is back"
pass "A back: H <-> L6 and B -> L6 flow again"

# --- pull-filter with an IPv6 network -------------------------------------------

# B again, with a rule wider than A's network: that route is dropped with
# one line, the other pushed IPv6 route (H's) is taken and carries pings.
stop_bg b || fail "client b did not exit cleanly"
client_start b2 B 198.51.100.1 bob --pull-filter ignore 2001:db8:5::/48
wait_connected b2
has "dev stun0" ipn B -6 route show "$LNET6" &&
    fail "B took $LNET6 despite pull-filter ignore 2001:db8:5::/48: $SEEN"
has "dev stun0" ipn B -6 route show "$NET6" ||
    fail "B did not take $NET6 beside the pull-filter: $(ipn B -6 route show)"
ping_ok B "$H6" -6 || fail "B -> H with pull-filter ignore 2001:db8:5::/48"
log_has b2 'ignoring pushed route 2001:db8:5::/64 \(pull-filter ignore 2001:db8:5::/48\)' ||
    fail "b2 did not log the route it ignored: $(grep -i 'pushed route' "$TMP/b2.log")"
pass "pull-filter ignore 2001:db8:5::/48: B has no route to $LNET6," \
    "takes $NET6 and reaches H; logged"

stop_bg a2 || fail "client a2 did not exit cleanly"
stop_bg b2 || fail "client b2 did not exit cleanly"
stop_bg server || fail "the server did not exit cleanly"
[[ -z $(ipn S -6 route show "$LNET6" 2>/dev/null) ]] ||
    fail "the route to $LNET6 outlived the server: $(ipn S -6 route show "$LNET6")"
pass "the server's route to $LNET6 went with it"

# --- client-to-client no: A's network is another client's -----------------------

server_start server2 -- "${V6[@]}" --client-network alice "$LNET6" \
    --client-to-client no
client_start a3 A 192.0.2.1 alice
client_start b3 B 198.51.100.1 bob
wait_connected a3
wait_connected b3
has "dev stun0" ipn B -6 route show "$LNET6" &&
    fail "B was pushed $LNET6 with client-to-client no: $SEEN"
ping_ok H "$L6" -6 || fail "H -> L6 with client-to-client no"
ping_ok L6 "$H6" -6 || fail "L6 -> H with client-to-client no"
ipn B -6 route add "$LNET6" dev stun0
before=$(stat_get "$SERVER_SOCK" session cn=bob blocked)
ping_fails B "$L6" -6 || fail "B reaches L6 with client-to-client no"
wait_until 10 num -ge $((before + 3)) stat_get "$SERVER_SOCK" session cn=bob blocked ||
    fail "bob's blocked counter went from $before to $(stat_get "$SERVER_SOCK" session cn=bob blocked), want +3"
pass "client-to-client no: nothing pushed, H <-> L6 works, B -> L6 is blocked" \
    "(bob's blocked $before -> $(stat_get "$SERVER_SOCK" session cn=bob blocked))"
check_logs
