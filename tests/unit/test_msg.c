/* Unit test of the message module: framing against a length table written
 * out here, one put/get round trip per message against wire bytes written
 * out here (so a misplaced offset shows even when put and get agree), the
 * limits each get enforces, fd passing, queue messages and the stats
 * field-table encoding. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "msg.h"
#include "stats.h"
#include "util.h"

#include "check.h"

static void *
xmalloc(size_t n)
{
	void *p = malloc(n > 0 ? n : 1);

	if (p == NULL) {
		perror("malloc");
		exit(1);
	}
	return p;
}

/* A copy in a heap buffer of exactly len bytes, so that ASan sees a read
 * one byte past it. */
static uint8_t *
exact(const void *p, size_t len)
{
	uint8_t *b = xmalloc(len);

	if (len > 0)
		memcpy(b, p, len);
	return b;
}

/* The wire numbers and bounds the protocol promises, written out
 * independently of msg.c. */
static const struct {
	uint16_t type;
	uint16_t wire;
	const char *name;
	unsigned min, max;
} types[] = {
	{ MSG_START, 1, "START", 19, 19 },	/* a socket address */
	{ MSG_SESSION, 2, "SESSION", 99, 1507 },	/* + 5 or 17 per client
						   network, 64 of each */
	{ MSG_KEYS, 3, "KEYS", 149, 149 },	/* epoch | flags | 2 keymat */
	{ MSG_PEER_DEAD, 4, "PEER_DEAD", 0, 0 },
	{ MSG_STATS, 5, "STATS", 0, 512 },
	{ MSG_STOP, 6, "STOP", 0, 64 },
	{ MSG_ADDRESS_REQUEST, 7, "ADDRESS_REQUEST", 1, 64 },
	{ MSG_ADDRESS_GRANT, 8, "ADDRESS_GRANT", 46, 46 },
	{ MSG_ADDRESS_DENY, 9, "ADDRESS_DENY", 1, 256 },
	{ MSG_QUEUE, 10, "QUEUE", 0, 0 },
	{ MSG_REGISTER, 11, "REGISTER", 26, 90 },	/* + the CN */
	{ MSG_UNREGISTER, 12, "UNREGISTER", 2, 2 },
	{ MSG_TUN_CONFIG, 13, "TUN_CONFIG", 24, 2550 },
	{ MSG_REKEY_DUE, 14, "REKEY_DUE", 0, 0 },
	{ MSG_STATUS_REPLY, 15, "STATUS_REPLY", 0, 4096 },
	{ MSG_UDP_SOCKET, 16, "UDP_SOCKET", 0, 0 },
	{ MSG_RECHECK, 17, "RECHECK", 4, 4 },
	{ MSG_END, 18, "END", 1, 1 },
	{ MSG_LIVE, 19, "LIVE", 1, 1 },
	{ MSG_KICK, 20, "KICK", 1, 64 },
	{ MSG_TUN_SERVER, 21, "TUN_SERVER", 19, 19 },
	{ MSG_STATUS_JSON, 22, "STATUS_JSON", 1, 4096 },
	{ MSG_STATUS_END, 23, "STATUS_END", 0, 0 },
	{ MSG_REFUSED, 24, "REFUSED", 1, 256 },
	{ MSG_HELLO, 0x100, "HELLO", 8, 8 },
	/* 22 + 5 per route + 1 + 17 per DNS server + 1 + 1 + n per domain,
	 * then 34 + 17 per IPv6 route */
	{ MSG_CONFIG, 0x101, "CONFIG", 24, 2550 },
	{ MSG_REKEY, 0x102, "REKEY", 4, 4 },
	{ MSG_REKEY_ACK, 0x103, "REKEY_ACK", 4, 4 },
	{ MSG_BYE, 0x104, "BYE", 0, 256 },
};

#define NTYPES (sizeof(types) / sizeof(types[0]))
#define CONFIG_NROUTES_AT 21	/* the route count in a CONFIG payload */

static bool
is_config(uint16_t type)
{
	return type == MSG_CONFIG || type == MSG_TUN_CONFIG;
}

/* The first have bytes of a message with type and length plen, in a heap
 * buffer of exactly have bytes. For CONFIG the route count matches plen
 * when plen can be 24 + 5n (no DNS) at all. */
static uint8_t *
make(uint16_t type, size_t plen, size_t have)
{
	uint8_t *b = xmalloc(have);

	memset(b, 0, have > 0 ? have : 0);
	if (have >= 2)
		put_u16(b, type);
	else if (have == 1)
		b[0] = type >> 8;
	if (have >= 4)
		put_u16(b + 2, (uint16_t)plen);
	if (is_config(type) && have > 4 + CONFIG_NROUTES_AT && plen >= 24)
		b[4 + CONFIG_NROUTES_AT] = (uint8_t)((plen - 24) / 5);
	return b;
}

static ssize_t
parse_len(uint16_t type, size_t plen)
{
	struct msg m;
	uint8_t *b = make(type, plen, 4 + plen);
	ssize_t r = msg_parse(b, 4 + plen, &m);

	if (r > 0 && (m.type != type || m.len != plen || m.payload != b + 4))
		r = -2;
	free(b);
	return r;
}

static void
test_bounds(void)
{
	for (size_t i = 0; i < NTYPES; i++) {
		uint16_t t = types[i].type;
		unsigned min = types[i].min, max = types[i].max;

		CHECK(t == types[i].wire);
		CHECK(strcmp(msg_name(t), types[i].name) == 0);
		CHECK(parse_len(t, min) == 4 + (ssize_t)min);
		/* a CONFIG's largest is whole only with its DNS part: see
		 * test_config_framing */
		if (!is_config(t))
			CHECK(parse_len(t, max) == 4 + (ssize_t)max);
		if (min > 0)
			CHECK(parse_len(t, min - 1) == -1);
		CHECK(parse_len(t, max + 1) == -1);
		CHECK(parse_len(t, 0xffff) == -1);
		if (min < max && !is_config(t))
			CHECK(parse_len(t, (min + max) / 2) ==
			    4 + (ssize_t)(min + max) / 2);
	}
}

static void
test_unknown(void)
{
	static const uint16_t bad[] = { 0, MSG_REFUSED + 1, 0xff, 0x0fff,
	    MSG_HELLO - 1, MSG_BYE + 1, 0x200, 0xffff };
	uint8_t b[8] = { 0 };
	struct msg m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_u16(b, bad[i]);
		put_u16(b + 2, 0);
		CHECK(msg_parse(b, 4, &m) == -1);
		CHECK(msg_build(b, sizeof(b), bad[i], NULL, 0) == -1);
		CHECK(strcmp(msg_name(bad[i]), "unknown") == 0);
	}
}

static void
test_partial(void)
{
	uint8_t *b = make(MSG_KEYS, 149, 4 + 149);
	struct msg m;

	/* a header cut short, then a payload cut short: wait for more */
	for (size_t n = 0; n < 4 + 149; n++)
		CHECK(msg_parse(b, n, &m) == 0);
	CHECK(msg_parse(b, 4 + 149, &m) == 4 + 149);
	free(b);

	/* a bad length is refused before its payload has arrived */
	b = make(MSG_KEYS, 150, 4);
	CHECK(msg_parse(b, 4, &m) == -1);
	free(b);
	b = make(MSG_ADDRESS_REQUEST, 0, 4);
	CHECK(msg_parse(b, 4, &m) == -1);
	free(b);

	/* an unknown type is refused from its header alone */
	b = make(0x4242, 0, 4);
	CHECK(msg_parse(b, 4, &m) == -1);
	free(b);

	/* two messages back to back: only the first is claimed */
	b = xmalloc(2 * (4 + 2));
	put_u16(b, MSG_UNREGISTER);
	put_u16(b + 2, 2);
	put_u16(b + 4, 0x1234);
	put_u16(b + 6, MSG_STOP);
	put_u16(b + 8, 0);
	CHECK(msg_parse(b, 10, &m) == 6);
	CHECK(m.type == MSG_UNREGISTER && m.len == 2 && m.payload == b + 4);
	CHECK(msg_parse(b + 6, 4, &m) == 4 && m.type == MSG_STOP && m.len == 0);
	free(b);
}

static ssize_t
parse_config(uint16_t type, size_t plen, uint8_t n)
{
	uint8_t *b = make(type, plen, 4 + plen);
	struct msg m;
	ssize_t r;

	b[4 + CONFIG_NROUTES_AT] = n;
	r = msg_parse(b, 4 + plen, &m);
	free(b);
	return r;
}

/* The route count, the DNS counts and the domain lengths must account for
 * every byte of a CONFIG. */
static void
test_config_framing(void)
{
	static const uint16_t t[] = { MSG_CONFIG, MSG_TUN_CONFIG };
	uint8_t p[400] = { 0 }, mb[MSG_MAX_LEN];

	for (size_t i = 0; i < 2; i++) {
		memset(p, 0, sizeof(p));
		CHECK(parse_config(t[i], 24, 0) == 28);
		CHECK(parse_config(t[i], 24, 1) == -1);
		CHECK(parse_config(t[i], 29, 1) == 33);
		CHECK(parse_config(t[i], 29, 0) == -1);
		CHECK(parse_config(t[i], 29, 2) == -1);
		CHECK(parse_config(t[i], 28, 1) == -1);
		CHECK(parse_config(t[i], 30, 1) == -1);
		CHECK(parse_config(t[i], 25, 0) == -1);
		CHECK(parse_config(t[i], 344, 64) == 348);
		CHECK(parse_config(t[i], 344, 63) == -1);
		CHECK(parse_config(t[i], 344, 65) == -1);
		CHECK(parse_config(t[i], 344, 255) == -1);
		/* 65 routes do not fit at all */
		CHECK(parse_config(t[i], 349, 65) == -1);

		p[CONFIG_NROUTES_AT] = 2;
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 34) == 38);
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 29) == -1);
		p[CONFIG_NROUTES_AT] = 0;
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 24) == 28);
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 34) == -1);
		p[CONFIG_NROUTES_AT] = 65;
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 349) == -1);

		/* no route, one server (17 bytes), one domain "a.b" */
		memset(p, 0, sizeof(p));
		p[22] = 1;
		p[23] = 4;
		p[40] = 1;
		p[41] = 3;
		memcpy(p + 42, "a.b", 3);
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 45) == 49);
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 44) == -1);
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 46) == -1);
		p[41] = 4;		/* the name runs past the end */
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 45) == -1);
		p[41] = 2;		/* a byte after the name */
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 45) == -1);
		p[41] = 0;		/* an empty name */
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 42) == -1);
		p[41] = 3;
		p[40] = 2;		/* a second domain that is not there */
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 45) == -1);
		p[40] = 1;
		p[22] = 2;		/* a second server that is not there */
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 45) == -1);
		p[22] = 0;		/* no server: the counts move up */
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 45) == -1);
		/* 5 servers, or 5 domains, do not frame even with room */
		memset(p, 0, sizeof(p));
		p[22] = 5;
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 22 + 1 + 85 + 1) ==
		    -1);
		p[22] = 0;
		p[23] = 5;
		for (size_t d = 0; d < 5; d++) {
			p[24 + 2 * d] = 1;
			p[25 + 2 * d] = 'a';
		}
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 34) == -1);
		p[23] = 4;
		CHECK(msg_build(mb, sizeof(mb), t[i], p, 32) == 36);
	}
}

static void
test_build(void)
{
	uint8_t mb[MSG_MAX_LEN], big[MSG_MAX_PAYLOAD + 1] = { 0 };
	uint8_t keys[149];
	struct msg m;

	for (size_t i = 0; i < sizeof(keys); i++)
		keys[i] = (uint8_t)i;
	keys[4] = 0;
	CHECK(msg_build(mb, 4 + 149, MSG_KEYS, keys, 149) == 4 + 149);
	CHECK(get_u16(mb) == MSG_KEYS && get_u16(mb + 2) == 149);
	CHECK(msg_parse(mb, 4 + 149, &m) == 4 + 149);
	CHECK(m.type == MSG_KEYS && memcmp(m.payload, keys, 149) == 0);

	/* cap too small, by one byte and by all of it */
	CHECK(msg_build(mb, 4 + 149 - 1, MSG_KEYS, keys, 149) == -1);
	CHECK(msg_build(mb, 3, MSG_STOP, NULL, 0) == -1);
	CHECK(msg_build(mb, 0, MSG_STOP, NULL, 0) == -1);
	CHECK(msg_build(mb, 4, MSG_STOP, NULL, 0) == 4);

	/* lengths mb of bounds */
	CHECK(msg_build(mb, sizeof(mb), MSG_KEYS, keys, 148) == -1);
	CHECK(msg_build(mb, sizeof(mb), MSG_PEER_DEAD, keys, 1) == -1);
	CHECK(msg_build(mb, sizeof(mb), MSG_STOP, big, MSG_PEER_MAX + 1) == -1);
	CHECK(msg_build(mb, sizeof(mb), MSG_ADDRESS_REQUEST, NULL, 0) == -1);
	CHECK(msg_build(mb, sizeof(mb), MSG_STATUS_REPLY, big,
	    MSG_MAX_PAYLOAD) == MSG_MAX_LEN);
	CHECK(msg_build(mb, sizeof(mb), MSG_STATUS_REPLY, big,
	    MSG_MAX_PAYLOAD + 1) == -1);
	CHECK(msg_build(mb, sizeof(mb), MSG_BYE, big, 0x10000 + 4) == -1);
}

/* --- one put/get pair per message --- */

/* put writes here; the bytes after what it claims to have written must
 * keep their marker. */
static uint8_t out[MSG_MAX_PAYLOAD + 64];
static uint8_t *held;

static void
out_clear(void)
{
	memset(out, 0xee, sizeof(out));
}

static bool
out_is(size_t n, const uint8_t *want, size_t wlen)
{
	return n == wlen && memcmp(out, want, wlen) == 0 && out[wlen] == 0xee;
}

/* A message as a reader has it after msg_build and msg_parse, in a heap
 * buffer of its exact size, so that a get reading past the payload trips
 * ASan. Valid until the next call of framed() or raw_msg(). */
static struct msg
framed(uint16_t type, const uint8_t *p, size_t len)
{
	struct msg m = { 0 };
	ssize_t n;

	free(held);
	held = xmalloc(MSG_HDR_LEN + len);
	memset(held, 0, MSG_HDR_LEN + len);
	n = msg_build(held, MSG_HDR_LEN + len, type, p, len);
	CHECK(n == (ssize_t)(MSG_HDR_LEN + len));
	if (n > 0)
		CHECK(msg_parse(held, (size_t)n, &m) == n);
	return m;
}

/* The same without the framing: what a get must judge on its own. */
static struct msg
raw_msg(uint16_t type, const uint8_t *p, size_t len)
{
	free(held);
	held = exact(p, len);
	return (struct msg){ .type = type, .len = (uint16_t)len,
	    .payload = held };
}

static void
sa4(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	CHECK(inet_pton(AF_INET, addr, &in->sin_addr) == 1);
}

static void
sa6(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	CHECK(inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1);
}


/* 192.0.2.10:51820 and [2001:db8::2a]:443 as socket address fields */
static const uint8_t wire_sa4[MSG_SA_LEN] = { 4, 0xca, 0x6c, 192, 0, 2, 10 };
static const uint8_t wire_sa6[MSG_SA_LEN] = { 6, 0x01, 0xbb, 0x20, 0x01,
    0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2a };

static void
test_sa(void)
{
	struct sockaddr_storage ss, got;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	uint8_t p[MSG_SA_LEN];
	static const uint8_t zero[MSG_SA_LEN];

	CHECK(MSG_SA_LEN == 19);
	sa4(&ss, "192.0.2.10", 51820);
	out_clear();
	msg_put_sa(out, &ss);
	CHECK(out_is(MSG_SA_LEN, wire_sa4, MSG_SA_LEN));
	CHECK(msg_get_sa(wire_sa4, &got) == 0 && sa_equal(&ss, &got));
	sa6(&ss, "2001:db8::2a", 443);
	out_clear();
	msg_put_sa(out, &ss);
	CHECK(out_is(MSG_SA_LEN, wire_sa6, MSG_SA_LEN));
	CHECK(msg_get_sa(wire_sa6, &got) == 0 && sa_equal(&ss, &got));

	/* as logs, status and hooks print them: an IPv4 client of a
	 * dual-stack socket as IPv4 */
	{
		char b[64];

		sa4(&ss, "192.0.2.10", 51820);
		CHECK(strcmp(sa_str((struct sockaddr *)&ss, b, sizeof(b)),
		    "192.0.2.10:51820") == 0);
		sa6(&ss, "2001:db8::2a", 443);
		CHECK(strcmp(sa_str((struct sockaddr *)&ss, b, sizeof(b)),
		    "[2001:db8::2a]:443") == 0);
		sa6(&ss, "::ffff:192.0.2.10", 51820);
		CHECK(strcmp(sa_str((struct sockaddr *)&ss, b, sizeof(b)),
		    "192.0.2.10:51820") == 0);
	}

	/* none, or a family that has no place in a message: all zero */
	memset(&ss, 0, sizeof(ss));
	out_clear();
	msg_put_sa(out, &ss);
	CHECK(out_is(MSG_SA_LEN, zero, MSG_SA_LEN));
	memcpy(&ss, &un, sizeof(un));
	out_clear();
	msg_put_sa(out, &ss);
	CHECK(out_is(MSG_SA_LEN, zero, MSG_SA_LEN));
	memset(&got, 0xa5, sizeof(got));
	CHECK(msg_get_sa(zero, &got) == 0 && got.ss_family == 0);

	/* an IPv4 address is the first 4 address bytes; the rest is unused */
	memcpy(p, wire_sa4, MSG_SA_LEN);
	memset(p + 7, 0x77, MSG_SA_LEN - 7);
	sa4(&ss, "192.0.2.10", 51820);
	CHECK(msg_get_sa(p, &got) == 0 && sa_equal(&ss, &got));

	for (unsigned f = 0; f < 256; f++) {
		memcpy(p, wire_sa4, MSG_SA_LEN);
		p[0] = (uint8_t)f;
		CHECK((msg_get_sa(p, &got) == 0) == (f == 0 || f == 4 ||
		    f == 6));
	}
}

static void
test_start(void)
{
	struct msg_start s, t;
	uint8_t p[MSG_SA_LEN];
	struct msg m;

	sa4(&s.peer, "192.0.2.10", 51820);
	out_clear();
	CHECK(out_is(msg_put_start(out, &s), wire_sa4, MSG_SA_LEN));
	m = framed(MSG_START, out, MSG_SA_LEN);
	CHECK(msg_get_start(&m, &t) == 0 && sa_equal(&s.peer, &t.peer));
	sa6(&s.peer, "2001:db8::2a", 443);
	out_clear();
	CHECK(out_is(msg_put_start(out, &s), wire_sa6, MSG_SA_LEN));
	m = framed(MSG_START, out, MSG_SA_LEN);
	CHECK(msg_get_start(&m, &t) == 0 && sa_equal(&s.peer, &t.peer));
	memset(&s, 0, sizeof(s));
	CHECK(msg_put_start(out, &s) == MSG_SA_LEN);
	m = framed(MSG_START, out, MSG_SA_LEN);
	CHECK(msg_get_start(&m, &t) == 0 && t.peer.ss_family == 0);

	memcpy(p, wire_sa4, sizeof(p));
	p[0] = 5;
	m = framed(MSG_START, p, sizeof(p));
	CHECK(msg_get_start(&m, &t) == -1);
	p[0] = AF_INET6;		/* the kernel's number is not ours */
	m = framed(MSG_START, p, sizeof(p));
	CHECK(msg_get_start(&m, &t) == -1);
}

/* Every field a different value, most bytes different too. */
#define SW 99		/* the fixed part of SESSION */
static const struct msg_session session_v = {
	.vaddr6 = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 },
	.server_vaddr6 = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 },
	.pool6 = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 }, .pool6_prefix = 64,
	.vaddr = 0x0a0b0c0d, .prefix = 17, .server_vaddr = 0x1a1b1c1d,
	.pool = 0x2a2b2c00, .pool_prefix = 22, .client_to_client = true,
	.keepalive_interval = 0x0102, .keepalive_timeout = 0x0304,
	.mtu = 0x0506, .rx_index = 0x31323334, .tx_index = 0x41424344,
};

static const uint8_t session_wire[SW] = {
	0x0a, 0x0b, 0x0c, 0x0d,		/* vaddr */
	17,				/* prefix */
	0x1a, 0x1b, 0x1c, 0x1d,		/* server */
	0x2a, 0x2b, 0x2c, 0x00,		/* pool */
	22,				/* pool prefix */
	1,				/* flags: client-to-client */
	0x01, 0x02,			/* keepalive interval */
	0x03, 0x04,			/* keepalive timeout */
	0x05, 0x06,			/* mtu */
	0x31, 0x32, 0x33, 0x34,		/* rx index */
	0x41, 0x42, 0x43, 0x44,		/* tx index */
	6, 0x01, 0xbb, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0x2a,			/* peer [2001:db8::2a]:443 */
	0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
					/* vaddr6 */
	0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
					/* server6 */
	0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					/* pool6 */
	64,				/* pool6 prefix */
	0, 0,				/* nnets, nnets6 */
};

static bool
nets_equal(const struct msg_route *a, const struct msg_route *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i].addr != b[i].addr || a[i].prefix != b[i].prefix)
			return false;
	return true;
}

static bool
session_equal(const struct msg_session *a, const struct msg_session *b)
{
	return a->vaddr == b->vaddr && a->prefix == b->prefix &&
	    a->server_vaddr == b->server_vaddr && a->pool == b->pool &&
	    a->pool_prefix == b->pool_prefix &&
	    a->client_to_client == b->client_to_client &&
	    a->keepalive_interval == b->keepalive_interval &&
	    a->keepalive_timeout == b->keepalive_timeout &&
	    a->mtu == b->mtu && a->rx_index == b->rx_index &&
	    a->tx_index == b->tx_index && sa_equal(&a->peer, &b->peer) &&
	    memcmp(a->vaddr6, b->vaddr6, 16) == 0 &&
	    memcmp(a->server_vaddr6, b->server_vaddr6, 16) == 0 &&
	    memcmp(a->pool6, b->pool6, 16) == 0 &&
	    a->pool6_prefix == b->pool6_prefix &&
	    a->nnets == b->nnets && nets_equal(a->nets, b->nets, a->nnets) &&
	    a->nnets6 == b->nnets6 && memcmp(a->nets6, b->nets6,
	    a->nnets6 * sizeof(a->nets6[0])) == 0;
}

/* Client networks ride after the fixed part, which counts them: IPv4
 * ones of 5 bytes, then IPv6 ones of 17; each must be a network, and the
 * length must match the counts. */
static void
test_session_nets(void)
{
	static const uint8_t nets_wire[10 + 17] = { 198, 19, 1, 0, 24,
	    203, 0, 113, 128, 25,
	    0x20, 0x01, 0x0d, 0xb8, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64 };
	struct msg_session s = session_v, t;
	uint8_t p[SW + 10 + 17 + 1];
	struct msg m;

	sa4(&s.peer, "192.0.2.10", 51820);
	s.nnets = 2;
	s.nets[0] = (struct msg_route){ 0xc6130100, 24 };
	s.nets[1] = (struct msg_route){ 0xcb007180, 25 };
	s.nnets6 = 1;
	s.nets6[0] = (struct msg_net6){ { 0x20, 0x01, 0x0d, 0xb8, 0, 5 }, 64 };
	out_clear();
	CHECK(msg_put_session(out, &s) == SW + 27 && out[SW - 2] == 2 &&
	    out[SW - 1] == 1 &&
	    memcmp(out + SW, nets_wire, sizeof(nets_wire)) == 0 &&
	    out[SW + 27] == 0xee);
	memset(&t, 0x5a, sizeof(t));
	m = framed(MSG_SESSION, out, SW + 27);
	CHECK(msg_get_session(&m, &t) == 0 && session_equal(&s, &t));
	memcpy(p, out, SW + 27);
	p[SW + 27] = 0;
	m = framed(MSG_SESSION, p, SW + 26);		/* a network cut short */
	CHECK(msg_get_session(&m, &t) == -1);
	m = framed(MSG_SESSION, p, SW + 28);		/* a byte too many */
	CHECK(msg_get_session(&m, &t) == -1);
	p[SW - 1] = 0;					/* counts and length */
	m = framed(MSG_SESSION, p, SW + 27);
	CHECK(msg_get_session(&m, &t) == -1);
	p[SW - 1] = 1;
	p[SW - 2] = 3;
	m = framed(MSG_SESSION, p, SW + 27);
	CHECK(msg_get_session(&m, &t) == -1);
	p[SW - 2] = 2;
	p[SW + 9] = 24;				/* host bits */
	m = framed(MSG_SESSION, p, SW + 27);
	CHECK(msg_get_session(&m, &t) == -1);
	p[SW + 9] = 33;
	m = framed(MSG_SESSION, p, SW + 27);
	CHECK(msg_get_session(&m, &t) == -1);
	p[SW + 9] = 32;
	m = framed(MSG_SESSION, p, SW + 27);
	CHECK(msg_get_session(&m, &t) == 0 && t.nnets == 2 &&
	    t.nets[1].prefix == 32 && t.nnets6 == 1);
	p[SW + 26] = 32;			/* IPv6: host bits */
	m = framed(MSG_SESSION, p, SW + 27);
	CHECK(msg_get_session(&m, &t) == -1);
	p[SW + 26] = 129;
	m = framed(MSG_SESSION, p, SW + 27);
	CHECK(msg_get_session(&m, &t) == -1);
	p[SW + 26] = 128;
	m = framed(MSG_SESSION, p, SW + 27);
	CHECK(msg_get_session(&m, &t) == 0 && t.nnets6 == 1 &&
	    t.nets6[0].prefix == 128 && t.nets6[0].addr[5] == 5);

	/* put clamps to MSG_NETS_MAX of each; get refuses more */
	s.nnets = 0;
	s.nnets6 = 255;
	for (unsigned i = 0; i < MSG_NETS_MAX; i++)
		s.nets6[i] = (struct msg_net6){ { 0x20, 0x01, 0x0d, 0xb8,
		    0, (uint8_t)i }, 48 };
	CHECK(msg_put_session(out, &s) == SW + 17 * MSG_NETS_MAX &&
	    out[SW - 1] == MSG_NETS_MAX);
	m = framed(MSG_SESSION, out, SW + 17 * MSG_NETS_MAX);
	CHECK(msg_get_session(&m, &t) == 0 && t.nnets6 == MSG_NETS_MAX);
	out[SW - 1] = MSG_NETS_MAX + 1;
	m = raw_msg(MSG_SESSION, out, SW + 17 * (MSG_NETS_MAX + 1));
	CHECK(msg_get_session(&m, &t) == -1);
}

/* The session wire bytes with one field changed, through get. */
static int
session_get_with(size_t off, const uint8_t *v, size_t vlen,
    struct msg_session *s)
{
	uint8_t p[SW];
	struct msg m;

	memcpy(p, session_wire, sizeof(p));
	memcpy(p + off, v, vlen);
	m = framed(MSG_SESSION, p, sizeof(p));
	return msg_get_session(&m, s);
}

static int
session_u8(size_t off, uint8_t v)
{
	struct msg_session s;

	return session_get_with(off, &v, 1, &s);
}

static int
session_u16(size_t off, uint16_t v)
{
	struct msg_session s;
	uint8_t b[2];

	put_u16(b, v);
	return session_get_with(off, b, 2, &s);
}

static void
test_session(void)
{
	struct msg_session s = session_v, t;
	uint8_t p[SW + 1];
	struct msg m;

	sa6(&s.peer, "2001:db8::2a", 443);
	out_clear();
	CHECK(out_is(msg_put_session(out, &s), session_wire, SW));
	m = framed(MSG_SESSION, out, SW);
	memset(&t, 0x5a, sizeof(t));
	CHECK(msg_get_session(&m, &t) == 0 && session_equal(&s, &t));
	s.client_to_client = false;
	sa4(&s.peer, "192.0.2.10", 51820);
	out_clear();
	CHECK(msg_put_session(out, &s) == SW && out[14] == 0 &&
	    memcmp(out + 29, wire_sa4, MSG_SA_LEN) == 0 && out[SW] == 0xee);
	m = framed(MSG_SESSION, out, SW);
	CHECK(msg_get_session(&m, &t) == 0 && session_equal(&s, &t));

	/* the limits get enforces, each just inside and just outside */
	CHECK(session_u8(4, 32) == 0 && session_u8(4, 33) == -1);
	CHECK(session_u8(4, 0xff) == -1);
	CHECK(session_u8(13, 32) == 0 && session_u8(13, 33) == -1);
	CHECK(session_u8(14, 0) == 0 && session_u8(14, 2) == -1);
	CHECK(session_u8(14, 0x81) == -1);
	CHECK(session_u16(19, 575) == -1 && session_u16(19, 576) == 0);
	CHECK(session_u16(19, 9000) == 0 && session_u16(19, 9001) == -1);
	CHECK(session_u16(19, 0) == -1);
	CHECK(session_u16(15, 0) == -1);		/* no keepalive */
	CHECK(session_u16(17, 0x0102) == -1);		/* timeout = interval */
	CHECK(session_u16(17, 0x0101) == -1);		/* timeout < interval */
	CHECK(session_u16(17, 0x0103) == 0);
	CHECK(session_u8(29, 0) == 0 && session_u8(29, 4) == 0);
	CHECK(session_u8(29, 5) == -1 && session_u8(29, AF_INET6) == -1);
	CHECK(session_u8(SW - 3, 128) == 0 && session_u8(SW - 3, 129) == -1);
	CHECK(session_u8(SW - 2, 1) == -1 && session_u8(SW - 1, 1) == -1);

	/* wrong length, either way, even of the right type */
	memcpy(p, session_wire, SW);
	p[SW] = 0;
	m = raw_msg(MSG_SESSION, p, SW - 1);
	CHECK(msg_get_session(&m, &t) == -1);
	m = raw_msg(MSG_SESSION, p, SW + 1);
	CHECK(msg_get_session(&m, &t) == -1);
	m = raw_msg(MSG_KEYS, p, SW);
	CHECK(msg_get_session(&m, &t) == -1);
}

static void
test_keys(void)
{
	struct msg_keys k = { .epoch = 0x01020304, .flags = MSG_KEYS_TX_NOW },
	    t;
	uint8_t want[149];
	struct msg m;

	CHECK(MSG_KEYS_TX_NOW == 1);
	put_u32(want, 0x01020304);
	want[4] = 1;
	for (int i = 0; i < MSG_KEYMAT_LEN; i++) {
		k.tx[i] = want[5 + i] = (uint8_t)(0x10 + i);
		k.rx[i] = want[5 + 72 + i] = (uint8_t)(0xa0 + i);
	}
	out_clear();
	CHECK(out_is(msg_put_keys(out, &k), want, sizeof(want)));
	m = framed(MSG_KEYS, out, sizeof(want));
	memset(&t, 0, sizeof(t));
	CHECK(msg_get_keys(&m, &t) == 0 && t.epoch == k.epoch &&
	    t.flags == 1 && memcmp(t.tx, k.tx, sizeof(k.tx)) == 0 &&
	    memcmp(t.rx, k.rx, sizeof(k.rx)) == 0);

	/* flags: only the one bit there is */
	for (unsigned f = 0; f < 256; f++) {
		want[4] = (uint8_t)f;
		m = framed(MSG_KEYS, want, sizeof(want));
		CHECK((msg_get_keys(&m, &t) == 0) == (f <= 1));
		if (f <= 1)
			CHECK(t.flags == f);
	}
}

static void
test_grant(void)
{
	static const uint8_t want[46] = { 0x0a, 0x14, 0x1e, 0x28, 19,
	    0x0a, 0x14, 0x1e, 0x01, 0xde, 0xad, 0xbe, 0xef,
	    0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	    64,
	    0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct msg_grant g = { .vaddr = 0x0a141e28, .prefix = 19,
	    .server_vaddr = 0x0a141e01, .index = 0xdeadbeef,
	    .vaddr6 = { { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 }, 64 },
	    .server_vaddr6 = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 } }, t;
	uint8_t p[46];
	struct msg m;

	out_clear();
	CHECK(out_is(msg_put_grant(out, &g), want, sizeof(want)));
	m = framed(MSG_ADDRESS_GRANT, out, sizeof(want));
	memset(&t, 0, sizeof(t));
	CHECK(msg_get_grant(&m, &t) == 0 && t.vaddr == g.vaddr &&
	    t.prefix == g.prefix && t.server_vaddr == g.server_vaddr &&
	    t.index == g.index && memcmp(&t.vaddr6, &g.vaddr6,
	    sizeof(g.vaddr6)) == 0 && memcmp(t.server_vaddr6,
	    g.server_vaddr6, 16) == 0);
	memcpy(p, want, sizeof(p));
	p[4] = 32;
	m = framed(MSG_ADDRESS_GRANT, p, sizeof(p));
	CHECK(msg_get_grant(&m, &t) == 0 && t.prefix == 32);
	p[4] = 33;
	m = framed(MSG_ADDRESS_GRANT, p, sizeof(p));
	CHECK(msg_get_grant(&m, &t) == -1);
	p[4] = 19;
	p[29] = 128;
	m = framed(MSG_ADDRESS_GRANT, p, sizeof(p));
	CHECK(msg_get_grant(&m, &t) == 0 && t.vaddr6.prefix == 128);
	p[29] = 129;
	m = framed(MSG_ADDRESS_GRANT, p, sizeof(p));
	CHECK(msg_get_grant(&m, &t) == -1);
}

static void
test_register(void)
{
	static const uint8_t want[26] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	    0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
	static const uint8_t want_un[2] = { 0xab, 0xcd };
	struct msg_register r = { .slot = 0x0102, .index = 0x03040506,
	    .vaddr = 0x0708090a,
	    .vaddr6 = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 } }, t;
	struct msg_unregister u = { .slot = 0xabcd }, v;
	struct msg m;

	out_clear();
	CHECK(out_is(msg_put_register(out, &r), want, sizeof(want)));
	m = framed(MSG_REGISTER, out, sizeof(want));
	memset(&t, 0, sizeof(t));
	CHECK(msg_get_register(&m, &t) == 0 && t.slot == r.slot &&
	    t.index == r.index && t.vaddr == r.vaddr &&
	    memcmp(t.vaddr6, r.vaddr6, 16) == 0);
	out_clear();
	CHECK(out_is(msg_put_unregister(out, &u), want_un, sizeof(want_un)));
	m = framed(MSG_UNREGISTER, out, sizeof(want_un));
	memset(&v, 0, sizeof(v));
	CHECK(msg_get_unregister(&m, &v) == 0 && v.slot == u.slot);

	/* the CN after the fixed part, without its NUL, none inside */
	memcpy(r.cn, "site-a", 7);
	out_clear();
	CHECK(msg_put_register(out, &r) == 32 &&
	    memcmp(out + 26, "site-a", 6) == 0 && out[32] == 0xee);
	m = framed(MSG_REGISTER, out, 32);
	CHECK(msg_get_register(&m, &t) == 0 && strcmp(t.cn, "site-a") == 0);
	m = framed(MSG_REGISTER, want, sizeof(want));
	CHECK(msg_get_register(&m, &t) == 0 && t.cn[0] == '\0');
	out[28] = '\0';
	m = framed(MSG_REGISTER, out, 32);
	CHECK(msg_get_register(&m, &t) == -1);
}

static void
test_hello(void)
{
	static const uint8_t want[8] = { 0x00, 0x02, 0x80, 0x01, 0x11, 0x22,
	    0x33, 0x44 };
	struct msg_hello h = { .version = 2, .flags = 0x8001,
	    .index = 0x11223344 }, t;
	struct msg m;

	out_clear();
	CHECK(out_is(msg_put_hello(out, &h), want, sizeof(want)));
	m = framed(MSG_HELLO, out, sizeof(want));
	memset(&t, 0, sizeof(t));
	CHECK(msg_get_hello(&m, &t) == 0 && t.version == h.version &&
	    t.flags == h.flags && t.index == h.index);
}

/* The messages of a reload and of `simpletun kick`. */
static void
test_reload_msgs(void)
{
	static const uint8_t want_rc[4] = { 0x01, 0x02, 0x03, 0x04 };
	struct msg_recheck rc = { .generation = 0x01020304 }, rc2;
	struct msg_end e = { .cause = MSG_END_KICKED }, e2;
	struct msg_live l = { .client_to_client = true }, l2;
	struct msg_kick k = { .cn = "alice" }, k2;
	uint8_t bad[1];
	struct msg m;

	out_clear();
	CHECK(out_is(msg_put_recheck(out, &rc), want_rc, sizeof(want_rc)));
	m = framed(MSG_RECHECK, out, sizeof(want_rc));
	memset(&rc2, 0, sizeof(rc2));
	CHECK(msg_get_recheck(&m, &rc2) == 0 && rc2.generation == rc.generation);

	out_clear();
	CHECK(msg_put_end(out, &e) == 1 && out[0] == MSG_END_KICKED);
	m = framed(MSG_END, out, 1);
	memset(&e2, 0, sizeof(e2));
	CHECK(msg_get_end(&m, &e2) == 0 && e2.cause == MSG_END_KICKED);
	CHECK(msg_end_reason(e2.cause) != NULL &&
	    strstr(msg_end_reason(e2.cause), "kick") != NULL);
	bad[0] = 0;
	m = framed(MSG_END, bad, 1);
	CHECK(msg_get_end(&m, &e2) == -1);
	bad[0] = 0xff;
	m = framed(MSG_END, bad, 1);
	CHECK(msg_get_end(&m, &e2) == -1);

	for (int on = 0; on <= 1; on++) {
		l.client_to_client = on;
		out_clear();
		CHECK(msg_put_live(out, &l) == 1 && out[0] == on);
		m = framed(MSG_LIVE, out, 1);
		l2.client_to_client = !on;
		CHECK(msg_get_live(&m, &l2) == 0 &&
		    l2.client_to_client == (bool)on);
	}
	bad[0] = 3;
	m = framed(MSG_LIVE, bad, 1);
	CHECK(msg_get_live(&m, &l2) == -1);

	out_clear();
	CHECK(out_is(msg_put_kick(out, &k), (const uint8_t *)"alice", 5));
	m = framed(MSG_KICK, out, 5);
	memset(&k2, 'x', sizeof(k2));
	CHECK(msg_get_kick(&m, &k2) == 0 && strcmp(k2.cn, "alice") == 0);
	memset(k.cn, 'c', MSG_CN_MAX);
	k.cn[MSG_CN_MAX] = '\0';
	out_clear();
	CHECK(msg_put_kick(out, &k) == MSG_CN_MAX);
	m = framed(MSG_KICK, out, MSG_CN_MAX);
	CHECK(msg_get_kick(&m, &k2) == 0 && strlen(k2.cn) == MSG_CN_MAX);
	m = framed(MSG_KICK, (const uint8_t *)"a\x7f", 2);
	CHECK(msg_get_kick(&m, &k2) == -1);
	/* a CN of 0 or 65 bytes does not even frame */
	CHECK(msg_build(out, sizeof(out), MSG_KICK, "", 0) == -1);
}

static const uint8_t config_wire[22 + 3 * 5 + 1 + 2 * 17 + 1 + 13] = {
	0xc6, 0x12, 0x00, 0x06,		/* vaddr 198.18.0.6 */
	16,				/* prefix */
	0xc6, 0x12, 0x00, 0x01,		/* server 198.18.0.1 */
	0x05, 0x8c,			/* mtu 1420 */
	0x9c, 0x41,			/* port 40001 */
	0x00, 0x0a,			/* keepalive interval 10 */
	0x00, 0x3c,			/* keepalive timeout 60 */
	0x55, 0x66, 0x77, 0x88,		/* index */
	3,				/* routes */
	203, 0, 113, 0, 24,
	10, 1, 0, 0, 16,
	0, 0, 0, 0, 0,
	2,				/* DNS servers */
	4, 198, 18, 0, 53, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	6, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	1,				/* domains */
	12, 'c', 'o', 'r', 'p', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e',
};
#define CONFIG_DNS_AT (22 + 3 * 5)	/* in config_wire */

static void
config_v(struct msg_config *c)
{
	memset(c, 0, sizeof(*c));
	c->vaddr = 0xc6120006;
	c->prefix = 16;
	c->server_vaddr = 0xc6120001;
	c->mtu = 1420;
	c->port = 40001;
	c->keepalive_interval = 10;
	c->keepalive_timeout = 60;
	c->index = 0x55667788;
	c->nroutes = 3;
	c->routes[0] = (struct msg_route){ 0xcb007100, 24 };
	c->routes[1] = (struct msg_route){ 0x0a010000, 16 };
	c->routes[2] = (struct msg_route){ 0, 0 };
	c->ndns = 2;
	c->dns[0] = (struct msg_dns){ 4, { 198, 18, 0, 53 } };
	c->dns[1] = (struct msg_dns){ 6, { 0x20, 0x01, 0x0d, 0xb8,
	    [15] = 0x53 } };
	c->ndomains = 1;
	strcpy(c->domains[0], "corp.example");
}

static bool
config_equal(const struct msg_config *a, const struct msg_config *b)
{
	if (a->vaddr != b->vaddr || a->prefix != b->prefix ||
	    a->server_vaddr != b->server_vaddr || a->mtu != b->mtu ||
	    a->port != b->port ||
	    a->keepalive_interval != b->keepalive_interval ||
	    a->keepalive_timeout != b->keepalive_timeout ||
	    a->index != b->index || a->nroutes != b->nroutes ||
	    a->ndns != b->ndns || a->ndomains != b->ndomains)
		return false;
	for (unsigned i = 0; i < a->nroutes; i++)
		if (a->routes[i].addr != b->routes[i].addr ||
		    a->routes[i].prefix != b->routes[i].prefix)
			return false;
	for (unsigned i = 0; i < a->ndns; i++)
		if (a->dns[i].family != b->dns[i].family ||
		    memcmp(a->dns[i].addr, b->dns[i].addr, 16) != 0)
			return false;
	for (unsigned i = 0; i < a->ndomains; i++)
		if (strcmp(a->domains[i], b->domains[i]) != 0)
			return false;
	return true;
}

/* The largest CONFIG: 64 routes, 4 IPv6 servers, 4 domains of 253. */
static size_t
config_max(struct msg_config *c)
{
	config_v(c);
	c->nroutes = MSG_ROUTES_MAX;
	for (unsigned i = 0; i < MSG_ROUTES_MAX; i++)
		c->routes[i] = (struct msg_route){ 0x0a000000 | i << 16, 16 };
	c->ndns = MSG_DNS_MAX;
	for (unsigned i = 0; i < MSG_DNS_MAX; i++)
		c->dns[i] = (struct msg_dns){ 6, { 0x20, 0x01, 0x0d, 0xb8,
		    [15] = (uint8_t)(i + 1) } };
	c->ndomains = MSG_DOMAINS_MAX;
	for (unsigned i = 0; i < MSG_DOMAINS_MAX; i++) {
		/* 63.63.63.63 = 255: one character less in the last label */
		memset(c->domains[i], 'a' + i, MSG_DOMAIN_MAX);
		c->domains[i][63] = c->domains[i][127] = '.';
		c->domains[i][191] = '.';
		c->domains[i][MSG_DOMAIN_MAX] = '\0';
	}
	return 22 + 5 * MSG_ROUTES_MAX + 1 + 17 * MSG_DNS_MAX + 1 +
	    (1 + MSG_DOMAIN_MAX) * MSG_DOMAINS_MAX;
}

static void
test_config(void)
{
	static const uint16_t types2[] = { MSG_CONFIG, MSG_TUN_CONFIG };
	struct msg_config c, t;
	uint8_t p[sizeof(config_wire)];
	struct msg m;
	size_t n;

	config_v(&c);
	out_clear();
	CHECK(out_is(msg_put_config(out, &c), config_wire,
	    sizeof(config_wire)));
	for (size_t i = 0; i < 2; i++) {
		m = framed(types2[i], out, sizeof(config_wire));
		memset(&t, 0x5a, sizeof(t));
		CHECK(msg_get_config(&m, &t) == 0 && config_equal(&c, &t));
	}

	/* none, and the most there may be, each route different */
	c.nroutes = c.ndns = c.ndomains = 0;
	out_clear();
	CHECK(msg_put_config(out, &c) == 24 && out[21] == 0 &&
	    memcmp(out, config_wire, 21) == 0 && out[22] == 0 &&
	    out[23] == 0 && out[24] == 0xee);
	m = framed(MSG_CONFIG, out, 24);
	CHECK(msg_get_config(&m, &t) == 0 && config_equal(&c, &t));
	c.nroutes = MSG_ROUTES_MAX;
	CHECK(MSG_ROUTES_MAX == 64);
	for (unsigned i = 0; i < MSG_ROUTES_MAX; i++)
		c.routes[i] = (struct msg_route){ 0x0a000000 | i << 16 |
		    (i + 1) << 8, (uint8_t)(24 - i % 8) };
	out_clear();
	CHECK((n = msg_put_config(out, &c)) == 344 && out[344] == 0xee);
	CHECK(out[21] == 64 && get_u32(out + 22 + 5 * 63) == c.routes[63].addr);
	CHECK(out[22 + 5 * 63 + 4] == c.routes[63].prefix);
	m = framed(MSG_TUN_CONFIG, out, n);
	CHECK(msg_get_config(&m, &t) == 0 && config_equal(&c, &t));

	/* put never writes more than 64 routes, 4 servers and 4 domains,
	 * whatever the counts say */
	c.nroutes = 200;
	out_clear();
	CHECK(msg_put_config(out, &c) == 344 && out[21] == 64 &&
	    out[344] == 0xee);
	n = config_max(&c);
	CHECK(n == 1428);
	c.nroutes = c.ndns = c.ndomains = 200;
	out_clear();
	CHECK(msg_put_config(out, &c) == n && out[n] == 0xee);
	m = framed(MSG_CONFIG, out, n);
	CHECK(msg_get_config(&m, &t) == 0 && t.nroutes == 64 &&
	    t.ndns == 4 && t.ndomains == 4);
	c.nroutes = 64;
	c.ndns = c.ndomains = 4;
	CHECK(config_equal(&c, &t));
	CHECK(strlen(t.domains[3]) == MSG_DOMAIN_MAX);

	/* get checks the count against the length itself */
	memcpy(p, config_wire, sizeof(config_wire));
	p[21] = 2;
	m = raw_msg(MSG_CONFIG, p, sizeof(config_wire));
	CHECK(msg_get_config(&m, &t) == -1);
	p[21] = 4;
	m = raw_msg(MSG_CONFIG, p, sizeof(config_wire));
	CHECK(msg_get_config(&m, &t) == -1);
	m = raw_msg(MSG_CONFIG, p, 21);
	CHECK(msg_get_config(&m, &t) == -1);

	/* and what the DNS part holds: a family, an IPv4 address's zero
	 * tail, a domain's form */
	p[21] = 3;
	m = raw_msg(MSG_CONFIG, p, sizeof(config_wire));
	CHECK(msg_get_config(&m, &t) == 0);
	p[CONFIG_DNS_AT + 1] = 5;
	m = raw_msg(MSG_CONFIG, p, sizeof(config_wire));
	CHECK(msg_get_config(&m, &t) == -1);
	p[CONFIG_DNS_AT + 1] = 4;
	p[CONFIG_DNS_AT + 1 + 17 - 1] = 1;
	m = raw_msg(MSG_CONFIG, p, sizeof(config_wire));
	CHECK(msg_get_config(&m, &t) == -1);
	p[CONFIG_DNS_AT + 1 + 17 - 1] = 0;
	p[sizeof(config_wire) - 8] = '_';	/* corp_example */
	m = raw_msg(MSG_CONFIG, p, sizeof(config_wire));
	CHECK(msg_get_config(&m, &t) == -1);
	p[sizeof(config_wire) - 8] = '.';
	p[sizeof(config_wire) - 12] = '-';	/* -orp.example */
	m = raw_msg(MSG_CONFIG, p, sizeof(config_wire));
	CHECK(msg_get_config(&m, &t) == -1);
	p[sizeof(config_wire) - 12] = 'c';
	m = raw_msg(MSG_CONFIG, p, sizeof(config_wire));
	CHECK(msg_get_config(&m, &t) == 0 && config_equal(&t, &t));
}

/* The rules both push-dns and push-domain (conf.c) and a client (the
 * judge) hold the DNS part to. */
static void
test_config_dns(void)
{
	struct msg_underlay u = { .server = 0 };
	struct msg_config c;
	char why[256], a[INET6_ADDRSTRLEN];
	char label64[80];

	CHECK(msg_domain_bad("corp.example", 12) == NULL);
	CHECK(msg_domain_bad("x", 1) == NULL);
	CHECK(msg_domain_bad("1-2.3", 5) == NULL);
	CHECK(msg_domain_bad("", 0) != NULL);
	CHECK(msg_domain_bad(".", 1) != NULL);
	CHECK(msg_domain_bad("a.", 2) != NULL);
	CHECK(msg_domain_bad(".a", 2) != NULL);
	CHECK(msg_domain_bad("a..b", 4) != NULL);
	CHECK(msg_domain_bad("a-.b", 4) != NULL);
	CHECK(msg_domain_bad("a.b-", 4) != NULL);
	CHECK(msg_domain_bad("-a", 2) != NULL);
	CHECK(msg_domain_bad("a b", 3) != NULL);
	CHECK(msg_domain_bad("a\0b", 3) != NULL);
	CHECK(msg_domain_bad("~a", 2) != NULL);
	CHECK(msg_domain_bad("\xc3\xa7", 2) != NULL);
	memset(label64, 'a', sizeof(label64));
	CHECK(msg_domain_bad(label64, 63) == NULL);
	CHECK(msg_domain_bad(label64, 64) != NULL);

	CHECK(msg_dns_bad(&(struct msg_dns){ 4, { 198, 18, 0, 53 } }) == NULL);
	CHECK(msg_dns_bad(&(struct msg_dns){ 4, { 0 } }) != NULL);
	CHECK(msg_dns_bad(&(struct msg_dns){ 6, { 0 } }) != NULL);
	CHECK(msg_dns_bad(&(struct msg_dns){ 4, { 239, 1, 1, 1 } }) != NULL);
	CHECK(msg_dns_bad(&(struct msg_dns){ 4, { 255, 255, 255, 255 } }) !=
	    NULL);
	CHECK(msg_dns_bad(&(struct msg_dns){ 6, { 0xff, 2 } }) != NULL);
	CHECK(msg_dns_bad(&(struct msg_dns){ 5, { 1 } }) != NULL);
	CHECK(strcmp(msg_dns_str(&(struct msg_dns){ 6, { 0x20, 0x01, 0x0d,
	    0xb8, [15] = 0x53 } }, a), "2001:db8::53") == 0);

	config_v(&c);
	c.nroutes = 2;		/* not 0.0.0.0/0, which needs a full tunnel */
	CHECK(msg_config_judge(&c, &u, why, sizeof(why)) == NULL);
	c.dns[1] = c.dns[0];
	CHECK(msg_config_judge(&c, &u, why, sizeof(why)) != NULL &&
	    strcmp(why, "DNS server 198.18.0.53 given twice") == 0);
	c.dns[1] = (struct msg_dns){ 6, { 0xff, 0x02, [15] = 0xfb } };
	CHECK(msg_config_judge(&c, &u, why, sizeof(why)) != NULL &&
	    strcmp(why, "DNS server ff02::fb is a multicast address") == 0);
	config_v(&c);
	c.nroutes = 2;
	c.ndomains = 2;
	strcpy(c.domains[1], "CORP.example");
	CHECK(msg_config_judge(&c, &u, why, sizeof(why)) != NULL &&
	    strcmp(why, "DNS domain CORP.example given twice") == 0);
}

static void
test_epoch(void)
{
	static const uint8_t want[4] = { 0xa1, 0xb2, 0xc3, 0xd4 };
	struct msg_epoch e = { .epoch = 0xa1b2c3d4 }, t;
	struct msg m;

	out_clear();
	CHECK(out_is(msg_put_epoch(out, &e), want, sizeof(want)));
	m = framed(MSG_REKEY, out, 4);
	t.epoch = 0;
	CHECK(msg_get_epoch(&m, &t) == 0 && t.epoch == e.epoch);
	m = framed(MSG_REKEY_ACK, out, 4);
	t.epoch = 0;
	CHECK(msg_get_epoch(&m, &t) == 0 && t.epoch == e.epoch);
}

static int
g_start(const struct msg *m)
{
	struct msg_start s;

	return msg_get_start(m, &s);
}

static int
g_session(const struct msg *m)
{
	struct msg_session s;

	return msg_get_session(m, &s);
}

static int
g_keys(const struct msg *m)
{
	struct msg_keys k;

	return msg_get_keys(m, &k);
}

static int
g_grant(const struct msg *m)
{
	struct msg_grant g;

	return msg_get_grant(m, &g);
}

static int
g_register(const struct msg *m)
{
	struct msg_register r;

	return msg_get_register(m, &r);
}

static int
g_unregister(const struct msg *m)
{
	struct msg_unregister u;

	return msg_get_unregister(m, &u);
}

static int
g_hello(const struct msg *m)
{
	struct msg_hello h;

	return msg_get_hello(m, &h);
}

static int
g_config(const struct msg *m)
{
	struct msg_config c;

	return msg_get_config(m, &c);
}

static int
g_epoch(const struct msg *m)
{
	struct msg_epoch e;

	return msg_get_epoch(m, &e);
}

static int
g_recheck(const struct msg *m)
{
	struct msg_recheck r;

	return msg_get_recheck(m, &r);
}

static int
g_end(const struct msg *m)
{
	struct msg_end e;

	return msg_get_end(m, &e);
}

static int
g_live(const struct msg *m)
{
	struct msg_live l;

	return msg_get_live(m, &l);
}

static int
g_kick(const struct msg *m)
{
	struct msg_kick k;

	return msg_get_kick(m, &k);
}

static const struct {
	int (*get)(const struct msg *);
	uint16_t type[2];		/* the types it reads */
} getters[] = {
	{ g_start, { MSG_START, MSG_START } },
	{ g_session, { MSG_SESSION, MSG_SESSION } },
	{ g_keys, { MSG_KEYS, MSG_KEYS } },
	{ g_grant, { MSG_ADDRESS_GRANT, MSG_ADDRESS_GRANT } },
	{ g_register, { MSG_REGISTER, MSG_REGISTER } },
	{ g_unregister, { MSG_UNREGISTER, MSG_UNREGISTER } },
	{ g_hello, { MSG_HELLO, MSG_HELLO } },
	{ g_config, { MSG_CONFIG, MSG_TUN_CONFIG } },
	{ g_epoch, { MSG_REKEY, MSG_REKEY_ACK } },
	{ g_recheck, { MSG_RECHECK, MSG_RECHECK } },
	{ g_end, { MSG_END, MSG_END } },
	{ g_live, { MSG_LIVE, MSG_LIVE } },
	{ g_kick, { MSG_KICK, MSG_KICK } },
};

#define NGETTERS (sizeof(getters) / sizeof(getters[0]))

/* Every valid payload under every type (and an unknown one): only its own
 * getter reads it, and only under a type that getter is for. Bytes that
 * are also a valid payload of another getter's type (REKEY and RECHECK are
 * both a u32; END and LIVE both one byte) name that getter in also. */
static void
test_get_types(void)
{
	static const uint8_t reg[26] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	static const uint8_t hello[8] = { 0, 2, 0, 0, 1, 2, 3, 4 };
	static const uint8_t unreg[2] = { 0, 7 }, epoch[4] = { 0, 0, 0, 9 };
	static const uint8_t grant[46] = { 10, 0, 0, 2, 24, 10, 0, 0, 1 };
	static const uint8_t recheck[4] = { 0, 0, 1, 2 };
	static const uint8_t end[1] = { MSG_END_KICKED }, end_bad[1] = { 0 };
	static const uint8_t live[1] = { 1 }, live_bad[1] = { 2 };
	uint8_t keys[149] = { 0 };
	const struct {
		size_t getter;
		const uint8_t *p;
		size_t len;
		bool good;
		unsigned also;		/* bits: other getters that accept */
	} valid[] = {
		{ 0, wire_sa6, sizeof(wire_sa6), true, 0 },
		{ 1, session_wire, sizeof(session_wire), true, 0 },
		{ 2, keys, sizeof(keys), true, 0 },
		{ 3, grant, sizeof(grant), true, 0 },
		{ 4, reg, sizeof(reg), true, 0 },
		{ 5, unreg, sizeof(unreg), true, 0 },
		{ 6, hello, sizeof(hello), true, 0 },
		{ 7, config_wire, sizeof(config_wire), true, 0 },
		{ 7, config_wire, 24, false, 0 },	/* the count says 3 */
		{ 8, epoch, sizeof(epoch), true, 1u << 9 },
		{ 9, recheck, sizeof(recheck), true, 1u << 8 },
		{ 10, end, sizeof(end), true, 1u << 11 },
		{ 10, end_bad, sizeof(end_bad), false, 1u << 11 },
		{ 11, live, sizeof(live), true, 1u << 10 },
		{ 11, live_bad, sizeof(live_bad), false, 0 },
		{ 12, (const uint8_t *)"carol", 5, true, 0 },
		{ 12, (const uint8_t *)"ca\trol", 6, false, 0 },
	};
	struct msg m;

	for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++)
		for (size_t i = 0; i <= NTYPES; i++) {
			uint16_t t = i < NTYPES ? types[i].type : 0x4242;

			for (size_t g = 0; g < NGETTERS; g++) {
				bool ok = ((valid[v].getter == g &&
				    valid[v].good) || (valid[v].also >> g & 1)) &&
				    (getters[g].type[0] == t ||
				    getters[g].type[1] == t);

				m = raw_msg(t, valid[v].p, valid[v].len);
				CHECK((getters[g].get(&m) == 0) == ok);
			}
		}
}

static void
test_text(void)
{
	struct msg m = { MSG_BYE, 6, (const uint8_t *)"abcdef" };
	char s[8];

	msg_get_text(&m, s, 7);
	CHECK(strcmp(s, "abcdef") == 0);
	msg_get_text(&m, s, 8);
	CHECK(strcmp(s, "abcdef") == 0);
	msg_get_text(&m, s, 4);
	CHECK(strcmp(s, "abc") == 0);
	msg_get_text(&m, s, 1);
	CHECK(s[0] == '\0');
	m.len = 0;
	msg_get_text(&m, s, sizeof(s));
	CHECK(s[0] == '\0');
}

/* --- msg_config_check --- */

/* A CONFIG as a server sends it: 198.18.0.2/24, server 198.18.0.1, mtu
 * 1420, port 40000, keepalive 10 60, one route 203.0.113.0/24. */
static struct msg_config *
good_config(void)
{
	static struct msg_config c;

	memset(&c, 0, sizeof(c));
	c.vaddr = 0xc6120002;
	c.prefix = 24;
	c.server_vaddr = 0xc6120001;
	c.mtu = 1420;
	c.port = 40000;
	c.keepalive_interval = 10;
	c.keepalive_timeout = 60;
	c.nroutes = 1;
	c.routes[0] = (struct msg_route){ 0xcb007100, 24 };
	return &c;
}

static void
test_config_check(void)
{
	struct msg_config *c;

	CHECK(msg_config_check(good_config(), 0) == NULL);
	CHECK(msg_config_check(good_config(), 0xc0000201) == NULL);
	(c = good_config())->prefix = 31;
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->prefix = 7;
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->prefix = 8;
	c->vaddr = 0xc6000002, c->server_vaddr = 0xc6000001;
	CHECK(msg_config_check(c, 0) == NULL);
	(c = good_config())->prefix = 30;
	CHECK(msg_config_check(c, 0) == NULL);
	(c = good_config())->vaddr = 0xc6120102;	/* other subnet */
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->vaddr = 0xc6120001;	/* the server's */
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->vaddr = 0xc61200ff;	/* broadcast */
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->vaddr = 0xc6120000;	/* network */
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->server_vaddr = 0xc6120101;
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->mtu = 575;
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->mtu = 576;
	CHECK(msg_config_check(c, 0) == NULL);
	/* 9000 less IPv4, UDP and 32 bytes of our header and tag */
	(c = good_config())->mtu = 8940;
	CHECK(msg_config_check(c, 0) == NULL);
	(c = good_config())->mtu = 8941;
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->mtu = 9000;
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->port = 0;
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->keepalive_interval = 0;
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->keepalive_timeout = 10;	/* = interval */
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->keepalive_timeout = 11;
	CHECK(msg_config_check(c, 0) == NULL);
	(c = good_config())->routes[0].prefix = 33;
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->routes[0].addr = 0xcb007101;	/* host bits */
	CHECK(msg_config_check(c, 0) != NULL);
	/* only the routes the count names are read */
	(c = good_config())->routes[1] = (struct msg_route){ 1, 0 };
	CHECK(msg_config_check(c, 0) == NULL);
	c->nroutes = 2;
	CHECK(msg_config_check(c, 0) != NULL);
	/* a route over the server's own underlay address would loop */
	CHECK(msg_config_check(good_config(), 0xcb007105) != NULL);
	(c = good_config())->routes[0] = (struct msg_route){ 0, 0 };
	CHECK(msg_config_check(c, 0xc0000201) != NULL);	/* default route */
	/* it covers the reserved ranges too: a full tunnel, not by default */
	CHECK(msg_config_check(c, 0) != NULL);
	(c = good_config())->routes[0] = (struct msg_route){ 0xc0000201, 32 };
	CHECK(msg_config_check(c, 0xc0000201) != NULL);
	CHECK(msg_config_check(c, 0xc0000202) == NULL);
	c->nroutes = 0;
	CHECK(msg_config_check(c, 0xc0000201) == NULL);
}

/* --- msg_config_judge: a client's view of its own side --- */

static uint32_t
ip(const char *s)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		abort();
	return ntohl(in.s_addr);
}

static struct msg_route
cidr(const char *s, uint8_t prefix)
{
	return (struct msg_route){ ip(s), prefix };
}

/* A made-up host: a LAN, a second LAN with the default gateway, loopback,
 * a point-to-point link, an onlink gateway outside every network; the
 * server on a remote network. host() returns the same static each time. */
static const struct msg_underlay *
host(bool full_tunnel)
{
	static struct msg_underlay u;

	memset(&u, 0, sizeof(u));
	u.nets[u.nnets++] = cidr("192.0.2.0", 24);
	u.nets[u.nnets++] = cidr("198.51.100.0", 24);
	u.nets[u.nnets++] = cidr("127.0.0.0", 8);
	u.nets[u.nnets++] = cidr("10.1.2.3", 32);
	u.gateways[u.ngateways++] = ip("198.51.100.1");
	u.gateways[u.ngateways++] = ip("100.64.0.1");
	u.server = ip("198.19.200.5");
	u.full_tunnel = full_tunnel;
	return &u;
}

static struct msg_config *
with_route(const char *addr, uint8_t prefix)
{
	struct msg_config *c = good_config();

	c->routes[0] = cidr(addr, prefix);
	return c;
}

static struct msg_config *
with_address(const char *vaddr, const char *server, uint8_t prefix)
{
	struct msg_config *c = good_config();

	c->vaddr = ip(vaddr);
	c->server_vaddr = ip(server);
	c->prefix = prefix;
	c->nroutes = 0;
	return c;
}

/* The route alone, judged by host(full): refused or not. */
static bool
route_refused(const char *addr, uint8_t prefix, bool full)
{
	return msg_config_judge(with_route(addr, prefix), host(full), NULL,
	    0) != NULL;
}

/* why names what is refused; want is a substring of it. */
static void
check_why_at(int line, const struct msg_config *c,
    const struct msg_underlay *u, const char *want)
{
	char why[256] = "";
	const char *rule = msg_config_judge(c, u, why, sizeof(why));

	if (rule == NULL || strstr(why, want) == NULL ||
	    strchr(why, '\n') != NULL) {
		fprintf(stderr, "%s:%d: want a refusal naming \"%s\", got "
		    "%s: \"%s\"\n", __FILE__, line, want, rule ? rule : "none",
		    why);
		failures++;
	}
}

#define CHECK_WHY(c, u, want) check_why_at(__LINE__, c, u, want)

static void
test_config_judge_limits(void)
{
	const struct msg_underlay *u = host(true);
	struct msg_config *c;

	CHECK(msg_config_judge(good_config(), host(false), NULL, 0) == NULL);
	CHECK(MSG_MTU_MAX == 8940);
	(c = good_config())->mtu = 9000;
	CHECK_WHY(c, u, "mtu 9000 is outside 576..8940");
	(c = good_config())->keepalive_interval = 300;
	c->keepalive_timeout = 3600;
	CHECK(msg_config_judge(c, u, NULL, 0) == NULL);
	c->keepalive_interval = 301;
	CHECK_WHY(c, u, "keepalive 301 3600 is outside");
	(c = good_config())->keepalive_timeout = 3601;
	CHECK(msg_config_judge(c, u, NULL, 0) != NULL);
	(c = good_config())->keepalive_timeout = 65535;
	CHECK(msg_config_judge(c, u, NULL, 0) != NULL);
	(c = good_config())->keepalive_interval = 1;
	c->keepalive_timeout = 2;
	CHECK(msg_config_judge(c, u, NULL, 0) == NULL);
	c->keepalive_interval = 0;
	CHECK(msg_config_judge(c, u, NULL, 0) != NULL);
}

/* Nothing of the client's side gives way for the tunnel's own network,
 * full tunnel or not. */
static void
test_config_judge_address(void)
{
	const struct msg_underlay *u = host(true);

	CHECK_WHY(with_address("127.0.0.2", "127.0.0.1", 8), u,
	    "address 127.0.0.2/8 overlaps 127.0.0.0/8 (loopback)");
	CHECK(msg_config_judge(with_address("169.254.1.2", "169.254.1.1",
	    24), u, NULL, 0) != NULL);
	CHECK(msg_config_judge(with_address("224.0.0.2", "224.0.0.1", 24), u,
	    NULL, 0) != NULL);
	CHECK(msg_config_judge(with_address("240.0.0.2", "240.0.0.1", 24), u,
	    NULL, 0) != NULL);
	CHECK(msg_config_judge(with_address("0.1.0.2", "0.1.0.1", 24), u,
	    NULL, 0) != NULL);
	/* inside, equal to, around a network of the client */
	CHECK_WHY(with_address("192.0.2.9", "192.0.2.10", 24), u,
	    "overlaps the client's network 192.0.2.0/24");
	CHECK_WHY(with_address("198.51.100.130", "198.51.100.129", 25), u,
	    "overlaps the client's network 198.51.100.0/24");
	CHECK_WHY(with_address("192.0.0.2", "192.0.0.1", 16), u,
	    "overlaps the client's network 192.0.2.0/24");
	CHECK_WHY(with_address("10.1.2.2", "10.1.2.1", 24), u,
	    "overlaps the client's network 10.1.2.3/32");
	CHECK_WHY(with_address("100.64.0.2", "100.64.0.3", 24), u,
	    "holds the client's gateway 100.64.0.1");
	CHECK_WHY(with_address("198.19.200.9", "198.19.200.1", 24), u,
	    "holds the server's address 198.19.200.5");
	/* next to them is fine */
	CHECK(msg_config_judge(with_address("192.0.3.2", "192.0.3.1", 24), u,
	    NULL, 0) == NULL);
	CHECK(msg_config_judge(with_address("100.64.1.2", "100.64.1.1", 24),
	    u, NULL, 0) == NULL);
}

static void
test_config_judge_routes(void)
{
	static const struct {
		const char *addr;
		uint8_t prefix;
	} always[] = {
		/* inside (or equal to) a network of the client */
		{ "198.51.100.128", 25 }, { "198.51.100.0", 24 },
		{ "198.51.100.1", 32 }, { "192.0.2.2", 32 },
		{ "10.1.2.3", 32 },
		/* inside a reserved range */
		{ "0.0.0.0", 8 }, { "0.0.0.1", 32 }, { "127.0.0.0", 8 },
		{ "127.1.0.0", 16 }, { "169.254.0.0", 16 },
		{ "169.254.169.254", 32 }, { "224.0.0.0", 4 },
		{ "224.0.0.251", 32 }, { "239.0.0.0", 8 }, { "240.0.0.0", 4 },
		{ "255.255.255.255", 32 },
	}, unless_full[] = {
		/* a full tunnel */
		{ "0.0.0.0", 0 }, { "0.0.0.0", 1 }, { "128.0.0.0", 1 },
		/* around a network, a gateway, the server, a reserved range */
		{ "192.0.0.0", 16 }, { "198.0.0.0", 8 }, { "10.0.0.0", 8 },
		{ "100.64.0.0", 16 }, { "100.64.0.1", 32 },
		{ "198.19.0.0", 16 }, { "198.19.200.5", 32 },
		{ "224.0.0.0", 3 }, { "126.0.0.0", 7 }, { "169.254.0.0", 15 },
	}, fine[] = {
		{ "198.18.0.0", 16 }, { "10.2.0.0", 16 }, { "203.0.113.0", 24 },
		{ "192.0.3.0", 24 }, { "100.64.1.0", 24 }, { "8.8.8.8", 32 },
	};
	size_t i;

	for (i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
		CHECK(route_refused(always[i].addr, always[i].prefix, false));
		CHECK(route_refused(always[i].addr, always[i].prefix, true));
	}
	for (i = 0; i < sizeof(unless_full) / sizeof(unless_full[0]); i++) {
		CHECK(route_refused(unless_full[i].addr, unless_full[i].prefix,
		    false));
		CHECK(!route_refused(unless_full[i].addr,
		    unless_full[i].prefix, true));
	}
	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		CHECK(!route_refused(fine[i].addr, fine[i].prefix, false));
		CHECK(!route_refused(fine[i].addr, fine[i].prefix, true));
	}
}

/* A CONFIG with IPv6: config_v's without its routes and DNS, with
 * 2001:db8:1::2/64, server ::1 and the given IPv6 routes. */
static struct msg_config
config6(const char *const *routes, const uint8_t *prefixes, unsigned n)
{
	struct msg_config c;

	config_v(&c);
	c.nroutes = 0;
	c.ndns = c.ndomains = 0;
	inet_pton(AF_INET6, "2001:db8:1::2", c.vaddr6.addr);
	c.vaddr6.prefix = 64;
	inet_pton(AF_INET6, "2001:db8:1::1", c.server_vaddr6);
	for (unsigned i = 0; i < n; i++) {
		inet_pton(AF_INET6, routes[i], c.routes6[i].addr);
		c.routes6[i].prefix = prefixes[i];
	}
	c.nroutes6 = (uint8_t)n;
	return c;
}

static bool
route6_refused(const char *addr, uint8_t prefix, bool full)
{
	struct msg_config c = config6(&addr, &prefix, 1);
	struct msg_underlay u = { .full_tunnel = full, .nnets6 = 1 };

	inet_pton(AF_INET6, "2001:db8:99::", u.nets6[0].addr);
	u.nets6[0].prefix = 48;
	return msg_config_judge(&c, &u, NULL, 0) != NULL;
}

/* The IPv6 part rides after the DNS part (here two empty counts, so at
 * V6) only when there is one: 34 bytes and 17 per route, every byte
 * counted; the same rules as IPv4. */
enum { V6 = 22 + 2 };

static void
test_config6(void)
{
	static const char *const r[] = { "2001:db8:203::", "2001:db8::" };
	static const uint8_t rp[] = { 64, 32 };
	struct msg_config c = config6(r, rp, 2), t;
	struct msg_underlay u = { .server = 0 };
	uint8_t p[V6 + 34 + 2 * 17];
	struct msg m;

	out_clear();
	CHECK(msg_put_config(out, &c) == sizeof(p) && out[sizeof(p)] == 0xee);
	CHECK(out[V6 + 16] == 64 && out[V6 + 33] == 2 &&
	    out[V6 + 34 + 17 + 16] == 32);
	memcpy(p, out, sizeof(p));
	m = framed(MSG_CONFIG, p, sizeof(p));
	memset(&t, 0x5a, sizeof(t));
	CHECK(msg_get_config(&m, &t) == 0 && t.nroutes == 0 &&
	    memcmp(&t.vaddr6, &c.vaddr6, sizeof(c.vaddr6)) == 0 &&
	    memcmp(t.server_vaddr6, c.server_vaddr6, 16) == 0 &&
	    t.nroutes6 == 2 && memcmp(t.routes6, c.routes6,
	    2 * sizeof(c.routes6[0])) == 0);
	CHECK(msg_config_judge(&t, &u, NULL, 0) == NULL);
	m = raw_msg(MSG_CONFIG, p, sizeof(p) - 1);	/* a route cut short */
	CHECK(msg_get_config(&m, &t) == -1);
	m = raw_msg(MSG_CONFIG, p, V6 + 33);		/* the part cut short */
	CHECK(msg_get_config(&m, &t) == -1);
	p[V6 + 16] = 0;					/* prefix 0: none */
	m = raw_msg(MSG_CONFIG, p, sizeof(p));
	CHECK(msg_get_config(&m, &t) == -1);
	p[V6 + 16] = 129;
	m = raw_msg(MSG_CONFIG, p, sizeof(p));
	CHECK(msg_get_config(&m, &t) == -1);
	/* without IPv6 nothing is sent, and read as none */
	c.vaddr6.prefix = 0;
	out_clear();
	CHECK(msg_put_config(out, &c) == V6);
	m = framed(MSG_CONFIG, out, V6);
	CHECK(msg_get_config(&m, &t) == 0 && t.vaddr6.prefix == 0 &&
	    t.nroutes6 == 0);
	c.nroutes6 = 1;				/* routes without an address */
	CHECK(msg_config_judge(&c, &u, NULL, 0) != NULL);

	/* behind a DNS part: 22, 1 + 17, 1 + 1 + 12, then 34 + 2 * 17 */
	c = config6(r, rp, 2);
	c.ndns = 1;
	c.dns[0] = (struct msg_dns){ 6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x53 } };
	c.ndomains = 1;
	strcpy(c.domains[0], "corp.example");
	out_clear();
	CHECK(msg_put_config(out, &c) == 22 + 18 + 14 + 68);
	m = framed(MSG_CONFIG, out, 22 + 18 + 14 + 68);
	CHECK(msg_get_config(&m, &t) == 0 && t.ndns == 1 &&
	    t.dns[0].family == 6 && t.ndomains == 1 &&
	    strcmp(t.domains[0], "corp.example") == 0 &&
	    memcmp(&t.vaddr6, &c.vaddr6, sizeof(c.vaddr6)) == 0 &&
	    t.nroutes6 == 2 && memcmp(t.routes6, c.routes6,
	    2 * sizeof(c.routes6[0])) == 0);
	CHECK(msg_config_judge(&t, &u, NULL, 0) == NULL);

	/* the address: prefix 64..126, one subnet, not its first address,
	 * outside reserved ranges */
	c = config6(NULL, NULL, 0);
	CHECK(msg_config_judge(&c, &u, NULL, 0) == NULL);
	c.vaddr6.prefix = 63;
	CHECK(msg_config_judge(&c, &u, NULL, 0) != NULL);
	c.vaddr6.prefix = 127;
	CHECK(msg_config_judge(&c, &u, NULL, 0) != NULL);
	c.vaddr6.prefix = 126;
	CHECK(msg_config_judge(&c, &u, NULL, 0) == NULL);
	c.vaddr6.prefix = 64;
	c.server_vaddr6[5] = 2;				/* another subnet */
	CHECK(msg_config_judge(&c, &u, NULL, 0) != NULL);
	c = config6(NULL, NULL, 0);
	c.vaddr6.addr[15] = 0;				/* the subnet's own */
	CHECK(msg_config_judge(&c, &u, NULL, 0) != NULL);
	c = config6(NULL, NULL, 0);
	inet_pton(AF_INET6, "fe80::2", c.vaddr6.addr);
	inet_pton(AF_INET6, "fe80::1", c.server_vaddr6);
	CHECK(msg_config_judge(&c, &u, NULL, 0) != NULL);

	/* routes: always refused, refused unless a full tunnel, fine */
	CHECK(route6_refused("2001:db8:1::", 80, true));	/* tunnel's */
	CHECK(route6_refused("2001:db8:1::", 64, true));
	CHECK(route6_refused("2001:db8:99:1::", 64, true));	/* client's */
	CHECK(route6_refused("fe80::", 64, true));
	CHECK(route6_refused("ff02::", 16, true));
	CHECK(route6_refused("::1", 128, true));
	CHECK(route6_refused("2001:db8:203::1", 64, true));	/* host bits */
	CHECK(route6_refused("2001:db8:203::", 129, true));
	CHECK(route6_refused("::", 0, false) && !route6_refused("::", 0, true));
	CHECK(route6_refused("2001:db8::", 32, false) &&
	    !route6_refused("2001:db8::", 32, true));		/* covers ours */
	CHECK(!route6_refused("2001:db8:203::", 64, false));
	CHECK(!route6_refused("2001:db8:200::", 40, false));
	CHECK(!route6_refused("2001:db8:1:1::", 64, false));
}

/* The rule and the whole line of every refusal of the address and the
 * routes, IPv4 and IPv6: the logs, tests/net and conf_check quote them. */
static void
check_rule_at(const char *where, int n, const struct msg_config *c,
    const struct msg_underlay *u, const char *rule, const char *why)
{
	char got[256] = "";
	const char *r = msg_config_judge(c, u, got, sizeof(got));

	if (r == NULL || strcmp(r, rule) != 0 || strcmp(got, why) != 0) {
		fprintf(stderr, "%s:%d: want %s: \"%s\", got %s: \"%s\"\n",
		    where, n, rule, why, r ? r : "none", got);
		failures++;
	}
}

#define CHECK_RULE(c, u, rule, why) \
	check_rule_at(__FILE__, __LINE__, c, u, rule, why)

/* host() with one IPv6 network, 2001:db8:99::/48. */
static const struct msg_underlay *
host6(bool full_tunnel)
{
	static struct msg_underlay u;

	u = *host(full_tunnel);
	inet_pton(AF_INET6, "2001:db8:99::", u.nets6[0].addr);
	u.nets6[0].prefix = 48;
	u.nnets6 = 1;
	return &u;
}

/* config6's with another address, server and prefix, no routes. */
static struct msg_config *
with_address6(const char *vaddr, const char *server, uint8_t prefix)
{
	static struct msg_config c;

	c = config6(NULL, NULL, 0);
	inet_pton(AF_INET6, vaddr, c.vaddr6.addr);
	inet_pton(AF_INET6, server, c.server_vaddr6);
	c.vaddr6.prefix = prefix;
	return &c;
}

/* config6's with one IPv6 route. */
static struct msg_config *
with_route6(const char *addr, uint8_t prefix)
{
	static struct msg_config c;

	c = config6(&addr, &prefix, 1);
	return &c;
}

/* Every refusal of the tunnel's address (server not NULL) or of one
 * pushed route, judged by host6(full): IPv4 or IPv6 by the address. */
static const struct {
	const char *addr, *server;
	uint8_t prefix;
	bool full;
	const char *rule, *why;
} judge_rules[] = {
	{ "198.18.0.2", "198.18.0.1", 31, true, "bad prefix",
	  "prefix /31 is outside 8..30" },
	{ "198.18.0.1", "198.18.0.1", 24, true, "bad addresses",
	  "address 198.18.0.1/24 and server address 198.18.0.1 do not fit" },
	{ "198.18.0.255", "198.18.0.1", 24, true, "bad addresses", "address "
	  "198.18.0.255/24 and server address 198.18.0.1 do not fit" },
	{ "198.18.0.0", "198.18.0.1", 24, true, "bad addresses",
	  "address 198.18.0.0/24 and server address 198.18.0.1 do not fit" },
	{ "198.18.0.2", "198.18.1.1", 24, true, "bad addresses",
	  "address 198.18.0.2/24 and server address 198.18.1.1 do not fit" },
	{ "127.0.0.2", "127.0.0.1", 8, true, "address in a reserved range",
	  "address 127.0.0.2/8 overlaps 127.0.0.0/8 (loopback)" },
	{ "192.0.2.9", "192.0.2.10", 24, true,
	  "address overlaps the client's side", "address 192.0.2.9/24 "
	  "overlaps the client's network 192.0.2.0/24" },
	{ "100.64.0.2", "100.64.0.3", 24, true,
	  "address overlaps the client's side", "address 100.64.0.2/24 "
	  "holds the client's gateway 100.64.0.1" },
	{ "198.19.200.9", "198.19.200.1", 24, true,
	  "address overlaps the client's side", "address 198.19.200.9/24 "
	  "holds the server's address 198.19.200.5" },
	{ "203.0.113.1", NULL, 24, true, "bad pushed route",
	  "route 203.0.113.1/24 is not a network" },
	{ "203.0.113.0", NULL, 33, true, "bad pushed route",
	  "route 203.0.113.0/33 is not a network" },
	{ "224.0.0.0", NULL, 24, true, "route in a reserved range",
	  "route 224.0.0.0/24 lies in 224.0.0.0/4 (multicast)" },
	{ "198.51.100.128", NULL, 25, true,
	  "route inside the client's network", "route 198.51.100.128/25 "
	  "lies inside the client's network 198.51.100.0/24" },
	{ "0.0.0.0", NULL, 0, false, "route covers the client's side",
	  "route 0.0.0.0/0 covers 0.0.0.0/8 (this network) and "
	  "allow-full-tunnel is no" },
	{ "192.0.0.0", NULL, 16, false, "route covers the client's side",
	  "route 192.0.0.0/16 covers the client's network 192.0.2.0/24 and "
	  "allow-full-tunnel is no" },
	{ "100.64.0.0", NULL, 16, false, "route covers the client's side",
	  "route 100.64.0.0/16 covers the client's gateway 100.64.0.1 and "
	  "allow-full-tunnel is no" },
	{ "198.19.200.0", NULL, 24, false,
	  "a pushed route covers the server's own address",
	  "route 198.19.200.0/24 covers the server's address 198.19.200.5 "
	  "and allow-full-tunnel is no" },
	{ "2001:db8:1::2", "2001:db8:1::1", 63, true, "bad prefix",
	  "IPv6 prefix /63 is outside 64..126" },
	{ "2001:db8:1::2", "2001:db8:2::1", 64, true, "bad addresses",
	  "address 2001:db8:1::2/64 and server address 2001:db8:2::1 do not "
	  "fit" },
	{ "2001:db8:1::2", "2001:db8:1::2", 64, true, "bad addresses",
	  "address 2001:db8:1::2/64 and server address 2001:db8:1::2 do not "
	  "fit" },
	{ "2001:db8:1::", "2001:db8:1::1", 64, true, "bad addresses",
	  "address 2001:db8:1::/64 and server address 2001:db8:1::1 do not "
	  "fit" },
	{ "fe80::2", "fe80::1", 64, true, "address in a reserved range",
	  "address fe80::2/64 overlaps fe80::/10 (link-local)" },
	{ "2001:db8:99:1::2", "2001:db8:99:1::1", 64, true,
	  "address overlaps the client's side", "address "
	  "2001:db8:99:1::2/64 overlaps the client's network "
	  "2001:db8:99::/48" },
	{ "2001:db8:203::1", NULL, 64, true, "bad pushed route",
	  "route 2001:db8:203::1/64 is not a network" },
	{ "ff02::", NULL, 16, true, "route in a reserved range",
	  "route ff02::/16 lies in ff00::/8 (multicast)" },
	{ "2001:db8:99:1::", NULL, 64, true,
	  "route inside the client's network", "route 2001:db8:99:1::/64 "
	  "lies inside the client's network 2001:db8:99::/48" },
	{ "2001:db8:1::", NULL, 80, true, "route inside the tunnel's network",
	  "route 2001:db8:1::/80 lies inside the tunnel's network "
	  "2001:db8:1::2/64" },
	{ "::", NULL, 0, false, "route covers the client's side",
	  "route ::/0 covers ::/8 (unspecified, loopback, IPv4-mapped) and "
	  "allow-full-tunnel is no" },
	{ "2001:db8::", NULL, 32, false, "route covers the client's side",
	  "route 2001:db8::/32 covers the client's network 2001:db8:99::/48 "
	  "and allow-full-tunnel is no" },
};

static void
test_config_judge_rules(void)
{
	struct msg_config *c;

	for (size_t i = 0; i < sizeof(judge_rules) / sizeof(judge_rules[0]);
	    i++) {
		const char *a = judge_rules[i].addr, *s = judge_rules[i].server;
		uint8_t p = judge_rules[i].prefix;
		bool v6 = strchr(a, ':') != NULL;

		if (s != NULL)
			c = v6 ? with_address6(a, s, p) : with_address(a, s, p);
		else
			c = v6 ? with_route6(a, p) : with_route(a, p);
		check_rule_at("judge_rules", (int)i, c,
		    host6(judge_rules[i].full), judge_rules[i].rule,
		    judge_rules[i].why);
	}
	(c = with_route6("2001:db8:203::", 64))->vaddr6.prefix = 0;
	CHECK_RULE(c, host6(true), "IPv6 routes without IPv6",
	    "1 IPv6 routes but no IPv6 address");
	/* a route inside the tunnel's network: refused for IPv6 (above),
	 * taken for IPv4, as conf_check refuses one for pool6 only */
	CHECK(msg_config_judge(with_route("198.18.0.128", 25), host6(false),
	    NULL, 0) == NULL);
	/* IPv6 has no broadcast address to refuse */
	CHECK(msg_config_judge(with_address6("2001:db8:1::ffff:ffff:ffff:ffff",
	    "2001:db8:1::1", 64), host6(true), NULL, 0) == NULL);

	/* several faults: the first in this order is named */
	(c = with_address("127.0.0.2", "127.0.0.1", 8))->mtu = 9000;
	CHECK_RULE(c, host(true), "bad mtu", "mtu 9000 is outside 576..8940");
	c->mtu = 1420, c->port = 0;
	CHECK_RULE(c, host(true), "bad port", "UDP port 0");
	(c = with_route6("2001:db8:203::", 64))->vaddr6.prefix = 63;
	c->routes[0] = cidr("224.0.0.0", 24), c->nroutes = 1;
	CHECK_RULE(c, host6(true), "route in a reserved range",
	    "route 224.0.0.0/24 lies in 224.0.0.0/4 (multicast)");
}

static void
test_config_judge_why(void)
{
	struct msg_config *c;
	char why[8];

	CHECK_WHY(with_route("198.51.100.128", 25), host(true), "route "
	    "198.51.100.128/25 lies inside the client's network "
	    "198.51.100.0/24");
	CHECK_WHY(with_route("224.0.0.0", 24), host(false),
	    "route 224.0.0.0/24 lies in 224.0.0.0/4 (multicast)");
	CHECK_WHY(with_route("128.0.0.0", 1), host(false),
	    "route 128.0.0.0/1 covers");
	CHECK_WHY(with_route("128.0.0.0", 1), host(false),
	    "allow-full-tunnel is no");
	CHECK_WHY(with_route("192.0.0.0", 16), host(false),
	    "covers the client's network 192.0.2.0/24");
	CHECK_WHY(with_route("100.64.0.0", 16), host(false),
	    "covers the client's gateway 100.64.0.1");
	CHECK_WHY(with_route("198.19.200.0", 24), host(false),
	    "covers the server's address 198.19.200.5");
	CHECK_WHY(with_route("203.0.113.1", 24), host(false),
	    "route 203.0.113.1/24 is not a network");
	/* the last route decides as much as the first */
	(c = good_config())->routes[1] = cidr("8.8.8.0", 24);
	c->routes[2] = cidr("198.51.100.64", 26);
	c->nroutes = 3;
	CHECK_WHY(c, host(false), "198.51.100.64/26");
	c->nroutes = 2;
	CHECK(msg_config_judge(c, host(false), NULL, 0) == NULL);
	/* a short buffer is cut, not overrun */
	memset(why, 'x', sizeof(why));
	c->nroutes = 3;
	CHECK(msg_config_judge(c, host(false), why, sizeof(why)) != NULL);
	CHECK(why[sizeof(why) - 1] == '\0');
	/* the server alone: what msg_config_check knows */
	CHECK(msg_config_check(with_route("198.19.200.0", 24),
	    ip("198.19.200.5")) != NULL);
	CHECK(msg_config_check(with_route("198.51.100.128", 25),
	    ip("198.19.200.5")) == NULL);
}

/* --- sockets and fds --- */

static void
pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		perror("socketpair");
		exit(1);
	}
}

static void
mkpipe(int *rd, int *wr)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1) {
		perror("pipe2");
		exit(1);
	}
	*rd = p[0];
	*wr = p[1];
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL) {
		perror("/proc/self/fd");
		exit(1);
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Sends len bytes with nfds fds, past msg_send_fds's own checks. */
static ssize_t
send_raw(int s, const void *p, size_t len, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 16)];
	} ctl;
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (nfds > 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(s, &mh, 0);
}

static void
test_socket(void)
{
	uint8_t keys[149], buf[MSG_MAX_LEN], raw[MSG_MAX_LEN + 100];
	struct msg m;
	int sv[2];

	pair(sv);
	memset(keys, 0xa5, sizeof(keys));
	keys[4] = 1;
	CHECK(msg_send(sv[0], MSG_KEYS, keys, sizeof(keys)) == 0);
	CHECK(msg_send(sv[0], MSG_STOP, NULL, 0) == 0);
	CHECK(msg_recv(sv[1], buf, sizeof(buf), &m) == 1);
	CHECK(m.type == MSG_KEYS && m.len == 149 &&
	    memcmp(m.payload, keys, sizeof(keys)) == 0);
	CHECK(msg_recv(sv[1], buf, sizeof(buf), &m) == 1);
	CHECK(m.type == MSG_STOP && m.len == 0);

	/* msg_send refuses what msg_build refuses */
	errno = 0;
	CHECK(msg_send(sv[0], MSG_KEYS, keys, 10) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(msg_send(sv[0], 0x7777, NULL, 0) == -1 && errno == EINVAL);

	/* a datagram larger than the buffer is malformed, not cut short */
	memset(raw, 0, sizeof(raw));
	put_u16(raw, MSG_STATUS_REPLY);
	put_u16(raw + 2, MSG_MAX_PAYLOAD);
	CHECK(send(sv[0], raw, sizeof(raw), 0) == (ssize_t)sizeof(raw));
	errno = 0;
	CHECK(msg_recv(sv[1], buf, sizeof(buf), &m) == -1 && errno == EBADMSG);

	/* a valid message that does not fit the caller's buffer */
	CHECK(msg_send(sv[0], MSG_KEYS, keys, sizeof(keys)) == 0);
	errno = 0;
	CHECK(msg_recv(sv[1], buf, 100, &m) == -1 && errno == EBADMSG);

	/* trailing bytes after a whole message */
	put_u16(raw, MSG_UNREGISTER);
	put_u16(raw + 2, 2);
	CHECK(send(sv[0], raw, 4 + 2 + 1, 0) == 7);
	errno = 0;
	CHECK(msg_recv(sv[1], buf, sizeof(buf), &m) == -1 && errno == EBADMSG);

	/* half a message, and half a header */
	CHECK(send(sv[0], raw, 5, 0) == 5);
	errno = 0;
	CHECK(msg_recv(sv[1], buf, sizeof(buf), &m) == -1 && errno == EBADMSG);
	CHECK(send(sv[0], raw, 3, 0) == 3);
	errno = 0;
	CHECK(msg_recv(sv[1], buf, sizeof(buf), &m) == -1 && errno == EBADMSG);

	/* the stream goes on after a bad datagram */
	CHECK(msg_send(sv[0], MSG_UNREGISTER, "\x04\xd2", 2) == 0);
	CHECK(msg_recv(sv[1], buf, sizeof(buf), &m) == 1);
	CHECK(m.type == MSG_UNREGISTER && get_u16(m.payload) == 1234);

	/* nothing there on a non-blocking socket */
	CHECK(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
	errno = 0;
	CHECK(msg_recv(sv[1], buf, sizeof(buf), &m) == -1 && errno == EAGAIN);

	/* end of file */
	close(sv[0]);
	CHECK(msg_recv(sv[1], buf, sizeof(buf), &m) == 0);
	close(sv[1]);

	/* a closed peer is an error, not a SIGPIPE */
	pair(sv);
	close(sv[1]);
	errno = 0;
	CHECK(msg_send(sv[0], MSG_STOP, NULL, 0) == -1 && errno == EPIPE);
	close(sv[0]);
}

/* n pipes' write ends ride along with a REGISTER; each received fd must be
 * a working write end of its own pipe, in order, close-on-exec, and the
 * only one left once the sender's copies are closed. */
static void
fds_pass(size_t n)
{
	static const uint8_t reg[26] = { 0, 3, 0, 0, 0, 9, 0xc6, 0x12, 0, 6 };
	int sv[2], rd[MSG_MAX_FDS], wr[MSG_MAX_FDS], got[MSG_MAX_FDS];
	uint8_t buf[MSG_MAX_LEN];
	size_t nfds = 99;
	struct msg m;
	int before;
	char c;

	pair(sv);
	for (size_t i = 0; i < n; i++)
		mkpipe(&rd[i], &wr[i]);
	CHECK(msg_send_fds(sv[0], MSG_REGISTER, reg, sizeof(reg), wr, n) ==
	    0);
	for (size_t i = 0; i < n; i++)
		close(wr[i]);
	before = count_fds();
	CHECK(msg_recv_fds(sv[1], buf, sizeof(buf), &m, got, MSG_MAX_FDS,
	    &nfds) == 1);
	CHECK(m.type == MSG_REGISTER && m.len == sizeof(reg) &&
	    memcmp(m.payload, reg, sizeof(reg)) == 0);
	CHECK(nfds == n);
	CHECK(count_fds() == before + (int)n);
	for (size_t i = 0; i < n && i < nfds; i++) {
		CHECK(fcntl(got[i], F_GETFD) == FD_CLOEXEC);
		c = (char)('a' + i);
		CHECK(write(got[i], &c, 1) == 1);
		close(got[i]);
		c = 0;
		CHECK(read(rd[i], &c, 1) == 1 && c == 'a' + (int)i);
		CHECK(read(rd[i], &c, 1) == 0);
	}
	for (size_t i = 0; i < n; i++)
		close(rd[i]);
	close(sv[0]);
	close(sv[1]);
}

/* A refused message leaves no fd of its own open. */
static void
fds_refused(int s, int r, const uint8_t *p, size_t len, size_t nfds,
    size_t max, bool plain)
{
	int fds[16], got[MSG_MAX_FDS], before, rd, wr;
	uint8_t buf[MSG_MAX_LEN];
	size_t n = 99;
	struct msg m;

	mkpipe(&rd, &wr);
	for (size_t i = 0; i < nfds; i++)
		fds[i] = i % 2 == 0 ? wr : rd;
	CHECK(send_raw(s, p, len, fds, nfds) == (ssize_t)len);
	before = count_fds();
	errno = 0;
	if (plain)
		CHECK(msg_recv(r, buf, sizeof(buf), &m) == -1);
	else {
		CHECK(msg_recv_fds(r, buf, sizeof(buf), &m, got, max, &n) ==
		    -1);
		CHECK(n == 0);
	}
	CHECK(errno == EBADMSG);
	CHECK(count_fds() == before);
	close(rd);
	close(wr);
}

static void
test_fds(void)
{
	static const uint8_t stop[4] = { 0, MSG_STOP, 0, 0 };
	uint8_t big[MSG_MAX_LEN + 1] = { 0 }, buf[MSG_MAX_LEN];
	int sv[2], fds[MSG_MAX_FDS + 1], got[MSG_MAX_FDS];
	size_t nfds = 99;
	struct msg m;

	fds_pass(0);
	fds_pass(1);
	fds_pass(3);
	fds_pass(MSG_MAX_FDS);

	pair(sv);
	for (size_t i = 0; i < MSG_MAX_FDS + 1; i++)
		fds[i] = sv[0];
	errno = 0;
	CHECK(msg_send_fds(sv[0], MSG_STOP, NULL, 0, fds, MSG_MAX_FDS + 1) ==
	    -1 && errno == EINVAL);

	/* more than the caller takes, more than any message may carry */
	fds_refused(sv[0], sv[1], stop, 4, 3, 2, false);
	fds_refused(sv[0], sv[1], stop, 4, 1, 0, false);
	fds_refused(sv[0], sv[1], stop, 4, MSG_MAX_FDS + 1, MSG_MAX_FDS,
	    false);
	fds_refused(sv[0], sv[1], stop, 4, 16, MSG_MAX_FDS, false);
	/* msg_recv takes none */
	fds_refused(sv[0], sv[1], stop, 4, 1, 0, true);
	fds_refused(sv[0], sv[1], stop, 4, 2, 0, true);
	/* fds on a malformed, an oversize or an empty datagram */
	fds_refused(sv[0], sv[1], stop, 3, 2, MSG_MAX_FDS, false);
	big[1] = MSG_STOP;
	fds_refused(sv[0], sv[1], big, sizeof(big), 2, MSG_MAX_FDS, false);
	fds_refused(sv[0], sv[1], stop, 0, 2, MSG_MAX_FDS, false);
	fds_refused(sv[0], sv[1], stop, 0, 1, 0, true);

	/* none of that stuck: the next message and then end of file */
	CHECK(msg_send_fds(sv[0], MSG_STOP, NULL, 0, NULL, 0) == 0);
	CHECK(msg_recv_fds(sv[1], buf, sizeof(buf), &m, got, MSG_MAX_FDS,
	    &nfds) == 1 && m.type == MSG_STOP && nfds == 0);
	close(sv[0]);
	nfds = 99;
	CHECK(msg_recv_fds(sv[1], buf, sizeof(buf), &m, got, MSG_MAX_FDS,
	    &nfds) == 0 && nfds == 0);
	close(sv[1]);
}

/* --- queue messages --- */

static void
test_qmsg_tun(void)
{
	static const size_t lens[] = { 20, 0, 1, 1500, 60 };
	uint8_t buf[2048], pkt[1600], *cut;
	size_t fill, pos, plen, bounds[6], nb = 0, i;
	const uint8_t *p;
	int r;

	CHECK(QMSG_TUN == 1 && QMSG_UDP == 2 && QMSG_TUN_REC_HDR == 2);
	for (i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 13 + 1);
	CHECK((fill = qmsg_tun_start(buf)) == 1 && buf[0] == QMSG_TUN);
	bounds[nb++] = fill;
	for (i = 0; i < 5; i++) {
		size_t at = fill;

		fill = qmsg_tun_add(buf, fill, pkt + i, lens[i]);
		CHECK(fill == at + 2 + lens[i]);
		CHECK(get_u16(buf + at) == lens[i] &&
		    memcmp(buf + at + 2, pkt + i, lens[i]) == 0);
		bounds[nb++] = fill;
	}
	CHECK(qmsg_kind(buf, fill) == QMSG_TUN);

	pos = 0;
	for (i = 0; i < 5; i++) {
		CHECK(qmsg_tun_next(buf, fill, &pos, 1500, &p, &plen) == 1);
		CHECK(plen == lens[i] && p == buf + bounds[i] + 2 &&
		    memcmp(p, pkt + i, plen) == 0 && pos == bounds[i + 1]);
	}
	CHECK(qmsg_tun_next(buf, fill, &pos, 1500, &p, &plen) == 0);
	CHECK(qmsg_tun_next(buf, fill, &pos, 1500, &p, &plen) == 0);

	/* a record longer than max */
	pos = 0;
	for (i = 0; i < 3; i++)
		CHECK(qmsg_tun_next(buf, fill, &pos, 1499, &p, &plen) == 1);
	CHECK(qmsg_tun_next(buf, fill, &pos, 1499, &p, &plen) == -1);

	/* cut anywhere: the whole records before the cut, then the end if
	 * the cut falls between records, else -1 */
	for (size_t n = 1; n < fill; n++) {
		bool boundary = false;
		size_t whole = 0;

		for (i = 0; i < nb; i++) {
			if (bounds[i] == n)
				boundary = true;
			if (i > 0 && bounds[i] <= n)
				whole++;
		}
		cut = exact(buf, n);
		pos = 0;
		for (i = 0; (r = qmsg_tun_next(cut, n, &pos, 1500, &p,
		    &plen)) == 1; i++)
			CHECK(p + plen <= cut + n);
		CHECK(i == whole && r == (boundary ? 0 : -1));
		free(cut);
	}

	/* an empty batch, and a length that runs past the end by one */
	pos = 0;
	CHECK(qmsg_tun_next(buf, 1, &pos, 1500, &p, &plen) == 0);
	buf[1] = 0;
	buf[2] = 3;
	cut = exact(buf, 5);
	pos = 0;
	CHECK(qmsg_tun_next(cut, 5, &pos, 1500, &p, &plen) == -1);
	pos = 0;
	CHECK(qmsg_tun_next(cut, 4, &pos, 1500, &p, &plen) == -1);
	free(cut);
	buf[2] = 2;
	cut = exact(buf, 5);
	pos = 0;
	CHECK(qmsg_tun_next(cut, 5, &pos, 1500, &p, &plen) == 1 && plen == 2);
	free(cut);

	CHECK(qmsg_kind(buf, 0) == -1);
	buf[0] = 7;
	CHECK(qmsg_kind(buf, 1) == 7);
}

static void
udp_roundtrip(const struct sockaddr_storage *from, const uint8_t *sa_wire)
{
	uint8_t buf[QMSG_UDP_HDR + 8], *h, *dg;
	struct sockaddr_storage got;
	size_t dlen;

	memset(buf, 0xee, sizeof(buf));
	qmsg_udp_put(buf, from);
	CHECK(buf[0] == QMSG_UDP && memcmp(buf + 1, sa_wire, MSG_SA_LEN) == 0);
	CHECK(buf[QMSG_UDP_HDR] == 0xee);
	memcpy(buf + QMSG_UDP_HDR, "datagram", 8);
	h = exact(buf, sizeof(buf));
	CHECK(qmsg_kind(h, sizeof(buf)) == QMSG_UDP);
	CHECK(qmsg_udp_get(h, sizeof(buf), &got, &dg, &dlen) == 0);
	CHECK(sa_equal(from, &got) && dg == h + QMSG_UDP_HDR && dlen == 8 &&
	    memcmp(dg, "datagram", 8) == 0);
	free(h);
	/* an empty datagram is still one */
	h = exact(buf, QMSG_UDP_HDR);
	CHECK(qmsg_udp_get(h, QMSG_UDP_HDR, &got, &dg, &dlen) == 0);
	CHECK(sa_equal(from, &got) && dlen == 0);
	CHECK(qmsg_udp_get(h, QMSG_UDP_HDR - 1, &got, &dg, &dlen) == -1);
	free(h);
}

/* Tap's reverse queue: a batch of frames and MAC notices. */
static void
test_qmsg_frames(void)
{
	uint8_t buf[256], frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint8_t mac[QMSG_MAC_NOTICE] = { 2, 0, 0, 0, 0, 1 }, *p;
	size_t fill = qmsg_frames_start(buf), pos = 0, n;

	CHECK(fill == QMSG_HDR_LEN && qmsg_kind(buf, fill) == QMSG_FRAMES);
	fill = qmsg_tun_add(buf, fill, mac, sizeof(mac));
	fill = qmsg_tun_add(buf, fill, frame, sizeof(frame));
	CHECK(qmsg_tun_next(buf, fill, &pos, 1514, &p, &n) == 1 &&
	    n == QMSG_MAC_NOTICE && memcmp(p, mac, n) == 0);
	CHECK(qmsg_tun_next(buf, fill, &pos, 1514, &p, &n) == 1 &&
	    n == sizeof(frame) && memcmp(p, frame, n) == 0);
	CHECK(qmsg_tun_next(buf, fill, &pos, 1514, &p, &n) == 0);
	/* a record longer than the batch is refused */
	pos = 0;
	CHECK(qmsg_tun_next(buf, fill - 1, &pos, 1514, &p, &n) == 1);
	CHECK(qmsg_tun_next(buf, fill - 1, &pos, 1514, &p, &n) == -1);
}

static void
test_qmsg_udp(void)
{
	struct sockaddr_storage ss, got;
	uint8_t buf[QMSG_UDP_HDR + 4] = { 0 }, *dg;
	size_t dlen;

	CHECK(QMSG_UDP_HDR == 20);
	sa4(&ss, "192.0.2.10", 51820);
	udp_roundtrip(&ss, wire_sa4);
	sa6(&ss, "2001:db8::2a", 443);
	udp_roundtrip(&ss, wire_sa6);

	sa4(&ss, "192.0.2.10", 51820);
	qmsg_udp_put(buf, &ss);
	buf[0] = QMSG_TUN;
	CHECK(qmsg_udp_get(buf, sizeof(buf), &got, &dg, &dlen) == -1);
	buf[0] = QMSG_UDP;
	buf[1] = 0;			/* a datagram comes from somewhere */
	CHECK(qmsg_udp_get(buf, sizeof(buf), &got, &dg, &dlen) == -1);
	buf[1] = 5;
	CHECK(qmsg_udp_get(buf, sizeof(buf), &got, &dg, &dlen) == -1);
	buf[1] = 4;
	CHECK(qmsg_udp_get(buf, sizeof(buf), &got, &dg, &dlen) == 0);
	CHECK(qmsg_udp_get(buf, 0, &got, &dg, &dlen) == -1);
	CHECK(qmsg_kind(buf, 0) == -1);
	test_qmsg_frames();
}

/* --- stats --- */

static const char *const data_fields[] = { "rx_packets", "rx_bytes",
    "tx_packets", "tx_bytes", "malformed", "unknown_key", "replay",
    "bad_mac", "bad_inner", "bad_source", "blocked", "no_endpoint",
    "tx_epoch", "rekeys", "roams", "mac_refused", "up_frames",
    "up_dropped", "rx_keepalives", "tx_keepalives", "tx_errors",
    "rx_last_ms" };
static const char *const guard_fields[] = { "rx_packets", "no_route",
    "queue_full", "too_big", "routes", "udp_packets", "forwarded",
    "no_session", "oversize", "net_down", "macs", "up_frames", "flooded",
    "mac_refused", "up_bad", "misdirected" };

#define NDATA (sizeof(data_fields) / sizeof(data_fields[0]))
#define NGUARD (sizeof(guard_fields) / sizeof(guard_fields[0]))

/* Every counter different, with bytes in the high half too. */
static uint64_t
counter(size_t i)
{
	return (uint64_t)(i + 1) << 56 | (uint64_t)(i + 1) * 1001;
}

static size_t
count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Each field named once, with its own value. */
static void
check_format(const char *line, const char *const *names, size_t n,
    const uint64_t *v)
{
	char want[64];

	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof(want), " %s=", names[i]);
		CHECK(count_str(line, want) == 1);
		snprintf(want, sizeof(want), " %s=%llu", names[i],
		    (unsigned long long)v[i]);
		CHECK(count_str(line, want) == 1);
	}
}

static void
test_stats_data(const struct sockaddr_storage *ep, const uint8_t *sa_wire)
{
	struct data_stats s, t;
	uint8_t p[MSG_MAX_PAYLOAD], *h;
	struct guard_stats g;
	char line[2048] = "", small[40] = "x";
	size_t n;

	CHECK(DATA_STATS_N == NDATA);
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < DATA_STATS_N; i++)
		s.v[i] = counter(i);
	s.endpoint = *ep;
	n = stats_encode(&s, p, sizeof(p));
	CHECK(n == 2 + MSG_SA_LEN + 8 * NDATA && n <= 512);
	CHECK(p[0] == 1 && p[1] == NDATA &&
	    memcmp(p + 2, sa_wire, MSG_SA_LEN) == 0);
	for (size_t i = 0; i < NDATA; i++)
		CHECK(get_u64(p + 21 + 8 * i) == counter(i));
	CHECK(get_u64(p + 21 + 8 * 13) == s.rekeys);
	CHECK(stats_encode(&s, p, n - 1) == 0 && stats_encode(&s, p, n) == n);

	h = exact(p, n);
	memset(&t, 0x5a, sizeof(t));
	CHECK(stats_decode(h, n, &t) == 0);
	CHECK(memcmp(s.v, t.v, sizeof(s.v)) == 0 &&
	    sa_equal(&s.endpoint, &t.endpoint));
	CHECK(stats_decode_guard(h, n, &g) == -1);
	CHECK(stats_decode(h, n - 1, &t) == -1);
	free(h);
	p[n] = 0;
	h = exact(p, n + 1);
	CHECK(stats_decode(h, n + 1, &t) == -1);
	free(h);
	CHECK(stats_decode(p, 0, &t) == -1);
	p[1] = NDATA - 1;
	CHECK(stats_decode(p, n, &t) == -1);
	p[1] = NDATA + 1;
	CHECK(stats_decode(p, n, &t) == -1);
	p[1] = NDATA;
	p[0] = 2;
	CHECK(stats_decode(p, n, &t) == -1);
	p[0] = 1;
	p[2] = 5;
	CHECK(stats_decode(p, n, &t) == -1);

	stats_format(&s, line, sizeof(line));
	check_format(line, data_fields, NDATA, s.v);
	CHECK(count_str(line, " endpoint=") == 1);
	if (ep->ss_family == 0)
		CHECK(strncmp(line, " endpoint=none ", 15) == 0);
	else
		CHECK(strstr(line, ep->ss_family == AF_INET ?
		    " endpoint=192.0.2.10:51820 " :
		    " endpoint=[2001:db8::2a]:443 ") == line);
	/* appends, and cuts to size */
	stats_format(&s, small, sizeof(small));
	CHECK(strlen(small) < sizeof(small) &&
	    strncmp(small, "x endpoint=", 11) == 0);
}

static void
test_stats_guard(void)
{
	struct guard_stats s, t;
	struct data_stats d;
	uint8_t p[MSG_MAX_PAYLOAD], *h;
	char line[1024] = "";
	size_t n;

	CHECK(GUARD_STATS_N == NGUARD);
	for (size_t i = 0; i < GUARD_STATS_N; i++)
		s.v[i] = counter(i + 20);
	n = stats_encode_guard(&s, p, sizeof(p));
	CHECK(n == 2 + MSG_SA_LEN + 8 * NGUARD);
	CHECK(p[0] == 2 && p[1] == NGUARD);
	for (size_t i = 0; i < MSG_SA_LEN; i++)
		CHECK(p[2 + i] == 0);
	for (size_t i = 0; i < NGUARD; i++)
		CHECK(get_u64(p + 21 + 8 * i) == counter(i + 20));
	CHECK(stats_encode_guard(&s, p, n - 1) == 0);

	h = exact(p, n);
	memset(&t, 0x5a, sizeof(t));
	CHECK(stats_decode_guard(h, n, &t) == 0 &&
	    memcmp(s.v, t.v, sizeof(s.v)) == 0);
	CHECK(stats_decode(h, n, &d) == -1);
	CHECK(stats_decode_guard(h, n - 1, &t) == -1);
	free(h);
	p[1] = NGUARD + 1;
	CHECK(stats_decode_guard(p, n, &t) == -1);
	p[1] = NGUARD;
	p[0] = 1;
	CHECK(stats_decode_guard(p, n, &t) == -1);
	p[0] = 2;
	/* the guard has no endpoint */
	memcpy(p + 2, wire_sa4, MSG_SA_LEN);
	CHECK(stats_decode_guard(p, n, &t) == -1);
	p[2] = 0;
	CHECK(stats_decode_guard(p, n, &t) == 0);

	stats_format_guard(&s, line, sizeof(line));
	check_format(line, guard_fields, NGUARD, s.v);
	CHECK(strstr(line, "endpoint") == NULL);
}

static void
test_stats_drain(void)
{
	struct data_stats s, t;
	struct guard_stats g, gt;
	uint8_t p[MSG_MAX_PAYLOAD];
	size_t n;
	int sv[2];

	memset(&s, 0, sizeof(s));
	memset(&g, 0, sizeof(g));
	pair(sv);
	CHECK(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
	errno = 1;
	CHECK(stats_drain(sv[1], &t) == 0);
	/* the last of several wins */
	for (uint64_t i = 1; i <= 3; i++) {
		s.rx_packets = i;
		n = stats_encode(&s, p, sizeof(p));
		CHECK(msg_send(sv[0], MSG_STATS, p, n) == 0);
	}
	CHECK(stats_drain(sv[1], &t) == 0 && t.rx_packets == 3);
	g.forwarded = 77;
	n = stats_encode_guard(&g, p, sizeof(p));
	CHECK(msg_send(sv[0], MSG_STATS, p, n) == 0);
	CHECK(stats_drain_guard(sv[1], &gt) == 0 && gt.forwarded == 77);
	/* the other kind, or another message, is an error */
	CHECK(msg_send(sv[0], MSG_STATS, p, n) == 0);
	errno = 0;
	CHECK(stats_drain(sv[1], &t) == -1 && errno == EBADMSG);
	CHECK(msg_send(sv[0], MSG_STOP, NULL, 0) == 0);
	errno = 0;
	CHECK(stats_drain_guard(sv[1], &gt) == -1 && errno == EBADMSG);
	close(sv[0]);
	errno = EINVAL;
	CHECK(stats_drain(sv[1], &t) == -1 && errno == 0);
	close(sv[1]);
}

static void
test_stats(void)
{
	struct sockaddr_storage ep;
	static const uint8_t none[MSG_SA_LEN];

	memset(&ep, 0, sizeof(ep));
	test_stats_data(&ep, none);
	sa4(&ep, "192.0.2.10", 51820);
	test_stats_data(&ep, wire_sa4);
	sa6(&ep, "2001:db8::2a", 443);
	test_stats_data(&ep, wire_sa6);
	test_stats_guard();
	test_stats_drain();
}

/* --- random input --- */

/* xorshift64*: the same sequence on every libc, so a failure reproduces. */
static uint64_t
rnd(void)
{
	static uint64_t x = 0x5eed5eed5eed5eedULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Random bytes, often with a real type and a length near its bounds so the
 * payload checks run too, not only the type check. */
static size_t
random_message(uint8_t **res)
{
	size_t len = rnd() % 400, i;
	uint8_t *b = xmalloc(len);

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)rnd();
	if (len >= 4 && rnd() % 2 == 0) {
		i = rnd() % NTYPES;
		put_u16(b, types[i].type);
		put_u16(b + 2, (uint16_t)(types[i].min + rnd() %
		    (types[i].max - types[i].min + 3)));
	}
	if (len > 4 + CONFIG_NROUTES_AT && rnd() % 4 == 0)
		b[4 + CONFIG_NROUTES_AT] = (uint8_t)(rnd() % 80);
	*res = b;
	return len;
}

static void
test_random(void)
{
	unsigned ok = 0;
	struct msg m;
	uint8_t *b;
	size_t len;
	ssize_t r;

	for (unsigned i = 0; i < 100000; i++) {
		len = random_message(&b);
		m.payload = NULL;
		r = msg_parse(b, len, &m);
		CHECK(r == -1 || (r >= 0 && (size_t)r <= len));
		if (r > 0) {
			CHECK(r >= 4 && m.len == r - 4 && m.payload == b + 4);
			for (size_t g = 0; g < NGETTERS; g++)
				getters[g].get(&m);
			ok++;
		}
		free(b);
	}
	/* the generator must reach the accepting paths too */
	CHECK(ok > 1000);
}

int
main(void)
{
	/* a broken send must fail the test, not leave a recv waiting */
	alarm(60);
	test_bounds();
	test_unknown();
	test_partial();
	test_config_framing();
	test_build();
	test_sa();
	test_start();
	test_session();
	test_session_nets();
	test_keys();
	test_grant();
	test_register();
	test_hello();
	test_config();
	test_config_dns();
	test_epoch();
	test_reload_msgs();
	test_get_types();
	test_text();
	test_config_check();
	test_config_judge_limits();
	test_config_judge_address();
	test_config_judge_routes();
	test_config_judge_why();
	test_config6();
	test_config_judge_rules();
	test_socket();
	test_fds();
	test_qmsg_tun();
	test_qmsg_udp();
	test_stats();
	test_random();
	free(held);
	if (failures > 0) {
		fprintf(stderr, "test_msg: %d checks failed\n", failures);
		return 1;
	}
	printf("test_msg: ok\n");
	return 0;
}
