/* The config file parser, fed through the path a real file takes: the
 * input (after its first byte, which picks the role) becomes a memfd that
 * conf_load opens as "--config /proc/self/fd/N". What loads is dumped and
 * loaded back the way a child gets it (conf_load_fd), and must come back
 * the same. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

static int conf_fd = -1;
static int dump_fd = -1;
static char conf_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((conf_fd = memfd_create("fuzz_conf", MFD_CLOEXEC)) == -1 ||
	    (dump_fd = memfd_create("fuzz_conf_dump", MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		abort();
	}
	snprintf(conf_path, sizeof(conf_path), "/proc/self/fd/%d", conf_fd);
	return 0;
}

static void
conf_write(int fd, const void *data, size_t size)
{
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
}

static char *
conf_text(const struct conf *c, size_t *len)
{
	char *buf = NULL;
	FILE *f;

	CHECK((f = open_memstream(&buf, len)) != NULL);
	conf_dump(c, f);
	CHECK(fclose(f) == 0);
	return buf;
}

static void
conf_round_trip(const struct conf *c)
{
	char err[1024], *a, *b;
	size_t alen = 0, blen = 0;
	struct conf d;
	int r;

	a = conf_text(c, &alen);
	conf_write(dump_fd, a, alen);
	if ((r = conf_load_fd(&d, c->role, dump_fd, err, sizeof(err))) != 0)
		fprintf(stderr, "%s\n%s", err, a);
	CHECK(r == 0);
	b = conf_text(&d, &blen);
	CHECK(alen == blen && memcmp(a, b, alen) == 0);
	CHECK(d.nfixed == c->nfixed && d.keepalive_set == c->keepalive_set);
	free(a);
	free(b);
	conf_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[] = { "--config", conf_path, NULL };
	char err[1024];
	struct conf c;
	int r;

	if (size < 1)
		return 0;
	conf_write(conf_fd, data + 1, size - 1);
	err[0] = '\0';
	r = conf_load(&c, data[0] & 1 ? CONF_CLIENT : CONF_SERVER, 2, argv,
	    err, sizeof(err));
	/* failure says why in one line; success says nothing */
	CHECK(r == 0 || (r == -1 && err[0] != '\0' &&
	    strchr(err, '\n') == NULL));
	if (r == -1)
		return 0;
	CHECK(c.nroutes <= CONF_ROUTES_MAX && c.nfixed <= CONF_FIXED_MAX);
	CHECK(memchr(c.dev, '\0', sizeof(c.dev)) != NULL);
	conf_round_trip(&c);
	if (conf_check(&c, err, sizeof(err)) == -1)
		CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
	conf_free(&c);
	return 0;
}
