#!/usr/bin/env bash
# Isolation of the server's processes (DESIGN.md section 1): every child is
# a fresh exec of simpletun with an address layout of its own; each
# session's control and data processes run as a uid of their own, with no
# capability, NoNewPrivs and a seccomp filter, and so does the guard (as
# `user`); the guard and the data processes never hold the server's private
# key; no queue has a name; a process of one session can neither signal
# nor open anything of another's; stray signals end nothing; the server
# removes its status socket although it runs as nobody.
. "$(dirname "$0")/lib.sh"

[[ -x $MEMSCAN ]] || fail "MEMSCAN=$MEMSCAN is not executable"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
topo_up A B
server_start
client_a
client_b
wait_connected a
wait_connected b
ping_ok A 198.18.0.1 || fail "no ping from A"
ping_ok B 198.18.0.1 || fail "no ping from B"
wait_until 10 stat_is "$SERVER_SOCK" server "" clients 2 ||
    fail "server status: $(status_dump "$SERVER_SOCK")"

SP=${PID[server]}
GP=$(stat_get "$SERVER_SOCK" guard "" pid)
sget() { stat_get "$SERVER_SOCK" session "cn=$1" "$2"; }
AC=$(sget alice control_pid) AD=$(sget alice data_pid) AU=$(sget alice uid)
BC=$(sget bob control_pid) BD=$(sget bob data_pid) BU=$(sget bob uid)
NOBODY=$(id -u nobody)

# status_field PID FIELD: a field of /proc/PID/status ("Uid" gives all four).
status_field() { awk -v f="$2:" '$1 == f { $1 = ""; print substr($0, 2) }' \
    "/proc/$1/status"; }
# image_base PID: where the simpletun executable is mapped (PIE, so exec
# picks a new place and fork keeps the parent's).
image_base() {
	awk -v exe="$(readlink "/proc/$1/exe")" \
	    '$6 == exe { print substr($1, 1, index($1, "-") - 1); exit }' \
	    "/proc/$1/maps"
}

# --- fresh images -----------------------------------------------------------

want_cmd() {
	local pid=$1 role=$2 got
	got=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	[[ $got == "simpletun child $role " ]] ||
	    fail "process $pid runs '$got', want 'simpletun child $role'"
	[[ $(readlink "/proc/$pid/exe") == "$(readlink "/proc/$SP/exe")" ]] ||
	    fail "process $pid is not the server's binary"
	[[ $(image_base "$pid") != "$(image_base "$SP")" ]] ||
	    fail "process $pid has the server's address layout"
}
want_cmd "$GP" guard
for p in "$AC" "$BC"; do want_cmd "$p" control; done
for p in "$AD" "$BD"; do want_cmd "$p" data; done
pass "guard, control and data processes are fresh images of simpletun" \
    "(executable at $(image_base "$SP") in the server, $(image_base "$AD") in alice's data)"

# --- uids, capabilities, NoNewPrivs, seccomp ---------------------------------

want_creds() {
	local pid=$1 uid=$2 what=$3
	read -r -a ids <<<"$(status_field "$pid" Uid)"
	[[ ${ids[*]} == "$uid $uid $uid $uid" ]] ||
	    fail "$what ($pid) has uids ${ids[*]}, want $uid"
	read -r -a ids <<<"$(status_field "$pid" Gid)"
	[[ ${ids[0]} == "${4:-$uid}" ]] || fail "$what ($pid) has gid ${ids[0]}"
	[[ $(status_field "$pid" CapPrm) == 0000000000000000 &&
	   $(status_field "$pid" CapEff) == 0000000000000000 &&
	   $(status_field "$pid" CapAmb) == 0000000000000000 ]] ||
	    fail "$what ($pid) keeps capabilities: $(grep ^Cap "/proc/$pid/status" | tr '\n' ' ')"
	[[ $(status_field "$pid" NoNewPrivs) == 1 ]] ||
	    fail "$what ($pid) lacks NoNewPrivs"
	[[ $(status_field "$pid" Seccomp) == 2 ]] ||
	    fail "$what ($pid) has no seccomp filter (Seccomp: $(status_field "$pid" Seccomp))"
}
[[ $AU != "$BU" && $AU != "$NOBODY" && $BU != "$NOBODY" && $AU -ge 1000 ]] ||
    fail "session uids alice=$AU bob=$BU (nobody=$NOBODY)"
want_creds "$AC" "$AU" "alice's control"
want_creds "$AD" "$AU" "alice's data"
want_creds "$BC" "$BU" "bob's control"
want_creds "$BD" "$BU" "bob's data"
want_creds "$GP" "$NOBODY" "the guard" "$(id -g nobody)"
read -r -a ids <<<"$(status_field "$SP" Uid)"
[[ ${ids[0]} == "$NOBODY" ]] || fail "the acceptor runs as uid ${ids[0]}"
# CAP_SETGID (6) and CAP_SETUID (7) only
[[ $(status_field "$SP" CapPrm) == 00000000000000c0 ]] ||
    fail "the acceptor keeps capabilities $(status_field "$SP" CapPrm), want only setuid/setgid"
pass "alice runs as uid $AU, bob as $BU, the guard as nobody: no capability," \
    "NoNewPrivs and a seccomp filter each; the acceptor keeps CAP_SETUID/SETGID only"

# --- the private key ---------------------------------------------------------

SCALAR=$(openssl pkey -in "$TMP/certs/server.key" -text -noout |
    awk '/^priv:/ { f = 1; next } /^[a-zA-Z]/ { f = 0 } f' | tr -d ' :\n')
SCALAR=${SCALAR#00}
[[ $SCALAR =~ ^[0-9a-f]{64}$ ]] || fail "cannot read the key's scalar: '$SCALAR'"
"$MEMSCAN" "$AC" "$SCALAR" >/dev/null ||
    fail "positive control: the scalar is not found in alice's control process"
for p in "$GP" "$AD" "$BD"; do
	out=$("$MEMSCAN" "$p" "$SCALAR") && fail "the private key is in process $p: $out"
	[[ $out == "not found in "* ]] || fail "memscan $p: $out"
done
pass "the key's scalar is in alice's control process, not in the guard" \
    "or a data process ($out)"

# --- queues ------------------------------------------------------------------

[[ -z $(mq_list) ]] || fail "/dev/mqueue holds $(mq_list | tr '\n' ' ')"
queue_fd() {	# queue_fd PID: the fd of the queue that PID holds
	local f
	for f in /proc/"$1"/fd/*; do
		[[ $(readlink "$f") == /simpletun.*"(deleted)" ]] && { echo "$f"; return; }
	done
	return 1
}
AQ=$(queue_fd "$AD") || fail "alice's data process holds no queue"
[[ $(guard_queues) -eq 2 ]] || fail "the guard holds $(guard_queues) queues, want 2"
as() { local uid=$1; shift; setpriv --reuid="$uid" --regid="$uid" --clear-groups -- "$@"; }
as "$AU" kill -0 "$AD" || fail "positive control: alice's uid cannot signal her data process"
! as "$BU" kill -0 "$AD" 2>/dev/null || fail "bob's uid can signal alice's data process"
! as "$BU" kill -0 "$GP" 2>/dev/null || fail "bob's uid can signal the guard"
! as "$BU" cat "$AQ" 2>/dev/null || fail "bob's uid opens alice's queue through $AQ"
! as "$NOBODY" kill -0 "$AD" 2>/dev/null || fail "nobody can signal alice's data process"
pass "no queue has a name; bob's uid cannot signal alice's processes or the" \
    "guard, nor open alice's queue ($AQ)"

# --- stray signals ------------------------------------------------------------

for sig in USR1 USR2 PIPE; do
	for p in "$SP" "$GP" "$AC" "$AD" "${PID[a]}"; do
		kill -s "$sig" "$p" || fail "cannot send SIG$sig to $p"
	done
done
sleep 0.5	# for the signals to land; the checks below would pass early too
for p in "$SP" "$GP" "$AC" "$AD" "${PID[a]}"; do
	alive "$p" || fail "process $p ended on SIGUSR1, SIGUSR2 or SIGPIPE"
done
[[ -z $(mq_list) ]] || fail "/dev/mqueue holds $(mq_list | tr '\n' ' ')"
pass "SIGUSR1, SIGUSR2 and SIGPIPE end no process of the server or client"

ping_ok A 198.18.0.1 || fail "no ping from A after the checks"
ping_ok B 198.18.0.1 || fail "no ping from B after the checks"

# --- the status socket of a server that runs as nobody ----------------------

# $TMP is root's (0755): the server says it cannot remove its socket there.
log_has server "status socket $TMP/server.sock: user nobody cannot write" ||
    fail "no warning that the socket in $TMP will stay"
stop_bg a || true
stop_bg b || true
stop_bg server || fail "the server did not exit cleanly"
# In a directory it does not find, it makes one for nobody, and removes the
# socket when it ends.
SOCK=$TMP/run/st.sock server_start second
[[ $(stat -c '%U %a' "$TMP/run") == "nobody 700" ]] ||
    fail "$TMP/run is $(stat -c '%U %a' "$TMP/run"), want nobody 700"
[[ -S $TMP/run/st.sock ]] || fail "no socket at $TMP/run/st.sock"
! log_has second "cannot write its directory" ||
    fail "the server warns about a directory it made itself"
stop_bg second || fail "the second server did not exit cleanly"
[[ ! -e $TMP/run/st.sock ]] || fail "the server left its status socket behind"
pass "a server running as nobody removes its status socket from a" \
    "directory it made (and warns where it cannot)"
check_logs
