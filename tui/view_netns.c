#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns.h"
#include "view.h"

/*
 * Namespaces: one row per network namespace of the host (engine/netns.h,
 * listed and sampled by ui.c): its name or owner, processes, sockets,
 * TIME_WAIT, the worst destination and its headroom, the conntrack fill
 * and the NAT destination most at risk. Enter switches porttop into that
 * namespace (ui.c acts on uistate.netns_switch); the one shown is marked.
 */

enum {
	NS_ID, NS_NAME, NS_PID, NS_PROCS, NS_SOCKS, NS_TW, NS_WORST, NS_AVAIL,
	NS_HEADROOM, NS_CT, NS_NAT, NS_COUNT
};

static const struct col_def ns_cols[NS_COUNT] = {
	[NS_ID] = { "NETNS", 17, 18, 1, AL_LEFT, CUT_LEFT, 0, 0 },
	[NS_NAME] = { "NAME", 8, 40, 0, AL_LEFT, CUT_RIGHT, 0, 0 },
	[NS_PID] = { "PID", 7, 8, 3, AL_RIGHT, CUT_RIGHT, 0, 0 },
	[NS_PROCS] = { "PROCS", 5, 5, 3, AL_RIGHT, CUT_RIGHT, 1, 0 },
	[NS_SOCKS] = { "SOCKS", 5, 5, 1, AL_RIGHT, CUT_RIGHT, 1, 0 },
	[NS_TW] = { "TW", 5, 5, 2, AL_RIGHT, CUT_RIGHT, 1, 0 },
	[NS_WORST] = { "WORST DESTINATION", 17, 30, 2, AL_LEFT, CUT_LEFT, 0, 0 },
	[NS_AVAIL] = { "AVAIL", 6, 6, 0, AL_RIGHT, CUT_RIGHT, 0, 0 },
	[NS_HEADROOM] = { "HEADROOM", 6, 12, 4, AL_LEFT, CUT_RIGHT, 0, 0 },
	[NS_CT] = { "CONNTRACK", 9, 15, 3, AL_RIGHT, CUT_RIGHT, 1, 0 },
	[NS_NAT] = { "NAT AVAIL", 9, 9, 1, AL_RIGHT, CUT_RIGHT, 0, 0 },
};

static const struct fkey ns_fkeys[] = {
	{ "F1", "Help" }, { "Enter", "Switch" }, { "F3", "Search" },
	{ "F4", "Filter" }, { "F6", "Sort" }, { "Tab", "View" },
	{ "F10", "Quit" }, { NULL, NULL },
};

static const struct netns_info *ns_at(const struct uistate *st, uint32_t i)
{
	return &st->netns->v[i];
}

static size_t ns_count(struct uistate *st, struct ui_level *lv)
{
	(void)lv;
	return st->netns && st->netns->v ? st->netns->len : 0;
}

/* The inode of the namespace the snapshot is of ("net:[INODE]"), or 0. */
static uint64_t ns_shown(const struct uistate *st)
{
	unsigned long long v;

	if (!st->snap || sscanf(st->snap->netns, "net:[%llu]", &v) != 1)
		return 0;
	return v;
}

static int cmp_u(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Sorting keys: unsampled namespaces and ones without destinations last. */
static uint64_t ns_avail_key(const struct netns_info *in)
{
	return in->surveyed && in->have_worst ? in->worst.available : UINT64_MAX;
}

static uint64_t ns_nat_key(const struct netns_info *in)
{
	return in->surveyed && in->have_nat_worst ? in->nat_worst.available :
						    UINT64_MAX;
}

static void ns_name(const struct uistate *st, const struct netns_info *in,
		    char *buf, size_t len)
{
	const char *src = in->name[0] ? in->name : in->hostname[0] ?
			  in->hostname : in->unit[0] ? in->unit :
			  in->comm[0] ? in->comm : "-";

	/* netns.c sanitised them; view_clean() folds to ASCII if need be */
	view_clean(st, buf, len, src, strlen(src));
}

static int ns_cmp(const struct uistate *st, uint32_t ia, uint32_t ib, int col)
{
	const struct netns_info *a = ns_at(st, ia), *b = ns_at(st, ib);
	char na[96], nb[96];

	switch (col) {
	case NS_ID:
		return cmp_u(a->inode, b->inode);
	case NS_NAME:
		ns_name(st, a, na, sizeof(na));
		ns_name(st, b, nb, sizeof(nb));
		return strcmp(na, nb);
	case NS_PID:
		return cmp_u(a->npids ? (uint64_t)a->pids[0] : UINT64_MAX,
			     b->npids ? (uint64_t)b->pids[0] : UINT64_MAX);
	case NS_PROCS:
		return cmp_u(a->nprocs, b->nprocs);
	case NS_SOCKS:
		return cmp_u(a->tcp_sockets + (uint64_t)a->udp_sockets,
			     b->tcp_sockets + (uint64_t)b->udp_sockets);
	case NS_TW:
		return cmp_u(a->time_wait, b->time_wait);
	case NS_WORST:
	case NS_AVAIL:
	case NS_HEADROOM:
		return cmp_u(ns_avail_key(a), ns_avail_key(b));
	case NS_CT:
		return cmp_u(a->ct_count > 0 ? (uint64_t)a->ct_count : 0,
			     b->ct_count > 0 ? (uint64_t)b->ct_count : 0);
	case NS_NAT:
		return cmp_u(ns_nat_key(a), ns_nat_key(b));
	default:
		return 0;
	}
}

static uint64_t ns_key(const struct uistate *st, uint32_t i)
{
	return ns_at(st, i)->inode;
}

/* Why a namespace was not sampled, short enough for the column. */
static const char *ns_why(int err, char *buf, size_t len)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "(not sampled)";
	case EPERM:
		return "(needs CAP_SYS_ADMIN)";
	case EACCES:
		return "(needs root)";
	case ENOENT:
	case ESRCH:
		return "(gone)";
	default:
		snprintf(buf, len, "(%s)", netns_strerror(err));
		return buf;
	}
}

static const char *ns_cell(struct uistate *st, const struct ui_level *lv,
			   uint32_t i, int col, char *buf, size_t len,
			   uint16_t *style)
{
	const struct netns_info *in = ns_at(st, i);

	(void)lv;
	switch (col) {
	case NS_ID:
		snprintf(buf, len, "%s%s", in->inode == ns_shown(st) ? "*" : "",
			 in->id);
		return buf;
	case NS_NAME:
		ns_name(st, in, buf, len);
		return buf;
	case NS_PID:
		if (!in->npids)
			return "-";
		snprintf(buf, len, "%d%s", in->pids[0], in->nprocs > 1 ? "+" : "");
		return buf;
	case NS_PROCS:
		fmt_count(in->nprocs, buf, len);
		return buf;
	case NS_SOCKS:
		if (!in->surveyed)
			return "-";
		fmt_count((uint64_t)in->tcp_sockets + in->udp_sockets, buf, len);
		return buf;
	case NS_TW:
		if (!in->surveyed)
			return "-";
		fmt_count(in->time_wait, buf, len);
		return buf;
	case NS_WORST:
		if (!in->surveyed) {
			*style = ST_DIM;
			return ns_why(in->err, buf, len);
		}
		if (!in->have_worst)
			return "-";
		{
			char a[80];

			fmt_addr_port(in->worst.family, in->worst.daddr,
				      in->worst.dport, a, sizeof(a));
			snprintf(buf, len, "%s %s", fmt_proto(in->worst.proto), a);
		}
		return buf;
	case NS_AVAIL:
		if (!in->surveyed || !in->have_worst)
			return "-";
		fmt_count(in->worst.available, buf, len);
		*style = headroom_style(in->worst.headroom_pct);
		return buf;
	case NS_HEADROOM:
		return in->surveyed && in->have_worst ? NULL : "";
	case NS_CT:
		if (in->ct_count < 0)
			return "-";
		if (in->ct_max > 0)
			snprintf(buf, len, "%lld/%lld", (long long)in->ct_count,
				 (long long)in->ct_max);
		else
			snprintf(buf, len, "%lld", (long long)in->ct_count);
		return buf;
	case NS_NAT:
		if (!in->surveyed || !in->have_nat_worst)
			return "-";
		snprintf(buf, len, "%u/%u", (unsigned)in->nat_worst.available,
			 (unsigned)in->nat_size);
		*style = headroom_style(in->nat_worst.headroom_pct);
		return buf;
	default:
		return NULL;
	}
}

static void ns_draw_cell(struct uistate *st, const struct ui_level *lv,
			 uint32_t i, int col, struct frame *f, int x, int y,
			 int w, uint16_t style)
{
	const struct netns_info *in = ns_at(st, i);

	(void)lv;
	if (col == NS_HEADROOM && in->surveyed && in->have_worst)
		draw_bar(f, x, y, w, in->worst.headroom_pct, style == ST_CURSOR);
}

static void ns_match_text(struct uistate *st, uint32_t i, char *buf,
			  size_t len)
{
	const struct netns_info *in = ns_at(st, i);
	char name[96];

	ns_name(st, in, name, sizeof(name));
	snprintf(buf, len, "%s %s %s %s %d", in->id, name, in->comm, in->unit,
		 in->npids ? in->pids[0] : 0);
}

static const char *ns_empty(const struct uistate *st, const struct ui_level *lv)
{
	if (lv->filter[0])
		return NULL;
	if (!st->netns)
		return "(listing the network namespaces)";
	return "No namespace listed: they are listed when porttop samples the "
	       "kernel (root sees them all).";
}

static void ns_draw(struct uistate *st, struct ui_level *lv, struct frame *f,
		    struct rect r)
{
	list_draw(st, lv, f, r);
}

static int ns_action(struct uistate *st, struct ui_level *lv, enum ui_action a)
{
	const struct netns_info *in;
	long i;

	if (a != ACT_ENTER)
		return 0;
	i = list_current(st, lv);
	if (i < 0 || !st->netns)
		return 1;
	in = ns_at(st, (uint32_t)i);
	if (in->inode == ns_shown(st)) {
		snprintf(st->msg, sizeof(st->msg), "already showing %s", in->id);
		return 1;
	}
	st->netns_switch = in->inode;
	return 1;
}

const struct view_ops view_netns_ops = {
	.name = "Namespaces",
	.min_w = 28,
	.min_h = 2,
	.fkeys = ns_fkeys,
	.draw = ns_draw,
	.action = ns_action,
	.cols = ns_cols,
	.ncols = NS_COUNT,
	.default_sort = NS_AVAIL,
	.count = ns_count,
	.cell = ns_cell,
	.draw_cell = ns_draw_cell,
	.cmp = ns_cmp,
	.key = ns_key,
	.match_text = ns_match_text,
	.search = list_search,
	.empty_note = ns_empty,
};
