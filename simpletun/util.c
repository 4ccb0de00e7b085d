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

#include "log.h"
#include "util.h"

volatile sig_atomic_t sig_term, sig_chld, sig_hup, sig_usr1, sig_usr2;
static volatile sig_atomic_t sig_hup_reloads;
static sigset_t sig_waitmask;

int
fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
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
ip6_str(const uint8_t addr[16], char buf[46])
{
	if (inet_ntop(AF_INET6, addr, buf, 46) == NULL)
		snprintf(buf, 46, "?");
	return buf;
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

		/* an IPv4 client of a dual-stack listener: as IPv4 */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], a,
			    sizeof(a));
			snprintf(buf, len, "%s:%u", a, ntohs(s6->sin6_port));
			return buf;
		}
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else
		snprintf(buf, len, "?");
	return buf;
}

bool
sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

bool
sa_is_any(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in = (const void *)ss;
	const struct sockaddr_in6 *in6 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		return in->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
}

void
sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

socklen_t
sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
}

/* Writes /proc/sys/fs/mqueue/name if it is below min: 0 if it is (now)
 * at least min, 1 if raised, -1 if it could not be. */
static int
mq_sysctl_at_least(const char *name, long min, long *was)
{
	char path[128], buf[32];
	FILE *f;
	int r = -1;

	snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", name);
	*was = 0;
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL)
			*was = strtol(buf, NULL, 10);
		fclose(f);
	}
	if (*was >= min)
		return 0;
	if ((f = fopen(path, "we")) != NULL) {
		fprintf(f, "%ld\n", min);
		r = fclose(f) == 0 ? 1 : -1;
	}
	return r;
}

static void
limits_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
		log_info("raised RLIMIT_NOFILE to %lu", (unsigned long)want);
		return;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	log_warnx("RLIMIT_NOFILE is %lu, below the %lu that max-clients "
	    "needs: raise it (ulimit -n, or LimitNOFILE=)",
	    (unsigned long)rl.rlim_cur, (unsigned long)want);
}

void
limits_raise(unsigned sessions, long qmsgs, long qmsgsize)
{
	static const char *const names[] = { "queues_max", "msg_max",
	    "msgsize_max" };
	const long want[] = { (long)sessions + 16, qmsgs, qmsgsize };
	struct rlimit rl;
	char raised[256] = "";
	long was;

	limits_nofile((rlim_t)sessions * 4 + 64);
	/* Each session's uid is charged for its own queue, up to this
	 * process's soft limit: take all that the hard one allows. */
	if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MSGQUEUE, &rl);
	}
	/* As root, room for one full-sized queue (with the kernel's
	 * bookkeeping) per uid; where that fails, queues come out smaller. */
	if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)(qmsgs * (qmsgsize + 64))) {
		rlim_t was_rl = rl.rlim_cur;

		rl.rlim_cur = (rlim_t)(qmsgs * (qmsgsize + 64));
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_MSGQUEUE, &rl) == 0)
			snprintf(raised, sizeof(raised), "RLIMIT_MSGQUEUE %lu -> "
			    "%lu", (unsigned long)was_rl,
			    (unsigned long)rl.rlim_cur);
	}
	for (size_t i = 0; i < 3; i++) {
		int r = mq_sysctl_at_least(names[i], want[i], &was);
		size_t n = strlen(raised);

		if (r == 1)
			snprintf(raised + n, sizeof(raised) - n,
			    "%sfs.mqueue.%s %ld -> %ld", n ? ", " : "", names[i],
			    was, want[i]);
		else if (r == -1)
			log_warnx("fs.mqueue.%s is %ld, below the %ld needed: "
			    "sysctl -w fs.mqueue.%s=%ld", names[i], was,
			    want[i], names[i], want[i]);
	}
	if (raised[0] != '\0')
		log_info("raised %s", raised);
}

static int
caps_set(uint64_t caps)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].permitted = d[0].effective = (uint32_t)caps;
	d[1].permitted = d[1].effective = (uint32_t)(caps >> 32);
	return (int)syscall(SYS_capset, &h, d);
}

int
priv_drop_keep(const char *user, uint64_t caps)
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
	return caps_set(caps);
}

static void
sig_handler(int sig)
{
	if (sig == SIGCHLD)
		sig_chld = 1;
	else if (sig == SIGHUP && sig_hup_reloads)
		sig_hup = 1;
	else if (sig == SIGUSR1)
		sig_usr1 = 1;
	else if (sig == SIGUSR2)
		sig_usr2 = 1;
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
	/* A stray SIGPIPE, SIGUSR1 or SIGUSR2 (someone's kill -USR1 meant
	 * for another daemon) must not end a session or the server. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);

	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &sig_waitmask);
}

void
sig_setup_reload(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sig_hup_reloads = 1;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, NULL);
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
