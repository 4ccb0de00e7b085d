#!/usr/bin/env bash
# Unattended clients. A client the server refuses for good (its certificate
# revoked, or of another CA) or that refuses the server (a name the
# server's certificate does not carry) shows state=refused and the reason
# in status, and exits with 4 after connect-retry-max attempts; the server
# logs the CN of a refused certificate. --daemon returns 4 with the reason
# on stderr at the first refusal, and 0 only once the tunnel carries
# traffic, the client then running in the background with its --pidfile
# until SIGTERM, which removes the pidfile.
. "$(dirname "$0")/lib.sh"

topo_up A B
C=$TMP/certs
certs_make "$TMP/other"		# a second CA, with its own alice
"$MKCERTS" --revoke bob "$C" >>"$TMP/mkcerts.log" 2>&1 ||
    fail "mkcerts --revoke bob failed"
server_start -- --crl "$C/crl.pem"

# state NAME: the client's state. refused_with NAME: its state is refused,
# and WHY its reason, from the same read (a client that gives up takes its
# status socket away).
state() { "$SIMPLETUN" status --status-socket "$TMP/$1.sock" --json | jq -e -r .client.state; }
refused_with() {
	local j
	j=$("$SIMPLETUN" status --status-socket "$TMP/$1.sock" --json) &&
	    [[ $(jq -r .client.state <<<"$j") == refused ]] &&
	    WHY=$(jq -r .client.reason <<<"$j")
}

# (a) bob's certificate is revoked: refused, status says why, and after 3
# attempts (5 s apart: time for the checks while it still runs) the client
# exits with 4.
mark=$(log_mark server)
client_b --connect-retry 5 5 --connect-retry-max 3
wait_until 30 refused_with b || fail "(a) bob's state is '$(state b)'"
why=$WHY
[[ $why == *revoked* ]] || fail "(a) bob's reason does not say revoked: $why"
has -E '^client .* state=refused reason=".*revoked' status_dump "$TMP/b.sock" ||
    fail "(a) text status: ${SEEN%%$'\n'*}"
rc=0
wait_bg b 60 || rc=$?
[[ $rc -eq 4 ]] || fail "(a) bob exited with $rc, want 4"
log_has b 'giving up after 3 attempts' || fail "(a) bob did not say it gave up"
log_since server "$mark" 'TLS handshake failed.*revoked.*names CN bob' ||
    fail "(a) the server did not log bob's CN: $(grep -i 'handshake failed' "$TMP/server.log" | tail -n 1)"
pass "(a) revoked bob: state=refused reason=\"$why\", exit 4 after 3 attempts;" \
    "server: $(grep -i 'handshake failed' "$TMP/server.log" | tail -n 1 | sed 's/.*: TLS/TLS/')"

# (b) alice of another CA, with --daemon: the foreground returns 4 at once
# with the reason on stderr; the server logs the CN it claimed.
mark=$(log_mark server)
rc=0
n A "$SIMPLETUN" client --daemon --pidfile "$TMP/o.pid" --remote 192.0.2.1:1194 \
    --server-name server --dev stun1 --ca "$C/ca.crt" \
    --cert "$TMP/other/alice.crt" --key "$TMP/other/alice.key" \
    --status-socket "$TMP/o.sock" --connect-retry 1 1 --connect-retry-max 2 \
    >>"$TMP/o.log" 2>"$TMP/o.err" || rc=$?
[[ $rc -eq 4 ]] || fail "(b) --daemon of another CA's alice returned $rc: $(cat "$TMP/o.err")"
grep -q -E 'refused|alert|verify' "$TMP/o.err" || fail "(b) no reason on stderr: $(cat "$TMP/o.err")"
wait_until 30 log_since server "$mark" 'TLS handshake failed.*names CN alice' ||
    fail "(b) the server did not log the CN alice"
# It gives up after its 2 attempts, and removes its pidfile.
opid=$(cat "$TMP/o.pid" 2>/dev/null) || opid=
[[ -z $opid ]] || wait_until 30 gone "$opid" || fail "(b) the background client did not give up"
[[ ! -e $TMP/o.pid ]] || fail "(b) the pidfile stayed"
pass "(b) another CA's certificate: --daemon exit 4, stderr: $(head -c 200 "$TMP/o.err")"

# (c) a server name the server's certificate does not carry: the client
# refuses the server, for good.
client_start m A 192.0.2.1 alice --server-name vpn.example.org --dev stun2 \
    --connect-retry 2 2 --connect-retry-max 2
wait_until 30 refused_with m || fail "(c) state '$(state m)'"
[[ $WHY == *"certificate verify failed"* ]] || fail "(c) reason: $WHY"
rc=0
wait_bg m 60 || rc=$?
[[ $rc -eq 4 ]] || fail "(c) exit $rc, want 4"
pass "(c) name mismatch: state=refused reason=\"$(grep -o 'giving up.*' "$TMP/m.log" | head -c 160)\", exit 4"

# (d) an unreachable server: exit 5 after 2 attempts.
client_start u A 192.0.2.1 alice --remote 192.0.2.1:1999 --dev stun3 \
    --connect-retry 1 1 --connect-retry-max 2
rc=0
wait_bg u 60 || rc=$?
[[ $rc -eq 5 ]] || fail "(d) unreachable server: exit $rc, want 5"
pass "(d) unreachable server: exit 5 after 2 attempts"

# (e) alice, good: --daemon returns 0 only once the tunnel carries
# traffic, so a ping works at once; the pidfile names the running client.
rc=0
n A "$SIMPLETUN" client --daemon --pidfile "$TMP/a.pid" --remote 192.0.2.1:1194 \
    --server-name server --dev stun0 --ca "$C/ca.crt" --cert "$C/alice.crt" \
    --key "$C/alice.key" --status-socket "$TMP/a.sock" \
    >>"$TMP/a.log" 2>>"$TMP/a.log" || rc=$?
[[ $rc -eq 0 ]] || fail "(e) --daemon returned $rc"
apid=$(cat "$TMP/a.pid") || fail "(e) no pidfile"
PID[a]=$apid
BG_ORDER+=(a)
alive "$apid" || fail "(e) the client in $TMP/a.pid is not running"
n A ping -n -q -c 1 -W 10 198.18.0.1 >/dev/null ||
    fail "(e) no ping right after --daemon returned"
[[ $(state a) == connected ]] || fail "(e) state $(state a)"
kill -TERM "$apid"
wait_until 15 gone "$apid" || fail "(e) the daemon ignored SIGTERM"
unset "PID[a]"
[[ ! -e $TMP/a.pid ]] || fail "(e) the pidfile stayed after SIGTERM"
pass "(e) --daemon returned 0 with the tunnel up (ping at once), pid $apid in the pidfile, gone with it on SIGTERM"
check_logs
