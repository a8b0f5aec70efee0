#ifndef PORTTOP_VIEW_H
#define PORTTOP_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "keys.h"
#include "uistate.h"

/*
 * view: the view class (like htop's PanelClass): a small table of
 * functions per view, and the list machinery the table views share
 * (filter, sort, cursor that follows its item, search, column layout).
 */

/* One column of a table view. */
struct col_def {
	const char *title;
	int minw;                 /* narrowest useful width (>= title) */
	int maxw;                 /* widest; > minw for flexible columns */
	int prio;                 /* 0: always shown; higher drops first */
	enum frame_align align;
	enum frame_cut cut;
	int desc;                 /* sorts descending by default */
	int fill;                 /* takes what is left, cut (never drops others) */
};

/* One entry of the function bar. */
struct fkey {
	const char *key;
	const char *label;
};

struct view_ops {
	const char *name;
	int min_w, min_h;         /* smallest area the view can draw in */
	const struct fkey *fkeys; /* function bar, ends with {NULL, NULL} */
	/* The function bar for a level, when it depends on it (else fkeys). */
	const struct fkey *(*fkeys_for)(const struct ui_level *lv);

	/* Draw the view into r of f. */
	void (*draw)(struct uistate *st, struct ui_level *lv, struct frame *f,
		     struct rect r);
	/* View-specific keys: 1 if handled. */
	int (*action)(struct uistate *st, struct ui_level *lv, enum ui_action a);

	/* Table views (NULL cols otherwise). */
	const struct col_def *cols;
	int ncols;
	int default_sort;
	/* Items are indices 0..count-1 into some snapshot array. */
	size_t (*count)(struct uistate *st, struct ui_level *lv);
	/* Does item i belong to this level's drill-down context? */
	int (*include)(struct uistate *st, const struct ui_level *lv, uint32_t i);
	/* Text of one cell (clean, or sanitised); NULL for cells drawn by
	 * draw_cell. *style may be changed. */
	const char *(*cell)(struct uistate *st, const struct ui_level *lv, uint32_t i,
			    int col, char *buf, size_t len, uint16_t *style);
	void (*draw_cell)(struct uistate *st, const struct ui_level *lv, uint32_t i,
			  int col, struct frame *f, int x, int y, int w, uint16_t style);
	int (*cmp)(const struct uistate *st, uint32_t a, uint32_t b, int col);
	uint64_t (*key)(const struct uistate *st, uint32_t i);
	/* The text filter and search look at (lower case not needed). */
	void (*match_text)(struct uistate *st, uint32_t i, char *buf, size_t len);
	/* Search prompt: move the cursor to the next match of needle (from
	 * the cursor, or after it when next). 1 if found. NULL: no search. */
	int (*search)(struct uistate *st, struct ui_level *lv, const char *needle,
		      int next);
	/* Line shown instead of an empty table (NULL: a default). */
	const char *(*empty_note)(const struct uistate *st, const struct ui_level *lv);
	/*
	 * Optional, for lists as long as the socket table: the level's rows
	 * already in cols[default_sort] order (ascending), from the snapshot's
	 * indexes, so that a refresh neither filters nor sorts them. Sets
	 * *rows (valid until the next snapshot; it may be lv->rows, grown
	 * with list_rows_reserve()) and *n; returns 1, 0 when there is
	 * no such order (the list filters and sorts), or -ENOMEM. Asked only
	 * when no text filter is set, and with another sort column only when
	 * the view has sort_key.
	 */
	int (*ordered)(struct uistate *st, struct ui_level *lv, const uint32_t **rows,
		       size_t *n);
	/* With ordered: remember() is told the selected item at every sync;
	 * seek() finds it again in ordered's rows (by binary search) after a
	 * new snapshot: its position, or -1. */
	void (*remember)(struct uistate *st, struct ui_level *lv, uint32_t i);
	long (*seek)(const struct uistate *st, const struct ui_level *lv,
		     const uint32_t *rows, size_t n);
	/*
	 * Optional, with ordered: sorting by another column without a text
	 * filter radix-sorts ordered's rows by these keys (ties stay in
	 * ordered's order) instead of filtering and sorting with cmp. Sets
	 * *key to item i's key for column col, whose ascending order must be
	 * exactly cmp's for col, and returns 1; 0 when the item has no such
	 * key (the list then filters and sorts with cmp).
	 */
	int (*sort_key)(const struct uistate *st, uint32_t i, int col, uint64_t *key);
};

extern const struct view_ops view_dests_ops;
extern const struct view_ops view_heatmap_ops;
extern const struct view_ops view_procs_ops;
extern const struct view_ops view_socks_ops;
extern const struct view_ops view_help_ops;
extern const struct view_ops view_nat_ops;     /* nat */
extern const struct view_ops view_netns_ops;   /* nat */
extern const struct view_ops view_advice_ops;  /* advice */

const struct view_ops *view_ops_of(enum view_id id);

/* advice: push the advice for destination k (NULL: the worst one). */
void advice_open(struct uistate *st, const struct dest_key *k);

/* ---- list machinery (view_list.c) ---- */

/* Rebuild rows if stale, put the cursor on its item, clamp. 0 or -ENOMEM. */
int list_sync(struct uistate *st, struct ui_level *lv);
/* Cursor keys; 1 if the action was a movement. */
int list_move(struct uistate *st, struct ui_level *lv, enum ui_action a);
/* Put the cursor on the first row at or after cursor (+1 when next)
 * whose text contains needle (case-insensitive). 1 if found. */
int list_search(struct uistate *st, struct ui_level *lv, const char *needle, int next);
/* Draw the table (title row + rows) into r. */
void list_draw(struct uistate *st, struct ui_level *lv, struct frame *f, struct rect r);
/* Make lv->rows hold n items. 0 or -ENOMEM. */
int list_rows_reserve(struct ui_level *lv, size_t n);
/* The item on row k (k < lv->nrows) of the last sync. */
uint32_t list_row(const struct ui_level *lv, size_t k);
/* The item under the cursor, or -1. */
long list_current(struct uistate *st, struct ui_level *lv);
/* Case-insensitive substring test (ASCII folding). */
int text_contains(const char *hay, const char *needle);

/* ---- shared drawing helpers (view_common.c) ---- */

/*
 * The gate for strings from the system (process names, user and host
 * names): sanitize_text(), or sanitize_ascii() without UTF-8. raw need not
 * be NUL-terminated within rawlen. Returns dst.
 */
const char *view_clean(const struct uistate *st, char *dst, size_t dstlen,
		       const char *raw, size_t rawlen);
/* "127.0.0.1" / "::1" */
void fmt_addr(int family, const uint8_t *addr, char *buf, size_t len);
/* "127.0.0.1:5001" / "[::1]:5001" */
void fmt_addr_port(int family, const uint8_t *addr, unsigned port, char *buf,
		   size_t len);
/* "tcp" / "udp" */
const char *fmt_proto(unsigned proto);
/* "1.2k", "15M": a count in at most 5 columns */
void fmt_count(uint64_t n, char *buf, size_t len);
/*
 * Ports available: the count when exact (or the bound is not below the
 * estimate), else the sure lower bound and the estimate, "≥68 ~98" with
 * UTF-8 (st->utf8) and ">=68 ~98" without; each figure as fmt_count().
 */
void fmt_avail(const struct uistate *st, uint64_t min, uint64_t est, int exact,
	       char *buf, size_t len);
/* "45s", "12m", "3h", "-" */
void fmt_eta(double secs, char *buf, size_t len);
/* "tcp 10.0.0.1 -> 10.0.0.2:443" */
void fmt_dest(const struct dest_key *k, char *buf, size_t len);
/* A headroom bar of w cells for pct (0..100), coloured by level. */
void draw_bar(struct frame *f, int x, int y, int w, double pct, int selected);
/* Style for a headroom percentage. */
uint16_t headroom_style(double pct);
/* A short centred message in r (for areas too small or empty). */
void draw_note(struct frame *f, struct rect r, uint16_t style, const char *text);
/* Number of TCP states other than ESTABLISHED and TIME_WAIT. */
uint32_t dest_other(const struct snap_dest *d);
/* Index into procs of the owner of socket i, or -1 when none is known. */
long sock_owner(const struct snapshot *s, size_t i);
/* "1234 nginx", or "uid 33" for an owner row without a process. */
const char *fmt_owner(const struct uistate *st, const struct snap_proc *p, char *buf,
		      size_t len);

/*
 * The snapshot's socket indexes (struct snapshot): the sockets of dests[d]
 * or procs[p] as a run of the index, in sock_order's order. Return the
 * count and set *v; 0 (and *v NULL) for -1, an index out of range, or a
 * snapshot without the index.
 */
size_t dest_socks_of(const struct snapshot *s, long d, const uint32_t **v);
size_t proc_socks_of(const struct snapshot *s, long p, const uint32_t **v);
/*
 * The sockets with a local port in lo..hi among those of dests[dest] (every
 * socket when dest < 0), in sock_order's order: fn(v, n, arg) for each run
 * of them (one per local address), until fn returns nonzero. Binary
 * searches: the other sockets are not looked at. Returns -1 when the
 * snapshot has no index, else 0.
 */
int sock_port_spans(const struct snapshot *s, long dest, unsigned lo, unsigned hi,
		    int (*fn)(const uint32_t *v, size_t n, void *arg), void *arg);

/* 64-bit FNV-1a, for item keys. */
uint64_t hash_bytes(uint64_t h, const void *p, size_t n);
#define HASH_INIT 1469598103934665603ull

/* ---- the heatmap, also drawn as a strip inside a drill-down ---- */
/* Draw the port grid of the level's context into r (no cursor when
 * cursor == 0). Returns the grid rows used. */
int heatmap_grid(struct uistate *st, struct ui_level *lv, struct frame *f,
		 struct rect r, int cursor);

/* ---- screen (screen.c): the whole frame ---- */
/* Smallest terminal porttop draws anything but a notice in. */
#define SCREEN_MIN_W 20
#define SCREEN_MIN_H 5
void screen_render(struct uistate *st, struct frame *f);
/* The header, on as many lines as given; returns the lines used. */
int header_draw(struct uistate *st, struct frame *f, struct rect r);
int header_lines(const struct uistate *st, int h);

#endif
