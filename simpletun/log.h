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

#endif
