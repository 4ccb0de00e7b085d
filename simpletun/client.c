/* The client's parent process: the only one that stays root, and the only
 * one that touches no network. It owns the tun device and its addresses,
 * forks an unprivileged control process per connection attempt and, once
 * the server's CONFIG is on tun, an unprivileged data process. When either
 * ends, the session is over: it reaps both and tries again with backoff. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "msg.h"
#include "roles.h"
#include "stats.h"
#include "status.h"
#include "tls.h"
#include "tun.h"
#include "util.h"

struct client {
	const struct conf *c;
	SSL_CTX *ctx;
	int tun, status;
	char dev[IFNAMSIZ];
	pid_t control_pid, data_pid;
	int ctl, data, data_end;	/* -1 when closed */
	bool connected;
	uint32_t vaddr;
	uint8_t prefix;
	unsigned backoff;		/* seconds, for the next failure */
	uint64_t retry_at;		/* ms; 0: start now */
	struct data_stats stats;
};

static void
client_close(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

static void
client_signal(void *arg, int sig)
{
	struct client *cl = arg;

	if (cl->control_pid > 0)
		kill(cl->control_pid, sig);
	if (cl->data_pid > 0)
		kill(cl->data_pid, sig);
}

static void
client_start(struct client *cl)
{
	int pc[2], cd[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pc) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cd) == -1)
		fatal("socketpair");
	if ((cl->control_pid = fork()) == -1)
		fatal("fork");
	if (cl->control_pid == 0) {
		fd_close_except((int[]){ pc[1], cd[0] }, 2);
		if (priv_drop(cl->c->user) == -1)
			fatal("drop privileges to %s", cl->c->user);
		control_client_main(cl->c, cl->ctx, pc[1], cd[0]);
	}
	close(pc[1]);
	close(cd[0]);
	cl->ctl = pc[0];
	cl->data_end = cd[1];
	fd_nonblock(cl->ctl);
	memset(&cl->stats, 0, sizeof(cl->stats));
}

static void
client_fork_data(struct client *cl)
{
	struct data_fds fds;
	int pd[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pd) == -1)
		fatal("socketpair");
	fds = (struct data_fds){ .ctl = cl->data_end, .parent = pd[1],
	    .tun = cl->tun, .queue = (mqd_t)-1, .guard = (mqd_t)-1 };
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		fd_close_except((int[]){ fds.ctl, fds.parent, fds.tun }, 3);
		if (priv_drop(cl->c->user) == -1)
			fatal("drop privileges to %s", cl->c->user);
		data_main(cl->c, &fds);
	}
	close(pd[1]);
	client_close(&cl->data_end);
	cl->data = pd[0];
	cl->data_pid = pid;
	fd_nonblock(cl->data);
}

/* The server's CONFIG, as the control process passed it on. */
static int
client_tun_config(struct client *cl, const uint8_t *p, size_t len)
{
	const char *why;
	char a[16];

	/* Checked by the control process too; we are root and it is not. */
	if ((why = msg_config_check(p, len, 0)) != NULL) {
		log_warnx("bad TUN_CONFIG from the control process: %s", why);
		return -1;
	}
	cl->vaddr = get_u32(p);
	cl->prefix = p[4];
	if (tun_configure(cl->dev, cl->vaddr, cl->prefix, get_u16(p + 9)) ==
	    -1) {
		log_warn("configure %s", cl->dev);
		return -1;
	}
	for (unsigned i = 0; i < p[17]; i++) {
		const uint8_t *r = p + MSG_CONFIG_MIN + 5 * i;

		if (tun_add_route(cl->dev, get_u32(r), r[4]) == -1) {
			log_warn("route %s/%u via %s", ip4_str(get_u32(r), a),
			    r[4], cl->dev);
			return -1;
		}
	}
	return 0;
}

static void
client_dispatch_control(struct client *cl)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int r = msg_recv(cl->ctl, buf, sizeof(buf), &m);

	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == 1 && m.type == MSG_TUN_CONFIG && cl->data_pid == 0) {
		if (client_tun_config(cl, m.payload, m.len) == 0) {
			client_fork_data(cl);
			cl->connected = true;
			return;
		}
	} else if (r == 1)
		log_warnx("unexpected %s from the control process",
		    msg_name(m.type));
	/* EOF or an error: the session is over. */
	client_close(&cl->ctl);
	if (cl->control_pid > 0)
		kill(cl->control_pid, SIGTERM);
}

static void
client_dispatch_data(struct client *cl)
{
	if (stats_drain(cl->data, &cl->stats) == 0)
		return;
	if (errno != 0) {
		log_warn("from the data process");
		kill(cl->data_pid, SIGTERM);
	}
	client_close(&cl->data);
}

/* Both halves are gone: wait, longer after each failure in a row. */
static void
client_session_over(struct client *cl)
{
	unsigned delay;

	client_close(&cl->ctl);
	client_close(&cl->data);
	client_close(&cl->data_end);
	if (cl->connected)
		cl->backoff = cl->c->connect_retry;
	delay = cl->backoff;
	cl->backoff = cl->backoff * 2 > cl->c->connect_retry_max ?
	    cl->c->connect_retry_max : cl->backoff * 2;
	cl->connected = false;
	cl->retry_at = now_ms() + delay * 1000ULL;
	log_info("reconnecting in %u s", delay);
}

static void
client_reap(struct client *cl)
{
	int status;
	pid_t pid;

	sig_chld = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == cl->control_pid)
			cl->control_pid = 0;
		else if (pid == cl->data_pid)
			cl->data_pid = 0;
		else
			continue;
		if (WIFSIGNALED(status))
			log_info("a session process ended by signal %d",
			    WTERMSIG(status));
		client_signal(cl, SIGTERM);
		if (cl->control_pid == 0 && cl->data_pid == 0)
			client_session_over(cl);
	}
}

static void
client_status(struct client *cl)
{
	char line[1024], a[16];
	int fd;

	if ((fd = accept4(cl->status, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	snprintf(line, sizeof(line), "client dev=%s remote=%s:%u state=%s "
	    "vaddr=%s control_pid=%d data_pid=%d", cl->dev,
	    cl->c->remote_host, cl->c->remote_port,
	    cl->data_pid > 0 ? "connected" : "connecting",
	    cl->data_pid > 0 ? ip4_str(cl->vaddr, a) : "none",
	    (int)cl->control_pid, (int)cl->data_pid);
	status_reply(fd, line);
	if (cl->data_pid > 0) {
		snprintf(line, sizeof(line), "session cn=%s vaddr=%s",
		    cl->c->server_name, ip4_str(cl->vaddr, a));
		stats_format(&cl->stats, line, sizeof(line));
		status_reply(fd, line);
	}
	close(fd);
}

/* The control process says BYE to the server on its way out. */
static void
client_stop(struct client *cl)
{
	children_end(client_signal, cl, 3000);
	if (cl->c->status_socket[0] != '\0')
		unlink(cl->c->status_socket);
}

static void
client_open(struct client *cl)
{
	struct tls_pem pem;
	char err[512];

	if (tls_pem_load(&pem, cl->c->ca, cl->c->cert, cl->c->key, cl->c->crl,
	    err, sizeof(err)) == -1 ||
	    (cl->ctx = tls_ctx_new(false, &pem, err, sizeof(err))) == NULL)
		fatalx("cannot load certificates: %s", err);
	tls_pem_close(&pem);
	snprintf(cl->dev, sizeof(cl->dev), "%s", cl->c->dev);
	if ((cl->tun = tun_open(cl->dev, sizeof(cl->dev))) == -1)
		fatal("open tun device %s", cl->c->dev);
	if (fd_nonblock(cl->tun) == -1)
		fatal("tun");
	cl->status = -1;
	if (cl->c->status_socket[0] != '\0' &&
	    (cl->status = status_listen(cl->c->status_socket)) == -1)
		fatal("status socket %s", cl->c->status_socket);
}

int
client_main(struct conf *c)
{
	enum { P_STATUS, P_CTL, P_DATA, P_COUNT };
	struct client cl = { .c = c, .ctl = -1, .data = -1, .data_end = -1,
	    .backoff = c->connect_retry };
	struct pollfd pfd[P_COUNT];

	log_set_exit_code(2);
	client_open(&cl);
	sig_setup();
	log_set_exit_code(3);
	while (!sig_term) {
		int timeout = -1;

		if (sig_chld)
			client_reap(&cl);
		if (cl.control_pid == 0 && cl.data_pid == 0) {
			uint64_t now = now_ms();

			if (now >= cl.retry_at)
				client_start(&cl);
			else
				timeout = (int)(cl.retry_at - now);
		}
		pfd[P_STATUS] = (struct pollfd){ .fd = cl.status, .events = POLLIN };
		pfd[P_CTL] = (struct pollfd){ .fd = cl.ctl, .events = POLLIN };
		pfd[P_DATA] = (struct pollfd){ .fd = cl.data, .events = POLLIN };
		if (poll_wait(pfd, P_COUNT, timeout) <= 0)
			continue;
		if (pfd[P_STATUS].revents)
			client_status(&cl);
		if (pfd[P_CTL].revents && cl.ctl != -1)
			client_dispatch_control(&cl);
		if (pfd[P_DATA].revents && cl.data != -1)
			client_dispatch_data(&cl);
	}
	log_info("shutting down");
	client_stop(&cl);
	return 0;
}
