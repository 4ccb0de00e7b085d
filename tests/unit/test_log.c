/* The log module: a line stays one line whatever a peer put in its CN or
 * in the text, escape sequences never reach the terminal, and ordinary text
 * comes out as it went in. stderr goes to a temporary file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* Under systemd, stderr is journald's stream and JOURNAL_STREAM names it:
 * each line starts with its sd-daemon priority. Anywhere else (a name of
 * another file, garbage) lines stay as they are. */
static void
test_journal(void)
{
	struct stat st;
	char env[64], want[256];
	const char *got;

	if (fstat(STDERR_FILENO, &st) == -1)
		abort();
	snprintf(env, sizeof(env), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_init("acceptor", 2);
	log_info("listening");
	log_debug("detail");
	log_warnx("refused");
	errno = EPERM;
	log_warn("open");
	got = captured();
	snprintf(want, sizeof(want), "<6>simpletun[%d] acceptor: listening\n"
	    "<7>simpletun[%d] acceptor: detail\n"
	    "<4>simpletun[%d] acceptor: refused\n"
	    "<4>simpletun[%d] acceptor: open: Operation not permitted\n",
	    (int)getpid(), (int)getpid(), (int)getpid(), (int)getpid());
	if (strcmp(got, want) != 0) {
		printf("FAIL: priorities for the journal\n  got:  %s  want: %s",
		    got, want);
		failures++;
	}

	snprintf(env, sizeof(env), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", env, 1);
	log_init("acceptor", 1);
	log_info("x");
	expect("another stream's JOURNAL_STREAM: no prefix", "acceptor: x\n");

	setenv("JOURNAL_STREAM", "12:34x", 1);
	log_init("acceptor", 1);
	log_info("x");
	expect("a malformed JOURNAL_STREAM: no prefix", "acceptor: x\n");
	unsetenv("JOURNAL_STREAM");
}

/* fatalx ends the process with priority 3 (err) in the journal. */
static void
test_journal_fatal(void)
{
	struct stat st;
	char env[64], want[128];
	const char *got;
	pid_t pid;
	int status;

	if (fstat(STDERR_FILENO, &st) == -1)
		abort();
	snprintf(env, sizeof(env), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		setenv("JOURNAL_STREAM", env, 1);
		log_init("acceptor", 1);
		fatalx("gone");
	}
	if (pid == -1 || waitpid(pid, &status, 0) != pid)
		abort();
	got = captured();
	snprintf(want, sizeof(want), "<3>simpletun[%d] acceptor: gone\n",
	    (int)pid);
	if (strcmp(got, want) != 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 3) {
		printf("FAIL: fatalx in the journal\n  got:  %s  want: %s",
		    got, want);
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
	test_journal();
	test_journal_fatal();

	if (failures == 0)
		printf("log: all tests passed\n");
	return failures != 0;
}
