/* The control processes, one per session on each side: they own the TLS
 * connection, run the handshake and the HELLO/CONFIG exchange under a
 * deadline, derive the data-channel keys from the TLS session and hand them
 * to their data process, and end the session cleanly (BYE) when either side
 * or the data process says so. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "log.h"
#include "msg.h"
#include "packet.h"
#include "roles.h"
#include "tls.h"
#include "util.h"

#define PROTO_VERSION 1
#define CTL_IO_MS 5000		/* one control message write, at most */
#define CTL_CHILD_MS 10000	/* a sibling's answer, at most */

struct control {
	const struct conf *c;
	SSL *ssl;
	int sock, parent, data;
	bool server;
	uint32_t epoch;
	uint64_t rekey_at;	/* client: when to send REKEY; 0: never */
	bool rekey_sent;
	char peer[300];
	uint8_t in[2 * MSG_MAX_LEN];	/* TLS bytes not yet parsed */
	size_t inlen;
};

static noreturn void
ctl_exit(struct control *ct, int code)
{
	tls_close(ct->ssl);
	exit(code);
}

static int
ctl_send(struct control *ct, uint16_t type, const void *p, size_t len)
{
	uint8_t buf[MSG_MAX_LEN];
	char err[256];
	ssize_t n;

	if ((n = msg_build(buf, sizeof(buf), type, p, len)) == -1)
		fatalx("cannot build %s", msg_name(type));
	if (tls_write(ct->ssl, buf, (size_t)n, CTL_IO_MS, err,
	    sizeof(err)) == -1) {
		log_warnx("send %s to %s: %s", msg_name(type), ct->peer, err);
		return -1;
	}
	return 0;
}

static noreturn void
ctl_bye(struct control *ct, const char *reason)
{
	ctl_send(ct, MSG_BYE, reason, strlen(reason));
	ctl_exit(ct, 0);
}

/* Reads what TLS has into ct->in; -1 (reason in err) if the peer is gone
 * and nothing was read. A BYE and the close that follows it often arrive
 * together: what came first is parsed before the close is reported, which
 * the next call does. */
static int
ctl_tls_fill(struct control *ct, char *err, size_t errlen)
{
	size_t before = ct->inlen;
	ssize_t n;

	while (ct->inlen < sizeof(ct->in)) {
		n = tls_read(ct->ssl, ct->in + ct->inlen,
		    sizeof(ct->in) - ct->inlen, err, errlen);
		if (n < 0)
			return ct->inlen > before ? 0 : -1;
		if (n == 0)
			break;
		ct->inlen += (size_t)n;
	}
	return 0;
}

static void
ctl_tls_consume(struct control *ct, size_t n)
{
	memmove(ct->in, ct->in + n, ct->inlen - n);
	ct->inlen -= n;
}

/* Waits for one whole message from the peer until deadline; the caller
 * consumes it with ctl_tls_consume(). */
static ssize_t
ctl_tls_expect(struct control *ct, struct msg *m, uint64_t deadline,
    char *err, size_t errlen)
{
	struct pollfd pfd = { .fd = ct->sock, .events = POLLIN };

	for (;;) {
		ssize_t n = msg_parse(ct->in, ct->inlen, m);
		uint64_t now = now_ms();

		if (n != 0) {
			if (n < 0)
				snprintf(err, errlen, "malformed message");
			return n;
		}
		if (sig_term)
			ctl_bye(ct, "shutting down");
		if (now >= deadline) {
			snprintf(err, errlen, "timed out");
			return -1;
		}
		if (SSL_pending(ct->ssl) == 0 &&
		    poll_wait(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		if (ctl_tls_fill(ct, err, errlen) == -1)
			return -1;
	}
}

/* Waits for a message of type from a sibling process until deadline. */
static int
ctl_expect(struct control *ct, int fd, uint16_t type, uint8_t *buf,
    size_t cap, struct msg *m)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t deadline = now_ms() + CTL_CHILD_MS;
	int r;

	while (now_ms() < deadline && !sig_term) {
		if (poll_wait(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		if ((r = msg_recv(fd, buf, cap, m)) == 1 && m->type == type)
			return 0;
		if (r == 1 && m->type == MSG_ADDRESS_DENY && type ==
		    MSG_ADDRESS_GRANT)
			return 0;
		if (r == 1)
			fatalx("expected %s, got %s", msg_name(type),
			    msg_name(m->type));
		if (r == 0)
			ctl_bye(ct, "server process ended");
		if (errno != EAGAIN && errno != EINTR)
			fatal("waiting for %s", msg_name(type));
	}
	if (sig_term)
		ctl_bye(ct, "shutting down");
	log_warnx("no %s within %d ms", msg_name(type), CTL_CHILD_MS);
	ctl_bye(ct, "internal timeout");
}

/* Keys of one epoch: the first half seals client -> server, the second
 * server -> client. Our copy is wiped as soon as the data process has it. */
static void
ctl_keys(struct control *ct, uint32_t epoch, uint8_t flags)
{
	uint8_t km[2 * PKT_KEYMAT_LEN], p[MSG_KEYS_LEN];
	const uint8_t *c2s = km, *s2c = km + PKT_KEYMAT_LEN;

	if (tls_export(ct->ssl, epoch, km, sizeof(km)) == -1) {
		log_warnx("cannot export keys for epoch %u", epoch);
		ctl_bye(ct, "key export failed");
	}
	put_u32(p, epoch);
	p[4] = flags;
	memcpy(p + 5, ct->server ? s2c : c2s, PKT_KEYMAT_LEN);
	memcpy(p + 5 + PKT_KEYMAT_LEN, ct->server ? c2s : s2c, PKT_KEYMAT_LEN);
	if (msg_send(ct->data, MSG_KEYS, p, sizeof(p)) == -1)
		fatal("send keys to the data process");
	OPENSSL_cleanse(km, sizeof(km));
	OPENSSL_cleanse(p, sizeof(p));
	ct->epoch = epoch;
	log_debug("keys of epoch %u installed", epoch);
}

/* The SESSION message: what the data process needs besides keys. */
static void
ctl_session(struct control *ct, const uint8_t *cfg, uint32_t pool,
    uint8_t pool_prefix, unsigned ka_int, unsigned ka_to,
    const struct sockaddr *peer)
{
	uint8_t p[MSG_SESSION_LEN];

	memset(p, 0, sizeof(p));
	memcpy(p, cfg, 5);			/* vaddr, prefix */
	p[5] = (ct->server ? 2 : 0) | (ct->c->client_to_client ? 1 : 0);
	memcpy(p + 6, cfg + 5, 4);		/* server vaddr */
	put_u32(p + 10, pool);
	p[14] = pool_prefix;
	put_u16(p + 16, (uint16_t)ka_int);
	put_u16(p + 18, (uint16_t)ka_to);
	memcpy(p + 20, cfg + 9, 2);		/* mtu */
	if (peer != NULL && peer->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)peer;

		memcpy(p + 22, cfg + 11, 2);	/* the server's UDP port */
		memcpy(p + 24, &in->sin_addr, 4);
	}
	if (msg_send(ct->data, MSG_SESSION, p, sizeof(p)) == -1)
		fatal("send session to the data process");
}

static void
ctl_dispatch_data(struct control *ct)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int r = msg_recv(ct->data, buf, sizeof(buf), &m);

	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == 0)
		ctl_bye(ct, "data process ended");
	if (r == -1)
		fatalx("bad message from the data process");
	if (m.type == MSG_PEER_DEAD)
		ctl_bye(ct, "peer dead");
	if (m.type == MSG_REKEY_DUE) {
		log_info("sequence numbers nearly used up, ending the session");
		ctl_bye(ct, "sequence numbers used up");
	}
	fatalx("unexpected %s from the data process", msg_name(m.type));
}

static void
ctl_dispatch_parent(struct control *ct)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int r = msg_recv(ct->parent, buf, sizeof(buf), &m);

	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	/* Only the acceptor sends STOP: a newer session of this CN. */
	if (r == 1 && m.type == MSG_STOP && ct->server)
		ctl_bye(ct, "replaced by a newer session of this certificate");
	if (r == 1)
		fatalx("unexpected %s from the parent", msg_name(m.type));
	ctl_bye(ct, "shutting down");
}

static void
ctl_handle_peer_msg(struct control *ct, const struct msg *m)
{
	uint32_t epoch;

	switch (m->type) {
	case MSG_BYE:
		log_info("%s said goodbye: %.*s", ct->peer, (int)m->len,
		    (const char *)m->payload);
		ctl_exit(ct, 0);
	case MSG_REKEY:
		epoch = get_u32(m->payload);
		if (!ct->server || epoch != ct->epoch + 1)
			break;
		/* We can open the new key at once; we send with it only once
		 * the client has shown it has it too. */
		ctl_keys(ct, epoch, 0);
		if (ctl_send(ct, MSG_REKEY_ACK, m->payload, 4) == -1)
			ctl_exit(ct, 0);
		return;
	case MSG_REKEY_ACK:
		epoch = get_u32(m->payload);
		if (ct->server || !ct->rekey_sent || epoch != ct->epoch + 1)
			break;
		ctl_keys(ct, epoch, MSG_KEYS_TX_NOW);
		ct->rekey_sent = false;
		ct->rekey_at = now_ms() + (uint64_t)ct->c->reneg_sec * 1000;
		return;
	}
	log_warnx("unexpected %s from %s", msg_name(m->type), ct->peer);
	ctl_bye(ct, "protocol error");
}

static void
ctl_dispatch_peer(struct control *ct)
{
	char err[256];
	struct msg m;
	ssize_t n;

	if (ctl_tls_fill(ct, err, sizeof(err)) == -1) {
		log_warnx("control connection to %s lost: %s", ct->peer, err);
		ctl_exit(ct, 0);
	}
	while ((n = msg_parse(ct->in, ct->inlen, &m)) > 0) {
		ctl_handle_peer_msg(ct, &m);
		ctl_tls_consume(ct, (size_t)n);
	}
	if (n < 0) {
		log_warnx("malformed message from %s", ct->peer);
		ctl_bye(ct, "protocol error");
	}
}

static void
ctl_rekey(struct control *ct)
{
	uint8_t p[MSG_EPOCH_LEN];

	put_u32(p, ct->epoch + 1);
	if (ctl_send(ct, MSG_REKEY, p, sizeof(p)) == -1)
		ctl_exit(ct, 0);
	ct->rekey_sent = true;
	ct->rekey_at = now_ms() + (uint64_t)ct->c->reneg_sec * 1000;
}

static noreturn void
ctl_loop(struct control *ct)
{
	enum { P_PEER, P_PARENT, P_DATA, P_COUNT };
	struct pollfd pfd[P_COUNT] = {
		[P_PEER] = { .fd = ct->sock, .events = POLLIN },
		[P_PARENT] = { .fd = ct->parent, .events = POLLIN },
		[P_DATA] = { .fd = ct->data, .events = POLLIN },
	};

	if (ct->inlen > 0)
		ctl_dispatch_peer(ct);
	for (;;) {
		int timeout = -1;

		if (sig_term)
			ctl_bye(ct, "shutting down");
		if (ct->rekey_at != 0 && !ct->rekey_sent) {
			uint64_t now = now_ms();

			if (now >= ct->rekey_at)
				ctl_rekey(ct);
			else
				timeout = (int)(ct->rekey_at - now);
		}
		if (poll_wait(pfd, P_COUNT, timeout) <= 0 && SSL_pending(ct->ssl) == 0)
			continue;
		if (pfd[P_PEER].revents || SSL_pending(ct->ssl) > 0)
			ctl_dispatch_peer(ct);
		if (pfd[P_DATA].revents)
			ctl_dispatch_data(ct);
		if (pfd[P_PARENT].revents)
			ctl_dispatch_parent(ct);
	}
}

/* --- server side --- */

static void
ctl_server_hello(struct control *ct)
{
	uint64_t deadline = now_ms() + ct->c->handshake_timeout * 1000ULL;
	char err[256];
	struct msg m;
	ssize_t n;

	if ((n = ctl_tls_expect(ct, &m, deadline, err, sizeof(err))) < 0) {
		log_warnx("no HELLO from %s: %s", ct->peer, err);
		ctl_exit(ct, 0);
	}
	if (m.type != MSG_HELLO || get_u16(m.payload) != PROTO_VERSION) {
		log_warnx("%s sent %s version %u, expected HELLO version %u",
		    ct->peer, msg_name(m.type), m.type == MSG_HELLO ?
		    get_u16(m.payload) : 0, PROTO_VERSION);
		ctl_bye(ct, "protocol version not supported");
	}
	ctl_tls_consume(ct, (size_t)n);
}

/* Asks the acceptor for the client's address; fills CONFIG bytes 0..8. */
static void
ctl_server_address(struct control *ct, const char *cn, uint8_t *cfg)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	char a[16];

	if (msg_send(ct->parent, MSG_ADDRESS_REQUEST, cn, strlen(cn)) == -1)
		fatal("address request");
	ctl_expect(ct, ct->parent, MSG_ADDRESS_GRANT, buf, sizeof(buf), &m);
	if (m.type == MSG_ADDRESS_DENY) {
		char why[MSG_REASON_MAX + 1];

		snprintf(why, sizeof(why), "%.*s", (int)m.len, m.payload);
		ctl_bye(ct, why);	/* the acceptor has logged it */
	}
	memcpy(cfg, m.payload, MSG_ADDRESS_GRANT_LEN);
	log_set_client(cn, ip4_str(get_u32(cfg), a));
}

static size_t
ctl_server_config(struct control *ct, uint8_t *cfg, uint16_t port)
{
	const struct conf *c = ct->c;
	uint8_t *r = cfg + MSG_CONFIG_MIN;

	put_u16(cfg + 9, (uint16_t)c->mtu);
	put_u16(cfg + 11, port);
	put_u16(cfg + 13, (uint16_t)c->keepalive_interval);
	put_u16(cfg + 15, (uint16_t)c->keepalive_timeout);
	cfg[17] = (uint8_t)c->nroutes;
	for (unsigned i = 0; i < c->nroutes; i++, r += 5) {
		put_u32(r, c->routes[i].addr);
		r[4] = c->routes[i].prefix;
	}
	return (size_t)(r - cfg);
}

void
control_server_main(const struct conf *c, SSL_CTX *ctx, int sock,
    int acceptor, int data, const char *peer)
{
	struct control ct = { .c = c, .sock = sock, .parent = acceptor,
	    .data = data, .server = true };
	uint8_t cfg[MSG_CONFIG_MAX], buf[MSG_MAX_LEN];
	char err[256], cn[MSG_CN_MAX + 1];
	struct msg m;
	size_t len;

	log_set_role("control");
	snprintf(ct.peer, sizeof(ct.peer), "%s", peer);
	ct.ssl = tls_accept(ctx, sock, (int)c->handshake_timeout * 1000, err,
	    sizeof(err));
	if (ct.ssl == NULL) {
		log_warnx("TLS handshake failed with %s: %s", peer, err);
		exit(0);
	}
	if (tls_peer_cn(ct.ssl, cn, sizeof(cn)) == -1) {
		log_warnx("refusing %s: its certificate has no usable CN", peer);
		ctl_bye(&ct, "certificate without a usable CN");
	}
	log_set_client(cn, NULL);
	ctl_server_hello(&ct);
	ctl_server_address(&ct, cn, cfg);
	ctl_expect(&ct, data, MSG_PORT, buf, sizeof(buf), &m);
	len = ctl_server_config(&ct, cfg, get_u16(m.payload));
	ctl_session(&ct, cfg, c->pool_addr, c->pool_prefix,
	    c->keepalive_interval, c->keepalive_timeout, NULL);
	ctl_keys(&ct, 0, MSG_KEYS_TX_NOW);
	if (ctl_send(&ct, MSG_CONFIG, cfg, len) == -1)
		ctl_exit(&ct, 0);
	log_info("session up from %s, data port %u", peer, get_u16(m.payload));
	ctl_loop(&ct);
}

/* --- client side --- */

static int
ctl_connect_one(const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd pfd = { .events = POLLOUT };
	int fd, e = 0;
	socklen_t el = sizeof(e);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno == EINPROGRESS) {
		pfd.fd = fd;
		if (poll_wait(&pfd, 1, timeout_ms) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0)
			return fd;
		errno = e != 0 ? e : ETIMEDOUT;
	}
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int
ctl_connect(struct control *ct, struct sockaddr_storage *peer)
{
	/* IPv4 only, for now: the data channel's SESSION carries an IPv4
	 * server address. */
	struct addrinfo hints = { .ai_family = AF_INET,
	    .ai_socktype = SOCK_STREAM }, *res, *ai;
	char port[8];
	int fd = -1, r;

	snprintf(port, sizeof(port), "%u", ct->c->remote_port);
	if ((r = getaddrinfo(ct->c->remote_host, port, &hints, &res)) != 0) {
		log_warnx("cannot resolve %s: %s", ct->c->remote_host,
		    gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		fd = ctl_connect_one(ai, (int)ct->c->handshake_timeout * 1000);
		if (fd != -1)
			memcpy(peer, ai->ai_addr, ai->ai_addrlen);
	}
	if (fd == -1)
		log_warn("cannot connect to %s", ct->peer);
	freeaddrinfo(res);
	return fd;
}

/* HELLO, then CONFIG. In TLS 1.3 the server judges our certificate after
 * our side of the handshake is done, so its refusal arrives here. */
static size_t
ctl_client_config(struct control *ct, const struct sockaddr_storage *peer,
    uint8_t *cfg)
{
	uint64_t deadline = now_ms() + ct->c->handshake_timeout * 1000ULL;
	uint8_t hello[MSG_HELLO_LEN] = { 0 };
	char err[256];
	const char *why;
	struct msg m;
	ssize_t n;

	put_u16(hello, PROTO_VERSION);
	if (ctl_send(ct, MSG_HELLO, hello, sizeof(hello)) == -1)
		ctl_exit(ct, 1);
	if ((n = ctl_tls_expect(ct, &m, deadline, err, sizeof(err))) < 0) {
		log_warnx("TLS handshake failed with %s: %s", ct->peer, err);
		ctl_exit(ct, 1);
	}
	if (m.type == MSG_BYE) {
		log_warnx("%s refused the session: %.*s", ct->peer, (int)m.len,
		    (const char *)m.payload);
		ctl_exit(ct, 1);
	}
	if (m.type != MSG_CONFIG)
		why = "expected CONFIG";
	else
		why = msg_config_check(m.payload, m.len, peer->ss_family ==
		    AF_INET ? ntohl(((const struct sockaddr_in *)peer)->sin_addr.
		    s_addr) : 0);
	if (why != NULL) {
		log_warnx("bad CONFIG from %s: %s", ct->peer, why);
		ctl_bye(ct, "bad CONFIG");
	}
	memcpy(cfg, m.payload, m.len);
	ctl_tls_consume(ct, (size_t)n);
	return m.len;
}

void
control_client_main(const struct conf *c, SSL_CTX *ctx, int parent, int data)
{
	struct control ct = { .c = c, .parent = parent, .data = data };
	struct sockaddr_storage peer;
	uint8_t cfg[MSG_CONFIG_MAX], buf[MSG_MAX_LEN];
	unsigned ka_int, ka_to;
	char err[256], a[16];
	struct msg m;
	size_t len;

	log_set_role("control");
	snprintf(ct.peer, sizeof(ct.peer), "%s:%u", c->remote_host,
	    c->remote_port);
	if ((ct.sock = ctl_connect(&ct, &peer)) == -1)
		exit(1);

	sa_str((struct sockaddr *)&peer, ct.peer, sizeof(ct.peer));
	ct.ssl = tls_connect(ctx, ct.sock, c->server_name,
	    (int)c->handshake_timeout * 1000, err, sizeof(err));
	if (ct.ssl == NULL) {
		log_warnx("TLS handshake failed with %s: %s", ct.peer, err);
		exit(1);
	}
	len = ctl_client_config(&ct, &peer, cfg);
	log_set_client(c->server_name, ip4_str(get_u32(cfg), a));
	if (msg_send(parent, MSG_TUN_CONFIG, cfg, len) == -1)
		fatal("send TUN_CONFIG");
	ctl_expect(&ct, data, MSG_PORT, buf, sizeof(buf), &m);
	ka_int = c->keepalive_set ? c->keepalive_interval : get_u16(cfg + 13);
	ka_to = c->keepalive_set ? c->keepalive_timeout : get_u16(cfg + 15);
	ctl_session(&ct, cfg, 0, 0, ka_int, ka_to, (struct sockaddr *)&peer);
	ctl_keys(&ct, 0, MSG_KEYS_TX_NOW);
	if (c->reneg_sec != 0)
		ct.rekey_at = now_ms() + (uint64_t)c->reneg_sec * 1000;
	log_info("connected to %s as %s/%u", ct.peer, a, cfg[4]);
	ctl_loop(&ct);
}
