/* HMAC-SHA256 for the data channel: one context per direction and key epoch,
 * keyed once, reused for every packet. */
#ifndef MY_MAC_H
#define MY_MAC_H

#include <stddef.h>
#include <stdint.h>

#define MAC_KEY_LEN 32
#define MAC_FULL_LEN 32

struct mac_ctx;

struct mac_ctx *mac_new(void);
int mac_set_key(struct mac_ctx *ctx, const uint8_t *key, size_t keylen);
/* Full 32-byte HMAC-SHA256 of data into out; 0 on success, -1 on error. */
int mac_compute(struct mac_ctx *ctx, const uint8_t *data, size_t len,
    uint8_t out[MAC_FULL_LEN]);
/* Recomputes the MAC and compares its first taglen bytes with tag in
 * constant time; 1 if equal, 0 if not, -1 on error. */
int mac_verify(struct mac_ctx *ctx, const uint8_t *data, size_t len,
    const uint8_t *tag, size_t taglen);
void mac_free(struct mac_ctx *ctx);

#endif
