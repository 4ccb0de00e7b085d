/* OpenSSL glue for the control channel. Nothing here logs: failures come
 * back as one line of text built from OpenSSL's error queue and the
 * certificate verification result. */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls.h"

#define TLS_WHAT_MAX 8300	/* two paths and some words */
#define TLS_PEM_MAX (16 << 20)	/* the CRL of a large CA still fits */
#define TLS_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static const char *const tls_pem_name[TLS_PEM_COUNT] = {
	[TLS_CA] = "ca", [TLS_CERT] = "cert", [TLS_KEY] = "key",
	[TLS_CRL] = "crl",
};

static int	tls_verify_note(int, X509_STORE_CTX *);

static void
tls_error(SSL *ssl, const char *what, char *err, size_t errlen)
{
	unsigned long e, first = 0;
	const char *reason = NULL;
	long vr;

	while ((e = ERR_get_error()) != 0)
		if (first == 0)
			first = e;
	if (first != 0)
		reason = ERR_reason_error_string(first);
	if (reason == NULL)
		reason = errno != 0 ? strerror(errno) : "connection closed";
	vr = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
	snprintf(err, errlen, "%s%s%s%s%s%s", what ? what : "", what ? ": " : "",
	    reason, vr != X509_V_OK ? " (" : "",
	    vr != X509_V_OK ? X509_verify_cert_error_string(vr) : "",
	    vr != X509_V_OK ? ")" : "");
}

/* Never ask for a passphrase: no key is typed in (DESIGN.md section 3), and
 * the processes that load the key have no terminal. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *asked)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	if (asked != NULL)
		*(int *)asked = 1;
	return -1;
}

/* The key must be a regular file that only its owner may read or write. */
static int
tls_key_private(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "key %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key %s is not a regular file", path);
		return -1;
	}
	if ((st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) != 0) {
		snprintf(err, errlen, "key %s is %s by group or others "
		    "(mode %04o): chmod 600 %s", path,
		    (st.st_mode & (S_IRGRP | S_IROTH)) != 0 ? "readable" :
		    "writable", (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

static int
tls_write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	for (size_t off = 0; off < len; off += w)
		if ((w = write(fd, buf + off, len - off)) == -1) {
			if (errno != EINTR)
				return -1;
			w = 0;
		}
	return 0;
}

/* Copies in to out through a buffer that is wiped after, as it may have held
 * the key. -1 with errno set. */
static int
tls_copy(int in, int out, size_t *total)
{
	char buf[16384];
	size_t done = 0;
	ssize_t n;
	int e = 0;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || done + n > TLS_PEM_MAX ||
		    tls_write_all(out, buf, n) == -1) {
			e = n != -1 && done + n > TLS_PEM_MAX ? EFBIG : errno;
			break;
		}
		done += n;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	*total = done;
	errno = e;
	return e == 0 ? 0 : -1;
}

/* A sealed memfd holding a copy of the file at path; -1 with err. */
static int
tls_pem_seal(enum tls_pem_file f, const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	int in, fd = -1, r = 0;

	/* O_NONBLOCK: a FIFO in place of the key must not hang us. */
	in = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    (f == TLS_KEY ? O_NONBLOCK : 0));
	if (in == -1) {
		snprintf(err, errlen, "%s %s: %s", tls_pem_name[f], path,
		    strerror(errno));
		return -1;
	}
	if (f == TLS_KEY)
		r = tls_key_private(in, path, err, errlen);
	if (r == 0 && ((fd = memfd_create(tls_pem_name[f],
	    MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1 ||
	    tls_copy(in, fd, &len) == -1 ||
	    fcntl(fd, F_ADD_SEALS, TLS_SEALS) == -1)) {
		snprintf(err, errlen, "%s %s: %s", tls_pem_name[f], path,
		    strerror(errno));
		r = -1;
	} else if (r == 0 && len == 0) {
		snprintf(err, errlen, "%s %s is empty", tls_pem_name[f], path);
		r = -1;
	}
	close(in);
	if (r == -1 && fd != -1) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int
tls_pem_load(struct tls_pem *p, const char *ca, const char *cert,
    const char *key, const char *crl, char *err, size_t errlen)
{
	const char *path[TLS_PEM_COUNT] = { ca, cert, key, crl };

	for (int f = 0; f < TLS_PEM_COUNT; f++) {
		p->fd[f] = -1;
		p->path[f] = path[f];
	}
	for (int f = 0; f < TLS_PEM_COUNT; f++) {
		if (f == TLS_CRL && crl[0] == '\0')
			continue;
		if ((p->fd[f] = tls_pem_seal(f, path[f], err, errlen)) == -1) {
			tls_pem_close(p);
			return -1;
		}
	}
	return 0;
}

void
tls_pem_close(struct tls_pem *p)
{
	for (int f = 0; f < TLS_PEM_COUNT; f++) {
		if (p->fd[f] != -1)
			close(p->fd[f]);
		p->fd[f] = -1;
	}
}

/* The whole memfd, read with pread from 0: other processes share its file
 * description, so its offset is never moved. NULL with errno set. */
static char *
tls_pem_read(int fd, size_t *len)
{
	struct stat st;
	size_t done = 0;
	ssize_t n;
	char *buf;

	if (fstat(fd, &st) == -1)
		return NULL;
	if (st.st_size <= 0 || st.st_size > TLS_PEM_MAX) {
		errno = st.st_size <= 0 ? ENODATA : EFBIG;
		return NULL;
	}
	if ((buf = malloc(st.st_size)) == NULL)
		return NULL;
	while (done < (size_t)st.st_size) {
		n = pread(fd, buf + done, st.st_size - done, done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			OPENSSL_cleanse(buf, done);
			free(buf);
			return NULL;
		}
		done += n;
	}
	*len = done;
	return buf;
}

/* Every certificate (and CRL) in the CA file joins the trust store, as
 * SSL_CTX_load_verify_locations did. */
static int
tls_load_ca(SSL_CTX *ctx, BIO *bio, const char *path, char *err,
    size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	STACK_OF(X509_INFO) *infos;
	char what[TLS_WHAT_MAX];
	int n = 0, bad;

	infos = PEM_X509_INFO_read_bio(bio, NULL, tls_no_passphrase, NULL);
	bad = infos == NULL;
	for (int i = 0; !bad && i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *xi = sk_X509_INFO_value(infos, i);

		if (xi->x509 != NULL)
			bad = X509_STORE_add_cert(store, xi->x509) != 1;
		if (!bad && xi->crl != NULL)
			bad = X509_STORE_add_crl(store, xi->crl) != 1;
		n += (xi->x509 != NULL) + (xi->crl != NULL);
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	if (!bad && n == 0) {
		ERR_clear_error();
		snprintf(err, errlen, "ca %s: no certificate or crl found",
		    path);
		return -1;
	}
	if (bad) {
		snprintf(what, sizeof(what), "ca %s", path);
		tls_error(NULL, what, err, errlen);
		return -1;
	}
	return 0;
}

/* The first certificate is ours, the rest its chain, as
 * SSL_CTX_use_certificate_chain_file reads them. */
static int
tls_load_cert(SSL_CTX *ctx, BIO *bio, const char *path, char *err,
    size_t errlen)
{
	char what[TLS_WHAT_MAX];
	unsigned long e;
	X509 *x;
	int ok;

	x = PEM_read_bio_X509_AUX(bio, NULL, tls_no_passphrase, NULL);
	ok = x != NULL && SSL_CTX_use_certificate(ctx, x) == 1 &&
	    SSL_CTX_clear_chain_certs(ctx) == 1;
	X509_free(x);
	while (ok && (x = PEM_read_bio_X509(bio, NULL, tls_no_passphrase,
	    NULL)) != NULL)
		if ((ok = SSL_CTX_add0_chain_cert(ctx, x) == 1) == 0)
			X509_free(x);
	e = ERR_peek_last_error();
	if (ok && ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
		ERR_clear_error();	/* the end of the file */
	else
		ok = 0;
	if (!ok) {
		snprintf(what, sizeof(what), "cert %s", path);
		tls_error(NULL, what, err, errlen);
		return -1;
	}
	return 0;
}

static int
tls_load_key(SSL_CTX *ctx, BIO *bio, const char *path, char *err,
    size_t errlen)
{
	char what[TLS_WHAT_MAX];
	EVP_PKEY *pkey;
	int asked = 0, ok;

	pkey = PEM_read_bio_PrivateKey(bio, NULL, tls_no_passphrase, &asked);
	ok = pkey != NULL && SSL_CTX_use_PrivateKey(ctx, pkey) == 1;
	EVP_PKEY_free(pkey);
	if (ok)
		return 0;
	if (asked) {
		ERR_clear_error();
		snprintf(err, errlen, "key %s is encrypted: simpletun takes no "
		    "passphrase (openssl pkey -in %s -out NEW)", path, path);
		return -1;
	}
	snprintf(what, sizeof(what), "key %s", path);
	tls_error(NULL, what, err, errlen);
	return -1;
}

/* Adds every CRL in the file. One that is past its next update would make
 * every handshake fail as "CRL has expired": say so now instead. On error
 * the reason goes to err. */
static int
tls_load_crl(SSL_CTX *ctx, BIO *bio, const char *path, char *err,
    size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	char what[TLS_WHAT_MAX];
	X509_CRL *x;
	int n = 0, expired = 0, bad = 0;

	while (!expired && !bad &&
	    (x = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
		const ASN1_TIME *next = X509_CRL_get0_nextUpdate(x);

		if (next != NULL && X509_cmp_current_time(next) < 0)
			expired = 1;
		else if (X509_STORE_add_crl(store, x) != 1)
			bad = 1;
		X509_CRL_free(x);
		n++;
	}
	if (expired) {
		snprintf(err, errlen, "crl %s has expired: renew it", path);
		return -1;
	}
	if (bad || n == 0) {
		snprintf(what, sizeof(what), "crl %s", path);
		tls_error(NULL, what, err, errlen);
		return -1;
	}
	ERR_clear_error();	/* PEM reading ends on an error at the end */
	return X509_STORE_set_flags(store,
	    X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) == 1 ? 0 : -1;
}

static int (*const tls_loader[TLS_PEM_COUNT])(SSL_CTX *, BIO *, const char *,
    char *, size_t) = {
	[TLS_CA] = tls_load_ca,
	[TLS_CERT] = tls_load_cert,
	[TLS_KEY] = tls_load_key,
	[TLS_CRL] = tls_load_crl,
};

/* Parses file f from a copy in memory, wiped after: it may be the key. */
static int
tls_ctx_load(SSL_CTX *ctx, const struct tls_pem *p, enum tls_pem_file f,
    char *err, size_t errlen)
{
	const char *path = p->path[f] != NULL ? p->path[f] : "(unnamed)";
	size_t len = 0;
	char *buf = NULL;
	BIO *bio = NULL;
	int r = -1;

	if (p->fd[f] == -1 || (buf = tls_pem_read(p->fd[f], &len)) == NULL)
		snprintf(err, errlen, "%s %s: %s", tls_pem_name[f], path,
		    p->fd[f] == -1 ? "not loaded" : strerror(errno));
	else if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		tls_error(NULL, tls_pem_name[f], err, errlen);
	else
		r = tls_loader[f](ctx, bio, path, err, errlen);
	BIO_free(bio);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return r;
}

static int
tls_ctx_setup(SSL_CTX *ctx, bool server, const struct tls_pem *p, char *err,
    size_t errlen)
{
	char what[TLS_WHAT_MAX];

	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
		tls_error(NULL, "TLS 1.3", err, errlen);
		return -1;
	}
	for (int f = 0; f < TLS_PEM_COUNT; f++)
		if ((f != TLS_CRL || p->fd[f] != -1) &&
		    tls_ctx_load(ctx, p, f, err, errlen) == -1)
			return -1;
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(what, sizeof(what), "key %s does not belong to cert %s",
		    p->path[TLS_KEY], p->path[TLS_CERT]);
		tls_error(NULL, what, err, errlen);
		return -1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), tls_verify_note);
	/* No resumption: every session is a full, mutually verified one. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	/* A control connection is idle nearly always: its record buffers
	 * (some 34 KiB) go back between messages, times a thousand sessions. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return 0;
}

SSL_CTX *
tls_ctx_new(bool server, const struct tls_pem *p, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	ERR_clear_error();
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL) {
		tls_error(NULL, "TLS context", err, errlen);
		return NULL;
	}
	if (tls_ctx_setup(ctx, server, p, err, errlen) == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
tls_peer_recheck(SSL *ssl, const struct tls_pem *p, char *err, size_t errlen)
{
	X509 *peer = SSL_get0_peer_certificate(ssl);
	X509_STORE_CTX *sctx = NULL;
	SSL_CTX *ctx = NULL;
	int r = -1;

	ERR_clear_error();
	if (peer == NULL) {
		snprintf(err, errlen, "no peer certificate");
		return -1;
	}
	/* A context of its own builds the store exactly as at start. */
	if ((ctx = SSL_CTX_new(TLS_method())) == NULL ||
	    (sctx = X509_STORE_CTX_new()) == NULL)
		tls_error(NULL, "recheck", err, errlen);
	else if (tls_ctx_load(ctx, p, TLS_CA, err, errlen) == -1 ||
	    (p->fd[TLS_CRL] != -1 &&
	    tls_ctx_load(ctx, p, TLS_CRL, err, errlen) == -1))
		;
	else if (X509_STORE_CTX_init(sctx, SSL_CTX_get_cert_store(ctx), peer,
	    SSL_get_peer_cert_chain(ssl)) != 1 ||
	    X509_STORE_CTX_set_default(sctx, SSL_is_server(ssl) ?
	    "ssl_client" : "ssl_server") != 1)
		tls_error(NULL, "recheck", err, errlen);
	else if (X509_verify_cert(sctx) == 1)
		r = 1;
	else {
		snprintf(err, errlen, "%s", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(sctx)));
		r = 0;
	}
	ERR_clear_error();
	X509_STORE_CTX_free(sctx);
	SSL_CTX_free(ctx);
	return r;
}

int
tls_pem_crl_reload(const struct tls_pem *p, const char *crl, int *fd,
    char *err, size_t errlen)
{
	struct tls_pem t = *p;
	SSL_CTX *ctx;
	int nfd, r;

	if (crl[0] == '\0') {
		*fd = -1;
		return 0;
	}
	if ((nfd = tls_pem_seal(TLS_CRL, crl, err, errlen)) == -1)
		return -1;
	t.fd[TLS_CRL] = nfd;
	t.path[TLS_CRL] = crl;
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_method())) == NULL) {
		tls_error(NULL, "crl", err, errlen);
		r = -1;
	} else
		r = tls_ctx_load(ctx, &t, TLS_CA, err, errlen) == -1 ||
		    tls_ctx_load(ctx, &t, TLS_CRL, err, errlen) == -1 ? -1 : 0;
	SSL_CTX_free(ctx);
	if (r == -1) {
		close(nfd);
		return -1;
	}
	*fd = nfd;
	return 0;
}

static int
ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

static void
deadline_in(struct timespec *d, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, d);
	d->tv_sec += timeout_ms / 1000;
	d->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (d->tv_nsec >= 1000000000) {
		d->tv_sec++;
		d->tv_nsec -= 1000000000;
	}
}

/* The CN of a peer certificate that failed verification, for the log:
 * OpenSSL keeps no peer certificate after a failed handshake. Only the
 * CN as tls_cert_cn takes it (printable ASCII), and it is unverified. */
struct tls_note {
	char cn[65];
};

static int
tls_verify_note(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_note *note = ssl != NULL ? SSL_get_app_data(ssl) : NULL;

	if (!ok && note != NULL && note->cn[0] == '\0' &&
	    tls_cert_cn(X509_STORE_CTX_get0_cert(x), note->cn,
	    sizeof(note->cn)) == -1)
		note->cn[0] = '\0';
	return ok;
}

/* Waits for what OpenSSL asked for; 1 to retry, 0 on timeout, -1 on error. */
static int
tls_wait(SSL *ssl, int r, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = SSL_get_fd(ssl) };
	int left, n;

	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		pfd.events = POLLIN;
		break;
	case SSL_ERROR_WANT_WRITE:
		pfd.events = POLLOUT;
		break;
	default:
		return -1;
	}
	if ((left = ms_left(deadline)) == 0)
		return 0;
	do
		n = poll(&pfd, 1, left);
	while (n == -1 && errno == EINTR);
	return n > 0 ? 1 : n;
}

static SSL *
tls_handshake(SSL_CTX *ctx, int fd, const char *server_name, int timeout_ms,
    char *err, size_t errlen)
{
	struct tls_note note = { "" };
	struct timespec deadline;
	size_t n;
	SSL *ssl;
	int r, w;

	ERR_clear_error();
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		tls_error(NULL, NULL, err, errlen);
		SSL_free(ssl);
		return NULL;
	}
	if (server_name != NULL && (SSL_set1_host(ssl, server_name) != 1 ||
	    SSL_set_tlsext_host_name(ssl, server_name) != 1)) {
		tls_error(ssl, NULL, err, errlen);
		SSL_free(ssl);
		return NULL;
	}
	deadline_in(&deadline, timeout_ms);
	SSL_set_app_data(ssl, &note);
	for (;;) {
		errno = 0;
		r = server_name != NULL ? SSL_connect(ssl) : SSL_accept(ssl);
		if (r == 1) {
			SSL_set_app_data(ssl, NULL);
			return ssl;
		}
		if ((w = tls_wait(ssl, r, &deadline)) == 1)
			continue;
		if (w == 0)
			snprintf(err, errlen, "timed out after %d ms",
			    timeout_ms);
		else
			tls_error(ssl, NULL, err, errlen);
		if (note.cn[0] != '\0' && (n = strlen(err)) < errlen)
			snprintf(err + n, errlen - n, "; the refused "
			    "certificate names CN %s", note.cn);
		SSL_free(ssl);
		return NULL;
	}
}

SSL *
tls_accept(SSL_CTX *ctx, int fd, int timeout_ms, char *err, size_t errlen)
{
	return tls_handshake(ctx, fd, NULL, timeout_ms, err, errlen);
}

SSL *
tls_connect(SSL_CTX *ctx, int fd, const char *server_name, int timeout_ms,
    char *err, size_t errlen)
{
	return tls_handshake(ctx, fd, server_name, timeout_ms, err, errlen);
}

/* One byte per character: in a BMPString or UniversalString, bytes in the
 * ASCII range could spell a name that is not the certificate's. */
static bool
tls_cn_type_ok(int type)
{
	switch (type) {
	case V_ASN1_UTF8STRING:
	case V_ASN1_PRINTABLESTRING:
	case V_ASN1_IA5STRING:
	case V_ASN1_T61STRING:
	case V_ASN1_VISIBLESTRING:
		return true;
	default:
		return false;
	}
}

int
tls_cert_cn(X509 *cert, char *cn, size_t len)
{
	const unsigned char *d;
	const ASN1_STRING *s;
	X509_NAME *name;
	int i, n;

	if (len == 0)
		return -1;
	cn[0] = '\0';
	if (cert == NULL || (name = X509_get_subject_name(cert)) == NULL ||
	    (i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0 ||
	    X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return -1;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	if (s == NULL || !tls_cn_type_ok(ASN1_STRING_type(s)))
		return -1;
	n = ASN1_STRING_length(s);
	d = ASN1_STRING_get0_data(s);
	if (n <= 0 || (size_t)n >= len)
		return -1;
	for (i = 0; i < n; i++)
		if (d[i] < 0x20 || d[i] > 0x7e)
			return -1;
	memcpy(cn, d, n);
	cn[n] = '\0';
	return 0;
}

int
tls_peer_cn(SSL *ssl, char *cn, size_t len)
{
	return tls_cert_cn(SSL_get0_peer_certificate(ssl), cn, len);
}

int
tls_export(SSL *ssl, uint32_t epoch, uint8_t *out, size_t len)
{
	unsigned char ctx[4] = { epoch >> 24, epoch >> 16, epoch >> 8, epoch };

	return SSL_export_keying_material(ssl, out, len, TLS_EXPORT_LABEL,
	    strlen(TLS_EXPORT_LABEL), ctx, sizeof(ctx), 1) == 1 ? 0 : -1;
}

ssize_t
tls_read(SSL *ssl, uint8_t *buf, size_t cap, char *err, size_t errlen)
{
	int r, e;

	ERR_clear_error();
	errno = 0;
	r = SSL_read(ssl, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
	if (r > 0)
		return r;
	e = SSL_get_error(ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	if (e == SSL_ERROR_ZERO_RETURN)
		snprintf(err, errlen, "peer closed the TLS connection");
	else
		tls_error(ssl, NULL, err, errlen);
	return -1;
}

/* A write failed: if the peer told us why before it hung up (in TLS 1.3
 * the server judges the client's certificate after the client's side of
 * the handshake is done, then sends an alert and closes), its alert is
 * waiting to be read, and says more than "Connection reset by peer". Only
 * looks; application data stays where it is. The socket is non-blocking,
 * as tls_write asks: a record not yet whole is not waited for. */
static void
tls_peer_alert(SSL *ssl, char *err, size_t errlen)
{
	struct pollfd pfd = { .fd = SSL_get_fd(ssl), .events = POLLIN };
	uint8_t b;
	int r;

	if (pfd.fd == -1 || poll(&pfd, 1, 0) != 1)
		return;
	ERR_clear_error();
	errno = 0;
	r = SSL_peek(ssl, &b, 1);
	/* an alert, not the end of the stream OpenSSL finds after a reset */
	if (r <= 0 && SSL_get_error(ssl, r) == SSL_ERROR_SSL &&
	    ERR_GET_REASON(ERR_peek_error()) >= SSL_AD_REASON_OFFSET)
		tls_error(ssl, NULL, err, errlen);
	ERR_clear_error();
}

int
tls_write(SSL *ssl, const uint8_t *buf, size_t len, int timeout_ms,
    char *err, size_t errlen)
{
	struct timespec deadline;
	int r, w;

	deadline_in(&deadline, timeout_ms);
	ERR_clear_error();
	for (;;) {
		errno = 0;
		r = SSL_write(ssl, buf, (int)len);
		if (r > 0)
			return 0;
		if ((w = tls_wait(ssl, r, &deadline)) == 1)
			continue;
		if (w == 0)
			snprintf(err, errlen, "TLS write timed out");
		else {
			tls_error(ssl, NULL, err, errlen);
			tls_peer_alert(ssl, err, errlen);
		}
		return -1;
	}
}

void
tls_close(SSL *ssl, int linger_ms)
{
	struct timespec deadline;
	struct pollfd pfd = { .events = POLLIN };
	uint8_t sink[4096];
	ssize_t n;
	int e, left;

	if (ssl == NULL)
		return;
	pfd.fd = SSL_get_fd(ssl);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	if (linger_ms <= 0 || pfd.fd == -1 || shutdown(pfd.fd, SHUT_WR) == -1)
		return;
	/* Our FIN follows what we queued; what the peer still sends is read
	 * and dropped until its FIN, so that the close sends no RST. */
	deadline_in(&deadline, linger_ms);
	for (;;) {
		n = recv(pfd.fd, sink, sizeof(sink), MSG_DONTWAIT);
		e = errno;
		if (n == 0 || (n == -1 && e != EINTR && e != EAGAIN &&
		    e != EWOULDBLOCK) || (left = ms_left(&deadline)) == 0)
			return;
		if (n == -1 && e != EINTR)
			poll(&pfd, 1, left);
	}
}
