#!/usr/bin/env bash
# DNS: the server pushes two DNS servers (IPv4 and IPv6) and a domain.
# Each client runs in a mount namespace of its own (unshare -m) with a
# tmpfs over /run/systemd, so the test never sees or touches the host's
# systemd-resolved, and the client's own check runs as it would anywhere:
#  (a) no resolved: the up and down hooks get the values; without an up
#      hook the client says in one line that nothing applies them; a
#      resolved listening in another network namespace is not used;
#  (b) "resolved": a process of the client's network namespace listens on
#      /run/systemd/resolve/io.systemd.Resolve, and a fake resolvectl first
#      on PATH logs its arguments: the exact calls, default-route with
#      redirect-gateway, revert after SIGTERM; a failing resolvectl is one
#      warning and the tunnel stays up;
#  (c) a bad push-dns or push-domain stops the server at startup.
. "$(dirname "$0")/lib.sh"

topo_up A B H
command -v socat >/dev/null || skip "no socat"
command -v unshare >/dev/null || skip "no unshare"
command -v jq >/dev/null || skip "no jq"

# The hook records its environment, one file per run: $TMP/hooks/EVENT.N.
mkdir "$TMP/hooks" "$TMP/bin"
cat >"$TMP/hook" <<EOS
#!/bin/sh
n=0
while [ -e "$TMP/hooks/\$SIMPLETUN_EVENT.\$n" ]; do n=\$((n + 1)); done
env | grep '^SIMPLETUN_DNS' | sort >"$TMP/hooks/tmp.\$n"
mv "$TMP/hooks/tmp.\$n" "$TMP/hooks/\$SIMPLETUN_EVENT.\$n"
EOS
# The fake resolvectl: one line of arguments per call; fails while
# $TMP/resolvectl.fail exists.
cat >"$TMP/bin/resolvectl" <<EOS
#!/bin/sh
echo "\$*" >>"$TMP/resolvectl.log"
[ ! -e "$TMP/resolvectl.fail" ]
EOS
# ns-run RESOLVED CMD...: CMD in a mount namespace of its own (made by
# unshare -m around this script), with a tmpfs over /run/systemd, and,
# unless RESOLVED is no, a listener on resolved's socket (its pid in
# $TMP/listener.pid) and the fake resolvectl first on PATH. RESOLVED yes:
# the listener runs in the client's network namespace; other=NETNS: in
# NETNS, as a resolved of the root namespace is to a client in another.
cat >"$TMP/ns-run" <<EOS
#!/bin/sh
set -e
mode=\$1
shift
case \$mode in
other=*) exec 9<"/run/netns/\${mode#other=}" ;;
esac
d=/run/systemd
[ -d \$d ] || d=/run
mount -t tmpfs -o mode=0755 simpletun-test \$d
mkdir -p /run/systemd/resolve
if [ "\$mode" != no ]; then
	net=
	[ "\$mode" = yes ] || net="nsenter --net=/proc/self/fd/9"
	# in a subshell, so it is no child of the client: the client waits
	# for every child of its own at its end
	(\$net socat UNIX-LISTEN:/run/systemd/resolve/io.systemd.Resolve,fork \\
	    /dev/null & echo \$! >"$TMP/listener.pid")
	exec 9<&-
	n=0
	until [ -S /run/systemd/resolve/io.systemd.Resolve ]; do
		n=\$((n + 1)); [ \$n -lt 300 ]; sleep 0.1
	done
	PATH=$TMP/bin:\$PATH
	export PATH
fi
exec "\$@"
EOS
chmod 0755 "$TMP/hook" "$TMP/bin/resolvectl" "$TMP/ns-run"

# client_ns NAME RESOLVED [ARGS]: alice's client in A, in its own mount
# namespace (see ns-run).
client_ns() {
	local name=$1 resolved=$2 c=$TMP/certs
	shift 2
	start_bg "$name" A unshare -m --propagation private "$TMP/ns-run" \
	    "$resolved" "$SIMPLETUN" client --remote 192.0.2.1:1194 \
	    --server-name server --dev stun0 --ca "$c/ca.crt" \
	    --cert "$c/alice.crt" --key "$c/alice.key" \
	    --status-socket "$TMP/$name.sock" "$@"
}
# The listener of (b) ends with its client: by its pid, which the client
# reaped or the namespace's cleanup would.
listener_stop() {
	local p
	p=$(cat "$TMP/listener.pid")
	kill "$p" 2>/dev/null || true
	wait_until 10 gone "$p"
	rm -f "$TMP/listener.pid"
}
json() { "$SIMPLETUN" status --json --status-socket "$TMP/$1.sock" | jq -r "$2"; }
calls_are() { [[ $(cat "$TMP/resolvectl.log" 2>/dev/null) == "$1" ]]; }

# The server reads its file from the start, then again at SIGHUP as
# nobody. write_conf LINES: the file with those DNS lines.
chmod 0755 "$TMP/certs"
CONF=$TMP/server.conf
write_conf() {
	cat >"$CONF.new" <<-EOF
	listen 0.0.0.0:1194
	dev stun0
	ca $TMP/certs/ca.crt
	cert $TMP/certs/server.crt
	key $TMP/certs/server.key
	pool 198.18.0.0/24
	push-route 203.0.113.0/24
	status-socket $TMP/server.sock
	keepalive 2 10
	session-users $SESSION_UIDS 2048
	$1
	EOF
	mv "$CONF.new" "$CONF"
}
write_conf "push-dns 198.18.0.53
push-dns 2001:db8::53
push-domain corp.example"
SERVER_SOCK=$TMP/server.sock
start_bg server S "$SIMPLETUN" server --config "$CONF"
SERVER_PIDS+=("${PID[server]}")
wait_until 30 server_ready server || fail "server did not come up"

# (a) no resolved: the hooks get the DNS, and a status shows it.
client_ns a no --up "$TMP/hook" --down "$TMP/hook"
wait_connected a
wait_until 10 ran up.0 || fail "the client's up hook did not run"
is up.0 SIMPLETUN_DNS_SERVERS "198.18.0.53 2001:db8::53"
is up.0 SIMPLETUN_DNS_DOMAINS corp.example
is up.0 SIMPLETUN_DNS_APPLIED no
[[ $(json a '.client.dns_servers | join(" ")') == "198.18.0.53 2001:db8::53" ]] ||
    fail "status: dns_servers is $(json a .client.dns_servers)"
[[ $(json a '.client.dns_domains | join(" ")') == corp.example ]] ||
    fail "status: dns_domains is $(json a .client.dns_domains)"
[[ $(json a .client.dns_applied_by) == hook ]] ||
    fail "status: dns_applied_by is $(json a .client.dns_applied_by)"
stat_is "$TMP/a.sock" client "" dns_servers "198.18.0.53,2001:db8::53" ||
    fail "status text: $(status_dump "$TMP/a.sock" | grep ^client)"
ping_ok A 203.0.113.2
stop_bg a
ran down.0 || fail "the client's down hook did not run at SIGTERM"
is down.0 SIMPLETUN_DNS_SERVERS "198.18.0.53 2001:db8::53"
is down.0 SIMPLETUN_DNS_DOMAINS corp.example
[[ ! -e $TMP/resolvectl.log ]] || fail "resolvectl ran without resolved"
pass "no resolved: up and down hooks get the pushed DNS, status shows it"

client_ns a2 no
wait_connected a2
wait_until 10 log_has a2 "the server pushed DNS \(servers: 198\.18\.0\.53 2001:db8::53; domains: corp\.example\), but systemd-resolved is not running in this network namespace and there is no up hook: nothing applies it" ||
    fail "no line says that nothing applies the pushed DNS"
[[ $(grep -c -i "nothing applies it" "$TMP/a2.log") -eq 1 ]] ||
    fail "more than one line says that nothing applies the DNS"
stop_bg a2
pass "no resolved and no up hook: one line says nothing applies the DNS"

# A resolved of another network namespace takes a link by its index there:
# not ours to use.
client_ns a4 "other=$(nsname B)"
wait_connected a4
wait_until 10 log_has a4 "nothing applies it" ||
    fail "a resolved in another network namespace was taken"
[[ ! -e $TMP/resolvectl.log ]] ||
    fail "resolvectl ran for a resolved of another network namespace"
stop_bg a4
listener_stop
pass "a resolved of another network namespace is not used"

# (b) resolved: the calls, exactly, and revert at SIGTERM.
client_ns b1 yes --up "$TMP/hook"
wait_connected b1
wait_until 10 log_has b1 "DNS on stun0 through systemd-resolved" ||
    fail "the client did not apply the DNS through resolved"
calls_are $'dns stun0 198.18.0.53 2001:db8::53\ndomain stun0 corp.example' ||
    fail "resolvectl calls: $(cat "$TMP/resolvectl.log")"
wait_until 10 ran up.1 || fail "the up hook did not run"
is up.1 SIMPLETUN_DNS_APPLIED resolvectl
[[ $(json b1 .client.dns_applied_by) == resolvectl ]] ||
    fail "status: dns_applied_by is $(json b1 .client.dns_applied_by)"
ping_ok A 203.0.113.2
stop_bg b1
listener_stop
calls_are $'dns stun0 198.18.0.53 2001:db8::53\ndomain stun0 corp.example\nrevert stun0' ||
    fail "resolvectl calls with revert: $(cat "$TMP/resolvectl.log")"
pass "resolved: resolvectl dns and domain on tun, revert at SIGTERM"

# With redirect-gateway, resolved sends every name no other link claims
# into the tunnel.
rm -f "$TMP/resolvectl.log"
client_ns b2 yes --redirect-gateway yes
wait_connected b2
wait_until 10 log_has b2 "DNS on stun0 through systemd-resolved" ||
    fail "the client did not apply the DNS through resolved"
calls_are $'dns stun0 198.18.0.53 2001:db8::53\ndomain stun0 corp.example\ndefault-route stun0 true' ||
    fail "resolvectl calls: $(cat "$TMP/resolvectl.log")"
stop_bg b2
listener_stop
calls_are $'dns stun0 198.18.0.53 2001:db8::53\ndomain stun0 corp.example\ndefault-route stun0 true\nrevert stun0' ||
    fail "resolvectl calls with revert: $(cat "$TMP/resolvectl.log")"
pass "resolved and redirect-gateway: default-route true, revert at SIGTERM"

# A resolvectl that fails: one warning, and the tunnel carries traffic.
rm -f "$TMP/resolvectl.log"
touch "$TMP/resolvectl.fail"
client_ns b3 yes
wait_connected b3
wait_until 10 log_has b3 "DNS not applied \(the tunnel is up\): $TMP/bin/resolvectl dns stun0 198\.18\.0\.53 2001:db8::53: exit status 1" ||
    fail "no warning for a failing resolvectl"
ping_ok A 203.0.113.2
[[ $(json b3 .client.dns_applied_by) == none ]] ||
    fail "status: dns_applied_by is $(json b3 .client.dns_applied_by)"
stop_bg b3
listener_stop
pass "a failing resolvectl: one warning, the tunnel is up"

# SIGHUP with other DNS: a new session gets it.
mark=$(log_mark server)
write_conf "push-dns 198.19.0.53"
kill -HUP "${PID[server]}"
wait_until 20 log_since server "$mark" "reload 1: applied" ||
    fail "the server did not apply the reload"
! log_since server "$mark" "need a restart" ||
    fail "the server asks for a restart for push-dns or push-domain"
client_ns a3 no --up "$TMP/hook"
wait_connected a3
wait_until 10 ran up.2 || fail "the client's up hook did not run"
is up.2 SIMPLETUN_DNS_SERVERS 198.19.0.53
is up.2 SIMPLETUN_DNS_DOMAINS ""
stop_bg a3
pass "SIGHUP: a new session gets the new push-dns and no push-domain"
stop_bg server

# (c) what a client could not take stops the server, in one line.
server_refuses "push-dns: 'dns\.example' is not an IPv4 or IPv6 address" \
    -- --push-dns dns.example
server_refuses "push-dns: '224\.0\.0\.251' is a multicast address" \
    -- --push-dns 224.0.0.251
server_refuses "push-dns: '2001:db8:0::53' given twice" \
    -- --push-dns 2001:db8::53 --push-dns 2001:db8:0::53
server_refuses "push-domain: 'corp\.\.example' is not a DNS name: it has an empty label" \
    -- --push-domain corp..example
pass "bad push-dns and push-domain: the server refuses to start"
