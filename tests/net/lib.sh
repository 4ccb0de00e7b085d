# shellcheck shell=bash
# Helpers for simpletun's network tests, sourced by tests/net/*.sh.
#
# Every host is a network namespace this run creates (named st<pid>-<X>),
# joined by veth pairs created inside those namespaces; the root namespace's
# interfaces and routes are never touched. Every check is a command that must
# succeed: the first failure ends the test, and the EXIT trap always cleans up
# (processes by recorded pid, then namespaces by recorded name, then $TMP).
#
# Environment: SIMPLETUN, PKT_INJECT, MEMSCAN, MKCERTS (ctest sets them; by hand they
# default to build/ and certs/ of this tree). KEEP_TMP=1 keeps $TMP.

set -eEu -o pipefail
shopt -s nullglob

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${SIMPLETUN:=$TOP/build/simpletun}"
: "${PKT_INJECT:=$TOP/build/pkt_inject}"
: "${MEMSCAN:=$TOP/build/memscan}"
: "${MKCERTS:=$TOP/certs/mkcerts}"
TEST=$(basename "$0" .sh)
PFX=st$$-
TMP=
NAMESPACES=()		# short names (A, S, ...) of namespaces made by ns_add
declare -A PID=()	# start_bg NAME -> pid
BG_ORDER=()		# start_bg names, oldest first
SERVER_PIDS=()		# every server pid started, for the queue check
CLEANUP_PROBLEMS=0

# The daemons fork and drop privileges; leak reports from those paths are
# noise. Everything else a sanitizer finds ends up in a log, see check_logs.
export ASAN_OPTIONS=detect_leaks=0
export UBSAN_OPTIONS=print_stacktrace=1

say() { printf '%s: %s\n' "$TEST" "$*"; }
pass() { printf '%s: ok - %s\n' "$TEST" "$*"; }
fail() { printf '%s: FAIL - %s\n' "$TEST" "$*" >&2; exit 1; }
skip() { printf '%s: SKIP - %s\n' "$TEST" "$*"; exit 77; }

on_err() {
	printf '%s: FAIL - command failed (%s line %s): %s\n' "$TEST" \
	    "$(basename "${BASH_SOURCE[1]:-$0}")" "$1" "$2" >&2
}
trap 'on_err "$LINENO" "$BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM
trap cleanup EXIT

# Fractional seconds since the epoch as integer microseconds.
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }

# wait_until TIMEOUT_S CMD...: poll CMD every 0.2 s until it succeeds.
wait_until() {
	local timeout=$1 deadline
	shift
	deadline=$(( $(now_us) + timeout * 1000000 ))
	until "$@" >/dev/null 2>&1; do
		if (( $(now_us) >= deadline )); then
			printf '%s: timed out after %ss waiting for: %s\n' \
			    "$TEST" "$timeout" "$*" >&2
			return 1
		fi
		sleep 0.2
	done
}

# ---- looking into a command's output -------------------------------------
#
# Never CMD | grep -q PATTERN (nor a pipe into grep -m1, head -n1, awk's
# exit or sed's q): the reader exits at the first match, CMD, still
# writing, dies of SIGPIPE (status 141), and pipefail fails the check
# although the pattern was there (net_fulltunnel in CI, eaec2f1). See:
#   set -o pipefail; seq 1 200000 | grep -q '^1$'; echo $?	# 141
# Read the output whole, then look in it: grep -q PATTERN <<<"$out" is
# safe, since bash has written all of a here-string (into a pipe or a
# temporary file) before grep starts, and no writer is left to be killed.

# has [GREP OPTION...] PATTERN CMD...: CMD succeeds and a line of its
# output matches PATTERN (grep's basic regex, or as -E, -F, -i say). CMD
# reads has's stdin; its output stays in SEEN, for the failure message.
SEEN=
has() {
	local opts=() re
	while [[ $1 == -?* && $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	[[ $1 != -- ]] || shift
	re=$1
	shift
	SEEN=$("$@") || return
	grep -q "${opts[@]}" -e "$re" <<<"$SEEN"
}

# Preconditions: root, namespaces, tun, and the binaries under test.
require_root_net() {
	[[ $(id -u) -eq 0 ]] || skip "needs root"
	[[ -c /dev/net/tun ]] || skip "no /dev/net/tun"
	command -v ip >/dev/null || skip "no ip command"
	ip netns list >/dev/null 2>&1 || skip "ip netns is unavailable"
	[[ -x $SIMPLETUN ]] || fail "SIMPLETUN=$SIMPLETUN is not executable"
	mqueue_mount
}

# POSIX queues are checked in /dev/mqueue; mount it if nobody has.
mqueue_mount() {
	[[ -d /dev/mqueue ]] || mkdir -p /dev/mqueue
	if ! mountpoint -q /dev/mqueue; then
		mount -t mqueue none /dev/mqueue ||
		    skip "cannot mount /dev/mqueue"
	fi
}

tmp_make() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/simpletun-$TEST.XXXXXX")
	# The daemons drop to nobody and may create their status sockets late.
	chmod 0755 "$TMP"
}

# ---- namespaces ----------------------------------------------------------

nsname() { printf '%s%s' "$PFX" "$1"; }

# ns_add NAME...: a fresh namespace per name, loopback up.
ns_add() {
	local ns
	for ns in "$@"; do
		ip netns add "$(nsname "$ns")" || skip "cannot create a namespace"
		NAMESPACES+=("$ns")
		ip -n "$(nsname "$ns")" link set lo up
	done
}

# n NS CMD...: run CMD inside namespace NS.
n() { local ns=$1; shift; ip netns exec "$(nsname "$ns")" "$@"; }

# ipn NS ARGS...: the ip command for namespace NS.
ipn() { local ns=$1; shift; ip -n "$(nsname "$ns")" "$@"; }

# veth NS1 IF1 ADDR1 NS2 IF2 ADDR2: a pair created inside NS1, peer in NS2.
veth() {
	ip -n "$(nsname "$1")" link add "$2" type veth peer name "$5" \
	    netns "$(nsname "$4")"
	ipn "$1" addr add "$3" dev "$2"
	ipn "$4" addr add "$6" dev "$5"
	ipn "$1" link set "$2" up
	ipn "$4" link set "$5" up
}

# ---- background processes ------------------------------------------------

# start_bg NAME NS CMD...: CMD in NS, output to $TMP/NAME.log, pid recorded.
# ip netns exec execs CMD, so the recorded pid is CMD's own.
start_bg() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$(nsname "$ns")" "$@" >>"$TMP/$name.log" 2>&1 &
	PID[$name]=$!
	BG_ORDER+=("$name")
}

alive() { ! gone "$1"; }

# stop_bg NAME [SIGNAL]: signal a recorded process, wait for it (at most
# 10 s, then SIGKILL) and return its exit status.
stop_bg() {
	local name=$1 sig=${2:-TERM} pid=${PID[$1]:-} rc=0
	[[ -n $pid ]] || fail "stop_bg: no process named $name"
	kill -s "$sig" "$pid" 2>/dev/null || true
	if ! wait_until 10 gone "$pid"; then
		say "$name (pid $pid) ignored SIG$sig; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	unset "PID[$name]"
	mqueue_check_server "$pid" || return 1
	return "$rc"
}

# wait_bg NAME [TIMEOUT_S]: wait (default 30 s) for a recorded process to
# end by itself and return its exit status; fail if it does not end.
wait_bg() {
	local name=$1 pid=${PID[$1]:-} rc=0
	[[ -n $pid ]] || fail "wait_bg: no process named $name"
	if ! wait_until "${2:-30}" gone "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		fail "$name (pid $pid) did not end by itself"
	fi
	wait "$pid" 2>/dev/null || rc=$?
	unset "PID[$name]"
	return "$rc"
}

# A pid is gone once it is no longer running; a zombie does not count.
gone() {
	local st
	st=$(proc_state "$1" 2>/dev/null) || return 0
	[[ $st == Z ]]
}

# Field 3 (state) and 4 (ppid) of /proc/PID/stat; comm may contain spaces.
proc_stat_field() {
	local s f
	s=$(<"/proc/$1/stat") || return 1
	read -r -a f <<<"${s##*) }"
	case $2 in
	state) echo "${f[0]}" ;;
	ppid) echo "${f[1]}" ;;
	esac
}
proc_state() { proc_stat_field "$1" state; }
proc_ppid() { proc_stat_field "$1" ppid; }

# children_of PID: the pids whose parent is PID, one a line.
children_of() {
	local f p
	for f in /proc/[0-9]*/stat; do
		p=${f#/proc/}
		p=${p%/stat}
		[[ $(proc_ppid "$p" 2>/dev/null) == "$1" ]] && echo "$p"
	done
	return 0
}

# ---- message queues ------------------------------------------------------

# mq_list: simpletun's queues that have a name. A server unlinks every
# queue before a packet flows, so a running server shows none, and none is
# left when it ends.
mq_list() {
	local f
	for f in /dev/mqueue/simpletun.*; do
		basename "$f"
	done
}

# guard_queues: how many queues the guard of $SERVER_SOCK holds (their
# write ends, unlinked: "/simpletun.X (deleted)").
guard_queues() {
	local g f c=0
	g=$(stat_get "$SERVER_SOCK" guard "" pid) || return 1
	for f in /proc/"$g"/fd/*; do
		[[ $(readlink "$f" 2>/dev/null) == /simpletun.*"(deleted)" ]] &&
		    c=$((c + 1))
	done
	echo "$c"
}

# After a server has exited, no queue of ours may remain.
mqueue_check_server() {
	local pid=$1 q left=()
	[[ " ${SERVER_PIDS[*]} " == *" $pid "* ]] || return 0
	mapfile -t left < <(mq_list)
	[[ ${#left[@]} -eq 0 ]] && return 0
	printf '%s: FAIL - server %s left queues behind: %s\n' "$TEST" "$pid" \
	    "${left[*]}" >&2
	for q in "${left[@]}"; do
		rm -f "/dev/mqueue/$q"
	done
	return 1
}

# ---- logs ----------------------------------------------------------------

# check_logs: no sanitizer report in any log of this run.
check_logs() {
	local bad
	bad=$(grep -l -E 'AddressSanitizer|LeakSanitizer|runtime error:' \
	    "$TMP"/*.log 2>/dev/null) || true
	[[ -z $bad ]] || fail "sanitizer report in: ${bad//$'\n'/ }"
}

# log_has NAME REGEX: an extended regex, case-insensitive, in NAME's log.
log_has() { grep -q -i -E -- "$2" "$TMP/$1.log"; }

# log_mark NAME: the log's size now; log_since NAME MARK REGEX: REGEX in
# what NAME logged after the mark.
log_mark() { stat -c %s "$TMP/$1.log" 2>/dev/null || echo 0; }
log_since() {
	# Not grep -q: under pipefail an early exit would fail tail (SIGPIPE).
	tail -c +"$(($2 + 1))" "$TMP/$1.log" 2>/dev/null |
	    grep -i -E -- "$3" >/dev/null
}

# hup REGEX: SIGHUP to the server, then REGEX in what it logged since.
hup() {
	local mark
	mark=$(log_mark server)
	kill -HUP "${PID[server]}"
	wait_until 20 log_since server "$mark" "$1" ||
	    fail "no '$1' in the server log after SIGHUP"
}

dump_logs() {
	local f
	for f in "$TMP"/*.log; do
		printf -- '----- %s (last 40 lines)\n' "$(basename "$f")" >&2
		tail -n 40 "$f" >&2
	done
}

# ---- hook records --------------------------------------------------------
#
# A test's hook script writes what it saw as NAME=VALUE lines, one file per
# run, under $TMP/hooks (hooks.sh, dns.sh).

# val FILE NAME: NAME's value in the record $TMP/hooks/FILE.
val() { sed -n "s/^$2=//p" "$TMP/hooks/$1"; }
# is FILE NAME VALUE: NAME has that value in it, or the test fails.
is() {
	local got
	got=$(val "$1" "$2")
	[[ $got == "$3" ]] || fail "$1: $2 is '$got', expected '$3'"
}
# ran FILE: the record is there (the hook ran).
ran() { [[ -e $TMP/hooks/$1 ]]; }

# ---- cleanup -------------------------------------------------------------

cleanup() {
	local rc=$? name pid i ns p deadline
	set +eE
	trap - ERR
	# Newest first: clients end before the server they talk to.
	for ((i = ${#BG_ORDER[@]} - 1; i >= 0; i--)); do
		name=${BG_ORDER[i]}
		pid=${PID[$name]:-}
		[[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null
	done
	deadline=$(( $(now_us) + 5000000 ))
	for name in "${BG_ORDER[@]}"; do
		pid=${PID[$name]:-}
		[[ -n $pid ]] || continue
		while ! gone "$pid" && (( $(now_us) < deadline )); do
			sleep 0.1
		done
		if ! gone "$pid"; then
			say "$name (pid $pid) survived SIGTERM for 5 s; killing it"
			kill -KILL "$pid" 2>/dev/null
			[[ " ${SERVER_PIDS[*]} " == *" $pid "* ]] &&
			    CLEANUP_PROBLEMS=1
		fi
		wait "$pid" 2>/dev/null
	done
	# Whatever still runs inside our namespaces (a child whose parent was
	# killed) goes too: the namespaces are ours, so are their processes.
	for ns in "${NAMESPACES[@]}"; do
		for p in $(ip netns pids "$(nsname "$ns")" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
	done
	for pid in "${SERVER_PIDS[@]}"; do
		wait_until 5 gone_tree "$pid"
		mqueue_check_server "$pid" || CLEANUP_PROBLEMS=1
	done
	if [[ -n $TMP ]] && ! check_logs_quiet; then
		printf '%s: FAIL - sanitizer report in a log\n' "$TEST" >&2
		CLEANUP_PROBLEMS=1
	fi
	for ns in "${NAMESPACES[@]}"; do
		ip netns del "$(nsname "$ns")" 2>/dev/null
	done
	(( rc == 0 && CLEANUP_PROBLEMS )) && rc=1
	if [[ -n $TMP ]]; then
		(( rc != 0 && rc != 77 )) && dump_logs
		if [[ ${KEEP_TMP:-0} == 1 ]]; then
			say "kept $TMP"
		else
			rm -rf -- "$TMP"
		fi
	fi
	(( rc == 0 )) && say "PASS"
	exit "$rc"
}

check_logs_quiet() { ( check_logs ) >/dev/null 2>&1; }

# No process of ours is still a child of pid (the server's helpers left).
gone_tree() { gone "$1" && [[ -z $(children_of "$1") ]]; }

# ---- status --------------------------------------------------------------

status_dump() { "$SIMPLETUN" status --status-socket "$1"; }

# stat_get SOCK KIND MATCH FIELD: FIELD's value in the first status line of
# KIND that has the word MATCH (key=value; empty matches any line).
stat_get() {
	local out
	out=$("$SIMPLETUN" status --status-socket "$1" 2>/dev/null) || return 1
	awk -v kind="$2" -v m="$3" -v field="$4" '
	$1 != kind { next }
	{
		ok = (m == "")
		for (i = 2; i <= NF; i++)
			if ($i == m)
				ok = 1
		if (!ok)
			next
		for (i = 2; i <= NF; i++)
			if (index($i, field "=") == 1) {
				print substr($i, length(field) + 2)
				found = 1
				exit
			}
	}
	END { exit !found }' <<<"$out"
}

# stat_is SOCK KIND MATCH FIELD VALUE
stat_is() { [[ $(stat_get "$1" "$2" "$3" "$4") == "$5" ]]; }

# num OP VALUE CMD...: CMD's output compared with VALUE by test's OP (-eq,
# -ge, -gt, ...); CMD runs anew on each call, as wait_until needs.
num() {
	local op=$1 want=$2 got
	shift 2
	got=$("$@") || return 1
	[[ $got =~ ^[0-9]+$ ]] && test "$got" "$op" "$want"
}

# out_is VALUE CMD...: CMD's output is exactly VALUE.
out_is() {
	local want=$1 got
	shift
	got=$("$@") || return 1
	[[ $got == "$want" ]]
}

# stat_count SOCK KIND: how many status lines of KIND.
stat_count() {
	"$SIMPLETUN" status --status-socket "$1" 2>/dev/null |
	    awk -v kind="$2" '$1 == kind { c++ } END { print c + 0 }'
}

# stat_sum SOCK KIND MATCH FIELD...: the sum of several counters.
stat_sum() {
	local sock=$1 kind=$2 m=$3 f v sum=0
	shift 3
	for f in "$@"; do
		v=$(stat_get "$sock" "$kind" "$m" "$f") || return 1
		sum=$((sum + v))
	done
	echo "$sum"
}

# ---- the standard topology -----------------------------------------------
#
#   A eth0 192.0.2.2/24     --- ea 192.0.2.1/24    S (server)
#   B eth0 198.51.100.2/24  --- eb 198.51.100.1/24 S
#   H eth0 203.0.113.2/24   --- eh 203.0.113.1/24  S   (network behind S)
#   tunnel 198.18.0.0/24 on stun0; H routes 198.18.0.0/15 via S.

topo_net() {
	local hosts=("$@") h
	[[ ${#hosts[@]} -gt 0 ]] || hosts=(A B H)
	ns_add S
	for h in "${hosts[@]}"; do
		ns_add "$h"
		case $h in
		A) veth A eth0 192.0.2.2/24 S ea 192.0.2.1/24 ;;
		B) veth B eth0 198.51.100.2/24 S eb 198.51.100.1/24 ;;
		H) veth H eth0 203.0.113.2/24 S eh 203.0.113.1/24
		   ipn H route add 198.18.0.0/15 via 203.0.113.1 ;;
		*) fail "topo_net: unknown host $h" ;;
		esac
	done
	n S sysctl -q -w net.ipv4.ip_forward=1
}

# certs_make [DIR [mkcerts args...]]: certificates for this run.
certs_make() {
	local dir=${1:-$TMP/certs}
	shift || true
	"$MKCERTS" "$dir" "$@" >"$TMP/mkcerts.log" 2>&1 ||
	    fail "mkcerts failed: $(cat "$TMP/mkcerts.log")"
}

# topo_up [HOSTS...]: root check, temp dir, namespaces, certificates.
topo_up() {
	require_root_net
	tmp_make
	topo_net "$@"
	certs_make
}

# daemon_args DEFAULTS... -- EXTRA...: sets ARGS to EXTRA plus every default
# directive ("--name value...") that EXTRA does not give, since a directive
# given twice is an error.
daemon_args() {
	local -A given=()
	local defaults=() w skipping=0
	while [[ $1 != -- ]]; do defaults+=("$1"); shift; done
	shift
	for w in "$@"; do [[ $w == --* ]] && given[$w]=1; done
	ARGS=()
	for w in "${defaults[@]}"; do
		if [[ $w == --* ]]; then
			skipping=${given[$w]:-0}
		fi
		((skipping)) || ARGS+=("$w")
	done
	ARGS+=("$@")
}

# Session uids of this run's servers: a range of its own, so that two runs
# at once never share a uid (and so its queue memory limit).
SESSION_UIDS=$((1879048192 + 2048 * ($$ % 100000)))

# server_start [NAME] [-- EXTRA ARGS]: the server in S; waits for its
# status socket $TMP/NAME.sock, or $SOCK if set (SERVER_SOCK). NAME defaults to server (log
# $TMP/server.log). EXTRA ARGS replace the standard ones they name.
SERVER_SOCK=
server_start() {
	local name=server c=$TMP/certs
	if [[ $# -gt 0 && $1 != -- ]]; then name=$1; shift; fi
	[[ ${1:-} != -- ]] || shift
	SERVER_SOCK=${SOCK:-$TMP/$name.sock}
	daemon_args --listen 0.0.0.0:1194 --dev stun0 --ca "$c/ca.crt" \
	    --cert "$c/server.crt" --key "$c/server.key" \
	    --pool 198.18.0.0/24 --push-route 203.0.113.0/24 \
	    --status-socket "$SERVER_SOCK" --keepalive 2 10 \
	    --session-users "$SESSION_UIDS" 2048 -- "$@"
	start_bg "$name" S "$SIMPLETUN" server "${ARGS[@]}"
	SERVER_PIDS+=("${PID[$name]}")
	wait_until 30 server_ready "$name" ||
	    fail "server did not come up (see $name.log)"
}
server_ready() {
	alive "${PID[$1]}" || return 1
	stat_get "$SERVER_SOCK" server "" clients
}

# server_refuses REGEX [-- EXTRA ARGS]: a server with the standard
# arguments and EXTRA ARGS exits 1 at once, with one line on stderr that
# matches REGEX (extended, case-insensitive).
server_refuses() {
	local want=$1 c=$TMP/certs out rc=0
	shift
	[[ ${1:-} != -- ]] || shift
	daemon_args --listen 0.0.0.0:1194 --dev stun0 --ca "$c/ca.crt" \
	    --cert "$c/server.crt" --key "$c/server.key" \
	    --pool 198.18.0.0/24 --push-route 203.0.113.0/24 \
	    --session-users "$SESSION_UIDS" 2048 -- "$@"
	out=$(n S timeout 30 "$SIMPLETUN" server "${ARGS[@]}" 2>&1) || rc=$?
	[[ $rc -eq 1 && $(wc -l <<<"$out") -eq 1 ]] &&
	    grep -q -i -E -- "$want" <<<"$out" || {
		say "server $*: exit $rc, said: $out"
		return 1
	}
	say "server refused to start: $out"
}

# client_start NAME NS REMOTE CN [EXTRA ARGS]: a client whose status socket
# is $TMP/NAME.sock and log $TMP/NAME.log. Does not wait. EXTRA ARGS replace
# the standard ones they name.
client_start() {
	local name=$1 ns=$2 remote=$3 cn=$4 c=$TMP/certs
	shift 4
	daemon_args --remote "$remote:1194" --server-name server --dev stun0 \
	    --ca "$c/ca.crt" --cert "$c/$cn.crt" --key "$c/$cn.key" \
	    --status-socket "$TMP/$name.sock" -- "$@"
	start_bg "$name" "$ns" "$SIMPLETUN" client "${ARGS[@]}"
}

client_connected() { stat_is "$TMP/$1.sock" client "" state connected; }

# wait_connected NAME: the client reports state=connected within 30 s.
wait_connected() {
	wait_until 30 client_connected "$1" ||
	    fail "client $1 did not connect (see $1.log)"
}

# The standard clients: a (alice in A) and b (bob in B).
client_a() { client_start a A 192.0.2.1 alice "$@"; }
client_b() { client_start b B 198.51.100.1 bob "$@"; }

# clients_ab [EXTRA ARGS]: client_a and client_b (both with EXTRA ARGS),
# both connected; their virtual addresses in VA and VB.
# shellcheck disable=SC2034  # VA and VB are the tests'
clients_ab() {
	client_a "$@"
	client_b "$@"
	wait_connected a
	wait_connected b
	VA=$(vaddr a)
	VB=$(vaddr b)
}

# vaddr NAME: the client's virtual address.
vaddr() { stat_get "$TMP/$1.sock" client "" vaddr; }

# ping_ok NS DST [ARGS]: at least one reply within 10 s (tolerates loss).
ping_ok() {
	local ns=$1 dst=$2
	shift 2
	n "$ns" ping -n -q -c 1 -w 10 "$@" "$dst" >/dev/null
}

# ping_fails NS DST [ARGS]: no reply to 3 pings within 3 s.
ping_fails() {
	local ns=$1 dst=$2
	shift 2
	! n "$ns" ping -n -q -c 3 -i 0.5 -w 3 "$@" "$dst" >/dev/null 2>&1
}

# listening NS PORT: a TCP socket listens on PORT in NS.
listening() { has . n "$1" ss -Hltn "sport = :$2"; }

# transfer_ok FROM TO ADDR PORT FILE: FILE from namespace FROM to a socat
# in TO listening on ADDR:PORT (IPv4 or IPv6); fails the test unless what
# arrived has FILE's sha256. Says how long it took in TRANSFER_SECONDS.
TRANSFER_SECONDS=
transfer_ok() {
	local from=$1 to=$2 addr=$3 port=$4 file=$5 t0=$SECONDS
	local out=$TMP/recv.$to.$port listen=TCP-LISTEN:$port,bind=$addr
	local connect=TCP:$addr:$port want got

	if [[ $addr == *:* ]]; then
		listen=TCP6-LISTEN:$port,bind=[$addr]
		connect=TCP6:[$addr]:$port
	fi
	rm -f "$out"
	start_bg "recv-$to-$port" "$to" socat -u "$listen,reuseaddr" \
	    "OPEN:$out,creat,trunc"
	wait_until 10 listening "$to" "$port" ||
	    fail "socat in $to does not listen on $port"
	n "$from" timeout 300 socat -u "OPEN:$file" "$connect" ||
	    fail "sending $file from $from to $addr port $port failed"
	wait_bg "recv-$to-$port" 30 || fail "the receiver in $to failed"
	want=$(sha256sum <"$file" | cut -d' ' -f1)
	got=$(sha256sum <"$out" | cut -d' ' -f1)
	[[ $got == "$want" ]] || fail "$from -> $to ($addr): $(stat -c %s \
	    "$file") bytes sent, $(stat -c %s "$out") arrived, sha256 differs"
	rm -f "$out"
	TRANSFER_SECONDS=$((SECONDS - t0))
}

# udp_drops NS PORT: datagrams the kernel dropped on NS's UDP sockets
# bound to PORT (full receive buffers), IPv4 and IPv6.
udp_drops() {
	local hex
	hex=$(printf '%04X' "$2")
	n "$1" cat /proc/net/udp /proc/net/udp6 2>/dev/null |
	    awk -v p=":$hex" 'substr($2, length($2) - 4) == p { d += $NF }
	    END { print d + 0 }'
}
