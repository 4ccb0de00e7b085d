/* Data packets: round trips, fixed known answers from the openssl command
 * line, answers rebuilt with raw OpenSSL, tampering of every bit, the
 * receiver index, wrong keys, header checks, keystream reuse. */
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
		len = pkt_seal(k, PKT_DATA, (uint32_t)i, 1000 + i, payload, n,
		    pkt, n + PKT_OVERHEAD);
		check(len == (ssize_t)(n + PKT_OVERHEAD), "seal length", n);
		check(n < 16 || memcmp(pkt + PKT_HDR_LEN, payload, 16) != 0,
		    "ciphertext equals plaintext", n);
		check(pkt_open(k, pkt, (size_t)len) == (ssize_t)n, "open", n);
		check(memcmp(pkt + PKT_HDR_LEN, payload, n) == 0,
		    "round trip payload", n);
	}
	len = pkt_seal(k, PKT_KEEPALIVE, 7, 7, NULL, 0, pkt, PKT_OVERHEAD);
	check(len == PKT_OVERHEAD, "keepalive seal", 0);
	check(pkt_open(k, pkt, PKT_OVERHEAD) == 0, "keepalive open", 0);
}

static void
test_seal_rejects(struct pkt_key *k)
{
	struct pkt_key *unkeyed;

	check(pkt_seal(k, PKT_DATA, 1, 1, payload, PKT_MAX_PAYLOAD + 1, pkt,
	    BUF_LEN) == -1, "payload too long", PKT_MAX_PAYLOAD + 1);
	check(pkt_seal(k, PKT_DATA, 1, 1, payload, 100, pkt,
	    100 + PKT_OVERHEAD - 1) == -1, "cap too small", 100);
	check(pkt_seal(k, PKT_DATA, 1, 1, NULL, 0, pkt, PKT_OVERHEAD - 1) ==
	    -1, "cap too small for empty", 0);
	check(pkt_seal(k, 3, 1, 1, payload, 10, pkt, BUF_LEN) == -1,
	    "unknown type", 3);
	check(pkt_seal(k, PKT_KEEPALIVE, 1, 1, payload, 1, pkt, BUF_LEN) ==
	    -1, "keepalive with payload", 1);
	check(pkt_seal(k, PKT_DATA, 1, 0, payload, 10, pkt, BUF_LEN) == -1,
	    "sequence 0", 0);
	if ((unkeyed = pkt_key_new()) == NULL)
		exit(1);
	check(pkt_seal(unkeyed, PKT_DATA, 1, 1, payload, 10, pkt, BUF_LEN) ==
	    -1, "unkeyed seal", 0);
	check(pkt_open(unkeyed, pkt, 10 + PKT_OVERHEAD) == -1, "unkeyed open",
	    0);
	pkt_key_free(unkeyed);
	pkt_key_free(NULL);
}

/*
 * Made with this script (OpenSSL 3.0 command line, xxd), its output pasted
 * below; Python's hmac module agreed on both tags:
 *
 *   km=$(for i in $(seq 0 71); do printf '%02x' $(( (0x40 + 7*i) & 0xff ));
 *       done)		# fill(keymat, 72, 0x40): AES key | MAC key | salt
 *   aes=${km:0:64}; mac=${km:64:64}; salt=${km:128:16}
 *   vec() {	# type keyid index(8 hex) seq(16 hex) payload-hex
 *     hdr=$(printf '%02x%02x0000%s%s' "$1" "$2" "$3" "$4")
 *     iv=$(printf '%016x' $(( 0x$salt ^ 0x$4 )))0000000000000000
 *     ct=$(printf '%s' "$5" | xxd -r -p | openssl enc -aes-256-ctr \
 *         -K "$aes" -iv "$iv" -nosalt | xxd -p | tr -d '\n')
 *     tag=$(printf '%s%s' "$hdr" "$ct" | xxd -r -p | openssl dgst -sha256 \
 *         -mac HMAC -macopt "hexkey:$mac" -binary | head -c 16 | xxd -p |
 *         tr -d '\n')
 *     echo "$hdr$ct$tag"
 *   }
 *   vec 1 165 89abcdef 0102030405060708 \
 *       $(for i in $(seq 0 32); do printf '%02x' $i; done)
 *   vec 2 165 00000001 0000000000000001 ""
 */
static const uint8_t kat_data[] = {
	0x01, 0xa5, 0x00, 0x00, 0x89, 0xab, 0xcd, 0xef,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x5b, 0xd4, 0xda, 0x28, 0x90, 0xc0, 0x88, 0xaf,
	0x35, 0x51, 0x90, 0x16, 0xbf, 0xcc, 0x78, 0x47,
	0xe0, 0xac, 0xbb, 0x80, 0xe9, 0x16, 0x2d, 0x07,
	0xde, 0x3a, 0x86, 0x2f, 0x0d, 0x79, 0x9f, 0x1e,
	0xa5,
	0xbd, 0x8c, 0xaf, 0x4d, 0xde, 0x8b, 0x8d, 0xc4,
	0xe0, 0x83, 0x8c, 0x39, 0xbb, 0x87, 0xa5, 0x98,
};
static const uint8_t kat_keepalive[] = {
	0x02, 0xa5, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x6f, 0xbb, 0xf4, 0x2c, 0x1a, 0x95, 0xa7, 0xc0,
	0x5c, 0x2b, 0xe7, 0xec, 0x77, 0x1f, 0xc0, 0x73,
};

static void
test_vectors(struct pkt_key *k)
{
	uint8_t plain[33];
	ssize_t len;
	size_t i;

	for (i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)i;
	len = pkt_seal(k, PKT_DATA, 0x89abcdef, 0x0102030405060708ULL, plain,
	    sizeof(plain), pkt, BUF_LEN);
	check(len == sizeof(kat_data) && memcmp(pkt, kat_data, sizeof(kat_data))
	    == 0, "data vector", sizeof(plain));
	memcpy(copy, kat_data, sizeof(kat_data));
	check(pkt_open(k, copy, sizeof(kat_data)) == sizeof(plain) &&
	    memcmp(copy + PKT_HDR_LEN, plain, sizeof(plain)) == 0,
	    "data vector opens", sizeof(plain));
	len = pkt_seal(k, PKT_KEEPALIVE, 1, 1, NULL, 0, pkt, BUF_LEN);
	check(len == sizeof(kat_keepalive) && memcmp(pkt, kat_keepalive,
	    sizeof(kat_keepalive)) == 0, "keepalive vector", 0);
	memcpy(copy, kat_keepalive, sizeof(kat_keepalive));
	check(pkt_open(k, copy, sizeof(kat_keepalive)) == 0,
	    "keepalive vector opens", 0);
}

/* The expected packet from the format description alone: the header
 * written field after field, the counter block by hand, raw EVP
 * AES-256-CTR, one-shot HMAC(). */
static size_t
reference_seal(uint8_t type, uint8_t key_id, uint32_t index, uint64_t seq,
    const uint8_t *p, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *c;
	uint8_t ctr[BLOCK], md[EVP_MAX_MD_SIZE], *o = out;
	unsigned int mdlen;
	size_t hlen;
	int i, outl;

	*o++ = type;
	*o++ = key_id;
	*o++ = 0;
	*o++ = 0;
	for (i = 24; i >= 0; i -= 8)
		*o++ = (uint8_t)(index >> i);
	memset(ctr, 0, sizeof(ctr));
	for (i = 0; i < 8; i++) {
		ctr[i] = (uint8_t)(seq >> (56 - 8 * i)) ^ keymat[64 + i];
		*o++ = (uint8_t)(seq >> (56 - 8 * i));
	}
	hlen = (size_t)(o - out);
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    !EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, keymat, ctr) ||
	    !EVP_EncryptUpdate(c, o, &outl, p, (int)n) ||
	    (size_t)outl != n ||
	    HMAC(EVP_sha256(), keymat + 32, 32, out, hlen + n, md, &mdlen) ==
	    NULL || mdlen != 32)
		abort();
	EVP_CIPHER_CTX_free(c);
	memcpy(o + n, md, 16);
	return hlen + n + 16;
}

static void
test_known_answer(struct pkt_key *k)
{
	static const uint64_t seqs[] = { 1, 0x0102030405060708ULL,
	    0xfedcba9876543210ULL, UINT64_MAX };
	static const uint32_t indexes[] = { 0, 1, 0x80000000, UINT32_MAX };
	static const size_t sizes[] = { 0, 1, 33, 1420, 65535 };
	size_t i, j, n, want;
	ssize_t len;

	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			n = sizes[j];
			fill(payload, n, (uint8_t)(i * 16 + j));
			want = reference_seal(PKT_DATA, 0xa5, indexes[i],
			    seqs[i], payload, n, copy);
			len = pkt_seal(k, PKT_DATA, indexes[i], seqs[i],
			    payload, n, pkt, BUF_LEN);
			check(len == (ssize_t)want &&
			    memcmp(pkt, copy, want) == 0, "known answer", n);
		}
	}
	want = reference_seal(PKT_KEEPALIVE, 0xa5, 0xdeadbeef, 42, NULL, 0,
	    copy);
	len = pkt_seal(k, PKT_KEEPALIVE, 0xdeadbeef, 42, NULL, 0, pkt,
	    BUF_LEN);
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
	if (pkt_seal(k, PKT_DATA, 0x01020304, 12345, payload,
	    len - PKT_OVERHEAD, pkt, len) != (ssize_t)len)
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
	len = pkt_seal(k, PKT_DATA, 77, 77, payload, 200, pkt, BUF_LEN);
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
	b[PKT_OFF_TYPE] = PKT_DATA;
	b[PKT_OFF_KEY_ID] = 9;
	b[PKT_OFF_INDEX] = 0xc0;
	b[PKT_OFF_INDEX + 3] = 0x03;
	b[PKT_OFF_SEQ] = 0x80;
	b[PKT_OFF_SEQ + 7] = 0x01;
	check(pkt_parse_hdr(b, sizeof(b), &h) == 0, "valid header", 0);
	check(h.type == PKT_DATA && h.key_id == 9 && h.index == 0xc0000003 &&
	    h.seq == 0x8000000000000001ULL, "header fields", h.seq);
	check(pkt_parse_hdr(b, sizeof(b) - 1, &h) == -1, "short",
	    sizeof(b) - 1);
	check(pkt_parse_hdr(b, 0, &h) == -1, "empty", 0);
	for (t = 0; t < 256; t++) {
		b[PKT_OFF_TYPE] = (uint8_t)t;
		check((pkt_parse_hdr(b, sizeof(b), &h) == 0) ==
		    (t == PKT_DATA || t == PKT_KEEPALIVE), "type", (uint64_t)t);
	}
	b[PKT_OFF_TYPE] = PKT_KEEPALIVE;
	b[PKT_OFF_RESERVED] = 1;
	check(pkt_parse_hdr(b, sizeof(b), &h) == -1, "reserved byte 0", 1);
	b[PKT_OFF_RESERVED] = 0;
	b[PKT_OFF_RESERVED + 1] = 0x80;
	check(pkt_parse_hdr(b, sizeof(b), &h) == -1, "reserved byte 1", 0x80);
}

/* The index a packet was sealed with is the one its header reports, and
 * it is authenticated: any change to any of its bytes fails the tag, also
 * in a keepalive. The index does not enter the keystream. */
static void
test_index(struct pkt_key *k)
{
	static const uint32_t indexes[] = { 0, 1, 0xff, 0x100, 0x12345678,
	    0x80000000, UINT32_MAX - 1, UINT32_MAX };
	static const size_t plens[] = { 0, 20 };
	struct pkt_hdr h;
	uint8_t first[20];
	size_t i, j, b, plen;
	ssize_t len;
	unsigned v;

	for (i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++) {
		for (j = 0; j < sizeof(plens) / sizeof(plens[0]); j++) {
			plen = plens[j];
			fill(payload, plen, 5);
			len = pkt_seal(k, plen ? PKT_DATA : PKT_KEEPALIVE,
			    indexes[i], 500, payload, plen, pkt, BUF_LEN);
			check(len == (ssize_t)(plen + PKT_OVERHEAD),
			    "index seal", indexes[i]);
			check(pkt_parse_hdr(pkt, (size_t)len, &h) == 0 &&
			    h.index == indexes[i] && h.seq == 500,
			    "index round trip", indexes[i]);
			if (i == 0 && plen)
				memcpy(first, pkt + PKT_HDR_LEN, plen);
			else if (plen)
				check(memcmp(first, pkt + PKT_HDR_LEN, plen) ==
				    0, "index changed the keystream",
				    indexes[i]);
			for (b = 0; b < 4; b++) {
				for (v = 1; v < 256; v++) {
					memcpy(copy, pkt, (size_t)len);
					copy[PKT_OFF_INDEX + b] ^= (uint8_t)v;
					check(pkt_open(k, copy, (size_t)len) ==
					    -1, "changed index opened",
					    indexes[i]);
				}
			}
			check(pkt_open(k, pkt, (size_t)len) == (ssize_t)plen,
			    "index packet opens", indexes[i]);
		}
	}
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
		pkt_seal(k, PKT_DATA, 1, seqs[i], payload, PKT_MAX_PAYLOAD,
		    pkt, BUF_LEN);
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
	test_vectors(k);
	test_known_answer(k);
	test_index(k);
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
