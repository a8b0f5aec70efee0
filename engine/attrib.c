#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "attrib.h"

/* One remembered socket. */
struct aent {
	uint64_t cookie;          /* 0: none */
	double seen;              /* monotonic time of the last sighting */
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t sport, dport;
	uint32_t owner;
	uint32_t tick;            /* sample of the last sighting */
	uint8_t family;
};

struct aown {
	struct sample_proc p;
	uint32_t refs;            /* entries naming it */
	uint32_t tick;            /* sample it was last interned in */
	uint32_t next_free;       /* free list: slot + 1 */
	uint8_t used;
};

struct attrib {
	size_t budget;
	uint32_t tick;
	double now;
	struct attrib_stats st;
	int full;                 /* nothing evictable until attrib_begin() */

	struct aent *ents;
	size_t nents, ents_cap, ents_max;
	uint32_t *ctab;           /* cookie -> entry + 1 */
	uint32_t *ttab;           /* 4-tuple -> newest entry + 1 */
	size_t tab_cap;           /* both tables; a power of two */

	struct aown *owns;
	size_t nowns, owns_cap, owns_max, owns_live;
	uint32_t owns_free;
	uint32_t *otab;           /* owner key -> owner + 1 */
	size_t otab_cap;
};

/* ---- hashing ----------------------------------------------------------- */

static size_t attrib_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (size_t)x;
}

static size_t attrib_tuple_hash(uint8_t family, const uint8_t *saddr,
				const uint8_t *daddr, uint16_t sport,
				uint16_t dport)
{
	uint64_t h = (uint64_t)sport << 32 | (uint64_t)dport << 16 | family, w;
	size_t i;

	/* A word at a time: it runs for every socket of every sample. */
	for (i = 0; i < 16; i += sizeof(w)) {
		memcpy(&w, saddr + i, sizeof(w));
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
		memcpy(&w, daddr + i, sizeof(w));
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
	}
	return attrib_mix(h);
}

static size_t attrib_ent_thash(const struct aent *e)
{
	return attrib_tuple_hash(e->family, e->saddr, e->daddr, e->sport,
				 e->dport);
}

static int attrib_tuple_eq(const struct aent *e, const struct sock_rec *s)
{
	return e->family == s->family && e->sport == s->sport &&
	       e->dport == s->dport && memcmp(e->saddr, s->saddr, 16) == 0 &&
	       memcmp(e->daddr, s->daddr, 16) == 0;
}

/* ---- open-addressing tables with backward-shift deletion ------------------ */

enum { TAB_COOKIE, TAB_TUPLE };

static size_t attrib_home(const struct attrib *a, int which, uint32_t v)
{
	const struct aent *e = &a->ents[v - 1];

	return which == TAB_COOKIE ? attrib_mix(e->cookie) : attrib_ent_thash(e);
}

static void attrib_tab_del(struct attrib *a, int which, size_t pos)
{
	uint32_t *tab = which == TAB_COOKIE ? a->ctab : a->ttab;
	size_t mask = a->tab_cap - 1, i = pos, j = pos;

	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!tab[j])
			break;
		k = attrib_home(a, which, tab[j]) & mask;
		/* the entry at j may stay if its home lies in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		tab[i] = tab[j];
		i = j;
	}
	tab[i] = 0;
}

/* Position of value v in a table, probing from its home; SIZE_MAX if absent. */
static size_t attrib_tab_pos(const struct attrib *a, int which, uint32_t v)
{
	const uint32_t *tab = which == TAB_COOKIE ? a->ctab : a->ttab;
	size_t mask = a->tab_cap - 1, h = attrib_home(a, which, v) & mask;

	while (tab[h]) {
		if (tab[h] == v)
			return h;
		h = (h + 1) & mask;
	}
	return SIZE_MAX;
}

static void attrib_cookie_put(struct attrib *a, uint32_t idx)
{
	size_t mask = a->tab_cap - 1;
	size_t h = attrib_mix(a->ents[idx].cookie) & mask;

	while (a->ctab[h])
		h = (h + 1) & mask;
	a->ctab[h] = idx + 1;
}

/* Point the 4-tuple at entry idx (the newest socket with it). */
static void attrib_tuple_put(struct attrib *a, uint32_t idx)
{
	const struct aent *e = &a->ents[idx];
	size_t mask = a->tab_cap - 1, h = attrib_ent_thash(e) & mask;

	while (a->ttab[h]) {
		const struct aent *o = &a->ents[a->ttab[h] - 1];

		if (o->family == e->family && o->sport == e->sport &&
		    o->dport == e->dport && memcmp(o->saddr, e->saddr, 16) == 0 &&
		    memcmp(o->daddr, e->daddr, 16) == 0)
			break;
		h = (h + 1) & mask;
	}
	a->ttab[h] = idx + 1;
}

static long attrib_find_cookie(const struct attrib *a, uint64_t cookie)
{
	size_t mask, h;

	if (!cookie || !a->tab_cap)
		return -1;
	mask = a->tab_cap - 1;
	for (h = attrib_mix(cookie) & mask; a->ctab[h]; h = (h + 1) & mask)
		if (a->ents[a->ctab[h] - 1].cookie == cookie)
			return (long)a->ctab[h] - 1;
	return -1;
}

static long attrib_find_tuple(const struct attrib *a, const struct sock_rec *s)
{
	size_t mask, h;

	if (!a->tab_cap)
		return -1;
	mask = a->tab_cap - 1;
	h = attrib_tuple_hash(s->family, s->saddr, s->daddr, s->sport,
			      s->dport) & mask;
	for (; a->ttab[h]; h = (h + 1) & mask)
		if (attrib_tuple_eq(&a->ents[a->ttab[h] - 1], s))
			return (long)a->ttab[h] - 1;
	return -1;
}

static void attrib_rehash(struct attrib *a)
{
	size_t i;

	memset(a->ctab, 0, a->tab_cap * sizeof(*a->ctab));
	memset(a->ttab, 0, a->tab_cap * sizeof(*a->ttab));
	for (i = 0; i < a->nents; i++) {
		if (a->ents[i].cookie)
			attrib_cookie_put(a, (uint32_t)i);
	}
	/* oldest first, so the newest socket of a 4-tuple ends up indexed */
	for (i = 0; i < a->nents; i++) {
		long cur;
		struct sock_rec k;

		memset(&k, 0, sizeof(k));
		memcpy(k.saddr, a->ents[i].saddr, 16);
		memcpy(k.daddr, a->ents[i].daddr, 16);
		k.sport = a->ents[i].sport;
		k.dport = a->ents[i].dport;
		k.family = a->ents[i].family;
		cur = attrib_find_tuple(a, &k);
		if (cur < 0 || a->ents[cur].tick <= a->ents[i].tick)
			attrib_tuple_put(a, (uint32_t)i);
	}
}

/* ---- memory ---------------------------------------------------------------- */

static size_t attrib_pow2(size_t n)
{
	size_t c = 64;

	while (c < n)
		c *= 2;
	return c;
}

static size_t attrib_bytes(const struct attrib *a)
{
	return a->ents_cap * sizeof(struct aent) +
	       2 * a->tab_cap * sizeof(uint32_t) +
	       a->owns_cap * sizeof(struct aown) +
	       a->otab_cap * sizeof(uint32_t);
}

/* Room for one more entry within ents_max: 0, or -ENOSPC / -ENOMEM. */
static int attrib_ents_room(struct attrib *a)
{
	size_t cap, tcap;
	void *q;

	if (a->nents < a->ents_cap)
		return 0;
	if (a->ents_cap >= a->ents_max)
		return -ENOSPC;
	cap = a->ents_cap ? a->ents_cap * 2 : 1024;
	if (cap > a->ents_max)
		cap = a->ents_max;
	q = realloc(a->ents, cap * sizeof(*a->ents));
	if (!q)
		return -ENOMEM;
	a->ents = q;
	a->ents_cap = cap;
	tcap = attrib_pow2(cap * 2);
	if (tcap != a->tab_cap) {
		uint32_t *c = calloc(tcap, sizeof(*c)), *t = calloc(tcap, sizeof(*t));

		if (!c || !t) {
			free(c);
			free(t);
			return -ENOMEM;
		}
		free(a->ctab);
		free(a->ttab);
		a->ctab = c;
		a->ttab = t;
		a->tab_cap = tcap;
		attrib_rehash(a);
	}
	return 0;
}

int attrib_new(struct attrib **out, size_t budget)
{
	struct attrib *a = calloc(1, sizeof(*a));
	size_t per_ent, ent_budget;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->budget = budget ? budget : ATTRIB_DEFAULT_BUDGET;
	/* 3/4 for sockets: an entry and its slots in two tables at a load of
	 * at most 1/2 (4 slots, rounded up to a power of two: 8 at worst);
	 * 1/4 for owners and their table. */
	per_ent = sizeof(struct aent) + 2 * 4 * sizeof(uint32_t);
	ent_budget = a->budget / 4 * 3;
	a->ents_max = ent_budget / per_ent;
	a->owns_max = (a->budget - ent_budget) /
		      (sizeof(struct aown) + 4 * sizeof(uint32_t));
	if (a->ents_max < 16 || a->owns_max < 4) {
		free(a);
		return -ENOMEM;   /* a budget too small to be useful */
	}
	*out = a;
	return 0;
}

void attrib_free(struct attrib *a)
{
	if (!a)
		return;
	free(a->ents);
	free(a->ctab);
	free(a->ttab);
	free(a->owns);
	free(a->otab);
	free(a);
}

void attrib_get_stats(const struct attrib *a, struct attrib_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!a)
		return;
	*st = a->st;
	st->entries = a->nents;
	st->owners = a->owns_live;
	st->bytes = attrib_bytes(a);
	st->budget = a->budget;
}

/* ---- owners ---------------------------------------------------------------- */

static size_t attrib_owner_hash(const struct sample_proc *p)
{
	if (p->pid)
		return attrib_mix((uint64_t)(uint32_t)p->pid << 32 ^
				  p->start_time * 0x9e3779b97f4a7c15ULL);
	return attrib_mix(((uint64_t)p->uid << 32 | 0x5bd1e995u) ^
			  p->cgroup_id * 0x9e3779b97f4a7c15ULL);
}

static int attrib_owner_eq(const struct sample_proc *x,
			   const struct sample_proc *y)
{
	if (x->pid != y->pid)
		return 0;
	if (x->pid)
		return x->start_time == y->start_time;
	return x->uid == y->uid && x->cgroup_id == y->cgroup_id;
}

static int attrib_otab_build(struct attrib *a, size_t cap)
{
	size_t i;

	if (cap != a->otab_cap) {
		void *q = realloc(a->otab, cap * sizeof(*a->otab));

		if (!q)
			return -ENOMEM;
		a->otab = q;
		a->otab_cap = cap;
	}
	memset(a->otab, 0, a->otab_cap * sizeof(*a->otab));
	for (i = 0; i < a->nowns; i++) {
		size_t h;

		if (!a->owns[i].used)
			continue;
		h = attrib_owner_hash(&a->owns[i].p) & (cap - 1);
		while (a->otab[h])
			h = (h + 1) & (cap - 1);
		a->otab[h] = (uint32_t)(i + 1);
	}
	return 0;
}

int attrib_owner_id(struct attrib *a, const struct sample_proc *p, uint32_t *id)
{
	struct aown *o;
	size_t h, mask;
	uint32_t slot;

	*id = ATTRIB_NONE;
	if (a->otab_cap) {
		mask = a->otab_cap - 1;
		for (h = attrib_owner_hash(p) & mask; a->otab[h];
		     h = (h + 1) & mask) {
			o = &a->owns[a->otab[h] - 1];
			if (attrib_owner_eq(&o->p, p)) {
				o->p = *p;
				o->tick = a->tick;
				*id = a->otab[h] - 1;
				return 0;
			}
		}
	}
	if (a->owns_live >= a->owns_max) {
		a->st.refused++;
		return -ENOSPC;
	}
	if (a->owns_free) {
		slot = a->owns_free - 1;
		a->owns_free = a->owns[slot].next_free;
	} else {
		if (a->nowns == a->owns_cap) {
			size_t cap = a->owns_cap ? a->owns_cap * 2 : 64;
			void *q;

			if (cap > a->owns_max)
				cap = a->owns_max;
			q = realloc(a->owns, cap * sizeof(*a->owns));
			if (!q)
				return -ENOMEM;
			a->owns = q;
			a->owns_cap = cap;
		}
		slot = (uint32_t)a->nowns++;
	}
	o = &a->owns[slot];
	memset(o, 0, sizeof(*o));
	o->p = *p;
	o->tick = a->tick;
	o->used = 1;
	a->owns_live++;
	if (a->owns_live * 2 > a->otab_cap) {
		if (attrib_otab_build(a, attrib_pow2(a->owns_live * 2 + 2))) {
			o->used = 0;
			a->owns_live--;
			o->next_free = a->owns_free;
			a->owns_free = slot + 1;
			return -ENOMEM;
		}
	} else {
		mask = a->otab_cap - 1;
		for (h = attrib_owner_hash(p) & mask; a->otab[h];
		     h = (h + 1) & mask)
			;
		a->otab[h] = slot + 1;
	}
	*id = slot;
	return 0;
}

const struct sample_proc *attrib_owner(const struct attrib *a, uint32_t id)
{
	if (!a || id >= a->nowns || !a->owns[id].used)
		return NULL;
	return &a->owns[id].p;
}

size_t attrib_owner_slots(const struct attrib *a)
{
	return a ? a->nowns : 0;
}

int attrib_owner_current(const struct attrib *a, uint32_t id)
{
	return a && id < a->nowns && a->owns[id].used &&
	       a->owns[id].tick == a->tick;
}

static void attrib_ref(struct attrib *a, uint32_t id, int delta)
{
	if (id < a->nowns && a->owns[id].used)
		a->owns[id].refs += (uint32_t)delta;
}

/* ---- entries ----------------------------------------------------------------- */

static void attrib_remove(struct attrib *a, uint32_t i)
{
	uint32_t last = (uint32_t)a->nents - 1;
	size_t pos;

	if (a->ents[i].cookie) {
		pos = attrib_tab_pos(a, TAB_COOKIE, i + 1);
		if (pos != SIZE_MAX)
			attrib_tab_del(a, TAB_COOKIE, pos);
	}
	pos = attrib_tab_pos(a, TAB_TUPLE, i + 1);
	if (pos != SIZE_MAX)
		attrib_tab_del(a, TAB_TUPLE, pos);
	attrib_ref(a, a->ents[i].owner, -1);
	if (i != last) {
		/* the last entry moves into the hole: repoint its slots */
		size_t cpos = a->ents[last].cookie ?
			      attrib_tab_pos(a, TAB_COOKIE, last + 1) : SIZE_MAX;
		size_t tpos = attrib_tab_pos(a, TAB_TUPLE, last + 1);

		a->ents[i] = a->ents[last];
		if (cpos != SIZE_MAX)
			a->ctab[cpos] = i + 1;
		if (tpos != SIZE_MAX)
			a->ttab[tpos] = i + 1;
	}
	a->nents--;
}

static int attrib_keep(const struct attrib *a, const struct aent *e)
{
	return a->tick - e->tick <= ATTRIB_KEEP_SAMPLES ||
	       a->now - e->seen <= ATTRIB_MAX_AGE_S;
}

void attrib_begin(struct attrib *a, double now)
{
	size_t i;
	int freed = 0;

	a->tick++;
	a->now = now;
	a->full = 0;
	a->st.refused_now = 0;
	for (i = a->nents; i-- > 0;)
		if (!attrib_keep(a, &a->ents[i])) {
			attrib_remove(a, (uint32_t)i);
			a->st.aged++;
		}
	for (i = 0; i < a->nowns; i++) {
		struct aown *o = &a->owns[i];

		if (o->used && o->refs == 0) {
			o->used = 0;
			o->next_free = a->owns_free;
			a->owns_free = (uint32_t)i + 1;
			a->owns_live--;
			freed = 1;
		}
	}
	if (freed)
		attrib_otab_build(a, a->otab_cap);   /* same size: cannot fail */
}

/*
 * Make room by evicting the entries seen longest ago (never those of the
 * current sample): about an eighth of the history at a time, so the
 * O(n) passes are rare. 0 when there is room.
 */
static int attrib_evict(struct attrib *a)
{
	size_t target = a->ents_max - a->ents_max / 8;

	/* Entries only ever become current within a sample: once a pass found
	 * none older, rescanning for every new socket would be quadratic. */
	if (a->full)
		return -ENOSPC;
	while (a->nents > target) {
		uint32_t oldest = a->tick;
		size_t i;

		a->st.evict_scans++;
		for (i = 0; i < a->nents; i++)
			if (a->ents[i].tick < oldest)
				oldest = a->ents[i].tick;
		if (oldest == a->tick) {
			a->full = 1;
			break;
		}
		for (i = a->nents; i-- > 0;)
			if (a->ents[i].tick == oldest) {
				attrib_remove(a, (uint32_t)i);
				a->st.evicted++;
			}
	}
	return a->nents < a->ents_max ? 0 : -ENOSPC;
}

static void attrib_touch(struct attrib *a, struct aent *e)
{
	e->tick = a->tick;
	e->seen = a->now;
}

int attrib_note(struct attrib *a, const struct sock_rec *s, uint32_t owner)
{
	struct aent *e;
	long i = -1;
	int err;

	if (s->proto != IPPROTO_TCP || s->dport == 0 || owner == ATTRIB_NONE ||
	    !attrib_owner(a, owner))
		return 0;
	if (s->cookie)
		i = attrib_find_cookie(a, s->cookie);
	if (i < 0) {
		/* a cookie-less entry of the same 4-tuple is this socket */
		long t = attrib_find_tuple(a, s);

		if (t >= 0 && (a->ents[t].cookie == 0 || s->cookie == 0)) {
			i = t;
			if (s->cookie) {
				a->ents[t].cookie = s->cookie;
				attrib_cookie_put(a, (uint32_t)t);
			}
		}
	}
	if (i >= 0) {
		e = &a->ents[i];
		if (e->owner != owner) {
			attrib_ref(a, e->owner, -1);
			attrib_ref(a, owner, 1);
			e->owner = owner;
		}
		if (!attrib_tuple_eq(e, s)) {
			/* the socket connected since: re-index its 4-tuple */
			size_t pos = attrib_tab_pos(a, TAB_TUPLE, (uint32_t)i + 1);

			if (pos != SIZE_MAX)
				attrib_tab_del(a, TAB_TUPLE, pos);
			memcpy(e->saddr, s->saddr, 16);
			memcpy(e->daddr, s->daddr, 16);
			e->sport = s->sport;
			e->dport = s->dport;
			e->family = s->family;
			attrib_tuple_put(a, (uint32_t)i);
		}
		attrib_touch(a, e);
		return 0;
	}
	err = attrib_ents_room(a);
	if (err == -ENOSPC && attrib_evict(a) == 0)
		err = 0;
	if (err == -ENOSPC) {
		a->st.refused++;
		a->st.refused_now++;
		return 1;
	}
	if (err)
		return err;
	e = &a->ents[a->nents];
	memset(e, 0, sizeof(*e));
	e->cookie = s->cookie;
	memcpy(e->saddr, s->saddr, 16);
	memcpy(e->daddr, s->daddr, 16);
	e->sport = s->sport;
	e->dport = s->dport;
	e->family = s->family;
	e->owner = owner;
	attrib_touch(a, e);
	attrib_ref(a, owner, 1);
	a->nents++;
	if (e->cookie)
		attrib_cookie_put(a, (uint32_t)a->nents - 1);
	attrib_tuple_put(a, (uint32_t)a->nents - 1);
	return 0;
}

uint32_t attrib_lookup(struct attrib *a, const struct sock_rec *s)
{
	struct aent *e;
	long i = -1;

	if (s->proto != IPPROTO_TCP)
		return ATTRIB_NONE;
	if (s->cookie)
		i = attrib_find_cookie(a, s->cookie);
	if (i < 0) {
		i = attrib_find_tuple(a, s);
		/* two different cookies are two different sockets */
		if (i >= 0 && a->ents[i].cookie && s->cookie &&
		    a->ents[i].cookie != s->cookie)
			i = -1;
	}
	if (i < 0)
		return ATTRIB_NONE;
	e = &a->ents[i];
	if (!e->cookie && s->cookie) {
		e->cookie = s->cookie;
		attrib_cookie_put(a, (uint32_t)i);
	}
	attrib_touch(a, e);
	return e->owner;
}
