#ifndef PORTTOP_UISTATE_H
#define PORTTOP_UISTATE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "sockindex.h"

struct netns_list;   /* nat: engine/netns.h */

/*
 * uistate: everything the interactive UI remembers between frames (the
 * navigation stack behind the breadcrumb, cursors, sort order, filters,
 * the text prompt, pause and interval), and the handling of keys. Pure
 * logic: no curses, no clock, no I/O, so it is tested against frames.
 *
 * The snapshot is borrowed: the caller (ui.c, or a test) keeps it alive
 * and calls uistate_set_snapshot() whenever it changes, even when the
 * pointer stays the same. The views read the snapshot's indexes (sorted
 * sockets, per destination, per process, the port map): a snapshot made
 * without them (a test's) is copied and indexed here.
 */

#define UI_MAX_DEPTH 8
#define UI_TEXT_MAX 64

/* The top views, in Tab and number-key order, then the help screen.
 * VIEW_NAT and VIEW_NETNS are in the Tab cycle only when they have
 * something to show (uistate_view_shown()); 5 and 6 always reach them.
 * VIEW_ADVICE always has a tab but is reached by 7 (or a on a
 * destination), not by Tab. */
enum view_id {
	VIEW_DESTS = 0,
	VIEW_HEATMAP,
	VIEW_PROCS,
	VIEW_SOCKS,
	VIEW_NAT,                   /* nat: NAT destinations (conntrack) */
	VIEW_NETNS,                 /* nat: network namespaces */
	VIEW_ADVICE,                /* advice: the worst destination in words */
	VIEW_TOP_COUNT,
	VIEW_HELP = VIEW_TOP_COUNT,
	VIEW_COUNT
};

/* What identifies a destination across snapshots. */
struct dest_key {
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t dport;
	uint8_t family;
	uint8_t proto;
};

/* What identifies an owner row (a process, or pid 0: a uid and cgroup). */
struct proc_key {
	int pid;
	uint32_t uid;
	uint64_t start_time;
	uint64_t cgroup_id;
};

/* What a drill-down narrows a view to. */
enum ui_ctx_flags {
	CTX_DEST = 1 << 0,   /* sockets toward dest */
	CTX_PROC = 1 << 1,   /* sockets attributed to proc */
	CTX_PORTS = 1 << 2,  /* local ports port_lo..port_hi */
};

struct ui_ctx {
	unsigned flags;
	struct dest_key dest;
	struct proc_key proc;
	unsigned port_lo, port_hi;
};

struct ui_level {
	enum view_id view;
	struct ui_ctx ctx;
	char label[96];             /* breadcrumb text (already clean) */

	/* list views: rows = indices into the snapshot's array */
	size_t cursor, top;
	uint64_t sel_key;           /* the selected item, kept across samples */
	int sel_valid;
	int moved;                  /* cursor moved by a key since last sync */
	int page;                   /* rows visible at the last draw */
	int sort_col;
	int invert;
	char filter[UI_TEXT_MAX];
	uint32_t *rows;             /* owned */
	const uint32_t *ext_rows;   /* when rows_ext: the view's ordered rows
				       (the snapshot's, or lv->rows) */
	int rows_ext;
	int rows_rev;               /* the rows shown last first */
	int rows_keyed;             /* rows sorted by the view's sort_key */
	struct sock_rec sel_sock;   /* the sockets view's selected socket */
	size_t nrows, rows_cap;
	uint64_t rows_gen;
	int rows_valid;
	long ctx_dest;              /* index of ctx.dest in the snapshot, or -1 */
	long ctx_proc;              /* index of ctx.proc in the snapshot, or -1 */

	/* heatmap: the selected port, and the grid of the last draw */
	unsigned hm_port;
	int hm_cols;
	unsigned hm_bucket;
	int hm_grid_rows;
};

enum ui_edit {
	EDIT_NONE = 0,
	EDIT_SEARCH,
	EDIT_FILTER,
};

#define UI_USER_CACHE 32

struct ui_user {
	uint32_t uid;
	int valid;
	char name[32];              /* sanitised */
};

struct uistate {
	struct ui_level stack[UI_MAX_DEPTH];
	int depth;                  /* >= 1 */

	enum ui_edit edit;          /* a text prompt is open */
	char edit_buf[UI_TEXT_MAX];
	char search[UI_TEXT_MAX];

	int paused;
	double delay;               /* seconds between samples */
	int quit;
	int want_redraw;            /* Ctrl-L: repaint the whole terminal */

	const struct snapshot *snap;  /* borrowed (or own_snap); NULL
					 before the first */
	struct snapshot own_snap;   /* a copy of a snapshot without indexes */
	struct sockindex *own_index;  /* its indexes (owned) */
	uint64_t gen;               /* bumped by every uistate_set_snapshot() */
	void *sort_tmp;             /* scratch of the lists' keyed sorts */
	size_t sort_tmp_size;       /* in bytes */

	int utf8;                   /* glyphs: UTF-8 or 7-bit */
	int color;                  /* colours shown (else glyphs only) */
	char host[64];              /* sanitised host name */
	char error[160];            /* last sampling error, "" if none */
	double sample_ms;           /* time the last sample took */
	unsigned long samples;
	char msg[96];               /* one-shot notice for the next frame */

	/* heatmap cache: category per port, for one (snapshot, mode) */
	uint8_t *hm_cat;
	uint64_t hm_gen;
	int hm_valid;
	struct dest_key hm_dest;

	struct ui_user users[UI_USER_CACHE];
	unsigned users_next;
	/* uid -> name; replaceable for tests. Returns 0 and fills buf, or -1. */
	int (*user_lookup)(uint32_t uid, char *buf, size_t len);

	/* >>> nat: the namespaces view. ui.c lists the namespaces (borrowed
	 * here; it calls uistate_set_snapshot() when the list changes) and
	 * acts on netns_switch, which Enter in that view sets. */
	const struct netns_list *netns;  /* NULL: not listed (yet) */
	int netns_in_cycle;         /* Tab visits it (--all-netns) */
	uint64_t netns_switch;      /* inode Enter asked for, 0: none */
	char netns_label[80];       /* the namespace shown, when not
				       porttop's own ("router", "pid 42") */
	/* <<< nat */
};

/* Start on the destinations view. Returns 0 or -ENOMEM. */
int uistate_init(struct uistate *st, double delay, int utf8);
void uistate_release(struct uistate *st);

/* Show snap from the next frame on (NULL: none yet). A snapshot without
 * indexes is indexed on a copy; when memory for that runs out the views
 * that need them say so. */
void uistate_set_snapshot(struct uistate *st, const struct snapshot *snap);

/* Handle one key (enum ui_key or a code point). */
void uistate_key(struct uistate *st, int key);

struct ui_level *uistate_level(struct uistate *st);

/* Navigation. push returns 0, or -ENOSPC when the stack is full. */
int uistate_push(struct uistate *st, enum view_id view, const struct ui_ctx *ctx,
		 const char *label);
void uistate_pop(struct uistate *st);
void uistate_switch_top(struct uistate *st, enum view_id view);

/* nat: 1 when top view v has a tab and a place in the Tab cycle: the
 * four socket views always; NAT when conntrack is in use; namespaces with
 * --all-netns (netns_in_cycle) or while it is the view shown. */
int uistate_view_shown(const struct uistate *st, enum view_id v);

/* The next interval for + (dir > 0) or - (dir < 0). */
double uistate_delay_step(double cur, int dir);

/* User name of a uid (cached), or the number as text. */
const char *uistate_user(struct uistate *st, uint32_t uid);

/* Key of a destination and lookups (index, or -1). */
void dest_key_of(const struct snap_dest *d, struct dest_key *k);
int dest_key_eq(const struct dest_key *a, const struct dest_key *b);
long dest_find(const struct snapshot *s, const struct dest_key *k);
void proc_key_of(const struct snap_proc *p, struct proc_key *k);
long proc_find(const struct snapshot *s, const struct proc_key *k);

#endif
