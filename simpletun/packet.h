/* Data-channel packet format (DESIGN.md section 4): header, AES-256-CTR
 * ciphertext, truncated HMAC-SHA256 tag over header and ciphertext. */
#ifndef PACKET_H
#define PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 *  0      1        2     4                8                16
 *  | type | key id | 0 0 | receiver index | sequence (u64) | ciphertext | tag
 * Multi-byte fields are big-endian; the tag covers everything before it.
 */
#define PKT_OFF_TYPE 0
#define PKT_OFF_KEY_ID 1
#define PKT_OFF_RESERVED 2
#define PKT_RESERVED_LEN 2
#define PKT_OFF_INDEX 4
#define PKT_OFF_SEQ 8
#define PKT_HDR_LEN 16
#define PKT_TAG_LEN 16
#define PKT_OVERHEAD (PKT_HDR_LEN + PKT_TAG_LEN)
#define PKT_MAX_PAYLOAD 65535

enum pkt_type {
	PKT_DATA = 1,
	PKT_KEEPALIVE = 2,
};

/* Key material of one direction and epoch, as exported from TLS. */
#define PKT_AES_KEY_LEN 32
#define PKT_MAC_KEY_LEN 32
#define PKT_SALT_LEN 8
#define PKT_KEYMAT_LEN (PKT_AES_KEY_LEN + PKT_MAC_KEY_LEN + PKT_SALT_LEN)

struct pkt_hdr {
	uint8_t type;
	uint8_t key_id;
	uint32_t index;		/* the receiver's name for the session */
	uint64_t seq;
};

struct pkt_key;

struct pkt_key *pkt_key_new(void);
/* Keys both contexts once per epoch; keymat = aes key | mac key | salt. */
int pkt_key_set(struct pkt_key *k, uint8_t key_id,
    const uint8_t keymat[PKT_KEYMAT_LEN]);
uint8_t pkt_key_id(const struct pkt_key *k);
/* Wipes all key material and frees; NULL is allowed. */
void pkt_key_free(struct pkt_key *k);

/* Seals plen bytes of payload into out, which must hold plen + PKT_OVERHEAD;
 * index is the one the receiver chose for this session. payload and out
 * must not overlap. Returns the packet length or -1. */
ssize_t pkt_seal(struct pkt_key *k, uint8_t type, uint32_t index,
    uint64_t seq, const uint8_t *payload, size_t plen, uint8_t *out,
    size_t cap);
/* Header checks only, no crypto: -1 if too short, unknown type or the
 * reserved bytes are not zero. */
int pkt_parse_hdr(const uint8_t *buf, size_t len, struct pkt_hdr *h);
/* Checks the tag in constant time, then decrypts in place. Returns the
 * payload length (payload at buf + PKT_HDR_LEN) or -1 if the tag is wrong. */
ssize_t pkt_open(struct pkt_key *k, uint8_t *buf, size_t len);

#endif
