/* RFC 6479 anti-replay ring: sliding by whole 64-bit words, so the window
 * only ever clears words and never shifts bits. */
#include <string.h>

#include "replay.h"

#define REPLAY_WORDS (REPLAY_BITS / 64)

static uint64_t
replay_word(uint64_t seq)
{
	return seq >> 6;
}

static size_t
replay_index(uint64_t seq)
{
	return replay_word(seq) % REPLAY_WORDS;
}

static uint64_t
replay_bit(uint64_t seq)
{
	return (uint64_t)1 << (seq & 63);
}

/*
 * The ring holds the word of top and the REPLAY_WORDS - 1 words before it.
 * top - REPLAY_WINDOW falls exactly in the oldest of those words, so
 * anything older could share a slot with a sequence number ahead of it.
 */
static bool
replay_in_window(const struct replay *r, uint64_t seq)
{
	return seq != 0 && (seq > r->top || r->top - seq <= REPLAY_WINDOW);
}

void
replay_init(struct replay *r)
{
	memset(r, 0, sizeof(*r));
}

bool
replay_check(const struct replay *r, uint64_t seq)
{
	if (!replay_in_window(r, seq))
		return false;
	if (seq > r->top)
		return true;
	return (r->ring[replay_index(seq)] & replay_bit(seq)) == 0;
}

/* The words after top's, up to seq's, take over slots that still hold bits
 * from a whole ring ago; a jump longer than the ring clears each slot once. */
static void
replay_advance(struct replay *r, uint64_t seq)
{
	uint64_t i, n, from;

	from = replay_word(r->top);
	n = replay_word(seq) - from;
	if (n > REPLAY_WORDS)
		n = REPLAY_WORDS;
	for (i = 1; i <= n; i++)
		r->ring[(from + i) % REPLAY_WORDS] = 0;
	r->top = seq;
}

bool
replay_update(struct replay *r, uint64_t seq)
{
	bool newtop;

	/* Re-checked because a bit set for a too old number would land in
	 * the slot of a number still to come. */
	if (!replay_in_window(r, seq))
		return false;
	newtop = seq > r->top;
	if (newtop)
		replay_advance(r, seq);
	r->ring[replay_index(seq)] |= replay_bit(seq);
	return newtop;
}
