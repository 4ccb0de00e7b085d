/* Unit test of message framing: every type's length bounds, unknown types,
 * partial input, CONFIG route counts, a SEQPACKET round trip, and random
 * input that must never be read past its end. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "msg.h"

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #cond);					\
		failures++;						\
	}								\
} while (0)

/* The bounds the protocol promises, written out independently of msg.c. */
static const struct {
	uint16_t type;
	const char *name;
	unsigned min, max;
} types[] = {
	{ MSG_PORT, "PORT", 2, 2 },
	{ MSG_SESSION, "SESSION", 40, 40 },
	{ MSG_KEYS, "KEYS", 149, 149 },	/* u32 epoch | u8 flags | 2 keymat */
	{ MSG_PEER_DEAD, "PEER_DEAD", 0, 0 },
	{ MSG_STATS, "STATS", 0, 256 },
	{ MSG_STOP, "STOP", 0, 0 },
	{ MSG_ADDRESS_REQUEST, "ADDRESS_REQUEST", 1, 64 },
	{ MSG_ADDRESS_GRANT, "ADDRESS_GRANT", 9, 9 },
	{ MSG_ADDRESS_DENY, "ADDRESS_DENY", 1, 256 },
	{ MSG_REGISTER, "REGISTER", 19, 19 },
	{ MSG_UNREGISTER, "UNREGISTER", 2, 2 },
	{ MSG_TUN_CONFIG, "TUN_CONFIG", 18, 338 },
	{ MSG_REKEY_DUE, "REKEY_DUE", 0, 0 },
	{ MSG_STATUS_REPLY, "STATUS_REPLY", 0, 4096 },
	{ MSG_HELLO, "HELLO", 4, 4 },
	{ MSG_CONFIG, "CONFIG", 18, 338 },
	{ MSG_REKEY, "REKEY", 4, 4 },
	{ MSG_REKEY_ACK, "REKEY_ACK", 4, 4 },
	{ MSG_BYE, "BYE", 0, 256 },
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

static bool
is_config(uint16_t type)
{
	return type == MSG_CONFIG || type == MSG_TUN_CONFIG;
}

/* A heap buffer of exactly the message's size, so that the sanitizer
 * catches any read past it. For CONFIG the route count matches plen when
 * plen can be 18 + 5n at all. */
static uint8_t *
make(uint16_t type, size_t plen, size_t have)
{
	uint8_t *b = calloc(1, have > 0 ? have : 1);

	if (b == NULL) {
		perror("calloc");
		exit(1);
	}
	if (have >= 2)
		put_u16(b, type);
	else if (have == 1)
		b[0] = type >> 8;
	if (have >= 4)
		put_u16(b + 2, (uint16_t)plen);
	if (is_config(type) && have > 4 + 17 && plen >= 18)
		b[4 + 17] = (uint8_t)((plen - 18) / 5);
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
	size_t i;

	for (i = 0; i < NTYPES; i++) {
		uint16_t t = types[i].type;
		unsigned min = types[i].min, max = types[i].max;

		CHECK(strcmp(msg_name(t), types[i].name) == 0);
		CHECK(parse_len(t, min) == 4 + (ssize_t)min);
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
	static const uint16_t bad[] = { 0, MSG_STATUS_REPLY + 1, 0xff, 0x0fff,
	    MSG_HELLO - 1, MSG_BYE + 1, 0x200, 0xffff };
	uint8_t b[8] = { 0 };
	struct msg m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
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
	uint8_t *b = make(MSG_KEYS, MSG_KEYS_LEN, 4 + MSG_KEYS_LEN);
	struct msg m;
	size_t n;

	/* a header cut short, then a payload cut short: wait for more */
	for (n = 0; n < 4 + MSG_KEYS_LEN; n++)
		CHECK(msg_parse(b, n, &m) == 0);
	CHECK(msg_parse(b, 4 + MSG_KEYS_LEN, &m) == 4 + MSG_KEYS_LEN);
	free(b);

	/* a bad length is refused before its payload has arrived */
	b = make(MSG_KEYS, MSG_KEYS_LEN + 1, 4);
	CHECK(msg_parse(b, 4, &m) == -1);
	free(b);

	/* an unknown type is refused from its header alone */
	b = make(0x4242, 0, 4);
	CHECK(msg_parse(b, 4, &m) == -1);
	free(b);

	/* two messages back to back: only the first is claimed */
	b = calloc(1, 2 * (4 + MSG_PORT_LEN));
	put_u16(b, MSG_PORT);
	put_u16(b + 2, MSG_PORT_LEN);
	put_u16(b + 6, MSG_STOP);
	put_u16(b + 8, 0);
	CHECK(msg_parse(b, 2 * (4 + MSG_PORT_LEN), &m) == 4 + MSG_PORT_LEN);
	CHECK(m.type == MSG_PORT && m.len == MSG_PORT_LEN);
	CHECK(msg_parse(b + 6, 4, &m) == 4 && m.type == MSG_STOP);
	free(b);
}

static ssize_t
parse_config(uint16_t type, size_t plen, uint8_t n)
{
	uint8_t *b = make(type, plen, 4 + plen);
	struct msg m;
	ssize_t r;

	b[4 + 17] = n;
	r = msg_parse(b, 4 + plen, &m);
	free(b);
	return r;
}

static void
test_config(void)
{
	static const uint16_t t[] = { MSG_CONFIG, MSG_TUN_CONFIG };
	uint8_t p[MSG_CONFIG_MAX] = { 0 }, out[MSG_MAX_LEN];
	size_t i;

	for (i = 0; i < 2; i++) {
		CHECK(parse_config(t[i], 18, 0) == 22);
		CHECK(parse_config(t[i], 18, 1) == -1);
		CHECK(parse_config(t[i], 23, 1) == 27);
		CHECK(parse_config(t[i], 23, 0) == -1);
		CHECK(parse_config(t[i], 23, 2) == -1);
		CHECK(parse_config(t[i], 22, 1) == -1);
		CHECK(parse_config(t[i], 24, 1) == -1);
		CHECK(parse_config(t[i], 338, 64) == 342);
		CHECK(parse_config(t[i], 338, 63) == -1);
		CHECK(parse_config(t[i], 338, 65) == -1);
		CHECK(parse_config(t[i], 338, 255) == -1);

		p[17] = 2;
		CHECK(msg_build(out, sizeof(out), t[i], p, 28) == 32);
		CHECK(msg_build(out, sizeof(out), t[i], p, 23) == -1);
		p[17] = 0;
		CHECK(msg_build(out, sizeof(out), t[i], p, 18) == 22);
		CHECK(msg_build(out, sizeof(out), t[i], p, 28) == -1);
	}
}

static void
test_build(void)
{
	uint8_t out[MSG_MAX_LEN], big[MSG_MAX_PAYLOAD + 1] = { 0 };
	uint8_t keys[MSG_KEYS_LEN];
	struct msg m;
	size_t i;

	for (i = 0; i < sizeof(keys); i++)
		keys[i] = (uint8_t)i;
	CHECK(msg_build(out, 4 + MSG_KEYS_LEN, MSG_KEYS, keys,
	    sizeof(keys)) == 4 + MSG_KEYS_LEN);
	CHECK(get_u16(out) == MSG_KEYS && get_u16(out + 2) == MSG_KEYS_LEN);
	CHECK(msg_parse(out, 4 + MSG_KEYS_LEN, &m) == 4 + MSG_KEYS_LEN);
	CHECK(m.type == MSG_KEYS && memcmp(m.payload, keys, sizeof(keys)) == 0);

	/* cap too small, by one byte and by all of it */
	CHECK(msg_build(out, 4 + MSG_KEYS_LEN - 1, MSG_KEYS, keys,
	    sizeof(keys)) == -1);
	CHECK(msg_build(out, 3, MSG_STOP, NULL, 0) == -1);
	CHECK(msg_build(out, 0, MSG_STOP, NULL, 0) == -1);
	CHECK(msg_build(out, 4, MSG_STOP, NULL, 0) == 4);

	/* lengths out of bounds */
	CHECK(msg_build(out, sizeof(out), MSG_KEYS, keys, 147) == -1);
	CHECK(msg_build(out, sizeof(out), MSG_STOP, keys, 1) == -1);
	CHECK(msg_build(out, sizeof(out), MSG_ADDRESS_REQUEST, NULL, 0) == -1);
	CHECK(msg_build(out, sizeof(out), MSG_STATUS_REPLY, big,
	    MSG_MAX_PAYLOAD) == MSG_MAX_LEN);
	CHECK(msg_build(out, sizeof(out), MSG_STATUS_REPLY, big,
	    MSG_MAX_PAYLOAD + 1) == -1);
	CHECK(msg_build(out, sizeof(out), MSG_BYE, big, 0x10000 + 4) == -1);
}

static void
pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		perror("socketpair");
		exit(1);
	}
}

static void
test_socket(void)
{
	uint8_t keys[MSG_KEYS_LEN], buf[MSG_MAX_LEN], raw[MSG_MAX_LEN + 100];
	struct msg m;
	int sv[2];

	pair(sv);
	memset(keys, 0xa5, sizeof(keys));
	CHECK(msg_send(sv[0], MSG_KEYS, keys, sizeof(keys)) == 0);
	CHECK(msg_send(sv[0], MSG_STOP, NULL, 0) == 0);
	CHECK(msg_recv(sv[1], buf, sizeof(buf), &m) == 1);
	CHECK(m.type == MSG_KEYS && m.len == MSG_KEYS_LEN &&
	    memcmp(m.payload, keys, sizeof(keys)) == 0);
	CHECK(msg_recv(sv[1], buf, sizeof(buf), &m) == 1);
	CHECK(m.type == MSG_STOP && m.len == 0);

	/* msg_send refuses what msg_build refuses */
	errno = 0;
	CHECK(msg_send(sv[0], MSG_KEYS, keys, 10) == -1 && errno == EINVAL);
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
	put_u16(raw, MSG_PORT);
	put_u16(raw + 2, MSG_PORT_LEN);
	CHECK(send(sv[0], raw, 4 + MSG_PORT_LEN + 1, 0) == 7);
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
	CHECK(msg_send(sv[0], MSG_PORT, "\x04\xd2", 2) == 0);
	CHECK(msg_recv(sv[1], buf, sizeof(buf), &m) == 1);
	CHECK(m.type == MSG_PORT && get_u16(m.payload) == 1234);

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
random_message(uint8_t **out)
{
	size_t len = rnd() % 400, i;
	uint8_t *b = malloc(len > 0 ? len : 1);

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)rnd();
	if (len >= 4 && rnd() % 2 == 0) {
		i = rnd() % NTYPES;
		put_u16(b, types[i].type);
		put_u16(b + 2, (uint16_t)(types[i].min + rnd() %
		    (types[i].max - types[i].min + 3)));
	}
	if (len > 21 && rnd() % 4 == 0)
		b[21] = (uint8_t)(rnd() % 80);
	*out = b;
	return len;
}

static void
test_random(void)
{
	struct msg m;
	uint8_t *b;
	size_t len;
	ssize_t r;
	unsigned i, ok = 0;

	for (i = 0; i < 100000; i++) {
		len = random_message(&b);
		m.payload = NULL;
		r = msg_parse(b, len, &m);
		CHECK(r == -1 || (r >= 0 && (size_t)r <= len));
		if (r > 0) {
			CHECK(r >= 4 && m.len == r - 4 && m.payload == b + 4);
			ok++;
		}
		free(b);
	}
	/* the generator must reach the accepting paths too */
	CHECK(ok > 1000);
}

/* A CONFIG as a server sends it: 198.18.0.2/24, server 198.18.0.1, mtu
 * 1420, port 40000, keepalive 10 60, one route 203.0.113.0/24. */
static size_t
good_config(uint8_t *p)
{
	memset(p, 0, MSG_CONFIG_MAX);
	put_u32(p, 0xc6120002);
	p[4] = 24;
	put_u32(p + 5, 0xc6120001);
	put_u16(p + 9, 1420);
	put_u16(p + 11, 40000);
	put_u16(p + 13, 10);
	put_u16(p + 15, 60);
	p[17] = 1;
	put_u32(p + 18, 0xcb007100);
	p[22] = 24;
	return MSG_CONFIG_MIN + 5;
}

static void
test_config_check(void)
{
	uint8_t p[MSG_CONFIG_MAX];
	size_t len = good_config(p);

	CHECK(msg_config_check(p, len, 0) == NULL);
	CHECK(msg_config_check(p, len, 0xc0000201) == NULL);
	CHECK(msg_config_check(p, len - 1, 0) != NULL);
	len = good_config(p), p[4] = 31;
	CHECK(msg_config_check(p, len, 0) != NULL);
	len = good_config(p), p[4] = 7;
	CHECK(msg_config_check(p, len, 0) != NULL);
	len = good_config(p), put_u32(p, 0xc6120101);	/* other subnet */
	CHECK(msg_config_check(p, len, 0) != NULL);
	len = good_config(p), put_u32(p, 0xc6120001);	/* the server's */
	CHECK(msg_config_check(p, len, 0) != NULL);
	len = good_config(p), put_u32(p, 0xc61200ff);	/* broadcast */
	CHECK(msg_config_check(p, len, 0) != NULL);
	len = good_config(p), put_u16(p + 9, 575);
	CHECK(msg_config_check(p, len, 0) != NULL);
	len = good_config(p), put_u16(p + 9, 9001);
	CHECK(msg_config_check(p, len, 0) != NULL);
	len = good_config(p), put_u16(p + 11, 0);
	CHECK(msg_config_check(p, len, 0) != NULL);
	len = good_config(p), put_u16(p + 15, 10);	/* timeout = interval */
	CHECK(msg_config_check(p, len, 0) != NULL);
	len = good_config(p), p[22] = 33;
	CHECK(msg_config_check(p, len, 0) != NULL);
	len = good_config(p), put_u32(p + 18, 0xcb007101);	/* host bits */
	CHECK(msg_config_check(p, len, 0) != NULL);
	/* a route over the server's own underlay address would loop */
	len = good_config(p);
	CHECK(msg_config_check(p, len, 0xcb007105) != NULL);
	put_u32(p + 18, 0), p[22] = 0;			/* default route */
	CHECK(msg_config_check(p, len, 0xc0000201) != NULL);
	CHECK(msg_config_check(p, len, 0) == NULL);
}

int
main(void)
{
	test_bounds();
	test_unknown();
	test_partial();
	test_config();
	test_config_check();
	test_build();
	test_socket();
	test_random();
	if (failures > 0) {
		fprintf(stderr, "test_msg: %d checks failed\n", failures);
		return 1;
	}
	printf("test_msg: ok\n");
	return 0;
}
