/* AES-256-CTR on OpenSSL 3 EVP, keyed once per epoch. */
#include <limits.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aes.h"

/* EVP_EncryptUpdate counts in int; any chunk size works for CTR because
 * the context carries the block position from one update to the next. */
#define AES_CHUNK (1 << 30)

struct aes_ctx {
	EVP_CIPHER	*cipher;	/* fetched once, not per packet */
	EVP_CIPHER_CTX	*evp;		/* the only copy of the key schedule */
	int		 keyed;
};

struct aes_ctx *
aes_new(void)
{
	struct aes_ctx *ctx;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	ctx->cipher = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
	ctx->evp = EVP_CIPHER_CTX_new();
	if (ctx->cipher == NULL || ctx->evp == NULL) {
		aes_free(ctx);
		return NULL;
	}
	return ctx;
}

int
aes_set_key(struct aes_ctx *ctx, const uint8_t key[AES_KEY_LEN])
{
	/* A failed rekey must not leave the old key usable. */
	ctx->keyed = 0;
	if (!EVP_EncryptInit_ex2(ctx->evp, ctx->cipher, key, NULL, NULL))
		return -1;
	ctx->keyed = 1;
	return 0;
}

int
aes_ctr(struct aes_ctx *ctx, const uint8_t ctr[AES_BLOCK_LEN],
    const uint8_t *in, uint8_t *out, size_t len)
{
	size_t	 done, n;
	int	 outl;

	if (!ctx->keyed)
		return -1;
	/* Without a cipher or key only the counter block (and the position
	 * inside the block) is reset: no fetch, no key schedule. */
	if (!EVP_EncryptInit_ex2(ctx->evp, NULL, NULL, ctr, NULL))
		return -1;
	for (done = 0; done < len; done += n) {
		n = len - done < AES_CHUNK ? len - done : AES_CHUNK;
		if (!EVP_EncryptUpdate(ctx->evp, out + done, &outl, in + done,
		    (int)n) || (size_t)outl != n)
			return -1;
	}
	return 0;
}

void
aes_free(struct aes_ctx *ctx)
{
	if (ctx == NULL)
		return;
	/* EVP_CIPHER_CTX_free cleanses the key schedule; no other copy of
	 * the key is kept here. */
	EVP_CIPHER_CTX_free(ctx->evp);
	EVP_CIPHER_free(ctx->cipher);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}
