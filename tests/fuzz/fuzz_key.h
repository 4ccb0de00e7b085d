/* The packet fuzzer's fixed keys, shared with mkcorpus so that the sealed
 * packets of the seed corpus authenticate. Never a real key. */
#ifndef FUZZ_KEY_H
#define FUZZ_KEY_H

#include "packet.h"

/* Two epochs, as a data process holds during a rekey's grace period; the
 * key id is the epoch's low byte. */
#define FUZZ_NKEYS 2

static inline void
fuzz_keymat(int i, uint8_t keymat[PKT_KEYMAT_LEN])
{
	for (int j = 0; j < PKT_KEYMAT_LEN; j++)
		keymat[j] = (uint8_t)(0x40 * (i + 1) + j);
}

static inline uint8_t
fuzz_key_id(int i)
{
	return (uint8_t)(i + 1);
}

#endif
