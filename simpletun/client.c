/* The client's parent process: the only one that stays root, and the only
 * one that touches no network. It owns the tun device and its addresses,
 * starts an unprivileged control process per connection attempt and, once
 * the server's CONFIG is on tun, an unprivileged data process, each by exec
 * of our own binary as `user`. When either ends, the session is over: it
 * reaps both and tries again with backoff.
 *
 * It applies nothing the server pushes before judging it itself
 * (msg_config_judge) against what it reads of this host as root: the
 * networks of every interface address and the gateway of every route.
 * The control process judges the same CONFIG first against the server's
 * address, which only it knows: the parent takes no address from it, as a
 * compromised control process could name any. A route that takes the
 * server's address but covers none of our networks or gateways gets past
 * the parent alone; all it can do is break this session, which that
 * process could do anyway. Whatever a session added to tun (address,
 * routes, MTU, link up) is taken away when it ends, however it ends; a
 * SIGKILL of the whole client closes the last tun fd, and the kernel
 * deletes the device with all of it.
 *
 * Owns: the tun fd, the PEM memfds and the configuration memfd (handed to
 * its children), the status socket, a socket to each child. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/route.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "conf.h"
#include "log.h"
#include "msg.h"
#include "roles.h"
#include "stats.h"
#include "status.h"
#include "tls.h"
#include "tun.h"
#include "util.h"

struct client {
	const struct conf *c;
	struct tls_pem pem;
	struct child_cred cred;
	int conf_fd;
	int tun, status;
	char dev[IFNAMSIZ];
	pid_t control_pid, data_pid;
	int ctl, data, data_end;	/* -1 when closed */
	bool connected;
	uint32_t vaddr;
	uint8_t prefix;
	int base_mtu;			/* tun's MTU as tun_open left it */
	bool tun_set;			/* this session touched tun */
	struct msg_route added[MSG_ROUTES_MAX];	/* routes it added */
	unsigned nadded;
	unsigned backoff;		/* seconds, for the next failure */
	uint64_t retry_at;		/* ms; 0: start now */
	struct data_stats stats;
};

static void
client_close(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

static void
client_signal(void *arg, int sig)
{
	struct client *cl = arg;

	if (cl->control_pid > 0)
		kill(cl->control_pid, sig);
	if (cl->data_pid > 0)
		kill(cl->data_pid, sig);
}

static void
client_start(struct client *cl)
{
	struct msg_start st = { 0 };
	int cd[2], fds[1 + TLS_PEM_COUNT];
	size_t n = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cd) == -1)
		fatal("socketpair");
	fds[n++] = cd[0];
	for (int i = 0; i < TLS_PEM_COUNT; i++)
		if (cl->pem.fd[i] != -1)
			fds[n++] = cl->pem.fd[i];
	cl->control_pid = child_spawn(CHILD_CLIENT_CONTROL, &cl->cred,
	    cl->conf_fd, &st, fds, n, &cl->ctl);
	if (cl->control_pid == -1)
		fatal("start the control process");
	close(cd[0]);
	cl->data_end = cd[1];
	memset(&cl->stats, 0, sizeof(cl->stats));
}

static void
client_start_data(struct client *cl)
{
	struct msg_start st = { 0 };

	cl->data_pid = child_spawn(CHILD_CLIENT_DATA, &cl->cred, cl->conf_fd,
	    &st, (int[]){ cl->data_end, cl->tun }, 2, &cl->data);
	if (cl->data_pid == -1)
		fatal("start the data process");
	client_close(&cl->data_end);
}

static int
client_underlay_net(struct msg_underlay *u, const struct sockaddr *addr,
    const struct sockaddr *mask)
{
	uint32_t a, m = 0xffffffffu;

	if (addr == NULL || addr->sa_family != AF_INET)
		return 0;
	if (u->nnets == MSG_UNDERLAY_NETS) {
		errno = E2BIG;
		return -1;
	}
	a = ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr);
	if (mask != NULL && mask->sa_family == AF_INET)
		m = ntohl(((const struct sockaddr_in *)mask)->sin_addr.s_addr);
	u->nets[u->nnets++] = (struct msg_route){ a & m,
	    (uint8_t)__builtin_popcount(m) };
	return 0;
}

/* Every IPv4 address of this host but our own tun's, with its network;
 * a point-to-point link's peer too. */
static int
client_underlay_nets(const struct client *cl, struct msg_underlay *u)
{
	struct ifaddrs *ifs, *i;
	int r = 0;

	if (getifaddrs(&ifs) == -1)
		return -1;
	for (i = ifs; i != NULL && r == 0; i = i->ifa_next) {
		if (strcmp(i->ifa_name, cl->dev) == 0)
			continue;
		r = client_underlay_net(u, i->ifa_addr, i->ifa_netmask);
		if (r == 0 && (i->ifa_flags & IFF_POINTOPOINT))
			r = client_underlay_net(u, i->ifa_dstaddr, NULL);
	}
	freeifaddrs(ifs);
	return r;
}

/* The gateway of every route of the main table (the default route's
 * among them), from /proc/net/route: "Iface Destination Gateway Flags
 * ...", addresses as the hex of their network-order bytes. */
static int
client_underlay_gateways(const struct client *cl, struct msg_underlay *u)
{
	char line[256], dev[IFNAMSIZ + 1];
	unsigned dst, gw, flags;
	int r = 0, e = EINVAL;
	FILE *f;

	if ((f = fopen("/proc/net/route", "re")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL)	/* the heading */
		r = -1;
	while (r == 0 && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%16s %x %x %x", dev, &dst, &gw, &flags) != 4)
			r = -1;
		else if (!(flags & RTF_GATEWAY) || gw == 0 ||
		    strcmp(dev, cl->dev) == 0)
			continue;
		else if (u->ngateways == MSG_UNDERLAY_GATEWAYS) {
			e = E2BIG;
			r = -1;
		} else
			u->gateways[u->ngateways++] = ntohl(gw);
	}
	fclose(f);
	if (r == -1)
		errno = e;
	return r;
}

/* Drops the pushed routes this client does not take (route-nopull,
 * pull-filter ignore), saying which. */
static void
client_pull(const struct client *cl, struct msg_config *cfg)
{
	const struct conf_pull_filter *rule;
	char a[16], b[16];
	unsigned i, n = 0;

	if (cl->c->route_nopull && cfg->nroutes > 0)
		log_info("ignoring the %u pushed routes (route-nopull)",
		    cfg->nroutes);
	for (i = 0; i < cfg->nroutes; i++) {
		const struct msg_route *r = &cfg->routes[i];

		if (conf_pull_route(cl->c, r->addr, r->prefix, &rule)) {
			cfg->routes[n++] = *r;
			continue;
		}
		if (rule != NULL)
			log_info("ignoring pushed route %s/%u (pull-filter "
			    "ignore %s/%u)", ip4_str(r->addr, a), r->prefix,
			    ip4_str(rule->addr, b), rule->prefix);
	}
	cfg->nroutes = (uint8_t)n;
}

/* Takes away what this session put on tun, in the reverse order. */
static void
client_tun_clear(struct client *cl)
{
	char a[16];

	while (cl->nadded > 0) {
		const struct msg_route *r = &cl->added[--cl->nadded];

		if (tun_del_route(cl->dev, r->addr, r->prefix) == -1 &&
		    errno != ESRCH)
			log_warn("remove route %s/%u via %s",
			    ip4_str(r->addr, a), r->prefix, cl->dev);
	}
	if (cl->tun_set && tun_unconfigure(cl->dev, (unsigned)cl->base_mtu) ==
	    -1)
		log_warn("unconfigure %s", cl->dev);
	cl->tun_set = false;
}

static int
client_tun_apply(struct client *cl, const struct msg_config *cfg)
{
	char a[16];
	int r;

	cl->tun_set = true;
	if (tun_configure(cl->dev, cfg->vaddr, cfg->prefix, cfg->mtu) == -1) {
		log_warn("configure %s", cl->dev);
		return -1;
	}
	for (unsigned i = 0; i < cfg->nroutes; i++) {
		const struct msg_route *rt = &cfg->routes[i];

		if ((r = tun_add_route(cl->dev, rt->addr, rt->prefix)) == -1) {
			log_warn("route %s/%u via %s", ip4_str(rt->addr, a),
			    rt->prefix, cl->dev);
			return -1;
		}
		if (r == 0)
			cl->added[cl->nadded++] = *rt;
	}
	return 0;
}

/* The server's CONFIG, as the control process passed it on: judged again
 * here, where we are root and it is not, against this host as it is now. */
static int
client_tun_config(struct client *cl, const struct msg *m)
{
	struct msg_underlay u = { .full_tunnel = cl->c->allow_full_tunnel };
	struct msg_config cfg;
	char why[256], a[16];

	if (msg_get_config(m, &cfg) == -1) {
		log_warnx("malformed TUN_CONFIG from the control process");
		return -1;
	}
	client_pull(cl, &cfg);
	if (client_underlay_nets(cl, &u) == -1 ||
	    client_underlay_gateways(cl, &u) == -1) {
		log_warn("cannot read this host's addresses and routes to "
		    "check the server's CONFIG");
		return -1;
	}
	if (msg_config_judge(&cfg, &u, why, sizeof(why)) != NULL) {
		log_warnx("refusing the CONFIG of %s:%u: %s",
		    cl->c->remote_host, cl->c->remote_port, why);
		return -1;
	}
	if (client_tun_apply(cl, &cfg) == -1)
		return -1;
	cl->vaddr = cfg.vaddr;
	cl->prefix = cfg.prefix;
	log_info("connected: %s/%u on %s, mtu %u, %u routes",
	    ip4_str(cfg.vaddr, a), cfg.prefix, cl->dev, cfg.mtu, cfg.nroutes);
	return 0;
}

static void
client_dispatch_control(struct client *cl)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int r = msg_recv(cl->ctl, buf, sizeof(buf), &m);

	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == 1 && m.type == MSG_TUN_CONFIG && cl->data_pid == 0) {
		if (client_tun_config(cl, &m) == 0) {
			client_start_data(cl);
			cl->connected = true;
			return;
		}
	} else if (r == 1)
		log_warnx("unexpected %s from the control process",
		    msg_name(m.type));
	/* EOF or an error: the session is over. */
	client_close(&cl->ctl);
	if (cl->control_pid > 0)
		kill(cl->control_pid, SIGTERM);
}

static void
client_dispatch_data(struct client *cl)
{
	if (stats_drain(cl->data, &cl->stats) == 0)
		return;
	if (errno != 0) {
		log_warn("from the data process");
		kill(cl->data_pid, SIGTERM);
	}
	client_close(&cl->data);
}

/* Both halves are gone: wait, longer after each failure in a row. */
static void
client_session_over(struct client *cl)
{
	unsigned delay;

	client_close(&cl->ctl);
	client_close(&cl->data);
	client_close(&cl->data_end);
	client_tun_clear(cl);
	if (cl->connected)
		cl->backoff = cl->c->connect_retry;
	delay = cl->backoff;
	cl->backoff = cl->backoff * 2 > cl->c->connect_retry_max ?
	    cl->c->connect_retry_max : cl->backoff * 2;
	cl->connected = false;
	cl->retry_at = now_ms() + delay * 1000ULL;
	log_info("reconnecting in %u s", delay);
}

static void
client_reap(struct client *cl)
{
	int status;
	pid_t pid;

	sig_chld = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == cl->control_pid)
			cl->control_pid = 0;
		else if (pid == cl->data_pid)
			cl->data_pid = 0;
		else
			continue;
		if (WIFSIGNALED(status))
			log_info("a session process ended by signal %d",
			    WTERMSIG(status));
		client_signal(cl, SIGTERM);
		if (cl->control_pid == 0 && cl->data_pid == 0)
			client_session_over(cl);
	}
}

static void
client_status(struct client *cl)
{
	char line[1024], a[16];
	int fd;

	if ((fd = accept4(cl->status, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	snprintf(line, sizeof(line), "client dev=%s remote=%s:%u state=%s "
	    "vaddr=%s control_pid=%d data_pid=%d", cl->dev,
	    cl->c->remote_host, cl->c->remote_port,
	    cl->data_pid > 0 ? "connected" : "connecting",
	    cl->data_pid > 0 ? ip4_str(cl->vaddr, a) : "none",
	    (int)cl->control_pid, (int)cl->data_pid);
	status_reply(fd, line);
	if (cl->data_pid > 0) {
		snprintf(line, sizeof(line), "session cn=%s vaddr=%s",
		    cl->c->server_name, ip4_str(cl->vaddr, a));
		stats_format(&cl->stats, line, sizeof(line));
		status_reply(fd, line);
	}
	close(fd);
}

/* The control process says BYE to the server on its way out. */
static void
client_stop(struct client *cl)
{
	children_end(client_signal, cl, 3000);
	client_tun_clear(cl);
	if (cl->c->status_socket[0] != '\0')
		unlink(cl->c->status_socket);
}

static void
client_open(struct client *cl)
{
	char err[512], off[96];
	SSL_CTX *ctx;

	/* Read once, as root, and checked here; only the control process
	 * gets them after this. */
	if (tls_pem_load(&cl->pem, cl->c->ca, cl->c->cert, cl->c->key,
	    cl->c->crl, err, sizeof(err)) == -1 ||
	    (ctx = tls_ctx_new(false, &cl->pem, err, sizeof(err))) == NULL)
		fatalx("cannot load certificates: %s", err);
	SSL_CTX_free(ctx);
	if (child_cred_of(cl->c->user, &cl->cred) == -1)
		fatal("user %s", cl->c->user);
	if ((cl->conf_fd = child_conf_fd(cl->c)) == -1)
		fatal("configuration for the children");
	snprintf(cl->dev, sizeof(cl->dev), "%s", cl->c->dev);
	if ((cl->tun = tun_open_vnet(cl->dev, sizeof(cl->dev), off,
	    sizeof(off))) != -1)
		log_info("%s: %s", cl->dev, off);
	else if ((cl->tun = tun_open(cl->dev, sizeof(cl->dev))) != -1)
		log_warn("%s: no offloads (IFF_VNET_HDR)", cl->dev);
	else
		fatal("open tun device %s", cl->c->dev);
	if (fd_nonblock(cl->tun) == -1 ||
	    (cl->base_mtu = tun_get_mtu(cl->dev)) == -1)
		fatal("tun");
	cl->status = -1;
	if (cl->c->status_socket[0] != '\0' &&
	    (cl->status = status_listen(cl->c->status_socket)) == -1)
		fatal("status socket %s", cl->c->status_socket);
}

int
client_main(struct conf *c)
{
	enum { P_STATUS, P_CTL, P_DATA, P_COUNT };
	struct client cl = { .c = c, .ctl = -1, .data = -1, .data_end = -1,
	    .backoff = c->connect_retry };
	struct pollfd pfd[P_COUNT];

	log_set_exit_code(2);
	client_open(&cl);
	sig_setup();
	log_set_exit_code(3);
	while (!sig_term) {
		int timeout = -1;

		if (sig_chld)
			client_reap(&cl);
		if (cl.control_pid == 0 && cl.data_pid == 0) {
			uint64_t now = now_ms();

			if (now >= cl.retry_at)
				client_start(&cl);
			else
				timeout = (int)(cl.retry_at - now);
		}
		pfd[P_STATUS] = (struct pollfd){ .fd = cl.status, .events = POLLIN };
		pfd[P_CTL] = (struct pollfd){ .fd = cl.ctl, .events = POLLIN };
		pfd[P_DATA] = (struct pollfd){ .fd = cl.data, .events = POLLIN };
		if (poll_wait(pfd, P_COUNT, timeout) <= 0)
			continue;
		if (pfd[P_STATUS].revents)
			client_status(&cl);
		if (pfd[P_CTL].revents && cl.ctl != -1)
			client_dispatch_control(&cl);
		if (pfd[P_DATA].revents && cl.data != -1)
			client_dispatch_data(&cl);
	}
	log_info("shutting down");
	client_stop(&cl);
	return 0;
}
