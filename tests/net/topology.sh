#!/usr/bin/env bash
# Topology: the process shape of a server with two clients, traffic through
# the tunnel (ping, large pings, 50 MB TCP transfers both ways), client-to-
# client on and off, spoofed inner source addresses, and no plaintext on the
# underlay.
. "$(dirname "$0")/lib.sh"

topo_up A B H

# Before the tunnel: the underlay works, but A has no way to H.
ping_ok A 192.0.2.1 || fail "A cannot reach S on the underlay"
ping_ok B 198.51.100.1 || fail "B cannot reach S on the underlay"
ping_ok H 203.0.113.1 || fail "H cannot reach S"
ping_fails A 203.0.113.2 || fail "A reaches H without the tunnel"
pass "before the tunnel A reaches S but not H"

server_start
SP=${PID[server]}
clients_ab
[[ -n $VA && -n $VB && $VA != "$VB" ]] || fail "vaddrs '$VA' and '$VB'"
say "alice is $VA, bob is $VB"

# --- process shape ---------------------------------------------------------

wait_until 10 stat_is "$SERVER_SOCK" server "" clients 2 ||
    fail "server status: $(status_dump "$SERVER_SOCK")"
mapfile -t kids < <(children_of "$SP")
session_pids=()
for cn in alice bob; do
	for f in control_pid data_pid; do
		p=$(stat_get "$SERVER_SOCK" session "cn=$cn" "$f") ||
		    fail "no $f for $cn in: $(status_dump "$SERVER_SOCK")"
		[[ -d /proc/$p ]] || fail "$cn's $f $p does not exist"
		[[ $(proc_ppid "$p") == "$SP" ]] ||
		    fail "$cn's $f $p is a child of $(proc_ppid "$p"), not of the server $SP"
		session_pids+=("$p")
	done
done
[[ $(printf '%s\n' "${session_pids[@]}" | sort -u | wc -l) -eq 4 ]] ||
    fail "session pids are not distinct: ${session_pids[*]}"
[[ ${#kids[@]} -eq 5 ]] ||
    fail "server $SP has ${#kids[@]} children (${kids[*]}), want a guard and 2 x (control, data)"
others=()
for k in "${kids[@]}"; do
	[[ " ${session_pids[*]} " == *" $k "* ]] || others+=("$k")
done
[[ ${#others[@]} -eq 1 ]] || fail "want one guard, found: ${others[*]}"
if g=$(stat_get "$SERVER_SOCK" guard "" pid); then
	[[ $g == "${others[0]}" ]] ||
	    fail "the status names guard $g, but the other child is ${others[0]}"
fi
pass "server $SP has children: guard ${others[0]}, and control+data per client (${session_pids[*]})"

mapfile -t queues < <(mq_list)
[[ ${#queues[@]} -eq 0 ]] ||
    fail "a running server's queues have names: ${queues[*]}"
pass "/dev/mqueue holds no queue of the running server"

# --- pings -------------------------------------------------------------------

for size in 56 4000; do
	ping_ok A 198.18.0.1 -s $size || fail "A -> server tunnel address, -s $size"
	ping_ok A 203.0.113.2 -s $size || fail "A -> H, -s $size"
	ping_ok B 203.0.113.2 -s $size || fail "B -> H, -s $size"
	ping_ok A "$VB" -s $size || fail "A -> B ($VB), -s $size"
	ping_ok B "$VA" -s $size || fail "B -> A ($VA), -s $size"
	ping_ok H "$VA" -s $size || fail "H -> A ($VA), -s $size"
done
pass "pings (56 and 4000 bytes) A->198.18.0.1, A->H, B->H, A->B, B->A, H->A"

# --- TCP transfers -----------------------------------------------------------

head -c 50M /dev/urandom >"$TMP/big"
transfer_ok A H 203.0.113.2 5001 "$TMP/big"
pass "50 MB A -> H through the tunnel, sha256 matches ($TRANSFER_SECONDS s)"
transfer_ok A B "$VB" 5002 "$TMP/big"
pass "50 MB A -> B client to client, sha256 matches ($TRANSFER_SECONDS s)"
transfer_ok H A "$VA" 5003 "$TMP/big"
pass "50 MB H -> A through the tunnel, sha256 matches ($TRANSFER_SECONDS s)"

# --- no plaintext on the underlay ---------------------------------------------

MARKER="simpletun-plaintext-marker-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
awk -v m="$MARKER" 'BEGIN { for (i = 0; i < 40000; i++) print m }' >"$TMP/marker"

capture() {	# capture NAME IFACE FILTER...: tcpdump in S, ready when it says so
	local name=$1 dev=$2
	shift 2
	start_bg "$name" S tcpdump -Z root -U -n -i "$dev" -w "$TMP/$name.pcap" "$@"
	wait_until 15 log_has "$name" "listening on" ||
	    fail "tcpdump on $dev did not start"
}
capture cap-ea ea
capture cap-tun stun0
transfer_ok A H 203.0.113.2 5004 "$TMP/marker"
stop_bg cap-ea || true
stop_bg cap-tun || true
grep -q -a -F "$MARKER" "$TMP/cap-tun.pcap" ||
    fail "positive control: the marker is not in the capture on S's stun0"
# Bytes, not packets: with UDP GSO one captured datagram carries many.
# As many as 100 full-sized packets, or the capture missed the transfer.
udp=$(tcpdump -n -r "$TMP/cap-ea.pcap" udp 2>/dev/null |
    awk '$(NF - 1) == "length" { s += $NF } END { print s + 0 }')
[[ $udp -ge $((100 * 1400)) ]] ||
    fail "the underlay capture holds only $udp bytes of UDP"
! grep -q -a -F "$MARKER" "$TMP/cap-ea.pcap" ||
    fail "the marker appears in plaintext on the underlay (S's ea)"
pass "the marker is on S's stun0 but not in $udp bytes of UDP on the underlay"

# Offloads: tun hands over super-packets, and the data processes send them
# as UDP_SEGMENT batches, so datagrams longer than the underlay's MTU cross
# the veth (it passes GSO packets whole) unless the kernel refused them.
if log_has server "UDP offloads refused" || ! log_has server "offloads csum tso4"; then
	say "offloads refused by this kernel: no check of UDP GSO"
else
	gso=$(tcpdump -n -r "$TMP/cap-ea.pcap" udp 2>/dev/null |
	    awk '$(NF - 1) == "length" && $NF > 1500' | wc -l)
	[[ $gso -gt 0 ]] || fail "no UDP datagram on the underlay is a GSO batch"
	pass "$gso UDP GSO batches (longer than the MTU) on the underlay"
fi

# --- client-to-client off, spoofed sources -------------------------------------

stop_bg a || fail "client a did not exit cleanly on SIGTERM"
stop_bg b || fail "client b did not exit cleanly on SIGTERM"
stop_bg server || fail "the server did not exit cleanly on SIGTERM"
pass "clients and server exit 0 on SIGTERM and leave no queue"

server_start server2 -- --client-to-client no
client_start a2 A 192.0.2.1 alice
client_start b2 B 198.51.100.1 bob
wait_connected a2
wait_connected b2
VA=$(vaddr a2)
VB=$(vaddr b2)

blocked_total() {
	"$SIMPLETUN" status --status-socket "$SERVER_SOCK" |
	    awk '$1 == "session" { for (i = 2; i <= NF; i++)
		if ($i ~ /^blocked=/) s += substr($i, 9) } END { print s + 0 }'
}
ping_ok A 198.18.0.1 || fail "positive control: A -> 198.18.0.1"
ping_ok B 198.18.0.1 || fail "positive control: B -> 198.18.0.1"
ping_ok A 203.0.113.2 || fail "positive control: A -> H"
before=$(blocked_total)
ping_fails A "$VB" || fail "A reaches B with --client-to-client no"
ping_fails B "$VA" || fail "B reaches A with --client-to-client no"
wait_until 10 num -gt "$before" blocked_total ||
    fail "the server's blocked counter stayed at $before"
ping_ok A 198.18.0.1 || fail "A -> 198.18.0.1 after the blocked pings"
pass "--client-to-client no blocks A <-> B (blocked $before -> $(blocked_total))"

ipn A addr add 198.18.0.77/32 dev stun0
before=$(stat_get "$SERVER_SOCK" session cn=alice bad_source)
ping_fails A 198.18.0.1 -I 198.18.0.77 ||
    fail "a spoofed inner source 198.18.0.77 got an answer"
wait_until 10 num -gt "$before" stat_get "$SERVER_SOCK" session cn=alice bad_source ||
    fail "alice's bad_source counter stayed at $before"
ping_ok A 198.18.0.1 -I "$VA" || fail "A -> 198.18.0.1 from its own address"
pass "a spoofed inner source is dropped (bad_source $before ->" \
    "$(stat_get "$SERVER_SOCK" session cn=alice bad_source))"
check_logs
