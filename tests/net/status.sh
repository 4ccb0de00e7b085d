#!/usr/bin/env bash
# `simpletun status` and `status --json` against what the test sent: a known
# number of pings of known size and a UDP burst, counted exactly on both
# sides and each way (inner IP bytes; the wire carries 32 bytes more per
# datagram, checked in a capture); keepalives apart; replayed and forged
# packets counted as drops by reason; connected-since and last-packet times
# plausible; the JSON valid with a hostile CN (quotes, backslash, blanks);
# the socket mode 0600 and closed to other users; a client started with
# --config FILE and no status-socket answers `status --config FILE` at
# /run/simpletun/NAME.sock.
. "$(dirname "$0")/lib.sh"

[[ -x $PKT_INJECT ]] || fail "PKT_INJECT=$PKT_INJECT is not executable"
command -v jq >/dev/null || skip "no jq"
require_root_net
tmp_make
topo_net A B
# Nothing but what the test sends crosses the tunnel: no IPv6 chatter.
for ns in S A B; do
	n "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
	    net.ipv6.conf.default.disable_ipv6=1
done
certs_make
C=$TMP/certs
T0=$(date +%s)

# eve's certificate carries a CN with every character a JSON or key=value
# reader could trip on (the server takes printable ASCII only).
EVE_CN='eve "q" \ x=1, {}<>'
( umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$C/eve.key" 2>/dev/null )
openssl req -new -sha256 -key "$C/eve.key" -subj '/CN=eve "q" \\ x=1, {}<>' \
    -out "$TMP/eve.csr"
printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth" \
    >"$TMP/eve.ext"
openssl x509 -req -sha256 -days 2 -in "$TMP/eve.csr" -CA "$C/ca.crt" \
    -CAkey "$C/ca.key" -set_serial 0x51 -extfile "$TMP/eve.ext" \
    -out "$C/eve.crt" 2>/dev/null
[[ $(openssl x509 -in "$C/eve.crt" -noout -subject \
    -nameopt utf8,sep_comma_plus,-esc_2253) == "subject=CN=$EVE_CN" ]] ||
    fail "eve's certificate has subject $(openssl x509 -in "$C/eve.crt" -noout -subject)"

server_start
client_a

# eve: a client from a configuration file without status-socket, so its
# socket is /run/simpletun/NAME.sock, NAME from the file's name.
NAME=st$$-eve
EVE_CONF=$TMP/$NAME.conf
EVE_SOCK=/run/simpletun/$NAME.sock
cat >"$EVE_CONF" <<EOF
remote 198.51.100.1:1194
server-name server
dev stun0
ca $C/ca.crt
cert $C/eve.crt
key $C/eve.key
EOF
start_bg e B "$SIMPLETUN" client --config "$EVE_CONF"
trap 'rc=$?; rm -f -- "$EVE_SOCK"; (exit "$rc"); cleanup' EXIT

# json SOCK: the whole document, which must be valid JSON.
json() {
	local out
	out=$("$SIMPLETUN" status --status-socket "$1" --json) || return 1
	jq empty <<<"$out" >/dev/null || {
		printf 'invalid JSON from %s: %s\n' "$1" "$out" >&2
		return 1
	}
	printf '%s\n' "$out"
}
# jget SOCK FILTER [jq args]: one value (jq -e: null or false fails).
jget() { local s=$1 f=$2; shift 2; json "$s" | jq -e -r "$@" "$f"; }
# The server's session of alice and eve, the clients' own sessions.
srv() { jget "$SERVER_SOCK" ".sessions[] | select(.cn == \"alice\") | $1"; }
cli() { jget "$TMP/a.sock" ".session$1"; }

wait_connected a
wait_until 30 out_is connected jget "$EVE_SOCK" .client.state ||
    fail "eve did not connect (socket $EVE_SOCK)"
ping_ok A 198.18.0.1 || fail "no ping through the tunnel"
wait_until 10 jget "$SERVER_SOCK" '.sessions[] | select(.cn == "alice") |
    .endpoint | test("^192\\.0\\.2\\.2:[0-9]+$")' ||
    fail "alice's endpoint is $(srv .endpoint)"

# --- the document's shape and the server-wide figures -----------------------
S_JSON=$(json "$SERVER_SOCK") || fail "server status --json is not valid JSON"
js() { jq -e -r "$1" <<<"$S_JSON"; }
[[ $(js .server.pid) == "${PID[server]}" ]] || fail "server pid $(js .server.pid)"
[[ $(js .server.version) =~ ^[0-9]+\.[0-9]+ ]] || fail "version $(js .server.version)"
[[ $(js .server.listen) == 0.0.0.0:1194 ]] || fail "listen $(js .server.listen)"
# the wildcard's socket, then one per local address a client reached
js '.server.udp[0] == "0.0.0.0:1194" and
    (.server.udp | index("192.0.2.1:1194") != null)' >/dev/null ||
    fail "udp $(js .server.udp)"
[[ $(js .server.clients) == 2 && $(js '.sessions | length') == 2 ]] ||
    fail "2 sessions: clients=$(js .server.clients), $(js '.sessions | length') listed"
[[ $(js .server.max_clients) == 64 ]] || fail "max_clients $(js .server.max_clients)"
[[ $(js .guard.pid) =~ ^[0-9]+$ ]] && alive "$(js .guard.pid)" ||
    fail "guard pid $(js .guard.pid)"
js '.guard | has("queue_full") and has("no_session")' >/dev/null ||
    fail "the guard's counters are missing: $(js .guard)"
pass "server: version $(js .server.version), pid, listen, udp, 2 of" \
    "$(js .server.max_clients) clients, guard counters"

# eve's CN, as the certificate has it, in JSON and quoted in the text form.
EVE_VADDR=$(jq -e -r --arg cn "$EVE_CN" \
    '.sessions[] | select(.cn == $cn) | .vaddr' <<<"$S_JSON") ||
    fail "no session with eve's CN in: $(js '[.sessions[].cn]')"
grep -q -F "session cn=\"eve \\\"q\\\" \\\\ x=1, {}<>\" vaddr=$EVE_VADDR " \
    <(status_dump "$SERVER_SOCK") ||
    fail "eve's CN is not quoted in the text form: $(status_dump "$SERVER_SOCK" | grep eve)"
pass "a CN with quotes, backslash and blanks: valid JSON, quoted text ($EVE_VADDR)"

# eve's client, asked through --config: the default socket path.
[[ $("$SIMPLETUN" status --config "$EVE_CONF" --json | jq -r .client.vaddr) == "$EVE_VADDR" ]] ||
    fail "status --config $EVE_CONF does not show eve's address"
[[ $(stat -c %a "$EVE_SOCK") == 600 && $(stat -c %a "$SERVER_SOCK") == 600 ]] ||
    fail "status sockets are not mode 0600"
other=$(setpriv --reuid 65533 --regid 65533 --clear-groups \
    "$SIMPLETUN" status --status-socket "$SERVER_SOCK" 2>&1) &&
    fail "another uid could read the server's status"
[[ $other == *"Permission denied"* ]] || fail "another uid: $other"
pass "status --config finds $EVE_SOCK; sockets 0600, closed to another uid"

# --- the client's record --------------------------------------------------
A_JSON=$(json "$TMP/a.sock") || fail "client status --json is not valid JSON"
ja() { jq -e -r "$1" <<<"$A_JSON"; }
AV=$(srv .vaddr)
[[ $(ja .client.state) == connected && $(ja .client.vaddr) == "$AV" &&
   $(ja .client.remote) == 192.0.2.1:1194 && $(ja .client.server_name) == server &&
   $(ja '.client.routes | join(",")') == 203.0.113.0/24 &&
   $(ja .session.endpoint) == 192.0.2.1:1194 && $(ja .session.key_epoch) == 0 ]] ||
    fail "alice's client status: $A_JSON"
pass "client: connected, $AV, routes $(ja '.client.routes | join(",")')," \
    "endpoint $(ja .session.endpoint), key epoch 0"

# --- times ------------------------------------------------------------------
NOW=$(date +%s)
SINCE=$(srv .connected_since_epoch)
(( SINCE >= T0 && SINCE <= NOW )) || fail "connected_since_epoch $SINCE not in $T0..$NOW"
[[ $(srv .connected_since) == "$(date -u -d "@$SINCE" +%Y-%m-%dT%H:%M:%SZ)" ]] ||
    fail "connected_since $(srv .connected_since) is not $SINCE in ISO 8601"
LAST=$(srv .last_rx_epoch)
NOW=$(date +%s)
(( LAST >= SINCE - 1 && LAST <= NOW )) ||
    fail "last_rx_epoch $LAST not in $((SINCE - 1))..$NOW"
(( $(srv .last_rx_age_ms) < 30000 )) || fail "last_rx_age_ms $(srv .last_rx_age_ms)"
pass "connected since $(srv .connected_since), last packet $(srv .last_rx_age_ms) ms ago"

# --- traffic, exactly ------------------------------------------------------
# counters: alice's client tx/rx packets/bytes, then the server's rx/tx.
# Two status calls, as close together as they can be.
counters() {
	local c s
	c=$("$SIMPLETUN" status --status-socket "$TMP/a.sock" --json) &&
	    s=$("$SIMPLETUN" status --status-socket "$SERVER_SOCK" --json) ||
	    return 1
	jq -e -r '.session | "\(.tx_packets) \(.tx_bytes) \(.rx_packets)" +
	    " \(.rx_bytes)"' <<<"$c" | tr '\n' ' ' &&
	    jq -e -r '.sessions[] | select(.cn == "alice") |
	    "\(.rx_packets) \(.rx_bytes) \(.tx_packets) \(.tx_bytes)"' <<<"$s"
}
# rose_by BEFORE "CTXP CTXB CRXP CRXB SRXP SRXB STXP STXB": every counter
# rose by exactly that (the data processes report once a second).
rose_by() {
	local -a b=($1) d=($2) want=() i
	for i in "${!b[@]}"; do want+=($((b[i] + d[i]))); done
	[[ $(counters) == "${want[*]}" ]]
}
expect() {
	local before=$1 delta=$2 what=$3
	wait_until 30 rose_by "$before" "$delta" ||
	    fail "$what: counters went from ($before) to ($(counters)), want +($delta)"
	sleep 2.5	# two reports' time for an overshoot to show
	rose_by "$before" "$delta" ||
	    fail "$what: counters went on to ($(counters)), want ($before) +($delta)"
}

UDP_PORT=$(js .server.udp_port)
start_bg capture S tcpdump -Z root -U -n -i ea -w "$TMP/alice.pcap" \
    udp dst port "$UDP_PORT"
wait_until 15 log_has capture "listening on" || fail "tcpdump did not start"

# The counters of the pings above reach status within a second: the
# baseline is taken once they have stopped moving.
settled() { local a; a=$(counters) && sleep 1.5 && [[ $(counters) == "$a" ]]; }
wait_until 30 settled || fail "the counters do not settle: $(counters)"

# 10 pings of 100 bytes: 128-byte IP packets each way. Exactly 10 are sent
# (with -w, ping sends more while a reply is late); the counters show that
# all 10 replies came back, late ones too.
B=$(counters)
out=$(n A ping -n -q -c 10 -i 0.2 -s 100 -W 30 198.18.0.1) || true
[[ $out == *"10 packets transmitted"* ]] || fail "ping: $out"
expect "$B" "10 1280 10 1280 10 1280 10 1280" "10 pings of 128 bytes"
pass "10 pings of 128-byte packets: 10/1280 each way on both sides ($(counters))"

# 50 UDP datagrams of 200 bytes to a sink in S: 228-byte packets, one way.
start_bg sink S socat -u UDP-RECV:9000,bind=198.18.0.1 OPEN:/dev/null
sink_ready() { has -F '198.18.0.1:9000' n S ss -Hlun; }
wait_until 10 sink_ready || fail "the UDP sink did not start"
B=$(counters)
n A bash -c 'p=$(printf "%0200d" 0); for i in $(seq 50); do
    printf %s "$p" >/dev/udp/198.18.0.1/9000; sleep 0.02; done'
expect "$B" "50 11400 0 0 50 11400 0 0" "50 UDP datagrams of 228 bytes"
pass "50 UDP datagrams of 228 bytes: 50/11400 client tx and server rx, nothing back"

# The wire: each of alice's datagrams is the inner packet plus 32 bytes
# (16 of header, 16 of tag); keepalives are 32 bytes and counted apart.
sleep 1
stop_bg capture || true
wire=$(tcpdump -n -r "$TMP/alice.pcap" 2>/dev/null)
# The server's socket takes UDP GRO, and a client data process that ran
# late sends what waited in its tun as one UDP_SEGMENT: datagrams of one size
# that go together are captured as one of k x 160 or k x 260 bytes (2080 is
# both, 8 x 260 and 13 x 160; only 10 pings are sent).
lengths=$(sed -n 's/.*UDP, length \([0-9]*\)$/\1/p' <<<"$wire")
read -r n160 n260 odd < <(awk '$1 % 260 == 0 { b += $1 / 260; next }
    $1 % 160 == 0 { a += $1 / 160; next } $1 != 32 { c++ }
    END { print a + 0, b + 0, c + 0 }' <<<"$lengths")
[[ $n160 == 10 && $n260 == 50 && $odd == 0 ]] ||
    fail "on the wire: $(sort -n <<<"$lengths" | uniq -c | tr '\n' ' ')"
KA=$(grep -c 'UDP, length 32$' <<<"$wire" || true)
(( $(cli .tx_keepalives) >= KA )) || fail "tx_keepalives $(cli .tx_keepalives) < $KA captured"
pass "on the wire: 10 x 160 and 50 x 260 bytes of UDP payload, $KA keepalives of 32"

# --- drops by reason -------------------------------------------------------
# Replays of what alice sent, from a new endpoint: each a replay, and the
# same with a sequence bit flipped: each a bad MAC.
inject() {
	local out
	out=$(n A "$PKT_INJECT" "$@" 2>>"$TMP/pkt_inject.log") ||
	    fail "pkt_inject $* failed: $out"
	SENT=${out##*sent }
	[[ $SENT =~ ^[0-9]+$ && $SENT -gt 0 ]] || fail "pkt_inject said '$out'"
}
# lost_before: what the kernel dropped on S's sockets of the UDP port
# (a receive buffer that overflowed while the guard waited for a busy
# CPU) and the guard's full queues; those never reach a counter of alice.
lost_before() {
	echo $(( $(udp_drops S "$UDP_PORT") +
	    $(stat_get "$SERVER_SOCK" guard "" queue_full) ))
}
# drops_reach KIND N: drops.KIND plus what was lost before is N.
drops_reach() {
	(( $(srv ".drops.$1") + $(lost_before) - LOST0 == $2 ))
}
for kind in replay bad_mac; do
	before=$(srv ".drops.$kind")
	other=$(srv ".drops | del(.$kind) | add")
	LOST0=$(lost_before)
	if [[ $kind == replay ]]; then
		inject replay "$TMP/alice.pcap" 192.0.2.1 "$UDP_PORT" --pace 200
	else
		inject replay "$TMP/alice.pcap" 192.0.2.1 "$UDP_PORT" \
		    --flip-bit 64 --pace 200
	fi
	wait_until 20 drops_reach "$kind" $((before + SENT)) ||
	    fail "drops.$kind went from $before to $(srv ".drops.$kind")" \
	    "($(( $(lost_before) - LOST0 )) lost before), want +$SENT"
	sleep 2.5
	drops_reach "$kind" $((before + SENT)) ||
	    fail "drops.$kind went on to $(srv ".drops.$kind"), want $((before + SENT))"
	[[ $(srv ".drops | del(.$kind) | add") == "$other" ]] ||
	    fail "other drops moved: $(srv .drops)"
	now=$(srv ".drops.$kind")
	grep -q -E "^session cn=alice .* $kind=$now( |$)" \
	    <(status_dump "$SERVER_SOCK") || fail "text form: no $kind=$now"
	pass "$SENT injected packets: drops.$kind $before -> $now" \
	    "($(( $(lost_before) - LOST0 )) lost before reaching it), no other drop"
done
ping_ok A 198.18.0.1 || fail "no ping after the injections"
check_logs
