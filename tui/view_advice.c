#include "config.h"

#include <stdio.h>
#include <string.h>

#include "advice.h"
#include "view.h"

/*
 * Advice: the engine's plain-words explanation (advice_build()) of one
 * destination: the worst one at the top level, the one chosen when opened
 * with a from a destination. Every sentence carries the numbers behind it,
 * and nothing is said that the snapshot cannot back. Paragraphs are
 * wrapped to the width and scroll like the help.
 */

static const struct fkey advice_fkeys[] = {
	{ "F1", "Help" }, { "Esc", "Back" }, { "Up/Dn", "Scroll" },
	{ "Space", "Pause" }, { "Tab", "View" }, { "F10", "Quit" },
	{ NULL, NULL },
};

/* Longest paragraph once cleaned (UTF-8 can grow '?' replacements). */
#define ADV_CLEAN_LEN (ADVICE_TEXT_LEN * 2)

void advice_open(struct uistate *st, const struct dest_key *k)
{
	struct ui_ctx ctx;
	char label[96];

	memset(&ctx, 0, sizeof(ctx));
	if (!k) {
		uistate_push(st, VIEW_ADVICE, NULL, "Advice");
		return;
	}
	ctx.flags = CTX_DEST;
	ctx.dest = *k;
	fmt_dest(k, label, sizeof(label));
	{
		size_t n = strlen(label);

		snprintf(label + n, sizeof(label) - n, " advice");
	}
	uistate_push(st, VIEW_ADVICE, &ctx, label);
}

/* Rows are counted in a first pass and drawn in a second (so that the
 * scroll position can be clamped before anything is drawn). */
struct adv_out {
	struct frame *f;
	struct rect r;
	size_t top;      /* first content row shown */
	size_t row;      /* content rows so far */
	int draw;
};

static void adv_row(struct adv_out *o, int indent, uint16_t style,
		    const char *prefix, const char *s, size_t len)
{
	char buf[ADV_CLEAN_LEN];
	int x, y;

	if (o->draw && o->row >= o->top && o->row - o->top < (size_t)o->r.h) {
		y = o->r.y + (int)(o->row - o->top);
		x = o->r.x;
		if (prefix && indent > 0 && indent < o->r.w)
			frame_text(o->f, x, y, indent, ST_DIM, prefix);
		if (indent < o->r.w)
			x += indent;
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, s, len);
		buf[len] = '\0';
		frame_text(o->f, x, y, o->r.x + o->r.w - x, style, buf);
	}
	o->row++;
}

/* Columns of s[0..len) as frame_text() draws them. */
static int adv_width(const struct frame *f, const char *s, size_t len)
{
	char buf[ADV_CLEAN_LEN];

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return frame_text_width(f, buf);
}

/* One paragraph (already clean), wrapped at blanks to the width after a
 * hanging indent; a word wider than the line is cut on a character. */
static void adv_para(struct adv_out *o, const char *p, const char *bullet,
		     uint16_t style)
{
	int indent = bullet ? 2 : 0, avail;
	size_t n = strlen(p), start = 0;
	int first = 1;

	if (indent >= o->r.w)
		indent = 0;
	avail = o->r.w - indent;
	if (avail < 1)
		return;
	while (start < n) {
		size_t end = start, cand;

		while (start < n && p[start] == ' ')
			start++;
		if (start >= n)
			break;
		/* whole words while they fit */
		for (;;) {
			cand = end > start ? end : start;
			while (cand < n && p[cand] == ' ')
				cand++;
			while (cand < n && p[cand] != ' ')
				cand++;
			if (adv_width(o->f, p + start, cand - start) > avail)
				break;
			end = cand;
			if (end >= n)
				break;
		}
		if (end <= start) {
			/* one word wider than the line: cut it */
			end = start;
			while (end < n) {
				cand = end + 1;
				while (cand < n && ((unsigned char)p[cand] & 0xc0) == 0x80)
					cand++;
				if (end > start &&
				    adv_width(o->f, p + start, cand - start) > avail)
					break;
				end = cand;
			}
		}
		adv_row(o, indent, style, first && bullet ? bullet : NULL,
			p + start, end - start);
		first = 0;
		start = end;
	}
}

static uint16_t adv_style(enum advice_kind k)
{
	switch (k) {
	case ADVICE_SUMMARY:
		return ST_VALUE;
	case ADVICE_TW_OVERFLOW:
		return ST_CRIT;
	case ADVICE_OK:
		return ST_OK;
	default:
		return ST_NORMAL;
	}
}

static void adv_content(struct uistate *st, struct ui_level *lv,
			struct adv_out *o, const struct advice *a, long want)
{
	char title[256], dk[128], clean[ADV_CLEAN_LEN];
	struct dest_key k;
	size_t i;

	if (want == -2) {
		/* the destination asked for has no socket in this sample */
		fmt_dest(&lv->ctx.dest, dk, sizeof(dk));
		snprintf(title, sizeof(title), "%s: no socket toward it in "
			 "this sample, nothing to explain.", dk);
		view_clean(st, clean, sizeof(clean), title, strlen(title));
		adv_para(o, clean, NULL, ST_WARN);
		return;
	}
	if (a->dest != ADVICE_NO_DEST && a->dest < st->snap->ndests) {
		dest_key_of(&st->snap->dests[a->dest], &k);
		fmt_dest(&k, dk, sizeof(dk));
		snprintf(title, sizeof(title), "Advice for %s (%s)", dk,
			 want >= 0 ? "selected" : "worst destination");
	} else {
		snprintf(title, sizeof(title), "Advice: no outgoing connection "
			 "uses the ephemeral range.");
	}
	view_clean(st, clean, sizeof(clean), title, strlen(title));
	adv_para(o, clean, NULL, ST_LABEL);
	for (i = 0; i < a->n && i < ADVICE_MAX; i++) {
		view_clean(st, clean, sizeof(clean), a->lines[i].text,
			   sizeof(a->lines[i].text));
		adv_para(o, clean, "- ", adv_style(a->lines[i].kind));
	}
}

static void advice_draw(struct uistate *st, struct ui_level *lv,
			struct frame *f, struct rect r)
{
	struct advice a;
	struct adv_out o;
	long want = -1;
	size_t total;

	if (r.w <= 0 || r.h <= 0)
		return;
	lv->page = r.h > 1 ? r.h : 1;
	if (!st->snap) {
		draw_note(f, r, ST_DIM, "(waiting for the first sample)");
		return;
	}
	memset(&a, 0, sizeof(a));
	a.dest = ADVICE_NO_DEST;
	if (lv->ctx.flags & CTX_DEST) {
		want = dest_find(st->snap, &lv->ctx.dest);
		if (want < 0)
			want = -2;
	}
	if (want != -2 &&
	    advice_build(st->snap, want >= 0 ? (size_t)want : ADVICE_NO_DEST,
			 &a) < 0)
		a.n = 0;
	memset(&o, 0, sizeof(o));
	o.f = f;
	o.r = r;
	adv_content(st, lv, &o, &a, want);
	total = o.row;
	if (total <= (size_t)r.h)
		lv->top = 0;
	else if (lv->top > total - (size_t)r.h)
		lv->top = total - (size_t)r.h;
	o.row = 0;
	o.top = lv->top;
	o.draw = 1;
	adv_content(st, lv, &o, &a, want);
}

static int advice_action(struct uistate *st, struct ui_level *lv,
			 enum ui_action a)
{
	size_t page = lv->page > 1 ? (size_t)lv->page : 1;

	(void)st;
	switch (a) {
	case ACT_UP:
		if (lv->top > 0)
			lv->top--;
		return 1;
	case ACT_DOWN:
		lv->top++;        /* clamped at the next draw */
		return 1;
	case ACT_PGUP:
		lv->top = lv->top > page ? lv->top - page : 0;
		return 1;
	case ACT_PGDN:
		lv->top += page;
		return 1;
	case ACT_HOME:
		lv->top = 0;
		return 1;
	case ACT_END:
		lv->top = (size_t)ADVICE_MAX * ADV_CLEAN_LEN;
		return 1;
	case ACT_ADVICE:
		return 1;         /* already here */
	default:
		return 0;
	}
}

const struct view_ops view_advice_ops = {
	.name = "Advice",
	.min_w = 1,
	.min_h = 1,
	.fkeys = advice_fkeys,
	.draw = advice_draw,
	.action = advice_action,
};
