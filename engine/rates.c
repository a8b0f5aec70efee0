#include "config.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "array.h"
#include "rates.h"

/* Longest interval rates are computed over; a longer gap (a suspended
 * process, a replay jump) restarts the baseline instead. */
#define RATES_MAX_INTERVAL_S 86400.0
/* Radix sort buckets: 16 bits a pass (ms left <= 60000 fits one). */
#define RATES_RADIX 65536u
/* Two times closer than this are the same instant (seconds). */
#define RATES_SAME_TIME 1e-6

struct rate_ent {
	struct ev_key key;
	double close_ewma;
	double tw_ewma;
	double new_ewma;
	double t_last;       /* end of the last interval applied, NAN if none */
	uint32_t live;       /* live sockets at t_last */
	uint32_t pending;    /* closes of the current interval (exact) */
	uint32_t pending_gen;
	uint32_t seen_gen;   /* interval in which it was last applied */
	uint32_t backlog;    /* entries counted as closes whose destroy
				events have not come yet (events lag) */
	int init;            /* the averages hold a value */
};

struct rates {
	double tau;
	int have_prev;
	double prev_mono;
	struct netstat_vals prev_net;
	double estimated_until;   /* rates stay "estimated" until then */
	uint32_t gen;

	struct rate_ent *ents;
	size_t nents, ents_cap;
	uint32_t *htab;           /* index into ents + 1, 0 = empty */
	size_t hcap;              /* power of two, or 0 */

	/* scratch, per destination of the snapshot */
	uint32_t *tw_new;
	size_t tw_new_cap;
	double *frate;            /* port-holding close rate per second */
	size_t frate_cap;
	uint64_t *pairs;          /* dest index << 16 | ms left */
	size_t pairs_cap;
	uint64_t *pairs_tmp;      /* radix sort buffer */
	size_t pairs_tmp_cap;
	uint32_t *radix_count;    /* RATES_RADIX buckets */
	size_t radix_count_cap;
	/* cookies of the previous sample's closed_here() sockets: an open
	 * addressing set (0 = empty; cookie 0 is never stored) */
	uint64_t *tw_set;
	size_t tw_set_cap;        /* power of two, or 0 */
	size_t tw_set_used;       /* slots in use (a power of two) */
	int tw_set_ok;            /* the set holds the previous sample */
	uint32_t *left;
	size_t left_cap;
};

/* ---- pure functions ------------------------------------------------------ */

double rates_ewma(double prev, double value, double dt, double tau)
{
	double a;

	if (!(dt > 0) || !(tau > 0))
		return prev;
	a = 1.0 - exp(-dt / tau);
	return prev + a * (value - prev);
}

double rates_forecast_eta(double available, double rate, double hold_s,
			  const uint32_t *left_ms, size_t n)
{
	size_t k = 0;

	if (!(available > 0))
		return 0.0;
	if (!(rate > 0) || !(hold_s > 0) || !isfinite(rate))
		return SNAP_NO_ETA;
	/*
	 * free(t) = available + (holders freed by t) - rate * min(t, hold_s):
	 * linear between expiries, jumping up at each. Walk the segments;
	 * past hold_s it only grows, so a zero is found by then or never.
	 */
	for (;;) {
		double t_next = k < n ? left_ms[k] / 1000.0 : HUGE_VAL;
		double t_zero = (available + (double)k) / rate;

		if (t_zero <= hold_s && t_zero < t_next)
			return t_zero;
		if (t_next >= hold_s || k >= n)
			return SNAP_NO_ETA;
		k++;
	}
}

/* ---- per-destination state ------------------------------------------------ */

int rates_new(struct rates **out, double tau)
{
	struct rates *r;

	*out = NULL;
	if (!(tau > 0) || !isfinite(tau))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->tau = tau;
	*out = r;
	return 0;
}

void rates_free(struct rates *r)
{
	if (!r)
		return;
	free(r->ents);
	free(r->htab);
	free(r->tw_new);
	free(r->frate);
	free(r->pairs);
	free(r->pairs_tmp);
	free(r->radix_count);
	free(r->tw_set);
	free(r->left);
	free(r);
}

static int rate_key_eq(const struct ev_key *a, const struct ev_key *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->dport == b->dport &&
	       memcmp(a->saddr, b->saddr, 16) == 0 &&
	       memcmp(a->daddr, b->daddr, 16) == 0;
}

static uint32_t rate_key_hash(const struct ev_key *k)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ k->saddr[i]) * 16777619u;
	for (i = 0; i < 16; i++)
		h = (h ^ k->daddr[i]) * 16777619u;
	h = (h ^ (k->dport & 0xff)) * 16777619u;
	h = (h ^ (k->dport >> 8)) * 16777619u;
	h = (h ^ k->family) * 16777619u;
	h = (h ^ k->proto) * 16777619u;
	return h ^ (h >> 15);
}

static void rates_rehash(struct rates *r)
{
	size_t mask = r->hcap - 1, i;

	memset(r->htab, 0, r->hcap * sizeof(*r->htab));
	for (i = 0; i < r->nents; i++) {
		size_t j = rate_key_hash(&r->ents[i].key) & mask;

		while (r->htab[j])
			j = (j + 1) & mask;
		r->htab[j] = (uint32_t)(i + 1);
	}
}

static void rates_reset(struct rates *r)
{
	r->nents = 0;
	if (r->htab)
		memset(r->htab, 0, r->hcap * sizeof(*r->htab));
	r->have_prev = 0;
	r->estimated_until = 0;
	r->tw_set_ok = 0;
}

/* The entry for k, created if new; NULL on allocation failure. */
static struct rate_ent *rates_lookup(struct rates *r, const struct ev_key *k)
{
	uint32_t h = rate_key_hash(k);
	struct rate_ent *e;
	size_t mask, j;

	if (r->hcap) {
		mask = r->hcap - 1;
		for (j = h & mask; r->htab[j]; j = (j + 1) & mask)
			if (rate_key_eq(&r->ents[r->htab[j] - 1].key, k))
				return &r->ents[r->htab[j] - 1];
	}
	if (r->nents >= UINT32_MAX - 1)
		return NULL;
	if (r->nents + 1 > r->ents_cap) {
		size_t ncap = r->ents_cap ? r->ents_cap * 2 : 64;
		struct rate_ent *v = realloc(r->ents, ncap * sizeof(*v));

		if (!v)
			return NULL;
		r->ents = v;
		r->ents_cap = ncap;
	}
	if ((r->nents + 1) * 2 > r->hcap) {
		size_t ncap = r->hcap ? r->hcap * 2 : 256;
		uint32_t *t = realloc(r->htab, ncap * sizeof(*t));

		if (!t)
			return NULL;
		r->htab = t;
		r->hcap = ncap;
		rates_rehash(r);
	}
	mask = r->hcap - 1;
	for (j = h & mask; r->htab[j]; j = (j + 1) & mask)
		;
	e = &r->ents[r->nents++];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->t_last = NAN;
	r->htab[j] = (uint32_t)r->nents;
	return e;
}

/* Drop destinations not seen for RATES_FORGET_S (their averages have
 * decayed below 0.3% by then). */
static void rates_forget(struct rates *r, double now)
{
	size_t i, n = 0;

	for (i = 0; i < r->nents; i++) {
		struct rate_ent *e = &r->ents[i];

		if (isfinite(e->t_last) && now - e->t_last > RATES_FORGET_S)
			continue;
		if (n != i)
			r->ents[n] = *e;
		n++;
	}
	if (n != r->nents) {
		r->nents = n;
		rates_rehash(r);
	}
}

static void key_of_dest(const struct snap_dest *d, struct ev_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->saddr, d->saddr, d->family == AF_INET ? 4 : 16);
	memcpy(k->daddr, d->daddr, d->family == AF_INET ? 4 : 16);
	k->dport = d->dport;
	k->family = d->family;
	k->proto = d->proto;
}

struct rate_out {
	double close_last;
	double close_rate;
	double tw_rate;
	double new_rate;
};

/* Apply one interval [t0, t1] to an entry. */
static void rates_observe(struct rates *r, struct rate_ent *e, uint32_t closes,
			  uint32_t tw_new, uint32_t live, double t0, double t1,
			  struct rate_out *out)
{
	double dt = t1 - t0, prev_live = 0, opened, c, w, nw;

	if (isfinite(e->t_last) && fabs(e->t_last - t0) < RATES_SAME_TIME) {
		prev_live = e->live;
	} else if (e->init && isfinite(e->t_last) && e->t_last < t0) {
		/* Gone for a while (no sockets, no closes): decay by the gap. */
		double f = exp(-(t0 - e->t_last) / r->tau);

		e->close_ewma *= f;
		e->tw_ewma *= f;
		e->new_ewma *= f;
	}
	c = closes / dt;
	w = tw_new / dt;
	opened = (double)live - prev_live + (double)closes;
	nw = opened > 0 ? opened / dt : 0.0;
	if (!e->init) {
		/* The first interval seen is the best estimate there is. */
		e->close_ewma = c;
		e->tw_ewma = w;
		e->new_ewma = nw;
		e->init = 1;
	} else {
		e->close_ewma = rates_ewma(e->close_ewma, c, dt, r->tau);
		e->tw_ewma = rates_ewma(e->tw_ewma, w, dt, r->tau);
		e->new_ewma = rates_ewma(e->new_ewma, nw, dt, r->tau);
	}
	e->live = live;
	e->t_last = t1;
	e->seen_gen = r->gen;
	out->close_last = c;
	out->close_rate = e->close_ewma;
	out->tw_rate = e->tw_ewma;
	out->new_rate = e->new_ewma;
}

/*
 * The closes of one interval toward one destination, each counted once
 * by whichever evidence comes first. A new closed_here() socket is a
 * close as soon as the dump shows it; its destroy event, which comes
 * later (events lag: the kernel sends them from a work queue, and a
 * socket not yet close()d sends none), then only pays off the backlog of
 * such entries. Events beyond the backlog are closes without a TIME_WAIT
 * entry here (the peer closed first). Without whole events, the new
 * entries alone, and the backlog waits for events that may still come.
 * The backlog never exceeds the entries there are (expired ones wait for
 * nothing).
 */
static uint32_t rates_closes(struct rate_ent *e, uint32_t events, int exact,
			     uint32_t tw_new, uint32_t held)
{
	uint64_t waiting = (uint64_t)e->backlog + tw_new, closes = tw_new;

	if (exact) {
		uint64_t matched = events < waiting ? events : waiting;

		closes += events - matched;
		waiting -= matched;
	}
	e->backlog = (uint32_t)(waiting < held ? waiting : held);
	return closes > UINT32_MAX ? UINT32_MAX : (uint32_t)closes;
}

/* ---- snapshot ------------------------------------------------------------- */

static int rates_reserve(struct rates *r, size_t ndests, size_t nsocks)
{
	if (array_grow(&r->tw_new, &r->tw_new_cap, ndests + 1, sizeof(uint32_t)) ||
	    array_grow(&r->frate, &r->frate_cap, ndests + 1, sizeof(double)) ||
	    array_grow(&r->pairs, &r->pairs_cap, nsocks + 1, sizeof(uint64_t)) ||
	    array_grow(&r->pairs_tmp, &r->pairs_tmp_cap, nsocks + 1, sizeof(uint64_t)) ||
	    array_grow(&r->radix_count, &r->radix_count_cap, RATES_RADIX, sizeof(uint32_t)) ||
	    array_grow(&r->left, &r->left_cap, nsocks + 1, sizeof(uint32_t)))
		return -ENOMEM;
	return 0;
}

static void snap_rates_clear(struct snapshot *snap)
{
	size_t i;

	snap->rates_source = SNAP_RATES_NONE;
	snap->rates_estimated = 0;
	snap->events_lost = 0;
	snap->rates_interval_s = 0;
	snap->close_events = 0;
	snap->active_opens_rate = NAN;
	snap->tw_recycled = -1;
	snap->tw_overflow = -1;
	for (i = 0; snap->dests && i < snap->ndests; i++) {
		struct snap_dest *d = &snap->dests[i];

		d->close_rate = 0;
		d->close_rate_last = 0;
		d->tw_rate = 0;
		d->new_rate = 0;
		d->closes = 0;
		d->eta_s = SNAP_NO_ETA;
	}
}

/* Live: not closed by this host yet (closed_here() is not live). */
static uint32_t dest_live(const struct snap_dest *d)
{
	uint32_t gone = d->states[SOCK_TIME_WAIT] + d->states[SOCK_FIN_WAIT2];

	return d->sockets > gone ? d->sockets - gone : 0;
}

/* A socket this host closed first: TIME_WAIT, or FIN_WAIT2 on its way
 * there (an orphan's FIN_WAIT2 entry becomes its TIME_WAIT entry, with
 * the same cookie). */
static int closed_here(const struct sock_rec *k)
{
	return k->state == SOCK_TIME_WAIT || k->state == SOCK_FIN_WAIT2;
}

static size_t tw_slot(uint64_t cookie, size_t mask)
{
	/* Fibonacci hashing: cookies are often sequential. */
	return (size_t)((cookie * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

/*
 * Remember the cookies of this snapshot's closed_here() sockets toward
 * its destinations: the next sample counts as new the ones not among
 * them. A set, not a sorted list: building and probing it is linear in
 * the sockets. Without memory the set is marked unusable and the next
 * sample falls back to the entries' ages.
 */
static void rates_keep_tw(struct rates *r, const struct snapshot *snap)
{
	size_t i, n = 0, need = 64, mask;

	for (i = 0; snap->socks && snap->sock_dest && i < snap->nsocks; i++)
		if (snap->sock_dest[i] != SNAP_NO_DEST &&
		    closed_here(&snap->socks[i]) && snap->socks[i].cookie != 0)
			n++;
	while (need < 2 * n)
		need *= 2;
	r->tw_set_ok = 0;
	if (need > r->tw_set_cap) {
		uint64_t *t = realloc(r->tw_set, need * sizeof(*t));

		if (!t)
			return;
		r->tw_set = t;
		r->tw_set_cap = need;
	}
	/* Only `need` slots are used (and cleared), whatever was
	 * allocated for a larger sample before. */
	memset(r->tw_set, 0, need * sizeof(*r->tw_set));
	mask = need - 1;
	for (i = 0; snap->socks && snap->sock_dest && i < snap->nsocks; i++) {
		uint64_t c = snap->socks[i].cookie;
		size_t j;

		if (snap->sock_dest[i] == SNAP_NO_DEST ||
		    !closed_here(&snap->socks[i]) || c == 0)
			continue;
		for (j = tw_slot(c, mask); r->tw_set[j] && r->tw_set[j] != c;
		     j = (j + 1) & mask)
			;
		r->tw_set[j] = c;
	}
	r->tw_set_used = need;
	r->tw_set_ok = 1;
}

static int rates_was_tw(const struct rates *r, uint64_t cookie)
{
	size_t mask = r->tw_set_used - 1, j;

	for (j = tw_slot(cookie, mask); r->tw_set[j]; j = (j + 1) & mask)
		if (r->tw_set[j] == cookie)
			return 1;
	return 0;
}

/* Record live counts as the baseline of the next interval. */
static int rates_baseline(struct rates *r, const struct snapshot *snap,
			  const struct sample *s)
{
	size_t i;

	rates_reset(r);
	for (i = 0; snap->dests && i < snap->ndests; i++) {
		struct ev_key k;
		struct rate_ent *e;

		key_of_dest(&snap->dests[i], &k);
		e = rates_lookup(r, &k);
		if (!e)
			return -ENOMEM;
		e->live = dest_live(&snap->dests[i]);
		e->t_last = s->mono;
	}
	if (rates_reserve(r, snap->ndests, snap->nsocks) < 0)
		return -ENOMEM;
	rates_keep_tw(r, snap);
	r->have_prev = 1;
	r->prev_mono = s->mono;
	r->prev_net = s->net;
	return 0;
}

static int64_t counter_delta(const struct netstat_vals *a,
			     const struct netstat_vals *b, unsigned bit,
			     uint64_t va, uint64_t vb)
{
	if (!(a->known & bit) || !(b->known & bit) || vb < va ||
	    vb - va > (uint64_t)INT64_MAX)
		return -1;   /* unknown, or reset (another netns?) */
	return (int64_t)(vb - va);
}

/* Would connect() reuse TIME_WAIT toward d (tcp_twsk_unique)? */
static int reuse_applies(const struct sysctl_vals *sys, const struct snap_dest *d)
{
	if (sys->tcp_timestamps == 0)
		return 0;
	if (sys->tcp_tw_reuse == 1)
		return 1;
	return sys->tcp_tw_reuse == 2 &&
	       (sock_addr_is_loopback(d->family, d->saddr) ||
		sock_addr_is_loopback(d->family, d->daddr) || d->reusable > 0);
}

static uint32_t reuse_hold_ms(const struct sysctl_vals *sys)
{
	int ms = sys->tcp_tw_reuse_delay_ms;

	if (ms < 0)
		return 0;
	return (uint32_t)ms < RATES_TIMEWAIT_MS ? (uint32_t)ms : RATES_TIMEWAIT_MS;
}

/* Ports free for connect() toward d now, and how long a new TIME_WAIT
 * entry holds its port (seconds). */
static double dest_free_now(const struct sysctl_vals *sys,
			    const struct snap_dest *d, double *hold_s)
{
	if (reuse_applies(sys, d)) {
		*hold_s = reuse_hold_ms(sys) / 1000.0;
		return d->available;   /* reusable entries are part of it */
	}
	*hold_s = RATES_TIMEWAIT_MS / 1000.0;
	return d->available;
}

/*
 * Sort n keys by LSD radix, 16 bits a pass, as many passes as the largest
 * key needs (tmp and count have room: rates_reserve()). Linear: the
 * forecast sorts every TIME_WAIT entry of a churning host each sample.
 */
static void rates_radix_sort(struct rates *r, uint64_t *v, size_t n)
{
	uint64_t max = 0, *src = v, *dst = r->pairs_tmp, *t;
	unsigned shift;
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	for (shift = 0; shift < 64 && (shift == 0 || (max >> shift)); shift += 16) {
		uint32_t sum = 0;

		memset(r->radix_count, 0, RATES_RADIX * sizeof(uint32_t));
		for (i = 0; i < n; i++)
			r->radix_count[(src[i] >> shift) & (RATES_RADIX - 1)]++;
		for (i = 0; i < RATES_RADIX; i++) {
			uint32_t c = r->radix_count[i];

			r->radix_count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[r->radix_count[(src[i] >> shift) & (RATES_RADIX - 1)]++] =
				src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
}

/*
 * eta_s of every destination at its port-holding close rate, from
 * its TIME_WAIT entries' time left. Only entries on usable, not owned
 * ports hold a port `available` counts.
 */
static void rates_forecast(struct rates *r, struct snapshot *snap)
{
	const struct sysctl_vals *sys = &snap->sys;
	size_t np = 0, i, j;

	for (i = 0; snap->socks && i < snap->nsocks; i++) {
		const struct sock_rec *s = &snap->socks[i];
		uint32_t di = snap->sock_dest ? snap->sock_dest[i] : SNAP_NO_DEST;
		uint32_t left = s->expires_ms;

		if (di == SNAP_NO_DEST || di >= snap->ndests ||
		    !(r->frate[di] > 0) || s->state != SOCK_TIME_WAIT)
			continue;
		if (snap->usable_map && !snap_bit(snap->usable_map, s->sport))
			continue;
		if (snap->owned_map && snap_bit(snap->owned_map, s->sport))
			continue;
		if (left > RATES_TIMEWAIT_MS)
			left = RATES_TIMEWAIT_MS;
		if (reuse_applies(sys, &snap->dests[di])) {
			uint32_t hold = reuse_hold_ms(sys);

			/* Reusable once older than the delay. */
			if (left < RATES_TIMEWAIT_MS - hold)
				continue;   /* counted in reusable already */
			left -= RATES_TIMEWAIT_MS - hold;
		}
		r->pairs[np++] = (uint64_t)di << 16 | left;
	}
	rates_radix_sort(r, r->pairs, np);

	j = 0;
	for (i = 0; i < snap->ndests; i++) {
		struct snap_dest *d = &snap->dests[i];
		size_t n = 0;
		double hold, avail = dest_free_now(sys, d, &hold);

		while (j < np && (r->pairs[j] >> 16) < i)
			j++;
		while (j < np && (r->pairs[j] >> 16) == i)
			r->left[n++] = (uint32_t)(r->pairs[j++] & 0xffffu);
		d->eta_s = rates_forecast_eta(avail, r->frate[i], hold, r->left, n);
	}
}

static void rates_warn(struct snapshot *snap, const struct sample *s)
{
	if (s->events == SAMPLE_EV_LOST)
		snapshot_warn(snap, "destroy events lost (event queue overrun): "
			      "rates of the last %.1f s estimated from new "
			      "TIME_WAIT entries", snap->rates_interval_s);
	else if (s->events == SAMPLE_EV_NONE)
		snapshot_warn(snap, "destroy events unavailable: rates estimated "
			      "from new TIME_WAIT entries");
	else if (snap->npid_filter)
		snapshot_warn(snap, "with -p, close rates are estimated from the "
			      "processes' new TIME_WAIT entries");
	else if (snap->rates_source == SNAP_RATES_ESTIMATED)
		snapshot_warn(snap, "destroy events missing for part of the "
			      "interval: rates estimated from new TIME_WAIT "
			      "entries");
}

int rates_apply(struct rates *r, struct snapshot *snap, const struct sample *s)
{
	double t0, t1, dt;
	size_t i;
	int exact;

	snap_rates_clear(snap);
	if (!r || !s)
		return -EINVAL;
	t1 = s->mono;
	dt = r->have_prev ? t1 - r->prev_mono : 0;
	if (!r->have_prev || !(dt > RATES_SAME_TIME) ||
	    dt > RATES_MAX_INTERVAL_S) {
		if (rates_baseline(r, snap, s) < 0)
			goto nomem;
		/* No rate yet, but a destination with nothing left is
		 * exhausted now. */
		for (i = 0; snap->dests && i < snap->ndests; i++) {
			double hold;

			if (!(dest_free_now(&snap->sys, &snap->dests[i], &hold) > 0))
				snap->dests[i].eta_s = 0;
		}
		return 0;
	}
	t0 = r->prev_mono;
	if (rates_reserve(r, snap->ndests, snap->nsocks) < 0)
		goto nomem;

	/* Exact only when the events cover the whole interval, and not with
	 * -p: destroy events carry no owner, so they would count every
	 * process's closes; the filtered sockets' new TIME_WAIT entries do
	 * not. */
	exact = s->events == SAMPLE_EV_EXACT &&
		fabs(s->events_since - t0) < 1e-3 && snap->npid_filter == 0;
	r->gen++;
	snap->rates_source = exact ? SNAP_RATES_EXACT : SNAP_RATES_ESTIMATED;
	snap->events_lost = s->events == SAMPLE_EV_LOST;
	snap->rates_interval_s = dt;
	snap->close_events = s->closes.events;
	if (!exact)
		r->estimated_until = t1 + r->tau;
	snap->rates_estimated = !exact || t1 < r->estimated_until;

	if (r->prev_net.known & s->net.known & NETSTAT_K_ACTIVE_OPENS) {
		int64_t d = counter_delta(&r->prev_net, &s->net,
					  NETSTAT_K_ACTIVE_OPENS,
					  r->prev_net.active_opens,
					  s->net.active_opens);

		if (d >= 0)
			snap->active_opens_rate = (double)d / dt;
	}
	snap->tw_recycled = counter_delta(&r->prev_net, &s->net,
					  NETSTAT_K_TW_RECYCLED,
					  r->prev_net.tw_recycled,
					  s->net.tw_recycled);
	snap->tw_overflow = counter_delta(&r->prev_net, &s->net,
					  NETSTAT_K_TW_OVERFLOW,
					  r->prev_net.tw_overflow,
					  s->net.tw_overflow);

	/* Exact closes, per key (destinations present or not). */
	if (exact) {
		for (i = 0; i < s->closes.len; i++) {
			const struct ev_count *c = &s->closes.v[i];
			struct rate_ent *e;

			if (c->key.proto != IPPROTO_TCP)
				continue;   /* the model's destinations are TCP */
			e = rates_lookup(r, &c->key);
			if (!e)
				goto nomem;
			if (e->pending_gen != r->gen)
				e->pending = 0;
			e->pending_gen = r->gen;
			e->pending = c->closes > UINT32_MAX - e->pending ?
				     UINT32_MAX : e->pending + c->closes;
		}
	}

	/*
	 * New closed_here() sockets: not in the previous sample (by cookie:
	 * an entry keeps its cookie from dump to dump, so a dump that took
	 * long or a late sample cannot count one twice); a TIME_WAIT entry
	 * without a cookie is new when younger than the interval.
	 */
	memset(r->tw_new, 0, snap->ndests * sizeof(*r->tw_new));
	for (i = 0; snap->socks && i < snap->nsocks; i++) {
		const struct sock_rec *k = &snap->socks[i];
		uint32_t di = snap->sock_dest ? snap->sock_dest[i] : SNAP_NO_DEST;
		double age;

		if (di == SNAP_NO_DEST || di >= snap->ndests || !closed_here(k))
			continue;
		if (k->cookie != 0 && r->tw_set_ok) {
			if (!rates_was_tw(r, k->cookie))
				r->tw_new[di]++;
			continue;
		}
		if (k->state != SOCK_TIME_WAIT)
			continue;
		age = k->expires_ms >= RATES_TIMEWAIT_MS ? 0.0 :
		      (RATES_TIMEWAIT_MS - k->expires_ms) / 1000.0;
		if (age < dt)
			r->tw_new[di]++;
	}

	for (i = 0; i < snap->ndests; i++) {
		struct snap_dest *d = &snap->dests[i];
		struct rate_out o;
		struct rate_ent *e;
		struct ev_key k;
		uint32_t closes;

		key_of_dest(d, &k);
		e = rates_lookup(r, &k);
		if (!e)
			goto nomem;
		closes = rates_closes(e, exact && e->pending_gen == r->gen ?
					 e->pending : 0, exact, r->tw_new[i],
				      d->states[SOCK_TIME_WAIT] +
				      d->states[SOCK_FIN_WAIT2]);
		rates_observe(r, e, closes, r->tw_new[i], dest_live(d), t0, t1, &o);
		d->closes = closes;
		d->close_rate_last = o.close_last;
		d->close_rate = o.close_rate;
		d->tw_rate = o.tw_rate;
		d->new_rate = o.new_rate;
		/* Closes that leave TIME_WAIT here hold ports; the peer's
		 * closes do not. */
		r->frate[i] = o.close_rate < o.tw_rate ? o.close_rate : o.tw_rate;
	}
	/* Closes toward destinations with no socket left keep their
	 * averages going, for when they come back. */
	for (i = 0; exact && i < r->nents; i++) {
		struct rate_ent *e = &r->ents[i];
		struct rate_out o;

		if (e->pending_gen == r->gen && e->seen_gen != r->gen)
			rates_observe(r, e, rates_closes(e, e->pending, 1, 0, 0),
				      0, 0, t0, t1, &o);
	}

	rates_forecast(r, snap);
	rates_keep_tw(r, snap);
	rates_forget(r, t1);
	rates_warn(snap, s);
	r->prev_mono = t1;
	r->prev_net = s->net;
	return 0;

nomem:
	snap_rates_clear(snap);
	rates_reset(r);
	snapshot_warn(snap, "out of memory: no rates for this sample");
	return -ENOMEM;
}
