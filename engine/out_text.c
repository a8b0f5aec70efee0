#include "config.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "netns.h"     /* nat */
#include "out_text.h"
#include "sanitize.h"

/*
 * Numbers go through printf under the C locale (porttop never calls
 * setlocale(LC_NUMERIC)), so the report reads the same everywhere.
 */

/* The header block fits a classic terminal. */
#define TEXT_WIDTH 80
/* One table cell: an address with brackets and port, or a process name. */
#define TEXT_CELL 72
#define TEXT_MAX_COLS 11

/* ---- header: items flowed into lines of at most TEXT_WIDTH bytes ------ */

struct text_line {
	struct strbuf *sb;
	size_t col;
};

/*
 * Append one item, preceded by sep unless it starts the line. An item that
 * does not fit goes on a continuation line indented by two spaces; an item
 * longer than a whole line is cut (on a UTF-8 character boundary). Bytes
 * are counted, an upper bound of the columns of sanitised UTF-8.
 */
static void text_item(struct text_line *l, const char *sep, const char *item)
{
	size_t len = strlen(item), seplen = strlen(sep), room;

	if (l->col > 0 && l->col + seplen + len > TEXT_WIDTH) {
		strbuf_addstr(l->sb, "\n  ");
		l->col = 2;
	} else if (l->col > 0) {
		strbuf_addstr(l->sb, sep);
		l->col += seplen;
	}
	room = TEXT_WIDTH - l->col;
	if (len > room) {
		len = room;
		while (len > 0 && ((unsigned char)item[len] & 0xc0) == 0x80)
			len--;
	}
	strbuf_add(l->sb, item, len);
	l->col += len;
}

static void text_end_line(struct text_line *l)
{
	strbuf_addch(l->sb, '\n');
	l->col = 0;
}

static const char *text_proto(unsigned proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	default: return "?";
	}
}

static void text_addr(int family, const uint8_t *addr, char *buf, size_t len)
{
	sock_addr_format(family, addr, buf, len);
}

/* "10.0.0.2:443" or "[2001:db8::2]:443". */
static void text_remote(const struct snap_dest *d, char *buf, size_t len)
{
	char a[64];

	text_addr(d->family, d->daddr, a, sizeof(a));
	if (d->family == AF_INET)
		snprintf(buf, len, "%s:%u", a, (unsigned)d->dport);
	else
		snprintf(buf, len, "[%s]:%u", a, (unsigned)d->dport);
}

static void text_headroom(double pct, char *buf, size_t len)
{
	if (isfinite(pct))
		snprintf(buf, len, "%.1f%%", pct);
	else
		snprintf(buf, len, "-");
}

/* A forecast in the largest unit that keeps it readable; `space` puts a
 * blank before the unit ("42 s" in sentences, "42s" in table cells). */
static void text_duration(double s, int space, char *buf, size_t len)
{
	const char *sp = space ? " " : "";

	if (s < 0.5)
		snprintf(buf, len, "now");
	else if (s < 120)
		snprintf(buf, len, "%.0f%ss", s, sp);
	else if (s < 2 * 3600)
		snprintf(buf, len, "%.0f%s%s", s / 60, sp, space ? "min" : "m");
	else if (s < 2 * 86400)
		snprintf(buf, len, "%.1f%sh", s / 3600, sp);
	else if (s < 1e9)
		snprintf(buf, len, "%.0f%sd", s / 86400, sp);
	else
		snprintf(buf, len, "never");
}

/* A rate per second in few characters. */
static void text_rate(double r, char *buf, size_t len)
{
	if (!isfinite(r) || r < 0)
		snprintf(buf, len, "-");
	else if (r < 1000)
		snprintf(buf, len, "%.1f", r);
	else if (r < 1e9)
		snprintf(buf, len, "%.0f", r);
	else
		snprintf(buf, len, "huge");
}

/* The destination that runs out first, if any does at current rates. */
static void text_forecast(struct text_line *l, const struct snapshot *snap)
{
	const struct snap_dest *best = NULL;
	char item[160], a[64], r[TEXT_CELL], h[32];
	size_t i;

	for (i = 0; snap->dests && i < snap->ndests; i++) {
		const struct snap_dest *d = &snap->dests[i];

		if (isfinite(d->eta_s) && d->eta_s >= 0 &&
		    (!best || d->eta_s < best->eta_s))
			best = d;
	}
	if (!best) {
		if (snap->rates_source != SNAP_RATES_NONE && snap->ndests > 0) {
			text_item(l, "", "Forecast: no destination runs out at "
				  "the current rates");
			text_end_line(l);
		}
		return;
	}
	text_addr(best->family, best->saddr, a, sizeof(a));
	snprintf(item, sizeof(item), "Forecast: %s %s", text_proto(best->proto), a);
	text_item(l, "", item);
	text_remote(best, r, sizeof(r));
	text_duration(best->eta_s, 1, h, sizeof(h));
	/* One item, so "ADDR:PORT exhausted in N s" stays on one line. */
	if (strcmp(h, "now") == 0)
		snprintf(item, sizeof(item), "-> %s EXHAUSTED now", r);
	else
		snprintf(item, sizeof(item), "-> %s exhausted in %s", r, h);
	text_item(l, " ", item);
	if (snap->rates_source != SNAP_RATES_NONE) {
		text_rate(best->close_rate, h, sizeof(h));
		snprintf(item, sizeof(item), "(closes %s/s%s)", h,
			 snap->rates_estimated ? ", estimated" : "");
		text_item(l, "  ", item);
	}
	text_end_line(l);
}

/* The rates line of the header: where rates come from, host counters. */
static void text_rates(struct text_line *l, const struct snapshot *snap)
{
	char item[160], r[32];

	if (snap->rates_source == SNAP_RATES_NONE) {
		text_item(l, "", "Rates: from the next sample on");
		text_end_line(l);
		return;
	}
	snprintf(item, sizeof(item), "Rates over %.1fs%s:",
		 isfinite(snap->rates_interval_s) ? snap->rates_interval_s : 0.0,
		 snap->rates_source == SNAP_RATES_EXACT && !snap->rates_estimated ?
		 "" : snap->events_lost ? " (ESTIMATED: events lost)" :
		 " (estimated)");
	text_item(l, "", item);
	if (isfinite(snap->active_opens_rate)) {
		text_rate(snap->active_opens_rate, r, sizeof(r));
		snprintf(item, sizeof(item), "connects %s/s", r);
		text_item(l, " ", item);
	}
	if (snap->tw_recycled >= 0) {
		snprintf(item, sizeof(item), "TWRecycled +%lld",
			 (long long)snap->tw_recycled);
		text_item(l, "  ", item);
	}
	if (snap->tw_overflow >= 0) {
		snprintf(item, sizeof(item), "TCPTimeWaitOverflow +%lld",
			 (long long)snap->tw_overflow);
		text_item(l, "  ", item);
	}
	text_end_line(l);
}

/*
 * Ports available: the figure when exact, else the sure lower bound and
 * the estimate, ">=68 ~98" (batch output is plain ASCII).
 */
static void text_avail(uint32_t min, uint32_t est, int exact, char *buf,
		       size_t len)
{
	if (exact || min >= est)
		snprintf(buf, len, "%u", (unsigned)est);
	else
		snprintf(buf, len, ">=%u ~%u", (unsigned)min, (unsigned)est);
}

static void text_sysctl(struct text_line *l, const char *name, int v,
			unsigned known, unsigned bit)
{
	char item[64];

	if (known & bit)
		snprintf(item, sizeof(item), "%s=%d", name, v);
	else
		snprintf(item, sizeof(item), "%s=unknown", name);
	text_item(l, " ", item);
}

static void text_header(struct strbuf *sb, const struct snapshot *snap)
{
	struct text_line l = { sb, 0 };
	const struct sysctl_vals *sys = &snap->sys;
	char item[160], tbuf[64], ns[sizeof(snap->netns)];
	unsigned ports, i;
	int have_time = 0;

	if (isfinite(snap->time) && snap->time >= 0 && snap->time < 1e12) {
		time_t t = (time_t)snap->time;
		struct tm tm;

		if (localtime_r(&t, &tm) &&
		    strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm) > 0)
			have_time = 1;
	}
	if (!have_time)
		snprintf(tbuf, sizeof(tbuf), "time unknown");
	sanitize_text(ns, sizeof(ns), snap->netns, sizeof(snap->netns));
	snprintf(item, sizeof(item), "porttop - %s", tbuf);
	text_item(&l, "", item);
	snprintf(item, sizeof(item), "netns %s", ns[0] ? ns : "unknown");
	text_item(&l, "  ", item);
	text_end_line(&l);

	ports = snap->range_high >= snap->range_low
		? snap->range_high - snap->range_low + 1 : 0;
	snprintf(item, sizeof(item), "Range %u-%u (%u ports, %u reserved, %u usable)",
		 snap->range_low, snap->range_high, ports,
		 (unsigned)snap->reserved, (unsigned)snap->usable);
	text_item(&l, "", item);
	snprintf(item, sizeof(item), "owned %u", (unsigned)snap->owned_ports);
	text_item(&l, "  ", item);
	snprintf(item, sizeof(item), "in use %u", (unsigned)snap->ports_in_use);
	text_item(&l, "  ", item);
	text_end_line(&l);

	text_item(&l, "", "sysctl");
	text_sysctl(&l, "tw_reuse", sys->tcp_tw_reuse, sys->known,
		    SYSCTL_K_TW_REUSE);
	text_sysctl(&l, "timestamps", sys->tcp_timestamps, sys->known,
		    SYSCTL_K_TIMESTAMPS);
	text_sysctl(&l, "fin_timeout", sys->tcp_fin_timeout, sys->known,
		    SYSCTL_K_FIN_TIMEOUT);
	text_sysctl(&l, "max_tw_buckets", sys->tcp_max_tw_buckets, sys->known,
		    SYSCTL_K_MAX_TW);
	text_end_line(&l);

	snprintf(item, sizeof(item), "TCP %u sockets:",
		 (unsigned)snap->tcp_sockets);
	text_item(&l, "", item);
	for (i = 0; i < sock_state_order_len; i++) {
		unsigned st = sock_state_order[i];
		uint32_t n = st < SOCK_STATE_MAX ? snap->tcp_states[st] : 0;

		/* Established and TIME_WAIT always: they are the story. */
		if (n == 0 && st != SOCK_ESTABLISHED && st != SOCK_TIME_WAIT)
			continue;
		snprintf(item, sizeof(item), "%s %u",
			 st == SOCK_ESTABLISHED ? "ESTAB" : sock_state_name(st),
			 (unsigned)n);
		text_item(&l, i ? "  " : " ", item);
	}
	snprintf(item, sizeof(item), "UDP %u sockets (%u ports in range)",
		 (unsigned)snap->udp_sockets,
		 (unsigned)snap->udp_ports_in_range);
	text_item(&l, "  ", item);
	text_end_line(&l);

	if (snap->dests && snap->ndests > 0) {
		const struct snap_dest *d = &snap->dests[0];
		char a[64], r[TEXT_CELL], h[32];

		text_addr(d->family, d->saddr, a, sizeof(a));
		snprintf(item, sizeof(item), "Worst: %s %s", text_proto(d->proto), a);
		text_item(&l, "", item);
		text_remote(d, r, sizeof(r));
		snprintf(item, sizeof(item), "-> %s", r);
		text_item(&l, " ", item);
		text_avail(d->available_min, d->available, d->exact, h,
			   sizeof(h));
		snprintf(item, sizeof(item), "available %s of %u", h,
			 (unsigned)snap->usable);
		text_item(&l, "  ", item);
		if (isfinite(d->headroom_pct)) {
			text_headroom(d->headroom_pct, h, sizeof(h));
			snprintf(item, sizeof(item), "(%s headroom)", h);
			text_item(&l, " ", item);
		}
	} else {
		text_item(&l, "", "Worst: none (no destinations)");
	}
	text_end_line(&l);
	{
		char a[32];

		text_avail(snap->available_new_destination_min,
			   snap->available_new_destination, 0, a, sizeof(a));
		snprintf(item, sizeof(item), "New destination: %s available", a);
		text_item(&l, "", item);
		text_end_line(&l);
	}
	if (!snap->exact) {
		char why[sizeof(snap->inexact_why)], *w, *save = NULL;

		/* word by word: a long reason wraps like the other header
		 * items instead of being cut (it says how to get exact
		 * figures) */
		sanitize_text(why, sizeof(why), snap->inexact_why,
			      sizeof(snap->inexact_why));
		if (!why[0])
			snprintf(why, sizeof(why), "the port ownership of some sockets is unknown");
		text_item(&l, "", "Inexact (>=sure ~estimate):");
		for (w = strtok_r(why, " ", &save); w; w = strtok_r(NULL, " ", &save))
			text_item(&l, " ", w);
		text_end_line(&l);
	}
	text_forecast(&l, snap);
	text_rates(&l, snap);
}

/* ---- tables ---------------------------------------------------------- */

typedef void (*text_fill_fn)(const struct snapshot *snap, size_t row,
			     char cells[][TEXT_CELL]);

/*
 * A table of nrows rows: every column as wide as its widest cell or title,
 * so long addresses widen the whole column instead of breaking the rows.
 * align[c] is 'l' or 'r' ('R': right-aligned after one space instead of
 * two, for tables that must fit); the last column is not padded (no trailing
 * blanks). fill() is called twice per row: to measure, then to print.
 */
static void text_table(struct strbuf *sb, const struct snapshot *snap,
		       size_t nrows, unsigned ncols, const char *const head[],
		       const char *align, text_fill_fn fill)
{
	char cells[TEXT_MAX_COLS][TEXT_CELL];
	size_t width[TEXT_MAX_COLS];
	size_t r;
	unsigned c;

	for (c = 0; c < ncols; c++)
		width[c] = strlen(head[c]);
	for (r = 0; r < nrows; r++) {
		fill(snap, r, cells);
		for (c = 0; c < ncols; c++) {
			size_t len = strlen(cells[c]);

			if (len > width[c])
				width[c] = len;
		}
	}
	for (r = 0; r <= nrows; r++) {
		if (r == 0) {
			for (c = 0; c < ncols; c++)
				snprintf(cells[c], TEXT_CELL, "%s", head[c]);
		} else {
			fill(snap, r - 1, cells);
		}
		for (c = 0; c < ncols; c++) {
			int w = (int)width[c];

			if (c > 0)
				strbuf_addstr(sb, align[c] == 'r' ? "  " : " ");
			if (align[c] == 'r' || align[c] == 'R')
				strbuf_addf(sb, "%*s", w, cells[c]);
			else if (c + 1 < ncols)
				strbuf_addf(sb, "%-*s", w, cells[c]);
			else
				strbuf_addstr(sb, cells[c]);
		}
		strbuf_addch(sb, '\n');
	}
}

static void text_dest_cells(const struct snapshot *snap, size_t row,
			    char cells[][TEXT_CELL])
{
	const struct snap_dest *d = &snap->dests[row];
	unsigned long long other = 0;
	unsigned st;

	for (st = 0; st < SOCK_STATE_MAX; st++)
		if (st != SOCK_ESTABLISHED && st != SOCK_TIME_WAIT)
			other += d->states[st];
	snprintf(cells[0], TEXT_CELL, "%s", text_proto(d->proto));
	text_addr(d->family, d->saddr, cells[1], TEXT_CELL);
	text_remote(d, cells[2], TEXT_CELL);
	snprintf(cells[3], TEXT_CELL, "%u", (unsigned)d->states[SOCK_TIME_WAIT]);
	snprintf(cells[4], TEXT_CELL, "%u", (unsigned)d->states[SOCK_ESTABLISHED]);
	snprintf(cells[5], TEXT_CELL, "%llu", other);
	snprintf(cells[6], TEXT_CELL, "%u", (unsigned)d->in_use);
	text_avail(d->available_min, d->available, d->exact, cells[7],
		   TEXT_CELL);
	text_headroom(d->headroom_pct, cells[8], TEXT_CELL);
	if (snap->rates_source == SNAP_RATES_NONE)
		snprintf(cells[9], TEXT_CELL, "-");
	else
		text_rate(d->close_rate, cells[9], TEXT_CELL);
	if (isfinite(d->eta_s) && d->eta_s >= 0)
		text_duration(d->eta_s, 0, cells[10], TEXT_CELL);
	else
		snprintf(cells[10], TEXT_CELL, "-");
}

static void text_pool_cells(const struct snapshot *snap, size_t row,
			    char cells[][TEXT_CELL])
{
	const struct snap_pool *p = &snap->pools[row];

	snprintf(cells[0], TEXT_CELL, "%s", text_proto(p->proto));
	text_addr(p->family, p->saddr, cells[1], TEXT_CELL);
	snprintf(cells[2], TEXT_CELL, "%u", (unsigned)p->in_use);
	snprintf(cells[3], TEXT_CELL, "%u", (unsigned)p->available);
}

static void text_proc_cells(const struct snapshot *snap, size_t row,
			    char cells[][TEXT_CELL])
{
	const struct snap_proc *p = &snap->procs[row];

	const char *cmd = p->cmdline[0] ? p->cmdline : p->comm;
	size_t cmdmax = p->cmdline[0] ? sizeof(p->cmdline) : sizeof(p->comm);
	char unit[30];
	size_t n;

	if (p->pid > 0)
		snprintf(cells[0], TEXT_CELL, "%d", p->pid);
	else
		snprintf(cells[0], TEXT_CELL, "-");
	sanitize_text(cells[1], 20, p->user, sizeof(p->user));
	snprintf(cells[2], TEXT_CELL, "%u", (unsigned)p->sockets);
	snprintf(cells[3], TEXT_CELL, "%u", (unsigned)p->time_wait);
	snprintf(cells[4], TEXT_CELL, "%u", (unsigned)p->destinations);
	/* The command cut to 38 bytes (on a character boundary), then what
	 * tells it apart: its unit or container. */
	if (p->pid > 0)
		n = sanitize_text(cells[5], 39, cmd, strnlen(cmd, cmdmax));
	else
		n = (size_t)snprintf(cells[5], TEXT_CELL, "(process not readable)");
	sanitize_text(unit, sizeof(unit), p->unit, sizeof(p->unit));
	if (unit[0] && n < 39)
		snprintf(cells[5] + n, TEXT_CELL - 39, " [%.29s]", unit);
}

static size_t text_shown(size_t n)
{
	return n < OUT_TEXT_MAX_DESTS ? n : OUT_TEXT_MAX_DESTS;
}

static void text_more(struct strbuf *sb, size_t n, const char *what)
{
	if (n > OUT_TEXT_MAX_DESTS)
		strbuf_addf(sb, "... and %zu more %s\n",
			    n - OUT_TEXT_MAX_DESTS, what);
}

/* >>> nat: conntrack and NAT headroom */
static void text_nat_cells(const struct snapshot *snap, size_t row,
			   char cells[][TEXT_CELL])
{
	const struct ct_nat_dest *d = &snap->ct.nat[row];
	char a[64];

	snprintf(cells[0], TEXT_CELL, "%s", text_proto(d->proto));
	text_addr(d->family, d->nat_addr, cells[1], TEXT_CELL);
	text_addr(d->family, d->daddr, a, sizeof(a));
	snprintf(cells[2], TEXT_CELL, d->family == AF_INET6 ? "[%s]:%u" :
		 "%s:%u", a, (unsigned)d->dport);
	snprintf(cells[3], TEXT_CELL, "%u", (unsigned)d->time_wait);
	snprintf(cells[4], TEXT_CELL, "%u", (unsigned)d->established);
	snprintf(cells[5], TEXT_CELL, "%u", (unsigned)d->other);
	snprintf(cells[6], TEXT_CELL, "%u", (unsigned)d->in_use);
	snprintf(cells[7], TEXT_CELL, "%u", (unsigned)d->available);
	text_headroom(d->headroom_pct, cells[8], TEXT_CELL);
}

/* One counter with its rate: "drop 12 (+3.0/s)". */
static void text_ct_counter(struct text_line *l, const struct ct_snap *c,
			    unsigned col)
{
	char item[96], r[32];

	if (!(c->stats.known & (1u << col)))
		return;
	if (c->have_rates && isfinite(c->rate[col])) {
		text_rate(c->rate[col], r, sizeof(r));
		snprintf(item, sizeof(item), "%s %llu (+%s/s)", ct_stat_name(col),
			 (unsigned long long)c->stats.v[col], r);
	} else {
		snprintf(item, sizeof(item), "%s %llu", ct_stat_name(col),
			 (unsigned long long)c->stats.v[col]);
	}
	text_item(l, "  ", item);
}

static void text_conntrack(struct strbuf *sb, const struct snapshot *snap)
{
	static const char *const nat_head[] = {
		"NAT", "VIA", "DESTINATION", "TW", "ESTAB", "OTHER", "IN_USE",
		"AVAIL", "HEADROOM",
	};
	const struct ct_snap *c = &snap->ct;
	struct text_line l = { sb, 0 };
	char item[128];
	size_t n = c->nat ? c->nnat : 0;

	if (!c->in_use && n == 0)
		return;
	strbuf_addch(sb, '\n');
	if (c->max > 0)
		snprintf(item, sizeof(item), "Conntrack: %lld of %lld entries "
			 "(%.1f%%)", (long long)c->count, (long long)c->max,
			 c->fill_pct);
	else
		snprintf(item, sizeof(item), "Conntrack: %lld entries",
			 (long long)c->count);
	text_item(&l, "", item);
	if (c->have & CT_HAVE_STATS) {
		text_ct_counter(&l, c, CT_S_INSERT_FAILED);
		text_ct_counter(&l, c, CT_S_DROP);
		text_ct_counter(&l, c, CT_S_EARLY_DROP);
		text_ct_counter(&l, c, CT_S_CLASH_RESOLVE);
	}
	text_end_line(&l);
	if (n > 0) {
		size_t shown = text_shown(n);

		text_table(sb, snap, shown, 9, nat_head, "lllRRRRRR",
			   text_nat_cells);
		text_more(sb, n, "NAT destinations");
	}
	if (c->have & CT_HAVE_DUMP)
		strbuf_addf(sb, "NAT ports counted against %u-%u (%s); "
			    "conntrack TIME_WAIT lasts %d s\n", c->nat_low,
			    c->nat_high, c->nat_range_given ? "--nat-range" :
			    "the default", CT_TIME_WAIT_S);
	else if (c->dump_err && c->dump_err != -EBADF)
		strbuf_addf(sb, "NAT ports not counted: %s\n",
			    ct_strerror(c->dump_err));
}
/* <<< nat */

int out_text_snapshot(struct strbuf *sb, const struct snapshot *snap)
{
	static const char *const dest_head[] = {
		"PROTO", "LOCAL", "REMOTE", "TW", "ESTAB", "OTHER", "IN_USE",
		"AVAIL", "HEADROOM", "RATE", "ETA",
	};
	static const char *const pool_head[] = {
		"POOLS", "LOCAL", "IN_USE", "AVAIL",
	};
	static const char *const proc_head[] = {
		"PROCESSES", "USER", "SOCKETS", "TIME_WAIT", "DESTS", "COMMAND",
	};
	size_t ndests, npools, nprocs, nwarn, i;

	if (!sb || !snap)
		return -EINVAL;
	ndests = snap->dests ? snap->ndests : 0;
	npools = snap->pools ? snap->npools : 0;
	nprocs = snap->procs ? snap->nprocs : 0;
	nwarn = snap->nwarnings < SNAP_MAX_WARNINGS ? snap->nwarnings
						   : SNAP_MAX_WARNINGS;

	text_header(sb, snap);
	if (snap->npid_filter > 0) {   /* procs: -p */
		size_t k, nf = snap->npid_filter < MODEL_MAX_PIDS ?
			       snap->npid_filter : MODEL_MAX_PIDS;

		strbuf_addstr(sb, "Only the sockets of pid");
		for (k = 0; k < nf; k++)
			strbuf_addf(sb, "%s%d", k ? "," : " ", snap->pid_filter[k]);
		strbuf_addstr(sb, " are counted (-p)\n");
	}

	strbuf_addch(sb, '\n');
	if (ndests > 0) {
		/* One blank between numbers: RATE and ETA still fit 80
		 * columns for IPv4 destinations. */
		text_table(sb, snap, text_shown(ndests), 11, dest_head,
			   "lllRRRRRRRR", text_dest_cells);
		text_more(sb, ndests, "destinations");
	} else {
		strbuf_addstr(sb, "No destinations.\n");
	}

	if (npools > 0) {
		strbuf_addch(sb, '\n');
		text_table(sb, snap, text_shown(npools), 4, pool_head,
			   "llrr", text_pool_cells);
		text_more(sb, npools, "pools");
	}

	text_conntrack(sb, snap);   /* nat */

	if (nprocs > 0 || snap->unattributed_time_wait > 0) {
		strbuf_addch(sb, '\n');
		if (nprocs > 0) {
			/* the model lists most sockets + TIME_WAIT first */
			size_t shown = nprocs < OUT_TEXT_MAX_PROCS ?
				       nprocs : OUT_TEXT_MAX_PROCS;

			text_table(sb, snap, shown, 6, proc_head, "rlrrrl",
				   text_proc_cells);
			if (nprocs > shown)
				strbuf_addf(sb, "... and %zu more processes\n",
					    nprocs - shown);
		}
		strbuf_addf(sb, "unattributed TIME_WAIT %u\n",
			    (unsigned)snap->unattributed_time_wait);
	}

	if (nwarn > 0) {
		strbuf_addch(sb, '\n');
		for (i = 0; i < nwarn; i++) {
			char w[SNAP_WARNING_LEN];

			sanitize_text(w, sizeof(w), snap->warnings[i],
				      SNAP_WARNING_LEN);
			strbuf_addf(sb, "warning: %s\n", w);
		}
	}

	strbuf_addch(sb, '\n');
	return strbuf_error(sb);
}

/* >>> nat: --all-netns */
#define TEXT_NS_COLS 11

/* Who a namespace is, in one cell. */
static void text_ns_name(const struct netns_info *in, char *buf, size_t len)
{
	const char *src = in->name[0] ? in->name :
			  in->hostname[0] ? in->hostname :
			  in->unit[0] ? in->unit : in->comm[0] ? in->comm : "-";

	/* at most 40 bytes, cut on a character boundary */
	sanitize_text(buf, len < 41 ? len : 41, src, strlen(src));
}

static void text_ns_cells(const struct netns_info *in,
			  char cells[][TEXT_CELL])
{
	char a[64];
	int i;

	snprintf(cells[0], TEXT_CELL, "%s%s", in->id, in->current ? "*" : "");
	text_ns_name(in, cells[1], TEXT_CELL);
	if (in->npids)
		snprintf(cells[2], TEXT_CELL, "%d%s", in->pids[0],
			 in->nprocs > 1 ? "+" : "");
	else
		snprintf(cells[2], TEXT_CELL, "-");
	snprintf(cells[3], TEXT_CELL, "%u", (unsigned)in->nprocs);
	for (i = 4; i < TEXT_NS_COLS; i++)
		snprintf(cells[i], TEXT_CELL, "-");
	if (!in->surveyed) {
		snprintf(cells[7], TEXT_CELL, "(%s)", in->err ?
			 netns_strerror(in->err) : "not sampled");
		return;
	}
	snprintf(cells[4], TEXT_CELL, "%u",
		 (unsigned)(in->tcp_sockets + in->udp_sockets));
	snprintf(cells[5], TEXT_CELL, "%u", (unsigned)in->time_wait);
	snprintf(cells[6], TEXT_CELL, "%u-%u", in->range_low, in->range_high);
	if (in->have_worst) {
		const struct netns_worst *w = &in->worst;

		text_addr(w->family, w->daddr, a, sizeof(a));
		snprintf(cells[7], TEXT_CELL, w->family == AF_INET6 ?
			 "%s [%s]:%u" : "%s %s:%u", text_proto(w->proto), a,
			 (unsigned)w->dport);
		text_headroom(w->headroom_pct, a, sizeof(a));
		snprintf(cells[8], TEXT_CELL, "%u (%s)",
			 (unsigned)w->available, a);
	}
	if (in->ct_count >= 0 && in->ct_max > 0)
		snprintf(cells[9], TEXT_CELL, "%lld/%lld",
			 (long long)in->ct_count, (long long)in->ct_max);
	else if (in->ct_count >= 0)
		snprintf(cells[9], TEXT_CELL, "%lld", (long long)in->ct_count);
	if (in->have_nat_worst) {
		const struct ct_nat_dest *d = &in->nat_worst;

		text_addr(d->family, d->daddr, a, sizeof(a));
		snprintf(cells[10], TEXT_CELL, d->family == AF_INET6 ?
			 "[%s]:%u %u/%u" : "%s:%u %u/%u", a, (unsigned)d->dport,
			 (unsigned)d->available, (unsigned)in->nat_size);
	}
}

int out_text_namespaces(struct strbuf *sb, const struct netns_list *l,
			double time)
{
	static const char *const head[TEXT_NS_COLS] = {
		"NETNS", "NAME", "PID", "PROCS", "SOCKETS", "TW", "RANGE",
		"WORST", "AVAIL", "CONNTRACK", "NAT WORST (AVAIL)",
	};
	static const char align[TEXT_NS_COLS + 1] = "lllrrrllrrl";
	char cells[TEXT_NS_COLS][TEXT_CELL], tbuf[64];
	size_t width[TEXT_NS_COLS], r, n;
	unsigned c;

	if (!sb || !l)
		return -EINVAL;
	n = l->v ? l->len : 0;
	tbuf[0] = '\0';
	if (isfinite(time) && time >= 0 && time < 1e12) {
		time_t t = (time_t)time;
		struct tm tm;

		if (!localtime_r(&t, &tm) ||
		    strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
			tbuf[0] = '\0';
	}
	strbuf_addf(sb, "porttop - %s - %zu network namespaces, %u processes",
		    tbuf[0] ? tbuf : "time unknown", n, (unsigned)l->procs);
	if (l->denied)
		strbuf_addf(sb, " (%u not readable: needs root)",
			    (unsigned)l->denied);
	strbuf_addstr(sb, "\n\n");
	for (c = 0; c < TEXT_NS_COLS; c++)
		width[c] = strlen(head[c]);
	for (r = 0; r < n; r++) {
		text_ns_cells(&l->v[r], cells);
		for (c = 0; c < TEXT_NS_COLS; c++) {
			/* system strings were sanitised by netns.c */
			size_t len = strlen(cells[c]);

			if (len > width[c])
				width[c] = len;
		}
	}
	for (r = 0; r <= n; r++) {
		if (r == 0)
			for (c = 0; c < TEXT_NS_COLS; c++)
				snprintf(cells[c], TEXT_CELL, "%s", head[c]);
		else
			text_ns_cells(&l->v[r - 1], cells);
		for (c = 0; c < TEXT_NS_COLS; c++) {
			int w = (int)width[c];

			if (c > 0)
				strbuf_addstr(sb, "  ");
			if (align[c] == 'r')
				strbuf_addf(sb, "%*s", w, cells[c]);
			else if (c + 1 < TEXT_NS_COLS)
				strbuf_addf(sb, "%-*s", w, cells[c]);
			else
				strbuf_addstr(sb, cells[c]);
		}
		strbuf_addch(sb, '\n');
	}
	if (l->truncated)
		strbuf_addf(sb, "... more than %d namespaces: the rest are not "
			    "listed\n", NETNS_MAX);
	strbuf_addch(sb, '\n');
	return strbuf_error(sb);
}
/* <<< nat */
