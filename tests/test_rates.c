#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "events.h"
#include "model.h"
#include "netstat.h"
#include "nlio.h"
#include "out_json.h"
#include "out_text.h"
#include "rates.h"
#include "sampler.h"

/*
 * Rates, forecasts, destroy events and netstat counters. The model tests
 * drive a simulated destination on a manual clock: closes at an exact
 * schedule, TIME_WAIT entries that age and expire like the kernel's, and
 * samples built from that state.
 */

static int near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

/* ---- rates_ewma ---------------------------------------------------------- */

static void test_ewma(void **state)
{
	double v = 0;
	int i;

	(void)state;
	/* constant input: stays put */
	assert_true(near(rates_ewma(5.0, 5.0, 0.5, 10.0), 5.0, 1e-12));
	/* one step: prev + (1 - e^(-dt/tau)) (value - prev) */
	assert_true(near(rates_ewma(0.0, 100.0, 1.0, 10.0),
			 100.0 * (1.0 - exp(-0.1)), 1e-9));
	/* irregular steps weigh by their length: two 0.5 s steps toward the
	 * same value equal one 1 s step */
	assert_true(near(rates_ewma(rates_ewma(0.0, 100.0, 0.5, 10.0), 100.0,
				    0.5, 10.0),
			 rates_ewma(0.0, 100.0, 1.0, 10.0), 1e-9));
	/* after 5 tau within 1% */
	for (i = 0; i < 100; i++)
		v = rates_ewma(v, 200.0, 0.5, 10.0);
	assert_true(near(v, 200.0, 200.0 * exp(-5.0) + 1e-9));
	assert_true(v < 200.0);
	/* nonsense dt or tau: unchanged */
	assert_true(rates_ewma(3.0, 100.0, 0.0, 10.0) == 3.0);
	assert_true(rates_ewma(3.0, 100.0, -1.0, 10.0) == 3.0);
	assert_true(rates_ewma(3.0, 100.0, 1.0, 0.0) == 3.0);
}

/* ---- rates_forecast_eta ------------------------------------------------ */

static void test_forecast_constant(void **state)
{
	uint32_t left[4] = { 1000, 2000, 3000, 4000 };

	(void)state;
	/* from empty: available / rate, while that is within 60 s */
	assert_true(near(rates_forecast_eta(5000, 200, 60, NULL, 0), 25.0, 1e-9));
	assert_true(near(rates_forecast_eta(1, 1000, 60, NULL, 0), 0.001, 1e-12));
	/* exhausted now, whatever the rate */
	assert_true(rates_forecast_eta(0, 0, 60, NULL, 0) == 0.0);
	assert_true(rates_forecast_eta(-3, 5, 60, NULL, 0) == 0.0);
	/* no rate, no forecast */
	assert_true(rates_forecast_eta(10, 0, 60, left, 4) == SNAP_NO_ETA);
	assert_true(rates_forecast_eta(10, -1, 60, left, 4) == SNAP_NO_ETA);
	assert_true(rates_forecast_eta(10, (double)NAN, 60, left, 4) == SNAP_NO_ETA);
	/* entries expiring free a port each: 2 free, rate 1/s; at 1 s one
	 * frees (free 2), at 2 s another (2), ... zero at 2 + 4 = 6 s */
	assert_true(near(rates_forecast_eta(2, 1, 60, left, 4), 6.0, 1e-9));
	/* rate x 60 above what is free for good: runs out before 60 s */
	assert_true(near(rates_forecast_eta(100, 2, 60, NULL, 0), 50.0, 1e-9));
}

/* The steady state fits: rate x hold + held < free for good. */
static void test_forecast_steady_null(void **state)
{
	static uint32_t left[3000];
	unsigned i;

	(void)state;
	/* 28232 usable, nothing held, 400/s: needs 24000 < 28232 */
	assert_true(rates_forecast_eta(28232, 400, 60, NULL, 0) == SNAP_NO_ETA);
	/* ... and 480/s needs 28800: runs out in 28232 / 480 s */
	assert_true(near(rates_forecast_eta(28232, 480, 60, NULL, 0),
			 28232.0 / 480, 1e-9));
	/* at steady state 50/s: 3000 entries expiring 50/s, 2000 free: the
	 * frees balance the arrivals, never 0 */
	for (i = 0; i < 3000; i++)
		left[i] = 20 * (i + 1);
	assert_true(rates_forecast_eta(2000, 50, 60, left, 3000) == SNAP_NO_ETA);
	/* 90/s against the same state: 5400 + 0 > 5000: runs out */
	assert_true(rates_forecast_eta(2000, 90, 60, left, 3000) > 0);
	/* held only 1 s each (tcp_tw_reuse): 200/s needs 200 ports */
	assert_true(rates_forecast_eta(5000, 200, 1.0, NULL, 0) == SNAP_NO_ETA);
	assert_true(near(rates_forecast_eta(150, 200, 1.0, NULL, 0), 0.75, 1e-9));
}

/* A burst of TIME_WAIT still draining: the ports can run out before it
 * has drained even though the steady state fits. */
static void test_forecast_burst(void **state)
{
	static uint32_t left[900];
	unsigned i;

	(void)state;
	for (i = 0; i < 900; i++)
		left[i] = 59000;
	/* 100 free, 10/s (600 needed for good, fits in 1000): out in 10 s */
	assert_true(near(rates_forecast_eta(100, 10, 60, left, 900), 10.0, 1e-9));
	/* the burst drains at 5 s: 30/s runs out first, at 3.33 s */
	for (i = 0; i < 900; i++)
		left[i] = 5000;
	assert_true(near(rates_forecast_eta(100, 30, 60, left, 900), 100.0 / 30,
			 1e-9));
	/* 15/s: 100 / 15 = 6.7 s is after the drain; then 1000 - 15 t > 0
	 * up to 60 s: never */
	assert_true(rates_forecast_eta(100, 15, 60, left, 900) == SNAP_NO_ETA);
	/* the zero lands between two expiries */
	left[0] = 1000;
	left[1] = 5000;
	assert_true(near(rates_forecast_eta(2, 1, 60, left, 2), 3.0, 1e-9));
}

/* ---- the model on a simulated destination ------------------------------ */

#define SIM_LOW 40000u
#define SIM_HIGH 44999u
#define SIM_USABLE 5000u
#define SIM_MAX_TW 20000
#define SIM_TW_S 60.0

struct sim {
	double now;
	struct clock clk;
	struct model *m;
	struct sample s;
	int have_prev;
	double prev_mono;
	/* TIME_WAIT entries, oldest first */
	double created[SIM_MAX_TW];
	uint16_t port[SIM_MAX_TW];
	uint64_t cookie[SIM_MAX_TW];
	uint64_t next_cookie;
	int no_cookies;               /* entries without cookies */
	double mono_lag;              /* mono read this long after the dump */
	size_t head, ntw;
	uint8_t used[65536 / 8];
	uint16_t cursor;
	uint32_t live;                /* ESTABLISHED on SIM_LOW.. */
	uint64_t k;                   /* closes scheduled so far */
	double t0, rate;              /* schedule: close k at t0 + k / rate */
	uint32_t closes;              /* this host closed (TIME_WAIT) */
	uint32_t peer_closes;         /* the peer closed (no TIME_WAIT) */
	uint32_t defer;               /* closes whose events come one sample
					 late (events lag their entries) */
	uint32_t deferred;
	int tw_reuse;
	int daddr_last;               /* last byte of 10.0.0.x */
	uint64_t active_opens;
};

static void sim_set(uint8_t *map, unsigned p, int on)
{
	if (on)
		map[p >> 3] |= (uint8_t)(1u << (p & 7));
	else
		map[p >> 3] &= (uint8_t)~(1u << (p & 7));
}

static int sim_get(const uint8_t *map, unsigned p)
{
	return (map[p >> 3] >> (p & 7)) & 1;
}

static struct sim *sim_new(uint32_t live)
{
	struct sim *sm = calloc(1, sizeof(*sm));
	uint32_t i;

	assert_non_null(sm);
	clock_init_manual(&sm->clk, &sm->now);
	assert_int_equal(model_new(&sm->m), 0);
	sample_init(&sm->s);
	sm->live = live;
	for (i = 0; i < live; i++)
		sim_set(sm->used, SIM_LOW + i, 1);
	sm->cursor = (uint16_t)(SIM_LOW + live);
	sm->daddr_last = 2;
	return sm;
}

static void sim_free(struct sim *sm)
{
	model_free(sm->m);
	sample_release(&sm->s);
	free(sm);
}

static void sim_expire(struct sim *sm)
{
	while (sm->ntw > 0 && sm->now - sm->created[sm->head] >= SIM_TW_S) {
		sim_set(sm->used, sm->port[sm->head], 0);
		sm->head = (sm->head + 1) % SIM_MAX_TW;
		sm->ntw--;
	}
}

/* This host closes one connection at time t: a TIME_WAIT entry. */
static void sim_close_at(struct sim *sm, double t)
{
	size_t slot = (sm->head + sm->ntw) % SIM_MAX_TW;
	unsigned tries = 0;

	assert_true(sm->ntw < SIM_MAX_TW);
	while (sim_get(sm->used, sm->cursor)) {
		sm->cursor = sm->cursor >= SIM_HIGH ? (uint16_t)SIM_LOW
						    : (uint16_t)(sm->cursor + 1);
		assert_true(++tries <= SIM_USABLE);
	}
	sim_set(sm->used, sm->cursor, 1);
	sm->port[slot] = sm->cursor;
	sm->created[slot] = t;
	sm->cookie[slot] = ++sm->next_cookie;
	sm->ntw++;
	sm->closes++;
	sm->active_opens++;
}

/* Run the clock to `until` at the current rate (0: no closes). */
static void sim_run(struct sim *sm, double until)
{
	while (sm->rate > 0) {
		double t = sm->t0 + (double)(sm->k + 1) / sm->rate;

		if (t > until)
			break;
		sm->now = t;
		sim_expire(sm);
		sim_close_at(sm, t);
		sm->k++;
	}
	sm->now = until;
	sim_expire(sm);
}

static void sim_rate(struct sim *sm, double rate)
{
	sm->rate = rate;
	sm->t0 = sm->now;
	sm->k = 0;
}

static void sim_key(const struct sim *sm, struct ev_key *k)
{
	memset(k, 0, sizeof(*k));
	k->saddr[0] = 10;
	k->saddr[3] = 1;
	k->daddr[0] = 10;
	k->daddr[3] = (uint8_t)sm->daddr_last;
	k->dport = 443;
	k->family = AF_INET;
	k->proto = IPPROTO_TCP;
}

static void sim_rec(const struct sim *sm, struct sock_rec *r, uint16_t sport,
		    uint8_t st, uint32_t expires_ms)
{
	struct ev_key k;

	sim_key(sm, &k);
	memset(r, 0, sizeof(*r));
	memcpy(r->saddr, k.saddr, 16);
	memcpy(r->daddr, k.daddr, 16);
	r->sport = sport;
	r->dport = 443;
	r->family = AF_INET;
	r->proto = IPPROTO_TCP;
	r->state = st;
	r->expires_ms = expires_ms;
	r->timer = st == SOCK_TIME_WAIT ? 3 : 0;
}

/*
 * Take a sample of the simulated state and feed the model. `events`:
 * SAMPLE_EV_EXACT counts every close, SAMPLE_EV_LOST only `lost_keep` of
 * them (an overrun), SAMPLE_EV_NONE none.
 */
static const struct snapshot *sim_sample(struct sim *sm, int events,
					 uint32_t lost_keep)
{
	struct sample *s = &sm->s;
	struct sock_rec r;
	struct ev_key k;
	uint32_t i, closes;

	sockvec_clear(&s->socks);
	ev_counts_clear(&s->closes);
	sysctl_defaults(&s->sys);
	s->sys.port_low = SIM_LOW;
	s->sys.port_high = SIM_HIGH;
	s->sys.tcp_tw_reuse = sm->tw_reuse;
	s->sys.known = SYSCTL_K_RANGE | SYSCTL_K_RESERVED | SYSCTL_K_TW_REUSE |
		       SYSCTL_K_TIMESTAMPS | SYSCTL_K_FIN_TIMEOUT |
		       SYSCTL_K_MAX_TW | SYSCTL_K_TW_REUSE_DELAY;
	for (i = 0; i < sm->live; i++) {
		sim_rec(sm, &r, (uint16_t)(SIM_LOW + i), SOCK_ESTABLISHED, 0);
		assert_int_equal(sockvec_push(&s->socks, &r), 0);
	}
	for (i = 0; i < sm->ntw; i++) {
		size_t slot = (sm->head + i) % SIM_MAX_TW;
		double left = SIM_TW_S - (sm->now - sm->created[slot]);

		sim_rec(sm, &r, sm->port[slot], SOCK_TIME_WAIT,
			(uint32_t)llround(left * 1000.0));
		r.cookie = sm->no_cookies ? 0 : sm->cookie[slot];
		assert_int_equal(sockvec_push(&s->socks, &r), 0);
	}
	s->mono = clock_monotonic(&sm->clk) + sm->mono_lag;
	s->time = 1.7e9 + clock_wall(&sm->clk);
	s->events = events;
	s->events_since = sm->have_prev ? sm->prev_mono : s->mono;
	closes = sm->closes + sm->peer_closes + sm->deferred;
	sm->deferred = 0;
	if (sm->defer && closes >= sm->defer) {
		closes -= sm->defer;
		sm->deferred = sm->defer;
		sm->defer = 0;
	}
	if (events == SAMPLE_EV_LOST && closes > lost_keep)
		closes = lost_keep;
	sim_key(sm, &k);
	if (events != SAMPLE_EV_NONE && closes > 0)
		assert_int_equal(ev_counts_add(&s->closes, &k, closes), 0);
	s->closes.events = closes;
	if (events == SAMPLE_EV_LOST)
		s->closes.flags |= EV_OVERRUN;
	s->net.active_opens = sm->active_opens;
	s->net.known = NETSTAT_K_ACTIVE_OPENS | NETSTAT_K_TW_RECYCLED |
		       NETSTAT_K_TW_OVERFLOW;
	sm->closes = 0;
	sm->peer_closes = 0;
	sm->have_prev = 1;
	sm->prev_mono = s->mono;
	assert_int_equal(model_update(sm->m, s), 0);
	assert_non_null(model_snapshot(sm->m));
	return model_snapshot(sm->m);
}

/* The simulated destination in a snapshot (the only one). */
static const struct snap_dest *sim_dest(const struct snapshot *snap)
{
	assert_int_equal(snap->ndests, 1);
	return &snap->dests[0];
}

static int has_warning(const struct snapshot *snap, const char *needle)
{
	size_t i;

	for (i = 0; i < snap->nwarnings; i++)
		if (strstr(snap->warnings[i], needle))
			return 1;
	return 0;
}

/* Constant rate from before the first sample: exact rate at once, the
 * forecast is what is free over the rate. */
static void test_model_constant_rate(void **state)
{
	struct sim *sm = sim_new(5);
	const struct snapshot *snap;
	const struct snap_dest *d;
	int i;

	(void)state;
	sm->now = 100.0;
	sim_rate(sm, 200);
	sim_run(sm, 102.0);
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	d = sim_dest(snap);
	/* the first sample is a baseline: no rates yet */
	assert_int_equal(snap->rates_source, SNAP_RATES_NONE);
	assert_true(d->close_rate == 0.0);
	assert_true(d->eta_s == SNAP_NO_ETA);
	assert_int_equal(d->states[SOCK_TIME_WAIT], 400);

	for (i = 1; i <= 12; i++) {
		double expect;

		sim_run(sm, 102.0 + 0.5 * i);
		snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
		d = sim_dest(snap);
		assert_int_equal(snap->rates_source, SNAP_RATES_EXACT);
		assert_int_equal(snap->rates_estimated, 0);
		assert_true(near(snap->rates_interval_s, 0.5, 1e-9));
		assert_int_equal(d->closes, 100);
		assert_true(near(d->close_rate_last, 200.0, 1e-6));
		assert_true(near(d->close_rate, 200.0, 1e-6));
		assert_true(near(d->tw_rate, 200.0, 1e-6));
		/* live steady: every close replaced by a new connection */
		assert_true(near(d->new_rate, 200.0, 1e-6));
		assert_int_equal(d->states[SOCK_TIME_WAIT], 400 + 100 * i);
		/* nothing expires before it runs out: free / rate */
		expect = (double)(SIM_USABLE - 5 - (400 + 100 * i)) / 200.0;
		assert_int_equal(d->available, SIM_USABLE - 5 - (400 + 100 * i));
		assert_true(near(d->eta_s, expect, 1e-6));
		assert_true(near(snap->active_opens_rate, 200.0, 1e-6));
		assert_int_equal(snap->nwarnings, 0);
	}
	/* the outputs: 3395 free at 200/s is 16.975 s (the forecast's
	 * output, the figures marked exact: exactness is tested elsewhere) */
	{
		struct snapshot ex = *snap;
		struct snap_dest *dd = calloc(snap->ndests + 1, sizeof(*dd));
		struct strbuf sb;
		const char *row;
		size_t k;

		assert_non_null(dd);
		for (k = 0; k < snap->ndests; k++) {
			dd[k] = snap->dests[k];
			dd[k].available_min = dd[k].available;
			dd[k].exact = 1;
		}
		ex.dests = dd;
		ex.exact = 1;
		snap = &ex;
		strbuf_init(&sb);
		assert_int_equal(out_text_snapshot(&sb, snap), 0);
		assert_non_null(strstr(sb.buf, "\nForecast: tcp 10.0.0.1 -> "
				       "10.0.0.2:443 exhausted in 17 s  (closes "
				       "200.0/s)\n"));
		assert_non_null(strstr(sb.buf, "\nRates over 0.5s: connects "
				       "200.0/s  TWRecycled +0  "
				       "TCPTimeWaitOverflow +0\n"));
		row = strstr(sb.buf, "\ntcp   10.0.0.1 10.0.0.2:443 ");
		assert_non_null(row);
		assert_non_null(strstr(row, " 3395    67.9% 200.0 17s\n"));
		strbuf_reset(&sb);
		assert_int_equal(out_json_snapshot(&sb, snap), 0);
		assert_non_null(strstr(sb.buf, "\"available\": 3395, "
				       "\"available_min\": 3395, \"exact\": true, "
				       "\"headroom_pct\": 67.9, \"close_rate\": "
				       "200.000, \"eta_s\": 17.0, "
				       "\"close_rate_last\": 200.000, "
				       "\"time_wait_rate\": 200.000, \"new_rate\": "
				       "200.000, \"closes\": 100}"));
		assert_non_null(strstr(sb.buf, "\"rates\": {\"source\": "
				       "\"events\", \"events_lost\": false, "
				       "\"interval_s\": 0.500, \"close_events\": "
				       "100, \"active_opens_rate\": 200.000, "
				       "\"tw_recycled\": 0, \"tw_overflow\": 0}, "
				       "\"rates_estimated\": false, "));
		strbuf_release(&sb);
		free(dd);
	}
	sim_free(sm);
}

/* A burst, then quiet: the last interval shows it whole, the average
 * takes its share and decays; the entries drain after 60 s. */
static void test_model_burst_and_drain(void **state)
{
	struct sim *sm = sim_new(0);
	const struct snapshot *snap;
	const struct snap_dest *d;
	double avg;
	int i;

	(void)state;
	sm->now = 10.0;
	sim_close_at(sm, 10.0);    /* one entry so the destination exists */
	sm->closes = 0;
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	sim_run(sm, 11.0);
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	d = sim_dest(snap);
	assert_true(d->close_rate == 0.0);     /* quiet first interval */
	assert_true(d->eta_s == SNAP_NO_ETA);

	/* 1000 closes within one 1 s interval */
	for (i = 0; i < 1000; i++)
		sim_close_at(sm, 11.0 + 0.0009 * (i + 1));
	sim_run(sm, 12.0);
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	d = sim_dest(snap);
	assert_int_equal(d->closes, 1000);
	assert_true(near(d->close_rate_last, 1000.0, 1e-6));
	avg = 1000.0 * (1.0 - exp(-1.0 / RATES_TAU_S));
	assert_true(near(d->close_rate, avg, 1e-6));
	assert_true(near(d->tw_rate, avg, 1e-6));
	/* 1001 in TIME_WAIT, 3999 free; at ~95/s it runs out in ~42 s,
	 * before the burst drains (at ~60 s) */
	assert_true(near(d->eta_s, 3999.0 / avg, 1e-6));

	/* quiet again: the average decays by e^(-dt/tau) per interval */
	for (i = 1; i <= 10; i++) {
		sim_run(sm, 12.0 + i);
		snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
		d = sim_dest(snap);
		avg *= exp(-1.0 / RATES_TAU_S);
		assert_int_equal(d->closes, 0);
		assert_true(d->close_rate_last == 0.0);
		assert_true(near(d->close_rate, avg, 1e-6));
	}
	/* below 3999 / 49 s (the burst drains after ~49 s more): no
	 * forecast now */
	assert_true(avg * 49.0 < 3999.0);
	assert_true(d->eta_s == SNAP_NO_ETA);
	assert_int_equal(d->states[SOCK_TIME_WAIT], 1001);

	/* past 60 s the entries expire and the destination empties */
	sim_run(sm, 72.5);
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	assert_int_equal(snap->ndests, 0);
	assert_int_equal(snap->tcp_states[SOCK_TIME_WAIT], 0);
	sim_free(sm);
}

/* Below the steady state: no forecast, neither while TIME_WAIT builds up
 * nor once it is steady. */
static void test_model_below_steady(void **state)
{
	struct sim *sm = sim_new(100);
	const struct snapshot *snap;
	const struct snap_dest *d;
	int i;

	(void)state;
	/* 80/s x 60 s + 100 live = 4900 < 5000 */
	sim_rate(sm, 80);
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	for (i = 1; i <= 70; i++) {
		sim_run(sm, (double)i);
		snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
		d = sim_dest(snap);
		assert_true(near(d->close_rate, 80.0, 1e-6));
		assert_true(d->eta_s == SNAP_NO_ETA);
	}
	/* steady: 4800 in TIME_WAIT, 100 free */
	assert_int_equal(d->states[SOCK_TIME_WAIT], 4800);
	assert_int_equal(d->available, 100);
	/* 90/s would not fit: a forecast appears */
	sim_rate(sm, 90);
	for (i = 71; i <= 75; i++) {
		sim_run(sm, (double)i);
		snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	}
	d = sim_dest(snap);
	assert_true(d->eta_s > 0);
	sim_free(sm);
}

/* Without events the closes are the new TIME_WAIT entries; with lost
 * events too, never the short count. */
static void test_model_estimated(void **state)
{
	struct sim *sm = sim_new(0);
	const struct snapshot *snap;
	const struct snap_dest *d;
	char *txt;
	struct strbuf sb;
	int i;

	(void)state;
	sm->no_cookies = 1;           /* new entries by age */
	sim_rate(sm, 200);
	sim_run(sm, 1.0);
	snap = sim_sample(sm, SAMPLE_EV_NONE, 0);
	for (i = 1; i <= 4; i++) {
		sim_run(sm, 1.0 + 0.5 * i);
		snap = sim_sample(sm, SAMPLE_EV_NONE, 0);
		d = sim_dest(snap);
		assert_int_equal(snap->rates_source, SNAP_RATES_ESTIMATED);
		assert_int_equal(snap->rates_estimated, 1);
		assert_int_equal(snap->events_lost, 0);
		assert_int_equal(d->closes, 100);
		assert_true(near(d->close_rate, 200.0, 1e-6));
		assert_true(has_warning(snap, "unavailable"));
	}
	sim_free(sm);

	/* exact, then an overrun that kept 10 of 100 events */
	sm = sim_new(0);
	sim_rate(sm, 200);
	sim_run(sm, 1.0);
	sim_sample(sm, SAMPLE_EV_EXACT, 0);
	sim_run(sm, 1.5);
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	assert_int_equal(snap->rates_estimated, 0);
	sim_run(sm, 2.0);
	snap = sim_sample(sm, SAMPLE_EV_LOST, 10);
	d = sim_dest(snap);
	assert_int_equal(snap->rates_source, SNAP_RATES_ESTIMATED);
	assert_int_equal(snap->events_lost, 1);
	assert_int_equal(snap->rates_estimated, 1);
	assert_int_equal(d->closes, 100);          /* not 10 */
	assert_true(near(d->close_rate_last, 200.0, 1e-6));
	assert_true(near(d->close_rate, 200.0, 1e-6));
	assert_true(has_warning(snap, "lost"));
	strbuf_init(&sb);
	assert_int_equal(out_json_snapshot(&sb, snap), 0);
	assert_non_null(strstr(sb.buf, "\"rates\": {\"source\": \"time_wait\", "
			       "\"events_lost\": true, \"interval_s\": 0.500, "
			       "\"close_events\": 10, "));
	assert_non_null(strstr(sb.buf, "\"rates_estimated\": true, "));
	strbuf_reset(&sb);
	assert_int_equal(out_text_snapshot(&sb, snap), 0);
	assert_non_null(strstr(sb.buf, "\nRates over 0.5s (ESTIMATED: events lost):"));
	txt = strstr(sb.buf, "warning: destroy events lost");
	assert_non_null(txt);
	/* exact again, but the average still carries the estimate for tau */
	sim_run(sm, 2.5);
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	assert_int_equal(snap->rates_source, SNAP_RATES_EXACT);
	assert_int_equal(snap->events_lost, 0);
	assert_int_equal(sim_dest(snap)->closes, 100);
	assert_int_equal(snap->rates_estimated, 1);
	for (i = 0; i < 21; i++) {
		sim_run(sm, 3.0 + 0.5 * i);
		snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	}
	assert_int_equal(snap->rates_estimated, 0);
	strbuf_release(&sb);
	sim_free(sm);
}

/*
 * A dump that ends long before the sample's time is read (a stalled
 * process): by age, entries would be counted twice or not at all; by
 * cookie, each entry counts once, in the interval it appeared in.
 */
static void test_model_new_tw_by_cookie(void **state)
{
	struct sim *sm = sim_new(0);
	const struct snapshot *snap;
	uint32_t sum = 0, made = 0;
	int i;

	(void)state;
	sim_rate(sm, 200);
	sim_run(sm, 1.0);
	sim_sample(sm, SAMPLE_EV_NONE, 0);
	for (i = 1; i <= 8; i++) {
		uint64_t before = sm->k;

		sim_run(sm, 1.0 + 0.5 * i);
		made += (uint32_t)(sm->k - before);
		/* every other sample, time is read 0.4 s after its dump */
		sm->mono_lag = (i & 1) ? 0.4 : 0.0;
		snap = sim_sample(sm, SAMPLE_EV_NONE, 0);
		assert_int_equal(sim_dest(snap)->closes, 100);
		sum += sim_dest(snap)->closes;
	}
	assert_int_equal(sum, made);
	sim_free(sm);
}

/*
 * Events lag their TIME_WAIT entries: a new entry is a close when the
 * dump shows it, and its event, when it comes, is not counted again;
 * events beyond the entries are the peer's closes. Each close once.
 */
static void test_model_event_lag(void **state)
{
	struct sim *sm = sim_new(0);
	const struct snapshot *snap;
	uint32_t sum = 0;
	int i;

	(void)state;
	sim_rate(sm, 200);
	sim_run(sm, 1.0);
	sim_sample(sm, SAMPLE_EV_EXACT, 0);
	/* 30 events come a sample late: the counts follow the entries */
	sim_run(sm, 1.5);
	sm->defer = 30;
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	assert_int_equal(sim_dest(snap)->closes, 100);
	sim_run(sm, 2.0);
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	assert_int_equal(sim_dest(snap)->closes, 100);
	/* and 20 closes by the peer (events, no entries) on top */
	sim_run(sm, 2.5);
	sm->peer_closes = 20;
	sm->defer = 40;
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	assert_int_equal(sim_dest(snap)->closes, 100);   /* 80 of 120 events */
	sum += 100;
	sim_run(sm, 3.0);
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	assert_int_equal(sim_dest(snap)->closes, 120);   /* 140: 40 late */
	sum += 120;
	/* 40 late again, then a loss: the new entries alone, and later
	 * events never count an entry twice */
	sim_run(sm, 3.5);
	sm->defer = 40;
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	assert_int_equal(sim_dest(snap)->closes, 100);
	sum += 100;
	sim_run(sm, 4.0);
	snap = sim_sample(sm, SAMPLE_EV_LOST, 5);
	assert_int_equal(sim_dest(snap)->closes, 100);
	sum += 100;
	for (i = 1; i <= 3; i++) {
		sim_run(sm, 4.0 + 0.5 * i);
		snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
		assert_int_equal(sim_dest(snap)->closes, 100);
		sum += 100;
	}
	/* 700 entries and 20 closes by the peer, in the last 7 intervals */
	assert_int_equal(sum, 720);
	sim_free(sm);
}

/*
 * The forecast sorts every destination's entries by time left, whatever
 * order the dump gives them in: two destinations, entries interleaved and
 * in descending order, against the pure function on sorted lists.
 */
static void test_model_forecast_order(void **state)
{
	static uint32_t left_a[600], left_b[300];
	struct model *m;
	struct sample s;
	const struct snapshot *snap;
	struct ev_key ka, kb;
	unsigned i, na = 0, nb = 0;
	size_t di;

	(void)state;
	assert_int_equal(model_new(&m), 0);
	sample_init(&s);
	for (int round = 0; round < 2; round++) {
		sockvec_clear(&s.socks);
		ev_counts_clear(&s.closes);
		sysctl_defaults(&s.sys);
		s.sys.port_low = SIM_LOW;
		s.sys.port_high = SIM_HIGH;
		s.sys.tcp_tw_reuse = 0;
		s.sys.known = ~0u;
		na = nb = 0;
		for (i = 0; i < 900; i++) {
			struct sock_rec r;
			int to_b = i % 3 == 2;

			memset(&r, 0, sizeof(r));
			r.family = AF_INET;
			r.proto = IPPROTO_TCP;
			r.saddr[0] = 10;
			r.saddr[3] = 1;
			r.daddr[0] = 10;
			r.daddr[3] = to_b ? 3 : 2;
			r.dport = 443;
			r.sport = (uint16_t)(SIM_LOW + i);
			r.state = SOCK_TIME_WAIT;
			/* descending, and with ties; 30 s down to 16.5 s left:
			 * both run out after some of them expired */
			r.expires_ms = 29990u - 30u * (i / 2);
			/* round 2: all new (other cookies) */
			r.cookie = 1 + i + 1000u * (unsigned)round;
			assert_int_equal(sockvec_push(&s.socks, &r), 0);
			if (to_b)
				left_b[nb++] = r.expires_ms;
			else
				left_a[na++] = r.expires_ms;
		}
		s.mono = 10.0 + 3.0 * round;
		s.events = SAMPLE_EV_EXACT;
		s.events_since = round ? 10.0 : s.mono;
		memset(&ka, 0, sizeof(ka));
		ka.saddr[0] = 10;
		ka.saddr[3] = 1;
		ka.daddr[0] = 10;
		ka.daddr[3] = 2;
		ka.dport = 443;
		ka.family = AF_INET;
		ka.proto = IPPROTO_TCP;
		kb = ka;
		kb.daddr[3] = 3;
		if (round) {
			assert_int_equal(ev_counts_add(&s.closes, &ka, 600), 0);
			assert_int_equal(ev_counts_add(&s.closes, &kb, 300), 0);
		}
		assert_int_equal(model_update(m, &s), 0);
	}
	snap = model_snapshot(m);
	assert_int_equal(snap->ndests, 2);
	for (i = 0; i + 1 < na; i++)   /* sort the expected lists */
		for (unsigned j = i + 1; j < na; j++)
			if (left_a[j] < left_a[i]) {
				uint32_t t = left_a[i];

				left_a[i] = left_a[j];
				left_a[j] = t;
			}
	for (i = 0; i + 1 < nb; i++)
		for (unsigned j = i + 1; j < nb; j++)
			if (left_b[j] < left_b[i]) {
				uint32_t t = left_b[i];

				left_b[i] = left_b[j];
				left_b[j] = t;
			}
	for (di = 0; di < snap->ndests; di++) {
		const struct snap_dest *d = &snap->dests[di];
		int is_b = d->daddr[3] == 3;
		double want = rates_forecast_eta(d->available,
						 d->close_rate < d->tw_rate ?
						 d->close_rate : d->tw_rate, 60.0,
						 is_b ? left_b : left_a,
						 is_b ? nb : na);

		assert_int_equal(d->closes, is_b ? 300 : 600);
		/* (4400 + k) / 200 and (4700 + k) / 100: past 16.5 s */
		assert_true(d->eta_s > 16.5);
		assert_true(near(d->eta_s, want, 1e-9));
	}
	sample_release(&s);
	model_free(m);
}

/* The peer closes first: exact closes, no TIME_WAIT here, no forecast. */
static void test_model_peer_closes(void **state)
{
	struct sim *sm = sim_new(4900);
	const struct snapshot *snap;
	const struct snap_dest *d;
	int i;

	(void)state;
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	for (i = 1; i <= 5; i++) {
		sm->now = (double)i;
		sm->peer_closes = 300;
		snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
		d = sim_dest(snap);
		assert_true(near(d->close_rate, 300.0, 1e-6));
		assert_true(d->tw_rate == 0.0);
		/* 4900 live steady: 300 opened per second too */
		assert_true(near(d->new_rate, 300.0, 1e-6));
		assert_true(d->eta_s == SNAP_NO_ETA);
	}
	sim_free(sm);
}

/* Exhausted now: eta 0 even on the first sample; tcp_tw_reuse shortens
 * the hold to the reuse delay. */
static void test_model_exhausted_and_reuse(void **state)
{
	struct sim *sm = sim_new(SIM_USABLE);
	const struct snapshot *snap;
	const struct snap_dest *d;
	int i;

	(void)state;
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	d = sim_dest(snap);
	assert_int_equal(d->available, 0);
	assert_true(d->eta_s == 0.0);
	sim_free(sm);

	/* 200/s to 10.0.0.2 with tcp_tw_reuse=1: entries older than 1 s are
	 * reusable, so 200 x 1 s is all it holds: no forecast */
	sm = sim_new(0);
	sm->tw_reuse = 1;
	sim_rate(sm, 200);
	sim_run(sm, 2.0);
	sim_sample(sm, SAMPLE_EV_EXACT, 0);
	for (i = 1; i <= 4; i++) {
		sim_run(sm, 2.0 + 0.5 * i);
		snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
		d = sim_dest(snap);
		assert_true(near(d->close_rate, 200.0, 1e-6));
		assert_true(d->reusable > 0);
		assert_true(d->eta_s == SNAP_NO_ETA);
	}
	/* the same with tcp_tw_reuse=2 (loopback only) and a non-loopback
	 * destination: held 60 s, runs out */
	sm->tw_reuse = 2;
	sim_run(sm, 5.0);
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	d = sim_dest(snap);
	assert_int_equal(d->reusable, 0);
	assert_true(near(d->eta_s, (double)d->available / 200.0, 1e-6));
	sim_free(sm);
}

/* Time going backwards (a replay from another file) restarts the
 * baseline; counters that go down are unknown, not negative. */
static void test_model_restart(void **state)
{
	struct sim *sm = sim_new(0);
	const struct snapshot *snap;

	(void)state;
	sim_rate(sm, 100);
	sim_run(sm, 1.0);
	sim_sample(sm, SAMPLE_EV_EXACT, 0);
	sim_run(sm, 2.0);
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	assert_int_equal(snap->rates_source, SNAP_RATES_EXACT);
	assert_int_equal(snap->tw_recycled, 0);
	sm->now = 1.0;
	sm->have_prev = 0;
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	assert_int_equal(snap->rates_source, SNAP_RATES_NONE);
	assert_true(isnan(snap->active_opens_rate));
	assert_int_equal(snap->tw_recycled, -1);
	sm->now = 2.0;
	sm->active_opens = 0;     /* the counter went backwards */
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	assert_int_equal(snap->rates_source, SNAP_RATES_EXACT);
	assert_true(isnan(snap->active_opens_rate));
	/* events that do not start where the interval starts: estimated */
	sim_run(sm, 3.0);
	sm->prev_mono = 2.5;
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	assert_int_equal(snap->rates_source, SNAP_RATES_ESTIMATED);
	sim_free(sm);
}

/* A destination that is gone for a while decays by the gap. */
static void test_model_gap(void **state)
{
	struct sim *sm = sim_new(0);
	const struct snapshot *snap;
	const struct snap_dest *d;

	(void)state;
	sim_close_at(sm, 0.0);
	sm->closes = 0;
	sim_sample(sm, SAMPLE_EV_EXACT, 0);
	sm->now = 1.0;
	sim_close_at(sm, 0.5);
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	d = sim_dest(snap);
	assert_true(near(d->close_rate, 1.0, 1e-9));
	/* another destination only, for 5 s */
	sm->daddr_last = 3;
	sm->now = 6.0;
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	/* back: decayed by e^(-5/tau), then one quiet 1 s step */
	sm->daddr_last = 2;
	sm->now = 7.0;
	snap = sim_sample(sm, SAMPLE_EV_EXACT, 0);
	d = sim_dest(snap);
	assert_true(near(d->close_rate, exp(-5.0 / RATES_TAU_S) *
			 exp(-1.0 / RATES_TAU_S), 1e-9));
	sim_free(sm);
}

/* ---- netstat ---------------------------------------------------------------- */

static void test_netstat_parse(void **state)
{
	static const char *const names[] = { "ActiveOpens", "PassiveOpens",
					      "Missing" };
	static const char good[] =
		"Ip: Forwarding DefaultTTL\nIp: 1 64\n"
		"Tcp: RtoAlgorithm RtoMin MaxConn ActiveOpens PassiveOpens\n"
		"Tcp: 1 200 -1 123456 42\n"
		"Udp: InDatagrams\nUdp: 7\n";
	uint64_t v[3] = { 0, 0, 0 };
	unsigned found;
	char big[200];

	(void)state;
	assert_int_equal(netstat_parse(good, strlen(good), "Tcp", names, v, 3,
				       &found), 2);
	assert_int_equal(found, 3);
	assert_true(v[0] == 123456);
	assert_true(v[1] == 42);
	/* the text is bounded by len, not by a NUL: cut in the value line */
	memset(v, 0, sizeof(v));
	assert_int_equal(netstat_parse(good, strlen(good) - 27, "Tcp", names, v,
				       3, &found), 1);
	assert_int_equal(found, 1);
	/* "Tcp" is not "TcpExt" and the other way round */
	{
		static const char ext[] = "TcpExt: ActiveOpens\nTcpExt: 5\n";

		assert_int_equal(netstat_parse(ext, strlen(ext), "Tcp", names,
					       v, 3, &found), 0);
		assert_int_equal(found, 0);
		assert_int_equal(netstat_parse(ext, strlen(ext), "TcpExt", names,
					       v, 3, &found), 1);
		assert_true(v[0] == 5);
	}
	/* hostile values: negative, junk, too big, missing value line */
	{
		static const char *const bad[] = {
			"Tcp: ActiveOpens\nTcp: -1\n",
			"Tcp: ActiveOpens\nTcp: 12x\n",
			"Tcp: ActiveOpens\nTcp: 18446744073709551616\n",
			"Tcp: ActiveOpens\n",
			"Tcp: ActiveOpens\nUdp: 5\n",
			"Tcp: ActiveOpens PassiveOpens\nTcp:\n",
			"Tcp ActiveOpens\nTcp 5\n",
			"",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			v[0] = 77;
			assert_int_equal(netstat_parse(bad[i], strlen(bad[i]),
						       "Tcp", names, v, 3,
						       &found), 0);
			assert_int_equal(found, 0);
			assert_true(v[0] == 77);
		}
	}
	/* the largest u64 is fine; more values than names is fine; a
	 * second section pair is ignored */
	snprintf(big, sizeof(big), "Tcp: X ActiveOpens\nTcp: 1 %llu 9\n"
		 "Tcp: ActiveOpens\nTcp: 5\n", 18446744073709551615ULL);
	assert_int_equal(netstat_parse(big, strlen(big), "Tcp", names, v, 3,
				       &found), 1);
	assert_true(v[0] == UINT64_MAX);
	/* binary junk, NULs included */
	{
		static const char junk[] = "Tcp: ActiveOpens\0\xff\nTcp: 3\0\n";

		assert_int_equal(netstat_parse(junk, sizeof(junk) - 1, "Tcp",
					       names, v, 3, &found), 0);
	}
}

static void test_netstat_read(void **state)
{
	struct netstat_vals v;

	(void)state;
	assert_int_equal(netstat_read(TESTDATA "/proc-rates", &v), 0);
	assert_int_equal(v.known, NETSTAT_K_ACTIVE_OPENS | NETSTAT_K_TW_RECYCLED |
			 NETSTAT_K_TW_OVERFLOW);
	assert_true(v.active_opens == 98765);
	assert_true(v.tw_recycled == 17);
	assert_true(v.tw_overflow == 3);
	/* a tree without the files: an error, nothing known */
	assert_true(netstat_read(TESTDATA "/proc-basic", &v) < 0);
	assert_int_equal(v.known, 0);
	/* garbage values: the readable one only */
	assert_int_equal(netstat_read(TESTDATA "/proc-rates-bad", &v), 0);
	assert_int_equal(v.known, NETSTAT_K_TW_OVERFLOW);
	assert_true(v.tw_overflow == 4);
}

/* ---- destroy events ----------------------------------------------------- */

/* A datagram under construction (u32 for header alignment). */
struct ev_dg {
	uint32_t w[8192];
	size_t len;
};

/* Append one destroy event as the kernel builds it (inet_diag_msg,
 * INET_DIAG_PROTOCOL, and for TCP a tcp_info in INET_DIAG_INFO). */
static void ev_msg(struct ev_dg *d, int family, const char *src, uint16_t sport,
		   const char *dst, uint16_t dport, uint8_t proto)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header((char *)d->w + d->len);
	struct inet_diag_msg *m;
	char info[232];

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->idiag_family = (uint8_t)family;
	m->idiag_state = proto == IPPROTO_TCP ? 7 : 1;
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(dport);
	assert_int_equal(inet_pton(family, src, m->id.idiag_src), 1);
	assert_int_equal(inet_pton(family, dst, m->id.idiag_dst), 1);
	mnl_attr_put_u8(nlh, INET_DIAG_PROTOCOL, proto);
	if (proto == IPPROTO_TCP) {
		memset(info, 0, sizeof(info));
		mnl_attr_put(nlh, INET_DIAG_INFO, sizeof(info), info);
	}
	d->len += MNL_ALIGN(nlh->nlmsg_len);
	assert_true(d->len < sizeof(d->w));
}

static struct nlio_canned_buf ev_buf(const struct ev_dg *d)
{
	struct nlio_canned_buf b = { .data = d->w, .len = d->len, .err = 0 };

	return b;
}

static void key4(struct ev_key *k, const char *s, const char *d, uint16_t dport,
		 uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	assert_int_equal(inet_pton(AF_INET, s, k->saddr), 1);
	assert_int_equal(inet_pton(AF_INET, d, k->daddr), 1);
	k->dport = dport;
	k->family = AF_INET;
	k->proto = proto;
}

static void test_events_count(void **state)
{
	static struct ev_dg d1, d2, d3;
	struct nlio_canned_buf bufs[6];
	struct nlio_canned c = { .bufs = bufs, .nbufs = 6 };
	struct ev_counts out;
	struct events *ev;
	struct nlio io;
	struct ev_key k;
	struct ev_key k6;
	int i;

	(void)state;
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	memset(&d3, 0, sizeof(d3));
	/* three closes toward 10.0.0.2:443 in one datagram, one toward :80 */
	for (i = 0; i < 3; i++)
		ev_msg(&d1, AF_INET, "10.0.0.1", (uint16_t)(40000 + i), "10.0.0.2",
		       443, IPPROTO_TCP);
	ev_msg(&d1, AF_INET, "10.0.0.1", 40010, "10.0.0.2", 80, IPPROTO_TCP);
	/* IPv4-mapped IPv6 counts as IPv4; real IPv6; UDP; never connected;
	 * a port outside the range (skipped below) */
	ev_msg(&d2, AF_INET6, "::ffff:10.0.0.1", 40020, "::ffff:10.0.0.2", 443,
	       IPPROTO_TCP);
	ev_msg(&d2, AF_INET6, "2001:db8::1", 40021, "2001:db8::2", 443,
	       IPPROTO_TCP);
	ev_msg(&d2, AF_INET, "10.0.0.1", 40022, "10.0.0.9", 53, IPPROTO_UDP);
	ev_msg(&d2, AF_INET, "0.0.0.0", 0, "0.0.0.0", 0, IPPROTO_TCP);
	ev_msg(&d2, AF_INET, "10.0.0.1", 5001, "10.0.0.7", 40000, IPPROTO_TCP);
	/* after an overrun, reading goes on */
	ev_msg(&d3, AF_INET, "10.0.0.1", 40030, "10.0.0.2", 443, IPPROTO_TCP);
	bufs[0] = ev_buf(&d1);
	bufs[1] = ev_buf(&d2);
	bufs[2] = (struct nlio_canned_buf){ .data = NULL, .len = 0, .err = EAGAIN };
	bufs[3] = (struct nlio_canned_buf){ .data = NULL, .len = 0, .err = ENOBUFS };
	bufs[4] = ev_buf(&d3);
	bufs[5] = (struct nlio_canned_buf){ .data = NULL, .len = 0, .err = EAGAIN };

	nlio_init_canned(&io, &c);
	assert_int_equal(events_new(&ev, &io), 0);
	assert_int_equal(events_fd(ev), -1);
	{
		static uint8_t skip[65536 / 8];
		unsigned p;

		memset(skip, 0, sizeof(skip));
		for (p = 0; p < 65536; p++)
			if (p < 32768 || p > 60999)
				skip[p >> 3] |= (uint8_t)(1u << (p & 7));
		events_set_skip(ev, skip);
	}
	/* EAGAIN ends a drain: two datagrams read */
	assert_int_equal(events_drain(ev), 2);
	ev_counts_init(&out);
	events_take(ev, &out);
	assert_true(out.events == 9);
	assert_true(out.malformed == 0);
	assert_int_equal(out.flags, 0);
	key4(&k, "10.0.0.1", "10.0.0.2", 443, IPPROTO_TCP);
	assert_int_equal(ev_counts_find(&out, &k), 4);    /* 3 + mapped */
	key4(&k, "10.0.0.1", "10.0.0.2", 80, IPPROTO_TCP);
	assert_int_equal(ev_counts_find(&out, &k), 1);
	key4(&k, "10.0.0.1", "10.0.0.9", 53, IPPROTO_UDP);
	assert_int_equal(ev_counts_find(&out, &k), 1);
	memset(&k6, 0, sizeof(k6));
	inet_pton(AF_INET6, "2001:db8::1", k6.saddr);
	inet_pton(AF_INET6, "2001:db8::2", k6.daddr);
	k6.dport = 443;
	k6.family = AF_INET6;
	k6.proto = IPPROTO_TCP;
	assert_int_equal(ev_counts_find(&out, &k6), 1);
	key4(&k, "10.0.0.1", "10.0.0.7", 40000, IPPROTO_TCP);
	assert_int_equal(ev_counts_find(&out, &k), 0);    /* server side */
	assert_true(out.counted == 7);
	assert_int_equal(out.len, 4);

	/* the next interval: the overrun is flagged, the event after it
	 * still counted */
	assert_int_equal(events_drain(ev), 2);
	events_take(ev, &out);
	assert_int_equal(out.flags, EV_OVERRUN);
	key4(&k, "10.0.0.1", "10.0.0.2", 443, IPPROTO_TCP);
	assert_int_equal(ev_counts_find(&out, &k), 1);
	assert_int_equal(out.len, 1);
	/* the transport is exhausted: 0 datagrams, an empty interval */
	assert_int_equal(events_drain(ev), 0);
	events_take(ev, &out);
	assert_int_equal(out.len, 0);
	assert_int_equal(out.flags, 0);
	assert_true(out.events == 0);
	ev_counts_release(&out);
	events_free(ev);
	events_free(NULL);
}

/* Hostile datagrams: counted as malformed, never read past. */
static void test_events_malformed(void **state)
{
	static struct ev_dg d;
	struct nlio io;
	struct nlio_canned c = { .bufs = NULL, .nbufs = 0 };
	struct ev_counts out;
	struct events *ev;
	struct nlmsghdr *nlh;
	struct ev_key k;
	size_t full;
	char *unaligned;

	(void)state;
	nlio_init_canned(&io, &c);
	assert_int_equal(events_new(&ev, &io), 0);
	ev_counts_init(&out);

	/* cut anywhere: never more than the whole ones counted */
	memset(&d, 0, sizeof(d));
	ev_msg(&d, AF_INET, "10.0.0.1", 40000, "10.0.0.2", 443, IPPROTO_TCP);
	full = d.len;
	for (d.len = 0; d.len < full; d.len++) {
		events_parse(ev, d.w, d.len);
		events_take(ev, &out);
		assert_int_equal(out.len, 0);
		if (d.len > 0)
			assert_true(out.malformed == 1);
	}
	/* the protocol attribute missing or of the wrong size */
	memset(&d, 0, sizeof(d));
	ev_msg(&d, AF_INET, "10.0.0.1", 40000, "10.0.0.2", 443, IPPROTO_TCP);
	nlh = (struct nlmsghdr *)d.w;
	{
		struct nlattr *a = (struct nlattr *)((char *)nlh +
			MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct inet_diag_msg)));

		assert_int_equal(mnl_attr_get_type(a), INET_DIAG_PROTOCOL);
		a->nla_type = 99;           /* unknown: the protocol is missing */
		events_parse(ev, d.w, d.len);
		events_take(ev, &out);
		assert_int_equal(out.len, 0);
		assert_true(out.malformed == 1);
		a->nla_type = INET_DIAG_PROTOCOL;
		a->nla_len = 4;             /* no payload: invalid u8 */
		events_parse(ev, d.w, d.len);
		events_take(ev, &out);
		assert_int_equal(out.len, 0);
		assert_true(out.malformed == 1);
		a->nla_len = 5;
		*((uint8_t *)a + 4) = IPPROTO_SCTP;  /* not ours */
		events_parse(ev, d.w, d.len);
		events_take(ev, &out);
		assert_int_equal(out.len, 0);
		assert_true(out.malformed == 1);
	}
	/* an nlmsg_len larger than the datagram */
	memset(&d, 0, sizeof(d));
	ev_msg(&d, AF_INET, "10.0.0.1", 40000, "10.0.0.2", 443, IPPROTO_TCP);
	((struct nlmsghdr *)d.w)->nlmsg_len = (uint32_t)d.len + 4;
	events_parse(ev, d.w, d.len);
	events_take(ev, &out);
	assert_int_equal(out.len, 0);
	assert_true(out.malformed == 1);
	/* a bad state */
	memset(&d, 0, sizeof(d));
	ev_msg(&d, AF_INET, "10.0.0.1", 40000, "10.0.0.2", 443, IPPROTO_TCP);
	((struct inet_diag_msg *)mnl_nlmsg_get_payload((struct nlmsghdr *)d.w))
		->idiag_state = 200;
	events_parse(ev, d.w, d.len);
	events_take(ev, &out);
	assert_int_equal(out.len, 0);
	/* other message types are not events; an unaligned buffer works */
	memset(&d, 0, sizeof(d));
	nlh = mnl_nlmsg_put_header(d.w);
	nlh->nlmsg_type = NLMSG_NOOP;
	d.len = MNL_ALIGN(nlh->nlmsg_len);
	ev_msg(&d, AF_INET, "10.0.0.1", 40000, "10.0.0.2", 443, IPPROTO_TCP);
	unaligned = malloc(d.len + 1);
	assert_non_null(unaligned);
	memcpy(unaligned + 1, d.w, d.len);
	events_parse(ev, unaligned + 1, d.len);
	free(unaligned);
	events_take(ev, &out);
	assert_true(out.events == 1);
	key4(&k, "10.0.0.1", "10.0.0.2", 443, IPPROTO_TCP);
	assert_int_equal(ev_counts_find(&out, &k), 1);
	ev_counts_release(&out);
	events_free(ev);
}

/* More destinations than EVENTS_MAX_KEYS: the rest is flagged, the
 * counts already made stay right. */
static void test_events_many_keys(void **state)
{
	static struct ev_dg d;
	struct nlio_canned c = { .bufs = NULL, .nbufs = 0 };
	struct ev_counts out;
	struct events *ev;
	struct nlio io;
	unsigned i;

	(void)state;
	nlio_init_canned(&io, &c);
	assert_int_equal(events_new(&ev, &io), 0);
	for (i = 0; i <= EVENTS_MAX_KEYS; i++) {
		char dst[32];

		memset(&d, 0, sizeof(d));
		snprintf(dst, sizeof(dst), "10.%u.%u.%u", (i >> 16) & 255,
			 (i >> 8) & 255, i & 255);
		ev_msg(&d, AF_INET, "10.0.0.1", 40000, dst, 443, IPPROTO_TCP);
		if (i == 0)    /* twice: one key, two closes */
			events_parse(ev, d.w, d.len);
		events_parse(ev, d.w, d.len);
	}
	ev_counts_init(&out);
	events_take(ev, &out);
	assert_int_equal(out.len, EVENTS_MAX_KEYS);
	assert_int_equal(out.flags, EV_TRUNCATED);
	assert_int_equal(out.v[0].closes, 2);
	assert_true(out.counted == EVENTS_MAX_KEYS + 1);
	ev_counts_release(&out);
	events_free(ev);
}

/*
 * The sampler hands each sample the closes read up to its dump (the
 * event loop's drains and one right before the dump); a loss or a broken
 * event socket makes that sample's closes estimated, and the next one is
 * exact again.
 */
static void test_sampler_events(void **state)
{
	static struct ev_dg ev1, ev2, ev3, dump[24];
	struct nlio_canned_buf dbufs[24], ebufs[12];
	struct nlio_canned dc = { .bufs = dbufs, .nbufs = 24 };
	struct nlio_canned ec = { .bufs = ebufs, .nbufs = 12 };
	const struct nlio_canned_buf again = { .data = NULL, .len = 0, .err = EAGAIN };
	const struct nlio_canned_buf nobufs = { .data = NULL, .len = 0, .err = ENOBUFS };
	struct sampler *sp;
	struct events *ev;
	struct sample s;
	struct clock clk;
	struct nlio dio, eio;
	struct ev_key k;
	double now = 50.0;
	unsigned i;

	(void)state;
	/* 24 dump requests (6 samples x TCP4, TCP6, UDP4, UDP6): empty */
	for (i = 0; i < 24; i++) {
		struct nlmsghdr *nlh;

		memset(&dump[i], 0, sizeof(dump[i]));
		nlh = mnl_nlmsg_put_header(dump[i].w);
		nlh->nlmsg_type = NLMSG_DONE;
		nlh->nlmsg_flags = NLM_F_MULTI;
		nlh->nlmsg_seq = i + 1;
		mnl_nlmsg_put_extra_header(nlh, sizeof(int));
		dump[i].len = nlh->nlmsg_len;
		dbufs[i] = ev_buf(&dump[i]);
	}
	memset(&ev1, 0, sizeof(ev1));
	memset(&ev2, 0, sizeof(ev2));
	memset(&ev3, 0, sizeof(ev3));
	ev_msg(&ev1, AF_INET, "10.0.0.1", 40000, "10.0.0.2", 443, IPPROTO_TCP);
	ev_msg(&ev1, AF_INET, "10.0.0.1", 40001, "10.0.0.2", 443, IPPROTO_TCP);
	ev_msg(&ev2, AF_INET, "10.0.0.1", 40002, "10.0.0.2", 443, IPPROTO_TCP);
	ev_msg(&ev3, AF_INET, "10.0.0.1", 40003, "10.0.0.2", 443, IPPROTO_TCP);
	ebufs[0] = ev_buf(&ev1);      /* take 1 */
	ebufs[1] = again;
	ebufs[2] = nobufs;            /* the event loop, between samples */
	ebufs[3] = ev_buf(&ev2);
	ebufs[4] = again;
	ebufs[5] = again;             /* take 2 */
	ebufs[6] = nobufs;            /* take 3: a loss before its dump */
	ebufs[7] = again;
	ebufs[8] = ev_buf(&ev3);      /* take 4 */
	ebufs[9] = again;
	ebufs[10] = (struct nlio_canned_buf){ .data = NULL, .len = 0, .err = EIO };
	ebufs[11] = again;            /* take 6 */

	clock_init_manual(&clk, &now);
	nlio_init_canned(&dio, &dc);
	assert_int_equal(sampler_new(&sp, TESTDATA "/proc-rates", &clk, &dio), 0);
	assert_int_equal(sampler_event_fd(sp), -1);
	assert_int_equal(sampler_drain_events(sp), 0);    /* none yet */
	nlio_init_canned(&eio, &ec);
	assert_int_equal(events_new(&ev, &eio), 0);
	sampler_set_events(sp, ev);

	sample_init(&s);
	now = 51.0;
	assert_int_equal(sampler_take(sp, &s), 0);
	assert_int_equal(s.events, SAMPLE_EV_EXACT);
	assert_true(s.events_since == 50.0);
	assert_true(s.mono == 51.0);
	key4(&k, "10.0.0.1", "10.0.0.2", 443, IPPROTO_TCP);
	assert_int_equal(ev_counts_find(&s.closes, &k), 2);
	assert_true(s.net.active_opens == 98765);
	assert_int_equal(s.net.known & NETSTAT_K_ACTIVE_OPENS,
			 NETSTAT_K_ACTIVE_OPENS);

	/* drained between samples by the event loop, then taken */
	now = 52.0;
	assert_int_equal(sampler_drain_events(sp), 2);
	assert_int_equal(sampler_take(sp, &s), 0);
	assert_int_equal(s.events, SAMPLE_EV_LOST);
	assert_true(s.events_since == 51.0);
	assert_int_equal(ev_counts_find(&s.closes, &k), 1);

	/* lost in the drain before the dump */
	now = 53.0;
	assert_int_equal(sampler_take(sp, &s), 0);
	assert_int_equal(s.events, SAMPLE_EV_LOST);
	assert_int_equal(s.closes.len, 0);
	/* the next one is whole again */
	now = 54.0;
	assert_int_equal(sampler_take(sp, &s), 0);
	assert_int_equal(s.events, SAMPLE_EV_EXACT);
	assert_int_equal(ev_counts_find(&s.closes, &k), 1);
	assert_true(s.events_since == 53.0);
	/* the event socket fails: not whole, then whole again */
	now = 55.0;
	assert_int_equal(sampler_take(sp, &s), 0);
	assert_int_equal(s.events, SAMPLE_EV_LOST);
	now = 56.0;
	assert_int_equal(sampler_take(sp, &s), 0);
	assert_int_equal(s.events, SAMPLE_EV_EXACT);
	sample_release(&s);
	sampler_free(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ewma),
		cmocka_unit_test(test_forecast_constant),
		cmocka_unit_test(test_forecast_steady_null),
		cmocka_unit_test(test_forecast_burst),
		cmocka_unit_test(test_model_constant_rate),
		cmocka_unit_test(test_model_burst_and_drain),
		cmocka_unit_test(test_model_below_steady),
		cmocka_unit_test(test_model_estimated),
		cmocka_unit_test(test_model_new_tw_by_cookie),
		cmocka_unit_test(test_model_event_lag),
		cmocka_unit_test(test_model_forecast_order),
		cmocka_unit_test(test_model_peer_closes),
		cmocka_unit_test(test_model_exhausted_and_reuse),
		cmocka_unit_test(test_model_restart),
		cmocka_unit_test(test_model_gap),
		cmocka_unit_test(test_netstat_parse),
		cmocka_unit_test(test_netstat_read),
		cmocka_unit_test(test_events_count),
		cmocka_unit_test(test_events_malformed),
		cmocka_unit_test(test_events_many_keys),
		cmocka_unit_test(test_sampler_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
