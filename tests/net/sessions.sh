#!/usr/bin/env bash
# Sessions per certificate: a second session of a CN replaces the first by
# default and is refused with duplicate-cn refuse; fixed-address gives a CN
# its address; max-clients turns further clients away with a clear line on
# both sides (a handshake has a slot of its own, so bob authenticates and
# is told); a server reached at its second address answers from it.
. "$(dirname "$0")/lib.sh"

topo_up A B
sget() { stat_get "$SERVER_SOCK" session cn=alice "$1"; }

# --- duplicate-cn replace (the default) -----------------------------------

server_start
# a's backoff is long, so it does not take the session back while we look
client_a --connect-retry 60 60
wait_connected a
ping_ok A 198.18.0.1 || fail "no ping from A"
client_start dup B 198.51.100.1 alice
wait_connected dup
wait_until 10 log_has server "replacing the session of alice" ||
    fail "the server did not log the replacement"
wait_until 10 log_has a "said goodbye: replaced by a newer session of this certificate from 198\.51\.100\.2:[0-9]+" ||
    fail "the first client was not told why its session ended, and by whom"
wait_until 10 out_is "198.51.100.2" eval 'sget peer | cut -d: -f1' ||
    fail "alice's session is not the one from B: $(status_dump "$SERVER_SOCK")"
wait_until 10 stat_is "$SERVER_SOCK" server "" clients 1 ||
    fail "want one session: $(status_dump "$SERVER_SOCK")"
stat_is "$SERVER_SOCK" server "" pool_used 1 ||
    fail "the replaced session kept its address: $(status_dump "$SERVER_SOCK")"
ping_ok B 198.18.0.1 || fail "no ping from the replacing session"
ping_fails A 198.18.0.1 || fail "the replaced session still carries traffic"
pass "a second session of alice replaced the first; one address in use;" \
    "$(grep -m1 -o 'said goodbye: replaced.*' "$TMP/a.log")"
stop_bg dup || fail "client dup did not exit cleanly"
stop_bg a || fail "client a did not exit cleanly"
stop_bg server || fail "server did not exit cleanly"

# --- duplicate-cn refuse, fixed-address -----------------------------------

server_start refuse -- --duplicate-cn refuse --fixed-address bob 198.18.0.77
client_a
wait_connected a
[[ $(vaddr a) == 198.18.0.2 ]] || fail "alice got $(vaddr a), want 198.18.0.2"
client_start dup2 B 198.51.100.1 alice --connect-retry 60 60
wait_until 20 log_has dup2 "refused the session: this CN already has a session" ||
    fail "the second alice was not told why it was refused"
log_has refuse "refusing alice from 198.51.100.2:[0-9]+: this CN already has a session" ||
    fail "the server did not log the refusal"
client_connected dup2 && fail "the second alice is connected"
ping_ok A 198.18.0.1 || fail "the first alice lost her session"
pass "with duplicate-cn refuse the second alice is refused, the first keeps on"
stop_bg dup2 || fail "client dup2 did not exit cleanly"

client_b
wait_connected b
[[ $(vaddr b) == 198.18.0.77 ]] || fail "bob got $(vaddr b), want his fixed 198.18.0.77"
ping_ok B 198.18.0.1 || fail "no ping from bob at his fixed address"
pass "fixed-address gives bob 198.18.0.77"
stop_bg b || fail "client b did not exit cleanly"
stop_bg a || fail "client a did not exit cleanly"
stop_bg refuse || fail "server did not exit cleanly"

# --- max-clients ------------------------------------------------------------

server_start one -- --max-clients 1
client_a
wait_connected a
client_start b3 B 198.51.100.1 bob --connect-retry 60 60
wait_until 20 log_has one "refusing bob from 198.51.100.2:[0-9]+: max-clients reached" ||
    fail "the server did not log max-clients"
wait_until 20 log_has b3 "refused the session: max-clients reached" ||
    fail "bob's client did not log why it was refused"
client_connected b3 && fail "bob is connected past max-clients 1"
ping_ok A 198.18.0.1 || fail "alice lost her session"
pass "max-clients 1 turns bob away, alice keeps on"
stop_bg b3 || true
stop_bg a || fail "client a did not exit cleanly"
stop_bg one || fail "server did not exit cleanly"

# --- a second address ---------------------------------------------------------

# Routing would send replies to A from 192.0.2.1, the primary address; the
# client's UDP socket, connected to 192.0.2.10, would drop them.
ipn S addr add 192.0.2.10/24 dev ea
server_start second
client_start a4 A 192.0.2.10 alice
wait_connected a4
ping_ok A 198.18.0.1 || fail "no ping through a server reached at 192.0.2.10"
wait_until 10 num -gt 0 stat_get "$TMP/a4.sock" session "" rx_packets ||
    fail "the client opened nothing from the server"
pass "a server reached at its second address answers from it"
check_logs
