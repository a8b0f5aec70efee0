#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockindex.h"
#include "view.h"

/*
 * Sockets: the raw list behind every number. At the top level it lists
 * every socket; in a drill-down only those of the level's context (a
 * destination, a process, a port range), with a summary above the list.
 */

enum {
	SC_PROTO, SC_STATE, SC_LOCAL, SC_REMOTE, SC_USER, SC_TIMER, SC_PROC, SC_COUNT
};

static const struct col_def sock_cols[SC_COUNT] = {
	[SC_PROTO] = { "PROTO", 5, 5, 5, AL_LEFT, CUT_RIGHT, 0 },
	[SC_STATE] = { "STATE", 11, 11, 0, AL_LEFT, CUT_RIGHT, 0 },
	[SC_LOCAL] = { "LOCAL", 15, 47, 0, AL_LEFT, CUT_LEFT, 0 },
	[SC_REMOTE] = { "REMOTE", 15, 47, 1, AL_LEFT, CUT_LEFT, 0 },
	[SC_USER] = { "USER", 6, 12, 2, AL_LEFT, CUT_RIGHT, 0 },
	[SC_TIMER] = { "TIMER", 6, 6, 3, AL_RIGHT, CUT_RIGHT, 1 },
	[SC_PROC] = { "PROCESS", 9, 24, 4, AL_LEFT, CUT_RIGHT, 0 },
};

static const struct fkey sock_fkeys[] = {
	{ "F1", "Help" }, { "Enter", "Dest" }, { "Esc", "Back" },
	{ "F3", "Search" }, { "F4", "Filter" }, { "F6", "Sort" },
	{ "Space", "Pause" }, { "Tab", "View" },
	{ "F10", "Quit" }, { NULL, NULL },
};

static const struct fkey sock_dest_fkeys[] = {
	{ "F1", "Help" }, { "m", "Map" }, { "Esc", "Back" },
	{ "F3", "Search" }, { "F4", "Filter" }, { "F6", "Sort" },
	{ "Space", "Pause" }, { "Tab", "View" }, { "F10", "Quit" },
	{ NULL, NULL },
};

static const struct fkey *sock_fkeys_for(const struct ui_level *lv)
{
	return (lv->ctx.flags & CTX_DEST) ? sock_dest_fkeys : sock_fkeys;
}

static size_t sock_count(struct uistate *st, struct ui_level *lv)
{
	lv->ctx_dest = -1;
	lv->ctx_proc = -1;
	if (!st->snap)
		return 0;
	if (lv->ctx.flags & CTX_DEST)
		lv->ctx_dest = dest_find(st->snap, &lv->ctx.dest);
	if (lv->ctx.flags & CTX_PROC)
		lv->ctx_proc = proc_find(st->snap, &lv->ctx.proc);
	return st->snap->nsocks;
}

static int sock_include(struct uistate *st, const struct ui_level *lv, uint32_t i)
{
	const struct snapshot *s = st->snap;
	const struct sock_rec *r = &s->socks[i];

	if (lv->ctx.flags & CTX_DEST) {
		if (lv->ctx_dest < 0 || !s->sock_dest ||
		    s->sock_dest[i] != (uint32_t)lv->ctx_dest)
			return 0;
	}
	if ((lv->ctx.flags & CTX_PROC) &&
	    (lv->ctx_proc < 0 || sock_owner(s, i) != lv->ctx_proc))
		return 0;
	if ((lv->ctx.flags & CTX_PORTS) &&
	    (r->sport < lv->ctx.port_lo || r->sport > lv->ctx.port_hi))
		return 0;
	return 1;
}

static int cmp_u(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* A remote IPv4 address with nothing past its four bytes. */
static int remote_plain_ipv4(const struct sock_rec *r)
{
	static const uint8_t zero[12];

	return r->family == AF_INET && memcmp(r->daddr + 4, zero, sizeof(zero)) == 0;
}

static int sock_cmp(const struct uistate *st, uint32_t ia, uint32_t ib, int col)
{
	const struct sock_rec *a = &st->snap->socks[ia], *b = &st->snap->socks[ib];
	int r;

	switch (col) {
	case SC_PROTO:
		r = cmp_u(a->proto, b->proto);
		return r ? r : cmp_u(a->family, b->family);
	case SC_STATE:
		return cmp_u(a->state, b->state);
	case SC_LOCAL:   /* the order of the snapshot's sock_order */
		return sockindex_cmp_local(a, b);
	case SC_REMOTE:   /* plain IPv4 first, as sock_sort_key() needs */
		r = remote_plain_ipv4(b) - remote_plain_ipv4(a);
		if (!r)
			r = cmp_u(a->family, b->family);
		if (!r)
			r = memcmp(a->daddr, b->daddr, sizeof(a->daddr));
		return r ? r : cmp_u(a->dport, b->dport);
	case SC_USER:
		return cmp_u(a->uid, b->uid);
	case SC_TIMER:
		return cmp_u(a->expires_ms, b->expires_ms);
	case SC_PROC: {
		long oa = sock_owner(st->snap, ia), ob = sock_owner(st->snap, ib);
		int pa = oa < 0 ? -1 : st->snap->procs[oa].pid;
		int pb = ob < 0 ? -1 : st->snap->procs[ob].pid;

		return pa < pb ? -1 : pa > pb;
	}
	default:
		return 0;
	}
}

/*
 * sock_cmp()'s order as a number, so that sorting 100,000 sockets is a
 * radix sort of their ordered rows. REMOTE has one for plain IPv4 only
 * (address, port): any other address sorts with sock_cmp().
 */
static int sock_sort_key(const struct uistate *st, uint32_t i, int col, uint64_t *key)
{
	const struct sock_rec *r = &st->snap->socks[i];

	switch (col) {
	case SC_PROTO:
		*key = (uint64_t)r->proto << 8 | r->family;
		return 1;
	case SC_STATE:
		*key = r->state;
		return 1;
	case SC_REMOTE:
		if (!remote_plain_ipv4(r))
			return 0;
		*key = (uint64_t)((uint32_t)r->daddr[0] << 24 | (uint32_t)r->daddr[1] << 16 |
				  (uint32_t)r->daddr[2] << 8 | r->daddr[3]) << 16 | r->dport;
		return 1;
	case SC_USER:
		*key = r->uid;
		return 1;
	case SC_TIMER:
		*key = r->expires_ms;
		return 1;
	case SC_PROC: {
		long o = sock_owner(st->snap, i);
		int pid = o < 0 ? -1 : st->snap->procs[o].pid;

		/* Signed order as unsigned: the sign bit flipped. */
		*key = (uint32_t)pid ^ UINT32_C(0x80000000);
		return 1;
	}
	default:
		return 0;
	}
}

static uint64_t sock_hash(const struct uistate *st, uint32_t i)
{
	const struct sock_rec *r = &st->snap->socks[i];
	uint64_t h = HASH_INIT;

	if (r->cookie)
		return hash_bytes(h, &r->cookie, sizeof(r->cookie));
	h = hash_bytes(h, &r->proto, 1);
	h = hash_bytes(h, &r->family, 1);
	h = hash_bytes(h, r->saddr, sizeof(r->saddr));
	h = hash_bytes(h, r->daddr, sizeof(r->daddr));
	h = hash_bytes(h, &r->sport, sizeof(r->sport));
	return hash_bytes(h, &r->dport, sizeof(r->dport));
}

/* The same socket (across snapshots): the cookie, else the 4-tuple. */
static int sock_same(const struct sock_rec *a, const struct sock_rec *b)
{
	if (a->cookie || b->cookie)
		return a->cookie == b->cookie;
	return a->proto == b->proto && a->family == b->family && a->sport == b->sport &&
	       a->dport == b->dport && memcmp(a->saddr, b->saddr, sizeof(a->saddr)) == 0 &&
	       memcmp(a->daddr, b->daddr, sizeof(a->daddr)) == 0;
}

struct span_rows {
	struct ui_level *lv;
	size_t n;
	int err;
};

static int span_rows_add(const uint32_t *v, size_t n, void *arg)
{
	struct span_rows *sr = arg;

	if (list_rows_reserve(sr->lv, sr->n + n) < 0) {
		sr->err = -ENOMEM;
		return 1;
	}
	memcpy(sr->lv->rows + sr->n, v, n * sizeof(*v));
	sr->n += n;
	return 0;
}

/* The level's sockets by local address, from the snapshot's indexes. */
static int sock_ordered(struct uistate *st, struct ui_level *lv, const uint32_t **rows,
			size_t *n)
{
	const struct snapshot *s = st->snap;
	struct span_rows sr = { lv, 0, 0 };

	if (!s || !s->sock_order)
		return 0;
	switch (lv->ctx.flags & (CTX_DEST | CTX_PROC | CTX_PORTS)) {
	case 0:
		*rows = s->sock_order;
		*n = s->nsocks;
		return 1;
	case CTX_DEST:
		*n = dest_socks_of(s, lv->ctx_dest, rows);
		return 1;
	case CTX_PROC:
		if (!s->sock_proc)
			return 0;   /* the empty note explains */
		*n = proc_socks_of(s, lv->ctx_proc, rows);
		return 1;
	case CTX_PORTS:
	case CTX_PORTS | CTX_DEST:
		if ((lv->ctx.flags & CTX_DEST) && lv->ctx_dest < 0) {
			*n = 0;
			return 1;
		}
		if (sock_port_spans(s, (lv->ctx.flags & CTX_DEST) ? lv->ctx_dest : -1,
				    lv->ctx.port_lo, lv->ctx.port_hi, span_rows_add, &sr) < 0)
			return 0;
		if (sr.err)
			return sr.err;
		*rows = lv->rows;
		*n = sr.n;
		return 1;
	default:
		return 0;
	}
}

static void sock_remember(struct uistate *st, struct ui_level *lv, uint32_t i)
{
	lv->sel_sock = st->snap->socks[i];
}

/* The remembered socket in rows (ordered by sockindex_cmp_local()). */
static long sock_seek(const struct uistate *st, const struct ui_level *lv,
		      const uint32_t *rows, size_t n)
{
	const struct sock_rec *want = &lv->sel_sock;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sockindex_cmp_local(&st->snap->socks[rows[mid]], want) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n; lo++) {
		const struct sock_rec *r = &st->snap->socks[rows[lo]];

		if (sockindex_cmp_local(r, want) != 0)
			break;
		if (sock_same(r, want))
			return (long)lo;
	}
	return -1;
}

static const char *sock_user(struct uistate *st, uint32_t i, char *buf, size_t len)
{
	const struct sock_rec *r = &st->snap->socks[i];
	long o = sock_owner(st->snap, i);

	/* TIME_WAIT has no owner in the kernel (it reports uid 0): the user
	 * is the attributed process's, or unknown. */
	if (r->proto == IPPROTO_TCP && r->state == SOCK_TIME_WAIT) {
		const struct snap_proc *p;

		if (o < 0)
			return "-";
		p = &st->snap->procs[o];
		if (p->user[0])
			return view_clean(st, buf, len, p->user, sizeof(p->user));
		return uistate_user(st, p->uid);
	}
	return uistate_user(st, r->uid);
}

static const char *sock_proc_text(struct uistate *st, uint32_t i, char *buf, size_t len)
{
	long o = sock_owner(st->snap, i);

	if (o < 0)
		return "";
	return fmt_owner(st, &st->snap->procs[o], buf, len);
}

static const char *sock_cell(struct uistate *st, const struct ui_level *lv, uint32_t i,
			     int col, char *buf, size_t len, uint16_t *style)
{
	const struct sock_rec *r = &st->snap->socks[i];

	(void)lv;
	switch (col) {
	case SC_PROTO:
		snprintf(buf, len, "%s%s", fmt_proto(r->proto),
			 r->family == AF_INET6 ? "6" : "");
		return buf;
	case SC_STATE:
		if (r->proto == IPPROTO_UDP)
			return r->state == SOCK_ESTABLISHED ? "CONNECTED" : "UNCONN";
		if (r->state == SOCK_TIME_WAIT)
			*style = ST_HM_TW;
		else if (r->state == SOCK_ESTABLISHED)
			*style = ST_HM_EST;
		else if (r->state == SOCK_LISTEN || r->state == SOCK_BOUND)
			*style = ST_HM_OWNED;
		return sock_state_name(r->state);
	case SC_LOCAL:
		fmt_addr_port(r->family, r->saddr, r->sport, buf, len);
		return buf;
	case SC_REMOTE:
		if (r->dport == 0 && sock_addr_is_any(r->family, r->daddr))
			return "*";
		fmt_addr_port(r->family, r->daddr, r->dport, buf, len);
		return buf;
	case SC_USER:
		return sock_user(st, i, buf, len);
	case SC_TIMER:
		if (!r->expires_ms)
			return "";
		snprintf(buf, len, "%us", (unsigned)((r->expires_ms + 999) / 1000));
		return buf;
	case SC_PROC:
		return sock_proc_text(st, i, buf, len);
	default:
		return "";
	}
}

static void sock_match_text(struct uistate *st, uint32_t i, char *buf, size_t len)
{
	const struct sock_rec *r = &st->snap->socks[i];
	char l[80], d[80], p[96], u[80];

	fmt_addr_port(r->family, r->saddr, r->sport, l, sizeof(l));
	fmt_addr_port(r->family, r->daddr, r->dport, d, sizeof(d));
	snprintf(buf, len, "%s %s %s %s %s %s", fmt_proto(r->proto),
		 sock_state_name(r->state), l, d, sock_user(st, i, u, sizeof(u)),
		 sock_proc_text(st, i, p, sizeof(p)));
}

static const char *sock_empty(const struct uistate *st, const struct ui_level *lv)
{
	if (lv->filter[0])
		return NULL;
	if (!st->snap)
		return "(waiting for the first sample)";
	if ((lv->ctx.flags & CTX_DEST) && lv->ctx_dest < 0)
		return "This destination has no sockets any more.";
	if ((lv->ctx.flags & CTX_PROC) && !st->snap->sock_proc)
		return "This snapshot does not map sockets to processes.";
	if ((lv->ctx.flags & CTX_PROC) && lv->ctx_proc < 0)
		return "This process holds no socket any more.";
	return "(no sockets)";
}

struct tally {
	long key;
	uint32_t n;
};

#define TALLY_MAX 32

/* Count key in t (n entries); keys past TALLY_MAX go to *more. */
static void tally_add(struct tally *t, size_t *n, long key, uint32_t *more)
{
	size_t k;

	for (k = 0; k < *n; k++)
		if (t[k].key == key) {
			t[k].n++;
			return;
		}
	if (*n == TALLY_MAX) {
		(*more)++;
		return;
	}
	t[*n].key = key;
	t[*n].n = 1;
	(*n)++;
}

static int tally_cmp(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	return x->n > y->n ? -1 : x->n < y->n;
}

/*
 * Owners of the destination's sockets: by process when the snapshot
 * attributes sockets, else by uid (TIME_WAIT apart: it has no uid).
 */
static void owners_line(struct uistate *st, struct ui_level *lv, char *buf, size_t len)
{
	struct tally t[TALLY_MAX];
	size_t nt = 0, i, k, pos;
	uint32_t more = 0, tw_unknown = 0, unknown = 0;
	const struct snapshot *s = st->snap;
	int by_proc = s->sock_proc != NULL;
	char name[96];
	const uint32_t *v;
	size_t n = dest_socks_of(s, lv->ctx_dest, &v);

	if (!s->dest_first) {
		snprintf(buf, len, "Owners: not known (out of memory)");
		return;
	}
	for (i = 0; i < n; i++) {
		const struct sock_rec *r = &s->socks[v[i]];
		int tw = r->state == SOCK_TIME_WAIT;
		long o;

		o = by_proc ? sock_owner(s, v[i]) : (tw ? -1 : (long)r->uid);
		if (o < 0) {
			if (tw)
				tw_unknown++;
			else
				unknown++;
			continue;
		}
		tally_add(t, &nt, o, &more);
	}
	qsort(t, nt, sizeof(t[0]), tally_cmp);
	pos = (size_t)snprintf(buf, len, "Owners:");
	for (k = 0; k < nt && k < 3 && pos < len; k++) {
		const char *who = by_proc ? fmt_owner(st, &s->procs[t[k].key], name, sizeof(name))
					  : uistate_user(st, (uint32_t)t[k].key);

		pos += (size_t)snprintf(buf + pos, len - pos, " %s (%u)%s", who,
					(unsigned)t[k].n, k + 1 < nt && k < 2 ? "," : "");
	}
	if (nt > 3 && pos < len)
		pos += (size_t)snprintf(buf + pos, len - pos, " +%zu more", nt - 3);
	if (!nt && pos < len)
		pos += (size_t)snprintf(buf + pos, len - pos, " none known");
	if (unknown && pos < len)
		pos += (size_t)snprintf(buf + pos, len - pos, "; %u sockets of no known owner",
					(unsigned)unknown);
	if (pos < len)
		snprintf(buf + pos, len - pos, "; %u TIME_WAIT %s", (unsigned)tw_unknown,
			 by_proc ? "of no known process" : "(owned by no process)");
	(void)more;
}

/* The destinations of a process's sockets, most sockets first. */
static int proc_dests(struct uistate *st, struct ui_level *lv, struct frame *f,
		      struct rect r)
{
	struct tally t[TALLY_MAX];
	size_t nt = 0, i, k;
	uint32_t more = 0, none = 0;
	const struct snapshot *s = st->snap;
	char dk[128], av[40];
	int y = r.y;
	const uint32_t *v;
	size_t n = proc_socks_of(s, lv->ctx_proc, &v);

	for (i = 0; i < n; i++) {
		uint32_t d = s->sock_dest ? s->sock_dest[v[i]] : SNAP_NO_DEST;

		if (d == SNAP_NO_DEST || d >= s->ndests) {
			none++;
			continue;
		}
		tally_add(t, &nt, (long)d, &more);
	}
	qsort(t, nt, sizeof(t[0]), tally_cmp);
	for (k = 0; k < nt && y < r.y + r.h; k++) {
		const struct snap_dest *d = &s->dests[t[k].key];
		struct dest_key key;

		dest_key_of(d, &key);
		fmt_dest(&key, dk, sizeof(dk));
		if (k + 1 == (size_t)r.h && nt > k + 1) {
			frame_printf(f, r.x, y++, r.w, ST_DIM, "  ... %zu more destinations",
				     nt - k);
			break;
		}
		fmt_avail(st, d->available_min, d->available, d->exact, av, sizeof(av));
		frame_printf(f, r.x, y, r.w, ST_NORMAL, "  %u to %s, available %s (%.1f%%)",
			     (unsigned)t[k].n, dk, av, d->headroom_pct);
		y++;
	}
	if (none && y < r.y + r.h)
		frame_printf(f, r.x, y++, r.w, ST_DIM, "  %u sockets toward no destination "
			     "(listening, bound, UDP)", (unsigned)none);
	return y - r.y;
}

/* Summary lines above a drill-down list; returns the rows used. */
static int sock_summary(struct uistate *st, struct ui_level *lv, struct frame *f,
			struct rect r)
{
	char buf[256], eta[16], av[40];
	int y = r.y;

	if (!st->snap || r.h < 6)
		return 0;
	if (lv->ctx.flags & CTX_DEST) {
		const struct snap_dest *d;

		if (lv->ctx_dest < 0)
			return 0;
		d = &st->snap->dests[lv->ctx_dest];
		fmt_eta(d->eta_s, eta, sizeof(eta));
		fmt_avail(st, d->available_min, d->available, d->exact, av, sizeof(av));
		/* reusable TIME_WAIT entries are in use and, being reusable,
		 * part of the available ports too */
		frame_printf(f, r.x, y++, r.w, ST_NORMAL,
			     "TIME_WAIT %u (%u reusable)  ESTABLISHED %u  other %u  in use %u",
			     (unsigned)d->states[SOCK_TIME_WAIT], (unsigned)d->reusable,
			     (unsigned)d->states[SOCK_ESTABLISHED],
			     (unsigned)dest_other(d), (unsigned)d->in_use);
		frame_printf(f, r.x, y, r.w, ST_NORMAL,
			     "Available %s of %u (%.1f%%)  close rate %.1f/s  exhausted in %s",
			     av, (unsigned)st->snap->usable,
			     d->headroom_pct, d->close_rate, eta);
		frame_set_attr(f, (struct rect){ r.x, y, 9, 1 }, headroom_style(d->headroom_pct));
		y++;
		owners_line(st, lv, buf, sizeof(buf));
		frame_text(f, r.x, y++, r.w, ST_DIM, buf);
		/* The destination's own heatmap, as a strip. */
		if (r.h >= 14) {
			int rows = r.h / 4;

			y += heatmap_grid(st, lv, f, (struct rect){ r.x, y, r.w, rows }, 0);
		}
		return y - r.y;
	}
	if (lv->ctx.flags & CTX_PROC) {
		const struct snap_proc *p;
		char user[80], unit[sizeof(p->unit) * 2], cmd[sizeof(p->cmdline) * 2];
		int lines;

		if (lv->ctx_proc < 0) {
			frame_text(f, r.x, y++, r.w, ST_DIM, "This process is gone.");
			return y - r.y;
		}
		p = &st->snap->procs[lv->ctx_proc];
		if (p->user[0])
			view_clean(st, user, sizeof(user), p->user, sizeof(p->user));
		else
			snprintf(user, sizeof(user), "%s", uistate_user(st, p->uid));
		view_clean(st, unit, sizeof(unit), p->unit, sizeof(p->unit));
		view_clean(st, cmd, sizeof(cmd), p->cmdline, sizeof(p->cmdline));
		frame_printf(f, r.x, y++, r.w, ST_NORMAL,
			     "%u sockets  %u TIME_WAIT  %u closing  %u destinations  user %s%s%s",
			     (unsigned)p->sockets, (unsigned)p->time_wait, (unsigned)p->closing,
			     (unsigned)p->destinations, user, unit[0] ? "  " : "", unit);
		if (cmd[0])
			frame_text(f, r.x, y++, r.w, ST_DIM, cmd);
		lines = (r.h - (y - r.y)) / 3;
		if (lines > 0)
			y += proc_dests(st, lv, f, (struct rect){ r.x, y, r.w, lines });
		return y - r.y;
	}
	if (lv->ctx.flags & CTX_PORTS) {
		frame_printf(f, r.x, y++, r.w, ST_NORMAL, "Local ports %u-%u%s",
			     lv->ctx.port_lo, lv->ctx.port_hi,
			     (lv->ctx.flags & CTX_DEST) ? "" : ", every destination");
		return y - r.y;
	}
	return 0;
}

static void sock_draw(struct uistate *st, struct ui_level *lv, struct frame *f,
		      struct rect r)
{
	int used;

	list_sync(st, lv);
	used = sock_summary(st, lv, f, r);
	r.y += used;
	r.h -= used;
	list_draw(st, lv, f, r);
}

static int sock_action(struct uistate *st, struct ui_level *lv, enum ui_action a)
{
	struct ui_ctx ctx;
	char label[96];
	long i;
	uint32_t d;

	if (a != ACT_ENTER && a != ACT_MAP)
		return 0;
	if (a == ACT_MAP && (lv->ctx.flags & CTX_DEST)) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.flags = CTX_DEST;
		ctx.dest = lv->ctx.dest;
		uistate_push(st, VIEW_HEATMAP, &ctx, "Map");
		return 1;
	}
	/* Enter on a socket: its destination, unless that is where we are. */
	i = list_current(st, lv);
	if (i < 0 || !st->snap->sock_dest)
		return 1;
	d = st->snap->sock_dest[i];
	if (d == SNAP_NO_DEST || d >= st->snap->ndests ||
	    ((lv->ctx.flags & CTX_DEST) && (long)d == lv->ctx_dest)) {
		snprintf(st->msg, sizeof(st->msg), "this socket has no other destination view");
		return 1;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.flags = CTX_DEST;
	dest_key_of(&st->snap->dests[d], &ctx.dest);
	fmt_dest(&ctx.dest, label, sizeof(label));
	uistate_push(st, VIEW_SOCKS, &ctx, label);
	return 1;
}

const struct view_ops view_socks_ops = {
	.name = "Sockets",
	.min_w = 40,
	.min_h = 2,
	.fkeys = sock_fkeys,
	.fkeys_for = sock_fkeys_for,
	.draw = sock_draw,
	.action = sock_action,
	.cols = sock_cols,
	.ncols = SC_COUNT,
	.default_sort = SC_LOCAL,
	.count = sock_count,
	.include = sock_include,
	.cell = sock_cell,
	.cmp = sock_cmp,
	.key = sock_hash,
	.match_text = sock_match_text,
	.search = list_search,
	.empty_note = sock_empty,
	.ordered = sock_ordered,
	.remember = sock_remember,
	.seek = sock_seek,
	.sort_key = sock_sort_key,
};
