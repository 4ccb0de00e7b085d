/* The config file parser, fed through the path a real file takes: the
 * input (after its first byte, which picks the role) becomes a memfd that
 * conf_load opens as "--config /proc/self/fd/N". */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

static int conf_fd = -1;
static char conf_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((conf_fd = memfd_create("fuzz_conf", MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		abort();
	}
	snprintf(conf_path, sizeof(conf_path), "/proc/self/fd/%d", conf_fd);
	return 0;
}

static void
conf_write(const uint8_t *data, size_t size)
{
	CHECK(ftruncate(conf_fd, 0) == 0);
	CHECK(pwrite(conf_fd, data, size, 0) == (ssize_t)size);
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
	conf_write(data + 1, size - 1);
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
	if (conf_check(&c, err, sizeof(err)) == -1)
		CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
	conf_free(&c);
	return 0;
}
