#include "config.h"

#include <stdio.h>

#include "view.h"

/* Help: every view and key, scrollable. */

static const char *const help_lines[] = {
	"porttop: top for ephemeral ports.   Esc, F1 or h: back   q: quit",
	"",
	"VIEWS   Tab / Shift-Tab / 1-7 switch; Enter drills down; Esc goes back",
	" 1 Destinations  one row per (protocol, local address, remote address:port):",
	"                 TIME_WAIT, ESTABLISHED and other sockets, local ports in use,",
	"                 ports still AVAILable to connect() there, headroom, close",
	"                 rate, time until exhaustion. Most at risk first.",
	" 2 Heatmap       the ephemeral range as a grid, one cell per bucket of ports;",
	"                 all destinations together, or one (d/D): a port is gone for a",
	"                 destination when it is owned or used toward it.",
	" 3 Processes     processes that own sockets: sockets, TIME_WAIT, destinations.",
	" 4 Sockets       every socket; in a drill-down, the sockets behind the row.",
	" 5 NAT           SNAT ports per NAT address and destination (conntrack).",
	" 6 Namespaces    every network namespace; Enter shows that one.",
	" 7 Advice        the worst destination in plain words, with the numbers.",
	"",
	"KEYS",
	" F1 h ?          this help",
	" Tab 1 2 3 4     switch view (Shift-Tab: previous); 5 NAT, 6 namespaces",
	" Up Down j k     move; PgUp PgDn Home End: by page, to the ends",
	" Left Right      heatmap: move the cursor by one cell",
	" Enter           drill down: destination or process -> its sockets,",
	"                 heatmap cell -> sockets of its ports, socket -> destination",
	" Esc Backspace   back up the breadcrumb (shown under the header)",
	" m a             heatmap / advice (7: the worst) of the selected destination",
	" d D             heatmap: next / previous destination (then all again)",
	" F6 > <          sort by the next / previous column",
	" I               invert the sort order",
	" F3 /            search (heatmap: jump to a port); F3 again: next match",
	" F4 \\            filter rows by address, port, state, user, process name",
	" Space Z         pause sampling (the header shows PAUSED)",
	" + -             longer / shorter sampling interval",
	" Ctrl-L          redraw the screen",
	" q F10           quit",
	"",
	"HEATMAP GLYPHS   t TIME_WAIT  e ESTABLISHED  o other state  b owned (bound or",
	"                 listening: lost to every destination)  - reserved  . free;",
	"                 upper case: every port of the cell used. In colour, the dots",
	"                 show the share of the cell's ports in use.",
	"",
	"HEADER  range and reserved ports, usable = range - reserved; tw_reuse,",
	"        timestamps, max_tw_buckets; TCP sockets by state; owned ports; the",
	"        destination with the least headroom; the sampling interval;",
	"        conntrack fill, drops per second and the NAT AVAIL most at risk",
	"        when conntrack is in use (--nat-range: the NAT port range).",
	"",
	"NAT     per (NAT address, destination:port), from the conntrack table:",
	"        ports of the NAT range in use, AVAILable, conntrack TIME_WAIT",
	"        (120 s). At 0 AVAIL new connections there are dropped: the client",
	"        times out. Counting needs CAP_NET_ADMIN; the fill does not.",
	"NAMESPACES  pods, containers, ip netns: processes, sockets, the worst",
	"        destination, conntrack fill, NAT; * marks the one shown. Each",
	"        namespace has its own range, sockets and conntrack table.",
	"",
	"REPLAY  (-r FILE, --demo) t / T: next / previous sample; b: jump to a",
	"        time (HH:MM:SS or seconds from the start); Space: pause. The",
	"        header shows REPLAY with the sample's time.",
};

#define HELP_N (sizeof(help_lines) / sizeof(help_lines[0]))

static const struct fkey help_fkeys[] = {
	{ "Esc", "Back" }, { "Up/Dn", "Scroll" }, { "F10", "Quit" }, { NULL, NULL },
};

static void help_draw(struct uistate *st, struct ui_level *lv, struct frame *f,
		      struct rect r)
{
	size_t i;
	int y;

	(void)st;
	lv->page = r.h > 1 ? r.h : 1;
	if (HELP_N <= (size_t)r.h)
		lv->top = 0;
	else if (lv->top > HELP_N - (size_t)r.h)
		lv->top = HELP_N - (size_t)r.h;
	for (i = lv->top, y = r.y; i < HELP_N && y < r.y + r.h; i++, y++)
		frame_text(f, r.x, y, r.w, i == 0 ? ST_LABEL : ST_NORMAL, help_lines[i]);
}

static int help_action(struct uistate *st, struct ui_level *lv, enum ui_action a)
{
	size_t page = lv->page > 1 ? (size_t)lv->page : 1;

	(void)st;
	switch (a) {
	case ACT_UP:
		if (lv->top > 0)
			lv->top--;
		return 1;
	case ACT_DOWN:
		lv->top++;
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
		lv->top = HELP_N;
		return 1;
	default:
		return 1;
	}
}

const struct view_ops view_help_ops = {
	.name = "Help",
	.min_w = 10,
	.min_h = 1,
	.fkeys = help_fkeys,
	.draw = help_draw,
	.action = help_action,
};
