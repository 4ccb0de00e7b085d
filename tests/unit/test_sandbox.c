/* Unit test of the seccomp sandbox. For each role a forked child enters it
 * and does what that role does after setup, then exit(0); the status must
 * be exactly "exited 0". Every forbidden call runs in a child of its own,
 * whose status must be exactly "killed by SIGSYS". A control and a client
 * control process also make a TLS 1.3 handshake, exchange and key update
 * inside their sandboxes. A SOCK_DGRAM socketpair stands in for tun: a
 * packet per read or write like tun, and unlike a pipe it also answers the
 * recv() family, so that those calls on tun are really tried. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

/* A forbidden call that returned instead of killing its child. */
#define RETURNED 42
/* sandbox_enter() failed in the child. */
#define NOT_ENTERED 43
#define HIGH_BITS (1L << 32)	/* the kernel drops them from an fd */

static const char packet[] = "a packet";
static const char message[] = "a message";

/* What a child may use, opened anew in the parent for every child. */
struct fixture {
	int	 tun, tun_peer;		/* SOCK_DGRAM pair: tun, the kernel */
	int	 unx, unx_peer;		/* SOCK_SEQPACKET: to a sibling */
	int	 udp, udp_peer;		/* both bound on 127.0.0.1 */
	struct sockaddr_in peer;	/* udp_peer's address */
	mqd_t	 q;			/* a queue, its name already gone */
};

#include "check.h"

/* In a child: a failed step names its line, then exit status 1. */
#define STEP(cond) do {							\
	if (!(cond))							\
		child_fail(__LINE__, #cond);				\
} while (0)

static void
child_fail(int line, const char *what)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s:%d: in the sandbox: %s "
	    "failed (errno %d)\n", __FILE__, line, what, errno);

	if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
	_exit(1);
}

/* Sends one message on fd, carrying fd pass with SCM_RIGHTS if >= 0. */
static ssize_t
send_fd(int fd, const void *buf, size_t len, int pass)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (pass >= 0) {
		memset(&c, 0, sizeof(c));
		m.msg_control = c.b;
		m.msg_controllen = sizeof(c.b);
		c.h.cmsg_level = SOL_SOCKET;
		c.h.cmsg_type = SCM_RIGHTS;
		c.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&c.h), &pass, sizeof(int));
	}
	return sendmsg(fd, &m, 0);
}

/* Receives one message and the fd it carries (-1 if none) into *fd. */
static ssize_t
recv_fd(int fd, void *buf, size_t len, int *got)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = c.b, .msg_controllen = sizeof(c.b) };
	struct cmsghdr *h;
	ssize_t n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);

	*got = -1;
	h = n >= 0 ? CMSG_FIRSTHDR(&m) : NULL;
	if (h != NULL && h->cmsg_type == SCM_RIGHTS)
		memcpy(got, CMSG_DATA(h), sizeof(int));
	return n;
}

static int
udp_bound(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) == -1) {
		perror("UDP socket on 127.0.0.1");
		exit(1);
	}
	return fd;
}

/* Everything a child finds waiting: a packet on tun, two messages (one
 * with an fd) on the Unix socket, two datagrams on UDP, one in the queue. */
static void
fixture_open(struct fixture *f)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	struct sockaddr_in me;
	char name[64];
	int p[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, p) == -1)
		goto fail;
	f->tun = p[0];
	f->tun_peer = p[1];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) == -1)
		goto fail;
	f->unx = p[0];
	f->unx_peer = p[1];
	f->udp = udp_bound(&me);
	f->udp_peer = udp_bound(&f->peer);
	snprintf(name, sizeof(name), "/simpletun-test-sandbox-%d",
	    (int)getpid());
	f->q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK |
	    O_CLOEXEC, 0600, &a);
	if (f->q == (mqd_t)-1 || mq_unlink(name) == -1 ||
	    write(f->tun_peer, packet, sizeof(packet)) == -1 ||
	    send(f->unx_peer, message, sizeof(message), 0) == -1 ||
	    send_fd(f->unx_peer, message, sizeof(message), f->tun_peer) == -1 ||
	    mq_send(f->q, message, sizeof(message), 0) == -1)
		goto fail;
	for (int i = 0; i < 2; i++)
		if (sendto(f->udp_peer, packet, sizeof(packet), 0,
		    (struct sockaddr *)&me, sizeof(me)) == -1)
			goto fail;
	return;
fail:
	perror("test fixture");
	exit(1);
}

static void
fixture_close(struct fixture *f)
{
	close(f->tun);
	close(f->tun_peer);
	close(f->unx);
	close(f->unx_peer);
	close(f->udp);
	close(f->udp_peer);
	mq_close(f->q);
}

static long forbidden_call(struct fixture *f, int which);

static volatile sig_atomic_t got_usr1;

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* Before the sandbox: SIGUSR1 sets a flag, blocked and already pending, as
 * the roles keep their signals blocked except inside ppoll(). */
static void
signal_pending(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (sigaction(SIGUSR1, &sa, NULL) == -1 ||
	    sigprocmask(SIG_BLOCK, &usr1, NULL) == -1 || raise(SIGUSR1) != 0)
		child_fail(__LINE__, "a pending SIGUSR1");
}

/* The tun argument the role's caller passes. */
static int
tun_of(enum sandbox_role role, const struct fixture *f)
{
	return role == SANDBOX_GUARD || role == SANDBOX_DATA ? f->tun : -1;
}

/* Forks a child that enters role's sandbox (unless !enter) and runs fn, or
 * forbidden call which if fn is NULL; if that returns, the child exits
 * RETURNED. The child's wait status. */
static int
run_child(enum sandbox_role role, bool enter, void (*fn)(struct fixture *),
    int which)
{
	struct fixture f;
	int status;
	pid_t pid;

	fixture_open(&f);
	fflush(NULL);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		signal_pending();
		if (enter && sandbox_enter(role, tun_of(role, &f)) == -1)
			child_fail(__LINE__, "sandbox_enter");
		if (fn != NULL)
			fn(&f);
		else
			(void)forbidden_call(&f, which);
		_exit(RETURNED);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			perror("waitpid");
			exit(1);
		}
	fixture_close(&f);
	return status;
}

static void
status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "wait status %#x", status);
}

static void
expect_exit(enum sandbox_role role, const char *what, int status, int code)
{
	char got[64];

	if (WIFEXITED(status) && WEXITSTATUS(status) == code)
		return;
	status_str(status, got, sizeof(got));
	printf("FAIL: %s: %s: %s, want exit %d\n", sandbox_role_name(role),
	    what, got, code);
	failures++;
}

static void
expect_signal(enum sandbox_role role, const char *what, int status, int sig)
{
	char got[64];

	if (WIFSIGNALED(status) && WTERMSIG(status) == sig)
		return;
	status_str(status, got, sizeof(got));
	printf("FAIL: %s: %s: %s, want %s\n", sandbox_role_name(role), what,
	    got, strsignal(sig));
	failures++;
}

/* What every role does: log, time, malloc, ppoll() that runs a signal
 * handler, fd flags, random bytes, messages (one with an fd) on a Unix
 * socket. */
static void
allowed_common(struct fixture *f)
{
	static const char line[] = "test_sandbox: a log line from a sandbox\n";
	struct pollfd idle = { .fd = f->unx_peer, .events = POLLIN };
	struct pollfd pfd = { .fd = f->unx, .events = POLLIN };
	const struct timespec zero = { 0, 0 };
	struct timespec ts;
	unsigned char rnd[32];
	char buf[64], *p, *q = NULL;
	sigset_t none;
	int fl, got;

	STEP(write(STDERR_FILENO, line, sizeof(line) - 1) > 0);
	STEP(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
	STEP(syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts) == 0);
	STEP(syscall(SYS_getpid) == getpid());
	STEP((p = malloc(1 << 20)) != NULL);
	memset(p, 1, 1 << 20);
	free(p);
	for (size_t n = 16; n <= (4 << 20); n *= 2) {
		STEP((p = realloc(q, n)) != NULL);
		memset(p, 2, n);
		q = p;
	}
	free(q);
	sigemptyset(&none);
	STEP(ppoll(&idle, 1, &zero, &none) == -1 && errno == EINTR &&
	    got_usr1);
	STEP(ppoll(&pfd, 1, &zero, &none) == 1 && (pfd.revents & POLLIN));
	STEP((fl = fcntl(f->unx, F_GETFL)) != -1);
	STEP(fcntl(f->unx, F_SETFL, fl | O_NONBLOCK) == 0);
	STEP(fcntl(f->unx, F_SETFD, FD_CLOEXEC) == 0);
	STEP(fcntl(f->unx, F_GETFD) == FD_CLOEXEC);
	STEP(getrandom(rnd, sizeof(rnd), 0) == sizeof(rnd));
	STEP(recv(f->unx, buf, sizeof(buf), 0) == sizeof(message));
	STEP(recv_fd(f->unx, buf, sizeof(buf), &got) == sizeof(message));
	STEP(got >= 0 && close(got) == 0);
	STEP(send(f->unx, message, sizeof(message), 0) == sizeof(message));
	STEP(send_fd(f->unx, message, sizeof(message), -1) ==
	    sizeof(message));
}

/* Guard: packets from tun, stray datagrams, a batch into a queue. */
static void
allowed_guard(struct fixture *f)
{
	struct iovec iov[2];
	struct mmsghdr mm[2];
	struct mq_attr a;
	char buf[2][64];

	allowed_common(f);
	STEP(read(f->tun, buf[0], sizeof(buf[0])) == sizeof(packet));
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 2; i++) {
		iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	STEP(recvmmsg(f->udp, mm, 2, MSG_DONTWAIT, NULL) == 2);
	STEP(mq_send(f->q, packet, sizeof(packet), 0) == 0);
	STEP(mq_getattr(f->q, &a) == 0 && a.mq_curmsgs == 2);
	/* tap: the reverse queue */
	STEP(mq_receive(f->q, buf[0], sizeof(buf[0]), NULL) > 0);
	STEP(mq_send(f->q, packet, sizeof(packet), 0) == 0);
	exit(0);
}

/* Control: TLS records on a stream socket with read() and write(). */
static void
allowed_control(struct fixture *f)
{
	char buf[64];

	allowed_common(f);
	STEP(write(f->unx, message, sizeof(message)) == sizeof(message));
	STEP(shutdown(f->unx, SHUT_WR) == 0);
	STEP(read(f->unx_peer, buf, sizeof(buf)) > 0);
	exit(0);
}

/* Both data processes: datagrams in and out in batches, following a
 * client to its new address. */
static void
allowed_udp(struct fixture *f)
{
	struct iovec iov[2];
	struct mmsghdr mm[2];
	char buf[2][64];

	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 2; i++) {
		iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	STEP(recvmmsg(f->udp, mm, 2, MSG_DONTWAIT, NULL) == 2);
	STEP(connect(f->udp, (struct sockaddr *)&f->peer,
	    sizeof(f->peer)) == 0);
	for (int i = 0; i < 2; i++)
		iov[i].iov_len = mm[i].msg_len;
	STEP(sendmmsg(f->udp, mm, 2, 0) == 2);
	STEP(send(f->udp, packet, sizeof(packet), 0) == sizeof(packet));
}

/* Server data: packets from its queue into tun. */
static void
allowed_data(struct fixture *f)
{
	struct mq_attr a;
	char buf[64];

	allowed_common(f);
	allowed_udp(f);
	STEP(mq_getattr(f->q, &a) == 0 && a.mq_curmsgs == 1);
	STEP(mq_receive(f->q, buf, sizeof(buf), NULL) == sizeof(message));
	STEP(write(f->tun, packet, sizeof(packet)) == sizeof(packet));
	/* tap: the reverse queue, to the guard */
	STEP(mq_send(f->q, packet, sizeof(packet), 0) == 0);
	exit(0);
}

/* Client data: tun both ways. */
static void
allowed_client_data(struct fixture *f)
{
	char buf[64];

	allowed_common(f);
	allowed_udp(f);
	STEP(read(f->tun, buf, sizeof(buf)) == sizeof(packet));
	STEP(write(f->tun, packet, sizeof(packet)) == sizeof(packet));
	exit(0);
}

static void (*const allowed[])(struct fixture *) = {
	[SANDBOX_GUARD] = allowed_guard,
	[SANDBOX_CONTROL] = allowed_control,
	[SANDBOX_DATA] = allowed_data,
	[SANDBOX_CLIENT_CONTROL] = allowed_control,
	[SANDBOX_CLIENT_DATA] = allowed_client_data,
};

#define NROLES (sizeof(allowed) / sizeof(allowed[0]))


#define R_GUARD		(1u << SANDBOX_GUARD)
#define R_DATA		(1u << SANDBOX_DATA)
#define R_TLS		(1u << SANDBOX_CONTROL | 1u << SANDBOX_CLIENT_CONTROL)
#define R_CDATA		(1u << SANDBOX_CLIENT_DATA)
#define R_ALL		(R_GUARD | R_DATA | R_TLS | R_CDATA)

enum forbidden {
	NO_OPEN, NO_OPENAT, NO_EXECVE, NO_FORK, NO_SOCKET, NO_SOCKETPAIR, NO_BIND,
	NO_LISTEN, NO_PTRACE, NO_SETUID, NO_KILL, NO_TGKILL_TERM, NO_MMAP_EXEC,
	NO_MMAP_FD, NO_MPROTECT_EXEC, NO_DUP, NO_DUP2, NO_DUP3, NO_DUPFD,
	NO_DUPFD_CLOEXEC, NO_DUPFD_HIGH, NO_IOCTL, NO_PRCTL, NO_SETSOCKOPT,
	NO_CONNECT, NO_MQ_SEND, NO_MQ_RECEIVE, NO_RECVMMSG, NO_SENDMMSG,
	NO_READ_UNX, NO_READ_TUN, NO_READV_TUN, NO_RECV_TUN, NO_RECVMSG_TUN,
	NO_RECVMMSG_TUN, NO_RECV_TUN_HIGH, NO_RECVMSG_TUN_HIGH, NO_WRITE_TUN,
	NO_WRITEV_TUN, NO_SEND_TUN, NO_SENDMSG_TUN, NO_SENDMMSG_TUN,
	NO_WRITE_TUN_HIGH, NO_COUNT
};

/* Each forbidden call and the roles it must kill. */
static const struct {
	const char	*name;
	unsigned	 roles;
} forbidden[NO_COUNT] = {
	[NO_OPEN] = { "open /etc/passwd", R_ALL },
	[NO_OPENAT] = { "openat /etc/passwd", R_ALL },
	[NO_EXECVE] = { "execve /bin/true", R_ALL },
	[NO_FORK] = { "fork", R_ALL },
	[NO_SOCKET] = { "socket AF_INET", R_ALL },
	[NO_SOCKETPAIR] = { "socketpair AF_UNIX", R_ALL },
	[NO_BIND] = { "bind", R_ALL },
	[NO_LISTEN] = { "listen", R_ALL },
	[NO_PTRACE] = { "ptrace PTRACE_TRACEME", R_ALL },
	[NO_SETUID] = { "setuid 0", R_ALL },
	[NO_KILL] = { "kill the parent", R_ALL },
	[NO_TGKILL_TERM] = { "tgkill itself with SIGTERM", R_ALL },
	[NO_MMAP_EXEC] = { "mmap PROT_EXEC", R_ALL },
	[NO_MMAP_FD] = { "mmap an fd", R_ALL },
	[NO_MPROTECT_EXEC] = { "mprotect PROT_EXEC", R_ALL },
	[NO_DUP] = { "dup tun", R_ALL },
	[NO_DUP2] = { "dup2 tun", R_ALL },
	[NO_DUP3] = { "dup3 tun", R_ALL },
	[NO_DUPFD] = { "fcntl F_DUPFD tun", R_ALL },
	[NO_DUPFD_CLOEXEC] = { "fcntl F_DUPFD_CLOEXEC tun", R_ALL },
	[NO_DUPFD_HIGH] = { "fcntl F_DUPFD + 2^32 tun", R_ALL },
	[NO_IOCTL] = { "ioctl FIONREAD tun", R_ALL },
	[NO_PRCTL] = { "prctl PR_GET_DUMPABLE", R_ALL },
	[NO_SETSOCKOPT] = { "setsockopt SO_RCVBUF", R_ALL },
	[NO_CONNECT] = { "connect", R_GUARD | R_TLS },
	[NO_MQ_SEND] = { "mq_send", R_TLS | R_CDATA },
	[NO_MQ_RECEIVE] = { "mq_receive", R_TLS | R_CDATA },
	[NO_RECVMMSG] = { "recvmmsg", R_TLS },
	[NO_SENDMMSG] = { "sendmmsg", R_GUARD | R_TLS },
	[NO_READ_UNX] = { "read a Unix socket", R_DATA },
	[NO_READ_TUN] = { "read tun", R_DATA },
	[NO_READV_TUN] = { "readv tun", R_DATA },
	[NO_RECV_TUN] = { "recv tun", R_DATA },
	[NO_RECVMSG_TUN] = { "recvmsg tun", R_DATA },
	[NO_RECVMMSG_TUN] = { "recvmmsg tun", R_DATA },
	[NO_RECV_TUN_HIGH] = { "recv tun + 2^32", R_DATA },
	[NO_RECVMSG_TUN_HIGH] = { "recvmsg tun + 2^32", R_DATA },
	[NO_WRITE_TUN] = { "write tun", R_GUARD },
	[NO_WRITEV_TUN] = { "writev tun", R_GUARD },
	[NO_SEND_TUN] = { "send tun", R_GUARD },
	[NO_SENDMSG_TUN] = { "sendmsg tun", R_GUARD },
	[NO_SENDMMSG_TUN] = { "sendmmsg tun", R_GUARD },
	[NO_WRITE_TUN_HIGH] = { "write tun + 2^32", R_GUARD },
};

static char page[8192];

/* Makes forbidden call which; what it returns if it was not killed. */
static long
forbidden_call(struct fixture *f, int which)
{
	char *argv[] = { "true", NULL };
	struct iovec iov = { .iov_base = page, .iov_len = 64 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = m };
	struct sockaddr_in sin = f->peer;
	int sv[2], n = 1 << 20;

	switch (which) {
	case NO_OPEN:
		return open("/etc/passwd", O_RDONLY);
	case NO_OPENAT:
		return syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	case NO_EXECVE:
		return execve("/bin/true", argv, argv + 1);
	case NO_FORK:
		return fork();
	case NO_SOCKET:
		return socket(AF_INET, SOCK_DGRAM, 0);
	case NO_SOCKETPAIR:
		return socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	case NO_BIND:
		sin.sin_port = 0;
		return bind(f->udp, (struct sockaddr *)&sin, sizeof(sin));
	case NO_LISTEN:
		return listen(f->unx, 1);
	case NO_PTRACE:
		return ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	case NO_SETUID:
		return syscall(SYS_setuid, 0);
	case NO_KILL:
		return kill(getppid(), 0);
	case NO_TGKILL_TERM:
		return syscall(SYS_tgkill, getpid(), getpid(), SIGTERM);
	case NO_MMAP_EXEC:
		return (long)mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	case NO_MMAP_FD:
		return (long)mmap(NULL, 4096, PROT_READ, MAP_SHARED, f->tun, 0);
	case NO_MPROTECT_EXEC:
		return mprotect(page + 4096 - ((unsigned long)page & 4095),
		    4096, PROT_READ | PROT_EXEC);
	case NO_DUP:
		return dup(f->tun);
	case NO_DUP2:
		return dup2(f->tun, 100);
	case NO_DUP3:
		return dup3(f->tun, 100, O_CLOEXEC);
	case NO_DUPFD:
		return fcntl(f->tun, F_DUPFD, 0);
	case NO_DUPFD_CLOEXEC:
		return fcntl(f->tun, F_DUPFD_CLOEXEC, 0);
	case NO_DUPFD_HIGH:
		return syscall(SYS_fcntl, f->tun, HIGH_BITS | F_DUPFD, 0);
	case NO_IOCTL:
		return ioctl(f->tun, FIONREAD, &n);
	case NO_PRCTL:
		return prctl(PR_GET_DUMPABLE);
	case NO_SETSOCKOPT:
		return setsockopt(f->udp, SOL_SOCKET, SO_RCVBUF, &n, sizeof(n));
	case NO_CONNECT:
		return connect(f->udp, (struct sockaddr *)&f->peer,
		    sizeof(f->peer));
	case NO_MQ_SEND:
		return mq_send(f->q, packet, sizeof(packet), 0);
	case NO_MQ_RECEIVE:
		return mq_receive(f->q, page, 64, NULL);
	case NO_RECVMMSG:
		return recvmmsg(f->udp, &mm, 1, MSG_DONTWAIT, NULL);
	case NO_SENDMMSG:
		return sendmmsg(f->udp_peer, &mm, 1, 0);
	case NO_READ_UNX:
		return read(f->unx, page, 64);
	case NO_READ_TUN:
		return read(f->tun, page, 64);
	case NO_READV_TUN:
		return readv(f->tun, &iov, 1);
	case NO_RECV_TUN:
		return recv(f->tun, page, 64, 0);
	case NO_RECVMSG_TUN:
		return recvmsg(f->tun, &m, 0);
	case NO_RECVMMSG_TUN:
		return recvmmsg(f->tun, &mm, 1, 0, NULL);
	case NO_RECV_TUN_HIGH:
		return syscall(SYS_recvfrom, HIGH_BITS | f->tun, page, 64, 0,
		    NULL, NULL);
	case NO_RECVMSG_TUN_HIGH:
		return syscall(SYS_recvmsg, HIGH_BITS | f->tun, &m, 0);
	case NO_WRITE_TUN:
		return write(f->tun, packet, sizeof(packet));
	case NO_WRITEV_TUN:
		return writev(f->tun, &iov, 1);
	case NO_SEND_TUN:
		return send(f->tun, packet, sizeof(packet), 0);
	case NO_SENDMSG_TUN:
		return sendmsg(f->tun, &m, 0);
	case NO_SENDMMSG_TUN:
		return sendmmsg(f->tun, &mm, 1, 0);
	case NO_WRITE_TUN_HIGH:
		return syscall(SYS_write, HIGH_BITS | f->tun, packet,
		    sizeof(packet));
	}
	return -1;
}

static void
child_abort(struct fixture *f)
{
	(void)f;
	abort();
}

/* Without a sandbox: the kernel takes tun + 2^32 for tun. */
static void
child_recv_high(struct fixture *f)
{
	exit(syscall(SYS_recvfrom, HIGH_BITS | f->tun, page, 64, 0, NULL,
	    NULL) == sizeof(packet) ? 0 : 1);
}

static void
check_role(enum sandbox_role role)
{
	expect_exit(role, "what it does after setup",
	    run_child(role, true, allowed[role], 0), 0);
	expect_signal(role, "abort()", run_child(role, true, child_abort, 0),
	    SIGABRT);
	for (int w = 0; w < NO_COUNT; w++)
		if (forbidden[w].roles & (1u << role))
			expect_signal(role, forbidden[w].name,
			    run_child(role, true, NULL, w), SIGSYS);
}

/* The harness itself: a call that is not killed shows as RETURNED, and
 * a high-bit fd that no filter stopped would really reach tun. */
static void
check_controls(void)
{
	expect_exit(SANDBOX_DATA, "without a sandbox, open /etc/passwd",
	    run_child(SANDBOX_DATA, false, NULL, NO_OPEN), RETURNED);
	expect_exit(SANDBOX_DATA, "without a sandbox, recv tun + 2^32",
	    run_child(SANDBOX_DATA, false, child_recv_high, 0), 0);
}

static void
check_api(void)
{
	errno = 0;
	CHECK(sandbox_enter(SANDBOX_DATA, -1) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(sandbox_enter(SANDBOX_GUARD, -1) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(sandbox_enter((enum sandbox_role)NROLES, -1) == -1 &&
	    errno == EINVAL);
	CHECK(strcmp(sandbox_role_name(SANDBOX_GUARD), "guard") == 0);
	CHECK(strcmp(sandbox_role_name(SANDBOX_CLIENT_DATA),
	    "client data") == 0);
	CHECK(strcmp(sandbox_role_name((enum sandbox_role)NROLES), "?") == 0);
}

/* TLS: both ends use one self-signed P-256 certificate and trust it, as
 * simpletun's peers verify each other. Made before any fork, as the
 * processes load their SSL_CTX before entering the sandbox. */
static SSL_CTX *tls_server_ctx, *tls_client_ctx;

static X509 *
tls_cert(EVP_PKEY *key)
{
	const unsigned char *cn = (const unsigned char *)"test_sandbox";
	X509_NAME *n;
	X509 *x;

	if ((x = X509_new()) == NULL || X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) == NULL ||
	    X509_set_pubkey(x, key) != 1 ||
	    (n = X509_get_subject_name(x)) == NULL ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, cn, -1, -1,
	    0) != 1 || X509_set_issuer_name(x, n) != 1 ||
	    X509_sign(x, key, EVP_sha256()) == 0) {
		ERR_print_errors_fp(stderr);
		exit(1);
	}
	return x;
}

static SSL_CTX *
tls_ctx(const SSL_METHOD *method, EVP_PKEY *key, X509 *cert)
{
	SSL_CTX *ctx = SSL_CTX_new(method);

	if (ctx == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert) != 1) {
		ERR_print_errors_fp(stderr);
		exit(1);
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return ctx;
}

static void
tls_setup(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert;

	if (key == NULL) {
		ERR_print_errors_fp(stderr);
		exit(1);
	}
	cert = tls_cert(key);
	tls_server_ctx = tls_ctx(TLS_server_method(), key, cert);
	tls_client_ctx = tls_ctx(TLS_client_method(), key, cert);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* The server's control process: handshake, a record each way, a key
 * update it asks the client to answer, then close_notify. */
static void
tls_server(int fd)
{
	char buf[64];
	SSL *ssl;

	STEP((ssl = SSL_new(tls_server_ctx)) != NULL);
	STEP(SSL_set_fd(ssl, fd) == 1);
	STEP(SSL_accept(ssl) == 1);
	STEP(SSL_read(ssl, buf, sizeof(buf)) == sizeof(message));
	STEP(SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) == 1);
	STEP(SSL_write(ssl, message, sizeof(message)) == sizeof(message));
	STEP(SSL_read(ssl, buf, sizeof(buf)) == sizeof(message));
	STEP(SSL_shutdown(ssl) >= 0);
	SSL_free(ssl);
	exit(0);
}

static void
tls_client(int fd)
{
	char buf[64];
	SSL *ssl;

	STEP((ssl = SSL_new(tls_client_ctx)) != NULL);
	STEP(SSL_set_fd(ssl, fd) == 1);
	STEP(SSL_connect(ssl) == 1);
	STEP(SSL_get_verify_result(ssl) == X509_V_OK);
	STEP(SSL_write(ssl, message, sizeof(message)) == sizeof(message));
	STEP(SSL_read(ssl, buf, sizeof(buf)) == sizeof(message));
	STEP(SSL_write(ssl, message, sizeof(message)) == sizeof(message));
	STEP(SSL_read(ssl, buf, sizeof(buf)) == 0 &&
	    SSL_get_error(ssl, 0) == SSL_ERROR_ZERO_RETURN);
	SSL_free(ssl);
	exit(0);
}

static pid_t
tls_fork(enum sandbox_role role, int fd, int other, void (*fn)(int))
{
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		close(other);
		if (sandbox_enter(role, -1) == -1)
			child_fail(__LINE__, "sandbox_enter");
		fn(fd);
	}
	return pid;
}

static void
check_tls(void)
{
	int sv[2], status;
	pid_t server, client;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		perror("socketpair");
		exit(1);
	}
	server = tls_fork(SANDBOX_CONTROL, sv[0], sv[1], tls_server);
	client = tls_fork(SANDBOX_CLIENT_CONTROL, sv[1], sv[0], tls_client);
	close(sv[0]);
	close(sv[1]);
	CHECK(waitpid(server, &status, 0) == server);
	expect_exit(SANDBOX_CONTROL, "a TLS 1.3 session", status, 0);
	CHECK(waitpid(client, &status, 0) == client);
	expect_exit(SANDBOX_CLIENT_CONTROL, "a TLS 1.3 session", status, 0);
}

#ifdef TEST_ASAN
/* sandbox_enter() loads the symbolizer's debug information in every
 * process (0.2 s); loaded once here, forked children find it ready. */
static void
asan_prepare(void)
{
	char buf[128];

	__sanitizer_symbolize_pc(__builtin_return_address(0), "%F %L", buf,
	    sizeof(buf));
}

static volatile size_t past_end = 16;

/* A heap overflow inside the sandbox, its report sent to fd. */
static void
asan_overflow(int fd)
{
	volatile char *p;

	if (dup2(fd, STDERR_FILENO) == -1 ||
	    sandbox_enter(SANDBOX_CLIENT_DATA, -1) == -1)
		_exit(NOT_ENTERED);
	p = malloc(16);
	p[past_end] = 1;
	_exit(RETURNED);
}

/* The sanitizer build: a report from inside a sandbox comes out whole,
 * with function names, and ends the process as it would outside. */
static void
check_asan_report(void)
{
	static char report[1 << 16];
	size_t len = 0;
	ssize_t n;
	int p[2], status;
	pid_t pid;

	if (pipe(p) == -1 || (pid = fork()) == -1) {
		perror("pipe or fork");
		exit(1);
	}
	if (pid == 0) {
		close(p[0]);
		asan_overflow(p[1]);
	}
	close(p[1]);
	while (len < sizeof(report) - 1 &&
	    (n = read(p[0], report + len, sizeof(report) - 1 - len)) > 0)
		len += (size_t)n;
	report[len] = '\0';
	close(p[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	expect_exit(SANDBOX_CLIENT_DATA, "an ASan report", status, 1);
	/* Optimised, UBSan's object-size check sees the store first. */
	CHECK(strstr(report, "heap-buffer-overflow") != NULL ||
	    strstr(report, "runtime error: store to address") != NULL);
	CHECK(strstr(report, "in asan_overflow") != NULL ||
	    strstr(report, "test_sandbox.c:") != NULL);
	if (failures > 0)
		fprintf(stderr, "the report:\n%s\n", report);
}
#endif

int
main(void)
{
	/* The client's close_notify may meet a closed socket. */
	signal(SIGPIPE, SIG_IGN);
#ifdef TEST_ASAN
	asan_prepare();
#endif
	tls_setup();
	check_api();
	check_controls();
	for (unsigned r = 0; r < NROLES; r++)
		check_role((enum sandbox_role)r);
	check_tls();
#ifdef TEST_ASAN
	check_asan_report();
#endif
	if (failures != 0) {
		printf("test_sandbox: %d failures\n", failures);
		return 1;
	}
	printf("test_sandbox: every role ok\n");
	return 0;
}
