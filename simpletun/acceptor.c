/* The server's acceptor: owns the listening socket, the one UDP port's
 * sockets until it hands them over, the address pool, the session table,
 * the status socket and the uid range. It starts the guard once and, per
 * client, a control process on accept and a data process once the control
 * process has authenticated the client and asked for an address, each by
 * exec of our own binary and as that session's own uid. It never talks TLS
 * itself, so no client can stall it. It reaps every child and frees what a
 * dead session held: route, address, slot.
 *
 * Runs as `user`, keeping only CAP_SETUID and CAP_SETGID (to start
 * sessions as their uids) and CAP_NET_BIND_SERVICE for a UDP port below
 * 1024. Owns: the TCP listener, the tun fd (handed to the guard and the
 * data processes), the PEM memfds and the configuration memfd (handed to
 * children), a socket to the guard and two per session. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "conf.h"
#include "hook.h"
#include "log.h"
#include "masq.h"
#include "msg.h"
#include "netlink.h"
#include "notify.h"
#include "pool.h"
#include "roles.h"
#include "slots.h"
#include "stats.h"
#include "status.h"
#include "tap.h"
#include "tls.h"
#include "tun.h"
#include "util.h"

#define UDP_GROUPS_MAX 16	/* local addresses with sockets on the port */

struct session {
	bool used;
	pid_t control_pid, data_pid;
	int ctl;		/* socket to the control process */
	int data;		/* socket to the data process, or -1 */
	int data_end;		/* the data process's end of control<->data,
				   held until the data process starts */
	bool registered;	/* the guard routes to it */
	uint32_t vaddr;		/* 0 until granted, or after eviction */
	uint8_t vaddr6[16];	/* from pool6, while has6 */
	bool has6;
	uint32_t index;		/* its receiver index */
	struct sockaddr_storage local;	/* the address the client reached */
	struct sockaddr_storage from;	/* the client's */
	char cn[MSG_CN_MAX + 1];
	char peer[64];
	int64_t since;		/* wall clock, s: when it got its address */
	struct data_stats stats;
	bool recheck;		/* a reload came during its handshake: owed a
				   RECHECK once it has its address */
	pid_t connect_pid;	/* its client-connect hook, while it runs */
	bool hooked;		/* it got its address: client-disconnect runs */
	uint32_t hook_vaddr;	/* that address, for client-disconnect */
	uint8_t hook_vaddr6[16];	/* and its IPv6 one; :: if none */
};

struct server {
	struct conf *c;		/* main's; a reload replaces what it holds */
	int argc;		/* the command line, read again on reload */
	char **argv;
	unsigned reloads;
	char dev[IFNAMSIZ];	/* the tun device's name */
	int status_conn;	/* a status connection that has not said
				   what it wants yet, or -1 */
	uint64_t status_conn_until;	/* ms: then it gets the table */
	struct tls_pem pem;
	int conf_fd;
	int listen, tun, guard, status;
	/* The one UDP port, on the listen address or, if that is a wildcard,
	 * on each local address a client reached: a connected socket bound to
	 * a wildcard would answer from whatever address routing picks. */
	struct sockaddr_storage groups[UDP_GROUPS_MAX];
	unsigned ngroups;
	pid_t guard_pid, self;
	int64_t started_at;	/* wall clock, s */
	struct pool *pool;
	struct pool *pool6;	/* NULL: no pool6 */
	struct session *s;
	struct guard_stats guard_stats;
	struct pollfd *pfd;
	nfds_t npfd;
	unsigned nslots;	/* max-clients + max-handshakes */
	struct log_rate refusals;
	bool started;		/* up has run: down runs at the end */
	struct masq *masq;	/* masquerade's nftables table, or NULL */
};

enum { P_LISTEN, P_GUARD, P_STATUS, P_STATUS_CONN, P_SESSIONS };

/* `simpletun status` sends nothing, `simpletun kick` sends KICK at once:
 * a connection that has sent nothing gets the table after this long. */
#define STATUS_WAIT_MS 100

static void
session_pfd(struct server *sv, unsigned slot, int ctl, int data)
{
	sv->pfd[P_SESSIONS + 2 * slot].fd = ctl;
	sv->pfd[P_SESSIONS + 2 * slot + 1].fd = data;
}

static void
guard_tell(struct server *sv, uint16_t type, const uint8_t *p, size_t len,
    int fd)
{
	if (msg_send_fds(sv->guard, type, p, len, &fd, fd == -1 ? 0 : 1) == -1)
		fatal("tell the guard %s", msg_name(type));
}

static void
session_unregister(struct server *sv, unsigned slot)
{
	struct msg_unregister u = { .slot = (uint16_t)slot };
	uint8_t p[MSG_MAX_PAYLOAD];

	if (!sv->s[slot].registered)
		return;
	guard_tell(sv, MSG_UNREGISTER, p, msg_put_unregister(p, &u), -1);
	sv->s[slot].registered = false;
}

static void
session_kill(struct session *s)
{
	if (s->control_pid > 0)
		kill(s->control_pid, SIGTERM);
	if (s->data_pid > 0)
		kill(s->data_pid, SIGTERM);
}

static void
close_fd(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

static void server_hook_env(const struct server *sv, struct hook_env *e,
    const char *event);

/* SIMPLETUN_CN, _PEER_ADDR(6), _REAL_ADDR and _SESSION_UID of a session. */
static void
session_hook_env(const struct server *sv, unsigned slot, struct hook_env *e,
    const char *event)
{
	static const uint8_t none[16];
	const struct session *s = &sv->s[slot];
	char a[INET6_ADDRSTRLEN];

	server_hook_env(sv, e, event);
	hook_env_add(e, "CN", "%s", s->cn);
	hook_env_add(e, "PEER_ADDR", "%s", ip4_str(s->hook_vaddr, a));
	hook_env_add(e, "PEER_ADDR6", "%s", memcmp(s->hook_vaddr6, none, 16) ?
	    ip6_str(s->hook_vaddr6, a) : "");
	hook_env_add(e, "REAL_ADDR", "%s", s->peer);
	hook_env_add(e, "SESSION_UID", "%u",
	    sv->c->session_uid_first + slot);
}

/* Not waited for while the server runs (the reaper takes it like any
 * child it does not know); waited for when the server ends. */
static void
session_hook_disconnect(struct server *sv, unsigned slot, bool wait)
{
	struct hook_env e;

	if (!sv->s[slot].hooked || sv->c->client_disconnect[0] == '\0')
		return;
	sv->s[slot].hooked = false;
	session_hook_env(sv, slot, &e, "client-disconnect");
	if (wait)
		hook_run(sv->c->client_disconnect, &e, HOOK_TIMEOUT);
	else if (hook_spawn(sv->c->client_disconnect, &e, HOOK_TIMEOUT) == -1)
		log_warn("client-disconnect for %s", sv->s[slot].cn);
}

/* The session's addresses go back to the pools. */
static void
session_release(struct server *sv, struct session *s)
{
	pool_release(sv->pool, s->vaddr);
	s->vaddr = 0;
	if (s->has6)
		pool_release6(sv->pool6, s->vaddr6);
	s->has6 = false;
}

static void
session_free(struct server *sv, unsigned slot)
{
	struct session *s = &sv->s[slot];
	char a[16];

	session_hook_disconnect(sv, slot, false);
	session_unregister(sv, slot);
	if (s->vaddr != 0)
		log_info("session of %s at %s from %s ended", s->cn,
		    ip4_str(s->vaddr, a), s->peer);
	session_release(sv, s);
	close_fd(&s->ctl);
	close_fd(&s->data);
	close_fd(&s->data_end);
	memset(s, 0, sizeof(*s));
	s->ctl = s->data = s->data_end = -1;
	session_pfd(sv, slot, -1, -1);
}

/* A replaced session gives up its address and route at once, so that its
 * successor can take them; its processes end after telling their client. */
static void
session_evict(struct server *sv, unsigned slot, const char *by)
{
	struct session *s = &sv->s[slot];
	char a[16];

	log_info("replacing the session of %s at %s from %s by one from %s",
	    s->cn, ip4_str(s->vaddr, a), s->peer, by);
	session_unregister(sv, slot);
	session_release(sv, s);
	/* STOP lets the control process tell its client why it ends; the
	 * data process ends with it. */
	if (s->ctl == -1 || msg_send(s->ctl, MSG_STOP, by,
	    strnlen(by, MSG_PEER_MAX)) == -1)
		session_kill(s);
}

static struct child_cred
session_cred(const struct server *sv, unsigned slot)
{
	uid_t id = sv->c->session_uid_first + slot;

	return (struct child_cred){ id, id };
}

/* Spawns one of a session's processes with the fds it owns; the caller
 * closes its own copies. */
static pid_t
session_spawn(struct server *sv, unsigned slot, enum child_role role,
    const struct msg_start *st, const int *fds, size_t nfds, int *sock)
{
	struct child_cred cred = session_cred(sv, slot);
	int all[CHILD_MAX_FDS];
	size_t n = nfds;
	pid_t pid;

	memcpy(all, fds, nfds * sizeof(int));
	if (role == CHILD_CONTROL)
		for (int i = 0; i < TLS_PEM_COUNT; i++)
			if (sv->pem.fd[i] != -1)
				all[n++] = sv->pem.fd[i];
	if ((pid = child_spawn(role, &cred, sv->conf_fd, st, all, n,
	    sock)) == -1)
		log_warn("start the %s process of slot %u",
		    child_role_name(role), slot);
	return pid;
}

/* A session in its handshake: its control process is authenticating the
 * client and has not been granted an address. */
static bool
session_in_handshake(const struct session *s)
{
	return s->used && s->vaddr == 0 && s->data_pid == 0 &&
	    s->control_pid > 0;
}

/* One source for max-handshakes-per-source: an IPv4 address, or an IPv6
 * /64, which a single host usually holds whole. */
static bool
same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	struct sockaddr_storage x = *a, y = *b;
	struct sockaddr_in6 *x6 = (void *)&x, *y6 = (void *)&y;

	sa_set_port(&x, 0);
	sa_set_port(&y, 0);
	if (x.ss_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&x6->sin6_addr)) {
		memset(&x6->sin6_addr.s6_addr[8], 0, 8);
		memset(&y6->sin6_addr.s6_addr[8], 0, 8);
	}
	return sa_equal(&x, &y);
}

/* Connections that have not authenticated take neither an established
 * session's place nor more than their share: a free slot among
 * max-handshakes beyond max-clients, and at most
 * max-handshakes-per-source from one address. NULL, or why not. */
static const char *
session_admit(struct server *sv, const struct sockaddr_storage *ss,
    unsigned *slot)
{
	unsigned all = 0, here = 0;

	*slot = sv->nslots;
	for (unsigned i = 0; i < sv->nslots; i++) {
		if (!sv->s[i].used) {
			if (*slot == sv->nslots)
				*slot = i;
			continue;
		}
		if (!session_in_handshake(&sv->s[i]))
			continue;
		all++;
		here += same_host(&sv->s[i].from, ss);
	}
	if (here >= sv->c->max_handshakes_per_source)
		return "max-handshakes-per-source reached";
	if (all >= sv->c->max_handshakes)
		return "max-handshakes reached";
	if (*slot == sv->nslots)
		return "no free slot (sessions are still ending)";
	return NULL;
}

static void
session_start(struct server *sv, int fd, const struct sockaddr_storage *ss,
    const struct sockaddr_storage *local)
{
	struct msg_start st = { .peer = *ss };
	const char *why;
	unsigned slot;
	char peer[64];
	int cd[2], ctl;
	uint16_t rnd;
	pid_t pid;

	sa_str((const struct sockaddr *)ss, peer, sizeof(peer));
	if ((why = session_admit(sv, ss, &slot)) != NULL) {
		log_warnx_rate(&sv->refusals, "refusing %s: %s", peer, why);
		close(fd);
		return;
	}
	if (getentropy(&rnd, sizeof(rnd)) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cd) == -1) {
		log_warn("session for %s", peer);
		close(fd);
		return;
	}
	pid = session_spawn(sv, slot, CHILD_CONTROL, &st,
	    (int[]){ fd, cd[0] }, 2, &ctl);
	close(fd);
	close(cd[0]);
	if (pid == -1) {
		close(cd[1]);
		return;
	}
	sv->s[slot] = (struct session){ .used = true, .control_pid = pid,
	    .ctl = ctl, .data = -1, .data_end = cd[1],
	    .index = (uint32_t)rnd << SLOTS_INDEX_BITS | slot, .local = *local,
	    .from = *ss };
	snprintf(sv->s[slot].peer, sizeof(sv->s[slot].peer), "%s", peer);
	session_pfd(sv, slot, ctl, -1);
	log_debug("connection from %s in slot %u", peer, slot);
}

static void
server_accept(struct server *sv)
{
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss, local;
		socklen_t sl = sizeof(ss);
		int fd;

		fd = accept4(sv->listen, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				log_warn("accept");
			return;
		}
		sl = sizeof(local);
		if (getsockname(fd, (struct sockaddr *)&local, &sl) == -1) {
			log_warn("getsockname");
			close(fd);
			continue;
		}
		session_start(sv, fd, &ss, &local);
	}
}

static const struct conf_fixed *
session_fixed(const struct server *sv, const char *cn)
{
	for (unsigned i = 0; i < sv->c->nfixed; i++)
		if (strcmp(sv->c->fixed[i].cn, cn) == 0)
			return &sv->c->fixed[i];
	return NULL;
}

/* cn's fixed address if it has one, else the lowest free; 0 if none. */
static uint32_t
session_address(struct server *sv, const char *cn)
{
	const struct conf_fixed *f = session_fixed(sv, cn);

	if (f != NULL && f->has4)
		return pool_take(sv->pool, f->addr) == 0 ? f->addr : 0;
	return pool_take_lowest(sv->pool);
}

/* The same from pool6, into out: 0, or -1 if none. */
static int
session_address6(struct server *sv, const char *cn, uint8_t out[16])
{
	const struct conf_fixed *f = session_fixed(sv, cn);

	if (f == NULL || !f->has6)
		return pool_take_lowest6(sv->pool6, out);
	if (pool_take6(sv->pool6, f->addr6) == -1)
		return -1;
	memcpy(out, f->addr6, 16);
	return 0;
}

/* Keeps c's fixed addresses out of the pools' lowest-free picks, or gives
 * them back. */
static void
server_fixed_reserve(struct server *sv, const struct conf *c, bool reserve)
{
	for (unsigned i = 0; i < c->nfixed; i++) {
		const struct conf_fixed *f = &c->fixed[i];

		if (f->has4 && reserve)
			pool_reserve(sv->pool, f->addr);
		else if (f->has4)
			pool_unreserve(sv->pool, f->addr);
		if (f->has6 && sv->pool6 != NULL && reserve)
			pool_reserve6(sv->pool6, f->addr6);
		else if (f->has6 && sv->pool6 != NULL)
			pool_unreserve6(sv->pool6, f->addr6);
	}
}

/* Another live session of cn is replaced or makes this one fail. */
static const char *
session_dedup(struct server *sv, unsigned slot, const char *cn)
{
	for (unsigned i = 0; i < sv->nslots; i++) {
		struct session *o = &sv->s[i];

		if (i == slot || !o->used || o->vaddr == 0 ||
		    strcmp(o->cn, cn) != 0)
			continue;
		if (sv->c->duplicate_cn == CONF_DUP_REFUSE)
			return "this CN already has a session";
		session_evict(sv, i, sv->s[slot].peer);
	}
	return NULL;
}

/* An IPv6 socket of ours takes IPv4 too, whatever net.ipv6.bindv6only
 * says: on [::] that makes one listener for both families (an IPv4 client
 * appears as ::ffff:a.b.c.d), bound to an IPv6 address it changes nothing,
 * and every socket on the one UDP port agrees, as a reuseport group
 * needs. */
static int
server_dual_stack(int fd, int family)
{
	int off = 0;

	if (family != AF_INET6)
		return 0;
	return setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
}

/* A socket on the one UDP port at addr. The first of each address is the
 * guard's and steers every packet that no connected socket takes to
 * itself (a reuseport program that always answers 0), so a data socket,
 * bound but not yet connected, never receives another session's packet.
 * All are made by the acceptor: a reuseport group needs one owner uid. */
static int
server_udp_socket(const struct sockaddr_storage *addr, bool first)
{
	static struct sock_filter to_first[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { 1, to_first };
	int fd, on = 1;

	fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	/* The program goes on after bind: on an unbound socket it would make
	 * a group of its own, and bind would then refuse the port. */
	if (server_dual_stack(fd, addr->ss_family) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1 ||
	    bind(fd, (const struct sockaddr *)addr, sa_len(addr)) == -1 ||
	    (first && setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF,
	    &prog, sizeof(prog)) == -1)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The group for a client that reached us at local, made with the guard's
 * socket first if it is new. */
static const struct sockaddr_storage *
server_udp_group(struct server *sv, const struct sockaddr_storage *local)
{
	struct sockaddr_storage a = *local;
	char where[64];
	int fd;

	if (!sa_is_any(&sv->groups[0]))
		return &sv->groups[0];
	sa_set_port(&a, conf_udp_port(sv->c));
	for (unsigned i = 1; i < sv->ngroups; i++)
		if (sa_equal(&sv->groups[i], &a))
			return &sv->groups[i];
	sa_str((const struct sockaddr *)&a, where, sizeof(where));
	if (sv->ngroups == UDP_GROUPS_MAX) {
		log_warnx("no socket for %s: %d local addresses have one; "
		    "replies may leave from another address", where,
		    UDP_GROUPS_MAX);
		return &sv->groups[0];
	}
	if ((fd = server_udp_socket(&a, true)) == -1) {
		log_warn("UDP socket on %s", where);
		return &sv->groups[0];
	}
	guard_tell(sv, MSG_UDP_SOCKET, NULL, 0, fd);
	close(fd);
	sv->groups[sv->ngroups] = a;
	log_info("data on %s too", where);
	return &sv->groups[sv->ngroups++];
}

static int
session_start_data(struct server *sv, unsigned slot)
{
	struct session *s = &sv->s[slot];
	struct msg_start st = { 0 };
	int udp, sock;
	pid_t pid;

	if ((udp = server_udp_socket(server_udp_group(sv, &s->local),
	    false)) == -1) {
		log_warn("UDP socket for %s", s->cn);
		return -1;
	}
	pid = session_spawn(sv, slot, CHILD_DATA, &st,
	    (int[]){ s->data_end, sv->tun, udp }, 3, &sock);
	close(udp);
	close_fd(&s->data_end);
	if (pid == -1)
		return -1;
	s->data_pid = pid;
	s->data = sock;
	session_pfd(sv, slot, s->ctl, sock);
	return 0;
}

/* Printable ASCII, at most MSG_CN_MAX, as the control process checked;
 * checked again here, where it picks an address. */
static bool
cn_valid(const struct msg *m)
{
	for (size_t i = 0; i < m->len; i++)
		if (m->payload[i] < 0x20 || m->payload[i] >= 0x7f)
			return false;
	return m->len > 0 && m->len <= MSG_CN_MAX;
}

static void
session_deny(struct server *sv, unsigned slot, const char *why)
{
	struct session *s = &sv->s[slot];

	log_warnx("refusing %s from %s: %s", s->cn[0] ? s->cn : "client",
	    s->peer, why);
	msg_send(s->ctl, MSG_ADDRESS_DENY, why, strlen(why));
}

/* After a replaced session gave up its address: is there room? */
static const char *
session_full(const struct server *sv)
{
	unsigned live = 0;

	for (unsigned i = 0; i < sv->nslots; i++)
		live += sv->s[i].used && sv->s[i].vaddr != 0;
	return live >= sv->c->max_clients ? "max-clients reached" : NULL;
}

/* The CA and the CRL in force, for the control process to check its
 * client's certificate again (see control.c); nothing to do without a
 * CRL. */
static void
session_recheck(struct server *sv, unsigned slot)
{
	struct session *s = &sv->s[slot];
	struct msg_recheck rc = { .generation = sv->reloads };
	uint8_t p[MSG_MAX_PAYLOAD];

	s->recheck = false;
	if (sv->pem.fd[TLS_CRL] == -1 || s->ctl == -1)
		return;
	if (msg_send_fds(s->ctl, MSG_RECHECK, p, msg_put_recheck(p, &rc),
	    (int[]){ sv->pem.fd[TLS_CA], sv->pem.fd[TLS_CRL] }, 2) == -1) {
		log_warn("reload: tell the control process of %s", s->cn);
		session_kill(s);
	}
}

/* What a reload may have changed for a running session. Its data process
 * reads this after the SESSION of its control process, which may have
 * started before the reload with the configuration of then. */
static void
session_live(struct server *sv, unsigned slot)
{
	struct msg_live l = { .client_to_client = sv->c->client_to_client };
	uint8_t p[MSG_MAX_PAYLOAD];
	struct session *s = &sv->s[slot];

	if (s->data != -1 && msg_send(s->data, MSG_LIVE, p,
	    msg_put_live(p, &l)) == -1)
		log_warn("reload: tell the data process of %s", s->cn);
}

/* The client has its address: its data process starts and its control
 * process hears where it is. */
static void
session_grant_finish(struct server *sv, unsigned slot)
{
	struct session *s = &sv->s[slot];
	struct msg_grant g;
	uint8_t p[MSG_MAX_PAYLOAD];
	char a[16];

	if (session_start_data(sv, slot) == -1) {
		session_deny(sv, slot, "server out of resources");
		return;	/* the address goes back when the session is freed */
	}
	s->hooked = true;
	if (sv->reloads > 0)
		session_live(sv, slot);
	g = (struct msg_grant){ .vaddr = s->vaddr,
	    .prefix = sv->c->pool_prefix,
	    .server_vaddr = pool_server_addr(sv->pool), .index = s->index };
	if (s->has6) {
		memcpy(g.vaddr6.addr, s->vaddr6, 16);
		g.vaddr6.prefix = sv->c->pool6.prefix;
		pool_server_addr6(sv->pool6, g.server_vaddr6);
	}
	if (msg_send(s->ctl, MSG_ADDRESS_GRANT, p, msg_put_grant(p, &g)) == -1)
		log_warn("grant to %s", s->cn);
	s->since = status_wallclock();
	log_info("%s from %s gets %s", s->cn, s->peer, ip4_str(s->vaddr, a));
	if (s->recheck)
		session_recheck(sv, slot);
}

/* client-connect runs while the session waits with its address held; the
 * reaper hands its exit status to session_hook_connected. */
static void
session_hook_connect(struct server *sv, unsigned slot)
{
	struct hook_env e;

	session_hook_env(sv, slot, &e, "client-connect");
	sv->s[slot].connect_pid = hook_spawn(sv->c->client_connect, &e,
	    HOOK_TIMEOUT);
	if (sv->s[slot].connect_pid == -1) {
		log_warn("client-connect for %s", sv->s[slot].cn);
		sv->s[slot].connect_pid = 0;
		session_deny(sv, slot, "server out of resources");
	}
}

/* true if pid was a session's client-connect. A session that ended in the
 * meantime has no connect_pid any more. */
static bool
session_hook_connected(struct server *sv, pid_t pid, int status)
{
	char why[96];
	int code = hook_status(status);

	for (unsigned i = 0; i < sv->nslots; i++) {
		struct session *s = &sv->s[i];

		if (!s->used || s->connect_pid != pid)
			continue;
		s->connect_pid = 0;
		if (code == 0 && s->ctl != -1 && s->vaddr != 0) {
			session_grant_finish(sv, i);
			return true;
		}
		if (code == 0)
			snprintf(why, sizeof(why), "replaced while the server's "
			    "client-connect ran");
		else if (code == 128 + SIGALRM)
			snprintf(why, sizeof(why), "refused by the server's "
			    "client-connect (no answer in %d s)", HOOK_TIMEOUT);
		else
			snprintf(why, sizeof(why), "refused by the server's "
			    "client-connect (exit status %d)", code);
		if (s->ctl != -1)
			session_deny(sv, i, why);
		return true;
	}
	return false;
}

static void
session_grant(struct server *sv, unsigned slot, const struct msg *m)
{
	struct session *s = &sv->s[slot];
	const char *why;

	if (!cn_valid(m)) {
		session_deny(sv, slot, "the certificate's CN has characters "
		    "other than printable ASCII");
		return;
	}
	msg_get_text(m, s->cn, sizeof(s->cn));
	if ((why = session_dedup(sv, slot, s->cn)) != NULL ||
	    (why = session_full(sv)) != NULL) {
		session_deny(sv, slot, why);
		return;
	}
	if ((s->vaddr = session_address(sv, s->cn)) == 0) {
		session_deny(sv, slot, "no free address in the pool");
		return;
	}
	if (sv->pool6 != NULL) {
		if (session_address6(sv, s->cn, s->vaddr6) == -1) {
			session_deny(sv, slot, "no free address in pool6");
			return;
		}
		s->has6 = true;
	}
	s->hook_vaddr = s->vaddr;
	memset(s->hook_vaddr6, 0, 16);
	if (s->has6)
		memcpy(s->hook_vaddr6, s->vaddr6, 16);
	if (sv->c->client_connect[0] != '\0')
		session_hook_connect(sv, slot);
	else
		session_grant_finish(sv, slot);
}

static void
session_dispatch_control(struct server *sv, unsigned slot)
{
	struct session *s = &sv->s[slot];
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int r = msg_recv(s->ctl, buf, sizeof(buf), &m);

	if (r == -1 && errno == EAGAIN)
		return;
	if (r == 1 && m.type == MSG_ADDRESS_REQUEST && s->vaddr == 0 &&
	    s->data_pid == 0) {
		session_grant(sv, slot, &m);
		return;
	}
	if (r == 1)
		log_warnx("unexpected %s from the control process of %s",
		    msg_name(m.type), s->peer);
	else if (r == -1)
		log_warn("from the control process of %s", s->peer);
	/* EOF: it has ended; the reaper frees the session. */
	close_fd(&s->ctl);
	session_pfd(sv, slot, -1, s->data);
	if (r != 0)
		session_kill(s);
}

static void
close_fds(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* The data process's queue (tap: and its reverse queue, data -> guard),
 * on to the guard with the route we granted: the data process itself can
 * name neither an address nor a slot. */
static int
session_register(struct server *sv, unsigned slot, const int *qfd,
    size_t nfds)
{
	struct session *s = &sv->s[slot];
	struct msg_register r = { .slot = (uint16_t)slot, .index = s->index,
	    .vaddr = s->vaddr };

	if (s->has6)
		memcpy(r.vaddr6, s->vaddr6, 16);
	uint8_t p[MSG_MAX_PAYLOAD];

	if (s->registered || s->vaddr == 0 ||
	    nfds != (sv->c->dev_type == CONF_DEV_TAP ? 2u : 1u)) {
		close_fds(qfd, nfds);
		return -1;
	}
	memcpy(r.cn, s->cn, sizeof(r.cn));
	if (msg_send_fds(sv->guard, MSG_REGISTER, p, msg_put_register(p, &r),
	    qfd, nfds) == -1)
		fatal("tell the guard %s", msg_name(MSG_REGISTER));
	close_fds(qfd, nfds);
	s->registered = true;
	return 0;
}

static void
session_dispatch_data(struct server *sv, unsigned slot)
{
	struct session *s = &sv->s[slot];
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	size_t nfds;
	int r, qfd[2] = { -1, -1 };

	while ((r = msg_recv_fds(s->data, buf, sizeof(buf), &m, qfd, 2,
	    &nfds)) == 1) {
		if (m.type == MSG_QUEUE && nfds >= 1) {
			if (session_register(sv, slot, qfd, nfds) == 0)
				continue;
		} else if (m.type == MSG_STATS && nfds == 0 &&
		    stats_decode(m.payload, m.len, &s->stats) == 0)
			continue;
		else
			close_fds(qfd, nfds);
		log_warnx("unexpected %s from the data process of %s",
		    msg_name(m.type), s->cn);
		break;
	}
	if (r == -1 && errno == EAGAIN)
		return;
	if (r == -1)
		log_warn("from the data process of %s", s->cn);
	close_fd(&s->data);
	session_pfd(sv, slot, s->ctl, -1);
	if (r != 0)
		session_kill(s);
}

static void
server_dispatch_guard(struct server *sv)
{
	if (stats_drain_guard(sv->guard, &sv->guard_stats) == 0)
		return;
	fatalx("the guard is gone or sent something else");
}

static struct session *
session_by_pid(struct server *sv, pid_t pid)
{
	for (unsigned i = 0; i < sv->nslots; i++)
		if (sv->s[i].used && (sv->s[i].control_pid == pid ||
		    sv->s[i].data_pid == pid))
			return &sv->s[i];
	return NULL;
}

static void
server_reaped(struct server *sv, pid_t pid, int status)
{
	struct session *s;

	if (pid == sv->guard_pid)
		fatalx("the guard ended (status %d)", status);
	if (session_hook_connected(sv, pid, status))
		return;
	s = session_by_pid(sv, pid);
	if (s == NULL)
		return;
	if (WIFSIGNALED(status))
		log_info("%s process of %s ended by signal %d%s",
		    pid == s->control_pid ? "control" : "data",
		    s->cn[0] ? s->cn : s->peer, WTERMSIG(status),
		    WTERMSIG(status) == SIGSYS ? " (a forbidden system call)" :
		    "");
	if (pid == s->control_pid)
		s->control_pid = 0;
	else
		s->data_pid = 0;
	/* One half of a session cannot work alone. */
	session_kill(s);
	if (s->control_pid == 0 && s->data_pid == 0)
		session_free(sv, (unsigned)(s - sv->s));
}

static void
server_reap(struct server *sv)
{
	int status;
	pid_t pid;

	sig_chld = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		server_reaped(sv, pid, status);
}

/* The status, to a status connection, or its text lines to the log
 * (fd -1: SIGUSR1). */
static void
server_status_server(struct server *sv, struct status_out *o)
{
	char a[16], net[24], where[64], udp[UDP_GROUPS_MAX][64];
	const char *groups[UDP_GROUPS_MAX];
	unsigned clients = 0, handshakes = 0;

	for (unsigned i = 0; i < sv->nslots; i++) {
		clients += sv->s[i].used && sv->s[i].vaddr != 0;
		handshakes += session_in_handshake(&sv->s[i]);
	}
	for (unsigned i = 0; i < sv->ngroups; i++)
		groups[i] = sa_str((const struct sockaddr *)&sv->groups[i],
		    udp[i], sizeof(udp[i]));
	snprintf(net, sizeof(net), "%s/%u", ip4_str(sv->c->pool_addr, a),
	    sv->c->pool_prefix);
	status_record(o, "server", "server");
	status_str(o, "version", SIMPLETUN_VERSION);
	status_i64(o, "pid", sv->self);
	status_time(o, "started", sv->started_at);
	status_str(o, "dev", sv->c->dev);
	status_str(o, "listen", sa_str((const struct sockaddr *)&sv->c->listen,
	    where, sizeof(where)));
	status_strs(o, "udp", groups, sv->ngroups);
	status_u64(o, "udp_port", conf_udp_port(sv->c));
	status_str(o, "pool", net);
	status_str(o, "address", ip4_str(pool_server_addr(sv->pool), a));
	if (sv->pool6 != NULL) {
		char a6[46], net6[52];
		uint8_t srv6[16];

		pool_server_addr6(sv->pool6, srv6);
		snprintf(net6, sizeof(net6), "%s/%u", ip6_str(sv->c->pool6.addr,
		    a6), sv->c->pool6.prefix);
		status_str(o, "pool6", net6);
		status_str(o, "address6", ip6_str(srv6, a6));
	}
	status_u64(o, "clients", clients);
	status_u64(o, "max_clients", sv->c->max_clients);
	status_u64(o, "pool_used", pool_in_use(sv->pool));
	status_u64(o, "handshakes", handshakes);
	status_u64(o, "max_handshakes", sv->c->max_handshakes);
	status_end(o);
}

static void
server_status_guard(struct server *sv, struct status_out *o)
{
#define GUARD_FIELD(f) status_u64(o, #f, sv->guard_stats.f);
	status_record(o, "guard", "guard");
	status_i64(o, "pid", sv->guard_pid);
	GUARD_STATS_FIELDS(GUARD_FIELD)
	status_end(o);
#undef GUARD_FIELD
}

static void
server_status_session(struct server *sv, unsigned i, struct status_out *o)
{
	struct session *s = &sv->s[i];
	char a[16], a6[46], index[12];
	const char *vaddrs[2] = { ip4_str(s->vaddr, a), ip6_str(s->vaddr6, a6) };

	snprintf(index, sizeof(index), "%08x", s->index);
	status_record(o, NULL, "session");
	status_str(o, "cn", s->cn);
	status_str(o, "vaddr", vaddrs[0]);
	if (s->has6)
		status_str(o, "vaddr6", vaddrs[1]);
	status_strs(o, "vaddrs", vaddrs, s->has6 ? 2 : 1);
	status_u64(o, "slot", i);
	status_u64(o, "uid", session_cred(sv, i).uid);
	status_str(o, "index", index);
	status_i64(o, "control_pid", s->control_pid);
	status_i64(o, "data_pid", s->data_pid);
	status_str(o, "peer", s->peer);
	status_time(o, "connected_since", s->since);
	status_traffic(o, &s->stats);
	status_end(o);
}

static void
server_status_write(struct server *sv, int fd)
{
	struct status_out o;

	status_open(&o, fd);
	server_status_server(sv, &o);
	server_status_guard(sv, &o);
	status_list(&o, "sessions");
	for (unsigned i = 0; i < sv->nslots; i++)
		if (sv->s[i].used && sv->s[i].vaddr != 0)
			server_status_session(sv, i, &o);
	status_list_end(&o);
	status_close(&o);
}

/* `simpletun kick CN`: every session of CN ends with a BYE that says so;
 * its client reconnects as after any end of a session. */
static void
server_kick(struct server *sv, int fd, const struct msg *m)
{
	struct msg_end e = { .cause = MSG_END_KICKED };
	uint8_t p[MSG_MAX_PAYLOAD];
	struct msg_kick k;
	char line[128];
	unsigned n = 0;

	if (msg_get_kick(m, &k) == -1) {
		status_reply(fd, "error: kick: not a CN");
		return;
	}
	for (unsigned i = 0; i < sv->nslots; i++) {
		struct session *s = &sv->s[i];

		if (!s->used || s->vaddr == 0 || strcmp(s->cn, k.cn) != 0)
			continue;
		if (s->ctl == -1 || msg_send(s->ctl, MSG_END, p,
		    msg_put_end(p, &e)) == -1)
			session_kill(s);
		n++;
	}
	if (n > 0)
		log_info("kick: ending %u session%s of %s", n, n > 1 ? "s" : "",
		    k.cn);
	snprintf(line, sizeof(line), n > 0 ? "kicked cn=%s sessions=%u" :
	    "error: kick: no session of cn=%s", k.cn, n);
	status_reply(fd, line);
}

/* What a status connection asked: 1 done (fd closed), 0 nothing yet. */
static int
server_status_request(struct server *sv, int fd)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int r = msg_recv(fd, buf, sizeof(buf), &m);

	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r == 1 && m.type == MSG_KICK)
		server_kick(sv, fd, &m);
	else if (r != 0)
		status_reply(fd, "error: unknown request");
	close(fd);
	return 1;
}

static void
server_status_conn_done(struct server *sv, bool answer)
{
	if (sv->status_conn == -1)
		return;
	if (answer)
		server_status_write(sv, sv->status_conn);	/* closes it */
	else
		close(sv->status_conn);
	sv->status_conn = -1;
	sv->pfd[P_STATUS_CONN].fd = -1;
}

static void
server_status(struct server *sv)
{
	int fd;

	if ((fd = accept4(sv->status, NULL, NULL, SOCK_CLOEXEC |
	    SOCK_NONBLOCK)) == -1)
		return;
	server_status_conn_done(sv, true);
	if (server_status_request(sv, fd) == 1)
		return;
	sv->status_conn = fd;
	sv->status_conn_until = now_ms() + STATUS_WAIT_MS;
	sv->pfd[P_STATUS_CONN].fd = fd;
}

static void
server_dispatch_status_conn(struct server *sv)
{
	if (server_status_request(sv, sv->status_conn) == 0)
		return;
	sv->status_conn = -1;
	sv->pfd[P_STATUS_CONN].fd = -1;
}

/* SIGUSR2: the counters in one line. */
static void
server_log_counters(struct server *sv)
{
	char line[1024];
	unsigned clients = 0, handshakes = 0;

	for (unsigned i = 0; i < sv->nslots; i++) {
		clients += sv->s[i].used && sv->s[i].vaddr != 0;
		handshakes += session_in_handshake(&sv->s[i]);
	}
	snprintf(line, sizeof(line), "counters: clients=%u handshakes=%u "
	    "reloads=%u guard", clients, handshakes, sv->reloads);
	stats_format_guard(&sv->guard_stats, line, sizeof(line));
	log_info("%s", line);
}

static struct server *server_exiting;

/* What every hook of the server gets. */
static void
server_hook_env(const struct server *sv, struct hook_env *e,
    const char *event)
{
	const struct conf *c = sv->c;
	char a[INET6_ADDRSTRLEN], routes[CONF_ROUTES_MAX * (20 + 44)] = "";
	uint8_t srv6[16];
	size_t n = 0;

	for (unsigned i = 0; i < c->nroutes && n < sizeof(routes); i++)
		n += (size_t)snprintf(routes + n, sizeof(routes) - n, "%s%s/%u",
		    n ? " " : "", ip4_str(c->routes[i].addr, a),
		    c->routes[i].prefix);
	for (unsigned i = 0; i < c->nroutes6 && n < sizeof(routes); i++)
		n += (size_t)snprintf(routes + n, sizeof(routes) - n, "%s%s/%u",
		    n ? " " : "", ip6_str(c->routes6[i].addr, a),
		    c->routes6[i].prefix);
	hook_env_init(e, event);
	hook_env_add(e, "ROLE", "server");
	hook_env_add(e, "DEV", "%s", c->dev);
	hook_env_add(e, "LOCAL_ADDR", "%s", ip4_str(pool_server_addr(sv->pool),
	    a));
	hook_env_add(e, "PREFIX", "%u", c->pool_prefix);
	hook_env_add(e, "POOL", "%s/%u", ip4_str(c->pool_addr, a),
	    c->pool_prefix);
	if (sv->pool6 != NULL) {
		pool_server_addr6(sv->pool6, srv6);
		hook_env_add(e, "LOCAL_ADDR6", "%s", ip6_str(srv6, a));
		hook_env_add(e, "PREFIX6", "%u", c->pool6.prefix);
		hook_env_add(e, "POOL6", "%s/%u", ip6_str(c->pool6.addr, a),
		    c->pool6.prefix);
	} else {
		hook_env_add(e, "LOCAL_ADDR6", "%s", "");
		hook_env_add(e, "PREFIX6", "%s", "");
		hook_env_add(e, "POOL6", "%s", "");
	}
	hook_env_add(e, "MTU", "%u", c->mtu);
	hook_env_add(e, "ROUTES", "%s", routes);
}

/* up and down, waited for: at start, still root, and at the end. Returns
 * the hook's status, 0 if there is none. down runs only if up did. */
static int
server_hook(struct server *sv, const char *path, const char *event)
{
	struct hook_env e;
	int r;

	if (path[0] == '\0' || (strcmp(event, "down") == 0 && !sv->started))
		return 0;
	server_hook_env(sv, &e, event);
	if ((r = hook_run(path, &e, HOOK_TIMEOUT)) != 0)
		log_warnx("%s %s: %s %d", event, path, r == -1 ? "did not start" :
		    "exit status", r);
	return r;
}

static void
server_signal_all(void *arg, int sig)
{
	struct server *sv = arg;

	for (unsigned i = 0; i < sv->nslots; i++) {
		if (sv->s[i].control_pid > 0)
			kill(sv->s[i].control_pid, sig);
		if (sv->s[i].data_pid > 0)
			kill(sv->s[i].data_pid, sig);
	}
	if (sv->guard_pid > 0)
		kill(sv->guard_pid, sig);
}

/* Runs on every exit of the acceptor, fatal ones too: no child outlives
 * the server. The queues need nothing: they have no names, and go with
 * the last process holding them. */
static void
server_cleanup(void)
{
	struct server *sv = server_exiting;

	if (sv == NULL || getpid() != sv->self)
		return;
	children_end(server_signal_all, sv, 3000);
	for (unsigned i = 0; i < sv->nslots; i++)
		session_hook_disconnect(sv, i, true);
	if (sv->c->status_socket[0] != '\0')
		unlink(sv->c->status_socket);
	server_hook(sv, sv->c->down, "down");
}

static int
server_listen(const struct conf *c)
{
	int fd, on = 1;

	fd = socket(c->listen.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (server_dual_stack(fd, c->listen.ss_family) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (const struct sockaddr *)&c->listen, c->listen_len) == -1 ||
	    listen(fd, 1024) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The client networks go into tun, where the guard hands them to their
 * sessions. The routes belong to the device: they go with it when the last
 * of our processes closes it, so nothing is left to remove as `user`. */
static void
server_client_routes(const struct conf *c, const char *dev)
{
	char a[64];

	for (unsigned i = 0; i < c->nclient_nets; i++) {
		const struct conf_client_net *n = &c->client_nets[i];
		struct nl_route r = { .dst = nl_prefix4(n->addr, n->prefix) };
		int added;

		if (n->v6) {
			r.dst = (struct nl_prefix){ .family = AF_INET6,
			    .len = n->prefix };
			memcpy(r.dst.addr, n->addr6, 16);
		}
		nl_prefix_str(&r.dst, a, sizeof(a));
		if ((added = tun_route_add(dev, &r)) == -1)
			fatal("route client-network %s of '%s' via %s", a,
			    n->cn, dev);
		/* Another route to it would keep its packets from us, and
		 * let the client send from addresses of that network. */
		if (added == 1)
			fatalx("client-network %s of '%s': this machine routes "
			    "it already (ip route show %s); remove that route "
			    "or give the client another network", a, n->cn, a);
		log_info("client-network %s of '%s' via %s", a, n->cn, dev);
	}
}

/* pool6's first address on tun, beside pool's: its network becomes a
 * connected route through tun. */
static void
server_tun6(struct server *sv, const char *dev)
{
	struct nl_prefix p = { .family = AF_INET6,
	    .len = sv->c->pool6.prefix };
	char a[46];

	pool_server_addr6(sv->pool6, p.addr);
	if (tun_add_addr(dev, &p) == -1)
		fatal("configure %s/%u on %s", ip6_str(p.addr, a), p.len, dev);
	log_info("%s has %s/%u", dev, ip6_str(p.addr, a), p.len);
}

static void
server_open_tun(struct server *sv, char *dev, size_t len)
{
	const struct conf *c = sv->c;
	char a[16], off[96];

	if (c->dev_type == CONF_DEV_TAP) {
		if ((sv->tun = tap_open(dev, len)) == -1)
			fatal("open tap device %s", c->dev);
	} else if ((sv->tun = tun_open_vnet(dev, len, off, sizeof(off))) != -1)
		log_info("%s: %s", dev, off);
	else if ((sv->tun = tun_open(dev, len)) != -1)
		log_warn("%s: no offloads (IFF_VNET_HDR)", dev);
	else
		fatal("open tun device %s", c->dev);
	if (tun_configure(dev, pool_server_addr(sv->pool), c->pool_prefix,
	    c->mtu) == -1)
		fatal("configure %s", dev);
	if (sv->pool6 != NULL)
		server_tun6(sv, dev);
	if (c->client_to_client && tun_set_forwarding(dev, true) == -1)
		log_warn("enable forwarding on %s for client-to-client", dev);
	server_client_routes(c, dev);
	if (fd_nonblock(sv->tun) == -1)
		fatal("tun");
	snprintf(sv->dev, sizeof(sv->dev), "%s", dev);
	log_info("%s has %s/%u, mtu %u", dev,
	    ip4_str(pool_server_addr(sv->pool), a), c->pool_prefix, c->mtu);
}

/* '0' or '1' from a sysctl file; '1' if it cannot be read. */
static char
server_sysctl(const char *path)
{
	char v = '1';
	FILE *f;

	if ((f = fopen(path, "re")) != NULL) {
		v = (char)fgetc(f);
		fclose(f);
	}
	return v;
}

/* Pushed routes and NAT lead beyond this host only if it forwards. */
static void
server_forwarding_check(const struct conf *c)
{
	char v;

	/* Linux forwards IPv6 only with the global switch on */
	if (c->pool6.prefix != 0 && (c->nroutes6 > 0 || c->client_to_client) &&
	    server_sysctl("/proc/sys/net/ipv6/conf/all/forwarding") == '0')
		log_warnx("IPv6 forwarding is off (sysctl "
		    "net.ipv6.conf.all.forwarding=0): clients reach neither "
		    "pushed IPv6 routes nor each other over IPv6");
	if (c->masquerade[0] == '\0' && !c->push_redirect_gateway &&
	    c->nroutes == 0)
		return;
	v = server_sysctl("/proc/sys/net/ipv4/ip_forward");
	if (v == '0')
		log_warnx("IPv4 forwarding is off (sysctl net.ipv4.ip_forward=0"
		    "): clients reach nothing beyond this host through %s",
		    c->masquerade[0] != '\0' ? "masquerade" : "pushed routes");
}

/* Before privileges go: the table lives as long as our nftables socket. */
static void
server_masquerade(struct server *sv, const char *dev)
{
	const struct conf *c = sv->c;
	char err[512], a[16];

	if (c->masquerade[0] == '\0')
		return;
	sv->masq = masq_new(dev, c->masquerade, c->pool_addr, c->pool_prefix,
	    err, sizeof(err));
	if (sv->masq == NULL)
		fatalx("%s", err);
	log_info("masquerade: %s/%u out of %s (nftables table ip %s)",
	    ip4_str(c->pool_addr, a), c->pool_prefix, c->masquerade,
	    masq_table(sv->masq));
}

/* The acceptor removes its socket at exit as `user`: in a directory that
 * user can write, or one we make for it. */
static void
server_status_open(struct server *sv)
{
	const char *path = sv->c->status_socket;
	struct child_cred cred;
	bool removable;

	if (child_cred_of(sv->c->user, &cred) == -1)
		fatal("user %s", sv->c->user);
	if (status_dir(path, cred.uid, cred.gid, &removable) == -1)
		fatal("directory of the status socket %s", path);
	if (!removable)
		log_warnx("status socket %s: user %s cannot write its "
		    "directory, so the socket stays after the server ends (the "
		    "next start replaces it); give it a directory of its own, "
		    "e.g. /run/simpletun", path, sv->c->user);
	if ((sv->status = status_listen(path)) == -1)
		fatal("status socket %s", path);
}

static void
server_open(struct server *sv)
{
	const struct conf *c = sv->c;
	char err[512], dev[IFNAMSIZ], where[64];
	SSL_CTX *ctx;

	if ((sv->pool = pool_new(c->pool_addr, c->pool_prefix)) == NULL)
		fatalx("pool: cannot use %u-bit prefix", c->pool_prefix);
	if (c->pool6.prefix != 0 &&
	    (sv->pool6 = pool_new6(c->pool6.addr, c->pool6.prefix)) == NULL)
		fatalx("pool6: cannot use %u-bit prefix", c->pool6.prefix);
	server_fixed_reserve(sv, c, true);
	/* Read once, as root; checked here so a bad file stops startup, not
	 * every handshake. Only control processes get them after this. */
	if (tls_pem_load(&sv->pem, c->ca, c->cert, c->key, c->crl, err,
	    sizeof(err)) == -1 ||
	    (ctx = tls_ctx_new(true, &sv->pem, err, sizeof(err))) == NULL)
		fatalx("cannot load certificates: %s", err);
	SSL_CTX_free(ctx);
	if ((sv->conf_fd = child_conf_fd(c)) == -1)
		fatal("configuration for the children");
	snprintf(dev, sizeof(dev), "%s", c->dev);
	server_open_tun(sv, dev, sizeof(dev));
	server_masquerade(sv, dev);
	server_forwarding_check(c);
	sa_str((const struct sockaddr *)&c->listen, where, sizeof(where));
	if ((sv->listen = server_listen(c)) == -1)
		fatal("listen on %s", where);
	sv->groups[0] = c->listen;
	sa_set_port(&sv->groups[0], conf_udp_port(c));
	sv->ngroups = 1;
	sv->status = -1;
	if (c->status_socket[0] != '\0')
		server_status_open(sv);
	log_info("listening on %s%s, data on UDP port %u", where,
	    c->listen.ss_family == AF_INET6 && sa_is_any(&c->listen) ?
	    " (IPv6 and IPv4)" : "", conf_udp_port(c));
}

static void
server_start_guard(struct server *sv)
{
	struct child_cred cred;
	struct msg_start st = { 0 };
	int udp;

	if (child_cred_of(sv->c->user, &cred) == -1)
		fatal("user %s", sv->c->user);
	if ((udp = server_udp_socket(&sv->groups[0], true)) == -1)
		fatal("UDP port %u", conf_udp_port(sv->c));
	sv->guard_pid = child_spawn(CHILD_GUARD, &cred, sv->conf_fd, &st,
	    (int[]){ sv->tun, udp }, 2, &sv->guard);
	if (sv->guard_pid == -1)
		fatal("start the guard");
	close(udp);
}

static void
server_init(struct server *sv, struct conf *c)
{
	nfds_t n;

	sv->c = c;
	sv->nslots = conf_slots(c);
	n = P_SESSIONS + 2 * (nfds_t)sv->nslots;
	sv->self = getpid();
	sv->started_at = status_wallclock();
	sv->s = calloc(sv->nslots, sizeof(*sv->s));
	sv->pfd = calloc(n, sizeof(*sv->pfd));
	if (sv->s == NULL || sv->pfd == NULL)
		fatal("memory");
	sv->npfd = n;
	for (nfds_t i = 0; i < n; i++)
		sv->pfd[i] = (struct pollfd){ .fd = -1, .events = POLLIN };
	for (unsigned i = 0; i < sv->nslots; i++)
		sv->s[i].ctl = sv->s[i].data = sv->s[i].data_end = -1;
}

/* Client-to-client yes by a reload. In tun mode the server's kernel
 * forwards between clients, so the tun must forward; as `user` the server
 * cannot turn that on, and says so, unless it is on already (as a start
 * with client-to-client yes leaves it). In tap mode the guard switches the
 * frames and the kernel forwards none: nothing to turn on or warn of. */
static void
server_reload_forwarding(struct server *sv)
{
	char path[128];

	if (sv->c->dev_type == CONF_DEV_TAP)
		return;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding",
	    sv->dev);
	if (server_sysctl(path) == '1')
		return;
	if (tun_set_forwarding(sv->dev, true) == -1)
		log_warn("reload: client-to-client yes: cannot turn on "
		    "forwarding on %s as %s (net.ipv4.conf.%s.forwarding=1, "
		    "or restart)", sv->dev, sv->c->user, sv->dev);
}

/* What running sessions must hear of: client-to-client (their data
 * processes filter it) and a new CRL (their control processes check
 * their clients again; one in its handshake is told once it has its
 * address). */
static void
server_reload_live(struct server *sv, bool c2c_changed, bool crl)
{
	if (c2c_changed && sv->c->client_to_client)
		server_reload_forwarding(sv);
	for (unsigned i = 0; i < sv->nslots; i++) {
		struct session *s = &sv->s[i];

		if (!s->used)
			continue;
		if (c2c_changed)
			session_live(sv, i);
		if (crl && s->vaddr != 0)
			session_recheck(sv, i);
		else if (crl)
			s->recheck = true;
	}
}

/* Slots, uids and the guard's table are sized at startup for max-clients
 * plus max-handshakes; more needs a restart. */
static void
server_reload_slots(struct server *sv, struct conf *next, char *restart,
    size_t len)
{
	size_t n = strlen(restart);

	if (conf_slots(next) <= sv->nslots)
		return;
	snprintf(restart + n, len - n, "%smax-clients + max-handshakes above "
	    "%u", n > 0 ? ", " : "", sv->nslots);
	next->max_clients = sv->c->max_clients;
	next->max_handshakes = sv->c->max_handshakes;
}

/* SIGHUP: the command line and --config FILE again, as at startup (the
 * command line still wins), checked as a whole; then what may change
 * while running takes effect and the rest is named in one line. A
 * configuration that does not load or check is refused in one line and
 * the running one stays. Reads as `user`: the file and the CRL must be
 * readable by it. */
static void
server_reload(struct server *sv)
{
	char err[1024], restart[1024];
	struct conf next;
	int conf_fd, crl_fd;
	bool c2c, crl_changed;

	sig_hup = 0;
	sv->reloads++;
	if (conf_load(&next, CONF_SERVER, sv->argc, sv->argv, err,
	    sizeof(err)) == -1) {
		log_warnx("reload refused, the running configuration stays: "
		    "%s", err);
		return;
	}
	if (conf_check_reload(&next, err, sizeof(err)) == -1 ||
	    conf_reload(sv->c, &next, restart, sizeof(restart), err,
	    sizeof(err)) == -1) {
		log_warnx("reload refused, the running configuration stays: "
		    "%s", err);
		conf_free(&next);
		return;
	}
	server_reload_slots(sv, &next, restart, sizeof(restart));
	if ((conf_fd = child_conf_fd(&next)) == -1) {
		log_warn("reload refused: configuration for the children");
		conf_free(&next);
		return;
	}
	if (tls_pem_crl_reload(&sv->pem, next.crl, &crl_fd, err,
	    sizeof(err)) == -1) {
		log_warnx("reload refused, the running configuration stays: "
		    "%s", err);
		close(conf_fd);
		conf_free(&next);
		return;
	}
	close(sv->conf_fd);
	sv->conf_fd = conf_fd;
	if (sv->pem.fd[TLS_CRL] != -1)
		close(sv->pem.fd[TLS_CRL]);
	sv->pem.fd[TLS_CRL] = crl_fd;
	crl_changed = crl_fd != -1;
	/* fixed addresses that were dropped go back to everyone, new ones
	 * are kept for their CN (an address a live session holds stays with
	 * it until it ends) */
	server_fixed_reserve(sv, sv->c, false);
	server_fixed_reserve(sv, &next, true);
	c2c = next.client_to_client != sv->c->client_to_client;
	conf_free(sv->c);
	*sv->c = next;
	sv->pem.path[TLS_CRL] = sv->c->crl;
	server_reload_live(sv, c2c, crl_changed);
	log_info("reload %u: applied: %u push-route, %u fixed-address, "
	    "max-clients %u, client-to-client %s, crl %s", sv->reloads,
	    sv->c->nroutes, sv->c->nfixed, sv->c->max_clients,
	    sv->c->client_to_client ? "yes" : "no",
	    sv->c->crl[0] != '\0' ? sv->c->crl : "none");
	if (restart[0] != '\0')
		log_warnx("reload: these need a restart and were not applied: "
		    "%s", restart);
}

/* Until then a parked status connection gets its table; -1: no limit. */
static int
server_timeout(struct server *sv)
{
	int t = log_rate_flush(&sv->refusals);
	uint64_t now = now_ms();
	int left;

	if (sv->status_conn == -1)
		return t;
	if (now >= sv->status_conn_until) {
		server_status_conn_done(sv, true);
		return t;
	}
	left = (int)(sv->status_conn_until - now);
	return t == -1 || left < t ? left : t;
}

static void
server_loop(struct server *sv)
{
	while (!sig_term) {
		if (sig_chld)
			server_reap(sv);
		if (sig_hup)
			server_reload(sv);
		if (sig_usr1) {
			sig_usr1 = 0;
			server_status_write(sv, -1);
		}
		if (sig_usr2) {
			sig_usr2 = 0;
			server_log_counters(sv);
		}
		if (poll_wait(sv->pfd, sv->npfd, server_timeout(sv)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (sv->pfd[P_GUARD].revents)
			server_dispatch_guard(sv);
		if (sv->pfd[P_LISTEN].revents)
			server_accept(sv);
		if (sv->pfd[P_STATUS].revents)
			server_status(sv);
		if (sv->pfd[P_STATUS_CONN].revents && sv->status_conn != -1)
			server_dispatch_status_conn(sv);
		for (unsigned i = 0; i < sv->nslots; i++) {
			if (sv->pfd[P_SESSIONS + 2 * i].revents &&
			    sv->s[i].ctl != -1)
				session_dispatch_control(sv, i);
			if (sv->pfd[P_SESSIONS + 2 * i + 1].revents &&
			    sv->s[i].data != -1)
				session_dispatch_data(sv, i);
		}
	}
}

int
server_main(struct conf *c, int argc, char **argv)
{
	struct server sv = { .argc = argc, .argv = argv, .status_conn = -1 };
	uint64_t keep = 1ULL << CAP_SETUID | 1ULL << CAP_SETGID;

	log_set_exit_code(2);
	server_init(&sv, c);
	server_open(&sv);
	if (server_hook(&sv, c->up, "up") != 0)
		fatalx("not starting: the up hook failed");
	sv.started = true;
	/* tap: two queues a session (the reverse one, data -> guard) */
	limits_raise(conf_slots(c) * (c->dev_type == CONF_DEV_TAP ? 2 : 1),
	    DATA_QUEUE_MSGS, DATA_QUEUE_MSGSIZE);
	sig_setup();
	sig_setup_reload();
	if (conf_udp_port(c) < 1024)
		keep |= 1ULL << CAP_NET_BIND_SERVICE;
	if (priv_drop_keep(c->user, keep) == -1)
		fatal("drop privileges to %s", c->user);
	server_exiting = &sv;
	atexit(server_cleanup);
	server_start_guard(&sv);
	sv.pfd[P_LISTEN].fd = sv.listen;
	sv.pfd[P_GUARD].fd = sv.guard;
	sv.pfd[P_STATUS].fd = sv.status;
	log_set_exit_code(3);
	/* Listening, and the guard routes: ready for clients. */
	if (notify_sendf("READY=1\nSTATUS=listening, data on UDP port %u",
	    conf_udp_port(c)) == -1)
		log_warn("notify the service manager");
	server_loop(&sv);
	log_info("shutting down");
	notify_send("STOPPING=1");
	server_cleanup();
	server_exiting = NULL;
	masq_free(sv.masq);
	return 0;
}
