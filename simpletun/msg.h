/* Typed messages between processes and over TLS (DESIGN.md section 2):
 * type (u16) | length (u16) | payload, big-endian, length checked per type.
 * Each message has one struct and one put/get pair here; no other file
 * reads or writes a message's bytes by offset. */
#ifndef MSG_H
#define MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define MSG_HDR_LEN 4
#define MSG_MAX_PAYLOAD 4096
#define MSG_MAX_LEN (MSG_HDR_LEN + MSG_MAX_PAYLOAD)
#define MSG_MAX_FDS 8		/* fds that may ride along with one message */

enum msg_type {
	/* between processes of one host */
	MSG_START = 1,		/* parent -> exec'd child, with its fds */
	MSG_SESSION,		/* control -> data, once */
	MSG_KEYS,		/* control -> data */
	MSG_PEER_DEAD,		/* data -> control: empty */
	MSG_STATS,		/* data or guard -> parent */
	MSG_STOP,		/* acceptor -> control: replaced, say BYE; the
				   address of the session that replaced it */
	MSG_ADDRESS_REQUEST,	/* control -> acceptor: the client's CN */
	MSG_ADDRESS_GRANT,	/* acceptor -> control */
	MSG_ADDRESS_DENY,	/* acceptor -> control: reason text */
	MSG_QUEUE,		/* data -> acceptor, with its queue's write end */
	MSG_REGISTER,		/* acceptor -> guard, with that write end */
	MSG_UNREGISTER,		/* acceptor -> guard */
	MSG_TUN_CONFIG,		/* client control -> client parent: a CONFIG */
	MSG_REKEY_DUE,		/* data -> control: empty */
	MSG_STATUS_REPLY,	/* daemon -> a status connection: a line */
	MSG_UDP_SOCKET,		/* acceptor -> guard, with one more unconnected
				   socket on the port: empty */
	MSG_RECHECK,		/* acceptor -> control, on reload, with the CA
				   and the new CRL: check the peer again */
	MSG_END,		/* acceptor -> control: end the session (kick) */
	MSG_LIVE,		/* acceptor -> data: settings a reload changed */
	MSG_KICK,		/* `simpletun kick` -> acceptor: a CN */
	MSG_TUN_SERVER,		/* client control -> client parent: the
				   server's address it reached, before
				   TUN_CONFIG */
	MSG_STATUS_JSON,	/* daemon -> a status connection: a piece of
				   the JSON document */
	MSG_STATUS_END,		/* daemon -> a status connection: empty, the
				   reply is whole */
	MSG_REFUSED,		/* client control -> client parent: the peer
				   refused us, or we it, for good (a
				   certificate): reason text */

	/* over TLS, client <-> server */
	MSG_HELLO = 0x100,
	MSG_CONFIG,
	MSG_REKEY,
	MSG_REKEY_ACK,
	MSG_BYE,		/* reason text */
};

#define MSG_CN_MAX 64
#define MSG_PEER_MAX 64		/* "[v6 address]:port" as text */
#define MSG_REASON_MAX 256
#define MSG_STATUS_MAX MSG_MAX_PAYLOAD
#define MSG_KEYMAT_LEN 72	/* = PKT_KEYMAT_LEN, checked in msg.c */
#define MSG_ROUTES_MAX 64
#define MSG_NETS_MAX 64		/* client networks of one session */
#define MSG_SA_LEN 19		/* a socket address: family | port | 16 */
#define MSG_DNS_MAX 4		/* pushed DNS servers */
#define MSG_DOMAINS_MAX 4	/* pushed DNS search domains */
#define MSG_DOMAIN_MAX 253	/* characters of one domain name */

struct msg {
	uint16_t type;
	uint16_t len;
	const uint8_t *payload;
};

/* START: what an exec'd child is told besides its configuration; its fds
 * ride along (see child.h for their order per role). */
struct msg_start {
	struct sockaddr_storage peer;	/* control: the client's address */
};

struct msg_route {
	uint32_t addr;			/* host order, host bits zero */
	uint8_t prefix;
};

/* An IPv6 address or network: network order, prefix 0..128. */
struct msg_net6 {
	uint8_t addr[16];
	uint8_t prefix;
};

/* SESSION: what a data process needs besides keys. */
struct msg_session {
	uint32_t vaddr;			/* host order, as every address here */
	uint8_t prefix;
	uint32_t server_vaddr;
	uint32_t pool;			/* server: the pool's network */
	uint8_t pool_prefix;
	bool client_to_client;
	uint16_t keepalive_interval, keepalive_timeout;	/* seconds */
	uint16_t mtu;
	uint32_t rx_index;		/* carried by every packet we accept */
	uint32_t tx_index;		/* put into every packet we send */
	struct sockaddr_storage peer;	/* client: the server's UDP endpoint */
	/* IPv6 (pool6), all zero without: as vaddr, server_vaddr, pool */
	uint8_t vaddr6[16], server_vaddr6[16], pool6[16];
	uint8_t pool6_prefix;		/* 0: no IPv6 in the tunnel */
	uint8_t nnets;			/* server: client-networks of this */
	struct msg_route nets[MSG_NETS_MAX];	/* client, sources it may use */
	uint8_t nnets6;			/* and its IPv6 ones (pool6) */
	struct msg_net6 nets6[MSG_NETS_MAX];
};

#define MSG_KEYS_TX_NOW 1	/* send with it at once, not once the peer has */

struct msg_keys {
	uint32_t epoch;
	uint8_t flags;
	uint8_t tx[MSG_KEYMAT_LEN];	/* seals what we send */
	uint8_t rx[MSG_KEYMAT_LEN];	/* opens what we receive */
};

struct msg_grant {
	uint32_t vaddr;
	uint8_t prefix;
	uint32_t server_vaddr;
	uint32_t index;			/* the session's receiver index */
	struct msg_net6 vaddr6;		/* prefix 0: no pool6 */
	uint8_t server_vaddr6[16];
};

struct msg_register {
	uint16_t slot;
	uint32_t index;
	uint32_t vaddr;			/* IPv4, host order */
	uint8_t vaddr6[16];		/* IPv6; all zero: none */
	char cn[MSG_CN_MAX + 1];	/* "" or the client's: its networks */
};

struct msg_unregister {
	uint16_t slot;
};

#define MSG_HELLO_TAP 1	/* flags: the client's dev-type is tap */

struct msg_hello {
	uint16_t version;
	uint16_t flags;
	uint32_t index;			/* the client's receiver index */
};


/* A pushed DNS server: an IPv4 or IPv6 address, network order. */
struct msg_dns {
	uint8_t family;			/* 4 or 6 */
	uint8_t addr[16];		/* IPv4 in the first 4, the rest 0 */
};

/* CONFIG (and TUN_CONFIG): what the server tells its client. */
struct msg_config {
	uint32_t vaddr;
	uint8_t prefix;
	uint32_t server_vaddr;
	uint16_t mtu;
	uint16_t port;			/* the server's UDP port */
	uint16_t keepalive_interval, keepalive_timeout;
	uint32_t index;			/* the server's receiver index */
	uint8_t nroutes;
	struct msg_route routes[MSG_ROUTES_MAX];
	/* IPv6 (pool6), sent only when vaddr6.prefix is not 0: the client's
	 * address with its network's prefix, the server's tunnel address,
	 * IPv6 routes. */
	struct msg_net6 vaddr6;
	uint8_t server_vaddr6[16];
	uint8_t nroutes6;
	struct msg_net6 routes6[MSG_ROUTES_MAX];
	uint8_t ndns;			/* push-dns */
	struct msg_dns dns[MSG_DNS_MAX];
	uint8_t ndomains;		/* push-domain */
	char domains[MSG_DOMAINS_MAX][MSG_DOMAIN_MAX + 1];
};

struct msg_epoch {
	uint32_t epoch;
};

/* RECHECK: its fds are the CA and the CRL (sealed memfds, as at start);
 * generation counts the server's reloads, for the log. */
struct msg_recheck {
	uint32_t generation;
};

/* END: why the acceptor ends a session; the control process tells its
 * client in a BYE. */
enum msg_end_cause {
	MSG_END_KICKED = 1,		/* `simpletun kick CN` */
};

struct msg_end {
	uint8_t cause;
};

/* LIVE: what a data process applies to a running session after a reload. */
struct msg_live {
	bool client_to_client;
};

/* KICK: the CN whose sessions end, printable ASCII, 1..MSG_CN_MAX. */
struct msg_kick {
	char cn[MSG_CN_MAX + 1];
};

/* Parses one message at the start of buf. Returns its total length (header
 * plus payload) if a whole valid message is there, 0 if more bytes are
 * needed, -1 if it is malformed: unknown type, or a length outside the
 * bounds of its type. Never reads past len. */
ssize_t msg_parse(const uint8_t *buf, size_t len, struct msg *m);
/* Writes a message into out; returns its total length, or -1 if the type is
 * unknown, the length out of bounds, or cap too small. */
ssize_t msg_build(uint8_t *out, size_t cap, uint16_t type,
    const void *payload, size_t len);
/* One message per datagram on a SOCK_SEQPACKET socket. */
int msg_send(int fd, uint16_t type, const void *payload, size_t len);
/* The same, with nfds fds (SCM_RIGHTS); the caller keeps its copies. */
int msg_send_fds(int fd, uint16_t type, const void *payload, size_t len,
    const int *fds, size_t nfds);
/* Receives one datagram into buf and parses it; it must be exactly one whole
 * valid message, and carry no fd. Returns 1 with m set, 0 on EOF, -1 on
 * error with errno set (EBADMSG for a malformed message, EAGAIN if nothing
 * is there). */
int msg_recv(int fd, uint8_t *buf, size_t cap, struct msg *m);
/* The same, but the message may carry up to max fds, which are stored in
 * fds (close-on-exec), counted in *nfds and then owned by the caller; on
 * any error none is left open. */
int msg_recv_fds(int fd, uint8_t *buf, size_t cap, struct msg *m, int *fds,
    size_t max, size_t *nfds);
const char *msg_name(uint16_t type);

/* put: writes the payload of a message into p (MSG_MAX_PAYLOAD bytes),
 * returns its length. get: checks and reads a message that msg_parse
 * accepted and that has the right type; 0, or -1 if it does not hold. */
size_t msg_put_start(uint8_t *p, const struct msg_start *s);
int msg_get_start(const struct msg *m, struct msg_start *s);
size_t msg_put_session(uint8_t *p, const struct msg_session *s);
int msg_get_session(const struct msg *m, struct msg_session *s);
size_t msg_put_keys(uint8_t *p, const struct msg_keys *k);
int msg_get_keys(const struct msg *m, struct msg_keys *k);
size_t msg_put_grant(uint8_t *p, const struct msg_grant *g);
int msg_get_grant(const struct msg *m, struct msg_grant *g);
size_t msg_put_register(uint8_t *p, const struct msg_register *r);
int msg_get_register(const struct msg *m, struct msg_register *r);
size_t msg_put_unregister(uint8_t *p, const struct msg_unregister *u);
int msg_get_unregister(const struct msg *m, struct msg_unregister *u);
size_t msg_put_hello(uint8_t *p, const struct msg_hello *h);
int msg_get_hello(const struct msg *m, struct msg_hello *h);
size_t msg_put_config(uint8_t *p, const struct msg_config *c);
int msg_get_config(const struct msg *m, struct msg_config *c);
size_t msg_put_tun_server(uint8_t *p, const struct sockaddr_storage *ss);
int msg_get_tun_server(const struct msg *m, struct sockaddr_storage *ss);
size_t msg_put_epoch(uint8_t *p, const struct msg_epoch *e);
int msg_get_epoch(const struct msg *m, struct msg_epoch *e);
size_t msg_put_recheck(uint8_t *p, const struct msg_recheck *r);
int msg_get_recheck(const struct msg *m, struct msg_recheck *r);
size_t msg_put_end(uint8_t *p, const struct msg_end *e);
int msg_get_end(const struct msg *m, struct msg_end *e);
/* The BYE reason for an END's cause. */
const char *msg_end_reason(uint8_t cause);
size_t msg_put_live(uint8_t *p, const struct msg_live *l);
int msg_get_live(const struct msg *m, struct msg_live *l);
size_t msg_put_kick(uint8_t *p, const struct msg_kick *k);
int msg_get_kick(const struct msg *m, struct msg_kick *k);
/* NULL if name (len bytes, no NUL needed) is a DNS name as push-domain
 * takes it: 1..MSG_DOMAIN_MAX characters, dot-separated labels of 1..63
 * letters, digits and '-', none starting or ending with '-'; no trailing
 * dot. Else why not, as a fixed text. */
const char *msg_domain_bad(const char *name, size_t len);
/* NULL if a DNS server address may be pushed and applied: not the
 * unspecified address, multicast or IPv4 broadcast. Else why not. */
const char *msg_dns_bad(const struct msg_dns *d);
/* The address as text; buf has INET6_ADDRSTRLEN bytes. */
const char *msg_dns_str(const struct msg_dns *d, char *buf);
/* Text payloads (CN, reasons, status lines): copied with a NUL into out,
 * cut to size. */
void msg_get_text(const struct msg *m, char *out, size_t size);

/* What a client knows of its own side when it judges a CONFIG: the
 * networks of its interfaces' addresses, the gateways of its routes, and
 * the server's underlay address where that is known (host order, 0: not
 * known here). full_tunnel is the client's allow-full-tunnel. */
#define MSG_UNDERLAY_NETS 256
#define MSG_UNDERLAY_GATEWAYS 64

struct msg_underlay {
	uint32_t server;
	struct msg_route nets[MSG_UNDERLAY_NETS];
	unsigned nnets;
	struct msg_net6 nets6[MSG_UNDERLAY_NETS];	/* IPv6 networks */
	unsigned nnets6;
	uint32_t gateways[MSG_UNDERLAY_GATEWAYS];
	unsigned ngateways;
	bool full_tunnel;
};

/* The bounds a client holds a CONFIG to. The largest MTU still fits a
 * sealed packet in IPv4 and UDP into a 9000-byte jumbo frame. */
#define MSG_MTU_MIN 576
#define MSG_MTU_MAX (9000 - 20 - 8 - 32)	/* 32: PKT_OVERHEAD */
#define MSG_KA_INTERVAL_MAX 300
#define MSG_KA_TIMEOUT_MAX 3600

/* Judges a CONFIG that msg_get_config read, as its client would apply it
 * (pushed routes the client ignores already dropped). Refused:
 *  - a malformed one: prefix outside 8..30, addresses not in one subnet or
 *    not host addresses, port 0, a route with host bits or prefix > 32;
 *  - MTU outside MSG_MTU_MIN..MSG_MTU_MAX, keepalive interval outside
 *    1..MSG_KA_INTERVAL_MAX or timeout outside interval+1..
 *    MSG_KA_TIMEOUT_MAX;
 *  - a tunnel network that overlaps a reserved range (0.0.0.0/8,
 *    127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 240.0.0.0/4) or a network
 *    of the client, or holds a gateway or the server;
 *  - a route inside a reserved range or inside (or equal to) a network of
 *    the client;
 *  - unless u->full_tunnel: a route that covers a reserved range, a
 *    network of the client, a gateway or the server;
 *  - a DNS server that msg_dns_bad refuses, or one given twice, or a
 *    domain given twice (msg_get_config has checked the domains' form).
 * And the same for IPv6 when the CONFIG has it: prefix outside 64..126,
 * addresses not in one subnet; a network or route in or over ::/8,
 * fe80::/10 or ff00::/8, or in or over a network of the client (u->nets6);
 * a route inside the tunnel's own IPv6 network; a route with host bits or
 * a prefix > 128.
 * NULL if the client may apply it; else a fixed text naming the rule, and,
 * if why is not NULL, one line there naming what is refused and why. */
const char *msg_config_judge(const struct msg_config *c,
    const struct msg_underlay *u, char *why, size_t whylen);
/* A network or address of either family, as the judge holds one to
 * another: IPv4 is its own 4 bytes at the front of addr (network order, the
 * rest zero), not v4-mapped, its prefix 0..32. Networks of two families
 * never meet (an IPv4 one is inside no IPv6 one). */
struct msg_net {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix;
};
struct msg_net msg_net_v4(uint32_t addr, uint8_t prefix);	/* host order */
struct msg_net msg_net_v6(const uint8_t addr[16], uint8_t prefix);
/* Whether addr (of n's family) has n's first n->prefix bits. */
bool msg_net_holds(const struct msg_net *n, const uint8_t *addr);
/* a lies inside (or is) b; a and b overlap (one inside the other). */
bool msg_net_inside(const struct msg_net *a, const struct msg_net *b);
bool msg_net_overlap(const struct msg_net *a, const struct msg_net *b);
/* n's address as text (buf of INET6_ADDRSTRLEN); returns buf. */
const char *msg_net_str(const struct msg_net *n, char *buf);
/* Whether addr lies in net (has its first net->prefix bits). */
bool msg_net6_holds(const struct msg_net6 *net, const uint8_t addr[16]);
/* Whether n is a network: prefix 0..128, no host bit set. */
bool msg_net6_is_net(const struct msg_net6 *n);
/* msg_config_judge knowing only the server's address (0: not known), with
 * no full tunnel. */
const char *msg_config_check(const struct msg_config *c, uint32_t server);

/* Socket addresses in messages: u8 family (0, 4 or 6) | u16 port | 16
 * address bytes (IPv4 in the first 4). */
void msg_put_sa(uint8_t *p, const struct sockaddr_storage *ss);
int msg_get_sa(const uint8_t *p, struct sockaddr_storage *ss);

/* Queue messages, guard -> data process (not framed: one per mq message):
 * u8 kind | body. QMSG_TUN: packets read from tun, each u16 length |
 * packet. QMSG_UDP: one datagram that reached the guard's socket, as
 * socket address (MSG_SA_LEN) | datagram. */
enum qmsg_kind {
	QMSG_TUN = 1,
	QMSG_UDP = 2,
	QMSG_FRAMES = 3,	/* tap, data -> guard: see qmsg_frames_start */
};

#define QMSG_HDR_LEN 1
#define QMSG_TUN_REC_HDR 2
#define QMSG_UDP_HDR (QMSG_HDR_LEN + MSG_SA_LEN)

/* Starts a QMSG_TUN batch in buf; returns its length so far. */
size_t qmsg_tun_start(uint8_t *buf);
/* Appends a packet; the caller checks that fill + QMSG_TUN_REC_HDR + len
 * fits. Returns the new length. */
size_t qmsg_tun_add(uint8_t *buf, size_t fill, const uint8_t *pkt,
    size_t len);
/* Walks a QMSG_TUN batch: *pos starts at 0; 1 with *pkt, *len set, 0 at
 * the end, -1 if a record does not fit or is longer than max. */
int qmsg_tun_next(const uint8_t *buf, size_t len, size_t *pos,
    size_t max, const uint8_t **pkt, size_t *plen);
/* Tap mode, the reverse queue (server data process -> guard): starts a
 * QMSG_FRAMES batch, records as in QMSG_TUN (qmsg_tun_add, qmsg_tun_next),
 * each an Ethernet frame for other sessions (at least 14 bytes) or, of
 * exactly QMSG_MAC_NOTICE bytes, a MAC address the session owns. */
#define QMSG_MAC_NOTICE 6
size_t qmsg_frames_start(uint8_t *buf);
/* Writes the QMSG_UDP header for a datagram from ss into buf (which then
 * takes the datagram at buf + QMSG_UDP_HDR). */
void qmsg_udp_put(uint8_t *buf, const struct sockaddr_storage *ss);
/* The kind of a queue message, or -1 if it has none. */
int qmsg_kind(const uint8_t *buf, size_t len);
/* Reads a QMSG_UDP: the sender and the datagram; -1 if malformed. */
int qmsg_udp_get(uint8_t *buf, size_t len, struct sockaddr_storage *ss,
    uint8_t **dgram, size_t *dlen);

static inline void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void
put_u32(uint8_t *p, uint32_t v)
{
	put_u16(p, v >> 16);
	put_u16(p + 2, v);
}

static inline void
put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, v >> 32);
	put_u32(p + 4, v);
}

static inline uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)get_u16(p) << 16 | get_u16(p + 2);
}

static inline uint64_t
get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

#endif
