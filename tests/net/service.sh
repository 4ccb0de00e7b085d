#!/usr/bin/env bash
# The service as systemd runs it, without systemd: the example
# configurations of dist/ (their certificate paths pointed at what mkcerts
# made for this run), under the restrictions the units put on the daemons
# (capability bounding set, NoNewPrivileges, LimitMSGQUEUE, LimitNOFILE,
# ProtectSystem=full as read-only bind mounts) and with NOTIFY_SOCKET on a
# socket this test reads. The server says READY=1 only once its port
# listens, the client only once its tunnel has its address; traffic flows;
# no child sees NOTIFY_SOCKET; SIGTERM says STOPPING=1.
. "$(dirname "$0")/lib.sh"

topo_up A H
command -v socat >/dev/null || skip "no socat"
command -v setpriv >/dev/null || skip "no setpriv"
DIST=$TOP/dist

# A config from dist/: paths of mkcerts' files under /etc/simpletun/pki
# become this run's, the status socket and the pool this run's (the
# examples use 10.8.0.0/24, tests only the documentation ranges). The
# server makes its socket's directory for its user, as it does
# /run/simpletun; the client's is root's, as RuntimeDirectory= makes it.
example() {
	sed -e "s|/etc/simpletun/pki/|$TMP/certs/|" \
	    -e "s|/run/simpletun/|$TMP/$2/|" \
	    -e "s|^pool .*|pool 198.18.0.0/24|" \
	    -e "s|^remote .*|remote 192.0.2.1:1194|" \
	    "$DIST/$1.conf" >"$TMP/$1.conf"
}
example server srun
example client crun
mkdir -m 0755 "$TMP/crun"
for f in ca.crt server.crt server.key alice.crt alice.key; do
	grep -q -F "$TMP/certs/$f" "$TMP/server.conf" "$TMP/client.conf" ||
	    fail "the examples do not name mkcerts' $f"
done

# on_notify NAME: run by socat for each datagram on $TMP/NAME.notify; logs
# it, and with READY=1 whether the daemon is ready by then.
cat >"$TMP/on_notify" <<EOS
#!/usr/bin/env bash
msg=\$(cat)
ready=
if [[ \$msg == *READY=1* ]]; then
	case \$1 in
	server) ip netns exec $(nsname S) ss -Hltn 'sport = :1194' |
	    grep -q LISTEN && ready=listening || ready=not-listening ;;
	client) ip -n $(nsname A) -4 addr show dev stun0 2>/dev/null |
	    grep -q 'inet 198\.18\.' && ready=up || ready=not-up ;;
	esac
fi
printf '%s\nready=%s\n---\n' "\$msg" "\$ready" >>"$TMP/\$1.notified"
EOS
chmod 0755 "$TMP/on_notify"
notify_listen() {
	start_bg "notify-$1" S socat -u \
	    "UNIX-RECVFROM:$TMP/$1.notify,mode=0700,fork" \
	    "SYSTEM:$TMP/on_notify $1"
	wait_until 10 test -S "$TMP/$1.notify"
}

# limit_here NAME ULIMIT_FLAG VALUE: VALUE (IEC suffixes allowed), or our
# hard limit if that is lower and we cannot raise it: raising a hard limit
# takes CAP_SYS_RESOURCE, which systemd has and a container running this
# test may not.
limit_here() {
	local v=$3 hard
	[[ -n $v ]] || return 0
	v=$(numfmt --from=iec "$v")
	hard=$(ulimit -H "-$2")
	if [[ $hard != unlimited ]] && (( v > hard )) &&
	    ! prlimit "--$1=$v" true 2>/dev/null; then
		say "cannot raise RLIMIT_${1^^} to $v here; using $hard" >&2
		v=$hard
	fi
	echo "$v"
}

# as_unit UNIT CMD...: CMD with what UNIT's [Service] section restricts,
# read from the unit file itself so the test follows it.
as_unit() {
	local unit=$DIST/$1.in caps msgq nofile bset=-all c
	shift
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
	for c in $caps; do
		c=${c#CAP_}
		bset+=",+${c,,}"
	done
	msgq=$(limit_here msgqueue q "$(sed -n 's/^LimitMSGQUEUE=//p' "$unit")")
	nofile=$(limit_here nofile n "$(sed -n 's/^LimitNOFILE=//p' "$unit")")
	grep -q -x 'NoNewPrivileges=yes' "$unit" ||
	    fail "$unit: expected NoNewPrivileges=yes"
	grep -q -x 'ProtectSystem=full' "$unit" ||
	    fail "$unit: expected ProtectSystem=full"
	UNIT_CMD=(unshare -m --propagation private sh -c
	    'for d in /usr /boot /efi /etc; do
		[ -d "$d" ] || continue
		mount -o bind,ro "$d" "$d" &&
		mount -o remount,bind,ro "$d" "$d" || exit 99
	    done; exec "$@"' sh
	    prlimit ${msgq:+--msgqueue=$msgq}
	    ${nofile:+--nofile=$nofile}
	    setpriv --no-new-privs --bounding-set "$bset" --inh-caps=-all "$@")
}

# --- server -----------------------------------------------------------------
notify_listen server
as_unit simpletun-server@.service env NOTIFY_SOCKET="$TMP/server.notify" \
    "$SIMPLETUN" server --config "$TMP/server.conf" \
    --session-users "$SESSION_UIDS" 2048
start_bg server S "${UNIT_CMD[@]}"
SERVER_PIDS+=("${PID[server]}")
SERVER_SOCK=$TMP/srun/server.sock
wait_until 30 grep -q READY=1 "$TMP/server.notified" ||
    fail "the server sent no READY=1 (see server.log)"
grep -q -x 'ready=listening' "$TMP/server.notified" ||
    fail "READY=1 came before the port listened: $(cat "$TMP/server.notified")"
pass "server: READY=1 once port 1194 listens"
grep -q 'STATUS=listening' "$TMP/server.notified" ||
    fail "no STATUS= with READY=1"
wait_until 30 server_ready server
! grep -q -E 'below the|cannot|permission|denied' "$TMP/server.log" ||
    fail "the server complains under the unit's restrictions"
pass "server: runs under the unit's restrictions without a complaint"

# --- client -----------------------------------------------------------------
notify_listen client
as_unit simpletun-client@.service env NOTIFY_SOCKET="$TMP/client.notify" \
    "$SIMPLETUN" client --config "$TMP/client.conf"
start_bg a A "${UNIT_CMD[@]}"
wait_until 30 stat_is "$TMP/crun/client.sock" client "" state connected ||
    fail "the client did not connect (see a.log)"
wait_until 30 grep -q READY=1 "$TMP/client.notified" ||
    fail "the client sent no READY=1 (see a.log)"
grep -q -x 'ready=up' "$TMP/client.notified" ||
    fail "READY=1 came before the tunnel was up: $(cat "$TMP/client.notified")"
grep -q 'STATUS=connected' "$TMP/client.notified" ||
    fail "no STATUS=connected with READY=1"
pass "client: READY=1 once its tunnel is up"
ping_ok A 198.18.0.1
pass "traffic flows through the tunnel"

# The service manager's socket is for the main process alone. (Its own
# /proc/PID/environ shows the environment it started with.)
for p in "${PID[server]}" "${PID[a]}"; do
	[[ -n $(children_of "$p") ]] || fail "pid $p has no children"
	for c in $(children_of "$p"); do
		! has '^NOTIFY_SOCKET=' tr '\0' '\n' <"/proc/$c/environ" ||
		    fail "child $c of $p inherited NOTIFY_SOCKET"
	done
done
pass "no child inherits NOTIFY_SOCKET"

stop_bg a
wait_until 10 grep -q STOPPING=1 "$TMP/client.notified" ||
    fail "the client said no STOPPING=1"
stop_bg server
wait_until 10 grep -q STOPPING=1 "$TMP/server.notified" ||
    fail "the server said no STOPPING=1"
pass "STOPPING=1 on SIGTERM"
