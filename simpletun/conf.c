/* Configuration: the directive table below is the one source of the config
 * file syntax, the command line flags, the defaults, --help and the man
 * page. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "msg.h"
#include "pool.h"

/* Characters in a config file line: room for any directive with a value
 * as long as its field holds, as conf_dump writes it. */
#define CONF_LINE_MAX 8192
#define CONF_ARGS_MAX 2		/* arguments of the widest directive */
#define CONF_MSG_MAX 512	/* a parser's error text before its prefix */
#define CONF_DEFAULT_PORT 1194
#define CONF_CN_MAX 64
/* Session ids end below this: the last is 4294967293, so (uid_t)-1, "no
 * change" to setresuid() and chown(), is never one. */
#define CONF_ID_END 4294967294UL
#define CONF_FD_NAME "configuration from the parent"

_Static_assert(CONF_LINE_MAX >= 32 + CONF_PATH_MAX,
    "a config line holds a directive name, a blank and a whole path");

enum conf_type {
	T_STRING,
	T_PATH,		/* a string that conf_check opens */
	T_UINT,
	T_BOOL,
	T_FLAG,		/* no argument: given means yes */
	T_ADDRPORT,
	T_CIDR,
	T_CIDR6,	/* an IPv6 network: struct conf_net6 at off */
	T_KEEPALIVE,
	T_PAIR,
	T_IDS,		/* FIRST COUNT: a block of uids and gids */
	T_ENUM,
	T_FIXED,
	T_ROUTE,
	T_REMOTE,
	T_PULL_FILTER,
	T_CLIENT_NET,
	T_DNS,
	T_DOMAIN,
};

enum conf_group {
	G_TLS,
	G_TUNNEL,
	G_PROCESS,
	G_SERVER,
	G_CLIENT,
	G_COUNT,
};

struct directive {
	const char *name;
	const char *args;		/* synopsis, for --help and errors */
	enum conf_type type;
	unsigned roles;			/* where it is valid: enum conf_role */
	unsigned required;		/* roles that must give it */
	const char *def;		/* parsed like config file text */
	enum conf_group group;
	const char *help;
	size_t off;			/* field in struct conf */
	size_t off2;			/* second field of a pair or CIDR */
	size_t size;			/* of a string field */
	unsigned long min;		/* T_IDS: the lowest FIRST */
	unsigned long max;		/* T_IDS: the largest COUNT */
	const char *const *choices;	/* T_ENUM, NULL-terminated */
	/* What a server's SIGHUP does with it (conf_reload); a directive
	 * without this needs a restart, which is the safe default. */
	enum conf_reload reload;
};

/* Where a directive came from, for error messages. */
struct src {
	const char *file;		/* NULL: the command line */
	unsigned line;			/* 0: the file as a whole */
};

typedef int conf_parse_fn(struct conf *, const struct directive *, char **,
    char *, size_t);

/* Writes the directive's lines, as the parser of its type reads them. */
typedef void conf_dump_fn(FILE *, const struct conf *,
    const struct directive *);

static conf_parse_fn parse_string, parse_uint, parse_bool, parse_flag,
    parse_addrport,
    parse_cidr, parse_cidr6, parse_keepalive, parse_pair, parse_ids, parse_enum,
    parse_fixed, parse_route, parse_remote, parse_pull_filter,
    parse_client_net, parse_dns, parse_domain;
static conf_dump_fn dump_string, dump_uint, dump_bool, dump_flag,
    dump_addrport,
    dump_cidr, dump_cidr6, dump_pair, dump_enum, dump_fixed, dump_route,
    dump_remote, dump_pull_filter, dump_client_net, dump_dns, dump_domain;

static const struct {
	int nargs;
	bool repeatable;
	conf_parse_fn *parse;
	conf_dump_fn *dump;
} conf_types[] = {
	[T_STRING] = { 1, false, parse_string, dump_string },
	[T_PATH] = { 1, false, parse_string, dump_string },
	[T_UINT] = { 1, false, parse_uint, dump_uint },
	[T_BOOL] = { 1, false, parse_bool, dump_bool },
	[T_FLAG] = { 0, false, parse_flag, dump_flag },
	[T_ADDRPORT] = { 1, false, parse_addrport, dump_addrport },
	[T_CIDR] = { 1, false, parse_cidr, dump_cidr },
	[T_CIDR6] = { 1, false, parse_cidr6, dump_cidr6 },
	[T_KEEPALIVE] = { 2, false, parse_keepalive, dump_pair },
	[T_PAIR] = { 2, false, parse_pair, dump_pair },
	[T_IDS] = { 2, false, parse_ids, dump_pair },
	[T_ENUM] = { 1, false, parse_enum, dump_enum },
	[T_FIXED] = { 2, true, parse_fixed, dump_fixed },
	[T_ROUTE] = { 1, true, parse_route, dump_route },
	[T_REMOTE] = { 1, false, parse_remote, dump_remote },
	[T_PULL_FILTER] = { 2, true, parse_pull_filter, dump_pull_filter },
	[T_CLIENT_NET] = { 2, true, parse_client_net, dump_client_net },
	[T_DNS] = { 1, true, parse_dns, dump_dns },
	[T_DOMAIN] = { 1, true, parse_domain, dump_domain },
};

static const char *const conf_group_names[G_COUNT] = {
	[G_TLS] = "TLS",
	[G_TUNNEL] = "Tunnel",
	[G_PROCESS] = "Process",
	[G_SERVER] = "Server",
	[G_CLIENT] = "Client",
};

static const char *const dev_type_names[] = {
	[CONF_DEV_TUN] = "tun",
	[CONF_DEV_TAP] = "tap",
	NULL,
};

static const char *const dup_cn_names[] = {
	[CONF_DUP_REPLACE] = "replace",
	[CONF_DUP_REFUSE] = "refuse",
	NULL,
};

#define SRV CONF_SERVER
#define CLI CONF_CLIENT
#define STA CONF_STATUS
#define OFF(f) offsetof(struct conf, f)
#define SIZE(f) sizeof(((struct conf *)0)->f)

static const struct directive directives[] = {
	{ .name = "ca", .args = "FILE", .type = T_PATH, .roles = SRV | CLI,
	  .required = SRV | CLI, .group = G_TLS,
	  .help = "CA certificates that sign the peer's certificate",
	  .off = OFF(ca), .size = SIZE(ca) },
	{ .name = "cert", .args = "FILE", .type = T_PATH, .roles = SRV | CLI,
	  .required = SRV | CLI, .group = G_TLS,
	  .help = "this host's certificate (chain)",
	  .off = OFF(cert), .size = SIZE(cert) },
	{ .name = "key", .args = "FILE", .type = T_PATH, .roles = SRV | CLI,
	  .required = SRV | CLI, .group = G_TLS,
	  .help = "private key of cert",
	  .off = OFF(key), .size = SIZE(key) },
	{ .name = "crl", .args = "FILE", .type = T_PATH, .roles = SRV | CLI,
	  .group = G_TLS,
	  .help = "revocation list to check the peer's certificate against",
	  .off = OFF(crl), .size = SIZE(crl),
	  .reload = CONF_RELOAD_NEW },
	{ .name = "handshake-timeout", .args = "SECONDS", .type = T_UINT,
	  .roles = SRV | CLI, .def = "10", .group = G_TLS,
	  .help = "give up on a TLS handshake after SECONDS (1..300)",
	  .off = OFF(handshake_timeout), .min = 1, .max = 300,
	  .reload = CONF_RELOAD_NEW },
	{ .name = "reneg-sec", .args = "SECONDS", .type = T_UINT,
	  .roles = CLI, .def = "3600", .group = G_TLS,
	  .help = "rekey the data channel this often (the client leads); "
	  "0 turns it off",
	  .off = OFF(reneg_sec), .min = 0, .max = 7 * 86400 },
	{ .name = "dev", .args = "NAME", .type = T_STRING, .roles = SRV | CLI,
	  .def = "stun0", .group = G_TUNNEL,
	  .help = "tun device to create",
	  .off = OFF(dev), .size = SIZE(dev) },
	{ .name = "dev-type", .args = "tun|tap", .type = T_ENUM,
	  .roles = SRV | CLI, .def = "tun", .group = G_TUNNEL,
	  .help = "what the device carries: IPv4 packets (tun) or Ethernet "
	    "frames (tap, one layer-2 segment of the server and every "
	    "client); client and server must agree, or the server refuses "
	    "the session",
	  .off = OFF(dev_type), .choices = dev_type_names },
	{ .name = "mac-age", .args = "SECONDS", .type = T_UINT, .roles = SRV,
	  .def = "300", .group = G_TUNNEL,
	  .help = "tap: a MAC address a session has sent no frame from for "
	    "SECONDS (10..86400) may give its place to a new one of that "
	    "session; no other session can take it until the session ends",
	  .off = OFF(mac_age), .min = 10, .max = 86400 },
	{ .name = "max-macs-per-client", .args = "N", .type = T_UINT,
	  .roles = SRV, .def = "4", .group = G_TUNNEL,
	  .help = "tap: MAC addresses a session may send from (1..64), the "
	    "first ones it uses; frames from others are dropped and counted "
	    "(mac_refused in status)",
	  .off = OFF(max_macs), .min = 1, .max = 64 },
	{ .name = "mtu", .args = "N", .type = T_UINT, .roles = SRV,
	  .def = "1420", .group = G_TUNNEL,
	  .help = "tunnel MTU (576..9000), pushed to clients",
	  .off = OFF(mtu), .min = 576, .max = 9000 },
	{ .name = "keepalive", .args = "INTERVAL TIMEOUT", .type = T_KEEPALIVE,
	  .roles = SRV | CLI, .def = "10 60", .group = G_TUNNEL,
	  .help = "send a keepalive after INTERVAL quiet seconds, drop the "
	    "peer after TIMEOUT silent ones (1..3600); a client takes the "
	    "server's unless given",
	  .off = OFF(keepalive_interval), .off2 = OFF(keepalive_timeout),
	  .min = 1, .max = 3600,
	  .reload = CONF_RELOAD_NEW },
	{ .name = "user", .args = "NAME", .type = T_STRING, .roles = SRV | CLI,
	  .def = "nobody", .group = G_PROCESS,
	  .help = "drop privileges to NAME once devices and sockets are open",
	  .off = OFF(user), .size = SIZE(user) },
	{ .name = "status-socket", .args = "PATH|none", .type = T_STRING,
	  .roles = SRV | CLI | STA, .group = G_PROCESS,
	  .help = "unix socket that 'simpletun status' asks (mode 0600, "
	    "made by root: only root may ask). "
	    "Default: " CONF_STATUS_DIR "/NAME.sock, NAME being the "
	    "configuration file's name without its directory and a final "
	    "\".conf\" (server or client without a configuration file); none "
	    "turns it off. 'simpletun status --config FILE' finds the socket "
	    "of the daemon started with FILE the same way; 'simpletun status' "
	    "alone asks " CONF_STATUS_DIR "/server.sock, or client.sock if "
	    "there is no server.sock",
	  .off = OFF(status_socket), .size = SIZE(status_socket) },
	{ .name = "json", .args = "", .type = T_FLAG, .roles = STA,
	  .group = G_PROCESS,
	  .help = "print the status as one JSON document (see STATUS) "
	    "instead of key=value lines",
	  .off = OFF(json) },
	{ .name = "up", .args = "PROGRAM", .type = T_PATH, .roles = SRV | CLI,
	  .group = G_PROCESS,
	  .help = "run PROGRAM (an absolute path, no arguments) as root once "
	    "the tunnel is up, with SIMPLETUN_* variables (see Hooks in "
	    "README.md); a failure stops the server, or ends the client's "
	    "session",
	  .off = OFF(up), .size = SIZE(up) },
	{ .name = "down", .args = "PROGRAM", .type = T_PATH,
	  .roles = SRV | CLI, .group = G_PROCESS,
	  .help = "run PROGRAM as root when the tunnel goes down (after an up "
	    "that succeeded), with the same variables",
	  .off = OFF(down), .size = SIZE(down) },
	{ .name = "client-connect", .args = "PROGRAM", .type = T_PATH,
	  .roles = SRV, .group = G_PROCESS,
	  .help = "run PROGRAM as root for each authenticated client before "
	    "it gets its address; a non-zero exit refuses that client, "
	    "which logs why",
	  .off = OFF(client_connect), .size = SIZE(client_connect) },
	{ .name = "client-disconnect", .args = "PROGRAM", .type = T_PATH,
	  .roles = SRV, .group = G_PROCESS,
	  .help = "run PROGRAM as root when a session that got its address "
	    "ends, however it ends",
	  .off = OFF(client_disconnect), .size = SIZE(client_disconnect) },
	{ .name = "verb", .args = "N", .type = T_UINT, .roles = SRV | CLI,
	  .def = "1", .group = G_PROCESS,
	  .help = "log verbosity: 0 warnings only, 1 events, 2 debug",
	  .off = OFF(verbose), .min = 0, .max = 2 },
	/* 0x70000000: above systemd's container range (524288..1879048191)
	 * and below its foreign range (0x7FFE0000..), so no distribution
	 * allocates these ids. */
	{ .name = "session-users", .args = "FIRST COUNT", .type = T_IDS,
	  .roles = SRV, .def = "1879048192 65536", .group = G_PROCESS,
	  .help = "each session runs as uid and gid FIRST+slot (FIRST at "
	    "least 1000, COUNT 1..65536 and at least max-clients + "
	    "max-handshakes), ids no "
	    "user or group may hold; the default lies between systemd's "
	    "container and foreign ranges, which no distribution allocates",
	  .off = OFF(session_uid_first), .off2 = OFF(session_uid_count),
	  .min = 1000, .max = 65536 },
	{ .name = "listen", .args = "ADDR:PORT", .type = T_ADDRPORT,
	  .roles = SRV, .def = "0.0.0.0:1194", .group = G_SERVER,
	  .help = "TCP address to accept clients on, and of the UDP port; "
	    "[IPv6]:PORT for IPv6. [::]:PORT takes IPv6 and IPv4 clients "
	    "on one socket (IPV6_V6ONLY off, whatever net.ipv6.bindv6only "
	    "says); 0.0.0.0:PORT or an IPv4 address takes IPv4 only, an "
	    "IPv6 address IPv6 only",
	  .off = OFF(listen), .off2 = OFF(listen_len) },
	{ .name = "udp-port", .args = "PORT", .type = T_UINT, .roles = SRV,
	  .def = "0", .group = G_SERVER,
	  .help = "the one UDP port of the data channel (0..65535); 0 takes "
	    "the port of listen",
	  .off = OFF(udp_port), .min = 0, .max = 65535 },
	{ .name = "pool", .args = "CIDR", .type = T_CIDR, .roles = SRV,
	  .required = SRV, .group = G_SERVER,
	  .help = "IPv4 network of virtual addresses (prefix 8..30); the "
	    "first host address is the server's",
	  .off = OFF(pool_addr), .off2 = OFF(pool_prefix), .min = 8,
	  .max = 30 },
	{ .name = "pool6", .args = "CIDR", .type = T_CIDR6, .roles = SRV,
	  .group = G_SERVER,
	  .help = "IPv6 network of virtual addresses beside pool (prefix "
	    "64..124, e.g. 2001:db8:1::/64): the server takes its first "
	    "host address, each session one more (the lowest free of its "
	    "first 65536)",
	  .off = OFF(pool6), .min = POOL6_PREFIX_MIN,
	  .max = POOL6_PREFIX_MAX },
	{ .name = "client-to-client", .args = "yes|no", .type = T_BOOL,
	  .roles = SRV, .def = "yes", .group = G_SERVER,
	  .help = "let clients reach each other through the server",
	  .off = OFF(client_to_client),
	  .reload = CONF_RELOAD_LIVE },
	{ .name = "max-clients", .args = "N", .type = T_UINT, .roles = SRV,
	  .def = "64", .group = G_SERVER,
	  .help = "established sessions at a time (1..1024)",
	  .off = OFF(max_clients), .min = 1, .max = 1024,
	  .reload = CONF_RELOAD_NEW },
	{ .name = "max-handshakes", .args = "N", .type = T_UINT, .roles = SRV,
	  .def = "64", .group = G_SERVER,
	  .help = "TLS handshakes in progress at a time (1..1024), on top of "
	    "max-clients: connections that have not authenticated never take "
	    "an established session's place",
	  .off = OFF(max_handshakes), .min = 1, .max = 1024,
	  .reload = CONF_RELOAD_NEW },
	{ .name = "max-handshakes-per-source", .args = "N", .type = T_UINT,
	  .roles = SRV, .def = "8", .group = G_SERVER,
	  .help = "TLS handshakes in progress from one address, or one "
	    "IPv6 /64 (1..1024); more connections from it are closed at "
	    "once",
	  .off = OFF(max_handshakes_per_source), .min = 1, .max = 1024,
	  .reload = CONF_RELOAD_NEW },
	{ .name = "duplicate-cn", .args = "replace|refuse", .type = T_ENUM,
	  .roles = SRV, .def = "replace", .group = G_SERVER,
	  .help = "what a new session does to a live one with the same CN",
	  .off = OFF(duplicate_cn), .choices = dup_cn_names,
	  .reload = CONF_RELOAD_NEW },
	{ .name = "push-route", .args = "CIDR", .type = T_ROUTE, .roles = SRV,
	  .group = G_SERVER,
	  .help = "route clients send into the tunnel, IPv4 or (with pool6) "
	    "IPv6 (repeatable, at most 64 of each)",
	  .reload = CONF_RELOAD_NEW },
	{ .name = "push-redirect-gateway", .args = "yes|no", .type = T_BOOL,
	  .roles = SRV, .def = "no", .group = G_SERVER,
	  .help = "push a full tunnel: the routes 0.0.0.0/1 and 128.0.0.0/1 "
	    "(OpenVPN's redirect-gateway def1), which a client takes only "
	    "with allow-full-tunnel yes (or drops, with redirect-gateway "
	    "yes of its own, route-nopull or a pull-filter ignore); the "
	    "client keeps the server reachable through its old gateway",
	  .off = OFF(push_redirect_gateway), .reload = CONF_RELOAD_NEW },
	{ .name = "push-dns", .args = "ADDR", .type = T_DNS, .roles = SRV,
	  .group = G_SERVER,
	  .help = "a DNS server (IPv4 or IPv6 address) for clients "
	    "(repeatable, at most 4, in the order given). A client applies "
	    "the servers and domains with resolvectl on its tun device when "
	    "systemd-resolved runs in its network namespace, and hands them "
	    "to its up and down hooks in any case (see DNS in README.md)",
	  .reload = CONF_RELOAD_NEW },
	{ .name = "push-domain", .args = "NAME", .type = T_DOMAIN,
	  .roles = SRV, .group = G_SERVER,
	  .help = "a DNS search domain for clients (repeatable, at most 4): "
	    "a name of dot-separated labels of letters, digits and '-', at "
	    "most 253 characters, no trailing dot",
	  .reload = CONF_RELOAD_NEW },
	{ .name = "masquerade", .args = "IFACE", .type = T_STRING,
	  .roles = SRV, .group = G_SERVER,
	  .help = "source-NAT the pool's packets that leave through IFACE to "
	    "IFACE's address, in an nftables table of our own (ip "
	    "simpletun-DEV, DEV our tun device) that the kernel removes with "
	    "the server, however it ends; IPv4 forwarding must be on (the "
	    "server warns when it is off)",
	  .off = OFF(masquerade), .size = SIZE(masquerade) },
	{ .name = "fixed-address", .args = "CN ADDR", .type = T_FIXED,
	  .roles = SRV, .group = G_SERVER,
	  .help = "always give ADDR from the pool (IPv4) or pool6 (IPv6) to "
	    "certificate CN; repeatable, once per CN and family",
	  .reload = CONF_RELOAD_NEW },
	{ .name = "client-network", .args = "CN CIDR", .type = T_CLIENT_NET,
	  .roles = SRV, .group = G_SERVER,
	  .help = "a network behind the client with certificate CN, IPv4 "
	    "(prefix 8..32) or, with pool6, IPv6 (prefix 16..128; "
	    "repeatable, at most 64): the server routes it into its tun "
	    "device at startup, sends its packets to that client's session "
	    "while it is connected (and drops and counts them while not), "
	    "accepts packets from that client with a source inside it, and "
	    "pushes it to the other clients (push-client-networks). Networks "
	    "may not overlap each other, the pool or pool6, or have a "
	    "push-route inside them. The client forwards between its network "
	    "and the tunnel (its ip_forward or IPv6 forwarding is the admin's "
	    "job)" },
	{ .name = "push-client-networks", .args = "yes|no", .type = T_BOOL,
	  .roles = SRV, .def = "yes", .group = G_SERVER,
	  .help = "push each client-network as a route to the other clients "
	    "(only with client-to-client, which lets them reach it)",
	  .off = OFF(push_client_nets),
	  .reload = CONF_RELOAD_NEW },
	{ .name = "remote", .args = "HOST[:PORT]", .type = T_REMOTE,
	  .roles = CLI, .required = CLI, .group = G_CLIENT,
	  .help = "server to connect to: name, IPv4 or [IPv6]; port 1194 "
	    "unless given. A name's addresses (IPv6 and IPv4, in the "
	    "resolver's order) are tried in turn; the data channel uses the "
	    "family and address that answered" },
	{ .name = "server-name", .args = "NAME", .type = T_STRING,
	  .roles = CLI, .group = G_CLIENT,
	  .help = "name the server's certificate must carry (default: the "
	    "host of remote)",
	  .off = OFF(server_name), .size = SIZE(server_name) },
	{ .name = "connect-retry", .args = "INITIAL MAX", .type = T_PAIR,
	  .roles = CLI, .def = "1 60", .group = G_CLIENT,
	  .help = "seconds before reconnecting, doubling up to MAX (1..3600)",
	  .off = OFF(connect_retry), .off2 = OFF(connect_retry_max),
	  .min = 1, .max = 3600 },
	{ .name = "connect-retry-max", .args = "N", .type = T_UINT,
	  .roles = CLI, .def = "0", .group = G_CLIENT,
	  .help = "give up after N attempts in a row that do not connect "
	    "(0..1000000; 0 tries for ever) and exit with 4 if the last was "
	    "refused for good (a certificate unknown, revoked or expired, or "
	    "the server's name not matching: status says state=refused and "
	    "why), else with 5",
	  .off = OFF(connect_retries), .min = 0, .max = 1000000 },
	{ .name = "daemon", .args = "", .type = T_FLAG, .roles = CLI,
	  .group = G_CLIENT,
	  .help = "run in the background; return once the tunnel carries "
	    "traffic (exit 0), or with the reason on stderr and exit 4 at the "
	    "first refusal for good (the client goes on trying, see "
	    "connect-retry-max), or with the client's own exit code if it "
	    "ends first. Logs still go to stderr",
	  .off = OFF(daemon) },
	{ .name = "pidfile", .args = "FILE", .type = T_STRING, .roles = CLI,
	  .group = G_CLIENT,
	  .help = "write the client's pid to FILE (after --daemon has put it "
	    "in the background) and remove FILE when it ends",
	  .off = OFF(pidfile), .size = SIZE(pidfile) },
	{ .name = "allow-full-tunnel", .args = "yes|no", .type = T_BOOL,
	  .roles = CLI, .def = "no", .group = G_CLIENT,
	  .help = "take pushed routes that cover this host's own networks, "
	    "its gateways, the server's address or a reserved range (a full "
	    "tunnel, 0.0.0.0/1 and 128.0.0.0/1); the server must then stay "
	    "reachable by a longer route, e.g. on a network of this host. "
	    "Always refused, whatever this says: a pushed route inside one "
	    "of this host's networks or inside 0.0.0.0/8, 127.0.0.0/8, "
	    "169.254.0.0/16, 224.0.0.0/4 or 240.0.0.0/4; a tunnel network "
	    "overlapping any of those or holding a gateway or the server's "
	    "address; MTU outside 576..8940; keepalive "
	    "interval outside 1..300 or timeout outside interval+1..3600. A "
	    "refused CONFIG ends the session with one log line, and the "
	    "client tries again",
	  .off = OFF(allow_full_tunnel) },
	{ .name = "route-nopull", .args = "yes|no", .type = T_BOOL,
	  .roles = CLI, .def = "no", .group = G_CLIENT,
	  .help = "ignore every route the server pushes (its address, MTU "
	    "and keepalive still apply)",
	  .off = OFF(route_nopull) },
	{ .name = "redirect-gateway", .args = "yes|no", .type = T_BOOL,
	  .roles = CLI, .def = "no", .group = G_CLIENT,
	  .help = "send all IPv4 traffic into the tunnel: 0.0.0.0/1 and "
	    "128.0.0.0/1 via the tun device, and a host route to the "
	    "server's address through the gateway that reached it before "
	    "(found with RTM_GETROUTE). Taken away when the session ends; "
	    "the host route is also written to /run/simpletun/"
	    "client-NETNS-DEV.routes and removed at the next start if the "
	    "client was killed",
	  .off = OFF(redirect_gateway) },
	{ .name = "pull-filter", .args = "accept|ignore CIDR",
	  .type = T_PULL_FILTER, .roles = CLI, .group = G_CLIENT,
	  .help = "a rule for pushed routes (repeatable, at most 64): a "
	    "route inside CIDR, an IPv4 network (prefix 0..32; 0.0.0.0/0 "
	    "holds every IPv4 route) or an IPv6 one (prefix 0..128; ::/0 "
	    "holds every IPv6 route), is taken (accept) or dropped without "
	    "ending the session (ignore); the first rule that holds a route "
	    "decides (a rule never holds a route of the other family), and "
	    "a route no rule holds is taken. A taken route is still checked "
	    "(see allow-full-tunnel)" },
};

#define CONF_NDIRS (sizeof(directives) / sizeof(directives[0]))

_Static_assert(CONF_DNS_MAX == MSG_DNS_MAX &&
    CONF_DOMAINS_MAX == MSG_DOMAINS_MAX && CONF_DOMAIN_MAX == MSG_DOMAIN_MAX,
    "push-dns and push-domain fit into a CONFIG");
_Static_assert(sizeof(enum conf_dev_type) == sizeof(unsigned),
    "parse_enum stores an unsigned into an enum field");
_Static_assert(sizeof(enum conf_dup_cn) == sizeof(unsigned),
    "parse_enum stores an unsigned into an enum field");
_Static_assert(sizeof(((struct conf *)0)->server_name) ==
    sizeof(((struct conf *)0)->remote_host),
    "server-name defaults to a copy of the remote host");
_Static_assert(sizeof(uint32_t) == sizeof(unsigned),
    "T_IDS fields are written as uint32_t and dumped as unsigned");

static void
conf_sanitize(char *s)
{
	/* Values come from files and argv; keep the error a single line of
	 * plain text whatever bytes they hold. */
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Always returns -1. The compiler cannot see that through the varargs call,
 * so the callers' out-parameters are initialized to keep -O2 quiet. */
static int __attribute__((format(printf, 3, 4)))
conf_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	conf_sanitize(err);
	return -1;
}

/* Prefixes an error with where it happened: "file:line: name: " in a
 * file, "--name: " on the command line. */
static int __attribute__((format(printf, 5, 6)))
conf_error(char *err, size_t errlen, const struct src *src,
    const struct directive *d, const char *fmt, ...)
{
	char msg[CONF_MSG_MAX], where[64] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (src->file != NULL && src->line > 0)
		snprintf(where, sizeof(where), ":%u", src->line);
	if (src->file == NULL)
		return conf_fail(err, errlen, "%s%s%s%s", d ? "--" : "",
		    d ? d->name : "", d ? ": " : "", msg);
	return conf_fail(err, errlen, "%s%s: %s%s%s", src->file, where,
	    d ? d->name : "", d ? ": " : "", msg);
}

static void *
conf_field(struct conf *c, size_t off)
{
	return (char *)c + off;
}

static const void *
conf_cfield(const struct conf *c, size_t off)
{
	return (const char *)c + off;
}

static const char *
conf_role_name(enum conf_role role)
{
	switch (role) {
	case CONF_SERVER:
		return "server";
	case CONF_CLIENT:
		return "client";
	case CONF_STATUS:
		return "status";
	}
	return "unknown";
}

static const struct directive *
conf_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < CONF_NDIRS; i++)
		if (strcmp(directives[i].name, name) == 0)
			return &directives[i];
	return NULL;
}

/* strtoul alone accepts blanks, signs and trailing junk; require digits. */
static int
conf_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long *out, char *err, size_t errlen)
{
	unsigned long v = 0;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return conf_fail(err, errlen, "'%s' is not a number", s);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0')
		return conf_fail(err, errlen, "'%s' is not a number", s);
	if (errno == ERANGE || v < min || v > max)
		return conf_fail(err, errlen, "'%s' is out of range (%lu..%lu)",
		    s, min, max);
	*out = v;
	return 0;
}

static int
conf_copy(char *dst, size_t size, const char *s, size_t n, char *err,
    size_t errlen)
{
	if (n == 0)
		return conf_fail(err, errlen, "empty value");
	/* quote only the start of a long value, so the limit stays visible */
	if (n >= size)
		return conf_fail(err, errlen, "'%.*s%s' is too long (at most %zu "
		    "characters)", n > 40 ? 32 : (int)n, s, n > 40 ? "..." : "",
		    size - 1);
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static int
conf_ipv4(const char *s, uint32_t *addr, char *err, size_t errlen)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return conf_fail(err, errlen, "'%s' is not an IPv4 address", s);
	*addr = ntohl(in.s_addr);
	return 0;
}

static const char *
conf_ntoa(uint32_t addr, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = { .s_addr = htonl(addr) };

	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

static uint32_t
conf_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : ~0u << (32 - prefix);
}

static int
conf_cidr(const char *s, unsigned long minp, unsigned long maxp,
    uint32_t *addr, uint8_t *prefix, char *err, size_t errlen)
{
	char buf[INET_ADDRSTRLEN], scratch[CONF_MSG_MAX];
	const char *slash;
	unsigned long p = 0;
	uint32_t a = 0;

	if ((slash = strchr(s, '/')) == NULL)
		return conf_fail(err, errlen, "'%s' is not ADDR/PREFIX", s);
	if ((size_t)(slash - s) >= sizeof(buf))
		return conf_fail(err, errlen, "'%s' is not an IPv4 network", s);
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (conf_ipv4(buf, &a, err, errlen) == -1)
		return -1;
	if (conf_ulong(slash + 1, minp, maxp, &p, scratch,
	    sizeof(scratch)) == -1)
		return conf_fail(err, errlen, "'%s': prefix must be %lu..%lu",
		    s, minp, maxp);
	if (a & ~conf_mask((unsigned)p))
		return conf_fail(err, errlen, "'%s' has host bits set", s);
	*addr = a;
	*prefix = (uint8_t)p;
	return 0;
}

/* Splits HOST[:PORT] or [IPv6][:PORT]; *port is NULL when none is given. */
static int
conf_hostport(const char *s, char *host, size_t hostsize, const char **port,
    bool *v6, char *err, size_t errlen)
{
	const char *h = s, *end;

	*v6 = s[0] == '[';
	if (*v6) {
		h = s + 1;
		if ((end = strchr(h, ']')) == NULL)
			return conf_fail(err, errlen, "'%s': missing ']'", s);
		if (end[1] != '\0' && end[1] != ':')
			return conf_fail(err, errlen, "'%s': junk after ']'",
			    s);
		*port = end[1] == ':' ? end + 2 : NULL;
	} else {
		end = strchr(s, ':');
		if (end != NULL && strchr(end + 1, ':') != NULL)
			return conf_fail(err, errlen, "'%s': write an IPv6 "
			    "address as [ADDR]:PORT", s);
		*port = end != NULL ? end + 1 : NULL;
		if (end == NULL)
			end = s + strlen(s);
	}
	if (end == h)
		return conf_fail(err, errlen, "'%s': no host", s);
	return conf_copy(host, hostsize, h, (size_t)(end - h), err, errlen);
}

static int
conf_port(const char *s, uint16_t *port, char *err, size_t errlen)
{
	unsigned long v = 0;

	if (conf_ulong(s, 1, 65535, &v, err, errlen) == -1)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* Letters, digits, '-', '.', '_': enough for DNS names and IPv4, and
 * nothing a resolver or a log line could misread. */
static bool
conf_hostname_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
		    *s == '_'))
			return false;
	return true;
}

/* A CN is matched byte for byte against certificates and shows up in log
 * lines, so keep it to visible ASCII. */
static bool
conf_cn_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > CONF_CN_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

/* The config file has no quoting: a blank ends a word and a word starting
 * with '#' is a comment. conf_dump writes values as they are, so a value
 * that a file could not hold is refused wherever it comes from, the command
 * line too: whatever loads comes back equal through conf_dump. */
static int
conf_word(const char *s, char *err, size_t errlen)
{
	const char *p;

	if (s[0] == '#')
		return conf_fail(err, errlen, "'%s' starts with '#', which a "
		    "config file reads as a comment", s);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return conf_fail(err, errlen, "'%s' holds a blank or a "
			    "control character, which a config file cannot "
			    "hold", s);
	return 0;
}

static int
parse_string(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	if (conf_word(av[0], err, errlen) == -1)
		return -1;
	return conf_copy(conf_field(c, d->off), d->size, av[0],
	    strlen(av[0]), err, errlen);
}

static void
dump_string(FILE *out, const struct conf *c, const struct directive *d)
{
	fprintf(out, "%s %s\n", d->name, (const char *)conf_cfield(c, d->off));
}

static int
parse_uint(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	unsigned long v = 0;

	if (conf_ulong(av[0], d->min, d->max, &v, err, errlen) == -1)
		return -1;
	*(unsigned *)conf_field(c, d->off) = (unsigned)v;
	return 0;
}

static void
dump_uint(FILE *out, const struct conf *c, const struct directive *d)
{
	fprintf(out, "%s %u\n", d->name,
	    *(const unsigned *)conf_cfield(c, d->off));
}

static int
parse_bool(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	bool *b = conf_field(c, d->off);

	if (strcmp(av[0], "yes") == 0)
		*b = true;
	else if (strcmp(av[0], "no") == 0)
		*b = false;
	else
		return conf_fail(err, errlen, "'%s' is not yes or no", av[0]);
	return 0;
}

static int
parse_flag(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	(void)av;
	(void)err;
	(void)errlen;
	*(bool *)conf_field(c, d->off) = true;
	return 0;
}

static void
dump_flag(FILE *out, const struct conf *c, const struct directive *d)
{
	if (*(const bool *)conf_cfield(c, d->off))
		fprintf(out, "%s\n", d->name);
}

static void
dump_bool(FILE *out, const struct conf *c, const struct directive *d)
{
	fprintf(out, "%s %s\n", d->name,
	    *(const bool *)conf_cfield(c, d->off) ? "yes" : "no");
}

static int
parse_addrport(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	struct sockaddr_storage *ss = conf_field(c, d->off);
	socklen_t *sslen = conf_field(c, d->off2);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	char host[INET6_ADDRSTRLEN];
	const char *port = NULL;
	uint16_t p = 0;
	bool v6 = false;

	if (conf_hostport(av[0], host, sizeof(host), &port, &v6, err,
	    errlen) == -1)
		return -1;
	if (port == NULL)
		return conf_fail(err, errlen, "'%s' is not ADDR:PORT", av[0]);
	if (conf_port(port, &p, err, errlen) == -1)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		if (inet_pton(AF_INET6, host, &sin6.sin6_addr) != 1)
			return conf_fail(err, errlen, "'%s' is not an IPv6 "
			    "address", host);
		sin6.sin6_port = htons(p);
		memcpy(ss, &sin6, sizeof(sin6));
		*sslen = sizeof(sin6);
	} else {
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			return conf_fail(err, errlen, "'%s' is not an IPv4 "
			    "address", host);
		sin.sin_port = htons(p);
		memcpy(ss, &sin, sizeof(sin));
		*sslen = sizeof(sin);
	}
	return 0;
}

/* The port of an address that parse_addrport made and, if host is not
 * NULL, its address as text. */
static uint16_t
conf_ss_port(const struct sockaddr_storage *ss, char host[INET6_ADDRSTRLEN])
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;

	if (ss->ss_family == AF_INET6) {
		memcpy(&sin6, ss, sizeof(sin6));
		if (host != NULL)
			inet_ntop(AF_INET6, &sin6.sin6_addr, host,
			    INET6_ADDRSTRLEN);
		return ntohs(sin6.sin6_port);
	}
	memcpy(&sin, ss, sizeof(sin));
	if (host != NULL)
		inet_ntop(AF_INET, &sin.sin_addr, host, INET6_ADDRSTRLEN);
	return ntohs(sin.sin_port);
}

static void
dump_addrport(FILE *out, const struct conf *c, const struct directive *d)
{
	const struct sockaddr_storage *ss = conf_cfield(c, d->off);
	char host[INET6_ADDRSTRLEN] = "";
	uint16_t port = conf_ss_port(ss, host);

	if (ss->ss_family == AF_INET6)
		fprintf(out, "%s [%s]:%u\n", d->name, host, port);
	else
		fprintf(out, "%s %s:%u\n", d->name, host, port);
}

static int
parse_cidr(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	return conf_cidr(av[0], d->min, d->max, conf_field(c, d->off),
	    conf_field(c, d->off2), err, errlen);
}

static void
dump_cidr(FILE *out, const struct conf *c, const struct directive *d)
{
	char a[INET_ADDRSTRLEN];

	fprintf(out, "%s %s/%u\n", d->name,
	    conf_ntoa(*(const uint32_t *)conf_cfield(c, d->off), a),
	    *(const uint8_t *)conf_cfield(c, d->off2));
}

static int
conf_cidr6(const char *s, unsigned long minp, unsigned long maxp,
    struct conf_net6 *n, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN], scratch[CONF_MSG_MAX];
	const char *slash;
	unsigned long p = 0;
	struct msg_net6 m;

	if ((slash = strchr(s, '/')) == NULL)
		return conf_fail(err, errlen, "'%s' is not ADDR/PREFIX", s);
	if ((size_t)(slash - s) >= sizeof(buf))
		return conf_fail(err, errlen, "'%s' is not an IPv6 network", s);
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (inet_pton(AF_INET6, buf, m.addr) != 1)
		return conf_fail(err, errlen, "'%s' is not an IPv6 network", s);
	if (conf_ulong(slash + 1, minp, maxp, &p, scratch,
	    sizeof(scratch)) == -1)
		return conf_fail(err, errlen, "'%s': prefix must be %lu..%lu",
		    s, minp, maxp);
	m.prefix = (uint8_t)p;
	if (!msg_net6_is_net(&m))
		return conf_fail(err, errlen, "'%s' has host bits set", s);
	memcpy(n->addr, m.addr, 16);
	n->prefix = m.prefix;
	return 0;
}

static const char *
conf_ntop6(const uint8_t *addr, char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(AF_INET6, addr, buf, INET6_ADDRSTRLEN);
}

static int
parse_cidr6(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	return conf_cidr6(av[0], d->min, d->max, conf_field(c, d->off), err,
	    errlen);
}

static void
dump_cidr6(FILE *out, const struct conf *c, const struct directive *d)
{
	const struct conf_net6 *n = conf_cfield(c, d->off);
	char a[INET6_ADDRSTRLEN];

	fprintf(out, "%s %s/%u\n", d->name, conf_ntop6(n->addr, a), n->prefix);
}

static int
conf_pair(struct conf *c, const struct directive *d, char **av,
    unsigned long v[2], char *err, size_t errlen)
{
	if (conf_ulong(av[0], d->min, d->max, &v[0], err, errlen) == -1 ||
	    conf_ulong(av[1], d->min, d->max, &v[1], err, errlen) == -1)
		return -1;
	*(unsigned *)conf_field(c, d->off) = (unsigned)v[0];
	*(unsigned *)conf_field(c, d->off2) = (unsigned)v[1];
	return 0;
}

static int
parse_keepalive(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	unsigned long v[2] = { 0, 0 };

	if (conf_pair(c, d, av, v, err, errlen) == -1)
		return -1;
	/* At or below the interval the peer would be declared dead before
	 * its keepalive is even due. */
	if (v[1] <= v[0])
		return conf_fail(err, errlen, "TIMEOUT %lu must be greater "
		    "than INTERVAL %lu", v[1], v[0]);
	c->keepalive_set = true;
	return 0;
}

static int
parse_pair(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	unsigned long v[2] = { 0, 0 };

	if (conf_pair(c, d, av, v, err, errlen) == -1)
		return -1;
	if (v[1] < v[0])
		return conf_fail(err, errlen, "%lu is less than %lu; expects "
		    "%s", v[1], v[0], d->args);
	return 0;
}

/* FIRST is at least d->min, COUNT 1..d->max, and the block ends before
 * CONF_ID_END. */
static int
parse_ids(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	unsigned long first = 0, count = 0;

	if (conf_ulong(av[0], d->min, CONF_ID_END - 1, &first, err,
	    errlen) == -1 ||
	    conf_ulong(av[1], 1, d->max, &count, err, errlen) == -1)
		return -1;
	if (first + count > CONF_ID_END)
		return conf_fail(err, errlen, "FIRST %lu + COUNT %lu is past "
		    "the last id %lu", first, count, CONF_ID_END - 1);
	*(uint32_t *)conf_field(c, d->off) = (uint32_t)first;
	*(uint32_t *)conf_field(c, d->off2) = (uint32_t)count;
	return 0;
}

/* keepalive, pairs and id blocks: two unsigned fields */
static void
dump_pair(FILE *out, const struct conf *c, const struct directive *d)
{
	fprintf(out, "%s %u %u\n", d->name,
	    *(const unsigned *)conf_cfield(c, d->off),
	    *(const unsigned *)conf_cfield(c, d->off2));
}

static int
parse_enum(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; d->choices[i] != NULL; i++) {
		if (strcmp(av[0], d->choices[i]) == 0) {
			memcpy(conf_field(c, d->off), &i, sizeof(i));
			return 0;
		}
	}
	return conf_fail(err, errlen, "'%s' is not one of %s", av[0], d->args);
}

static void
dump_enum(FILE *out, const struct conf *c, const struct directive *d)
{
	fprintf(out, "%s %s\n", d->name,
	    d->choices[*(const unsigned *)conf_cfield(c, d->off)]);
}

/* A CN's entry, made if it has none yet; NULL (err) if full. */
static struct conf_fixed *
conf_fixed_entry(struct conf *c, const char *cn, char *err, size_t errlen)
{
	struct conf_fixed *f;
	unsigned i;

	for (i = 0; i < c->nfixed; i++)
		if (strcmp(c->fixed[i].cn, cn) == 0)
			return &c->fixed[i];
	if (c->nfixed >= CONF_FIXED_MAX) {
		conf_fail(err, errlen, "more than %d fixed addresses",
		    CONF_FIXED_MAX);
		return NULL;
	}
	if ((f = reallocarray(c->fixed, c->nfixed + 1, sizeof(*f))) == NULL) {
		conf_fail(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	c->fixed = f;
	f = &c->fixed[c->nfixed++];
	memset(f, 0, sizeof(*f));
	memcpy(f->cn, cn, strlen(cn));
	return f;
}

static int
parse_fixed(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	struct conf_fixed *f;
	uint8_t addr6[16];
	uint32_t addr = 0;
	bool v6 = strchr(av[1], ':') != NULL;

	(void)d;
	if (!conf_cn_ok(av[0]))
		return conf_fail(err, errlen, "'%s' is not a CN (1..%d visible "
		    "ASCII characters)", av[0], CONF_CN_MAX);
	if (conf_word(av[0], err, errlen) == -1)
		return -1;
	if (v6 && inet_pton(AF_INET6, av[1], addr6) != 1)
		return conf_fail(err, errlen, "'%s' is not an IPv6 address",
		    av[1]);
	if (!v6 && conf_ipv4(av[1], &addr, err, errlen) == -1)
		return -1;
	if ((f = conf_fixed_entry(c, av[0], err, errlen)) == NULL)
		return -1;
	if (v6 ? f->has6 : f->has4)
		return conf_fail(err, errlen, "duplicate CN '%s' (a second "
		    "%s address)", av[0], v6 ? "IPv6" : "IPv4");
	if (v6) {
		f->has6 = true;
		memcpy(f->addr6, addr6, 16);
	} else {
		f->has4 = true;
		f->addr = addr;
	}
	return 0;
}

static void
dump_fixed(FILE *out, const struct conf *c, const struct directive *d)
{
	char a[INET6_ADDRSTRLEN];
	const struct conf_fixed *f;

	/* by index: fixed is NULL while nfixed is 0 */
	for (unsigned i = 0; i < c->nfixed; i++) {
		f = &c->fixed[i];
		if (f->has4)
			fprintf(out, "%s %s %s\n", d->name, f->cn,
			    conf_ntoa(f->addr, a));
		if (f->has6)
			fprintf(out, "%s %s %s\n", d->name, f->cn,
			    conf_ntop6(f->addr6, a));
	}
}

static int
conf_route6(struct conf *c, const char *s, char *err, size_t errlen)
{
	struct conf_net6 r;

	if (c->nroutes6 >= CONF_ROUTES_MAX)
		return conf_fail(err, errlen, "more than %d IPv6 routes",
		    CONF_ROUTES_MAX);
	if (conf_cidr6(s, 0, 128, &r, err, errlen) == -1)
		return -1;
	for (unsigned i = 0; i < c->nroutes6; i++)
		if (memcmp(&c->routes6[i], &r, sizeof(r)) == 0)
			return conf_fail(err, errlen, "'%s' given twice", s);
	c->routes6[c->nroutes6++] = r;
	return 0;
}

static int
parse_route(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	struct conf_route r;
	unsigned i;

	(void)d;
	if (strchr(av[0], ':') != NULL)
		return conf_route6(c, av[0], err, errlen);
	if (c->nroutes >= CONF_ROUTES_MAX)
		return conf_fail(err, errlen, "more than %d routes",
		    CONF_ROUTES_MAX);
	if (conf_cidr(av[0], 0, 32, &r.addr, &r.prefix, err, errlen) == -1)
		return -1;
	for (i = 0; i < c->nroutes; i++)
		if (c->routes[i].addr == r.addr &&
		    c->routes[i].prefix == r.prefix)
			return conf_fail(err, errlen, "'%s' given twice", av[0]);
	c->routes[c->nroutes++] = r;
	return 0;
}

static void
dump_route(FILE *out, const struct conf *c, const struct directive *d)
{
	char a[INET_ADDRSTRLEN];
	unsigned i;

	char a6[INET6_ADDRSTRLEN];

	for (i = 0; i < c->nroutes; i++)
		fprintf(out, "%s %s/%u\n", d->name,
		    conf_ntoa(c->routes[i].addr, a), c->routes[i].prefix);
	for (i = 0; i < c->nroutes6; i++)
		fprintf(out, "%s %s/%u\n", d->name,
		    conf_ntop6(c->routes6[i].addr, a6), c->routes6[i].prefix);
}

/* Either family, as the msg_net checks take it. */
static struct msg_net
conf_client_net_net(const struct conf_client_net *n)
{
	return n->v6 ? msg_net_v6(n->addr6, n->prefix) :
	    msg_net_v4(n->addr, n->prefix);
}

static bool
conf_client_net_same(const struct conf_client_net *a,
    const struct conf_client_net *b)
{
	return a->v6 == b->v6 && a->addr == b->addr && a->prefix ==
	    b->prefix && memcmp(a->addr6, b->addr6, 16) == 0 &&
	    strcmp(a->cn, b->cn) == 0;
}

static int
parse_client_net(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	struct conf_client_net n = { 0 };
	struct conf_net6 n6;
	unsigned i;

	(void)d;
	if (!conf_cn_ok(av[0]))
		return conf_fail(err, errlen, "'%s' is not a CN (1..%d visible "
		    "ASCII characters)", av[0], CONF_CN_MAX);
	if (conf_word(av[0], err, errlen) == -1)
		return -1;
	if (strchr(av[1], ':') != NULL) {
		if (conf_cidr6(av[1], 16, 128, &n6, err, errlen) == -1)
			return -1;
		n.v6 = true;
		memcpy(n.addr6, n6.addr, 16);
		n.prefix = n6.prefix;
	} else if (conf_cidr(av[1], 8, 32, &n.addr, &n.prefix, err,
	    errlen) == -1)
		return -1;
	memcpy(n.cn, av[0], strlen(av[0]));
	for (i = 0; i < c->nclient_nets; i++)
		if (conf_client_net_same(&c->client_nets[i], &n))
			return conf_fail(err, errlen, "'%s %s' given twice",
			    av[0], av[1]);
	if (c->nclient_nets >= CONF_CLIENT_NETS_MAX)
		return conf_fail(err, errlen, "more than %d client networks",
		    CONF_CLIENT_NETS_MAX);
	c->client_nets[c->nclient_nets++] = n;
	return 0;
}

static void
dump_client_net(FILE *out, const struct conf *c, const struct directive *d)
{
	char a[INET6_ADDRSTRLEN];
	struct msg_net n;
	unsigned i;

	for (i = 0; i < c->nclient_nets; i++) {
		n = conf_client_net_net(&c->client_nets[i]);
		fprintf(out, "%s %s %s/%u\n", d->name, c->client_nets[i].cn,
		    msg_net_str(&n, a), n.prefix);
	}
}

static int
parse_dns(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	struct msg_dns m = { .family = 4 };
	const char *bad;
	unsigned i;

	(void)d;
	if (inet_pton(AF_INET, av[0], m.addr) != 1) {
		m.family = 6;
		if (inet_pton(AF_INET6, av[0], m.addr) != 1)
			return conf_fail(err, errlen, "'%s' is not an IPv4 or "
			    "IPv6 address", av[0]);
	}
	if ((bad = msg_dns_bad(&m)) != NULL)
		return conf_fail(err, errlen, "'%s' %s", av[0], bad);
	for (i = 0; i < c->ndns; i++)
		if (c->dns[i].family == m.family &&
		    memcmp(c->dns[i].addr, m.addr, sizeof(m.addr)) == 0)
			return conf_fail(err, errlen, "'%s' given twice",
			    av[0]);
	if (c->ndns >= CONF_DNS_MAX)
		return conf_fail(err, errlen, "more than %d DNS servers",
		    CONF_DNS_MAX);
	c->dns[c->ndns].family = m.family;
	memcpy(c->dns[c->ndns++].addr, m.addr, sizeof(m.addr));
	return 0;
}

static void
dump_dns(FILE *out, const struct conf *c, const struct directive *d)
{
	char a[INET6_ADDRSTRLEN];

	for (unsigned i = 0; i < c->ndns; i++) {
		struct msg_dns m = { .family = c->dns[i].family };

		memcpy(m.addr, c->dns[i].addr, sizeof(m.addr));
		fprintf(out, "%s %s\n", d->name, msg_dns_str(&m, a));
	}
}

static int
parse_domain(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	size_t n = strlen(av[0]);
	const char *bad;
	unsigned i;

	(void)d;
	if ((bad = msg_domain_bad(av[0], n)) != NULL)
		return conf_fail(err, errlen, "'%.*s%s' is not a DNS name: it "
		    "%s", n > 40 ? 32 : (int)n, av[0], n > 40 ? "..." : "",
		    bad);
	for (i = 0; i < c->ndomains; i++)
		if (strcasecmp(c->domains[i], av[0]) == 0)
			return conf_fail(err, errlen, "'%s' given twice",
			    av[0]);
	if (c->ndomains >= CONF_DOMAINS_MAX)
		return conf_fail(err, errlen, "more than %d domains",
		    CONF_DOMAINS_MAX);
	memcpy(c->domains[c->ndomains++], av[0], n + 1);
	return 0;
}

static void
dump_domain(FILE *out, const struct conf *c, const struct directive *d)
{
	for (unsigned i = 0; i < c->ndomains; i++)
		fprintf(out, "%s %s\n", d->name, c->domains[i]);
}

static int
parse_remote(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	struct in6_addr in6;
	const char *port = NULL;
	uint16_t p = CONF_DEFAULT_PORT;
	bool v6 = false;

	(void)d;
	if (conf_hostport(av[0], c->remote_host, sizeof(c->remote_host),
	    &port, &v6, err, errlen) == -1)
		return -1;
	if (v6 && inet_pton(AF_INET6, c->remote_host, &in6) != 1)
		return conf_fail(err, errlen, "'%s' is not an IPv6 address",
		    c->remote_host);
	if (!v6 && !conf_hostname_ok(c->remote_host))
		return conf_fail(err, errlen, "'%s' is not a host name",
		    c->remote_host);
	if (port != NULL && conf_port(port, &p, err, errlen) == -1)
		return -1;
	c->remote_port = p;
	return 0;
}

/* Only an IPv6 address has a ':' (conf_hostname_ok allows none), and it
 * needs its brackets back. */
static void
dump_remote(FILE *out, const struct conf *c, const struct directive *d)
{
	if (strchr(c->remote_host, ':') != NULL)
		fprintf(out, "%s [%s]:%u\n", d->name, c->remote_host,
		    c->remote_port);
	else
		fprintf(out, "%s %s:%u\n", d->name, c->remote_host,
		    c->remote_port);
}

static const char *const pull_actions[] = { "accept", "ignore", NULL };

/* A rule's network, as the msg_net checks take it. */
static struct msg_net
conf_pull_filter_net(const struct conf_pull_filter *f)
{
	return f->v6 ? msg_net_v6(f->addr6, f->prefix) :
	    msg_net_v4(f->addr, f->prefix);
}

static int
parse_pull_filter(struct conf *c, const struct directive *d, char **av,
    char *err, size_t errlen)
{
	struct conf_pull_filter *f;
	struct conf_net6 n6 = { { 0 }, 0 };
	uint32_t addr = 0;
	uint8_t prefix = 0;
	bool v6 = strchr(av[1], ':') != NULL;
	unsigned i;

	(void)d;
	for (i = 0; pull_actions[i] != NULL; i++)
		if (strcmp(av[0], pull_actions[i]) == 0)
			break;
	if (pull_actions[i] == NULL)
		return conf_fail(err, errlen, "'%s' is not accept or ignore",
		    av[0]);
	if (c->npull_filters >= CONF_PULL_FILTERS_MAX)
		return conf_fail(err, errlen, "more than %d rules",
		    CONF_PULL_FILTERS_MAX);
	if (v6 ? conf_cidr6(av[1], 0, 128, &n6, err, errlen) == -1 :
	    conf_cidr(av[1], 0, 32, &addr, &prefix, err, errlen) == -1)
		return -1;
	/* field by field: no stack bytes in the padding, so a dump loads
	 * back byte for byte */
	f = &c->pull_filters[c->npull_filters++];
	memset(f, 0, sizeof(*f));
	f->v6 = v6;
	f->addr = addr;
	memcpy(f->addr6, n6.addr, sizeof(f->addr6));
	f->prefix = v6 ? n6.prefix : prefix;
	f->ignore = i == 1;
	return 0;
}

static void
dump_pull_filter(FILE *out, const struct conf *c, const struct directive *d)
{
	const struct conf_pull_filter *f;
	char a[INET6_ADDRSTRLEN];
	struct msg_net n;

	for (f = c->pull_filters; f < c->pull_filters + c->npull_filters;
	    f++) {
		n = conf_pull_filter_net(f);
		fprintf(out, "%s %s %s/%u\n", d->name,
		    pull_actions[f->ignore ? 1 : 0], msg_net_str(&n, a),
		    n.prefix);
	}
}

static int
conf_apply(struct conf *c, const struct directive *d, char **av,
    const struct src *src, char *err, size_t errlen)
{
	char msg[CONF_MSG_MAX];

	if (conf_types[d->type].parse(c, d, av, msg, sizeof(msg)) == -1)
		return conf_error(err, errlen, src, d, "%s", msg);
	return 0;
}

/* Splits line at blanks into at most max words; a word starting with '#'
 * ends the line. */
static int
conf_split(char *line, char **av, int max)
{
	char *p = line;
	int n = 0;

	while (n < max) {
		p += strspn(p, " \t");
		if (*p == '\0' || *p == '#')
			break;
		av[n++] = p;
		p += strcspn(p, " \t");
		if (*p != '\0')
			*p++ = '\0';
	}
	return n;
}

/* Running the defaults through the parsers keeps them and --help's
 * "(default: ...)" the same text. */
static int
conf_defaults(struct conf *c, enum conf_role role, char *err, size_t errlen)
{
	const struct src src = { "default", 0 };
	char buf[64], *av[CONF_ARGS_MAX];
	size_t i;

	memset(c, 0, sizeof(*c));
	c->role = role;
	for (i = 0; i < CONF_NDIRS; i++) {
		if (!(directives[i].roles & role) || directives[i].def == NULL)
			continue;
		snprintf(buf, sizeof(buf), "%s", directives[i].def);
		conf_split(buf, av, CONF_ARGS_MAX);
		if (conf_apply(c, &directives[i], av, &src, err, errlen) == -1)
			return -1;
	}
	/* only an explicit keepalive overrides the one a server pushes */
	c->keepalive_set = false;
	return 0;
}

/* What the file and the command line share: the directive is valid for
 * this role, has exactly its arguments, and is not given twice. */
static int
conf_use(const struct conf *c, const struct directive *d, char **av,
    int nav, const struct src *src, unsigned *seen, char *err,
    size_t errlen)
{
	int nargs = conf_types[d->type].nargs;
	unsigned *s = &seen[d - directives];

	if (!(d->roles & c->role))
		return conf_error(err, errlen, src, d, "'%s' is not a %s "
		    "directive", d->name, conf_role_name(c->role));
	if (nav < nargs)
		return conf_error(err, errlen, src, d, "expects %s", d->args);
	if (nav > nargs)
		return conf_error(err, errlen, src, d,
		    "unexpected argument '%s'", av[nargs]);
	if (conf_types[d->type].repeatable)
		return 0;
	if (*s != 0 && src->file != NULL)
		return conf_error(err, errlen, src, d, "already given on line "
		    "%u", *s);
	if (*s != 0)
		return conf_error(err, errlen, src, d, "given twice");
	*s = src->file != NULL ? src->line : 1;
	return 0;
}

static int
conf_line(struct conf *c, char *line, const struct src *src, unsigned *seen,
    char *err, size_t errlen)
{
	/* one word more than the widest directive, to name a trailing one */
	char *av[1 + CONF_ARGS_MAX + 1];
	const struct directive *d;
	int ac;

	if ((ac = conf_split(line, av, 1 + CONF_ARGS_MAX + 1)) == 0)
		return 0;
	if ((d = conf_lookup(av[0])) == NULL)
		return conf_error(err, errlen, src, NULL,
		    "unknown directive '%s'", av[0]);
	if (conf_use(c, d, av + 1, ac - 1, src, seen, err, errlen) == -1)
		return -1;
	return conf_apply(c, d, av + 1, src, err, errlen);
}

/* Reads one line into buf without its newline: 1 for a line, 0 at the end
 * of the file or on a read error (see ferror), -1 for a line that cannot
 * be config text. Reading by character keeps memory bounded whatever the
 * file holds. */
static int
conf_getline(FILE *f, char *buf, size_t cap, char *err, size_t errlen)
{
	size_t n = 0;
	int ch;

	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (ch == '\0')
			return conf_fail(err, errlen, "NUL byte in line");
		if (n + 1 >= cap)
			return conf_fail(err, errlen, "line longer than %zu "
			    "characters", cap - 1);
		buf[n++] = (char)ch;
	}
	if (ch == EOF && (n == 0 || ferror(f)))
		return 0;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 1;
}

static int
conf_read(struct conf *c, FILE *f, struct src *src, char *err,
    size_t errlen)
{
	char line[CONF_LINE_MAX + 1], msg[CONF_MSG_MAX];
	unsigned seen[CONF_NDIRS] = { 0 };
	int r;

	for (;;) {
		src->line++;
		if ((r = conf_getline(f, line, sizeof(line), msg,
		    sizeof(msg))) == -1)
			return conf_error(err, errlen, src, NULL, "%s", msg);
		if (r == 0)
			break;
		if (conf_line(c, line, src, seen, err, errlen) == -1)
			return -1;
	}
	if (ferror(f)) {
		src->line = 0;
		return conf_error(err, errlen, src, NULL, "%s",
		    strerror(errno));
	}
	return 0;
}

static int
conf_file(struct conf *c, const char *path, char *err, size_t errlen)
{
	struct src src = { path, 0 };
	FILE *f;
	int r;

	if ((f = fopen(path, "re")) == NULL)
		return conf_error(err, errlen, &src, NULL, "%s",
		    strerror(errno));
	r = conf_read(c, f, &src, err, errlen);
	fclose(f);
	return r;
}

/* Arguments of a flag run up to the next word starting with "--"; one more
 * than any directive takes is enough to name a trailing one. */
static int
conf_argv_words(int argc, char **argv)
{
	int n = 0;

	while (n < argc && n <= CONF_ARGS_MAX &&
	    strncmp(argv[n], "--", 2) != 0)
		n++;
	return n;
}

static int
conf_argv_config(char **av, int nav, const char **file, char *err,
    size_t errlen)
{
	if (nav != 1)
		return conf_fail(err, errlen, "--config: expects FILE");
	if (*file != NULL)
		return conf_fail(err, errlen, "--config: given twice");
	*file = av[0];
	return 0;
}

/* Walks the arguments after the subcommand (main passes argv + 2). The
 * first pass (apply false) checks every flag and finds --config; the
 * second applies the flags on top of the file. */
static int
conf_argv(struct conf *c, int argc, char **argv, bool apply,
    const char **file, char *err, size_t errlen)
{
	unsigned seen[CONF_NDIRS] = { 0 };
	const struct src src = { NULL, 0 };
	const struct directive *d;
	int i, nav;

	for (i = 0; i < argc; i += 1 + nav) {
		if (strncmp(argv[i], "--", 2) != 0)
			return conf_fail(err, errlen,
			    "unexpected argument '%s'", argv[i]);
		nav = conf_argv_words(argc - i - 1, argv + i + 1);
		if (strcmp(argv[i], "--config") == 0) {
			if (!apply && conf_argv_config(argv + i + 1, nav,
			    file, err, errlen) == -1)
				return -1;
			continue;
		}
		if ((d = conf_lookup(argv[i] + 2)) == NULL)
			return conf_fail(err, errlen, "unknown option '%s'",
			    argv[i]);
		if (conf_use(c, d, argv + i + 1, nav, &src, seen, err,
		    errlen) == -1)
			return -1;
		if (apply && conf_apply(c, d, argv + i + 1, &src, err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

/* The status socket's default: CONF_STATUS_DIR/NAME.sock, NAME from the
 * configuration file's name (or the role's); "none": no socket. */
static int
conf_status_socket(struct conf *c, const char *file, char *err,
    size_t errlen)
{
	const char *base, *role = c->role == CONF_CLIENT ? "client" : "server";
	size_t n;
	int w;

	if (strcmp(c->status_socket, "none") == 0) {
		c->status_socket[0] = '\0';
		return 0;
	}
	if (c->status_socket[0] != '\0' ||
	    (file == NULL && c->role == CONF_STATUS))
		return 0;
	base = file != NULL ? strrchr(file, '/') : NULL;
	base = file == NULL ? role : base != NULL ? base + 1 : file;
	n = strlen(base);
	if (n >= 5 && strcmp(base + n - 5, ".conf") == 0)
		n -= 5;
	if (n == 0)
		return conf_fail(err, errlen, "status-socket: no name for it "
		    "in the configuration file's name '%s'; give status-socket",
		    file);
	w = snprintf(c->status_socket, sizeof(c->status_socket),
	    "%s/%.*s.sock", CONF_STATUS_DIR, (int)n, base);
	if (w < 0 || (size_t)w >= sizeof(c->status_socket)) {
		c->status_socket[0] = '\0';
		return conf_fail(err, errlen, "status-socket: the default "
		    "path for '%s' is longer than %zu characters; give "
		    "status-socket", file, sizeof(c->status_socket) - 1);
	}
	return 0;
}

/* What no single directive decides, once all are read. */
static int
conf_finish(struct conf *c, const char *file, char *err, size_t errlen)
{
	if (c->role == CONF_CLIENT && c->server_name[0] == '\0')
		memcpy(c->server_name, c->remote_host,
		    sizeof(c->server_name));
	return conf_status_socket(c, file, err, errlen);
}

/* `simpletun status --config FILE`: FILE is a daemon's; only its
 * status-socket matters here, and every other line is that daemon's
 * business. */
static int
conf_file_status(struct conf *c, const char *path, char *err,
    size_t errlen)
{
	const struct directive *d = conf_lookup("status-socket");
	struct src src = { path, 0 };
	char line[CONF_LINE_MAX + 1], msg[CONF_MSG_MAX], *av[3];
	FILE *f;
	int r;

	if ((f = fopen(path, "re")) == NULL)
		return conf_error(err, errlen, &src, NULL, "%s",
		    strerror(errno));
	for (;;) {
		src.line++;
		if ((r = conf_getline(f, line, sizeof(line), msg,
		    sizeof(msg))) == -1)
			r = conf_error(err, errlen, &src, NULL, "%s", msg);
		if (r != 1)
			break;
		if (conf_split(line, av, 3) == 2 &&
		    strcmp(av[0], d->name) == 0 &&
		    (r = conf_apply(c, d, av + 1, &src, err, errlen)) == -1)
			break;
	}
	fclose(f);
	return r == -1 ? -1 : 0;
}

int
conf_load(struct conf *c, enum conf_role role, int argc, char **argv,
    char *err, size_t errlen)
{
	const char *file = NULL;

	if (conf_defaults(c, role, err, errlen) == -1 ||
	    conf_argv(c, argc, argv, false, &file, err, errlen) == -1 ||
	    (file != NULL && (role == CONF_STATUS ?
	    conf_file_status(c, file, err, errlen) :
	    conf_file(c, file, err, errlen)) == -1) ||
	    conf_argv(c, argc, argv, true, &file, err, errlen) == -1 ||
	    conf_finish(c, file, err, errlen) == -1) {
		conf_free(c);
		return -1;
	}
	return 0;
}

/* The FILE closes an fd of its own. A dup shares the caller's offset, so
 * rewinding it reads from the start (a pipe has no offset, and is read
 * from where it is). */
/* A file (the parent's memfd) is read with pread from offset 0: every
 * child shares its file description, and so its offset, with the others
 * starting at the same time. Anything else (a pipe) is read as it comes. */
static FILE *
conf_fd_open(int fd, char **buf)
{
	struct stat sb;
	size_t got = 0;
	int dfd;

	*buf = NULL;
	if (fstat(fd, &sb) == -1)
		return NULL;
	if (!S_ISREG(sb.st_mode)) {
		FILE *f;

		if ((dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
			return NULL;
		if ((f = fdopen(dfd, "r")) == NULL)
			close(dfd);
		return f;
	}
	if ((*buf = malloc((size_t)sb.st_size + 1)) == NULL)
		return NULL;
	while (got < (size_t)sb.st_size) {
		ssize_t n = pread(fd, *buf + got, (size_t)sb.st_size - got,
		    (off_t)got);

		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return NULL;
		}
		got += (size_t)n;
	}
	(*buf)[got] = '\n';	/* fmemopen wants a size above 0 */
	return fmemopen(*buf, got + 1, "r");
}

static int
conf_stream(struct conf *c, int fd, char *err, size_t errlen)
{
	struct src src = { CONF_FD_NAME, 0 };
	char *buf;
	FILE *f;
	int r;

	if ((f = conf_fd_open(fd, &buf)) == NULL) {
		r = conf_error(err, errlen, &src, NULL, "%s", strerror(errno));
		free(buf);
		return r;
	}
	r = conf_read(c, f, &src, err, errlen);
	fclose(f);
	free(buf);
	return r;
}

int
conf_load_fd(struct conf *c, enum conf_role role, int fd, char *err,
    size_t errlen)
{
	if (conf_defaults(c, role, err, errlen) == -1 ||
	    conf_stream(c, fd, err, errlen) == -1 ||
	    conf_finish(c, NULL, err, errlen) == -1) {
		conf_free(c);
		return -1;
	}
	return 0;
}

static bool
conf_is_set(const struct conf *c, const struct directive *d)
{
	switch (d->type) {
	case T_STRING:
	case T_PATH:
		return *(const char *)conf_cfield(c, d->off) != '\0';
	case T_CIDR:
		return *(const uint8_t *)conf_cfield(c, d->off2) != 0;
	case T_CIDR6:
		return ((const struct conf_net6 *)conf_cfield(c,
		    d->off))->prefix != 0;
	case T_REMOTE:
		return c->remote_host[0] != '\0';
	case T_KEEPALIVE:
		/* the defaults otherwise, and a client takes the server's */
		return c->keepalive_set;
	case T_FLAG:
		return *(const bool *)conf_cfield(c, d->off);
	default:
		return true;
	}
}

/* Opening the files now turns a typo or a permission problem into a
 * startup error instead of a failed handshake later. */
static int
conf_check_file(const char *name, const char *path, char *err,
    size_t errlen)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1)
		return conf_fail(err, errlen, "%s: %s: %s", name, path,
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return conf_fail(err, errlen, "%s: %s: not a regular file",
		    name, path);
	}
	close(fd);
	return 0;
}

static int
conf_check_directives(const struct conf *c, bool reload, char *err,
    size_t errlen)
{
	const struct directive *d;
	size_t i;

	for (i = 0; i < CONF_NDIRS; i++) {
		d = &directives[i];
		if (!(d->roles & c->role))
			continue;
		if ((d->required & c->role) && !conf_is_set(c, d))
			return conf_fail(err, errlen, "%s needs '%s'",
			    conf_role_name(c->role), d->name);
		if (reload && d->reload == CONF_RELOAD_RESTART)
			continue;
		if (d->type == T_PATH && conf_is_set(c, d) &&
		    conf_check_file(d->name, conf_cfield(c, d->off), err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

/* Same test as pool_contains: neither network, server nor broadcast. */
static bool
conf_in_pool(const struct conf *c, uint32_t addr)
{
	uint32_t i = addr - c->pool_addr;

	return i >= 2 && i < ((uint32_t)1 << (32 - c->pool_prefix)) - 1;
}

static int
conf_check_fixed(const struct conf *c, const struct conf_fixed *f,
    char *err, size_t errlen)
{
	char a[INET_ADDRSTRLEN], p[INET_ADDRSTRLEN];
	const struct conf_fixed *g;

	if (!f->has4)
		return 0;
	if (!conf_in_pool(c, f->addr))
		return conf_fail(err, errlen, "fixed-address: %s of '%s' is "
		    "not a client address of pool %s/%u", conf_ntoa(f->addr,
		    a), f->cn, conf_ntoa(c->pool_addr, p), c->pool_prefix);
	for (g = c->fixed; g < f; g++)
		if (g->has4 && g->addr == f->addr)
			return conf_fail(err, errlen, "fixed-address: %s is "
			    "given to both '%s' and '%s'", conf_ntoa(f->addr,
			    a), g->cn, f->cn);
	return 0;
}

/* As conf_check_fixed, in pool6 (whose checks have passed); pool6 says
 * which of its addresses a client can have. */
static int
conf_check_fixed6(const struct conf *c, const struct conf_fixed *f,
    const struct pool *pool6, char *err, size_t errlen)
{
	char a[INET6_ADDRSTRLEN], p[INET6_ADDRSTRLEN];
	unsigned hosts = c->pool6.prefix > 112 ? 1u << (128 - c->pool6.prefix) :
	    POOL6_HOSTS;
	const struct conf_fixed *g;

	if (!f->has6)
		return 0;
	if (pool6 == NULL)
		return conf_fail(err, errlen, "fixed-address: %s of '%s' is "
		    "IPv6 and there is no pool6", conf_ntop6(f->addr6, a),
		    f->cn);
	if (!pool_contains6(pool6, f->addr6))
		return conf_fail(err, errlen, "fixed-address: %s of '%s' is "
		    "not a client address of pool6 %s/%u (the first %u "
		    "addresses after the server's)", conf_ntop6(f->addr6, a),
		    f->cn, conf_ntop6(c->pool6.addr, p), c->pool6.prefix,
		    hosts - 2);
	for (g = c->fixed; g < f; g++)
		if (g->has6 && memcmp(g->addr6, f->addr6, 16) == 0)
			return conf_fail(err, errlen, "fixed-address: %s is "
			    "given to both '%s' and '%s'", conf_ntop6(f->addr6,
			    a), g->cn, f->cn);
	return 0;
}

/* pool6 as pool_new6 takes it; IPv6 routes only with it, and none inside
 * it (the pool's connected route holds it all). */
static int
conf_check_pool6(const struct conf *c, char *err, size_t errlen)
{
	const struct conf_net6 *p = &c->pool6;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	const struct conf_net6 *r;
	struct msg_net6 pool = { .prefix = p->prefix };

	if (p->prefix == 0)
		return c->nroutes6 == 0 ? 0 : conf_fail(err, errlen,
		    "push-route %s/%u: IPv6 routes need pool6",
		    conf_ntop6(c->routes6[0].addr, a), c->routes6[0].prefix);
	/* tap carries IPv4 and ARP only: no neighbour discovery */
	if (c->dev_type == CONF_DEV_TAP)
		return conf_fail(err, errlen, "pool6: IPv6 needs dev-type tun");
	if (p->prefix < POOL6_PREFIX_MIN || p->prefix > POOL6_PREFIX_MAX)
		return conf_fail(err, errlen, "pool6: prefix /%u is outside "
		    "%u..%u", p->prefix, POOL6_PREFIX_MIN, POOL6_PREFIX_MAX);
	memcpy(pool.addr, p->addr, 16);
	for (r = c->routes6; r < c->routes6 + c->nroutes6; r++)
		if (r->prefix >= p->prefix && msg_net6_holds(&pool, r->addr))
			return conf_fail(err, errlen, "push-route %s/%u "
			    "overlaps pool6 %s/%u", conf_ntop6(r->addr, a),
			    r->prefix, conf_ntop6(p->addr, b), p->prefix);
	return 0;
}

static int
conf_check_pool(const struct conf *c, char *err, size_t errlen)
{
	struct pool *pool6 = NULL;
	unsigned i;
	int r = 0;

	/* Beyond /30 nothing is left once the network, the server and the
	 * broadcast address are taken. */
	if (c->pool_prefix < 8 || c->pool_prefix > 30)
		return conf_fail(err, errlen, "pool: /%u leaves no room for "
		    "clients (prefix 8..30)", c->pool_prefix);
	for (i = 0; i < c->nfixed; i++)
		if (conf_check_fixed(c, &c->fixed[i], err, errlen) == -1)
			return -1;
	if (conf_check_pool6(c, err, errlen) == -1)
		return -1;
	if (c->pool6.prefix != 0 &&
	    (pool6 = pool_new6(c->pool6.addr, c->pool6.prefix)) == NULL)
		return conf_fail(err, errlen, "pool6: %s", strerror(errno));
	for (i = 0; i < c->nfixed; i++)
		if ((r = conf_check_fixed6(c, &c->fixed[i], pool6, err,
		    errlen)) == -1)
			break;
	pool_free(pool6);
	return r;
}

/* A client network must have one owner and one way out: not the pool (or
 * pool6), not another client's network, and no push-route inside it (that
 * would send the owner's own network back into its tunnel). */
static int
conf_check_client_net(const struct conf *c, const struct conf_client_net *n,
    char *err, size_t errlen)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct msg_net net = conf_client_net_net(n), o;
	const struct conf_client_net *p;
	unsigned i;

	msg_net_str(&net, a);
	if (n->v6 && c->pool6.prefix == 0)
		return conf_fail(err, errlen, "client-network %s/%u of '%s': "
		    "IPv6 networks need pool6", a, n->prefix, n->cn);
	o = n->v6 ? msg_net_v6(c->pool6.addr, c->pool6.prefix) :
	    msg_net_v4(c->pool_addr, c->pool_prefix);
	if (msg_net_overlap(&net, &o))
		return conf_fail(err, errlen, "client-network %s/%u of '%s' "
		    "overlaps %s %s/%u", a, n->prefix, n->cn,
		    n->v6 ? "pool6" : "pool", msg_net_str(&o, b), o.prefix);
	for (p = c->client_nets; p < n; p++)
		if (o = conf_client_net_net(p), msg_net_overlap(&net, &o))
			return conf_fail(err, errlen, "client-network %s/%u of "
			    "'%s' overlaps %s/%u of '%s'", a, n->prefix, n->cn,
			    msg_net_str(&o, b), o.prefix, p->cn);
	for (i = 0; i < c->nroutes + c->nroutes6; i++) {
		o = i < c->nroutes ? msg_net_v4(c->routes[i].addr,
		    c->routes[i].prefix) : msg_net_v6(c->routes6[i -
		    c->nroutes].addr, c->routes6[i - c->nroutes].prefix);
		if (msg_net_inside(&o, &net))
			return conf_fail(err, errlen, "push-route %s/%u is "
			    "inside client-network %s/%u of '%s'",
			    msg_net_str(&o, b), o.prefix, a, n->prefix, n->cn);
	}
	return 0;
}

static int
conf_check_client_nets(const struct conf *c, char *err, size_t errlen)
{
	unsigned i, n6 = 0;

	if (c->nclient_nets > 0 && c->dev_type == CONF_DEV_TAP)
		return conf_fail(err, errlen, "client-network needs dev-type "
		    "tun: on a tap segment the server has no next hop for a "
		    "network behind a client");
	for (i = 0; i < c->nclient_nets; i++) {
		if (conf_check_client_net(c, &c->client_nets[i], err,
		    errlen) == -1)
			return -1;
		n6 += c->client_nets[i].v6;
	}
	if (c->push_client_nets && c->client_to_client &&
	    (c->nroutes + c->nclient_nets - n6 > CONF_ROUTES_MAX ||
	    c->nroutes6 + n6 > CONF_ROUTES_MAX))
		return conf_fail(err, errlen, "push-route and client-network "
		    "give more than %d routes to push; set "
		    "push-client-networks no or push fewer",
		    CONF_ROUTES_MAX);
	return 0;
}

int
conf_client_net_of(const struct conf *c, uint32_t addr)
{
	for (unsigned i = 0; i < c->nclient_nets; i++)
		if (!c->client_nets[i].v6 &&
		    (addr & conf_mask(c->client_nets[i].prefix)) ==
		    c->client_nets[i].addr)
			return (int)i;
	return -1;
}

int
conf_client_net_of6(const struct conf *c, const uint8_t addr[16])
{
	struct msg_net n;

	for (unsigned i = 0; i < c->nclient_nets; i++)
		if (c->client_nets[i].v6 &&
		    (n = conf_client_net_net(&c->client_nets[i]),
		    msg_net_holds(&n, addr)))
			return (int)i;
	return -1;
}

static int
conf_ids_taken(const struct conf *c, const char *id, unsigned long v,
    const char *kind, const char *name, char *err, size_t errlen)
{
	return conf_fail(err, errlen, "session-users range %" PRIu32 "..+%"
	    PRIu32 " holds %s %lu of %s '%s'; choose another FIRST",
	    c->session_uid_first, c->session_uid_count, id, v, kind, name);
}

/* A session's uid and gid must be its own: a user or group that shares
 * one could signal, trace or open that session's processes. */
static int
conf_check_ids(const struct conf *c, char *err, size_t errlen)
{
	unsigned long first = c->session_uid_first;
	unsigned long end = first + c->session_uid_count;
	const struct passwd *pw;
	const struct group *gr;
	int r = 0;

	if (c->session_uid_count < conf_slots(c))
		return conf_fail(err, errlen, "session-users gives %" PRIu32
		    " uids, fewer than max-clients + max-handshakes = %u",
		    c->session_uid_count, conf_slots(c));
	setpwent();
	while (r == 0 && (pw = getpwent()) != NULL)
		if (pw->pw_uid >= first && pw->pw_uid < end)
			r = conf_ids_taken(c, "uid", pw->pw_uid, "user",
			    pw->pw_name, err, errlen);
	endpwent();
	setgrent();
	while (r == 0 && (gr = getgrent()) != NULL)
		if (gr->gr_gid >= first && gr->gr_gid < end)
			r = conf_ids_taken(c, "gid", gr->gr_gid, "group",
			    gr->gr_name, err, errlen);
	endgrent();
	return r;
}

const struct conf_route conf_redirect_routes[CONF_REDIRECT_ROUTES] = {
	{ 0x00000000, 1 }, { 0x80000000, 1 },
};

/* The client networks of family v6 that the other clients get as routes
 * (push-client-networks with client-to-client), each alone in cfg. */
static int
conf_check_pushed_nets(const struct conf *c, bool v6, struct msg_config *cfg,
    char *err, size_t errlen)
{
	char why[256], a[INET6_ADDRSTRLEN];
	struct msg_underlay u = { .server = 0 };
	struct msg_net n;

	cfg->nroutes = v6 ? 0 : 1;
	cfg->nroutes6 = v6 ? 1 : 0;
	for (unsigned i = 0; i < c->nclient_nets; i++) {
		const struct conf_client_net *cn = &c->client_nets[i];

		if (cn->v6 != v6)
			continue;
		cfg->routes[0] = (struct msg_route){ cn->addr, cn->prefix };
		memcpy(cfg->routes6[0].addr, cn->addr6, 16);
		cfg->routes6[0].prefix = cn->prefix;
		if (msg_config_judge(cfg, &u, why, sizeof(why)) != NULL) {
			n = conf_client_net_net(cn);
			return conf_fail(err, errlen, "client-network %s/%u of "
			    "'%s' is no network to route (and the other "
			    "clients would refuse it): %s",
			    msg_net_str(&n, a), n.prefix, cn->cn, why);
		}
	}
	return 0;
}

/* The IPv6 part of conf_check_pushed: pool6's first client address, then
 * each IPv6 route alone. cfg has the IPv4 part, no routes. */
static int
conf_check_pushed6(const struct conf *c, struct msg_config *cfg, char *err,
    size_t errlen)
{
	struct msg_underlay u = { .server = 0 };
	struct msg_config c6 = *cfg;
	char why[256], a[INET6_ADDRSTRLEN];

	if (c->pool6.prefix == 0)
		return 0;
	memcpy(c6.vaddr6.addr, c->pool6.addr, 16);
	c6.vaddr6.addr[15] |= 2;
	c6.vaddr6.prefix = c->pool6.prefix;
	memcpy(c6.server_vaddr6, c->pool6.addr, 16);
	c6.server_vaddr6[15] |= 1;
	if (msg_config_judge(&c6, &u, why, sizeof(why)) != NULL)
		return conf_fail(err, errlen, "clients would refuse this "
		    "server's CONFIG: %s", why);
	c6.nroutes6 = 1;
	for (unsigned i = 0; i < c->nroutes6; i++) {
		memcpy(c6.routes6[0].addr, c->routes6[i].addr, 16);
		c6.routes6[0].prefix = c->routes6[i].prefix;
		if (msg_config_judge(&c6, &u, why, sizeof(why)) != NULL)
			return conf_fail(err, errlen, "push-route %s/%u: a "
			    "client refuses it by default: %s",
			    conf_ntop6(c->routes6[i].addr, a),
			    c->routes6[i].prefix, why);
	}
	return conf_check_pushed_nets(c, true, &c6, err, errlen);
}

/* A CONFIG as our clients will get it, judged as a client with default
 * settings judges it (knowing nothing of its host): what it would refuse,
 * it would refuse on every try, reconnecting forever. */
static int
conf_check_pushed(const struct conf *c, char *err, size_t errlen)
{
	struct msg_underlay u = { .server = 0 };
	uint16_t port = conf_udp_port(c);
	struct msg_config cfg = { .vaddr = c->pool_addr + 2,
	    .prefix = c->pool_prefix, .server_vaddr = c->pool_addr + 1,
	    .mtu = c->mtu > 0xffff ? 0xffff : (uint16_t)c->mtu,
	    .port = port != 0 ? port : 1,
	    .keepalive_interval = (uint16_t)c->keepalive_interval,
	    .keepalive_timeout = (uint16_t)c->keepalive_timeout };
	char why[256], a[INET_ADDRSTRLEN];

	if (msg_config_judge(&cfg, &u, why, sizeof(why)) != NULL)
		return conf_fail(err, errlen, "clients would refuse this "
		    "server's CONFIG: %s", why);
	if (c->push_redirect_gateway &&
	    c->nroutes + CONF_REDIRECT_ROUTES > MSG_ROUTES_MAX)
		return conf_fail(err, errlen, "push-route: at most %u with "
		    "push-redirect-gateway", MSG_ROUTES_MAX -
		    CONF_REDIRECT_ROUTES);
	if (conf_check_pushed6(c, &cfg, err, errlen) == -1)
		return -1;
	cfg.nroutes = 1;
	for (unsigned i = 0; i < c->nroutes; i++) {
		cfg.routes[0] = (struct msg_route){ c->routes[i].addr,
		    c->routes[i].prefix };
		if (msg_config_judge(&cfg, &u, why, sizeof(why)) != NULL)
			return conf_fail(err, errlen, "push-route %s/%u: a "
			    "client refuses it by default: %s%s",
			    conf_ntoa(c->routes[i].addr, a),
			    c->routes[i].prefix, why, c->routes[i].prefix <= 1 ?
			    " (for a full tunnel: push-redirect-gateway)" : "");
	}
	return conf_check_pushed_nets(c, false, &cfg, err, errlen);
}

static int
conf_check_as(const struct conf *c, bool reload, char *err, size_t errlen)
{
	if (conf_check_directives(c, reload, err, errlen) == -1)
		return -1;
	if (c->user[0] != '\0' && getpwnam(c->user) == NULL)
		return conf_fail(err, errlen, "user: '%s' does not exist",
		    c->user);
	if (c->role == CONF_SERVER && (conf_check_pool(c, err, errlen) == -1 ||
	    conf_check_client_nets(c, err, errlen) == -1 ||
	    conf_check_pushed(c, err, errlen) == -1 ||
	    conf_check_ids(c, err, errlen) == -1))
		return -1;
	return 0;
}

int
conf_check(const struct conf *c, char *err, size_t errlen)
{
	return conf_check_as(c, false, err, errlen);
}

int
conf_check_reload(const struct conf *c, char *err, size_t errlen)
{
	return conf_check_as(c, true, err, errlen);
}

/* The config text of one directive in c, as conf_dump writes it; NULL
 * if there is no memory. */
static char *
conf_dump_one(const struct conf *c, const struct directive *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&text, &len)) == NULL)
		return NULL;
	if (conf_is_set(c, d))
		conf_types[d->type].dump(f, c, d);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void
conf_name_append(char *list, size_t len, const char *name)
{
	size_t n = strlen(list);

	snprintf(list + n, len - n, "%s%s", n > 0 ? ", " : "", name);
}

/* Writes the merged text of conf_reload into out. */
static int
conf_reload_text(const struct conf *cur, const struct conf *next, FILE *out,
    char *restart, size_t restartlen)
{
	const struct directive *d;

	restart[0] = '\0';
	for (d = directives; d < directives + CONF_NDIRS; d++) {
		char *was, *now;

		if (!(d->roles & cur->role))
			continue;
		was = conf_dump_one(cur, d);
		now = conf_dump_one(next, d);
		if (was == NULL || now == NULL) {
			free(was);
			free(now);
			return -1;
		}
		if (d->reload == CONF_RELOAD_RESTART && strcmp(was, now) != 0)
			conf_name_append(restart, restartlen, d->name);
		fputs(d->reload == CONF_RELOAD_RESTART ? was : now, out);
		free(was);
		free(now);
	}
	return 0;
}

int
conf_reload(const struct conf *cur, struct conf *next, char *restart,
    size_t restartlen, char *err, size_t errlen)
{
	struct src src = { "reloaded configuration", 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if ((f = open_memstream(&text, &len)) == NULL)
		r = -1;
	else {
		r = conf_reload_text(cur, next, f, restart, restartlen);
		if (fclose(f) != 0)
			r = -1;
	}
	conf_free(next);
	if (r == -1) {
		free(text);
		return conf_fail(err, errlen, "reload: %s", strerror(errno));
	}
	if (conf_defaults(next, cur->role, err, errlen) == -1) {
		free(text);
		return -1;
	}
	/* fmemopen wants a size above 0; no text leaves the defaults */
	if (len > 0 && (f = fmemopen(text, len, "r")) == NULL) {
		free(text);
		return conf_fail(err, errlen, "reload: %s", strerror(errno));
	}
	r = len > 0 ? conf_read(next, f, &src, err, errlen) : 0;
	if (len > 0)
		fclose(f);
	free(text);
	if (r == -1) {
		conf_free(next);
		return -1;
	}
	if (conf_finish(next, NULL, err, errlen) == -1) {
		conf_free(next);
		return -1;
	}
	return 0;
}

void
conf_dump(const struct conf *c, FILE *out)
{
	const struct directive *d;

	for (d = directives; d < directives + CONF_NDIRS; d++)
		if ((d->roles & c->role) && conf_is_set(c, d))
			conf_types[d->type].dump(out, c, d);
}

unsigned
conf_slots(const struct conf *c)
{
	return c->max_clients + c->max_handshakes;
}

/* conf_pull_route for a route of either family: one rule set for both. */
static bool
conf_pull_net(const struct conf *c, const struct msg_net *route,
    const struct conf_pull_filter **rule)
{
	const struct conf_pull_filter *f;
	struct msg_net n;

	if (rule != NULL)
		*rule = NULL;
	if (c->route_nopull)
		return false;
	/* redirect-gateway adds these itself; it has no IPv6 routes */
	for (unsigned i = 0; c->redirect_gateway && i < CONF_REDIRECT_ROUTES;
	    i++) {
		n = msg_net_v4(conf_redirect_routes[i].addr,
		    conf_redirect_routes[i].prefix);
		if (route->family == n.family && route->prefix == n.prefix &&
		    memcmp(route->addr, n.addr, sizeof(n.addr)) == 0)
			return false;
	}
	/* msg_net_inside: a rule of the other family holds no route */
	for (f = c->pull_filters; f < c->pull_filters + c->npull_filters;
	    f++) {
		n = conf_pull_filter_net(f);
		if (msg_net_inside(route, &n)) {
			if (rule != NULL)
				*rule = f;
			return !f->ignore;
		}
	}
	return true;
}

bool
conf_pull_route(const struct conf *c, uint32_t net, uint8_t prefix,
    const struct conf_pull_filter **rule)
{
	struct msg_net r = msg_net_v4(net, prefix);

	return conf_pull_net(c, &r, rule);
}

bool
conf_pull_route6(const struct conf *c, const uint8_t net[16],
    uint8_t prefix, const struct conf_pull_filter **rule)
{
	struct msg_net r = msg_net_v6(net, prefix);

	return conf_pull_net(c, &r, rule);
}

void
conf_pull_config(const struct conf *c, struct msg_config *cfg,
    void (*ignored)(const struct msg_net *, const struct conf_pull_filter *))
{
	const struct conf_pull_filter *rule;
	struct msg_net r;
	unsigned i, n;

	for (i = n = 0; i < cfg->nroutes; i++) {
		r = msg_net_v4(cfg->routes[i].addr, cfg->routes[i].prefix);
		if (conf_pull_net(c, &r, &rule))
			cfg->routes[n++] = cfg->routes[i];
		else if (rule != NULL && ignored != NULL)
			ignored(&r, rule);
	}
	cfg->nroutes = (uint8_t)n;
	for (i = n = 0; i < cfg->nroutes6; i++) {
		r = msg_net_v6(cfg->routes6[i].addr, cfg->routes6[i].prefix);
		if (conf_pull_net(c, &r, &rule))
			cfg->routes6[n++] = cfg->routes6[i];
		else if (rule != NULL && ignored != NULL)
			ignored(&r, rule);
	}
	cfg->nroutes6 = (uint8_t)n;
}

uint16_t
conf_udp_port(const struct conf *c)
{
	if (c->udp_port != 0)
		return (uint16_t)c->udp_port;
	return conf_ss_port(&c->listen, NULL);
}

static const char conf_config_help[] =
    "read FILE first; the other options override it";

static int
conf_help_width(enum conf_role role)
{
	size_t i, n, w = strlen("config FILE");

	for (i = 0; i < CONF_NDIRS; i++) {
		if (!(directives[i].roles & role))
			continue;
		n = strlen(directives[i].name) + 1 + strlen(directives[i].args);
		if (n > w)
			w = n;
	}
	return (int)w;
}

static void
conf_help_line(FILE *out, const struct directive *d, enum conf_role role,
    int width)
{
	char syn[128];

	snprintf(syn, sizeof(syn), "%s %s", d->name, d->args);
	fprintf(out, "  --%-*s  %s", width, syn, d->help);
	if (d->required & role)
		fprintf(out, " (required)");
	else if (d->def != NULL)
		fprintf(out, " (default: %s)", d->def);
	fputc('\n', out);
}

void
conf_help(FILE *out, enum conf_role role)
{
	int width = conf_help_width(role), g;
	bool heading;
	size_t i;

	/* main prints the usage and says how flags and file lines relate */
	fprintf(out, "  --%-*s  %s\n", width, "config FILE", conf_config_help);
	for (g = 0; g < G_COUNT; g++) {
		heading = false;
		for (i = 0; i < CONF_NDIRS; i++) {
			if (directives[i].group != (enum conf_group)g ||
			    !(directives[i].roles & role))
				continue;
			if (!heading)
				fprintf(out, "\n%s:\n", conf_group_names[g]);
			heading = true;
			conf_help_line(out, &directives[i], role, width);
		}
	}
}

/* The man page: the fixed prose below, and everything about directives
 * written from the table, so the page and --help cannot disagree. */
static const char conf_man_head[] =
    ".TH SIMPLETUN 8 \"\" \"simpletun\" \"System Manager's Manual\"\n"
    ".SH NAME\n"
    "simpletun \\- certificate\\-authenticated VPN over TLS 1.3 and UDP\n"
    ".SH SYNOPSIS\n"
    ".B simpletun server\n"
    "[\\fB\\-\\-config\\fP \\fIFILE\\fP] "
    "[\\fB\\-\\-\\fP\\fIDIRECTIVE ARG\\fP ...]\n"
    ".br\n"
    ".B simpletun client\n"
    "[\\fB\\-\\-config\\fP \\fIFILE\\fP] "
    "[\\fB\\-\\-\\fP\\fIDIRECTIVE ARG\\fP ...]\n"
    ".br\n"
    ".B simpletun status\n"
    "\\fB\\-\\-status\\-socket\\fP \\fIPATH\\fP\n"
    ".br\n"
    ".B simpletun\n"
    "[\\fBserver\\fP | \\fBclient\\fP | \\fBstatus\\fP] \\fB\\-\\-help\\fP\n"
    ".SH DESCRIPTION\n"
    ".B simpletun\n"
    "is a certificate\\-authenticated VPN for Linux.\n"
    "Clients and server authenticate each other over TLS 1.3 with\n"
    "certificates from one CA; the data channel runs over UDP with\n"
    "AES\\-256\\-CTR and HMAC\\-SHA256 (encrypt\\-then\\-MAC), keys exported\n"
    "from the TLS session, 64\\-bit sequence numbers and a replay window of\n"
    "8128 packets.\n"
    "Every job runs in its own process, so a client that misbehaves ends\n"
    "only its own session.\n"
    ".PP\n"
    ".B simpletun server\n"
    "accepts clients with TLS on a TCP address, gives each client a\n"
    "virtual address from its pool and exchanges data packets with it over\n"
    "UDP on the same address.\n"
    ".B simpletun client\n"
    "connects to a server, sets up its tun device with what the server\n"
    "pushes (address, MTU, routes) and reconnects when the session ends.\n"
    ".B simpletun status\n"
    "asks a running server or client over its status socket and prints\n"
    "its sessions and counters, including every dropped packet by reason.\n"
    ".PP\n"
    "The client checks that the server's certificate carries\n"
    "\\fB\\%server\\-name\\fP (as a DNS name in its subjectAltName, or as its\n"
    "CN when it has none); the server takes a client's identity from the\n"
    "CN of its certificate.\n"
    ".SS Processes\n"
    "A server runs these processes:\n"
    ".TP\n"
    ".B acceptor\n"
    "the main process: owns the listening TCP socket, the address pool,\n"
    "the session table and the status socket, forks the others and reaps\n"
    "them.\n"
    "It never speaks TLS.\n"
    ".TP\n"
    ".B guard\n"
    "the only reader of the tun device: passes each packet to the data\n"
    "process of its destination over a POSIX message queue.\n"
    ".TP\n"
    ".B control\n"
    "one per connection: runs the TLS handshake within\n"
    "\\fB\\%handshake\\-timeout\\fP, asks the acceptor for an address for the\n"
    "certificate's CN and hands the data keys to its data process.\n"
    ".TP\n"
    ".B data\n"
    "one per authenticated client, forked only once it has an address:\n"
    "owns its UDP socket and its message queue, and writes the client's\n"
    "packets to the tun device.\n"
    ".PP\n"
    "A client runs a parent, which stays root to configure the tun device\n"
    "and owns the status socket, and a control and a data process, which\n"
    "drop to \\fBuser\\fP.\n"
    "The server opens the tun device, binds its sockets and loads the\n"
    "certificates as root, then drops to \\fBuser\\fP before it forks\n"
    "anything.\n"
    ".PP\n"
    "With \\fB\\%client\\-to\\-client yes\\fP the server turns on IPv4\n"
    "forwarding for its tun device only.\n"
    "Reaching networks behind the server needs\n"
    "\\fB\\%net.ipv4.ip_forward=1\\fP, which simpletun leaves to the\n"
    "administrator.\n";

static const char conf_man_options[] =
    ".SH OPTIONS\n"
    "Every directive below is also valid in a configuration file as\n"
    "\\(lq\\fIdirective arguments\\fP\\(rq, without the leading\n"
    "\\fB\\-\\-\\fP; the command line wins.\n"
    "Each subcommand accepts the directives listed for it, grouped as\n"
    "\\fB\\-\\-help\\fP shows them.\n"
    ".TP\n"
    ".BR \\-\\-help \", \" \\-h\n"
    "print the usage and the directives of the subcommand (of every\n"
    "subcommand without one) and exit\n";

static const char conf_man_file[] =
    ".SH CONFIGURATION FILE\n"
    "The file given with \\fB\\-\\-config\\fP holds one directive per line:\n"
    "its name and its arguments, separated by blanks, as in OPTIONS but\n"
    "without the leading \\fB\\-\\-\\fP.\n"
    "A word that starts with \\fB#\\fP begins a comment, which runs to the\n"
    "end of the line; empty lines are ignored.\n"
    "There is no quoting: an argument, on the command line too, cannot\n"
    "contain blanks or control characters, or start with \\fB#\\fP.\n";

static const char conf_man_tail[] =
    ".SH STATUS\n"
    "\\fBsimpletun status\\fP asks a running daemon on its status socket\n"
    "(by default \\fI/run/simpletun/NAME.sock\\fP, see\n"
    "\\fBstatus\\-socket\\fP; \\fB\\-\\-config\\fP \\fIFILE\\fP finds the\n"
    "socket of the daemon started with \\fIFILE\\fP).\n"
    "It prints one key=value line per record (\\fBserver\\fP,\n"
    "\\fBguard\\fP and one \\fBsession\\fP per client on a server;\n"
    "\\fBclient\\fP and \\fBsession\\fP on a client), or with\n"
    "\\fB\\-\\-json\\fP one JSON document with the same figures:\n"
    "\\fBserver\\fP, \\fBguard\\fP and a \\fBsessions\\fP list, or\n"
    "\\fBclient\\fP and \\fBsession\\fP (null while not connected).\n"
    "A session has the peer's CN (\\fBcn\\fP), its virtual address\n"
    "(\\fBvaddr\\fP, \\fBvaddrs\\fP), the TCP peer (\\fBpeer\\fP) and UDP\n"
    "\\fBendpoint\\fP, \\fBconnected_since\\fP and \\fBlast_rx\\fP (ISO 8601\n"
    "UTC, and \\fB_epoch\\fP in Unix seconds), \\fBlast_rx_age_ms\\fP,\n"
    "\\fBrx_packets\\fP, \\fBrx_bytes\\fP, \\fBtx_packets\\fP,\n"
    "\\fBtx_bytes\\fP, \\fBrx_keepalives\\fP, \\fBtx_keepalives\\fP,\n"
    "\\fBdrops\\fP by reason, \\fBkey_epoch\\fP, \\fBrekeys\\fP and\n"
    "\\fBroams\\fP.\n"
    "Packets and bytes count tunnel packets, keepalives apart; bytes are the\n"
    "inner IP packets' lengths, without the outer IP and UDP headers and\n"
    "without simpletun's 32 bytes of header and tag per datagram.\n"
    "The counters come from the data processes once a second.\n"
    "In the text form a value with blanks, quotes, backslashes or other\n"
    "than printable ASCII stands in double quotes with JSON's escapes;\n"
    "a missing one reads \\fBnone\\fP.\n"
    ".SH EXIT STATUS\n"
    ".TP\n"
    ".B 0\n"
    "clean end (SIGTERM or SIGINT), or \\fB\\-\\-help\\fP\n"
    ".TP\n"
    ".B 1\n"
    "bad command line or configuration\n"
    ".TP\n"
    ".B 2\n"
    "could not start (certificates, tun device, sockets)\n"
    ".TP\n"
    ".B 3\n"
    "failed while running\n"
    ".TP\n"
    ".B 4\n"
    "a client was refused for good: its certificate is unknown to the\n"
    "server, revoked or expired, or the server's certificate is (or does\n"
    "not carry \\fBserver\\-name\\fP); after \\fBconnect\\-retry\\-max\\fP\n"
    "attempts, or at once from the foreground of \\fB\\-\\-daemon\\fP\n"
    "(\\fBsimpletun status\\fP shows \\fBstate=refused\\fP and the reason)\n"
    ".TP\n"
    ".B 5\n"
    "a client gave up after \\fBconnect\\-retry\\-max\\fP attempts that\n"
    "failed for another reason (server unreachable, timeouts, a refused\n"
    "CONFIG)\n"
    ".SH SIGNALS\n"
    ".TP\n"
    ".BR SIGTERM \", \" SIGINT\n"
    "end simpletun cleanly: the server ends every process it started and\n"
    "removes every message queue it made, and the exit status is 0.\n"
    ".TP\n"
    ".B SIGHUP\n"
    "a client ends as on SIGTERM.\n"
    "The server reloads: see \\fBRELOAD\\fP below.\n"
    ".TP\n"
    ".B SIGUSR1\n"
    "the server logs its status table, the lines that\n"
    "\\fBsimpletun status\\fP prints, each as \\(lqstatus: ...\\(rq.\n"
    ".TP\n"
    ".B SIGUSR2\n"
    "the server logs one line of counters: clients, handshakes, reloads\n"
    "and the guard's packet counters.\n"
    ".PP\n"
    "Neither SIGUSR1 nor SIGUSR2 ends a session or any process; a client\n"
    "and every process the server starts ignore both.\n"
    "\\fBSIGHUP\\fP, \\fBSIGUSR1\\fP and \\fBSIGUSR2\\fP go to the\n"
    "server's main process (the acceptor) only.\n"
    "@RELOAD@"
    ".SH FILES\n"
    ".TP\n"
    ".I /dev/net/tun\n"
    "through which the tun device (\\fBdev\\fP) is created.\n"
    ".TP\n"
    "\\fB/dev/mqueue/simpletun.\\fP\\fIPID\\fP\\fB.*\\fP\n"
    "the POSIX message queues of the server with process id \\fIPID\\fP:\n"
    "\\fB.guard\\fP for the guard and one per client, mode 0600 and owned\n"
    "by \\fBuser\\fP; they show here where the mqueue file system is\n"
    "mounted, and the server removes them when it ends.\n"
    ".TP\n"
    ".I /run/systemd/resolve/io.systemd.Resolve\n"
    "a client applies pushed DNS (\\fBpush\\-dns\\fP, \\fBpush\\-domain\\fP)\n"
    "with \\fBresolvectl\\fP(1) on its tun device when this socket takes a\n"
    "connection from a process of the client's network namespace and\n"
    "\\fBresolvectl\\fP is on \\fBPATH\\fP; \\fBresolvectl revert\\fP when the\n"
    "session ends. Otherwise its up and down hooks get them in\n"
    "\\fBSIMPLETUN_DNS_SERVERS\\fP and \\fBSIMPLETUN_DNS_DOMAINS\\fP.\n"
    ".SH DIAGNOSTICS\n"
    "simpletun logs one line per event to standard error:\n"
    "\\fBsimpletun[\\fP\\fIPID\\fP\\fB]\\fP \\fIprocess\\fP\n"
    "[\\fBcn=\\fP\\fICN\\fP] [\\fBvaddr=\\fP\\fIADDRESS\\fP]\\fB:\\fP\n"
    "\\fImessage\\fP.\n"
    "With \\fBverb 0\\fP only warnings and errors are logged, with\n"
    "\\fBverb 1\\fP also events, and with \\fBverb 2\\fP debug lines.\n";

static const char conf_man_see_also[] =
    ".SH SEE ALSO\n"
    ".BR openssl (1)\n"
    ".PP\n"
    "README.md in the source tree describes the protocol, the keys and the\n"
    "processes in detail; \\fBcerts/mkcerts\\fP there makes a CA, server and\n"
    "client certificates and revocation lists.\n";

/* "NAME ARGS" pairs of the examples, as a file and as a command line. */
static const char *const conf_man_server_example[][2] = {
	{ "listen", "0.0.0.0:1194" },
	{ "dev", "stun0" },
	{ "ca", "/etc/simpletun/pki/ca.crt" },
	{ "cert", "/etc/simpletun/pki/server.crt" },
	{ "key", "/etc/simpletun/pki/server.key" },
	{ "crl", "/etc/simpletun/pki/crl.pem" },
	{ "pool", "10.8.0.0/24" },
	{ "push-route", "192.168.10.0/24" },
	{ "keepalive", "10 60" },
	{ "status-socket", "/run/simpletun.sock" },
	{ NULL, NULL },
};

static const char *const conf_man_client_example[][2] = {
	{ "remote", "vpn.example.org:1194" },
	{ "server-name", "server" },
	{ "ca", "ca.crt" },
	{ "cert", "alice.crt" },
	{ "key", "alice.key" },
	{ NULL, NULL },
};

/* Table text is plain. In roff a backslash starts an escape, '-' prints as
 * a hyphen that cannot be pasted into a shell, '"' ends a macro argument,
 * and a '.' or '\'' that starts a line makes it a request. */
static void
conf_man_text(FILE *out, const char *s, bool bol)
{
	for (; *s != '\0'; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", out);
		bol = *s == '\n';
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else if (*s == '"')
			fputs("\\(dq", out);
		else
			fputc(*s, out);
	}
}

/* ".TP" with "--NAME ARGS" in bold and italics, then the help text. */
static void
conf_man_tag(FILE *out, const char *name, const char *args, const char *help)
{
	fputs(".TP\n.BI \\-\\-", out);
	conf_man_text(out, name, false);
	fputs(" \" ", out);
	conf_man_text(out, args, false);
	fputs("\"\n", out);
	conf_man_text(out, help, true);
}

static void
conf_man_directive(FILE *out, const struct directive *d,
    enum conf_role role)
{
	conf_man_tag(out, d->name, d->args, d->help);
	if (d->required & role) {
		fputs("\n(required)", out);
	} else if (d->def != NULL) {
		fputs("\n(default: \\fB", out);
		conf_man_text(out, d->def, false);
		fputs("\\fP)", out);
	}
	fputc('\n', out);
}

/* One subsection per role, groups in --help's order and with its names. */
static void
conf_man_role(FILE *out, enum conf_role role, const char *title)
{
	const struct directive *d;
	bool heading;
	int g;

	fprintf(out, ".SS \"%s\"\n", title);
	for (g = 0; g < G_COUNT; g++) {
		heading = false;
		for (d = directives; d < directives + CONF_NDIRS; d++) {
			if (d->group != (enum conf_group)g || !(d->roles & role))
				continue;
			if (!heading)
				fprintf(out, ".PP\n.I %s\n", conf_group_names[g]);
			heading = true;
			conf_man_directive(out, d, role);
		}
	}
}

static bool
conf_man_repeatable(const struct directive *d)
{
	return conf_types[d->type].repeatable;
}

static bool
conf_man_path(const struct directive *d)
{
	return d->type == T_PATH;
}

/* The names of the directives that keep accepts, as "a, b and c". */
static void
conf_man_names(FILE *out, bool (*keep)(const struct directive *))
{
	size_t i, n = 0, total = 0;

	for (i = 0; i < CONF_NDIRS; i++)
		total += keep(&directives[i]);
	for (i = 0; i < CONF_NDIRS; i++) {
		if (!keep(&directives[i]))
			continue;
		if (n > 0)
			fputs(n + 1 == total ? " and " : ", ", out);
		fputs("\\fB\\%", out);
		conf_man_text(out, directives[i].name, false);
		fputs("\\fP", out);
		n++;
	}
}

static void
conf_man_file_rules(FILE *out)
{
	fputs(conf_man_file, out);
	fprintf(out, "A line holds at most %d characters.\n", CONF_LINE_MAX);
	fputs("The file is read first, then the options on the command line\n"
	    "replace what it says; the repeatable directives (", out);
	conf_man_names(out, conf_man_repeatable);
	fputs(")\nadd to those of the file instead.\n"
	    ".PP\n"
	    "An unknown directive, one that is not valid for the subcommand,\n"
	    "a missing or extra argument, a value out of range, a directive\n"
	    "given twice (other than a repeatable one) and a file (", out);
	conf_man_names(out, conf_man_path);
	fputs(")\nthat cannot be opened are errors: simpletun prints one line\n"
	    "naming the file, the line and the problem, and exits with\n"
	    "status 1.\n", out);
}

/* An example block: the command (roff already) and its "--NAME ARGS"
 * lines, if ex is not NULL. */
static void
conf_man_command(FILE *out, const char *cmd, const char *const ex[][2])
{
	size_t i;

	fprintf(out, ".PP\n.RS 4\n.nf\n%s", cmd);
	for (i = 0; ex != NULL && ex[i][0] != NULL; i++) {
		fputs(" \\e\n    \\-\\-", out);
		conf_man_text(out, ex[i][0], false);
		fputc(' ', out);
		conf_man_text(out, ex[i][1], false);
	}
	fputs("\n.fi\n.RE\n", out);
}

static void
conf_man_config(FILE *out, const char *const ex[][2])
{
	size_t i;

	fputs(".PP\n.RS 4\n.nf\n", out);
	for (i = 0; ex[i][0] != NULL; i++) {
		conf_man_text(out, ex[i][0], true);
		fputc(' ', out);
		conf_man_text(out, ex[i][1], false);
		fputc('\n', out);
	}
	fputs(".fi\n.RE\n", out);
}

static void
conf_man_examples(FILE *out)
{
	fputs(".SH EXAMPLES\n"
	    "Make a CA, a server certificate, certificates for alice and bob\n"
	    "and an empty revocation list:\n", out);
	conf_man_command(out, "certs/mkcerts /etc/simpletun/pki alice bob",
	    NULL);
	conf_man_command(out, "certs/mkcerts \\-\\-crl /etc/simpletun/pki",
	    NULL);
	fputs(".PP\nA server, with this in\n"
	    ".IR /etc/simpletun/server.conf :\n", out);
	conf_man_config(out, conf_man_server_example);
	conf_man_command(out, "simpletun server \\-\\-config "
	    "/etc/simpletun/server.conf", NULL);
	fputs(".PP\nThe same server, on the command line alone:\n", out);
	conf_man_command(out, "simpletun server", conf_man_server_example);
	fputs(".PP\nA client, and the server's status:\n", out);
	conf_man_command(out, "simpletun client", conf_man_client_example);
	conf_man_command(out, "simpletun status \\-\\-status\\-socket "
	    "/run/simpletun.sock", NULL);
	fputs(".PP\nRevoke bob's certificate:\n", out);
	conf_man_command(out, "certs/mkcerts \\-\\-revoke bob "
	    "/etc/simpletun/pki", NULL);
	fputs(".PP\n"
	    "Then send the server \\fBSIGHUP\\fP: it reads the \\fBcrl\\fP\n"
	    "again and ends bob's session (see RELOAD).\n"
	    "The lists that mkcerts writes are valid for 30 days: write a new\n"
	    "one with \\fB\\-\\-crl\\fP, and send \\fBSIGHUP\\fP, before then.\n",
	    out);
}

static bool
conf_man_reload_new(const struct directive *d)
{
	return (d->roles & CONF_SERVER) && d->reload == CONF_RELOAD_NEW;
}

static bool
conf_man_reload_live(const struct directive *d)
{
	return (d->roles & CONF_SERVER) && d->reload == CONF_RELOAD_LIVE;
}

static bool
conf_man_reload_restart(const struct directive *d)
{
	return (d->roles & CONF_SERVER) && d->reload == CONF_RELOAD_RESTART;
}

/* What SIGHUP does, with the lists from the directive table. */
static void
conf_man_reload(FILE *out)
{
	fputs(".SS RELOAD\n"
	    "On \\fBSIGHUP\\fP the server reads its command line and\n"
	    "\\fB\\-\\-config\\fP file again (the command line still wins),\n"
	    "and its \\fBcrl\\fP file, as \\fBuser\\fP: both must be\n"
	    "readable by it.\n"
	    "A file that does not parse, or fails the checks made at startup,\n"
	    "or a CRL that does not load or has expired, is refused with one\n"
	    "line (\\(lqreload refused, the running configuration stays: ...\\(rq)\n"
	    "and the server keeps running as it was.\n"
	    "No session is dropped by a reload.\n"
	    ".PP\n"
	    "These take effect for every session and connection from then on: ",
	    out);
	conf_man_names(out, conf_man_reload_new);
	fputs(".\nSessions that are up keep the routes and the address they\n"
	    "were given until they reconnect; a lower \\fB\\%max\\-clients\\fP\n"
	    "refuses new sessions until fewer are up, and ends none.\n"
	    "These also change the sessions that are up, at once: ", out);
	conf_man_names(out, conf_man_reload_live);
	fputs(".\nWith a \\fBcrl\\fP, every session that is up has its client's\n"
	    "certificate checked again against the new list (by its control\n"
	    "process, which holds the TLS session), and each that fails now,\n"
	    "a revoked one for instance, ends with a BYE whose reason its client\n"
	    "logs (\\(lqserver ... ended the session; it said goodbye:\n"
	    "certificate revoked\\(rq).\n"
	    "Such a client keeps trying with its \\fB\\%connect\\-retry\\fP\n"
	    "backoff, and is refused at each handshake.\n"
	    ".PP\n"
	    "The others are read once, at startup: ", out);
	conf_man_names(out, conf_man_reload_restart);
	fputs(".\nA reload that changes any of them, or raises\n"
	    "\\fB\\%max\\-clients\\fP plus \\fB\\%max\\-handshakes\\fP above what the\n"
	    "server started with, keeps the old value and names them in one\n"
	    "line: \\(lqreload: these need a restart and were not applied:\n"
	    "listen, pool\\(rq.\n"
	    "New certificates and keys (\\fBca\\fP, \\fBcert\\fP, \\fBkey\\fP) also\n"
	    "need a restart: the key is read as root, before the server drops\n"
	    "its privileges.\n"
	    ".SS KICK\n"
	    ".B simpletun kick\n"
	    "\\fICN\\fP \\fB\\-\\-status\\-socket\\fP \\fIPATH\\fP\n"
	    "ends every session of the certificate \\fICN\\fP with a BYE whose\n"
	    "reason its client logs; the client reconnects after\n"
	    "\\fB\\%connect\\-retry\\fP's first delay, as after any end of a\n"
	    "session (revoke the certificate to keep it out).\n"
	    "Whoever may connect to the status socket may kick: the server\n"
	    "makes it mode 0600, owned by root.\n"
	    "Its exit status is 0 if a session ended, 1 if that CN had none,\n"
	    "2 if the socket did not answer.\n", out);
}

void
conf_man(FILE *out)
{
	static const struct {
		enum conf_role role;
		const char *title;
	} roles[] = {
		{ CONF_SERVER, "Server directives" },
		{ CONF_CLIENT, "Client directives" },
		{ CONF_STATUS, "Status directives" },
	};
	size_t i;

	fputs(conf_man_head, out);
	fputs(conf_man_options, out);
	conf_man_tag(out, "config", "FILE", conf_config_help);
	fputc('\n', out);
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		conf_man_role(out, roles[i].role, roles[i].title);
	conf_man_file_rules(out);
	/* the tail, with the reload section from the table in its place */
	{
		const char *at = strstr(conf_man_tail, "@RELOAD@");

		fwrite(conf_man_tail, 1, (size_t)(at - conf_man_tail), out);
		conf_man_reload(out);
		fputs(at + strlen("@RELOAD@"), out);
	}
	conf_man_examples(out);
	fputs(conf_man_see_also, out);
}

void
conf_free(struct conf *c)
{
	free(c->fixed);
	c->fixed = NULL;
	c->nfixed = 0;
}
