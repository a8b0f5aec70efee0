#include "config.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "advice.h"
#include "sanitize.h"

/* The widest ip_local_port_range worth suggesting: ports below 1024 are
 * privileged, and the kernel refuses a range that ends above 65535. */
#define ADVICE_WIDE_LOW 1024u
#define ADVICE_WIDE_HIGH 65535u
/* The kernel's TIME_WAIT length (TCP_TIMEWAIT_LEN), ms and s. */
#define ADVICE_TW_MS 60000u
#define ADVICE_TW_S 60.0
/* Below this many closes per second, churn is not worth a line. */
#define ADVICE_CHURN_MIN 1.0

const char *advice_kind_name(enum advice_kind kind)
{
	switch (kind) {
	case ADVICE_SUMMARY: return "summary";
	case ADVICE_CLOSER: return "closer";
	case ADVICE_TW_REUSE: return "tw_reuse";
	case ADVICE_RANGE: return "range";
	case ADVICE_FIN_TIMEOUT: return "fin_timeout";
	case ADVICE_BIND: return "bind";
	case ADVICE_POOLING: return "pooling";
	case ADVICE_TW_OVERFLOW: return "tw_overflow";
	case ADVICE_OK: return "ok";
	}
	return "unknown";
}

/* A line under construction: appended to with adv_addf(). */
static struct advice_line *adv_line(struct advice *a, enum advice_kind kind)
{
	struct advice_line *l;

	if (a->n >= ADVICE_MAX)
		return NULL;
	l = &a->lines[a->n++];
	l->kind = kind;
	l->text[0] = '\0';
	return l;
}

__attribute__((format(printf, 2, 3)))
static void adv_addf(struct advice_line *l, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (!l)
		return;
	used = strnlen(l->text, sizeof(l->text));
	if (used + 1 >= sizeof(l->text))
		return;
	va_start(ap, fmt);
	vsnprintf(l->text + used, sizeof(l->text) - used, fmt, ap);
	va_end(ap);
}

/* "tcp 10.0.0.1 -> 10.0.0.2:443" */
static void adv_dest_label(const struct snap_dest *d, char *buf, size_t len)
{
	char s[64], r[64];

	sock_addr_format(d->family, d->saddr, s, sizeof(s));
	sock_addr_format(d->family, d->daddr, r, sizeof(r));
	snprintf(buf, len, "%s %s -> %s%s%s:%u",
		 d->proto == IPPROTO_UDP ? "udp" : "tcp", s,
		 d->family == AF_INET6 ? "[" : "", r,
		 d->family == AF_INET6 ? "]" : "", (unsigned)d->dport);
}

static void adv_duration(double s, char *buf, size_t len)
{
	if (s < 120)
		snprintf(buf, len, "%.0f s", s);
	else if (s < 7200)
		snprintf(buf, len, "%.0f min", s / 60);
	else
		snprintf(buf, len, "%.1f h", s / 3600);
}

size_t advice_worst_dest(const struct snapshot *snap)
{
	size_t i, best = ADVICE_NO_DEST;

	if (!snap || !snap->dests || snap->ndests == 0)
		return ADVICE_NO_DEST;
	for (i = 0; i < snap->ndests; i++) {
		double e = snap->dests[i].eta_s;

		if (isfinite(e) && e >= 0 &&
		    (best == ADVICE_NO_DEST || e < snap->dests[best].eta_s))
			best = i;
	}
	return best == ADVICE_NO_DEST ? 0 : best;
}

/* What the sockets behind one destination say. */
struct adv_facts {
	uint32_t live;           /* non-TIME_WAIT sockets */
	uint32_t tw;             /* TIME_WAIT entries */
	uint32_t tw_old;         /* of those, older than tcp_tw_reuse_delay */
	uint32_t conn_parity;    /* sockets on ports of connect()'s parity */
	uint32_t bind_parity;    /* sockets on ports of bind()'s parity */
	uint32_t conn_free;      /* usable, not owned ports of connect()'s
				    parity, less conn_parity */
	double hold_rate;        /* closes/s that leave TIME_WAIT here */
	int rates;               /* the snapshot has rates */
};

static void adv_facts(const struct snapshot *snap, size_t di,
		      struct adv_facts *f)
{
	const struct snap_dest *d = &snap->dests[di];
	const struct sysctl_vals *sys = &snap->sys;
	unsigned parity = snap->range_low & 1, p;
	uint32_t delay = sys->tcp_tw_reuse_delay_ms < 0 ? 0 :
			 (uint32_t)sys->tcp_tw_reuse_delay_ms;
	uint32_t cap = 0;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->tw = d->states[SOCK_TIME_WAIT];
	f->live = d->sockets > f->tw ? d->sockets - f->tw : 0;
	f->rates = snap->rates_source != SNAP_RATES_NONE;
	if (f->rates)
		f->hold_rate = d->close_rate < d->tw_rate ? d->close_rate
							  : d->tw_rate;
	for (i = 0; snap->socks && snap->sock_dest && i < snap->nsocks; i++) {
		const struct sock_rec *s = &snap->socks[i];

		if (snap->sock_dest[i] != di)
			continue;
		if (s->state == SOCK_TIME_WAIT && s->expires_ms < ADVICE_TW_MS &&
		    ADVICE_TW_MS - s->expires_ms > delay)
			f->tw_old++;
		if ((s->sport & 1u) == parity)
			f->conn_parity++;
		else
			f->bind_parity++;
	}
	if (snap->usable_map && snap->range_low <= snap->range_high &&
	    snap->range_high <= 65535) {
		for (p = snap->range_low; p <= snap->range_high; p++)
			if ((p & 1u) == parity && snap_bit(snap->usable_map, p) &&
			    !(snap->owned_map && snap_bit(snap->owned_map, p)))
				cap++;
	}
	f->conn_free = cap > f->conn_parity ? cap - f->conn_parity : 0;
}

static int adv_loopback(const struct snap_dest *d)
{
	return sock_addr_is_loopback(d->family, d->saddr) ||
	       sock_addr_is_loopback(d->family, d->daddr);
}

static void adv_summary(struct advice *a, const struct snapshot *snap,
			const struct snap_dest *d, const struct adv_facts *f,
			const char *label)
{
	struct advice_line *l = adv_line(a, ADVICE_SUMMARY);
	uint32_t other = f->live > d->states[SOCK_ESTABLISHED] ?
			 f->live - d->states[SOCK_ESTABLISHED] : 0;
	uint32_t free_for_good = snap->usable > snap->owned_ports ?
				 snap->usable - snap->owned_ports : 0;
	char t[32];

	adv_addf(l, "%s: %u of %u usable ports left (%.1f%% used); in use "
		 "%u TIME_WAIT, %u ESTABLISHED, %u other.", label,
		 (unsigned)d->available, (unsigned)snap->usable,
		 snap->usable ? 100.0 - d->headroom_pct : 100.0,
		 (unsigned)f->tw, (unsigned)d->states[SOCK_ESTABLISHED],
		 (unsigned)other);
	if (!f->rates) {
		if (d->eta_s == 0)
			adv_addf(l, " It has run out: connect() to it fails "
				 "with EADDRNOTAVAIL.");
		return;
	}
	adv_addf(l, " Closes %.1f/s (last interval %.1f/s), new connections "
		 "%.1f/s%s.", d->close_rate, d->close_rate_last, d->new_rate,
		 snap->rates_estimated ? " (estimated)" : "");
	if (isfinite(d->eta_s) && d->eta_s == 0) {
		adv_addf(l, " It has run out: connect() to it fails with "
			 "EADDRNOTAVAIL.");
	} else if (isfinite(d->eta_s) && d->eta_s > 0) {
		adv_duration(d->eta_s, t, sizeof(t));
		adv_addf(l, " At this rate it runs out in %s.", t);
	} else {
		adv_addf(l, " At this rate it does not run out: once the current "
			 "TIME_WAIT entries expire, use levels off near %.0f "
			 "ports (%.1f/s x 60 s + %u live) of the %u not "
			 "held by listening or bound sockets.",
			 f->hold_rate * ADVICE_TW_S + f->live, f->hold_rate,
			 (unsigned)f->live, (unsigned)free_for_good);
	}
}

/* The process most TIME_WAIT is attributed to, or NULL. */
static const struct snap_proc *adv_top_tw_proc(const struct snapshot *snap)
{
	const struct snap_proc *best = NULL;
	size_t i;

	for (i = 0; snap->procs && i < snap->nprocs; i++)
		if (snap->procs[i].time_wait > 0 &&
		    (!best || snap->procs[i].time_wait > best->time_wait))
			best = &snap->procs[i];
	return best;
}

static void adv_closer(struct advice *a, const struct snapshot *snap,
		       const struct snap_dest *d, const struct adv_facts *f)
{
	const struct snap_proc *p;
	struct advice_line *l;

	if (f->tw == 0 && !(f->rates && d->tw_rate > 0))
		return;
	l = adv_line(a, ADVICE_CLOSER);
	if (f->rates && d->close_rate >= 0.05) {
		if (d->tw_rate >= 0.5 * d->close_rate)
			adv_addf(l, "This host closes first: %.1f of its %.1f "
				 "closes/s toward it leave TIME_WAIT here, and "
				 "each entry holds its local port for 60 s "
				 "(%u held now).", f->hold_rate, d->close_rate,
				 (unsigned)f->tw);
		else
			adv_addf(l, "The peer closes first for most "
				 "connections: only %.1f of %.1f closes/s leave "
				 "TIME_WAIT here; ports are held more by the %u "
				 "live connections than by TIME_WAIT (%u).",
				 d->tw_rate, d->close_rate, (unsigned)f->live,
				 (unsigned)f->tw);
	} else {
		adv_addf(l, "%u TIME_WAIT entries hold ports toward it: this "
			 "host closed those connections first, and each entry "
			 "holds its local port for 60 s.", (unsigned)f->tw);
	}
	p = adv_top_tw_proc(snap);
	if (p) {
		char comm[sizeof(p->comm)];

		sanitize_text(comm, sizeof(comm), p->comm, sizeof(p->comm));
		adv_addf(l, " Most attributed TIME_WAIT is from %s (pid %d): "
			 "%u entries, all destinations.", comm, p->pid,
			 (unsigned)p->time_wait);
		if (snap->unattributed_time_wait)
			adv_addf(l, " %u are unattributed.",
				 (unsigned)snap->unattributed_time_wait);
	} else if (snap->unattributed_time_wait) {
		adv_addf(l, " The kernel keeps no owner for TIME_WAIT: %u "
			 "entries are unattributed.",
			 (unsigned)snap->unattributed_time_wait);
	}
}

static void adv_tw_reuse(struct advice *a, const struct snapshot *snap,
			 const struct snap_dest *d, const struct adv_facts *f)
{
	const struct sysctl_vals *sys = &snap->sys;
	struct advice_line *l;
	int loop = adv_loopback(d);

	if (f->tw == 0 || !(sys->known & SYSCTL_K_TW_REUSE) ||
	    !(sys->known & SYSCTL_K_TIMESTAMPS))
		return;
	l = adv_line(a, ADVICE_TW_REUSE);
	if (sys->tcp_timestamps == 0) {
		adv_addf(l, "tcp_tw_reuse cannot help: tcp_timestamps=0, and "
			 "connect() reuses TIME_WAIT only when timestamps "
			 "were negotiated; the %u entries block their ports for "
			 "the full 60 s.", (unsigned)f->tw);
	} else if (sys->tcp_tw_reuse == 1 || (sys->tcp_tw_reuse == 2 && loop)) {
		adv_addf(l, "tcp_tw_reuse=%d applies here (%s): connect() may "
			 "take over a TIME_WAIT entry older than %d ms; %u of "
			 "the %u entries are that old now (shown as reusable).",
			 sys->tcp_tw_reuse, loop ? "loopback" : "every address",
			 sys->tcp_tw_reuse_delay_ms, (unsigned)d->reusable,
			 (unsigned)f->tw);
		if (snap->tw_recycled >= 0)
			adv_addf(l, " TWRecycled grew by %lld in the last "
				 "interval.", (long long)snap->tw_recycled);
	} else if (sys->tcp_tw_reuse == 2) {
		adv_addf(l, "tcp_tw_reuse=2 reuses TIME_WAIT on loopback only, "
			 "and this destination is not loopback: with "
			 "tcp_tw_reuse=1, %u of its %u TIME_WAIT entries (older "
			 "than %d ms) could be reused now. Both ends must use "
			 "TCP timestamps (tcp_timestamps=%d here).",
			 (unsigned)f->tw_old, (unsigned)f->tw,
			 sys->tcp_tw_reuse_delay_ms, sys->tcp_timestamps);
	} else {
		adv_addf(l, "tcp_tw_reuse=%d: connect() never reuses TIME_WAIT. "
			 "With tcp_tw_reuse=1 (or 2, loopback only), %u of the "
			 "%u entries toward it (older than %d ms) could be "
			 "reused now.", sys->tcp_tw_reuse, (unsigned)f->tw_old,
			 (unsigned)f->tw, sys->tcp_tw_reuse_delay_ms);
	}
}

static void adv_range(struct advice *a, const struct snapshot *snap,
		      const struct snap_dest *d, const struct adv_facts *f)
{
	unsigned count, wide = ADVICE_WIDE_HIGH - ADVICE_WIDE_LOW + 1, add;
	struct advice_line *l;
	double need;

	(void)d;
	if (snap->range_low == 0 || snap->range_low > snap->range_high)
		return;
	count = snap->range_high - snap->range_low + 1;
	l = adv_line(a, ADVICE_RANGE);
	if (snap->range_low <= ADVICE_WIDE_LOW &&
	    snap->range_high >= ADVICE_WIDE_HIGH) {
		adv_addf(l, "ip_local_port_range is already %u-%u (%u usable "
			 "ports): a wider range cannot help.", snap->range_low,
			 snap->range_high, (unsigned)snap->usable);
		return;
	}
	/* Widening keeps what lies outside the present range as it is. */
	add = wide > count ? wide - count : 0;
	adv_addf(l, "ip_local_port_range is %u-%u (%u ports, %u usable); "
		 "%u-%u would add %u ports (keep the ports local services "
		 "listen on in ip_local_reserved_ports).", snap->range_low,
		 snap->range_high, count, (unsigned)snap->usable,
		 ADVICE_WIDE_LOW, ADVICE_WIDE_HIGH, add);
	if (!f->rates || !(f->hold_rate > 0))
		return;
	need = f->hold_rate * ADVICE_TW_S + f->live + snap->owned_ports;
	adv_addf(l, " At %.1f closes/s this destination needs about %.0f "
		 "ports (%.1f x 60 s + %u live + %u owned): ", f->hold_rate,
		 need, f->hold_rate, (unsigned)f->live,
		 (unsigned)snap->owned_ports);
	if (need < snap->usable)
		adv_addf(l, "the present range holds that once the TIME_WAIT "
			 "backlog drains.");
	else if (need < (double)snap->usable + add)
		adv_addf(l, "the wider range would hold it.");
	else
		adv_addf(l, "not even %u-%u would; the churn must go down.",
			 ADVICE_WIDE_LOW, ADVICE_WIDE_HIGH);
}

static void adv_fin_timeout(struct advice *a, const struct snapshot *snap,
			    const struct snap_dest *d, const struct adv_facts *f)
{
	struct advice_line *l;
	char v[32];

	/* Only where TIME_WAIT is what holds the ports. */
	if (f->tw == 0 || (uint64_t)f->tw * 2 <= d->in_use)
		return;
	if (snap->sys.known & SYSCTL_K_FIN_TIMEOUT)
		snprintf(v, sizeof(v), "%d here", snap->sys.tcp_fin_timeout);
	else
		snprintf(v, sizeof(v), "unknown here");
	l = adv_line(a, ADVICE_FIN_TIMEOUT);
	adv_addf(l, "Lowering tcp_fin_timeout (%s) does not shorten "
		 "TIME_WAIT, which holds %u of the %u ports in use: on Linux "
		 "TIME_WAIT lasts 60 s, fixed in the kernel (TCP_TIMEWAIT_LEN). "
		 "tcp_fin_timeout only limits orphaned FIN_WAIT2 sockets (%u "
		 "toward this destination).", v, (unsigned)f->tw,
		 (unsigned)d->in_use, (unsigned)d->states[SOCK_FIN_WAIT2]);
}

/* The TCP pool of the destination's local address, else the wildcard. */
static const struct snap_pool *adv_pool(const struct snapshot *snap,
					const struct snap_dest *d)
{
	const struct snap_pool *any = NULL;
	size_t i;

	for (i = 0; snap->pools && i < snap->npools; i++) {
		const struct snap_pool *p = &snap->pools[i];

		if (p->proto != IPPROTO_TCP)
			continue;
		if (p->family == d->family &&
		    sock_addr_cmp(d->family, p->saddr, d->saddr) == 0)
			return p;
		if (!any && sock_addr_is_any(p->family, p->saddr))
			any = p;
	}
	return any;
}

static void adv_bind(struct advice *a, const struct snapshot *snap,
		     const struct snap_dest *d, const struct adv_facts *f)
{
	const char *cp = (snap->range_low & 1) ? "odd" : "even";
	const char *bp = (snap->range_low & 1) ? "even" : "odd";
	uint32_t bound = snap->tcp_states[SOCK_BOUND];
	const struct snap_pool *pool;
	struct advice_line *l;
	char addr[64];

	/* connect() without bind() takes other-parity ports only once its
	 * own parity is used up for this destination. */
	if ((f->bind_parity == 0 || f->conn_free == 0) && bound == 0)
		return;
	l = adv_line(a, ADVICE_BIND);
	if (f->bind_parity > 0 && f->conn_free > 0)
		adv_addf(l, "%u of the %u sockets toward it use %s local ports "
			 "while %u %s ports are still free for it: connect() "
			 "alone takes %s ports first (the parity of the range "
			 "start, %u), bind(addr, 0) %s ones: these were bound "
			 "before connect(). ",
			 (unsigned)f->bind_parity, (unsigned)d->sockets, bp,
			 (unsigned)f->conn_free, cp, cp, snap->range_low, bp);
	if (bound > 0)
		adv_addf(l, "%u TCP sockets are bound but not connected "
			 "(BOUND). ", (unsigned)bound);
	pool = adv_pool(snap, d);
	adv_addf(l, "A bound port is owned for every destination");
	if (pool) {
		sock_addr_format(pool->family, pool->saddr, addr, sizeof(addr));
		adv_addf(l, ": the TCP pool of %s has %u ports left for bind()",
			 addr, (unsigned)pool->available);
	}
	adv_addf(l, ". Set IP_BIND_ADDRESS_NO_PORT before bind() (or do not "
		 "bind) so the port is chosen at connect(), per destination.");
}

static void adv_pooling(struct advice *a, const struct snapshot *snap,
			const struct snap_dest *d, const struct adv_facts *f)
{
	struct advice_line *l;

	if (!f->rates || d->close_rate < ADVICE_CHURN_MIN)
		return;
	l = adv_line(a, ADVICE_POOLING);
	adv_addf(l, "%.1f connections/s open and %.1f/s close toward it",
		 d->new_rate, d->close_rate);
	/* Little's law: live = rate x life */
	if (f->live > 0 && d->new_rate > 0)
		adv_addf(l, " (average life %.2f s)", f->live / d->new_rate);
	else if (f->live == 0)
		adv_addf(l, " (none alive at the sample: each lives less than "
			 "the %.1f s between samples)", snap->rates_interval_s);
	adv_addf(l, ": reusing connections toward it (a client connection "
		 "pool, HTTP keep-alive) removes that churn and the %u ports "
		 "its TIME_WAIT holds.", (unsigned)f->tw);
}

static void adv_tw_overflow(struct advice *a, const struct snapshot *snap)
{
	struct advice_line *l;
	char max[32];

	if (snap->tw_overflow <= 0)
		return;
	if (snap->sys.known & SYSCTL_K_MAX_TW)
		snprintf(max, sizeof(max), "%d", snap->sys.tcp_max_tw_buckets);
	else
		snprintf(max, sizeof(max), "unknown");
	l = adv_line(a, ADVICE_TW_OVERFLOW);
	adv_addf(l, "TCPTimeWaitOverflow grew by %lld in the last %.1f s: "
		 "TIME_WAIT reached tcp_max_tw_buckets (%s; %u entries now), so "
		 "closing sockets skipped TIME_WAIT. Their ports free at once, "
		 "but a late packet of an old connection can reach a new one on "
		 "the same 4-tuple; the kernel logs \"TCP: time wait bucket "
		 "table overflow\".", (long long)snap->tw_overflow,
		 snap->rates_interval_s, max,
		 (unsigned)snap->tcp_states[SOCK_TIME_WAIT]);
}

int advice_build(const struct snapshot *snap, size_t dest, struct advice *out)
{
	const struct snap_dest *d;
	struct adv_facts f;
	char label[160];
	int calm;

	if (!snap || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->dest = ADVICE_NO_DEST;
	if (!snap->dests || dest >= snap->ndests)
		dest = advice_worst_dest(snap);
	if (dest == ADVICE_NO_DEST) {
		adv_tw_overflow(out, snap);
		if (out->n == 0)
			adv_addf(adv_line(out, ADVICE_OK), "No TCP destination "
				 "uses the ephemeral range: nothing to explain.");
		return (int)out->n;
	}
	out->dest = dest;
	d = &snap->dests[dest];
	adv_facts(snap, dest, &f);
	adv_dest_label(d, label, sizeof(label));
	calm = isfinite(d->headroom_pct) && d->headroom_pct >= ADVICE_CALM_PCT &&
	       !(isfinite(d->eta_s) && d->eta_s >= 0);

	adv_summary(out, snap, d, &f, label);
	if (calm) {
		adv_addf(adv_line(out, ADVICE_OK), "Nothing urgent: %.1f%% of "
			 "its ports are left%s.", d->headroom_pct,
			 f.rates ? " and it does not run out at the current "
			 "rates" : "");
		adv_tw_overflow(out, snap);
		return (int)out->n;
	}
	adv_closer(out, snap, d, &f);
	adv_pooling(out, snap, d, &f);
	adv_tw_reuse(out, snap, d, &f);
	adv_fin_timeout(out, snap, d, &f);
	adv_bind(out, snap, d, &f);
	adv_range(out, snap, d, &f);
	adv_tw_overflow(out, snap);
	return (int)out->n;
}

int advice_format(struct strbuf *sb, const struct advice *a)
{
	size_t i;

	if (!sb || !a)
		return -EINVAL;
	for (i = 0; i < a->n && i < ADVICE_MAX; i++)
		strbuf_addf(sb, "  - %.*s\n", (int)ADVICE_TEXT_LEN,
			    a->lines[i].text);
	return strbuf_error(sb);
}
