#!/usr/bin/env bash
# bench/profile.sh BINARY [perf]: a quick look at one simpletun build alone,
# for iterating on the data path (scripts/bench is the measure). One client
# C, one server S over a veth pair, as scripts/bench builds them; iperf3
# one stream for T seconds (default 8) client-sends (fwd) and server-sends
# (rev, -R); prints Mbit/s, CPU seconds of both ends' processes, CPU s/GB,
# TCP retransmits, and leaves both ends' status in $OUT/status.*. With
# "perf": perf record -g on every process of both ends during each
# transfer, into $OUT/{fwd,rev}.PID.data (pids and roles in $OUT/*.pids).
# Needs root, iperf3, python3 (and perf). Not a test: nothing is asserted.
. "$(dirname "$0")/../tests/net/lib.sh"
SIMPLETUN=${1:?usage: bench/profile.sh BINARY [perf]}; MODE=${2:-}
T=${T:-8}
OUT=${OUT:-$(mktemp -d)}
say "output in $OUT"
require_root_net
tmp_make
ns_add S C
veth C eth0 192.0.2.2/28 S ec 192.0.2.1/28
certs_make "$TMP/certs" c
start_bg iperf S iperf3 -s -p 5201
server_start st_server
client_start st_c C 192.0.2.1 c
wait_connected st_c
wait_until 30 ping_ok C 198.18.0.1 || fail "no ping"
n C ping -c 20 -i 0.05 -q 198.18.0.1 | tail -1
spid=${PID[st_server]}; cpid=${PID[st_c]}
desc() { local p=$1; echo $p; for c in $(cat /proc/$p/task/*/children 2>/dev/null); do desc $c; done; }
PP=()
for dir in fwd rev; do
	R=; [[ $dir == rev ]] && R=-R
	if [[ $MODE == perf ]]; then
		for p in $(desc $spid) $(desc $cpid); do
			perf record -g -o $OUT/$dir.$p.data -p $p -- sleep $((T-2)) >/dev/null 2>&1 &
			PP+=($!)
			echo "$p $(tr '\0' ' ' </proc/$p/cmdline)" >> $OUT/$dir.pids
		done
	fi
	c0=0; for p in $(desc $spid) $(desc $cpid); do c0=$((c0 + $(awk '{print $14+$15}' /proc/$p/stat))); done
	n C iperf3 -c 198.18.0.1 -t $T $R -J > $TMP/ip.json || true
	c1=0; for p in $(desc $spid) $(desc $cpid); do c1=$((c1 + $(awk '{print $14+$15}' /proc/$p/stat))); done
	python3 - $TMP/ip.json $((c1-c0)) $dir <<'PY'
import json,sys
j=json.load(open(sys.argv[1])); e=j['end']
b=e['sum_received']['bytes']; mb=e['sum_received']['bits_per_second']/1e6
t=int(sys.argv[2])/100
print(f"{sys.argv[3]}: {mb:.0f} Mbit/s  cpu {t:.2f}s  {t/(b/1e9):.2f} s/GB  retr {e['sum_sent'].get('retransmits')}")
PY
	for x in ${PP[@]+"${PP[@]}"}; do wait $x; done; PP=()
done
status_dump $TMP/st_server.sock > $OUT/status.server 2>&1 || true
status_dump $TMP/st_c.sock > $OUT/status.client 2>&1 || true
stop_bg st_c; stop_bg st_server
