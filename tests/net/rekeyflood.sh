#!/usr/bin/env bash
# Rekey flood: a client that sends REKEY after REKEY is ended, alone. loadgen
# opens 3 sessions from A; session 0 then sends 20 REKEYs back to back. The
# server allows a burst of 5 and one a second after that, so it says BYE
# "rekeying too often" to session 0 and logs one line naming it, while the
# other two sessions stay up and carry traffic. A normal client rekeying
# every second (the fastest reneg-sec) is never stopped by the limit.
. "$(dirname "$0")/lib.sh"

: "${LOADGEN:=$TOP/build/loadgen}"
[[ -x $LOADGEN ]] || fail "LOADGEN=$LOADGEN is not executable"

topo_up A
[[ -f $TMP/certs/ca.key ]] || fail "mkcerts left no ca.key in $TMP/certs"
server_start

# json_get KEY: a number or true/false from loadgen's one line of JSON;
# json_text KEY: a string from it.
json_get() {
	sed -n "s/.*\"$1\": \([0-9.a-z]*\).*/\1/p" "$TMP/loadgen.out"
}
json_text() {
	sed -n "s/.*\"$1\": \"\([^\"]*\)\".*/\1/p" "$TMP/loadgen.out"
}

# --hold 3: the flood goes out as soon as all are up; the BYE is in long
# before the traffic check.
n A "$LOADGEN" --remote 192.0.2.1:1194 --server-name server \
    --ca "$TMP/certs/ca.crt" --ca-key "$TMP/certs/ca.key" -n 3 \
    --hold 3 --rekey-flood 20 --json \
    >"$TMP/loadgen.out" 2>"$TMP/loadgen.log" ||
    fail "loadgen failed: $(cat "$TMP/loadgen.out" "$TMP/loadgen.log")"
[[ $(json_get up) == 3 ]] || fail "not all 3 sessions came up: $(cat "$TMP/loadgen.out")"
[[ $(json_get flood_bye) == true ]] ||
    fail "session 0 was not ended by its REKEY flood: $(cat "$TMP/loadgen.out")"
[[ $(json_text flood_bye_reason) == "rekeying too often" ]] ||
    fail "session 0 ended for another reason: $(cat "$TMP/loadgen.out")"
pass "20 REKEYs back to back: BYE \"rekeying too often\" after $(json_get rekey_acks) ACKs"
log_has server 'ending the session of load-0000 from 192\.0\.2\.2:[0-9]+: REKEY more than 5 in a burst or 1 a second' ||
    fail "the server did not log the flood"
[[ $(grep -c -i 'REKEY more than' "$TMP/server.log") == 1 ]] ||
    fail "the flood was logged more than once"
pass "the server logged one line naming load-0000"
[[ $(json_get held_with_traffic) == 2 ]] ||
    fail "the other 2 sessions did not carry traffic: $(cat "$TMP/loadgen.out")"
[[ $(json_get ok) == true ]] ||
    fail "the other 2 sessions did not stay up: $(cat "$TMP/loadgen.out")"
pass "the other 2 sessions stayed up and carried traffic"

# Positive control: the fastest honest rekeying stays under the limit.
client_a --reneg-sec 1
wait_connected a
sleep 10
client_connected a || fail "client a lost its session while rekeying every second"
wait_until 30 num -ge 5 stat_get "$TMP/a.sock" session "" rekeys ||
    fail "client a rekeyed fewer than 5 times in 40 s: $(status_dump "$TMP/a.sock")"
! log_has a 'goodbye|too often' || fail "client a was told BYE"
! log_has server 'alice.*(REKEY more than|too often)' ||
    fail "the server limited alice's rekeying"
ping_ok A 198.18.0.1 || fail "no ping from client a after 10 s of rekeying"
pass "a client with reneg-sec 1: $(stat_get "$TMP/a.sock" session "" rekeys) rekeys in 10 s, no BYE"
stop_bg a || fail "client a did not exit cleanly"
stop_bg server || fail "server did not exit cleanly"
check_logs
