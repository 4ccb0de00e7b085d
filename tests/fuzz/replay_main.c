/* Runs a fuzz target over saved inputs without libFuzzer, so every build
 * (gcc, ASan) replays the seed corpus and past crashes as a regression
 * test. Arguments are files or directories of files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* Not every target has one; weak, so the symbol is NULL then. */
int LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

/* Each input gets a buffer of exactly its size, so that ASan sees a read
 * one byte past the end. */
static int
run_file(const char *path)
{
	struct stat st;
	uint8_t *buf = NULL;
	ssize_t n = -1;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1 &&
	    fstat(fd, &st) == 0 &&
	    (buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) != NULL)
		n = read(fd, buf, (size_t)st.st_size);
	if (fd != -1)
		close(fd);
	if (n == -1 || n != st.st_size) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int
skip_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Sorted, so a failing run names the same input every time. */
static int
run_dir(const char *dir, unsigned *count)
{
	struct dirent **e;
	char path[4096];
	int n, i, rc = 0;

	if ((n = scandir(dir, &e, skip_dot, alphasort)) == -1) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, e[i]->d_name);
		fprintf(stderr, "%s\n", path);
		if (run_file(path) == -1)
			rc = -1;
		(*count)++;
		free(e[i]);
	}
	free(e);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat st;
	unsigned count = 0;
	int i, rc = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc |= run_dir(argv[i], &count);
		else {
			rc |= run_file(argv[i]);
			count++;
		}
	}
	if (count == 0) {
		fprintf(stderr, "no inputs\n");
		return 1;
	}
	fprintf(stderr, "%u inputs passed\n", count);
	return rc == 0 ? 0 : 1;
}
