#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "array.h"
#include "radix.h"
#include "sockindex.h"

/* Marks a key that still holds a distinct-address id, not a sort key. */
#define KEY_ADDR_ID (UINT64_C(1) << 63)
/* Sort keys of addresses that are not plain IPv4 come after every IPv4 one. */
#define KEY_RANKED (UINT64_C(1) << 48)

void sockindex_init(struct sockindex *x)
{
	memset(x, 0, sizeof(*x));
}

void sockindex_release(struct sockindex *x)
{
	if (!x)
		return;
	free(x->order);
	free(x->dest_first);
	free(x->dest_socks);
	free(x->proc_first);
	free(x->proc_socks);
	free(x->addr_rep);
	free(x->addr_rank);
	free(x->own_keys);
	free(x->own_keys_tmp);
	free(x->own_idx_tmp);
	free(x->own_htab);
	sockindex_init(x);
}

/* IPv4 with nothing past the address: its key is the address itself. */
static int plain_ipv4(const struct sock_rec *r)
{
	static const uint8_t zero[12];

	return r->family == AF_INET && memcmp(r->saddr + 4, zero, sizeof(zero)) == 0;
}

static uint32_t addr_hash(const struct sock_rec *r)
{
	uint64_t h = r->family, w;
	size_t i;

	for (i = 0; i < sizeof(r->saddr); i += sizeof(w)) {
		memcpy(&w, r->saddr + i, sizeof(w));
		h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

static int same_addr(const struct sock_rec *a, const struct sock_rec *b)
{
	return a->family == b->family && memcmp(a->saddr, b->saddr, sizeof(a->saddr)) == 0;
}

/* qsort_r: distinct-address ids by (family, address). ctx: the snapshot. */
struct rank_ctx {
	const struct sock_rec *socks;
	const uint32_t *rep;
};

static int cmp_addr_id(const void *a, const void *b, void *arg)
{
	const struct rank_ctx *c = arg;
	const struct sock_rec *x = &c->socks[c->rep[*(const uint32_t *)a]];
	const struct sock_rec *y = &c->socks[c->rep[*(const uint32_t *)b]];

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->saddr, y->saddr, sizeof(x->saddr));
}

/*
 * Sort keys: family, address, port in 49 bits. A plain IPv4 address is its
 * own key; any other address (IPv6 mostly: few distinct ones) is ranked
 * among the distinct ones and the rank stands in for it.
 */
static int sockindex_keys(struct sockindex *x, const struct sockindex_scratch *tmp,
			  const struct snapshot *snap)
{
	const struct sock_rec *socks = snap->socks;
	size_t n = snap->nsocks, mask = tmp->htab_cap - 1, nd = 0, i;
	struct rank_ctx rc;

	for (i = 0; i < n; i++) {
		const struct sock_rec *r = &socks[i];
		size_t h;

		if (plain_ipv4(r)) {
			tmp->keys[i] = (uint64_t)((uint32_t)r->saddr[0] << 24 |
						  (uint32_t)r->saddr[1] << 16 |
						  (uint32_t)r->saddr[2] << 8 | r->saddr[3]) << 16 |
				       r->sport;
			continue;
		}
		if (nd == 0)
			memset(tmp->htab, 0, tmp->htab_cap * sizeof(*tmp->htab));
		for (h = addr_hash(r) & mask; tmp->htab[h]; h = (h + 1) & mask)
			if (same_addr(&socks[x->addr_rep[tmp->htab[h] - 1]], r))
				break;
		if (!tmp->htab[h]) {
			if (array_grow(&x->addr_rep, &x->addr_rep_cap, nd + 1, sizeof(uint32_t)))
				return -ENOMEM;
			x->addr_rep[nd] = (uint32_t)i;
			tmp->htab[h] = (uint32_t)++nd;
		}
		tmp->keys[i] = KEY_ADDR_ID | (tmp->htab[h] - 1);
	}
	if (nd == 0)
		return 0;
	if (array_grow(&x->addr_rank, &x->addr_rank_cap, nd, sizeof(uint32_t)))
		return -ENOMEM;
	for (i = 0; i < nd; i++)
		tmp->idx_tmp[i] = (uint32_t)i;
	rc.socks = socks;
	rc.rep = x->addr_rep;
	qsort_r(tmp->idx_tmp, nd, sizeof(uint32_t), cmp_addr_id, &rc);
	for (i = 0; i < nd; i++)
		x->addr_rank[tmp->idx_tmp[i]] = (uint32_t)i;
	for (i = 0; i < n; i++)
		if (tmp->keys[i] & KEY_ADDR_ID)
			tmp->keys[i] = KEY_RANKED |
				       (uint64_t)x->addr_rank[tmp->keys[i] & UINT32_MAX] << 16 |
				       socks[i].sport;
	return 0;
}

/*
 * Group sock_order by a per-socket group (dest or proc row): *first gets
 * ngroups + 1 offsets, *members the sockets, each group in sock_order's
 * order. Sockets of group `none` (or past ngroups) are left out.
 */
static int sockindex_group(const uint32_t *order, size_t n, const uint32_t *group,
			   size_t ngroups, uint32_t **first, size_t *first_cap,
			   uint32_t **members, size_t *members_cap)
{
	uint32_t *f, *cursor;
	size_t i, total = 0;

	if (array_grow(first, first_cap, ngroups + 2, sizeof(uint32_t)) ||
	    array_grow(members, members_cap, n + 1, sizeof(uint32_t)))
		return -ENOMEM;
	f = *first;
	memset(f, 0, (ngroups + 2) * sizeof(uint32_t));
	/* Counts go to f[g + 2]; the running sum then leaves group g's start
	 * in f[g + 1], and the fill, counting it up to g's end, leaves g's
	 * start in f[g] (f[0] stays 0). */
	for (i = 0; i < n; i++)
		if (group[i] < ngroups)
			f[group[i] + 2]++;
	for (i = 2; i < ngroups + 2; i++) {
		total += f[i];
		f[i] = (uint32_t)total;
	}
	cursor = f + 1;
	for (i = 0; i < n; i++) {
		uint32_t s = order[i], g = group[s];

		if (g < ngroups)
			(*members)[cursor[g]++] = s;
	}
	return 0;
}

/* The union port map: state of the port, then the highest socket class. */
static void sockindex_port_class(struct sockindex *x, const struct snapshot *snap)
{
	uint8_t *pc = x->port_class;
	size_t b, i;

	for (b = 0; b < 65536 / 8; b++) {
		uint8_t usable = snap->usable_map ? snap->usable_map[b] : 0;
		uint8_t owned = snap->owned_map ? snap->owned_map[b] : 0;
		unsigned k;

		if (usable == 0xff && owned == 0) {
			memset(pc + b * 8, SNAP_PORT_FREE, 8);
			continue;
		}
		for (k = 0; k < 8; k++)
			pc[b * 8 + k] = !((usable >> k) & 1) ? SNAP_PORT_RESERVED :
					(owned >> k) & 1 ? SNAP_PORT_OWNED : SNAP_PORT_FREE;
	}
	for (i = 0; i < snap->nsocks; i++) {
		const struct sock_rec *r = &snap->socks[i];
		uint8_t c = snap_sock_port_class(r);

		if (c > pc[r->sport])
			pc[r->sport] = c;
	}
}

int sockindex_build(struct sockindex *x, const struct sockindex_scratch *tmp,
		    struct snapshot *snap)
{
	size_t n = snap->nsocks, i;

	snap->sock_order = NULL;
	snap->dest_first = snap->dest_socks = NULL;
	snap->proc_first = snap->proc_socks = NULL;
	sockindex_port_class(x, snap);
	snap->port_class = x->port_class;
	if (array_grow(&x->order, &x->order_cap, n + 1, sizeof(uint32_t)))
		return -ENOMEM;
	if (sockindex_keys(x, tmp, snap) != 0)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		x->order[i] = (uint32_t)i;
	radix_sort(tmp->keys, tmp->keys_tmp, x->order, tmp->idx_tmp, n);
	if (snap->sock_dest &&
	    sockindex_group(x->order, n, snap->sock_dest, snap->ndests, &x->dest_first,
			    &x->dest_first_cap, &x->dest_socks, &x->dest_socks_cap))
		return -ENOMEM;
	if (snap->sock_proc && snap->nprocs &&
	    sockindex_group(x->order, n, snap->sock_proc, snap->nprocs, &x->proc_first,
			    &x->proc_first_cap, &x->proc_socks, &x->proc_socks_cap))
		return -ENOMEM;
	snap->sock_order = x->order;
	if (snap->sock_dest) {
		snap->dest_first = x->dest_first;
		snap->dest_socks = x->dest_socks;
	}
	if (snap->sock_proc && snap->nprocs) {
		snap->proc_first = x->proc_first;
		snap->proc_socks = x->proc_socks;
	}
	return 0;
}

int sockindex_build_own(struct sockindex *x, struct snapshot *snap)
{
	struct sockindex_scratch tmp;
	size_t n = snap->nsocks + 1;

	if (array_grow(&x->own_keys, &x->own_keys_cap, n, sizeof(uint64_t)) ||
	    array_grow(&x->own_keys_tmp, &x->own_keys_tmp_cap, n, sizeof(uint64_t)) ||
	    array_grow(&x->own_idx_tmp, &x->own_idx_tmp_cap, n, sizeof(uint32_t)) ||
	    array_grow(&x->own_htab, &x->own_htab_cap, 2 * n, sizeof(uint32_t))) {
		snap->sock_order = NULL;
		snap->dest_first = snap->dest_socks = NULL;
		snap->proc_first = snap->proc_socks = NULL;
		snap->port_class = NULL;
		return -ENOMEM;
	}
	tmp.keys = x->own_keys;
	tmp.keys_tmp = x->own_keys_tmp;
	tmp.idx_tmp = x->own_idx_tmp;
	tmp.htab = x->own_htab;
	tmp.htab_cap = x->own_htab_cap;
	return sockindex_build(x, &tmp, snap);
}

int sockindex_cmp_local(const struct sock_rec *a, const struct sock_rec *b)
{
	int pa = plain_ipv4(a), pb = plain_ipv4(b), r;

	if (pa != pb)
		return pa ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(a->saddr, b->saddr, sizeof(a->saddr));
	if (r)
		return r < 0 ? -1 : 1;
	return (a->sport > b->sport) - (a->sport < b->sport);
}
