#!/usr/bin/env bash
# Slot flooding: 300 idle TCP connections and a few stalled TLS handshakes
# from one address (B) must not keep a real client from another address
# (A) out, nor flood the log: handshakes have limits of their own, per
# source and overall, apart from max-clients, and repeated refusals are
# logged at most once a second. The handshake timeout is a minute, so a
# server that let the flood hold its slots would keep alice out for all of
# this test.
. "$(dirname "$0")/lib.sh"

topo_up A B
server_start -- --handshake-timeout 60
LINES0=$(wc -l <"$TMP/server.log")

# 300 connections from B that say nothing, and three that start a TLS
# handshake (a record header) and stall; all held open by one shell.
start_bg flood B bash -c '
	for ((i = 0; i < 300; i++)); do
		exec {fd}<>/dev/tcp/198.51.100.1/1194 || exit 1
	done
	for ((i = 0; i < 3; i++)); do
		exec {fd}<>/dev/tcp/198.51.100.1/1194 || exit 1
		printf "\x16\x03\x01\x02\x00\x01" >&"$fd"
	done
	echo flooding
	exec sleep 600'
wait_until 30 log_has flood flooding || fail "the flood did not start"
wait_until 10 num -ge 8 stat_get "$SERVER_SOCK" server "" handshakes ||
    fail "the flood holds only $(stat_get "$SERVER_SOCK" server "" handshakes) handshakes"
held=$(stat_get "$SERVER_SOCK" server "" handshakes)
[[ $held -le 8 ]] || fail "one address holds $held handshakes, over max-handshakes-per-source 8"
pass "300 idle connections and 3 stalled handshakes from B hold $held handshakes"

t0=$(now_us)
client_a
wait_connected a
ms=$(( ($(now_us) - t0) / 1000 ))
ping_ok A 198.18.0.1 || fail "no ping from alice during the flood"
pass "alice connected from A in $ms ms while B floods, and pings"

lines=$(( $(wc -l <"$TMP/server.log") - LINES0 ))
[[ $lines -lt 50 ]] ||
    fail "the server logged $lines lines during the flood: $(tail -n 5 "$TMP/server.log")"
log_has server 'refusing 198.51.100.2:[0-9]+: max-handshakes-per-source reached' ||
    fail "the server did not say why it refused B"
wait_until 5 log_has server 'more like it in the last second' ||
    fail "the server did not say how many refusals it suppressed"
pass "the server logged $lines lines, saying what it suppressed:" \
    "$(grep -m1 'more like it' "$TMP/server.log")"

stop_bg flood || true
wait_until 70 stat_is "$SERVER_SOCK" server "" handshakes 0 ||
    fail "the flood's handshakes did not end"
stat_is "$SERVER_SOCK" server "" clients 1 || fail "alice's session did not last"
ping_ok A 198.18.0.1 || fail "no ping from alice after the flood"
pass "the flood's handshakes timed out; alice's session goes on"
check_logs
