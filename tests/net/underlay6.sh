#!/usr/bin/env bash
# IPv6 underlay: a server on `listen [::]:1194` takes clients over IPv6 and,
# on the same dual-stack sockets, over IPv4. alice names the server by its
# IPv6 address, bob by a name that has only an IPv6 entry (in B's
# /etc/hosts, which `ip netns exec` takes from /etc/netns/NS/hosts), carol
# by its IPv4 address (with net.ipv6.bindv6only=1 on the server, which
# [::] overrides). All reach the server's tunnel address (ping, a
# checksummed TCP transfer); status, log and client-connect's environment
# show [v6]:port real addresses (and a.b.c.d:port for carol); every
# data packet on the v6 links goes to and comes from the one UDP port over
# IPv6, unfragmented at the default MTU of 1420; alice roams to a new IPv6
# source address; a full tunnel (IPv4) works over the IPv6 underlay. A
# client that reaches an IPv4-only server by an IPv6-only name fails in
# one line naming the address it tried. A name with an IPv6 address whose
# path silently drops and an IPv4 one that works: the client tries IPv6,
# then IPv4 a quarter second later (happy eyeballs), and is connected long
# before the IPv6 attempt's timeout.
#
#   A eth0 2001:db8:1::2/64 (and ::3) --- ea 2001:db8:1::1/64  S (server)
#   B eth0 2001:db8:2::2/64           --- eb 2001:db8:2::1/64  S
#   C eth0 192.0.2.2/24               --- ec 192.0.2.1/24      S
#   H eth0 203.0.113.2/24             --- eh 203.0.113.1/24    S (behind S)
#   tunnel 198.18.0.0/24; H routes 198.18.0.0/15 via S.
. "$(dirname "$0")/lib.sh"

require_root_net
for tool in tcpdump:tcpdump socat:socat nft:nftables conntrack:conntrack; do
	command -v "${tool%:*}" >/dev/null ||
	    fail "no ${tool%:*} (package ${tool#*:}; scripts/test installs it)"
done
tmp_make

# veth6 NS1 IF1 ADDR1 NS2 IF2 ADDR2: veth with IPv6 addresses only, usable
# at once (no duplicate address detection).
veth6() {
	ip -n "$(nsname "$1")" link add "$2" type veth peer name "$5" \
	    netns "$(nsname "$4")"
	ipn "$1" -6 addr add "$3" dev "$2" nodad
	ipn "$4" -6 addr add "$6" dev "$5" nodad
	ipn "$1" link set "$2" up
	ipn "$4" link set "$5" up
}

ns_add S A B C H
veth6 A eth0 2001:db8:1::2/64 S ea 2001:db8:1::1/64
veth6 B eth0 2001:db8:2::2/64 S eb 2001:db8:2::1/64
veth C eth0 192.0.2.2/24 S ec 192.0.2.1/24
veth H eth0 203.0.113.2/24 S eh 203.0.113.1/24
ipn H route add 198.18.0.0/15 via 203.0.113.1
n S sysctl -q -w net.ipv4.ip_forward=1
certs_make "$TMP/certs" alice bob carol

# B's /etc/hosts: the server's name has an IPv6 address and nothing else.
# The directory is this run's (the namespace's name is), removed at exit.
NAME=vpn6-$$.example
ETC_NS=/etc/netns/$(nsname B)
ETC_NS_C=/etc/netns/$(nsname C)
ETC_NETNS_MADE=0
[[ -d /etc/netns ]] || ETC_NETNS_MADE=1
STATE=		# a client's state file this test writes, below
eval "lib_$(declare -f cleanup)"
cleanup() {
	local rc=$?
	set +eE
	trap - ERR
	rm -rf -- "$ETC_NS" "$ETC_NS_C"
	# /etc/netns too if we made it and no other run uses it now
	((ETC_NETNS_MADE)) && rmdir /etc/netns 2>/dev/null
	[[ -z $STATE ]] || rm -f -- "$STATE"
	(exit "$rc")
	lib_cleanup
}
mkdir -p "$ETC_NS"
printf '127.0.0.1 localhost\n2001:db8:2::1 %s\n' "$NAME" >"$ETC_NS/hosts"

[[ $(n B getent ahosts "$NAME" | awk '{ print $1 }' | sort -u) == 2001:db8:2::1 ]] ||
    fail "in B, $NAME does not resolve to 2001:db8:2::1 only: $(n B getent ahosts "$NAME")"
ping_ok A 2001:db8:1::1 || fail "A cannot reach S over IPv6"
ping_ok B "$NAME" || fail "B cannot reach S ($NAME) over IPv6"
ping_ok C 192.0.2.1 || fail "C cannot reach S over IPv4"
[[ -z $(ipn A -4 addr show dev eth0) && -z $(ipn B -4 addr show dev eth0) ]] ||
    fail "A or B has an IPv4 address"
pass "underlay: A and B reach S over IPv6 only, $NAME is 2001:db8:2::1 in B, C over IPv4"

capture() {	# capture NAME IFACE: tcpdump in S, ready when it says so
	start_bg "$1" S tcpdump -Z root -U -n -i "$2" -w "$TMP/$1.pcap"
	wait_until 15 log_has "$1" "listening on" ||
	    fail "tcpdump on $2 did not start"
}
capture cap-ea ea
capture cap-eb eb

# client-connect writes down the real address it is given
mkdir -m 1777 "$TMP/hooks"
cat >"$TMP/hook" <<EOS
#!/bin/sh
echo "\$SIMPLETUN_REAL_ADDR" >"$TMP/hooks/\$SIMPLETUN_CN"
EOS
chmod 0755 "$TMP/hook"
# [::] takes IPv4 clients too whatever this says (the default is 0)
n S sysctl -q -w net.ipv6.bindv6only=1
server_start -- --listen '[::]:1194' --client-connect "$TMP/hook"
log_has server 'listening on \[::\]:1194 \(IPv6 and IPv4\)' ||
    fail "the server does not say it listens on [::]:1194 for both families"
client_start a A '[2001:db8:1::1]' alice
client_start b B "$NAME" bob
client_start c C 192.0.2.1 carol
wait_connected a
wait_connected b
wait_connected c
wait_until 10 stat_is "$SERVER_SOCK" server "" clients 3 ||
    fail "server status: $(status_dump "$SERVER_SOCK")"

sget() { stat_get "$SERVER_SOCK" session "cn=$1" "$2"; }
gget() { stat_get "$SERVER_SOCK" guard "" "$1"; }
port_re='(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})'
# addr_is CN FIELD REGEX: the session's FIELD is REGEX:PORT (the endpoint
# once the first packet from there authenticated).
addr_is() { [[ $(sget "$1" "$2") =~ ^$3:$port_re$ ]]; }
for x in 'alice \[2001:db8:1::2\]' 'bob \[2001:db8:2::2\]' 'carol 192\.0\.2\.2'; do
	read -r cn re <<<"$x"
	for f in peer endpoint; do
		wait_until 10 addr_is "$cn" $f "$re" ||
		    fail "$cn's $f is '$(sget "$cn" $f)', want $re:PORT"
	done
done
stat_is "$TMP/a.sock" client "" remote '[2001:db8:1::1]:1194' &&
    wait_until 10 stat_is "$TMP/a.sock" session "" endpoint '[2001:db8:1::1]:1194' &&
    wait_until 10 stat_is "$TMP/b.sock" session "" endpoint '[2001:db8:2::1]:1194' ||
    fail "client status: $(status_dump "$TMP/a.sock") / $(status_dump "$TMP/b.sock")"
log_has server "alice from \[2001:db8:1::2\]:[0-9]+ gets" ||
    fail "the server's log does not name alice's [v6]:port"
for cn in alice bob carol; do
	[[ $(cat "$TMP/hooks/$cn") == "$(sget $cn peer)" ]] ||
	    fail "client-connect of $cn had SIMPLETUN_REAL_ADDR '$(cat "$TMP/hooks/$cn")'"
done
! grep -q -i "forbidden system call" "$TMP/server.log" ||
    fail "a process of the server was killed by its seccomp filter"
pass "status, log and client-connect: alice $(sget alice endpoint), bob $(sget bob endpoint)," \
    "carol $(sget carol endpoint) (IPv4 on the dual-stack port)"

# --- traffic -------------------------------------------------------------------

for h in A B C; do
	ping_ok $h 198.18.0.1 || fail "$h -> 198.18.0.1 through the tunnel"
done
# 1420 bytes of inner packet, not to be fragmented: 1420 + 32 + 8 + 40 is
# the veth's 1500.
ping_ok A 198.18.0.1 -M "do" -s 1392 || fail "A -> 198.18.0.1, 1420-byte packets"
ping_ok B 198.18.0.1 -M "do" -s 1392 || fail "B -> 198.18.0.1, 1420-byte packets"
pass "pings A, B, C -> 198.18.0.1, and 1420-byte ones from A and B"

head -c 20M /dev/urandom >"$TMP/big"
BIGSUM=$(sha256sum <"$TMP/big" | cut -d' ' -f1)
listening() { has . n S ss -Hltn "sport = :$1"; }
# transfer FROM PORT: 20 MB from FROM to a socat on 198.18.0.1:PORT in S.
transfer() {
	local out=$TMP/recv.$2
	start_bg "recv-$2" S socat -u \
	    "TCP-LISTEN:$2,bind=198.18.0.1,reuseaddr" "OPEN:$out,creat,trunc"
	wait_until 10 listening "$2" || fail "socat in S does not listen on $2"
	n "$1" timeout 300 socat -u "OPEN:$TMP/big" "TCP:198.18.0.1:$2" ||
	    fail "sending 20 MB from $1 to 198.18.0.1:$2 failed"
	wait_bg "recv-$2" 30 || fail "the receiver of $1's transfer failed"
	[[ $(sha256sum <"$out" | cut -d' ' -f1) == "$BIGSUM" ]] ||
	    fail "$1 -> S: 20 MB arrived changed ($(stat -c %s "$out") bytes)"
	rm -f "$out"
}
transfer A 5001
transfer B 5002
transfer C 5003
pass "20 MB A -> S, B -> S and C -> S through the tunnel, sha256 matches"

# --- alice roams to a new IPv6 address ---------------------------------------------

A_EP=$(sget alice endpoint)
A_DATA=$(sget alice data_pid)
A_ROAMS=$(sget alice roams)
FWD=$(gget forwarded)
ipn A -6 addr add 2001:db8:1::3/64 dev eth0 nodad
n A nft -f - <<-EOF
table ip6 roam
table ip6 roam {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" udp dport 1194 snat to 2001:db8:1::3
	}
}
EOF
n A conntrack -D -f ipv6 -p udp >>"$TMP/conntrack.log" 2>&1 || true
a_moved() { [[ $(sget alice endpoint) =~ ^\[2001:db8:1::3\]:$port_re$ ]]; }
ping_ok A 198.18.0.1 || fail "A -> 198.18.0.1 after the change"
wait_until 20 a_moved ||
    fail "alice's endpoint is '$(sget alice endpoint)', want [2001:db8:1::3]:PORT"
# the guard's and the data process's counters reach the status in their
# own time
a_roamed() {
	[[ $(sget alice roams) -gt $A_ROAMS && $(gget forwarded) -gt $FWD ]]
}
wait_until 10 a_roamed && [[ $(sget alice data_pid) == "$A_DATA" ]] ||
    fail "alice: roams $A_ROAMS -> $(sget alice roams), data $A_DATA ->" \
    "$(sget alice data_pid), forwarded $FWD -> $(gget forwarded)"
transfer A 5004
pass "alice roamed $A_EP -> $(sget alice endpoint) (roams $A_ROAMS ->" \
    "$(sget alice roams), guard forwarded $FWD -> $(gget forwarded)), 20 MB after it"
rm -f "$TMP/big"

# --- the capture -----------------------------------------------------------------

stop_bg cap-ea || true
stop_bg cap-eb || true
pcount() { tcpdump -n -r "$TMP/$1.pcap" "$2" 2>/dev/null | wc -l; }
for cap in cap-ea cap-eb; do
	to=$(pcount $cap 'ip6 and udp and dst port 1194')
	from=$(pcount $cap 'ip6 and udp and src port 1194')
	other=$(pcount $cap 'udp and not (ip6 and (src port 1194 or dst port 1194))')
	frag=$(pcount $cap 'ip6 and ip6[6] == 44')
	v4=$(pcount $cap 'ip')
	[[ $to -ge 100 && $from -ge 100 && $other -eq 0 && $frag -eq 0 && $v4 -eq 0 ]] ||
	    fail "$cap: $to datagrams to UDP 1194, $from from it, $other other" \
	    "UDP, $frag IPv6 fragments, $v4 IPv4 packets"
	say "$cap: $to IPv6 datagrams to UDP port 1194, $from from it, none elsewhere, no fragment"
done
pass "every data packet on the IPv6 links is IPv6 to or from UDP port 1194"

# --- a full tunnel over the IPv6 underlay ---------------------------------------------

stop_bg b || fail "client b did not exit cleanly on SIGTERM"
ROUTES4=$(ipn B -4 route show table all)
# tun's own link-local route comes and goes with the device, not from us
routes6() { ipn B -6 route show table main | grep -v 'dev stun0' || true; }
ROUTES6=$(routes6)
ping_fails B 203.0.113.2 || fail "B reaches H without the tunnel"
# As a killed client would leave it: a host route to the server (through a
# gateway that does not answer) and its state file. The next start removes
# both, or it cannot reach the server.
NETNS=$(n B stat -L -c %i /proc/self/ns/net)
STATE=/run/simpletun/client-$NETNS-stun0.routes
ipn B -6 route add 2001:db8:2::1/128 via 2001:db8:2::99 dev eth0
mkdir -p /run/simpletun
echo "2001:db8:2::1/128 2001:db8:2::99 eth0" >"$STATE"
client_start b2 B "$NAME" bob --redirect-gateway yes
wait_until 30 log_has b2 'removed the route 2001:db8:2::1/128 left by a killed client' ||
    fail "b2 did not remove the IPv6 host route of its state file"
wait_connected b2
ping_ok B 203.0.113.2 || fail "B -> H through the full tunnel"
[[ $(routes6) == "$ROUTES6" ]] ||
    fail "the full tunnel changed B's IPv6 routes: $(routes6)"
stop_bg b2 || fail "client b2 did not exit cleanly on SIGTERM"
[[ $(ipn B -4 route show table all) == "$ROUTES4" ]] ||
    fail "B's IPv4 routes after the full tunnel: $(ipn B -4 route show table all)"
[[ ! -e $STATE ]] || fail "the state file stays"
pass "redirect-gateway over IPv6: a stale IPv6 host route removed, B reaches H," \
    "no host route needed, routes restored"

# --- max-handshakes-per-source: an IPv6 /64 is one source ------------------------------

stop_bg a || fail "client a did not exit cleanly on SIGTERM"
stop_bg c || fail "client c did not exit cleanly on SIGTERM"
stop_bg server || fail "the server did not exit cleanly on SIGTERM"
server_start server1 -- --listen '[::]:1194' --max-handshakes-per-source 1 \
    --handshake-timeout 60
# hold NAME NS FROM: a TCP connection from FROM that never starts TLS
hold() {
	start_bg "$1" "$2" socat -u EXEC:"sleep 90" \
	    "TCP6:[${3%%::*}::1]:1194,bind=[$3]"
}
handshakes() { stat_get "$SERVER_SOCK" server "" handshakes; }
hold hold1 A 2001:db8:1::3
wait_until 20 out_is 1 handshakes || fail "handshakes: $(handshakes), want 1"
hold hold2 B 2001:db8:2::2
wait_until 20 out_is 2 handshakes ||
    fail "a connection from another /64 was not let in: handshakes $(handshakes)"
hold hold3 A 2001:db8:1::2
wait_until 20 log_has server1 'refusing \[2001:db8:1::2\]:[0-9]+: max-handshakes-per-source reached' ||
    fail "2001:db8:1::2 was not refused while 2001:db8:1::3 held a handshake"
[[ $(handshakes) == 2 ]] || fail "handshakes: $(handshakes), want 2"
pass "max-handshakes-per-source 1: 2001:db8:1::2 refused while 2001:db8:1::3" \
    "(same /64) holds one, 2001:db8:2::2 let in"
for h in hold1 hold2 hold3; do stop_bg $h || true; done
stop_bg server1 || fail "server1 did not exit cleanly on SIGTERM"

# --- an IPv4-only server by an IPv6-only name ----------------------------------------

server_start server4 -- --listen 0.0.0.0:1194
client_start b3 B "$NAME" bob --connect-retry-max 1
rc=0
wait_bg b3 60 || rc=$?
[[ $rc -ne 0 ]] || fail "a client of an IPv4-only server by $NAME exited 0"
grep -E "cannot connect to $NAME:1194 \(\[2001:db8:2::1\]:1194: Connection refused\)" \
    "$TMP/b3.log" >/dev/null ||
    fail "b3 does not say which address refused it: $(cat "$TMP/b3.log")"
pass "IPv4-only server by an IPv6-only name: exit $rc, '$(grep -m1 'cannot connect' "$TMP/b3.log")'"
stop_bg server4 || fail "the IPv4 server did not exit cleanly on SIGTERM"

# --- happy eyeballs: IPv6 drops silently, IPv4 answers -------------------------------

# C gets IPv6 on its link too; S drops (no answer, no RST) TCP to 1194 on
# that IPv6 address, and counts what it drops.
ipn C -6 addr add 2001:db8:3::2/64 dev eth0 nodad
ipn S -6 addr add 2001:db8:3::1/64 dev ec nodad
n S nft -f - <<-EOF
table inet eyeballs
table inet eyeballs {
	chain in {
		type filter hook input priority 0; policy accept;
		ip6 daddr 2001:db8:3::1 tcp dport 1194 counter drop
	}
}
EOF
BOTH=vpn46-$$.example
mkdir -p "$ETC_NS_C"
printf '127.0.0.1 localhost\n2001:db8:3::1 %s\n192.0.2.1 %s\n' "$BOTH" \
    "$BOTH" >"$ETC_NS_C/hosts"
[[ $(n C getent ahosts "$BOTH" | awk 'NR == 1 { print $1 }') == 2001:db8:3::1 ]] ||
    fail "in C, $BOTH does not resolve IPv6 first: $(n C getent ahosts "$BOTH")"
server_start server5 -- --listen '[::]:1194'
# Were the attempts one after the other, the IPv6 one would wait the
# whole handshake timeout (300 s) before IPv4 got its turn.
client_start c2 C "$BOTH" carol --handshake-timeout 300
wait_connected c2
wait_until 10 stat_is "$TMP/c2.sock" session "" endpoint '192.0.2.1:1194' ||
    fail "c2's endpoint: $(status_dump "$TMP/c2.sock")"
dropped=$(n S nft list table inet eyeballs)
[[ $dropped =~ counter\ packets\ ([1-9][0-9]*) ]] ||
    fail "the client never tried IPv6 first: $dropped"
pass "happy eyeballs: $BOTH's IPv6 address dropped ${BASH_REMATCH[1]} SYNs," \
    "the client connected over IPv4 meanwhile"
stop_bg c2 || fail "client c2 did not exit cleanly on SIGTERM"
stop_bg server5 || fail "server5 did not exit cleanly on SIGTERM"
n S nft delete table inet eyeballs
check_logs
