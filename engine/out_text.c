#include "config.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

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
#define TEXT_MAX_COLS 9

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

/* A forecast in the largest unit that keeps it readable. */
static void text_duration(double s, char *buf, size_t len)
{
	if (s < 120)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 2 * 3600)
		snprintf(buf, len, "%.0fm", s / 60);
	else if (s < 2 * 86400)
		snprintf(buf, len, "%.1fh", s / 3600);
	else if (s < 1e9)
		snprintf(buf, len, "%.0fd", s / 86400);
	else
		snprintf(buf, len, "never");
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
		snprintf(item, sizeof(item), "available %u of %u",
			 (unsigned)d->available, (unsigned)snap->usable);
		text_item(&l, "  ", item);
		if (isfinite(d->headroom_pct)) {
			text_headroom(d->headroom_pct, h, sizeof(h));
			snprintf(item, sizeof(item), "(%s headroom)", h);
			text_item(&l, " ", item);
		}
		if (isfinite(d->eta_s) && d->eta_s >= 0) {
			text_duration(d->eta_s, h, sizeof(h));
			snprintf(item, sizeof(item), "full in %s", h);
			text_item(&l, "  ", item);
		}
	} else {
		text_item(&l, "", "Worst: none (no destinations)");
	}
	text_end_line(&l);
}

/* ---- tables ---------------------------------------------------------- */

typedef void (*text_fill_fn)(const struct snapshot *snap, size_t row,
			     char cells[][TEXT_CELL]);

/*
 * A table of nrows rows: every column as wide as its widest cell or title,
 * so long addresses widen the whole column instead of breaking the rows.
 * align[c] is 'l' or 'r'; the last column is not padded (no trailing
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
			if (align[c] == 'r')
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
	snprintf(cells[7], TEXT_CELL, "%u", (unsigned)d->available);
	text_headroom(d->headroom_pct, cells[8], TEXT_CELL);
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

	snprintf(cells[0], TEXT_CELL, "%d", p->pid);
	snprintf(cells[1], TEXT_CELL, "%u", (unsigned)p->uid);
	snprintf(cells[2], TEXT_CELL, "%u", (unsigned)p->sockets);
	snprintf(cells[3], TEXT_CELL, "%u", (unsigned)p->time_wait);
	snprintf(cells[4], TEXT_CELL, "%u", (unsigned)p->destinations);
	sanitize_text(cells[5], TEXT_CELL, p->comm, sizeof(p->comm));
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

int out_text_snapshot(struct strbuf *sb, const struct snapshot *snap)
{
	static const char *const dest_head[] = {
		"PROTO", "LOCAL", "REMOTE", "TW", "ESTAB", "OTHER", "IN_USE",
		"AVAIL", "HEADROOM",
	};
	static const char *const pool_head[] = {
		"POOLS", "LOCAL", "IN_USE", "AVAIL",
	};
	static const char *const proc_head[] = {
		"PID", "UID", "SOCKETS", "TIME_WAIT", "DESTS", "COMM",
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

	strbuf_addch(sb, '\n');
	if (ndests > 0) {
		text_table(sb, snap, text_shown(ndests), 9, dest_head,
			   "lllrrrrrr", text_dest_cells);
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

	if (nprocs > 0 || snap->unattributed_time_wait > 0) {
		strbuf_addch(sb, '\n');
		if (nprocs > 0) {
			text_table(sb, snap, text_shown(nprocs), 6, proc_head,
				   "rrrrrl", text_proc_cells);
			text_more(sb, nprocs, "processes");
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
