#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "frame.h"

#define ELLIPSIS_UTF8 0x2026u

void frame_init(struct frame *f, int utf8)
{
	f->w = 0;
	f->h = 0;
	f->cells = NULL;
	f->cap = 0;
	f->utf8 = utf8;
}

void frame_release(struct frame *f)
{
	if (!f)
		return;
	free(f->cells);
	frame_init(f, f->utf8);
}

int frame_resize(struct frame *f, int w, int h)
{
	size_t n;

	if (w < 0)
		w = 0;
	if (h < 0)
		h = 0;
	if (w > 4096)
		w = 4096;
	if (h > 4096)
		h = 4096;
	n = (size_t)w * (size_t)h;
	if (n > f->cap) {
		struct frame_cell *c = realloc(f->cells, n * sizeof(*c));

		if (!c)
			return -ENOMEM;
		f->cells = c;
		f->cap = n;
	}
	f->w = w;
	f->h = h;
	frame_clear(f);
	return 0;
}

void frame_clear(struct frame *f)
{
	size_t i, n = (size_t)f->w * (size_t)f->h;

	for (i = 0; i < n; i++) {
		f->cells[i].ch = ' ';
		f->cells[i].attr = ST_NORMAL;
	}
}

static struct frame_cell *cell(struct frame *f, int x, int y)
{
	if (x < 0 || y < 0 || x >= f->w || y >= f->h)
		return NULL;
	return &f->cells[(size_t)y * (size_t)f->w + (size_t)x];
}

const struct frame_cell *frame_cell_at(const struct frame *f, int x, int y)
{
	if (x < 0 || y < 0 || x >= f->w || y >= f->h)
		return NULL;
	return &f->cells[(size_t)y * (size_t)f->w + (size_t)x];
}

static int is_control(uint32_t ch)
{
	return ch < 0x20 || (ch >= 0x7f && ch < 0xa0);
}

static int char_width(const struct frame *f, uint32_t ch)
{
	int w;

	if (!f->utf8 || ch < 0x80)
		return 1;
	if (ch > 0x10ffff || (ch >= 0xd800 && ch <= 0xdfff))
		return -1;
	w = wcwidth((wchar_t)ch);
	if (w > 2)
		w = 2;
	return w;
}

/* Break a wide character that a write at (x, y) would cut in half. */
static void unpair(struct frame *f, int x, int y)
{
	struct frame_cell *c = cell(f, x, y), *o;

	if (!c)
		return;
	if (c->ch == FRAME_CONT) {
		o = cell(f, x - 1, y);
		if (o) {
			o->ch = ' ';
			o->attr &= (uint16_t)~FA_WIDE;
		}
	} else if (c->attr & FA_WIDE) {
		o = cell(f, x + 1, y);
		if (o && o->ch == FRAME_CONT)
			o->ch = ' ';
	}
}

static void put(struct frame *f, int x, int y, uint32_t ch, uint16_t attr, int width)
{
	struct frame_cell *c = cell(f, x, y), *c2;

	if (!c)
		return;
	unpair(f, x, y);
	attr &= (uint16_t)~FA_WIDE;
	if (width == 2) {
		c2 = cell(f, x + 1, y);
		if (!c2) {
			c->ch = '?';
			c->attr = attr;
			return;
		}
		unpair(f, x + 1, y);
		c->ch = ch;
		c->attr = attr | FA_WIDE;
		c2->ch = FRAME_CONT;
		c2->attr = attr;
		return;
	}
	c->ch = ch;
	c->attr = attr;
}

void frame_put(struct frame *f, int x, int y, uint32_t ch, uint16_t attr)
{
	int w;

	if (is_control(ch) || (!f->utf8 && ch >= 0x80))
		ch = '?';
	w = char_width(f, ch);
	if (w != 1 && w != 2) {
		ch = '?';
		w = 1;
	}
	put(f, x, y, ch, attr, w);
}

void frame_fill(struct frame *f, struct rect r, uint32_t ch, uint16_t attr)
{
	int x, y;

	for (y = r.y; y < r.y + r.h; y++)
		for (x = r.x; x < r.x + r.w; x++)
			frame_put(f, x, y, ch, attr);
}

void frame_set_attr(struct frame *f, struct rect r, uint16_t attr)
{
	int x, y;
	struct frame_cell *c;

	for (y = r.y; y < r.y + r.h; y++)
		for (x = r.x; x < r.x + r.w; x++) {
			c = cell(f, x, y);
			if (c)
				c->attr = (uint16_t)((c->attr & FA_WIDE) | attr);
		}
}

/*
 * Decode one UTF-8 sequence from s (NUL-terminated). Returns the bytes
 * used (>= 1) and the code point, or U+FFFD-like '?' marker (cp = '?' and
 * *bad = 1) for one invalid byte.
 */
static size_t utf8_next(const char *s, uint32_t *cp, int *bad)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c;
	size_t n, i;

	*bad = 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3;
		c = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4;
		c = u[0] & 0x07;
	} else {
		goto invalid;
	}
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			goto invalid;
		c = (c << 6) | (u[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		goto invalid;
	*cp = c;
	return n;
invalid:
	*cp = '?';
	*bad = 1;
	return 1;
}

/* Width of the next character as frame_text() draws it (0: dropped). */
static size_t next_glyph(const struct frame *f, const char *s, uint32_t *cp, int *w)
{
	int bad;
	size_t n = utf8_next(s, cp, &bad);

	if (bad || is_control(*cp) || (!f->utf8 && *cp >= 0x80)) {
		*cp = '?';
		*w = 1;
		return n;
	}
	*w = char_width(f, *cp);
	if (*w < 0) {
		*cp = '?';
		*w = 1;
	}
	return n;
}

int frame_text(struct frame *f, int x, int y, int maxw, uint16_t attr,
	       const char *s)
{
	int used = 0, w;
	uint32_t cp;

	if (!s || y < 0 || y >= f->h)
		return 0;
	if (x + maxw > f->w)
		maxw = f->w - x;
	while (*s && used < maxw) {
		s += next_glyph(f, s, &cp, &w);
		if (w == 0)
			continue;
		if (used + w > maxw)
			break;
		if (x + used >= 0)
			put(f, x + used, y, cp, attr, w);
		used += w;
	}
	return used;
}

int frame_printf(struct frame *f, int x, int y, int maxw, uint16_t attr,
		 const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return frame_text(f, x, y, maxw, attr, buf);
}

int frame_text_width(const struct frame *f, const char *s)
{
	int total = 0, w;
	uint32_t cp;

	while (s && *s) {
		s += next_glyph(f, s, &cp, &w);
		total += w;
	}
	return total;
}

void frame_text_box(struct frame *f, int x, int y, int w, uint16_t attr,
		    const char *s, enum frame_align al, enum frame_cut cut)
{
	int tw, used, cw;
	uint32_t ell = f->utf8 ? ELLIPSIS_UTF8 : '~';
	uint32_t cp;

	if (w <= 0)
		return;
	frame_fill(f, (struct rect){ x, y, w, 1 }, ' ', attr);
	tw = frame_text_width(f, s);
	if (tw <= w) {
		frame_text(f, al == AL_RIGHT ? x + w - tw : x, y, tw, attr, s);
		return;
	}
	if (w == 1) {
		frame_put(f, x, y, ell, attr);
		return;
	}
	if (cut == CUT_RIGHT) {
		used = frame_text(f, x, y, w - 1, attr, s);
		frame_put(f, x + used, y, ell, attr);
		return;
	}
	/* CUT_LEFT: skip leading characters until the rest fits in w - 1. */
	while (*s && tw > w - 1) {
		s += next_glyph(f, s, &cp, &cw);
		tw -= cw;
	}
	frame_put(f, x + w - 1 - tw, y, ell, attr);
	frame_text(f, x + w - tw, y, tw, attr, s);
}

static size_t put_utf8(char *buf, size_t len, size_t pos, uint32_t c)
{
	unsigned char tmp[4];
	size_t n, i;

	if (c < 0x80) {
		tmp[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		tmp[0] = (unsigned char)(0xc0 | (c >> 6));
		tmp[1] = (unsigned char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		tmp[0] = (unsigned char)(0xe0 | (c >> 12));
		tmp[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		tmp[2] = (unsigned char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		tmp[0] = (unsigned char)(0xf0 | (c >> 18));
		tmp[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
		tmp[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		tmp[3] = (unsigned char)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (pos + n >= len)
		return pos;
	for (i = 0; i < n; i++)
		buf[pos + i] = (char)tmp[i];
	return pos + n;
}

size_t frame_row_text(const struct frame *f, int y, char *buf, size_t len)
{
	size_t pos = 0;
	int x;
	const struct frame_cell *c;

	if (!len)
		return 0;
	for (x = 0; x < f->w; x++) {
		c = frame_cell_at(f, x, y);
		if (!c || c->ch == FRAME_CONT)
			continue;
		pos = put_utf8(buf, len, pos, c->ch);
	}
	buf[pos] = '\0';
	return pos;
}
