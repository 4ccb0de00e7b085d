#!/usr/bin/env bash
# Configuration: --help lists the directives; every bad configuration exits 1
# with exactly one line on stderr naming the problem; the command line wins
# over the config file.
#
# As root, every run happens inside a namespace of this test, so a
# configuration that is wrongly accepted cannot touch the root namespace; the
# positive controls then start a real server there. Without root the same
# checks run directly (a server cannot open tun, so it stops with exit 2).
. "$(dirname "$0")/lib.sh"

[[ -x $SIMPLETUN ]] || fail "SIMPLETUN=$SIMPLETUN is not executable"
tmp_make
ROOT=0
if [[ $(id -u) -eq 0 ]] && ip netns list >/dev/null 2>&1 &&
    [[ -c /dev/net/tun ]]; then
	ROOT=1
	mqueue_mount
	ns_add C
fi

# run CMD...: CMD (in namespace C as root) with a time limit; stdout to
# $TMP/out, stderr to $TMP/err, exit status in RC.
run() {
	RC=0
	if ((ROOT)); then
		n C timeout 10 "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
	else
		timeout 10 "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
	fi
}

# A directive's name appears as a word or a --flag, not inside a longer name.
lists() { grep -q -E -- "(^|[^a-z-]|--)$2([^a-z-]|\$)" "$1"; }

# --- help -----------------------------------------------------------------

run "$SIMPLETUN" --help
[[ $RC -eq 0 ]] || fail "--help exited $RC"
for d in listen pool client-to-client keepalive user max-clients remote \
    server-name ca cert key dev status-socket push-route connect-retry; do
	lists "$TMP/out" "$d" || fail "--help does not list '$d'"
done
pass "--help lists the directives of both roles"

run "$SIMPLETUN" server --help
[[ $RC -eq 0 ]] || fail "server --help exited $RC"
for d in listen pool client-to-client keepalive user max-clients ca cert key; do
	lists "$TMP/out" "$d" || fail "server --help does not list '$d'"
done
pass "server --help lists the server's directives"

run "$SIMPLETUN" client --help
[[ $RC -eq 0 ]] || fail "client --help exited $RC"
for d in remote server-name keepalive connect-retry ca cert key; do
	lists "$TMP/out" "$d" || fail "client --help does not list '$d'"
done
pass "client --help lists the client's directives"

# --- bad configurations ---------------------------------------------------

certs_make
C=$TMP/certs
# Complete configurations; each case below changes one directive of them.
# shellcheck disable=SC2034  # used through cfg's nameref
declare -A SERVER=([listen]=0.0.0.0:1194 [dev]=stun0 [ca]=$C/ca.crt
	[cert]=$C/server.crt [key]=$C/server.key [pool]=198.18.0.0/24
	[status-socket]=$TMP/s.sock [keepalive]="2 10")
# shellcheck disable=SC2034
declare -A CLIENT=([remote]=192.0.2.1:1194 [server-name]=server [dev]=stun0
	[ca]=$C/ca.crt [cert]=$C/alice.crt [key]=$C/alice.key
	[status-socket]=$TMP/c.sock)

# cfg server|client [--DIRECTIVE "WORDS"|--DIRECTIVE @none]...: sets ARGS to
# "simpletun ROLE" and the role's configuration with the given directives
# replaced, added or (@none) left out. Each directive is given once.
cfg() {
	local role=$1 k w=()
	local -n base=${1^^}
	local -A all=()
	shift
	for k in "${!base[@]}"; do all[$k]=${base[$k]}; done
	while (($#)); do all[${1#--}]=$2; shift 2; done
	ARGS=("$SIMPLETUN" "$role")
	for k in "${!all[@]}"; do
		[[ ${all[$k]} != @none ]] || continue
		read -r -a w <<<"${all[$k]}"
		ARGS+=("--$k" "${w[@]}")
	done
}

# refused WHAT REGEX... -- CMD...: CMD exits 1 with one stderr line that
# matches every (case-insensitive, extended) REGEX.
refused() {
	local what=$1 re=() r
	shift
	while [[ $1 != -- ]]; do re+=("$1"); shift; done
	shift
	run "$@"
	[[ $RC -eq 1 ]] || fail "$what: exit status $RC, want 1" \
	    "(stderr: $(head -c 300 "$TMP/err"))"
	[[ $(wc -l <"$TMP/err") -eq 1 ]] ||
	    fail "$what: want one line on stderr, got: $(cat "$TMP/err")"
	for r in "${re[@]}"; do
		grep -q -i -E -- "$r" "$TMP/err" ||
		    fail "$what: stderr does not match /$r/: $(cat "$TMP/err")"
	done
	pass "$what is refused: $(cat "$TMP/err")"
}

# Positive controls: both base configurations are accepted. As root they
# really start in namespace C; otherwise opening tun fails (exit 2).
accepted() {
	local what=$1 kind=$2 sock=$3
	shift 3
	if ((ROOT)); then
		start_bg "$what" C "$@"
		[[ $kind == server ]] && SERVER_PIDS+=("${PID[$what]}")
		wait_until 30 stat_get "$sock" "$kind" "" dev ||
		    fail "the base $kind configuration did not start:" \
		    "$(cat "$TMP/$what.log")"
		stop_bg "$what" || fail "the $kind did not exit 0 on SIGTERM"
	else
		run "$@"
		[[ $RC -eq 2 ]] || fail "the base $kind configuration: exit" \
		    "$RC, want 2 (no tun without root): $(cat "$TMP/err")"
	fi
	pass "the base $kind configuration is accepted"
}
cfg server
accepted base-server server "$TMP/s.sock" "${ARGS[@]}"
cfg client
accepted base-client client "$TMP/c.sock" "${ARGS[@]}"

refused "an unknown subcommand" frobnicate -- "$SIMPLETUN" frobnicate
cfg server --bogus-directive 1
refused "an unknown directive on the command line" 'bogus-directive' -- "${ARGS[@]}"
cfg server --listen 192.0.2.300:1194
refused "a bad address in listen" 'listen' '192\.0\.2\.300' -- "${ARGS[@]}"
cfg server --listen 0.0.0.0:70000
refused "a listen port out of range" 'listen' '70000' -- "${ARGS[@]}"
cfg server --pool 198.18.0.1/24
refused "a pool with host bits" 'pool' '198\.18\.0\.1/24' -- "${ARGS[@]}"
cfg server --pool 198.18.0.0/31
refused "a /31 pool" 'pool' '198\.18\.0\.0/31' -- "${ARGS[@]}"
cfg server --ca "$TMP/nonexistent/ca.crt"
refused "a missing ca file" 'ca' "$TMP/nonexistent/ca\\.crt" -- "${ARGS[@]}"
# Root reads any file whatever its mode, so an unreadable key is a
# directory or a path that does not exist.
cfg server --key "$C"
refused "a key that is a directory" 'key' "$C" -- "${ARGS[@]}"
cfg client --key "$TMP/nonexistent.key"
refused "a missing key file" 'key' "$TMP/nonexistent\\.key" -- "${ARGS[@]}"
cfg server --keepalive "10 10"
refused "a keepalive timeout equal to the interval" 'keepalive' -- "${ARGS[@]}"
cfg client --keepalive "10 5"
refused "a keepalive timeout below the interval" 'keepalive' -- "${ARGS[@]}"
cfg server --max-clients 10x
refused "trailing garbage after a number" 'max-clients' '10x' -- "${ARGS[@]}"
cfg server --keepalive "2 10 30"
refused "an extra argument" 'keepalive' '30' -- "${ARGS[@]}"
cfg client --pool 198.18.0.0/24
refused "a server directive given to the client" 'pool' -- "${ARGS[@]}"
cfg server --remote 192.0.2.1:1194
refused "a client directive given to the server" 'remote' -- "${ARGS[@]}"
cfg server --pool @none
refused "a server without a pool" 'pool' -- "${ARGS[@]}"

# The same problems in a config file name the file and the line.
F=$TMP/server.conf
printf '%s\n' '# a comment, then a blank line' '' "max-clients 10" \
    "bogus-directive 1" >"$F"
cfg server --config "$F"
refused "an unknown directive in a file" 'bogus-directive' \
    "server\\.conf:4" -- "${ARGS[@]}"
printf '%s\n' "max-clients 10 extra" >"$F"
refused "trailing garbage in a file" 'max-clients' 'extra' "server\\.conf:1" -- \
    "${ARGS[@]}"
printf '%s\n' "mtu 1400" "" "listen 192.0.2.300:1194" >"$F"
refused "a bad listen address in a file" 'listen' "server\\.conf:3" -- \
    "${ARGS[@]}"
cfg server --config "$TMP/nonexistent.conf"
refused "a missing config file" "$TMP/nonexistent\\.conf" -- "${ARGS[@]}"

# --- the command line wins over the file -----------------------------------

# The file names a ca that does not exist and a pool; the command line gives
# the real ca and another pool. The file alone must be refused (control).
printf '%s\n' "ca $TMP/nonexistent/ca.crt" "pool 198.18.0.0/24" >"$F"
cfg server --ca @none --pool @none --config "$F"
refused "the file's missing ca (control)" "$TMP/nonexistent/ca\\.crt" -- \
    "${ARGS[@]}"
cfg server --config "$F" --pool 198.18.1.0/24

if ((ROOT)); then
	start_bg override C "${ARGS[@]}"
	SERVER_PIDS+=("${PID[override]}")
	wait_until 30 stat_get "$TMP/s.sock" server "" pool ||
	    fail "the server with command-line overrides did not start"
	stat_is "$TMP/s.sock" server "" pool 198.18.1.0/24 ||
	    fail "pool is $(stat_get "$TMP/s.sock" server "" pool)," \
	    "want the command line's 198.18.1.0/24"
	stop_bg override || fail "the server did not exit cleanly on SIGTERM"
	pass "--ca and --pool on the command line override the file"
else
	run "${ARGS[@]}"
	[[ $RC -ne 1 ]] || fail "--ca did not override the file: $(cat "$TMP/err")"
	pass "--ca on the command line overrides the file (exit $RC, no tun)"
fi
check_logs
