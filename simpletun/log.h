/* One log module: one line per event on stderr, naming the process role and,
 * once known, the client's CN and virtual address. Lines are escaped here:
 * a byte outside printable ASCII shows as \xNN, a backslash as \\. */
#ifndef LOG_H
#define LOG_H

#include <stdnoreturn.h>

void log_init(const char *role, int verbose);
void log_set_role(const char *role);
void log_set_client(const char *cn, const char *vaddr);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends strerror(errno); log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* End this one process: with errno text, without. Exit code 3 by default. */
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_exit_code(int code);

/* A warning that an attacker can repeat at will (a flood of connections):
 * at most one line a second per log_rate; what came in between is told in
 * one more line, with the last of them and how many there were, by
 * log_rate_flush once the second is over. */
struct log_rate {
	long long next_ms;
	unsigned suppressed;
	char last[256];
};
void log_warnx_rate(struct log_rate *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes the line for what was suppressed if its second is over; returns
 * the ms until it will be (for a poll timeout), or -1 if nothing waits. */
int log_rate_flush(struct log_rate *r);

#endif
