#include "config.h"

#include <stdio.h>
#include <string.h>

#include "view.h"

/*
 * Destinations: one row per (proto, local address, remote address, port),
 * most at risk first (the snapshot's order: available ascending).
 */

enum {
	DC_PROTO, DC_LOCAL, DC_REMOTE, DC_TW, DC_EST, DC_OTHER, DC_INUSE,
	DC_AVAIL, DC_HEADROOM, DC_RATE, DC_ETA, DC_COUNT
};

static const struct col_def dest_cols[DC_COUNT] = {
	[DC_PROTO] = { "PROTO", 5, 5, 6, AL_LEFT, CUT_RIGHT, 0 },
	[DC_LOCAL] = { "LOCAL", 9, 39, 2, AL_LEFT, CUT_LEFT, 0 },
	[DC_REMOTE] = { "REMOTE", 14, 47, 0, AL_LEFT, CUT_LEFT, 0 },
	[DC_TW] = { "TW", 5, 5, 1, AL_RIGHT, CUT_RIGHT, 1 },
	[DC_EST] = { "EST", 5, 5, 1, AL_RIGHT, CUT_RIGHT, 1 },
	[DC_OTHER] = { "OTH", 5, 5, 5, AL_RIGHT, CUT_RIGHT, 1 },
	[DC_INUSE] = { "USED", 5, 5, 3, AL_RIGHT, CUT_RIGHT, 1 },
	/* wider only for a range ("≥68 ~98"): exact figures keep 6 */
	[DC_AVAIL] = { "AVAIL", 6, 14, 0, AL_RIGHT, CUT_RIGHT, 0 },
	[DC_HEADROOM] = { "HEADROOM", 6, 24, 0, AL_LEFT, CUT_RIGHT, 0 },
	[DC_RATE] = { "RATE/s", 6, 7, 4, AL_RIGHT, CUT_RIGHT, 1 },
	[DC_ETA] = { "ETA", 5, 5, 3, AL_RIGHT, CUT_RIGHT, 0 },
};

static const struct fkey dest_fkeys[] = {
	{ "F1", "Help" }, { "Enter", "Sockets" }, { "m", "Map" },
	{ "a", "Advice" }, { "F3", "Search" }, { "F4", "Filter" },
	{ "F6", "Sort" }, { "Space", "Pause" },
	{ "F10", "Quit" }, { NULL, NULL },
};

static size_t dest_count(struct uistate *st, struct ui_level *lv)
{
	(void)lv;
	return st->snap ? st->snap->ndests : 0;
}

static int cmp_u(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_d(double a, double b)
{
	return a < b ? -1 : a > b;
}

static double eta_key(double eta)
{
	return eta < 0 ? 1e300 : eta;
}

static int dest_cmp(const struct uistate *st, uint32_t ia, uint32_t ib, int col)
{
	const struct snap_dest *a = &st->snap->dests[ia], *b = &st->snap->dests[ib];
	int r;

	switch (col) {
	case DC_PROTO:
		r = cmp_u(a->proto, b->proto);
		return r ? r : cmp_u(a->family, b->family);
	case DC_LOCAL:
		r = cmp_u(a->family, b->family);
		return r ? r : memcmp(a->saddr, b->saddr, sizeof(a->saddr));
	case DC_REMOTE:
		r = cmp_u(a->family, b->family);
		if (!r)
			r = memcmp(a->daddr, b->daddr, sizeof(a->daddr));
		return r ? r : cmp_u(a->dport, b->dport);
	case DC_TW:
		return cmp_u(a->states[SOCK_TIME_WAIT], b->states[SOCK_TIME_WAIT]);
	case DC_EST:
		return cmp_u(a->states[SOCK_ESTABLISHED], b->states[SOCK_ESTABLISHED]);
	case DC_OTHER:
		return cmp_u(dest_other(a), dest_other(b));
	case DC_INUSE:
		return cmp_u(a->in_use, b->in_use);
	case DC_AVAIL:
		return cmp_u(a->available, b->available);
	case DC_HEADROOM:
		return cmp_d(a->headroom_pct, b->headroom_pct);
	case DC_RATE:
		return cmp_d(a->close_rate, b->close_rate);
	case DC_ETA:
		return cmp_d(eta_key(a->eta_s), eta_key(b->eta_s));
	default:
		return 0;
	}
}

static uint64_t dest_hash(const struct uistate *st, uint32_t i)
{
	struct dest_key k;

	dest_key_of(&st->snap->dests[i], &k);
	return hash_bytes(HASH_INIT, &k, sizeof(k));
}

static const char *dest_cell(struct uistate *st, const struct ui_level *lv, uint32_t i,
			     int col, char *buf, size_t len, uint16_t *style)
{
	const struct snap_dest *d = &st->snap->dests[i];

	(void)lv;
	switch (col) {
	case DC_PROTO:
		snprintf(buf, len, "%s", fmt_proto(d->proto));
		return buf;
	case DC_LOCAL:
		fmt_addr(d->family, d->saddr, buf, len);
		return buf;
	case DC_REMOTE:
		fmt_addr_port(d->family, d->daddr, d->dport, buf, len);
		return buf;
	case DC_TW:
		fmt_count(d->states[SOCK_TIME_WAIT], buf, len);
		return buf;
	case DC_EST:
		fmt_count(d->states[SOCK_ESTABLISHED], buf, len);
		return buf;
	case DC_OTHER:
		fmt_count(dest_other(d), buf, len);
		return buf;
	case DC_INUSE:
		fmt_count(d->in_use, buf, len);
		return buf;
	case DC_AVAIL:
		fmt_avail(st, d->available_min, d->available, d->exact, buf, len);
		*style = headroom_style(d->headroom_pct);
		return buf;
	case DC_RATE:
		/* No interval yet: no rate. Estimated rates are marked. */
		if (st->snap->rates_source == SNAP_RATES_NONE)
			return "-";
		snprintf(buf, len, "%s%.1f", st->snap->rates_estimated ? "~" : "",
			 d->close_rate);
		return buf;
	case DC_ETA:
		fmt_eta(d->eta_s, buf, len);
		if (d->eta_s >= 0)
			*style = d->eta_s < 300 ? ST_CRIT : ST_WARN;
		return buf;
	default:
		return NULL;
	}
}

static void dest_draw_cell(struct uistate *st, const struct ui_level *lv, uint32_t i,
			   int col, struct frame *f, int x, int y, int w, uint16_t style)
{
	(void)lv;
	if (col == DC_HEADROOM)
		draw_bar(f, x, y, w, st->snap->dests[i].headroom_pct, style == ST_CURSOR);
}

static void dest_match_text(struct uistate *st, uint32_t i, char *buf, size_t len)
{
	const struct snap_dest *d = &st->snap->dests[i];
	char s[64], r[80];

	fmt_addr(d->family, d->saddr, s, sizeof(s));
	fmt_addr_port(d->family, d->daddr, d->dport, r, sizeof(r));
	snprintf(buf, len, "%s %s %s", fmt_proto(d->proto), s, r);
}

static const char *dest_empty(const struct uistate *st, const struct ui_level *lv)
{
	if (lv->filter[0])
		return NULL;
	if (!st->snap)
		return "(waiting for the first sample)";
	return "No outgoing TCP connection uses the ephemeral range.";
}

static void dest_draw(struct uistate *st, struct ui_level *lv, struct frame *f,
		      struct rect r)
{
	list_draw(st, lv, f, r);
}

static int dest_action(struct uistate *st, struct ui_level *lv, enum ui_action a)
{
	struct ui_ctx ctx;
	char label[96];
	long i;

	if (a != ACT_ENTER && a != ACT_MAP && a != ACT_ADVICE)
		return 0;
	i = list_current(st, lv);
	if (i < 0)
		return 1;
	memset(&ctx, 0, sizeof(ctx));
	if (a == ACT_ADVICE) {
		dest_key_of(&st->snap->dests[i], &ctx.dest);
		advice_open(st, &ctx.dest);
		return 1;
	}
	ctx.flags = CTX_DEST;
	dest_key_of(&st->snap->dests[i], &ctx.dest);
	fmt_dest(&ctx.dest, label, sizeof(label));
	if (a == ACT_MAP) {
		size_t n = strlen(label);

		snprintf(label + n, sizeof(label) - n, " map");
		uistate_push(st, VIEW_HEATMAP, &ctx, label);
	} else {
		uistate_push(st, VIEW_SOCKS, &ctx, label);
	}
	return 1;
}

const struct view_ops view_dests_ops = {
	.name = "Destinations",
	.min_w = 28,
	.min_h = 2,
	.fkeys = dest_fkeys,
	.draw = dest_draw,
	.action = dest_action,
	.cols = dest_cols,
	.ncols = DC_COUNT,
	.default_sort = DC_AVAIL,
	.count = dest_count,
	.cell = dest_cell,
	.draw_cell = dest_draw_cell,
	.cmp = dest_cmp,
	.key = dest_hash,
	.match_text = dest_match_text,
	.search = list_search,
	.empty_note = dest_empty,
};
