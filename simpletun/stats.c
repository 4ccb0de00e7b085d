/* One field-table encoding for the data processes' and the guard's
 * counters; see stats.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "stats.h"
#include "util.h"

enum stats_kind { STATS_DATA = 1, STATS_GUARD = 2 };

enum {
	STATS_KIND = 0,
	STATS_NFIELDS = 1,
	STATS_ENDPOINT = 2,
	STATS_VALUES = STATS_ENDPOINT + MSG_SA_LEN,
};

#define STATS_NAME(f) #f,
static const char *const data_names[] = { DATA_STATS_FIELDS(STATS_NAME) };
static const char *const guard_names[] = { GUARD_STATS_FIELDS(STATS_NAME) };
#undef STATS_NAME

_Static_assert(sizeof(((struct data_stats *)0)->v) ==
    DATA_STATS_N * sizeof(uint64_t), "data counters are one array");
_Static_assert(sizeof(((struct guard_stats *)0)->v) ==
    GUARD_STATS_N * sizeof(uint64_t), "guard counters are one array");

static size_t
stats_put(uint8_t kind, const uint64_t *v, size_t n,
    const struct sockaddr_storage *ep, uint8_t *out, size_t cap)
{
	static const struct sockaddr_storage none;

	if (cap < STATS_VALUES + 8 * n)
		return 0;
	out[STATS_KIND] = kind;
	out[STATS_NFIELDS] = (uint8_t)n;
	msg_put_sa(out + STATS_ENDPOINT, ep != NULL ? ep : &none);
	for (size_t i = 0; i < n; i++)
		put_u64(out + STATS_VALUES + 8 * i, v[i]);
	return STATS_VALUES + 8 * n;
}

static int
stats_get(uint8_t kind, uint64_t *v, size_t n, struct sockaddr_storage *ep,
    const uint8_t *p, size_t len)
{
	struct sockaddr_storage ss;

	if (len != STATS_VALUES + 8 * n || p[STATS_KIND] != kind ||
	    p[STATS_NFIELDS] != n || msg_get_sa(p + STATS_ENDPOINT, &ss) == -1 ||
	    (ep == NULL && ss.ss_family != 0))
		return -1;
	if (ep != NULL)
		*ep = ss;
	for (size_t i = 0; i < n; i++)
		v[i] = get_u64(p + STATS_VALUES + 8 * i);
	return 0;
}

static void
stats_append(char *buf, size_t len, const char *const *names,
    const uint64_t *v, size_t n)
{
	size_t used = strlen(buf);

	for (size_t i = 0; i < n && used < len; i++) {
		int m = snprintf(buf + used, len - used, " %s=%llu", names[i],
		    (unsigned long long)v[i]);

		if (m < 0)
			return;
		used += (size_t)m;
	}
}

size_t
stats_encode(const struct data_stats *s, uint8_t *out, size_t cap)
{
	return stats_put(STATS_DATA, s->v, DATA_STATS_N, &s->endpoint, out,
	    cap);
}

size_t
stats_encode_guard(const struct guard_stats *s, uint8_t *out, size_t cap)
{
	return stats_put(STATS_GUARD, s->v, GUARD_STATS_N, NULL, out, cap);
}

int
stats_decode(const uint8_t *p, size_t len, struct data_stats *s)
{
	memset(s, 0, sizeof(*s));
	return stats_get(STATS_DATA, s->v, DATA_STATS_N, &s->endpoint, p, len);
}

int
stats_decode_guard(const uint8_t *p, size_t len, struct guard_stats *s)
{
	memset(s, 0, sizeof(*s));
	return stats_get(STATS_GUARD, s->v, GUARD_STATS_N, NULL, p, len);
}

const char *
stats_data_name(size_t i)
{
	return i < DATA_STATS_N ? data_names[i] : NULL;
}

void
stats_format(const struct data_stats *s, char *buf, size_t len)
{
	char ep[64] = "none";
	size_t n = strlen(buf);

	if (s->endpoint.ss_family != 0)
		sa_str((const struct sockaddr *)&s->endpoint, ep, sizeof(ep));
	if (n < len)
		snprintf(buf + n, len - n, " endpoint=%s", ep);
	stats_append(buf, len, data_names, s->v, DATA_STATS_N);
}

void
stats_format_guard(const struct guard_stats *s, char *buf, size_t len)
{
	stats_append(buf, len, guard_names, s->v, GUARD_STATS_N);
}

/* Reads STATS messages until none is left; decode says whether one is
 * of the expected kind (and keeps it). */
static int
stats_drain_with(int fd, int (*decode)(const uint8_t *, size_t, void *),
    void *s)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int r;

	while ((r = msg_recv(fd, buf, sizeof(buf), &m)) == 1)
		if (m.type != MSG_STATS || decode(m.payload, m.len, s) == -1) {
			errno = EBADMSG;
			return -1;
		}
	if (r == -1 && errno == EAGAIN)
		return 0;
	if (r == 0)
		errno = 0;
	return -1;
}

static int
stats_decode_any_data(const uint8_t *p, size_t len, void *s)
{
	return stats_decode(p, len, s);
}

static int
stats_decode_any_guard(const uint8_t *p, size_t len, void *s)
{
	return stats_decode_guard(p, len, s);
}

int
stats_drain(int fd, struct data_stats *s)
{
	return stats_drain_with(fd, stats_decode_any_data, s);
}

int
stats_drain_guard(int fd, struct guard_stats *s)
{
	return stats_drain_with(fd, stats_decode_any_guard, s);
}
