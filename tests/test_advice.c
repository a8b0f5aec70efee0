#include "config.h"

#include <errno.h>
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

#include "advice.h"
#include "check.h"
#include "model.h"

/*
 * Advice rules and the --check evaluation, on snapshots built by hand:
 * every rule is checked both ways (present when its numbers back it,
 * absent otherwise), with the numbers it must quote.
 */

#define FX_MAX_SOCKS 40000
#define FX_LOW 32768u
#define FX_HIGH 60999u
#define FX_USABLE 28232u

struct fx {
	struct snapshot snap;
	struct snap_dest dests[4];
	struct snap_pool pools[4];
	struct snap_proc procs[2];
	struct sock_rec socks[FX_MAX_SOCKS];
	uint32_t sock_dest[FX_MAX_SOCKS];
	uint8_t usable[65536 / 8];
	uint8_t owned[65536 / 8];
};

static void fx_addr(int family, const char *s, uint8_t *out)
{
	memset(out, 0, 16);
	assert_int_equal(inet_pton(family, s, out), 1);
}

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct snapshot *s;
	unsigned p;

	assert_non_null(f);
	s = &f->snap;
	s->time = 1763800000.0;
	snprintf(s->netns, sizeof(s->netns), "net:[1]");
	sysctl_defaults(&s->sys);
	s->sys.tcp_tw_reuse = 0;
	s->sys.known = SYSCTL_K_RANGE | SYSCTL_K_RESERVED | SYSCTL_K_TW_REUSE |
		       SYSCTL_K_TIMESTAMPS | SYSCTL_K_FIN_TIMEOUT |
		       SYSCTL_K_MAX_TW | SYSCTL_K_TW_REUSE_DELAY;
	s->range_low = FX_LOW;
	s->range_high = FX_HIGH;
	s->usable = FX_USABLE;
	for (p = FX_LOW; p <= FX_HIGH; p++)
		f->usable[p >> 3] |= (uint8_t)(1u << (p & 7));
	s->usable_map = f->usable;
	s->owned_map = f->owned;
	s->dests = f->dests;
	s->pools = f->pools;
	s->socks = f->socks;
	s->sock_dest = f->sock_dest;
	s->rates_source = SNAP_RATES_EXACT;
	s->rates_interval_s = 1.0;
	s->active_opens_rate = (double)NAN;
	s->tw_recycled = 0;
	s->tw_overflow = 0;
	/* the wildcard pools, as the model always lists them */
	f->pools[0].family = AF_INET;
	f->pools[0].proto = IPPROTO_TCP;
	f->pools[0].available = FX_USABLE;
	f->pools[1].family = AF_INET;
	f->pools[1].proto = IPPROTO_UDP;
	f->pools[1].available = FX_USABLE;
	s->npools = 2;
	return f;
}

/*
 * Add a destination with n_tw TIME_WAIT entries (the first n_old older
 * than the reuse delay) and n_est ESTABLISHED sockets, on ports from
 * FX_LOW + start stepping by 2 (start 0: even ports, as connect() picks;
 * 1: odd ports, as bind() does), then on the other parity once those are
 * used up (connect()'s second pass). Counts, available and headroom
 * follow.
 */
static struct snap_dest *fx_dest(struct fx *f, const char *saddr,
				 const char *daddr, uint16_t dport,
				 uint32_t n_tw, uint32_t n_old, uint32_t n_est,
				 unsigned start)
{
	struct snapshot *s = &f->snap;
	struct snap_dest *d = &f->dests[s->ndests];
	uint32_t i, n = n_tw + n_est;

	memset(d, 0, sizeof(*d));
	d->family = AF_INET;
	d->proto = IPPROTO_TCP;
	fx_addr(AF_INET, saddr, d->saddr);
	fx_addr(AF_INET, daddr, d->daddr);
	d->dport = dport;
	d->states[SOCK_TIME_WAIT] = n_tw;
	d->states[SOCK_ESTABLISHED] = n_est;
	d->sockets = n;
	d->in_use = n;
	d->available = FX_USABLE - n;
	d->headroom_pct = 100.0 * d->available / FX_USABLE;
	d->eta_s = SNAP_NO_ETA;
	for (i = 0; i < n; i++) {
		struct sock_rec *r = &f->socks[s->nsocks];

		assert_true(s->nsocks < FX_MAX_SOCKS);
		memset(r, 0, sizeof(*r));
		memcpy(r->saddr, d->saddr, 16);
		memcpy(r->daddr, d->daddr, 16);
		r->family = AF_INET;
		r->proto = IPPROTO_TCP;
		r->dport = dport;
		if (i < FX_USABLE / 2)
			r->sport = (uint16_t)(FX_LOW + start + 2 * i);
		else
			r->sport = (uint16_t)(FX_LOW + (1 - start) +
					      2 * (i - FX_USABLE / 2));
		assert_true(r->sport <= FX_HIGH);
		r->state = i < n_tw ? SOCK_TIME_WAIT : SOCK_ESTABLISHED;
		r->expires_ms = i < n_tw ? (i < n_old ? 30000 : 59800) : 0;
		f->sock_dest[s->nsocks] = (uint32_t)s->ndests;
		s->nsocks++;
	}
	s->tcp_states[SOCK_TIME_WAIT] += n_tw;
	s->tcp_states[SOCK_ESTABLISHED] += n_est;
	s->tcp_sockets += n;
	s->unattributed_time_wait += n_tw;
	s->ndests++;
	f->pools[0].in_use += n;
	f->pools[0].available -= n;
	return d;
}

static void fx_rates(struct snap_dest *d, double close, double tw, double nw,
		     double eta)
{
	d->close_rate = close;
	d->close_rate_last = close;
	d->tw_rate = tw;
	d->new_rate = nw;
	d->eta_s = eta;
}

/* The line of a kind, or NULL; every line fits its buffer uncut. */
static const char *line_of(const struct advice *a, enum advice_kind kind)
{
	const char *found = NULL;
	size_t i;

	for (i = 0; i < a->n; i++) {
		size_t len = strlen(a->lines[i].text);

		assert_true(len > 0);
		assert_true(len < ADVICE_TEXT_LEN - 1);
		assert_null(strchr(a->lines[i].text, '\n'));
		if (a->lines[i].kind == kind) {
			assert_null(found);      /* one line per kind */
			found = a->lines[i].text;
		}
	}
	return found;
}

static void assert_has(const char *line, const char *needle)
{
	assert_non_null(line);
	if (!strstr(line, needle)) {
		print_error("missing \"%s\" in: %s\n", needle, line);
		fail();
	}
}

/* The headline case: this host churns toward one destination, TIME_WAIT
 * holds the ports, tcp_tw_reuse off. */
static void test_advice_tw_churn(void **state)
{
	struct fx *f = fx_new();
	struct advice a;
	struct snap_dest *d;
	const char *l;

	(void)state;
	d = fx_dest(f, "10.0.0.1", "10.0.0.2", 443, 20000, 10000, 100, 0);
	fx_rates(d, 500, 500, 500, 16.3);
	assert_int_equal(advice_build(&f->snap, ADVICE_NO_DEST, &a), 6);
	assert_int_equal(a.dest, 0);

	l = line_of(&a, ADVICE_SUMMARY);
	assert_has(l, "tcp 10.0.0.1 -> 10.0.0.2:443: 8132 of 28232 usable ports "
		   "left (71.2% used); in use 20000 TIME_WAIT, 100 ESTABLISHED, "
		   "0 other.");
	assert_has(l, "Closes 500.0/s (last interval 500.0/s), new connections "
		   "500.0/s.");
	assert_has(l, "At this rate it runs out in 16 s.");

	l = line_of(&a, ADVICE_CLOSER);
	assert_has(l, "This host closes first: 500.0 of its 500.0 closes/s");
	assert_has(l, "(20000 held now)");
	assert_has(l, "20000 entries are unattributed");

	l = line_of(&a, ADVICE_POOLING);
	assert_has(l, "500.0 connections/s open and 500.0/s close toward it "
		   "(average life 0.20 s)");
	assert_has(l, "keep-alive");
	assert_has(l, "the 20000 ports its TIME_WAIT holds");

	l = line_of(&a, ADVICE_TW_REUSE);
	assert_has(l, "tcp_tw_reuse=0: connect() never reuses TIME_WAIT");
	assert_has(l, "10000 of the 20000 entries toward it (older than 1000 ms)");

	l = line_of(&a, ADVICE_FIN_TIMEOUT);
	assert_has(l, "tcp_fin_timeout (60 here) does not shorten TIME_WAIT, "
		   "which holds 20000 of the 20100 ports in use");
	assert_has(l, "60 s");

	l = line_of(&a, ADVICE_RANGE);
	assert_has(l, "ip_local_port_range is 32768-60999 (28232 ports, 28232 "
		   "usable); 1024-65535 would add 36280 ports");
	/* 500 x 60 + 100 = 30100 > 28232 but < 28232 + 36280 */
	assert_has(l, "needs about 30100 ports (500.0 x 60 s + 100 live + 0 "
		   "owned): the wider range would hold it.");

	assert_null(line_of(&a, ADVICE_BIND));
	assert_null(line_of(&a, ADVICE_TW_OVERFLOW));
	assert_null(line_of(&a, ADVICE_OK));

	/* 1500/s: not even the widest range holds 90100 ports */
	fx_rates(d, 1500, 1500, 1500, 5.4);
	advice_build(&f->snap, ADVICE_NO_DEST, &a);
	assert_has(line_of(&a, ADVICE_RANGE), "not even 1024-65535 would");
	/* 400/s: 24100 fits the present range once the backlog drains */
	fx_rates(d, 400, 400, 400, 20.3);
	advice_build(&f->snap, ADVICE_NO_DEST, &a);
	assert_has(line_of(&a, ADVICE_RANGE), "the present range holds that");
	free(f);
}

static void test_advice_tw_reuse(void **state)
{
	struct fx *f = fx_new();
	struct advice a;
	struct snap_dest *d;

	(void)state;
	d = fx_dest(f, "10.0.0.1", "10.0.0.2", 443, 20000, 10000, 100, 0);
	fx_rates(d, 500, 500, 500, 16.3);

	/* 2 is loopback only */
	f->snap.sys.tcp_tw_reuse = 2;
	advice_build(&f->snap, 0, &a);
	assert_has(line_of(&a, ADVICE_TW_REUSE), "tcp_tw_reuse=2 reuses "
		   "TIME_WAIT on loopback only, and this destination is not "
		   "loopback: with tcp_tw_reuse=1, 10000 of its 20000 TIME_WAIT "
		   "entries (older than 1000 ms) could be reused now.");
	/* 1 applies everywhere: what is reusable, and TWRecycled */
	f->snap.sys.tcp_tw_reuse = 1;
	d->reusable = 10000;
	f->snap.tw_recycled = 7;
	advice_build(&f->snap, 0, &a);
	assert_has(line_of(&a, ADVICE_TW_REUSE), "tcp_tw_reuse=1 applies here "
		   "(every address): connect() may take over a TIME_WAIT entry "
		   "older than 1000 ms; 10000 of the 20000 entries are that old");
	assert_has(line_of(&a, ADVICE_TW_REUSE), "TWRecycled grew by 7");
	/* 2 on loopback */
	fx_addr(AF_INET, "127.0.0.1", d->saddr);
	fx_addr(AF_INET, "127.0.0.1", d->daddr);
	f->snap.sys.tcp_tw_reuse = 2;
	advice_build(&f->snap, 0, &a);
	assert_has(line_of(&a, ADVICE_TW_REUSE), "tcp_tw_reuse=2 applies here "
		   "(loopback)");
	/* no timestamps: no reuse at all */
	f->snap.sys.tcp_timestamps = 0;
	advice_build(&f->snap, 0, &a);
	assert_has(line_of(&a, ADVICE_TW_REUSE), "tcp_tw_reuse cannot help: "
		   "tcp_timestamps=0");
	/* sysctls unknown: nothing said about them */
	f->snap.sys.known &= ~(unsigned)SYSCTL_K_TIMESTAMPS;
	advice_build(&f->snap, 0, &a);
	assert_null(line_of(&a, ADVICE_TW_REUSE));
	free(f);
}

/* The peer closes first; live connections hold the ports. */
static void test_advice_peer_closes(void **state)
{
	struct fx *f = fx_new();
	struct advice a;
	struct snap_dest *d;

	(void)state;
	d = fx_dest(f, "10.0.0.1", "10.0.0.3", 8080, 300, 0, 20000, 0);
	fx_rates(d, 300, 3, 300, SNAP_NO_ETA);
	advice_build(&f->snap, 0, &a);
	assert_has(line_of(&a, ADVICE_CLOSER), "The peer closes first for most "
		   "connections: only 3.0 of 300.0 closes/s leave TIME_WAIT "
		   "here; ports are held more by the 20000 live connections "
		   "than by TIME_WAIT (300).");
	/* TIME_WAIT does not hold most ports: no word on tcp_fin_timeout */
	assert_null(line_of(&a, ADVICE_FIN_TIMEOUT));
	/* it levels off: the summary says where */
	assert_has(line_of(&a, ADVICE_SUMMARY), "At this rate it does not run "
		   "out: once the current TIME_WAIT entries expire, use levels "
		   "off near 20180 ports (3.0/s x 60 s + 20000 live) of the "
		   "28232 not held by listening or bound sockets.");
	free(f);
}

static void test_advice_calm(void **state)
{
	struct fx *f = fx_new();
	struct advice a;
	struct snap_dest *d;

	(void)state;
	d = fx_dest(f, "10.0.0.1", "10.0.0.2", 443, 2000, 1000, 100, 0);
	fx_rates(d, 20, 20, 20, SNAP_NO_ETA);
	assert_int_equal(advice_build(&f->snap, 0, &a), 2);
	assert_int_equal(a.lines[0].kind, ADVICE_SUMMARY);
	assert_int_equal(a.lines[1].kind, ADVICE_OK);
	assert_has(a.lines[1].text, "Nothing urgent: 92.6% of its ports are "
		   "left and it does not run out at the current rates.");
	/* a forecast makes it urgent even with headroom */
	d->eta_s = 500;
	advice_build(&f->snap, 0, &a);
	assert_null(line_of(&a, ADVICE_OK));
	assert_has(line_of(&a, ADVICE_SUMMARY), "runs out in 8 min");
	free(f);
}

/* Odd ports while even ones are free: bound before connect(). */
static void test_advice_bind(void **state)
{
	struct fx *f = fx_new();
	struct advice a;
	struct snap_dest *d;
	const char *l;
	uint32_t i;

	(void)state;
	/* 14000 even ports (connect()'s parity for an even range start) */
	d = fx_dest(f, "10.0.0.1", "10.0.0.2", 443, 10000, 0, 4000, 0);
	fx_rates(d, 10, 10, 10, 900);
	advice_build(&f->snap, 0, &a);
	assert_null(line_of(&a, ADVICE_BIND));
	/* now 1000 of them on odd ports */
	for (i = 0; i < 1000; i++)
		f->socks[i].sport |= 1;
	fx_addr(AF_INET, "10.0.0.1", f->pools[2].saddr);
	f->pools[2].family = AF_INET;
	f->pools[2].proto = IPPROTO_TCP;
	f->pools[2].in_use = 14000;
	f->pools[2].available = FX_USABLE - 14000;
	f->snap.npools = 3;
	advice_build(&f->snap, 0, &a);
	l = line_of(&a, ADVICE_BIND);
	/* even ports of the range: 14116; 13000 in use: 1116 free */
	assert_has(l, "1000 of the 14000 sockets toward it use odd local ports "
		   "while 1116 even ports are still free for it");
	assert_has(l, "the parity of the range start, 32768");
	assert_has(l, "the TCP pool of 10.0.0.1 has 14232 ports left for bind()");
	assert_has(l, "IP_BIND_ADDRESS_NO_PORT");
	assert_null(strstr(l, "BOUND"));
	/* every even port used: odd ones are connect()'s second pass, no
	 * evidence of bind() */
	f->snap.nsocks = 0;
	f->snap.ndests = 0;
	f->snap.tcp_states[SOCK_TIME_WAIT] = 0;
	f->snap.tcp_states[SOCK_ESTABLISHED] = 0;
	d = fx_dest(f, "10.0.0.1", "10.0.0.2", 443, 16116, 0, 0, 0);
	assert_int_equal(f->socks[16115].sport & 1, 1);
	advice_build(&f->snap, 0, &a);
	assert_null(line_of(&a, ADVICE_BIND));
	/* bound-but-unconnected sockets own their ports */
	f->snap.tcp_states[SOCK_BOUND] = 3;
	advice_build(&f->snap, 0, &a);
	l = line_of(&a, ADVICE_BIND);
	assert_has(l, "3 TCP sockets are bound but not connected (BOUND).");
	assert_has(l, "IP_BIND_ADDRESS_NO_PORT");
	free(f);
}

static void test_advice_tw_overflow(void **state)
{
	struct fx *f = fx_new();
	struct advice a;
	struct snap_dest *d;

	(void)state;
	f->snap.tw_overflow = 5;
	f->snap.sys.tcp_max_tw_buckets = 4096;
	/* host-wide: said with no destination at all */
	assert_int_equal(advice_build(&f->snap, ADVICE_NO_DEST, &a), 1);
	assert_int_equal(a.dest, ADVICE_NO_DEST);
	assert_has(line_of(&a, ADVICE_TW_OVERFLOW), "TCPTimeWaitOverflow grew "
		   "by 5 in the last 1.0 s: TIME_WAIT reached tcp_max_tw_buckets "
		   "(4096; 0 entries now)");
	/* and with a calm destination */
	d = fx_dest(f, "10.0.0.1", "10.0.0.2", 443, 4096, 0, 10, 0);
	fx_rates(d, 10, 10, 10, SNAP_NO_ETA);
	advice_build(&f->snap, ADVICE_NO_DEST, &a);
	assert_non_null(line_of(&a, ADVICE_OK));
	assert_has(line_of(&a, ADVICE_TW_OVERFLOW), "(4096; 4096 entries now)");
	/* no growth (or unknown): nothing */
	f->snap.tw_overflow = 0;
	advice_build(&f->snap, ADVICE_NO_DEST, &a);
	assert_null(line_of(&a, ADVICE_TW_OVERFLOW));
	f->snap.tw_overflow = -1;
	advice_build(&f->snap, ADVICE_NO_DEST, &a);
	assert_null(line_of(&a, ADVICE_TW_OVERFLOW));
	free(f);
}

/* The process TIME_WAIT is attributed to, its name sanitised. */
static void test_advice_process(void **state)
{
	struct fx *f = fx_new();
	struct advice a;
	struct snap_dest *d;
	const char *l;

	(void)state;
	d = fx_dest(f, "10.0.0.1", "10.0.0.2", 443, 20000, 0, 100, 0);
	fx_rates(d, 500, 500, 500, 16.3);
	f->procs[0].pid = 77;
	snprintf(f->procs[0].comm, sizeof(f->procs[0].comm), "curl");
	f->procs[0].time_wait = 100;
	f->procs[1].pid = 78;
	snprintf(f->procs[1].comm, sizeof(f->procs[1].comm), "ng\x1b[2Jinx");
	f->procs[1].time_wait = 15000;
	f->snap.procs = f->procs;
	f->snap.nprocs = 2;
	f->snap.unattributed_time_wait = 4900;
	advice_build(&f->snap, 0, &a);
	l = line_of(&a, ADVICE_CLOSER);
	assert_has(l, "Most attributed TIME_WAIT is from ng?[2Jinx (pid 78): "
		   "15000 entries, all destinations. 4900 are unattributed.");
	assert_null(strchr(l, '\x1b'));
	free(f);
}

static void test_advice_edges(void **state)
{
	struct fx *f = fx_new();
	struct advice a;
	struct snap_dest *d;
	struct strbuf sb;

	(void)state;
	/* nothing at all */
	assert_int_equal(advice_build(&f->snap, ADVICE_NO_DEST, &a), 1);
	assert_has(line_of(&a, ADVICE_OK), "nothing to explain");
	assert_int_equal(advice_worst_dest(&f->snap), ADVICE_NO_DEST);
	assert_int_equal(advice_build(NULL, 0, &a), -EINVAL);
	assert_int_equal(advice_build(&f->snap, 0, NULL), -EINVAL);

	/* the soonest forecast is the default, not the fewest available */
	d = fx_dest(f, "10.0.0.1", "10.0.0.2", 443, 20000, 0, 100, 0);
	d = fx_dest(f, "10.0.0.1", "10.0.0.3", 443, 15000, 0, 100, 0);
	fx_rates(d, 800, 800, 800, 16.0);
	assert_int_equal(advice_worst_dest(&f->snap), 1);
	advice_build(&f->snap, ADVICE_NO_DEST, &a);
	assert_int_equal(a.dest, 1);
	assert_has(line_of(&a, ADVICE_SUMMARY), "-> 10.0.0.3:443:");
	/* an explicit index is explained; out of range falls back */
	advice_build(&f->snap, 0, &a);
	assert_int_equal(a.dest, 0);
	assert_has(line_of(&a, ADVICE_SUMMARY), "-> 10.0.0.2:443:");
	advice_build(&f->snap, 99, &a);
	assert_int_equal(a.dest, 1);

	/* nothing alive: no average life, but how short they are */
	d->states[SOCK_ESTABLISHED] = 0;
	d->sockets = d->states[SOCK_TIME_WAIT];
	advice_build(&f->snap, 1, &a);
	assert_has(line_of(&a, ADVICE_POOLING), "800.0 connections/s open and "
		   "800.0/s close toward it (none alive at the sample: each "
		   "lives less than the 1.0 s between samples)");

	/* no rates yet: no rate sentences, no pooling */
	f->snap.rates_source = SNAP_RATES_NONE;
	advice_build(&f->snap, 0, &a);
	assert_null(strstr(line_of(&a, ADVICE_SUMMARY), "Closes"));
	assert_null(line_of(&a, ADVICE_POOLING));
	assert_null(strstr(line_of(&a, ADVICE_RANGE), "needs about"));
	assert_has(line_of(&a, ADVICE_CLOSER), "20000 TIME_WAIT entries hold "
		   "ports toward it: this host closed those connections first");

	/* the widest range already */
	f->snap.range_low = 1024;
	f->snap.range_high = 65535;
	advice_build(&f->snap, 0, &a);
	assert_has(line_of(&a, ADVICE_RANGE), "ip_local_port_range is already "
		   "1024-65535");

	/* the paragraphs as text */
	strbuf_init(&sb);
	assert_int_equal(advice_format(&sb, &a), 0);
	assert_true(strncmp(sb.buf, "  - tcp 10.0.0.1 -> 10.0.0.2:443: ", 34) == 0);
	assert_true(sb.buf[sb.len - 1] == '\n');
	strbuf_release(&sb);
	assert_string_equal(advice_kind_name(ADVICE_TW_REUSE), "tw_reuse");
	assert_string_equal(advice_kind_name(ADVICE_FIN_TIMEOUT), "fin_timeout");
	free(f);
}

/* ---- --check ---------------------------------------------------------------- */

static void test_check_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(check_exit_code(CHECK_OK), 0);
	assert_int_equal(check_exit_code(CHECK_WARNING), 1);
	assert_int_equal(check_exit_code(CHECK_CRITICAL), 2);
	assert_int_equal(check_exit_code(CHECK_UNKNOWN), 3);
	assert_string_equal(check_status_name(CHECK_CRITICAL), "CRITICAL");
	assert_true(check_used_pct(0, 100) == 100.0);
	assert_true(check_used_pct(25, 100) == 75.0);
	assert_true(check_used_pct(200, 100) == 0.0);
	assert_true(check_used_pct(0, 0) == 100.0);
}

static void test_check_eval(void **state)
{
	struct fx *f = fx_new();
	struct check_opts o = { 80, 95, -1 };
	struct check_result r;
	struct snap_dest *d;
	double used;

	(void)state;
	/* nothing in use: OK, the TCP wildcard pool at 0% */
	assert_int_equal(check_eval(&f->snap, &o, &r), CHECK_OK);
	assert_true(r.used_pct == 0.0);
	assert_int_equal(check_eval(NULL, &o, &r), CHECK_UNKNOWN);

	d = fx_dest(f, "10.0.0.1", "10.0.0.2", 443, 20000, 0, 100, 0);
	fx_rates(d, 500, 500, 500, 16.3);
	used = check_used_pct(d->available, FX_USABLE);
	assert_true(used > 71.19 && used < 71.20);
	/* the pool sees the same sockets: a tie goes to the destination */
	assert_int_equal(check_eval(&f->snap, &o, &r), CHECK_OK);
	assert_ptr_equal(r.dest, d);
	assert_int_equal(r.worst_is_pool, 0);
	assert_true(r.used_pct == used);
	assert_int_equal(r.available, 8132);
	assert_ptr_equal(r.soonest, d);
	assert_int_equal(r.eta_warn, 0);
	/* thresholds are inclusive */
	o.warn_pct = used;
	assert_int_equal(check_eval(&f->snap, &o, &r), CHECK_WARNING);
	o.crit_pct = used;
	assert_int_equal(check_eval(&f->snap, &o, &r), CHECK_CRITICAL);
	o.warn_pct = 80;
	o.crit_pct = 95;
	/* the forecast below --check-eta warns */
	o.eta_warn_s = 30;
	assert_int_equal(check_eval(&f->snap, &o, &r), CHECK_WARNING);
	assert_int_equal(r.eta_warn, 1);
	o.eta_warn_s = 16.3;     /* not below */
	assert_int_equal(check_eval(&f->snap, &o, &r), CHECK_OK);
	o.eta_warn_s = -1;
	/* a pool fuller than any destination (bind() users) */
	f->pools[0].available = 100;
	assert_int_equal(check_eval(&f->snap, &o, &r), CHECK_CRITICAL);
	assert_int_equal(r.worst_is_pool, 1);
	assert_ptr_equal(r.pool, &f->pools[0]);
	assert_int_equal(r.available, 100);
	free(f);
}

static void test_check_format(void **state)
{
	struct fx *f = fx_new();
	struct check_opts o = { 70, 95, 30 };
	struct check_result r;
	struct snap_dest *d;
	struct strbuf sb;

	(void)state;
	d = fx_dest(f, "10.0.0.1", "10.0.0.2", 443, 20000, 0, 100, 0);
	fx_rates(d, 500, 500, 500, 16.3);
	strbuf_init(&sb);
	check_eval(&f->snap, &o, &r);
	assert_int_equal(r.status, CHECK_WARNING);
	assert_int_equal(check_format(&sb, &f->snap, &o, &r, NULL), 0);
	assert_true(strncmp(sb.buf, "PORTTOP WARNING - 71.2% of ports used toward "
			    "tcp 10.0.0.1 -> 10.0.0.2:443 (8132 of 28232 left), "
			    "exhausted in 16 s | used_pct=71.2%;70;95;0;100 "
			    "available=8132;;;0;28232 eta_s=16.3s;30;;0\n",
			    strlen("PORTTOP WARNING - 71.2% of ports used toward "
				   "tcp 10.0.0.1 -> 10.0.0.2:443 (8132 of 28232 "
				   "left), exhausted in 16 s | used_pct=71.2%;70;"
				   "95;0;100 available=8132;;;0;28232 "
				   "eta_s=16.3s;30;;0\n")) == 0);
	assert_non_null(strstr(sb.buf, "\nrates: over 1.0 s, exact (destroy "
			       "events)\n"));
	assert_non_null(strstr(sb.buf, "\ndestinations (most at risk first):\n"
			       "  tcp 10.0.0.1 -> 10.0.0.2:443 used 71.2% available "
			       "8132 closes 500.0/s exhausted in 16 s\n"));
	assert_non_null(strstr(sb.buf, "\npools:\n  tcp 0.0.0.0 used 71.2% "
			       "available 8132\n"));
	assert_non_null(strstr(sb.buf, "\nadvice:\n  - tcp 10.0.0.1 -> "));
	/* one status line only */
	assert_int_equal(strstr(sb.buf, "PORTTOP") - sb.buf, 0);
	assert_null(strstr(sb.buf + 1, "PORTTOP"));

	/* no forecast, no rates */
	strbuf_reset(&sb);
	d->eta_s = SNAP_NO_ETA;
	f->snap.rates_source = SNAP_RATES_NONE;
	o.eta_warn_s = -1;
	check_eval(&f->snap, &o, &r);
	check_format(&sb, &f->snap, &o, &r, NULL);
	assert_non_null(strstr(sb.buf, "left) | used_pct=71.2%;70;95;0;100 "
			       "available=8132;;;0;28232 eta_s=U\n"));
	assert_non_null(strstr(sb.buf, "\nrates: none yet"));

	/* UNKNOWN with its reason */
	strbuf_reset(&sb);
	check_eval(NULL, &o, &r);
	check_format(&sb, NULL, &o, &r, "cannot sample sockets: Permission denied");
	assert_string_equal(sb.buf, "PORTTOP UNKNOWN - cannot sample sockets: "
			    "Permission denied\n");
	strbuf_release(&sb);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_advice_tw_churn),
		cmocka_unit_test(test_advice_tw_reuse),
		cmocka_unit_test(test_advice_peer_closes),
		cmocka_unit_test(test_advice_calm),
		cmocka_unit_test(test_advice_bind),
		cmocka_unit_test(test_advice_tw_overflow),
		cmocka_unit_test(test_advice_process),
		cmocka_unit_test(test_advice_edges),
		cmocka_unit_test(test_check_exit_codes),
		cmocka_unit_test(test_check_eval),
		cmocka_unit_test(test_check_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
