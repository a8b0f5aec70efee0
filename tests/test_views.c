#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <locale.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "frame.h"
#include "keys.h"
#include "model.h"
#include "sockindex.h"
#include "uistate.h"
#include "view.h"

/*
 * The views against frames: a hand-built snapshot with a known
 * population, drawn at given sizes, driven by keys.
 *
 * Population (range 40000-40199, reserved 40050-40059: 190 usable):
 *   A  tcp 127.0.0.1 -> 127.0.0.1:5001  25 TIME_WAIT (even ports 40000-40048)
 *   B  tcp 127.0.0.1 -> 127.0.0.1:5002  3 ESTABLISHED (40061,63,65), 2 TIME_WAIT (40067,69)
 *   C  tcp 10.0.0.1 -> 10.0.0.2:443     10 ESTABLISHED (40120-40129)
 *   a listener on 127.0.0.1:5001, a bound socket on 40100 (owned),
 *   a UDP socket on 40150.
 * available: A 190-1-25 = 164, C 190-1-10 = 179, B 190-1-5 = 184.
 */

#define LOW 40000
#define HIGH 40199

struct fixture {
	struct snapshot snap;
	struct snap_dest dests[4];
	struct snap_proc procs[4];
	struct sock_rec socks[64];
	uint32_t sock_dest[64];
	uint32_t sock_proc[64];
	uint8_t usable[8192];
	uint8_t owned[8192];
	struct sockindex index;     /* the indexes model_update() would add */
	struct uistate st;
	struct frame f;
};

static void set_bit(uint8_t *map, unsigned p)
{
	map[p >> 3] |= (uint8_t)(1u << (p & 7));
}

static void v4(uint8_t *a, const char *s)
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

static size_t add_sock(struct fixture *fx, unsigned proto, unsigned state,
		       const char *src, unsigned sport, const char *dst, unsigned dport,
		       uint32_t dest, uint32_t uid)
{
	size_t i = fx->snap.nsocks++;
	struct sock_rec *r = &fx->socks[i];

	memset(r, 0, sizeof(*r));
	r->family = AF_INET;
	r->proto = (uint8_t)proto;
	r->state = (uint8_t)state;
	v4(r->saddr, src);
	v4(r->daddr, dst);
	r->sport = (uint16_t)sport;
	r->dport = (uint16_t)dport;
	r->uid = uid;
	r->cookie = 1000 + i;
	r->expires_ms = state == SOCK_TIME_WAIT ? 59000 : 0;
	fx->sock_dest[i] = dest;
	if (proto == IPPROTO_TCP)
		fx->snap.tcp_states[state]++;
	return i;
}

static void add_dest(struct fixture *fx, const char *src, const char *dst,
		     unsigned dport, unsigned tw, unsigned est)
{
	struct snap_dest *d = &fx->dests[fx->snap.ndests++];

	memset(d, 0, sizeof(*d));
	d->family = AF_INET;
	d->proto = IPPROTO_TCP;
	v4(d->saddr, src);
	v4(d->daddr, dst);
	d->dport = (uint16_t)dport;
	d->states[SOCK_TIME_WAIT] = tw;
	d->states[SOCK_ESTABLISHED] = est;
	d->sockets = tw + est;
	d->in_use = tw + est;
	d->available = 190 - 1 - d->in_use;
	d->available_min = d->available;    /* exact unless a test says not */
	d->exact = 1;
	d->headroom_pct = 100.0 * d->available / 190.0;
	d->eta_s = SNAP_NO_ETA;
}

/* A new sample: index the fixture's sockets (as model_update() does) and
 * show it. Changes to other fields show at the next frame. */
static void refresh(struct fixture *fx)
{
	assert_int_equal(sockindex_build_own(&fx->index, &fx->snap), 0);
	uistate_set_snapshot(&fx->st, &fx->snap);
}

static int fake_user(uint32_t uid, char *buf, size_t len)
{
	if (uid == 0) {
		snprintf(buf, len, "root");
		return 0;
	}
	if (uid == 1000) {
		/* Hostile: a user name with an escape sequence. */
		snprintf(buf, len, "mal\033[2Jlory");
		return 0;
	}
	return -1;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct snapshot *s;
	unsigned p, i;

	assert_non_null(fx);
	s = &fx->snap;
	snprintf(s->netns, sizeof(s->netns), "net:[4026532000]");
	sysctl_defaults(&s->sys);
	s->sys.tcp_tw_reuse = 2;
	s->sys.tcp_timestamps = 1;
	s->sys.tcp_max_tw_buckets = 262144;
	s->sys.known = SYSCTL_K_RANGE | SYSCTL_K_RESERVED | SYSCTL_K_TW_REUSE |
		       SYSCTL_K_TIMESTAMPS | SYSCTL_K_MAX_TW;
	s->range_low = LOW;
	s->range_high = HIGH;
	s->reserved = 10;
	s->usable = 190;
	for (p = LOW; p <= HIGH; p++)
		if (p < 40050 || p > 40059)
			set_bit(fx->usable, p);
	for (p = 40050; p <= 40059; p++)
		set_bit(s->sys.reserved, p);
	set_bit(fx->owned, 40100);
	s->owned_ports = 1;
	s->available_new_destination = 190 - 1;
	s->available_new_destination_min = 190 - 1;
	s->bind_src = SOCK_BSRC_BPF;
	s->exact = 1;

	/* Destinations in the snapshot's order: available ascending. */
	add_dest(fx, "127.0.0.1", "127.0.0.1", 5001, 25, 0);   /* 0: A, 164 */
	add_dest(fx, "10.0.0.1", "10.0.0.2", 443, 0, 10);      /* 1: C, 179 */
	add_dest(fx, "127.0.0.1", "127.0.0.1", 5002, 2, 3);    /* 2: B, 184 */

	for (i = 0; i < 25; i++)
		add_sock(fx, IPPROTO_TCP, SOCK_TIME_WAIT, "127.0.0.1", 40000 + 2 * i,
			 "127.0.0.1", 5001, 0, 0);
	for (i = 0; i < 3; i++)
		add_sock(fx, IPPROTO_TCP, SOCK_ESTABLISHED, "127.0.0.1", 40061 + 2 * i,
			 "127.0.0.1", 5002, 2, 1000);
	for (i = 0; i < 2; i++)
		add_sock(fx, IPPROTO_TCP, SOCK_TIME_WAIT, "127.0.0.1", 40067 + 2 * i,
			 "127.0.0.1", 5002, 2, 0);
	for (i = 0; i < 10; i++)
		add_sock(fx, IPPROTO_TCP, SOCK_ESTABLISHED, "10.0.0.1", 40120 + i,
			 "10.0.0.2", 443, 1, 0);
	add_sock(fx, IPPROTO_TCP, SOCK_LISTEN, "127.0.0.1", 5001, "0.0.0.0", 0,
		 SNAP_NO_DEST, 0);
	add_sock(fx, IPPROTO_TCP, SOCK_BOUND, "127.0.0.1", 40100, "0.0.0.0", 0,
		 SNAP_NO_DEST, 0);
	add_sock(fx, IPPROTO_UDP, SOCK_CLOSE, "0.0.0.0", 40150, "0.0.0.0", 0,
		 SNAP_NO_DEST, 0);
	s->tcp_sockets = 25 + 5 + 10 + 2;
	s->udp_sockets = 1;
	s->udp_ports_in_range = 1;
	s->ports_in_use = 25 + 5 + 10;
	s->dests = fx->dests;
	s->socks = fx->socks;
	s->sock_dest = fx->sock_dest;
	s->usable_map = fx->usable;
	s->owned_map = fx->owned;
	s->procs = fx->procs;
	s->nprocs = 0;

	assert_int_equal(uistate_init(&fx->st, 1.0, 0), 0);
	fx->st.user_lookup = fake_user;
	snprintf(fx->st.host, sizeof(fx->st.host), "testhost");
	sockindex_init(&fx->index);
	refresh(fx);
	frame_init(&fx->f, 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	uistate_release(&fx->st);
	frame_release(&fx->f);
	sockindex_release(&fx->index);
	free(fx);
	return 0;
}

/* ---- helpers ---- */

static void assert_clean(const struct frame *f)
{
	int x, y;

	for (y = 0; y < f->h; y++)
		for (x = 0; x < f->w; x++) {
			const struct frame_cell *c = frame_cell_at(f, x, y);

			assert_non_null(c);
			if (c->ch == FRAME_CONT)
				continue;
			assert_false(c->ch < 0x20);
			assert_false(c->ch >= 0x7f && c->ch < 0xa0);
			if (!f->utf8)
				assert_true(c->ch < 0x80);
			assert_true((c->attr & FA_STYLE_MASK) < ST_COUNT);
		}
}

static void render(struct fixture *fx, int w, int h)
{
	assert_int_equal(frame_resize(&fx->f, w, h), 0);
	screen_render(&fx->st, &fx->f);
	assert_clean(&fx->f);
	/* VIEWS_DUMP=1 prints every frame, to see what a test sees. */
	if (getenv("VIEWS_DUMP")) {
		char buf[8192];

		for (int y = 0; y < h; y++) {
			frame_row_text(&fx->f, y, buf, sizeof(buf));
			printf("|%s|\n", buf);
		}
		printf("\n");
	}
}

static const char *row(const struct frame *f, int y)
{
	static char buf[4096];

	frame_row_text(f, y, buf, sizeof(buf));
	return buf;
}

/* First row containing needle at or after y0, or -1. */
static int find_row(const struct frame *f, const char *needle, int y0)
{
	int y;

	for (y = y0; y < f->h; y++)
		if (strstr(row(f, y), needle))
			return y;
	return -1;
}

static int frame_has(const struct frame *f, const char *needle)
{
	return find_row(f, needle, 0) >= 0;
}

static void keys(struct fixture *fx, const char *s)
{
	for (; *s; s++)
		uistate_key(&fx->st, *s == '\n' ? UK_ENTER : (unsigned char)*s);
}

/* The row the cursor is on (style ST_CURSOR at column 0), or -1. */
static int cursor_row(const struct frame *f)
{
	int y;

	for (y = 0; y < f->h; y++) {
		const struct frame_cell *c = frame_cell_at(f, 0, y);

		if ((c->attr & FA_STYLE_MASK) == ST_CURSOR)
			return y;
	}
	return -1;
}

/* The table's title row (contains all of the given titles). */
static int title_row(const struct frame *f, const char *a, const char *b)
{
	int y;

	for (y = 0; y < f->h; y++)
		if (strstr(row(f, y), a) && strstr(row(f, y), b))
			return y;
	return -1;
}

/* Value of the column starting at the title's x, on row y (trimmed). */
static const char *cell_under(const struct frame *f, int y, const char *title, int titley,
			      int width)
{
	static char out[64];
	const char *r = row(f, titley), *p = strstr(r, title);
	int x, i = 0;

	assert_non_null(p);
	x = (int)(p - r);
	for (int k = 0; k < width && x + k < f->w; k++) {
		const struct frame_cell *c = frame_cell_at(f, x + k, y);

		if (c->ch != ' ' && i < 63)
			out[i++] = (char)c->ch;
	}
	out[i] = '\0';
	return out;
}

/* ---- tests ---- */

static void test_dests_default(void **state)
{
	struct fixture *fx = *state;
	int t, ya, yb, yc;

	render(fx, 80, 24);
	/* Header values. */
	assert_true(frame_has(&fx->f, "host testhost"));
	assert_true(frame_has(&fx->f, "netns net:[4026532000]"));
	assert_true(frame_has(&fx->f, "range 40000-40199"));
	assert_true(frame_has(&fx->f, "reserved 10"));
	assert_true(frame_has(&fx->f, "usable 190"));
	assert_true(frame_has(&fx->f, "tw_reuse 2"));
	assert_true(frame_has(&fx->f, "timestamps 1"));
	assert_true(frame_has(&fx->f, "max_tw 262144"));
	/* an import that lacks the sysctls: unknown, not the defaults */
	fx->snap.sys.known = SYSCTL_K_RANGE;
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "reserved ?"));
	assert_true(frame_has(&fx->f, "tw_reuse ?"));
	assert_true(frame_has(&fx->f, "timestamps ?"));
	assert_true(frame_has(&fx->f, "max_tw ?"));
	assert_false(frame_has(&fx->f, "tw_reuse 2"));
	fx->snap.sys.known = 0;
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "range 40000-40199?"));
	fx->snap.sys.known = SYSCTL_K_RANGE | SYSCTL_K_RESERVED |
			     SYSCTL_K_TW_REUSE | SYSCTL_K_TIMESTAMPS |
			     SYSCTL_K_MAX_TW;
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "TW 27"));
	assert_true(frame_has(&fx->f, "EST 13"));
	assert_true(frame_has(&fx->f, "owned 1"));
	assert_true(frame_has(&fx->f, "164 available (86.3%)"));
	assert_true(frame_has(&fx->f, " 1 Destinations "));
	assert_true(frame_has(&fx->f, "F10Quit"));

	/* Rows: most at risk first, with the TIME_WAIT counts. */
	t = title_row(&fx->f, "REMOTE", "AVAIL");
	assert_true(t >= 0);
	ya = find_row(&fx->f, "127.0.0.1:5001", t);
	yc = find_row(&fx->f, "10.0.0.2:443", t);
	yb = find_row(&fx->f, "127.0.0.1:5002", t);
	assert_int_equal(ya, t + 1);
	assert_int_equal(yc, t + 2);
	assert_int_equal(yb, t + 3);
	assert_string_equal(cell_under(&fx->f, ya, "TW", t, 3), "25");
	assert_string_equal(cell_under(&fx->f, yb, "TW", t, 3), "2");
	assert_string_equal(cell_under(&fx->f, yb, "EST", t, 4), "3");
	assert_string_equal(cell_under(&fx->f, ya, "AVAIL", t, 6), "164");
	assert_string_equal(cell_under(&fx->f, yc, "AVAIL", t, 6), "179");
	assert_true(strstr(row(&fx->f, ya), "86.3%") != NULL);
	/* The cursor starts on the worst destination. */
	assert_int_equal(cursor_row(&fx->f), ya);
	assert_int_equal(uistate_level(&fx->st)->nrows, 3);
}

/* Inexact figures: A and B as ranges, C exact; the reason in the header. */
static void make_inexact(struct fixture *fx)
{
	fx->dests[0].available_min = 134;     /* A: 164 estimated */
	fx->dests[0].exact = 0;
	fx->dests[2].available_min = 10;      /* B: 184 estimated */
	fx->dests[2].exact = 0;
	fx->snap.available_new_destination_min = 159;
	fx->snap.exact = 0;
	fx->snap.bind_src = SOCK_BSRC_AUTOBOUND;
	fx->snap.bind_unknown = 30;
	snprintf(fx->snap.inexact_why, sizeof(fx->snap.inexact_why),
		 "30 sockets of unknown port ownership: run as root for exact figures");
	refresh(fx);
}

/* Back to the exact fixture. */
static void make_exact(struct fixture *fx)
{
	fx->dests[0].available_min = fx->dests[0].available;
	fx->dests[0].exact = 1;
	fx->dests[2].available_min = fx->dests[2].available;
	fx->dests[2].exact = 1;
	fx->snap.available_new_destination_min = fx->snap.available_new_destination;
	fx->snap.exact = 1;
	fx->snap.bind_src = SOCK_BSRC_BPF;
	fx->snap.bind_unknown = 0;
	fx->snap.inexact_why[0] = '\0';
	refresh(fx);
}

static void test_dests_inexact(void **state)
{
	struct fixture *fx = *state;
	int t, ya, yb, yc;

	/* exact: plain figures, no reason line */
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "new dest 189"));
	assert_false(frame_has(&fx->f, ">="));
	assert_false(frame_has(&fx->f, "~ "));

	make_inexact(fx);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "worst "));
	assert_true(frame_has(&fx->f, ">=134 ~164 available (86.3%)"));
	assert_true(frame_has(&fx->f, "new dest >=159 ~189"));
	assert_true(frame_has(&fx->f, "~ 30 sockets of unknown port ownership: "
				      "run as root for exact figures"));
	/* sorted by the estimate, not by the bound: B (>= 10) stays last */
	t = title_row(&fx->f, "REMOTE", "AVAIL");
	assert_true(t >= 0);
	ya = find_row(&fx->f, "127.0.0.1:5001", t);
	yc = find_row(&fx->f, "10.0.0.2:443", t);
	yb = find_row(&fx->f, "127.0.0.1:5002", t);
	assert_int_equal(ya, t + 1);
	assert_int_equal(yc, t + 2);
	assert_int_equal(yb, t + 3);
	assert_non_null(strstr(row(&fx->f, ya), " >=134 ~164 "));
	assert_non_null(strstr(row(&fx->f, yb), " >=10 ~184 "));
	assert_non_null(strstr(row(&fx->f, yc), " 179 "));
	assert_null(strstr(row(&fx->f, yc), ">="));
	/* the wider column still leaves 80 columns the headroom, the rate
	 * and the forecast */
	assert_non_null(strstr(row(&fx->f, ya), "86.3%"));
	assert_non_null(strstr(row(&fx->f, t), "RATE/s"));
	assert_non_null(strstr(row(&fx->f, t), "ETA"));
	assert_true(frame_has(&fx->f, "F10Quit"));

	/* a warning comes first; the reason counts as one more */
	snprintf(fx->snap.warnings[0], SNAP_WARNING_LEN, "bound sockets not visible");
	fx->snap.nwarnings = 1;
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "! bound sockets not visible (+1 more)"));
	fx->snap.nwarnings = 0;

	/* the one-line header of a short terminal */
	render(fx, 80, 12);
	assert_true(frame_has(&fx->f, "worst >=134 ~164 (86.3%)"));
}

static void test_dests_inexact_utf8(void **state)
{
	struct fixture *fx = *state;
	int t, ya;

	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		skip();
	fx->st.utf8 = 1;
	fx->f.utf8 = 1;
	make_inexact(fx);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "\xe2\x89\xa5" "134 ~164 available (86.3%)"));
	assert_true(frame_has(&fx->f, "new dest \xe2\x89\xa5" "159 ~189"));
	assert_false(frame_has(&fx->f, ">="));
	t = title_row(&fx->f, "REMOTE", "AVAIL");
	ya = find_row(&fx->f, "127.0.0.1:5001", t);
	assert_int_equal(ya, t + 1);
	assert_non_null(strstr(row(&fx->f, ya), " \xe2\x89\xa5" "134 ~164 "));
}

static void test_rates_eta_pids(void **state)
{
	struct fixture *fx = *state;
	int t, ya;

	render(fx, 80, 24);
	t = title_row(&fx->f, "REMOTE", "AVAIL");
	ya = find_row(&fx->f, "127.0.0.1:5001", t);
	/* The first sample has no rates yet. */
	assert_string_equal(cell_under(&fx->f, ya, "RATE/s", t, 6), "-");
	assert_string_equal(cell_under(&fx->f, ya, "ETA", t, 3), "-");
	fx->snap.rates_source = SNAP_RATES_EXACT;
	fx->dests[0].close_rate = 12.5;
	fx->dests[0].eta_s = 45;
	fx->snap.npid_filter = 2;
	fx->snap.pid_filter[0] = 42;
	fx->snap.pid_filter[1] = 43;
	refresh(fx);
	render(fx, 80, 24);
	assert_string_equal(cell_under(&fx->f, ya, "RATE/s", t, 6), "12.5");
	assert_string_equal(cell_under(&fx->f, ya, "ETA", t, 3), "45s");
	assert_true(frame_has(&fx->f, "164 available (86.3%), full in 45s"));
	assert_true(frame_has(&fx->f, "pids 42,43"));
	fx->snap.rates_estimated = 1;
	refresh(fx);
	render(fx, 80, 24);
	assert_string_equal(cell_under(&fx->f, ya, "RATE/s", t, 6), "~12.5");
	/* Sort by ETA: soonest first, none last. */
	while (strcmp(view_dests_ops.cols[uistate_level(&fx->st)->sort_col].title, "ETA") != 0)
		keys(fx, ">");
	fx->dests[2].eta_s = 10;
	refresh(fx);
	render(fx, 80, 24);
	assert_int_equal(find_row(&fx->f, "127.0.0.1:5002", t), t + 1);
	assert_int_equal(find_row(&fx->f, "127.0.0.1:5001", t), t + 2);
	assert_int_equal(find_row(&fx->f, "10.0.0.2:443", t), t + 3);
}

static void test_dests_sort(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv = uistate_level(&fx->st);
	int t;

	render(fx, 80, 24);
	/* From AVAIL, '<' three times: USED, OTH, EST... go to TW. */
	while (strcmp(view_dests_ops.cols[lv->sort_col].title, "TW") != 0)
		keys(fx, "<");
	render(fx, 80, 24);
	t = title_row(&fx->f, "REMOTE", "AVAIL");
	/* TW descending: 25 (5001), 2 (5002), 0 (443). */
	assert_int_equal(find_row(&fx->f, "127.0.0.1:5001", t), t + 1);
	assert_int_equal(find_row(&fx->f, "127.0.0.1:5002", t), t + 2);
	assert_int_equal(find_row(&fx->f, "10.0.0.2:443", t), t + 3);
	assert_true(strstr(row(&fx->f, t), "TWv") != NULL);
	keys(fx, "I");
	render(fx, 80, 24);
	assert_int_equal(find_row(&fx->f, "10.0.0.2:443", t), t + 1);
	assert_int_equal(find_row(&fx->f, "127.0.0.1:5002", t), t + 2);
	assert_int_equal(find_row(&fx->f, "127.0.0.1:5001", t), t + 3);
	assert_true(strstr(row(&fx->f, t), "TW^") != NULL);
	/* F6 and '>' go forward: TW -> EST. */
	uistate_key(&fx->st, UK_F(6));
	assert_string_equal(view_dests_ops.cols[lv->sort_col].title, "EST");
	assert_int_equal(lv->invert, 0);
	keys(fx, ">");
	assert_string_equal(view_dests_ops.cols[lv->sort_col].title, "OTH");
}

static void test_selection_follows_item(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv = uistate_level(&fx->st);
	int t;

	render(fx, 80, 24);
	keys(fx, "j");                 /* onto 10.0.0.2:443 */
	render(fx, 80, 24);
	t = title_row(&fx->f, "REMOTE", "AVAIL");
	assert_int_equal(cursor_row(&fx->f), t + 2);
	assert_true(strstr(row(&fx->f, cursor_row(&fx->f)), "10.0.0.2:443") != NULL);
	/* Re-sort: the item moves, the cursor goes with it. */
	keys(fx, "I");
	render(fx, 80, 24);
	assert_true(strstr(row(&fx->f, cursor_row(&fx->f)), "10.0.0.2:443") != NULL);
	assert_int_equal(lv->cursor, 1);
	/* A new sample with another order keeps the item selected. */
	{
		struct snap_dest tmp = fx->dests[0];

		fx->dests[0] = fx->dests[1];
		fx->dests[1] = tmp;
		fx->dests[0].available = 100;      /* C is now the worst */
		for (size_t i = 0; i < fx->snap.nsocks; i++)
			if (fx->sock_dest[i] == 0 || fx->sock_dest[i] == 1)
				fx->sock_dest[i] ^= 1;
	}
	keys(fx, "I");
	refresh(fx);
	render(fx, 80, 24);
	assert_true(strstr(row(&fx->f, cursor_row(&fx->f)), "10.0.0.2:443") != NULL);
	assert_int_equal(lv->cursor, 0);
	/* Movement clamps at both ends. */
	uistate_key(&fx->st, UK_END);
	uistate_key(&fx->st, UK_DOWN);
	assert_int_equal(lv->cursor, 2);
	uistate_key(&fx->st, UK_PGUP);
	assert_int_equal(lv->cursor, 0);
	keys(fx, "k");
	assert_int_equal(lv->cursor, 0);
	uistate_key(&fx->st, UK_PGDN);
	assert_int_equal(lv->cursor, 2);
	uistate_key(&fx->st, UK_HOME);
	assert_int_equal(lv->cursor, 0);
}

static void test_drill_dest_and_back(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv;
	int t, y, n = 0;

	render(fx, 80, 24);
	keys(fx, "\n");
	assert_int_equal(fx->st.depth, 2);
	lv = uistate_level(&fx->st);
	assert_int_equal(lv->view, VIEW_SOCKS);
	assert_true(lv->ctx.flags & CTX_DEST);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "Destinations > tcp 127.0.0.1 -> 127.0.0.1:5001"));
	assert_int_equal(lv->nrows, 25);
	assert_true(frame_has(&fx->f, "TIME_WAIT 25 (0 reusable)  ESTABLISHED 0  other 0  in use 25"));
	assert_true(frame_has(&fx->f, "Available 164 of 190"));
	/* an estimate shows as a range here too */
	make_inexact(fx);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "Available >=134 ~164 of 190 (86.3%)"));
	make_exact(fx);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "25 TIME_WAIT (owned by no process)"));
	t = title_row(&fx->f, "STATE", "REMOTE");
	assert_true(t >= 0);
	for (y = t + 1; y < fx->f.h - 1; y++)
		if (strstr(row(&fx->f, y), "TIME_WAIT") && strstr(row(&fx->f, y), ":5001"))
			n++;
	assert_true(n >= 5);
	/* Sorted by local port: the first is 40000. */
	assert_true(strstr(row(&fx->f, t + 1), "127.0.0.1:40000") != NULL);
	/* The heatmap of the destination is available from here. */
	keys(fx, "m");
	assert_int_equal(fx->st.depth, 3);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_HEATMAP);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, " > Map"));
	uistate_key(&fx->st, UK_ESC);
	uistate_key(&fx->st, UK_BACKSPACE);
	assert_int_equal(fx->st.depth, 1);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, " 1 Destinations "));
	t = title_row(&fx->f, "REMOTE", "AVAIL");
	assert_int_equal(cursor_row(&fx->f), t + 1);
	/* Esc at the top does nothing harmful. */
	uistate_key(&fx->st, UK_ESC);
	assert_int_equal(fx->st.depth, 1);
	assert_int_equal(fx->st.quit, 0);
}

static void test_filter_and_search(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv = uistate_level(&fx->st);
	int t;

	render(fx, 80, 24);
	keys(fx, "\\5002");
	assert_int_equal(fx->st.edit, EDIT_FILTER);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "Filter: 5002"));
	keys(fx, "\n");
	assert_int_equal(fx->st.edit, EDIT_NONE);
	render(fx, 80, 24);
	assert_int_equal(lv->nrows, 1);
	t = title_row(&fx->f, "REMOTE", "AVAIL");
	assert_true(strstr(row(&fx->f, t + 1), "127.0.0.1:5002") != NULL);
	assert_int_equal(find_row(&fx->f, "127.0.0.1:5001", t), -1);
	assert_true(frame_has(&fx->f, "filter: 5002"));
	/* No match: a note, not an empty screen. */
	uistate_key(&fx->st, UK_F(4));
	uistate_key(&fx->st, UK_BACKSPACE);
	keys(fx, "9\n");
	render(fx, 80, 24);
	assert_int_equal(lv->nrows, 0);
	assert_true(frame_has(&fx->f, "no row matches the filter"));
	/* Esc at the top level clears the filter. */
	uistate_key(&fx->st, UK_ESC);
	render(fx, 80, 24);
	assert_int_equal(lv->nrows, 3);
	assert_string_equal(lv->filter, "");

	/* Search moves the cursor; F3 finds the next match. */
	uistate_key(&fx->st, UK_HOME);
	keys(fx, "/127.0");
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "Search: 127.0"));
	assert_int_equal(lv->cursor, 0);
	uistate_key(&fx->st, UK_F(3));
	assert_int_equal(lv->cursor, 2);
	uistate_key(&fx->st, UK_ENTER);
	keys(fx, "/443\n");
	assert_int_equal(lv->cursor, 1);
	assert_int_equal(lv->nrows, 3);
	keys(fx, "/nowhere");
	assert_string_equal(fx->st.msg, "not found");
	uistate_key(&fx->st, UK_ESC);
	assert_int_equal(fx->st.edit, EDIT_NONE);
}

static void test_heatmap(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv;
	int y0, x0;

	keys(fx, "2");
	lv = uistate_level(&fx->st);
	assert_int_equal(lv->view, VIEW_HEATMAP);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "All destinations"));
	assert_true(frame_has(&fx->f, "1 port/cell"));
	assert_true(frame_has(&fx->f, "T TIME_WAIT"));
	/* The grid row of 40000: label, then one cell per port. */
	y0 = find_row(&fx->f, "40000 ", 0);
	assert_true(y0 >= 0);
	x0 = 6;
#define CELL(p) (frame_cell_at(&fx->f, x0 + (int)((p) - LOW) % 74, y0 + (int)((p) - LOW) / 74)->ch)
	assert_int_equal(CELL(40000), 'T');
	assert_int_equal(CELL(40001), '.');
	assert_int_equal(CELL(40050), '-');
	assert_int_equal(CELL(40061), 'E');
	assert_int_equal(CELL(40067), 'T');
	assert_int_equal(CELL(40100), 'B');
	assert_int_equal(CELL(40120), 'E');
	assert_int_equal(CELL(40150), 'O');
	assert_int_equal(CELL(40199), '.');
	assert_true(strstr(row(&fx->f, y0 + 1), "40074") == row(&fx->f, y0 + 1));
	/* The cursor starts at the range's start and is shown reversed. */
	assert_true(frame_cell_at(&fx->f, x0, y0)->attr & FA_REVERSE);
	assert_true(frame_has(&fx->f, "Port 40000: TIME_WAIT"));
	assert_true(frame_has(&fx->f, "tcp TIME_WAIT   127.0.0.1:40000 -> 127.0.0.1:5001"));

	/* One destination: only its ports (and owned ones) are taken. */
	keys(fx, "d");
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "tcp 127.0.0.1 -> 127.0.0.1:5001: available 164 of 190"));
	make_inexact(fx);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "tcp 127.0.0.1 -> 127.0.0.1:5001: available >=134 ~164 of 190"));
	make_exact(fx);
	render(fx, 80, 24);
	assert_int_equal(CELL(40000), 'T');
	assert_int_equal(CELL(40120), '.');
	assert_int_equal(CELL(40061), '.');
	assert_int_equal(CELL(40150), '.');
	assert_int_equal(CELL(40100), 'B');
	assert_int_equal(CELL(40050), '-');
	keys(fx, "d");
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "10.0.0.2:443"));
	assert_int_equal(CELL(40120), 'E');
	assert_int_equal(CELL(40000), '.');
	keys(fx, "dd");                /* 5002, then all again */
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "All destinations"));
	keys(fx, "D");
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "127.0.0.1:5002: available 184"));
	keys(fx, "D");
	keys(fx, "D");
	keys(fx, "D");
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "All destinations"));

	/* Cursor: right, down a row, End, Home; search jumps to a port. */
	uistate_key(&fx->st, UK_RIGHT);
	assert_int_equal(lv->hm_port, 40001);
	uistate_key(&fx->st, UK_DOWN);
	assert_int_equal(lv->hm_port, 40075);
	keys(fx, "k");
	assert_int_equal(lv->hm_port, 40001);
	uistate_key(&fx->st, UK_END);
	assert_int_equal(lv->hm_port, HIGH);
	uistate_key(&fx->st, UK_RIGHT);
	assert_int_equal(lv->hm_port, HIGH);
	uistate_key(&fx->st, UK_HOME);
	assert_int_equal(lv->hm_port, LOW);
	keys(fx, "/40120\n");
	assert_int_equal(lv->hm_port, 40120);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "Port 40120: ESTABLISHED"));
	assert_true(frame_cell_at(&fx->f, x0 + 120 % 74, y0 + 1)->attr & FA_REVERSE);
	/* Enter: the sockets of that cell. */
	keys(fx, "\n");
	assert_int_equal(fx->st.depth, 2);
	lv = uistate_level(&fx->st);
	assert_int_equal(lv->view, VIEW_SOCKS);
	render(fx, 80, 24);
	assert_int_equal(lv->nrows, 1);
	assert_true(frame_has(&fx->f, "Heatmap > port 40120"));
	assert_true(frame_has(&fx->f, "10.0.0.1:40120"));
#undef CELL
}

static void test_heatmap_big_range(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv;
	int y0;

	fx->snap.range_low = 32768;
	fx->snap.range_high = 60999;
	keys(fx, "2");
	lv = uistate_level(&fx->st);
	render(fx, 80, 24);
	/* 28232 ports in at most 74 x rows cells: buckets of many ports. */
	assert_true(lv->hm_bucket > 1);
	assert_true((28232 + lv->hm_bucket - 1) / lv->hm_bucket <=
		    (unsigned)(lv->hm_cols * lv->hm_grid_rows));
	y0 = find_row(&fx->f, "32768 ", 0);
	assert_true(y0 >= 0);
	render(fx, 200, 60);
	assert_true(lv->hm_cols == 194);
	render(fx, 30, 8);
	render(fx, 16, 6);
}

static void test_heatmap_utf8_color(void **state)
{
	struct fixture *fx = *state;
	int y0;
	const struct frame_cell *c;

	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		skip();
	fx->st.utf8 = 1;
	fx->st.color = 1;
	fx->f.utf8 = 1;
	keys(fx, "2");
	render(fx, 80, 24);
	y0 = find_row(&fx->f, "40000 ", 0);
	assert_true(y0 >= 0);
	c = frame_cell_at(&fx->f, 6, y0);
	assert_int_equal(c->ch, 0x28ff);          /* full braille */
	assert_int_equal(c->attr & FA_STYLE_MASK, ST_HM_TW);
	c = frame_cell_at(&fx->f, 6 + 1, y0);
	assert_int_equal(c->ch, 0x00b7);          /* free */
	c = frame_cell_at(&fx->f, 6 + 50, y0);
	assert_int_equal(c->ch, 0x2591);          /* reserved */
	c = frame_cell_at(&fx->f, 6 + 26, y0 + 1);  /* 40100 */
	assert_int_equal(c->attr & FA_STYLE_MASK, ST_HM_OWNED);
	/* Monochrome UTF-8: glyphs carry the state. */
	fx->st.color = 0;
	refresh(fx);
	render(fx, 80, 24);
	assert_int_equal(frame_cell_at(&fx->f, 6, y0)->ch, 'T');
	assert_int_equal(frame_cell_at(&fx->f, 6 + 26, y0 + 1)->ch, 'B');
	setlocale(LC_CTYPE, "C");
}

static void test_procs_empty_note(void **state)
{
	struct fixture *fx = *state;

	keys(fx, "3");
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_PROCS);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "No process information in this sample"));
	assert_false(frame_has(&fx->f, "COMMAND"));
	/* Keys still work on the empty view. */
	keys(fx, "jk\n<I");
	assert_int_equal(fx->st.depth, 1);
	render(fx, 80, 24);
}

static void test_procs_table(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv;
	int t, y;

	fx->procs[0] = (struct snap_proc){ .pid = 100, .uid = 0, .sockets = 10,
					   .time_wait = 0, .destinations = 1 };
	snprintf(fx->procs[0].comm, sizeof(fx->procs[0].comm), "curl");
	fx->procs[1] = (struct snap_proc){ .pid = 200, .uid = 1000, .sockets = 3,
					   .time_wait = 27, .destinations = 2 };
	/* Hostile process name: escapes, newline, bell. */
	snprintf(fx->procs[1].comm, sizeof(fx->procs[1].comm), "ev\033]0;x\007il\n");
	fx->snap.nprocs = 2;
	refresh(fx);
	keys(fx, "3");
	lv = uistate_level(&fx->st);
	render(fx, 80, 24);
	t = title_row(&fx->f, "PID", "COMMAND");
	assert_true(t >= 0);
	assert_int_equal(lv->nrows, 2);
	/* Default: most TIME_WAIT first. */
	assert_true(strstr(row(&fx->f, t + 1), "200") != NULL);
	assert_true(strstr(row(&fx->f, t + 1), "27") != NULL);
	assert_true(strstr(row(&fx->f, t + 2), "curl") != NULL);
	assert_true(strstr(row(&fx->f, t + 2), "root") != NULL);
	/* The hostile strings are drawn, defused. */
	y = find_row(&fx->f, "ev?]0;x?il?", t);
	assert_int_equal(y, t + 1);
	assert_true(strstr(row(&fx->f, t + 1), "mal?[2Jlory") != NULL);
	/* Sort by PID (first column). */
	while (lv->sort_col != 0)
		keys(fx, "<");
	render(fx, 80, 24);
	assert_true(strstr(row(&fx->f, t + 1), "curl") != NULL);
	/* Filter by process name. */
	keys(fx, "\\curl\n");
	render(fx, 80, 24);
	assert_int_equal(lv->nrows, 1);
	/* Drill into the process. */
	keys(fx, "\n");
	assert_int_equal(fx->st.depth, 2);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "Processes > 100 curl"));
	assert_true(frame_has(&fx->f, "10 sockets"));
}

/* Sockets attributed to processes (snapshot.sock_proc). */
static void test_attribution(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv;
	size_t i;
	int t, y;

	fx->procs[0] = (struct snap_proc){ .pid = 200, .uid = 1000, .sockets = 3,
					   .time_wait = 2, .destinations = 1,
					   .start_time = 77 };
	snprintf(fx->procs[0].comm, sizeof(fx->procs[0].comm), "ev\033]0;x\007il");
	snprintf(fx->procs[0].user, sizeof(fx->procs[0].user), "mallory");
	snprintf(fx->procs[0].cmdline, sizeof(fx->procs[0].cmdline), "evil --flood\r");
	snprintf(fx->procs[0].unit, sizeof(fx->procs[0].unit), "unit:evil.service");
	fx->procs[1] = (struct snap_proc){ .pid = 100, .uid = 0, .sockets = 10,
					   .destinations = 1, .start_time = 5 };
	snprintf(fx->procs[1].comm, sizeof(fx->procs[1].comm), "curl");
	snprintf(fx->procs[1].user, sizeof(fx->procs[1].user), "root");
	fx->procs[2] = (struct snap_proc){ .pid = 0, .uid = 33, .sockets = 1,
					   .cgroup_id = 9 };
	snprintf(fx->procs[2].user, sizeof(fx->procs[2].user), "www-data");
	fx->snap.nprocs = 3;
	for (i = 0; i < fx->snap.nsocks; i++) {
		const struct sock_rec *r = &fx->socks[i];

		fx->sock_proc[i] = SNAP_NO_PROC;
		if (r->dport == 5002)
			fx->sock_proc[i] = 0;
		else if (r->dport == 443)
			fx->sock_proc[i] = 1;
		else if (r->state == SOCK_LISTEN)
			fx->sock_proc[i] = 2;
	}
	fx->snap.sock_proc = fx->sock_proc;
	fx->snap.unattributed_time_wait = 25;
	fx->snap.unattributed_sockets = 27;
	refresh(fx);

	/* Processes: the uid-only row, and what no process was found for. */
	keys(fx, "3");
	render(fx, 120, 24);
	t = title_row(&fx->f, "PID", "COMMAND");
	assert_true(t >= 0);
	y = find_row(&fx->f, "(no process)", t);
	assert_true(y > t);
	assert_true(strstr(row(&fx->f, y), "www-data") != NULL);
	assert_true(strstr(row(&fx->f, t + 1), "unit:evil.service") != NULL);
	assert_true(strstr(row(&fx->f, t + 1), "evil --flood?") != NULL);
	assert_true(frame_has(&fx->f, "Of no known process: 27 sockets, 25 TIME_WAIT entries"));

	/* Drill into pid 200: its sockets and destinations. */
	keys(fx, "\n");
	lv = uistate_level(&fx->st);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "Processes > 200 ev?]0;x?il"));
	assert_int_equal(lv->nrows, 5);
	assert_true(frame_has(&fx->f, "3 sockets  2 TIME_WAIT  0 closing  1 destinations  user mallory"));
	assert_true(frame_has(&fx->f, "5 to tcp 127.0.0.1 -> 127.0.0.1:5002, available 184"));
	t = title_row(&fx->f, "STATE", "REMOTE");
	assert_true(t >= 0);
	/* The attributed TIME_WAIT shows its process's user. */
	y = find_row(&fx->f, "127.0.0.1:40067", t);
	assert_true(y > t);
	assert_true(strstr(row(&fx->f, y), "TIME_WAIT") != NULL);
	assert_true(strstr(row(&fx->f, y), "mallory") != NULL);

	/* A destination's owners, by process. */
	keys(fx, "1");
	keys(fx, "/5002\n\n");
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "Owners: 200 ev?]0;x?il (5); 0 TIME_WAIT of no known process"));
	keys(fx, "1");
	uistate_key(&fx->st, UK_HOME);
	keys(fx, "\n");
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "Owners: none known; 25 TIME_WAIT of no known process"));

	/* Sockets: the PROCESS column, and a filter by process name. */
	keys(fx, "4\\curl\n");
	lv = uistate_level(&fx->st);
	render(fx, 120, 24);
	assert_int_equal(lv->nrows, 10);
	assert_true(frame_has(&fx->f, "100 curl"));

	/* The process is gone in the next sample: the drill-down says so. */
	keys(fx, "3\n");
	fx->snap.nprocs = 0;
	fx->snap.sock_proc = NULL;
	refresh(fx);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "This process is gone."));
}

static void test_sockets_view(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv;
	int t;

	keys(fx, "4");
	lv = uistate_level(&fx->st);
	render(fx, 80, 24);
	assert_int_equal(lv->nrows, fx->snap.nsocks);
	t = title_row(&fx->f, "STATE", "LOCAL");
	assert_true(t >= 0);
	/* Sorted by local address and port: the UDP socket on 0.0.0.0 first. */
	assert_true(strstr(row(&fx->f, t + 1), "0.0.0.0:40150") != NULL);
	/* TIME_WAIT has no owner: "-", not root. */
	{
		int y = find_row(&fx->f, "127.0.0.1:40000", t);

		assert_true(y > t);
		assert_true(strstr(row(&fx->f, y), "TIME_WAIT") != NULL);
		assert_true(strstr(row(&fx->f, y), " - ") != NULL);
		assert_true(strstr(row(&fx->f, y), "59s") != NULL);
	}
	/* Filter by state and by port. */
	keys(fx, "\\ESTAB\n");
	render(fx, 80, 24);
	assert_int_equal(lv->nrows, 13);
	assert_true(frame_has(&fx->f, "mal?[2Jlory"));
	uistate_key(&fx->st, UK_ESC);
	keys(fx, "\\:40150\n");
	render(fx, 80, 24);
	assert_int_equal(lv->nrows, 1);
	assert_true(frame_has(&fx->f, "UNCONN"));
	uistate_key(&fx->st, UK_ESC);
	/* Scrolling a long list keeps the cursor on screen. */
	uistate_key(&fx->st, UK_END);
	render(fx, 80, 24);
	assert_int_equal(lv->cursor, fx->snap.nsocks - 1);
	assert_true(cursor_row(&fx->f) > t);
	assert_true(lv->top > 0);
	/* Enter on a socket without a destination says so. */
	uistate_key(&fx->st, UK_HOME);
	keys(fx, "\n");
	assert_int_equal(fx->st.depth, 1);
	assert_true(fx->st.msg[0] != '\0');
	/* Enter on a socket opens its destination. */
	keys(fx, "/:40000\n");
	keys(fx, "\n");
	assert_int_equal(fx->st.depth, 2);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "Sockets > tcp 127.0.0.1 -> 127.0.0.1:5001"));
}

/* qsort_r: socket indices by the Sockets view's LOCAL order, then index. */
static int cmp_local_index(const void *a, const void *b, void *arg)
{
	const struct sock_rec *socks = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = sockindex_cmp_local(&socks[x], &socks[y]);

	return r ? r : (x > y) - (x < y);
}

/* The naive list of a context: every socket tested, then sorted. */
static size_t naive_rows(const struct fixture *fx, long dest, unsigned lo, unsigned hi,
			 uint32_t *out)
{
	size_t i, n = 0;

	for (i = 0; i < fx->snap.nsocks; i++) {
		if (dest >= 0 && fx->sock_dest[i] != (uint32_t)dest)
			continue;
		if (fx->socks[i].sport < lo || fx->socks[i].sport > hi)
			continue;
		out[n++] = (uint32_t)i;
	}
	qsort_r(out, n, sizeof(*out), cmp_local_index, (void *)fx->socks);
	return n;
}

/* Open a Sockets drill-down (ctx flags, dests[dest], ports lo..hi) and
 * check its rows are the naive ones, from the index; returns how many. */
static size_t drill_rows(struct fixture *fx, unsigned flags, long dest, unsigned lo,
			 unsigned hi)
{
	struct ui_level *lv;
	struct ui_ctx ctx;
	uint32_t want[64];
	size_t n, k;

	memset(&ctx, 0, sizeof(ctx));
	ctx.flags = flags;
	ctx.port_lo = lo;
	ctx.port_hi = hi;
	if (dest >= 0)
		dest_key_of(&fx->dests[dest], &ctx.dest);
	assert_int_equal(uistate_push(&fx->st, VIEW_SOCKS, &ctx, "drill"), 0);
	lv = uistate_level(&fx->st);
	render(fx, 120, 40);
	assert_true(lv->rows_ext);
	n = naive_rows(fx, (flags & CTX_DEST) ? dest : -1, lo, hi, want);
	assert_int_equal(lv->nrows, n);
	for (k = 0; k < n; k++)
		assert_int_equal(list_row(lv, k), want[k]);
	return n;
}

/*
 * The Sockets view takes its order from the snapshot's index instead of
 * sorting every refresh: the rows must be exactly the naive filter-and-sort
 * of every context, inverted too, and the cursor must follow its socket
 * into a sample whose dump order is different.
 */
static void test_sockets_indexed(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv;
	uint32_t want[64];
	uint64_t cookie;
	size_t n, k, i;
	long cur;

	keys(fx, "4");
	lv = uistate_level(&fx->st);
	render(fx, 80, 24);
	assert_true(lv->rows_ext);
	n = naive_rows(fx, -1, 0, 65535, want);
	assert_int_equal(lv->nrows, n);
	for (k = 0; k < n; k++)
		assert_int_equal(list_row(lv, k), want[k]);
	/* Inverted: the same rows, last first. */
	keys(fx, "I");
	render(fx, 80, 24);
	assert_true(lv->rows_ext);
	for (k = 0; k < n; k++)
		assert_int_equal(list_row(lv, k), want[n - 1 - k]);
	keys(fx, "I");

	/* Select 127.0.0.1:40063, then a sample with the dump reversed and
	 * the ten sockets of 10.0.0.1 (before it) moved to 192.0.2.1 (after
	 * it): its row moves up by ten. */
	keys(fx, "/:40063\n");
	render(fx, 80, 24);
	cur = list_current(&fx->st, lv);
	assert_true(cur >= 0);
	assert_int_equal(fx->socks[cur].sport, 40063);
	cookie = fx->socks[cur].cookie;
	for (i = 0; i < fx->snap.nsocks / 2; i++) {
		size_t j = fx->snap.nsocks - 1 - i;
		struct sock_rec r = fx->socks[i];
		uint32_t d = fx->sock_dest[i];

		fx->socks[i] = fx->socks[j];
		fx->socks[j] = r;
		fx->sock_dest[i] = fx->sock_dest[j];
		fx->sock_dest[j] = d;
	}
	for (i = 0; i < fx->snap.nsocks; i++)
		if (fx->socks[i].saddr[0] == 10)
			v4(fx->socks[i].saddr, "192.0.2.1");
	k = lv->cursor;
	refresh(fx);
	render(fx, 80, 24);
	cur = list_current(&fx->st, lv);
	assert_true(cur >= 0);
	assert_true(fx->socks[cur].cookie == cookie);
	assert_true(strstr(row(&fx->f, cursor_row(&fx->f)), "127.0.0.1:40063") != NULL);
	assert_int_equal(lv->cursor, k - 10);
	n = naive_rows(fx, -1, 0, 65535, want);
	for (k = 0; k < n; k++)
		assert_int_equal(list_row(lv, k), want[k]);

	/* A port range, every destination, then one destination; then one
	 * destination's sockets, by port. */
	assert_true(drill_rows(fx, CTX_PORTS, -1, 40060, 40125) > 10);
	uistate_key(&fx->st, UK_ESC);
	assert_int_equal(drill_rows(fx, CTX_PORTS | CTX_DEST, 2, 40060, 40125), 5);
	uistate_key(&fx->st, UK_ESC);
	assert_int_equal(drill_rows(fx, CTX_DEST, 0, 0, 65535), 25);
}

/* ---- the Sockets view sorted by other columns ---- */

/* The columns of the Sockets view, checked against its titles. */
enum { SO_PROTO, SO_STATE, SO_LOCAL, SO_REMOTE, SO_USER, SO_TIMER, SO_PROC, SO_COUNT };

/* qsort_r context: one column of the view's comparator. */
struct by_col {
	const struct fixture *fx;
	int col;
	int desc;
};

/* The order a keyed sort must give: the comparator, ties in LOCAL order,
 * then by index (ascending; the caller reverses for descending). */
static int cmp_col_local(const void *a, const void *b, void *arg)
{
	const struct by_col *c = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = view_socks_ops.cmp(&c->fx->st, x, y, c->col);

	return r ? r : cmp_local_index(a, b, (void *)c->fx->socks);
}

/* The order of a filter-and-sort: the comparator (negated when
 * descending), ties by index. */
static int cmp_col_index(const void *a, const void *b, void *arg)
{
	const struct by_col *c = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = view_socks_ops.cmp(&c->fx->st, x, y, c->col);

	if (c->desc)
		r = -r;
	return r ? r : (x > y) - (x < y);
}

static int cmp3(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

static long test_pid(const struct fixture *fx, uint32_t i)
{
	uint32_t p;

	if (!fx->snap.sock_proc)
		return -1;
	p = fx->snap.sock_proc[i];
	return p == SNAP_NO_PROC || p >= fx->snap.nprocs ? -1 : fx->procs[p].pid;
}

static int test_plain_v4(const uint8_t *a, unsigned family)
{
	static const uint8_t zero[12];

	return family == AF_INET && memcmp(a + 4, zero, sizeof(zero)) == 0;
}

/* What each column means, read here from the fields (not from the view):
 * <0, 0 or >0 for sockets a and b. */
static int field_cmp(const struct fixture *fx, uint32_t ia, uint32_t ib, int col)
{
	const struct sock_rec *a = &fx->socks[ia], *b = &fx->socks[ib];
	int r;

	switch (col) {
	case SO_PROTO:
		r = cmp3(a->proto, b->proto);
		return r ? r : cmp3(a->family, b->family);
	case SO_STATE:
		return cmp3(a->state, b->state);
	case SO_LOCAL:
		return sockindex_cmp_local(a, b);
	case SO_REMOTE:
		r = test_plain_v4(b->daddr, b->family) - test_plain_v4(a->daddr, a->family);
		if (!r)
			r = cmp3(a->family, b->family);
		if (!r)
			r = memcmp(a->daddr, b->daddr, 16);
		return r ? r : cmp3(a->dport, b->dport);
	case SO_USER:
		return cmp3(a->uid, b->uid);
	case SO_TIMER:
		return cmp3(a->expires_ms, b->expires_ms);
	case SO_PROC: {
		long pa = test_pid(fx, ia), pb = test_pid(fx, ib);

		return (pa > pb) - (pa < pb);
	}
	default:
		fail();
		return 0;
	}
}

/*
 * What the view must show sorted by col (desc: descending) without a
 * filter, in a context (dest, local ports lo..hi): keyed, ties in LOCAL
 * order then by index, the whole list reversed when descending; else
 * (keyed 0) the filter-and-sort's order, ties by index.
 */
static size_t naive_sorted(const struct fixture *fx, long dest, unsigned lo, unsigned hi,
			   int col, int desc, int keyed, uint32_t *out)
{
	struct by_col c = { fx, col, desc };
	size_t n = naive_rows(fx, dest, lo, hi, out), k;

	if (keyed) {
		qsort_r(out, n, sizeof(*out), cmp_col_local, &c);
		for (k = 0; desc && k < n / 2; k++) {
			uint32_t t = out[k];

			out[k] = out[n - 1 - k];
			out[n - 1 - k] = t;
		}
	} else {
		qsort_r(out, n, sizeof(*out), cmp_col_index, &c);
	}
	/* The comparator means what the column says. */
	for (k = 1; k < n; k++) {
		int r = field_cmp(fx, out[k - 1], out[k], col);

		assert_true(desc ? r >= 0 : r <= 0);
	}
	return n;
}

static void assert_rows(const struct ui_level *lv, const uint32_t *want, size_t n)
{
	size_t k;

	assert_int_equal(lv->nrows, n);
	for (k = 0; k < n; k++)
		assert_int_equal(list_row(lv, k), want[k]);
}

/* Swap sockets i and j with what belongs to them. */
static void swap_socks(struct fixture *fx, size_t i, size_t j)
{
	struct sock_rec r = fx->socks[i];
	uint32_t d = fx->sock_dest[i], p = fx->sock_proc[i];

	fx->socks[i] = fx->socks[j];
	fx->socks[j] = r;
	fx->sock_dest[i] = fx->sock_dest[j];
	fx->sock_dest[j] = d;
	fx->sock_proc[i] = fx->sock_proc[j];
	fx->sock_proc[j] = p;
}

/*
 * A population where every column has ties and distinct values: owners
 * (one of no process, one uid-only row), timers and uids (one past
 * INT_MAX), remote addresses whose byte order matters, two sockets on one
 * local address and port; shuffled, so that dump order is not LOCAL order.
 */
static void sort_population(struct fixture *fx)
{
	unsigned seed = 7;
	size_t i, n;

	add_sock(fx, IPPROTO_TCP, SOCK_ESTABLISHED, "127.0.0.1", 5001, "192.0.2.9", 40190,
		 SNAP_NO_DEST, 33);
	add_sock(fx, IPPROTO_TCP, SOCK_ESTABLISHED, "127.0.0.1", 5001, "9.9.9.9", 40191,
		 SNAP_NO_DEST, 33);
	fx->procs[0] = (struct snap_proc){ .pid = 200, .uid = 1000 };
	fx->procs[1] = (struct snap_proc){ .pid = 100, .uid = 0 };
	fx->procs[2] = (struct snap_proc){ .pid = 0, .uid = 33 };
	fx->snap.nprocs = 3;
	n = fx->snap.nsocks;
	for (i = 0; i < n; i++) {
		struct sock_rec *r = &fx->socks[i];

		fx->sock_proc[i] = r->dport == 5002 ? 0 : r->dport == 443 ? 1 :
				   r->state == SOCK_LISTEN ? 2 : SNAP_NO_PROC;
		if (r->state == SOCK_TIME_WAIT)
			r->expires_ms = 1000 * (uint32_t)(i % 7);
		if (r->proto == IPPROTO_UDP) {
			r->uid = 4000000000u;
			r->expires_ms = 0xfffffff0u;
		}
	}
	fx->snap.sock_proc = fx->sock_proc;
	for (i = n - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		swap_socks(fx, i, (seed >> 16) % (i + 1));
	}
	refresh(fx);
}

/*
 * Every column but LOCAL, both directions, sorted by radix from the
 * snapshot's LOCAL order (lv->rows_keyed, not the view's ordered rows):
 * exactly the comparator's order with ties in LOCAL order; in the top
 * list, a port range (whose ordered rows are built in lv->rows) and a
 * destination.
 */
static void test_sockets_sorted_keyed(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv;
	uint32_t want[64];
	struct ui_ctx ctx;
	size_t n, k;
	int c, inv, col, desc;
	static const char *const titles[SO_COUNT] = {
		"PROTO", "STATE", "LOCAL", "REMOTE", "USER", "TIMER", "PROCESS"
	};

	assert_int_equal(view_socks_ops.ncols, SO_COUNT);
	assert_int_equal(view_socks_ops.default_sort, SO_LOCAL);
	for (c = 0; c < SO_COUNT; c++)
		assert_string_equal(view_socks_ops.cols[c].title, titles[c]);
	sort_population(fx);

	keys(fx, "4");
	lv = uistate_level(&fx->st);
	for (c = 0; c < SO_COUNT; c++) {
		keys(fx, ">");   /* REMOTE, USER, ... LOCAL: inverted off */
		col = lv->sort_col;
		for (inv = 0; inv < 2; inv++) {
			if (inv)
				keys(fx, "I");
			render(fx, 120, 30);
			desc = view_socks_ops.cols[col].desc ^ inv;
			n = naive_sorted(fx, -1, 0, 65535, col, desc, 1, want);
			assert_int_equal(n, fx->snap.nsocks);
			assert_rows(lv, want, n);
			assert_int_equal(lv->rows_ext, col == SO_LOCAL);
			assert_int_equal(lv->rows_keyed, col != SO_LOCAL);
		}
	}
	assert_int_equal(lv->sort_col, SO_LOCAL);
	/* What is drawn follows the rows: the first and the last. */
	keys(fx, "<");
	assert_int_equal(lv->sort_col, SO_STATE);
	n = naive_sorted(fx, -1, 0, 65535, SO_STATE, 0, 1, want);
	for (k = 0; k < 2; k++) {
		const struct sock_rec *r = &fx->socks[want[k ? n - 1 : 0]];
		char local[64];
		int t;

		uistate_key(&fx->st, k ? UK_END : UK_HOME);
		render(fx, 120, 30);
		t = title_row(&fx->f, "STATE", "REMOTE");
		assert_true(t >= 0);
		snprintf(local, sizeof(local), "%u.%u.%u.%u:%u", r->saddr[0], r->saddr[1],
			 r->saddr[2], r->saddr[3], r->sport);
		if (!k)
			assert_int_equal(cursor_row(&fx->f), t + 1);
		assert_true(strstr(row(&fx->f, cursor_row(&fx->f)), local) != NULL);
		assert_true(strstr(row(&fx->f, cursor_row(&fx->f)),
				   r->proto == IPPROTO_UDP ? "UNCONN" :
				   sock_state_name(r->state)) != NULL);
	}

	/* A port range: its ordered rows are built in lv->rows. */
	memset(&ctx, 0, sizeof(ctx));
	ctx.flags = CTX_PORTS;
	ctx.port_lo = 5001;
	ctx.port_hi = 40125;
	assert_int_equal(uistate_push(&fx->st, VIEW_SOCKS, &ctx, "ports"), 0);
	lv = uistate_level(&fx->st);
	for (c = 0; c < SO_COUNT; c++) {
		keys(fx, ">");
		col = lv->sort_col;
		for (inv = 0; inv < 2; inv++) {
			if (inv)
				keys(fx, "I");
			render(fx, 120, 30);
			desc = view_socks_ops.cols[col].desc ^ inv;
			n = naive_sorted(fx, -1, 5001, 40125, col, desc, 1, want);
			assert_true(n > 10 && n < fx->snap.nsocks);
			assert_rows(lv, want, n);
			assert_int_equal(lv->rows_keyed, col != SO_LOCAL);
		}
	}
	uistate_key(&fx->st, UK_ESC);

	/* A destination, by timer (descending by default). */
	memset(&ctx, 0, sizeof(ctx));
	ctx.flags = CTX_DEST;
	dest_key_of(&fx->dests[0], &ctx.dest);
	assert_int_equal(uistate_push(&fx->st, VIEW_SOCKS, &ctx, "dest"), 0);
	lv = uistate_level(&fx->st);
	keys(fx, ">>>");
	assert_int_equal(lv->sort_col, SO_TIMER);
	render(fx, 120, 40);
	n = naive_sorted(fx, 0, 0, 65535, SO_TIMER, 1, 1, want);
	assert_int_equal(n, 25);
	assert_rows(lv, want, n);
	assert_true(lv->rows_keyed);
}

/*
 * No keyed sort when a row has no key (an IPv6 remote address) or a filter
 * is set: the list filters and sorts, still in the comparator's order.
 */
static void test_sockets_sorted_fallback(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv;
	uint32_t want[64];
	struct sock_rec *r;
	size_t n, k, i, v6;
	int inv, col;

	sort_population(fx);
	/* An IPv6 connection. */
	v6 = add_sock(fx, IPPROTO_TCP, SOCK_ESTABLISHED, "127.0.0.1", 40170, "127.0.0.1",
		      80, SNAP_NO_DEST, 0);
	r = &fx->socks[v6];
	r->family = AF_INET6;
	memset(r->saddr, 0, 16);
	memset(r->daddr, 0, 16);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", r->saddr), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::2", r->daddr), 1);
	fx->sock_proc[v6] = SNAP_NO_PROC;
	refresh(fx);

	keys(fx, "4>");
	lv = uistate_level(&fx->st);
	assert_int_equal(lv->sort_col, SO_REMOTE);
	for (inv = 0; inv < 2; inv++) {
		if (inv)
			keys(fx, "I");
		render(fx, 120, 30);
		assert_int_equal(lv->rows_keyed, 0);
		assert_int_equal(lv->rows_ext, 0);
		n = naive_sorted(fx, -1, 0, 65535, SO_REMOTE, inv, 0, want);
		assert_int_equal(n, fx->snap.nsocks);
		assert_rows(lv, want, n);
		/* The IPv6 remote after every IPv4 one. */
		assert_int_equal(list_row(lv, inv ? 0 : n - 1), v6);
	}
	/* The other columns keep their keys with it (PROTO: tcp6 between
	 * tcp and udp). */
	for (col = SO_USER; col != SO_REMOTE; col = (col + 1) % SO_COUNT) {
		keys(fx, ">");
		assert_int_equal(lv->sort_col, col);
		for (inv = 0; inv < 2 && col != SO_LOCAL; inv++) {
			if (inv)
				keys(fx, "I");
			render(fx, 120, 30);
			assert_true(lv->rows_keyed);
			n = naive_sorted(fx, -1, 0, 65535, col,
					 view_socks_ops.cols[col].desc ^ inv, 1, want);
			assert_rows(lv, want, n);
		}
	}
	keys(fx, "<");
	assert_int_equal(lv->sort_col, SO_STATE);
	render(fx, 120, 30);
	assert_true(lv->rows_keyed);

	/* A filter: filtered and sorted, ties by index. */
	keys(fx, "\\127.0.0.1\n");
	render(fx, 120, 30);
	assert_int_equal(lv->rows_keyed, 0);
	n = naive_sorted(fx, -1, 0, 65535, SO_STATE, 0, 0, want);
	for (i = 0, k = 0; i < n; i++) {
		char text[512];

		text[0] = '\0';
		view_socks_ops.match_text(&fx->st, want[i], text, sizeof(text));
		if (text_contains(text, "127.0.0.1"))
			want[k++] = want[i];
	}
	assert_true(k > 10 && k < fx->snap.nsocks);
	assert_rows(lv, want, k);
}

/* Sorted by STATE, the cursor follows its socket into a sample where it
 * moved (dump reversed, ten sockets before it in LOCAL order moved after
 * it), inverted too. */
static void test_sockets_sorted_cursor(void **state)
{
	struct fixture *fx = *state;
	struct ui_level *lv;
	uint32_t want[64];
	uint64_t cookie;
	size_t n, i, k, old;
	long cur;
	int inv;

	sort_population(fx);
	keys(fx, "4<");
	lv = uistate_level(&fx->st);
	assert_int_equal(lv->sort_col, SO_STATE);
	for (inv = 0; inv < 2; inv++) {
		if (inv)
			keys(fx, "I");
		keys(fx, "/:40063\n");
		render(fx, 120, 30);
		cur = list_current(&fx->st, lv);
		assert_true(cur >= 0);
		assert_int_equal(fx->socks[cur].sport, 40063);
		cookie = fx->socks[cur].cookie;
		old = lv->cursor;
		for (i = 0; i < fx->snap.nsocks / 2; i++)
			swap_socks(fx, i, fx->snap.nsocks - 1 - i);
		for (i = 0; i < fx->snap.nsocks; i++)
			if (fx->socks[i].saddr[0] == 10)
				v4(fx->socks[i].saddr, "192.0.2.1");
			else if (fx->socks[i].saddr[0] == 192)
				v4(fx->socks[i].saddr, "10.0.0.1");
		refresh(fx);
		render(fx, 120, 30);
		assert_true(lv->rows_keyed);
		n = naive_sorted(fx, -1, 0, 65535, SO_STATE, inv, 1, want);
		assert_rows(lv, want, n);
		cur = list_current(&fx->st, lv);
		assert_true(cur >= 0);
		assert_true(fx->socks[cur].cookie == cookie);
		for (k = 0; k < n && want[k] != (uint32_t)cur; k++)
			;
		assert_int_equal(lv->cursor, k);
		/* Ten ESTABLISHED sockets crossed it. */
		assert_int_equal(lv->cursor, old - 10);
		assert_true(strstr(row(&fx->f, cursor_row(&fx->f)), "127.0.0.1:40063") != NULL);
	}
}

static void test_help_and_tabs(void **state)
{
	struct fixture *fx = *state;

	keys(fx, "h");
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_HELP);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "KEYS"));
	assert_true(frame_has(&fx->f, "Destinations > Help"));
	uistate_key(&fx->st, UK_PGDN);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "HEATMAP GLYPHS"));
	uistate_key(&fx->st, UK_ESC);
	assert_int_equal(fx->st.depth, 1);
	keys(fx, "?");
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_HELP);
	uistate_key(&fx->st, UK_F(1));
	assert_int_equal(fx->st.depth, 1);

	/* Tab cycles the top views; Shift-Tab goes back. */
	uistate_key(&fx->st, UK_TAB);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_HEATMAP);
	uistate_key(&fx->st, UK_TAB);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_PROCS);
	uistate_key(&fx->st, UK_TAB);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_SOCKS);
	uistate_key(&fx->st, UK_TAB);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_DESTS);
	uistate_key(&fx->st, UK_BTAB);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_SOCKS);
	/* Tab from a drill-down goes back to the top. */
	keys(fx, "1\n");
	assert_int_equal(fx->st.depth, 2);
	uistate_key(&fx->st, UK_TAB);
	assert_int_equal(fx->st.depth, 1);
	/* q and F10 quit. */
	keys(fx, "q");
	assert_int_equal(fx->st.quit, 1);
	fx->st.quit = 0;
	uistate_key(&fx->st, UK_F(10));
	assert_int_equal(fx->st.quit, 1);
}

static void test_pause_interval(void **state)
{
	struct fixture *fx = *state;
	int t;

	keys(fx, " ");
	assert_int_equal(fx->st.paused, 1);
	render(fx, 80, 24);
	assert_true(find_row(&fx->f, "PAUSED", 0) == 0);
	t = find_row(&fx->f, "PAUSED", 1);
	assert_true(t > 0);          /* on the tab line too */
	render(fx, 40, 10);          /* compact header */
	assert_true(frame_has(&fx->f, "PAUSED"));
	keys(fx, "Z");
	assert_int_equal(fx->st.paused, 0);
	render(fx, 80, 24);
	assert_false(frame_has(&fx->f, "PAUSED"));
	assert_true(frame_has(&fx->f, "every 1s"));
	keys(fx, "+");
	assert_true(fx->st.delay == 2.0);
	keys(fx, "--");
	assert_true(fx->st.delay == 0.5);
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "every 0.5s"));
	keys(fx, "-----");
	assert_true(fx->st.delay == 0.1);
	assert_true(uistate_delay_step(300, 1) == 300);
	assert_true(uistate_delay_step(0.7, 1) == 1);
	assert_true(uistate_delay_step(0.7, -1) == 0.5);
	/* Ctrl-L asks for a full repaint. */
	uistate_key(&fx->st, UK_CTRL('l'));
	assert_int_equal(fx->st.want_redraw, 1);
}

/* Every view, in every size, from 1x1 to huge: clean and within bounds. */
static void test_sizes(void **state)
{
	static const int sizes[][2] = {
		{ 80, 24 }, { 10, 3 }, { 1, 1 }, { 0, 0 }, { 20, 5 }, { 19, 24 },
		{ 80, 4 }, { 30, 8 }, { 40, 10 }, { 81, 25 }, { 132, 43 },
		{ 300, 100 }, { 1000, 2 }, { 2, 1000 },
	};
	static const char *const paths[] = {
		"1", "1\n", "1m", "2", "2\n", "3", "4", "4\n", "h", "1\\127\n",
	};
	struct fixture *fx = *state;
	size_t p, s;

	for (p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
		uistate_key(&fx->st, '1');
		keys(fx, paths[p]);
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			render(fx, sizes[s][0], sizes[s][1]);
			/* Keys between renders of odd sizes must not break. */
			uistate_key(&fx->st, UK_DOWN);
			uistate_key(&fx->st, UK_PGDN);
			uistate_key(&fx->st, UK_RIGHT);
		}
		while (fx->st.depth > 1)
			uistate_key(&fx->st, UK_ESC);
	}
	render(fx, 10, 3);
	assert_true(frame_has(&fx->f, "too small"));
	render(fx, 19, 24);
	assert_true(frame_has(&fx->f, "too small"));
	render(fx, 10, 3);
	assert_true(frame_has(&fx->f, "need 20x5"));
	/* The smallest full screen: the tab line, a notice for a view that
	 * does not fit, and the function bar. */
	render(fx, 20, 5);
	assert_false(frame_has(&fx->f, "need 20x5"));
	assert_true(frame_has(&fx->f, " 1 Destinations"));
	assert_true(frame_has(&fx->f, "window too small"));
	assert_true(frame_has(&fx->f, "F1Help"));
	/* The destinations table fits 80 columns with its key columns. */
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "HEADROOM"));
	assert_true(frame_has(&fx->f, "AVAIL"));
	assert_true(frame_has(&fx->f, "LOCAL"));
	/* And a narrow terminal drops columns rather than cutting numbers. */
	render(fx, 40, 12);
	{
		int t = title_row(&fx->f, "REMOTE", "AVAIL");

		assert_true(t >= 0);
		assert_true(strstr(row(&fx->f, t + 1), "164") != NULL);
	}
}

static void test_no_snapshot(void **state)
{
	struct fixture *fx = *state;

	uistate_set_snapshot(&fx->st, NULL);
	snprintf(fx->st.error, sizeof(fx->st.error), "sample failed: boom");
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "waiting for the first sample"));
	keys(fx, "2jd\n3\n4\n/x\n\\y\n");
	render(fx, 80, 24);
	render(fx, 10, 3);
	render(fx, 25, 6);
}

static void test_error_and_warnings(void **state)
{
	struct fixture *fx = *state;

	snprintf(fx->snap.warnings[0], SNAP_WARNING_LEN, "bound sockets not visible\033[H");
	snprintf(fx->snap.warnings[1], SNAP_WARNING_LEN, "second");
	fx->snap.nwarnings = 2;
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "! bound sockets not visible?[H (+1 more)"));
	snprintf(fx->st.error, sizeof(fx->st.error), "sample failed: Permission denied");
	render(fx, 80, 24);
	assert_true(frame_has(&fx->f, "sample failed: Permission denied"));
	/* The last good snapshot is still shown. */
	assert_true(frame_has(&fx->f, "127.0.0.1:5001"));
}

static void test_ipv6_dest(void **state)
{
	struct fixture *fx = *state;
	struct snap_dest *d = &fx->dests[2];
	int t, y;

	d->family = AF_INET6;
	memset(d->saddr, 0, 16);
	memset(d->daddr, 0, 16);
	inet_pton(AF_INET6, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", d->saddr);
	inet_pton(AF_INET6, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:2", d->daddr);
	refresh(fx);
	render(fx, 80, 24);
	t = title_row(&fx->f, "REMOTE", "AVAIL");
	y = find_row(&fx->f, "eeee:2]:5002", t);
	/* Cut at the start, the port kept. */
	assert_true(y > t);
	assert_true(strstr(row(&fx->f, y), "~") != NULL);
	assert_true(strstr(row(&fx->f, y), "184") != NULL);
	render(fx, 200, 30);
	assert_true(frame_has(&fx->f, "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:2]:5002"));
	assert_true(frame_has(&fx->f, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"));
}

/* ---- keys and frame ---- */

static void test_keys_map(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(keys_action('q'), ACT_QUIT);
	assert_int_equal(keys_action(UK_F(10)), ACT_QUIT);
	assert_int_equal(keys_action(UK_F(1)), ACT_HELP);
	assert_int_equal(keys_action('h'), ACT_HELP);
	assert_int_equal(keys_action('?'), ACT_HELP);
	assert_int_equal(keys_action(UK_TAB), ACT_VIEW_NEXT);
	assert_int_equal(keys_action(UK_BTAB), ACT_VIEW_PREV);
	assert_int_equal(keys_action('1'), ACT_VIEW_1);
	assert_int_equal(keys_action('4'), ACT_VIEW_4);
	assert_int_equal(keys_action('j'), ACT_DOWN);
	assert_int_equal(keys_action('k'), ACT_UP);
	assert_int_equal(keys_action(UK_DOWN), ACT_DOWN);
	assert_int_equal(keys_action(UK_PGUP), ACT_PGUP);
	assert_int_equal(keys_action(UK_PGDN), ACT_PGDN);
	assert_int_equal(keys_action(UK_HOME), ACT_HOME);
	assert_int_equal(keys_action(UK_END), ACT_END);
	assert_int_equal(keys_action(UK_ENTER), ACT_ENTER);
	assert_int_equal(keys_action(UK_ESC), ACT_BACK);
	assert_int_equal(keys_action(UK_BACKSPACE), ACT_BACK);
	assert_int_equal(keys_action(UK_F(6)), ACT_SORT_NEXT);
	assert_int_equal(keys_action('>'), ACT_SORT_NEXT);
	assert_int_equal(keys_action('<'), ACT_SORT_PREV);
	assert_int_equal(keys_action('I'), ACT_INVERT);
	assert_int_equal(keys_action(UK_F(3)), ACT_SEARCH);
	assert_int_equal(keys_action('/'), ACT_SEARCH);
	assert_int_equal(keys_action(UK_F(4)), ACT_FILTER);
	assert_int_equal(keys_action('\\'), ACT_FILTER);
	assert_int_equal(keys_action(' '), ACT_PAUSE);
	assert_int_equal(keys_action('Z'), ACT_PAUSE);
	assert_int_equal(keys_action('+'), ACT_SLOWER);
	assert_int_equal(keys_action('-'), ACT_FASTER);
	assert_int_equal(keys_action(UK_CTRL('l')), ACT_REDRAW);
	assert_int_equal(keys_action(UK_RESIZE), ACT_RESIZE);
	assert_int_equal(keys_action('x'), ACT_NONE);
	assert_string_equal(keys_name(UK_F(10), buf, sizeof(buf)), "F10");
	assert_string_equal(keys_name(UK_ENTER, buf, sizeof(buf)), "Enter");
	assert_string_equal(keys_name(UK_CTRL('l'), buf, sizeof(buf)), "Ctrl-L");
}

static void test_frame_basics(void **state)
{
	struct frame f;
	char buf[256];

	(void)state;
	frame_init(&f, 0);
	assert_int_equal(frame_resize(&f, 10, 2), 0);
	assert_int_equal(frame_text(&f, 0, 0, 100, ST_NORMAL, "hello\033[2J world"), 10);
	frame_row_text(&f, 0, buf, sizeof(buf));
	assert_string_equal(buf, "hello?[2J ");
	/* Clipping: negative and out-of-frame positions write nothing. */
	frame_text(&f, -3, 1, 100, ST_NORMAL, "abcdef");
	frame_row_text(&f, 1, buf, sizeof(buf));
	assert_string_equal(buf, "def       ");
	frame_text(&f, 0, 5, 100, ST_NORMAL, "x");
	frame_put(&f, 10, 0, 'x', ST_NORMAL);
	/* Non-ASCII in ASCII mode becomes '?'. */
	frame_text(&f, 0, 1, 3, ST_NORMAL, "\xc3\xa9t\xff");
	frame_row_text(&f, 1, buf, sizeof(buf));
	assert_string_equal(buf, "?t?       ");
	/* Boxes: alignment and cuts. */
	frame_text_box(&f, 0, 0, 6, ST_NORMAL, "1.2.3.4:443", AL_LEFT, CUT_LEFT);
	frame_row_text(&f, 0, buf, sizeof(buf));
	assert_true(strncmp(buf, "~4:443", 6) == 0);
	frame_text_box(&f, 0, 0, 6, ST_NORMAL, "abcdefgh", AL_LEFT, CUT_RIGHT);
	frame_row_text(&f, 0, buf, sizeof(buf));
	assert_true(strncmp(buf, "abcde~", 6) == 0);
	frame_text_box(&f, 0, 0, 6, ST_NORMAL, "42", AL_RIGHT, CUT_RIGHT);
	frame_row_text(&f, 0, buf, sizeof(buf));
	assert_true(strncmp(buf, "    42", 6) == 0);
	assert_int_equal(frame_resize(&f, 0, 0), 0);
	frame_text(&f, 0, 0, 10, ST_NORMAL, "x");
	assert_null(frame_cell_at(&f, 0, 0));
	frame_release(&f);
}

static void test_frame_utf8(void **state)
{
	struct frame f;
	char buf[256];

	(void)state;
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		skip();
	frame_init(&f, 1);
	assert_int_equal(frame_resize(&f, 6, 1), 0);
	/* Wide characters take two cells; one that does not fit is left out. */
	assert_int_equal(frame_text(&f, 0, 0, 6, ST_NORMAL, "\xe4\xb8\xad\xe6\x96\x87x\xe5\xad\x97"), 5);
	assert_int_equal(frame_cell_at(&f, 1, 0)->ch, FRAME_CONT);
	frame_row_text(&f, 0, buf, sizeof(buf));
	assert_string_equal(buf, "\xe4\xb8\xad\xe6\x96\x87x ");
	/* Overwriting half of a wide character blanks the other half. */
	frame_put(&f, 1, 0, 'y', ST_NORMAL);
	assert_int_equal(frame_cell_at(&f, 0, 0)->ch, ' ');
	/* C1 controls and bidi overrides do not survive frame_put. */
	frame_put(&f, 0, 0, 0x9b, ST_NORMAL);
	assert_int_equal(frame_cell_at(&f, 0, 0)->ch, '?');
	/* Invalid UTF-8 is '?' per byte. */
	frame_text(&f, 0, 0, 6, ST_NORMAL, "\xed\xa0\x80z");
	frame_row_text(&f, 0, buf, sizeof(buf));
	assert_true(strncmp(buf, "???z", 4) == 0);
	frame_release(&f);
	setlocale(LC_CTYPE, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dests_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rates_eta_pids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dests_sort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selection_follows_item, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drill_dest_and_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_and_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heatmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heatmap_big_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heatmap_utf8_color, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dests_inexact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dests_inexact_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_procs_empty_note, setup, teardown),
		cmocka_unit_test_setup_teardown(test_procs_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attribution, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sockets_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sockets_indexed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sockets_sorted_keyed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sockets_sorted_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sockets_sorted_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_and_tabs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_and_warnings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_dest, setup, teardown),
		cmocka_unit_test(test_keys_map),
		cmocka_unit_test(test_frame_basics),
		cmocka_unit_test(test_frame_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
