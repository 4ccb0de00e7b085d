/* The server's acceptor: owns the listening socket, the address pool, the
 * session table and the status socket. It forks the guard once and, per
 * client, a control process on accept and a data process once the control
 * process has authenticated the client and asked for an address. It never
 * talks TLS itself, so no client can stall it. It reaps every child and
 * frees what a dead session held: queue, route, address. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "msg.h"
#include "pool.h"
#include "roles.h"
#include "stats.h"
#include "status.h"
#include "tls.h"
#include "tun.h"
#include "util.h"

struct session {
	bool used;
	pid_t control_pid, data_pid;
	int ctl;		/* socketpair to the control process */
	int data;		/* socketpair to the data process, or -1 */
	int data_end;		/* the data process's end of control<->data,
				   held until the data process is forked */
	bool queue;		/* its message queue exists */
	uint32_t vaddr;		/* 0 until granted, or after eviction */
	char cn[MSG_CN_MAX + 1];
	char peer[64];
	struct sockaddr_storage local;	/* our end of its TCP connection */
	struct data_stats stats;
};

struct server {
	const struct conf *c;
	SSL_CTX *ctx;
	int listen, tun, guard, status;
	mqd_t guard_q;
	pid_t guard_pid, self;
	struct pool *pool;
	struct session *s;
	struct mq_attr qattr;
	uint64_t guard_stats[GUARD_STATS_LEN / 8];
	struct pollfd *pfd;
	nfds_t npfd;
};

enum { P_LISTEN, P_GUARD, P_STATUS, P_SESSIONS };

static void
queue_name(const struct server *sv, unsigned slot, char *buf, size_t len)
{
	snprintf(buf, len, "/simpletun.%d.%u", (int)sv->self, slot);
}

static void
guard_tell(struct server *sv, uint16_t type, const uint8_t *p, size_t len)
{
	uint8_t buf[MSG_MAX_LEN];
	struct timespec ts;
	ssize_t n;

	if ((n = msg_build(buf, sizeof(buf), type, p, len)) == -1)
		fatalx("cannot build %s", msg_name(type));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	if (mq_timedsend(sv->guard_q, (char *)buf, (size_t)n, 0, &ts) == -1)
		fatal("guard queue");
}

static void
session_unregister(struct server *sv, unsigned slot)
{
	uint8_t p[MSG_UNREGISTER_LEN];

	put_u16(p, (uint16_t)slot);
	guard_tell(sv, MSG_UNREGISTER, p, sizeof(p));
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
session_free(struct server *sv, unsigned slot)
{
	struct session *s = &sv->s[slot];
	char name[64], a[16];

	if (s->queue) {
		session_unregister(sv, slot);
		queue_name(sv, slot, name, sizeof(name));
		mq_unlink(name);
	}
	if (s->vaddr != 0) {
		pool_release(sv->pool, s->vaddr);
		log_info("session of %s at %s from %s ended", s->cn,
		    ip4_str(s->vaddr, a), s->peer);
	}
	if (s->ctl != -1)
		close(s->ctl);
	if (s->data != -1)
		close(s->data);
	if (s->data_end != -1)
		close(s->data_end);
	memset(s, 0, sizeof(*s));
	s->ctl = s->data = s->data_end = -1;
	sv->pfd[P_SESSIONS + 2 * slot].fd = -1;
	sv->pfd[P_SESSIONS + 2 * slot + 1].fd = -1;
}

/* A replaced session gives up its address and route at once, so that its
 * successor can take them; its processes end after telling their client. */
static void
session_evict(struct server *sv, unsigned slot)
{
	struct session *s = &sv->s[slot];
	char a[16];

	log_info("replacing the session of %s at %s from %s", s->cn,
	    ip4_str(s->vaddr, a), s->peer);
	session_unregister(sv, slot);
	pool_release(sv->pool, s->vaddr);
	s->vaddr = 0;
	/* STOP lets the control process tell its client why it ends; the
	 * data process ends with it. */
	if (s->ctl == -1 || msg_send(s->ctl, MSG_STOP, NULL, 0) == -1)
		session_kill(s);
}

static pid_t
server_fork(const int *keep, size_t nkeep)
{
	pid_t pid = fork();

	if (pid == 0) {
		fd_close_except(keep, nkeep);
		if (priv_drop_caps() == -1)
			fatal("drop capabilities");
	}
	return pid;
}

static void
session_start(struct server *sv, int fd, const struct sockaddr *sa,
    const struct sockaddr_storage *local)
{
	unsigned slot;
	int ac[2], cd[2];
	char peer[64];
	pid_t pid;

	sa_str(sa, peer, sizeof(peer));
	for (slot = 0; slot < sv->c->max_clients && sv->s[slot].used; slot++)
		;
	if (slot == sv->c->max_clients) {
		log_warnx("refusing %s: max-clients (%u) reached", peer,
		    sv->c->max_clients);
		close(fd);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ac) == -1) {
		log_warn("socketpair");
		close(fd);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cd) == -1) {
		log_warn("socketpair");
		close(fd), close(ac[0]), close(ac[1]);
		return;
	}
	if ((pid = server_fork((int[]){ fd, ac[1], cd[0] }, 3)) == 0)
		control_server_main(sv->c, sv->ctx, fd, ac[1], cd[0], peer);
	close(fd), close(ac[1]), close(cd[0]);
	if (pid == -1) {
		log_warn("fork");
		close(ac[0]), close(cd[1]);
		return;
	}
	fd_nonblock(ac[0]);
	sv->s[slot] = (struct session){ .used = true, .control_pid = pid,
	    .ctl = ac[0], .data = -1, .data_end = cd[1] };
	sv->s[slot].local = *local;
	snprintf(sv->s[slot].peer, sizeof(sv->s[slot].peer), "%s", peer);
	sv->pfd[P_SESSIONS + 2 * slot].fd = ac[0];
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
		/* Replies must come from the address the client reached,
		 * or its connected UDP socket drops them. */
		sl = sizeof(local);
		if (getsockname(fd, (struct sockaddr *)&local, &sl) == -1) {
			log_warn("getsockname");
			close(fd);
			continue;
		}
		session_start(sv, fd, (struct sockaddr *)&ss, &local);
	}
}

static uint32_t
session_address(struct server *sv, const char *cn)
{
	for (unsigned i = 0; i < sv->c->nfixed; i++)
		if (strcmp(sv->c->fixed[i].cn, cn) == 0)
			return pool_take(sv->pool, sv->c->fixed[i].addr) == 0 ?
			    sv->c->fixed[i].addr : 0;
	return pool_take_lowest(sv->pool);
}

/* Another live session of cn is replaced or makes this one fail. */
static const char *
session_dedup(struct server *sv, unsigned slot, const char *cn)
{
	for (unsigned i = 0; i < sv->c->max_clients; i++) {
		struct session *o = &sv->s[i];

		if (i == slot || !o->used || o->vaddr == 0 ||
		    strcmp(o->cn, cn) != 0)
			continue;
		if (sv->c->duplicate_cn == CONF_DUP_REFUSE)
			return "this CN already has a session";
		session_evict(sv, i);
	}
	return NULL;
}

static mqd_t
session_queue(struct server *sv, unsigned slot)
{
	char name[64];
	mqd_t q;

	queue_name(sv, slot, name, sizeof(name));
	q = mq_open(name, O_RDONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC,
	    0600, &sv->qattr);
	if (q == (mqd_t)-1 && errno == EEXIST) {
		/* left by an earlier server that had our pid */
		mq_unlink(name);
		q = mq_open(name, O_RDONLY | O_CREAT | O_EXCL | O_NONBLOCK |
		    O_CLOEXEC, 0600, &sv->qattr);
	}
	if (q == (mqd_t)-1)
		log_warn("create queue %s", name);
	return q;
}

static int
session_fork_data(struct server *sv, unsigned slot)
{
	struct session *s = &sv->s[slot];
	struct data_fds fds;
	int pd[2];
	pid_t pid;
	mqd_t q;

	if ((q = session_queue(sv, slot)) == (mqd_t)-1)
		return -1;
	s->queue = true;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pd) == -1) {
		log_warn("socketpair");
		mq_close(q);
		return -1;
	}
	fds = (struct data_fds){ .local = s->local, .ctl = s->data_end,
	    .parent = pd[1], .tun = sv->tun, .queue = q, .guard = sv->guard_q,
	    .slot = (uint16_t)slot };
	pid = server_fork((int[]){ fds.ctl, fds.parent, fds.tun, (int)q,
	    (int)sv->guard_q }, 5);
	if (pid == 0)
		data_main(sv->c, &fds);
	mq_close(q);
	close(pd[1]);
	close(s->data_end);
	s->data_end = -1;
	if (pid == -1) {
		log_warn("fork");
		close(pd[0]);
		return -1;
	}
	fd_nonblock(pd[0]);
	s->data_pid = pid;
	s->data = pd[0];
	sv->pfd[P_SESSIONS + 2 * slot + 1].fd = pd[0];
	return 0;
}

static bool
cn_valid(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return false;
	return true;
}

static void
session_deny(struct server *sv, unsigned slot, const char *why)
{
	struct session *s = &sv->s[slot];

	log_warnx("refusing %s from %s: %s", s->cn[0] ? s->cn : "client",
	    s->peer, why);
	msg_send(s->ctl, MSG_ADDRESS_DENY, why, strlen(why));
}

static void
session_grant(struct server *sv, unsigned slot, const struct msg *m)
{
	struct session *s = &sv->s[slot];
	uint8_t p[MSG_ADDRESS_GRANT_LEN];
	const char *why;
	char a[16];

	if (!cn_valid(m->payload, m->len)) {
		session_deny(sv, slot, "the certificate's CN has characters "
		    "other than printable ASCII");
		return;
	}
	memcpy(s->cn, m->payload, m->len);
	s->cn[m->len] = '\0';
	if ((why = session_dedup(sv, slot, s->cn)) != NULL) {
		session_deny(sv, slot, why);
		return;
	}
	if ((s->vaddr = session_address(sv, s->cn)) == 0) {
		session_deny(sv, slot, "no free address in the pool");
		return;
	}
	if (session_fork_data(sv, slot) == -1) {
		session_deny(sv, slot, "server out of resources");
		return;	/* the address goes back when the session is freed */
	}
	put_u32(p, s->vaddr);
	p[4] = sv->c->pool_prefix;
	put_u32(p + 5, pool_server_addr(sv->pool));
	if (msg_send(s->ctl, MSG_ADDRESS_GRANT, p, sizeof(p)) == -1)
		log_warn("grant to %s", s->cn);
	log_info("%s from %s gets %s", s->cn, s->peer, ip4_str(s->vaddr, a));
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
	    !s->queue) {
		session_grant(sv, slot, &m);
		return;
	}
	if (r == 1)
		log_warnx("unexpected %s from the control process of %s",
		    msg_name(m.type), s->peer);
	else if (r == -1)
		log_warn("from the control process of %s", s->peer);
	/* EOF: it has ended; the reaper frees the session. */
	close(s->ctl);
	s->ctl = -1;
	sv->pfd[P_SESSIONS + 2 * slot].fd = -1;
	if (r != 0)
		session_kill(s);
}

static void
session_dispatch_data(struct server *sv, unsigned slot)
{
	struct session *s = &sv->s[slot];

	if (stats_drain(s->data, &s->stats) == 0)
		return;
	close(s->data);
	s->data = -1;
	sv->pfd[P_SESSIONS + 2 * slot + 1].fd = -1;
	if (errno != 0) {
		log_warn("from the data process of %s", s->cn);
		session_kill(s);
	}
}

static void
server_dispatch_guard(struct server *sv)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int r;

	while ((r = msg_recv(sv->guard, buf, sizeof(buf), &m)) == 1) {
		if (m.type != MSG_STATS || m.len != GUARD_STATS_LEN)
			fatalx("unexpected %s from the guard", msg_name(m.type));
		for (int i = 0; i < GUARD_STATS_LEN / 8; i++)
			sv->guard_stats[i] = get_u64(m.payload + 8 * i);
	}
	if (r == 0 || errno != EAGAIN)
		fatalx("the guard is gone");
}

static struct session *
session_by_pid(struct server *sv, pid_t pid)
{
	for (unsigned i = 0; i < sv->c->max_clients; i++)
		if (sv->s[i].used && (sv->s[i].control_pid == pid ||
		    sv->s[i].data_pid == pid))
			return &sv->s[i];
	return NULL;
}

static void
server_reaped(struct server *sv, pid_t pid, int status)
{
	struct session *s = session_by_pid(sv, pid);

	if (pid == sv->guard_pid)
		fatalx("the guard ended (status %d)", status);
	if (s == NULL)
		return;
	if (WIFSIGNALED(status))
		log_info("%s process of %s ended by signal %d",
		    pid == s->control_pid ? "control" : "data",
		    s->cn[0] ? s->cn : s->peer, WTERMSIG(status));
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

static void
server_status(struct server *sv)
{
	char line[1024], a[16], net[16];
	unsigned clients = 0;
	int fd;

	if ((fd = accept4(sv->status, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	for (unsigned i = 0; i < sv->c->max_clients; i++)
		clients += sv->s[i].used && sv->s[i].vaddr != 0;
	snprintf(line, sizeof(line), "server dev=%s pool=%s/%u address=%s "
	    "clients=%u pool_used=%u", sv->c->dev,
	    ip4_str(sv->c->pool_addr, net), sv->c->pool_prefix,
	    ip4_str(pool_server_addr(sv->pool), a), clients,
	    pool_in_use(sv->pool));
	status_reply(fd, line);
	snprintf(line, sizeof(line), "guard pid=%d rx_packets=%llu "
	    "no_route=%llu queue_full=%llu too_big=%llu routes=%llu",
	    (int)sv->guard_pid, (unsigned long long)sv->guard_stats[0],
	    (unsigned long long)sv->guard_stats[1],
	    (unsigned long long)sv->guard_stats[2],
	    (unsigned long long)sv->guard_stats[3],
	    (unsigned long long)sv->guard_stats[4]);
	status_reply(fd, line);
	for (unsigned i = 0; i < sv->c->max_clients; i++) {
		struct session *s = &sv->s[i];

		if (!s->used || s->vaddr == 0)
			continue;
		snprintf(line, sizeof(line), "session cn=%s vaddr=%s slot=%u "
		    "control_pid=%d data_pid=%d peer=%s", s->cn,
		    ip4_str(s->vaddr, a), i, (int)s->control_pid,
		    (int)s->data_pid, s->peer);
		stats_format(&s->stats, line, sizeof(line));
		status_reply(fd, line);
	}
	close(fd);
}

static struct server *server_exiting;

static void
server_signal_all(void *arg, int sig)
{
	struct server *sv = arg;

	for (unsigned i = 0; i < sv->c->max_clients; i++) {
		if (sv->s[i].control_pid > 0)
			kill(sv->s[i].control_pid, sig);
		if (sv->s[i].data_pid > 0)
			kill(sv->s[i].data_pid, sig);
	}
	if (sv->guard_pid > 0)
		kill(sv->guard_pid, sig);
}

/* Runs on every exit of the acceptor, fatal ones too: no child, queue or
 * socket outlives the server. Forked children inherit it and skip it. */
static void
server_cleanup(void)
{
	struct server *sv = server_exiting;
	char name[64];

	if (sv == NULL || getpid() != sv->self)
		return;
	children_end(server_signal_all, sv, 3000);
	for (unsigned i = 0; i < sv->c->max_clients; i++) {
		queue_name(sv, i, name, sizeof(name));
		if (sv->s[i].queue)
			mq_unlink(name);
	}
	snprintf(name, sizeof(name), "/simpletun.%d.guard", (int)sv->self);
	mq_unlink(name);
	if (sv->c->status_socket[0] != '\0')
		unlink(sv->c->status_socket);
}

static int
server_listen(const struct conf *c)
{
	int fd, on = 1;

	fd = socket(c->listen.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (const struct sockaddr *)&c->listen, c->listen_len) == -1 ||
	    listen(fd, 128) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The kernel's limit for queues of unprivileged processes; with
 * CAP_SYS_RESOURCE the acceptor may exceed it. */
static long
mq_limit(const char *file, long want)
{
	char path[128], buf[32];
	long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", file);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL)
			v = strtol(buf, NULL, 10);
		fclose(f);
	}
	return v > 0 && v < want ? v : want;
}

/* Deep queues absorb bursts (a TCP window of full packets, 16 KiB
 * batches); without the capability, what the kernel allows anyone. */
static void
server_queue_attr(struct server *sv)
{
	struct mq_attr big = { .mq_maxmsg = 128, .mq_msgsize = 16384 };
	char name[64];
	mqd_t q;

	snprintf(name, sizeof(name), "/simpletun.%d.probe", (int)sv->self);
	q = mq_open(name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &big);
	if (q != (mqd_t)-1) {
		mq_close(q);
		mq_unlink(name);
		sv->qattr = big;
		return;
	}
	sv->qattr.mq_maxmsg = mq_limit("msg_max", big.mq_maxmsg);
	sv->qattr.mq_msgsize = mq_limit("msgsize_max", big.mq_msgsize);
	log_info("queues of %ld messages of %ld bytes (no CAP_SYS_RESOURCE)",
	    sv->qattr.mq_maxmsg, sv->qattr.mq_msgsize);
}

/* Says at startup, not at the ninth client, when the queue memory limit
 * cannot hold a queue for every client. */
static void
server_queue_budget(struct server *sv)
{
	struct rlimit rl;
	unsigned long per, fit;

	if (getrlimit(RLIMIT_MSGQUEUE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY)
		return;
	/* the kernel's charge: the messages plus a pointer and a tree node
	 * per message */
	per = (unsigned long)sv->qattr.mq_maxmsg *
	    ((unsigned long)sv->qattr.mq_msgsize + 64);
	fit = rl.rlim_cur / per;
	if (fit < (unsigned long)sv->c->max_clients + 1)
		log_warnx("the message queue memory limit (RLIMIT_MSGQUEUE %lu "
		    "bytes, shared by all processes of user %s) holds queues "
		    "for at most %lu clients, not max-clients %u: raise it "
		    "(ulimit -q) or run with CAP_SYS_RESOURCE",
		    (unsigned long)rl.rlim_cur, sv->c->user[0] ? sv->c->user :
		    "root", fit > 0 ? fit - 1 : 0, sv->c->max_clients);
}

static void
server_open_tun(struct server *sv, char *dev, size_t len)
{
	const struct conf *c = sv->c;
	char a[16];

	if ((sv->tun = tun_open(dev, len)) == -1)
		fatal("open tun device %s", c->dev);
	if (tun_configure(dev, pool_server_addr(sv->pool), c->pool_prefix,
	    c->mtu) == -1)
		fatal("configure %s", dev);
	if (c->client_to_client && tun_set_forwarding(dev, true) == -1)
		log_warn("enable forwarding on %s for client-to-client", dev);
	if (fd_nonblock(sv->tun) == -1)
		fatal("tun");
	log_info("%s has %s/%u, mtu %u", dev,
	    ip4_str(pool_server_addr(sv->pool), a), c->pool_prefix, c->mtu);
}

static void
server_open(struct server *sv)
{
	const struct conf *c = sv->c;
	char err[512], dev[IFNAMSIZ], where[64];
	struct tls_pem pem;

	if ((sv->pool = pool_new(c->pool_addr, c->pool_prefix)) == NULL)
		fatalx("pool: cannot use %u-bit prefix", c->pool_prefix);
	for (unsigned i = 0; i < c->nfixed; i++)
		pool_reserve(sv->pool, c->fixed[i].addr);
	if (tls_pem_load(&pem, c->ca, c->cert, c->key, c->crl, err,
	    sizeof(err)) == -1 ||
	    (sv->ctx = tls_ctx_new(true, &pem, err, sizeof(err))) == NULL)
		fatalx("cannot load certificates: %s", err);
	tls_pem_close(&pem);
	snprintf(dev, sizeof(dev), "%s", c->dev);
	server_open_tun(sv, dev, sizeof(dev));
	sa_str((const struct sockaddr *)&c->listen, where, sizeof(where));
	if ((sv->listen = server_listen(c)) == -1)
		fatal("listen on %s", where);
	sv->status = -1;
	if (c->status_socket[0] != '\0' &&
	    (sv->status = status_listen(c->status_socket)) == -1)
		fatal("status socket %s", c->status_socket);
	log_info("listening on %s", where);
}

static void
server_start_guard(struct server *sv)
{
	char name[64];
	mqd_t inbox;
	int pg[2];

	snprintf(name, sizeof(name), "/simpletun.%d.guard", (int)sv->self);
	mq_unlink(name);
	sv->guard_q = mq_open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600, &sv->qattr);
	if (sv->guard_q == (mqd_t)-1)
		fatal("create queue %s", name);
	if ((inbox = mq_open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) ==
	    (mqd_t)-1)
		fatal("open queue %s", name);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pg) == -1)
		fatal("socketpair");
	sv->guard_pid = server_fork((int[]){ sv->tun, (int)inbox, pg[1] }, 3);
	if (sv->guard_pid == -1)
		fatal("fork");
	if (sv->guard_pid == 0)
		guard_main(sv->c, sv->tun, inbox, pg[1], sv->self,
		    sv->qattr.mq_msgsize);
	mq_close(inbox);
	close(pg[1]);
	sv->guard = pg[0];
	fd_nonblock(sv->guard);
}

static void
server_init(struct server *sv, const struct conf *c)
{
	nfds_t n = P_SESSIONS + 2 * (nfds_t)c->max_clients;

	sv->c = c;
	sv->self = getpid();
	sv->s = calloc(c->max_clients, sizeof(*sv->s));
	sv->pfd = calloc(n, sizeof(*sv->pfd));
	if (sv->s == NULL || sv->pfd == NULL)
		fatal("memory");
	sv->npfd = n;
	for (nfds_t i = 0; i < n; i++)
		sv->pfd[i] = (struct pollfd){ .fd = -1, .events = POLLIN };
	for (unsigned i = 0; i < c->max_clients; i++)
		sv->s[i].ctl = sv->s[i].data = sv->s[i].data_end = -1;
}

static void
server_loop(struct server *sv)
{
	while (!sig_term) {
		if (sig_chld)
			server_reap(sv);
		if (poll_wait(sv->pfd, sv->npfd, -1) == -1) {
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
		for (unsigned i = 0; i < sv->c->max_clients; i++) {
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
server_main(struct conf *c)
{
	struct server sv = { 0 };

	log_set_exit_code(2);
	server_init(&sv, c);
	server_open(&sv);
	priv_raise_mq_limit();
	sig_setup();
	if (priv_drop_keep_resource(c->user) == -1)
		fatal("drop privileges to %s", c->user);
	server_exiting = &sv;
	atexit(server_cleanup);
	server_queue_attr(&sv);
	server_queue_budget(&sv);
	server_start_guard(&sv);
	sv.pfd[P_LISTEN].fd = sv.listen;
	sv.pfd[P_GUARD].fd = sv.guard;
	sv.pfd[P_STATUS].fd = sv.status;
	log_set_exit_code(3);
	server_loop(&sv);
	log_info("shutting down");
	server_cleanup();
	server_exiting = NULL;
	return 0;
}
