#!/usr/bin/env bash
# scripts/lab against the build under test: `up` builds the lab (and says so
# when asked again) in a state directory of its own (root's, 0700, stamped),
# and down, status, check and up refuse, touching nothing, a LAB_DIR that
# is not one (unstamped, another uid's, group- or world-writable, a
# symlink, or under a directory someone other than root may change).
# `check --json FILE` on the lab writes valid JSON in which
# every point passes with its figures, a check whose plaintext
# point looks at the tun device fails in its exit status and JSON, and
# `down`, twice, leaves no namespace, process, queue or state directory
# behind. Then `check tap` from nothing: its own tap lab, every point
# passing, and nothing left after it.
. "$(dirname "$0")/lib.sh"

require_root_net
tmp_make
for tool in jq tcpdump nc iperf3 arping; do
	command -v "$tool" >/dev/null || skip "no $tool (scripts/test installs it)"
done
LAB=$TOP/scripts/lab
# This run's lab: its own state directory, namespaces and session uids.
export LAB_DIR=$TMP/lab LAB_PREFIX=${PFX}lab- LAB_UIDS=$SESSION_UIDS
export SIMPLETUN MKCERTS
JSON=$TMP/check.json

# If a step below fails, the lab goes too; then lib.sh's cleanup, which
# reads the exit status from $?.
lab_exit() {
	local rc=$?
	set +eE
	trap - ERR
	[[ -d $LAB_DIR ]] && "$LAB" down >/dev/null 2>&1
	(exit "$rc")
	cleanup
}
trap lab_exit EXIT

lab_namespaces() { ip netns list | awk -v p="$LAB_PREFIX" 'index($1, p) == 1 { print $1 }'; }

"$LAB" up >"$TMP/up.log" 2>&1 || fail "scripts/lab up failed: $(tail -n 5 "$TMP/up.log")"
grep -q "ip netns exec ${LAB_PREFIX}client ping -c 3 203.0.113.2" "$TMP/up.log" ||
    fail "scripts/lab up did not print what to try: $(cat "$TMP/up.log")"
[[ $(lab_namespaces | wc -l) -eq 4 ]] ||
    fail "want 4 namespaces, have: $(lab_namespaces | tr '\n' ' ')"
for k in "$LAB_DIR"/certs/*.key "$LAB_DIR"/other-ca/*.key "$LAB_DIR"/mitm/*.key; do
	[[ $(stat -c %a "$k") == 600 ]] || fail "$k has mode $(stat -c %a "$k")"
done
pass "scripts/lab up: 4 namespaces, keys 0600, what to try printed"

rc=0
"$LAB" up >"$TMP/up2.log" 2>&1 || rc=$?
{ [[ $rc -eq 0 ]] && grep -q "already up" "$TMP/up2.log"; } ||
    fail "a second up (exit $rc) did not say the lab is up: $(cat "$TMP/up2.log")"
pass "a second up says: $(cat "$TMP/up2.log")"

# Root trusts only the state directory up made: LAB_DIR at anything else
# is refused, in one line naming the problem, and left as it was. The
# state files of a fake lab name a binary that would leave $TMP/pwned if
# root ran it, and a process of ours that down would end.
[[ $(stat -c '%u %a' "$LAB_DIR") == "0 700" ]] ||
    fail "$LAB_DIR is $(stat -c 'uid %u mode %a' "$LAB_DIR"), want root's, 0700"
stamp=$(head -n 1 "$LAB_DIR/.simpletun-lab") || fail "$LAB_DIR has no stamp"
sleep 600 &
victim=$!
# shellcheck disable=SC2034,SC2154  # lib.sh's PID (associative): cleanup ends it
PID[sleep]=$victim
BG_ORDER+=(sleep)
victim_st=$(awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$victim/stat")
printf '#!/bin/sh\ntouch %s/pwned\n' "$TMP" >"$TMP/evil"
chmod 0755 "$TMP/evil"
fake_lab() {	# DIR: stamped, naming the evil binary and the victim
	mkdir -p "$1"
	echo "$stamp" >"$1/.simpletun-lab"
	echo tun >"$1/mode"
	echo "$TMP/evil" >"$1/binary"
	echo "server $victim $victim_st" >"$1/procs"
	: >"$1/namespaces"
}
nobody=$(id -u nobody 2>/dev/null || echo 65534)
mkdir -p "$TMP/plain/sub"
echo precious >"$TMP/plain/sub/thesis.txt"
fake_lab "$TMP/foreign"
chown -R "$nobody" "$TMP/foreign"
fake_lab "$TMP/groupw"
chmod 0770 "$TMP/groupw"
fake_lab "$TMP/worldw"
chmod 0777 "$TMP/worldw"
fake_lab "$TMP/real"
chmod 0700 "$TMP/real"
ln -s "$TMP/real" "$TMP/link"
# Labs that would pass by themselves (root's, 0700, stamped) under a
# directory someone else may change: nobody's; world-writable and not
# sticky; nobody's, reached through a symbolic link of root's.
for d in above/lab above/sub/lab wwabove/lab; do
	fake_lab "$TMP/$d"
	chmod 0700 "$TMP/$d"
done
chown "$nobody" "$TMP/above"
chmod 0777 "$TMP/wwabove"
ln -s "$TMP/above/sub" "$TMP/rlink"
# fakes: what is in those directories, to compare.
fakes() {
	(cd "$TMP" && find plain foreign groupw worldw real link above \
	    wwabove rlink -printf '%p %u %m %s %l\n' | sort)
}
# refused WHAT DIR CMD...: CMD with LAB_DIR=DIR exits non-zero with one
# line that names WHAT, and DIR and the victim are as they were.
refused() {
	local what=$1 dir=$2 rc=0 before
	shift 2
	before=$(fakes)
	LAB_DIR=$dir "$LAB" "$@" >"$TMP/refused.out" 2>&1 </dev/null || rc=$?
	[[ $rc -ne 0 ]] || fail "$* with LAB_DIR=$dir exited 0: $(cat "$TMP/refused.out")"
	if [[ $(wc -l <"$TMP/refused.out") -ne 1 ]] ||
	    ! grep -q -E "refusing LAB_DIR $dir: .*$what" "$TMP/refused.out"; then
		fail "$* with LAB_DIR=$dir (exit $rc) did not refuse it for '$what' in one line: $(cat "$TMP/refused.out")"
	fi
	[[ $(fakes) == "$before" ]] ||
	    fail "$* with LAB_DIR=$dir changed what is there: $(diff <(echo "$before") <(fakes))"
	[[ ! -e $TMP/pwned ]] || fail "$* with LAB_DIR=$dir ran the binary it names"
	alive "$victim" || fail "$* with LAB_DIR=$dir killed pid $victim"
}
for cmd in down status check up; do
	refused 'no stamp' "$TMP/plain" "$cmd"
done
[[ $(cat "$TMP/plain/sub/thesis.txt") == precious ]] || fail "thesis.txt changed"
for cmd in down status check up; do
	refused 'owned by uid [1-9]' "$TMP/foreign" "$cmd"
	refused 'writable by group or others' "$TMP/groupw" "$cmd"
	refused 'writable by group or others' "$TMP/worldw" "$cmd"
	refused 'symbolic link' "$TMP/link" "$cmd"
	refused 'above it is owned by uid [1-9]' "$TMP/above/lab" "$cmd"
	refused 'above it is writable by group or others' "$TMP/wwabove/lab" "$cmd"
	refused 'above/? above it is owned by uid [1-9]' "$TMP/rlink/lab" "$cmd"
done
if [[ $(lab_namespaces | wc -l) -ne 4 ]] || ! "$LAB" status >/dev/null 2>&1; then
	fail "the lab did not survive the refusals: $(lab_namespaces | tr '\n' ' ')"
fi
stop_bg sleep || true	# ended by SIGTERM, as it should be
pass "down, status, check and up refuse an unstamped LAB_DIR, a stamped one of uid $nobody, group- or world-writable, behind a symlink, or under a directory of uid $nobody or world-writable (also through a symlink): $(cat "$TMP/refused.out")"

rc=0
"$LAB" check --json "$JSON" >"$TMP/check.out" 2>&1 || rc=$?
cat "$TMP/check.out"
jq -e . "$JSON" >/dev/null || fail "check wrote no valid JSON: $(head -c 500 "$JSON")"
jq -e '(.points | type) == "array" and (.mode == "tun") and
    (.totals.points == (.points | length)) and (.duration_s | type) == "number" and
    all(.points[]; (.name | type) == "string" and (.pass | type) == "boolean"
        and (.evidence | type) == "string" and (.evidence | length) > 0
        and (.figures | type) == "object")' \
    "$JSON" >/dev/null || fail "the JSON lacks a field: $(cat "$JSON")"
want=(private-unreachable-before ping-through-tunnel tcp-through-tunnel
    no-plaintext-on-underlay ping-4000-bytes two-clients
    wrong-server-name-refused foreign-ca-client-refused reconnect-after-break
    tap-arp)
for p in "${want[@]}"; do
	[[ $(jq --arg p "$p" '[.points[] | select(.name == $p)] | length' "$JSON") -eq 1 ]] ||
	    fail "point $p is not in the JSON once"
	grep -q -E "^(PASS|FAIL) $p: " "$TMP/check.out" || fail "no line for $p"
done
bad=$(jq -r '.points[] | select(.pass | not) | .name' "$JSON")
[[ -z $bad ]] || fail "points failed: $bad"
[[ $rc -eq 0 ]] || fail "every point passed, but check exited $rc"
pass "every point passes"
# The figures a grader reads without parsing evidence: fig NAME JQ-TEST.
fig() {
	jq -e --arg p "$1" ".points[] | select(.name == \$p) | .figures | $2" \
	    "$JSON" >/dev/null ||
	    fail "point $1's figures fail '$2': $(jq -c --arg p "$1" \
	        '.points[] | select(.name == $p) | .figures' "$JSON")"
}
fig private-unreachable-before '.ping_received == 0'
fig ping-through-tunnel '.ping_received >= 1 and .ping_transmitted >= .ping_received and .rtt_avg_ms > 0'
fig tcp-through-tunnel '.mbits_per_s > 0'
fig no-plaintext-on-underlay '.marker_records_tun > 0 and .marker_records_underlay == 0 and .underlay_udp_packets > 0 and .underlay_dev == "veth-client"'
fig ping-4000-bytes '.mtu == 1420 and .ping_received >= 1'
fig two-clients '.clients == 2 and (.alice_vaddr | startswith("198.18.0.")) and .alice_vaddr != .bob_vaddr'
fig wrong-server-name-refused '.connected == false'
fig foreign-ca-client-refused '.connected == false'
fig tap-arp '.arp_replies >= 1 and (.server_mac | test("^([0-9a-f]{2}:){5}[0-9a-f]{2}$"))'
fig reconnect-after-break '.data_pid_after != .data_pid_before and .down_detected_s > 0 and .reconnected_s >= 0 and .client_pid > 0'
pass "every point has its figures: $(jq -c '[.points[] | .figures | keys | length] | add' "$JSON") in all"

# A check that cannot fail proves nothing: with the tun device as its
# "underlay" the plaintext point must fail, and check must say so in its
# exit status and its JSON.
rc=0
LAB_UNDERLAY_DEV=stun0 "$LAB" check --json "$TMP/bad.json" >"$TMP/bad.out" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "check exited 0 with stun0 as the underlay: $(cat "$TMP/bad.out")"
grep -q -E '^FAIL no-plaintext-on-underlay: .* on the underlay stun0' "$TMP/bad.out" ||
    fail "no FAIL line for the plaintext point: $(cat "$TMP/bad.out")"
jq -e '([.points[] | select(.pass | not) | .name] == ["no-plaintext-on-underlay"])
    and .totals.failed == 1 and (.points[] | select(.name == "no-plaintext-on-underlay") |
    .figures.marker_records_underlay > 0 and .figures.underlay_dev == "stun0")' \
    "$TMP/bad.json" >/dev/null ||
    fail "the JSON does not show that one point failed: $(cat "$TMP/bad.json")"
pass "with stun0 as the underlay, check exits $rc: $(grep -m1 '^FAIL' "$TMP/bad.out")"

# Everything the lab ever started, before down removes the record.
mapfile -t started <"$LAB_DIR/started"
[[ ${#started[@]} -ge 10 ]] || fail "only ${#started[@]} processes recorded"
bad=$(grep -l -E 'AddressSanitizer|LeakSanitizer|runtime error:' \
    "$LAB_DIR"/logs/*.log 2>/dev/null) || true
[[ -z $bad ]] || fail "sanitizer report in: $bad"
"$LAB" down >"$TMP/down.log" 2>&1 || fail "scripts/lab down failed: $(cat "$TMP/down.log")"
"$LAB" down >"$TMP/down2.log" 2>&1 || fail "a second down failed: $(cat "$TMP/down2.log")"
[[ -z $(lab_namespaces) ]] || fail "namespaces left: $(lab_namespaces | tr '\n' ' ')"
[[ ! -e $LAB_DIR ]] || fail "$LAB_DIR is still there"
for line in "${started[@]}"; do
	read -r name pid st <<<"$line"
	s=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
	read -r -a f <<<"${s##*) }"
	[[ ${f[19]} != "$st" || ${f[0]} == Z ]] ||
	    fail "$name (pid $pid) still runs after down"
done
[[ -z $(mq_list) ]] || fail "/dev/mqueue holds: $(mq_list | tr '\n' ' ')"
pass "down (twice) left no namespace, none of ${#started[@]} processes, no queue, no state"

# From nothing, in tap mode: check builds its own lab, runs every point on
# it, and takes it down again.
rc=0
"$LAB" check tap --json "$TMP/tap.json" >"$TMP/tap.out" 2>&1 || rc=$?
cat "$TMP/tap.out"
[[ $rc -eq 0 ]] || fail "check tap exited $rc"
jq -e '.mode == "tap" and .totals.failed == 0 and
    .totals.points == (.points | length) and .totals.points >= 10' \
    "$TMP/tap.json" >/dev/null || fail "check tap's JSON: $(cat "$TMP/tap.json")"
grep -q -E '^PASS tap-arp: arping -c 3 on stap0 ' "$TMP/tap.out" ||
    fail "tap-arp did not use the tap lab's own stap0"
[[ -z $(lab_namespaces) ]] || fail "check tap left namespaces: $(lab_namespaces | tr '\n' ' ')"
[[ ! -e $LAB_DIR ]] || fail "check tap left $LAB_DIR"
left=$(ps -eo pid=,args= | awk -v d="$LAB_DIR" 'index($0, d) && !/awk -v d=/')
[[ -z $left ]] || fail "check tap left processes: $left"
[[ -z $(mq_list) ]] || fail "/dev/mqueue holds: $(mq_list | tr '\n' ' ')"
pass "check tap from nothing: $(tail -n 1 "$TMP/tap.out"); it left no namespace, state or queue"
