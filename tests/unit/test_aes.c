/* AES-256-CTR against NIST SP 800-38A F.5.5 and F.5.6, whole and in
 * pieces, and reuse of one keyed context across counter blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "aes.h"

#define MSG_LEN 64

static int failures;

static const char nist_key[] =
    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
static const char nist_ctr[] = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
static const char nist_plain[] =
    "6bc1bee22e409f96e93d7e117393172a" "ae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52ef" "f69f2445df4f9b17ad2b417be66c3710";
static const char nist_cipher[] =
    "601ec313775789a5b7a7f504bbf3d228" "f443e3ca4d62b59aca84e990cacaf5c5"
    "2b0930daa23de94ce87017ba2d84988d" "dfc9c58db67aada613c2dd08457941a6";

static uint8_t key[AES_KEY_LEN], ctr0[AES_BLOCK_LEN];
static uint8_t plain[MSG_LEN], cipher[MSG_LEN];

static void
check(int ok, const char *what, size_t n)
{
	if (!ok) {
		printf("FAIL: %s (%zu)\n", what, n);
		failures++;
	}
}

static void
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	unsigned int b;

	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			abort();
		out[i] = (uint8_t)b;
	}
}

/* Adds n to a 128-bit big-endian counter block, as CTR mode does. */
static void
ctr_add(uint8_t ctr[AES_BLOCK_LEN], size_t n)
{
	int i;

	for (i = AES_BLOCK_LEN - 1; i >= 0 && n != 0; i--) {
		n += ctr[i];
		ctr[i] = n & 0xff;
		n >>= 8;
	}
}

/*
 * The API restarts at a block boundary on every call, so a piece that
 * starts inside a block is produced by running from that block's start
 * over scratch bytes and keeping only the tail.
 */
static int
ctr_piece(struct aes_ctx *ctx, const uint8_t *in, uint8_t *out, size_t off,
    size_t n)
{
	uint8_t ctr[AES_BLOCK_LEN], buf[MSG_LEN + AES_BLOCK_LEN];
	size_t skip = off % AES_BLOCK_LEN;

	memcpy(ctr, ctr0, sizeof(ctr));
	ctr_add(ctr, off / AES_BLOCK_LEN);
	memset(buf, 0, skip);
	memcpy(buf + skip, in, n);
	if (aes_ctr(ctx, ctr, buf, buf, skip + n) == -1)
		return -1;
	memcpy(out, buf + skip, n);
	return 0;
}

/* One call over the whole message, out of place and in place. */
static void
test_whole(struct aes_ctx *ctx, const uint8_t *in, const uint8_t *want,
    const char *name)
{
	uint8_t out[MSG_LEN];

	check(aes_ctr(ctx, ctr0, in, out, MSG_LEN) == 0, name, 0);
	check(memcmp(out, want, MSG_LEN) == 0, name, MSG_LEN);
	memcpy(out, in, MSG_LEN);
	check(aes_ctr(ctx, ctr0, out, out, MSG_LEN) == 0, name, 1);
	check(memcmp(out, want, MSG_LEN) == 0, name, 2);
}

/* Every prefix length: partial final blocks and a call of length 0. */
static void
test_prefixes(struct aes_ctx *ctx)
{
	uint8_t out[MSG_LEN];
	size_t n;

	for (n = 0; n <= MSG_LEN; n++) {
		memset(out, 0xee, sizeof(out));
		check(aes_ctr(ctx, ctr0, plain, out, n) == 0, "prefix call", n);
		check(memcmp(out, cipher, n) == 0, "prefix output", n);
		check(n == MSG_LEN || out[n] == 0xee, "prefix overrun", n);
	}
}

/* Odd-sized pieces, with several starting sizes so that the piece
 * boundaries fall at many offsets inside a block. */
static void
test_pieces(struct aes_ctx *ctx, const uint8_t *in, const uint8_t *want,
    const char *name)
{
	static const size_t sizes[] = { 1, 3, 5, 7, 11, 13, 17, 19, 23 };
	uint8_t out[MSG_LEN];
	size_t first, off, n, i;

	for (first = 0; first < sizeof(sizes) / sizeof(sizes[0]); first++) {
		memset(out, 0, sizeof(out));
		for (off = 0, i = first; off < MSG_LEN; off += n, i++) {
			n = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
			if (n > MSG_LEN - off)
				n = MSG_LEN - off;
			check(ctr_piece(ctx, in + off, out + off, off, n) == 0,
			    name, off);
		}
		check(memcmp(out, want, MSG_LEN) == 0, name, first);
	}
}

/* Raw EVP with a fresh context, as an independent reference. */
static void
ref_ctr(const uint8_t *ctr, const uint8_t *in, uint8_t *out, int len)
{
	EVP_CIPHER_CTX *c;
	int outl;

	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    !EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, key, ctr) ||
	    !EVP_EncryptUpdate(c, out, &outl, in, len) || outl != len)
		abort();
	EVP_CIPHER_CTX_free(c);
}

/*
 * Alternating counter blocks on one keyed context, each call left in the
 * middle of a block, must each start from their own block 0.
 */
static void
test_reuse(struct aes_ctx *ctx)
{
	uint8_t ctr1[AES_BLOCK_LEN], want1[MSG_LEN], out[MSG_LEN];
	int round;

	memset(ctr1, 0, sizeof(ctr1));
	ctr1[7] = 1;
	ref_ctr(ctr1, plain, want1, MSG_LEN);
	for (round = 0; round < 3; round++) {
		check(aes_ctr(ctx, ctr0, plain, out, 5) == 0, "reuse 5", round);
		check(memcmp(out, cipher, 5) == 0, "reuse ctr0 short", round);
		check(aes_ctr(ctx, ctr1, plain, out, MSG_LEN) == 0, "reuse", 1);
		check(memcmp(out, want1, MSG_LEN) == 0, "reuse ctr1", round);
		check(aes_ctr(ctx, ctr0, plain, out, 37) == 0, "reuse", 3);
		check(aes_ctr(ctx, ctr0, plain, out, MSG_LEN) == 0, "reuse", 2);
		check(memcmp(out, cipher, MSG_LEN) == 0, "reuse ctr0", round);
	}
	check(memcmp(want1, cipher, MSG_LEN) != 0, "counters differ", 0);
}

static void
test_lifecycle(void)
{
	struct aes_ctx *ctx;
	uint8_t out[MSG_LEN], other[AES_KEY_LEN];

	if ((ctx = aes_new()) == NULL) {
		check(0, "aes_new", 0);
		return;
	}
	check(aes_ctr(ctx, ctr0, plain, out, MSG_LEN) == -1, "unkeyed", 0);
	memset(other, 0x5a, sizeof(other));
	check(aes_set_key(ctx, other) == 0, "first key", 0);
	check(aes_set_key(ctx, key) == 0, "rekey", 0);
	check(aes_ctr(ctx, ctr0, plain, out, MSG_LEN) == 0, "rekeyed", 0);
	check(memcmp(out, cipher, MSG_LEN) == 0, "rekeyed output", 0);
	aes_free(ctx);
	aes_free(NULL);
}

int
main(void)
{
	struct aes_ctx *ctx;

	unhex(nist_key, key, sizeof(key));
	unhex(nist_ctr, ctr0, sizeof(ctr0));
	unhex(nist_plain, plain, sizeof(plain));
	unhex(nist_cipher, cipher, sizeof(cipher));
	if ((ctx = aes_new()) == NULL || aes_set_key(ctx, key) == -1) {
		printf("FAIL: aes_new/aes_set_key\n");
		return 1;
	}
	test_whole(ctx, plain, cipher, "F.5.5 encrypt");
	test_whole(ctx, cipher, plain, "F.5.6 decrypt");
	test_prefixes(ctx);
	test_pieces(ctx, plain, cipher, "F.5.5 pieces");
	test_pieces(ctx, cipher, plain, "F.5.6 pieces");
	test_reuse(ctx);
	aes_free(ctx);
	test_lifecycle();
	if (failures != 0) {
		printf("test_aes: %d failures\n", failures);
		return 1;
	}
	printf("test_aes: ok\n");
	return 0;
}
