/* Tap mode: which session owns which Ethernet (MAC) address. The guard
 * keeps one table for the whole segment; each server data process keeps
 * one of a single slot for the addresses its own client may send from.
 *
 * An address is owned by the first slot that uses it, up to per_slot
 * addresses a slot, until no frame from it was seen for age_ms (or the
 * slot is deleted when its session ends). A group address (broadcast,
 * multicast) or the zero address is never owned. The table is bounded
 * (nslots x per_slot entries, allocated once) and hashed with a seed, so
 * a lookup costs about one probe whatever addresses a session picks. */
#ifndef MACTABLE_H
#define MACTABLE_H

#include <stdbool.h>
#include <stdint.h>

#define MAC_LEN 6

/* mactable_dest() for a frame that is not for one slot. */
enum {
	MACT_FLOOD = -1,	/* to every session (but the sender) */
	MACT_DROP = -2,		/* to no session */
};

/* What mactable_learn() did. */
enum {
	MACT_REFUSED = -1,	/* a group or zero address, a slot out of range,
				   the slot owns per_slot addresses, or another
				   slot owns this one */
	MACT_REFRESHED = 0,	/* the slot owned it already */
	MACT_LEARNED = 1,	/* the slot owns it from now on (again, if
				   its own entry had aged out) */
};

struct mactable;

/* NULL if memory is short or an argument is 0 or too large. */
struct mactable *mactable_new(unsigned nslots, unsigned per_slot,
    uint64_t age_ms, uint64_t seed);
void mactable_free(struct mactable *t);
/* mac seen from slot at now (ms): owned, or refused. An entry of another
 * slot that has aged out is taken over. */
int mactable_learn(struct mactable *t, const uint8_t *mac, unsigned slot,
    uint64_t now);
/* The slot that owns mac at now, or -1. */
int mactable_lookup(const struct mactable *t, const uint8_t *mac,
    uint64_t now);
/* Where a frame to dst goes. from is the sending slot, or -1 for the
 * server's own device. Frames between sessions (from >= 0) go nowhere
 * without client_to_client; a frame for its own sender goes nowhere; a
 * group or unknown destination floods; a known one goes to its owner. */
int mactable_dest(const struct mactable *t, const uint8_t *dst, int from,
    bool client_to_client, uint64_t now);
/* A session ended: every address of slot is free at once. */
void mactable_del_slot(struct mactable *t, unsigned slot);
/* Frees the entries that aged out; returns how many. */
unsigned mactable_expire(struct mactable *t, uint64_t now);
/* Entries in use (aged ones not yet expired included). */
unsigned mactable_count(const struct mactable *t);
/* Up to max addresses of slot last seen at or after since, into out. */
unsigned mactable_slot_macs(const struct mactable *t, unsigned slot,
    uint64_t since, uint8_t (*out)[MAC_LEN], unsigned max);

static inline bool
mactable_is_group(const uint8_t *mac)
{
	return mac[0] & 1;
}

#endif
