#ifndef PORTTOP_FRAME_H
#define PORTTOP_FRAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * frame: an in-memory screen of cells (one code point + one attribute
 * each). Views draw into a frame; the terminal adapter (term.c) copies a
 * finished frame to curses. Views are therefore testable without a
 * terminal.
 *
 * Invariants: every cell holds a printable code point (never a C0/C1
 * control or DEL), or FRAME_CONT for the right half of a double-width
 * character; in ASCII mode (utf8 == 0) only 7-bit printable characters.
 * Every drawing call clips to the frame: nothing is ever written outside.
 */

/* Cell styles: what a cell means, not how it looks (term.c decides). */
enum frame_style {
	ST_NORMAL = 0,
	ST_DIM,
	ST_LABEL,          /* header labels */
	ST_VALUE,          /* header values */
	ST_TITLE,          /* table column titles */
	ST_TITLE_SORT,     /* the sorted column's title */
	ST_TAB,
	ST_TAB_ACTIVE,
	ST_FKEY,           /* function bar: key */
	ST_FLABEL,         /* function bar: label */
	ST_CURSOR,         /* selected row */
	ST_OK,
	ST_WARN,
	ST_CRIT,
	ST_HM_FREE,
	ST_HM_TW,
	ST_HM_EST,
	ST_HM_OTHER,
	ST_HM_OWNED,
	ST_HM_RESERVED,
	ST_PAUSED,
	ST_ERROR,
	ST_PROMPT,
	ST_COUNT
};

/* Attribute = style | flags. */
#define FA_STYLE_MASK 0x00ffu
#define FA_REVERSE    0x0100u  /* e.g. the heatmap cursor */
#define FA_WIDE       0x8000u  /* internal: left half of a wide character */

#define FRAME_CONT 0u          /* right half of a double-width character */

struct frame_cell {
	uint32_t ch;
	uint16_t attr;
};

struct frame {
	int w, h;
	struct frame_cell *cells;
	size_t cap;               /* cells allocated */
	int utf8;                 /* 0: 7-bit only */
};

struct rect {
	int x, y, w, h;
};

enum frame_align {
	AL_LEFT = 0,
	AL_RIGHT = 1,
};

enum frame_cut {
	CUT_RIGHT = 0,            /* keep the start, mark the cut at the end */
	CUT_LEFT = 1,             /* keep the end (addresses, ports) */
};

void frame_init(struct frame *f, int utf8);
void frame_release(struct frame *f);
/* Resize (contents cleared). Negative sizes count as 0. 0 or -ENOMEM. */
int frame_resize(struct frame *f, int w, int h);
/* Blank every cell with ST_NORMAL. */
void frame_clear(struct frame *f);
void frame_fill(struct frame *f, struct rect r, uint32_t ch, uint16_t attr);
/* Set the attribute of every cell in r, keeping the characters. */
void frame_set_attr(struct frame *f, struct rect r, uint16_t attr);

/* One code point. Controls and (in ASCII mode) non-ASCII become '?'. */
void frame_put(struct frame *f, int x, int y, uint32_t ch, uint16_t attr);

/*
 * Draw a UTF-8 string at (x, y), at most maxw columns (and never past the
 * frame). Meant for porttop's own text and for strings that went through
 * the sanitiser (view_clean()); still, invalid UTF-8 and controls become '?', and
 * zero-width characters are dropped. Returns the columns used.
 */
int frame_text(struct frame *f, int x, int y, int maxw, uint16_t attr,
	       const char *s);
int frame_printf(struct frame *f, int x, int y, int maxw, uint16_t attr,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/*
 * Draw s into exactly w columns: padded (left or right aligned), or cut
 * with an ellipsis mark at the end (CUT_RIGHT) or at the start (CUT_LEFT).
 */
void frame_text_box(struct frame *f, int x, int y, int w, uint16_t attr,
		    const char *s, enum frame_align al, enum frame_cut cut);

/* Columns a string takes when drawn by frame_text(). */
int frame_text_width(const struct frame *f, const char *s);

/* The cell at (x, y), or NULL outside. */
const struct frame_cell *frame_cell_at(const struct frame *f, int x, int y);

/* Row y as UTF-8 text (trailing blanks kept) into buf; returns its length. */
size_t frame_row_text(const struct frame *f, int y, char *buf, size_t len);

#endif
