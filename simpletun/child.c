/* Starting children by exec of our own binary, and their side of it: read
 * START and the fds, load the configuration, run the role. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "child.h"
#include "conf.h"
#include "log.h"
#include "msg.h"
#include "roles.h"
#include "tls.h"
#include "util.h"

static const struct {
	const char *name;		/* argv, as ps shows it */
	const char *log;		/* the role in log lines */
	enum conf_role conf;
	size_t nfds;		/* with the configuration, without PEM files */
	bool pem;		/* PEM files follow */
} child_roles[CHILD_NROLES] = {
	[CHILD_GUARD] = { "guard", "guard", CONF_SERVER, 3, false },
	[CHILD_CONTROL] = { "control", "control", CONF_SERVER, 3, true },
	[CHILD_DATA] = { "data", "data", CONF_SERVER, 4, false },
	[CHILD_CLIENT_CONTROL] = { "client-control", "control", CONF_CLIENT,
	    2, true },
	[CHILD_CLIENT_DATA] = { "client-data", "data", CONF_CLIENT, 3, false },
};

const char *
child_role_name(enum child_role role)
{
	return child_roles[role].name;
}

int
child_cred_of(const char *user, struct child_cred *cred)
{
	struct passwd *pw;

	if (user[0] == '\0' || strcmp(user, "root") == 0) {
		*cred = (struct child_cred){ 0, 0 };
		return 0;
	}
	if ((pw = getpwnam(user)) == NULL) {
		errno = ENOENT;
		return -1;
	}
	*cred = (struct child_cred){ pw->pw_uid, pw->pw_gid };
	return 0;
}

int
child_conf_fd(const struct conf *c)
{
	int fd = memfd_create("simpletun.conf", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING), dup_fd, e;
	FILE *f;

	if (fd == -1)
		return -1;
	if ((dup_fd = dup(fd)) == -1 || (f = fdopen(dup_fd, "w")) == NULL) {
		e = errno;
		if (dup_fd != -1)
			close(dup_fd);
		close(fd);
		errno = e;
		return -1;
	}
	conf_dump(c, f);
	if (fclose(f) == EOF || fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE |
	    F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The child runs on this stack until its exec. Starting it with
 * CLONE_VM | CLONE_VFORK (as posix_spawn does) spares copying the
 * parent's page tables and the copy-on-write faults the parent would take
 * after a fork, on every session; the parent sleeps until the exec. */
#define CHILD_STACK (64 * 1024)

struct child_exec_arg {
	enum child_role role;
	const struct child_cred *cred;
	int sock;
};

/* In the child, which shares the parent's memory until its exec: nothing
 * of the parent's but the socket, its own credentials, no way back to
 * privilege. Only system calls, writing no memory of the parent's but
 * errno: raw syscall() for the credentials (libc's wrappers coordinate
 * threads through shared state), and the parent's signal handlers, which
 * write its flags, reset before any signal is unblocked. */
static int
child_exec(void *p)
{
	const struct child_exec_arg *a = p;
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	char *argv[] = { "simpletun", "child",
	    (char *)child_roles[a->role].name, NULL };
	const struct child_cred *cred = a->cred;
	sigset_t none;

	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	/* The acceptor handles SIGUSR1/2; exec would make them fatal until
	 * the child's sig_setup ignores them again. */
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	if (dup2(a->sock, CHILD_SOCK_FD) == -1)
		_exit(127);
	close_range(CHILD_SOCK_FD + 1, ~0U, 0);
	memset(d, 0, sizeof(d));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    (syscall(SYS_getuid) != (long)cred->uid &&
	    (syscall(SYS_setgroups, 0, NULL) == -1 ||
	    syscall(SYS_setresgid, cred->gid, cred->gid, cred->gid) == -1 ||
	    syscall(SYS_setresuid, cred->uid, cred->uid, cred->uid) == -1)) ||
	    (cred->uid != 0 && syscall(SYS_capset, &h, d) == -1))
		_exit(126);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv("/proc/self/exe", argv);
	_exit(127);
}

pid_t
child_spawn(enum child_role role, const struct child_cred *cred,
    int conf_fd, const struct msg_start *start, const int *fds, size_t nfds,
    int *sock)
{
	static char stack[CHILD_STACK] __attribute__((aligned(16)));
	uint8_t p[MSG_MAX_PAYLOAD];
	int sv[2], all[CHILD_MAX_FDS], e;
	struct child_exec_arg arg;
	pid_t pid;

	if (nfds + 1 > CHILD_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	all[0] = conf_fd;
	memcpy(all + 1, fds, nfds * sizeof(int));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	arg = (struct child_exec_arg){ role, cred, sv[1] };
	pid = clone(child_exec, stack + sizeof(stack), CLONE_VM | CLONE_VFORK |
	    SIGCHLD, &arg);
	e = errno;
	close(sv[1]);
	if (pid == -1 || msg_send_fds(sv[0], MSG_START, p,
	    msg_put_start(p, start), all, nfds + 1) == -1) {
		if (pid != -1) {
			e = errno;
			kill(pid, SIGKILL);
		}
		close(sv[0]);
		errno = e;
		return -1;
	}
	fd_nonblock(sv[0]);
	*sock = sv[0];
	return pid;
}

/* --- the child's side --- */

static void
child_take_pem(const struct conf *c, const int *fds, size_t nfds,
    struct tls_pem *pem)
{
	size_t want = c->crl[0] != '\0' ? TLS_PEM_COUNT : TLS_PEM_COUNT - 1;

	if (nfds != want)
		fatalx("START carried %zu PEM files, expected %zu", nfds, want);
	for (size_t i = 0; i < TLS_PEM_COUNT; i++)
		pem->fd[i] = i < nfds ? fds[i] : -1;
	pem->path[TLS_CA] = c->ca;
	pem->path[TLS_CERT] = c->cert;
	pem->path[TLS_KEY] = c->key;
	pem->path[TLS_CRL] = c->crl;
}

static noreturn void
child_run(enum child_role role, const struct conf *c,
    const struct msg_start *st, const int *fds, size_t nfds)
{
	struct tls_pem pem;

	if (nfds < child_roles[role].nfds - 1 ||
	    (!child_roles[role].pem && nfds != child_roles[role].nfds - 1))
		fatalx("START carried %zu fds, expected %zu", nfds,
		    child_roles[role].nfds - 1);
	switch (role) {
	case CHILD_GUARD:
		guard_main(c, CHILD_SOCK_FD, fds[0], fds[1]);
	case CHILD_CONTROL:
		child_take_pem(c, fds + 2, nfds - 2, &pem);
		control_server_main(c, CHILD_SOCK_FD, st, fds[0], fds[1], &pem);
	case CHILD_DATA:
		data_main(c, &(struct data_fds){ .parent = CHILD_SOCK_FD,
		    .ctl = fds[0], .tun = fds[1], .udp = fds[2] });
	case CHILD_CLIENT_CONTROL:
		child_take_pem(c, fds + 1, nfds - 1, &pem);
		control_client_main(c, CHILD_SOCK_FD, fds[0], &pem);
	case CHILD_CLIENT_DATA:
		data_main(c, &(struct data_fds){ .parent = CHILD_SOCK_FD,
		    .ctl = fds[0], .tun = fds[1], .udp = -1 });
	case CHILD_NROLES:
		break;
	}
	fatalx("no such role");
}

int
child_main(const char *name)
{
	static struct conf c;
	uint8_t buf[MSG_MAX_LEN];
	int fds[CHILD_MAX_FDS];
	enum child_role role;
	struct msg_start st;
	struct stat sb;
	char err[1024];
	struct msg m;
	size_t nfds;

	for (role = 0; role < CHILD_NROLES; role++)
		if (strcmp(name, child_roles[role].name) == 0)
			break;
	if (role == CHILD_NROLES || fstat(CHILD_SOCK_FD, &sb) == -1 ||
	    !S_ISSOCK(sb.st_mode)) {
		fprintf(stderr, "simpletun: 'child' is how simpletun starts "
		    "its own processes; it is not for use by hand\n");
		return 1;
	}
	if (msg_recv_fds(CHILD_SOCK_FD, buf, sizeof(buf), &m, fds,
	    CHILD_MAX_FDS, &nfds) != 1 || msg_get_start(&m, &st) == -1 ||
	    nfds < 1) {
		fprintf(stderr, "simpletun child %s: no valid START from the "
		    "parent\n", name);
		return 3;
	}
	if (conf_load_fd(&c, child_roles[role].conf, fds[0], err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "simpletun child %s: %s\n", name, err);
		return 3;
	}
	close(fds[0]);
	/* exec of /proc/self/exe named us "exe" */
	prctl(PR_SET_NAME, "simpletun", 0, 0, 0);
	/* A data process needs AES and HMAC, not the system's TLS policy:
	 * it skips openssl.cnf and the memory that parsing it keeps. */
	if (!child_roles[role].pem)
		OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	log_init(c.role == CONF_SERVER ? "server" : "client", (int)c.verbose);
	log_set_role(child_roles[role].log);
	log_set_exit_code(3);
	sig_setup();
	child_run(role, &c, &st, fds + 1, nfds - 1);
}
