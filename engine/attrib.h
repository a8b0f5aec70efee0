#ifndef PORTTOP_ATTRIB_H
#define PORTTOP_ATTRIB_H

#include <stddef.h>
#include <stdint.h>

#include "sampler.h"
#include "sock.h"

/*
 * attrib: who owned a TCP socket while it was alive, remembered so that
 * its TIME_WAIT (or orphaned FIN_WAIT2) entry can be attributed later.
 *
 * The kernel keeps no owner for a TIME_WAIT entry (uid and inode are 0)
 * but it keeps the socket cookie: a TIME_WAIT entry inherits the cookie
 * of the full socket when that socket was ever dumped, and every dump
 * gives a socket its cookie. So an owner noted for a cookie while the
 * socket lived attributes its TIME_WAIT exactly. The 4-tuple is the
 * fallback join, used only where a cookie is missing on either side: two
 * different non-zero cookies are two different sockets, whatever their
 * 4-tuples, and are never joined. Nothing else is ever guessed.
 *
 * The history lives in the model (engine/model.c), not the sampler: it is
 * built from the owners every sample carries, so a replayed recording
 * attributes exactly as the live run did.
 *
 * Bounds: an entry is dropped when it was not seen in the last
 * ATTRIB_KEEP_SAMPLES samples and not for ATTRIB_MAX_AGE_S seconds (the
 * grace covers a dump that missed a socket once). The whole history
 * (entries, indexes, owners) stays under a memory budget: past it the
 * entries seen longest ago are evicted first; entries of the current
 * sample are never evicted for new ones, which are refused instead (and
 * counted): their TIME_WAIT will then show as unattributed. Once a pass
 * finds nothing evictable, further refusals in the same sample cost O(1)
 * (nothing becomes evictable before the next attrib_begin()).
 *
 * Owners: an owner id names a process (pid + start time, so a reused pid
 * is another owner) or, for pid 0, a uid-only group (uid + cgroup id).
 * An id stays valid until the next attrib_begin() unless entries still
 * refer to it.
 */

#define ATTRIB_NONE UINT32_MAX
#define ATTRIB_DEFAULT_BUDGET ((size_t)24 << 20)
#define ATTRIB_MAX_AGE_S 10.0
#define ATTRIB_KEEP_SAMPLES 2

struct attrib_stats {
	size_t entries;        /* sockets remembered */
	size_t owners;         /* owners remembered */
	size_t bytes;          /* memory counted against the budget */
	size_t budget;
	uint64_t aged;         /* entries dropped by age, in total */
	uint64_t evicted;      /* entries dropped for the budget, in total */
	uint64_t refused;      /* entries not stored for the budget, in total */
	uint64_t refused_now;  /* of those, since the last attrib_begin() */
	uint64_t evict_scans;  /* passes over the whole history to evict */
};

struct attrib;

/* budget in bytes, 0 for ATTRIB_DEFAULT_BUDGET. Returns 0 or -ENOMEM. */
int attrib_new(struct attrib **out, size_t budget);
void attrib_free(struct attrib *a);

/*
 * Start a sample taken at monotonic time `now`: ages entries out and
 * releases owners nothing refers to any more.
 */
void attrib_begin(struct attrib *a, double now);

/*
 * The id of the owner described by p (interned: the same process or
 * uid-only group gives the same id; its description is updated from p).
 * Returns 0, or -ENOSPC when the owners' share of the budget is full, or
 * -ENOMEM (*id is then ATTRIB_NONE).
 */
int attrib_owner_id(struct attrib *a, const struct sample_proc *p,
		    uint32_t *id);

/* The owner's description, or NULL for ATTRIB_NONE or a released id. */
const struct sample_proc *attrib_owner(const struct attrib *a, uint32_t id);

/* Every owner id is below this (for tables indexed by id). */
size_t attrib_owner_slots(const struct attrib *a);

/* 1 when the owner was interned since the last attrib_begin(): it was
 * present in the current sample (a process that has not exited). */
int attrib_owner_current(const struct attrib *a, uint32_t id);

/*
 * Remember that the live socket s belongs to `owner`. Only TCP sockets
 * with a peer (dport != 0) are remembered: no other kind turns into a
 * TIME_WAIT entry. Returns 0, 1 when the budget refused it, or -ENOMEM.
 */
int attrib_note(struct attrib *a, const struct sock_rec *s, uint32_t owner);

/*
 * The owner remembered for s, or ATTRIB_NONE: by cookie, else by 4-tuple
 * when s or the remembered socket has no cookie. A hit refreshes the entry
 * (it then lives as long as s is seen) and learns s's cookie when the
 * entry had none.
 */
uint32_t attrib_lookup(struct attrib *a, const struct sock_rec *s);

void attrib_get_stats(const struct attrib *a, struct attrib_stats *st);

#endif
