/* stats_decode and stats_decode_guard read what a data process or the
 * guard sent its parent. At most one kind takes a payload; one that
 * decodes must encode back to the same bytes with its socket address in
 * canonical form (bytes its family does not use are zero), fit a STATS
 * message, and format into a status line without overrunning. */
#include <string.h>

#include "fuzz.h"
#include "msg.h"
#include "stats.h"

#define STATS_ENDPOINT_AT 2	/* stats.h: kind | count | endpoint | ... */

/* The encoding is canonical, a STATS message can carry it, and one byte
 * less of room is refused. */
static void
check_encoded(const uint8_t *in, size_t size, const uint8_t *a, size_t n)
{
	uint8_t want[MSG_MAX_PAYLOAD], framed[MSG_MAX_LEN];

	CHECK(n == size && size <= sizeof(want));
	memcpy(want, in, size);
	fuzz_canon_sa(want + STATS_ENDPOINT_AT);
	CHECK(memcmp(a, want, n) == 0);
	CHECK(msg_build(framed, sizeof(framed), MSG_STATS, a, n) ==
	    (ssize_t)(MSG_HDR_LEN + n));
}

static void
check_data(const uint8_t *p, size_t size, const struct data_stats *s)
{
	uint8_t a[MSG_MAX_PAYLOAD];
	struct data_stats t;
	char line[64], big[2048];
	size_t n;

	n = stats_encode(s, a, sizeof(a));
	check_encoded(p, size, a, n);
	CHECK(stats_encode(s, a, n - 1) == 0);
	CHECK(stats_decode(a, n, &t) == 0);
	CHECK(memcmp(s->v, t.v, sizeof(s->v)) == 0 &&
	    s->endpoint.ss_family == t.endpoint.ss_family);
	/* a short buffer must truncate, not overrun */
	snprintf(line, sizeof(line), "client");
	stats_format(s, line, sizeof(line));
	CHECK(strlen(line) < sizeof(line));
	big[0] = '\0';
	stats_format(s, big, sizeof(big));
	CHECK(strstr(big, " endpoint=") == big && strstr(big, " roams=") !=
	    NULL);
}

static void
check_guard(const uint8_t *p, size_t size, const struct guard_stats *s)
{
	uint8_t a[MSG_MAX_PAYLOAD];
	struct guard_stats t;
	char line[64], big[2048];
	size_t n;

	n = stats_encode_guard(s, a, sizeof(a));
	check_encoded(p, size, a, n);
	CHECK(stats_encode_guard(s, a, n - 1) == 0);
	CHECK(stats_decode_guard(a, n, &t) == 0);
	CHECK(memcmp(s->v, t.v, sizeof(s->v)) == 0);
	snprintf(line, sizeof(line), "guard");
	stats_format_guard(s, line, sizeof(line));
	CHECK(strlen(line) < sizeof(line));
	big[0] = '\0';
	stats_format_guard(s, big, sizeof(big));
	CHECK(strstr(big, " no_session=") != NULL &&
	    strstr(big, "endpoint") == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct data_stats s;
	struct guard_stats g;
	int data_ok, guard_ok;
	uint8_t *p;

	/* exactly size bytes, so that ASan sees any read past the end */
	CHECK((p = malloc(size ? size : 1)) != NULL);
	if (size > 0)
		memcpy(p, data, size);
	data_ok = stats_decode(p, size, &s) == 0;
	guard_ok = stats_decode_guard(p, size, &g) == 0;
	CHECK(!(data_ok && guard_ok));
	if (data_ok)
		check_data(p, size, &s);
	if (guard_ok)
		check_guard(p, size, &g);
	free(p);
	return 0;
}
