/* my_ssl: which certificate CNs name a client (made in memory), PEM files
 * read once into sealed memfds with the key's mode checked, contexts built
 * from those memfds, and a full handshake between them over a socketpair;
 * the last word before a close, and the server's alert after a reset. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls.h"

#define CN_BUF 65		/* MSG_CN_MAX + 1, as control.c passes it */
#define KEYS_LEN 72		/* one direction's keys: 32 + 32 + 8 */
#define TIMEOUT_MS 5000

static int failures;
static char dir[64];

static void
check(int ok, const char *what, const char *detail)
{
	if (!ok) {
		printf("FAIL: %s%s%s\n", what, detail ? ": " : "",
		    detail ? detail : "");
		failures++;
	}
}

static void
need(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: cannot %s\n", what);
		ERR_print_errors_fp(stdout);
		exit(1);
	}
}

static EVP_PKEY *
key_new(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	need(k != NULL, "make an EC P-256 key");
	return k;
}

static void
cert_ext(X509 *x, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, nid, value);

	need(e != NULL && X509_add_ext(x, e, -1) == 1, "add an extension");
	X509_EXTENSION_free(e);
}

/* Signed by issuer (issuer_key), or self-signed when issuer is NULL. */
static X509 *
cert_new(X509_NAME *subject, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *issuer_key, long serial, int ca)
{
	X509 *x = X509_new();

	need(x != NULL && X509_set_version(x, X509_VERSION_3) == 1 &&
	    ASN1_INTEGER_set(X509_get_serialNumber(x), serial) == 1 &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) != NULL &&
	    X509_set_subject_name(x, subject) == 1 &&
	    X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : subject) == 1 &&
	    X509_set_pubkey(x, key) == 1, "fill a certificate");
	if (ca) {
		cert_ext(x, NID_basic_constraints, "critical,CA:TRUE");
		cert_ext(x, NID_key_usage, "critical,keyCertSign,cRLSign");
	}
	need(X509_sign(x, issuer_key != NULL ? issuer_key : key,
	    EVP_sha256()) > 0, "sign a certificate");
	return x;
}

/* A subject of n CN entries with these exact bytes, of ASN.1 type type:
 * no length limit or character check on the way in. */
static X509_NAME *
name_raw(int type, const char *cn, int len, int n)
{
	X509_NAME *name = X509_NAME_new();

	need(name != NULL, "make a name");
	for (int i = 0; i < n; i++) {
		X509_NAME_ENTRY *e = X509_NAME_ENTRY_create_by_NID(NULL,
		    NID_commonName, type, (const unsigned char *)cn, len);

		need(e != NULL && X509_NAME_add_entry(name, e, -1, 0) == 1,
		    "add a CN");
		X509_NAME_ENTRY_free(e);
	}
	return name;
}

static X509_NAME *
name_cn(const char *cn)
{
	return name_raw(V_ASN1_UTF8STRING, cn, (int)strlen(cn), 1);
}

struct cn_case {
	const char	*what;
	int		 type;
	const char	*bytes;
	int		 len;		/* -1: strlen */
	int		 entries;
	int		 ok;
};

static const char long64[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.";
static const char long65[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";
static const char long73[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._evil.or";

static const struct cn_case cn_cases[] = {
	{ "plain", V_ASN1_UTF8STRING, "alice", -1, 1, 1 },
	{ "with a space", V_ASN1_UTF8STRING, "Eve Smith", -1, 1, 1 },
	{ "printable string", V_ASN1_PRINTABLESTRING, "bob", -1, 1, 1 },
	{ "64 characters", V_ASN1_UTF8STRING, long64, -1, 1, 1 },
	{ "65 characters", V_ASN1_UTF8STRING, long65, -1, 1, 0 },
	{ "73 characters", V_ASN1_UTF8STRING, long73, -1, 1, 0 },
	{ "a newline", V_ASN1_UTF8STRING, "alice\nsimpletun[1]: x", -1, 1, 0 },
	{ "DEL", V_ASN1_UTF8STRING, "ali\x7f" "ce", -1, 1, 0 },
	{ "an escape", V_ASN1_UTF8STRING, "\x1b[2Jalice", -1, 1, 0 },
	{ "UTF-8 e acute", V_ASN1_UTF8STRING, "andr\xc3\xa9", -1, 1, 0 },
	{ "embedded NUL", V_ASN1_UTF8STRING, "ali\0ce", 6, 1, 0 },
	{ "empty", V_ASN1_UTF8STRING, "", 0, 1, 0 },
	{ "two CN entries", V_ASN1_UTF8STRING, "alice", -1, 2, 0 },
	{ "no CN", V_ASN1_UTF8STRING, "alice", -1, 0, 0 },
	/* "ab" as UCS-2 is U+6162, not two ASCII letters */
	{ "BMPString", V_ASN1_BMPSTRING, "ab", -1, 1, 0 },
};

static void
test_cn(EVP_PKEY *key)
{
	char cn[CN_BUF];

	for (size_t i = 0; i < sizeof(cn_cases) / sizeof(cn_cases[0]); i++) {
		const struct cn_case *t = &cn_cases[i];
		int len = t->len >= 0 ? t->len : (int)strlen(t->bytes);
		X509_NAME *name = name_raw(t->type, t->bytes, len, t->entries);
		X509 *x = cert_new(name, key, NULL, NULL, 1, 0);
		int r = tls_cert_cn(x, cn, sizeof(cn));

		check(t->ok ? r == 0 : r == -1, "tls_cert_cn", t->what);
		if (t->ok)
			check(r == 0 && strcmp(cn, t->bytes) == 0,
			    "tls_cert_cn copies the CN", t->what);
		else
			check(cn[0] == '\0', "tls_cert_cn leaves no CN",
			    t->what);
		X509_free(x);
		X509_NAME_free(name);
	}
	check(tls_cert_cn(NULL, cn, sizeof(cn)) == -1, "tls_cert_cn", "NULL");
}

struct pki {
	EVP_PKEY	*ca_key, *server_key, *alice_key;
	X509		*ca, *server, *alice;
};

static void
pki_make(struct pki *k)
{
	X509_NAME *n;

	k->ca_key = key_new();
	k->server_key = key_new();
	k->alice_key = key_new();
	n = name_cn("test CA");
	k->ca = cert_new(n, k->ca_key, NULL, NULL, 1, 1);
	X509_NAME_free(n);
	n = name_cn("server");
	k->server = cert_new(n, k->server_key, k->ca, k->ca_key, 2, 0);
	X509_NAME_free(n);
	n = name_cn("alice");
	k->alice = cert_new(n, k->alice_key, k->ca, k->ca_key, 3, 0);
	X509_NAME_free(n);
}

static void
pki_free(struct pki *k)
{
	EVP_PKEY_free(k->ca_key);
	EVP_PKEY_free(k->server_key);
	EVP_PKEY_free(k->alice_key);
	X509_free(k->ca);
	X509_free(k->server);
	X509_free(k->alice);
}

static const char *
path(const char *name)
{
	static char p[8][128];
	static int next;
	char *s = p[next++ % 8];

	snprintf(s, sizeof(p[0]), "%s/%s", dir, name);
	return s;
}

static FILE *
file_new(const char *name, mode_t mode)
{
	const char *p = path(name);
	FILE *f;
	int fd;

	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	need(fd != -1 && fchmod(fd, mode) == 0, "create a file");
	need((f = fdopen(fd, "w")) != NULL, "fdopen");
	return f;
}

static void
write_cert(const char *name, X509 *x)
{
	FILE *f = file_new(name, 0644);

	need(PEM_write_X509(f, x) == 1 && fclose(f) == 0, "write a cert");
}

static void
write_key(const char *name, EVP_PKEY *k, mode_t mode)
{
	FILE *f = file_new(name, mode);

	need(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1 &&
	    fclose(f) == 0, "write a key");
}

static void
write_text(const char *name, const char *text)
{
	FILE *f = file_new(name, 0644);

	need(fputs(text, f) >= 0 && fclose(f) == 0, "write a file");
}

/* A CRL from the CA, valid until next_days from now, revoking serial
 * (0: none). */
static void
write_crl(const char *name, const struct pki *k, long next_days,
    long serial)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *last = X509_time_adj_ex(NULL, -2, 0, NULL);
	ASN1_TIME *next = X509_time_adj_ex(NULL, next_days, 0, NULL);
	FILE *f;

	need(crl != NULL && last != NULL && next != NULL &&
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) == 1 &&
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(k->ca)) == 1 &&
	    X509_CRL_set1_lastUpdate(crl, last) == 1 &&
	    X509_CRL_set1_nextUpdate(crl, next) == 1, "fill a CRL");
	if (serial != 0) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		need(r != NULL && s != NULL && ASN1_INTEGER_set(s, serial) &&
		    X509_REVOKED_set_serialNumber(r, s) == 1 &&
		    X509_REVOKED_set_revocationDate(r, last) == 1 &&
		    X509_CRL_add0_revoked(crl, r) == 1, "revoke");
		ASN1_INTEGER_free(s);
	}
	need(X509_CRL_sort(crl) == 1 &&
	    X509_CRL_sign(crl, k->ca_key, EVP_sha256()) > 0, "sign a CRL");
	f = file_new(name, 0644);
	need(PEM_write_X509_CRL(f, crl) == 1 && fclose(f) == 0, "write a CRL");
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
}

static void
write_files(const struct pki *k)
{
	write_cert("ca.crt", k->ca);
	write_cert("server.crt", k->server);
	write_key("server.key", k->server_key, 0600);
	write_cert("alice.crt", k->alice);
	write_key("alice.key", k->alice_key, 0600);
	write_text("garbage.crt", "this is not a certificate\n");
	write_crl("crl.pem", k, 30, 0);
	write_crl("expired.pem", k, -1, 0);
	write_crl("revoked.pem", k, 30, 3);
}

/* tls_pem_load must fail with exactly this message. */
static void
pem_refused(const char *key, const char *want, const char *what)
{
	struct tls_pem p;
	char err[512];

	snprintf(err, sizeof(err), "(none)");
	check(tls_pem_load(&p, path("ca.crt"), path("server.crt"), key, "",
	    err, sizeof(err)) == -1 && strcmp(err, want) == 0, what, err);
}

static void
test_key_mode(const struct pki *k)
{
	const char *key = path("open.key");
	char want[512];

	write_key("open.key", k->server_key, 0600);
	need(chmod(key, 0644) == 0, "chmod");
	snprintf(want, sizeof(want), "key %s is readable by group or others "
	    "(mode 0644): chmod 600 %s", key, key);
	pem_refused(key, want, "key mode 0644");
	need(chmod(key, 0604) == 0, "chmod");
	snprintf(want, sizeof(want), "key %s is readable by group or others "
	    "(mode 0604): chmod 600 %s", key, key);
	pem_refused(key, want, "key mode 0604");
	need(chmod(key, 0620) == 0, "chmod");
	snprintf(want, sizeof(want), "key %s is writable by group or others "
	    "(mode 0620): chmod 600 %s", key, key);
	pem_refused(key, want, "key mode 0620");

	key = path("fifo.key");
	unlink(key);
	need(mkfifo(key, 0600) == 0, "mkfifo");
	snprintf(want, sizeof(want), "key %s is not a regular file", key);
	pem_refused(key, want, "a FIFO as key");
	unlink(key);
	snprintf(want, sizeof(want), "key %s is not a regular file", dir);
	pem_refused(dir, want, "a directory as key");
	key = path("missing.key");
	snprintf(want, sizeof(want), "key %s: No such file or directory", key);
	pem_refused(key, want, "a missing key");
}

static int
contains(const char *s, const char *part)
{
	return strstr(s, part) != NULL;
}

static void
pem_load(struct tls_pem *p, const char *cert, const char *key,
    const char *crl)
{
	char err[512];
	int r;

	r = tls_pem_load(p, path("ca.crt"), path(cert), path(key),
	    crl[0] != '\0' ? path(crl) : "", err, sizeof(err));
	check(r == 0, "tls_pem_load", err);
	need(r == 0, "go on without the PEM files");
}

/* The memfds are sealed, and building a context moves no offset. */
static void
test_sealed(const struct tls_pem *p)
{
	int want = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	off_t off[TLS_PEM_COUNT];
	SSL_CTX *ctx;
	char err[512];

	check(p->fd[TLS_CRL] == -1, "no CRL gives fd -1", NULL);
	for (int f = 0; f < TLS_CRL; f++) {
		check(p->fd[f] >= 0, "a memfd per file", NULL);
		check(fcntl(p->fd[f], F_GET_SEALS) == want, "sealed", NULL);
		check(pwrite(p->fd[f], "x", 1, 0) == -1 && errno == EPERM,
		    "a sealed memfd refuses writes", NULL);
		check(ftruncate(p->fd[f], 1) == -1, "cannot shrink", NULL);
		check((fcntl(p->fd[f], F_GETFD) & FD_CLOEXEC) != 0,
		    "close-on-exec", NULL);
		off[f] = lseek(p->fd[f], 0, SEEK_CUR);
	}
	for (int server = 0; server < 2; server++) {
		ctx = tls_ctx_new(server, p, err, sizeof(err));
		check(ctx != NULL, "tls_ctx_new from memfds", err);
		SSL_CTX_free(ctx);
	}
	for (int f = 0; f < TLS_CRL; f++)
		check(lseek(p->fd[f], 0, SEEK_CUR) == off[f],
		    "tls_ctx_new moves no offset", NULL);
}

/* tls_ctx_new must fail with a message that holds want. */
static void
ctx_refused(const char *ca, const char *cert, const char *key,
    const char *crl, const char *want, const char *what)
{
	struct tls_pem p;
	char err[512];
	SSL_CTX *ctx = NULL;

	if (tls_pem_load(&p, path(ca), path(cert), path(key),
	    crl[0] != '\0' ? path(crl) : "", err, sizeof(err)) == 0) {
		ctx = tls_ctx_new(true, &p, err, sizeof(err));
		tls_pem_close(&p);
	}
	check(ctx == NULL && contains(err, want), what, err);
	SSL_CTX_free(ctx);
	ERR_clear_error();
}

static void
test_ctx_errors(const struct pki *k)
{
	char want[256];
	FILE *f;

	snprintf(want, sizeof(want), "ca %s: ", path("garbage.crt"));
	ctx_refused("garbage.crt", "server.crt", "server.key", "", want,
	    "a garbage CA file");
	snprintf(want, sizeof(want), "cert %s: ", path("garbage.crt"));
	ctx_refused("ca.crt", "garbage.crt", "server.key", "", want,
	    "a garbage cert file");
	snprintf(want, sizeof(want), "key %s", path("alice.key"));
	ctx_refused("ca.crt", "server.crt", "alice.key", "", want,
	    "a key of another cert");
	snprintf(want, sizeof(want), "crl %s has expired: renew it",
	    path("expired.pem"));
	ctx_refused("ca.crt", "server.crt", "server.key", "expired.pem", want,
	    "an expired CRL");
	snprintf(want, sizeof(want), "crl %s: ", path("garbage.crt"));
	ctx_refused("ca.crt", "server.crt", "server.key", "garbage.crt", want,
	    "a garbage CRL");

	f = file_new("secret.key", 0600);
	need(PEM_write_PrivateKey(f, k->server_key, EVP_aes_256_cbc(),
	    (unsigned char *)"secret", 6, NULL, NULL) == 1 && fclose(f) == 0,
	    "write an encrypted key");
	snprintf(want, sizeof(want), "key %s is encrypted",
	    path("secret.key"));
	ctx_refused("ca.crt", "server.crt", "secret.key", "", want,
	    "an encrypted key");
}

struct side {
	int		ok;
	char		err[256];
	char		cn[CN_BUF];
	uint8_t		keys[2][KEYS_LEN];	/* epochs 0 and 1 */
};

static void
side_run(struct side *s, SSL_CTX *ctx, int fd, const char *server_name)
{
	uint8_t buf[16];
	SSL *ssl;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n = 0;

	memset(s, 0, sizeof(*s));
	ssl = server_name != NULL ?
	    tls_connect(ctx, fd, server_name, TIMEOUT_MS, s->err,
	    sizeof(s->err)) :
	    tls_accept(ctx, fd, TIMEOUT_MS, s->err, sizeof(s->err));
	if (ssl == NULL)
		return;
	s->ok = tls_peer_cn(ssl, s->cn, sizeof(s->cn)) == 0 &&
	    tls_export(ssl, 0, s->keys[0], KEYS_LEN) == 0 &&
	    tls_export(ssl, 1, s->keys[1], KEYS_LEN) == 0;
	/* One record each way: the channel carries data, too. */
	if (s->ok && tls_write(ssl, (const uint8_t *)"hello", 5, TIMEOUT_MS,
	    s->err, sizeof(s->err)) == -1)
		s->ok = 0;
	while (s->ok && n == 0 && poll(&pfd, 1, TIMEOUT_MS) == 1)
		n = tls_read(ssl, buf, sizeof(buf), s->err, sizeof(s->err));
	s->ok = s->ok && n == 5 && memcmp(buf, "hello", 5) == 0;
	tls_close(ssl, 0);
}

/* The client runs in a child, the server here; the child reports back
 * through a pipe. */
static void
handshake(SSL_CTX *sctx, SSL_CTX *cctx, const char *name, struct side *srv,
    struct side *cli)
{
	int sv[2], rep[2], status;
	pid_t pid;

	need(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sv) == 0 && pipe2(rep, O_CLOEXEC) == 0, "make a socketpair");
	need((pid = fork()) != -1, "fork");
	if (pid == 0) {
		close(sv[0]);
		close(rep[0]);
		side_run(cli, cctx, sv[1], name);
		_exit(write(rep[1], cli, sizeof(*cli)) == sizeof(*cli) ? 0 : 1);
	}
	close(sv[1]);
	close(rep[1]);
	side_run(srv, sctx, sv[0], NULL);
	close(sv[0]);
	if (read(rep[0], cli, sizeof(*cli)) != sizeof(*cli))
		memset(cli, 0, sizeof(*cli));
	close(rep[0]);
	need(waitpid(pid, &status, 0) == pid, "wait for the client");
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the client child ends well", NULL);
}

static SSL_CTX *
ctx_from(int server, const char *cert, const char *key, const char *crl)
{
	struct tls_pem p;
	char err[512];
	SSL_CTX *ctx;

	pem_load(&p, cert, key, crl);
	ctx = tls_ctx_new(server, &p, err, sizeof(err));
	tls_pem_close(&p);
	check(ctx != NULL, "tls_ctx_new", err);
	need(ctx != NULL, "go on without a context");
	return ctx;
}

static void
test_handshake(void)
{
	SSL_CTX *sctx = ctx_from(1, "server.crt", "server.key", "crl.pem");
	SSL_CTX *cctx = ctx_from(0, "alice.crt", "alice.key", "");
	SSL_CTX *revoking;
	struct side s, c;

	handshake(sctx, cctx, "server", &s, &c);
	check(s.ok, "server side of the handshake", s.err);
	check(c.ok, "client side of the handshake", c.err);
	check(strcmp(s.cn, "alice") == 0, "the server sees CN alice", s.cn);
	check(strcmp(c.cn, "server") == 0, "the client sees CN server", c.cn);
	check(memcmp(s.keys, c.keys, sizeof(s.keys)) == 0,
	    "both ends export the same keys", NULL);
	check(memcmp(s.keys[0], s.keys[1], KEYS_LEN) != 0,
	    "each epoch has keys of its own", NULL);

	handshake(sctx, cctx, "other", &s, &c);
	check(!c.ok && contains(c.err, "hostname mismatch"),
	    "the client checks the server's name", c.err);
	check(!s.ok, "no session with a client that refused", NULL);

	revoking = ctx_from(1, "server.crt", "server.key", "revoked.pem");
	handshake(revoking, cctx, "server", &s, &c);
	check(!s.ok && contains(s.err, "certificate revoked"),
	    "the server refuses a revoked client", s.err);
	SSL_CTX_free(revoking);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/*
 * Two tests over TCP loopback, since that is where a close with unread
 * bytes sends a RST. The client runs in a child: it connects, does its
 * handshake, waits until the server has closed, then judges what it sees
 * and exits 0 if it saw what it should.
 */
typedef int loopback_client_fn(SSL *ssl, int fd, int closed);

struct loopback {
	pid_t	pid;
	int	tell;	/* write a byte: the server has closed */
	int	fd;	/* the server's end, non-blocking */
};

static void
loopback_start(struct loopback *lb, SSL_CTX *cctx, int rcvbuf,
    loopback_client_fn *client)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char err[256] = "";
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), fd, pipefd[2];
	int status = 1;
	SSL *ssl;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	need(lfd != -1 && bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    listen(lfd, 1) == 0 && getsockname(lfd, (struct sockaddr *)&a,
	    &len) == 0, "listen on TCP loopback");
	need(pipe2(pipefd, O_CLOEXEC) == 0, "make a pipe");
	fflush(stdout);
	need((lb->pid = fork()) != -1, "fork the client");
	if (lb->pid == 0) {
		close(pipefd[1]);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1 || (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET,
		    SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) == -1) ||
		    connect(fd, (const struct sockaddr *)&a, sizeof(a)) == -1 ||
		    fcntl(fd, F_SETFL, O_NONBLOCK) == -1 ||
		    (ssl = tls_connect(cctx, fd, "server", TIMEOUT_MS, err,
		    sizeof(err))) == NULL)
			printf("client: our side of the handshake did not "
			    "finish: %s\n", err);
		else {
			status = client(ssl, fd, pipefd[0]);
			tls_close(ssl, 0);
		}
		fflush(stdout);
		_exit(status);
	}
	close(pipefd[0]);
	lb->tell = pipefd[1];
	need((lb->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC |
	    SOCK_NONBLOCK)) != -1, "accept the client");
	close(lfd);
}

/* The server has done its part: close, tell the client, judge it. */
static void
loopback_finish(struct loopback *lb, const char *what)
{
	int status;

	close(lb->fd);
	need(write(lb->tell, "c", 1) == 1, "tell the client");
	close(lb->tell);
	need(waitpid(lb->pid, &status, 0) == lb->pid, "wait for the client");
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, what, NULL);
}

/* The client must see that the server has closed. */
static int
server_closed(int closed)
{
	uint8_t c;

	if (read(closed, &c, 1) == 1)
		return 1;
	printf("client: the server did not say it closed\n");
	return 0;
}

/*
 * The last word: the server ends a session while the client still has bytes
 * in flight toward it (a flood the server stopped reading) and the server's
 * last message is still queued (the client reads slowly: a small receive
 * buffer). A plain close then sends a RST that throws the queued message
 * away; tls_close with a linger must deliver it.
 */
#define LAST_WORD "BYE: rekeying too often"

/* Floods, waits until the server has closed, then reads it all: was the
 * last thing before the close LAST_WORD? */
static int
last_word_client(SSL *ssl, int fd, int closed)
{
	static uint8_t in[65536];
	uint8_t flood[2048] = { 0 };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char err[256] = "";
	size_t got = 0;
	ssize_t n;

	if (tls_write(ssl, flood, sizeof(flood), TIMEOUT_MS, err,
	    sizeof(err)) == -1) {
		printf("last word client: %s\n", err);
		return 1;
	}
	if (!server_closed(closed))
		return 1;
	for (;;) {
		n = tls_read(ssl, in + got, sizeof(in) - got, err, sizeof(err));
		if (n < 0 || got == sizeof(in))
			break;
		got += (size_t)n;
		if (n == 0 && poll(&pfd, 1, TIMEOUT_MS) != 1)
			break;
	}
	if (got < sizeof(LAST_WORD) - 1 || memcmp(in + got -
	    (sizeof(LAST_WORD) - 1), LAST_WORD, sizeof(LAST_WORD) - 1) != 0) {
		printf("last word client: %zu bytes, then: %s\n", got, err);
		return 1;
	}
	return 0;
}

static void
test_last_word(void)
{
	SSL_CTX *sctx = ctx_from(1, "server.crt", "server.key", "crl.pem");
	SSL_CTX *cctx = ctx_from(0, "alice.crt", "alice.key", "");
	static uint8_t bulk[16384];
	struct loopback lb;
	char err[256] = "";
	SSL *ssl;
	int ok;

	loopback_start(&lb, cctx, 2048, last_word_client);
	ok = (ssl = tls_accept(sctx, lb.fd, TIMEOUT_MS, err,
	    sizeof(err))) != NULL;
	/* The client's receive buffer takes a part of this; the rest and the
	 * last word wait in ours. The flood stays unread. */
	memset(bulk, 'x', sizeof(bulk));
	ok = ok && tls_write(ssl, bulk, sizeof(bulk), TIMEOUT_MS, err,
	    sizeof(err)) == 0 && tls_write(ssl, (const uint8_t *)LAST_WORD,
	    sizeof(LAST_WORD) - 1, TIMEOUT_MS, err, sizeof(err)) == 0;
	check(ok, "the server side of the last word test", err);
	tls_close(ssl, 500);
	loopback_finish(&lb, "the server's last message reaches a client "
	    "that still sent when the server closed");
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/*
 * The server's reason after a reset: in TLS 1.3 the client's handshake is
 * done before the server has judged the client's certificate. The server
 * refuses it with an alert and closes, so the client's first write (its
 * HELLO) meets a reset. The error must be the server's alert, "certificate
 * revoked" (a refusal for good), not "Connection reset by peer" (worth
 * retrying). The server here closes with a RST at once, as a control
 * process does that ends with the client's last records unread. A reset
 * with no alert before it stays a reset.
 */
static const char *reset_want;	/* what the write after the reset says */

static int
reset_client(SSL *ssl, int fd, int closed)
{
	struct pollfd pfd = { .fd = fd, .events = 0 };	/* errors only */
	char err[256] = "";

	if (!server_closed(closed))
		return 1;
	if (poll(&pfd, 1, TIMEOUT_MS) != 1 || !(pfd.revents & POLLERR)) {
		printf("reset client: no reset from the server\n");
		return 1;
	}
	if (tls_write(ssl, (const uint8_t *)"HELLO", 5, TIMEOUT_MS, err,
	    sizeof(err)) == 0 || !contains(err, reset_want)) {
		printf("reset client: the write after the reset says: %s\n",
		    err[0] ? err : "(it succeeded)");
		return 1;
	}
	return 0;
}

/* A server of ctx takes one client and closes with a RST, without a word
 * of its own after the handshake; the client's write must say want. */
static void
reset_run(SSL_CTX *sctx, SSL_CTX *cctx, bool refuses, const char *want,
    const char *what)
{
	struct linger now = { .l_onoff = 1, .l_linger = 0 };
	struct loopback lb;
	char err[256] = "";
	SSL *ssl;

	reset_want = want;
	loopback_start(&lb, cctx, 0, reset_client);
	ssl = tls_accept(sctx, lb.fd, TIMEOUT_MS, err, sizeof(err));
	if (refuses)
		check(ssl == NULL && contains(err, "certificate revoked"),
		    "the server refuses the revoked client", err);
	else
		check(ssl != NULL, "the server takes the client", err);
	SSL_free(ssl);		/* no close_notify */
	need(setsockopt(lb.fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now)) == 0,
	    "SO_LINGER");
	loopback_finish(&lb, what);
}

static void
test_alert_after_reset(void)
{
	SSL_CTX *revoking = ctx_from(1, "server.crt", "server.key",
	    "revoked.pem");
	SSL_CTX *sctx = ctx_from(1, "server.crt", "server.key", "crl.pem");
	SSL_CTX *cctx = ctx_from(0, "alice.crt", "alice.key", "");

	reset_run(revoking, cctx, true, "certificate revoked",
	    "a client whose first write meets a reset reports the server's "
	    "alert (certificate revoked)");
	reset_run(sctx, cctx, false, "Connection reset by peer",
	    "a reset with no alert before it is reported as a reset");
	SSL_CTX_free(revoking);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

static int
remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

int
main(void)
{
	struct tls_pem p;
	struct pki k;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/test_tls.XXXXXX");
	need(mkdtemp(dir) != NULL, "make a temporary directory");
	pki_make(&k);
	test_cn(k.alice_key);
	write_files(&k);
	test_key_mode(&k);
	pem_load(&p, "server.crt", "server.key", "");
	test_sealed(&p);
	tls_pem_close(&p);
	check(p.fd[TLS_CA] == -1, "tls_pem_close forgets the fds", NULL);
	test_ctx_errors(&k);
	test_handshake();
	test_last_word();
	test_alert_after_reset();
	pki_free(&k);
	need(nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS) == 0, "clean up");
	if (failures == 0)
		printf("tls: all tests passed\n");
	return failures != 0;
}
