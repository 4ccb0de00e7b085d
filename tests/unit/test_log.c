/* The log module: a line stays one line whatever a peer put in its CN or
 * in the text, escape sequences never reach the terminal, and ordinary text
 * comes out as it went in. stderr goes to a temporary file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int failures;
static char out[8192];
static FILE *capture;

/* What the log wrote since the last call. */
static const char *
captured(void)
{
	size_t n;

	fflush(capture);
	rewind(capture);
	n = fread(out, 1, sizeof(out) - 1, capture);
	out[n] = '\0';
	rewind(capture);
	if (ftruncate(fileno(capture), 0) == -1)
		abort();
	return out;
}

static void
expect(const char *what, const char *want_after_pid)
{
	const char *got = captured();
	char want[8192];

	want[0] = '\0';
	if (want_after_pid != NULL)	/* NULL: nothing at all */
		snprintf(want, sizeof(want), "simpletun[%d] %s",
		    (int)getpid(), want_after_pid);
	if (strcmp(got, want) != 0) {
		printf("FAIL: %s\n  got:  %s  want: %s", what, got, want);
		failures++;
	}
}

static int
count(const char *s, char c)
{
	int n = 0;

	while ((s = strchr(s, c)) != NULL && *s++ != '\0')
		n++;
	return n;
}

static void
test_long(void)
{
	char nl[2000];
	const char *got;

	memset(nl, '\n', sizeof(nl) - 1);
	nl[sizeof(nl) - 1] = '\0';
	log_info("%s", nl);
	got = captured();
	if (count(got, '\n') != 1 || got[strlen(got) - 1] != '\n' ||
	    strlen(got) > 4096) {
		printf("FAIL: 2000 newlines give one line of at most 4096 "
		    "bytes (%zu bytes, %d lines)\n", strlen(got),
		    count(got, '\n'));
		failures++;
	}
}

int
main(void)
{
	if ((capture = tmpfile()) == NULL ||
	    dup2(fileno(capture), STDERR_FILENO) == -1)
		return 2;
	log_init("control", 1);

	log_info("plain text: 198.51.100.7:1194 ok (42 bytes, 100%%)");
	expect("ordinary text is unchanged",
	    "control: plain text: 198.51.100.7:1194 ok (42 bytes, 100%)\n");

	log_set_client("alice\nsimpletun[1]: fake", "198.18.0.2");
	log_info("hello");
	expect("a newline in the CN",
	    "control cn=alice\\x0asimpletun[1]: fake vaddr=198.18.0.2: "
	    "hello\n");

	log_set_client("alice", NULL);
	log_warnx("peer says %s", "\x1b]0;owned\x07\x1b[2J\r");
	expect("escape sequences",
	    "control cn=alice: peer says \\x1b]0;owned\\x07\\x1b[2J\\x0d\n");

	log_info("%s", "a\\x0a b");
	expect("a backslash is doubled", "control cn=alice: a\\\\x0a b\n");

	log_info("caf\xc3\xa9\t%c\x7f", 0);
	expect("UTF-8, tab, NUL and DEL",
	    "control cn=alice: caf\\xc3\\xa9\\x09\\x00\\x7f\n");

	errno = ENOENT;
	log_warn("open %s", "x");
	expect("log_warn appends errno",
	    "control cn=alice: open x: No such file or directory\n");

	log_debug("not at verbosity 1");
	expect("log_debug is quiet at verbosity 1", NULL);

	log_set_role("data");
	log_set_client(NULL, "198.18.0.3");
	log_info("up");
	expect("a new role forgets the CN", "data vaddr=198.18.0.3: up\n");

	test_long();

	if (failures == 0)
		printf("log: all tests passed\n");
	return failures != 0;
}
