#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model.h"
#include "radix.h"
#include "sampler.h"
#include "sock.h"
#include "sysctl.h"

/*
 * Unit tests of the model on hand-built samples. Every expected number is
 * derived in the comments from the definitions in model.h and the kernel
 * rules the model follows (docs/model.md).
 */

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
/* TIME_WAIT lasts 60 s on Linux (TCP_TIMEWAIT_LEN). */
#define TW_LEN_MS 60000u

/* ---- fixture and builders ------------------------------------------------ */

struct fx {
	struct model *m;
	struct sample s;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (model_new(&f->m) != 0) {
		free(f);
		return -1;
	}
	sample_init(&f->s);
	f->s.time = 1700000000.0;
	f->s.mono = 100.0;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	model_free(f->m);
	sample_release(&f->s);
	free(f);
	return 0;
}

/* Range low-high read from the kernel, reserved list read and empty. */
static void set_range(struct sample *s, unsigned low, unsigned high)
{
	sysctl_defaults(&s->sys);
	s->sys.port_low = low;
	s->sys.port_high = high;
	s->sys.known |= SYSCTL_K_RANGE | SYSCTL_K_RESERVED;
}

static void reserve(struct sample *s, unsigned low, unsigned high)
{
	unsigned p;

	for (p = low; p <= high; p++)
		s->sys.reserved[p >> 3] |= (uint8_t)(1u << (p & 7));
}

static uint8_t addr_parse(const char *txt, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, txt, out) == 1)
		return AF_INET;
	assert_int_equal(inet_pton(AF_INET6, txt, out), 1);
	return AF_INET6;
}

static struct sock_rec rec(uint8_t proto, const char *saddr, unsigned sport,
			   const char *daddr, unsigned dport, unsigned state)
{
	struct sock_rec r;
	uint8_t fd;

	memset(&r, 0, sizeof(r));
	r.family = addr_parse(saddr, r.saddr);
	fd = addr_parse(daddr, r.daddr);
	assert_int_equal(r.family, fd);
	r.proto = proto;
	r.sport = (uint16_t)sport;
	r.dport = (uint16_t)dport;
	r.state = (uint8_t)state;
	return r;
}

static void push(struct sample *s, const struct sock_rec *r)
{
	assert_int_equal(sockvec_push(&s->socks, r), 0);
}

static void add(struct sample *s, uint8_t proto, const char *saddr,
		unsigned sport, const char *daddr, unsigned dport,
		unsigned state)
{
	struct sock_rec r = rec(proto, saddr, sport, daddr, dport, state);

	push(s, &r);
}

static const struct snapshot *update(struct fx *f)
{
	const struct snapshot *snap;

	assert_int_equal(model_update(f->m, &f->s), 0);
	snap = model_snapshot(f->m);
	assert_non_null(snap);
	return snap;
}

static int key_eq(uint8_t fam, const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, fam == AF_INET ? 4 : 16) == 0;
}

/* The one destination with this key, or NULL. */
static const struct snap_dest *find_dest(const struct snapshot *snap,
					 uint8_t proto, const char *saddr,
					 const char *daddr, unsigned dport)
{
	const struct snap_dest *found = NULL;
	uint8_t sa[16], da[16], fam;
	size_t i;

	fam = addr_parse(saddr, sa);
	assert_int_equal(addr_parse(daddr, da), fam);
	for (i = 0; i < snap->ndests; i++) {
		const struct snap_dest *d = &snap->dests[i];

		if (d->proto == proto && d->family == fam && d->dport == dport &&
		    key_eq(fam, d->saddr, sa) && key_eq(fam, d->daddr, da)) {
			assert_null(found);   /* keys are unique */
			found = d;
		}
	}
	return found;
}

static const struct snap_pool *find_pool(const struct snapshot *snap,
					 uint8_t proto, const char *addr)
{
	const struct snap_pool *found = NULL;
	uint8_t a[16], fam;
	size_t i;

	fam = addr_parse(addr, a);
	for (i = 0; i < snap->npools; i++) {
		const struct snap_pool *p = &snap->pools[i];

		if (p->proto == proto && p->family == fam &&
		    key_eq(fam, p->saddr, a)) {
			assert_null(found);
			found = p;
		}
	}
	return found;
}

/* Is some TCP socket of the snapshot listening on this port? */
static int has_listener(const struct snapshot *snap, unsigned port)
{
	size_t i;

	for (i = 0; i < snap->nsocks; i++)
		if (snap->socks[i].proto == TCP &&
		    snap->socks[i].state == SOCK_LISTEN &&
		    snap->socks[i].sport == port)
			return 1;
	return 0;
}

/*
 * The drill-down links: every socket that should belong to a destination
 * (TCP, not LISTEN/BOUND, local port in the range, not a listener's child)
 * points at the destination with its own key, every other socket at
 * SNAP_NO_DEST, and each destination's `sockets` is the number of sockets
 * pointing at it. Returns how many sockets have a destination.
 */
static size_t check_links(const struct snapshot *snap)
{
	uint32_t *per = calloc(snap->ndests + 1, sizeof(*per));
	size_t i, linked = 0;

	assert_non_null(per);
	assert_non_null(snap->sock_dest);
	for (i = 0; i < snap->nsocks; i++) {
		const struct sock_rec *s = &snap->socks[i];
		uint32_t idx = snap->sock_dest[i];
		int want = s->proto == TCP && s->state != SOCK_LISTEN &&
			   s->state != SOCK_BOUND &&
			   s->sport >= snap->range_low &&
			   s->sport <= snap->range_high &&
			   !has_listener(snap, s->sport);

		if (!want) {
			assert_int_equal(idx, SNAP_NO_DEST);
			continue;
		}
		assert_int_not_equal(idx, SNAP_NO_DEST);
		assert_true(idx < snap->ndests);
		{
			const struct snap_dest *d = &snap->dests[idx];

			assert_int_equal(d->proto, s->proto);
			assert_int_equal(d->family, s->family);
			assert_int_equal(d->dport, s->dport);
			assert_true(key_eq(s->family, d->saddr, s->saddr));
			assert_true(key_eq(s->family, d->daddr, s->daddr));
		}
		per[idx]++;
		linked++;
	}
	for (i = 0; i < snap->ndests; i++)
		assert_int_equal(per[i], snap->dests[i].sockets);
	free(per);
	return linked;
}

static void check_sorted(const struct snapshot *snap)
{
	size_t i;

	for (i = 1; i < snap->ndests; i++)
		assert_true(snap->dests[i - 1].available <=
			    snap->dests[i].available);
}

static void check_pools_sorted(const struct snapshot *snap)
{
	size_t i;

	for (i = 1; i < snap->npools; i++) {
		const struct snap_pool *a = &snap->pools[i - 1];
		const struct snap_pool *b = &snap->pools[i];

		/* TCP first */
		assert_false(a->proto == UDP && b->proto == TCP);
		/* by address within one protocol and family */
		if (a->proto == b->proto && a->family == b->family)
			assert_true(memcmp(a->saddr, b->saddr, 16) < 0);
	}
}

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

/* ---- the range ------------------------------------------------------------- */

static void test_range_plain(void **state)
{
	struct fx *f = *state;
	const struct snapshot *snap;

	set_range(&f->s, 40000, 40199);
	snap = update(f);
	assert_int_equal(snap->range_low, 40000);
	assert_int_equal(snap->range_high, 40199);
	/* 40199 - 40000 + 1 = 200 ports, an even count, none reserved */
	assert_int_equal(snap->usable, 200);
	assert_int_equal(snap->reserved, 0);
	assert_true(snap_bit(snap->usable_map, 40000));
	assert_true(snap_bit(snap->usable_map, 40199));
	assert_false(snap_bit(snap->usable_map, 39999));
	assert_false(snap_bit(snap->usable_map, 40200));
	assert_int_equal(snap->nwarnings, 0);
	assert_int_equal(snap->ndests, 0);
	assert_int_equal(snap->owned_ports, 0);
	assert_true(near(snap->time, 1700000000.0));
}

static void test_range_reserved(void **state)
{
	struct fx *f = *state;
	const struct snapshot *snap;

	set_range(&f->s, 40000, 40199);
	reserve(&f->s, 40050, 40059);   /* 10 ports inside */
	reserve(&f->s, 8080, 8080);     /* outside: not counted */
	reserve(&f->s, 50000, 50010);   /* outside: not counted */
	reserve(&f->s, 39990, 39999);   /* just below the range */
	reserve(&f->s, 40200, 40205);   /* just above the range */
	snap = update(f);
	/* 200 ports - 10 reserved inside = 190 */
	assert_int_equal(snap->reserved, 10);
	assert_int_equal(snap->usable, 190);
	assert_false(snap_bit(snap->usable_map, 40050));
	assert_false(snap_bit(snap->usable_map, 40059));
	assert_true(snap_bit(snap->usable_map, 40049));
	assert_true(snap_bit(snap->usable_map, 40060));
}

static void test_range_odd(void **state)
{
	struct fx *f = *state;
	const struct snapshot *snap;

	/* 40200 - 40000 + 1 = 201 ports: each TCP scan looks at 201 & ~1 =
	 * 200 of them, leaving out one end (which one depends on the random
	 * start), so only 200 are sure; both ends are in the usable map. */
	set_range(&f->s, 40000, 40200);
	snap = update(f);
	assert_int_equal(snap->usable, 200);
	assert_int_equal(snap->reserved, 0);
	assert_true(snap_bit(snap->usable_map, 40000));
	assert_true(snap_bit(snap->usable_map, 40199));
	assert_true(snap_bit(snap->usable_map, 40200));
	/* nothing in use: every destination and the TCP pool see 200, the
	 * UDP pool (whole-range scan) 201 */
	assert_int_equal(find_pool(snap, TCP, "0.0.0.0")->available, 200);
	assert_int_equal(find_pool(snap, UDP, "0.0.0.0")->available, 201);

	/* A socket toward a destination on the top port: 200 free ports are
	 * left among 201, so 199 are sure (the last free one may sit at the
	 * end this call's scan leaves out). */
	set_range(&f->s, 40000, 40200);
	add(&f->s, TCP, "10.0.0.1", 40200, "10.0.0.2", 443, SOCK_ESTABLISHED);
	snap = update(f);
	assert_int_equal(snap->ndests, 1);
	assert_int_equal(snap->dests[0].in_use, 1);
	assert_int_equal(snap->dests[0].available, 199);

	/* The same range with 40100 reserved: 201 - 1 - 1 = 199. */
	set_range(&f->s, 40000, 40200);
	reserve(&f->s, 40100, 40100);
	snap = update(f);
	assert_int_equal(snap->reserved, 1);
	assert_int_equal(snap->usable, 199);

	/* Reserving an end changes nothing special: 201 - 1 - 1 = 199. */
	set_range(&f->s, 40000, 40200);
	reserve(&f->s, 40200, 40200);
	snap = update(f);
	assert_int_equal(snap->reserved, 1);
	assert_int_equal(snap->usable, 199);
	assert_false(snap_bit(snap->usable_map, 40200));

	/* A one-port range: remaining = 1 is not rounded down to 0. */
	set_range(&f->s, 40000, 40000);
	snap = update(f);
	assert_int_equal(snap->usable, 1);
	assert_true(snap_bit(snap->usable_map, 40000));

	/* The kernel default 32768-60999: 28232 ports, even. */
	set_range(&f->s, 32768, 60999);
	snap = update(f);
	assert_int_equal(snap->usable, 60999 - 32768 + 1);
}

/* ---- owned ports ---------------------------------------------------------- */

static void test_owned(void **state)
{
	struct fx *f = *state;
	struct sample *s = &f->s;
	const struct snapshot *snap;
	const struct snap_dest *d443, *d80;
	struct sock_rec r;

	set_range(s, 40000, 40199);
	reserve(s, 40050, 40059);                           /* usable 190 */
	add(s, TCP, "0.0.0.0", 40010, "0.0.0.0", 0, SOCK_LISTEN);   /* owned */
	add(s, TCP, "127.0.0.1", 40010, "0.0.0.0", 0, SOCK_LISTEN); /* same port */
	add(s, TCP, "10.0.0.1", 40020, "0.0.0.0", 0, SOCK_BOUND);   /* owned */
	r = rec(TCP, "::", 40030, "::", 0, SOCK_LISTEN);            /* owned */
	r.flags = SOCK_F_V6ONLY;
	push(s, &r);
	add(s, TCP, "0.0.0.0", 8080, "0.0.0.0", 0, SOCK_LISTEN);    /* outside */
	add(s, TCP, "0.0.0.0", 40055, "0.0.0.0", 0, SOCK_LISTEN);   /* reserved */
	add(s, UDP, "0.0.0.0", 40040, "0.0.0.0", 0, SOCK_CLOSE);    /* UDP */
	add(s, UDP, "10.0.0.1", 40041, "10.0.0.9", 53, SOCK_ESTABLISHED);
	add(s, TCP, "10.0.0.1", 40100, "10.0.0.9", 443, SOCK_ESTABLISHED);
	add(s, TCP, "10.0.0.1", 40101, "10.0.0.9", 80, SOCK_ESTABLISHED);
	snap = update(f);

	/* owned = {40010, 40020, 40030}: 40010 counted once; 8080 outside
	 * the range, 40055 reserved (not usable), UDP never owns. */
	assert_int_equal(snap->usable, 190);
	assert_int_equal(snap->owned_ports, 3);
	assert_true(snap_bit(snap->owned_map, 40010));
	assert_true(snap_bit(snap->owned_map, 40020));
	assert_true(snap_bit(snap->owned_map, 40030));
	assert_false(snap_bit(snap->owned_map, 8080));
	assert_false(snap_bit(snap->owned_map, 40055));
	assert_false(snap_bit(snap->owned_map, 40040));
	assert_false(snap_bit(snap->owned_map, 40041));
	assert_false(snap_bit(snap->owned_map, 40100));

	/* Owned ports are taken from every destination:
	 * 190 usable - 3 owned - 1 in use = 186 for each. */
	assert_int_equal(snap->ndests, 2);
	d443 = find_dest(snap, TCP, "10.0.0.1", "10.0.0.9", 443);
	d80 = find_dest(snap, TCP, "10.0.0.1", "10.0.0.9", 80);
	assert_non_null(d443);
	assert_non_null(d80);
	assert_int_equal(d443->available, 186);
	assert_int_equal(d80->available, 186);
	assert_true(near(d443->headroom_pct, 100.0 * 186 / 190));
	/* the UDP socket toward 10.0.0.9:53 is no destination */
	assert_null(find_dest(snap, UDP, "10.0.0.1", "10.0.0.9", 53));
	assert_int_equal(check_links(snap), 2);
}

/* ---- destinations ------------------------------------------------------------ */

static void test_destinations(void **state)
{
	struct fx *f = *state;
	struct sample *s = &f->s;
	const struct snapshot *snap;
	const struct snap_dest *a, *b, *c, *d;
	size_t i;

	set_range(s, 40000, 40199);
	reserve(s, 40190, 40199);                       /* usable 190 */
	s->sys.tcp_tw_reuse = 0;                        /* nothing reusable */
	/* owned: 40100 (LISTEN) and 40150 (BOUND) */
	add(s, TCP, "0.0.0.0", 40100, "0.0.0.0", 0, SOCK_LISTEN);
	add(s, TCP, "10.0.0.3", 40150, "0.0.0.0", 0, SOCK_BOUND);

	/* A: 10.0.0.1 -> 10.0.0.9:443 */
	add(s, TCP, "10.0.0.1", 40001, "10.0.0.9", 443, SOCK_ESTABLISHED);
	add(s, TCP, "10.0.0.1", 40001, "10.0.0.9", 443, SOCK_TIME_WAIT);
	add(s, TCP, "10.0.0.1", 40003, "10.0.0.9", 443, SOCK_TIME_WAIT);
	add(s, TCP, "10.0.0.1", 40004, "10.0.0.9", 443, SOCK_SYN_SENT);
	add(s, TCP, "10.0.0.1", 40005, "10.0.0.9", 443, SOCK_FIN_WAIT2);
	add(s, TCP, "10.0.0.1", 40006, "10.0.0.9", 443, SOCK_CLOSE_WAIT);
	add(s, TCP, "10.0.0.1", 40007, "10.0.0.9", 443, SOCK_NEW_SYN_RECV);
	add(s, TCP, "10.0.0.1", 40195, "10.0.0.9", 443, SOCK_ESTABLISHED);
	/* B: same addresses, port 80; 40001 shared with A, 40150 owned */
	add(s, TCP, "10.0.0.1", 40001, "10.0.0.9", 80, SOCK_ESTABLISHED);
	add(s, TCP, "10.0.0.1", 40150, "10.0.0.9", 80, SOCK_ESTABLISHED);
	/* C: another source address, 40001 again */
	add(s, TCP, "10.0.0.2", 40001, "10.0.0.9", 443, SOCK_ESTABLISHED);
	/* D: IPv6 */
	add(s, TCP, "2001:db8::1", 40002, "2001:db8::9", 443, SOCK_ESTABLISHED);
	add(s, TCP, "2001:db8::1", 40008, "2001:db8::9", 443, SOCK_ESTABLISHED);
	/* local port outside the range: no destination */
	add(s, TCP, "10.0.0.1", 50000, "10.0.0.9", 443, SOCK_ESTABLISHED);
	/* children of the listener on 40100: no destination */
	add(s, TCP, "10.0.0.1", 40100, "10.0.0.50", 51234, SOCK_ESTABLISHED);
	add(s, TCP, "10.0.0.1", 40100, "10.0.0.51", 52000, SOCK_NEW_SYN_RECV);
	/* UDP, connected: never a destination */
	add(s, UDP, "10.0.0.1", 40060, "10.0.0.9", 53, SOCK_ESTABLISHED);
	snap = update(f);

	assert_int_equal(snap->usable, 190);
	assert_int_equal(snap->owned_ports, 2);
	assert_int_equal(snap->ndests, 4);
	a = find_dest(snap, TCP, "10.0.0.1", "10.0.0.9", 443);
	b = find_dest(snap, TCP, "10.0.0.1", "10.0.0.9", 80);
	c = find_dest(snap, TCP, "10.0.0.2", "10.0.0.9", 443);
	d = find_dest(snap, TCP, "2001:db8::1", "2001:db8::9", 443);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_non_null(d);
	assert_null(find_dest(snap, TCP, "10.0.0.1", "10.0.0.50", 51234));
	assert_null(find_dest(snap, TCP, "10.0.0.1", "10.0.0.51", 52000));

	/* A: 8 sockets on 7 distinct ports {40001,40003..40007,40195};
	 * 40195 is reserved, so available = 190 - 2 owned - 6 = 182. */
	assert_int_equal(a->sockets, 8);
	assert_int_equal(a->in_use, 7);
	assert_int_equal(a->available, 182);
	assert_int_equal(a->reusable, 0);
	assert_int_equal(a->states[SOCK_ESTABLISHED], 2);
	assert_int_equal(a->states[SOCK_TIME_WAIT], 2);
	assert_int_equal(a->states[SOCK_SYN_SENT], 1);
	assert_int_equal(a->states[SOCK_FIN_WAIT2], 1);
	assert_int_equal(a->states[SOCK_CLOSE_WAIT], 1);
	assert_int_equal(a->states[SOCK_SYN_RECV], 1);   /* NEW_SYN_RECV */
	assert_int_equal(a->states[SOCK_NEW_SYN_RECV], 0);
	assert_true(near(a->headroom_pct, 100.0 * 182 / 190));
	assert_true(near(a->eta_s, SNAP_NO_ETA));
	assert_int_equal(a->family, AF_INET);
	assert_int_equal(a->proto, TCP);

	/* B: {40001, 40150}; 40150 is owned, already subtracted:
	 * 190 - 2 - 1 = 187. */
	assert_int_equal(b->sockets, 2);
	assert_int_equal(b->in_use, 2);
	assert_int_equal(b->available, 187);
	/* C: {40001}: 190 - 2 - 1 = 187 (A's use of 40001 does not count). */
	assert_int_equal(c->in_use, 1);
	assert_int_equal(c->available, 187);
	/* D: {40002, 40008}: 190 - 2 - 2 = 186. */
	assert_int_equal(d->family, AF_INET6);
	assert_int_equal(d->in_use, 2);
	assert_int_equal(d->available, 186);
	assert_true(near(d->headroom_pct, 100.0 * 186 / 190));

	/* sorted: A (182), D (186), then B and C (187) */
	check_sorted(snap);
	assert_ptr_equal(&snap->dests[0], a);
	assert_ptr_equal(&snap->dests[1], d);
	/* 8 + 2 + 1 + 2 sockets in destinations */
	assert_int_equal(check_links(snap), 13);
	for (i = 0; i < snap->nsocks; i++)
		if (snap->socks[i].sport == 50000 ||
		    (snap->socks[i].sport == 40100 &&
		     snap->socks[i].state != SOCK_LISTEN))
			assert_int_equal(snap->sock_dest[i], SNAP_NO_DEST);

	/* All TCP sockets by state, destinations or not:
	 * ESTABLISHED A2 + B2 + C1 + D2 + outside 1 + child 1 = 9,
	 * SYN_RECV = A's NEW_SYN_RECV + the child's = 2. */
	assert_int_equal(snap->tcp_states[SOCK_ESTABLISHED], 9);
	assert_int_equal(snap->tcp_states[SOCK_TIME_WAIT], 2);
	assert_int_equal(snap->tcp_states[SOCK_SYN_SENT], 1);
	assert_int_equal(snap->tcp_states[SOCK_FIN_WAIT2], 1);
	assert_int_equal(snap->tcp_states[SOCK_CLOSE_WAIT], 1);
	assert_int_equal(snap->tcp_states[SOCK_SYN_RECV], 2);
	assert_int_equal(snap->tcp_states[SOCK_NEW_SYN_RECV], 0);
	assert_int_equal(snap->tcp_states[SOCK_LISTEN], 1);
	assert_int_equal(snap->tcp_states[SOCK_BOUND], 1);
	/* 2 owners + A 8 + B 2 + C 1 + D 2 + outside 1 + children 2 = 18 */
	assert_int_equal(snap->tcp_sockets, 18);
	assert_int_equal(snap->udp_sockets, 1);
	/* {40001..40008, 40100, 40150, 40195} = 11 */
	assert_int_equal(snap->ports_in_use, 11);
	assert_int_equal(snap->unattributed_time_wait, 2);
}

/* ---- TIME_WAIT reuse ----------------------------------------------------------- */

/* One TIME_WAIT entry toward saddr -> daddr:443 from port 40010 in
 * 40000-40199; returns the destination's reusable count. */
static uint32_t tw_case(struct fx *f, int reuse, int timestamps, int delay_ms,
			const char *saddr, const char *daddr,
			uint32_t expires_ms, uint32_t ifindex)
{
	const struct snapshot *snap;
	const struct snap_dest *d;
	struct sock_rec r;

	set_range(&f->s, 40000, 40199);
	f->s.sys.tcp_tw_reuse = reuse;
	f->s.sys.tcp_timestamps = timestamps;
	f->s.sys.tcp_tw_reuse_delay_ms = delay_ms;
	f->s.sys.known |= SYSCTL_K_TW_REUSE | SYSCTL_K_TIMESTAMPS |
			  SYSCTL_K_TW_REUSE_DELAY;
	r = rec(TCP, saddr, 40010, daddr, 443, SOCK_TIME_WAIT);
	r.expires_ms = expires_ms;
	r.timer = 3;
	r.ifindex = ifindex;
	push(&f->s, &r);
	snap = update(f);
	assert_int_equal(snap->ndests, 1);
	d = &snap->dests[0];
	assert_int_equal(d->sockets, 1);
	assert_int_equal(d->states[SOCK_TIME_WAIT], 1);
	/* the entry stays in use; a reusable one is handed back to
	 * connect(): 200 - 1 (+ 1 when reusable) */
	assert_int_equal(d->in_use, 1);
	assert_int_equal(d->available, 199 + d->reusable);
	assert_int_equal(snap->unattributed_time_wait, 1);
	return d->reusable;
}

static void test_tw_reuse(void **state)
{
	struct fx *f = *state;

	/* expires 50000 ms left of 60000: 10 s old, past the 1 s delay */
	assert_int_equal(tw_case(f, 0, 1, 1000, "10.0.0.1", "10.0.0.2", 50000, 0), 0);
	assert_int_equal(tw_case(f, 1, 1, 1000, "10.0.0.1", "10.0.0.2", 50000, 0), 1);
	/* 59500 left: 0.5 s old, younger than the 1 s delay */
	assert_int_equal(tw_case(f, 1, 1, 1000, "10.0.0.1", "10.0.0.2", 59500, 0), 0);
	/* no timestamps, no reuse */
	assert_int_equal(tw_case(f, 1, 0, 1000, "10.0.0.1", "10.0.0.2", 50000, 0), 0);
	/* tw_reuse 2: loopback only */
	assert_int_equal(tw_case(f, 2, 1, 1000, "127.0.0.1", "127.0.0.1", 50000, 0), 1);
	assert_int_equal(tw_case(f, 2, 1, 1000, "10.0.0.1", "127.0.0.1", 50000, 0), 1);
	assert_int_equal(tw_case(f, 2, 1, 1000, "::1", "::1", 50000, 0), 1);
	assert_int_equal(tw_case(f, 2, 1, 1000, "10.0.0.1", "10.0.0.2", 50000, 0), 0);
	/* ... or bound to lo (ifindex 1), as tcp_twsk_unique() checks */
	assert_int_equal(tw_case(f, 2, 1, 1000, "10.0.0.1", "10.0.0.2", 50000, 1), 1);
	assert_int_equal(tw_case(f, 2, 0, 1000, "127.0.0.1", "127.0.0.1", 50000, 0), 0);
	/* "older than" the delay: exactly 1000 ms old is not, 1001 ms is */
	assert_int_equal(tw_case(f, 1, 1, 1000, "10.0.0.1", "10.0.0.2", 59000, 0), 0);
	assert_int_equal(tw_case(f, 1, 1, 1000, "10.0.0.1", "10.0.0.2", 58999, 0), 1);
	/* tcp_tw_reuse_delay 20 s: 10 s old is too young, 30 s old is not */
	assert_int_equal(tw_case(f, 1, 1, 20000, "10.0.0.1", "10.0.0.2", 50000, 0), 0);
	assert_int_equal(tw_case(f, 1, 1, 20000, "10.0.0.1", "10.0.0.2", 30000, 0), 1);
}

/* push a TCP socket with a bind state */
static void add_bind(struct sample *s, const char *saddr, unsigned sport,
		     const char *daddr, unsigned dport, unsigned state,
		     unsigned bind, uint32_t expires_ms)
{
	struct sock_rec r = rec(TCP, saddr, sport, daddr, dport, state);

	r.bind = (uint8_t)bind;
	r.expires_ms = expires_ms;
	push(s, &r);
}

/*
 * Bind states (sock_rec.bind): a bind()-owned bucket takes its port from
 * every destination, whatever the socket's state; an unknown one counts
 * as connect()-made in available and as owned in available_min; the
 * new-destination figure follows the same rules.
 */
static void test_bind_states(void **state)
{
	struct fx *f = *state;
	struct sample *s = &f->s;
	const struct snapshot *snap;
	const struct snap_dest *a, *b;
	unsigned p;

	/* BPF: 30 bind(addr, 0)+connect sockets toward B (10 of them in
	 * TIME_WAIT), 20 plain ones toward A: A loses B's 30 ports. */
	set_range(s, 40000, 40199);
	s->bind_src = SOCK_BSRC_BPF;
	for (p = 40000; p < 40030; p++)
		add_bind(s, "127.0.0.1", p, "127.0.0.1", 5002,
			 p < 40010 ? SOCK_TIME_WAIT : SOCK_ESTABLISHED,
			 SOCK_BIND_OWNED, 30000);
	for (p = 40100; p < 40120; p++)
		add_bind(s, "127.0.0.1", p, "127.0.0.1", 5001,
			 SOCK_ESTABLISHED, SOCK_BIND_AUTO, 0);
	snap = update(f);
	a = find_dest(snap, TCP, "127.0.0.1", "127.0.0.1", 5001);
	b = find_dest(snap, TCP, "127.0.0.1", "127.0.0.1", 5002);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(snap->owned_ports, 30);
	assert_int_equal(a->available, 200 - 30 - 20);
	assert_int_equal(b->available, 200 - 30);     /* its own ports are owned */
	assert_true(a->exact && b->exact && snap->exact);
	assert_int_equal(a->available_min, a->available);
	assert_int_equal(snap->available_new_destination, 170);
	assert_int_equal(snap->available_new_destination_min, 170);
	assert_int_equal(snap->bind_src, SOCK_BSRC_BPF);
	assert_string_equal(snap->inexact_why, "");

	/* The same world without bind states: the estimate over-reports,
	 * available_min is the sure figure, and the reason says why. */
	set_range(s, 40000, 40199);
	s->bind_src = SOCK_BSRC_AUTOBOUND;
	snprintf(s->bind_why, sizeof(s->bind_why), "no BPF here");
	for (p = 40000; p < 40030; p++)
		add_bind(s, "127.0.0.1", p, "127.0.0.1", 5002,
			 p < 40010 ? SOCK_TIME_WAIT : SOCK_ESTABLISHED,
			 SOCK_BIND_UNKNOWN, 30000);
	for (p = 40100; p < 40120; p++)
		add_bind(s, "127.0.0.1", p, "127.0.0.1", 5001,
			 SOCK_ESTABLISHED, SOCK_BIND_UNKNOWN, 0);
	snap = update(f);
	a = find_dest(snap, TCP, "127.0.0.1", "127.0.0.1", 5001);
	b = find_dest(snap, TCP, "127.0.0.1", "127.0.0.1", 5002);
	assert_int_equal(snap->owned_ports, 0);
	assert_int_equal(snap->bind_unknown, 50);
	assert_int_equal(a->available, 180);          /* 200 - its own 20 */
	assert_int_equal(a->available_min, 150);      /* - B's 30 as well */
	assert_false(a->exact);
	/* 200 - its own 30, + its 10 TIME_WAIT entries, which tw_reuse 2
	 * (the default, loopback) would reuse if connect() made them */
	assert_int_equal(b->reusable, 10);
	assert_int_equal(b->available, 180);
	assert_int_equal(b->available_min, 150);
	assert_false(snap->exact);
	assert_int_equal(snap->available_new_destination, 200);
	assert_int_equal(snap->available_new_destination_min, 150);
	assert_non_null(strstr(snap->inexact_why, "no BPF here"));

	/* tcp_tw_reuse: a connect()-made TIME_WAIT entry is reusable, a
	 * bind()-owned one never (its port is skipped first), an unknown
	 * one only in the estimate. */
	set_range(s, 40000, 40199);
	s->sys.tcp_tw_reuse = 1;
	s->bind_src = SOCK_BSRC_BPF;
	for (p = 40000; p < 40010; p++)
		add_bind(s, "10.0.0.1", p, "10.0.0.2", 443, SOCK_TIME_WAIT,
			 p < 40004 ? SOCK_BIND_AUTO :
			 p < 40007 ? SOCK_BIND_OWNED : SOCK_BIND_UNKNOWN, 30000);
	snap = update(f);
	a = &snap->dests[0];
	assert_int_equal(snap->ndests, 1);
	assert_int_equal(a->in_use, 10);
	assert_int_equal(a->reusable, 4 + 3);          /* AUTO + UNKNOWN */
	/* 200 - 3 owned - 7 other in use + 7 reusable */
	assert_int_equal(a->available, 200 - 3 - 7 + 7);
	/* sure: the 3 unknown ones may be owned: not reusable */
	assert_int_equal(a->available_min, 200 - 3 - 7 + 4);
	assert_false(a->exact);
	assert_int_equal(snap->available_new_destination, 197);
	assert_int_equal(snap->available_new_destination_min, 194);
}

static void test_tw_reuse_not_available(void **state)
{
	struct fx *f = *state;
	struct sample *s = &f->s;
	const struct snapshot *snap;
	const struct snap_dest *d;
	struct sock_rec r;
	unsigned p;

	set_range(s, 40000, 40199);
	s->sys.tcp_tw_reuse = 1;
	s->sys.known |= SYSCTL_K_TW_REUSE;
	/* three old TIME_WAIT entries (reusable) and one young one */
	for (p = 40000; p < 40004; p++) {
		r = rec(TCP, "10.0.0.1", p, "10.0.0.2", 443, SOCK_TIME_WAIT);
		r.expires_ms = p < 40003 ? 5000 : TW_LEN_MS - 100;
		push(s, &r);
	}
	add(s, TCP, "10.0.0.1", 40004, "10.0.0.2", 443, SOCK_ESTABLISHED);
	snap = update(f);
	assert_int_equal(snap->ndests, 1);
	d = &snap->dests[0];
	assert_int_equal(d->sockets, 5);
	assert_int_equal(d->in_use, 5);
	assert_int_equal(d->reusable, 3);
	/* 200 - 5 in use, + the 3 reusable entries connect() takes over */
	assert_int_equal(d->available, 198);
	assert_int_equal(snap->unattributed_time_wait, 4);

	/* Two reusable entries with one 4-tuple (a dump racing a reuse;
	 * found by fuzz_model): one port, so reusable 1 <= in_use 1. */
	set_range(&f->s, 40000, 40199);
	f->s.sys.tcp_tw_reuse = 1;
	f->s.sys.tcp_timestamps = 1;
	f->s.sys.tcp_tw_reuse_delay_ms = 1000;
	{
		struct sock_rec dup = rec(TCP, "10.0.0.1", 40001, "10.0.0.2",
					  443, SOCK_TIME_WAIT);

		dup.expires_ms = 50000;
		push(&f->s, &dup);
		dup.cookie = 2;
		push(&f->s, &dup);
	}
	snap = update(f);
	assert_int_equal(snap->ndests, 1);
	assert_int_equal(snap->dests[0].states[SOCK_TIME_WAIT], 2);
	assert_int_equal(snap->dests[0].in_use, 1);
	assert_int_equal(snap->dests[0].reusable, 1);
}

/* ---- pools ------------------------------------------------------------------ */

static void test_pools_wildcards_always(void **state)
{
	struct fx *f = *state;
	const struct snapshot *snap;
	const struct snap_pool *t, *u;

	set_range(&f->s, 40000, 40199);
	reserve(&f->s, 40000, 40009);
	snap = update(f);
	assert_int_equal(snap->npools, 2);
	assert_int_equal(snap->pools[0].proto, TCP);
	assert_int_equal(snap->pools[1].proto, UDP);
	t = find_pool(snap, TCP, "0.0.0.0");
	u = find_pool(snap, UDP, "0.0.0.0");
	assert_non_null(t);
	assert_non_null(u);
	/* nothing held: 200 - 10 reserved = 190 each */
	assert_int_equal(t->in_use, 0);
	assert_int_equal(t->available, 190);
	assert_int_equal(u->in_use, 0);
	assert_int_equal(u->available, 190);
}

static void test_pools(void **state)
{
	struct fx *f = *state;
	struct sample *s = &f->s;
	const struct snapshot *snap;
	const struct snap_pool *p;
	const struct snap_dest *d;
	struct sock_rec r;
	size_t i;

	set_range(s, 40000, 40199);
	reserve(s, 40150, 40150);                               /* usable 199 */
	add(s, TCP, "127.0.0.1", 40001, "127.0.0.1", 5001, SOCK_ESTABLISHED);
	add(s, TCP, "127.0.0.1", 40001, "127.0.0.1", 5002, SOCK_ESTABLISHED);
	add(s, TCP, "127.0.0.1", 40002, "127.0.0.1", 5001, SOCK_TIME_WAIT);
	add(s, TCP, "0.0.0.0", 40003, "0.0.0.0", 0, SOCK_LISTEN);
	add(s, TCP, "127.0.0.2", 40004, "127.0.0.1", 5001, SOCK_ESTABLISHED);
	add(s, TCP, "::", 40005, "::", 0, SOCK_LISTEN);         /* dual stack */
	r = rec(TCP, "::", 40006, "::", 0, SOCK_LISTEN);
	r.flags = SOCK_F_V6ONLY;
	push(s, &r);
	add(s, TCP, "127.0.0.1", 40150, "127.0.0.1", 5001, SOCK_ESTABLISHED);
	add(s, TCP, "127.0.0.1", 50000, "127.0.0.1", 5001, SOCK_ESTABLISHED);
	add(s, UDP, "0.0.0.0", 40010, "0.0.0.0", 0, SOCK_CLOSE);
	add(s, UDP, "127.0.0.1", 40011, "127.0.0.53", 53, SOCK_ESTABLISHED);
	add(s, UDP, "10.0.0.1", 40001, "0.0.0.0", 0, SOCK_CLOSE);
	snap = update(f);
	assert_int_equal(snap->usable, 199);
	check_pools_sorted(snap);

	/* TCP 127.0.0.1: its own {40001, 40002 (TIME_WAIT), 40150} + 0.0.0.0's
	 * 40003 + dual-stack ::'s 40005; not 127.0.0.2's 40004, not the
	 * V6ONLY 40006, not 50000 (outside). 5 in use, 40150 is reserved:
	 * 199 - 4 = 195. */
	p = find_pool(snap, TCP, "127.0.0.1");
	assert_non_null(p);
	assert_int_equal(p->in_use, 5);
	assert_int_equal(p->available, 195);

	/* TCP 0.0.0.0: every IPv4 TCP port in range {40001, 40002, 40003,
	 * 40004, 40150} + 40005 = 6; 199 - 5 = 194. */
	p = find_pool(snap, TCP, "0.0.0.0");
	assert_non_null(p);
	assert_int_equal(p->in_use, 6);
	assert_int_equal(p->available, 194);

	/* TCP 127.0.0.2: 40004 + 40003 + 40005 = 3; 199 - 3 = 196. */
	p = find_pool(snap, TCP, "127.0.0.2");
	assert_non_null(p);
	assert_int_equal(p->in_use, 3);
	assert_int_equal(p->available, 196);

	/* TCP ::: both IPv6 sockets (40005, 40006) + all IPv4 ports (an IPv6
	 * wildcard covers IPv4): 2 + 5 = 7; 199 - 6 = 193. */
	p = find_pool(snap, TCP, "::");
	assert_non_null(p);
	assert_int_equal(p->in_use, 7);
	assert_int_equal(p->available, 193);

	/* UDP, independent of TCP: 0.0.0.0 sees {40010, 40011, 40001} = 3,
	 * 199 - 3 = 196; 127.0.0.1 sees 40011 + 40010 = 2, 197; 10.0.0.1
	 * sees 40001 + 40010 = 2, 197. */
	p = find_pool(snap, UDP, "0.0.0.0");
	assert_non_null(p);
	assert_int_equal(p->in_use, 3);
	assert_int_equal(p->available, 196);
	p = find_pool(snap, UDP, "127.0.0.1");
	assert_non_null(p);
	assert_int_equal(p->in_use, 2);
	assert_int_equal(p->available, 197);
	p = find_pool(snap, UDP, "10.0.0.1");
	assert_non_null(p);
	assert_int_equal(p->in_use, 2);
	assert_int_equal(p->available, 197);

	/* 4 TCP pools then 3 UDP pools */
	assert_int_equal(snap->npools, 7);
	for (i = 0; i < snap->npools; i++)
		assert_int_equal(snap->pools[i].proto, i < 4 ? TCP : UDP);

	/* dests: 127.0.0.1->:5001 uses {40001, 40002, 40150}, 40150
	 * reserved: 199 - 2 = 197; LISTENs own 40003, 40005, 40006:
	 * 197 - 3 = 194; tw_reuse 1 hands the TIME_WAIT 40002 back: 195. */
	assert_int_equal(snap->owned_ports, 3);
	d = find_dest(snap, TCP, "127.0.0.1", "127.0.0.1", 5001);
	assert_non_null(d);
	assert_int_equal(d->in_use, 3);
	assert_int_equal(d->reusable, 1);
	assert_int_equal(d->available, 195);
}

static void test_pools_v6only(void **state)
{
	struct fx *f = *state;
	struct sample *s = &f->s;
	const struct snapshot *snap;
	const struct snap_pool *p;
	struct sock_rec r;

	/* Only a V6ONLY :: listener: the IPv4 pools do not see it. */
	set_range(s, 40000, 40199);
	r = rec(TCP, "::", 40005, "::", 0, SOCK_LISTEN);
	r.flags = SOCK_F_V6ONLY;
	push(s, &r);
	snap = update(f);
	p = find_pool(snap, TCP, "0.0.0.0");
	assert_non_null(p);
	assert_int_equal(p->in_use, 0);
	assert_int_equal(p->available, 200);
	p = find_pool(snap, TCP, "::");
	assert_non_null(p);
	assert_int_equal(p->in_use, 1);
	assert_int_equal(p->available, 199);

	/* The same without V6ONLY: now it holds 40005 for IPv4 too. */
	set_range(s, 40000, 40199);
	add(s, TCP, "::", 40005, "::", 0, SOCK_LISTEN);
	snap = update(f);
	p = find_pool(snap, TCP, "0.0.0.0");
	assert_non_null(p);
	assert_int_equal(p->in_use, 1);
	assert_int_equal(p->available, 199);
	/* ... but not for UDP */
	p = find_pool(snap, UDP, "0.0.0.0");
	assert_non_null(p);
	assert_int_equal(p->available, 200);

	/* Seen on Linux 6.18: a connect()ed [::1] socket (not V6ONLY) blocks
	 * bind(0.0.0.0, 0) on its port but not bind(127.0.0.1, 0); a [::1]
	 * socket that bind() made V6ONLY blocks neither. */
	set_range(s, 40000, 40199);
	add(s, TCP, "127.0.0.1", 40001, "127.0.0.1", 5001, SOCK_ESTABLISHED);
	add(s, TCP, "::1", 40002, "::1", 5003, SOCK_ESTABLISHED);
	add(s, TCP, "::1", 40003, "::1", 5003, SOCK_TIME_WAIT);
	r = rec(TCP, "::1", 40004, "::", 0, SOCK_BOUND);
	r.flags = SOCK_F_V6ONLY;
	push(s, &r);
	snap = update(f);
	p = find_pool(snap, TCP, "0.0.0.0");
	assert_non_null(p);
	assert_int_equal(p->in_use, 3);           /* 40001, 40002, 40003 */
	assert_int_equal(p->available, 197);
	p = find_pool(snap, TCP, "127.0.0.1");
	assert_non_null(p);
	assert_int_equal(p->in_use, 1);           /* 40001 only */
	assert_int_equal(p->available, 199);
	p = find_pool(snap, TCP, "::1");
	assert_non_null(p);
	assert_int_equal(p->in_use, 3);           /* 40002, 40003, 40004 */
	assert_int_equal(p->available, 197);
}

/* ---- totals ---------------------------------------------------------------- */

static void test_totals(void **state)
{
	struct fx *f = *state;
	struct sample *s = &f->s;
	const struct snapshot *snap;

	set_range(s, 40000, 40199);
	add(s, TCP, "10.0.0.1", 40001, "10.0.0.9", 443, SOCK_ESTABLISHED);
	add(s, TCP, "10.0.0.1", 40001, "10.0.0.9", 80, SOCK_TIME_WAIT);
	add(s, TCP, "10.0.0.1", 40002, "10.0.0.9", 443, SOCK_TIME_WAIT);
	add(s, TCP, "0.0.0.0", 22, "0.0.0.0", 0, SOCK_LISTEN);
	add(s, TCP, "10.0.0.1", 22, "10.0.0.7", 50123, SOCK_ESTABLISHED);
	add(s, TCP, "10.0.0.1", 60000, "10.0.0.9", 443, SOCK_TIME_WAIT);
	add(s, UDP, "0.0.0.0", 40050, "0.0.0.0", 0, SOCK_CLOSE);
	add(s, UDP, "127.0.0.1", 40050, "0.0.0.0", 0, SOCK_CLOSE);
	add(s, UDP, "0.0.0.0", 53, "0.0.0.0", 0, SOCK_CLOSE);
	add(s, UDP, "::", 40060, "::", 0, SOCK_CLOSE);
	snap = update(f);
	assert_int_equal(snap->tcp_sockets, 6);
	assert_int_equal(snap->udp_sockets, 4);
	/* UDP ports in range: {40050, 40060} */
	assert_int_equal(snap->udp_ports_in_range, 2);
	/* TCP ports in range: {40001, 40002}; 22 and 60000 are outside */
	assert_int_equal(snap->ports_in_use, 2);
	/* every TIME_WAIT entry, in the range or not: 3 */
	assert_int_equal(snap->unattributed_time_wait, 3);
	assert_int_equal(snap->tcp_states[SOCK_TIME_WAIT], 3);
	assert_int_equal(snap->tcp_states[SOCK_ESTABLISHED], 2);
	assert_int_equal(snap->tcp_states[SOCK_LISTEN], 1);
	assert_int_equal(snap->nsocks, 10);
	assert_int_equal(snap->nprocs, 0);
	assert_int_equal(snap->ndests, 2);
	assert_int_equal(check_links(snap), 3);
}

/* ---- warnings --------------------------------------------------------------- */

static int has_warning(const struct snapshot *snap, const char *word)
{
	size_t i;

	assert_true(snap->nwarnings <= SNAP_MAX_WARNINGS);
	for (i = 0; i < snap->nwarnings; i++)
		if (strstr(snap->warnings[i], word))
			return 1;
	return 0;
}

static void test_warnings(void **state)
{
	struct fx *f = *state;
	const struct snapshot *snap;

	/* Fresh sample: nothing known, defaults assumed and said so. */
	snap = update(f);
	assert_true(snap->nwarnings > 0);
	assert_true(has_warning(snap, "ip_local_port_range"));
	assert_int_equal(snap->usable, 60999 - 32768 + 1);

	/* All known: no warnings. */
	set_range(&f->s, 40000, 40199);
	snap = update(f);
	assert_int_equal(snap->nwarnings, 0);

	/* Malformed messages in the dump: one warning. */
	set_range(&f->s, 40000, 40199);
	f->s.stats.malformed = 3;
	snap = update(f);
	assert_int_equal(snap->nwarnings, 1);
	assert_true(has_warning(snap, "malformed"));
	assert_false(has_warning(snap, "ip_local_port_range"));
	f->s.stats.malformed = 0;
}

static void test_snapshot_warn_limits(void **state)
{
	struct snapshot *snap = calloc(1, sizeof(*snap));
	char longword[SNAP_WARNING_LEN * 2];
	int i;

	(void)state;
	assert_non_null(snap);
	memset(longword, 'x', sizeof(longword) - 1);
	longword[sizeof(longword) - 1] = '\0';
	snapshot_warn(snap, "%s", longword);
	assert_int_equal(snap->nwarnings, 1);
	assert_int_equal(strlen(snap->warnings[0]), SNAP_WARNING_LEN - 1);
	for (i = 0; i < SNAP_MAX_WARNINGS + 3; i++)
		snapshot_warn(snap, "warning %d", i);
	assert_int_equal(snap->nwarnings, SNAP_MAX_WARNINGS);
	assert_string_equal(snap->warnings[SNAP_MAX_WARNINGS - 1], "warning 6");
	free(snap);
}

/* ---- life cycle --------------------------------------------------------------- */

static void test_lifecycle(void **state)
{
	struct fx *f = *state;
	const struct snapshot *snap;

	assert_null(model_snapshot(NULL));
	assert_null(model_snapshot(f->m));
	model_free(NULL);

	set_range(&f->s, 40000, 40199);
	add(&f->s, TCP, "10.0.0.1", 40001, "10.0.0.9", 443, SOCK_ESTABLISHED);
	add(&f->s, TCP, "10.0.0.1", 40002, "10.0.0.9", 443, SOCK_TIME_WAIT);
	add(&f->s, TCP, "0.0.0.0", 40003, "0.0.0.0", 0, SOCK_LISTEN);
	snap = update(f);
	/* the model took the sockets */
	assert_int_equal(f->s.socks.len, 0);
	assert_int_equal(snap->nsocks, 3);
	assert_int_equal(snap->tcp_sockets, 3);
	assert_int_equal(snap->ndests, 1);
	assert_int_equal(snap->owned_ports, 1);

	/* A second sample replaces everything: one UDP socket only. */
	set_range(&f->s, 40000, 40099);
	f->s.time = 1700000001.0;
	add(&f->s, UDP, "0.0.0.0", 40010, "0.0.0.0", 0, SOCK_CLOSE);
	snap = update(f);
	assert_int_equal(f->s.socks.len, 0);
	assert_int_equal(snap->nsocks, 1);
	assert_int_equal(snap->tcp_sockets, 0);
	assert_int_equal(snap->udp_sockets, 1);
	assert_int_equal(snap->ndests, 0);
	assert_int_equal(snap->owned_ports, 0);
	assert_int_equal(snap->ports_in_use, 0);
	assert_int_equal(snap->unattributed_time_wait, 0);
	assert_int_equal(snap->tcp_states[SOCK_ESTABLISHED], 0);
	assert_int_equal(snap->usable, 100);
	assert_true(near(snap->time, 1700000001.0));
	assert_int_equal(snap->sock_dest[0], SNAP_NO_DEST);

	/* An empty sample is a valid sample. */
	set_range(&f->s, 40000, 40099);
	snap = update(f);
	assert_int_equal(snap->nsocks, 0);
	assert_int_equal(snap->udp_sockets, 0);
	assert_int_equal(snap->npools, 2);
}

/* ---- randomized comparison with a naive model --------------------------------- */

#define RND_SOCKS 5000
#define PORTS 65536

struct rkey {
	const char *saddr;
	const char *daddr;
	unsigned dport;
};

static const struct rkey rkeys[] = {
	{ "10.0.0.1", "10.1.0.1", 80 },
	{ "10.0.0.1", "10.1.0.1", 443 },
	{ "10.0.0.1", "10.1.0.2", 443 },
	{ "10.0.0.2", "10.1.0.1", 443 },
	{ "10.0.0.2", "10.1.0.2", 80 },
	{ "127.0.0.1", "127.0.0.1", 5432 },
	{ "127.0.0.1", "127.0.0.2", 5432 },
	{ "2001:db8::1", "2001:db8::2", 443 },
	{ "::1", "::1", 8080 },
};
#define NKEYS (sizeof(rkeys) / sizeof(rkeys[0]))

static const char *const rbind[] = {
	"0.0.0.0", "10.0.0.1", "127.0.0.1", "::", "2001:db8::1", "10.0.0.3",
};
#define NBIND (sizeof(rbind) / sizeof(rbind[0]))

static const unsigned rstates[] = {
	SOCK_ESTABLISHED, SOCK_ESTABLISHED, SOCK_ESTABLISHED,
	SOCK_TIME_WAIT, SOCK_TIME_WAIT, SOCK_TIME_WAIT, SOCK_TIME_WAIT,
	SOCK_SYN_SENT, SOCK_SYN_RECV, SOCK_NEW_SYN_RECV, SOCK_FIN_WAIT1,
	SOCK_FIN_WAIT2, SOCK_CLOSE, SOCK_CLOSE_WAIT, SOCK_LAST_ACK,
	SOCK_CLOSING,
};
#define NSTATES (sizeof(rstates) / sizeof(rstates[0]))

static uint64_t rnd_next(uint64_t *x)
{
	/* xorshift64* */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ull;
}

static unsigned rnd_below(uint64_t *x, unsigned n)
{
	return (unsigned)((rnd_next(x) >> 33) % n);
}

/* A generated socket and, for TCP sockets toward a key, the key's index. */
struct gen {
	struct sock_rec r;
	int key;           /* -1: LISTEN, BOUND or UDP */
};

struct naive {
	uint8_t usable[PORTS];
	uint8_t owned[PORTS];
	uint8_t listen[PORTS];
	uint8_t *used;     /* NKEYS x PORTS: port used toward key */
	uint8_t *rused;    /* NKEYS x PORTS: a reusable entry on that port */
	uint32_t sockets[NKEYS];
	uint32_t states[NKEYS][SOCK_STATE_MAX];
	uint32_t reusable[NKEYS];
	uint32_t in_use[NKEYS];
	uint32_t available[NKEYS];
	uint32_t tcp_states[SOCK_STATE_MAX];
	uint32_t nusable, nreserved, nowned, ports_in_use, udp_in_range;
	uint32_t nnonreserved, parity;
	uint32_t tw;
};

static int rnd_in_range(const struct sysctl_vals *v, unsigned p)
{
	return p >= v->port_low && p <= v->port_high;
}

/* tcp_twsk_unique() as docs/model.md states it, written out afresh. */
static int naive_reusable(const struct sysctl_vals *v, const struct sock_rec *r)
{
	int lo = r->ifindex == 1 ||
		 sock_addr_is_loopback(r->family, r->saddr) ||
		 sock_addr_is_loopback(r->family, r->daddr);
	int64_t age;

	if (r->state != SOCK_TIME_WAIT || !v->tcp_timestamps)
		return 0;
	if (!(v->tcp_tw_reuse == 1 || (v->tcp_tw_reuse == 2 && lo)))
		return 0;
	age = (int64_t)TW_LEN_MS - (int64_t)r->expires_ms;
	return age > v->tcp_tw_reuse_delay_ms;
}

static void naive_compute(struct naive *n, const struct sysctl_vals *v,
			  const struct gen *g, size_t ng)
{
	unsigned count = v->port_high - v->port_low + 1, p;
	uint8_t seen[PORTS];
	size_t i, k;

	/* usable: every non-reserved port; TCP is sure of one less when the
	 * range is odd-sized (its scan leaves out one end) */
	for (p = v->port_low; p <= v->port_high; p++) {
		if (sysctl_port_reserved(v, p))
			n->nreserved++;
		else {
			n->usable[p] = 1;
			n->nnonreserved++;
		}
	}
	n->parity = count > 1 && count % 2 && n->nnonreserved > 0;
	n->nusable = n->nnonreserved - n->parity;
	for (i = 0; i < ng; i++) {
		const struct sock_rec *r = &g[i].r;

		if (r->proto != TCP)
			continue;
		if (r->state == SOCK_LISTEN)
			n->listen[r->sport] = 1;
		if ((r->state == SOCK_LISTEN || r->state == SOCK_BOUND) &&
		    n->usable[r->sport])
			n->owned[r->sport] = 1;
		n->tcp_states[r->state == SOCK_NEW_SYN_RECV ? SOCK_SYN_RECV :
			      r->state]++;
		if (r->state == SOCK_TIME_WAIT)
			n->tw++;
	}
	for (p = 0; p < PORTS; p++)
		n->nowned += n->owned[p];
	for (i = 0; i < ng; i++) {
		const struct sock_rec *r = &g[i].r;
		int key = g[i].key;

		if (key < 0 || !rnd_in_range(v, r->sport) || n->listen[r->sport])
			continue;
		n->used[(size_t)key * PORTS + r->sport] = 1;
		n->sockets[key]++;
		n->states[key][r->state == SOCK_NEW_SYN_RECV ? SOCK_SYN_RECV :
			       r->state]++;
		/* per port, like in_use: one 4-tuple twice is one port */
		if (naive_reusable(v, r) && n->usable[r->sport] &&
		    !n->owned[r->sport] &&
		    !n->rused[(size_t)key * PORTS + r->sport]) {
			n->rused[(size_t)key * PORTS + r->sport] = 1;
			n->reusable[key]++;
		}
	}
	/* per destination, port by port */
	for (k = 0; k < NKEYS; k++)
		for (p = v->port_low; p <= v->port_high; p++) {
			int used = n->used[k * PORTS + p];

			n->in_use[k] += (uint32_t)used;
			n->available[k] += (uint32_t)(n->usable[p] &&
						      !n->owned[p] && !used);
		}
	/* connect() takes reusable entries over: they are candidates like
	 * free ports, and the parity port may be either */
	for (k = 0; k < NKEYS; k++) {
		n->available[k] += n->reusable[k];
		n->available[k] = n->available[k] > n->parity ?
				  n->available[k] - n->parity : 0;
	}
	/* distinct ports in range, per protocol */
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < ng; i++)
		if (g[i].r.proto == TCP && rnd_in_range(v, g[i].r.sport))
			seen[g[i].r.sport] = 1;
	for (p = 0; p < PORTS; p++)
		n->ports_in_use += seen[p];
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < ng; i++)
		if (g[i].r.proto == UDP && rnd_in_range(v, g[i].r.sport))
			seen[g[i].r.sport] = 1;
	for (p = 0; p < PORTS; p++)
		n->udp_in_range += seen[p];
}

/* Does a socket hold its port against bind(pool address, 0)? */
static int naive_overlap(const struct snap_pool *pl, const struct sock_rec *r)
{
	static const uint8_t zero[16];
	int pool_any = memcmp(pl->saddr, zero, pl->family == AF_INET ? 4 : 16) == 0;
	int sock_any = memcmp(r->saddr, zero, r->family == AF_INET ? 4 : 16) == 0;

	if (pl->family == r->family)
		return pool_any || sock_any ||
		       key_eq(r->family, pl->saddr, r->saddr);
	if (pl->family == AF_INET)   /* IPv6 socket: skipped if V6ONLY; a
				      * v4 wildcard meets all the others */
		return !(r->flags & SOCK_F_V6ONLY) && (pool_any || sock_any);
	return pool_any;             /* IPv4 socket vs IPv6 wildcard pool */
}

static void naive_check_pools(const struct snapshot *snap, const struct naive *n,
			      const struct sysctl_vals *v,
			      const struct gen *g, size_t ng)
{
	uint8_t *held = malloc(PORTS);
	size_t i, j;

	assert_non_null(held);
	assert_non_null(find_pool(snap, TCP, "0.0.0.0"));
	assert_non_null(find_pool(snap, UDP, "0.0.0.0"));
	check_pools_sorted(snap);
	for (i = 0; i < snap->npools; i++) {
		const struct snap_pool *pl = &snap->pools[i];
		uint32_t in_use = 0, usable_held = 0;
		unsigned p;

		memset(held, 0, PORTS);
		for (j = 0; j < ng; j++)
			if (g[j].r.proto == pl->proto &&
			    rnd_in_range(v, g[j].r.sport) &&
			    naive_overlap(pl, &g[j].r))
				held[g[j].r.sport] = 1;
		for (p = 0; p < PORTS; p++) {
			in_use += held[p];
			usable_held += (uint32_t)(held[p] && n->usable[p]);
		}
		assert_int_equal(pl->in_use, in_use);
		{
			uint32_t loss = pl->proto == TCP ? n->parity : 0;
			uint32_t left = n->nnonreserved - usable_held;

			assert_int_equal(pl->available, left > loss ? left - loss : 0);
		}
	}
	/* every local address in use in the range has its pool */
	for (j = 0; j < ng; j++) {
		const struct sock_rec *r = &g[j].r;
		int found = 0;

		if (!rnd_in_range(v, r->sport))
			continue;
		for (i = 0; i < snap->npools; i++)
			if (snap->pools[i].proto == r->proto &&
			    snap->pools[i].family == r->family &&
			    key_eq(r->family, snap->pools[i].saddr, r->saddr))
				found++;
		assert_int_equal(found, 1);
	}
	free(held);
}

static void random_run(struct fx *f, uint64_t seed, unsigned low,
		       unsigned high, int tw_reuse)
{
	struct sample *s = &f->s;
	struct naive *n = calloc(1, sizeof(*n));
	struct gen *g = calloc(RND_SOCKS, sizeof(*g));
	const struct snapshot *snap;
	uint64_t x = seed;
	size_t i, k, ndests = 0;

	assert_non_null(n);
	assert_non_null(g);
	n->used = calloc(NKEYS, PORTS);
	assert_non_null(n->used);
	n->rused = calloc(NKEYS, PORTS);
	assert_non_null(n->rused);

	set_range(s, low, high);
	/* a few reserved ports inside, one block straddling the low end */
	reserve(s, low + 40, low + 49);
	reserve(s, low - 5, low + 2);
	reserve(s, (low + high) / 2, (low + high) / 2);
	s->sys.tcp_tw_reuse = tw_reuse;
	s->sys.known |= SYSCTL_K_TW_REUSE;

	for (i = 0; i < RND_SOCKS; i++) {
		struct gen *gi = &g[i];
		unsigned roll = rnd_below(&x, 100);
		/* local ports from a little below to a little above the range */
		unsigned sport = low - 50 + rnd_below(&x, high - low + 101);

		if (roll < 10) {          /* UDP on some local address */
			const char *a = rbind[rnd_below(&x, NBIND)];

			gi->r = rec(UDP, a, sport, strchr(a, ':') ? "::" :
				    "0.0.0.0", 0, SOCK_CLOSE);
			gi->key = -1;
		} else if (roll < 14) {   /* LISTEN or BOUND */
			const char *a = rbind[rnd_below(&x, NBIND)];

			gi->r = rec(TCP, a, sport, strchr(a, ':') ? "::" :
				    "0.0.0.0", 0,
				    roll < 12 ? SOCK_LISTEN : SOCK_BOUND);
			if (gi->r.family == AF_INET6 && rnd_below(&x, 2))
				gi->r.flags = SOCK_F_V6ONLY;
			gi->key = -1;
		} else {
			unsigned key = rnd_below(&x, NKEYS);

			gi->r = rec(TCP, rkeys[key].saddr, sport,
				    rkeys[key].daddr, rkeys[key].dport,
				    rstates[rnd_below(&x, NSTATES)]);
			if (gi->r.state == SOCK_TIME_WAIT) {
				gi->r.expires_ms = rnd_below(&x, 65000);
				gi->r.timer = 3;
				if (rnd_below(&x, 20) == 0)
					gi->r.ifindex = 1;
			}
			gi->key = (int)key;
		}
		push(s, &gi->r);
	}
	naive_compute(n, &s->sys, g, RND_SOCKS);
	snap = update(f);

	assert_int_equal(snap->nsocks, RND_SOCKS);
	assert_int_equal(snap->usable, n->nusable);
	assert_int_equal(snap->reserved, n->nreserved);
	assert_int_equal(snap->owned_ports, n->nowned);
	assert_int_equal(snap->ports_in_use, n->ports_in_use);
	assert_int_equal(snap->udp_ports_in_range, n->udp_in_range);
	assert_int_equal(snap->unattributed_time_wait, n->tw);
	for (k = 0; k < SOCK_STATE_MAX; k++)
		assert_int_equal(snap->tcp_states[k], n->tcp_states[k]);
	for (k = 0; k < PORTS; k++) {
		assert_int_equal(snap_bit(snap->usable_map, (unsigned)k),
				 n->usable[k]);
		assert_int_equal(snap_bit(snap->owned_map, (unsigned)k),
				 n->owned[k]);
	}

	for (k = 0; k < NKEYS; k++) {
		const struct snap_dest *d = find_dest(snap, TCP, rkeys[k].saddr,
						      rkeys[k].daddr,
						      rkeys[k].dport);
		size_t st;

		if (n->sockets[k] == 0) {
			assert_null(d);
			continue;
		}
		ndests++;
		assert_non_null(d);
		assert_int_equal(d->sockets, n->sockets[k]);
		assert_int_equal(d->in_use, n->in_use[k]);
		assert_int_equal(d->available, n->available[k]);
		assert_int_equal(d->reusable, n->reusable[k]);
		for (st = 0; st < SOCK_STATE_MAX; st++)
			assert_int_equal(d->states[st], n->states[k][st]);
		assert_true(near(d->headroom_pct,
				 100.0 * n->available[k] / n->nusable));
	}
	assert_int_equal(snap->ndests, ndests);
	check_sorted(snap);
	check_links(snap);
	naive_check_pools(snap, n, &s->sys, g, RND_SOCKS);

	free(n->used);
	free(n->rused);
	free(n);
	free(g);
}

static void test_random(void **state)
{
	struct fx *f = *state;

	/* odd-sized range (999 ports), loopback-only reuse */
	random_run(f, 0x9e3779b97f4a7c15ull, 40000, 40998, 2);
	/* even range, reuse everywhere */
	random_run(f, 12345, 40000, 40999, 1);
	/* a small range swamped by 5,000 sockets: dests near zero */
	random_run(f, 777, 40000, 40099, 0);
}

/* ---- radix sort (engine/radix.h) ------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Sort keys[0..n) with vals 0..n-1 and compare with qsort: the same keys,
 * each val naming the input slot of its key, equal keys in input order
 * (vals ascending). Then again without vals.
 */
static void radix_case(const uint64_t *keys, size_t n)
{
	uint64_t *ref = malloc((n + 1) * sizeof(uint64_t));
	uint64_t *k = malloc((n + 1) * sizeof(uint64_t));
	uint64_t *ktmp = malloc((n + 1) * sizeof(uint64_t));
	uint32_t *v = malloc((n + 1) * sizeof(uint32_t));
	uint32_t *vtmp = malloc((n + 1) * sizeof(uint32_t));
	uint8_t *seen = calloc(n + 1, 1);
	size_t i;

	assert_non_null(ref);
	assert_non_null(k);
	assert_non_null(ktmp);
	assert_non_null(v);
	assert_non_null(vtmp);
	assert_non_null(seen);
	memcpy(ref, keys, n * sizeof(uint64_t));
	qsort(ref, n, sizeof(uint64_t), cmp_u64);

	memcpy(k, keys, n * sizeof(uint64_t));
	for (i = 0; i < n; i++)
		v[i] = (uint32_t)i;
	/* the scratch holds garbage, as it would in the model */
	memset(ktmp, 0xa5, (n + 1) * sizeof(uint64_t));
	memset(vtmp, 0x5a, (n + 1) * sizeof(uint32_t));
	radix_sort(k, ktmp, v, vtmp, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(k[i], ref[i]);
		assert_true(v[i] < n);
		assert_false(seen[v[i]]);
		seen[v[i]] = 1;
		assert_int_equal(keys[v[i]], k[i]);
		if (i > 0 && k[i] == k[i - 1])
			assert_true(v[i - 1] < v[i]);
	}

	memcpy(k, keys, n * sizeof(uint64_t));
	memset(ktmp, 0xa5, (n + 1) * sizeof(uint64_t));
	radix_sort(k, ktmp, NULL, NULL, n);
	for (i = 0; i < n; i++)
		assert_int_equal(k[i], ref[i]);

	free(ref);
	free(k);
	free(ktmp);
	free(v);
	free(vtmp);
	free(seen);
}

enum radix_kind {
	RK_FULL,          /* all 64 bits random */
	RK_EQUAL,         /* one key n times */
	RK_HIGH,          /* only the top two bytes differ */
	RK_TOP,           /* only the top byte differs (one pass) */
	RK_MIDDLE,        /* only byte 3 differs (one pass) */
	RK_LOW,           /* only the low byte differs */
	RK_DUPS,          /* five random 64-bit values, many times each */
	RK_EXTREMES,      /* 0, 1, UINT64_MAX, UINT64_MAX - 1, 1 << 63 */
	RK_SPARSE,        /* bytes 0, 2, 5 and 7 differ (four passes) */
	RK_KINDS
};

static void radix_fill(uint64_t *keys, size_t n, enum radix_kind kind,
		       uint64_t *x)
{
	uint64_t base = rnd_next(x), dups[5];
	static const uint64_t ext[] = {
		0, 1, UINT64_MAX, UINT64_MAX - 1, UINT64_C(1) << 63,
	};
	size_t i;

	for (i = 0; i < 5; i++)
		dups[i] = rnd_next(x);
	for (i = 0; i < n; i++) {
		uint64_t r = rnd_next(x);

		switch (kind) {
		case RK_FULL:
			keys[i] = r;
			break;
		case RK_EQUAL:
			keys[i] = base;
			break;
		case RK_HIGH:
			keys[i] = (base & ~(UINT64_C(0xffff) << 48)) | (r & 0xffff) << 48;
			break;
		case RK_TOP:
			keys[i] = (base & ~(UINT64_C(0xff) << 56)) | (r & 0xff) << 56;
			break;
		case RK_MIDDLE:
			keys[i] = (base & ~(UINT64_C(0xff) << 24)) | (r & 0xff) << 24;
			break;
		case RK_LOW:
			keys[i] = (base & ~UINT64_C(0xff)) | (r & 0xff);
			break;
		case RK_DUPS:
			keys[i] = dups[rnd_below(x, 5)];
			break;
		case RK_EXTREMES:
			keys[i] = ext[rnd_below(x, 5)];
			break;
		default: {
			uint64_t mask = UINT64_C(0xff) | UINT64_C(0xff) << 16 |
					UINT64_C(0xff) << 40 | UINT64_C(0xff) << 56;

			keys[i] = (base & ~mask) | (r & mask);
			break;
		}
		}
	}
}

static void test_radix_sort(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 17, 256, 1000, 4099 };
	uint64_t x = 0x243f6a8885a308d3ull;
	uint64_t *keys = malloc(4100 * sizeof(uint64_t));
	size_t si, round;
	int kind;

	(void)state;
	assert_non_null(keys);
	for (round = 0; round < 3; round++)
		for (kind = 0; kind < RK_KINDS; kind++)
			for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
				radix_fill(keys, sizes[si], (enum radix_kind)kind, &x);
				radix_case(keys, sizes[si]);
			}
	/* two keys in either order, and already sorted / reversed runs */
	keys[0] = 5;
	keys[1] = 3;
	radix_case(keys, 2);
	keys[0] = 3;
	keys[1] = 5;
	radix_case(keys, 2);
	for (si = 0; si < 4099; si++)
		keys[si] = (uint64_t)si * UINT64_C(0x0101010101010101);
	radix_case(keys, 4099);
	for (si = 0; si < 4099; si++)
		keys[si] = UINT64_MAX - (uint64_t)si * 977;
	radix_case(keys, 4099);
	free(keys);
}

/* ---- the views' indexes (engine/sockindex.h) ------------------------------------ */

static const char *const idx_v4[] = {
	"0.0.0.0", "10.0.0.1", "10.0.0.2", "127.0.0.1", "1.0.0.0",
	"200.0.0.0", "255.255.255.255", "192.168.7.9",
};
#define IDX_NV4 (sizeof(idx_v4) / sizeof(idx_v4[0]))
static const char *const idx_v6[] = {
	"::", "::1", "2001:db8::1", "2001:db8::2", "fe80::1",
	"2001:db8::100", "ff00::", "2001:db8::1:0", "ffff:ffff::ffff",
};
#define IDX_NV6 (sizeof(idx_v6) / sizeof(idx_v6[0]))
#define IDX_NPROCS 6

/* The owners a sample names: IDX_NPROCS processes, then a uid-only group. */
static void idx_procs(struct sample *s)
{
	size_t j;

	s->nprocs = 0;
	s->procs = realloc(s->procs, (IDX_NPROCS + 1) * sizeof(*s->procs));
	assert_non_null(s->procs);
	s->procs_cap = IDX_NPROCS + 1;
	for (j = 0; j <= IDX_NPROCS; j++) {
		struct sample_proc *p = &s->procs[j];

		memset(p, 0, sizeof(*p));
		p->pid = j < IDX_NPROCS ? 300 + (int)j : 0;
		p->uid = 1000 + (uint32_t)j;
		p->start_time = j < IDX_NPROCS ? 5000 + j : 0;
		p->cgroup_id = j < IDX_NPROCS ? 0 : 77;
		snprintf(p->comm, sizeof(p->comm), "%s",
			 j < IDX_NPROCS ? "worker" : "");
		snprintf(p->user, sizeof(p->user), "u%u", (unsigned)j);
	}
	s->nprocs = IDX_NPROCS + 1;
}

/* A random local address: a listed one mostly, sometimes any v4 address
 * or a random v6 one in 2001:db8::/32. */
static uint8_t idx_addr(uint64_t *x, uint8_t out[16])
{
	unsigned roll = rnd_below(x, 100);
	uint64_t r = rnd_next(x);

	memset(out, 0, 16);
	if (roll < 40)
		return addr_parse(idx_v4[rnd_below(x, IDX_NV4)], out);
	if (roll < 80)
		return addr_parse(idx_v6[rnd_below(x, IDX_NV6)], out);
	if (roll < 90) {
		memcpy(out, &r, 4);
		return AF_INET;
	}
	out[0] = 0x20;
	out[1] = 0x01;
	out[2] = 0x0d;
	out[3] = 0xb8;
	memcpy(out + 8, &r, 8);
	if (rnd_below(x, 2))
		out[4] = (uint8_t)rnd_below(x, 256);
	return AF_INET6;
}

/*
 * A sample of n random sockets on range low-high (a few reserved ports):
 * IPv4 and IPv6, TCP in every state and UDP, ports in and out of the
 * range, many sharing a local (address, port), some exact copies. With
 * owners, each socket names a process, the uid-only group or nobody.
 */
static void idx_fill(struct fx *f, uint64_t *x, size_t n, int owners,
		     unsigned low, unsigned high)
{
	struct sample *s = &f->s;
	const unsigned hot[] = { low, low + 1, (low + high) / 2, high, 80, 0,
				 65535, high + 1 };
	size_t i;

	f->s.time += 1.0;
	f->s.mono += 1.0;
	set_range(s, low, high);
	reserve(s, low + 3, low + 9);
	reserve(s, high - 1, high + 4 > 65535 ? 65535 : high + 4);
	s->nprocs = 0;
	s->nowner = 0;
	if (owners) {
		idx_procs(s);
		s->owner = realloc(s->owner, (n + 1) * sizeof(*s->owner));
		assert_non_null(s->owner);
		s->owner_cap = n + 1;
	}
	for (i = 0; i < n; i++) {
		struct sock_rec r;
		unsigned roll = rnd_below(x, 100);

		if (i > 0 && roll < 5) {   /* an exact copy of an earlier one */
			r = s->socks.v[rnd_below(x, (unsigned)i)];
		} else {
			memset(&r, 0, sizeof(r));
			r.family = idx_addr(x, r.saddr);
			if (r.family == AF_INET)
				addr_parse(rnd_below(x, 3) ? "10.1.0.1" : "10.1.0.2",
					   r.daddr);
			else
				addr_parse(rnd_below(x, 3) ? "2001:db8::9" : "::1",
					   r.daddr);
			r.dport = rnd_below(x, 2) ? 443 : 5432;
			roll = rnd_below(x, 100);
			if (roll < 45)
				r.sport = (uint16_t)(low + rnd_below(x, high - low + 1));
			else if (roll < 75)
				r.sport = (uint16_t)hot[rnd_below(x, sizeof(hot) /
								sizeof(hot[0]))];
			else
				r.sport = (uint16_t)rnd_below(x, 65536);
			if (rnd_below(x, 6) == 0) {
				r.proto = UDP;
				r.state = rnd_below(x, 2) ? SOCK_CLOSE : SOCK_ESTABLISHED;
			} else {
				r.proto = TCP;
				/* every state, 1..SOCK_BOUND, TIME_WAIT and
				 * ESTABLISHED more often */
				roll = rnd_below(x, SOCK_STATE_MAX + 3);
				r.state = (uint8_t)(roll >= SOCK_STATE_MAX ?
						    (roll == SOCK_STATE_MAX ?
						     SOCK_ESTABLISHED : SOCK_TIME_WAIT) :
						    roll == 0 ? SOCK_LISTEN : roll);
			}
			if (r.proto == UDP ? r.state == SOCK_CLOSE :
			    r.state == SOCK_LISTEN || r.state == SOCK_BOUND) {
				memset(r.daddr, 0, sizeof(r.daddr));
				r.dport = 0;
			}
			if (r.proto == TCP && r.state == SOCK_TIME_WAIT) {
				r.timer = 3;
				r.expires_ms = rnd_below(x, 60000);
			} else {
				r.inode = 100000u + (uint32_t)i;
				r.uid = 1000;
				r.cookie = ((uint64_t)f->s.mono << 32) + i + 1;
			}
			if (r.family == AF_INET6 && rnd_below(x, 3) == 0)
				r.flags = SOCK_F_V6ONLY;
		}
		push(s, &r);
		if (owners) {
			unsigned o = rnd_below(x, IDX_NPROCS + 2);

			s->owner[i] = o <= IDX_NPROCS ? o : SAMPLE_NO_OWNER;
		}
	}
	if (owners)
		s->nowner = n;
}

struct idx_ref {
	const struct sock_rec *r;
	uint32_t i;
};

/* (family, the 16 address bytes, port), then dump order. */
static int cmp_idx_ref(const void *a, const void *b)
{
	const struct idx_ref *x = a, *y = b;
	int c;

	if (x->r->family != y->r->family)
		return x->r->family < y->r->family ? -1 : 1;
	c = memcmp(x->r->saddr, y->r->saddr, 16);
	if (c)
		return c;
	if (x->r->sport != y->r->sport)
		return x->r->sport < y->r->sport ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/*
 * first/members against a walk of the reference order per group: group g
 * lists exactly the sockets with group[s] == g, in reference order.
 */
static void idx_check_group(const uint32_t *order, size_t n,
			    const uint32_t *group, size_t ngroups,
			    uint32_t none, const uint32_t *first,
			    const uint32_t *members)
{
	size_t g, k, linked = 0;

	assert_non_null(first);
	assert_non_null(members);
	for (k = 0; k < n; k++) {
		if (group[k] == none)
			continue;
		assert_true(group[k] < ngroups);
		linked++;
	}
	assert_int_equal(first[0], 0);
	assert_int_equal(first[ngroups], linked);
	for (g = 0; g < ngroups; g++)
		assert_true(first[g] <= first[g + 1]);
	for (g = 0; g < ngroups; g++) {
		size_t j = first[g];

		for (k = 0; k < n; k++) {
			uint32_t s = order[k];

			if (group[s] != g)
				continue;
			assert_true(j < first[g + 1]);
			assert_int_equal(members[j], s);
			j++;
		}
		assert_int_equal(j, first[g + 1]);
	}
}

/* The class a socket gives its port, as model.h's comment states it. */
static uint8_t idx_naive_class(const struct sock_rec *r)
{
	if (r->proto == TCP && r->state == SOCK_TIME_WAIT)
		return SNAP_PORT_TIME_WAIT;
	if (r->proto == TCP && r->state == SOCK_ESTABLISHED)
		return SNAP_PORT_ESTABLISHED;
	if (r->proto == TCP && (r->state == SOCK_LISTEN || r->state == SOCK_BOUND))
		return SNAP_PORT_OWNED;
	return SNAP_PORT_OTHER;
}

/* Every index of the snapshot against a naive computation. */
static void idx_check(const struct snapshot *snap)
{
	size_t n = snap->nsocks, i;
	struct idx_ref *ref = malloc((n + 1) * sizeof(*ref));
	uint32_t *order = malloc((n + 1) * sizeof(uint32_t));
	uint8_t *seen = calloc(n + 1, 1);
	uint8_t *pc = malloc(PORTS);
	unsigned p;

	assert_non_null(ref);
	assert_non_null(order);
	assert_non_null(seen);
	assert_non_null(pc);

	/* sock_order: a permutation, and the stable sort */
	assert_non_null(snap->sock_order);
	for (i = 0; i < n; i++) {
		assert_true(snap->sock_order[i] < n);
		assert_false(seen[snap->sock_order[i]]);
		seen[snap->sock_order[i]] = 1;
		ref[i].r = &snap->socks[i];
		ref[i].i = (uint32_t)i;
	}
	qsort(ref, n, sizeof(*ref), cmp_idx_ref);
	for (i = 0; i < n; i++) {
		order[i] = ref[i].i;
		if (snap->sock_order[i] != order[i]) {
			char a[64], b[64];
			const struct sock_rec *x = &snap->socks[order[i]];
			const struct sock_rec *y = &snap->socks[snap->sock_order[i]];

			fail_msg("sock_order[%zu]: want socket %u (%s port %u), "
				 "got %u (%s port %u)", i, (unsigned)order[i],
				 sock_addr_format(x->family, x->saddr, a, sizeof(a)),
				 (unsigned)x->sport, (unsigned)snap->sock_order[i],
				 sock_addr_format(y->family, y->saddr, b, sizeof(b)),
				 (unsigned)y->sport);
		}
	}

	/* dests, then procs rows */
	assert_non_null(snap->sock_dest);
	idx_check_group(order, n, snap->sock_dest, snap->ndests, SNAP_NO_DEST,
			snap->dest_first, snap->dest_socks);
	if (snap->nprocs == 0) {
		assert_null(snap->proc_first);
		assert_null(snap->proc_socks);
	} else {
		assert_non_null(snap->sock_proc);
		idx_check_group(order, n, snap->sock_proc, snap->nprocs,
				SNAP_NO_PROC, snap->proc_first, snap->proc_socks);
	}

	/* port_class: the port's state, raised by every socket on it */
	assert_non_null(snap->port_class);
	for (p = 0; p < PORTS; p++)
		pc[p] = !snap_bit(snap->usable_map, p) ? SNAP_PORT_RESERVED :
			snap_bit(snap->owned_map, p) ? SNAP_PORT_OWNED :
			SNAP_PORT_FREE;
	for (i = 0; i < n; i++) {
		const struct sock_rec *r = &snap->socks[i];
		uint8_t c = idx_naive_class(r);

		assert_int_equal(snap_sock_port_class(r), c);
		if (c > pc[r->sport])
			pc[r->sport] = c;
	}
	for (p = 0; p < PORTS; p++)
		if (snap->port_class[p] != pc[p])
			fail_msg("port_class[%u]: want %u, got %u", p,
				 (unsigned)pc[p], (unsigned)snap->port_class[p]);

	free(ref);
	free(order);
	free(seen);
	free(pc);
}

static void test_index_random(void **state)
{
	static const struct {
		uint64_t seed;
		size_t n;
		int owners;
		unsigned low, high;
	} runs[] = {
		{ 1, 0, 0, 40000, 40999 },
		{ 2, 1, 0, 40000, 40999 },
		{ 3, 2, 1, 40000, 40999 },
		{ 4, 3000, 0, 32768, 60999 },
		{ 5, 3000, 1, 40000, 40099 },
		{ 6, 700, 1, 1024, 65535 },
		{ 0x9e3779b97f4a7c15ull, 2500, 1, 40000, 40998 },
		{ 0xdeadbeefull, 1500, 0, 50000, 50000 },
	};
	struct fx *f = *state;
	size_t r;

	for (r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		const struct snapshot *snap;
		uint64_t x = runs[r].seed;

		idx_fill(f, &x, runs[r].n, runs[r].owners, runs[r].low,
			 runs[r].high);
		snap = update(f);
		assert_int_equal(snap->nsocks, runs[r].n);
		if (runs[r].owners && runs[r].n > 100)
			assert_true(snap->nprocs > 0);
		idx_check(snap);
	}
}

/* Every socket on one local address and port: the order is the dump's. */
static void test_index_ties(void **state)
{
	struct fx *f = *state;
	const struct snapshot *snap;
	unsigned i;

	set_range(&f->s, 40000, 40999);
	for (i = 0; i < 300; i++)
		add(&f->s, TCP, "2001:db8::1", 40100, "2001:db8::9", 1000 + i,
		    i % 3 ? SOCK_ESTABLISHED : SOCK_TIME_WAIT);
	for (i = 0; i < 300; i++)
		add(&f->s, TCP, "10.0.0.1", 40100, "10.1.0.1", 1000 + i,
		    i % 3 ? SOCK_ESTABLISHED : SOCK_TIME_WAIT);
	snap = update(f);
	assert_int_equal(snap->nsocks, 600);
	idx_check(snap);
	/* IPv4 first, then each family in dump order */
	for (i = 0; i < 600; i++)
		assert_int_equal(snap->sock_order[i], (i + 300) % 600);
	assert_int_equal(snap->port_class[40100], SNAP_PORT_ESTABLISHED);
}

/* Successive updates of growing and shrinking size, owners on and off,
 * then a -p filter, then none again: every snapshot's indexes are its own. */
static void test_index_updates(void **state)
{
	static const size_t sizes[] = { 3000, 10, 0, 4000, 1, 2500, 5, 3500 };
	static const int pids[] = { 301, 304 };
	struct fx *f = *state;
	uint64_t x = 0x0123456789abcdefull;
	size_t r, i;

	for (r = 0; r < sizeof(sizes) / sizeof(sizes[0]); r++) {
		idx_fill(f, &x, sizes[r], (int)(r % 2), 40000 + 10 * (unsigned)r,
			 40999 + (unsigned)r);
		idx_check(update(f));
	}
	assert_int_equal(model_set_pid_filter(f->m, pids, 2), 0);
	for (r = 0; r < sizeof(sizes) / sizeof(sizes[0]); r++) {
		const struct snapshot *snap;

		idx_fill(f, &x, sizes[r], 1, 40000, 40999);
		snap = update(f);
		assert_true(snap->nsocks <= sizes[r]);
		if (sizes[r] > 100) {
			assert_true(snap->nsocks > 0);
			assert_true(snap->nsocks < sizes[r]);
		}
		for (i = 0; i < snap->nsocks; i++) {
			int pid;

			assert_true(snap->sock_proc[i] < snap->nprocs);
			pid = snap->procs[snap->sock_proc[i]].pid;
			assert_true(pid == 301 || pid == 304);
		}
		idx_check(snap);
	}
	assert_int_equal(model_set_pid_filter(f->m, NULL, 0), 0);
	idx_fill(f, &x, 2000, 0, 40000, 40999);
	idx_check(update(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_range_plain, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_range_reserved, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_range_odd, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_owned, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_destinations, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tw_reuse, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tw_reuse_not_available, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bind_states, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pools_wildcards_always, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pools, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pools_v6only, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_totals, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_warnings, fx_setup, fx_teardown),
		cmocka_unit_test(test_snapshot_warn_limits),
		cmocka_unit_test_setup_teardown(test_lifecycle, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_random, fx_setup, fx_teardown),
		cmocka_unit_test(test_radix_sort),
		cmocka_unit_test_setup_teardown(test_index_random, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_index_ties, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_index_updates, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
