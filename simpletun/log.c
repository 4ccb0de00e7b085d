/* Log lines: "simpletun[PID] ROLE cn=CN vaddr=ADDR: message", with a
 * "<N>" priority in front when stderr is the journal. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* sd-daemon(3) priorities, which journald takes from a "<N>" prefix. */
enum { LOG_PRI_ERR = 3, LOG_PRI_WARNING = 4, LOG_PRI_INFO = 6,
    LOG_PRI_DEBUG = 7 };

static char log_role[32] = "simpletun";
static char log_client[128];
static int log_verbose = 1;
static int log_exit_code = 3;
static bool log_journal;	/* stderr is journald's stream */

/* systemd names the stream it connected to stderr in JOURNAL_STREAM as
 * "DEV:INO"; only while stderr is still that stream (not redirected by a
 * shell or a test) does a "<N>" prefix mean anything to the reader. */
static bool
log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (env == NULL || *env < '0' || *env > '9')
		return false;
	errno = 0;
	dev = strtoull(env, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	ino = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *role, int verbose)
{
	log_verbose = verbose;
	log_journal = log_stderr_is_journal();
	log_set_role(role);
}

void
log_set_role(const char *role)
{
	snprintf(log_role, sizeof(log_role), "%s", role);
	log_client[0] = '\0';
}

void
log_set_client(const char *cn, const char *vaddr)
{
	snprintf(log_client, sizeof(log_client), "%s%s%s%s",
	    cn ? " cn=" : "", cn ? cn : "", vaddr ? " vaddr=" : "",
	    vaddr ? vaddr : "");
}

void
log_set_exit_code(int code)
{
	log_exit_code = code;
}

/* Every byte outside printable ASCII becomes \xNN and a backslash \\, so
 * nothing a peer sent (a CN, an error text) can end the line, forge another
 * or reach a terminal as an escape sequence. Stops where out is full;
 * returns the length written. */
static size_t
log_escape(char *out, size_t cap, const char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = in[i];

		if (c >= 0x20 && c <= 0x7e && c != '\\') {
			if (n + 1 > cap)
				break;
			out[n++] = c;
		} else if (c == '\\') {
			if (n + 2 > cap)
				break;
			out[n++] = '\\';
			out[n++] = '\\';
		} else {
			if (n + 4 > cap)
				break;
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 0xf];
		}
	}
	return n;
}

/* One write() per line, at most PIPE_BUF bytes, so lines of several
 * processes never interleave. The whole line is escaped here, the one place
 * every log line passes. */
static void
log_vline(int pri, const char *suffix, const char *fmt, va_list ap)
{
	char line[1024], out[4096];
	size_t len = 0;
	int n, m;

	n = snprintf(line, sizeof(line), "simpletun[%d] %s%s: ", (int)getpid(),
	    log_role, log_client);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m < 0)
		return;
	n = (size_t)(n + m) >= sizeof(line) ? (int)sizeof(line) - 1 : n + m;
	if (suffix != NULL) {
		m = snprintf(line + n, sizeof(line) - n, ": %s", suffix);
		if (m > 0)
			n = (size_t)(n + m) >= sizeof(line) ?
			    (int)sizeof(line) - 1 : n + m;
	}
	if (log_journal) {
		out[len++] = '<';
		out[len++] = (char)('0' + pri);
		out[len++] = '>';
	}
	len += log_escape(out + len, sizeof(out) - 1 - len, line, n);
	out[len++] = '\n';
	if (write(STDERR_FILENO, out, len) < 0) {
		/* nowhere left to report it */
	}
}

#define LOG_BODY(pri, suffix) do {	\
	va_list ap;			\
	va_start(ap, fmt);		\
	log_vline(pri, suffix, fmt, ap);	\
	va_end(ap);			\
} while (0)

void
log_info(const char *fmt, ...)
{
	if (log_verbose >= 1)
		LOG_BODY(LOG_PRI_INFO, NULL);
}

void
log_debug(const char *fmt, ...)
{
	if (log_verbose >= 2)
		LOG_BODY(LOG_PRI_DEBUG, NULL);
}

void
log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY(LOG_PRI_WARNING, e);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_PRI_WARNING, NULL);
}

static long long
log_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
log_rate_flush(struct log_rate *r)
{
	long long now = log_now_ms();

	if (r->suppressed == 0)
		return -1;
	if (now < r->next_ms)
		return (int)(r->next_ms - now);
	log_warnx("%s (and %u more like it in the last second)", r->last,
	    r->suppressed);
	r->suppressed = 0;
	r->next_ms = now + 1000;
	return -1;
}

void
log_warnx_rate(struct log_rate *r, const char *fmt, ...)
{
	long long now = log_now_ms();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->last, sizeof(r->last), fmt, ap);
	va_end(ap);
	if (now < r->next_ms) {
		r->suppressed++;
		return;
	}
	log_warnx("%s", r->last);
	r->next_ms = now + 1000;
}

void
fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY(LOG_PRI_ERR, e);
	exit(log_exit_code);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_PRI_ERR, NULL);
	exit(log_exit_code);
}
