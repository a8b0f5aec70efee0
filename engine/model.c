#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "array.h"
#include "attrib.h"   /* procs */
#include "model.h"
#include "radix.h"
#include "rates.h"
#include "sockindex.h"

#define PORT_MAP_BYTES (65536 / 8)
/* The kernel's TIME_WAIT length (TCP_TIMEWAIT_LEN), in ms. */
#define TIMEWAIT_LEN_MS 60000u
#define LOOPBACK_IFINDEX 1u
/* Most pools listed: one per local address in use, plus the wildcards. */
#define MODEL_MAX_POOLS 256

struct dest_key {
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t dport;
	uint8_t family;
	uint8_t proto;
};

struct model {
	struct snapshot snap;
	int have_snap;
	struct rates *rates;              /* rates and forecast (rates.h) */
	/* >>> procs: the owners' history lives here, not in the sampler, so
	 * a replay attributes as the live run did (attrib.h) */
	struct attrib *attrib;
	uint32_t *sock_owner;             /* per socket: attrib owner id */
	size_t sock_owner_cap;
	uint32_t *sock_proc;              /* per socket: row, SNAP_NO_PROC */
	size_t sock_proc_cap;
	uint64_t *pdset;                  /* (row, dest) pairs seen: a set */
	size_t pdset_cap;
	struct snap_proc *procs, *procs_tmp;
	size_t procs_cap, procs_tmp_cap;
	uint32_t *own_row;                /* owner id -> row + 1 (scratch) */
	size_t own_row_cap;
	uint32_t *row_perm;
	size_t row_perm_cap;
	uint32_t *owner_ids;              /* sample owner -> attrib id (scratch) */
	size_t owner_ids_cap;
	uint32_t *row_dest;               /* row -> dest of its last socket */
	size_t row_dest_cap;
	int pids[MODEL_MAX_PIDS];
	size_t npids;
	/* <<< procs */

	struct sockvec socks;             /* the sockets behind snap */
	uint32_t *sock_dest;
	size_t sock_dest_cap;

	struct snap_dest *dests;
	size_t dests_cap;
	struct snap_pool *pools;
	size_t pools_cap;

	/* scratch, reused across updates */
	uint64_t *pairs;                  /* dest index << 16 | local port */
	uint64_t *rpairs;                 /* the same, of reusable TIME_WAIT */
	size_t rpairs_cap;
	size_t pairs_cap;
	size_t nrpairs;
	uint64_t *pairs_tmp;              /* the radix sort's other buffer */
	size_t pairs_tmp_cap;
	uint32_t *htab;                   /* dest index + 1, 0 = empty */
	size_t htab_cap;
	uint32_t *perm;
	size_t perm_cap;
	struct snap_dest *sorted;
	size_t sorted_cap;
	uint32_t *dest_sure;              /* per dest: sure reusable entries */
	size_t dest_sure_cap;

	uint32_t nonreserved;             /* ports in usable_map */
	uint32_t parity_loss;             /* 1 for an odd-sized range (TCP) */
	uint8_t usable_map[PORT_MAP_BYTES];
	uint8_t owned_map[PORT_MAP_BYTES];
	uint8_t listen_map[PORT_MAP_BYTES];
	uint8_t maybe_map[PORT_MAP_BYTES];  /* usable, not owned, held by a
					       socket of unknown bind state */
	uint32_t maybe_owned;               /* ports in maybe_map */
	uint8_t scratch_map[PORT_MAP_BYTES];
	struct ct_model ct;               /* nat: conntrack rates, NAT copy */
	struct sockindex index;           /* the views' orders and maps */
};

static void map_set(uint8_t *map, unsigned port)
{
	map[port >> 3] |= (uint8_t)(1u << (port & 7));
}

static int map_get(const uint8_t *map, unsigned port)
{
	return (map[port >> 3] >> (port & 7)) & 1;
}

int model_new(struct model **out)
{
	struct model *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return -ENOMEM;
	if (rates_new(&m->rates, RATES_TAU_S) < 0) {
		free(m);
		return -ENOMEM;
	}
	if (attrib_new(&m->attrib, 0) < 0) {   /* procs */
		rates_free(m->rates);
		free(m);
		return -ENOMEM;
	}
	sockvec_init(&m->socks);
	sockindex_init(&m->index);
	*out = m;
	return 0;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	sockvec_release(&m->socks);
	rates_free(m->rates);
	attrib_free(m->attrib);   /* procs */
	ct_model_release(&m->ct); /* nat */
	sockindex_release(&m->index);
	free(m->sock_owner);
	free(m->sock_proc);
	free(m->pdset);
	free(m->procs);
	free(m->procs_tmp);
	free(m->own_row);
	free(m->row_perm);
	free(m->owner_ids);
	free(m->row_dest);
	free(m->sock_dest);
	free(m->dests);
	free(m->pools);
	free(m->pairs);
	free(m->rpairs);
	free(m->pairs_tmp);
	free(m->htab);
	free(m->perm);
	free(m->sorted);
	free(m->dest_sure);
	free(m);
}

const struct snapshot *model_snapshot(const struct model *m)
{
	return m && m->have_snap ? &m->snap : NULL;
}

void snapshot_warn(struct snapshot *snap, const char *fmt, ...)
{
	va_list ap;

	if (snap->nwarnings >= SNAP_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(snap->warnings[snap->nwarnings], SNAP_WARNING_LEN, fmt, ap);
	va_end(ap);
	snap->nwarnings++;
}

/* ---- the range ------------------------------------------------------- */

/*
 * Build the usable map: every port of the range that is not reserved.
 * The TCP scans (__inet_hash_connect, inet_csk_find_open_port) look at an
 * even number of ports per call ("remaining &= ~1"): with an odd-sized
 * range one end of it, which end depending on the random start, is not
 * looked at. A call is then sure to succeed only while two free ports are
 * left, so TCP counts lose one port (m->parity_loss); UDP scans the whole
 * range.
 */
static void model_build_range(struct model *m, const struct sysctl_vals *sys,
			      struct snapshot *snap)
{
	unsigned low = sys->port_low, high = sys->port_high, p, count;

	memset(m->usable_map, 0, sizeof(m->usable_map));
	snap->range_low = low;
	snap->range_high = high;
	snap->reserved = 0;
	snap->usable = 0;
	m->nonreserved = 0;
	m->parity_loss = 0;
	if (low == 0 || low > high || high > 65535)
		return;
	count = high - low + 1;
	for (p = low; p <= high; p++) {
		if (sysctl_port_reserved(sys, p)) {
			snap->reserved++;
			continue;
		}
		map_set(m->usable_map, p);
		m->nonreserved++;
	}
	if (count > 1 && (count & 1) && m->nonreserved > 0)
		m->parity_loss = 1;
	snap->usable = m->nonreserved - m->parity_loss;
}

/* a - b - c, floored at 0 */
static uint32_t sat_sub(uint32_t a, uint32_t b, uint32_t c)
{
	return a > b + c ? a - b - c : 0;
}

static int in_range(const struct snapshot *snap, unsigned port)
{
	return port >= snap->range_low && port <= snap->range_high;
}

/* ---- destinations ----------------------------------------------------- */

static void dest_key_of(const struct sock_rec *s, struct dest_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->saddr, s->saddr, s->family == AF_INET ? 4 : 16);
	memcpy(k->daddr, s->daddr, s->family == AF_INET ? 4 : 16);
	k->dport = s->dport;
	k->family = s->family;
	k->proto = s->proto;
}

/* Runs for every socket: a word at a time (the key is 36 bytes, zeroed
 * past the address by dest_key_of, so equal keys hash alike). */
static uint32_t dest_key_hash(const struct dest_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 0, w;
	uint32_t t;
	size_t i;

	for (i = 0; i + sizeof(w) <= 32; i += sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
	}
	t = (uint32_t)k->dport | (uint32_t)k->family << 16 |
	    (uint32_t)k->proto << 24;
	h = (h ^ t) * 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return (uint32_t)(h ^ (h >> 32));
}

static int dest_matches(const struct snap_dest *d, const struct dest_key *k)
{
	return d->family == k->family && d->proto == k->proto &&
	       d->dport == k->dport &&
	       memcmp(d->saddr, k->saddr, 16) == 0 &&
	       memcmp(d->daddr, k->daddr, 16) == 0;
}

/* Index of the destination for k, created if new; the table has room. */
static uint32_t model_dest_lookup(struct model *m, size_t *ndests,
				  const struct dest_key *k)
{
	size_t mask = m->htab_cap - 1;
	size_t i = dest_key_hash(k) & mask;
	struct snap_dest *d;

	for (;;) {
		uint32_t slot = m->htab[i];

		if (slot == 0)
			break;
		if (dest_matches(&m->dests[slot - 1], k))
			return slot - 1;
		i = (i + 1) & mask;
	}
	d = &m->dests[*ndests];
	memset(d, 0, sizeof(*d));
	memcpy(d->saddr, k->saddr, 16);
	memcpy(d->daddr, k->daddr, 16);
	d->dport = k->dport;
	d->family = k->family;
	d->proto = k->proto;
	d->eta_s = SNAP_NO_ETA;
	m->htab[i] = (uint32_t)(*ndests + 1);
	return (uint32_t)(*ndests)++;
}

/*
 * Would connect() reuse this TIME_WAIT entry now? tcp_twsk_unique():
 * tw_reuse 1, or 2 when either address is loopback or the socket is bound
 * to lo; timestamps negotiated (approximated by the sysctl: both ends of
 * a connection on this host share it, and a peer without timestamps is
 * the exception); older than tcp_tw_reuse_delay. The age is at least
 * TIMEWAIT_LEN - time left, since the timer starts at 60 s.
 */
static int tw_reusable(const struct sock_rec *s, const struct sysctl_vals *sys)
{
	uint32_t age_ms;

	if (s->state != SOCK_TIME_WAIT || sys->tcp_timestamps == 0)
		return 0;
	if (sys->tcp_tw_reuse == 2) {
		if (!sock_addr_is_loopback(s->family, s->saddr) &&
		    !sock_addr_is_loopback(s->family, s->daddr) &&
		    s->ifindex != LOOPBACK_IFINDEX)
			return 0;
	} else if (sys->tcp_tw_reuse != 1) {
		return 0;
	}
	if (s->expires_ms >= TIMEWAIT_LEN_MS)
		return 0;
	age_ms = TIMEWAIT_LEN_MS - s->expires_ms;
	return age_ms > (uint32_t)(sys->tcp_tw_reuse_delay_ms < 0 ?
				   0 : sys->tcp_tw_reuse_delay_ms);
}

/* Most at risk first: fewest available, then most in use, then by key so
 * the order is stable between samples. ctx: the dests array. */
static int cmp_dest_risk(const void *a, const void *b, void *ctx)
{
	const struct snap_dest *base = ctx;
	const struct snap_dest *x = &base[*(const uint32_t *)a];
	const struct snap_dest *y = &base[*(const uint32_t *)b];
	int c;

	if (x->available != y->available)
		return x->available < y->available ? -1 : 1;
	if (x->in_use != y->in_use)
		return x->in_use > y->in_use ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->saddr, y->saddr, 16);
	if (c)
		return c;
	c = memcmp(x->daddr, y->daddr, 16);
	if (c)
		return c;
	return (x->dport > y->dport) - (x->dport < y->dport);
}

/* ---- pools ---------------------------------------------------------------- */

/*
 * Does a socket's local address overlap the pool address, so that it
 * holds its port against bind(pool address, 0)? (inet_csk_bind_conflict
 * and the bhash2 lookups.) Within a family: equal addresses, or either
 * side a wildcard. Across families: an IPv4 bind skips IPv6 sockets that
 * are IPV6_V6ONLY (bind() to a specific IPv6 address sets it; connect()
 * without bind() does not); of the others, a wildcard IPv4 bind conflicts
 * with all, a specific one only with the IPv6 wildcard. An IPv6 wildcard
 * pool covers IPv4 sockets, a specific IPv6 one does not.
 * What depends only on the pool is worked out once (pool_probe): this
 * runs pools x sockets times.
 */
struct pool_probe {
	const struct snap_pool *p;
	int any;                          /* the pool address is a wildcard */
};

static int addr_any(int family, const uint8_t *a)
{
	uint64_t w[2];

	if (family == AF_INET)
		return !a[0] && !a[1] && !a[2] && !a[3];
	memcpy(w, a, sizeof(w));
	return !(w[0] | w[1]);
}

static int pool_probe_overlaps(const struct pool_probe *pp,
			       const struct sock_rec *s)
{
	const struct snap_pool *p = pp->p;

	if (p->family == s->family)
		return pp->any || addr_any(s->family, s->saddr) ||
		       memcmp(p->saddr, s->saddr,
			      p->family == AF_INET ? 4 : 16) == 0;
	if (p->family == AF_INET)
		return !(s->flags & SOCK_F_V6ONLY) &&
		       (pp->any || addr_any(AF_INET6, s->saddr));
	return pp->any;
}

static int pool_find(const struct snap_pool *pools, size_t n, uint8_t proto,
		     uint8_t family, const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pools[i].proto == proto && pools[i].family == family &&
		    sock_addr_cmp(family, pools[i].saddr, addr) == 0)
			return (int)i;
	return -1;
}

static int cmp_pool(const void *a, const void *b)
{
	const struct snap_pool *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto == IPPROTO_TCP ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->saddr, y->saddr, 16);
}


/* 0 added or present, 1 when the list is full. */
static int model_add_pool(struct model *m, size_t *n, uint8_t proto,
			  uint8_t family, const uint8_t *addr)
{
	struct snap_pool *p;

	if (pool_find(m->pools, *n, proto, family, addr) >= 0)
		return 0;
	if (*n >= MODEL_MAX_POOLS)
		return 1;
	p = &m->pools[(*n)++];   /* model_reserve() made room */
	memset(p, 0, sizeof(*p));
	p->proto = proto;
	p->family = family;
	memcpy(p->saddr, addr, family == AF_INET ? 4 : 16);
	return 0;
}

static void model_fill_pool(struct model *m, struct snap_pool *p,
			    const struct snapshot *snap)
{
	struct pool_probe pp = { p, addr_any(p->family, p->saddr) };
	uint32_t usable_held = 0;
	size_t i;

	memset(m->scratch_map, 0, sizeof(m->scratch_map));
	p->in_use = 0;
	for (i = 0; i < m->socks.len; i++) {
		const struct sock_rec *s = &m->socks.v[i];

		if (s->proto != p->proto || !in_range(snap, s->sport) ||
		    map_get(m->scratch_map, s->sport) ||
		    !pool_probe_overlaps(&pp, s))
			continue;
		map_set(m->scratch_map, s->sport);
		p->in_use++;
		if (map_get(m->usable_map, s->sport))
			usable_held++;
	}
	/* UDP's scan covers the whole range; TCP's loses the parity port. */
	p->available = sat_sub(m->nonreserved, usable_held,
			       p->proto == IPPROTO_TCP ? m->parity_loss : 0);
}

static void model_build_pools(struct model *m, struct snapshot *snap)
{
	static const uint8_t any[16];
	const struct sock_rec *last = NULL;
	size_t n = 0, i;
	int truncated = 0;

	/* The wildcard pools always: bind(0.0.0.0, 0) and UDP on 0.0.0.0. */
	model_add_pool(m, &n, IPPROTO_TCP, AF_INET, any);
	model_add_pool(m, &n, IPPROTO_UDP, AF_INET, any);
	for (i = 0; i < m->socks.len; i++) {
		const struct sock_rec *s = &m->socks.v[i];

		if (!in_range(snap, s->sport))
			continue;
		/* most sockets share their neighbour's local address: skip
		 * the search of the pools list for those */
		if (last && last->proto == s->proto &&
		    last->family == s->family &&
		    memcmp(last->saddr, s->saddr,
			   s->family == AF_INET ? 4 : 16) == 0)
			continue;
		truncated |= model_add_pool(m, &n, s->proto, s->family,
					    s->saddr);
		last = s;
	}
	if (truncated)
		snapshot_warn(snap, "more than %d local addresses: pools list cut",
			      MODEL_MAX_POOLS);
	qsort(m->pools, n, sizeof(*m->pools), cmp_pool);
	for (i = 0; i < n; i++)
		model_fill_pool(m, &m->pools[i], snap);
	snap->pools = m->pools;
	snap->npools = n;
}

/* ---- update ----------------------------------------------------------- */

/* Which TCP sockets count toward a destination: connected-type states on
 * a local port in the range, not children of a listener (those share the
 * listener's port, which is owned already). */
static int counts_toward_dest(const struct snapshot *snap, const struct model *m,
			      const struct sock_rec *s)
{
	return s->proto == IPPROTO_TCP && s->state != SOCK_LISTEN &&
	       s->state != SOCK_BOUND && in_range(snap, s->sport) &&
	       !map_get(m->listen_map, s->sport);
}

static int model_reserve(struct model *m, size_t nsocks)
{
	size_t hcap = 64;

	while (hcap < nsocks * 2 + 2)
		hcap *= 2;
	if (array_grow(&m->sock_dest, &m->sock_dest_cap, nsocks + 1, sizeof(uint32_t)) ||
	    array_grow(&m->dests, &m->dests_cap, nsocks + 1, sizeof(*m->dests)) ||
	    array_grow(&m->sorted, &m->sorted_cap, nsocks + 1, sizeof(*m->sorted)) ||
	    array_grow(&m->pairs, &m->pairs_cap, nsocks + 1, sizeof(uint64_t)) ||
	    array_grow(&m->rpairs, &m->rpairs_cap, nsocks + 1, sizeof(uint64_t)) ||
	    array_grow(&m->pairs_tmp, &m->pairs_tmp_cap, nsocks + 1, sizeof(uint64_t)) ||
	    array_grow(&m->perm, &m->perm_cap, nsocks + 1, sizeof(uint32_t)) ||
	    array_grow(&m->dest_sure, &m->dest_sure_cap, nsocks + 1, sizeof(uint32_t)) ||
	    array_grow(&m->pools, &m->pools_cap, MODEL_MAX_POOLS, sizeof(*m->pools)) ||
	    array_grow(&m->htab, &m->htab_cap, hcap, sizeof(uint32_t)))
		return -ENOMEM;
	/* array_grow() keeps capacities at powers of two times 64: a mask works. */
	memset(m->htab, 0, m->htab_cap * sizeof(uint32_t));
	return 0;
}

/* Does a TCP socket own its port for every destination? Listeners and
 * bound-only sockets always; any other whose bind bucket is bind()-owned
 * (sock_rec.bind). */
static int model_sock_owns(const struct sock_rec *s)
{
	return s->proto == IPPROTO_TCP &&
	       (s->state == SOCK_LISTEN || s->state == SOCK_BOUND ||
		s->bind == SOCK_BIND_OWNED);
}

/* A TCP socket holding a port whose bucket porttop does not know:
 * bind(addr, 0) + connect() looks like connect() without the BPF reader.
 * Request sockets (NEW_SYN_RECV) sit on their listener's port. */
static int model_sock_bind_unknown(const struct sock_rec *s)
{
	return s->proto == IPPROTO_TCP && !model_sock_owns(s) &&
	       s->state != SOCK_NEW_SYN_RECV && s->bind == SOCK_BIND_UNKNOWN;
}

/* Counts that need no destinations: states, owned, ports in use, UDP. */
static void model_count_totals(struct model *m, struct snapshot *snap)
{
	uint8_t *tcp_ports = m->scratch_map;
	size_t i;

	memset(m->owned_map, 0, sizeof(m->owned_map));
	memset(m->listen_map, 0, sizeof(m->listen_map));
	memset(tcp_ports, 0, PORT_MAP_BYTES);
	for (i = 0; i < m->socks.len; i++) {
		const struct sock_rec *s = &m->socks.v[i];

		if (s->proto != IPPROTO_TCP)
			continue;
		snap->tcp_sockets++;
		if (s->state < SOCK_STATE_MAX)
			snap->tcp_states[s->state == SOCK_NEW_SYN_RECV ?
					 SOCK_SYN_RECV : s->state]++;
		if (s->state == SOCK_LISTEN)
			map_set(m->listen_map, s->sport);
		if (model_sock_owns(s) && map_get(m->usable_map, s->sport) &&
		    !map_get(m->owned_map, s->sport)) {
			map_set(m->owned_map, s->sport);
			snap->owned_ports++;
		}
		if (in_range(snap, s->sport) && !map_get(tcp_ports, s->sport)) {
			map_set(tcp_ports, s->sport);
			snap->ports_in_use++;
		}
	}
	/* Ports of unknown bind state: owned in the worst case (only those
	 * not owned for sure; children of a listener share its port). */
	memset(m->maybe_map, 0, sizeof(m->maybe_map));
	m->maybe_owned = 0;
	for (i = 0; i < m->socks.len; i++) {
		const struct sock_rec *s = &m->socks.v[i];

		if (!model_sock_bind_unknown(s) ||
		    !map_get(m->usable_map, s->sport) ||
		    map_get(m->listen_map, s->sport))
			continue;
		snap->bind_unknown++;
		if (map_get(m->owned_map, s->sport) ||
		    map_get(m->maybe_map, s->sport))
			continue;
		map_set(m->maybe_map, s->sport);
		m->maybe_owned++;
	}
	memset(tcp_ports, 0, PORT_MAP_BYTES);
	for (i = 0; i < m->socks.len; i++) {
		const struct sock_rec *s = &m->socks.v[i];

		if (s->proto != IPPROTO_UDP)
			continue;
		snap->udp_sockets++;
		if (in_range(snap, s->sport) && !map_get(tcp_ports, s->sport)) {
			map_set(tcp_ports, s->sport);
			snap->udp_ports_in_range++;
		}
	}
}

static size_t model_group_dests(struct model *m, struct snapshot *snap,
				size_t *npairs)
{
	size_t ndests = 0, i;

	*npairs = 0;
	m->nrpairs = 0;
	for (i = 0; i < m->socks.len; i++) {
		const struct sock_rec *s = &m->socks.v[i];
		struct snap_dest *d;
		struct dest_key k;
		uint32_t idx;

		m->sock_dest[i] = SNAP_NO_DEST;
		if (!counts_toward_dest(snap, m, s))
			continue;
		dest_key_of(s, &k);
		idx = model_dest_lookup(m, &ndests, &k);
		d = &m->dests[idx];
		m->sock_dest[i] = idx;
		d->sockets++;
		if (s->state < SOCK_STATE_MAX)
			d->states[s->state == SOCK_NEW_SYN_RECV ?
				  SOCK_SYN_RECV : s->state]++;
		/* A reserved port, or one whose bucket is bind()-owned, is
		 * skipped before any TIME_WAIT is looked at: such an entry
		 * is never reused. The low bit
		 * marks an entry whose bucket is not known. */
		if (tw_reusable(s, &snap->sys) && s->bind != SOCK_BIND_OWNED &&
		    map_get(m->usable_map, s->sport) &&
		    !map_get(m->owned_map, s->sport))
			m->rpairs[m->nrpairs++] =
				((uint64_t)idx << 16 | s->sport) << 1 |
				(s->bind == SOCK_BIND_UNKNOWN ||
				 map_get(m->maybe_map, s->sport));
		m->pairs[(*npairs)++] = (uint64_t)idx << 16 | s->sport;
	}
	return ndests;
}

/* reusable counts ports, like in_use: two entries with one 4-tuple (a
 * dump racing a reuse) give connect() one port, not two. The sure ones
 * (bucket known connect()-made) go to dest_sure, for available_min. */
static void model_count_reusable(struct model *m, size_t ndests)
{
	size_t i;

	memset(m->dest_sure, 0, ndests * sizeof(uint32_t));
	radix_sort(m->rpairs, m->pairs_tmp, NULL, NULL, m->nrpairs);
	for (i = 0; i < m->nrpairs; i++) {
		uint64_t k = m->rpairs[i];

		if (i == 0 || k >> 1 != m->rpairs[i - 1] >> 1)
			m->dests[k >> 17].reusable++;
		if (!(k & 1) && (i == 0 || k != m->rpairs[i - 1]))
			m->dest_sure[k >> 17]++;
	}
}

/* in_use per destination from the sorted (dest, port) pairs; available
 * and available_min hold, for now, the usable ports it takes and how
 * many of those are of unknown bind state (model_finish_dests). */
static void model_count_ports(struct model *m, size_t npairs)
{
	size_t i;

	radix_sort(m->pairs, m->pairs_tmp, NULL, NULL, npairs);
	for (i = 0; i < npairs; i++) {
		struct snap_dest *d = &m->dests[m->pairs[i] >> 16];
		unsigned port = (unsigned)(m->pairs[i] & 0xffff);

		if (i > 0 && m->pairs[i] == m->pairs[i - 1])
			continue;
		d->in_use++;
		if (map_get(m->usable_map, port) && !map_get(m->owned_map, port)) {
			d->available++;
			if (map_get(m->maybe_map, port))
				d->available_min++;
		}
	}
}

/*
 * available = usable ports not owned, less those in use toward the
 * destination, plus the TIME_WAIT entries connect() takes over now.
 * available_min counts every port of unknown bind state as owned: its
 * own sockets' ports are taken either way (in_maybe is added back), and
 * only the TIME_WAIT entries whose bucket is known connect()-made are
 * reusable for sure.
 */
static void model_finish_dests(struct model *m, struct snapshot *snap)
{
	uint32_t free_ports = m->nonreserved - snap->owned_ports;
	size_t i;

	snap->exact = 1;
	for (i = 0; i < snap->ndests; i++) {
		struct snap_dest *d = &m->dests[i];
		uint32_t taken = d->available, in_maybe = d->available_min;

		d->available = sat_sub(free_ports + d->reusable, taken,
				       m->parity_loss);
		d->available_min = sat_sub(free_ports + m->dest_sure[i] + in_maybe,
					   taken + m->maybe_owned,
					   m->parity_loss);
		if (d->available_min > d->available)
			d->available_min = d->available;
		d->exact = d->available_min == d->available;
		snap->exact &= d->exact;
		d->headroom_pct = snap->usable ?
			100.0 * d->available / snap->usable : 0.0;
	}
	snap->available_new_destination = sat_sub(free_ports, 0, m->parity_loss);
	snap->available_new_destination_min = sat_sub(free_ports, m->maybe_owned,
						      m->parity_loss);
	if (snap->available_new_destination_min != snap->available_new_destination)
		snap->exact = 0;
}

/* Why figures are not exact, and how to get them exact. */
static void model_explain_inexact(struct snapshot *snap, const struct sample *s)
{
	snap->bind_src = s->bind_src;
	if (snap->exact) {
		snap->inexact_why[0] = '\0';
		return;
	}
	switch (s->bind_src) {
	case SOCK_BSRC_BPF:
		snprintf(snap->inexact_why, sizeof(snap->inexact_why),
			 "%u socket%s changed between the dump and the "
			 "port-state read", (unsigned)snap->bind_unknown,
			 snap->bind_unknown == 1 ? "" : "s");
		break;
	case SOCK_BSRC_AUTOBOUND:
		snprintf(snap->inexact_why, sizeof(snap->inexact_why),
			 "bind(addr,0)+connect() looks like connect(): %.*s",
			 (int)strnlen(s->bind_why, sizeof(s->bind_why)),
			 s->bind_why[0] ? s->bind_why :
			 "the exact figure needs the BPF reader (root, or "
			 "CAP_BPF and CAP_PERFMON)");
		break;
	default:
		snprintf(snap->inexact_why, sizeof(snap->inexact_why),
			 "this source does not say which ports bind() owns "
			 "(import or older recording)");
		break;
	}
}

static void model_sort_dests(struct model *m, struct snapshot *snap)
{
	size_t n = snap->ndests, i;

	for (i = 0; i < n; i++)
		m->perm[i] = (uint32_t)i;
	qsort_r(m->perm, n, sizeof(uint32_t), cmp_dest_risk, m->dests);
	for (i = 0; i < n; i++)
		m->sorted[i] = m->dests[m->perm[i]];
	/* perm becomes old index -> new index, for the drill-down links */
	for (i = 0; i < n; i++)
		m->htab[m->perm[i]] = (uint32_t)i;
	for (i = 0; i < m->socks.len; i++)
		if (m->sock_dest[i] != SNAP_NO_DEST)
			m->sock_dest[i] = m->htab[m->sock_dest[i]];
	memcpy(m->dests, m->sorted, n * sizeof(*m->dests));
	snap->dests = m->dests;
}

static void model_warn_sample(struct snapshot *snap, const struct sample *s)
{
	if (!(s->sys.known & SYSCTL_K_RANGE) && s->sys.range_err)
		snapshot_warn(snap, "could not read ip_local_port_range (%s%s): "
			      "assuming the default %u-%u",
			      s->sys.range_err == -EMFILE ? "EMFILE: " : "",
			      strerror(-s->sys.range_err),
			      s->sys.port_low, s->sys.port_high);
	else if (!(s->sys.known & SYSCTL_K_RANGE))
		snapshot_warn(snap, "could not read ip_local_port_range: "
			      "assuming the default %u-%u",
			      s->sys.port_low, s->sys.port_high);
	if (!(s->sys.known & SYSCTL_K_RESERVED))
		snapshot_warn(snap, "could not read ip_local_reserved_ports: "
			      "assuming none");
	if (s->stats.malformed)
		snapshot_warn(snap, "skipped %llu malformed sock_diag messages",
			      (unsigned long long)s->stats.malformed);
	/* record: what the sample's source says (imports, recording) */
	for (size_t i = 0; i < s->nnotes && i < SAMPLE_MAX_NOTES; i++)
		snapshot_warn(snap, "%.*s", (int)SAMPLE_NOTE_LEN, s->notes[i]);
}

/* ---- processes (procs: engine/attrib.h) ---------------------------------- */

int model_set_pid_filter(struct model *m, const int *pids, size_t n)
{
	size_t i;

	if (n > MODEL_MAX_PIDS)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (pids[i] <= 0)
			return -EINVAL;
	for (i = 0; i < n; i++)
		m->pids[i] = pids[i];
	m->npids = n;
	return 0;
}

static int model_procs_reserve(struct model *m, size_t nsocks)
{
	size_t hcap = 64;

	while (hcap < nsocks * 2 + 2)
		hcap *= 2;
	if (array_grow(&m->sock_owner, &m->sock_owner_cap, nsocks + 1, sizeof(uint32_t)) ||
	    array_grow(&m->sock_proc, &m->sock_proc_cap, nsocks + 1, sizeof(uint32_t)) ||
	    array_grow(&m->pdset, &m->pdset_cap, hcap, sizeof(uint64_t)))
		return -ENOMEM;
	return 0;
}

/* A socket closed by its process but not gone: no fd holds it any more. */
static int model_is_closing(const struct sock_rec *r)
{
	return r->proto == IPPROTO_TCP && r->inode == 0 &&
	       (r->state == SOCK_FIN_WAIT1 || r->state == SOCK_FIN_WAIT2 ||
		r->state == SOCK_CLOSING || r->state == SOCK_LAST_ACK);
}

static int model_pid_wanted(const struct model *m, int pid)
{
	size_t i;

	for (i = 0; i < m->npids; i++)
		if (m->pids[i] == pid)
			return 1;
	return 0;
}

/*
 * Owner of every socket: the process the sample names; else the history
 * (a TIME_WAIT or closing entry of a socket seen alive); else the uid-only
 * owner the sample names. Then the -p filter keeps only the sockets of
 * the wanted pids.
 */
/* Sockets the attribution budget refused: their TIME_WAIT will show as
 * unattributed, so say how many. */
static void model_warn_refused(const struct model *m, struct snapshot *snap)
{
	struct attrib_stats st;

	attrib_get_stats(m->attrib, &st);
	if (st.refused_now)
		snapshot_warn(snap, "attribution memory full: %llu sockets not "
			      "remembered (their TIME_WAIT shows as unattributed)",
			      (unsigned long long)st.refused_now);
}

static void model_attribute(struct model *m, const struct sample *s,
			    struct snapshot *snap)
{
	int carried = s->owner && s->nowner == m->socks.len;
	uint32_t *oid = NULL;
	size_t i, keep = 0;
	int failed = 0;

	attrib_begin(m->attrib, s->mono);
	snap->attribution = carried;
	/* One attrib_owner_id() per owner of the sample, not per socket: it
	 * copies the whole description. Ids stay valid until the next
	 * attrib_begin(). Without the scratch, every socket asks. */
	if (carried && s->nprocs &&
	    array_grow(&m->owner_ids, &m->owner_ids_cap, s->nprocs,
		 sizeof(uint32_t)) == 0) {
		oid = m->owner_ids;
		for (i = 0; i < s->nprocs; i++)
			oid[i] = ATTRIB_NONE;
	}
	for (i = 0; i < m->socks.len; i++) {
		const struct sock_rec *r = &m->socks.v[i];
		const struct sample_proc *p = NULL;
		uint32_t id = ATTRIB_NONE;
		int direct = 0;

		if (carried && s->owner[i] < s->nprocs)
			p = &s->procs[s->owner[i]];
		if (!p || p->pid == 0)
			id = attrib_lookup(m->attrib, r);
		if (id == ATTRIB_NONE && p) {
			direct = 1;
			if (oid && oid[s->owner[i]] != ATTRIB_NONE)
				id = oid[s->owner[i]];
			else if (attrib_owner_id(m->attrib, p, &id) == -ENOMEM)
				failed = 1;
			else if (oid)
				oid[s->owner[i]] = id;
		}
		if (direct && id != ATTRIB_NONE &&
		    attrib_note(m->attrib, r, id) < 0)
			failed = 1;
		m->sock_owner[i] = id;
	}
	if (failed)
		snapshot_warn(snap, "out of memory attributing sockets: "
			      "some are shown as unattributed");
	model_warn_refused(m, snap);
	snap->npid_filter = m->npids;
	memcpy(snap->pid_filter, m->pids, m->npids * sizeof(int));
	if (!m->npids)
		return;
	for (i = 0; i < m->socks.len; i++) {
		const struct sample_proc *o = attrib_owner(m->attrib,
							   m->sock_owner[i]);

		if (!o || !o->pid || !model_pid_wanted(m, o->pid))
			continue;
		m->socks.v[keep] = m->socks.v[i];
		m->sock_owner[keep] = m->sock_owner[i];
		keep++;
	}
	m->socks.len = keep;
}

/* Add x to the (row, dest) set; 1 if it was new. */
static int model_pdset_add(struct model *m, uint64_t x)
{
	size_t mask = m->pdset_cap - 1;
	size_t h = (size_t)((x * 0x9e3779b97f4a7c15ULL) >> 17) & mask;

	x++;   /* 0 marks an empty slot */
	while (m->pdset[h]) {
		if (m->pdset[h] == x)
			return 0;
		h = (h + 1) & mask;
	}
	m->pdset[h] = x;
	return 1;
}

/* Most sockets + TIME_WAIT first, then by pid (uid-only rows last), uid. */
static int cmp_proc_row(const void *a, const void *b, void *ctx)
{
	const struct snap_proc *rows = ctx;
	const struct snap_proc *x = &rows[*(const uint32_t *)a];
	const struct snap_proc *y = &rows[*(const uint32_t *)b];
	uint64_t wx = (uint64_t)x->sockets + x->time_wait + x->closing;
	uint64_t wy = (uint64_t)y->sockets + y->time_wait + y->closing;

	if (wx != wy)
		return wx > wy ? -1 : 1;
	if ((x->pid == 0) != (y->pid == 0))
		return x->pid == 0 ? 1 : -1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return (x->cgroup_id > y->cgroup_id) - (x->cgroup_id < y->cgroup_id);
}

static void model_row_init(struct snap_proc *row, const struct sample_proc *o)
{
	memset(row, 0, sizeof(*row));
	row->pid = o->pid;
	row->uid = o->uid;
	row->start_time = o->start_time;
	row->cgroup_id = o->cgroup_id;
	/* the sample's strings are sanitised and terminated; copy bounded */
	snprintf(row->comm, sizeof(row->comm), "%.*s",
		 (int)strnlen(o->comm, sizeof(o->comm)), o->comm);
	snprintf(row->user, sizeof(row->user), "%.*s",
		 (int)strnlen(o->user, sizeof(o->user)), o->user);
	snprintf(row->unit, sizeof(row->unit), "%.*s",
		 (int)strnlen(o->unit, sizeof(o->unit)), o->unit);
	snprintf(row->cgroup, sizeof(row->cgroup), "%.*s",
		 (int)strnlen(o->cgroup, sizeof(o->cgroup)), o->cgroup);
	snprintf(row->cmdline, sizeof(row->cmdline), "%.*s",
		 (int)strnlen(o->cmdline, sizeof(o->cmdline)), o->cmdline);
}

/* Sort the rows and renumber sock_proc to match. */
static int model_sort_procs(struct model *m, size_t nrows)
{
	struct snap_proc *t;
	size_t i, c;

	if (array_grow(&m->row_perm, &m->row_perm_cap, nrows + 1, sizeof(uint32_t)) ||
	    array_grow(&m->procs_tmp, &m->procs_tmp_cap, nrows + 1, sizeof(*m->procs_tmp)))
		return -ENOMEM;
	for (i = 0; i < nrows; i++)
		m->row_perm[i] = (uint32_t)i;
	qsort_r(m->row_perm, nrows, sizeof(uint32_t), cmp_proc_row, m->procs);
	/* own_row (at least nrows long) becomes old row -> new row */
	for (i = 0; i < nrows; i++) {
		m->procs_tmp[i] = m->procs[m->row_perm[i]];
		m->own_row[m->row_perm[i]] = (uint32_t)i;
	}
	for (i = 0; i < m->socks.len; i++)
		if (m->sock_proc[i] != SNAP_NO_PROC)
			m->sock_proc[i] = m->own_row[m->sock_proc[i]];
	t = m->procs;
	m->procs = m->procs_tmp;
	m->procs_tmp = t;
	c = m->procs_cap;
	m->procs_cap = m->procs_tmp_cap;
	m->procs_tmp_cap = c;
	return 0;
}

static void model_build_procs(struct model *m, const struct sample *s,
			      struct snapshot *snap)
{
	size_t slots = attrib_owner_slots(m->attrib), nrows = 0, i;
	uint32_t uid_only_socks = 0;

	snap->procs = NULL;
	snap->nprocs = 0;
	snap->sock_proc = m->sock_proc;
	if (array_grow(&m->own_row, &m->own_row_cap, slots + 1, sizeof(uint32_t))) {
		snapshot_warn(snap, "out of memory: no process list");
		slots = 0;
	} else {
		memset(m->own_row, 0, (slots + 1) * sizeof(uint32_t));
	}
	memset(m->pdset, 0, m->pdset_cap * sizeof(uint64_t));
	for (i = 0; i < m->socks.len; i++) {
		const struct sock_rec *r = &m->socks.v[i];
		uint32_t id = m->sock_owner[i];
		const struct sample_proc *o = id < slots ?
					      attrib_owner(m->attrib, id) : NULL;
		struct snap_proc *row;
		uint32_t rix;

		m->sock_proc[i] = SNAP_NO_PROC;
		if (o && !m->own_row[id] &&
		    (array_grow(&m->procs, &m->procs_cap, nrows + 1, sizeof(*m->procs)) ||
		     array_grow(&m->row_dest, &m->row_dest_cap, nrows + 1,
			  sizeof(uint32_t)))) {
			snapshot_warn(snap, "out of memory: process list cut");
			slots = 0;
			o = NULL;
		}
		if (!o) {
			snap->unattributed_sockets++;
			if (r->proto == IPPROTO_TCP && r->state == SOCK_TIME_WAIT)
				snap->unattributed_time_wait++;
			continue;
		}
		if (!m->own_row[id]) {
			model_row_init(&m->procs[nrows], o);
			m->row_dest[nrows] = SNAP_NO_DEST;
			m->own_row[id] = (uint32_t)++nrows;
		}
		rix = m->own_row[id] - 1;
		row = &m->procs[rix];
		m->sock_proc[i] = rix;
		if (r->proto == IPPROTO_TCP && r->state == SOCK_TIME_WAIT) {
			row->time_wait++;
		} else if (model_is_closing(r)) {
			row->closing++;
		} else {
			row->sockets++;
			if (!row->pid)
				uid_only_socks++;   /* live, of no known process */
		}
		/* a socket toward the same destination as the row's last one
		 * adds no pair: most do, and each set lookup is a cache miss */
		if (m->sock_dest[i] != SNAP_NO_DEST &&
		    m->row_dest[rix] != m->sock_dest[i]) {
			m->row_dest[rix] = m->sock_dest[i];
			if (model_pdset_add(m, (uint64_t)rix << 32 |
					    m->sock_dest[i]))
				row->destinations++;
		}
	}
	if (nrows && model_sort_procs(m, nrows) != 0)
		snapshot_warn(snap, "out of memory: process list unsorted");
	snap->procs = nrows ? m->procs : NULL;
	snap->nprocs = nrows;
	if (uid_only_socks && s->procs_denied)
		snapshot_warn(snap, "process names need root or CAP_SYS_PTRACE "
			      "and CAP_DAC_READ_SEARCH: the open files of %u "
			      "process%s could not be "
			      "read; %u socket%s shown by user only",
			      (unsigned)s->procs_denied,
			      s->procs_denied == 1 ? "" : "es",
			      (unsigned)uid_only_socks,
			      uid_only_socks == 1 ? " is" : "s are");
	else if (uid_only_socks && snap->attribution)
		snapshot_warn(snap, "%u socket%s held by no process porttop "
			      "can see (another pid namespace, /proc mounted "
			      "with hidepid, or kernel sockets): shown by user "
			      "only", (unsigned)uid_only_socks,
			      uid_only_socks == 1 ? " is" : "s are");
}

/* The views' indexes, on scratch that is free by now. Without memory the
 * views scan and sort for themselves: a warning, not a failure. */
static void model_build_index(struct model *m, struct snapshot *snap)
{
	struct sockindex_scratch tmp = {
		.keys = m->pairs, .keys_tmp = m->pairs_tmp, .idx_tmp = m->perm,
		.htab = m->htab, .htab_cap = m->htab_cap,
	};

	if (sockindex_build(&m->index, &tmp, snap) != 0)
		snapshot_warn(snap, "out of memory: socket lists are sorted per view");
}

int model_update(struct model *m, struct sample *s)
{
	struct snapshot *snap = &m->snap;
	struct sockvec tmp;
	size_t npairs;

	if (model_reserve(m, s->socks.len) != 0 ||
	    model_procs_reserve(m, s->socks.len) != 0) {
		/* array_grow() may have moved arrays the kept snapshot points into */
		snap->dests = m->dests;
		snap->pools = m->pools;
		snap->sock_dest = m->sock_dest;
		snap->sock_proc = m->sock_proc;   /* procs */
		return -ENOMEM;
	}
	/* Take the sample's sockets; the sample gets our old vector back. */
	tmp = m->socks;
	m->socks = s->socks;
	s->socks = tmp;
	sockvec_clear(&s->socks);

	memset(snap, 0, sizeof(*snap));
	snap->time = s->time;
	memcpy(snap->netns, s->netns, sizeof(snap->netns));
	snap->netns[sizeof(snap->netns) - 1] = '\0';
	snap->sys = s->sys;
	model_warn_sample(snap, s);
	model_build_range(m, &s->sys, snap);
	/* procs: owners first, as the -p filter removes sockets */
	model_attribute(m, s, snap);
	model_count_totals(m, snap);

	snap->ndests = model_group_dests(m, snap, &npairs);
	model_count_ports(m, npairs);
	model_count_reusable(m, snap->ndests);
	model_finish_dests(m, snap);
	model_explain_inexact(snap, s);
	model_sort_dests(m, snap);
	model_build_pools(m, snap);

	model_build_procs(m, s, snap);   /* procs: needs the final sock_dest */

	snap->socks = m->socks.v;
	snap->nsocks = m->socks.len;
	snap->sock_dest = m->sock_dest;
	snap->usable_map = m->usable_map;
	snap->owned_map = m->owned_map;
	model_build_index(m, snap);
	/* Rates last: they need the final destinations and links. A failure
	 * leaves a snapshot without rates, with a warning. */
	rates_apply(m->rates, snap, s);
	/* nat: conntrack and NAT headroom (a failure is a warning) */
	(void)ct_model_update(&m->ct, snap, s);
	m->have_snap = 1;
	return 0;
}
