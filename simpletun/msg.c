/* Framing of typed messages: one table says which types exist and how long
 * their payloads may be, and every parse and build goes through it. Next
 * to it, one put/get pair per message with its offsets named. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "msg.h"
#include "packet.h"

_Static_assert(MSG_KEYMAT_LEN == PKT_KEYMAT_LEN, "KEYS carries PKT keymat");
_Static_assert(MSG_MTU_MAX == 9000 - 20 - 8 - PKT_OVERHEAD,
    "the largest MTU leaves room for IPv4, UDP and our header and tag");

/* START: the peer's address */
enum { START_PEER = 0, START_LEN = START_PEER + MSG_SA_LEN };

/* SESSION */
enum {
	SESSION_VADDR = 0,
	SESSION_PREFIX = 4,
	SESSION_SERVER = 5,
	SESSION_POOL = 9,
	SESSION_POOL_PREFIX = 13,
	SESSION_FLAGS = 14,		/* bit 0: client-to-client */
	SESSION_KA_INTERVAL = 15,
	SESSION_KA_TIMEOUT = 17,
	SESSION_MTU = 19,
	SESSION_RX_INDEX = 21,
	SESSION_TX_INDEX = 25,
	SESSION_PEER = 29,
	SESSION_VADDR6 = SESSION_PEER + MSG_SA_LEN,
	SESSION_SERVER6 = SESSION_VADDR6 + 16,
	SESSION_POOL6 = SESSION_SERVER6 + 16,
	SESSION_POOL6_PREFIX = SESSION_POOL6 + 16,
	SESSION_NNETS = SESSION_POOL6_PREFIX + 1,
	SESSION_NNETS6 = SESSION_NNETS + 1,
	SESSION_LEN = SESSION_NNETS6 + 1,
	/* then nnets client networks of ROUTE_LEN bytes and nnets6 IPv6 ones
	 * of ROUTE6_LEN bytes (0..MSG_NETS_MAX each); the length must
	 * account for every byte */
	SESSION_NETS = SESSION_LEN,
};

/* KEYS */
enum {
	KEYS_EPOCH = 0,
	KEYS_FLAGS = 4,
	KEYS_TX = 5,
	KEYS_RX = KEYS_TX + MSG_KEYMAT_LEN,
	KEYS_LEN = KEYS_RX + MSG_KEYMAT_LEN,
};

/* ADDRESS_GRANT */
enum {
	GRANT_VADDR = 0,
	GRANT_PREFIX = 4,
	GRANT_SERVER = 5,
	GRANT_INDEX = 9,
	GRANT_VADDR6 = 13,
	GRANT_PREFIX6 = 29,
	GRANT_SERVER6 = 30,
	GRANT_LEN = 46,
};

/* REGISTER and UNREGISTER */
enum {
	REGISTER_SLOT = 0,
	REGISTER_INDEX = 2,
	REGISTER_VADDR = 6,
	REGISTER_VADDR6 = 10,
	REGISTER_LEN = 26,
	REGISTER_CN = REGISTER_LEN,	/* then 0..MSG_CN_MAX bytes of CN */
	UNREGISTER_SLOT = 0,
	UNREGISTER_LEN = 2,
};

/* HELLO */
enum {
	HELLO_VERSION = 0,
	HELLO_FLAGS = 2,
	HELLO_INDEX = 4,
	HELLO_LEN = 8,
};

/* CONFIG: a fixed part, nroutes routes of ROUTE_LEN bytes, then the DNS
 * part: a count and that many servers of DNS_LEN bytes, a count and that
 * many domains, each a length byte and its characters; then, with IPv6
 * (pool6) only, the IPv6 part (offsets from its start) and its nroutes6
 * routes of ROUTE6_LEN bytes. The length must account for every byte. */
enum {
	CONFIG_VADDR = 0,
	CONFIG_PREFIX = 4,
	CONFIG_SERVER = 5,
	CONFIG_MTU = 9,
	CONFIG_PORT = 11,
	CONFIG_KA_INTERVAL = 13,
	CONFIG_KA_TIMEOUT = 15,
	CONFIG_INDEX = 17,
	CONFIG_NROUTES = 21,
	CONFIG_ROUTES = 22,
	ROUTE_ADDR = 0,
	ROUTE_PREFIX = 4,
	ROUTE_LEN = 5,
	DNS_FAMILY = 0,
	DNS_ADDR = 1,
	DNS_LEN = 17,
	DOMAIN_LEN = 0,
	DOMAIN_NAME = 1,
	CONFIG6_VADDR = 0,
	CONFIG6_PREFIX = 16,
	CONFIG6_SERVER = 17,
	CONFIG6_NROUTES = 33,
	CONFIG6_ROUTES = 34,
	ROUTE6_ADDR = 0,
	ROUTE6_PREFIX = 16,
	ROUTE6_LEN = 17,
	CONFIG_MIN = CONFIG_ROUTES + 2,		/* both DNS counts 0 */
	CONFIG_MAX = CONFIG_ROUTES + ROUTE_LEN * MSG_ROUTES_MAX + 1 +
	    DNS_LEN * MSG_DNS_MAX + 1 +
	    (DOMAIN_NAME + MSG_DOMAIN_MAX) * MSG_DOMAINS_MAX +
	    CONFIG6_ROUTES + ROUTE6_LEN * MSG_ROUTES_MAX,
};

/* REKEY and REKEY_ACK */
enum { EPOCH_EPOCH = 0, EPOCH_LEN = 4 };

/* RECHECK, END, LIVE */
enum {
	RECHECK_GENERATION = 0,
	RECHECK_LEN = 4,
	END_CAUSE = 0,
	END_LEN = 1,
	LIVE_FLAGS = 0,			/* bit 0: client-to-client */
	LIVE_LEN = 1,
};

/* socket addresses */
enum { SA_FAMILY = 0, SA_PORT = 1, SA_ADDR = 3 };

/* STATS: a field table of u64 counters after a small head; see stats.c */
#define STATS_MAX 512

struct msg_spec {
	const char *name;		/* NULL: no such type */
	uint16_t min;
	uint16_t max;
	/* extra check of a payload whose length is within bounds */
	int (*check)(const uint8_t *payload, size_t len);
};

static int	msg_check_config(const uint8_t *, size_t);

/* Indexed by type; the gap between the local and the TLS types stays empty,
 * which costs a few KiB of rodata and keeps the lookup a bounds check. */
static const struct msg_spec msg_specs[] = {
	[MSG_START] = { "START", START_LEN, START_LEN, NULL },
	[MSG_SESSION] = { "SESSION", SESSION_LEN, SESSION_LEN +
	    (ROUTE_LEN + ROUTE6_LEN) * MSG_NETS_MAX, NULL },
	[MSG_KEYS] = { "KEYS", KEYS_LEN, KEYS_LEN, NULL },
	[MSG_PEER_DEAD] = { "PEER_DEAD", 0, 0, NULL },
	[MSG_STATS] = { "STATS", 0, STATS_MAX, NULL },
	[MSG_STOP] = { "STOP", 0, MSG_PEER_MAX, NULL },
	[MSG_ADDRESS_REQUEST] = { "ADDRESS_REQUEST", 1, MSG_CN_MAX, NULL },
	[MSG_ADDRESS_GRANT] = { "ADDRESS_GRANT", GRANT_LEN, GRANT_LEN, NULL },
	[MSG_ADDRESS_DENY] = { "ADDRESS_DENY", 1, MSG_REASON_MAX, NULL },
	[MSG_QUEUE] = { "QUEUE", 0, 0, NULL },
	[MSG_REGISTER] = { "REGISTER", REGISTER_LEN, REGISTER_LEN + MSG_CN_MAX,
	    NULL },
	[MSG_UNREGISTER] = { "UNREGISTER", UNREGISTER_LEN, UNREGISTER_LEN,
	    NULL },
	[MSG_TUN_CONFIG] = { "TUN_CONFIG", CONFIG_MIN, CONFIG_MAX,
	    msg_check_config },
	[MSG_REKEY_DUE] = { "REKEY_DUE", 0, 0, NULL },
	[MSG_STATUS_REPLY] = { "STATUS_REPLY", 0, MSG_STATUS_MAX, NULL },
	[MSG_UDP_SOCKET] = { "UDP_SOCKET", 0, 0, NULL },
	[MSG_RECHECK] = { "RECHECK", RECHECK_LEN, RECHECK_LEN, NULL },
	[MSG_END] = { "END", END_LEN, END_LEN, NULL },
	[MSG_LIVE] = { "LIVE", LIVE_LEN, LIVE_LEN, NULL },
	[MSG_KICK] = { "KICK", 1, MSG_CN_MAX, NULL },
	[MSG_TUN_SERVER] = { "TUN_SERVER", MSG_SA_LEN, MSG_SA_LEN, NULL },
	[MSG_STATUS_JSON] = { "STATUS_JSON", 1, MSG_STATUS_MAX, NULL },
	[MSG_STATUS_END] = { "STATUS_END", 0, 0, NULL },
	[MSG_REFUSED] = { "REFUSED", 1, MSG_REASON_MAX, NULL },
	[MSG_HELLO] = { "HELLO", HELLO_LEN, HELLO_LEN, NULL },
	[MSG_CONFIG] = { "CONFIG", CONFIG_MIN, CONFIG_MAX,
	    msg_check_config },
	[MSG_REKEY] = { "REKEY", EPOCH_LEN, EPOCH_LEN, NULL },
	[MSG_REKEY_ACK] = { "REKEY_ACK", EPOCH_LEN, EPOCH_LEN, NULL },
	[MSG_BYE] = { "BYE", 0, MSG_REASON_MAX, NULL },
};

#define MSG_NSPECS (sizeof(msg_specs) / sizeof(msg_specs[0]))

/* The counts and domain lengths must account for every byte, so no
 * trailing data can ride along unnoticed and nothing is read past the end;
 * a server's family is 4 or 6 (IPv4 with a zero tail), a domain has the
 * form msg_domain_bad asks for, so that what frames also reads and
 * writes back the same; an IPv6 part, if any, has a prefix and its routes.
 * Called with len >= CONFIG_MIN. */
static int
msg_check_config(const uint8_t *payload, size_t len)
{
	static const uint8_t zero[DNS_LEN - DNS_ADDR - 4];
	const uint8_t *d;
	size_t at, n, i;

	if (payload[CONFIG_NROUTES] > MSG_ROUTES_MAX)
		return -1;
	at = CONFIG_ROUTES + ROUTE_LEN * (size_t)payload[CONFIG_NROUTES];
	if (at >= len || (n = payload[at++]) > MSG_DNS_MAX ||
	    at + DNS_LEN * n >= len)
		return -1;
	for (i = 0; i < n; i++, at += DNS_LEN) {
		d = payload + at;
		if ((d[DNS_FAMILY] != 4 && d[DNS_FAMILY] != 6) ||
		    (d[DNS_FAMILY] == 4 && memcmp(d + DNS_ADDR + 4, zero,
		    sizeof(zero)) != 0))
			return -1;
	}
	if ((n = payload[at++]) > MSG_DOMAINS_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (at >= len || len - at - DOMAIN_NAME <
		    payload[at + DOMAIN_LEN] ||
		    msg_domain_bad((const char *)payload + at + DOMAIN_NAME,
		    payload[at + DOMAIN_LEN]) != NULL)
			return -1;
		at += DOMAIN_NAME + payload[at + DOMAIN_LEN];
	}
	if (at == len)
		return 0;		/* no IPv6 part */
	d = payload + at;
	len -= at;
	if (len < CONFIG6_ROUTES || d[CONFIG6_PREFIX] == 0 ||
	    d[CONFIG6_PREFIX] > 128 || d[CONFIG6_NROUTES] > MSG_ROUTES_MAX)
		return -1;
	return len == CONFIG6_ROUTES + ROUTE6_LEN *
	    (size_t)d[CONFIG6_NROUTES] ? 0 : -1;
}

static const struct msg_spec *
msg_spec(uint16_t type)
{
	if (type >= MSG_NSPECS || msg_specs[type].name == NULL)
		return NULL;
	return &msg_specs[type];
}

static int
msg_valid_len(const struct msg_spec *s, size_t len)
{
	return len >= s->min && len <= s->max ? 0 : -1;
}

ssize_t
msg_parse(const uint8_t *buf, size_t len, struct msg *m)
{
	const struct msg_spec *s;
	uint16_t type, plen;

	if (len < MSG_HDR_LEN)
		return 0;
	type = get_u16(buf);
	plen = get_u16(buf + 2);
	/* Judge the header before waiting for the payload: a bad length
	 * must not make the caller buffer bytes for it. */
	if ((s = msg_spec(type)) == NULL || msg_valid_len(s, plen) == -1)
		return -1;
	if (len - MSG_HDR_LEN < plen)
		return 0;
	if (s->check != NULL && s->check(buf + MSG_HDR_LEN, plen) == -1)
		return -1;
	m->type = type;
	m->len = plen;
	m->payload = buf + MSG_HDR_LEN;
	return MSG_HDR_LEN + plen;
}

ssize_t
msg_build(uint8_t *out, size_t cap, uint16_t type, const void *payload,
    size_t len)
{
	const struct msg_spec *s;

	if ((s = msg_spec(type)) == NULL || msg_valid_len(s, len) == -1)
		return -1;
	if (s->check != NULL && s->check(payload, len) == -1)
		return -1;
	if (cap < MSG_HDR_LEN || cap - MSG_HDR_LEN < len)
		return -1;
	put_u16(out, type);
	put_u16(out + 2, (uint16_t)len);
	if (len > 0)
		memcpy(out + MSG_HDR_LEN, payload, len);
	return MSG_HDR_LEN + (ssize_t)len;
}

int
msg_send_fds(int fd, uint16_t type, const void *payload, size_t len,
    const int *fds, size_t nfds)
{
	uint8_t buf[MSG_MAX_LEN];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * MSG_MAX_FDS)];
	} ctl;
	struct iovec iov = { .iov_base = buf };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n, sent;

	if (nfds > MSG_MAX_FDS ||
	    (n = msg_build(buf, sizeof(buf), type, payload, len)) == -1) {
		errno = EINVAL;
		return -1;
	}
	iov.iov_len = (size_t)n;
	if (nfds > 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), fds, sizeof(int) * nfds);
	}
	do {
		sent = sendmsg(fd, &mh, MSG_NOSIGNAL);
	} while (sent == -1 && errno == EINTR);
	/* KEYS pass through here: no copy of them stays on the stack. */
	explicit_bzero(buf, (size_t)n);
	if (sent == -1)
		return -1;
	/* A datagram socket sends all or nothing; anything else would split
	 * one message across two reads. */
	if (sent != n) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
msg_send(int fd, uint16_t type, const void *payload, size_t len)
{
	return msg_send_fds(fd, type, payload, len, NULL, 0);
}

/* Takes the fds out of a received control message: at most max of them,
 * or none kept at all. */
static int
msg_take_fds(struct msghdr *mh, int *fds, size_t max, size_t *nfds)
{
	size_t got = 0;
	bool bad = (mh->msg_flags & MSG_CTRUNC) != 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL;
	    c = CMSG_NXTHDR(mh, c)) {
		size_t n;
		int *p = (int *)(void *)CMSG_DATA(c);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int f;

			memcpy(&f, p + i, sizeof(f));
			if (got < max)
				fds[got] = f;
			else
				close(f);
			got++;
		}
	}
	if (bad || got > max) {
		for (size_t i = 0; i < got && i < max; i++)
			close(fds[i]);
		*nfds = 0;
		return -1;
	}
	*nfds = got;
	return 0;
}

int
msg_recv_fds(int fd, uint8_t *buf, size_t cap, struct msg *m, int *fds,
    size_t max, size_t *nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * MSG_MAX_FDS)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	ssize_t n;

	/* MSG_TRUNC makes recv report the datagram's real length, so an
	 * oversize message is seen as such instead of as a cut-off one. */
	do {
		n = recvmsg(fd, &mh, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (msg_take_fds(&mh, fds, max, nfds) == -1) {
		errno = EBADMSG;
		return -1;
	}
	if (n == 0 && *nfds == 0)
		return 0;
	/* An empty datagram with fds is no EOF, and msg_parse would call
	 * it "need more" (0), which equals its length. */
	if (n < MSG_HDR_LEN || (size_t)n > cap ||
	    msg_parse(buf, (size_t)n, m) != n) {
		for (size_t i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		errno = EBADMSG;
		return -1;
	}
	return 1;
}

int
msg_recv(int fd, uint8_t *buf, size_t cap, struct msg *m)
{
	size_t nfds;

	return msg_recv_fds(fd, buf, cap, m, NULL, 0, &nfds);
}

const char *
msg_name(uint16_t type)
{
	const struct msg_spec *s;

	return (s = msg_spec(type)) == NULL ? "unknown" : s->name;
}

void
msg_get_text(const struct msg *m, char *out, size_t size)
{
	size_t n = m->len < size - 1 ? m->len : size - 1;

	memcpy(out, m->payload, n);
	out[n] = '\0';
}

/* --- socket addresses --- */

void
msg_put_sa(uint8_t *p, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in = (const void *)ss;
	const struct sockaddr_in6 *in6 = (const void *)ss;

	memset(p, 0, MSG_SA_LEN);
	if (ss->ss_family == AF_INET) {
		p[SA_FAMILY] = 4;
		put_u16(p + SA_PORT, ntohs(in->sin_port));
		memcpy(p + SA_ADDR, &in->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		p[SA_FAMILY] = 6;
		put_u16(p + SA_PORT, ntohs(in6->sin6_port));
		memcpy(p + SA_ADDR, &in6->sin6_addr, 16);
	}
}

int
msg_get_sa(const uint8_t *p, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (void *)ss;
	struct sockaddr_in6 *in6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	switch (p[SA_FAMILY]) {
	case 0:
		return 0;
	case 4:
		in->sin_family = AF_INET;
		in->sin_port = htons(get_u16(p + SA_PORT));
		memcpy(&in->sin_addr, p + SA_ADDR, 4);
		return 0;
	case 6:
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(get_u16(p + SA_PORT));
		memcpy(&in6->sin6_addr, p + SA_ADDR, 16);
		return 0;
	}
	return -1;
}

/* --- one put/get pair per message --- */

static bool
msg_is(const struct msg *m, uint16_t type)
{
	return m->type == type && msg_spec(type) != NULL &&
	    msg_valid_len(msg_spec(type), m->len) == 0;
}

size_t
msg_put_start(uint8_t *p, const struct msg_start *s)
{
	msg_put_sa(p + START_PEER, &s->peer);
	return START_LEN;
}

int
msg_get_start(const struct msg *m, struct msg_start *s)
{
	if (!msg_is(m, MSG_START))
		return -1;
	return msg_get_sa(m->payload + START_PEER, &s->peer);
}

/* Client networks: n routes of ROUTE_LEN bytes; returns their end. */
static uint8_t *
msg_put_routes(uint8_t *p, const struct msg_route *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++, p += ROUTE_LEN) {
		put_u32(p + ROUTE_ADDR, r[i].addr);
		p[ROUTE_PREFIX] = r[i].prefix;
	}
	return p;
}

/* The same back; -1 if one is not a network (prefix > 32, host bits). */
static int
msg_get_routes(const uint8_t *p, struct msg_route *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++, p += ROUTE_LEN) {
		uint8_t pl = p[ROUTE_PREFIX];

		r[i].addr = get_u32(p + ROUTE_ADDR);
		r[i].prefix = pl;
		if (pl > 32 || (pl < 32 && (r[i].addr & (0xffffffffu >> pl))))
			return -1;
	}
	return 0;
}

/* IPv6 ones: n of ROUTE6_LEN bytes; returns their end. */
static uint8_t *
msg_put_routes6(uint8_t *p, const struct msg_net6 *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++, p += ROUTE6_LEN) {
		memcpy(p + ROUTE6_ADDR, r[i].addr, 16);
		p[ROUTE6_PREFIX] = r[i].prefix;
	}
	return p;
}

/* The same back; -1 if one is not a network (prefix > 128, host bits). */
static int
msg_get_routes6(const uint8_t *p, struct msg_net6 *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++, p += ROUTE6_LEN) {
		memcpy(r[i].addr, p + ROUTE6_ADDR, 16);
		r[i].prefix = p[ROUTE6_PREFIX];
		if (!msg_net6_is_net(&r[i]))
			return -1;
	}
	return 0;
}

static size_t
msg_put_text(uint8_t *p, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	memcpy(p, s, n);
	return n;
}

size_t
msg_put_session(uint8_t *p, const struct msg_session *s)
{
	uint8_t *q;

	put_u32(p + SESSION_VADDR, s->vaddr);
	p[SESSION_PREFIX] = s->prefix;
	put_u32(p + SESSION_SERVER, s->server_vaddr);
	put_u32(p + SESSION_POOL, s->pool);
	p[SESSION_POOL_PREFIX] = s->pool_prefix;
	p[SESSION_FLAGS] = s->client_to_client ? 1 : 0;
	put_u16(p + SESSION_KA_INTERVAL, s->keepalive_interval);
	put_u16(p + SESSION_KA_TIMEOUT, s->keepalive_timeout);
	put_u16(p + SESSION_MTU, s->mtu);
	put_u32(p + SESSION_RX_INDEX, s->rx_index);
	put_u32(p + SESSION_TX_INDEX, s->tx_index);
	msg_put_sa(p + SESSION_PEER, &s->peer);
	memcpy(p + SESSION_VADDR6, s->vaddr6, 16);
	memcpy(p + SESSION_SERVER6, s->server_vaddr6, 16);
	memcpy(p + SESSION_POOL6, s->pool6, 16);
	p[SESSION_POOL6_PREFIX] = s->pool6_prefix;
	p[SESSION_NNETS] = s->nnets < MSG_NETS_MAX ? s->nnets : MSG_NETS_MAX;
	p[SESSION_NNETS6] = s->nnets6 < MSG_NETS_MAX ? s->nnets6 :
	    MSG_NETS_MAX;
	q = msg_put_routes(p + SESSION_NETS, s->nets, p[SESSION_NNETS]);
	return (size_t)(msg_put_routes6(q, s->nets6, p[SESSION_NNETS6]) - p);
}

int
msg_get_session(const struct msg *m, struct msg_session *s)
{
	const uint8_t *p = m->payload;

	if (!msg_is(m, MSG_SESSION) || p[SESSION_PREFIX] > 32 ||
	    p[SESSION_POOL_PREFIX] > 32 || p[SESSION_FLAGS] > 1 ||
	    p[SESSION_POOL6_PREFIX] > 128)
		return -1;
	s->vaddr = get_u32(p + SESSION_VADDR);
	s->prefix = p[SESSION_PREFIX];
	s->server_vaddr = get_u32(p + SESSION_SERVER);
	s->pool = get_u32(p + SESSION_POOL);
	s->pool_prefix = p[SESSION_POOL_PREFIX];
	s->client_to_client = p[SESSION_FLAGS] & 1;
	s->keepalive_interval = get_u16(p + SESSION_KA_INTERVAL);
	s->keepalive_timeout = get_u16(p + SESSION_KA_TIMEOUT);
	s->mtu = get_u16(p + SESSION_MTU);
	s->rx_index = get_u32(p + SESSION_RX_INDEX);
	s->tx_index = get_u32(p + SESSION_TX_INDEX);
	memcpy(s->vaddr6, p + SESSION_VADDR6, 16);
	memcpy(s->server_vaddr6, p + SESSION_SERVER6, 16);
	memcpy(s->pool6, p + SESSION_POOL6, 16);
	s->pool6_prefix = p[SESSION_POOL6_PREFIX];
	s->nnets = p[SESSION_NNETS];
	s->nnets6 = p[SESSION_NNETS6];
	if (s->mtu < 576 || s->mtu > 9000 || s->keepalive_interval == 0 ||
	    s->keepalive_timeout <= s->keepalive_interval ||
	    s->nnets > MSG_NETS_MAX || s->nnets6 > MSG_NETS_MAX ||
	    m->len != SESSION_NETS + s->nnets * ROUTE_LEN +
	    s->nnets6 * ROUTE6_LEN)
		return -1;
	if (msg_get_routes(p + SESSION_NETS, s->nets, s->nnets) == -1 ||
	    msg_get_routes6(p + SESSION_NETS + s->nnets * ROUTE_LEN, s->nets6,
	    s->nnets6) == -1)
		return -1;
	return msg_get_sa(p + SESSION_PEER, &s->peer);
}

size_t
msg_put_keys(uint8_t *p, const struct msg_keys *k)
{
	put_u32(p + KEYS_EPOCH, k->epoch);
	p[KEYS_FLAGS] = k->flags;
	memcpy(p + KEYS_TX, k->tx, MSG_KEYMAT_LEN);
	memcpy(p + KEYS_RX, k->rx, MSG_KEYMAT_LEN);
	return KEYS_LEN;
}

int
msg_get_keys(const struct msg *m, struct msg_keys *k)
{
	const uint8_t *p = m->payload;

	if (!msg_is(m, MSG_KEYS) || (p[KEYS_FLAGS] & ~MSG_KEYS_TX_NOW) != 0)
		return -1;
	k->epoch = get_u32(p + KEYS_EPOCH);
	k->flags = p[KEYS_FLAGS];
	memcpy(k->tx, p + KEYS_TX, MSG_KEYMAT_LEN);
	memcpy(k->rx, p + KEYS_RX, MSG_KEYMAT_LEN);
	return 0;
}

size_t
msg_put_grant(uint8_t *p, const struct msg_grant *g)
{
	put_u32(p + GRANT_VADDR, g->vaddr);
	p[GRANT_PREFIX] = g->prefix;
	put_u32(p + GRANT_SERVER, g->server_vaddr);
	put_u32(p + GRANT_INDEX, g->index);
	memcpy(p + GRANT_VADDR6, g->vaddr6.addr, 16);
	p[GRANT_PREFIX6] = g->vaddr6.prefix;
	memcpy(p + GRANT_SERVER6, g->server_vaddr6, 16);
	return GRANT_LEN;
}

int
msg_get_grant(const struct msg *m, struct msg_grant *g)
{
	const uint8_t *p = m->payload;

	if (!msg_is(m, MSG_ADDRESS_GRANT) || p[GRANT_PREFIX] > 32 ||
	    p[GRANT_PREFIX6] > 128)
		return -1;
	g->vaddr = get_u32(p + GRANT_VADDR);
	g->prefix = p[GRANT_PREFIX];
	g->server_vaddr = get_u32(p + GRANT_SERVER);
	g->index = get_u32(p + GRANT_INDEX);
	memcpy(g->vaddr6.addr, p + GRANT_VADDR6, 16);
	g->vaddr6.prefix = p[GRANT_PREFIX6];
	memcpy(g->server_vaddr6, p + GRANT_SERVER6, 16);
	return 0;
}

size_t
msg_put_register(uint8_t *p, const struct msg_register *r)
{
	put_u16(p + REGISTER_SLOT, r->slot);
	put_u32(p + REGISTER_INDEX, r->index);
	put_u32(p + REGISTER_VADDR, r->vaddr);
	memcpy(p + REGISTER_VADDR6, r->vaddr6, 16);
	return REGISTER_LEN + msg_put_text(p + REGISTER_CN, r->cn, MSG_CN_MAX);
}

int
msg_get_register(const struct msg *m, struct msg_register *r)
{
	if (!msg_is(m, MSG_REGISTER))
		return -1;
	r->slot = get_u16(m->payload + REGISTER_SLOT);
	r->index = get_u32(m->payload + REGISTER_INDEX);
	r->vaddr = get_u32(m->payload + REGISTER_VADDR);
	memcpy(r->vaddr6, m->payload + REGISTER_VADDR6, 16);
	memcpy(r->cn, m->payload + REGISTER_CN, m->len - REGISTER_LEN);
	r->cn[m->len - REGISTER_LEN] = '\0';
	return strlen(r->cn) == (size_t)(m->len - REGISTER_LEN) ? 0 : -1;
}

size_t
msg_put_unregister(uint8_t *p, const struct msg_unregister *u)
{
	put_u16(p + UNREGISTER_SLOT, u->slot);
	return UNREGISTER_LEN;
}

int
msg_get_unregister(const struct msg *m, struct msg_unregister *u)
{
	if (!msg_is(m, MSG_UNREGISTER))
		return -1;
	u->slot = get_u16(m->payload + UNREGISTER_SLOT);
	return 0;
}

size_t
msg_put_hello(uint8_t *p, const struct msg_hello *h)
{
	put_u16(p + HELLO_VERSION, h->version);
	put_u16(p + HELLO_FLAGS, h->flags);
	put_u32(p + HELLO_INDEX, h->index);
	return HELLO_LEN;
}

int
msg_get_hello(const struct msg *m, struct msg_hello *h)
{
	if (!msg_is(m, MSG_HELLO))
		return -1;
	h->version = get_u16(m->payload + HELLO_VERSION);
	h->flags = get_u16(m->payload + HELLO_FLAGS);
	h->index = get_u32(m->payload + HELLO_INDEX);
	return 0;
}

static uint8_t *
msg_put_config6(uint8_t *p, const struct msg_config *c)
{
	uint8_t *r = p + CONFIG6_ROUTES;
	unsigned n = c->nroutes6 < MSG_ROUTES_MAX ? c->nroutes6 :
	    MSG_ROUTES_MAX;

	memcpy(p + CONFIG6_VADDR, c->vaddr6.addr, 16);
	p[CONFIG6_PREFIX] = c->vaddr6.prefix;
	memcpy(p + CONFIG6_SERVER, c->server_vaddr6, 16);
	p[CONFIG6_NROUTES] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++, r += ROUTE6_LEN) {
		memcpy(r + ROUTE6_ADDR, c->routes6[i].addr, 16);
		r[ROUTE6_PREFIX] = c->routes6[i].prefix;
	}
	return r;
}

/* The DNS part of a CONFIG at r; returns its end. */
static uint8_t *
msg_put_config_dns(uint8_t *r, const struct msg_config *c)
{
	unsigned n = c->ndns < MSG_DNS_MAX ? c->ndns : MSG_DNS_MAX;

	*r++ = (uint8_t)n;
	for (unsigned i = 0; i < n; i++, r += DNS_LEN) {
		r[DNS_FAMILY] = c->dns[i].family;
		memcpy(r + DNS_ADDR, c->dns[i].addr, DNS_LEN - DNS_ADDR);
	}
	n = c->ndomains < MSG_DOMAINS_MAX ? c->ndomains : MSG_DOMAINS_MAX;
	*r++ = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		size_t len = strnlen(c->domains[i], MSG_DOMAIN_MAX);

		r[DOMAIN_LEN] = (uint8_t)len;
		memcpy(r + DOMAIN_NAME, c->domains[i], len);
		r += DOMAIN_NAME + len;
	}
	return r;
}

/* msg_check_config accepted the length and the IPv6 part's counts. */
static void
msg_get_config6(const uint8_t *p, struct msg_config *c)
{
	const uint8_t *r = p + CONFIG6_ROUTES;

	memcpy(c->vaddr6.addr, p + CONFIG6_VADDR, 16);
	c->vaddr6.prefix = p[CONFIG6_PREFIX];
	memcpy(c->server_vaddr6, p + CONFIG6_SERVER, 16);
	c->nroutes6 = p[CONFIG6_NROUTES];
	for (unsigned i = 0; i < c->nroutes6; i++, r += ROUTE6_LEN) {
		memcpy(c->routes6[i].addr, r + ROUTE6_ADDR, 16);
		c->routes6[i].prefix = r[ROUTE6_PREFIX];
	}
}

/* Reads the DNS part that msg_check_config has checked; returns its end. */
static const uint8_t *
msg_get_config_dns(const uint8_t *r, struct msg_config *c)
{
	c->ndns = *r++;
	for (unsigned i = 0; i < c->ndns; i++, r += DNS_LEN) {
		c->dns[i].family = r[DNS_FAMILY];
		memcpy(c->dns[i].addr, r + DNS_ADDR, DNS_LEN - DNS_ADDR);
	}
	c->ndomains = *r++;
	for (unsigned i = 0; i < c->ndomains; i++) {
		size_t len = r[DOMAIN_LEN];

		/* NUL-terminated by msg_get_config's memset */
		memcpy(c->domains[i], r + DOMAIN_NAME, len);
		r += DOMAIN_NAME + len;
	}
	return r;
}

size_t
msg_put_config(uint8_t *p, const struct msg_config *c)
{
	uint8_t *r = p + CONFIG_ROUTES;
	unsigned n = c->nroutes < MSG_ROUTES_MAX ? c->nroutes :
	    MSG_ROUTES_MAX;

	put_u32(p + CONFIG_VADDR, c->vaddr);
	p[CONFIG_PREFIX] = c->prefix;
	put_u32(p + CONFIG_SERVER, c->server_vaddr);
	put_u16(p + CONFIG_MTU, c->mtu);
	put_u16(p + CONFIG_PORT, c->port);
	put_u16(p + CONFIG_KA_INTERVAL, c->keepalive_interval);
	put_u16(p + CONFIG_KA_TIMEOUT, c->keepalive_timeout);
	put_u32(p + CONFIG_INDEX, c->index);
	p[CONFIG_NROUTES] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++, r += ROUTE_LEN) {
		put_u32(r + ROUTE_ADDR, c->routes[i].addr);
		r[ROUTE_PREFIX] = c->routes[i].prefix;
	}
	r = msg_put_config_dns(r, c);
	if (c->vaddr6.prefix != 0)
		r = msg_put_config6(r, c);
	return (size_t)(r - p);
}

int
msg_get_config(const struct msg *m, struct msg_config *c)
{
	const uint8_t *p = m->payload, *r = p + CONFIG_ROUTES;

	if ((m->type != MSG_CONFIG && m->type != MSG_TUN_CONFIG) ||
	    !msg_is(m, m->type) || msg_check_config(p, m->len) == -1)
		return -1;
	memset(c, 0, sizeof(*c));
	c->vaddr = get_u32(p + CONFIG_VADDR);
	c->prefix = p[CONFIG_PREFIX];
	c->server_vaddr = get_u32(p + CONFIG_SERVER);
	c->mtu = get_u16(p + CONFIG_MTU);
	c->port = get_u16(p + CONFIG_PORT);
	c->keepalive_interval = get_u16(p + CONFIG_KA_INTERVAL);
	c->keepalive_timeout = get_u16(p + CONFIG_KA_TIMEOUT);
	c->index = get_u32(p + CONFIG_INDEX);
	c->nroutes = p[CONFIG_NROUTES];
	for (unsigned i = 0; i < c->nroutes; i++, r += ROUTE_LEN) {
		c->routes[i].addr = get_u32(r + ROUTE_ADDR);
		c->routes[i].prefix = r[ROUTE_PREFIX];
	}
	r = msg_get_config_dns(r, c);
	if (r < p + m->len)
		msg_get_config6(r, c);
	return 0;
}

const char *
msg_domain_bad(const char *name, size_t len)
{
	size_t i, label = 0;

	if (len == 0)
		return "is empty";
	if (len > MSG_DOMAIN_MAX)
		return "is longer than 253 characters";
	for (i = 0; i < len; i++) {
		char ch = name[i];

		if (ch == '.') {
			if (label == 0)
				return "has an empty label (a dot at the start "
				    "or end, or two in a row)";
			if (name[i - 1] == '-')
				return "has a label that ends with '-'";
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' &&
		    ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-') {
			if (label == 0 && ch == '-')
				return "has a label that starts with '-'";
			if (++label > 63)
				return "has a label longer than 63 characters";
		} else
			return "holds a character other than letters, "
			    "digits, '-' and '.'";
	}
	if (label == 0)
		return "has an empty label (a dot at the start or end, or two "
		    "in a row)";
	return name[len - 1] == '-' ? "has a label that ends with '-'" : NULL;
}

const char *
msg_dns_bad(const struct msg_dns *d)
{
	static const uint8_t zero[16];

	if (d->family != 4 && d->family != 6)
		return "is neither IPv4 nor IPv6";
	if (memcmp(d->addr, zero, d->family == 4 ? 4 : 16) == 0)
		return "is the unspecified address";
	if (d->family == 4 && (d->addr[0] & 0xf0) == 0xe0)
		return "is a multicast address";
	if (d->family == 4 && memcmp(d->addr, "\xff\xff\xff\xff", 4) == 0)
		return "is the broadcast address";
	if (d->family == 6 && d->addr[0] == 0xff)
		return "is a multicast address";
	return NULL;
}

const char *
msg_dns_str(const struct msg_dns *d, char *buf)
{
	if (inet_ntop(d->family == 4 ? AF_INET : AF_INET6, d->addr, buf,
	    INET6_ADDRSTRLEN) == NULL)
		snprintf(buf, INET6_ADDRSTRLEN, "?");
	return buf;
}

size_t
msg_put_tun_server(uint8_t *p, const struct sockaddr_storage *ss)
{
	msg_put_sa(p, ss);
	return MSG_SA_LEN;
}

int
msg_get_tun_server(const struct msg *m, struct sockaddr_storage *ss)
{
	if (!msg_is(m, MSG_TUN_SERVER) || msg_get_sa(m->payload, ss) == -1)
		return -1;
	return 0;
}

size_t
msg_put_epoch(uint8_t *p, const struct msg_epoch *e)
{
	put_u32(p + EPOCH_EPOCH, e->epoch);
	return EPOCH_LEN;
}

int
msg_get_epoch(const struct msg *m, struct msg_epoch *e)
{
	if (!msg_is(m, MSG_REKEY) && !msg_is(m, MSG_REKEY_ACK))
		return -1;
	e->epoch = get_u32(m->payload + EPOCH_EPOCH);
	return 0;
}

size_t
msg_put_recheck(uint8_t *p, const struct msg_recheck *r)
{
	put_u32(p + RECHECK_GENERATION, r->generation);
	return RECHECK_LEN;
}

int
msg_get_recheck(const struct msg *m, struct msg_recheck *r)
{
	if (!msg_is(m, MSG_RECHECK))
		return -1;
	r->generation = get_u32(m->payload + RECHECK_GENERATION);
	return 0;
}

size_t
msg_put_end(uint8_t *p, const struct msg_end *e)
{
	p[END_CAUSE] = e->cause;
	return END_LEN;
}

const char *
msg_end_reason(uint8_t cause)
{
	switch (cause) {
	case MSG_END_KICKED:
		return "session ended by the server's administrator (kick)";
	}
	return NULL;
}

int
msg_get_end(const struct msg *m, struct msg_end *e)
{
	if (!msg_is(m, MSG_END) ||
	    msg_end_reason(m->payload[END_CAUSE]) == NULL)
		return -1;
	e->cause = m->payload[END_CAUSE];
	return 0;
}

size_t
msg_put_live(uint8_t *p, const struct msg_live *l)
{
	p[LIVE_FLAGS] = l->client_to_client ? 1 : 0;
	return LIVE_LEN;
}

int
msg_get_live(const struct msg *m, struct msg_live *l)
{
	if (!msg_is(m, MSG_LIVE) || (m->payload[LIVE_FLAGS] & ~1u) != 0)
		return -1;
	l->client_to_client = m->payload[LIVE_FLAGS] & 1;
	return 0;
}

/* The whole payload is the CN: no NUL, nothing a log line could misread. */
size_t
msg_put_kick(uint8_t *p, const struct msg_kick *k)
{
	size_t n = strnlen(k->cn, MSG_CN_MAX);

	memcpy(p, k->cn, n);
	return n;
}

int
msg_get_kick(const struct msg *m, struct msg_kick *k)
{
	if (!msg_is(m, MSG_KICK))
		return -1;
	for (size_t i = 0; i < m->len; i++)
		if (m->payload[i] < 0x20 || m->payload[i] >= 0x7f)
			return -1;
	memcpy(k->cn, m->payload, m->len);
	k->cn[m->len] = '\0';
	return 0;
}

/* --- what a client takes from its server --- */

struct msg_net
msg_net_v4(uint32_t addr, uint8_t prefix)
{
	struct msg_net n = { .family = AF_INET, .prefix = prefix };

	put_u32(n.addr, addr);
	return n;
}

struct msg_net
msg_net_v6(const uint8_t addr[16], uint8_t prefix)
{
	struct msg_net n = { .family = AF_INET6, .prefix = prefix };

	memcpy(n.addr, addr, 16);
	return n;
}

static unsigned
msg_net_bits(const struct msg_net *n)
{
	return n->family == AF_INET ? 32 : 128;
}

bool
msg_net_holds(const struct msg_net *n, const uint8_t *addr)
{
	unsigned whole = n->prefix / 8, rest = n->prefix % 8;

	if (n->prefix > msg_net_bits(n) || memcmp(addr, n->addr, whole) != 0)
		return false;
	return rest == 0 || ((addr[whole] ^ n->addr[whole]) &
	    (0xff00 >> rest)) == 0;
}

bool
msg_net_inside(const struct msg_net *a, const struct msg_net *b)
{
	return a->family == b->family && a->prefix >= b->prefix &&
	    msg_net_holds(b, a->addr);
}

bool
msg_net_overlap(const struct msg_net *a, const struct msg_net *b)
{
	return msg_net_inside(a, b) || msg_net_inside(b, a);
}

/* Whether every bit past n's prefix is bit: all 0, n is a network; all
 * 1, an IPv4 broadcast address. */
static bool
msg_net_host_is(const struct msg_net *n, bool bit)
{
	if (n->prefix > msg_net_bits(n))
		return false;
	for (unsigned i = n->prefix; i < msg_net_bits(n); i++)
		if (((n->addr[i / 8] >> (7 - i % 8)) & 1) != bit)
			return false;
	return true;
}

const char *
msg_net_str(const struct msg_net *n, char *buf)
{
	return inet_ntop(n->family, n->addr, buf, INET6_ADDRSTRLEN);
}

bool
msg_net6_holds(const struct msg_net6 *net, const uint8_t addr[16])
{
	struct msg_net n = msg_net_v6(net->addr, net->prefix);

	return msg_net_holds(&n, addr);
}

bool
msg_net6_is_net(const struct msg_net6 *net)
{
	struct msg_net n = msg_net_v6(net->addr, net->prefix);

	return msg_net_host_is(&n, false);
}

/* Nothing a server pushes may land in these: traffic for them must never
 * leave through a tunnel, nor may the tunnel take their addresses. */
static const struct {
	struct msg_net net;
	const char *name;
} msg_reserved[] = {
	{ { AF_INET, { 0 }, 8 }, "0.0.0.0/8 (this network)" },
	{ { AF_INET, { 127 }, 8 }, "127.0.0.0/8 (loopback)" },
	{ { AF_INET, { 169, 254 }, 16 }, "169.254.0.0/16 (link-local)" },
	{ { AF_INET, { 224 }, 4 }, "224.0.0.0/4 (multicast)" },
	{ { AF_INET, { 240 }, 4 }, "240.0.0.0/4 (reserved)" },
	{ { AF_INET6, { 0 }, 8 }, "::/8 (unspecified, loopback, IPv4-mapped)" },
	{ { AF_INET6, { 0xfe, 0x80 }, 10 }, "fe80::/10 (link-local)" },
	{ { AF_INET6, { 0xff }, 8 }, "ff00::/8 (multicast)" },
};

#define MSG_NRESERVED (sizeof(msg_reserved) / sizeof(msg_reserved[0]))

/* The client's networks, IPv4 then IPv6, one by one; false past the last.
 * (Its gateways and the server's underlay address are IPv4 only.) */
static bool
msg_side_net(const struct msg_underlay *u, unsigned i, struct msg_net *n)
{
	if (i < u->nnets)
		*n = msg_net_v4(u->nets[i].addr, u->nets[i].prefix);
	else if (i - u->nnets < u->nnets6)
		*n = msg_net_v6(u->nets6[i - u->nnets].addr,
		    u->nets6[i - u->nnets].prefix);
	else
		return false;
	return true;
}

/* One refusal: the rule is returned; its detail goes to why if wanted. */
static const char * __attribute__((format(printf, 4, 5)))
msg_refuse(const char *rule, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return rule;
}

/* The tunnel's own address: a host address, not the server's, in one
 * subnet with it, of a prefix its family allows; IPv6 has no broadcast
 * address to refuse. */
static const char *
msg_judge_form(const struct msg_net *t, const struct msg_net *server,
    char *why, size_t whylen)
{
	bool v4 = t->family == AF_INET;
	unsigned min = v4 ? 8 : 64, max = v4 ? 30 : 126;
	char a[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN];

	if (t->prefix < min || t->prefix > max)
		return msg_refuse("bad prefix", why, whylen, "%sprefix /%u is "
		    "outside %u..%u", v4 ? "" : "IPv6 ", t->prefix, min, max);
	if (!msg_net_holds(t, server->addr) ||
	    memcmp(t->addr, server->addr, 16) == 0 ||
	    msg_net_host_is(t, false) || (v4 && msg_net_host_is(t, true)))
		return msg_refuse("bad addresses", why, whylen, "address %s/%u "
		    "and server address %s do not fit", msg_net_str(t, a),
		    t->prefix, msg_net_str(server, s));
	return NULL;
}

static const char *
msg_judge_limits(const struct msg_config *c, char *why, size_t whylen)
{
	if (c->port == 0)
		return msg_refuse("bad port", why, whylen, "UDP port 0");
	if (c->mtu < MSG_MTU_MIN || c->mtu > MSG_MTU_MAX)
		return msg_refuse("bad mtu", why, whylen,
		    "mtu %u is outside %u..%u", c->mtu, MSG_MTU_MIN,
		    MSG_MTU_MAX);
	if (c->keepalive_interval < 1 ||
	    c->keepalive_interval > MSG_KA_INTERVAL_MAX ||
	    c->keepalive_timeout <= c->keepalive_interval ||
	    c->keepalive_timeout > MSG_KA_TIMEOUT_MAX)
		return msg_refuse("bad keepalive", why, whylen,
		    "keepalive %u %u is outside interval 1..%u, timeout "
		    "interval+1..%u", c->keepalive_interval,
		    c->keepalive_timeout, MSG_KA_INTERVAL_MAX,
		    MSG_KA_TIMEOUT_MAX);
	return NULL;
}

/* The tunnel's own network: it becomes a connected route of the client,
 * which beats any route the client had into it. */
static const char *
msg_judge_address(const struct msg_net *t, const struct msg_underlay *u,
    char *why, size_t whylen)
{
	const char *rule = "address overlaps the client's side";
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct msg_net n;
	unsigned i;

	msg_net_str(t, a);
	for (i = 0; i < MSG_NRESERVED; i++)
		if (msg_net_overlap(t, &msg_reserved[i].net))
			return msg_refuse("address in a reserved range", why,
			    whylen, "address %s/%u overlaps %s", a, t->prefix,
			    msg_reserved[i].name);
	for (i = 0; msg_side_net(u, i, &n); i++)
		if (msg_net_overlap(t, &n))
			return msg_refuse(rule, why, whylen, "address %s/%u "
			    "overlaps the client's network %s/%u", a,
			    t->prefix, msg_net_str(&n, b), n.prefix);
	for (i = 0; i < u->ngateways; i++)
		if (n = msg_net_v4(u->gateways[i], 32), msg_net_inside(&n, t))
			return msg_refuse(rule, why, whylen, "address %s/%u "
			    "holds the client's gateway %s", a, t->prefix,
			    msg_net_str(&n, b));
	if (u->server != 0 && (n = msg_net_v4(u->server, 32),
	    msg_net_inside(&n, t)))
		return msg_refuse(rule, why, whylen, "address %s/%u holds the "
		    "server's address %s", a, t->prefix, msg_net_str(&n, b));
	return NULL;
}

/* A route wider than one of ours: harmless to the longer routes the client
 * has, but it takes everything else in its range, which only a client that
 * allows a full tunnel accepts. */
static const char *
msg_judge_cover(const struct msg_net *r, const struct msg_underlay *u,
    char *why, size_t whylen)
{
	const char *rule = "route covers the client's side";
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	const char *no = "and allow-full-tunnel is no";
	struct msg_net n;
	unsigned i;

	msg_net_str(r, a);
	for (i = 0; i < MSG_NRESERVED; i++)
		if (msg_net_inside(&msg_reserved[i].net, r))
			return msg_refuse(rule, why, whylen, "route %s/%u "
			    "covers %s %s", a, r->prefix, msg_reserved[i].name,
			    no);
	for (i = 0; msg_side_net(u, i, &n); i++)
		if (msg_net_inside(&n, r))
			return msg_refuse(rule, why, whylen, "route %s/%u "
			    "covers the client's network %s/%u %s", a,
			    r->prefix, msg_net_str(&n, b), n.prefix, no);
	for (i = 0; i < u->ngateways; i++)
		if (n = msg_net_v4(u->gateways[i], 32), msg_net_inside(&n, r))
			return msg_refuse(rule, why, whylen, "route %s/%u "
			    "covers the client's gateway %s %s", a, r->prefix,
			    msg_net_str(&n, b), no);
	if (u->server != 0 && (n = msg_net_v4(u->server, 32),
	    msg_net_inside(&n, r)))
		return msg_refuse("a pushed route covers the server's own "
		    "address", why, whylen, "route %s/%u covers the server's "
		    "address %s %s", a, r->prefix, msg_net_str(&n, b), no);
	return NULL;
}

/* A route r pushed with the tunnel t of its family. */
static const char *
msg_judge_route(const struct msg_net *r, const struct msg_net *t,
    const struct msg_underlay *u, char *why, size_t whylen)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct msg_net n;
	unsigned i;

	msg_net_str(r, a);
	if (!msg_net_host_is(r, false))
		return msg_refuse("bad pushed route", why, whylen, "route "
		    "%s/%u is not a network", a, r->prefix);
	for (i = 0; i < MSG_NRESERVED; i++)
		if (msg_net_inside(r, &msg_reserved[i].net))
			return msg_refuse("route in a reserved range", why,
			    whylen, "route %s/%u lies in %s", a, r->prefix,
			    msg_reserved[i].name);
	/* longer than a connected route: it takes part of our own network */
	for (i = 0; msg_side_net(u, i, &n); i++)
		if (msg_net_inside(r, &n))
			return msg_refuse("route inside the client's network",
			    why, whylen, "route %s/%u lies inside the client's "
			    "network %s/%u", a, r->prefix, msg_net_str(&n, b),
			    n.prefix);
	/* the same for the tunnel's own network: IPv6 only, as conf_check
	 * refuses such a route for pool6 only; IPv4 has always taken one */
	if (r->family == AF_INET6 && msg_net_inside(r, t))
		return msg_refuse("route inside the tunnel's network", why,
		    whylen, "route %s/%u lies inside the tunnel's network "
		    "%s/%u", a, r->prefix, msg_net_str(t, b), t->prefix);
	return u->full_tunnel ? NULL : msg_judge_cover(r, u, why, whylen);
}

/* A pushed DNS server or domain is handed to resolvectl or a hook as it
 * is; one given twice is a server that does not know what it pushes. */
static const char *
msg_judge_dns(const struct msg_config *c, char *why, size_t whylen)
{
	char a[INET6_ADDRSTRLEN];
	const char *bad;
	unsigned i, j;

	for (i = 0; i < c->ndns; i++) {
		msg_dns_str(&c->dns[i], a);
		if ((bad = msg_dns_bad(&c->dns[i])) != NULL)
			return msg_refuse("bad DNS server", why, whylen,
			    "DNS server %s %s", a, bad);
		for (j = 0; j < i; j++)
			if (c->dns[j].family == c->dns[i].family &&
			    memcmp(c->dns[j].addr, c->dns[i].addr, 16) == 0)
				return msg_refuse("DNS server given twice", why,
				    whylen, "DNS server %s given twice", a);
	}
	for (i = 0; i < c->ndomains; i++)
		for (j = 0; j < i; j++)
			if (strcasecmp(c->domains[j], c->domains[i]) == 0)
				return msg_refuse("DNS domain given twice", why,
				    whylen, "DNS domain %s given twice",
				    c->domains[i]);
	return NULL;
}

const char *
msg_config_judge(const struct msg_config *c, const struct msg_underlay *u,
    char *why, size_t whylen)
{
	struct msg_net t4 = msg_net_v4(c->vaddr, c->prefix);
	struct msg_net s4 = msg_net_v4(c->server_vaddr, 32);
	struct msg_net t6 = msg_net_v6(c->vaddr6.addr, c->vaddr6.prefix);
	struct msg_net s6 = msg_net_v6(c->server_vaddr6, 128), r;
	const char *rule;
	unsigned i;

	if ((rule = msg_judge_form(&t4, &s4, why, whylen)) != NULL ||
	    (rule = msg_judge_limits(c, why, whylen)) != NULL ||
	    (rule = msg_judge_address(&t4, u, why, whylen)) != NULL)
		return rule;
	for (i = 0; i < c->nroutes; i++)
		if (r = msg_net_v4(c->routes[i].addr, c->routes[i].prefix),
		    (rule = msg_judge_route(&r, &t4, u, why, whylen)) != NULL)
			return rule;
	/* IPv6 only when the CONFIG has it */
	if (t6.prefix == 0 && c->nroutes6 > 0)
		return msg_refuse("IPv6 routes without IPv6", why, whylen,
		    "%u IPv6 routes but no IPv6 address", c->nroutes6);
	if (t6.prefix != 0 &&
	    ((rule = msg_judge_form(&t6, &s6, why, whylen)) != NULL ||
	    (rule = msg_judge_address(&t6, u, why, whylen)) != NULL))
		return rule;
	for (i = 0; i < c->nroutes6; i++)
		if (r = msg_net_v6(c->routes6[i].addr, c->routes6[i].prefix),
		    (rule = msg_judge_route(&r, &t6, u, why, whylen)) != NULL)
			return rule;
	return msg_judge_dns(c, why, whylen);
}

const char *
msg_config_check(const struct msg_config *c, uint32_t server)
{
	struct msg_underlay u = { .server = server };

	return msg_config_judge(c, &u, NULL, 0);
}

/* --- queue messages, guard -> data --- */

size_t
qmsg_tun_start(uint8_t *buf)
{
	buf[0] = QMSG_TUN;
	return QMSG_HDR_LEN;
}

size_t
qmsg_frames_start(uint8_t *buf)
{
	buf[0] = QMSG_FRAMES;
	return QMSG_HDR_LEN;
}

size_t
qmsg_tun_add(uint8_t *buf, size_t fill, const uint8_t *pkt, size_t len)
{
	put_u16(buf + fill, (uint16_t)len);
	memcpy(buf + fill + QMSG_TUN_REC_HDR, pkt, len);
	return fill + QMSG_TUN_REC_HDR + len;
}

int
qmsg_tun_next(const uint8_t *buf, size_t len, size_t *pos, size_t max,
    const uint8_t **pkt, size_t *plen)
{
	size_t n;

	if (*pos == 0)
		*pos = QMSG_HDR_LEN;
	if (*pos >= len)
		return 0;
	if (len - *pos < QMSG_TUN_REC_HDR)
		return -1;
	n = get_u16(buf + *pos);
	if (n > len - *pos - QMSG_TUN_REC_HDR || n > max)
		return -1;
	*pkt = buf + *pos + QMSG_TUN_REC_HDR;
	*plen = n;
	*pos += QMSG_TUN_REC_HDR + n;
	return 1;
}

void
qmsg_udp_put(uint8_t *buf, const struct sockaddr_storage *ss)
{
	buf[0] = QMSG_UDP;
	msg_put_sa(buf + QMSG_HDR_LEN, ss);
}

int
qmsg_kind(const uint8_t *buf, size_t len)
{
	return len < QMSG_HDR_LEN ? -1 : buf[0];
}

int
qmsg_udp_get(uint8_t *buf, size_t len, struct sockaddr_storage *ss,
    uint8_t **dgram, size_t *dlen)
{
	if (len < QMSG_UDP_HDR || buf[0] != QMSG_UDP ||
	    msg_get_sa(buf + QMSG_HDR_LEN, ss) == -1 || ss->ss_family == 0)
		return -1;
	*dgram = buf + QMSG_UDP_HDR;
	*dlen = len - QMSG_UDP_HDR;
	return 0;
}
