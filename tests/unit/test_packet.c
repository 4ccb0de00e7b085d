/* Data packets: round trips, a known answer rebuilt with raw OpenSSL,
 * tampering of every bit, wrong keys, header checks, keystream reuse. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "packet.h"

#define BUF_LEN (PKT_MAX_PAYLOAD + PKT_OVERHEAD + 16)
#define BLOCK 16

static int failures;
static uint8_t keymat[PKT_KEYMAT_LEN];
static uint8_t payload[BUF_LEN], pkt[BUF_LEN], copy[BUF_LEN];

static void
check(int ok, const char *what, uint64_t n)
{
	if (!ok) {
		printf("FAIL: %s (%" PRIu64 ")\n", what, n);
		failures++;
	}
}

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static struct pkt_key *
key_from(const uint8_t *km, uint8_t key_id)
{
	struct pkt_key *k;

	if ((k = pkt_key_new()) == NULL || pkt_key_set(k, key_id, km) == -1) {
		printf("FAIL: pkt_key_new/pkt_key_set\n");
		exit(1);
	}
	return k;
}

static void
test_round_trip(struct pkt_key *k)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 1420, 65535 };
	size_t i, n;
	ssize_t len;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = sizes[i];
		fill(payload, n, (uint8_t)i);
		len = pkt_seal(k, PKT_DATA, 1000 + i, payload, n, pkt,
		    n + PKT_OVERHEAD);
		check(len == (ssize_t)(n + PKT_OVERHEAD), "seal length", n);
		check(n < 16 || memcmp(pkt + PKT_HDR_LEN, payload, 16) != 0,
		    "ciphertext equals plaintext", n);
		check(pkt_open(k, pkt, (size_t)len) == (ssize_t)n, "open", n);
		check(memcmp(pkt + PKT_HDR_LEN, payload, n) == 0,
		    "round trip payload", n);
	}
	len = pkt_seal(k, PKT_KEEPALIVE, 7, NULL, 0, pkt, PKT_OVERHEAD);
	check(len == PKT_OVERHEAD, "keepalive seal", 0);
	check(pkt_open(k, pkt, PKT_OVERHEAD) == 0, "keepalive open", 0);
}

static void
test_seal_rejects(struct pkt_key *k)
{
	struct pkt_key *unkeyed;

	check(pkt_seal(k, PKT_DATA, 1, payload, PKT_MAX_PAYLOAD + 1, pkt,
	    BUF_LEN) == -1, "payload too long", PKT_MAX_PAYLOAD + 1);
	check(pkt_seal(k, PKT_DATA, 1, payload, 100, pkt,
	    100 + PKT_OVERHEAD - 1) == -1, "cap too small", 100);
	check(pkt_seal(k, PKT_DATA, 1, NULL, 0, pkt, PKT_OVERHEAD - 1) == -1,
	    "cap too small for empty", 0);
	check(pkt_seal(k, 3, 1, payload, 10, pkt, BUF_LEN) == -1,
	    "unknown type", 3);
	check(pkt_seal(k, PKT_KEEPALIVE, 1, payload, 1, pkt, BUF_LEN) == -1,
	    "keepalive with payload", 1);
	check(pkt_seal(k, PKT_DATA, 0, payload, 10, pkt, BUF_LEN) == -1,
	    "sequence 0", 0);
	if ((unkeyed = pkt_key_new()) == NULL)
		exit(1);
	check(pkt_seal(unkeyed, PKT_DATA, 1, payload, 10, pkt, BUF_LEN) == -1,
	    "unkeyed seal", 0);
	check(pkt_open(unkeyed, pkt, 10 + PKT_OVERHEAD) == -1, "unkeyed open",
	    0);
	pkt_key_free(unkeyed);
	pkt_key_free(NULL);
}

/* The expected packet from the format description alone: hand-made header
 * and counter block, raw EVP AES-256-CTR, one-shot HMAC(). */
static size_t
reference_seal(uint8_t type, uint8_t key_id, uint64_t seq, const uint8_t *p,
    size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *c;
	uint8_t ctr[BLOCK], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	int i, outl;

	out[0] = type;
	out[1] = key_id;
	out[2] = out[3] = 0;
	memset(ctr, 0, sizeof(ctr));
	for (i = 0; i < 8; i++) {
		out[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
		ctr[i] = out[4 + i] ^ keymat[64 + i];
	}
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    !EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, keymat, ctr) ||
	    !EVP_EncryptUpdate(c, out + 12, &outl, p, (int)n) ||
	    (size_t)outl != n ||
	    HMAC(EVP_sha256(), keymat + 32, 32, out, 12 + n, md, &mdlen) ==
	    NULL || mdlen != 32)
		abort();
	EVP_CIPHER_CTX_free(c);
	memcpy(out + 12 + n, md, 16);
	return 12 + n + 16;
}

static void
test_known_answer(struct pkt_key *k)
{
	static const uint64_t seqs[] = { 1, 0x0102030405060708ULL,
	    0xfedcba9876543210ULL, UINT64_MAX };
	static const size_t sizes[] = { 0, 1, 33, 1420, 65535 };
	size_t i, j, n, want;
	ssize_t len;

	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			n = sizes[j];
			fill(payload, n, (uint8_t)(i * 16 + j));
			want = reference_seal(PKT_DATA, 0xa5, seqs[i], payload,
			    n, copy);
			len = pkt_seal(k, PKT_DATA, seqs[i], payload, n, pkt,
			    BUF_LEN);
			check(len == (ssize_t)want &&
			    memcmp(pkt, copy, want) == 0, "known answer", n);
		}
	}
	want = reference_seal(PKT_KEEPALIVE, 0xa5, 42, NULL, 0, copy);
	len = pkt_seal(k, PKT_KEEPALIVE, 42, NULL, 0, pkt, BUF_LEN);
	check(len == (ssize_t)want && memcmp(pkt, copy, want) == 0,
	    "keepalive known answer", 42);
}

/* Every bit of header, ciphertext and tag is covered by the tag. */
static void
test_bit_flips(struct pkt_key *k)
{
	const size_t len = 100;
	size_t bit;

	fill(payload, len - PKT_OVERHEAD, 99);
	if (pkt_seal(k, PKT_DATA, 12345, payload, len - PKT_OVERHEAD, pkt,
	    len) != (ssize_t)len)
		check(0, "seal 100", len);
	for (bit = 0; bit < 8 * len; bit++) {
		memcpy(copy, pkt, len);
		copy[bit / 8] ^= 1 << (bit % 8);
		check(pkt_open(k, copy, len) == -1, "flipped bit opened", bit);
		copy[bit / 8] ^= 1 << (bit % 8);
		check(memcmp(copy, pkt, len) == 0,
		    "failed open touched the buffer", bit);
	}
	memcpy(copy, pkt, len);
	check(pkt_open(k, copy, len - 1) == -1, "truncated", len - 1);
	check(pkt_open(k, copy, PKT_OVERHEAD - 1) == -1, "too short", 0);
	check(pkt_open(k, copy, len) == (ssize_t)(len - PKT_OVERHEAD),
	    "intact after flips", len);
}

/* Another epoch's key, a key differing in one bit of the AES key, MAC key
 * or salt, or another key id: nothing opens with the right payload. */
static void
test_wrong_key(struct pkt_key *k)
{
	static const size_t offsets[] = { 0, 31, 32, 63, 64, 71 };
	uint8_t other[PKT_KEYMAT_LEN];
	struct pkt_key *w;
	ssize_t len;
	size_t i;

	fill(payload, 200, 3);
	len = pkt_seal(k, PKT_DATA, 77, payload, 200, pkt, BUF_LEN);
	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		memcpy(other, keymat, sizeof(other));
		other[offsets[i]] ^= 0x01;
		w = key_from(other, 0xa5);
		memcpy(copy, pkt, (size_t)len);
		/* Only the MAC key guards the tag; another AES key or salt
		 * opens the packet but must not recover the payload. */
		if (offsets[i] >= 32 && offsets[i] < 64)
			check(pkt_open(w, copy, (size_t)len) == -1,
			    "wrong MAC key opened", offsets[i]);
		else
			check(pkt_open(w, copy, (size_t)len) == 200 &&
			    memcmp(copy + PKT_HDR_LEN, payload, 200) != 0,
			    "wrong AES key or salt decrypted", offsets[i]);
		pkt_key_free(w);
	}
	fill(other, sizeof(other), 0x41);
	w = key_from(other, 0xa5);
	memcpy(copy, pkt, (size_t)len);
	check(pkt_open(w, copy, (size_t)len) == -1, "other epoch opened", 0);
	pkt_key_free(w);
	w = key_from(keymat, 0x5a);
	memcpy(copy, pkt, (size_t)len);
	check(pkt_open(w, copy, (size_t)len) == -1, "wrong key id", 0x5a);
	check(pkt_key_id(w) == 0x5a, "pkt_key_id", 0x5a);
	pkt_key_free(w);
}

static void
test_parse_hdr(void)
{
	struct pkt_hdr h;
	uint8_t b[PKT_OVERHEAD];
	int t;

	memset(b, 0, sizeof(b));
	b[0] = PKT_DATA;
	b[1] = 9;
	b[4] = 0x80;
	b[11] = 0x01;
	check(pkt_parse_hdr(b, sizeof(b), &h) == 0, "valid header", 0);
	check(h.type == PKT_DATA && h.key_id == 9 &&
	    h.seq == 0x8000000000000001ULL, "header fields", h.seq);
	check(pkt_parse_hdr(b, sizeof(b) - 1, &h) == -1, "short", 27);
	check(pkt_parse_hdr(b, 0, &h) == -1, "empty", 0);
	for (t = 0; t < 256; t++) {
		b[0] = (uint8_t)t;
		check((pkt_parse_hdr(b, sizeof(b), &h) == 0) ==
		    (t == PKT_DATA || t == PKT_KEEPALIVE), "type", (uint64_t)t);
	}
	b[0] = PKT_KEEPALIVE;
	b[2] = 1;
	check(pkt_parse_hdr(b, sizeof(b), &h) == -1, "reserved byte 2", 1);
	b[2] = 0;
	b[3] = 0x80;
	check(pkt_parse_hdr(b, sizeof(b), &h) == -1, "reserved byte 3", 0x80);
}

static int
cmp_block(const void *a, const void *b)
{
	return memcmp(a, b, BLOCK);
}

/*
 * A zero payload seals to the raw keystream. Full-size packets under
 * neighbouring, salt-colliding-looking and extreme sequence numbers must
 * share no keystream block at all, let alone a prefix.
 */
static void
test_keystream(struct pkt_key *k)
{
	static const uint64_t seqs[] = { 1, 2, 3, 4096, 4097, 0x10000,
	    (uint64_t)1 << 63, UINT64_MAX - 1, UINT64_MAX };
	const size_t nseq = sizeof(seqs) / sizeof(seqs[0]);
	const size_t nblk = PKT_MAX_PAYLOAD / BLOCK;
	uint8_t *all;
	size_t i;

	if ((all = malloc(nseq * nblk * BLOCK)) == NULL)
		exit(1);
	memset(payload, 0, PKT_MAX_PAYLOAD);
	for (i = 0; i < nseq; i++) {
		pkt_seal(k, PKT_DATA, seqs[i], payload, PKT_MAX_PAYLOAD, pkt,
		    BUF_LEN);
		memcpy(all + i * nblk * BLOCK, pkt + PKT_HDR_LEN, nblk * BLOCK);
	}
	qsort(all, nseq * nblk, BLOCK, cmp_block);
	for (i = 1; i < nseq * nblk; i++)
		check(memcmp(all + (i - 1) * BLOCK, all + i * BLOCK, BLOCK) !=
		    0, "repeated keystream block", i);
	free(all);
}

int
main(void)
{
	struct pkt_key *k;

	fill(keymat, sizeof(keymat), 0x40);
	k = key_from(keymat, 0xa5);
	check(pkt_key_id(k) == 0xa5, "pkt_key_id", 0xa5);
	test_round_trip(k);
	test_seal_rejects(k);
	test_known_answer(k);
	test_bit_flips(k);
	test_wrong_key(k);
	test_parse_hdr();
	test_keystream(k);
	pkt_key_free(k);
	if (failures != 0) {
		printf("test_packet: %d failures\n", failures);
		return 1;
	}
	printf("test_packet: ok\n");
	return 0;
}
