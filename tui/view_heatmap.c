#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

/*
 * Heatmap: the whole ephemeral range as a grid, one cell per bucket of
 * ports. Either the union of every destination, or one destination (the
 * view that shows exhaustion: a port is gone for a destination when it is
 * owned by a bound/listening socket or used toward that destination).
 */

/* Port categories, by precedence (a higher one wins for a port): the
 * engine's port classes. */
enum hm_cat {
	HC_FREE = SNAP_PORT_FREE,
	HC_TW = SNAP_PORT_TIME_WAIT,
	HC_OTHER = SNAP_PORT_OTHER,
	HC_EST = SNAP_PORT_ESTABLISHED,
	HC_OWNED = SNAP_PORT_OWNED,
	HC_RESERVED = SNAP_PORT_RESERVED,
	HC_COUNT = SNAP_PORT_CLASSES
};

struct hm_geom {
	unsigned low, high;      /* the range shown */
	unsigned bucket;         /* ports per cell */
	int cols, rows;          /* grid size in cells */
	int label_w;             /* width of the port labels, 0 if none */
	size_t ncells;
};

struct hm_bucket {
	unsigned lo, hi;
	unsigned n[HC_COUNT];
};

static const struct fkey hm_fkeys[] = {
	{ "F1", "Help" }, { "Enter", "Sockets" }, { "d", "Dest" },
	{ "D", "Prev" }, { "F3", "Port" }, { "Space", "Pause" },
	{ "Tab", "View" }, { "F10", "Quit" }, { NULL, NULL },
};

static const uint16_t cat_style[HC_COUNT] = {
	[HC_FREE] = ST_HM_FREE, [HC_TW] = ST_HM_TW, [HC_OTHER] = ST_HM_OTHER,
	[HC_EST] = ST_HM_EST, [HC_OWNED] = ST_HM_OWNED,
	[HC_RESERVED] = ST_HM_RESERVED,
};

/* Mono and ASCII glyphs: a letter per state, upper case when full. */
static const char cat_letter[HC_COUNT] = {
	[HC_FREE] = '.', [HC_TW] = 't', [HC_OTHER] = 'o', [HC_EST] = 'e',
	[HC_OWNED] = 'b', [HC_RESERVED] = '-',
};

static const char *const cat_name[HC_COUNT] = {
	[HC_FREE] = "free", [HC_TW] = "TIME_WAIT", [HC_OTHER] = "other",
	[HC_EST] = "ESTABLISHED", [HC_OWNED] = "owned",
	[HC_RESERVED] = "reserved",
};

/* Braille fill levels 1..8 (bottom up). */
static const uint32_t braille[9] = {
	0x2800, 0x2840, 0x28c0, 0x28c4, 0x28e4, 0x28e6, 0x28f6, 0x28f7, 0x28ff,
};

#define GLYPH_FREE_UTF8 0x00b7
#define GLYPH_RESERVED_UTF8 0x2591

static void range_of(const struct snapshot *s, unsigned *low, unsigned *high)
{
	*low = s->range_low;
	*high = s->range_high;
	if (*low < 1 || *low > 65535)
		*low = 1;
	if (*high > 65535)
		*high = 65535;
	if (*high < *low)
		*high = *low;
}

/*
 * Category of every port for the level's mode. Every destination: the
 * snapshot's own port map. One destination: the ports no destination can
 * have (reserved, owned) from that map, then the destination's sockets
 * only (cached per snapshot and destination). NULL without the map.
 */
static const uint8_t *hm_categories(struct uistate *st, const struct ui_level *lv)
{
	const struct snapshot *s = st->snap;
	const uint32_t *v;
	size_t n, i;
	unsigned p;

	if (!s->port_class || !(lv->ctx.flags & CTX_DEST))
		return s->port_class;
	if (st->hm_valid && st->hm_gen == st->gen && dest_key_eq(&st->hm_dest, &lv->ctx.dest))
		return st->hm_cat;
	for (p = 0; p < 65536; p++)
		st->hm_cat[p] = s->port_class[p] >= HC_OWNED ? s->port_class[p] : HC_FREE;
	n = dest_socks_of(s, dest_find(s, &lv->ctx.dest), &v);
	for (i = 0; i < n; i++) {
		const struct sock_rec *r = &s->socks[v[i]];
		uint8_t c = snap_sock_port_class(r);

		if (c > st->hm_cat[r->sport])
			st->hm_cat[r->sport] = c;
	}
	st->hm_valid = 1;
	st->hm_gen = st->gen;
	st->hm_dest = lv->ctx.dest;
	return st->hm_cat;
}

static unsigned nice_bucket(unsigned need)
{
	static const unsigned nice[] = {
		1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100, 128, 200, 250,
		256, 500, 512, 1000, 1024, 2000, 2048, 4096, 5000, 8192, 10000,
		16384, 32768, 65536,
	};
	size_t i;

	for (i = 0; i < sizeof(nice) / sizeof(nice[0]); i++)
		if (nice[i] >= need)
			return nice[i];
	return 65536;
}

static void hm_layout(const struct snapshot *s, struct rect r, struct hm_geom *g)
{
	unsigned span;
	size_t cells;

	range_of(s, &g->low, &g->high);
	span = g->high - g->low + 1;
	g->label_w = r.w >= 16 ? 6 : 0;
	g->cols = r.w - g->label_w;
	if (g->cols < 1)
		g->cols = 1;
	cells = (size_t)g->cols * (size_t)(r.h > 0 ? r.h : 1);
	g->bucket = nice_bucket((unsigned)((span + cells - 1) / cells));
	g->ncells = (span + g->bucket - 1) / g->bucket;
	/* Few cells: keep rows short so the grid reads as a block. */
	g->rows = (int)((g->ncells + (size_t)g->cols - 1) / (size_t)g->cols);
}

static void bucket_of(const struct hm_geom *g, const uint8_t *cat, size_t cell,
		      struct hm_bucket *b)
{
	unsigned p;

	memset(b, 0, sizeof(*b));
	b->lo = g->low + (unsigned)cell * g->bucket;
	b->hi = b->lo + g->bucket - 1;
	if (b->hi > g->high || b->hi < b->lo)
		b->hi = g->high;
	for (p = b->lo; p <= b->hi; p++)
		b->n[cat[p]]++;
}

/* Glyph and style of one bucket. */
static void bucket_glyph(const struct uistate *st, const struct hm_bucket *b,
			 uint32_t *ch, uint16_t *style)
{
	unsigned total = b->hi - b->lo + 1;
	unsigned usable = total - b->n[HC_RESERVED];
	unsigned used = usable - b->n[HC_FREE];
	int dom = HC_FREE, c, full, level;

	if (usable == 0) {
		*ch = st->utf8 ? GLYPH_RESERVED_UTF8 : (uint32_t)cat_letter[HC_RESERVED];
		*style = ST_HM_RESERVED;
		return;
	}
	if (used == 0) {
		*ch = st->utf8 ? GLYPH_FREE_UTF8 : (uint32_t)cat_letter[HC_FREE];
		*style = ST_HM_FREE;
		return;
	}
	for (c = HC_OWNED; c >= HC_TW; c--)
		if (dom == HC_FREE || b->n[c] > b->n[dom])
			dom = c;
	full = used == usable;
	*style = cat_style[dom];
	if (st->color && st->utf8) {
		level = (int)((used * 8 + usable - 1) / usable);
		if (level < 1)
			level = 1;
		if (level > 8)
			level = 8;
		*ch = braille[level];
		return;
	}
	*ch = (uint32_t)cat_letter[dom];
	if (full)
		*ch -= 'a' - 'A';
}

static void hm_geom_for(struct uistate *st, struct rect r, struct hm_geom *g)
{
	hm_layout(st->snap, r, g);
	(void)st;
}

int heatmap_grid(struct uistate *st, struct ui_level *lv, struct frame *f,
		 struct rect r, int cursor)
{
	struct hm_geom g;
	const uint8_t *cat;
	size_t cell, sel = (size_t)-1;
	int row, col;

	if (!st->snap || r.w < 1 || r.h < 1)
		return 0;
	hm_geom_for(st, r, &g);
	cat = hm_categories(st, lv);
	if (!cat) {
		draw_note(f, r, ST_ERROR, "out of memory: no port map");
		return r.h;
	}
	if (cursor && lv->hm_port >= g.low && lv->hm_port <= g.high)
		sel = (lv->hm_port - g.low) / g.bucket;
	for (cell = 0; cell < g.ncells; cell++) {
		struct hm_bucket b;
		uint32_t ch;
		uint16_t style;

		row = (int)(cell / (size_t)g.cols);
		col = (int)(cell % (size_t)g.cols);
		if (row >= r.h)
			break;
		if (col == 0 && g.label_w)
			frame_printf(f, r.x, r.y + row, g.label_w, ST_DIM, "%5u",
				     g.low + (unsigned)cell * g.bucket);
		bucket_of(&g, cat, cell, &b);
		bucket_glyph(st, &b, &ch, &style);
		if (cell == sel)
			style |= FA_REVERSE;
		frame_put(f, r.x + g.label_w + col, r.y + row, ch, style);
	}
	if (cursor) {
		lv->hm_cols = g.cols;
		lv->hm_bucket = g.bucket;
		lv->hm_grid_rows = g.rows < r.h ? g.rows : r.h;
	}
	return g.rows < r.h ? g.rows : r.h;
}

static int legend(struct uistate *st, struct frame *f, int x, int y, int w)
{
	static const int order[] = { HC_TW, HC_EST, HC_OTHER, HC_OWNED, HC_RESERVED, HC_FREE };
	const char *tail = st->color && st->utf8 ? "dots: share used" : "lower case: partly";
	int used = 0, i, need = (int)strlen(tail);
	const char *gap;

	for (i = 0; i < 6; i++)
		need += 4 + (int)strlen(cat_name[order[i]]);
	gap = need > w ? " " : "  ";

	for (i = 0; i < 6 && used < w; i++) {
		int c = order[i];
		struct hm_bucket b;
		uint32_t ch;
		uint16_t style;

		/* The glyph of a full bucket of this category. */
		memset(&b, 0, sizeof(b));
		b.lo = 1;
		b.hi = 1;
		b.n[c] = 1;
		bucket_glyph(st, &b, &ch, &style);
		frame_put(f, x + used, y, ch, style);
		used += 1;
		used += frame_printf(f, x + used, y, w - used, ST_NORMAL, " %s%s", cat_name[c], gap);
	}
	if (used < w)
		used += frame_text(f, x + used, y, w - used, ST_DIM, tail);
	return used;
}

struct bucket_list {
	const struct snapshot *s;
	struct frame *f;
	struct rect r;
	size_t shown, total;
};

static int bucket_list_span(const uint32_t *v, size_t n, void *arg)
{
	struct bucket_list *bl = arg;
	char l[80], rem[80];
	size_t i;

	bl->total += n;
	for (i = 0; i < n && bl->shown < (size_t)bl->r.h; i++) {
		const struct sock_rec *k = &bl->s->socks[v[i]];

		fmt_addr_port(k->family, k->saddr, k->sport, l, sizeof(l));
		if (k->dport == 0 && sock_addr_is_any(k->family, k->daddr))
			snprintf(rem, sizeof(rem), "*");
		else
			fmt_addr_port(k->family, k->daddr, k->dport, rem, sizeof(rem));
		frame_printf(bl->f, bl->r.x, bl->r.y + (int)bl->shown, bl->r.w, ST_NORMAL,
			     "  %s %-11s %s -> %s", fmt_proto(k->proto),
			     k->proto == IPPROTO_TCP ? sock_state_name(k->state) : "-",
			     l, rem);
		bl->shown++;
	}
	return 0;
}

/* The sockets of a port range (in the level's mode), one per line, by
 * local address and port. */
static void bucket_sockets(struct uistate *st, struct ui_level *lv, struct frame *f,
			   struct rect r, unsigned lo, unsigned hi)
{
	const struct snapshot *s = st->snap;
	long d = (lv->ctx.flags & CTX_DEST) ? dest_find(s, &lv->ctx.dest) : -1;
	struct bucket_list bl = { s, f, r, 0, 0 };

	if ((lv->ctx.flags & CTX_DEST) && d < 0)
		return;
	if (sock_port_spans(s, d, lo, hi, bucket_list_span, &bl) < 0)
		return;
	if (bl.total > bl.shown && r.h > 0)
		frame_printf(f, r.x, r.y + r.h - 1, r.w, ST_DIM,
			     "  ... %zu more (Enter lists them all)", bl.total - bl.shown + 1);
}

static void hm_draw(struct uistate *st, struct ui_level *lv, struct frame *f, struct rect r)
{
	const struct snapshot *s = st->snap;
	struct hm_geom g;
	struct hm_bucket b;
	struct rect grid;
	char title[224], dk[120];
	const uint8_t *cat;
	int info_h, rows, y, title_w;
	long d = -1;

	if (!s) {
		draw_note(f, r, ST_DIM, "(waiting for the first sample)");
		return;
	}
	/* Title: the mode. */
	if (lv->ctx.flags & CTX_DEST) {
		d = dest_find(s, &lv->ctx.dest);
		fmt_dest(&lv->ctx.dest, dk, sizeof(dk));
		if (d >= 0) {
			char av[40];

			fmt_avail(st, s->dests[d].available_min, s->dests[d].available,
				  s->dests[d].exact, av, sizeof(av));
			snprintf(title, sizeof(title), "%s: available %s of %u (%.1f%%)", dk,
				 av, (unsigned)s->usable, s->dests[d].headroom_pct);
		}
		else
			snprintf(title, sizeof(title), "%s: no sockets now", dk);
	} else {
		snprintf(title, sizeof(title),
			 "All destinations: %u ports in use, %u owned, %u usable",
			 (unsigned)s->ports_in_use, (unsigned)s->owned_ports, (unsigned)s->usable);
	}
	title_w = frame_text(f, r.x, r.y, r.w, ST_LABEL, title);

	/* Grid, legend, then what the cursor's bucket holds. */
	info_h = r.h >= 12 ? 4 : (r.h >= 6 ? 1 : 0);
	rows = r.h - 1 - 1 - info_h;
	if (rows < 1)
		rows = r.h - 1;
	if (rows < 1) {
		return;
	}
	grid = (struct rect){ r.x, r.y + 1, r.w, rows };
	hm_geom_for(st, grid, &g);
	if (lv->hm_port < g.low)
		lv->hm_port = g.low;
	if (lv->hm_port > g.high)
		lv->hm_port = g.high;
	rows = heatmap_grid(st, lv, f, grid, 1);
	y = r.y + 1 + rows;
	if (y < r.y + r.h) {
		char bk[32];

		legend(st, f, r.x, y, r.w);
		snprintf(bk, sizeof(bk), "%u port%s/cell", g.bucket, g.bucket == 1 ? "" : "s");
		if (title_w + 2 + (int)strlen(bk) <= r.w)
			frame_text(f, r.x + r.w - (int)strlen(bk), r.y, (int)strlen(bk), ST_DIM, bk);
		y++;
	}
	if (y >= r.y + r.h)
		return;
	cat = hm_categories(st, lv);
	if (!cat)
		return;
	bucket_of(&g, cat, (lv->hm_port - g.low) / g.bucket, &b);
	{
		static const int order[] = { HC_TW, HC_EST, HC_OTHER, HC_OWNED, HC_RESERVED, HC_FREE };
		char info[200];
		size_t pos, i;
		int first = 1;

		/* The counts are of ports (by the state that holds each), not
		 * of sockets: the sockets are listed below. */
		if (b.lo == b.hi)
			pos = (size_t)snprintf(info, sizeof(info), "Port %u:", b.lo);
		else
			pos = (size_t)snprintf(info, sizeof(info), "Ports %u-%u, ports:",
					       b.lo, b.hi);
		/* Only the categories present: the line stays short. */
		for (i = 0; i < sizeof(order) / sizeof(order[0]) && pos < sizeof(info); i++) {
			if (!b.n[order[i]])
				continue;
			if (b.lo == b.hi)
				pos += (size_t)snprintf(info + pos, sizeof(info) - pos,
							" %s", cat_name[order[i]]);
			else
				pos += (size_t)snprintf(info + pos, sizeof(info) - pos,
							"%s %u %s", first ? "" : ",",
							b.n[order[i]], cat_name[order[i]]);
			first = 0;
		}
		frame_text(f, r.x, y++, r.w, ST_VALUE, info);
	}
	if (y < r.y + r.h)
		bucket_sockets(st, lv, f, (struct rect){ r.x, y, r.w, r.y + r.h - y }, b.lo, b.hi);
}

static void hm_cycle_dest(struct uistate *st, struct ui_level *lv, int dir)
{
	const struct snapshot *s = st->snap;
	long d = -1;

	if (!s || s->ndests == 0) {
		snprintf(st->msg, sizeof(st->msg), "no destination to show");
		return;
	}
	if (lv->ctx.flags & CTX_DEST)
		d = dest_find(s, &lv->ctx.dest);
	/* Cycle: all, dest 0, dest 1, ..., all. */
	if (dir > 0)
		d = d + 1 >= (long)s->ndests ? -1 : d + 1;
	else
		d = d < 0 ? (long)s->ndests - 1 : d - 1;
	if (d < 0) {
		lv->ctx.flags &= ~(unsigned)CTX_DEST;
	} else {
		lv->ctx.flags |= CTX_DEST;
		dest_key_of(&s->dests[d], &lv->ctx.dest);
	}
}

static int hm_action(struct uistate *st, struct ui_level *lv, enum ui_action a)
{
	long step = lv->hm_bucket ? (long)lv->hm_bucket : 1;
	long row = step * (lv->hm_cols > 0 ? lv->hm_cols : 1);
	long page = row * (lv->hm_grid_rows > 2 ? lv->hm_grid_rows / 2 : 1);
	long p = (long)lv->hm_port;
	unsigned low, high;

	if (!st->snap)
		return 1;
	range_of(st->snap, &low, &high);
	switch (a) {
	case ACT_LEFT:
		p -= step;
		break;
	case ACT_RIGHT:
		p += step;
		break;
	case ACT_UP:
		p -= row;
		break;
	case ACT_DOWN:
		p += row;
		break;
	case ACT_PGUP:
		p -= page;
		break;
	case ACT_PGDN:
		p += page;
		break;
	case ACT_HOME:
		p = low;
		break;
	case ACT_END:
		p = high;
		break;
	case ACT_DEST_NEXT:
	case ACT_DEST_PREV:
		hm_cycle_dest(st, lv, a == ACT_DEST_NEXT ? 1 : -1);
		return 1;
	case ACT_ENTER: {
		struct ui_ctx ctx;
		char label[64];
		unsigned lo, hi;

		lo = low + (lv->hm_port - low) / step * (unsigned)step;
		hi = lo + (unsigned)step - 1;
		if (hi > high)
			hi = high;
		memset(&ctx, 0, sizeof(ctx));
		ctx.flags = CTX_PORTS | (lv->ctx.flags & CTX_DEST);
		ctx.dest = lv->ctx.dest;
		ctx.port_lo = lo;
		ctx.port_hi = hi;
		if (lo == hi)
			snprintf(label, sizeof(label), "port %u", lo);
		else
			snprintf(label, sizeof(label), "ports %u-%u", lo, hi);
		uistate_push(st, VIEW_SOCKS, &ctx, label);
		return 1;
	}
	default:
		return 0;
	}
	if (p < (long)low)
		p = (long)low;
	if (p > (long)high)
		p = (long)high;
	lv->hm_port = (unsigned)p;
	return 1;
}

static int hm_search(struct uistate *st, struct ui_level *lv, const char *needle, int next)
{
	char *end;
	unsigned long port;
	unsigned low, high;

	(void)next;
	if (!st->snap)
		return 0;
	port = strtoul(needle, &end, 10);
	range_of(st->snap, &low, &high);
	if (end == needle || *end || port < low || port > high)
		return 0;
	lv->hm_port = (unsigned)port;
	return 1;
}

const struct view_ops view_heatmap_ops = {
	.name = "Heatmap",
	.min_w = 16,
	.min_h = 3,
	.fkeys = hm_fkeys,
	.draw = hm_draw,
	.action = hm_action,
	.search = hm_search,
};
