/* Seccomp allow-lists per process role. Like the pledge(2) promises of
 * OpenBSD's daemons, each call names the roles that still make it once
 * their setup is done, and why.
 *
 * Two filters are stacked. The first is the role's allow-list, every other
 * call kills the process. The second is for the roles that hold the tun fd
 * for one direction only: it kills any call that would read (data) or write
 * (guard) that fd. It is a filter of its own because the kernel takes an fd
 * argument as its low 32 bits while libseccomp compares all 64: a rule
 * "fd != tun" on the allow-list would pass tun + 2^32. A deny rule on the
 * masked low half has no such gap, and libseccomp cannot mix deny rules into
 * an allow-list on the same call. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif
#ifdef SANDBOX_ASAN
#include <sys/ioctl.h>

#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif

/* The lists name the calls that glibc makes on 64-bit Linux (x86_64,
 * aarch64); a 32-bit libc would call the *_time64 and *64 variants. */
_Static_assert(sizeof(long) == 8, "sandbox lists are for 64-bit Linux");

#define R_GUARD		(1u << SANDBOX_GUARD)
#define R_CONTROL	(1u << SANDBOX_CONTROL)
#define R_DATA		(1u << SANDBOX_DATA)
#define R_CCONTROL	(1u << SANDBOX_CLIENT_CONTROL)
#define R_CDATA		(1u << SANDBOX_CLIENT_DATA)
#define R_TLS		(R_CONTROL | R_CCONTROL)
#define R_UDP		(R_DATA | R_CDATA)
#define R_ALL		(R_GUARD | R_TLS | R_UDP)

enum sandbox_arg {
	ARG_ANY,
	ARG_FCNTL,	/* the fd and status flags only: no F_DUPFD, locks,
			   owners, leases or pipe sizes */
	ARG_MMAP,	/* anonymous memory, never executable */
	ARG_ABORT,	/* SIGABRT to this very thread */
};

struct sandbox_rule {
	int			nr;
	unsigned		roles;
	enum sandbox_arg	arg;
};

static const struct sandbox_rule sandbox_allow[] = {
	/* Every role waits in one ppoll(); signals are unblocked only
	 * inside it. */
	{ SCMP_SYS(ppoll),		R_ALL,	ARG_ANY },
	/* Control: my_ssl waits for the socket during the handshake and
	 * a write with poll(). */
	{ SCMP_SYS(poll),		R_TLS,	ARG_ANY },
	/* Deadlines, rates, certificate times: the vDSO answers these
	 * without a call, unless the clock source needs the kernel. */
	{ SCMP_SYS(clock_gettime),	R_ALL,	ARG_ANY },
	{ SCMP_SYS(gettimeofday),	R_ALL,	ARG_ANY },
	/* Every log line names its pid; OpenSSL compares it to see a
	 * fork. */
	{ SCMP_SYS(getpid),		R_ALL,	ARG_ANY },
	/* Log lines go to fd 2 with one write() each. Control: OpenSSL
	 * writes the TCP socket with write(). Data: packets into tun. The
	 * guard's tun is kept off by the second filter. */
	{ SCMP_SYS(write),		R_ALL,	ARG_ANY },
	/* malloc(): the heap, large blocks, realloc() and free(). */
	{ SCMP_SYS(brk),		R_ALL,	ARG_ANY },
	{ SCMP_SYS(mmap),		R_ALL,	ARG_MMAP },
	{ SCMP_SYS(munmap),		R_ALL,	ARG_ANY },
	{ SCMP_SYS(mremap),		R_ALL,	ARG_ANY },
	{ SCMP_SYS(madvise),		R_ALL,	ARG_ANY },
	/* OpenSSL's random generator seeds and reseeds from the kernel. */
	{ SCMP_SYS(getrandom),		R_ALL,	ARG_ANY },
	/* Locks in libc and OpenSSL: one thread, but a lock's slow path
	 * still ends in the kernel. */
	{ SCMP_SYS(futex),		R_ALL,	ARG_ANY },
	/* fd_nonblock() and checks of the fd flags. */
	{ SCMP_SYS(fcntl),		R_ALL,	ARG_FCNTL },
	/* Fds that arrived with SCM_RIGHTS, queues of ended sessions, and
	 * every fd at the end of a session. */
	{ SCMP_SYS(close),		R_ALL,	ARG_ANY },
	/* The signal handlers set a flag and return. */
	{ SCMP_SYS(rt_sigreturn),	R_ALL,	ARG_ANY },
	/* abort() and raise() mask signals around the kill. */
	{ SCMP_SYS(rt_sigprocmask),	R_ALL,	ARG_ANY },
	/* The kernel resumes a call that a stop interrupted. */
	{ SCMP_SYS(restart_syscall),	R_ALL,	ARG_ANY },
	/* exit(), the end of main(), and libc's fallback in _exit(). */
	{ SCMP_SYS(exit_group),		R_ALL,	ARG_ANY },
	{ SCMP_SYS(exit),		R_ALL,	ARG_ANY },
	/* abort() (OpenSSL's OPENSSL_die(), assert()) must end in SIGABRT,
	 * not SIGSYS: raise() asks for its thread id, then signals it. */
	{ SCMP_SYS(gettid),		R_ALL,	ARG_ANY },
	{ SCMP_SYS(tgkill),		R_ALL,	ARG_ABORT },

	/* Guard: packets from tun, every one to be routed. */
	{ SCMP_SYS(read),		R_GUARD, ARG_ANY },
	/* Control: OpenSSL reads the TCP socket with read(). Client data:
	 * packets from tun. */
	{ SCMP_SYS(read),		R_TLS | R_CDATA, ARG_ANY },
	/* Messages on the Unix sockets (recv() and send() in msg.c). The
	 * data process's tun is kept off by the second filter. */
	{ SCMP_SYS(recvfrom),		R_ALL,	ARG_ANY },
	{ SCMP_SYS(sendto),		R_ALL,	ARG_ANY },
	/* Guard: queue fds arrive with SCM_RIGHTS, and the UDP socket's
	 * stray packets. Others: messages, datagrams. */
	{ SCMP_SYS(recvmsg),		R_ALL,	ARG_ANY },
	{ SCMP_SYS(sendmsg),		R_ALL,	ARG_ANY },
	/* Batches of datagrams: the guard's unconnected UDP socket, the
	 * data processes' connected ones. */
	{ SCMP_SYS(recvmmsg),		R_GUARD | R_UDP, ARG_ANY },
	{ SCMP_SYS(sendmmsg),		R_UDP,	ARG_ANY },
	/* Data: the UDP socket follows a client that roams. */
	{ SCMP_SYS(connect),		R_UDP,	ARG_ANY },
	/* Control: the end of the TCP connection. */
	{ SCMP_SYS(shutdown),		R_TLS,	ARG_ANY },
	/* Guard: a batch of packets into a session's queue (mq_send).
	 * Server data: its packets from the queue (mq_receive). Both:
	 * mq_getattr. */
	{ SCMP_SYS(mq_timedsend),	R_GUARD, ARG_ANY },
	{ SCMP_SYS(mq_timedreceive),	R_DATA,	ARG_ANY },
	{ SCMP_SYS(mq_getsetattr),	R_GUARD | R_DATA, ARG_ANY },
	/* Server control, on a reload: the CA and the new CRL arrive as
	 * sealed memfds (RECHECK), sized with fstat and read with pread
	 * from offset 0, as at start (tls_pem_read). */
	{ SCMP_SYS(fstat),		R_CONTROL, ARG_ANY },
	{ SCMP_SYS(newfstatat),		R_CONTROL, ARG_ANY },
	{ SCMP_SYS(pread64),		R_CONTROL, ARG_ANY },
};

#ifdef SANDBOX_ASAN
/* What the AddressSanitizer and UBSan runtimes call once the sandbox is on,
 * in the sanitizer build only. A report must come out whole, so where the
 * runtime looks at files it gets an error, not a kill, and falls back to
 * what sandbox_asan_prepare() made it cache. */
static int
sandbox_asan_rules(scmp_filter_ctx ctx)
{
	int rc;

	/* At exit the runtime takes down its alternate signal stack. */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack), 0);
	/* isatty(2) before a report, to choose colours: "no". */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY),
		    SCMP_SYS(ioctl), 1, SCMP_A1_64(SCMP_CMP_EQ, TCGETS, 0));
	/* /proc/self/maps: the runtime then reads its cached copy. Its own
	 * raw open(), which glibc never makes on x86_64. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    SCMP_SYS(open), 0);
	/* /proc/self/exe's name: UBSan warns and reports without it. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    SCMP_SYS(readlink), 0);
	/* Where its own symbolizer falls short (optimised code), the runtime
	 * would start an external one: refused, it reports what it has. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(pipe2), 0);
	return rc;
}

/* What the runtime must do while files can still be opened and threads
 * started. */
static void
sandbox_asan_prepare(void)
{
	__sanitizer_sandbox_arguments args = { 0 };
	char buf[128];

	/* LeakSanitizer's check at exit stops the world with a cloned,
	 * ptrace()ing thread that no allow-list may grant. Check now, the
	 * last moment it can run; that also turns the check at exit off. */
	__lsan_do_leak_check();
	/* The runtime's hook for this moment: it caches /proc/self/maps. */
	__sanitizer_sandbox_on_notify(&args);
	/* Symbolizing one address loads every module's debug information
	 * now, so that a report from inside has function names and lines. */
	__sanitizer_symbolize_pc(__builtin_return_address(0), "%F %L", buf,
	    sizeof(buf));
}
#endif

/* A call that reads or writes the fd in argument arg. */
struct sandbox_fdcall {
	int		nr;
	unsigned	arg;
};

/* Every way to read an fd, also those no allow-list holds today, so that
 * adding one can never open tun to the server's data process. */
static const struct sandbox_fdcall sandbox_reads[] = {
	{ SCMP_SYS(read), 0 },
	{ SCMP_SYS(readv), 0 },
	{ SCMP_SYS(pread64), 0 },
	{ SCMP_SYS(preadv), 0 },
	{ SCMP_SYS(preadv2), 0 },
	{ SCMP_SYS(recvfrom), 0 },
	{ SCMP_SYS(recvmsg), 0 },
	{ SCMP_SYS(recvmmsg), 0 },
	{ SCMP_SYS(splice), 0 },		/* fd_in */
	{ SCMP_SYS(copy_file_range), 0 },	/* fd_in */
	{ SCMP_SYS(sendfile), 1 },		/* in_fd */
};

/* The same for writes: only data processes put packets into tun. */
static const struct sandbox_fdcall sandbox_writes[] = {
	{ SCMP_SYS(write), 0 },
	{ SCMP_SYS(writev), 0 },
	{ SCMP_SYS(pwrite64), 0 },
	{ SCMP_SYS(pwritev), 0 },
	{ SCMP_SYS(pwritev2), 0 },
	{ SCMP_SYS(sendto), 0 },
	{ SCMP_SYS(sendmsg), 0 },
	{ SCMP_SYS(sendmmsg), 0 },
	{ SCMP_SYS(splice), 2 },		/* fd_out */
	{ SCMP_SYS(copy_file_range), 2 },	/* fd_out */
	{ SCMP_SYS(sendfile), 0 },		/* out_fd */
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const sandbox_names[] = {
	[SANDBOX_GUARD] = "guard",
	[SANDBOX_CONTROL] = "control",
	[SANDBOX_DATA] = "data",
	[SANDBOX_CLIENT_CONTROL] = "client control",
	[SANDBOX_CLIENT_DATA] = "client data",
};

const char *
sandbox_role_name(enum sandbox_role role)
{
	if ((unsigned)role >= NELEM(sandbox_names))
		return "?";
	return sandbox_names[role];
}

static int
sandbox_rule_add(scmp_filter_ctx ctx, const struct sandbox_rule *r,
    pid_t self)
{
	static const int fcntl_cmds[] = { F_GETFL, F_SETFL, F_GETFD, F_SETFD };
	int rc = 0;

	switch (r->arg) {
	case ARG_ANY:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 0);
	case ARG_FCNTL:
		for (size_t i = 0; i < NELEM(fcntl_cmds) && rc == 0; i++)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
			    SCMP_A1_32(SCMP_CMP_EQ, fcntl_cmds[i], 0));
		return rc;
	case ARG_MMAP:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 2,
		    SCMP_A2_64(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
		    SCMP_A3_64(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS,
		    MAP_ANONYMOUS));
	case ARG_ABORT:
		/* One thread, so its tid is the pid; and no fork after
		 * this, so the pid stays. */
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 3,
		    SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)self, 0),
		    SCMP_A1_32(SCMP_CMP_EQ, (uint32_t)self, 0),
		    SCMP_A2_32(SCMP_CMP_EQ, SIGABRT, 0));
	}
	return -EINVAL;
}

static int
sandbox_rules_add(scmp_filter_ctx ctx, enum sandbox_role role,
    const struct sandbox_rule *rules, size_t n)
{
	pid_t self = getpid();
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		if (rules[i].roles & (1u << role))
			rc = sandbox_rule_add(ctx, &rules[i], self);
	return rc;
}

/* A filter with action def for every call not named: 0 or -errno. */
static int
sandbox_ctx(scmp_filter_ctx *ctx, uint32_t def)
{
	int rc;

	if ((*ctx = seccomp_init(def)) == NULL)
		return -ENOMEM;
	/* A call through another ABI (int 0x80, x32) would pass by the
	 * lists: it kills too. */
	rc = seccomp_attr_set(*ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS);
	/* Errors of seccomp_load() as the kernel gave them. */
	if (rc == 0)
		rc = seccomp_attr_set(*ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	/* A binary tree of call numbers: the packet path's calls are not
	 * first in any list order. */
	if (rc == 0)
		rc = seccomp_attr_set(*ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	return rc;
}

static int
sandbox_allow_ctx(scmp_filter_ctx *ctx, enum sandbox_role role)
{
	int rc;

	if ((rc = sandbox_ctx(ctx, SCMP_ACT_KILL_PROCESS)) != 0)
		return rc;
	rc = sandbox_rules_add(*ctx, role, sandbox_allow, NELEM(sandbox_allow));
#ifdef SANDBOX_ASAN
	if (rc == 0)
		rc = sandbox_asan_rules(*ctx);
#endif
	return rc;
}

/* The filter that keeps calls in calls[] off the low 32 bits of fd. */
static int
sandbox_deny_ctx(scmp_filter_ctx *ctx, const struct sandbox_fdcall *calls,
    size_t n, int fd)
{
	int rc;

	if ((rc = sandbox_ctx(ctx, SCMP_ACT_ALLOW)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = seccomp_rule_add(*ctx, SCMP_ACT_KILL_PROCESS, calls[i].nr,
		    1, SCMP_CMP(calls[i].arg, SCMP_CMP_MASKED_EQ, 0xffffffffu,
		    (uint32_t)fd));
	return rc;
}

int
sandbox_enter(enum sandbox_role role, int tun)
{
	scmp_filter_ctx allow = NULL, deny = NULL;
	int rc;

	if ((unsigned)role >= NELEM(sandbox_names) ||
	    ((role == SANDBOX_GUARD || role == SANDBOX_DATA) && tun < 0)) {
		errno = EINVAL;
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	/* glibc reads /etc/localtime the first time it converts a time
	 * (OpenSSL does, checking certificates): now, while files open. */
	tzset();
	rc = sandbox_allow_ctx(&allow, role);
	if (rc == 0 && role == SANDBOX_GUARD)
		rc = sandbox_deny_ctx(&deny, sandbox_writes,
		    NELEM(sandbox_writes), tun);
	else if (rc == 0 && role == SANDBOX_DATA)
		rc = sandbox_deny_ctx(&deny, sandbox_reads,
		    NELEM(sandbox_reads), tun);
#ifdef SANDBOX_ASAN
	if (rc == 0)
		sandbox_asan_prepare();
#endif
	/* The deny filter first: the allow-list would refuse loading it. */
	if (rc == 0 && deny != NULL)
		rc = seccomp_load(deny);
	if (rc == 0)
		rc = seccomp_load(allow);
	if (deny != NULL)
		seccomp_release(deny);
	if (allow != NULL)
		seccomp_release(allow);
	if (rc != 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}
