#ifndef PORTTOP_SOCKINDEX_H
#define PORTTOP_SOCKINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/*
 * sockindex: the orders and maps a snapshot carries so that a view can list
 * or map sockets without sorting or scanning all of them on every refresh
 * (model_update() builds them once per sample; see struct snapshot for
 * what each one means). Embedded in the model.
 *
 * Ownership: the arrays belong to the sockindex; the snapshot points into
 * them until the next sockindex_build() or sockindex_release().
 */
struct sockindex {
	uint32_t *order;
	size_t order_cap;
	uint32_t *dest_first, *dest_socks;
	size_t dest_first_cap, dest_socks_cap;
	uint32_t *proc_first, *proc_socks;
	size_t proc_first_cap, proc_socks_cap;
	uint32_t *addr_rep;               /* distinct address -> a socket */
	uint32_t *addr_rank;              /* distinct address -> its rank */
	size_t addr_rep_cap, addr_rank_cap;
	uint8_t port_class[65536];
	/* scratch of sockindex_build_own() only */
	uint64_t *own_keys, *own_keys_tmp;
	uint32_t *own_idx_tmp, *own_htab;
	size_t own_keys_cap, own_keys_tmp_cap, own_idx_tmp_cap, own_htab_cap;
};

/* Scratch the model lends for one build (its own, free at that point). */
struct sockindex_scratch {
	uint64_t *keys, *keys_tmp;        /* nsocks elements each */
	uint32_t *idx_tmp;                /* nsocks elements */
	uint32_t *htab;                   /* htab_cap (a power of two) >=
					     2 * nsocks slots */
	size_t htab_cap;
};

void sockindex_init(struct sockindex *x);
void sockindex_release(struct sockindex *x);

/*
 * Build the indexes of snap (its sockets, sock_dest, sock_proc, usable and
 * owned maps must be final) and point snap->sock_order, dest_first,
 * dest_socks, proc_first, proc_socks and port_class at them. Returns 0, or
 * -ENOMEM with those pointers NULL (port_class is always set).
 */
int sockindex_build(struct sockindex *x, const struct sockindex_scratch *tmp,
		    struct snapshot *snap);

/* The same for a snapshot not made by model_update() (a test's, say):
 * scratch of its own, kept for the next call. */
int sockindex_build_own(struct sockindex *x, struct snapshot *snap);

/*
 * The order of sock_order, for two sockets: plain IPv4 addresses (nothing
 * after the first four bytes) first, by address; then by family and the
 * 16 address bytes; then by local port. Returns <0, 0 or >0.
 */
int sockindex_cmp_local(const struct sock_rec *a, const struct sock_rec *b);

#endif
