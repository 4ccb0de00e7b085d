#!/usr/bin/env bash
# Churn: 50 rounds of ending a session in every way there is (clean client
# exit, SIGKILL of each server-side and client-side process, SIGKILL of the
# whole client). After each the session comes back and nothing leaks: no
# queue, no pool address, no zombie, and the next client gets the first
# address of the pool again.
. "$(dirname "$0")/lib.sh"

ROUNDS=${CHURN_ROUNDS:-50}
topo_up A
server_start
SP=${PID[server]}

gen=0
CUR=
new_client() {
	gen=$((gen + 1))
	CUR=c$gen
	client_start "$CUR" A 192.0.2.1 alice --connect-retry 1 2
	wait_connected "$CUR"
}

sget() { stat_get "$SERVER_SOCK" session cn=alice "$1"; }
cget() { stat_get "$TMP/$CUR.sock" client "" "$1"; }
mq_count() { guard_queues; }

# A new session: one client, alice, with other pids than OLD_CONTROL and
# OLD_DATA, both children of the server, and the client connected.
fresh_session() {
	local c d
	stat_is "$SERVER_SOCK" server "" clients 1 || return 1
	c=$(sget control_pid) && d=$(sget data_pid) || return 1
	[[ $c != "$1" && $d != "$2" ]] || return 1
	[[ $(proc_ppid "$c") == "$SP" && $(proc_ppid "$d") == "$SP" ]] || return 1
	client_connected "$CUR"
}

# The server reaped PIDs: none of them is left as its zombie.
reaped() {
	local p
	for p in "$@"; do
		[[ -e /proc/$p && $(proc_state "$p") == Z &&
		    $(proc_ppid "$p") == "$SP" ]] && return 1
	done
	return 0
}

no_zombie_child() {
	local k
	for k in $(children_of "$SP"); do
		[[ $(proc_state "$k") != Z ]] || return 1
	done
}

new_client
[[ $(vaddr "$CUR") == 198.18.0.2 ]] || fail "first client got $(vaddr "$CUR")"
what=("client SIGTERM" "SIGKILL server control" "SIGKILL server data"
	"SIGKILL client control" "SIGKILL client data" "SIGKILL whole client")
for ((i = 0; i < ROUNDS; i++)); do
	act=$((i % 6))
	sc=$(sget control_pid) && sd=$(sget data_pid) ||
	    fail "round $i: no session: $(status_dump "$SERVER_SOCK")"
	cp=${PID[$CUR]}
	cc=$(cget control_pid) && cd=$(cget data_pid) ||
	    fail "round $i: no client pids: $(status_dump "$TMP/$CUR.sock")"
	case $act in
	0)	stop_bg "$CUR" TERM || fail "round $i: client exit status $?" ;;
	1)	kill -KILL "$sc" ;;
	2)	kill -KILL "$sd" ;;
	3)	kill -KILL "$cc" ;;
	4)	kill -KILL "$cd" ;;
	5)	# (stderr: bash's "Killed" notice for its own child)
		{ kill -KILL "$cp" "$cc" "$cd"; wait_bg "$CUR" 10 || true; } 2>/dev/null ;;
	esac
	if ((act == 0 || act == 5)); then
		wait_until 30 stat_is "$SERVER_SOCK" server "" clients 0 ||
		    fail "round $i (${what[act]}): the server still has a client"
		new_client
	fi
	wait_until 30 fresh_session "$sc" "$sd" ||
	    fail "round $i (${what[act]}): no new session:" \
	    "$(status_dump "$SERVER_SOCK" 2>&1)"
	if ((act == 3 || act == 4)); then
		alive "$cp" || fail "round $i: the client's parent $cp died"
	fi
	wait_until 10 reaped "$sc" "$sd" ||
	    fail "round $i (${what[act]}): $sc or $sd is a zombie of the server"
	wait_until 10 stat_is "$SERVER_SOCK" server "" pool_used 1 ||
	    fail "round $i (${what[act]}): pool_used is $(stat_get "$SERVER_SOCK" server "" pool_used)"
	wait_until 10 num -eq 1 mq_count ||
	    fail "round $i (${what[act]}): the guard holds $(mq_count) queues"
	[[ -z $(mq_list) ]] ||
	    fail "round $i (${what[act]}): /dev/mqueue holds $(mq_list | tr '\n' ' ')"
	wait_until 10 stat_is "$SERVER_SOCK" guard "" routes 1 ||
	    fail "round $i (${what[act]}): the guard has $(stat_get "$SERVER_SOCK" guard "" routes) routes"
	ping_ok A 198.18.0.1 || fail "round $i (${what[act]}): no ping afterwards"
	say "round $i: ${what[act]}: new session $(sget control_pid)/$(sget data_pid)"
done
pass "$ROUNDS rounds of churn, each followed by a working session"

stop_bg "$CUR" || fail "the client did not exit cleanly on SIGTERM"
wait_until 30 stat_is "$SERVER_SOCK" server "" clients 0 ||
    fail "the server still has a client after the last one left"
wait_until 10 stat_is "$SERVER_SOCK" server "" pool_used 0 ||
    fail "pool_used is $(stat_get "$SERVER_SOCK" server "" pool_used) with no client"
wait_until 10 num -eq 0 mq_count ||
    fail "the guard still holds $(mq_count) queues"
[[ -z $(mq_list) ]] || fail "/dev/mqueue holds: $(mq_list | tr '\n' ' ')"
wait_until 10 stat_is "$SERVER_SOCK" guard "" routes 0 ||
    fail "the guard still has $(stat_get "$SERVER_SOCK" guard "" routes) routes"
no_zombie_child || fail "the server has a zombie child"
[[ $(children_of "$SP" | wc -l) -eq 1 ]] ||
    fail "the server has children $(children_of "$SP" | tr '\n' ' '), want the guard only"
pass "no client: clients=0 pool_used=0 routes=0, only the guard's queue, no zombie"

new_client
[[ $(vaddr "$CUR") == 198.18.0.2 ]] ||
    fail "the next client got $(vaddr "$CUR"), want 198.18.0.2"
ping_ok A 198.18.0.1 || fail "no ping through the last session"
pass "a new client gets 198.18.0.2 again"
check_logs
