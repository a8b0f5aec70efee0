#include "config.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "netns.h"     /* nat */
#include "out_json.h"
#include "sanitize.h"

/*
 * Numbers are printed with printf under the C locale: porttop never calls
 * setlocale(LC_NUMERIC), so the decimal separator is always '.'. A value
 * that is not finite has no JSON form and is printed as null.
 */

void out_json_string(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	if (!p) {
		strbuf_addstr(sb, "\"\"");
		return;
	}
	strbuf_addch(sb, '"');
	while (i < len) {
		unsigned char c = p[i];
		int32_t cp = 0;
		size_t n;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		/* Flush the plain run before this character. */
		strbuf_add(sb, p + i - run, run);
		run = 0;
		if (c < 0x80) {
			switch (c) {
			case '"': strbuf_addstr(sb, "\\\""); break;
			case '\\': strbuf_addstr(sb, "\\\\"); break;
			case '\n': strbuf_addstr(sb, "\\n"); break;
			case '\t': strbuf_addstr(sb, "\\t"); break;
			case '\r': strbuf_addstr(sb, "\\r"); break;
			case '\b': strbuf_addstr(sb, "\\b"); break;
			case '\f': strbuf_addstr(sb, "\\f"); break;
			default: strbuf_addf(sb, "\\u%04x", (unsigned)c); break;
			}
			i++;
			continue;
		}
		n = sanitize_utf8_decode(p + i, len - i, &cp);
		if (cp < 0) {
			strbuf_addstr(sb, "\\ufffd");
			i++;
		} else if (cp <= 0x9f || cp == 0x2028 || cp == 0x2029) {
			/* C1 controls, and the separators that end a line
			 * for JavaScript and some viewers: keep them off the
			 * line as escapes. */
			strbuf_addf(sb, "\\u%04x", (unsigned)cp);
			i += n;
		} else {
			strbuf_add(sb, p + i, n);
			i += n;
		}
	}
	strbuf_add(sb, p + i - run, run);
	strbuf_addch(sb, '"');
}

static void json_key(struct strbuf *sb, const char *key)
{
	out_json_string(sb, key, strlen(key));
	strbuf_addstr(sb, ": ");
}

static void json_u(struct strbuf *sb, const char *key, unsigned long long v)
{
	json_key(sb, key);
	strbuf_addf(sb, "%llu", v);
}

/* A double with `prec` decimals (0..3), or null when not finite. */
static void json_num(struct strbuf *sb, const char *key, double v, int prec)
{
	json_key(sb, key);
	if (!isfinite(v))
		strbuf_addstr(sb, "null");
	else
		strbuf_addf(sb, "%.*f", prec, v);
}

/* A sysctl value, or null when it could not be read. */
static void json_sysctl(struct strbuf *sb, const char *key, int v,
			unsigned known, unsigned bit)
{
	json_key(sb, key);
	if (known & bit)
		strbuf_addf(sb, "%d", v);
	else
		strbuf_addstr(sb, "null");
}

static void json_str(struct strbuf *sb, const char *key, const char *s,
		     size_t max)
{
	json_key(sb, key);
	out_json_string(sb, s, strnlen(s, max));
}

static void json_addr(struct strbuf *sb, const char *key, int family,
		      const uint8_t *addr)
{
	char buf[64];

	sock_addr_format(family, addr, buf, sizeof(buf));
	json_str(sb, key, buf, sizeof(buf));
}

static const char *json_proto(unsigned proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	default: return "unknown";
	}
}

/* Every state of sock_state_order, in that order. */
static void json_states(struct strbuf *sb, const uint32_t *states)
{
	unsigned i;

	json_key(sb, "states");
	strbuf_addch(sb, '{');
	for (i = 0; i < sock_state_order_len; i++) {
		unsigned st = sock_state_order[i];

		if (i)
			strbuf_addstr(sb, ", ");
		json_u(sb, sock_state_name(st),
		       st < SOCK_STATE_MAX ? states[st] : 0);
	}
	strbuf_addch(sb, '}');
}

static void json_dest(struct strbuf *sb, const struct snap_dest *d)
{
	strbuf_addch(sb, '{');
	json_str(sb, "proto", json_proto(d->proto), 16);
	strbuf_addstr(sb, ", ");
	json_addr(sb, "saddr", d->family, d->saddr);
	strbuf_addstr(sb, ", ");
	json_addr(sb, "daddr", d->family, d->daddr);
	strbuf_addstr(sb, ", ");
	json_u(sb, "dport", d->dport);
	strbuf_addstr(sb, ", ");
	json_states(sb, d->states);
	strbuf_addstr(sb, ", ");
	json_u(sb, "sockets", d->sockets);
	strbuf_addstr(sb, ", ");
	json_u(sb, "in_use", d->in_use);
	strbuf_addstr(sb, ", ");
	json_u(sb, "reusable", d->reusable);
	strbuf_addstr(sb, ", ");
	json_u(sb, "available", d->available);
	strbuf_addstr(sb, ", ");
	json_u(sb, "available_min", d->available_min);
	strbuf_addstr(sb, ", ");
	json_key(sb, "exact");
	strbuf_addstr(sb, d->exact ? "true" : "false");
	strbuf_addstr(sb, ", ");
	json_num(sb, "headroom_pct", d->headroom_pct, 1);
	strbuf_addstr(sb, ", ");
	json_num(sb, "close_rate", d->close_rate, 3);
	strbuf_addstr(sb, ", ");
	/* SNAP_NO_ETA, or any negative value, means no forecast. */
	if (d->eta_s >= 0) {
		json_num(sb, "eta_s", d->eta_s, 1);
	} else {
		json_key(sb, "eta_s");
		strbuf_addstr(sb, "null");
	}
	strbuf_addstr(sb, ", ");
	json_num(sb, "close_rate_last", d->close_rate_last, 3);
	strbuf_addstr(sb, ", ");
	json_num(sb, "time_wait_rate", d->tw_rate, 3);
	strbuf_addstr(sb, ", ");
	json_num(sb, "new_rate", d->new_rate, 3);
	strbuf_addstr(sb, ", ");
	json_u(sb, "closes", d->closes);
	strbuf_addch(sb, '}');
}

static void json_bool(struct strbuf *sb, const char *key, int v)
{
	json_key(sb, key);
	strbuf_addstr(sb, v ? "true" : "false");
}

/* A counter delta, or null when unknown (negative). */
static void json_delta(struct strbuf *sb, const char *key, int64_t v)
{
	json_key(sb, key);
	if (v < 0)
		strbuf_addstr(sb, "null");
	else
		strbuf_addf(sb, "%lld", (long long)v);
}

static const char *json_rates_source(int src)
{
	switch (src) {
	case SNAP_RATES_EXACT: return "events";
	case SNAP_RATES_ESTIMATED: return "time_wait";
	default: return "none";
	}
}

/* Host-wide rates over the last interval (engine/rates.h). */
static void json_rates(struct strbuf *sb, const struct snapshot *snap)
{
	int have = snap->rates_source != SNAP_RATES_NONE;

	json_key(sb, "rates");
	strbuf_addch(sb, '{');
	json_str(sb, "source", json_rates_source(snap->rates_source), 16);
	strbuf_addstr(sb, ", ");
	json_bool(sb, "events_lost", snap->events_lost);
	strbuf_addstr(sb, ", ");
	json_num(sb, "interval_s", have ? snap->rates_interval_s : (double)NAN, 3);
	strbuf_addstr(sb, ", ");
	json_u(sb, "close_events", snap->close_events);
	strbuf_addstr(sb, ", ");
	json_num(sb, "active_opens_rate", snap->active_opens_rate, 3);
	strbuf_addstr(sb, ", ");
	json_delta(sb, "tw_recycled", snap->tw_recycled);
	strbuf_addstr(sb, ", ");
	json_delta(sb, "tw_overflow", snap->tw_overflow);
	strbuf_addstr(sb, "}, ");
	json_bool(sb, "rates_estimated", snap->rates_estimated);
}

static void json_pool(struct strbuf *sb, const struct snap_pool *p)
{
	strbuf_addch(sb, '{');
	json_str(sb, "proto", json_proto(p->proto), 16);
	strbuf_addstr(sb, ", ");
	json_addr(sb, "saddr", p->family, p->saddr);
	strbuf_addstr(sb, ", ");
	json_u(sb, "in_use", p->in_use);
	strbuf_addstr(sb, ", ");
	json_u(sb, "available", p->available);
	strbuf_addch(sb, '}');
}

/* A process, or (pid null) the sockets known only by their uid. */
static void json_proc(struct strbuf *sb, const struct snap_proc *p)
{
	strbuf_addch(sb, '{');
	json_key(sb, "pid");
	if (p->pid > 0)
		strbuf_addf(sb, "%d", p->pid);
	else
		strbuf_addstr(sb, "null");
	strbuf_addstr(sb, ", ");
	json_u(sb, "uid", p->uid);
	strbuf_addstr(sb, ", ");
	json_str(sb, "user", p->user, sizeof(p->user));
	strbuf_addstr(sb, ", ");
	json_str(sb, "comm", p->comm, sizeof(p->comm));
	strbuf_addstr(sb, ", ");
	json_str(sb, "cmdline", p->cmdline, sizeof(p->cmdline));
	strbuf_addstr(sb, ", ");
	json_str(sb, "unit", p->unit, sizeof(p->unit));
	strbuf_addstr(sb, ", ");
	json_str(sb, "cgroup", p->cgroup, sizeof(p->cgroup));
	strbuf_addstr(sb, ", ");
	json_u(sb, "sockets", p->sockets);
	strbuf_addstr(sb, ", ");
	json_u(sb, "time_wait", p->time_wait);
	strbuf_addstr(sb, ", ");
	json_u(sb, "closing", p->closing);
	strbuf_addstr(sb, ", ");
	json_u(sb, "destinations", p->destinations);
	strbuf_addch(sb, '}');
}

/* >>> nat: conntrack and NAT headroom (engine/conntrack.h) */
/* A count that may be unknown (negative): null. */
static void json_i64(struct strbuf *sb, const char *key, int64_t v)
{
	json_key(sb, key);
	if (v < 0)
		strbuf_addstr(sb, "null");
	else
		strbuf_addf(sb, "%lld", (long long)v);
}

static const char *json_ct_dump(const struct ct_snap *c)
{
	if (c->have & CT_HAVE_DUMP)
		return "ok";
	if (c->dump_err == -EPERM || c->dump_err == -EACCES)
		return "denied";
	if (c->dump_err == 0 || c->dump_err == -EBADF)
		return "off";
	return "error";
}

static void json_nat_dest(struct strbuf *sb, const struct ct_nat_dest *d)
{
	strbuf_addch(sb, '{');
	json_str(sb, "proto", json_proto(d->proto), 16);
	strbuf_addstr(sb, ", ");
	json_addr(sb, "nat_addr", d->family, d->nat_addr);
	strbuf_addstr(sb, ", ");
	json_addr(sb, "daddr", d->family, d->daddr);
	strbuf_addstr(sb, ", ");
	json_u(sb, "dport", d->dport);
	strbuf_addstr(sb, ", ");
	json_u(sb, "entries", d->entries);
	strbuf_addstr(sb, ", ");
	json_u(sb, "nat_entries", d->nat_entries);
	strbuf_addstr(sb, ", ");
	json_u(sb, "established", d->established);
	strbuf_addstr(sb, ", ");
	json_u(sb, "time_wait", d->time_wait);
	strbuf_addstr(sb, ", ");
	json_u(sb, "other", d->other);
	strbuf_addstr(sb, ", ");
	json_u(sb, "in_use", d->in_use);
	strbuf_addstr(sb, ", ");
	json_u(sb, "available", d->available);
	strbuf_addstr(sb, ", ");
	json_num(sb, "headroom_pct", d->headroom_pct, 1);
	strbuf_addch(sb, '}');
}

/* "conntrack": {...}, "nat_destinations": [...] */
static void json_conntrack(struct strbuf *sb, const struct snapshot *snap)
{
	const struct ct_snap *c = &snap->ct;
	unsigned i;
	size_t k;

	json_key(sb, "conntrack");
	strbuf_addch(sb, '{');
	json_bool(sb, "in_use", c->in_use);
	strbuf_addstr(sb, ", ");
	json_i64(sb, "count", (c->have & CT_HAVE_FILL) ? c->count : -1);
	strbuf_addstr(sb, ", ");
	json_i64(sb, "max", (c->have & CT_HAVE_FILL) ? c->max : -1);
	strbuf_addstr(sb, ", ");
	json_num(sb, "fill_pct", c->fill_pct, 1);
	strbuf_addstr(sb, ", ");
	json_key(sb, "stats");
	if (c->have & CT_HAVE_STATS) {
		strbuf_addch(sb, '{');
		json_u(sb, "cpus", c->stats.cpus);
		for (i = 0; i < CT_S_MAX; i++) {
			strbuf_addstr(sb, ", ");
			json_key(sb, ct_stat_name(i));
			if (c->stats.known & (1u << i))
				strbuf_addf(sb, "%llu",
					    (unsigned long long)c->stats.v[i]);
			else
				strbuf_addstr(sb, "null");
		}
		strbuf_addch(sb, '}');
	} else {
		strbuf_addstr(sb, "null");
	}
	strbuf_addstr(sb, ", ");
	json_key(sb, "rates");
	if (c->have_rates) {
		strbuf_addch(sb, '{');
		json_num(sb, "interval_s", c->interval_s, 3);
		for (i = 0; i < CT_S_MAX; i++) {
			strbuf_addstr(sb, ", ");
			json_num(sb, ct_stat_name(i), c->rate[i], 3);
		}
		strbuf_addch(sb, '}');
	} else {
		strbuf_addstr(sb, "null");
	}
	strbuf_addstr(sb, ", ");
	json_str(sb, "dump", json_ct_dump(c), 16);
	strbuf_addstr(sb, ", ");
	json_key(sb, "dump_error");
	if (!(c->have & CT_HAVE_DUMP) && c->dump_err && c->dump_err != -EBADF) {
		const char *why = ct_strerror(c->dump_err);

		out_json_string(sb, why, strlen(why));
	} else {
		strbuf_addstr(sb, "null");
	}
	strbuf_addstr(sb, ", ");
	json_i64(sb, "entries", (c->have & CT_HAVE_DUMP) ?
		 (int64_t)c->entries : -1);
	strbuf_addstr(sb, ", ");
	json_bool(sb, "truncated", (c->flags & CT_TRUNCATED) != 0);
	strbuf_addstr(sb, ", ");
	json_key(sb, "nat_range");
	strbuf_addch(sb, '{');
	json_u(sb, "low", c->nat_low);
	strbuf_addstr(sb, ", ");
	json_u(sb, "high", c->nat_high);
	strbuf_addstr(sb, ", ");
	json_u(sb, "size", c->nat_size);
	strbuf_addstr(sb, ", ");
	json_bool(sb, "configured", c->nat_range_given);
	strbuf_addstr(sb, "}, ");
	json_u(sb, "time_wait_s", CT_TIME_WAIT_S);
	strbuf_addstr(sb, "}, ");
	json_key(sb, "nat_destinations");
	strbuf_addch(sb, '[');
	for (k = 0; c->nat && k < c->nnat; k++) {
		if (k)
			strbuf_addstr(sb, ", ");
		json_nat_dest(sb, &c->nat[k]);
	}
	strbuf_addch(sb, ']');
}
/* <<< nat */

int out_json_snapshot(struct strbuf *sb, const struct snapshot *snap)
{
	const struct sysctl_vals *sys;
	size_t i, n;

	if (!sb || !snap)
		return -EINVAL;
	sys = &snap->sys;

	strbuf_addch(sb, '{');
	json_num(sb, "time", snap->time, 2);
	strbuf_addstr(sb, ", ");
	json_str(sb, "netns", snap->netns, sizeof(snap->netns));

	strbuf_addstr(sb, ", ");
	json_key(sb, "range");
	strbuf_addch(sb, '{');
	json_u(sb, "low", snap->range_low);
	strbuf_addstr(sb, ", ");
	json_u(sb, "high", snap->range_high);
	strbuf_addstr(sb, ", ");
	json_u(sb, "reserved", snap->reserved);
	strbuf_addstr(sb, ", ");
	json_u(sb, "usable", snap->usable);
	strbuf_addch(sb, '}');

	strbuf_addstr(sb, ", ");
	json_key(sb, "sysctl");
	strbuf_addch(sb, '{');
	json_sysctl(sb, "tcp_tw_reuse", sys->tcp_tw_reuse, sys->known,
		    SYSCTL_K_TW_REUSE);
	strbuf_addstr(sb, ", ");
	json_sysctl(sb, "tcp_timestamps", sys->tcp_timestamps, sys->known,
		    SYSCTL_K_TIMESTAMPS);
	strbuf_addstr(sb, ", ");
	json_sysctl(sb, "tcp_fin_timeout", sys->tcp_fin_timeout, sys->known,
		    SYSCTL_K_FIN_TIMEOUT);
	strbuf_addstr(sb, ", ");
	json_sysctl(sb, "tcp_max_tw_buckets", sys->tcp_max_tw_buckets,
		    sys->known, SYSCTL_K_MAX_TW);
	strbuf_addstr(sb, ", ");
	json_sysctl(sb, "tcp_tw_reuse_delay_ms", sys->tcp_tw_reuse_delay_ms,
		    sys->known, SYSCTL_K_TW_REUSE_DELAY);
	strbuf_addch(sb, '}');

	strbuf_addstr(sb, ", ");
	json_key(sb, "tcp");
	strbuf_addch(sb, '{');
	json_states(sb, snap->tcp_states);
	strbuf_addstr(sb, ", ");
	json_u(sb, "sockets", snap->tcp_sockets);
	strbuf_addch(sb, '}');

	strbuf_addstr(sb, ", ");
	json_key(sb, "udp");
	strbuf_addch(sb, '{');
	json_u(sb, "sockets", snap->udp_sockets);
	strbuf_addstr(sb, ", ");
	json_u(sb, "ports_in_range", snap->udp_ports_in_range);
	strbuf_addch(sb, '}');

	strbuf_addstr(sb, ", ");
	json_key(sb, "ephemeral");
	strbuf_addch(sb, '{');
	json_u(sb, "ports_in_use", snap->ports_in_use);
	strbuf_addstr(sb, ", ");
	json_u(sb, "owned_ports", snap->owned_ports);
	strbuf_addstr(sb, ", ");
	json_u(sb, "available_new_destination", snap->available_new_destination);
	strbuf_addstr(sb, ", ");
	json_u(sb, "available_new_destination_min",
	       snap->available_new_destination_min);
	strbuf_addch(sb, '}');

	/* how far "available" can be trusted, and how to make it exact */
	strbuf_addstr(sb, ", ");
	json_bool(sb, "exact", snap->exact);
	strbuf_addstr(sb, ", ");
	json_str(sb, "bind_source", sock_bind_src_name(snap->bind_src), 16);
	strbuf_addstr(sb, ", ");
	json_key(sb, "inexact_reason");
	if (snap->exact)
		strbuf_addstr(sb, "null");
	else
		out_json_string(sb, snap->inexact_why,
				strnlen(snap->inexact_why, sizeof(snap->inexact_why)));

	strbuf_addstr(sb, ", ");
	json_conntrack(sb, snap);   /* nat */

	strbuf_addstr(sb, ", ");
	json_rates(sb, snap);

	strbuf_addstr(sb, ", ");
	json_key(sb, "destinations");
	strbuf_addch(sb, '[');
	n = snap->dests ? snap->ndests : 0;
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_addstr(sb, ", ");
		json_dest(sb, &snap->dests[i]);
	}
	strbuf_addch(sb, ']');

	strbuf_addstr(sb, ", ");
	json_key(sb, "pools");
	strbuf_addch(sb, '[');
	n = snap->pools ? snap->npools : 0;
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_addstr(sb, ", ");
		json_pool(sb, &snap->pools[i]);
	}
	strbuf_addch(sb, ']');

	strbuf_addstr(sb, ", ");
	json_key(sb, "processes");
	strbuf_addch(sb, '[');
	n = snap->procs ? snap->nprocs : 0;
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_addstr(sb, ", ");
		json_proc(sb, &snap->procs[i]);
	}
	strbuf_addch(sb, ']');

	strbuf_addstr(sb, ", ");
	json_u(sb, "unattributed_sockets", snap->unattributed_sockets);
	strbuf_addstr(sb, ", ");
	json_key(sb, "pid_filter");
	strbuf_addch(sb, '[');
	n = snap->npid_filter < MODEL_MAX_PIDS ? snap->npid_filter
					       : MODEL_MAX_PIDS;
	for (i = 0; i < n; i++)
		strbuf_addf(sb, "%s%d", i ? ", " : "", snap->pid_filter[i]);
	strbuf_addch(sb, ']');

	strbuf_addstr(sb, ", ");
	json_u(sb, "unattributed_time_wait", snap->unattributed_time_wait);

	strbuf_addstr(sb, ", ");
	json_key(sb, "warnings");
	strbuf_addch(sb, '[');
	n = snap->nwarnings < SNAP_MAX_WARNINGS ? snap->nwarnings
						: SNAP_MAX_WARNINGS;
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_addstr(sb, ", ");
		out_json_string(sb, snap->warnings[i],
				strnlen(snap->warnings[i], SNAP_WARNING_LEN));
	}
	strbuf_addch(sb, ']');

	strbuf_addstr(sb, "}\n");
	return strbuf_error(sb);
}

/* >>> nat: --all-netns */
static void json_netns(struct strbuf *sb, const struct netns_info *in)
{
	uint32_t k;

	strbuf_addch(sb, '{');
	json_str(sb, "netns", in->id, sizeof(in->id));
	strbuf_addstr(sb, ", ");
	json_u(sb, "inode", in->inode);
	strbuf_addstr(sb, ", ");
	json_bool(sb, "current", in->current);
	strbuf_addstr(sb, ", ");
	json_key(sb, "name");
	if (in->name[0])
		out_json_string(sb, in->name, strnlen(in->name, sizeof(in->name)));
	else
		strbuf_addstr(sb, "null");
	strbuf_addstr(sb, ", ");
	json_u(sb, "processes", in->nprocs);
	strbuf_addstr(sb, ", ");
	json_key(sb, "pids");
	strbuf_addch(sb, '[');
	for (k = 0; k < in->npids && k < NETNS_MAX_PIDS; k++)
		strbuf_addf(sb, "%s%d", k ? ", " : "", in->pids[k]);
	strbuf_addstr(sb, "], ");
	json_str(sb, "comm", in->comm, sizeof(in->comm));
	strbuf_addstr(sb, ", ");
	json_str(sb, "unit", in->unit, sizeof(in->unit));
	strbuf_addstr(sb, ", ");
	json_str(sb, "hostname", in->hostname, sizeof(in->hostname));
	strbuf_addstr(sb, ", ");
	json_key(sb, "error");
	if (!in->surveyed && in->err) {
		const char *why = netns_strerror(in->err);

		out_json_string(sb, why, strlen(why));
	} else {
		strbuf_addstr(sb, "null");
	}
	strbuf_addstr(sb, ", ");
	json_key(sb, "range");
	if (in->surveyed) {
		strbuf_addch(sb, '{');
		json_u(sb, "low", in->range_low);
		strbuf_addstr(sb, ", ");
		json_u(sb, "high", in->range_high);
		strbuf_addstr(sb, ", ");
		json_u(sb, "usable", in->usable);
		strbuf_addch(sb, '}');
	} else {
		strbuf_addstr(sb, "null");
	}
	strbuf_addstr(sb, ", ");
	json_u(sb, "tcp_sockets", in->tcp_sockets);
	strbuf_addstr(sb, ", ");
	json_u(sb, "udp_sockets", in->udp_sockets);
	strbuf_addstr(sb, ", ");
	json_u(sb, "time_wait", in->time_wait);
	strbuf_addstr(sb, ", ");
	json_u(sb, "destinations", in->ndests);
	strbuf_addstr(sb, ", ");
	json_key(sb, "worst");
	if (in->surveyed && in->have_worst) {
		const struct netns_worst *w = &in->worst;

		strbuf_addch(sb, '{');
		json_str(sb, "proto", json_proto(w->proto), 16);
		strbuf_addstr(sb, ", ");
		json_addr(sb, "saddr", w->family, w->saddr);
		strbuf_addstr(sb, ", ");
		json_addr(sb, "daddr", w->family, w->daddr);
		strbuf_addstr(sb, ", ");
		json_u(sb, "dport", w->dport);
		strbuf_addstr(sb, ", ");
		json_u(sb, "in_use", w->in_use);
		strbuf_addstr(sb, ", ");
		json_u(sb, "available", w->available);
		strbuf_addstr(sb, ", ");
		json_num(sb, "headroom_pct", w->headroom_pct, 1);
		strbuf_addch(sb, '}');
	} else {
		strbuf_addstr(sb, "null");
	}
	strbuf_addstr(sb, ", ");
	json_key(sb, "conntrack");
	strbuf_addch(sb, '{');
	json_i64(sb, "count", in->ct_count);
	strbuf_addstr(sb, ", ");
	json_i64(sb, "max", in->ct_max);
	strbuf_addstr(sb, "}, ");
	json_key(sb, "nat_worst");
	if (in->surveyed && in->have_nat_worst)
		json_nat_dest(sb, &in->nat_worst);
	else
		strbuf_addstr(sb, "null");
	strbuf_addch(sb, '}');
}

int out_json_namespaces(struct strbuf *sb, const struct netns_list *l,
			double time)
{
	size_t i;

	if (!sb || !l)
		return -EINVAL;
	strbuf_addch(sb, '{');
	json_num(sb, "time", time, 2);
	strbuf_addstr(sb, ", ");
	json_key(sb, "namespaces");
	strbuf_addch(sb, '[');
	for (i = 0; l->v && i < l->len; i++) {
		if (i)
			strbuf_addstr(sb, ", ");
		json_netns(sb, &l->v[i]);
	}
	strbuf_addstr(sb, "], ");
	json_u(sb, "processes", l->procs);
	strbuf_addstr(sb, ", ");
	json_u(sb, "denied", l->denied);
	strbuf_addstr(sb, ", ");
	json_bool(sb, "truncated", l->truncated);
	strbuf_addstr(sb, "}\n");
	return strbuf_error(sb);
}
/* <<< nat */
