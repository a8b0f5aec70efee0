#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "sanitize.h"
#include "uistate.h"
#include "view.h"

static const char *const top_names[VIEW_TOP_COUNT] = {
	[VIEW_DESTS] = "Destinations",
	[VIEW_HEATMAP] = "Heatmap",
	[VIEW_PROCS] = "Processes",
	[VIEW_SOCKS] = "Sockets",
	[VIEW_NAT] = "NAT",
	[VIEW_NETNS] = "Namespaces",
	[VIEW_ADVICE] = "Advice",
};

static void level_init(struct ui_level *lv, enum view_id view,
		       const struct ui_ctx *ctx, const char *label)
{
	const struct view_ops *ops = view_ops_of(view);

	memset(lv, 0, sizeof(*lv));
	lv->view = view;
	if (ctx)
		lv->ctx = *ctx;
	snprintf(lv->label, sizeof(lv->label), "%s", label ? label : ops->name);
	lv->sort_col = ops->default_sort;
	lv->page = 10;
	if (ctx && (ctx->flags & CTX_PORTS))
		lv->hm_port = ctx->port_lo;
}

static void level_release(struct ui_level *lv)
{
	free(lv->rows);
	lv->rows = NULL;
	lv->rows_cap = 0;
	lv->nrows = 0;
	lv->rows_valid = 0;
}

int uistate_init(struct uistate *st, double delay, int utf8)
{
	memset(st, 0, sizeof(*st));
	st->hm_cat = calloc(65536, 1);
	if (!st->hm_cat)
		return -ENOMEM;
	st->delay = delay > 0 ? delay : 1.0;
	st->utf8 = utf8;
	st->depth = 1;
	level_init(&st->stack[0], VIEW_DESTS, NULL, top_names[VIEW_DESTS]);
	return 0;
}

void uistate_release(struct uistate *st)
{
	int i;

	if (!st)
		return;
	for (i = 0; i < st->depth; i++)
		level_release(&st->stack[i]);
	free(st->hm_cat);
	st->hm_cat = NULL;
	free(st->sort_tmp);
	st->sort_tmp = NULL;
	st->sort_tmp_size = 0;
	sockindex_release(st->own_index);
	free(st->own_index);
	st->own_index = NULL;
	st->depth = 0;
}

void uistate_set_snapshot(struct uistate *st, const struct snapshot *snap)
{
	st->snap = snap;
	st->gen++;
	st->hm_valid = 0;
	if (!snap || (snap->sock_order && snap->port_class))
		return;
	st->own_snap = *snap;
	st->snap = &st->own_snap;
	if (!st->own_index) {
		st->own_index = malloc(sizeof(*st->own_index));
		if (!st->own_index)
			return;
		sockindex_init(st->own_index);
	}
	(void)sockindex_build_own(st->own_index, &st->own_snap);
}

struct ui_level *uistate_level(struct uistate *st)
{
	return &st->stack[st->depth - 1];
}

int uistate_push(struct uistate *st, enum view_id view, const struct ui_ctx *ctx,
		 const char *label)
{
	if (st->depth >= UI_MAX_DEPTH) {
		snprintf(st->msg, sizeof(st->msg), "cannot go deeper");
		return -ENOSPC;
	}
	level_init(&st->stack[st->depth], view, ctx, label);
	st->depth++;
	return 0;
}

void uistate_pop(struct uistate *st)
{
	if (st->depth <= 1)
		return;
	level_release(&st->stack[st->depth - 1]);
	st->depth--;
	/* The level below may have been drawn with an older snapshot. */
	st->stack[st->depth - 1].rows_valid = 0;
}

void uistate_switch_top(struct uistate *st, enum view_id view)
{
	if (view >= VIEW_TOP_COUNT)
		return;
	while (st->depth > 1)
		uistate_pop(st);
	if (st->stack[0].view == view)
		return;
	level_release(&st->stack[0]);
	level_init(&st->stack[0], view, NULL, top_names[view]);
}

/* >>> nat */
int uistate_view_shown(const struct uistate *st, enum view_id v)
{
	switch (v) {
	case VIEW_NAT:
		return st->stack[0].view == VIEW_NAT ||
		       (st->snap && (st->snap->ct.in_use || st->snap->ct.nnat));
	case VIEW_NETNS:
		return st->stack[0].view == VIEW_NETNS || st->netns_in_cycle;
	case VIEW_ADVICE:
		/* advice: Tab leaves it, never enters it (7 and a do) */
		return st->stack[0].view == VIEW_ADVICE;
	default:
		return v < VIEW_TOP_COUNT;
	}
}
/* <<< nat */

double uistate_delay_step(double cur, int dir)
{
	static const double steps[] = {
		0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 15, 30, 60, 120, 300,
	};
	size_t n = sizeof(steps) / sizeof(steps[0]), i;

	if (dir > 0) {
		for (i = 0; i < n; i++)
			if (steps[i] > cur * 1.001)
				return steps[i];
		return cur;
	}
	for (i = n; i-- > 0;)
		if (steps[i] < cur * 0.999)
			return steps[i];
	return cur;
}

const char *uistate_user(struct uistate *st, uint32_t uid)
{
	char raw[256];
	struct ui_user *u;
	unsigned i;

	for (i = 0; i < UI_USER_CACHE; i++)
		if (st->users[i].valid && st->users[i].uid == uid)
			return st->users[i].name;
	u = &st->users[st->users_next];
	st->users_next = (st->users_next + 1) % UI_USER_CACHE;
	u->valid = 1;
	u->uid = uid;
	if (st->user_lookup && st->user_lookup(uid, raw, sizeof(raw)) == 0 && raw[0]) {
		if (st->utf8)
			sanitize_text(u->name, sizeof(u->name), raw, strlen(raw));
		else
			sanitize_ascii(u->name, sizeof(u->name), raw, strlen(raw));
	} else {
		u->name[0] = '\0';
	}
	if (!u->name[0])
		snprintf(u->name, sizeof(u->name), "%u", (unsigned)uid);
	return u->name;
}

void dest_key_of(const struct snap_dest *d, struct dest_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->saddr, d->saddr, sizeof(k->saddr));
	memcpy(k->daddr, d->daddr, sizeof(k->daddr));
	k->dport = d->dport;
	k->family = d->family;
	k->proto = d->proto;
}

int dest_key_eq(const struct dest_key *a, const struct dest_key *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->dport == b->dport &&
	       memcmp(a->saddr, b->saddr, sizeof(a->saddr)) == 0 &&
	       memcmp(a->daddr, b->daddr, sizeof(a->daddr)) == 0;
}

long dest_find(const struct snapshot *s, const struct dest_key *k)
{
	struct dest_key dk;
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < s->ndests; i++) {
		dest_key_of(&s->dests[i], &dk);
		if (dest_key_eq(&dk, k))
			return (long)i;
	}
	return -1;
}

void proc_key_of(const struct snap_proc *p, struct proc_key *k)
{
	memset(k, 0, sizeof(*k));
	k->pid = p->pid;
	k->uid = p->uid;
	k->start_time = p->start_time;
	k->cgroup_id = p->cgroup_id;
}

long proc_find(const struct snapshot *s, const struct proc_key *k)
{
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < s->nprocs; i++) {
		const struct snap_proc *p = &s->procs[i];

		if (p->pid != k->pid || p->start_time != k->start_time)
			continue;
		/* pid 0 rows: the uid and cgroup are the identity. */
		if (k->pid == 0 && (p->uid != k->uid || p->cgroup_id != k->cgroup_id))
			continue;
		return (long)i;
	}
	return -1;
}

/* ---- the text prompt ---- */

static void edit_apply(struct uistate *st, int next)
{
	struct ui_level *lv = uistate_level(st);
	const struct view_ops *ops = view_ops_of(lv->view);

	if (st->edit == EDIT_FILTER) {
		if (strcmp(lv->filter, st->edit_buf) != 0) {
			snprintf(lv->filter, sizeof(lv->filter), "%s", st->edit_buf);
			lv->rows_valid = 0;
		}
	} else if (st->edit == EDIT_SEARCH) {
		snprintf(st->search, sizeof(st->search), "%s", st->edit_buf);
		if (st->search[0] && ops->search &&
		    !ops->search(st, lv, st->search, next))
			snprintf(st->msg, sizeof(st->msg), "not found");
	}
}

static void edit_backspace(char *buf)
{
	size_t n = strlen(buf);

	/* Drop one UTF-8 character: continuation bytes, then the lead. */
	while (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
		n--;
	if (n > 0)
		n--;
	buf[n] = '\0';
}

static void edit_append(char *buf, size_t size, uint32_t c)
{
	size_t n = strlen(buf);
	char tmp[4];
	size_t k;

	if (c < 0x80) {
		tmp[0] = (char)c;
		k = 1;
	} else if (c < 0x800) {
		tmp[0] = (char)(0xc0 | (c >> 6));
		tmp[1] = (char)(0x80 | (c & 0x3f));
		k = 2;
	} else if (c < 0x10000) {
		tmp[0] = (char)(0xe0 | (c >> 12));
		tmp[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		tmp[2] = (char)(0x80 | (c & 0x3f));
		k = 3;
	} else {
		tmp[0] = (char)(0xf0 | (c >> 18));
		tmp[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		tmp[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		tmp[3] = (char)(0x80 | (c & 0x3f));
		k = 4;
	}
	if (n + k >= size)
		return;
	memcpy(buf + n, tmp, k);
	buf[n + k] = '\0';
}

/* Returns 1 if the prompt took the key, 0 to handle it as a normal key. */
static int edit_key(struct uistate *st, int key)
{
	struct ui_level *lv = uistate_level(st);

	switch (key) {
	case UK_ENTER:
		st->edit = EDIT_NONE;
		return 1;
	case UK_ESC:
		if (st->edit == EDIT_FILTER) {
			st->edit_buf[0] = '\0';
			edit_apply(st, 0);
		}
		st->edit = EDIT_NONE;
		return 1;
	case UK_BACKSPACE:
	case UK_CTRL('h'):
		edit_backspace(st->edit_buf);
		edit_apply(st, 0);
		return 1;
	case UK_CTRL('u'):
		st->edit_buf[0] = '\0';
		edit_apply(st, 0);
		return 1;
	case UK_F(3):
		if (st->edit == EDIT_SEARCH) {
			edit_apply(st, 1);
			return 1;
		}
		break;
	case UK_F(4):
		if (st->edit == EDIT_FILTER) {
			st->edit = EDIT_NONE;
			return 1;
		}
		break;
	case UK_RESIZE:
		return 0;
	default:
		if (key >= 0x20 && key < UK_BASE && !(key >= 0x7f && key < 0xa0)) {
			edit_append(st->edit_buf, sizeof(st->edit_buf), (uint32_t)key);
			edit_apply(st, 0);
			return 1;
		}
		break;
	}
	(void)lv;
	/* Anything else (arrows, function keys) closes the prompt. */
	st->edit = EDIT_NONE;
	return 0;
}

static void sort_change(struct ui_level *lv, const struct view_ops *ops, int dir)
{
	lv->sort_col = (lv->sort_col + dir + ops->ncols) % ops->ncols;
	lv->invert = 0;
	lv->rows_valid = 0;
}

void uistate_key(struct uistate *st, int key)
{
	struct ui_level *lv = uistate_level(st);
	const struct view_ops *ops = view_ops_of(lv->view);
	enum ui_action a;

	st->msg[0] = '\0';
	if (st->edit != EDIT_NONE && edit_key(st, key))
		return;
	a = keys_action(key);
	switch (a) {
	case ACT_NONE:
		return;
	case ACT_QUIT:
		st->quit = 1;
		return;
	case ACT_HELP:
		if (lv->view == VIEW_HELP)
			uistate_pop(st);
		else
			uistate_push(st, VIEW_HELP, NULL, "Help");
		return;
	case ACT_VIEW_NEXT:
	case ACT_VIEW_PREV: {
		int v = (int)st->stack[0].view, n;

		/* nat: views with nothing to show are skipped */
		for (n = 0; n < VIEW_TOP_COUNT; n++) {
			v = (v + (a == ACT_VIEW_NEXT ? 1 : VIEW_TOP_COUNT - 1)) %
			    VIEW_TOP_COUNT;
			if (uistate_view_shown(st, (enum view_id)v))
				break;
		}
		uistate_switch_top(st, (enum view_id)v);
		return;
	}
	case ACT_VIEW_1:
	case ACT_VIEW_2:
	case ACT_VIEW_3:
	case ACT_VIEW_4:
	case ACT_VIEW_5:
	case ACT_VIEW_6:
	case ACT_VIEW_7:
		uistate_switch_top(st, (enum view_id)(a - ACT_VIEW_1));
		return;
	case ACT_BACK:
		if (st->depth > 1)
			uistate_pop(st);
		else if (lv->filter[0]) {
			lv->filter[0] = '\0';
			lv->rows_valid = 0;
		}
		return;
	case ACT_PAUSE:
		st->paused = !st->paused;
		return;
	case ACT_SLOWER:
	case ACT_FASTER:
		st->delay = uistate_delay_step(st->delay, a == ACT_SLOWER ? 1 : -1);
		snprintf(st->msg, sizeof(st->msg), "interval %gs", st->delay);
		return;
	case ACT_REDRAW:
		st->want_redraw = 1;
		return;
	case ACT_RESIZE:
		return;
	case ACT_SEARCH:
		if (!ops->search)
			return;
		if (st->edit == EDIT_SEARCH) {
			edit_apply(st, 1);
			return;
		}
		st->edit = EDIT_SEARCH;
		st->edit_buf[0] = '\0';
		return;
	case ACT_FILTER:
		if (!ops->cols)
			return;
		st->edit = EDIT_FILTER;
		snprintf(st->edit_buf, sizeof(st->edit_buf), "%s", lv->filter);
		return;
	case ACT_SORT_NEXT:
	case ACT_SORT_PREV:
		if (ops->cols && ops->ncols > 0)
			sort_change(lv, ops, a == ACT_SORT_NEXT ? 1 : -1);
		return;
	case ACT_INVERT:
		if (ops->cols) {
			lv->invert = !lv->invert;
			lv->rows_valid = 0;
		}
		return;
	default:
		break;
	}
	if (ops->action && ops->action(st, lv, a))
		return;
	if (a == ACT_ADVICE) {
		/* advice: the level's destination, else the worst one */
		advice_open(st, (lv->ctx.flags & CTX_DEST) ? &lv->ctx.dest : NULL);
		return;
	}
	if (ops->cols)
		list_move(st, lv, a);
}
