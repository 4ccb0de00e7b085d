/* Hooks run from the main process of each side, never from a network-facing
 * one: the client's parent is root already; the server's acceptor runs as
 * `user` but keeps CAP_SETUID and CAP_SETGID, so its fork can become root
 * before the exec (no more than the acceptor could do itself). The guard,
 * control and data processes are seccomp-filtered and never fork or exec.
 * A hook gets a clean environment (PATH and SIMPLETUN_*), so nothing of
 * the daemon's leaks into it, and no fd but stdin, stdout and stderr. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hook.h"

const char *
hook_unusable(const char *path)
{
	struct stat st;

	if (path[0] != '/')
		return "not an absolute path";
	if (stat(path, &st) == -1)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (!(st.st_mode & S_IXUSR))
		return "not executable";
	return NULL;
}

void
hook_env_init(struct hook_env *e, const char *event)
{
	static const char path[] =
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

	memcpy(e->buf, path, sizeof(path));
	e->vars[0] = e->buf;
	e->vars[1] = NULL;
	e->n = 1;
	e->used = sizeof(path);
	hook_env_add(e, "EVENT", "%s", event);
}

void
hook_env_add(struct hook_env *e, const char *name, const char *fmt, ...)
{
	size_t room = sizeof(e->buf) - e->used;
	va_list ap;
	int n, m;

	if (e->n >= HOOK_VARS_MAX)
		return;
	n = snprintf(e->buf + e->used, room, "SIMPLETUN_%s=", name);
	if (n < 0 || (size_t)n >= room)
		return;
	va_start(ap, fmt);
	m = vsnprintf(e->buf + e->used + n, room - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)(n + m) >= room)
		return;
	e->vars[e->n++] = e->buf + e->used;
	e->vars[e->n] = NULL;
	e->used += (size_t)(n + m) + 1;
}

/* In the forked child: async-signal-safe calls only. The time limit is an
 * alarm, which survives the exec: a hook runs as root, which the acceptor
 * (as `user`) could not signal. */
static void
hook_exec(char *const argv[], const struct hook_env *e, unsigned timeout_s)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int fd;

	if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(fd, STDIN_FILENO) == -1 || dup2(STDERR_FILENO,
	    STDOUT_FILENO) == -1)
		_exit(127);
	close_range(3, ~0U, 0);
	sigaction(SIGPIPE, &dfl, NULL);
	sigaction(SIGUSR1, &dfl, NULL);
	sigaction(SIGUSR2, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	alarm(timeout_s);
	if (geteuid() != 0 && (setgroups(0, NULL) == -1 ||
	    setresgid(0, 0, 0) == -1 || setresuid(0, 0, 0) == -1))
		_exit(126);
	execve(argv[0], argv, (char *const *)e->vars);
	_exit(127);
}

pid_t
hook_spawn(const char *path, const struct hook_env *e, unsigned timeout_s)
{
	char *argv[] = { (char *)path, NULL };

	return hook_spawn_argv(argv, e, timeout_s);
}

pid_t
hook_spawn_argv(char *const argv[], const struct hook_env *e,
    unsigned timeout_s)
{
	pid_t pid = fork();

	if (pid == 0)
		hook_exec(argv, e, timeout_s);
	return pid;
}

int
hook_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int
hook_run(const char *path, const struct hook_env *e, unsigned timeout_s)
{
	char *argv[] = { (char *)path, NULL };

	return hook_run_argv(argv, e, timeout_s);
}

int
hook_run_argv(char *const argv[], const struct hook_env *e,
    unsigned timeout_s)
{
	int status;
	pid_t pid, r;

	if ((pid = hook_spawn_argv(argv, e, timeout_s)) == -1)
		return -1;
	while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
		;
	return r == pid ? hook_status(status) : -1;
}
