/* TLS for the control channel: mutual certificate authentication against one
 * CA, handshakes under a deadline, and data-channel keys exported from it. */
#ifndef MY_TLS_H
#define MY_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#define TLS_EXPORT_LABEL "EXPORTER-simpletun-data"

enum tls_pem_file { TLS_CA, TLS_CERT, TLS_KEY, TLS_CRL, TLS_PEM_COUNT };

/* The PEM files, read once by the privileged parent into sealed memfds that
 * the processes building an SSL_CTX inherit; they read them with pread, so
 * the shared offset never moves. fd -1: none (only the CRL is optional).
 * path: for messages only, owned by the caller. */
struct tls_pem {
	int		 fd[TLS_PEM_COUNT];
	const char	*path[TLS_PEM_COUNT];
};

/* Reads each file (crl may be "": none) into a sealed close-on-exec memfd.
 * Refuses a key that is not a regular file or that group or others may
 * read or write. -1 with one line naming the file in err; p holds no fd
 * then. */
int tls_pem_load(struct tls_pem *p, const char *ca, const char *cert,
    const char *key, const char *crl, char *err, size_t errlen);
void tls_pem_close(struct tls_pem *p);
/* A reload: reads crl ("" for none) into a new sealed memfd and checks it
 * with p's CA as tls_ctx_new would (parses, not expired). On success the
 * new fd (or -1) is in *fd; -1 with one line in err, and *fd untouched. */
int tls_pem_crl_reload(const struct tls_pem *p, const char *crl, int *fd,
    char *err, size_t errlen);
/* Builds a TLS 1.3 context for mutual authentication from the memfds.
 * On error returns NULL and a one-line reason naming the file in err. */
SSL_CTX *tls_ctx_new(bool server, const struct tls_pem *p, char *err,
    size_t errlen);
/* Handshake on the non-blocking socket fd, at most timeout_ms. The client
 * checks the server's certificate against server_name (SAN, then CN).
 * NULL with the reason (OpenSSL's, and the verification result) in err. */
SSL *tls_accept(SSL_CTX *ctx, int fd, int timeout_ms, char *err,
    size_t errlen);
SSL *tls_connect(SSL_CTX *ctx, int fd, const char *server_name,
    int timeout_ms, char *err, size_t errlen);
/* The certificate's one CN, if it is 1..len-1 bytes of printable ASCII
 * (0x20..0x7e); -1 for none, two, or anything else: it names a client in
 * logs, the address table and status output, so it is never truncated. */
int tls_cert_cn(X509 *cert, char *cn, size_t len);
/* A live session's peer again (a server's reload): its certificate and
 * chain against the CA and CRL of p (fd[TLS_CA], and fd[TLS_CRL] if not
 * -1), with the same checks as the handshake. 1 if it still passes, 0 if
 * not (OpenSSL's reason in err, e.g. "certificate revoked"), -1 if it
 * could not be checked (err). */
int tls_peer_recheck(SSL *ssl, const struct tls_pem *p, char *err,
    size_t errlen);
/* tls_cert_cn of the peer's certificate. */
int tls_peer_cn(SSL *ssl, char *cn, size_t len);
/* len bytes of keying material for key epoch (label TLS_EXPORT_LABEL). */
int tls_export(SSL *ssl, uint32_t epoch, uint8_t *out, size_t len);
/* Reads what is there: >0 bytes, 0 if it would block, -1 on close or
 * error (reason in err). */
ssize_t tls_read(SSL *ssl, uint8_t *buf, size_t cap, char *err,
    size_t errlen);
/* Writes all of buf, waiting at most timeout_ms; 0 or -1 (reason in err:
 * the peer's alert if it sent one before it went away). The socket is the
 * handshake's, non-blocking. */
int tls_write(SSL *ssl, const uint8_t *buf, size_t len, int timeout_ms,
    char *err, size_t errlen);
/* Sends close_notify and frees; NULL is allowed. With linger_ms > 0 it
 * then half-closes the socket and reads and drops what the peer still
 * sends until the peer closes too, at most linger_ms: a socket closed with
 * unread bytes sends a RST, and the peer's kernel may throw away the last
 * message we sent (a BYE) with it. The caller closes the fd. */
void tls_close(SSL *ssl, int linger_ms);

#endif
