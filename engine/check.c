#include "config.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "advice.h"
#include "check.h"

/* Detail lines listed per kind. */
#define CHECK_MAX_DETAILS 5

int check_exit_code(enum check_status st)
{
	switch (st) {
	case CHECK_OK: return 0;
	case CHECK_WARNING: return 1;
	case CHECK_CRITICAL: return 2;
	default: return 3;
	}
}

const char *check_status_name(enum check_status st)
{
	switch (st) {
	case CHECK_OK: return "OK";
	case CHECK_WARNING: return "WARNING";
	case CHECK_CRITICAL: return "CRITICAL";
	default: return "UNKNOWN";
	}
}

double check_used_pct(uint32_t available, uint32_t usable)
{
	if (usable == 0)
		return 100.0;
	if (available > usable)
		available = usable;
	return 100.0 * (double)(usable - available) / usable;
}

enum check_status check_eval(const struct snapshot *snap,
			     const struct check_opts *o,
			     struct check_result *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->status = CHECK_UNKNOWN;
	if (!snap || !o)
		return out->status;
	if (!(snap->sys.known & SYSCTL_K_RANGE)) {
		out->unknown_why = "the port range is unknown (ip_local_port_range "
				   "could not be read, or a capture without "
				   "--range)";
		return out->status;
	}
	out->used_pct = -1;
	for (i = 0; snap->dests && i < snap->ndests; i++) {
		const struct snap_dest *d = &snap->dests[i];
		double u = check_used_pct(d->available, snap->usable);

		if (u > out->used_pct) {
			out->used_pct = u;
			out->available = d->available;
			out->dest = d;
		}
		if (isfinite(d->eta_s) && d->eta_s >= 0 &&
		    (!out->soonest || d->eta_s < out->soonest->eta_s))
			out->soonest = d;
	}
	for (i = 0; snap->pools && i < snap->npools; i++) {
		const struct snap_pool *p = &snap->pools[i];
		double u = check_used_pct(p->available, snap->usable);

		/* A destination wins ties: it names the remote end. */
		if (u > out->used_pct) {
			out->used_pct = u;
			out->available = p->available;
			out->pool = p;
			out->worst_is_pool = 1;
		}
	}
	if (out->used_pct < 0) {
		/* Nothing uses the range at all. */
		out->used_pct = 0;
		out->available = snap->usable;
	}
	out->eta_warn = out->soonest && o->eta_warn_s >= 0 &&
			out->soonest->eta_s < o->eta_warn_s;
	if (out->used_pct >= o->crit_pct)
		out->status = CHECK_CRITICAL;
	else if (out->used_pct >= o->warn_pct || out->eta_warn)
		out->status = CHECK_WARNING;
	else
		out->status = CHECK_OK;
	return out->status;
}

static void check_dest_label(const struct snap_dest *d, char *buf, size_t len)
{
	char s[64], r[64];

	sock_addr_format(d->family, d->saddr, s, sizeof(s));
	sock_addr_format(d->family, d->daddr, r, sizeof(r));
	snprintf(buf, len, "%s %s -> %s%s%s:%u",
		 d->proto == IPPROTO_UDP ? "udp" : "tcp", s,
		 d->family == AF_INET6 ? "[" : "", r,
		 d->family == AF_INET6 ? "]" : "", (unsigned)d->dport);
}

static void check_pool_label(const struct snap_pool *p, char *buf, size_t len)
{
	char a[64];

	sock_addr_format(p->family, p->saddr, a, sizeof(a));
	snprintf(buf, len, "the %s pool of %s",
		 p->proto == IPPROTO_UDP ? "UDP" : "TCP", a);
}

static void check_eta_text(double s, char *buf, size_t len)
{
	if (s < 0.5)
		snprintf(buf, len, "exhausted now");
	else if (s < 120)
		snprintf(buf, len, "exhausted in %.0f s", s);
	else if (s < 7200)
		snprintf(buf, len, "exhausted in %.0f min", s / 60);
	else
		snprintf(buf, len, "exhausted in %.1f h", s / 3600);
}

static void check_status_line(struct strbuf *sb, const struct snapshot *snap,
			      const struct check_opts *o,
			      const struct check_result *r)
{
	char label[160], eta[64];

	strbuf_addf(sb, "PORTTOP %s - ", check_status_name(r->status));
	if (r->dest && !r->worst_is_pool) {
		check_dest_label(r->dest, label, sizeof(label));
		strbuf_addf(sb, "%.1f%% of ports used toward %s (%u of %u left)",
			    r->used_pct, label, (unsigned)r->available,
			    (unsigned)snap->usable);
	} else if (r->pool) {
		check_pool_label(r->pool, label, sizeof(label));
		strbuf_addf(sb, "%.1f%% of ports used in %s (%u of %u left)",
			    r->used_pct, label, (unsigned)r->available,
			    (unsigned)snap->usable);
	} else {
		strbuf_addf(sb, "no ephemeral ports in use (%u usable)",
			    (unsigned)snap->usable);
	}
	if (r->soonest) {
		check_eta_text(r->soonest->eta_s, eta, sizeof(eta));
		if (r->soonest == r->dest && !r->worst_is_pool) {
			strbuf_addf(sb, ", %s", eta);
		} else {
			check_dest_label(r->soonest, label, sizeof(label));
			strbuf_addf(sb, "; %s %s", label, eta);
		}
	}
	/* perfdata: 'label'=value[UOM];warn;crit;min;max */
	strbuf_addf(sb, " | used_pct=%.1f%%;%g;%g;0;100 available=%u;;;0;%u",
		    r->used_pct, o->warn_pct, o->crit_pct,
		    (unsigned)r->available, (unsigned)snap->usable);
	if (r->soonest)
		strbuf_addf(sb, " eta_s=%.1fs", r->soonest->eta_s);
	else
		strbuf_addstr(sb, " eta_s=U");
	if (o->eta_warn_s >= 0)
		strbuf_addf(sb, ";%g;;0", o->eta_warn_s);
	strbuf_addch(sb, '\n');
}

static void check_details(struct strbuf *sb, const struct snapshot *snap)
{
	char label[160], eta[64];
	size_t i;

	if (snap->rates_source == SNAP_RATES_NONE)
		strbuf_addstr(sb, "rates: none yet (take 2 or more samples, "
			      "-n 2, for rates and forecasts)\n");
	else
		strbuf_addf(sb, "rates: over %.1f s, %s\n", snap->rates_interval_s,
			    snap->rates_estimated ?
			    "estimated from new TIME_WAIT entries" :
			    "exact (destroy events)");
	for (i = 0; snap->dests && i < snap->ndests && i < CHECK_MAX_DETAILS;
	     i++) {
		const struct snap_dest *d = &snap->dests[i];

		if (i == 0)
			strbuf_addstr(sb, "destinations (most at risk first):\n");
		check_dest_label(d, label, sizeof(label));
		strbuf_addf(sb, "  %s used %.1f%% available %u", label,
			    check_used_pct(d->available, snap->usable),
			    (unsigned)d->available);
		if (snap->rates_source != SNAP_RATES_NONE)
			strbuf_addf(sb, " closes %.1f/s", d->close_rate);
		if (isfinite(d->eta_s) && d->eta_s >= 0) {
			check_eta_text(d->eta_s, eta, sizeof(eta));
			strbuf_addf(sb, " %s", eta);
		}
		strbuf_addch(sb, '\n');
	}
	if (snap->dests && snap->ndests > CHECK_MAX_DETAILS)
		strbuf_addf(sb, "  ... and %zu more\n",
			    snap->ndests - CHECK_MAX_DETAILS);
	for (i = 0; snap->pools && i < snap->npools && i < CHECK_MAX_DETAILS;
	     i++) {
		const struct snap_pool *p = &snap->pools[i];
		char a[64];

		if (i == 0)
			strbuf_addstr(sb, "pools:\n");
		sock_addr_format(p->family, p->saddr, a, sizeof(a));
		strbuf_addf(sb, "  %s %s used %.1f%% available %u\n",
			    p->proto == IPPROTO_UDP ? "udp" : "tcp", a,
			    check_used_pct(p->available, snap->usable),
			    (unsigned)p->available);
	}
}

int check_format(struct strbuf *sb, const struct snapshot *snap,
		 const struct check_opts *o, const struct check_result *r,
		 const char *reason)
{
	struct advice adv;

	if (!sb || !o || !r)
		return -EINVAL;
	if (!snap || r->status == CHECK_UNKNOWN) {
		strbuf_addf(sb, "PORTTOP UNKNOWN - %s\n",
			    reason && *reason ? reason :
			    r->unknown_why ? r->unknown_why : "no sample");
		return strbuf_error(sb);
	}
	check_status_line(sb, snap, o, r);
	check_details(sb, snap);
	if (advice_build(snap, ADVICE_NO_DEST, &adv) > 0) {
		strbuf_addstr(sb, "advice:\n");
		advice_format(sb, &adv);
	}
	return strbuf_error(sb);
}
