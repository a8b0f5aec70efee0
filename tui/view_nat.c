#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "view.h"

/*
 * NAT: one row per NAT destination (proto, NAT address, destination
 * address:port) from the conntrack table, most at risk first: TIME_WAIT
 * (conntrack's, 120 s), ESTABLISHED and other entries, SNAT ports in use,
 * ports of the NAT range still free, headroom. A summary line above says
 * how full the table is, how fast conntrack drops, and which range the
 * ports are counted against (or why they are not counted).
 */

enum {
	NC_PROTO, NC_VIA, NC_DEST, NC_TW, NC_EST, NC_OTHER, NC_INUSE,
	NC_AVAIL, NC_HEADROOM, NC_COUNT
};

static const struct col_def nat_cols[NC_COUNT] = {
	[NC_PROTO] = { "PROTO", 5, 5, 6, AL_LEFT, CUT_RIGHT, 0, 0 },
	[NC_VIA] = { "NAT ADDRESS", 11, 39, 2, AL_LEFT, CUT_LEFT, 0, 0 },
	[NC_DEST] = { "DESTINATION", 14, 47, 0, AL_LEFT, CUT_LEFT, 0, 0 },
	[NC_TW] = { "TW", 5, 5, 1, AL_RIGHT, CUT_RIGHT, 1, 0 },
	[NC_EST] = { "EST", 5, 5, 1, AL_RIGHT, CUT_RIGHT, 1, 0 },
	[NC_OTHER] = { "OTH", 5, 5, 5, AL_RIGHT, CUT_RIGHT, 1, 0 },
	[NC_INUSE] = { "USED", 5, 5, 3, AL_RIGHT, CUT_RIGHT, 1, 0 },
	[NC_AVAIL] = { "AVAIL", 6, 6, 0, AL_RIGHT, CUT_RIGHT, 0, 0 },
	[NC_HEADROOM] = { "HEADROOM", 6, 24, 0, AL_LEFT, CUT_RIGHT, 0, 0 },
};

static const struct fkey nat_fkeys[] = {
	{ "F1", "Help" }, { "F3", "Search" }, { "F4", "Filter" },
	{ "F6", "Sort" }, { "Space", "Pause" }, { "Tab", "View" },
	{ "F10", "Quit" }, { NULL, NULL },
};

static const struct ct_nat_dest *nat_at(const struct uistate *st, uint32_t i)
{
	return &st->snap->ct.nat[i];
}

static size_t nat_count(struct uistate *st, struct ui_level *lv)
{
	(void)lv;
	return st->snap && st->snap->ct.nat ? st->snap->ct.nnat : 0;
}

static int cmp_u(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int nat_cmp(const struct uistate *st, uint32_t ia, uint32_t ib, int col)
{
	const struct ct_nat_dest *a = nat_at(st, ia), *b = nat_at(st, ib);
	int r;

	switch (col) {
	case NC_PROTO:
		r = cmp_u(a->proto, b->proto);
		return r ? r : cmp_u(a->family, b->family);
	case NC_VIA:
		r = cmp_u(a->family, b->family);
		return r ? r : memcmp(a->nat_addr, b->nat_addr, sizeof(a->nat_addr));
	case NC_DEST:
		r = cmp_u(a->family, b->family);
		if (!r)
			r = memcmp(a->daddr, b->daddr, sizeof(a->daddr));
		return r ? r : cmp_u(a->dport, b->dport);
	case NC_TW:
		return cmp_u(a->time_wait, b->time_wait);
	case NC_EST:
		return cmp_u(a->established, b->established);
	case NC_OTHER:
		return cmp_u(a->other, b->other);
	case NC_INUSE:
		return cmp_u(a->in_use, b->in_use);
	case NC_AVAIL:
	case NC_HEADROOM:
		return cmp_u(a->available, b->available);
	default:
		return 0;
	}
}

static uint64_t nat_key(const struct uistate *st, uint32_t i)
{
	const struct ct_nat_dest *d = nat_at(st, i);
	uint64_t h = hash_bytes(HASH_INIT, d->nat_addr, sizeof(d->nat_addr));

	h = hash_bytes(h, d->daddr, sizeof(d->daddr));
	h = hash_bytes(h, &d->dport, sizeof(d->dport));
	h = hash_bytes(h, &d->family, sizeof(d->family));
	return hash_bytes(h, &d->proto, sizeof(d->proto));
}

static const char *nat_cell(struct uistate *st, const struct ui_level *lv,
			    uint32_t i, int col, char *buf, size_t len,
			    uint16_t *style)
{
	const struct ct_nat_dest *d = nat_at(st, i);

	(void)lv;
	switch (col) {
	case NC_PROTO:
		snprintf(buf, len, "%s", fmt_proto(d->proto));
		return buf;
	case NC_VIA:
		fmt_addr(d->family, d->nat_addr, buf, len);
		return buf;
	case NC_DEST:
		fmt_addr_port(d->family, d->daddr, d->dport, buf, len);
		return buf;
	case NC_TW:
		fmt_count(d->time_wait, buf, len);
		return buf;
	case NC_EST:
		fmt_count(d->established, buf, len);
		return buf;
	case NC_OTHER:
		fmt_count(d->other, buf, len);
		return buf;
	case NC_INUSE:
		fmt_count(d->in_use, buf, len);
		return buf;
	case NC_AVAIL:
		fmt_count(d->available, buf, len);
		*style = headroom_style(d->headroom_pct);
		return buf;
	default:
		return NULL;
	}
}

static void nat_draw_cell(struct uistate *st, const struct ui_level *lv,
			  uint32_t i, int col, struct frame *f, int x, int y,
			  int w, uint16_t style)
{
	(void)lv;
	if (col == NC_HEADROOM)
		draw_bar(f, x, y, w, nat_at(st, i)->headroom_pct,
			 style == ST_CURSOR);
}

static void nat_match_text(struct uistate *st, uint32_t i, char *buf,
			   size_t len)
{
	const struct ct_nat_dest *d = nat_at(st, i);
	char v[64], r[80];

	fmt_addr(d->family, d->nat_addr, v, sizeof(v));
	fmt_addr_port(d->family, d->daddr, d->dport, r, sizeof(r));
	snprintf(buf, len, "%s %s %s", fmt_proto(d->proto), v, r);
}

static const char *nat_empty(const struct uistate *st, const struct ui_level *lv)
{
	const struct ct_snap *c;

	if (lv->filter[0])
		return NULL;
	if (!st->snap)
		return "(waiting for the first sample)";
	c = &st->snap->ct;
	if (!(c->have & CT_HAVE_FILL))
		return "Conntrack is not loaded: no NAT in this namespace.";
	if (c->dump_err == -EPERM || c->dump_err == -EACCES)
		return "NAT ports not counted: needs CAP_NET_ADMIN (the header "
		       "shows the fill and the drops).";
	if (!(c->have & CT_HAVE_DUMP))
		return "NAT ports not counted: the conntrack table could not "
		       "be read.";
	return "No source-NAT'ed connection in the conntrack table.";
}

/* One line: fill, drops, the range. */
static void nat_summary(struct uistate *st, struct frame *f, struct rect r)
{
	const struct ct_snap *c = &st->snap->ct;
	char buf[256];
	size_t n = 0;
	uint16_t style = ST_VALUE;

	if (!(c->have & CT_HAVE_FILL)) {
		frame_text(f, r.x, r.y, r.w, ST_DIM, "conntrack not loaded");
		return;
	}
	if (c->max > 0)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "conntrack %lld/%lld (%.1f%%)",
				      (long long)c->count, (long long)c->max,
				      c->fill_pct);
	else
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "conntrack %lld", (long long)c->count);
	if (isfinite(c->fill_pct) && c->fill_pct >= CT_FILL_WARN_PCT)
		style = ST_CRIT;
	if ((c->have & CT_HAVE_STATS) && n < sizeof(buf)) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "  insert_failed %llu  drop %llu",
				      (unsigned long long)c->stats.v[CT_S_INSERT_FAILED],
				      (unsigned long long)c->stats.v[CT_S_DROP]);
		if (c->have_rates && n < sizeof(buf)) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
					      " (+%.1f/s)",
					      isfinite(c->rate[CT_S_DROP]) ?
					      c->rate[CT_S_DROP] : 0.0);
			if (c->delta[CT_S_DROP] || c->delta[CT_S_INSERT_FAILED])
				style = ST_CRIT;
		}
	}
	if ((c->have & CT_HAVE_DUMP) && n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, "  NAT range %u-%u%s",
			 c->nat_low, c->nat_high,
			 c->nat_range_given ? "" : " (default; --nat-range)");
	frame_text(f, r.x, r.y, r.w, style, buf);
}

static void nat_draw(struct uistate *st, struct ui_level *lv, struct frame *f,
		     struct rect r)
{
	if (st->snap && r.h > 2) {
		nat_summary(st, f, (struct rect){ r.x, r.y, r.w, 1 });
		r.y++;
		r.h--;
	}
	list_draw(st, lv, f, r);
}

const struct view_ops view_nat_ops = {
	.name = "NAT",
	.min_w = 28,
	.min_h = 2,
	.fkeys = nat_fkeys,
	.draw = nat_draw,
	.cols = nat_cols,
	.ncols = NC_COUNT,
	.default_sort = NC_AVAIL,
	.count = nat_count,
	.cell = nat_cell,
	.draw_cell = nat_draw_cell,
	.cmp = nat_cmp,
	.key = nat_key,
	.match_text = nat_match_text,
	.search = list_search,
	.empty_note = nat_empty,
};
