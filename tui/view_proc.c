#include "config.h"

#include <stdio.h>
#include <string.h>

#include "view.h"

/*
 * Processes: one row per owner of sockets: a process, or (pid 0) the
 * sockets known only by their uid and cgroup. TIME_WAIT entries count for
 * the process the model attributed them to.
 */

enum {
	PC_PID, PC_USER, PC_COMM, PC_SOCKS, PC_TW, PC_DESTS, PC_CLOSING, PC_UNIT,
	PC_CMDLINE, PC_COUNT
};

static const struct col_def proc_cols[PC_COUNT] = {
	[PC_PID] = { "PID", 7, 7, 0, AL_RIGHT, CUT_RIGHT, 0, 0 },
	[PC_USER] = { "USER", 8, 16, 2, AL_LEFT, CUT_RIGHT, 0, 0 },
	[PC_COMM] = { "COMMAND", 12, 24, 0, AL_LEFT, CUT_RIGHT, 0, 0 },
	[PC_SOCKS] = { "SOCKETS", 8, 8, 1, AL_RIGHT, CUT_RIGHT, 1, 0 },
	[PC_TW] = { "TIME_WAIT", 10, 10, 0, AL_RIGHT, CUT_RIGHT, 1, 0 },
	[PC_DESTS] = { "DESTS", 6, 6, 1, AL_RIGHT, CUT_RIGHT, 1, 0 },
	[PC_CLOSING] = { "CLOSING", 8, 8, 5, AL_RIGHT, CUT_RIGHT, 1, 0 },
	[PC_UNIT] = { "UNIT", 8, 32, 6, AL_LEFT, CUT_RIGHT, 0, 0 },
	[PC_CMDLINE] = { "CMDLINE", 8, 256, 4, AL_LEFT, CUT_RIGHT, 0, 1 },
};

static const struct fkey proc_fkeys[] = {
	{ "F1", "Help" }, { "Enter", "Sockets" }, { "F3", "Search" },
	{ "F4", "Filter" }, { "F6", "Sort" }, { "I", "Invert" },
	{ "Space", "Pause" }, { "Tab", "View" }, { "F10", "Quit" },
	{ NULL, NULL },
};

static size_t proc_count(struct uistate *st, struct ui_level *lv)
{
	(void)lv;
	return st->snap ? st->snap->nprocs : 0;
}

static int cmp_u(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int proc_cmp(const struct uistate *st, uint32_t ia, uint32_t ib, int col)
{
	const struct snap_proc *a = &st->snap->procs[ia], *b = &st->snap->procs[ib];

	switch (col) {
	case PC_PID:
		return a->pid < b->pid ? -1 : a->pid > b->pid;
	case PC_USER:
		return strncmp(a->user, b->user, sizeof(a->user));
	case PC_COMM:
		return strncmp(a->comm, b->comm, sizeof(a->comm));
	case PC_SOCKS:
		return cmp_u(a->sockets, b->sockets);
	case PC_TW:
		return cmp_u(a->time_wait, b->time_wait);
	case PC_DESTS:
		return cmp_u(a->destinations, b->destinations);
	case PC_CLOSING:
		return cmp_u(a->closing, b->closing);
	case PC_UNIT:
		return strncmp(a->unit, b->unit, sizeof(a->unit));
	case PC_CMDLINE:
		return strncmp(a->cmdline, b->cmdline, sizeof(a->cmdline));
	default:
		return 0;
	}
}

static uint64_t proc_hash(const struct uistate *st, uint32_t i)
{
	struct proc_key k;

	proc_key_of(&st->snap->procs[i], &k);
	return hash_bytes(HASH_INIT, &k, sizeof(k));
}

/* The user of an owner row: its name when the model has one. */
static const char *proc_user(struct uistate *st, const struct snap_proc *p, char *buf,
			     size_t len)
{
	if (p->user[0])
		return view_clean(st, buf, len, p->user, sizeof(p->user));
	return uistate_user(st, p->uid);
}

static const char *proc_cell(struct uistate *st, const struct ui_level *lv, uint32_t i,
			     int col, char *buf, size_t len, uint16_t *style)
{
	const struct snap_proc *p = &st->snap->procs[i];

	(void)lv;
	switch (col) {
	case PC_PID:
		if (p->pid == 0)
			return "-";
		snprintf(buf, len, "%d", p->pid);
		return buf;
	case PC_USER:
		return proc_user(st, p, buf, len);
	case PC_COMM:
		if (p->pid == 0) {
			*style = ST_DIM;
			return "(no process)";
		}
		return view_clean(st, buf, len, p->comm, sizeof(p->comm));
	case PC_SOCKS:
		fmt_count(p->sockets, buf, len);
		return buf;
	case PC_TW:
		fmt_count(p->time_wait, buf, len);
		return buf;
	case PC_DESTS:
		fmt_count(p->destinations, buf, len);
		return buf;
	case PC_CLOSING:
		fmt_count(p->closing, buf, len);
		return buf;
	case PC_UNIT:
		return view_clean(st, buf, len, p->unit, sizeof(p->unit));
	case PC_CMDLINE:
		return view_clean(st, buf, len, p->cmdline, sizeof(p->cmdline));
	default:
		return "";
	}
}

static void proc_match_text(struct uistate *st, uint32_t i, char *buf, size_t len)
{
	const struct snap_proc *p = &st->snap->procs[i];
	char comm[sizeof(p->comm) * 2], user[sizeof(p->user) * 2];
	char unit[sizeof(p->unit) * 2], cmd[sizeof(p->cmdline) * 2];

	view_clean(st, comm, sizeof(comm), p->comm, sizeof(p->comm));
	view_clean(st, unit, sizeof(unit), p->unit, sizeof(p->unit));
	view_clean(st, cmd, sizeof(cmd), p->cmdline, sizeof(p->cmdline));
	snprintf(buf, len, "%d %s %s %s %s", p->pid, proc_user(st, p, user, sizeof(user)),
		 comm, unit, cmd);
}

static const char *proc_empty(const struct uistate *st, const struct ui_level *lv)
{
	(void)lv;
	if (!st->snap)
		return "(waiting for the first sample)";
	return NULL;
}

static void proc_draw(struct uistate *st, struct ui_level *lv, struct frame *f,
		      struct rect r)
{
	const struct snapshot *s = st->snap;

	if (s && s->nprocs == 0) {
		/* Say why rather than draw an empty table. */
		frame_text(f, r.x + 1, r.y, r.w - 1, ST_DIM,
			   "No process information in this sample (sockets not attributed yet).");
		return;
	}
	/* What no process could be found for, under the table. */
	if (s && r.h >= 6 && (s->unattributed_time_wait || s->unattributed_sockets)) {
		frame_printf(f, r.x, r.y + r.h - 1, r.w, ST_DIM,
			     "Of no known process: %u sockets, %u TIME_WAIT entries",
			     (unsigned)s->unattributed_sockets,
			     (unsigned)s->unattributed_time_wait);
		r.h--;
	}
	list_draw(st, lv, f, r);
}

static int proc_action(struct uistate *st, struct ui_level *lv, enum ui_action a)
{
	struct ui_ctx ctx;
	char label[96];
	const struct snap_proc *p;
	long i;

	if (a != ACT_ENTER)
		return 0;
	i = list_current(st, lv);
	if (i < 0)
		return 1;
	p = &st->snap->procs[i];
	memset(&ctx, 0, sizeof(ctx));
	ctx.flags = CTX_PROC;
	proc_key_of(p, &ctx.proc);
	fmt_owner(st, p, label, sizeof(label));
	uistate_push(st, VIEW_SOCKS, &ctx, label);
	return 1;
}

const struct view_ops view_procs_ops = {
	.name = "Processes",
	.min_w = 40,
	.min_h = 2,
	.fkeys = proc_fkeys,
	.draw = proc_draw,
	.action = proc_action,
	.cols = proc_cols,
	.ncols = PC_COUNT,
	.default_sort = PC_TW,
	.count = proc_count,
	.cell = proc_cell,
	.cmp = proc_cmp,
	.key = proc_hash,
	.match_text = proc_match_text,
	.search = list_search,
	.empty_note = proc_empty,
};
