#!/usr/bin/env bash
# Load: loadgen opens 100 real sessions from A (a certificate of its own
# each, real handshakes), holds them past the keepalive timeout, and every
# one must still carry an echo request to the server's tunnel address and
# its reply back. The server then ends them all cleanly and still serves a
# normal client. loadgen's figures (handshakes per second, PSS per session)
# are kept in $TMP/loadgen.out and said on the way.
. "$(dirname "$0")/lib.sh"

: "${LOADGEN:=$TOP/build/loadgen}"
[[ -x $LOADGEN ]] || fail "LOADGEN=$LOADGEN is not executable"
N=${LOAD_SESSIONS:-100}

topo_up A
[[ -f $TMP/certs/ca.key ]] || fail "mkcerts left no ca.key in $TMP/certs"
# All of loadgen's sessions come from one address. Handshakes in flight
# share the CPU, so the more there are, the longer each takes: on a slow
# machine (the ASan build execs two sanitized processes per session) 32 at
# once took over 30 s each. 8 at a time, with generous deadlines on both
# sides, keep the test about correctness; the rate is only reported.
server_start -- --max-clients 110 --max-handshakes-per-source 64 \
    --handshake-timeout 120

# json_get KEY: a number from loadgen's one line of JSON.
json_get() {
	sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$TMP/loadgen.out"
}

# --hold 12: longer than the server's keepalive timeout (10 s), so only
# sessions that keep sending keepalives are still there for the check.
n A "$LOADGEN" --remote 192.0.2.1:1194 --server-name server \
    --ca "$TMP/certs/ca.crt" --ca-key "$TMP/certs/ca.key" -n "$N" \
    --inflight 8 --timeout 180 --tries 30 \
    --hold 12 --server-pid "${PID[server]}" --json \
    >"$TMP/loadgen.out" 2>"$TMP/loadgen.log" ||
    fail "loadgen failed: $(cat "$TMP/loadgen.out" "$TMP/loadgen.log")"
[[ $(json_get up) == "$N" ]] || fail "not all $N sessions came up: $(cat "$TMP/loadgen.out")"
[[ $(json_get held_with_traffic) == "$N" ]] ||
    fail "not all $N sessions carried traffic: $(cat "$TMP/loadgen.out")"
say "$(json_get handshakes_per_second) handshakes/s," \
    "$(json_get pss_per_session_kb) kB PSS per session" \
    "($(json_get pss_added_per_session_kb) kB above the baseline);" \
    "CPU per handshake: server $(json_get server_cpu_ms_per_handshake) ms," \
    "loadgen $(json_get loadgen_cpu_ms_per_handshake) ms, so" \
    "$(json_get cpus) CPUs allow $(json_get handshakes_per_second_cpu_allows)/s"
pass "$N sessions up, held past the keepalive timeout, all carried traffic"

wait_until 30 stat_is "$SERVER_SOCK" server "" clients 0 ||
    fail "the server kept sessions after loadgen said BYE: $(status_dump "$SERVER_SOCK")"
stat_is "$SERVER_SOCK" server "" pool_used 0 ||
    fail "addresses still in use: $(status_dump "$SERVER_SOCK")"
pass "every session ended and gave its address back"

client_a
wait_connected a
ping_ok A 198.18.0.1 || fail "no ping from a normal client after the load"
pass "a normal client still connects and passes traffic"
stop_bg a || fail "client a did not exit cleanly"
stop_bg server || fail "server did not exit cleanly"
check_logs
