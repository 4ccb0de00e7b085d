#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "stats.h"
#include "util.h"

#define X(f) + 1
enum { STATS_NFIELDS = 0 STATS_FIELDS(X) };
#undef X
#define STATS_HEAD 21

size_t
stats_encode(const struct data_stats *s, uint8_t *out, size_t cap)
{
	const uint64_t v[] = {
#define X(f) s->f,
		STATS_FIELDS(X)
#undef X
	};
	uint8_t *p = out;

	if (cap < STATS_HEAD + 8 * STATS_NFIELDS)
		return 0;
	memset(out, 0, STATS_HEAD);
	put_u16(p, s->udp_port);
	if (s->endpoint.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&s->endpoint;

		p[2] = 4;
		memcpy(p + 3, &in->sin_addr, 4);
		put_u16(p + 19, ntohs(in->sin_port));
	} else if (s->endpoint.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&s->endpoint;

		p[2] = 6;
		memcpy(p + 3, &in6->sin6_addr, 16);
		put_u16(p + 19, ntohs(in6->sin6_port));
	}
	p += STATS_HEAD;
	for (size_t i = 0; i < STATS_NFIELDS; i++, p += 8)
		put_u64(p, v[i]);
	return p - out;
}

int
stats_decode(const uint8_t *p, size_t len, struct data_stats *s)
{
	size_t i = 0;

	if (len != STATS_HEAD + 8 * STATS_NFIELDS || (p[2] != 0 && p[2] != 4 &&
	    p[2] != 6))
		return -1;
	memset(s, 0, sizeof(*s));
	s->udp_port = get_u16(p);
	if (p[2] == 4) {
		struct sockaddr_in *in = (void *)&s->endpoint;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, p + 3, 4);
		in->sin_port = htons(get_u16(p + 19));
	} else if (p[2] == 6) {
		struct sockaddr_in6 *in6 = (void *)&s->endpoint;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, p + 3, 16);
		in6->sin6_port = htons(get_u16(p + 19));
	}
	p += STATS_HEAD;
#define X(f) s->f = get_u64(p + 8 * i++);
	STATS_FIELDS(X)
#undef X
	return 0;
}

void
stats_format(const struct data_stats *s, char *buf, size_t len)
{
	char ep[64] = "none";
	size_t n = strlen(buf);
	int m;

	if (s->endpoint.ss_family != 0)
		sa_str((const struct sockaddr *)&s->endpoint, ep, sizeof(ep));
	m = snprintf(buf + n, len - n, " endpoint=%s udp_port=%u", ep,
	    s->udp_port);
#define X(f) \
	if (m >= 0 && (n += m) < len) \
		m = snprintf(buf + n, len - n, " " #f "=%llu", \
		    (unsigned long long)s->f);
	STATS_FIELDS(X)
#undef X
}

int
stats_drain(int fd, struct data_stats *s)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int r;

	while ((r = msg_recv(fd, buf, sizeof(buf), &m)) == 1)
		if (m.type != MSG_STATS ||
		    stats_decode(m.payload, m.len, s) == -1) {
			errno = EBADMSG;
			return -1;
		}
	if (r == -1 && errno == EAGAIN)
		return 0;
	if (r == 0)
		errno = 0;
	return -1;
}
