/* msg_parse over a byte stream, the way the TLS reader sees it: messages
 * back to back, possibly cut short. Whatever parses must build back to the
 * same bytes, and a CONFIG must survive msg_config_check. */
#include <string.h>

#include "fuzz.h"
#include "msg.h"

static int
is_config(uint16_t type)
{
	return type == MSG_CONFIG || type == MSG_TUN_CONFIG;
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
	if (is_config(m->type)) {
		msg_config_check(m->payload, m->len, 0);
		/* the client checks routes against the server's address */
		msg_config_check(m->payload, m->len, get_u32(m->payload + 5));
	}
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
