/* The data process's receive path (header, key id, replay pre-check, MAC
 * and decryption, replay update) over a sequence of records, each either a
 * raw datagram or a payload that is sealed here first, so that authentic
 * packets reach the replay window in any order. A model that remembers
 * every accepted sequence number says what the window must decide.
 *
 * Record: u8 op, then
 *   op bit 0 clear: u16 length | datagram
 *   op bit 0 set:   seal with key (op >> 1) & 1, KEEPALIVE if op bit 2,
 *                   sequence u64 if op bit 3 else top + (i16), receiver
 *                   index u32 if op bit 4 else 0, u16 length | payload;
 *                   lengths are cut to what the input holds. */
#include <string.h>

#include "fuzz.h"
#include "fuzz_key.h"
#include "packet.h"
#include "replay.h"

#define MAX_RECORDS 512

struct rx_key {
	struct pkt_key *pkt;
	struct replay replay;
	uint64_t top;			/* the model's */
	uint64_t seen[MAX_RECORDS];
	unsigned nseen;
};

static struct rx_key keys[FUZZ_NKEYS];
static struct pkt_key *tx[FUZZ_NKEYS];

enum { RX_MALFORMED = -1, RX_NOKEY = -2, RX_REPLAY = -3, RX_MAC = -4 };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t km[PKT_KEYMAT_LEN];

	(void)argc;
	(void)argv;
	for (int i = 0; i < FUZZ_NKEYS; i++) {
		fuzz_keymat(i, km);
		keys[i].pkt = pkt_key_new();
		tx[i] = pkt_key_new();
		if (keys[i].pkt == NULL || tx[i] == NULL ||
		    pkt_key_set(keys[i].pkt, fuzz_key_id(i), km) == -1 ||
		    pkt_key_set(tx[i], fuzz_key_id(i), km) == -1)
			abort();
	}
	return 0;
}

static int
model_accepts(const struct rx_key *k, uint64_t seq)
{
	if (seq == 0 || (seq <= k->top && k->top - seq > REPLAY_WINDOW))
		return 0;
	for (unsigned i = 0; i < k->nseen; i++)
		if (k->seen[i] == seq)
			return 0;
	return 1;
}

static void
model_update(struct rx_key *k, uint64_t seq, int newest)
{
	CHECK(newest == (seq > k->top));
	CHECK(k->nseen < MAX_RECORDS);
	k->seen[k->nseen++] = seq;
	if (newest)
		k->top = seq;
}

static struct rx_key *
rx_key(uint8_t id)
{
	for (int i = 0; i < FUZZ_NKEYS; i++)
		if (pkt_key_id(keys[i].pkt) == id)
			return &keys[i];
	return NULL;
}

/* Updating with a number the window refuses must change nothing. */
static void
rx_refused(struct rx_key *k, uint64_t seq)
{
	struct replay before = k->replay;

	CHECK(!replay_update(&k->replay, seq));
	CHECK(memcmp(&before, &k->replay, sizeof(before)) == 0);
}

/* data_rx_one() in data.c, step by step; the payload length or RX_*. */
static ssize_t
rx(uint8_t *buf, size_t len)
{
	struct pkt_hdr h;
	struct rx_key *k;
	ssize_t n;

	if (pkt_parse_hdr(buf, len, &h) == -1 ||
	    (h.type == PKT_KEEPALIVE && len != PKT_OVERHEAD))
		return RX_MALFORMED;
	CHECK(h.type == buf[PKT_OFF_TYPE] && h.key_id == buf[PKT_OFF_KEY_ID]);
	CHECK(h.index == ((uint32_t)buf[PKT_OFF_INDEX] << 24 |
	    (uint32_t)buf[PKT_OFF_INDEX + 1] << 16 |
	    (uint32_t)buf[PKT_OFF_INDEX + 2] << 8 | buf[PKT_OFF_INDEX + 3]));
	if ((k = rx_key(h.key_id)) == NULL)
		return RX_NOKEY;
	CHECK(replay_check(&k->replay, h.seq) == model_accepts(k, h.seq));
	if (!replay_check(&k->replay, h.seq)) {
		rx_refused(k, h.seq);
		return RX_REPLAY;
	}
	if ((n = pkt_open(k->pkt, buf, len)) < 0)
		return RX_MAC;
	CHECK((size_t)n == len - PKT_OVERHEAD);
	model_update(k, h.seq, replay_update(&k->replay, h.seq));
	CHECK(!replay_check(&k->replay, h.seq));
	return n;
}

static size_t
take_u16(const uint8_t **p, size_t *left)
{
	size_t v;

	if (*left < 2)
		return 0;
	v = (size_t)(*p)[0] << 8 | (*p)[1];
	*p += 2;
	*left -= 2;
	return v < *left ? v : *left;
}

static void
rec_raw(const uint8_t **p, size_t *left)
{
	size_t len = take_u16(p, left);
	uint8_t *buf;

	/* exactly len bytes, so that ASan sees any read past the end */
	CHECK((buf = malloc(len ? len : 1)) != NULL);
	memcpy(buf, *p, len);
	rx(buf, len);
	free(buf);
	*p += len;
	*left -= len;
}

static uint64_t
rec_seq(uint8_t op, const struct rx_key *k, const uint8_t **p, size_t *left)
{
	uint64_t seq = 0;
	size_t n = op & 8 ? 8 : 2;

	if (*left < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		seq = seq << 8 | (*p)[i];
	*p += n;
	*left -= n;
	return op & 8 ? seq : k->top + (uint64_t)(int64_t)(int16_t)seq;
}

static uint32_t
rec_index(uint8_t op, const uint8_t **p, size_t *left)
{
	uint32_t index = 0;

	if (!(op & 16) || *left < 4)
		return 0;
	for (size_t i = 0; i < 4; i++)
		index = index << 8 | (*p)[i];
	*p += 4;
	*left -= 4;
	return index;
}

/* The round trip: sealed bytes open to the same payload and report the
 * same index, whenever the window lets them in at all. */
static void
rec_seal(uint8_t op, const uint8_t **p, size_t *left)
{
	int ki = (op >> 1) & 1;
	uint8_t type = op & 4 ? PKT_KEEPALIVE : PKT_DATA;
	uint64_t seq = rec_seq(op, &keys[ki], p, left);
	uint32_t index = rec_index(op, p, left);
	size_t plen = take_u16(p, left), cap = plen + PKT_OVERHEAD;
	int accept = model_accepts(&keys[ki], seq);
	struct pkt_hdr h;
	uint8_t *out;
	ssize_t n;

	CHECK((out = malloc(cap)) != NULL);
	CHECK(pkt_seal(tx[ki], type, index, seq, *p, plen, out, cap - 1) ==
	    -1);
	n = pkt_seal(tx[ki], type, index, seq, *p, plen, out, cap);
	if (seq == 0 || (type == PKT_KEEPALIVE && plen != 0))
		CHECK(n == -1);
	else {
		CHECK(n == (ssize_t)cap);
		CHECK(pkt_parse_hdr(out, cap, &h) == 0 && h.index == index &&
		    h.seq == seq);
		n = rx(out, cap);
		CHECK(accept ? n == (ssize_t)plen : n == RX_REPLAY);
		CHECK(!accept || memcmp(out + PKT_HDR_LEN, *p, plen) == 0);
	}
	free(out);
	*p += plen;
	*left -= plen;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned nrec;
	uint8_t op;

	for (int i = 0; i < FUZZ_NKEYS; i++) {
		replay_init(&keys[i].replay);
		keys[i].top = 0;
		keys[i].nseen = 0;
	}
	for (nrec = 0; size > 0 && nrec < MAX_RECORDS; nrec++) {
		op = *data++;
		size--;
		if (op & 1)
			rec_seal(op, &data, &size);
		else
			rec_raw(&data, &size);
	}
	return 0;
}
