#!/usr/bin/env bash
# Attacks on the data channel from the underlay: replayed packets, replayed
# packets with a flipped sequence bit, and random garbage, each sent from a
# new endpoint (pkt_inject's own port), so it reaches the guard, which hands
# it to the session its header names or drops it. Each is dropped and
# counted (by alice's data process, or by the guard when it names no
# session); nothing crashes, the client's endpoint does not move, and the
# tunnel keeps working after each.
. "$(dirname "$0")/lib.sh"

[[ -x $PKT_INJECT ]] || fail "PKT_INJECT=$PKT_INJECT is not executable"
topo_up A
server_start
client_a
wait_connected a
ping_ok A 198.18.0.1 || fail "no ping through the tunnel"

sget() { stat_get "$SERVER_SOCK" session cn=alice "$1"; }
# The data process reports its counters and endpoint about once a second.
endpoint_known() { [[ $(sget endpoint) == 192.0.2.2:* ]]; }
wait_until 10 endpoint_known || fail "alice's endpoint is '$(sget endpoint)'"
UDP_PORT=$(stat_get "$SERVER_SOCK" server "" udp_port)
DATA_PID=$(sget data_pid)
ENDPOINT=$(sget endpoint)
say "alice's data process $DATA_PID, server port $UDP_PORT, peer $ENDPOINT"

# Capture what alice sends to her data process while she pings: DATA
# packets only (first payload byte 1), since garbage behind a keepalive's
# header (test 4) is "malformed", not a MAC failure.
start_bg capture S tcpdump -Z root -U -n -i ea -w "$TMP/alice.pcap" \
    udp dst port "$UDP_PORT" and "udp[8] = 1"
wait_until 15 log_has capture "listening on" || fail "tcpdump did not start"
n A ping -n -q -c 20 -i 0.2 -w 30 198.18.0.1 >/dev/null ||
    fail "20 pings through the tunnel"
stop_bg capture || true
NCAP=$(tcpdump -n -r "$TMP/alice.pcap" 2>/dev/null | wc -l)
[[ $NCAP -ge 10 ]] || fail "captured only $NCAP packets to port $UDP_PORT"
say "captured $NCAP packets from alice"

# After each attack: the same data process, the same endpoint, a tunnel
# that still works.
unharmed() {
	[[ $(sget data_pid) == "$DATA_PID" ]] && alive "$DATA_PID" ||
	    fail "$1: alice's data process $DATA_PID is gone"
	[[ $(sget endpoint) == "$ENDPOINT" ]] ||
	    fail "$1: alice's endpoint moved to $(sget endpoint)"
	ping_ok A 198.18.0.1 || fail "$1: no ping through the tunnel afterwards"
}

# inject NAME ARGS...: pkt_inject from A; SENT is how many it sent.
inject() {
	local name=$1 out
	shift
	out=$(n A "$PKT_INJECT" "$@" 2>>"$TMP/pkt_inject.log") ||
	    fail "$name: pkt_inject $* failed: $out"
	SENT=${out##*sent }
	[[ $SENT =~ ^[0-9]+$ && $SENT -gt 0 ]] || fail "$name: pkt_inject said '$out'"
}

# rises_by N COUNTERS...: the sum of alice's COUNTERS reaches BEFORE + N in
# time and does not pass it.
sum() { stat_sum "$SERVER_SOCK" session cn=alice "$@"; }
rises_by() {
	local want=$(($1 + BEFORE)) got
	shift
	if ! wait_until 20 num -ge "$want" sum "$@"; then
		fail "$* went from $BEFORE to $(sum "$@"), want $want" \
		    "(UDP drops in S: $(n S nstat -az UdpRcvbufErrors | tail -n 1))"
	fi
	sleep 2.5	# two reports' time for an overshoot to show; not an assertion
	got=$(sum "$@")
	[[ $got -eq $want ]] || fail "$* went from $BEFORE to $got, want $want"
}

# 1. Replay: every packet is a sequence number already seen.
BEFORE=$(sum replay)
MAC_BEFORE=$(sum bad_mac)
inject replay replay "$TMP/alice.pcap" 192.0.2.1 "$UDP_PORT" --pace 1000
rises_by "$SENT" replay
[[ $(sum bad_mac) -eq $MAC_BEFORE ]] || fail "replayed packets reached the MAC check"
unharmed replay
pass "$SENT replayed packets counted as replay ($BEFORE -> $(sum replay)), no MAC work"

# 2. Replay with the sequence number's top bit flipped (byte 8, bit 0): the
# packet looks new, so it must fail the MAC check and not move the window.
BEFORE=$(sum bad_mac)
REPLAY_BEFORE=$(sum replay)
inject flip replay "$TMP/alice.pcap" 192.0.2.1 "$UDP_PORT" --flip-bit 64 \
    --pace 1000
rises_by "$SENT" bad_mac
[[ $(sum replay) -eq $REPLAY_BEFORE ]] || fail "flipped packets were counted as replays"
unharmed "flipped sequence"
pass "$SENT packets with a flipped sequence bit counted as bad_mac ($BEFORE -> $(sum bad_mac))"

# 3. Random garbage: each datagram is dropped and counted exactly once, by
# the guard (it names no session, or alice's queue is full on a busy
# machine) or by alice's data process.
COUNTERS=(malformed unknown_key replay bad_mac)
gsum() { stat_sum "$SERVER_SOCK" guard "" no_session oversize queue_full; }
all_drops() { echo $(( $(sum "${COUNTERS[@]}") + $(gsum) )); }
drops_rise_by() {
	local want=$((BEFORE + $1))
	wait_until 20 num -ge "$want" all_drops ||
	    fail "drops went from $BEFORE to $(all_drops), want $want"
	sleep 2.5	# two reports' time for an overshoot to show; not an assertion
	[[ $(all_drops) -eq $want ]] ||
	    fail "drops went from $BEFORE to $(all_drops), want $want"
}
BEFORE=$(all_drops)
inject garbage garbage 192.0.2.1 "$UDP_PORT" 1000 --seed 1194 --pace 500
[[ $SENT -eq 1000 ]] || fail "pkt_inject sent $SENT of 1000 garbage datagrams"
drops_rise_by 1000
[[ $(sum bad_inner) -eq 0 && $(sum bad_source) -eq 0 ]] ||
    fail "garbage got past the MAC check (bad_inner/bad_source rose)"
unharmed garbage
pass "1000 garbage datagrams counted (guard no_session+oversize+queue_full=$(gsum)" \
    "malformed=$(sum malformed) unknown_key=$(sum unknown_key)" \
    "replay=$(sum replay) bad_mac=$(sum bad_mac))"

# 4. Garbage behind a plausible header (alice's type, key id, zero bytes
# and receiver index from the capture): the guard hands it to alice's data
# process, where it passes the header checks and must fail the MAC check,
# unless it is too short to hold a tag.
# The capture holds data packets only (type 1), so record 1 is one: it
# starts at 24 + 16; the UDP payload at 14 + 20 + 8 into the frame.
HDR=$(od -An -tx1 -j82 -N8 "$TMP/alice.pcap" | tr -d ' \n')
[[ $HDR =~ ^01[0-9a-f]{2}0000[0-9a-f]{8}$ ]] ||
    fail "cannot read a header from the capture: '$HDR'"
BEFORE=$(all_drops)
MAC_BEFORE=$(sum bad_mac)
inject header garbage 192.0.2.1 "$UDP_PORT" 500 --seed 2 --prefix "$HDR" \
    --pace 500
drops_rise_by 500
[[ $(sum bad_mac) -ge $((MAC_BEFORE + 450)) ]] ||
    fail "garbage behind header $HDR: bad_mac rose only from $MAC_BEFORE to $(sum bad_mac)"
[[ $(sum bad_inner) -eq 0 && $(sum bad_source) -eq 0 ]] ||
    fail "garbage got past the MAC check (bad_inner/bad_source rose)"
unharmed "garbage behind a header"
pass "500 garbage datagrams behind header $HDR: bad_mac $MAC_BEFORE -> $(sum bad_mac)"
check_logs
