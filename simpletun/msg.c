/* Framing of typed messages: one table says which types exist and how long
 * their payloads may be, and every parse and build goes through it. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "msg.h"

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
	[MSG_PORT] = { "PORT", MSG_PORT_LEN, MSG_PORT_LEN, NULL },
	[MSG_SESSION] = { "SESSION", MSG_SESSION_LEN, MSG_SESSION_LEN, NULL },
	[MSG_KEYS] = { "KEYS", MSG_KEYS_LEN, MSG_KEYS_LEN, NULL },
	[MSG_PEER_DEAD] = { "PEER_DEAD", 0, 0, NULL },
	[MSG_STATS] = { "STATS", 0, MSG_STATS_MAX, NULL },
	[MSG_STOP] = { "STOP", 0, 0, NULL },
	[MSG_ADDRESS_REQUEST] = { "ADDRESS_REQUEST", 1, MSG_CN_MAX, NULL },
	[MSG_ADDRESS_GRANT] = { "ADDRESS_GRANT", MSG_ADDRESS_GRANT_LEN,
	    MSG_ADDRESS_GRANT_LEN, NULL },
	[MSG_ADDRESS_DENY] = { "ADDRESS_DENY", 1, MSG_REASON_MAX, NULL },
	[MSG_REGISTER] = { "REGISTER", MSG_REGISTER_LEN, MSG_REGISTER_LEN,
	    NULL },
	[MSG_UNREGISTER] = { "UNREGISTER", MSG_UNREGISTER_LEN,
	    MSG_UNREGISTER_LEN, NULL },
	[MSG_TUN_CONFIG] = { "TUN_CONFIG", MSG_CONFIG_MIN, MSG_CONFIG_MAX,
	    msg_check_config },
	[MSG_REKEY_DUE] = { "REKEY_DUE", 0, 0, NULL },
	[MSG_STATUS_REPLY] = { "STATUS_REPLY", 0, MSG_STATUS_MAX, NULL },
	[MSG_HELLO] = { "HELLO", MSG_HELLO_LEN, MSG_HELLO_LEN, NULL },
	[MSG_CONFIG] = { "CONFIG", MSG_CONFIG_MIN, MSG_CONFIG_MAX,
	    msg_check_config },
	[MSG_REKEY] = { "REKEY", MSG_EPOCH_LEN, MSG_EPOCH_LEN, NULL },
	[MSG_REKEY_ACK] = { "REKEY_ACK", MSG_EPOCH_LEN, MSG_EPOCH_LEN, NULL },
	[MSG_BYE] = { "BYE", 0, MSG_REASON_MAX, NULL },
};

#define MSG_NSPECS (sizeof(msg_specs) / sizeof(msg_specs[0]))

/* The route count must account for every byte, so no trailing data can ride
 * along unnoticed and no route is read past the end. */
static int
msg_check_config(const uint8_t *payload, size_t len)
{
	return len == MSG_CONFIG_MIN + 5 * (size_t)payload[17] ? 0 : -1;
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
msg_send(int fd, uint16_t type, const void *payload, size_t len)
{
	uint8_t buf[MSG_MAX_LEN];
	ssize_t n, sent;

	if ((n = msg_build(buf, sizeof(buf), type, payload, len)) == -1) {
		errno = EINVAL;
		return -1;
	}
	do {
		sent = send(fd, buf, (size_t)n, MSG_NOSIGNAL);
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
msg_recv(int fd, uint8_t *buf, size_t cap, struct msg *m)
{
	ssize_t n;

	/* MSG_TRUNC makes recv report the datagram's real length, so an
	 * oversize message is seen as such instead of as a cut-off one. */
	do {
		n = recv(fd, buf, cap, MSG_TRUNC);
	} while (n == -1 && errno == EINTR);
	if (n <= 0)
		return (int)n;
	if ((size_t)n > cap || msg_parse(buf, (size_t)n, m) != n) {
		errno = EBADMSG;
		return -1;
	}
	return 1;
}

const char *
msg_name(uint16_t type)
{
	const struct msg_spec *s;

	return (s = msg_spec(type)) == NULL ? "unknown" : s->name;
}

static uint32_t
prefix_mask(uint8_t prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

const char *
msg_config_check(const uint8_t *p, size_t len, uint32_t server)
{
	uint32_t vaddr, svaddr, mask;

	if (len < MSG_CONFIG_MIN || len != MSG_CONFIG_MIN + 5 * (size_t)p[17])
		return "bad length";
	vaddr = get_u32(p);
	svaddr = get_u32(p + 5);
	if (p[4] < 8 || p[4] > 30)
		return "bad prefix";
	mask = prefix_mask(p[4]);
	if ((vaddr & mask) != (svaddr & mask) || vaddr == svaddr ||
	    (vaddr & ~mask) == 0 || (vaddr & ~mask) == ~mask)
		return "bad addresses";
	if (get_u16(p + 9) < 576 || get_u16(p + 9) > 9000)
		return "bad mtu";
	if (get_u16(p + 11) == 0 || get_u16(p + 13) == 0 ||
	    get_u16(p + 15) <= get_u16(p + 13))
		return "bad port or keepalive";
	for (unsigned i = 0; i < p[17]; i++) {
		const uint8_t *r = p + MSG_CONFIG_MIN + 5 * i;

		if (r[4] > 32 || (get_u32(r) & ~prefix_mask(r[4])) != 0)
			return "bad pushed route";
		if (server != 0 && (server & prefix_mask(r[4])) == get_u32(r))
			return "a pushed route covers the server's own address";
	}
	return NULL;
}
