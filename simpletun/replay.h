/* Anti-replay window after RFC 6479: a ring of 8192 bits that accepts any
 * sequence number up to 8128 behind the highest authenticated one, once. */
#ifndef REPLAY_H
#define REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_BITS 8192
#define REPLAY_WINDOW (REPLAY_BITS - 64)

struct replay {
	uint64_t top;				/* highest sequence seen; 0: none yet */
	uint64_t ring[REPLAY_BITS / 64];
};

void replay_init(struct replay *r);
/* Before any MAC work: false if seq is 0, too old, or already seen. */
bool replay_check(const struct replay *r, uint64_t seq);
/* After the MAC passed: marks seq seen and moves the window.
 * Returns true if seq is the new highest sequence number. */
bool replay_update(struct replay *r, uint64_t seq);

#endif
