#!/usr/bin/env bash
# Site-to-site: a network behind client A (client-network alice
# 198.19.1.0/24, host L in it) and the network behind the server (host H on
# 203.0.113.0/24) reach each other through the tunnel: pings and checksummed
# TCP transfers both ways. Client B gets A's network pushed and reaches L;
# B cannot send from a source inside A's network (dropped, counted, never
# on H's wire). While A is away its network's packets are dropped and
# counted by the guard, and flow again once A is back. Without pushing, or
# without client-to-client, B gets no route (and with client-to-client off
# B's packets to L are blocked). Bad client-network configurations (also
# with dev-type tap, or a network this machine routes already) stop the
# server with one line.
#
#   L eth0 198.19.1.2/24 --- lan0 198.19.1.1/24 A eth0 192.0.2.2 --- S
#   (L's default route via A; A forwards, as its admin would set up)
. "$(dirname "$0")/lib.sh"

topo_up A B H
ns_add L
veth A lan0 198.19.1.1/24 L eth0 198.19.1.2/24
ipn L route add default via 198.19.1.1
n A sysctl -q -w net.ipv4.ip_forward=1
LNET=198.19.1.0/24

# --- refusals at startup ----------------------------------------------------

# refused [--last] REGEX EXTRA...: the server with EXTRA stops, exit status
# non-zero, with exactly one line on stderr matching REGEX (--last: a
# refusal once the device is up, after the lines of its setup: the last
# line matches, and the line is the only error).
refused() {
	local want rc=0 c=$TMP/certs last=0 line
	if [[ $1 == --last ]]; then last=1; shift; fi
	want=$1
	shift
	n S timeout 20 "$SIMPLETUN" server --listen 0.0.0.0:1194 --dev stun9 \
	    --ca "$c/ca.crt" --cert "$c/server.crt" --key "$c/server.key" \
	    --pool 198.18.0.0/24 --push-route 203.0.113.0/24 \
	    --session-users "$SESSION_UIDS" 2048 "$@" \
	    >"$TMP/refused.out" 2>"$TMP/refused.err" || rc=$?
	[[ $rc -ne 0 ]] || fail "the server started with: $*"
	if ((last)); then
		line=$(tail -n 1 "$TMP/refused.err")
		[[ $(grep -c -i -E 'error|fatal|cannot|refus' "$TMP/refused.err") -le 1 ]] ||
		    fail "more than one error for '$*': $(cat "$TMP/refused.err")"
	else
		[[ $(wc -l <"$TMP/refused.err") -eq 1 ]] ||
		    fail "want one line on stderr for '$*', got: $(cat "$TMP/refused.err")"
		line=$(cat "$TMP/refused.err")
	fi
	grep -q -E -- "$want" <<<"$line" ||
	    fail "for '$*' want /$want/, got: $(cat "$TMP/refused.err")"
	pass "refused: $line"
}
refused "client-network 198.19.0.0/16 of 'bob' overlaps 198.19.1.0/24 of 'alice'" \
    --client-network alice $LNET --client-network bob 198.19.0.0/16
refused "client-network 198.18.0.128/25 of 'alice' overlaps pool 198.18.0.0/24" \
    --client-network alice 198.18.0.128/25
refused "push-route 198.19.1.0/24 is inside client-network 198.19.1.0/24 of 'alice'" \
    --client-network alice $LNET --push-route $LNET
refused "'198.19.1.1/24' has host bits set" --client-network alice 198.19.1.1/24
refused "'198.19.1.0/33': prefix must be 8..32" --client-network alice 198.19.1.0/33
refused "'alice 198.19.1.0/24' given twice" \
    --client-network alice $LNET --client-network alice $LNET
refused "client-network needs dev-type tun" --client-network alice $LNET \
    --dev-type tap
# A network this machine routes elsewhere already: its packets would not
# reach the tunnel, and alice could send from its addresses.
ipn S route add 198.19.9.0/24 via 203.0.113.2
refused --last "client-network 198.19.9.0/24 of 'alice': this machine routes it already" \
    --client-network alice 198.19.9.0/24
ipn S route del 198.19.9.0/24 via 203.0.113.2
ipn S link show stun9 >/dev/null 2>&1 && fail "a refused server left stun9"

# --- the tunnel -------------------------------------------------------------------

ping_fails L 203.0.113.2 || fail "L reaches H without the tunnel"
server_start -- --client-network alice $LNET
has "dev stun0" ipn S route show $LNET ||
    fail "no route $LNET dev stun0 in S: $(ipn S route show)"
pass "the server routes $LNET into stun0: $(ipn S route show $LNET)"
clients_ab
wait_until 10 stat_is "$SERVER_SOCK" server "" clients 2 ||
    fail "server status: $(status_dump "$SERVER_SOCK")"
has "dev stun0" ipn B route show $LNET ||
    fail "B did not take $LNET: $(ipn B route show)"
has "dev stun0" ipn A route show $LNET &&
    fail "A was pushed its own network: $(ipn A route show)"
pass "B took the pushed $LNET, A was not pushed its own network"

ping_ok L 203.0.113.2 || fail "L -> H"
ping_ok H 198.19.1.2 || fail "H -> L"
ping_ok L 203.0.113.2 -s 4000 || fail "L -> H, -s 4000"
ping_ok H 198.19.1.2 -s 4000 || fail "H -> L, -s 4000"
ping_ok L 198.18.0.1 || fail "L -> the server's tunnel address"
ping_ok B 198.19.1.2 || fail "B -> L"
ping_ok L "$VB" || fail "L -> B ($VB)"
pass "pings L <-> H (56 and 4000 bytes), L -> 198.18.0.1, B <-> L"

head -c 20M /dev/urandom >"$TMP/big"
for t in "L H 203.0.113.2 5001" "H L 198.19.1.2 5002" "B L 198.19.1.2 5003"; do
	read -r from to addr port <<<"$t"
	transfer_ok "$from" "$to" "$addr" "$port" "$TMP/big"
	pass "20 MB $from -> $to ($addr) through the tunnel, sha256 matches" \
	    "($TRANSFER_SECONDS s)"
done

# --- B cannot send from A's network -------------------------------------------

# On H's wire, from anywhere in A's network: L's packets are the positive
# control, B's spoofed ones must not be there.
start_bg cap-h H tcpdump -Z root -U -n -i eth0 -w "$TMP/cap-h.pcap" \
    icmp and src net $LNET
wait_until 15 log_has cap-h "listening on" || fail "tcpdump in H did not start"
ipn B addr add 198.19.1.77/32 dev stun0
before=$(stat_get "$SERVER_SOCK" session cn=bob bad_source)
ping_fails B 203.0.113.2 -I 198.19.1.77 ||
    fail "B's ping from 198.19.1.77 (in A's network) got an answer"
wait_until 10 num -gt "$before" stat_get "$SERVER_SOCK" session cn=bob bad_source ||
    fail "bob's bad_source counter stayed at $before"
after=$(stat_get "$SERVER_SOCK" session cn=bob bad_source)
ping_ok L 203.0.113.2 || fail "positive control: L -> H"
ping_ok B 203.0.113.2 || fail "B -> H from its own address"
captured() {	# captured SRC: packets from SRC in H's capture so far
	tcpdump -n -r "$TMP/cap-h.pcap" src host "$1" 2>/dev/null | wc -l
}
wait_until 10 num -ge 1 captured 198.19.1.2 ||
    fail "positive control: L's ping is not in H's capture"
stop_bg cap-h || true
from_l=$(captured 198.19.1.2)
from_spoof=$(captured 198.19.1.77)
[[ $from_spoof -eq 0 ]] ||
    fail "$from_spoof packets from 198.19.1.77 (B, spoofed) reached H"
[[ $(stat_get "$SERVER_SOCK" session cn=alice bad_source) -eq 0 ]] ||
    fail "alice's own network counted as a bad source"
pass "B's packets from 198.19.1.77 are dropped: bob's bad_source" \
    "$before -> $after, 0 of them on H's wire (L's: $from_l), alice's 0"

# --- A away, A back -------------------------------------------------------------

stop_bg a || fail "client a did not exit cleanly"
wait_until 20 stat_is "$SERVER_SOCK" server "" clients 1 ||
    fail "the server still counts A: $(status_dump "$SERVER_SOCK")"
before=$(stat_get "$SERVER_SOCK" guard "" net_down)
ping_fails H 198.19.1.2 || fail "H reaches L while A is away"
wait_until 10 num -gt "$before" stat_get "$SERVER_SOCK" guard "" net_down ||
    fail "the guard's net_down stayed at $before"
down=$(stat_get "$SERVER_SOCK" guard "" net_down)
pass "while A is away, H -> L is dropped: guard net_down $before -> $down"
client_start a2 A 192.0.2.1 alice
wait_connected a2
ping_ok H 198.19.1.2 || fail "H -> L once A is back"
ping_ok L 203.0.113.2 || fail "L -> H once A is back"
ping_ok B 198.19.1.2 || fail "B -> L once A is back"
pass "A back: H <-> L and B -> L flow again (net_down" \
    "$(stat_get "$SERVER_SOCK" guard "" net_down))"

# --- no pushing -------------------------------------------------------------------

stop_bg a2 || fail "client a2 did not exit cleanly"
stop_bg b || fail "client b did not exit cleanly"
stop_bg server || fail "the server did not exit cleanly"
[[ -z $(ipn S route show $LNET 2>/dev/null) ]] ||
    fail "the route to $LNET outlived the server: $(ipn S route show $LNET)"
pass "the server's route to $LNET went with it"
server_start server2 -- --client-network alice $LNET --push-client-networks no
client_start a3 A 192.0.2.1 alice
client_start b3 B 198.51.100.1 bob
wait_connected a3
wait_connected b3
has "dev stun0" ipn B route show $LNET &&
    fail "B was pushed $LNET with push-client-networks no: $SEEN"
ping_ok H 198.19.1.2 || fail "H -> L with push-client-networks no"
pass "push-client-networks no: B gets no route to $LNET, H <-> L still works"

# --- client-to-client no: A's network is another client's -----------------------

stop_bg a3 || fail "client a3 did not exit cleanly"
stop_bg b3 || fail "client b3 did not exit cleanly"
stop_bg server2 || fail "the server did not exit cleanly"
server_start server3 -- --client-network alice $LNET --client-to-client no
client_start a4 A 192.0.2.1 alice
client_start b4 B 198.51.100.1 bob
wait_connected a4
wait_connected b4
has "dev stun0" ipn B route show $LNET &&
    fail "B was pushed $LNET with client-to-client no: $SEEN"
ping_ok H 198.19.1.2 || fail "H -> L with client-to-client no"
ping_ok L 203.0.113.2 || fail "L -> H with client-to-client no"
ipn B route add $LNET dev stun0
before=$(stat_get "$SERVER_SOCK" session cn=bob blocked)
ping_fails B 198.19.1.2 || fail "B reaches L with client-to-client no"
wait_until 10 num -gt "$before" stat_get "$SERVER_SOCK" session cn=bob blocked ||
    fail "bob's blocked counter stayed at $before"
pass "client-to-client no: nothing pushed, H <-> L works, B -> L is blocked" \
    "(bob's blocked $before -> $(stat_get "$SERVER_SOCK" session cn=bob blocked))"
check_logs
