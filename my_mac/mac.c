/* HMAC-SHA256 on OpenSSL 3 EVP_MAC, keyed once per epoch. */
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "mac.h"

struct mac_ctx {
	EVP_MAC		*mac;		/* fetched once, not per packet */
	EVP_MAC_CTX	*evp;		/* holds the only copy of the key */
	int		 keyed;
};

struct mac_ctx *
mac_new(void)
{
	struct mac_ctx *ctx;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	if ((ctx->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx->evp = EVP_MAC_CTX_new(ctx->mac)) == NULL) {
		mac_free(ctx);
		return NULL;
	}
	return ctx;
}

int
mac_set_key(struct mac_ctx *ctx, const uint8_t *key, size_t keylen)
{
	OSSL_PARAM params[2];

	/* A failed rekey must not leave the old key usable. An empty key
	 * cannot be set: EVP_MAC_init reads it as "keep the old key". */
	ctx->keyed = 0;
	if (key == NULL || keylen == 0)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx->evp, key, keylen, params))
		return -1;
	ctx->keyed = 1;
	return 0;
}

int
mac_compute(struct mac_ctx *ctx, const uint8_t *data, size_t len,
    uint8_t out[MAC_FULL_LEN])
{
	size_t outl;

	if (!ctx->keyed)
		return -1;
	/* A NULL key restarts HMAC from the stored key: no key setup. */
	if (!EVP_MAC_init(ctx->evp, NULL, 0, NULL) ||
	    !EVP_MAC_update(ctx->evp, data, len) ||
	    !EVP_MAC_final(ctx->evp, out, &outl, MAC_FULL_LEN) ||
	    outl != MAC_FULL_LEN)
		return -1;
	return 0;
}

int
mac_verify(struct mac_ctx *ctx, const uint8_t *data, size_t len,
    const uint8_t *tag, size_t taglen)
{
	uint8_t full[MAC_FULL_LEN];

	/* An empty tag would match anything. */
	if (taglen == 0 || taglen > MAC_FULL_LEN)
		return -1;
	if (mac_compute(ctx, data, len, full) == -1)
		return -1;
	return CRYPTO_memcmp(full, tag, taglen) == 0;
}

void
mac_free(struct mac_ctx *ctx)
{
	if (ctx == NULL)
		return;
	/* The HMAC provider clears its key copy when its context is freed. */
	EVP_MAC_CTX_free(ctx->evp);
	EVP_MAC_free(ctx->mac);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}
