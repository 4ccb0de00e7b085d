/* stats_decode reads what a data process sent its parent. A payload that
 * decodes must encode to a canonical form (unused address bytes zero) that
 * decodes and encodes to itself, and format into a status line without
 * overrunning. */
#include <string.h>

#include "fuzz.h"
#include "msg.h"
#include "stats.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct data_stats s, t;
	uint8_t a[MSG_STATS_MAX], b[MSG_STATS_MAX];
	char line[64], big[1024];
	size_t n;
	uint8_t *p;

	/* exactly size bytes, so that ASan sees any read past the end */
	CHECK((p = malloc(size ? size : 1)) != NULL);
	memcpy(p, data, size);
	if (stats_decode(p, size, &s) == -1) {
		free(p);
		return 0;
	}
	free(p);
	CHECK((n = stats_encode(&s, a, sizeof(a))) == size);
	CHECK(stats_encode(&s, a, n - 1) == 0);
	CHECK(stats_decode(a, n, &t) == 0);
	CHECK(stats_encode(&t, b, sizeof(b)) == n && memcmp(a, b, n) == 0);
	/* a short buffer must truncate, not overrun */
	snprintf(line, sizeof(line), "client");
	stats_format(&s, line, sizeof(line));
	CHECK(strlen(line) < sizeof(line));
	big[0] = '\0';
	stats_format(&s, big, sizeof(big));
	CHECK(strstr(big, " rekeys=") != NULL);
	return 0;
}
