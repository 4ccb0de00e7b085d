/* Data-channel packets: encrypt-then-MAC with AES-256-CTR and a truncated
 * HMAC-SHA256 over header and ciphertext (DESIGN.md section 4). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aes.h"
#include "mac.h"
#include "packet.h"

struct pkt_key {
	struct aes_ctx	*aes;
	struct mac_ctx	*mac;
	uint8_t		 salt[PKT_SALT_LEN];
	uint8_t		 key_id;
	int		 keyed;
};

static void
pkt_put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (; n > 0; n--, v >>= 8)
		p[n - 1] = v & 0xff;
}

static uint64_t
pkt_get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The low 8 bytes start at zero and a payload spans at most 4096 blocks,
 * so the counter never carries into the part that names the packet. */
static void
pkt_counter(const struct pkt_key *k, uint64_t seq, uint8_t ctr[AES_BLOCK_LEN])
{
	int i;

	pkt_put_be(ctr, seq, PKT_SALT_LEN);
	for (i = 0; i < PKT_SALT_LEN; i++)
		ctr[i] ^= k->salt[i];
	memset(ctr + PKT_SALT_LEN, 0, AES_BLOCK_LEN - PKT_SALT_LEN);
}

static int
pkt_type_ok(uint8_t type)
{
	return type == PKT_DATA || type == PKT_KEEPALIVE;
}

struct pkt_key *
pkt_key_new(void)
{
	struct pkt_key *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if ((k->aes = aes_new()) == NULL || (k->mac = mac_new()) == NULL) {
		pkt_key_free(k);
		return NULL;
	}
	return k;
}

int
pkt_key_set(struct pkt_key *k, uint8_t key_id,
    const uint8_t keymat[PKT_KEYMAT_LEN])
{
	/* Half a new key (new AES, old MAC) must never seal anything. */
	k->keyed = 0;
	if (aes_set_key(k->aes, keymat) == -1 ||
	    mac_set_key(k->mac, keymat + PKT_AES_KEY_LEN,
	    PKT_MAC_KEY_LEN) == -1)
		return -1;
	memcpy(k->salt, keymat + PKT_AES_KEY_LEN + PKT_MAC_KEY_LEN,
	    PKT_SALT_LEN);
	k->key_id = key_id;
	k->keyed = 1;
	return 0;
}

uint8_t
pkt_key_id(const struct pkt_key *k)
{
	return k->key_id;
}

void
pkt_key_free(struct pkt_key *k)
{
	if (k == NULL)
		return;
	aes_free(k->aes);
	mac_free(k->mac);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/* Sequence 0 is never accepted by the receiver's replay window, and a
 * keepalive carries nothing, so neither is worth sending. */
static int
pkt_seal_ok(const struct pkt_key *k, uint8_t type, uint64_t seq, size_t plen,
    size_t cap)
{
	return k->keyed && pkt_type_ok(type) && seq != 0 &&
	    !(type == PKT_KEEPALIVE && plen != 0) &&
	    plen <= PKT_MAX_PAYLOAD && cap >= plen + PKT_OVERHEAD;
}

ssize_t
pkt_seal(struct pkt_key *k, uint8_t type, uint32_t index, uint64_t seq,
    const uint8_t *payload, size_t plen, uint8_t *out, size_t cap)
{
	uint8_t ctr[AES_BLOCK_LEN], tag[MAC_FULL_LEN];

	if (!pkt_seal_ok(k, type, seq, plen, cap))
		return -1;
	out[PKT_OFF_TYPE] = type;
	out[PKT_OFF_KEY_ID] = k->key_id;
	memset(out + PKT_OFF_RESERVED, 0, PKT_RESERVED_LEN);
	pkt_put_be(out + PKT_OFF_INDEX, index, sizeof(index));
	pkt_put_be(out + PKT_OFF_SEQ, seq, sizeof(seq));
	pkt_counter(k, seq, ctr);
	if (aes_ctr(k->aes, ctr, payload, out + PKT_HDR_LEN, plen) == -1 ||
	    mac_compute(k->mac, out, PKT_HDR_LEN + plen, tag) == -1)
		return -1;
	memcpy(out + PKT_HDR_LEN + plen, tag, PKT_TAG_LEN);
	return (ssize_t)(PKT_HDR_LEN + plen + PKT_TAG_LEN);
}

int
pkt_parse_hdr(const uint8_t *buf, size_t len, struct pkt_hdr *h)
{
	static const uint8_t zero[PKT_RESERVED_LEN];

	if (len < PKT_OVERHEAD || !pkt_type_ok(buf[PKT_OFF_TYPE]) ||
	    memcmp(buf + PKT_OFF_RESERVED, zero, PKT_RESERVED_LEN) != 0)
		return -1;
	h->type = buf[PKT_OFF_TYPE];
	h->key_id = buf[PKT_OFF_KEY_ID];
	h->index = (uint32_t)pkt_get_be(buf + PKT_OFF_INDEX, sizeof(h->index));
	h->seq = pkt_get_be(buf + PKT_OFF_SEQ, sizeof(h->seq));
	return 0;
}

ssize_t
pkt_open(struct pkt_key *k, uint8_t *buf, size_t len)
{
	uint8_t ctr[AES_BLOCK_LEN];
	size_t plen;

	/* Longer payloads would run into the next packet's counter blocks. */
	if (!k->keyed || len < PKT_OVERHEAD ||
	    len > PKT_MAX_PAYLOAD + PKT_OVERHEAD ||
	    buf[PKT_OFF_KEY_ID] != k->key_id)
		return -1;
	plen = len - PKT_OVERHEAD;
	if (mac_verify(k->mac, buf, PKT_HDR_LEN + plen,
	    buf + PKT_HDR_LEN + plen, PKT_TAG_LEN) != 1)
		return -1;
	pkt_counter(k, pkt_get_be(buf + PKT_OFF_SEQ, sizeof(uint64_t)), ctr);
	if (aes_ctr(k->aes, ctr, buf + PKT_HDR_LEN, buf + PKT_HDR_LEN,
	    plen) == -1)
		return -1;
	return (ssize_t)plen;
}
