/* Helpers for the process roles; unlike library modules they may log. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

volatile sig_atomic_t sig_term, sig_chld;
static sigset_t sig_waitmask;

int
fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

static int
int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* After fork a child keeps only the fds it owns: whatever else it inherited
 * (other clients' sockets, the listener) must not outlive the parent's use.
 * close_range() needs no /proc, which an unprivileged, non-dumpable process
 * may not read. */
void
fd_close_except(const int *keep, size_t nkeep)
{
	int sorted[16];
	size_t n = 0;
	unsigned int from = 3;

	for (size_t i = 0; i < nkeep && n < 16; i++)
		if (keep[i] >= 3)
			sorted[n++] = keep[i];
	qsort(sorted, n, sizeof(sorted[0]), int_cmp);
	for (size_t i = 0; i < n; i++) {
		if ((unsigned int)sorted[i] > from)
			close_range(from, (unsigned int)sorted[i] - 1, 0);
		if ((unsigned int)sorted[i] >= from)
			from = (unsigned int)sorted[i] + 1;
	}
	close_range(from, ~0U, 0);
}

void
children_end(void (*signal_all)(void *arg, int sig), void *arg, int ms)
{
	uint64_t deadline = now_ms() + (uint64_t)ms;

	signal_all(arg, SIGTERM);
	while (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD) {
		if (now_ms() > deadline) {
			signal_all(arg, SIGKILL);
			while (waitpid(-1, NULL, 0) > 0)
				;
			return;
		}
		usleep(10000);
	}
}

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
ip4_str(uint32_t addr, char buf[16])
{
	struct in_addr in = { .s_addr = htonl(addr) };

	if (inet_ntop(AF_INET, &in, buf, 16) == NULL)
		snprintf(buf, 16, "?");
	return buf;
}

const char *
sa_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else
		snprintf(buf, len, "?");
	return buf;
}

/* Every queue counts against its creator's RLIMIT_MSGQUEUE; the default
 * 800 KiB would hold queues for a handful of clients. Raising the hard
 * limit needs CAP_SYS_RESOURCE; without it the soft limit goes up to the
 * hard one. */
void
priv_raise_mq_limit(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_MSGQUEUE, &rl) == 0 ||
	    getrlimit(RLIMIT_MSGQUEUE, &rl) == -1)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_MSGQUEUE, &rl);
}

static int
caps_set(uint32_t caps)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].permitted = d[0].effective = caps;
	return (int)syscall(SYS_capset, &h, d);
}

int
priv_drop_keep_resource(const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0' || strcmp(user, "root") == 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (prctl(PR_SET_KEEPCAPS, 1) == -1 ||
	    setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1 ||
	    prctl(PR_SET_KEEPCAPS, 0) == -1)
		return -1;
	/* Where root itself lacks it (a container), keep nothing. */
	if (caps_set(1u << CAP_SYS_RESOURCE) == -1)
		return caps_set(0);
	return 0;
}

int
priv_drop(const char *user)
{
	if (priv_drop_keep_resource(user) == -1)
		return -1;
	return priv_drop_caps();
}

int
priv_drop_caps(void)
{
	if (getuid() == 0)
		return 0;	/* user root: nothing was dropped */
	return caps_set(0);
}

static void
sig_handler(int sig)
{
	if (sig == SIGCHLD)
		sig_chld = 1;
	else
		sig_term = 1;
}

void
sig_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &sig_waitmask);
}

int
poll_wait(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
		tsp = &ts;
	}
	return ppoll(fds, n, tsp, &sig_waitmask);
}
