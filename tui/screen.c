#include "config.h"

#include <stdio.h>
#include <string.h>

#include "view.h"

/*
 * screen: the whole frame. Header, the tab line (tabs at the top level, a
 * breadcrumb in a drill-down), the active view, and the function bar (or
 * the search/filter prompt).
 */

static void tiny(struct frame *f)
{
	char size[32];
	int y = f->h > 1 ? (f->h - 2) / 2 : 0;

	snprintf(size, sizeof(size), "need %dx%d", SCREEN_MIN_W, SCREEN_MIN_H);
	draw_note(f, (struct rect){ 0, y, f->w, 1 }, ST_WARN, "too small");
	if (f->h > 1)
		draw_note(f, (struct rect){ 0, y + 1, f->w, 1 }, ST_DIM, size);
}

static void tab_line(struct uistate *st, struct frame *f, int y)
{
	static const char *const names[VIEW_TOP_COUNT] = {
		[VIEW_DESTS] = "Destinations", [VIEW_HEATMAP] = "Heatmap",
		[VIEW_PROCS] = "Processes", [VIEW_SOCKS] = "Sockets",
		[VIEW_NAT] = "NAT", [VIEW_NETNS] = "Namespaces",
		[VIEW_ADVICE] = "Advice",
	};
	struct ui_level *lv = uistate_level(st);
	char right[UI_TEXT_MAX + 32], crumb[UI_MAX_DEPTH * 100];
	int x = 0, end = f->w, rw, i;

	right[0] = '\0';
	if (lv->filter[0])
		snprintf(right, sizeof(right), "filter: %s%s", lv->filter,
			 st->paused ? "  PAUSED" : "");
	else if (st->paused)
		snprintf(right, sizeof(right), "PAUSED");
	rw = frame_text_width(f, right);
	if (rw && rw < f->w / 2) {
		frame_text(f, f->w - rw, y, rw, st->paused && !lv->filter[0] ? ST_PAUSED : ST_WARN,
			   right);
		end = f->w - rw - 1;
	}
	if (st->depth == 1) {
		for (i = 0; i < VIEW_TOP_COUNT && x < end; i++) {
			char t[32];
			int active = st->stack[0].view == (enum view_id)i;

			/* nat: nothing to show there; advice has a tab
			 * but is not in the Tab cycle */
			if (!uistate_view_shown(st, (enum view_id)i) &&
			    i != VIEW_ADVICE)
				continue;
			snprintf(t, sizeof(t), " %d %s ", i + 1, names[i]);
			x += frame_text(f, x, y, end - x, active ? ST_TAB_ACTIVE : ST_TAB, t);
			if (x < end)
				x++;
		}
		return;
	}
	/* Breadcrumb: keep its end (where we are) when it is too long. */
	crumb[0] = '\0';
	for (i = 0; i < st->depth; i++) {
		size_t n = strlen(crumb);

		snprintf(crumb + n, sizeof(crumb) - n, "%s%s", i ? " > " : "",
			 st->stack[i].label);
	}
	{
		int cw = frame_text_width(f, crumb);

		if (cw > end)
			cw = end;
		frame_text_box(f, 0, y, cw, ST_TAB_ACTIVE, crumb, AL_LEFT, CUT_LEFT);
	}
}

static void func_bar(struct uistate *st, struct frame *f, int y)
{
	struct ui_level *lv = uistate_level(st);
	const struct view_ops *ops = view_ops_of(lv->view);
	const struct fkey *k, *keys = ops->fkeys_for ? ops->fkeys_for(lv) : ops->fkeys;
	int x = 0;

	if (st->edit != EDIT_NONE) {
		const char *what = st->edit == EDIT_SEARCH ? "Search: " : "Filter: ";
		const char *hint = st->edit == EDIT_SEARCH ? "  (Enter done, F3 next, Esc cancel)"
							   : "  (Enter done, Esc clear)";

		frame_fill(f, (struct rect){ 0, y, f->w, 1 }, ' ', ST_PROMPT);
		x += frame_text(f, x, y, f->w - x, ST_FKEY, what);
		x += frame_text(f, x, y, f->w - x, ST_PROMPT, st->edit_buf);
		frame_put(f, x++, y, '_', ST_PROMPT | FA_REVERSE);
		frame_text(f, x, y, f->w - x, ST_PROMPT, hint);
		return;
	}
	frame_fill(f, (struct rect){ 0, y, f->w, 1 }, ' ', ST_FLABEL);
	for (k = keys; k && k->key && x < f->w; k++) {
		x += frame_text(f, x, y, f->w - x, ST_FKEY, k->key);
		x += frame_text(f, x, y, f->w - x, ST_FLABEL, k->label);
		x += frame_text(f, x, y, f->w - x, ST_FLABEL, " ");
	}
	if (st->msg[0]) {
		int mw = frame_text_width(f, st->msg);

		if (mw > f->w)
			mw = f->w;
		frame_text_box(f, f->w - mw, y, mw, ST_WARN, st->msg, AL_LEFT, CUT_RIGHT);
	}
}

void screen_render(struct uistate *st, struct frame *f)
{
	struct ui_level *lv;
	const struct view_ops *ops;
	struct rect area;
	int hl;

	frame_clear(f);
	if (f->w < SCREEN_MIN_W || f->h < SCREEN_MIN_H) {
		tiny(f);
		return;
	}
	hl = header_lines(st, f->h);
	if (hl)
		header_draw(st, f, (struct rect){ 0, 0, f->w, hl });
	tab_line(st, f, hl);
	func_bar(st, f, f->h - 1);
	area = (struct rect){ 0, hl + 1, f->w, f->h - hl - 2 };
	lv = uistate_level(st);
	ops = view_ops_of(lv->view);
	if (area.w < ops->min_w || area.h < ops->min_h) {
		char msg[64];

		snprintf(msg, sizeof(msg), "window too small for %s", ops->name);
		draw_note(f, area, ST_WARN, msg);
		return;
	}
	ops->draw(st, lv, f, area);
}
