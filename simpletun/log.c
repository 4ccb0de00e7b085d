/* Log lines: "simpletun[PID] ROLE cn=CN vaddr=ADDR: message". */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "log.h"

static char log_role[32] = "simpletun";
static char log_client[128];
static int log_verbose = 1;
static int log_exit_code = 3;

void
log_init(const char *role, int verbose)
{
	log_verbose = verbose;
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

/* One write() per line so lines of several processes never interleave. */
static void
log_vline(const char *suffix, const char *fmt, va_list ap)
{
	char line[1024];
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
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}

#define LOG_BODY(suffix) do {		\
	va_list ap;			\
	va_start(ap, fmt);		\
	log_vline(suffix, fmt, ap);	\
	va_end(ap);			\
} while (0)

void
log_info(const char *fmt, ...)
{
	if (log_verbose >= 1)
		LOG_BODY(NULL);
}

void
log_debug(const char *fmt, ...)
{
	if (log_verbose >= 2)
		LOG_BODY(NULL);
}

void
log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY(e);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(NULL);
}

void
fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY(e);
	exit(log_exit_code);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(NULL);
	exit(log_exit_code);
}
