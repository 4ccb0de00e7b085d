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

/* Loads CA, certificate chain, key and optional CRL (crl may be "").
 * On error returns NULL and a one-line reason in err. */
SSL_CTX *tls_ctx_new(bool server, const char *ca, const char *cert,
    const char *key, const char *crl, char *err, size_t errlen);
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
/* tls_cert_cn of the peer's certificate. */
int tls_peer_cn(SSL *ssl, char *cn, size_t len);
/* len bytes of keying material for key epoch (label TLS_EXPORT_LABEL). */
int tls_export(SSL *ssl, uint32_t epoch, uint8_t *out, size_t len);
/* Reads what is there: >0 bytes, 0 if it would block, -1 on close or
 * error (reason in err). */
ssize_t tls_read(SSL *ssl, uint8_t *buf, size_t cap, char *err,
    size_t errlen);
/* Writes all of buf, waiting at most timeout_ms; 0 or -1 (reason in err). */
int tls_write(SSL *ssl, const uint8_t *buf, size_t len, int timeout_ms,
    char *err, size_t errlen);
/* Sends close_notify without waiting and frees. NULL is allowed. */
void tls_close(SSL *ssl);

#endif
