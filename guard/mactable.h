/* Tap mode: which session owns which Ethernet (MAC) address. The guard
 * keeps one table for the whole segment; each server data process keeps
 * one of a single slot for the addresses its own client may send from.
 *
 * An address is owned by the first slot that uses it, up to per_slot
 * addresses a slot, until the slot is deleted when its session ends; one
 * unused for age_ms may give its place to a new address of the same slot
 * (and a data process's own table forgets it, mactable_expire), but never
 * passes to another slot: a session cannot take the address of one that
 * is only quiet. A group address (broadcast, multicast) or the zero
 * address is never owned. The table is bounded
 * (nslots x per_slot entries, allocated once) and hashed with a seed, so
 * a lookup costs about one probe whatever addresses a session picks. */
#ifndef MACTABLE_H
#define MACTABLE_H

#include <stdbool.h>
#include <stdint.h>

#define MAC_LEN 6

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
/* mac seen from slot at now (ms): owned, or refused. An address is its
 * slot's until that slot is deleted, however long unused: no other slot
 * ever takes it over. A slot at its limit gives up those of its own it
 * has not used for age_ms, to make room. */
int mactable_learn(struct mactable *t, const uint8_t *mac, unsigned slot,
    uint64_t now);
/* The slot that owns mac (used lately or not), or -1. */
int mactable_lookup(const struct mactable *t, const uint8_t *mac);
/* A session ended: every address of slot is free at once. */
void mactable_del_slot(struct mactable *t, unsigned slot);
/* Frees the entries that aged out; returns how many (a data process's
 * own table; the guard's keeps them until their slot goes). */
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
