#!/usr/bin/env bash
# One UDP port: every data packet of every client goes to the server's one
# UDP port (the TCP port's number, or --udp-port) and every one from the
# server leaves from it. A client behind a NAT whose mapping changes in the
# middle of a 50 MB transfer keeps its session: the first packets from the
# new endpoint go through the guard, the data process authenticates them and
# follows ("roams"), and the transfer arrives intact. Unauthenticated
# packets from a new endpoint (garbage behind alice's header, replays of her
# own packets) are dropped and counted and never move her session.
#
#   A eth0 192.0.2.2/25       --- ea 192.0.2.1/25       S (server)
#   B eth0 198.51.100.2/25    --- eb 198.51.100.1/25    S
#   R wan  192.0.2.130/25     --- er 192.0.2.129/25     S
#   C eth0 198.51.100.130/25  --- lan 198.51.100.129/25 R (NAT: C -> S)
#
# S has no route to C's 198.51.100.128/25: C reaches it only through R's
# source NAT, which maps C's UDP socket to a port of 40000-40100 and, after
# the change, of 50000-50100.
. "$(dirname "$0")/lib.sh"

[[ -x $PKT_INJECT ]] || fail "PKT_INJECT=$PKT_INJECT is not executable"
require_root_net
# scripts/test installs these.
for tool in tcpdump:tcpdump socat:socat nft:nftables conntrack:conntrack tc:iproute2; do
	command -v "${tool%:*}" >/dev/null ||
	    fail "no ${tool%:*} (package ${tool#*:}; scripts/test installs it)"
done
tmp_make
ns_add S A B R C
veth A eth0 192.0.2.2/25 S ea 192.0.2.1/25
veth B eth0 198.51.100.2/25 S eb 198.51.100.1/25
veth R wan 192.0.2.130/25 S er 192.0.2.129/25
veth C eth0 198.51.100.130/25 R lan 198.51.100.129/25
ipn C route add default via 198.51.100.129
n R sysctl -q -w net.ipv4.ip_forward=1
n S sysctl -q -w net.ipv4.ip_forward=1
certs_make "$TMP/certs" alice bob carol

# nat_rules LOW-HIGH: R's source NAT, C's UDP to a port of that range.
nat_rules() {
	n R nft -f - <<-EOF
	table ip nat
	flush table ip nat
	table ip nat {
		chain post {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "wan" meta l4proto udp snat to 192.0.2.130:$1
			oifname "wan" masquerade
		}
	}
	EOF
}
nat_rules 40000-40100
ping_ok C 192.0.2.129 || fail "C cannot reach S through R"
ping_ok A 192.0.2.1 || fail "A cannot reach S"
ping_ok B 198.51.100.1 || fail "B cannot reach S"
ping_fails S 198.51.100.130 || fail "S reaches C without R's NAT"
pass "the underlay: A and B reach S directly, C only through R's NAT"

# capture NAME IFACE FILTER...: tcpdump in S, ready when it says so.
capture() {
	local name=$1 dev=$2
	shift 2
	start_bg "$name" S tcpdump -Z root -U -n -i "$dev" -w "$TMP/$name.pcap" "$@"
	wait_until 15 log_has "$name" "listening on" ||
	    fail "tcpdump on $dev did not start"
}
# pcount NAME FILTER: how many packets of capture NAME match FILTER.
pcount() { tcpdump -n -r "$TMP/$1.pcap" "$2" 2>/dev/null | wc -l; }

# one_port NAME SERVER_ADDR PORT: in capture NAME every UDP packet either
# goes to SERVER_ADDR:PORT or comes from it, and at least 15 go each way
# (of 20 pings and their replies, tcpdump may miss the last few when it
# is stopped).
one_port() {
	local cap=$1 addr=$2 port=$3 all to from
	local to_f="udp and dst host $addr and dst port $port"
	local from_f="udp and src host $addr and src port $port"
	all=$(pcount "$cap" udp)
	to=$(pcount "$cap" "$to_f")
	from=$(pcount "$cap" "$from_f")
	[[ $to -ge 15 && $from -ge 15 ]] ||
	    fail "$cap: only $to UDP packets to $addr:$port and $from from it"
	[[ $all -eq $((to + from)) ]] ||
	    fail "$cap: $((all - to - from)) of $all UDP packets use another port than $addr:$port:" \
	    "$(tcpdump -n -r "$TMP/$cap.pcap" "udp and not ($to_f) and not ($from_f)" 2>/dev/null | head -n 5)"
	say "$cap: $to UDP packets to $addr:$port, $from from it, none else"
}

# udp_ports NS: the local ports of every UDP socket in NS, once each.
udp_ports() {
	n "$1" ss -Huan | awk '{ n = split($4, a, ":"); print a[n] }' |
	    sort -u | paste -sd' '
}

# pings NS DST: 20 pings through the tunnel, every one answered.
pings() { n "$1" ping -n -q -c 20 -i 0.2 -w 30 "$2" >/dev/null; }

# --- 1. one port ------------------------------------------------------------

server_start
UDP_PORT=$(stat_get "$SERVER_SOCK" server "" udp_port)
[[ $UDP_PORT == 1194 ]] || fail "udp_port is '$UDP_PORT', want the TCP port 1194"
capture cap-ea ea
capture cap-eb eb
client_a
client_b
wait_connected a
wait_connected b
pings A 198.18.0.1 || fail "20 pings from A through the tunnel"
pings B 198.18.0.1 || fail "20 pings from B through the tunnel"
stop_bg cap-ea || true
stop_bg cap-eb || true
one_port cap-ea 192.0.2.1 1194
one_port cap-eb 198.51.100.1 1194
[[ $(udp_ports S) == 1194 ]] ||
    fail "S has UDP sockets on ports '$(udp_ports S)', want only 1194"
listening S 1194 || fail "S does not listen on TCP 1194"
pass "alice and bob: every UDP packet to or from S uses udp_port 1194 (the TCP port)," \
    "the only UDP port S has a socket on"

# --- 3. unauthenticated packets from new endpoints --------------------------

sget() { stat_get "$SERVER_SOCK" session "cn=$1" "$2"; }
gget() { stat_get "$SERVER_SOCK" guard "" "$1"; }
# The data process reports its counters and endpoint about once a second.
endpoint_known() { [[ $(sget alice endpoint) == 192.0.2.2:* ]]; }
wait_until 10 endpoint_known || fail "alice's endpoint is '$(sget alice endpoint)'"
A_EP=$(sget alice endpoint)
A_DATA=$(sget alice data_pid)
A_ROAMS=$(sget alice roams)

# alice's own packets to the port, captured once her session is up.
# DATA packets only (first payload byte 1): a keepalive sent just as the
# capture starts would give a header whose garbage is "malformed".
capture cap-alice ea udp and src host 192.0.2.2 and dst port 1194 and \
    "udp[8] = 1"
pings A 198.18.0.1 || fail "20 pings from A through the tunnel"
stop_bg cap-alice || true
NCAP=$(pcount cap-alice udp)
[[ $NCAP -ge 15 ]] || fail "captured only $NCAP of alice's packets"
# Record 1 starts at 24 + 16; the UDP payload at 14 + 20 + 8 into the frame.
HDR=$(od -An -tx1 -j82 -N8 "$TMP/cap-alice.pcap" | tr -d ' \n')
[[ $HDR =~ ^[0-9a-f]{4}0000[0-9a-f]{8}$ ]] ||
    fail "cannot read a header from the capture: '$HDR'"
say "alice: data process $A_DATA, endpoint $A_EP, $NCAP packets captured, header $HDR"

# inject NS WHAT ARGS...: pkt_inject in NS from a socket of its own; SENT
# is how many it sent.
inject() {
	local ns=$1 what=$2 out
	shift 2
	out=$(n "$ns" "$PKT_INJECT" "$@" 2>>"$TMP/pkt_inject.log") ||
	    fail "$what: pkt_inject $* failed: $out"
	SENT=${out##*sent }
	[[ $SENT =~ ^[0-9]+$ && $SENT -gt 0 ]] || fail "$what: pkt_inject said '$out'"
}
asum() { stat_sum "$SERVER_SOCK" session cn=alice "$@"; }
# What the kernel dropped on S's sockets of port 1194 (full receive
# buffers while the guard or a data process waited for a busy CPU): those
# packets were dropped too, just not by us.
udp_kernel_drops() { udp_drops S 1194; }
garbage_drops() {
	echo $(( $(asum malformed bad_mac) + $(udp_kernel_drops) +
	    $(stat_sum "$SERVER_SOCK" guard "" no_session oversize queue_full) ))
}

# alice_unmoved WHAT: her session is where it was and still carries traffic.
alice_unmoved() {
	if [[ $(sget alice data_pid) != "$A_DATA" ]] || ! alive "$A_DATA"; then
		fail "$1: alice's data process $A_DATA is gone"
	fi
	[[ $(sget alice endpoint) == "$A_EP" ]] ||
	    fail "$1: alice's endpoint moved from $A_EP to $(sget alice endpoint)"
	[[ $(sget alice roams) == "$A_ROAMS" ]] ||
	    fail "$1: alice's roams went from $A_ROAMS to $(sget alice roams)"
	ping_ok A 198.18.0.1 || fail "$1: no ping through the tunnel afterwards"
}

# From A's address but a port of pkt_inject's own, and from B (another
# address, and S's other address, so another socket of the guard).
for src in "A 192.0.2.1" "B 198.51.100.1"; do
	read -r ns dst <<<"$src"

	# (a) Garbage behind alice's header: the guard forwards it to her data
	# process, which drops it (bad_mac), unless it is too short to hold a
	# tag (the guard's no_session) or longer than any packet of hers (its
	# oversize).
	BEFORE=$(garbage_drops)
	MAC_BEFORE=$(asum bad_mac)
	FWD_BEFORE=$(gget forwarded)
	inject "$ns" "garbage from $ns" garbage "$dst" 1194 300 --seed 7 \
	    --prefix "$HDR" --pace 500
	wait_until 20 num -ge $((BEFORE + SENT)) garbage_drops ||
	    fail "garbage from $ns: drops went from $BEFORE to $(garbage_drops)," \
	    "want $((BEFORE + SENT)) (kernel: $(udp_kernel_drops))"
	[[ $(asum bad_mac) -ge $((MAC_BEFORE + SENT * 9 / 10)) ]] ||
	    fail "garbage from $ns: bad_mac rose only from $MAC_BEFORE to $(asum bad_mac)"
	[[ $(gget forwarded) -ge $((FWD_BEFORE + SENT * 9 / 10)) ]] ||
	    fail "garbage from $ns: the guard's forwarded rose only from $FWD_BEFORE to $(gget forwarded)"
	alice_unmoved "garbage from $ns"
	pass "$SENT garbage datagrams behind alice's header from $ns to $dst:1194:" \
	    "forwarded by the guard, bad_mac $MAC_BEFORE -> $(asum bad_mac)," \
	    "endpoint still $A_EP, roams $A_ROAMS"

	# (b) alice's own packets replayed: authentic, but already seen.
	BEFORE=$(asum replay)
	inject "$ns" "replay from $ns" replay "$TMP/cap-alice.pcap" "$dst" 1194 \
	    --pace 1000
	wait_until 20 num -ge $((BEFORE + SENT)) asum replay ||
	    fail "replay from $ns: alice's replay went from $BEFORE to $(asum replay)," \
	    "want $((BEFORE + SENT))"
	alice_unmoved "replay from $ns"
	pass "$SENT of alice's packets replayed from $ns to $dst:1194:" \
	    "replay $BEFORE -> $(asum replay), endpoint still $A_EP, roams $A_ROAMS"
done

# --- 2. NAT rebinding in the middle of a transfer ---------------------------

# C's NAT mapping changes while it sends 50 MB; R sends at most 40 Mbit/s
# toward S, so the transfer lasts about 10 s.
n R tc qdisc add dev wan root tbf rate 40mbit burst 32kb latency 100ms
client_start c C 192.0.2.129 carol
wait_connected c
ping_ok C 198.18.0.1 || fail "no ping from C through the tunnel"
c_natted() { [[ $(sget carol endpoint) =~ ^192\.0\.2\.130:(4[0-9]{4})$ ]] &&
    (( BASH_REMATCH[1] >= 40000 && BASH_REMATCH[1] <= 40100 )); }
wait_until 10 c_natted ||
    fail "carol's endpoint is '$(sget carol endpoint)', want 192.0.2.130:40000-40100"
C_EP=$(sget carol endpoint)
C_DATA=$(sget carol data_pid)
C_CONTROL=$(sget carol control_pid)
C_ROAMS=$(sget carol roams)
say "carol: data process $C_DATA, endpoint $C_EP (R's NAT), roams $C_ROAMS"

head -c 50M /dev/urandom >"$TMP/big"
BIGSUM=$(sha256sum <"$TMP/big" | cut -d' ' -f1)
OUT=$TMP/recv
start_bg recv S socat -u TCP-LISTEN:5001,bind=198.18.0.1,reuseaddr \
    "OPEN:$OUT,creat,trunc"
wait_until 10 listening S 5001 || fail "socat in S does not listen on 5001"
start_bg send C timeout 300 socat -u "OPEN:$TMP/big" TCP:198.18.0.1:5001
received() { stat -c %s "$OUT" 2>/dev/null || echo 0; }
wait_until 60 num -ge 10000000 received ||
    fail "the transfer did not reach 10 MB ($(received) bytes)"

FWD_BEFORE=$(gget forwarded)
UDP_BEFORE=$(gget udp_packets)
nat_rules 50000-50100
# The old mapping goes: C's next packet gets a new one from the new range.
n R conntrack -D -p udp >>"$TMP/conntrack.log" 2>&1 ||
    fail "R had no UDP mapping to delete: $(cat "$TMP/conntrack.log")"
AT=$(received)
[[ $AT -lt 52428800 ]] || fail "the transfer was over before the NAT changed"
say "R's NAT now maps C to 50000-50100, at byte $AT of 52428800"

wait_bg send 300 || fail "sending 50 MB from C failed"
wait_bg recv 30 || fail "the receiver in S failed"
[[ $(sha256sum <"$OUT" | cut -d' ' -f1) == "$BIGSUM" ]] ||
    fail "the 50 MB file arrived changed ($(received) bytes)"
c_moved() { [[ $(sget carol endpoint) =~ ^192\.0\.2\.130:(5[0-9]{4})$ ]] &&
    (( BASH_REMATCH[1] >= 50000 && BASH_REMATCH[1] <= 50100 )); }
wait_until 10 c_moved ||
    fail "carol's endpoint is '$(sget carol endpoint)', want 192.0.2.130:50000-50100"
[[ $(sget carol roams) -gt $C_ROAMS ]] ||
    fail "carol's roams stayed at $C_ROAMS"
[[ $(sget carol data_pid) == "$C_DATA" && $(sget carol control_pid) == "$C_CONTROL" ]] ||
    fail "carol's session was restarted: data $(sget carol data_pid)," \
    "control $(sget carol control_pid), was $C_DATA, $C_CONTROL"
[[ $(gget forwarded) -gt $FWD_BEFORE ]] ||
    fail "the guard forwarded nothing after the change ($FWD_BEFORE)"
client_connected c || fail "carol's client is no longer connected"
ping_ok C 198.18.0.1 || fail "no ping from C after the change"
pass "NAT rebinding at byte $AT: 50 MB arrived with its sha256;" \
    "carol's endpoint $C_EP -> $(sget carol endpoint), roams $C_ROAMS ->" \
    "$(sget carol roams), data process $C_DATA throughout, guard forwarded" \
    "$FWD_BEFORE -> $(gget forwarded) (udp_packets $UDP_BEFORE -> $(gget udp_packets))"
rm -f "$TMP/big" "$OUT"

stop_bg c || fail "client c did not exit cleanly on SIGTERM"
stop_bg a || fail "client a did not exit cleanly on SIGTERM"
stop_bg b || fail "client b did not exit cleanly on SIGTERM"
stop_bg server || fail "the server did not exit cleanly on SIGTERM"

# --- 1b. --udp-port -----------------------------------------------------------

server_start server2 -- --udp-port 1195
[[ $(stat_get "$SERVER_SOCK" server "" udp_port) == 1195 ]] ||
    fail "udp_port is '$(stat_get "$SERVER_SOCK" server "" udp_port)', want 1195"
capture cap2-ea ea
capture cap2-eb eb
client_start a2 A 192.0.2.1 alice
client_start b2 B 198.51.100.1 bob
wait_connected a2
wait_connected b2
pings A 198.18.0.1 || fail "20 pings from A through the tunnel (--udp-port 1195)"
pings B 198.18.0.1 || fail "20 pings from B through the tunnel (--udp-port 1195)"
stop_bg cap2-ea || true
stop_bg cap2-eb || true
one_port cap2-ea 192.0.2.1 1195
one_port cap2-eb 198.51.100.1 1195
# The same check with the old port finds none of these packets.
[[ $(pcount cap2-ea "udp and (src port 1194 or dst port 1194)") -eq 0 ]] ||
    fail "with --udp-port 1195, UDP packets still use port 1194"
[[ $(udp_ports S) == 1195 ]] ||
    fail "S has UDP sockets on ports '$(udp_ports S)', want only 1195"
listening S 1194 || fail "S does not listen on TCP 1194"
for c in a2 b2; do
	ep=$(stat_get "$TMP/$c.sock" session cn=server endpoint)
	[[ $ep == *:1195 ]] || fail "client $c sends to $ep, want port 1195"
done
pass "with --udp-port 1195 the clients follow CONFIG: every UDP packet uses" \
    "port 1195, TCP stays on 1194"
check_logs
