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
 * Pushed DNS goes to systemd-resolved through resolvectl on tun when it
 * runs (dns.c) and is reverted when the session ends; a SIGKILL takes tun
 * away, and resolved forgets a link that is gone. The hooks get it in any
 * case.
 *
 * Owns: the tun fd, the PEM memfds and the configuration memfd (handed to
 * its children), the status socket, a socket to each child. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include "dns.h"
#include "hook.h"
#include "log.h"
#include "msg.h"
#include "netlink.h"
#include "notify.h"
#include "redirect.h"
#include "roles.h"
#include "stats.h"
#include "status.h"
#include "tap.h"
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
	struct msg_net6 vaddr6;		/* prefix 0: no IPv6 */
	uint32_t server_vaddr;		/* for the hooks */
	uint8_t server_vaddr6[16];	/* for the hooks, with vaddr6 */
	unsigned mtu;
	bool hook_up;			/* up ran (or there is none): down runs */
	int base_mtu;			/* tun's MTU as tun_open left it */
	bool tun_set;			/* this session touched tun */
	struct nl_route added[2 * MSG_ROUTES_MAX + CONF_REDIRECT_ROUTES];
	unsigned nadded;		/* routes it added, IPv4 and IPv6 */
	struct nl_prefix server;	/* TUN_SERVER's address as a host
					   route; family 0: none */
	struct redirect redirect;	/* the host route to server */
	uint32_t gateway;		/* tap: the routes' gateway (the
					   server's address), else 0 */
	struct msg_route routes[MSG_ROUTES_MAX];	/* pushed, and taken */
	unsigned nroutes;
	struct msg_config dns;		/* pushed DNS (ndns, ndomains) only */
	char resolvectl[CONF_PATH_MAX];	/* "" unless this session set DNS
					   through it: revert at its end */
	const char *dns_by;		/* "resolvectl", "hook", "none" */
	int64_t since;			/* wall clock, s: connected at */
	unsigned attempts;		/* connections started */
	unsigned failures;		/* attempts in a row that failed */
	bool refused;			/* the last failure was for good */
	bool refused_now;		/* this attempt was refused for good */
	char reason[MSG_REASON_MAX + 1];	/* of the last failure */
	int notify;		/* --daemon: pipe to the foreground, or -1 */
	int exit_code;		/* -1 while it goes on */
	unsigned backoff;		/* seconds, for the next failure */
	uint64_t retry_at;		/* ms; 0: start now */
	struct data_stats stats;
};

/* Exit codes of a client that gives up (connect-retry-max), and of
 * --daemon's foreground at a refusal for good; see main.c. */
enum { CLIENT_EXIT_REFUSED = 4, CLIENT_EXIT_GAVE_UP = 5 };

/* --daemon: tells the waiting foreground once how it went (0: the tunnel
 * carries traffic) and lets it go. */
static void
client_notify(struct client *cl, int code, const char *why)
{
	char line[MSG_REASON_MAX + 16];
	int n;

	if (cl->notify == -1)
		return;
	n = snprintf(line, sizeof(line), "%d %s", code, why);
	if (n > 0 && write(cl->notify, line, (size_t)n < sizeof(line) ?
	    (size_t)n : sizeof(line) - 1) == -1)
		log_warn("tell the foreground");
	close(cl->notify);
	cl->notify = -1;
}

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
	cl->refused_now = false;
	cl->control_pid = child_spawn(CHILD_CLIENT_CONTROL, &cl->cred,
	    cl->conf_fd, &st, fds, n, &cl->ctl);
	if (cl->control_pid == -1)
		fatal("start the control process");
	close(cd[0]);
	cl->data_end = cd[1];
	cl->attempts++;
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
client_underlay_net6(struct msg_underlay *u, const struct sockaddr *addr,
    const struct sockaddr *mask)
{
	const uint8_t *m = mask != NULL && mask->sa_family == AF_INET6 ?
	    ((const struct sockaddr_in6 *)mask)->sin6_addr.s6_addr : NULL;
	struct msg_net6 *n;

	if (u->nnets6 == MSG_UNDERLAY_NETS) {
		errno = E2BIG;
		return -1;
	}
	n = &u->nets6[u->nnets6++];
	memcpy(n->addr, ((const struct sockaddr_in6 *)addr)->sin6_addr.s6_addr,
	    16);
	n->prefix = 128;
	if (m == NULL)
		return 0;
	n->prefix = 0;
	for (unsigned i = 0; i < 16; i++) {
		n->addr[i] &= m[i];
		n->prefix += (uint8_t)__builtin_popcount(m[i]);
	}
	return 0;
}

static int
client_underlay_net(struct msg_underlay *u, const struct sockaddr *addr,
    const struct sockaddr *mask)
{
	uint32_t a, m = 0xffffffffu;

	if (addr != NULL && addr->sa_family == AF_INET6)
		return client_underlay_net6(u, addr, mask);
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

/* A pushed route that a pull-filter ignore drops: one line, naming the
 * rule (route-nopull is said once for all). */
static void
client_pull_ignored(const struct msg_net *route,
    const struct conf_pull_filter *rule)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	log_info("ignoring pushed route %s/%u (pull-filter ignore %s/%u)",
	    msg_net_str(route, a), route->prefix, rule->v6 ?
	    ip6_str(rule->addr6, b) : ip4_str(rule->addr, b), rule->prefix);
}

/* Drops the pushed routes this client does not take (route-nopull,
 * pull-filter ignore), of both families, saying which. */
static void
client_pull(const struct client *cl, struct msg_config *cfg)
{
	unsigned all = cfg->nroutes + cfg->nroutes6;

	if (cl->c->route_nopull && all > 0)
		log_info("ignoring the %u pushed routes (route-nopull)", all);
	conf_pull_config(cl->c, cfg, client_pull_ignored);
}

/* Takes away what this session put on tun, in the reverse order. */
static void
client_tun_clear(struct client *cl)
{
	char a[64];

	while (cl->nadded > 0) {
		const struct nl_route *r = &cl->added[--cl->nadded];

		if (tun_route_del(cl->dev, r) == -1 && errno != ESRCH)
			log_warn("remove route %s via %s",
			    nl_prefix_str(&r->dst, a, sizeof(a)), cl->dev);
	}
	if (cl->tun_set && tun_unconfigure(cl->dev, (unsigned)cl->base_mtu) ==
	    -1)
		log_warn("unconfigure %s", cl->dev);
	cl->tun_set = false;
	if (redirect_release(&cl->redirect) == -1)
		log_warn("remove the host route to the server (%s)",
		    cl->redirect.path);
	memset(&cl->server, 0, sizeof(cl->server));
}

/* The host route to a socket address: /32 or /128 (family 0 if neither). */
static struct nl_prefix
client_host_prefix(const struct sockaddr_storage *ss)
{
	struct nl_prefix p = { 0 };

	if (ss->ss_family == AF_INET) {
		memcpy(p.addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		p.len = 32;
	} else if (ss->ss_family == AF_INET6) {
		memcpy(p.addr, &((const struct sockaddr_in6 *)ss)->sin6_addr,
		    16);
		p.len = 128;
	} else
		return p;
	p.family = ss->ss_family;
	return p;
}

/* net (of either family) holds host. */
static bool
client_net_has(const struct nl_prefix *net, const struct nl_prefix *host)
{
	unsigned bytes = net->len / 8, bits = net->len % 8;

	if (net->family != host->family || net->len > host->len)
		return false;
	if (memcmp(net->addr, host->addr, bytes) != 0)
		return false;
	return bits == 0 || ((net->addr[bytes] ^ host->addr[bytes]) &
	    (0xff << (8 - bits))) == 0;
}

/* A route through tun that holds the server's address would carry the
 * tunnel's own packets into it: the server keeps its old way, by a host
 * route (OpenVPN's def1 does the same). The address comes from the control
 * process, which could name another: then that one address stays off the
 * tunnel, and the session breaks, no worse than that process can do. */
static int
client_keep_server(struct client *cl, const struct msg_config *cfg,
    const struct msg_route *own, unsigned nown)
{
	bool covered = false;
	struct nl_prefix net;
	char a[64];
	unsigned i;

	for (i = 0; i < cfg->nroutes; i++) {
		net = nl_prefix4(cfg->routes[i].addr, cfg->routes[i].prefix);
		covered = covered || client_net_has(&net, &cl->server);
	}
	for (i = 0; i < nown; i++) {
		net = nl_prefix4(own[i].addr, own[i].prefix);
		covered = covered || client_net_has(&net, &cl->server);
	}
	for (i = 0; i < cfg->nroutes6; i++) {
		net = (struct nl_prefix){ .family = AF_INET6,
		    .len = cfg->routes6[i].prefix };
		memcpy(net.addr, cfg->routes6[i].addr, 16);
		covered = covered || client_net_has(&net, &cl->server);
	}
	if (!covered)
		return 0;
	if (redirect_hold(&cl->redirect, &cl->server) == -1) {
		log_warn("host route to the server %s",
		    nl_prefix_str(&cl->server, a, sizeof(a)));
		return -1;
	}
	return 0;
}

static int
client_route_add(struct client *cl, const struct nl_route *rt)
{
	char a[64];
	int r;

	if ((r = tun_route_add(cl->dev, rt)) == -1) {
		log_warn("route %s via %s", nl_prefix_str(&rt->dst, a,
		    sizeof(a)), cl->dev);
		return -1;
	}
	if (r == 0)
		cl->added[cl->nadded++] = *rt;
	return 0;
}

/* A pushed IPv4 route: on-link, or via the server on a tap segment. */
static int
client_route4_add(struct client *cl, const struct msg_route *rt)
{
	struct nl_route r = { .dst = nl_prefix4(rt->addr, rt->prefix) };

	if (cl->gateway != 0)
		nl_gw4(&r, cl->gateway);
	return client_route_add(cl, &r);
}

/* The IPv6 address and routes, as the IPv4 ones. */
static int
client_tun_apply6(struct client *cl, const struct msg_config *cfg)
{
	struct nl_prefix p = { .family = AF_INET6,
	    .len = cfg->vaddr6.prefix };
	char a[64];

	if (cfg->vaddr6.prefix == 0)
		return 0;
	memcpy(p.addr, cfg->vaddr6.addr, 16);
	if (tun_add_addr(cl->dev, &p) == -1) {
		log_warn("address %s on %s", nl_prefix_str(&p, a, sizeof(a)),
		    cl->dev);
		return -1;
	}
	for (unsigned i = 0; i < cfg->nroutes6; i++) {
		struct nl_route r = { .dst = { .family = AF_INET6,
		    .len = cfg->routes6[i].prefix } };

		memcpy(r.dst.addr, cfg->routes6[i].addr, 16);
		if (cl->gateway != 0) {
			r.gw_family = AF_INET6;
			memcpy(r.gw, cfg->server_vaddr6, 16);
		}
		if (client_route_add(cl, &r) == -1)
			return -1;
	}
	return 0;
}

/* The pushed routes, then redirect-gateway's own. */
static int
client_tun_apply(struct client *cl, const struct msg_config *cfg)
{
	struct msg_route own[CONF_REDIRECT_ROUTES];
	unsigned i, nown = 0;

	for (i = 0; cl->c->redirect_gateway && i < CONF_REDIRECT_ROUTES; i++)
		own[nown++] = (struct msg_route){ conf_redirect_routes[i].addr,
		    conf_redirect_routes[i].prefix };
	if (client_keep_server(cl, cfg, own, nown) == -1)
		return -1;
	cl->tun_set = true;
	/* on a tap segment the server is the next hop of pushed routes */
	cl->gateway = cl->c->dev_type == CONF_DEV_TAP ? cfg->server_vaddr : 0;
	if (tun_configure(cl->dev, cfg->vaddr, cfg->prefix, cfg->mtu) == -1) {
		log_warn("configure %s", cl->dev);
		return -1;
	}
	for (i = 0; i < cfg->nroutes; i++)
		if (client_route4_add(cl, &cfg->routes[i]) == -1)
			return -1;
	for (i = 0; i < nown; i++)
		if (client_route4_add(cl, &own[i]) == -1)
			return -1;
	return client_tun_apply6(cl, cfg);
}

/* The server's CONFIG, as the control process passed it on: judged again
 * here, where we are root and it is not, against this host as it is now. */
static int
client_tun_config(struct client *cl, const struct msg *m)
{
	struct msg_underlay u = { .full_tunnel = cl->c->allow_full_tunnel };
	struct msg_config cfg;
	char why[256], a[16], a6[46];

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
	cl->vaddr6 = cfg.vaddr6;
	if (cfg.vaddr6.prefix != 0)
		log_info("IPv6: %s/%u on %s, %u routes", ip6_str(cfg.vaddr6.addr,
		    a6), cfg.vaddr6.prefix, cl->dev, cfg.nroutes6);
	memcpy(cl->routes, cfg.routes, cfg.nroutes * sizeof(cfg.routes[0]));
	cl->nroutes = cfg.nroutes;
	cl->since = status_wallclock();
	cl->server_vaddr = cfg.server_vaddr;
	memcpy(cl->server_vaddr6, cfg.server_vaddr6, 16);
	cl->mtu = cfg.mtu;
	cl->dns.ndns = cfg.ndns;
	memcpy(cl->dns.dns, cfg.dns, sizeof(cfg.dns));
	cl->dns.ndomains = cfg.ndomains;
	memcpy(cl->dns.domains, cfg.domains, sizeof(cfg.domains));
	log_info("connected: %s/%u on %s, mtu %u, %u routes%s",
	    ip4_str(cfg.vaddr, a), cfg.prefix, cl->dev, cfg.mtu, cfg.nroutes,
	    cl->c->redirect_gateway ? ", redirect-gateway" : "");
	return 0;
}

#define CLIENT_OR_NONE(s) ((s)[0] != '\0' ? (s) : "none")

/* The pushed DNS servers, or domains, space-separated. */
static void
client_dns_list(const struct client *cl, bool domains, char *out,
    size_t size)
{
	char a[INET6_ADDRSTRLEN];
	unsigned n = domains ? cl->dns.ndomains : cl->dns.ndns;
	size_t len = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s",
		    i ? " " : "", domains ? cl->dns.domains[i] :
		    msg_dns_str(&cl->dns.dns[i], a));
}

/* The tunnel takes all IPv4 (or IPv6) traffic (ours or a pushed
 * redirect-gateway): so does DNS, for every name no other link claims. */
static bool
client_full_tunnel(const struct client *cl)
{
	for (unsigned i = 0; i < cl->nadded; i++)
		if (cl->added[i].dst.len <= 1)
			return true;
	return false;
}

/* Before the up hook, which learns whether it is done. */
static void
client_dns_apply(struct client *cl)
{
	char servers[MSG_DNS_MAX * INET6_ADDRSTRLEN];
	char domains[MSG_DOMAINS_MAX * (MSG_DOMAIN_MAX + 1)], why[512];

	cl->dns_by = "none";
	if (cl->dns.ndns == 0 && cl->dns.ndomains == 0)
		return;
	client_dns_list(cl, false, servers, sizeof(servers));
	client_dns_list(cl, true, domains, sizeof(domains));
	if (!dns_resolved(cl->resolvectl, sizeof(cl->resolvectl))) {
		cl->resolvectl[0] = '\0';
		if (cl->c->up[0] == '\0')
			log_warnx("the server pushed DNS (servers: %s; domains: "
			    "%s), but systemd-resolved is not running in this "
			    "network namespace and there is no up hook: nothing "
			    "applies it", CLIENT_OR_NONE(servers),
			    CLIENT_OR_NONE(domains));
		else
			cl->dns_by = "hook";
		return;
	}
	if (dns_apply(cl->resolvectl, cl->dev, &cl->dns, client_full_tunnel(cl),
	    why, sizeof(why)) == -1) {
		log_warnx("DNS not applied (the tunnel is up): %s", why);
		return;
	}
	cl->dns_by = "resolvectl";
	log_info("DNS on %s through systemd-resolved: servers %s; domains %s",
	    cl->dev, CLIENT_OR_NONE(servers), CLIENT_OR_NONE(domains));
}

/* After the down hook; tun keeps its name for the next session. */
static void
client_dns_revert(struct client *cl)
{
	char why[512];

	if (cl->resolvectl[0] != '\0' && dns_revert(cl->resolvectl, cl->dev,
	    why, sizeof(why)) == -1)
		log_warnx("DNS of %s not reverted: %s", cl->dev, why);
	cl->resolvectl[0] = '\0';
	cl->dns_by = "none";
}

/* What the client's hooks get; ROUTES are those it added to tun. */
static void
client_hook_env(const struct client *cl, struct hook_env *e,
    const char *event)
{
	char a[64], routes[(2 * MSG_ROUTES_MAX + CONF_REDIRECT_ROUTES) * 46] =
	    "";
	bool v6 = cl->vaddr6.prefix != 0;
	char prefix6[4];
	char servers[MSG_DNS_MAX * INET6_ADDRSTRLEN];
	char domains[MSG_DOMAINS_MAX * (MSG_DOMAIN_MAX + 1)];
	size_t n = 0;

	for (unsigned i = 0; i < cl->nadded && n < sizeof(routes); i++)
		n += (size_t)snprintf(routes + n, sizeof(routes) - n, "%s%s",
		    i ? " " : "", nl_prefix_str(&cl->added[i].dst, a,
		    sizeof(a)));
	snprintf(prefix6, sizeof(prefix6), "%u", cl->vaddr6.prefix);
	hook_env_init(e, event);
	hook_env_add(e, "ROLE", "client");
	hook_env_add(e, "DEV", "%s", cl->dev);
	hook_env_add(e, "LOCAL_ADDR", "%s", ip4_str(cl->vaddr, a));
	hook_env_add(e, "PREFIX", "%u", cl->prefix);
	hook_env_add(e, "PEER_ADDR", "%s", ip4_str(cl->server_vaddr, a));
	hook_env_add(e, "LOCAL_ADDR6", "%s", v6 ? ip6_str(cl->vaddr6.addr, a) :
	    "");
	hook_env_add(e, "PREFIX6", "%s", v6 ? prefix6 : "");
	hook_env_add(e, "PEER_ADDR6", "%s", v6 ? ip6_str(cl->server_vaddr6, a) :
	    "");
	hook_env_add(e, "MTU", "%u", cl->mtu);
	hook_env_add(e, "ROUTES", "%s", routes);
	hook_env_add(e, "REMOTE", "%s:%u", cl->c->remote_host,
	    cl->c->remote_port);
	hook_env_add(e, "SERVER_NAME", "%s", cl->c->server_name);
	client_dns_list(cl, false, servers, sizeof(servers));
	client_dns_list(cl, true, domains, sizeof(domains));
	hook_env_add(e, "DNS_SERVERS", "%s", servers);
	hook_env_add(e, "DNS_DOMAINS", "%s", domains);
	hook_env_add(e, "DNS_APPLIED", "%s",
	    strcmp(cl->dns_by, "resolvectl") == 0 ? "resolvectl" : "no");
}

/* up and down run as root (this process is), waited for. */
static int
client_hook(struct client *cl, const char *path, const char *event)
{
	struct hook_env e;
	int r;

	if (path[0] == '\0')
		return 0;
	client_hook_env(cl, &e, event);
	if ((r = hook_run(path, &e, HOOK_TIMEOUT)) != 0)
		log_warnx("%s %s: %s %d", event, path, r == -1 ? "did not start" :
		    "exit status", r);
	return r;
}

/* Before the session's addresses and routes leave tun. */
static void
client_hook_down(struct client *cl)
{
	if (!cl->hook_up)
		return;
	cl->hook_up = false;
	client_hook(cl, cl->c->down, "down");
}

/* The tunnel is up: a unit of Type=notify is started now (again after a
 * reconnect, which systemd takes as no change). */
static void
client_notify_up(const struct client *cl)
{
	char a[16];

	if (notify_sendf("READY=1\nSTATUS=connected: %s/%u on %s",
	    ip4_str(cl->vaddr, a), cl->prefix, cl->dev) == -1)
		log_warn("notify the service manager");
}

static void
client_dispatch_control(struct client *cl)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int r = msg_recv(cl->ctl, buf, sizeof(buf), &m);

	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == 1 && m.type == MSG_TUN_SERVER && cl->data_pid == 0) {
		struct sockaddr_storage ss;

		if (msg_get_tun_server(&m, &ss) == 0) {
			cl->server = client_host_prefix(&ss);
			return;
		}
		log_warnx("malformed TUN_SERVER from the control process");
	} else if (r == 1 && m.type == MSG_TUN_CONFIG && cl->data_pid == 0) {
		if (client_tun_config(cl, &m) == 0) {
			client_start_data(cl);
			cl->connected = true;
			client_dns_apply(cl);
			if (client_hook(cl, cl->c->up, "up") == 0) {
				cl->hook_up = true;
				client_notify_up(cl);
				return;
			}
			log_warnx("ending the session: the up hook failed");
		}
	} else if (r == 1 && m.type == MSG_REFUSED && cl->data_pid == 0) {
		/* The control process has logged it and ends next. */
		msg_get_text(&m, cl->reason, sizeof(cl->reason));
		cl->refused = cl->refused_now = true;
		client_notify(cl, CLIENT_EXIT_REFUSED, cl->reason);
		return;
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
	char a[16];

	if (stats_drain(cl->data, &cl->stats) == 0) {
		/* An authenticated packet from the server: traffic flows. */
		if (cl->stats.rx_last_ms != 0)
			client_notify(cl, 0, ip4_str(cl->vaddr, a));
		return;
	}
	if (errno != 0) {
		log_warn("from the data process");
		kill(cl->data_pid, SIGTERM);
	}
	client_close(&cl->data);
}

/* An attempt that did not connect; true if that was the last one
 * connect-retry-max allows. */
static bool
client_failed(struct client *cl)
{
	cl->failures++;
	cl->refused = cl->refused_now;
	if (!cl->refused && snprintf(cl->reason, sizeof(cl->reason),
	    "could not connect to %s:%u (see the log)", cl->c->remote_host,
	    cl->c->remote_port) < 0)
		cl->reason[0] = '\0';
	if (cl->c->connect_retries == 0 ||
	    cl->failures < cl->c->connect_retries)
		return false;
	cl->exit_code = cl->refused ? CLIENT_EXIT_REFUSED :
	    CLIENT_EXIT_GAVE_UP;
	log_warnx("giving up after %u attempts (connect-retry-max): %s",
	    cl->failures, cl->reason);
	client_notify(cl, cl->exit_code, cl->reason);
	return true;
}

/* Both halves are gone: wait, longer after each failure in a row. */
static void
client_session_over(struct client *cl)
{
	unsigned delay;

	client_close(&cl->ctl);
	client_close(&cl->data);
	client_close(&cl->data_end);
	client_hook_down(cl);
	client_dns_revert(cl);
	client_tun_clear(cl);
	if (cl->connected) {
		cl->backoff = cl->c->connect_retry;
		cl->failures = 0;
		cl->refused = false;
		cl->reason[0] = '\0';
	} else if (client_failed(cl))
		return;
	delay = cl->backoff;
	cl->backoff = cl->backoff * 2 > cl->c->connect_retry_max ?
	    cl->c->connect_retry_max : cl->backoff * 2;
	cl->connected = false;
	cl->retry_at = now_ms() + delay * 1000ULL;
	log_info("reconnecting in %u s", delay);
	notify_sendf("STATUS=reconnecting in %u s", delay);
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

static const char *
client_state(const struct client *cl)
{
	if (cl->data_pid > 0)
		return "connected";
	if (cl->refused)
		return "refused";	/* and tries again, unless it gave up */
	if (cl->control_pid > 0)
		return "connecting";
	return "waiting";	/* to try again */
}

static void
client_status_client(struct client *cl, struct status_out *o)
{
	char remote[300], vaddr[16], net[MSG_ROUTES_MAX][24];
	char dns[MSG_DNS_MAX][INET6_ADDRSTRLEN];
	const char *routes[MSG_ROUTES_MAX], *servers[MSG_DNS_MAX];
	const char *domains[MSG_DOMAINS_MAX];
	bool up = cl->data_pid > 0;

	snprintf(remote, sizeof(remote), strchr(cl->c->remote_host, ':') ?
	    "[%s]:%u" : "%s:%u", cl->c->remote_host, cl->c->remote_port);
	for (unsigned i = 0; up && i < cl->nroutes; i++) {
		snprintf(net[i], sizeof(net[i]), "%s/%u",
		    ip4_str(cl->routes[i].addr, vaddr), cl->routes[i].prefix);
		routes[i] = net[i];
	}
	status_record(o, "client", "client");
	status_str(o, "version", SIMPLETUN_VERSION);
	status_i64(o, "pid", getpid());
	status_str(o, "dev", cl->dev);
	status_str(o, "remote", remote);
	status_str(o, "server_name", cl->c->server_name);
	status_str(o, "state", client_state(cl));
	status_str(o, "reason", up || cl->reason[0] == '\0' ? NULL :
	    cl->reason);
	status_str(o, "vaddr", up ? ip4_str(cl->vaddr, vaddr) : NULL);
	status_u64(o, "prefix", up ? cl->prefix : 0);
	if (up && cl->vaddr6.prefix != 0) {
		char a6[46];

		status_str(o, "vaddr6", ip6_str(cl->vaddr6.addr, a6));
		status_u64(o, "prefix6", cl->vaddr6.prefix);
	}
	status_strs(o, "routes", routes, up ? cl->nroutes : 0);
	for (unsigned i = 0; up && i < cl->dns.ndns; i++)
		servers[i] = msg_dns_str(&cl->dns.dns[i], dns[i]);
	for (unsigned i = 0; up && i < cl->dns.ndomains; i++)
		domains[i] = cl->dns.domains[i];
	status_strs(o, "dns_servers", servers, up ? cl->dns.ndns : 0);
	status_strs(o, "dns_domains", domains, up ? cl->dns.ndomains : 0);
	status_str(o, "dns_applied_by", up ? cl->dns_by : NULL);
	status_u64(o, "attempts", cl->attempts);
	status_u64(o, "failures", cl->failures);
	status_i64(o, "control_pid", cl->control_pid);
	status_i64(o, "data_pid", cl->data_pid);
	status_end(o);
}

static void
client_status(struct client *cl)
{
	struct status_out o;
	char a[16];
	int fd;

	if ((fd = accept4(cl->status, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	status_open(&o, fd);
	client_status_client(cl, &o);
	if (cl->data_pid > 0) {
		status_record(&o, "session", "session");
		status_str(&o, "cn", cl->c->server_name);
		status_str(&o, "vaddr", ip4_str(cl->vaddr, a));
		status_time(&o, "connected_since", cl->since);
		status_traffic(&o, &cl->stats);
		status_end(&o);
	} else
		status_str(&o, "session", NULL);	/* JSON only */
	status_close(&o);
}

/* The control process says BYE to the server on its way out. */
static void
client_stop(struct client *cl)
{
	children_end(client_signal, cl, 3000);
	client_hook_down(cl);
	client_dns_revert(cl);
	client_tun_clear(cl);
	if (cl->c->status_socket[0] != '\0')
		unlink(cl->c->status_socket);
	if (cl->c->pidfile[0] != '\0')
		unlink(cl->c->pidfile);
}

/* We stay root, so the socket's directory may be made here (mode 0700). */
static void
client_status_open(struct client *cl)
{
	const char *path = cl->c->status_socket;
	bool removable;

	if (status_dir(path, 0, 0, &removable) == -1)
		fatal("directory of the status socket %s", path);
	if ((cl->status = status_listen(path)) == -1)
		fatal("status socket %s", path);
}

/* A client killed with a full tunnel up left its host route (its tun
 * routes went with its tun device): ours now, as our tun has its name. */
static void
client_stale(struct client *cl)
{
	char what[256];
	int r;

	if (redirect_init(&cl->redirect, cl->c->dev) == -1)
		fatal("network namespace");
	if ((r = redirect_stale(&cl->redirect, what, sizeof(what))) == -1)
		fatal("remove the %s", what);
	if (r == 1)
		log_info("removed the %s", what);
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
	if (cl->c->dev_type == CONF_DEV_TAP) {
		if ((cl->tun = tap_open(cl->dev, sizeof(cl->dev))) == -1)
			fatal("open tap device %s", cl->c->dev);
	} else if ((cl->tun = tun_open_vnet(cl->dev, sizeof(cl->dev), off,
	    sizeof(off))) != -1)
		log_info("%s: %s", cl->dev, off);
	else if ((cl->tun = tun_open(cl->dev, sizeof(cl->dev))) != -1)
		log_warn("%s: no offloads (IFF_VNET_HDR)", cl->dev);
	else
		fatal("open tun device %s", cl->c->dev);
	if (fd_nonblock(cl->tun) == -1 ||
	    (cl->base_mtu = tun_get_mtu(cl->dev)) == -1)
		fatal("tun");
	client_stale(cl);
	cl->status = -1;
	if (cl->c->status_socket[0] != '\0')
		client_status_open(cl);
}

/* The foreground of --daemon: waits for the word of the background
 * client, or its end. */
static int
client_foreground(int fd, pid_t pid)
{
	char line[MSG_REASON_MAX + 16], *why;
	ssize_t n;
	long code;
	int st;

	while ((n = read(fd, line, sizeof(line) - 1)) == -1 && errno == EINTR)
		;
	close(fd);
	if (n > 0) {
		line[n] = '\0';
		code = strtol(line, &why, 10);
		if (*why == ' ')
			why++;
		if (code == 0)
			return 0;
		fprintf(stderr, "simpletun: %s%s\n", why,
		    code == CLIENT_EXIT_REFUSED && waitpid(pid, &st, WNOHANG) ==
		    0 ? " (the client goes on trying in the background)" : "");
		return (int)code;
	}
	if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) != 0)
		return WEXITSTATUS(st);
	fprintf(stderr, "simpletun: the client ended before it connected\n");
	return 3;
}

/* --daemon: the foreground returns what client_notify says; the rest of
 * client_main runs in the background, in a session of its own. */
static void
client_daemonize(struct client *cl)
{
	int p[2], null;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	fflush(NULL);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		exit(client_foreground(p[0], pid));
	}
	close(p[0]);
	cl->notify = p[1];
	if (setsid() == -1)
		fatal("setsid");
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    dup2(null, STDIN_FILENO) == -1 || dup2(null, STDOUT_FILENO) == -1)
		fatal("/dev/null");
	close(null);
}

static void
client_pidfile(const struct client *cl)
{
	const char *path = cl->c->pidfile;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1 || dprintf(fd, "%d\n", (int)getpid()) < 0)
		fatal("pidfile %s", path);
	close(fd);
}

int
client_main(struct conf *c)
{
	enum { P_STATUS, P_CTL, P_DATA, P_COUNT };
	struct client cl = { .c = c, .ctl = -1, .data = -1, .data_end = -1,
	    .backoff = c->connect_retry, .notify = -1, .exit_code = -1,
	    .dns_by = "none" };
	struct pollfd pfd[P_COUNT];

	log_set_exit_code(2);
	if (c->daemon)
		client_daemonize(&cl);
	if (c->pidfile[0] != '\0')
		client_pidfile(&cl);
	client_open(&cl);
	sig_setup();
	log_set_exit_code(3);
	while (!sig_term && cl.exit_code == -1) {
		int timeout = -1;

		if (sig_chld)
			client_reap(&cl);
		if (cl.exit_code != -1)
			break;
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
	notify_send("STOPPING=1");
	client_stop(&cl);
	return cl.exit_code == -1 ? 0 : cl.exit_code;
}
