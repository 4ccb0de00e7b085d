/* Hooks: an administrator's program run at up, down, client-connect and
 * client-disconnect, as root, with SIMPLETUN_* variables (README: Hooks). */
#ifndef HOOK_H
#define HOOK_H

#include <stddef.h>
#include <sys/types.h>

#define HOOK_VARS_MAX 24
#define HOOK_TIMEOUT 30		/* seconds a hook may run */

/* The environment of one hook run: PATH and SIMPLETUN_* only. */
struct hook_env {
	char *vars[HOOK_VARS_MAX + 2];
	unsigned n;
	size_t used;
	char buf[8192];
};

/* NULL if path can be a hook (absolute, an executable regular file),
 * else why not. */
const char *hook_unusable(const char *path);
void hook_env_init(struct hook_env *e, const char *event);
/* Adds SIMPLETUN_<name>=value; what does not fit is left out. */
void hook_env_add(struct hook_env *e, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Starts path as root (a process that keeps CAP_SETUID gets there) with
 * stdin from /dev/null, stdout and stderr to our stderr, no other fd, the
 * default signal dispositions and SIGALRM after timeout_s. Returns its
 * pid, or -1. */
pid_t hook_spawn(const char *path, const struct hook_env *e,
    unsigned timeout_s);
/* The same with arguments: argv[0] is the program's absolute path. */
pid_t hook_spawn_argv(char *const argv[], const struct hook_env *e,
    unsigned timeout_s);
/* hook_spawn and wait for it. Returns its exit status, 128 + signal if a
 * signal ended it (SIGALRM: it ran out of time), -1 if it did not start. */
int hook_run(const char *path, const struct hook_env *e, unsigned timeout_s);
int hook_run_argv(char *const argv[], const struct hook_env *e,
    unsigned timeout_s);
/* The same figure from a waitpid status. */
int hook_status(int status);

#endif
