#!/usr/bin/env bash
# Rekeying: with reneg-sec 2 the client rekeys every two seconds; traffic
# keeps flowing across every key change without loss or refused packets,
# and both sides move to new epochs.
. "$(dirname "$0")/lib.sh"

topo_up A
server_start
client_a --reneg-sec 2
wait_connected a
ping_ok A 198.18.0.1 || fail "no ping through the tunnel"
pass "connected, rekeying every 2 s"

# 50 pings over 10 s span about five rekeys; none may be lost. Each echo
# must be answered, late or not: with -w, ping sends one more for each echo
# still unanswered, and a lost one never shows its icmp_seq.
out=$(n A ping -n -c 50 -i 0.2 -w 60 198.18.0.1) ||
    fail "pings lost across rekeys: $(tail -n 3 <<<"$out")"
for ((s = 1; s <= 50; s++)); do
	[[ $out == *" icmp_seq=$s "* ]] ||
	    fail "echo $s lost across rekeys: $(tail -n 3 <<<"$out")"
done
pass "50 of 50 pings across rekeys"

wait_until 10 num -ge 3 stat_get "$TMP/a.sock" session "" rekeys ||
    fail "client rekeyed fewer than 3 times: $(status_dump "$TMP/a.sock")"
wait_until 10 num -ge 3 stat_get "$SERVER_SOCK" session cn=alice rekeys ||
    fail "server rekeyed fewer than 3 times: $(status_dump "$SERVER_SOCK")"
ce=$(stat_get "$TMP/a.sock" session "" key_epoch)
se=$(stat_get "$SERVER_SOCK" session cn=alice key_epoch)
pass "client at epoch $ce, server at epoch $se"
sleep 2.5	# two reports' time for late counts to show; not an assertion
for c in unknown_key bad_mac replay; do
	v=$(stat_get "$SERVER_SOCK" session cn=alice "$c")
	[[ $v -eq 0 ]] || fail "server counted $v $c packets during rekeys"
	v=$(stat_get "$TMP/a.sock" session "" "$c")
	[[ $v -eq 0 ]] || fail "client counted $v $c packets during rekeys"
done
pass "no packet refused on either side during rekeys"
check_logs
