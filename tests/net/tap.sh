#!/usr/bin/env bash
# TAP mode (dev-type tap): the server and two clients on one Ethernet
# segment. The server's tap has the pool's first address, each client gets
# its own from the pool as in tun mode, on its tap. ARP each way (client <->
# server, client <-> client), pings (and a pushed route, through the
# server as gateway), 50 MB checksummed TCP client <-> client; a frame from
# a forged source MAC is dropped and counted (mac_refused) and reaches no
# one; a session's MACs leave the guard's table at once when it ends; a tun
# client is refused by a tap server with a clear line on both sides.
# Frames longer than the tunnel carries are dropped by the guard. Without
# client-to-client, clients reach the server but not each other;
# a client quiet for longer than mac-age keeps its MAC (another's claim is
# refused, and the server's frames for it reach only it); frames for one
# client's address at another's MAC (a poisoned neighbour entry, a MAC
# taken while its session was away) go to the address's session; frames
# for a client that left reach no one; an ARP probe is answered.
. "$(dirname "$0")/lib.sh"

command -v arping >/dev/null || skip "no arping"
# Read whole before grep looks (see has in lib.sh); stderr is wanted too.
usage=$(arping --help 2>&1) && grep -q -e '-s <MAC>' <<<"$usage" ||
    skip "arping is not Thomas Habets' (no -s MAC)"
topo_up A B H

# One MAC per client: the tap's own is the first each one sends from.
server_start -- --dev stap0 --dev-type tap --max-macs-per-client 1
has link/ether ipn S link show stap0 || fail "the server's stap0 is not a tap: $SEEN"
clients_ab --dev stap0 --dev-type tap
for h in A B; do
	has link/ether ipn $h link show stap0 ||
	    fail "$h's stap0 is not a tap: $SEEN"
done
[[ $(ipn A -4 -o addr show dev stap0) == *" $VA/24 "* ]] ||
    fail "A's tap does not have $VA/24: $(ipn A -4 -o addr show dev stap0)"
pass "a tap server and two tap clients, $VA and $VB from the pool on their taps"

mac_of() { ipn "$1" link show stap0 | awk '/link\/ether/ { print $2 }'; }
MA=$(mac_of A)
MB=$(mac_of B)
MS=$(mac_of S)

# arping_ok NS IP: an ARP reply within 10 s.
arping_ok() { n "$1" arping -q -c 3 -w 10 -i stap0 "$2"; }
arping_ok A 198.18.0.1 || fail "arping A -> server"
arping_ok B 198.18.0.1 || fail "arping B -> server"
arping_ok S "$VA" || fail "arping server -> A"
arping_ok S "$VB" || fail "arping server -> B"
arping_ok A "$VB" || fail "arping A -> B"
arping_ok B "$VA" || fail "arping B -> A"
[[ $(ipn A neigh show "$VB" dev stap0) == *"lladdr $MB"* ]] ||
    fail "A does not know B's MAC $MB: $(ipn A neigh show dev stap0)"
[[ $(ipn B neigh show 198.18.0.1 dev stap0) == *"lladdr $MS"* ]] ||
    fail "B does not know the server's MAC $MS: $(ipn B neigh show dev stap0)"
pass "arping A<->server, B<->server, A<->B; A sees B at $MB, B the server at $MS"

for size in 56 4000; do
	ping_ok A 198.18.0.1 -s $size || fail "ping A -> server, -s $size"
	ping_ok S "$VB" -s $size || fail "ping server -> B, -s $size"
	ping_ok A "$VB" -s $size || fail "ping A -> B, -s $size"
	ping_ok B "$VA" -s $size || fail "ping B -> A, -s $size"
done
ping_ok A 203.0.113.2 || fail "ping A -> H (pushed route via the server)"
pass "pings (56, 4000 bytes) A->server, server->B, A<->B; A->H through the" \
    "pushed route"

wait_until 10 num -ge 2 stat_get "$SERVER_SOCK" guard "" macs ||
    fail "the guard has not learned both MACs: $(status_dump "$SERVER_SOCK")"
num -gt 0 stat_get "$SERVER_SOCK" guard "" flooded ||
    fail "the guard flooded nothing (ARP requests are broadcasts)"
num -gt 0 stat_get "$SERVER_SOCK" guard "" up_frames ||
    fail "no frame went from a session to the guard"
pass "guard: macs=$(stat_get "$SERVER_SOCK" guard "" macs)" \
    "flooded=$(stat_get "$SERVER_SOCK" guard "" flooded)" \
    "up_frames=$(stat_get "$SERVER_SOCK" guard "" up_frames)"

# --- 50 MB client <-> client -------------------------------------------------

head -c 50M /dev/urandom >"$TMP/big"
transfer_ok A B "$VB" 5001 "$TMP/big"
pass "50 MB A -> B over the segment, sha256 matches ($TRANSFER_SECONDS s)"
transfer_ok B A "$VA" 5002 "$TMP/big"
pass "50 MB B -> A over the segment, sha256 matches ($TRANSFER_SECONDS s)"
rm -f "$TMP"/recv.* "$TMP/big"

# --- a frame longer than the tunnel carries ------------------------------------

# Root on the server may raise the tap's MTU (or tag VLANs on it): the
# guard drops frames longer than mtu + 14 (too_big) instead of passing
# them to a data process, and every session goes on.
mtu0=$(n S cat /sys/class/net/stap0/mtu)
before=$(stat_get "$SERVER_SOCK" guard "" too_big)
ipn S link set stap0 mtu 1500
n S ping -n -q -c 2 -w 3 -M do -s 1472 "$VB" >/dev/null 2>&1 &&
    fail "a 1514-byte frame reached B through a $mtu0-byte tunnel"
ipn S link set stap0 mtu "$mtu0"
wait_until 10 num -gt "$before" stat_get "$SERVER_SOCK" guard "" too_big ||
    fail "the guard did not count the long frames: too_big=$(stat_get "$SERVER_SOCK" guard "" too_big)"
client_connected a && client_connected b || fail "a session ended over a long frame"
ping_ok S "$VB" || fail "server -> B after the long frames"
pass "1514-byte frames from the server's tap (MTU raised to 1500): dropped" \
    "by the guard (too_big $before -> $(stat_get "$SERVER_SOCK" guard "" too_big))," \
    "both sessions go on"

# --- a forged source MAC ---------------------------------------------------------

FORGED=02:00:5e:ba:dd:01
refused() { stat_get "$SERVER_SOCK" session cn=alice mac_refused; }
before=$(refused)
n A arping -q -c 3 -w 5 -i stap0 -s "$FORGED" "$VB" &&
    fail "an ARP request from the forged MAC $FORGED got a reply"
wait_until 10 num -ge $((before + 3)) refused ||
    fail "the forged frames were not counted: mac_refused=$(refused), was $before"
has -i "$FORGED" ipn B neigh show &&
    fail "B learned the forged MAC: $(ipn B neigh show dev stap0)"
has -i "$FORGED" ipn S neigh show &&
    fail "the server learned the forged MAC: $(ipn S neigh show dev stap0)"
ping_ok A "$VB" || fail "A lost its own MAC's traffic"
pass "3 ARP requests from forged $FORGED in A: dropped, mac_refused" \
    "$before -> $(refused); neither B nor the server saw it; A ($MA) still works"

# --- a session ends: its MACs go at once -----------------------------------------

stop_bg b || fail "client b did not exit cleanly"
wait_until 10 stat_is "$SERVER_SOCK" guard "" macs 1 ||
    fail "bob's MAC stayed in the guard's table: $(status_dump "$SERVER_SOCK")"
pass "bob's session ended: the guard's table holds macs=1 at once (mac-age is 300 s)"

# --- dev-type mismatch -------------------------------------------------------------

client_start t B 198.51.100.1 bob --dev stun9 --connect-retry 60 60
wait_until 20 log_has t "refused the session: dev-type mismatch: the server uses tap, the client tun" ||
    fail "the tun client was not told why it was refused"
log_has server "refusing 198\.51\.100\.2:[0-9]+: it uses dev-type tun, this server tap" ||
    fail "the server did not log the dev-type mismatch"
client_connected t && fail "a tun client is connected to a tap server"
pass "a tun client is refused: $(grep -m1 -o 'refused the session: .*' "$TMP/t.log")"
stop_bg t || true
stop_bg a || fail "client a did not exit cleanly"
stop_bg server || fail "server did not exit cleanly"

# --- client-to-client no; mac-age ------------------------------------------------

server_start iso -- --dev stap0 --dev-type tap --client-to-client no \
    --mac-age 10
client_start a2 A 192.0.2.1 alice --dev stap0 --dev-type tap
client_start b2 B 198.51.100.1 bob --dev stap0 --dev-type tap
wait_connected a2
wait_connected b2
VB=$(vaddr b2)
arping_ok A 198.18.0.1 || fail "arping A -> server without client-to-client"
arping_ok B 198.18.0.1 || fail "arping B -> server without client-to-client"
ping_ok A 198.18.0.1 || fail "ping A -> server without client-to-client"
n A arping -q -c 3 -w 5 -i stap0 "$VB" &&
    fail "arping A -> B answered without client-to-client"
ping_fails A "$VB" || fail "ping A -> B works without client-to-client"
stat_is "$SERVER_SOCK" guard "" up_frames 0 ||
    fail "frames went from a session to the guard without client-to-client"
pass "client-to-client no: A and B reach the server (ARP, ping), not each" \
    "other; no frame from a session reached the guard"
MB=$(mac_of B)
VA=$(vaddr a2)
guard_stat() { stat_get "$SERVER_SOCK" guard "" "$1"; }

# --- a quiet session keeps its MAC; stale and forged ones reach no one else ---

# tcpdump in A and B; sent_to CAP IP: frames for IP in that capture so far.
start_bg cap-a A tcpdump -Z root -U --immediate-mode -n -i stap0 -w "$TMP/cap-a.pcap"
start_bg cap-b B tcpdump -Z root -U --immediate-mode -n -i stap0 -w "$TMP/cap-b.pcap"
wait_until 15 log_has cap-a "listening on" || fail "tcpdump in A did not start"
wait_until 15 log_has cap-b "listening on" || fail "tcpdump in B did not start"
sent_to() { tcpdump -n -r "$TMP/$1.pcap" dst host "$2" 2>/dev/null | wc -l; }

# B sends nothing for longer than mac-age (10 s): the scenario, not a timing
# assertion. Its MAC stays bob's all the same: alice, from B's MAC (and her
# own address, which her data process lets pass), is refused by the guard.
sleep 12
before=$(guard_stat mac_refused)
n A arping -q -c 2 -w 4 -i stap0 -s "$MB" -S "$VA" 198.18.0.1 || true
wait_until 10 num -gt "$before" guard_stat mac_refused ||
    fail "the guard gave alice bob's quiet MAC $MB: mac_refused=$(guard_stat mac_refused), was $before"
ping_ok S "$VB" -p 5345435245544f42 || fail "server -> B after alice claimed B's MAC"
[[ $(sent_to cap-a "$VB") -eq 0 ]] ||
    fail "A saw $(sent_to cap-a "$VB") frames for B ($VB): $(tcpdump -n -e -r "$TMP/cap-a.pcap" dst host "$VB" 2>/dev/null | head -n 3)"
pass "bob quiet past mac-age keeps $MB: alice's claim refused (guard" \
    "mac_refused $before -> $(guard_stat mac_refused)), the server's pings" \
    "reach B and none of them A"

# alice's ARP from B's MAC told the server that her address is at $MB. Its
# frames for her address go to her session (whose kernel drops them: not
# its MAC), not to bob's.
before=$(guard_stat misdirected)
to_a=$(sent_to cap-a "$VA")
has "$VA .*lladdr $MB" ipn S neigh show dev stap0 ||
    fail "the server did not take alice's forged ARP: $SEEN"
ping_fails S "$VA" || fail "the server reached alice through B's MAC"
wait_until 10 num -gt "$before" guard_stat misdirected ||
    fail "misdirected stayed at $before"
wait_until 10 num -gt "$to_a" sent_to cap-a "$VA" ||
    fail "the server's frames for alice at B's MAC did not reach A's tap"
[[ $(sent_to cap-b "$VA") -eq 0 ]] ||
    fail "B saw $(sent_to cap-b "$VA") frames for alice's $VA"
n A arping -q -c 2 -w 4 -i stap0 198.18.0.1 || fail "alice's own ARP"
ping_ok S "$VA" || fail "the server does not reach alice again"
pass "frames for alice's $VA at B's MAC go to her session (misdirected" \
    "$before -> $(guard_stat misdirected)), none to B; her own ARP mends it"

# An ARP probe (sender 0.0.0.0, RFC 5227) has an answer with no target
# address: it goes to the owner of its MAC.
n A arping -q -0 -c 2 -w 4 -i stap0 198.18.0.1 ||
    fail "no answer to alice's ARP probe (sender 0.0.0.0)"
pass "alice's ARP probe from 0.0.0.0 is answered"

# bob leaves: the server's neighbour entry for him still names $MB; its
# frames for him are not flooded (A sees none).
stop_bg b2 || fail "client b2 did not exit cleanly"
wait_until 10 stat_is "$SERVER_SOCK" server "" clients 1 ||
    fail "bob's session did not end: $(status_dump "$SERVER_SOCK")"
before=$(sent_to cap-a "$VB")
ping_fails S "$VB" -p 5345435245544f42 || fail "the server reached bob, who left"
sleep 0.5	# the last frames: --immediate-mode hands each to tcpdump at once
stop_bg cap-a || true
stop_bg cap-b || true
[[ $(sent_to cap-a "$VB") -eq "$before" ]] ||
    fail "A saw frames for bob who left: $(tcpdump -n -e -r "$TMP/cap-a.pcap" dst host "$VB" 2>/dev/null | tail -n 3)"
client_connected a2 || fail "a2 lost its session"
ping_ok S "$VA" || fail "server -> A after bob left"
pass "bob left: the server's frames for $VB reach no one, alice goes on"

# While bob is away his MAC is free: alice takes it. bob comes back with a
# tap of that MAC. The guard refuses it to him (alice's), yet his address
# is his: the server's frames for it reach him, and his reach the server.
# (Her data process took $MB for her above already, so the guard hears of
# it in her next notice, within a third of mac-age.)
wait_until 10 stat_is "$SERVER_SOCK" guard "" macs 1 ||
    fail "bob's MAC stayed in the guard's table: $(status_dump "$SERVER_SOCK")"
n A arping -q -c 2 -w 4 -i stap0 -s "$MB" -S "$VA" 198.18.0.1 || true
wait_until 20 stat_is "$SERVER_SOCK" guard "" macs 2 ||
    fail "the guard did not give alice the free $MB: $(status_dump "$SERVER_SOCK")"
client_start b3 B 198.51.100.1 bob --dev stap0 --dev-type tap
wait_connected b3
ipn B link set stap0 address "$MB"
VB=$(vaddr b3)
before=$(guard_stat misdirected)
ping_ok B 198.18.0.1 || fail "bob, back with the MAC alice took, cannot reach the server"
ping_ok S "$VB" || fail "the server cannot reach bob at the MAC alice took"
# (The guard's counters reach the status socket once a second.)
wait_until 10 num -gt "$before" guard_stat misdirected ||
    fail "misdirected stayed at $before"
pass "alice took $MB while bob was away; bob, back with it, and the server" \
    "reach each other by address (misdirected $before -> $(guard_stat misdirected))"
check_logs
