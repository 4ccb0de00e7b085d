/* AES-256-CTR for the data channel: one context per direction and key epoch,
 * keyed once, then only the counter block changes per packet. */
#ifndef MY_AES_H
#define MY_AES_H

#include <stddef.h>
#include <stdint.h>

#define AES_KEY_LEN 32
#define AES_BLOCK_LEN 16

struct aes_ctx;

struct aes_ctx *aes_new(void);
/* Keys the context (the expensive key schedule); 0 on success, -1 on error. */
int aes_set_key(struct aes_ctx *ctx, const uint8_t key[AES_KEY_LEN]);
/* Encrypts or decrypts len bytes with counter block ctr; in may equal out. */
int aes_ctr(struct aes_ctx *ctx, const uint8_t ctr[AES_BLOCK_LEN],
    const uint8_t *in, uint8_t *out, size_t len);
/* Wipes the key and frees; NULL is allowed. */
void aes_free(struct aes_ctx *ctx);

#endif
