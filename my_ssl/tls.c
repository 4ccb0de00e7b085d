/* OpenSSL glue for the control channel. Nothing here logs: failures come
 * back as one line of text built from OpenSSL's error queue and the
 * certificate verification result. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls.h"

#define TLS_WHAT_MAX 8300	/* two paths and some words */

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

/* Adds every CRL in the file. One that is past its next update would make
 * every handshake fail as "CRL has expired": say so now instead. On error
 * the reason goes to err. */
static int
tls_load_crl(SSL_CTX *ctx, const char *crl, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	BIO *bio = BIO_new_file(crl, "r");
	char what[TLS_WHAT_MAX];
	X509_CRL *x;
	int n = 0, expired = 0, bad = 0;

	while (bio != NULL && !expired && !bad &&
	    (x = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
		const ASN1_TIME *next = X509_CRL_get0_nextUpdate(x);

		if (next != NULL && X509_cmp_current_time(next) < 0)
			expired = 1;
		else if (X509_STORE_add_crl(store, x) != 1)
			bad = 1;
		X509_CRL_free(x);
		n++;
	}
	BIO_free(bio);
	if (expired) {
		snprintf(err, errlen, "crl %s has expired: renew it", crl);
		return -1;
	}
	if (bio == NULL || bad || n == 0) {
		snprintf(what, sizeof(what), "crl %s", crl);
		tls_error(NULL, what, err, errlen);
		return -1;
	}
	ERR_clear_error();	/* PEM reading ends on an error at the end */
	return X509_STORE_set_flags(store,
	    X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) == 1 ? 0 : -1;
}

static int
tls_ctx_setup(SSL_CTX *ctx, bool server, const char *ca, const char *cert,
    const char *key, const char *crl, char *err, size_t errlen)
{
	char what[TLS_WHAT_MAX];

	what[0] = '\0';
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1)
		snprintf(what, sizeof(what), "TLS 1.3");
	else if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		snprintf(what, sizeof(what), "ca %s", ca);
	else if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		snprintf(what, sizeof(what), "cert %s", cert);
	else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		snprintf(what, sizeof(what), "key %s", key);
	else if (SSL_CTX_check_private_key(ctx) != 1)
		snprintf(what, sizeof(what), "key %s does not belong to cert %s",
		    key, cert);
	else if (crl[0] != '\0' && tls_load_crl(ctx, crl, err, errlen) == -1)
		return -1;
	if (what[0] != '\0') {
		tls_error(NULL, what, err, errlen);
		return -1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	/* No resumption: every session is a full, mutually verified one. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	return 0;
}

SSL_CTX *
tls_ctx_new(bool server, const char *ca, const char *cert, const char *key,
    const char *crl, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL) {
		tls_error(NULL, "TLS context", err, errlen);
		return NULL;
	}
	if (tls_ctx_setup(ctx, server, ca, cert, key, crl, err, errlen) == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
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
	struct timespec deadline;
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
	for (;;) {
		errno = 0;
		r = server_name != NULL ? SSL_connect(ssl) : SSL_accept(ssl);
		if (r == 1)
			return ssl;
		if ((w = tls_wait(ssl, r, &deadline)) == 1)
			continue;
		if (w == 0)
			snprintf(err, errlen, "timed out after %d ms",
			    timeout_ms);
		else
			tls_error(ssl, NULL, err, errlen);
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
		else
			tls_error(ssl, NULL, err, errlen);
		return -1;
	}
}

void
tls_close(SSL *ssl)
{
	if (ssl == NULL)
		return;
	SSL_shutdown(ssl);
	SSL_free(ssl);
}
