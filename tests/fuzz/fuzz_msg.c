/* msg_parse over a byte stream, the way the TLS reader sees it: messages
 * back to back, possibly cut short. Whatever parses must build back to the
 * same bytes. Every get then reads it from a buffer of the payload's exact
 * size, so that ASan sees a read past m.len; only the get for its type may
 * accept it, and what a get accepts must put back to the same bytes, with
 * a socket address in its canonical form (bytes its family does not use
 * are zero). */
#include <string.h>

#include "fuzz.h"
#include "msg.h"

/* where msg.c puts the socket addresses (its layout, not its API) */
#define START_PEER_AT 0
#define SESSION_PEER_AT 29

union any {
	struct msg_start start;
	struct msg_session session;
	struct msg_keys keys;
	struct msg_grant grant;
	struct msg_register reg;
	struct msg_unregister unreg;
	struct msg_hello hello;
	struct msg_config config;
	struct msg_epoch epoch;
	struct msg_recheck recheck;
	struct msg_end end;
	struct msg_live live;
	struct msg_kick kick;
};

/* put wrote want's n bytes; then get reads them back to the same put. */
static void
check_put(size_t put_len, const uint8_t *out, const uint8_t *want, size_t n)
{
	CHECK(put_len == n);
	CHECK(memcmp(out, want, n) == 0);
}

static int
is_type(const struct msg *m, uint16_t a, uint16_t b)
{
	return m->type == a || m->type == b;
}

/* Each get that accepts: the right type, and a put back to want. */
static int
check_gets(const struct msg *m, uint8_t *want)
{
	static uint8_t out[MSG_MAX_PAYLOAD];
	union any u;
	int n = 0;

	if (msg_get_start(m, &u.start) == 0) {
		CHECK(m->type == MSG_START);
		fuzz_canon_sa(want + START_PEER_AT);
		check_put(msg_put_start(out, &u.start), out, want, m->len);
		n++;
	}
	if (msg_get_session(m, &u.session) == 0) {
		CHECK(m->type == MSG_SESSION);
		CHECK(u.session.prefix <= 32 && u.session.pool_prefix <= 32);
		CHECK(u.session.mtu >= 576 && u.session.mtu <= 9000 &&
		    u.session.keepalive_timeout >
		    u.session.keepalive_interval);
		fuzz_canon_sa(want + SESSION_PEER_AT);
		check_put(msg_put_session(out, &u.session), out, want, m->len);
		n++;
	}
	if (msg_get_keys(m, &u.keys) == 0) {
		CHECK(m->type == MSG_KEYS);
		CHECK((u.keys.flags & ~MSG_KEYS_TX_NOW) == 0);
		check_put(msg_put_keys(out, &u.keys), out, want, m->len);
		n++;
	}
	if (msg_get_grant(m, &u.grant) == 0) {
		CHECK(m->type == MSG_ADDRESS_GRANT && u.grant.prefix <= 32);
		check_put(msg_put_grant(out, &u.grant), out, want, m->len);
		n++;
	}
	if (msg_get_register(m, &u.reg) == 0) {
		CHECK(m->type == MSG_REGISTER);
		check_put(msg_put_register(out, &u.reg), out, want, m->len);
		n++;
	}
	if (msg_get_unregister(m, &u.unreg) == 0) {
		CHECK(m->type == MSG_UNREGISTER);
		check_put(msg_put_unregister(out, &u.unreg), out, want, m->len);
		n++;
	}
	if (msg_get_hello(m, &u.hello) == 0) {
		CHECK(m->type == MSG_HELLO);
		check_put(msg_put_hello(out, &u.hello), out, want, m->len);
		n++;
	}
	if (msg_get_config(m, &u.config) == 0) {
		CHECK(is_type(m, MSG_CONFIG, MSG_TUN_CONFIG));
		CHECK(u.config.nroutes <= MSG_ROUTES_MAX);
		check_put(msg_put_config(out, &u.config), out, want, m->len);
		/* the client checks routes against the server's address */
		msg_config_check(&u.config, 0);
		msg_config_check(&u.config, u.config.server_vaddr);
		n++;
	}
	if (msg_get_epoch(m, &u.epoch) == 0) {
		CHECK(is_type(m, MSG_REKEY, MSG_REKEY_ACK));
		check_put(msg_put_epoch(out, &u.epoch), out, want, m->len);
		n++;
	}
	if (msg_get_recheck(m, &u.recheck) == 0) {
		CHECK(is_type(m, MSG_RECHECK, MSG_RECHECK));
		check_put(msg_put_recheck(out, &u.recheck), out, want, m->len);
		n++;
	}
	if (msg_get_end(m, &u.end) == 0) {
		CHECK(is_type(m, MSG_END, MSG_END));
		CHECK(msg_end_reason(u.end.cause) != NULL);
		check_put(msg_put_end(out, &u.end), out, want, m->len);
		n++;
	}
	if (msg_get_live(m, &u.live) == 0) {
		CHECK(is_type(m, MSG_LIVE, MSG_LIVE));
		check_put(msg_put_live(out, &u.live), out, want, m->len);
		n++;
	}
	if (msg_get_kick(m, &u.kick) == 0) {
		CHECK(is_type(m, MSG_KICK, MSG_KICK));
		check_put(msg_put_kick(out, &u.kick), out, want, m->len);
		n++;
	}
	return n;
}

static void
check_text(const struct msg *m)
{
	static const size_t sizes[] = { 1, 2, MSG_CN_MAX + 1,
	    MSG_MAX_PAYLOAD + 1 };
	char text[MSG_MAX_PAYLOAD + 1];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = m->len < sizes[i] - 1 ? m->len : sizes[i] - 1;

		memset(text, 'x', sizeof(text));
		msg_get_text(m, text, sizes[i]);
		CHECK(text[n] == '\0' && memcmp(text, m->payload, n) == 0);
		CHECK(n + 1 == sizeof(text) || text[n + 1] == 'x');
	}
}

/* The gets on a copy of exactly m->len bytes. */
static void
check_payload(const struct msg *m)
{
	uint8_t *p, want[MSG_MAX_PAYLOAD];
	struct msg c = *m;
	int n;

	CHECK((p = malloc(m->len > 0 ? m->len : 1)) != NULL);
	if (m->len > 0)
		memcpy(p, m->payload, m->len);
	memcpy(want, m->payload, m->len);
	c.payload = p;
	n = check_gets(&c, want);
	CHECK(n <= 1);
	/* these have no limit but their length */
	if (is_type(m, MSG_UNREGISTER, MSG_UNREGISTER) ||
	    is_type(m, MSG_HELLO, MSG_HELLO) ||
	    is_type(m, MSG_CONFIG, MSG_TUN_CONFIG) ||
	    is_type(m, MSG_REKEY, MSG_REKEY_ACK) ||
	    is_type(m, MSG_RECHECK, MSG_RECHECK))
		CHECK(n == 1);
	if (m->type == MSG_LIVE)
		CHECK(n == ((p[0] & ~1u) == 0));
	if (m->type == MSG_END)
		CHECK(n == (msg_end_reason(p[0]) != NULL));
	if (m->type == MSG_START)
		CHECK(n == (p[0] == 0 || p[0] == 4 || p[0] == 6));
	if (m->type == MSG_KEYS)
		CHECK(n == ((p[4] & ~MSG_KEYS_TX_NOW) == 0));
	/* REGISTER: a CN after 26 bytes, without a NUL in it */
	if (m->type == MSG_REGISTER)
		CHECK(n == (memchr(p + 26, 0, m->len - 26u) == NULL));
	check_text(&c);
	free(p);
}

static void
check_one(const uint8_t *buf, size_t len, ssize_t n, const struct msg *m)
{
	uint8_t out[MSG_MAX_LEN];
	struct msg cut;

	CHECK(n >= MSG_HDR_LEN && (size_t)n <= len);
	CHECK((size_t)n == (size_t)MSG_HDR_LEN + m->len);
	CHECK(m->payload == buf + MSG_HDR_LEN);
	/* a message cut short only ever means "wait for more" */
	CHECK(msg_parse(buf, (size_t)n - 1, &cut) == 0);
	CHECK(strcmp(msg_name(m->type), "unknown") != 0);
	CHECK(msg_build(out, sizeof(out), m->type, m->payload, m->len) == n);
	CHECK(memcmp(out, buf, (size_t)n) == 0);
	/* one byte short of room is never enough */
	CHECK(msg_build(out, (size_t)n - 1, m->type, m->payload, m->len) == -1);
	check_payload(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m;
	ssize_t n;

	while ((n = msg_parse(data, size, &m)) > 0) {
		check_one(data, size, n, &m);
		data += n;
		size -= (size_t)n;
	}
	/* needing more bytes is only possible before the stream's end */
	CHECK(n == -1 || size < MSG_MAX_LEN);
	return 0;
}
