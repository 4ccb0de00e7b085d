/* The control processes, one per session on each side: they own the TLS
 * connection, run the handshake and the HELLO/CONFIG exchange under a
 * deadline, derive the data-channel keys from the TLS session and hand them
 * to their data process, and end the session cleanly (BYE) when either side
 * or the data process says so.
 *
 * Owns: fd 3 (socket to the acceptor / client parent), the TCP socket and
 * its TLS state, the socketpair to its data process, and, until its TLS
 * context is built, the PEM files (the only process besides the acceptor
 * that ever holds the private key). */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
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
#include "sandbox.h"
#include "tls.h"
#include "util.h"

#define PROTO_VERSION 3		/* 3: CONFIG carries push-dns, push-domain */
#define CTL_IO_MS 5000		/* one control message write, at most */
#define CTL_CHILD_MS 10000	/* a sibling's answer, at most */
#define CTL_LINGER_MS 2000	/* the peer's close after our BYE, at most */
/* REKEY from a client: every one costs an export and a KEYS message to the
 * data process, so a client may not ask without bound. A bucket of 5, one
 * back a second: an honest client rekeys at most every reneg-sec (>= 1 s)
 * and so never runs dry. */
#define CTL_REKEY_BURST 5
#define CTL_REKEY_REFILL_MS 1000

struct control {
	const struct conf *c;
	SSL *ssl;
	int sock, parent, data;
	bool server;
	uint32_t rx_index;	/* ours: the peer puts it in every packet */
	uint32_t tx_index;	/* the peer's */
	uint32_t epoch;
	uint64_t rekey_at;	/* client: when to send REKEY; 0: never */
	bool rekey_sent;
	uint64_t rekey_credit_ms;	/* server: the bucket, in ms of refill */
	uint64_t rekey_seen_ms;		/* server: when it was last filled */
	char cn[MSG_CN_MAX + 1];	/* server: the client's, for the log */
	char peer[300];
	uint8_t in[2 * MSG_MAX_LEN];	/* TLS bytes not yet parsed */
	size_t inlen;
};

static noreturn void
ctl_exit(struct control *ct, int code)
{
	tls_close(ct->ssl, CTL_LINGER_MS);
	exit(code);
}

/* 0, or -1 with the reason in err. */
static int
ctl_write(struct control *ct, uint16_t type, const void *p, size_t len,
    char *err, size_t errlen)
{
	uint8_t buf[MSG_MAX_LEN];
	ssize_t n;

	if ((n = msg_build(buf, sizeof(buf), type, p, len)) == -1)
		fatalx("cannot build %s", msg_name(type));
	return tls_write(ct->ssl, buf, (size_t)n, CTL_IO_MS, err, errlen);
}

static int
ctl_send(struct control *ct, uint16_t type, const void *p, size_t len)
{
	char err[256];

	if (ctl_write(ct, type, p, len, err, sizeof(err)) == -1) {
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
	uint8_t km[2 * PKT_KEYMAT_LEN], p[MSG_MAX_PAYLOAD];
	const uint8_t *c2s = km, *s2c = km + PKT_KEYMAT_LEN;
	struct msg_keys k = { .epoch = epoch, .flags = flags };
	size_t n;

	if (tls_export(ct->ssl, epoch, km, sizeof(km)) == -1) {
		log_warnx("cannot export keys for epoch %u", epoch);
		ctl_bye(ct, "key export failed");
	}
	memcpy(k.tx, ct->server ? s2c : c2s, PKT_KEYMAT_LEN);
	memcpy(k.rx, ct->server ? c2s : s2c, PKT_KEYMAT_LEN);
	n = msg_put_keys(p, &k);
	if (msg_send(ct->data, MSG_KEYS, p, n) == -1)
		fatal("send keys to the data process");
	OPENSSL_cleanse(km, sizeof(km));
	OPENSSL_cleanse(&k, sizeof(k));
	OPENSSL_cleanse(p, n);
	ct->epoch = epoch;
	log_debug("keys of epoch %u installed", epoch);
}

/* The client networks of cn (mine) or of every other CN (!mine), appended
 * to out (IPv4, *n of max4 so far) and out6 (IPv6, *n6 of max6). */
static void
ctl_client_nets(const struct conf *c, const char *cn, bool mine,
    struct msg_route *out, uint8_t *n, unsigned max4,
    struct msg_net6 *out6, uint8_t *n6, unsigned max6)
{
	for (unsigned i = 0; i < c->nclient_nets; i++) {
		const struct conf_client_net *cl = &c->client_nets[i];

		if ((strcmp(cl->cn, cn) == 0) != mine)
			continue;
		if (!cl->v6 && *n < max4)
			out[(*n)++] = (struct msg_route){ cl->addr,
			    cl->prefix };
		else if (cl->v6 && *n6 < max6) {
			memcpy(out6[*n6].addr, cl->addr6, 16);
			out6[(*n6)++].prefix = cl->prefix;
		}
	}
}

/* The SESSION message: what the data process needs besides keys. */
static void
ctl_session(struct control *ct, const struct msg_config *cfg,
    unsigned ka_int, unsigned ka_to, const struct sockaddr_storage *peer)
{
	struct msg_session s = { .vaddr = cfg->vaddr, .prefix = cfg->prefix,
	    .server_vaddr = cfg->server_vaddr, .mtu = cfg->mtu,
	    .keepalive_interval = (uint16_t)ka_int,
	    .keepalive_timeout = (uint16_t)ka_to,
	    .rx_index = ct->rx_index, .tx_index = ct->tx_index };
	uint8_t p[MSG_MAX_PAYLOAD];

	memcpy(s.vaddr6, cfg->vaddr6.addr, 16);
	memcpy(s.server_vaddr6, cfg->server_vaddr6, 16);
	if (ct->server) {
		s.pool = ct->c->pool_addr;
		s.pool_prefix = ct->c->pool_prefix;
		if (cfg->vaddr6.prefix != 0) {
			memcpy(s.pool6, ct->c->pool6.addr, 16);
			s.pool6_prefix = ct->c->pool6.prefix;
		}
		s.client_to_client = ct->c->client_to_client;
		ctl_client_nets(ct->c, ct->cn, true, s.nets, &s.nnets,
		    MSG_NETS_MAX, s.nets6, &s.nnets6,
		    cfg->vaddr6.prefix != 0 ? MSG_NETS_MAX : 0);
	} else
		s.peer = *peer;
	if (msg_send(ct->data, MSG_SESSION, p, msg_put_session(p, &s)) == -1)
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

/* A reload's new CRL (and the CA, which a reload does not change): the
 * client's certificate is checked again here, where the TLS session and
 * its chain already are, so that the acceptor never parses a certificate
 * and no process learns more than it holds. One that fails now ends the
 * session with the reason, as a new handshake would have failed. */
static void
ctl_recheck(struct control *ct, const struct msg *m, int *fds, size_t nfds)
{
	struct tls_pem pem = { .fd = { -1, -1, -1, -1 },
	    .path = { "ca", NULL, NULL, "crl" } };
	struct msg_recheck rc;
	char err[256];
	int r;

	if (msg_get_recheck(m, &rc) == -1 || nfds != 2 || !ct->server)
		fatalx("malformed RECHECK from the parent");
	pem.fd[TLS_CA] = fds[0];
	pem.fd[TLS_CRL] = fds[1];
	r = tls_peer_recheck(ct->ssl, &pem, err, sizeof(err));
	tls_pem_close(&pem);
	if (r == 1) {
		log_debug("reload %u: the certificate still passes",
		    rc.generation);
		return;
	}
	if (r == -1) {
		log_warnx("reload %u: cannot check the certificate again (%s); "
		    "the session stays", rc.generation, err);
		return;
	}
	log_info("reload %u: ending the session of %s from %s: %s",
	    rc.generation, ct->cn, ct->peer, err);
	ctl_bye(ct, err);
}

static void
ctl_dispatch_parent(struct control *ct)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	struct msg_end e;
	int fds[2];
	size_t nfds = 0;
	int r = msg_recv_fds(ct->parent, buf, sizeof(buf), &m, fds, 2, &nfds);

	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == 1 && m.type == MSG_RECHECK) {
		ctl_recheck(ct, &m, fds, nfds);
		return;
	}
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	/* Only the acceptor sends STOP: a newer session of this CN, from
	 * the address it names, which the client logs. */
	if (r == 1 && m.type == MSG_STOP && ct->server) {
		char by[MSG_PEER_MAX + 1], why[MSG_REASON_MAX];

		msg_get_text(&m, by, sizeof(by));
		snprintf(why, sizeof(why), "replaced by a newer session of "
		    "this certificate from %s", by[0] ? by : "elsewhere");
		ctl_bye(ct, why);
	}
	if (r == 1 && msg_get_end(&m, &e) == 0 && ct->server) {
		log_info("ending the session of %s from %s: %s", ct->cn,
		    ct->peer, msg_end_reason(e.cause));
		ctl_bye(ct, msg_end_reason(e.cause));
	}
	if (r == 1)
		fatalx("unexpected %s from the parent", msg_name(m.type));
	ctl_bye(ct, "shutting down");
}

/* Takes a token from the session's REKEY bucket; false if it is empty. */
static bool
ctl_rekey_allowed(struct control *ct)
{
	const uint64_t cap = CTL_REKEY_BURST * (uint64_t)CTL_REKEY_REFILL_MS;
	uint64_t now = now_ms();

	ct->rekey_credit_ms += now - ct->rekey_seen_ms;
	if (ct->rekey_credit_ms > cap)
		ct->rekey_credit_ms = cap;
	ct->rekey_seen_ms = now;
	if (ct->rekey_credit_ms < CTL_REKEY_REFILL_MS)
		return false;
	ct->rekey_credit_ms -= CTL_REKEY_REFILL_MS;
	return true;
}

static void
ctl_handle_peer_msg(struct control *ct, const struct msg *m)
{
	struct msg_epoch e = { 0 };
	char why[MSG_REASON_MAX + 1];
	uint32_t epoch;

	msg_get_epoch(m, &e);
	epoch = e.epoch;
	switch (m->type) {
	case MSG_BYE:
		msg_get_text(m, why, sizeof(why));
		if (ct->server)
			log_info("%s said goodbye: %s", ct->peer, why);
		else
			log_warnx("server %s ended the session; it said "
			    "goodbye: %s", ct->peer, why);
		ctl_exit(ct, 0);
	case MSG_REKEY:
		if (ct->server && !ctl_rekey_allowed(ct)) {
			log_warnx("ending the session of %s from %s: REKEY more "
			    "than %d in a burst or 1 a second", ct->cn,
			    ct->peer, CTL_REKEY_BURST);
			ctl_bye(ct, "rekeying too often");
		}
		if (!ct->server || epoch != ct->epoch + 1)
			break;
		/* We can open the new key at once; we send with it only once
		 * the client has shown it has it too. */
		ctl_keys(ct, epoch, 0);
		if (ctl_send(ct, MSG_REKEY_ACK, m->payload, m->len) == -1)
			ctl_exit(ct, 0);
		return;
	case MSG_REKEY_ACK:
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
	uint8_t p[MSG_MAX_PAYLOAD];
	struct msg_epoch e = { .epoch = ct->epoch + 1 };

	if (ctl_send(ct, MSG_REKEY, p, msg_put_epoch(p, &e)) == -1)
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

/* Both sides carry the same thing, packets (tun) or frames (tap): the
 * client says which in HELLO. */
static void
ctl_server_dev_type(struct control *ct, const struct msg_hello *h)
{
	bool tap = ct->c->dev_type == CONF_DEV_TAP;

	if (((h->flags & MSG_HELLO_TAP) != 0) == tap)
		return;
	log_warnx("refusing %s: it uses dev-type %s, this server %s", ct->peer,
	    tap ? "tun" : "tap", tap ? "tap" : "tun");
	ctl_bye(ct, tap ? "dev-type mismatch: the server uses tap, the client "
	    "tun" : "dev-type mismatch: the server uses tun, the client tap");
}

static void
ctl_server_hello(struct control *ct)
{
	uint64_t deadline = now_ms() + ct->c->handshake_timeout * 1000ULL;
	struct msg_hello h = { 0 };
	char err[256];
	struct msg m;
	ssize_t n;

	if ((n = ctl_tls_expect(ct, &m, deadline, err, sizeof(err))) < 0) {
		log_warnx("no HELLO from %s: %s", ct->peer, err);
		ctl_exit(ct, 0);
	}
	if (msg_get_hello(&m, &h) == -1 || h.version != PROTO_VERSION) {
		log_warnx("%s sent %s version %u, expected HELLO version %u",
		    ct->peer, msg_name(m.type), h.version, PROTO_VERSION);
		ctl_bye(ct, "protocol version not supported");
	}
	ctl_server_dev_type(ct, &h);
	ct->tx_index = h.index;
	ctl_tls_consume(ct, (size_t)n);
}

/* Asks the acceptor for the client's address and receiver index. */
static void
ctl_server_address(struct control *ct, const char *cn, struct msg_grant *g)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	char a[16];

	if (msg_send(ct->parent, MSG_ADDRESS_REQUEST, cn, strlen(cn)) == -1)
		fatal("address request");
	ctl_expect(ct, ct->parent, MSG_ADDRESS_GRANT, buf, sizeof(buf), &m);
	if (m.type == MSG_ADDRESS_DENY) {
		char why[MSG_REASON_MAX + 1];

		msg_get_text(&m, why, sizeof(why));
		ctl_bye(ct, why);	/* the acceptor has logged it */
	}
	if (msg_get_grant(&m, g) == -1)
		fatalx("malformed ADDRESS_GRANT");
	ct->rx_index = g->index;
	log_set_client(cn, ip4_str(g->vaddr, a));
}

static void
ctl_server_config(struct control *ct, const struct msg_grant *g,
    struct msg_config *cfg)
{
	const struct conf *c = ct->c;

	*cfg = (struct msg_config){ .vaddr = g->vaddr, .prefix = g->prefix,
	    .server_vaddr = g->server_vaddr, .mtu = (uint16_t)c->mtu,
	    .port = conf_udp_port(c),
	    .keepalive_interval = (uint16_t)c->keepalive_interval,
	    .keepalive_timeout = (uint16_t)c->keepalive_timeout,
	    .index = g->index, .nroutes = (uint8_t)c->nroutes };
	for (unsigned i = 0; i < c->nroutes; i++)
		cfg->routes[i] = (struct msg_route){ c->routes[i].addr,
		    c->routes[i].prefix };
	/* conf_check left room for them */
	for (unsigned i = 0; c->push_redirect_gateway &&
	    i < CONF_REDIRECT_ROUTES; i++)
		cfg->routes[cfg->nroutes++] = (struct msg_route){
		    conf_redirect_routes[i].addr,
		    conf_redirect_routes[i].prefix };
	/* Other clients' networks are theirs to reach only through
	 * client-to-client. */
	if (c->push_client_nets && c->client_to_client)
		ctl_client_nets(c, ct->cn, false, cfg->routes, &cfg->nroutes,
		    MSG_ROUTES_MAX, cfg->routes6, &cfg->nroutes6, 0);
	cfg->ndns = (uint8_t)c->ndns;		/* conf.c: they fit */
	for (unsigned i = 0; i < c->ndns; i++) {
		cfg->dns[i].family = c->dns[i].family;
		memcpy(cfg->dns[i].addr, c->dns[i].addr, sizeof(c->dns[i].addr));
	}
	cfg->ndomains = (uint8_t)c->ndomains;
	memcpy(cfg->domains, c->domains, sizeof(cfg->domains));
	if (g->vaddr6.prefix == 0)
		return;
	cfg->vaddr6 = g->vaddr6;
	memcpy(cfg->server_vaddr6, g->server_vaddr6, 16);
	for (unsigned i = 0; i < c->nroutes6 && i < MSG_ROUTES_MAX; i++) {
		memcpy(cfg->routes6[i].addr, c->routes6[i].addr, 16);
		cfg->routes6[cfg->nroutes6++].prefix = c->routes6[i].prefix;
	}
	if (c->push_client_nets && c->client_to_client)	/* as above */
		ctl_client_nets(c, ct->cn, false, cfg->routes, &cfg->nroutes,
		    0, cfg->routes6, &cfg->nroutes6, MSG_ROUTES_MAX);
}

/* Our TLS context from the PEM files we were handed, which are then closed:
 * from here on the key lives only inside the context. */
static SSL_CTX *
ctl_tls_ctx(const struct control *ct, struct tls_pem *pem)
{
	char err[512];
	SSL_CTX *ctx = tls_ctx_new(ct->server, pem, err, sizeof(err));

	tls_pem_close(pem);
	if (ctx == NULL)
		fatalx("cannot load certificates: %s", err);
	return ctx;
}

void
control_server_main(const struct conf *c, int parent,
    const struct msg_start *st, int sock, int data, struct tls_pem *pem)
{
	struct control ct = { .c = c, .sock = sock, .parent = parent,
	    .data = data, .server = true,
	    .rekey_credit_ms = CTL_REKEY_BURST * (uint64_t)CTL_REKEY_REFILL_MS,
	    .rekey_seen_ms = now_ms() };
	uint8_t p[MSG_MAX_PAYLOAD];
	struct msg_config cfg;
	struct msg_grant g;
	char err[256];
	SSL_CTX *ctx = ctl_tls_ctx(&ct, pem);

	sa_str((const struct sockaddr *)&st->peer, ct.peer, sizeof(ct.peer));
	if (fd_nonblock(parent) == -1 || fd_nonblock(data) == -1)
		fatal("control fds");
	if (sandbox_enter(SANDBOX_CONTROL, -1) == -1)
		fatal("seccomp");
	ct.ssl = tls_accept(ctx, sock, (int)c->handshake_timeout * 1000, err,
	    sizeof(err));
	if (ct.ssl == NULL) {
		log_warnx("TLS handshake failed with %s: %s", ct.peer, err);
		exit(0);
	}
	if (tls_peer_cn(ct.ssl, ct.cn, sizeof(ct.cn)) == -1) {
		log_warnx("refusing %s: its certificate has no usable CN",
		    ct.peer);
		ctl_bye(&ct, "certificate without a usable CN");
	}
	log_set_client(ct.cn, NULL);
	ctl_server_hello(&ct);
	ctl_server_address(&ct, ct.cn, &g);
	ctl_server_config(&ct, &g, &cfg);
	ctl_session(&ct, &cfg, c->keepalive_interval, c->keepalive_timeout,
	    NULL);
	ctl_keys(&ct, 0, MSG_KEYS_TX_NOW);
	if (ctl_send(&ct, MSG_CONFIG, p, msg_put_config(p, &cfg)) == -1)
		ctl_exit(&ct, 0);
	log_info("session up from %s", ct.peer);
	malloc_trim(0);		/* the handshake's garbage, as in data.c */
	ctl_loop(&ct);
}

/* --- client side --- */

/* A certificate one side refused: trying again changes nothing until
 * someone changes a certificate, a CRL or the configuration. OpenSSL's
 * reasons: our own verification of the server's, or the server's alert
 * about ours. */
static bool
ctl_refusal_permanent(const char *err)
{
	static const char *const permanent[] = {
		"certificate verify failed", "alert bad certificate",
		"alert unknown ca", "alert certificate revoked",
		"alert certificate expired", "alert certificate unknown",
		"alert certificate required", "alert unsupported certificate",
		"alert access denied",
	};

	for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		if (strstr(err, permanent[i]) != NULL)
			return true;
	return false;
}

/* Tells the parent when a refusal is for good (status: state=refused);
 * the session ends either way. */
static noreturn void
ctl_client_failed(struct control *ct, const char *what, const char *err)
{
	char why[MSG_REASON_MAX];
	int n;

	log_warnx("%s %s: %s", what, ct->peer, err);
	if (ctl_refusal_permanent(err)) {
		n = snprintf(why, sizeof(why), "%s %s: %s", what, ct->peer,
		    err);
		msg_send(ct->parent, MSG_REFUSED, why, n < 0 ? 0 :
		    (size_t)n < sizeof(why) ? (size_t)n : sizeof(why) - 1);
	}
	ctl_exit(ct, 1);
}

/* Happy eyeballs (RFC 8305, its connection part): one attempt, then the
 * next address every CTL_EYEBALLS_MS while earlier ones are still waiting
 * (at once if they all failed), IPv6 and IPv4 taking turns; the first to
 * connect wins. So a family whose path silently drops (a broken IPv6
 * route, a firewall) costs a quarter second, not a timeout per address.
 * Every attempt gets the handshake timeout from its start. */
#define CTL_EYEBALLS_MS 250
#define CTL_CONNECT_MAX 16	/* addresses tried */

struct ctl_attempt {
	const struct addrinfo *ai;
	int fd;			/* -1: not started, or over */
	uint64_t deadline;
};

/* res in turns of family, the first address's family first. */
static size_t
ctl_interleave(const struct addrinfo *res, struct ctl_attempt *at)
{
	const struct addrinfo *ai, *first[2] = { NULL, NULL };
	size_t n = 0;
	int fam = res->ai_family;

	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (first[ai->ai_family != fam] == NULL)
			first[ai->ai_family != fam] = ai;
	for (unsigned k = 0; n < CTL_CONNECT_MAX &&
	    (first[0] != NULL || first[1] != NULL); k ^= 1) {
		if ((ai = first[k]) == NULL)
			continue;
		at[n++] = (struct ctl_attempt){ .ai = ai, .fd = -1 };
		do
			ai = ai->ai_next;
		while (ai != NULL && (ai->ai_family != fam) != k);
		first[k] = ai;
	}
	return n;
}

/* Starts a's connect: 1 if it connected at once, 0 if it is under way,
 * -1 (errno) if it failed. */
static int
ctl_attempt_start(struct ctl_attempt *a, uint64_t deadline)
{
	int e;

	a->deadline = deadline;
	a->fd = socket(a->ai->ai_family, a->ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, a->ai->ai_protocol);
	if (a->fd == -1)
		return -1;
	if (connect(a->fd, a->ai->ai_addr, a->ai->ai_addrlen) == 0)
		return 1;
	if (errno == EINPROGRESS)
		return 0;
	e = errno;
	close(a->fd);
	a->fd = -1;
	errno = e;
	return -1;
}

/* a failed: why goes into the line of failures, its socket away. */
static void
ctl_attempt_fail(struct ctl_attempt *a, int why, char *tried, size_t size)
{
	size_t used = strlen(tried);
	char addr[64];

	snprintf(tried + used, size - used, "%s%s: %s", used ? ", " : "",
	    sa_str(a->ai->ai_addr, addr, sizeof(addr)), strerror(why));
	if (a->fd != -1)
		close(a->fd);
	a->fd = -1;
}

/* Each address of remote (IPv6 and IPv4, as the resolver sorts them,
 * in turns), with happy eyeballs; if none answers, one line names every
 * address tried and why it failed. */
static int
ctl_connect(struct control *ct, struct sockaddr_storage *peer)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM }, *res;
	struct ctl_attempt at[CTL_CONNECT_MAX], *won = NULL;
	struct pollfd pfd[CTL_CONNECT_MAX];
	size_t idx[CTL_CONNECT_MAX], n, next = 0, np, i, k;
	uint64_t timeout = ct->c->handshake_timeout * 1000ULL, now, turn = 0,
	    wake;
	char port[8], tried[512] = "";
	socklen_t el;
	int r, e;

	snprintf(port, sizeof(port), "%u", ct->c->remote_port);
	if ((r = getaddrinfo(ct->c->remote_host, port, &hints, &res)) != 0) {
		log_warnx("cannot resolve %s: %s", ct->c->remote_host,
		    r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return -1;
	}
	n = ctl_interleave(res, at);
	while (won == NULL && !sig_term) {
		now = now_ms();
		for (np = 0, i = 0; i < next; i++)
			if (at[i].fd != -1)
				idx[np++] = i;
		/* the next address, when its turn comes or nothing waits */
		if (next < n && (np == 0 || now >= turn)) {
			r = ctl_attempt_start(&at[next], now + timeout);
			if (r == 1)
				won = &at[next];
			else if (r == -1)
				ctl_attempt_fail(&at[next], errno, tried,
				    sizeof(tried));
			turn = now + CTL_EYEBALLS_MS;
			next++;
			continue;
		}
		if (np == 0)
			break;			/* every address failed */
		/* until one answers, the next turn, or a deadline */
		wake = next < n ? turn : UINT64_MAX;
		for (k = 0; k < np; k++) {
			if (at[idx[k]].deadline < wake)
				wake = at[idx[k]].deadline;
			pfd[k] = (struct pollfd){ at[idx[k]].fd, POLLOUT, 0 };
		}
		poll_wait(pfd, np, wake > now ? (int)(wake - now) : 0);
		now = now_ms();
		for (k = 0; k < np && won == NULL; k++) {
			e = 0;
			el = sizeof(e);
			if (pfd[k].revents != 0 && getsockopt(pfd[k].fd,
			    SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0)
				won = &at[idx[k]];
			else if (e != 0 || now >= at[idx[k]].deadline)
				ctl_attempt_fail(&at[idx[k]], e != 0 ? e :
				    ETIMEDOUT, tried, sizeof(tried));
		}
	}
	for (i = 0; i < next; i++)
		if (&at[i] != won && at[i].fd != -1)
			close(at[i].fd);
	if (won != NULL) {
		memset(peer, 0, sizeof(*peer));
		memcpy(peer, won->ai->ai_addr, won->ai->ai_addrlen);
	} else if (!sig_term)
		log_warnx("cannot connect to %s (%s)", ct->peer, tried);
	freeaddrinfo(res);
	return won != NULL ? won->fd : -1;
}

/* HELLO, then CONFIG. In TLS 1.3 the server judges our certificate after
 * our side of the handshake is done, so its refusal arrives here.
 * The CONFIG is judged here against the server's address, which only we
 * know; the parent judges it again against this host's networks and
 * gateways, and is not told the address (see client.c). Routes we do not
 * take are left out here; the parent drops them. */
static void
ctl_client_config(struct control *ct, const struct sockaddr_storage *peer,
    struct msg_config *cfg)
{
	uint64_t deadline = now_ms() + ct->c->handshake_timeout * 1000ULL;
	struct msg_hello h = { .version = PROTO_VERSION,
	    .flags = ct->c->dev_type == CONF_DEV_TAP ? MSG_HELLO_TAP : 0,
	    .index = ct->rx_index };
	struct msg_underlay u = { .full_tunnel = ct->c->allow_full_tunnel };
	struct msg_config taken;
	uint8_t p[MSG_MAX_PAYLOAD];
	char err[256];
	struct msg m;
	ssize_t n;

	if (ctl_write(ct, MSG_HELLO, p, msg_put_hello(p, &h), err,
	    sizeof(err)) == -1)
		ctl_client_failed(ct, "TLS handshake failed with", err);
	if ((n = ctl_tls_expect(ct, &m, deadline, err, sizeof(err))) < 0)
		ctl_client_failed(ct, "TLS handshake failed with", err);
	if (m.type == MSG_BYE) {
		msg_get_text(&m, err, sizeof(err));
		log_warnx("%s refused the session: %s", ct->peer, err);
		ctl_exit(ct, 1);
	}
	if (msg_get_config(&m, cfg) == -1 || m.type != MSG_CONFIG) {
		log_warnx("expected CONFIG from %s, got %s", ct->peer,
		    msg_name(m.type));
		ctl_bye(ct, "expected CONFIG");
	}
	/* u.server is IPv4 only: pushed IPv4 routes are judged against an
	 * IPv4 server's address; nothing judges IPv6 routes against an IPv6
	 * server's */
	if (peer->ss_family == AF_INET)
		u.server = ntohl(((const struct sockaddr_in *)peer)->
		    sin_addr.s_addr);
	taken = *cfg;
	conf_pull_config(ct->c, &taken, NULL);
	if (msg_config_judge(&taken, &u, err, sizeof(err)) != NULL) {
		log_warnx("refusing the CONFIG of %s: %s", ct->peer, err);
		ctl_bye(ct, "CONFIG refused");
	}
	ct->tx_index = cfg->index;
	ctl_tls_consume(ct, (size_t)n);
}

void
control_client_main(const struct conf *c, int parent, int data,
    struct tls_pem *pem)
{
	struct control ct = { .c = c, .parent = parent, .data = data };
	struct sockaddr_storage peer, udp;
	uint8_t p[MSG_MAX_PAYLOAD];
	struct msg_config cfg;
	unsigned ka_int, ka_to;
	char err[256], a[16];
	SSL_CTX *ctx = ctl_tls_ctx(&ct, pem);

	snprintf(ct.peer, sizeof(ct.peer), strchr(c->remote_host, ':') ?
	    "[%s]:%u" : "%s:%u", c->remote_host, c->remote_port);
	if (fd_nonblock(parent) == -1 || fd_nonblock(data) == -1)
		fatal("control fds");
	if (getentropy(&ct.rx_index, sizeof(ct.rx_index)) == -1)
		fatal("getentropy");
	if ((ct.sock = ctl_connect(&ct, &peer)) == -1)
		exit(1);
	sa_str((struct sockaddr *)&peer, ct.peer, sizeof(ct.peer));
	if (sandbox_enter(SANDBOX_CLIENT_CONTROL, -1) == -1)
		fatal("seccomp");
	ct.ssl = tls_connect(ctx, ct.sock, c->server_name,
	    (int)c->handshake_timeout * 1000, err, sizeof(err));
	if (ct.ssl == NULL)
		ctl_client_failed(&ct, "TLS handshake failed with", err);
	ctl_client_config(&ct, &peer, &cfg);
	log_set_client(c->server_name, ip4_str(cfg.vaddr, a));
	/* the parent keeps this address off the tunnel when a route it adds
	 * would take it (see client.c) */
	if (msg_send(parent, MSG_TUN_SERVER, p, msg_put_tun_server(p,
	    &peer)) == -1)
		fatal("send TUN_SERVER");
	if (msg_send(parent, MSG_TUN_CONFIG, p, msg_put_config(p, &cfg)) == -1)
		fatal("send TUN_CONFIG");
	ka_int = c->keepalive_set ? c->keepalive_interval :
	    cfg.keepalive_interval;
	ka_to = c->keepalive_set ? c->keepalive_timeout : cfg.keepalive_timeout;
	/* the server's data port is on the address we reached it at */
	udp = peer;
	sa_set_port(&udp, cfg.port);
	ctl_session(&ct, &cfg, ka_int, ka_to, &udp);
	ctl_keys(&ct, 0, MSG_KEYS_TX_NOW);
	if (c->reneg_sec != 0)
		ct.rekey_at = now_ms() + (uint64_t)c->reneg_sec * 1000;
	/* the parent says "connected" once it has judged and applied it */
	log_debug("CONFIG from %s: %s/%u, passed to the parent", ct.peer, a,
	    cfg.prefix);
	ctl_loop(&ct);
}
