/*
 * memscan: does a process's memory hold a secret? For the isolation test:
 * the server's private key must never be in the guard or a data process.
 *
 *   memscan PID HEX
 *
 * Reads every readable mapping of PID through /proc/PID/mem and looks for
 * the bytes HEX, in that order and reversed (a BIGNUM keeps a number's
 * words least significant first, so on a little-endian machine its bytes
 * are the number's reversed). Prints "found at ADDR" and exits 0 if it is
 * there, prints "not found in N bytes" and exits 1 if not, 2 on error.
 * Mappings over 4 GiB are passed over (see MAPPING_MAX).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET_MAX 256
#define CHUNK (1 << 20)
/* Larger mappings are reserved address space (a sanitizer's shadow, its
 * allocator's arena), not what a process filled: reading them would take
 * hours of zero pages. */
#define MAPPING_MAX (1ULL << 32)

static int
hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);

	if (n == 0 || n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

/* Searches one mapping in chunks that overlap by len - 1 bytes, so a match
 * across a chunk border is found. */
static int
scan_range(int mem, uint64_t start, uint64_t end, const uint8_t *pat[2],
    size_t len, uint8_t *buf, uint64_t *scanned)
{
	uint64_t off = start;

	while (off < end) {
		size_t want = end - off < CHUNK ? (size_t)(end - off) : CHUNK;
		ssize_t n = pread(mem, buf, want, (off_t)off);

		if (n <= 0)
			return 0;	/* unreadable (guard pages, vvar): skip */
		*scanned += (uint64_t)n;
		for (size_t i = 0; i + len <= (size_t)n; i++)
			for (int p = 0; p < 2; p++)
				if (memcmp(buf + i, pat[p], len) == 0) {
					printf("found at 0x%" PRIx64 "%s\n",
					    off + i, p ? " (reversed)" : "");
					return 1;
				}
		if ((size_t)n < len || off + (uint64_t)n >= end)
			break;
		off += (uint64_t)n - (len - 1);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	uint8_t secret[SECRET_MAX], rev[SECRET_MAX], *buf;
	const uint8_t *pat[2] = { secret, rev };
	char path[64], line[512];
	uint64_t scanned = 0, skipped = 0;
	size_t len;
	FILE *maps;
	int mem, found = 0;

	if (argc != 3 || hex_decode(argv[2], secret, sizeof(secret), &len)) {
		fprintf(stderr, "usage: memscan PID HEX\n");
		return 2;
	}
	for (size_t i = 0; i < len; i++)
		rev[i] = secret[len - 1 - i];
	snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
	if ((maps = fopen(path, "re")) == NULL) {
		fprintf(stderr, "memscan: %s: %s\n", path, strerror(errno));
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%s/mem", argv[1]);
	if ((mem = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (buf = malloc(CHUNK)) == NULL) {
		fprintf(stderr, "memscan: %s: %s\n", path, strerror(errno));
		return 2;
	}
	while (!found && fgets(line, sizeof(line), maps) != NULL) {
		uint64_t start, end;
		char perms[8];

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &start, &end,
		    perms) != 3 || perms[0] != 'r')
			continue;
		if (end - start > MAPPING_MAX) {
			skipped++;
			continue;
		}
		found = scan_range(mem, start, end, pat, len, buf, &scanned);
	}
	if (!found)
		printf("not found in %" PRIu64 " bytes (%" PRIu64 " mappings "
		    "over 4 GiB passed over)\n", scanned, skipped);
	return found ? 0 : 1;
}
