#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "radix.h"
#include "view.h"

#define LIST_MAX_COLS 16
/* Columns of this priority or more may go to make room for addresses. */
#define LIST_OPTIONAL_PRIO 4

int text_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i, j;

	if (n == 0)
		return 1;
	for (i = 0; hay[i]; i++) {
		for (j = 0; j < n && hay[i + j]; j++) {
			char a = hay[i + j], b = needle[j];

			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (char)(b - 'A' + 'a');
			if (a != b)
				break;
		}
		if (j == n)
			return 1;
	}
	return 0;
}

struct sort_ctx {
	const struct uistate *st;
	const struct view_ops *ops;
	int col;
	int desc;
};

static int row_cmp(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *c = arg;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	int r = c->ops->cmp(c->st, a, b, c->col);

	if (c->desc)
		r = -r;
	if (r == 0)
		r = a < b ? -1 : a > b;
	return r;
}

static int matches(struct uistate *st, const struct view_ops *ops, uint32_t i,
		   const char *needle)
{
	char buf[512];

	if (!ops->match_text)
		return 1;
	buf[0] = '\0';
	ops->match_text(st, i, buf, sizeof(buf));
	return text_contains(buf, needle);
}

int list_rows_reserve(struct ui_level *lv, size_t n)
{
	uint32_t *r;

	if (n <= lv->rows_cap)
		return 0;
	r = realloc(lv->rows, n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	lv->rows = r;
	lv->rows_cap = n;
	return 0;
}

uint32_t list_row(const struct ui_level *lv, size_t k)
{
	const uint32_t *v = lv->rows_ext ? lv->ext_rows : lv->rows;

	return v[lv->rows_rev ? lv->nrows - 1 - k : k];
}

/* The view's own order: nothing to filter or sort. 1 if taken. */
static int rebuild_ordered(struct uistate *st, struct ui_level *lv,
			   const struct view_ops *ops)
{
	const uint32_t *rows = NULL;
	size_t n = 0;
	int r;

	if (!ops->ordered || lv->filter[0] || lv->sort_col != ops->default_sort)
		return 0;
	r = ops->ordered(st, lv, &rows, &n);
	if (r <= 0)
		return r;
	lv->ext_rows = rows;
	lv->nrows = n;
	lv->rows_ext = 1;
	lv->rows_rev = ops->cols[ops->default_sort].desc ^ (lv->invert != 0);
	return 1;
}

/* Scratch for a keyed sort of n rows: two key arrays, then one of rows. */
static int sort_tmp_reserve(struct uistate *st, size_t n)
{
	const size_t per_row = 2 * sizeof(uint64_t) + sizeof(uint32_t);
	void *p;

	if (n > SIZE_MAX / per_row)
		return -ENOMEM;
	if (n * per_row <= st->sort_tmp_size)
		return 0;
	/* Nothing in it is kept: no need for realloc's copy. */
	free(st->sort_tmp);
	st->sort_tmp_size = 0;
	p = malloc(n * per_row);
	st->sort_tmp = p;
	if (!p)
		return -ENOMEM;
	st->sort_tmp_size = n * per_row;
	return 0;
}

/*
 * Another sort column, no filter: the view's ordered rows, radix-sorted by
 * sort_key (stable, so ties keep ordered's order) into lv->rows, and read
 * backwards when descending. 1 if taken; 0 when some row has no key or
 * there is no memory for the keys (the caller filters and sorts, which
 * needs less), or -ENOMEM.
 */
static int rebuild_keyed(struct uistate *st, struct ui_level *lv,
			 const struct view_ops *ops)
{
	const uint32_t *rows = NULL;
	uint64_t *keys, *keys_tmp;
	size_t n = 0, i;
	int col = lv->sort_col, r;

	if (!ops->ordered || !ops->sort_key || !ops->cmp || lv->filter[0] ||
	    col == ops->default_sort || col < 0 || col >= ops->ncols)
		return 0;
	r = ops->ordered(st, lv, &rows, &n);
	if (r <= 0)
		return r;
	if (n > 0) {
		if (sort_tmp_reserve(st, n) < 0)
			return 0;
		keys = st->sort_tmp;
		keys_tmp = keys + n;
		for (i = 0; i < n; i++)
			if (!ops->sort_key(st, rows[i], col, &keys[i]))
				return 0;
		/* rows may be lv->rows already (ordered may build them there). */
		if (rows != lv->rows) {
			if (list_rows_reserve(lv, n) < 0)
				return -ENOMEM;
			memcpy(lv->rows, rows, n * sizeof(*rows));
		}
		radix_sort(keys, keys_tmp, lv->rows, (uint32_t *)(keys_tmp + n), n);
	}
	lv->nrows = n;
	lv->rows_keyed = 1;
	lv->rows_rev = ops->cols[col].desc ^ (lv->invert != 0);
	return 1;
}

static int rebuild(struct uistate *st, struct ui_level *lv, const struct view_ops *ops)
{
	size_t n = ops->count(st, lv), i, k = 0;
	struct sort_ctx sc;
	int r;

	lv->rows_ext = 0;
	lv->rows_rev = 0;
	lv->rows_keyed = 0;
	r = rebuild_ordered(st, lv, ops);
	if (r == 0)
		r = rebuild_keyed(st, lv, ops);
	if (r != 0)
		return r < 0 ? r : 0;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	if (list_rows_reserve(lv, n) < 0)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (ops->include && !ops->include(st, lv, (uint32_t)i))
			continue;
		if (lv->filter[0] && !matches(st, ops, (uint32_t)i, lv->filter))
			continue;
		lv->rows[k++] = (uint32_t)i;
	}
	lv->nrows = k;
	if (ops->cmp && k > 1 && lv->sort_col >= 0 && lv->sort_col < ops->ncols) {
		sc.st = st;
		sc.ops = ops;
		sc.col = lv->sort_col;
		sc.desc = ops->cols[lv->sort_col].desc ^ (lv->invert != 0);
		qsort_r(lv->rows, k, sizeof(*lv->rows), row_cmp, &sc);
	}
	return 0;
}

/* Put the cursor back on the selected item after a rebuild. */
static void resolve(struct uistate *st, struct ui_level *lv, const struct view_ops *ops)
{
	size_t i;

	if (lv->rows_ext && ops->seek) {
		long pos = ops->seek(st, lv, lv->ext_rows, lv->nrows);

		if (pos >= 0)
			lv->cursor = lv->rows_rev ? lv->nrows - 1 - (size_t)pos : (size_t)pos;
		return;
	}
	for (i = 0; i < lv->nrows; i++)
		if (ops->key(st, list_row(lv, i)) == lv->sel_key) {
			lv->cursor = i;
			break;
		}
}

int list_sync(struct uistate *st, struct ui_level *lv)
{
	const struct view_ops *ops = view_ops_of(lv->view);
	int resolve_sel = 0;

	if (!ops->count)
		return 0;
	if (!lv->rows_valid || lv->rows_gen != st->gen) {
		if (rebuild(st, lv, ops) < 0) {
			lv->nrows = 0;
			lv->rows_ext = 0;
			lv->rows_rev = 0;
			lv->rows_keyed = 0;
			lv->rows_valid = 0;
			return -ENOMEM;
		}
		lv->rows_valid = 1;
		lv->rows_gen = st->gen;
		resolve_sel = !lv->moved && lv->sel_valid;
	}
	if (resolve_sel && ops->key)
		resolve(st, lv, ops);
	if (lv->nrows == 0) {
		lv->cursor = 0;
		lv->top = 0;
	} else if (lv->cursor >= lv->nrows) {
		lv->cursor = lv->nrows - 1;
	}
	if (lv->nrows && ops->key) {
		uint32_t item = list_row(lv, lv->cursor);

		lv->sel_key = ops->key(st, item);
		if (ops->remember)
			ops->remember(st, lv, item);
		lv->sel_valid = 1;
	}
	lv->moved = 0;
	return 0;
}

long list_current(struct uistate *st, struct ui_level *lv)
{
	if (list_sync(st, lv) < 0 || lv->nrows == 0)
		return -1;
	return (long)list_row(lv, lv->cursor);
}

int list_move(struct uistate *st, struct ui_level *lv, enum ui_action a)
{
	size_t page = lv->page > 1 ? (size_t)lv->page : 1;
	size_t c;

	list_sync(st, lv);
	c = lv->cursor;
	switch (a) {
	case ACT_UP:
		if (c > 0)
			c--;
		break;
	case ACT_DOWN:
		c++;
		break;
	case ACT_PGUP:
		c = c > page ? c - page : 0;
		break;
	case ACT_PGDN:
		c += page;
		break;
	case ACT_HOME:
		c = 0;
		break;
	case ACT_END:
		c = lv->nrows ? lv->nrows - 1 : 0;
		break;
	default:
		return 0;
	}
	if (lv->nrows == 0)
		c = 0;
	else if (c >= lv->nrows)
		c = lv->nrows - 1;
	lv->cursor = c;
	lv->moved = 1;
	list_sync(st, lv);
	return 1;
}

int list_search(struct uistate *st, struct ui_level *lv, const char *needle, int next)
{
	const struct view_ops *ops = view_ops_of(lv->view);
	size_t i, k, start;

	if (list_sync(st, lv) < 0 || lv->nrows == 0)
		return 0;
	start = lv->cursor + (next ? 1 : 0);
	for (k = 0; k < lv->nrows; k++) {
		i = (start + k) % lv->nrows;
		if (matches(st, ops, list_row(lv, i), needle)) {
			lv->cursor = i;
			lv->moved = 1;
			list_sync(st, lv);
			return 1;
		}
	}
	return 0;
}

/* Column widths for r.w; hidden columns get width 0. */
static void layout(struct uistate *st, struct ui_level *lv, const struct view_ops *ops,
		   int width, int *w)
{
	int nat[LIST_MAX_COLS], textual[LIST_MAX_COLS] = { 0 };
	int total = 0, shown = 0, c, extra, worst;
	size_t k;
	char buf[256];
	uint16_t style;
	const char *t;

	for (c = 0; c < ops->ncols; c++) {
		w[c] = ops->cols[c].minw;
		nat[c] = ops->cols[c].minw;
		if (ops->cols[c].maxw > ops->cols[c].minw && ops->cell) {
			int any = 0;

			for (k = lv->top; k < lv->nrows && k < lv->top + (size_t)lv->page; k++) {
				t = ops->cell(st, lv, list_row(lv, k), c, buf, sizeof(buf), &style);
				if (t) {
					int tw = (int)strlen(t);

					any = 1;
					if (tw > nat[c])
						nat[c] = tw;
				}
			}
			/* Drawn cells (bars) take what they can get. */
			if (!any || ops->cols[c].fill)
				nat[c] = ops->cols[c].maxw;
			else
				textual[c] = 1;
			if (nat[c] > ops->cols[c].maxw)
				nat[c] = ops->cols[c].maxw;
		}
		total += w[c];
		shown++;
	}
	total += shown - 1;
	/* Drop the least important columns until the rest fits. */
	while (total > width) {
		worst = -1;
		for (c = 0; c < ops->ncols; c++)
			if (w[c] && ops->cols[c].prio > 0 &&
			    (worst < 0 || ops->cols[c].prio >= ops->cols[worst].prio))
				worst = c;
		if (worst < 0)
			break;
		total -= w[worst] + 1;
		w[worst] = 0;
	}
	extra = width - total;
	/* Optional columns give way to text (addresses) that would be cut. */
	for (;;) {
		int deficit = 0;

		for (c = 0; c < ops->ncols; c++)
			if (w[c] && textual[c] && nat[c] > w[c])
				deficit += nat[c] - w[c];
		if (deficit <= extra)
			break;
		worst = -1;
		for (c = 0; c < ops->ncols; c++)
			if (w[c] && ops->cols[c].prio >= LIST_OPTIONAL_PRIO &&
			    (worst < 0 || ops->cols[c].prio >= ops->cols[worst].prio))
				worst = c;
		if (worst < 0)
			break;
		extra += w[worst] + 1;
		w[worst] = 0;
	}
	/* Give what is left to flexible columns, up to their natural width,
	 * then to the filling ones. */
	for (c = 0; c < 2 * ops->ncols && extra > 0; c++) {
		int want, i = c % ops->ncols;

		if (!w[i] || (c < ops->ncols) == (ops->cols[i].fill != 0))
			continue;
		want = nat[i] - w[i];
		if (want > extra)
			want = extra;
		if (want > 0) {
			w[i] += want;
			extra -= want;
		}
	}
}

void list_draw(struct uistate *st, struct ui_level *lv, struct frame *f, struct rect r)
{
	const struct view_ops *ops = view_ops_of(lv->view);
	int w[LIST_MAX_COLS];
	int c, x, y, page;
	size_t k;
	char buf[256], title[64];
	uint16_t style;
	const char *t;

	if (r.h <= 0 || r.w <= 0)
		return;
	if (list_sync(st, lv) < 0) {
		draw_note(f, r, ST_ERROR, "out of memory");
		return;
	}
	page = r.h - 1;
	lv->page = page > 0 ? page : 1;
	if (lv->cursor < lv->top)
		lv->top = lv->cursor;
	if (page > 0 && lv->cursor >= lv->top + (size_t)page)
		lv->top = lv->cursor - (size_t)page + 1;
	if (page > 0 && lv->top + (size_t)page > lv->nrows)
		lv->top = lv->nrows > (size_t)page ? lv->nrows - (size_t)page : 0;

	layout(st, lv, ops, r.w, w);

	/* Title row. */
	frame_fill(f, (struct rect){ r.x, r.y, r.w, 1 }, ' ', ST_TITLE);
	x = r.x;
	for (c = 0; c < ops->ncols; c++) {
		int sorted = c == lv->sort_col;
		int desc = ops->cols[c].desc ^ (lv->invert != 0);

		if (!w[c])
			continue;
		if (sorted)
			snprintf(title, sizeof(title), "%s%s", ops->cols[c].title,
				 f->utf8 ? (desc ? "\u25bc" : "\u25b2") : (desc ? "v" : "^"));
		else
			snprintf(title, sizeof(title), "%s", ops->cols[c].title);
		frame_text_box(f, x, r.y, w[c] > r.x + r.w - x ? r.x + r.w - x : w[c],
			       sorted ? ST_TITLE_SORT : ST_TITLE, title,
			       ops->cols[c].align, CUT_RIGHT);
		x += w[c] + 1;
		if (x >= r.x + r.w)
			break;
	}

	if (lv->nrows == 0) {
		const char *note = ops->empty_note ? ops->empty_note(st, lv) : NULL;

		if (!note)
			note = lv->filter[0] ? "(no row matches the filter)" : "(nothing to show)";
		if (r.h > 1)
			frame_text(f, r.x + 1, r.y + 1, r.w - 1, ST_DIM, note);
		return;
	}
	for (k = lv->top, y = r.y + 1; k < lv->nrows && y < r.y + r.h; k++, y++) {
		int sel = k == lv->cursor;
		uint32_t item = list_row(lv, k);

		if (sel)
			frame_fill(f, (struct rect){ r.x, y, r.w, 1 }, ' ', ST_CURSOR);
		x = r.x;
		for (c = 0; c < ops->ncols && x < r.x + r.w; c++) {
			int cw = w[c];

			if (!cw)
				continue;
			if (cw > r.x + r.w - x)
				cw = r.x + r.w - x;
			style = ST_NORMAL;
			t = ops->cell ? ops->cell(st, lv, item, c, buf, sizeof(buf), &style) : NULL;
			if (sel)
				style = ST_CURSOR;
			if (t)
				frame_text_box(f, x, y, cw, style, t, ops->cols[c].align,
					       ops->cols[c].cut);
			else if (ops->draw_cell)
				ops->draw_cell(st, lv, item, c, f, x, y, cw, style);
			x += w[c] + 1;
		}
	}
}
