#!/usr/bin/env bash
# Benchmark smoke: `scripts/bench --smoke` (simpletun only, one iperf3 run
# of 1 s, client sends, nothing written into the tree) against this build's
# binaries must report a throughput above 0 Mbit/s and leave nothing
# behind: no namespace of its own, no process of its session, no
# temporary directory. `--only ping` must measure the ping and nothing
# else. No figure is compared with any other: it is never
# a timed test.
. "$(dirname "$0")/lib.sh"

require_root_net
tmp_make

# setsid: every process the benchmark starts shares its session id (its
# pid, which it prints), so any left behind can be found afterwards.
rc=0
SIMPLETUN=$SIMPLETUN MKCERTS=$MKCERTS TMPDIR=$TMP \
    setsid -w "$TOP/scripts/bench" --smoke >"$TMP/bench.out" 2>&1 || rc=$?
say "scripts/bench --smoke said:"
sed 's/^/  /' "$TMP/bench.out"
[[ $rc -ne 77 ]] || skip "scripts/bench skipped: $(tail -n 1 "$TMP/bench.out")"
[[ $rc -eq 0 ]] || fail "scripts/bench --smoke exited with $rc"

bpid=$(sed -n 's/^bench: pid \([0-9][0-9]*\),.*/\1/p' "$TMP/bench.out")
[[ -n $bpid ]] || fail "scripts/bench did not say its pid"
mbps=$(sed -n 's/^bench: \[1\] simpletun fwd: \([0-9.]*\) Mbit\/s.*/\1/p' \
    "$TMP/bench.out")
[[ -n $mbps ]] || fail "no throughput line for simpletun"
awk -v v="$mbps" 'BEGIN { exit !(v > 0) }' ||
    fail "throughput $mbps Mbit/s is not above 0"
pass "simpletun moved $mbps Mbit/s through the benchmark's tunnel"

# Nothing left: namespaces st<pid>-*, processes of its session, its
# temporary directory (made under our $TMP).
rest=$(ip netns list | awk -v p="st$bpid-" 'index($1, p) == 1 { print $1 }')
[[ -z $rest ]] || fail "namespaces left behind: $rest"
session_pids() {
	{ cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v sid="$1" '{
		pid = $1; sub(/^.*\) /, ""); split($0, f, " ")
		if (f[4] == sid) print pid }'
}
rest=$(session_pids "$bpid")
[[ -z $rest ]] || fail "processes left behind: $(for p in $rest; do
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null; echo; done)"
rest=$(find "$TMP" -mindepth 1 -maxdepth 1 -name 'simpletun-bench.*')
[[ -z $rest ]] || fail "temporary files left behind: $rest"
[[ -z $(mq_list) ]] || fail "queues left behind: $(mq_list)"
pass "no namespace, process, queue or temporary file left behind"

# --only ping: the ping and nothing else (no iperf3 run, no 4 clients).
rc=0
SIMPLETUN=$SIMPLETUN MKCERTS=$MKCERTS TMPDIR=$TMP \
    "$TOP/scripts/bench" --only ping --systems simpletun --runs 1 \
    --pings 5 >"$TMP/ping.out" 2>&1 || rc=$?
say "scripts/bench --only ping said:"
sed 's/^/  /' "$TMP/ping.out"
[[ $rc -eq 0 ]] || fail "scripts/bench --only ping exited with $rc"
grep -q '^bench: \[1\] simpletun ping: median [0-9.]* ms$' "$TMP/ping.out" ||
    fail "no ping line for simpletun"
! grep -Eq 'Mbit/s,|simpletun (fwd|rev|mc)' "$TMP/ping.out" ||
    fail "--only ping measured more than the ping"
[[ -z $(find "$TMP" -mindepth 1 -maxdepth 1 -name 'simpletun-bench.*') ]] ||
    fail "--only ping left temporary files behind"
pass "--only ping measured the ping alone"
