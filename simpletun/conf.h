/* Configuration: one table of directives feeds the config file, the command
 * line (--directive value, which wins), --help and the man page. */
#ifndef CONF_H
#define CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>
#include <sys/socket.h>

enum conf_role {
	CONF_SERVER = 1,
	CONF_CLIENT = 2,
	CONF_STATUS = 4,
};

enum conf_dup_cn {
	CONF_DUP_REPLACE,	/* a new session for a live CN ends the old one */
	CONF_DUP_REFUSE,	/* a new session for a live CN is refused */
};

/* What a running server does with a directive when SIGHUP re-reads its
 * configuration. */
enum conf_reload {
	CONF_RELOAD_RESTART,	/* kept as it was: only a restart changes it */
	CONF_RELOAD_NEW,	/* applies from the reload on: new sessions,
				   new connections, the server's own limits */
	CONF_RELOAD_LIVE,	/* as NEW, and the running sessions are told */
};

/* dev-type: what the device carries. Both sides must agree (HELLO). */
enum conf_dev_type {
	CONF_DEV_TUN,		/* IPv4 and IPv6 packets */
	CONF_DEV_TAP,		/* Ethernet frames */
};

struct conf_route {
	uint32_t addr;		/* host byte order, host bits zero */
	uint8_t prefix;
};

/* An IPv6 network: network order, host bits zero. */
struct conf_net6 {
	uint8_t addr[16];
	uint8_t prefix;
};

/* pull-filter: a pushed route inside the rule's network (of its family)
 * is taken or ignored. */
struct conf_pull_filter {
	bool v6;		/* an IPv6 network (addr6), else IPv4 (addr) */
	uint32_t addr;		/* host byte order, host bits zero */
	uint8_t addr6[16];	/* network order, host bits zero */
	uint8_t prefix;		/* 0..32, or 0..128 for IPv6 */
	bool ignore;		/* false: accept */
};

/* fixed-address: one CN's IPv4 address, IPv6 address, or both. */
struct conf_fixed {
	char cn[65];
	bool has4, has6;
	uint32_t addr;		/* host byte order */
	uint8_t addr6[16];
};

/* client-network: a network behind the client whose certificate has cn
 * (OpenVPN's iroute with its route). */
struct conf_client_net {
	char cn[65];
	bool v6;		/* an IPv6 network (addr6), else IPv4 (addr) */
	uint32_t addr;		/* host byte order, host bits zero */
	uint8_t addr6[16];	/* network order, host bits zero */
	uint8_t prefix;		/* 8..32, or 16..128 for IPv6 */
};

/* push-dns: a DNS server, IPv4 or IPv6, network order. */
struct conf_dns {
	uint8_t family;		/* 4 or 6 */
	uint8_t addr[16];	/* IPv4 in the first 4, the rest 0 */
};

#define CONF_DNS_MAX 4		/* = MSG_DNS_MAX */
#define CONF_DOMAINS_MAX 4	/* = MSG_DOMAINS_MAX */
#define CONF_DOMAIN_MAX 253	/* = MSG_DOMAIN_MAX */
#define CONF_ROUTES_MAX 64
#define CONF_CLIENT_NETS_MAX 64
#define CONF_FIXED_MAX 1024
#define CONF_PULL_FILTERS_MAX 64
#define CONF_PATH_MAX 4096
#define CONF_STATUS_DIR "/run/simpletun"	/* default status sockets */

struct conf {
	enum conf_role role;

	/* both */
	char dev[IFNAMSIZ];
	char ca[CONF_PATH_MAX];
	char cert[CONF_PATH_MAX];
	char key[CONF_PATH_MAX];
	char crl[CONF_PATH_MAX];		/* "" if none */
	char user[64];				/* "" keeps root */
	char status_socket[108];		/* "" if none */
	char up[CONF_PATH_MAX];			/* hooks, "" if none */
	char down[CONF_PATH_MAX];
	char client_connect[CONF_PATH_MAX];	/* server only */
	char client_disconnect[CONF_PATH_MAX];
	bool json;				/* status: print JSON */
	unsigned connect_retries;		/* client: attempts; 0: no end */
	bool daemon;				/* client: --daemon */
	char pidfile[CONF_PATH_MAX];		/* client: "" if none */
	unsigned keepalive_interval;		/* seconds */
	unsigned keepalive_timeout;		/* seconds */
	bool keepalive_set;			/* given explicitly */
	unsigned handshake_timeout;		/* seconds */
	unsigned mtu;
	unsigned verbose;			/* 0 warnings, 1 events, 2 debug */
	enum conf_dev_type dev_type;

	/* server */
	struct sockaddr_storage listen;
	socklen_t listen_len;
	uint32_t pool_addr;			/* host order, network address */
	uint8_t pool_prefix;			/* 0: no pool configured */
	struct conf_net6 pool6;			/* prefix 0: no IPv6 */
	bool client_to_client;
	unsigned max_clients;
	unsigned max_handshakes;		/* in progress, all sources */
	unsigned max_handshakes_per_source;
	enum conf_dup_cn duplicate_cn;
	unsigned udp_port;			/* 0: listen's port */
	uint32_t session_uid_first;		/* uid and gid of slot 0 */
	uint32_t session_uid_count;		/* >= max_clients */
	unsigned reneg_sec;			/* 0: no time-based rekey */
	struct conf_route routes[CONF_ROUTES_MAX];	/* push-route */
	unsigned nroutes;
	struct conf_net6 routes6[CONF_ROUTES_MAX];	/* push-route, IPv6 */
	unsigned nroutes6;
	struct conf_fixed *fixed;		/* fixed-address, heap */
	unsigned nfixed;
	struct conf_client_net client_nets[CONF_CLIENT_NETS_MAX];
	unsigned nclient_nets;
	bool push_client_nets;			/* to the other clients */
	bool push_redirect_gateway;		/* push 0.0.0.0/1, 128.0.0.0/1 */
	struct conf_dns dns[CONF_DNS_MAX];	/* push-dns */
	unsigned ndns;
	char domains[CONF_DOMAINS_MAX][CONF_DOMAIN_MAX + 1];	/* push-domain */
	unsigned ndomains;
	char masquerade[IFNAMSIZ];		/* "" if none */
	unsigned mac_age;			/* tap: seconds a MAC stays
						   owned without a frame */
	unsigned max_macs;			/* tap: per session */

	/* client */
	char remote_host[256];
	uint16_t remote_port;
	char server_name[256];
	unsigned connect_retry;			/* first backoff, seconds */
	unsigned connect_retry_max;		/* backoff cap, seconds */
	bool allow_full_tunnel;			/* pushed routes may cover
						   our own networks */
	bool route_nopull;			/* take no pushed route */
	bool redirect_gateway;			/* all traffic into the tunnel */
	struct conf_pull_filter pull_filters[CONF_PULL_FILTERS_MAX];
	unsigned npull_filters;
};

/* argv holds only the words after the subcommand. Fills c with defaults
 * for role, then applies --config FILE (if any) and
 * then the other --directive arguments. On error returns -1 and writes one
 * line naming the problem (file:line: or --flag:) into err. */
int conf_load(struct conf *c, enum conf_role role, int argc, char **argv,
    char *err, size_t errlen);
/* Like conf_load with only --config, but reads the text from fd, from its
 * start: a child gets its configuration this way from its parent. fd stays
 * the caller's (its offset moves); errors name it "configuration from the
 * parent" in place of a file name. */
int conf_load_fd(struct conf *c, enum conf_role role, int fd, char *err,
    size_t errlen);
/* Writes c as config file text for c->role: every directive of the role
 * with its value, repeatable ones once per entry, unset optional ones left
 * out, so that conf_load_fd of the text with that role gives back c. */
void conf_dump(const struct conf *c, FILE *out);
/* The server's one UDP port: udp-port, or else the port of listen. */
uint16_t conf_udp_port(const struct conf *c);
/* The client-network entry whose network holds addr (host order), or -1;
 * _of6: the same for an IPv6 address (network order). */
int conf_client_net_of(const struct conf *c, uint32_t addr);
int conf_client_net_of6(const struct conf *c, const uint8_t addr[16]);
/* The largest packet (tun) or frame (tap) the tunnel carries: the MTU,
 * plus an Ethernet header in tap mode. */
#define CONF_ETH_HLEN 14
static inline unsigned
conf_frame_max(const struct conf *c)
{
	return c->mtu + (c->dev_type == CONF_DEV_TAP ? CONF_ETH_HLEN : 0);
}
/* Session slots (and uids): established sessions plus handshakes. */
unsigned conf_slots(const struct conf *c);
/* Checks the loaded configuration as a whole (required directives, files
 * readable, pool large enough, fixed addresses inside the pool, session
 * uids enough for max-clients and used by no user or group, and a CONFIG
 * that a client with default settings takes: msg_config_judge). */
int conf_check(const struct conf *c, char *err, size_t errlen);
/* conf_check for a server's reload, as its unprivileged acceptor: the
 * files of directives that need a restart are not opened again (they were
 * read at startup and are not read again). */
int conf_check_reload(const struct conf *c, char *err, size_t errlen);
/* SIGHUP: next is the configuration as loaded now, cur the one running.
 * next becomes what runs from here: every directive that a reload may
 * change takes next's value, every other one keeps cur's; those whose
 * value differs are named in restart as "a, b" ("" if none). -1 with err
 * if the merged text does not load (next is then freed). */
int conf_reload(const struct conf *cur, struct conf *next, char *restart,
    size_t restartlen, char *err, size_t errlen);
/* Writes the directives of role, with their arguments, defaults and help. */
void conf_help(FILE *out, enum conf_role role);
/* Writes the man page simpletun(8) in roff: fixed prose, and every
 * directive of every role from the same table as conf_help. */
void conf_man(FILE *out);
void conf_free(struct conf *c);
/* Whether a client takes the pushed route net/prefix (host order): none
 * with route-nopull, nor one that redirect-gateway adds itself; else the
 * first pull-filter rule whose network (of the route's family) holds the
 * route decides; a route no rule holds is taken. *rule (if rule is not
 * NULL) is the deciding rule, or NULL. _route6: the same for an IPv6 route
 * (network order). */
bool conf_pull_route(const struct conf *c, uint32_t net, uint8_t prefix,
    const struct conf_pull_filter **rule);
bool conf_pull_route6(const struct conf *c, const uint8_t net[16],
    uint8_t prefix, const struct conf_pull_filter **rule);
/* Drops from cfg the pushed routes of both families that c does not take
 * (as above); ignored, if not NULL, hears of each one that a pull-filter
 * rule dropped. The client's parent and its control process both filter
 * so, and so judge the same routes. */
struct msg_config;
struct msg_net;
void conf_pull_config(const struct conf *c, struct msg_config *cfg,
    void (*ignored)(const struct msg_net *, const struct conf_pull_filter *));
/* The two routes of a full tunnel (OpenVPN's def1): 0.0.0.0/1 and
 * 128.0.0.0/1, longer than any default route and together covering all. */
#define CONF_REDIRECT_ROUTES 2
extern const struct conf_route conf_redirect_routes[CONF_REDIRECT_ROUTES];

#endif
