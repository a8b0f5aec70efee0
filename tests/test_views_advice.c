#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "advice.h"
#include "frame.h"
#include "keys.h"
#include "model.h"
#include "uistate.h"
#include "view.h"

/*
 * The Advice view against frames, on a snapshot built by hand: two
 * loopback destinations held by TIME_WAIT, tcp_tw_reuse 0, timestamps on,
 * the default range 32768-60999 (28232 ports):
 *   tcp 127.0.0.1 -> 127.0.0.1:5001  20000 TIME_WAIT + 100 ESTABLISHED
 *   tcp 127.0.0.1 -> 127.0.0.1:5002   5000 TIME_WAIT +  10 ESTABLISHED
 * The view must say what advice_build() says, wrapped, every word kept.
 */

#define FX_MAX_SOCKS 26000
#define FX_LOW 32768u
#define FX_HIGH 60999u
#define FX_USABLE (FX_HIGH - FX_LOW + 1)

struct fx {
	struct snapshot snap;
	struct snap_dest dests[2];
	struct snap_pool pools[2];
	struct snap_proc procs[1];
	struct sock_rec socks[FX_MAX_SOCKS];
	uint32_t sock_dest[FX_MAX_SOCKS];
	uint8_t usable[65536 / 8];
	uint8_t owned[65536 / 8];
	struct uistate st;
	struct frame f;
};

static void fx_dest(struct fx *f, uint16_t dport, uint32_t n_tw,
		    uint32_t n_est, uint32_t first_port)
{
	struct snapshot *s = &f->snap;
	struct snap_dest *d = &f->dests[s->ndests];
	uint32_t i, n = n_tw + n_est;

	memset(d, 0, sizeof(*d));
	d->family = AF_INET;
	d->proto = IPPROTO_TCP;
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", d->saddr), 1);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", d->daddr), 1);
	d->dport = dport;
	d->states[SOCK_TIME_WAIT] = n_tw;
	d->states[SOCK_ESTABLISHED] = n_est;
	d->sockets = n;
	d->in_use = n;
	d->available = FX_USABLE - n;
	d->headroom_pct = 100.0 * d->available / FX_USABLE;
	d->close_rate = d->close_rate_last = d->tw_rate = d->new_rate = 400;
	d->eta_s = SNAP_NO_ETA;
	for (i = 0; i < n; i++) {
		struct sock_rec *r = &f->socks[s->nsocks];

		assert_true(s->nsocks < FX_MAX_SOCKS);
		memset(r, 0, sizeof(*r));
		memcpy(r->saddr, d->saddr, 16);
		memcpy(r->daddr, d->daddr, 16);
		r->family = AF_INET;
		r->proto = IPPROTO_TCP;
		r->dport = dport;
		r->sport = (uint16_t)(first_port + i);
		assert_true(r->sport <= FX_HIGH);
		r->state = i < n_tw ? SOCK_TIME_WAIT : SOCK_ESTABLISHED;
		r->expires_ms = i < n_tw ? 40000 : 0;
		f->sock_dest[s->nsocks] = (uint32_t)s->ndests;
		s->nsocks++;
	}
	s->tcp_states[SOCK_TIME_WAIT] += n_tw;
	s->tcp_states[SOCK_ESTABLISHED] += n_est;
	s->tcp_sockets += n;
	s->ports_in_use += n;
	s->ndests++;
	f->pools[0].in_use += n;
	f->pools[0].available -= n;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct snapshot *s;
	unsigned p;

	assert_non_null(f);
	s = &f->snap;
	s->time = 1763800000.0;
	snprintf(s->netns, sizeof(s->netns), "net:[4026531840]");
	sysctl_defaults(&s->sys);
	s->sys.tcp_tw_reuse = 0;
	s->sys.tcp_timestamps = 1;
	s->sys.known = SYSCTL_K_RANGE | SYSCTL_K_RESERVED | SYSCTL_K_TW_REUSE |
		       SYSCTL_K_TIMESTAMPS | SYSCTL_K_FIN_TIMEOUT |
		       SYSCTL_K_MAX_TW | SYSCTL_K_TW_REUSE_DELAY;
	s->range_low = FX_LOW;
	s->range_high = FX_HIGH;
	s->usable = FX_USABLE;
	for (p = FX_LOW; p <= FX_HIGH; p++)
		f->usable[p >> 3] |= (uint8_t)(1u << (p & 7));
	s->usable_map = f->usable;
	s->owned_map = f->owned;
	s->dests = f->dests;
	s->pools = f->pools;
	s->socks = f->socks;
	s->sock_dest = f->sock_dest;
	s->rates_source = SNAP_RATES_EXACT;
	s->rates_interval_s = 1.0;
	f->pools[0].family = AF_INET;
	f->pools[0].proto = IPPROTO_TCP;
	f->pools[0].available = FX_USABLE;
	s->npools = 1;
	fx_dest(f, 5001, 20000, 100, FX_LOW);
	fx_dest(f, 5002, 5000, 10, FX_LOW + 20100);
	/* a process name with an escape sequence: the advice may quote it */
	f->procs[0].pid = 78;
	snprintf(f->procs[0].comm, sizeof(f->procs[0].comm), "ng\x1b[2Jinx");
	f->procs[0].time_wait = 15000;
	s->procs = f->procs;
	s->nprocs = 1;
	s->unattributed_time_wait = 10000;

	assert_int_equal(uistate_init(&f->st, 1.0, 1), 0);
	snprintf(f->st.host, sizeof(f->st.host), "testhost");
	uistate_set_snapshot(&f->st, s);
	frame_init(&f->f, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	uistate_release(&f->st);
	frame_release(&f->f);
	free(f);
	return 0;
}

static void render(struct fx *f, int w, int h)
{
	assert_int_equal(frame_resize(&f->f, w, h), 0);
	screen_render(&f->st, &f->f);
}

static void keys(struct fx *f, const char *s)
{
	for (; *s; s++)
		uistate_key(&f->st, *s == '\n' ? UK_ENTER : (unsigned char)*s);
}

static const char *row(struct fx *f, int y)
{
	static char buf[4096];

	frame_row_text(&f->f, y, buf, sizeof(buf));
	return buf;
}

static int find_row_from(struct fx *f, const char *needle, int from)
{
	int y;

	for (y = from; y < f->f.h; y++)
		if (strstr(row(f, y), needle))
			return y;
	return -1;
}

static int find_row(struct fx *f, const char *needle)
{
	return find_row_from(f, needle, 0);
}

/* Every cell printable: no C0/C1 control, no DEL, no ESC. */
static void assert_clean_frame(const struct frame *fr)
{
	int x, y;

	for (y = 0; y < fr->h; y++)
		for (x = 0; x < fr->w; x++) {
			const struct frame_cell *c = frame_cell_at(fr, x, y);

			assert_non_null(c);
			if (c->ch == FRAME_CONT)
				continue;
			assert_true(c->ch >= 0x20);
			assert_false(c->ch >= 0x7f && c->ch < 0xa0);
		}
}

/* Collapse runs of blanks, drop trailing ones. */
static void squeeze(char *s)
{
	char *w = s;
	const char *r = s;
	int blank = 0;

	for (; *r; r++) {
		if (*r == ' ') {
			blank = 1;
			continue;
		}
		if (blank && w > s)
			*w++ = ' ';
		blank = 0;
		*w++ = *r;
	}
	*w = '\0';
}

/* Add one content row to the paragraphs in out ("- " starts one, "  "
 * continues it). */
static void add_row(const char *r, char *out, size_t len, size_t *n, int *in_para)
{
	if (strncmp(r, "- ", 2) == 0) {
		if (*in_para)
			*n += (size_t)snprintf(out + *n, len - *n, "\n");
		*in_para = 1;
		*n += (size_t)snprintf(out + *n, len - *n, "%s", r + 2);
	} else if (*in_para && strncmp(r, "  ", 2) == 0) {
		*n += (size_t)snprintf(out + *n, len - *n, " %s", r + 2);
	}
	assert_true(*n < len);
}

/*
 * The advice text of the view at w x h, read by scrolling down one row at
 * a time: the paragraphs joined into out, one per line, blanks squeezed.
 * The title (the first row) goes to title.
 */
static void advice_text(struct fx *f, int w, int h, char *out, size_t len,
			char *title, size_t tlen)
{
	struct ui_level *lv = uistate_level(&f->st);
	int area_top, area_end, y, in_para = 0, steps = 0;
	size_t n = 0;

	out[0] = '\0';
	uistate_key(&f->st, UK_HOME);
	render(f, w, h);
	assert_int_equal(lv->top, 0);
	area_top = header_lines(&f->st, h) + 1;
	area_end = h - 1;
	snprintf(title, tlen, "%s", row(f, area_top));
	squeeze(title);
	for (y = area_top + 1; y < area_end; y++)
		add_row(row(f, y), out, len, &n, &in_para);
	for (;;) {
		size_t top = lv->top;

		uistate_key(&f->st, UK_DOWN);
		render(f, w, h);
		if (lv->top == top)
			break;          /* the end: clamped */
		assert_int_equal(lv->top, top + 1);
		add_row(row(f, area_end - 1), out, len, &n, &in_para);
		assert_true(++steps < 500);
	}
	out[n] = '\0';
	{
		/* squeeze each paragraph */
		char *p = out, *nl;

		for (;;) {
			nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			squeeze(p);
			if (!nl)
				break;
			n = strlen(p);
			p[n] = '\n';
			memmove(p + n + 1, nl + 1, strlen(nl + 1) + 1);
			p += n + 1;
		}
	}
}

/* The paragraphs advice_build() gives for dest, one per line, blanks
 * squeezed; also the numbers each view test looks for. */
static void expected_text(struct fx *f, size_t dest, char *out, size_t len,
			  struct advice *a)
{
	size_t i, n = 0;

	assert_true(advice_build(&f->snap, dest, a) > 0);
	out[0] = '\0';
	for (i = 0; i < a->n; i++) {
		char line[ADVICE_TEXT_LEN];
		char *e;

		snprintf(line, sizeof(line), "%s", a->lines[i].text);
		squeeze(line);
		/* the view's sanitiser: a control character is shown as '?' */
		for (e = line; *e; e++)
			if ((unsigned char)*e < 0x20 || *e == 0x7f)
				*e = '?';
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? "\n" : "", line);
		assert_true(n < len);
	}
}

static void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("missing \"%s\" in:\n%s\n", needle, hay);
		fail();
	}
}

static void test_advice_view_worst(void **state)
{
	struct fx *f = *state;
	struct advice a;
	char *got = malloc(16384), *want = malloc(16384), title[4096], num[64];

	assert_non_null(got);
	assert_non_null(want);
	/* the tab is there; 7 opens the view */
	render(f, 80, 24);
	assert_true(find_row(f, " 7 Advice ") >= 0);
	assert_true(find_row(f, "F10Quit") >= 0);
	assert_true(find_row(f, "aAdvice") >= 0);
	keys(f, "7");
	assert_int_equal(uistate_level(&f->st)->view, VIEW_ADVICE);
	assert_int_equal(f->st.depth, 1);

	advice_text(f, 80, 24, got, 16384, title, sizeof(title));
	expected_text(f, ADVICE_NO_DEST, want, 16384, &a);
	assert_int_equal(a.dest, 0);
	assert_has(title, "Advice for tcp 127.0.0.1 -> 127.0.0.1:5001 (worst destination)");
	/* every paragraph, every word, in order */
	assert_string_equal(got, want);

	/* the key numbers: available, TIME_WAIT, the range */
	snprintf(num, sizeof(num), "%u of %u usable ports left",
		 (unsigned)f->dests[0].available, FX_USABLE);
	assert_has(got, num);
	snprintf(num, sizeof(num), "%u TIME_WAIT",
		 (unsigned)f->dests[0].states[SOCK_TIME_WAIT]);
	assert_has(got, num);
	snprintf(num, sizeof(num), "%u-%u (%u ports", FX_LOW, FX_HIGH, FX_USABLE);
	assert_has(got, num);
	/* tw_reuse and range widening lines */
	assert_has(got, "tcp_tw_reuse=0");
	assert_has(got, "ip_local_port_range is");
	assert_has(got, "1024-65535 would add");
	/* the process name went through the sanitiser */
	assert_has(got, "ng?[2Jinx");
	assert_clean_frame(&f->f);

	/* the compact header (8 to 15 rows) gives the forecast when known */
	render(f, 80, 12);
	assert_int_equal(find_row(f, "full in"), -1);
	f->dests[0].eta_s = 45;
	render(f, 80, 12);
	assert_int_equal(find_row(f, "full in 45s"), 0);
	assert_true(find_row(f, "range 32768/60999") == 0);
	f->dests[0].eta_s = SNAP_NO_ETA;

	/* Tab leaves Advice for Destinations; Tab from Sockets skips it */
	uistate_key(&f->st, UK_TAB);
	assert_int_equal(uistate_level(&f->st)->view, VIEW_DESTS);
	keys(f, "4");
	uistate_key(&f->st, UK_TAB);
	assert_int_equal(uistate_level(&f->st)->view, VIEW_DESTS);
	/* the help names the view and the key */
	keys(f, "?");
	render(f, 80, 40);
	assert_true(find_row(f, " 7 Advice ") >= 0);
	assert_true(find_row(f, " m a             heatmap / advice (7: the worst)") >= 0);
	free(got);
	free(want);
}

static void test_advice_view_small(void **state)
{
	struct fx *f = *state;
	struct ui_level *lv;
	int w, h, x, y, rw, rh;

	keys(f, "7");
	/* whole screens from 10x3 up: clipped, clean */
	for (w = 10; w <= 40; w += 3)
		for (h = 3; h <= 12; h++) {
			render(f, w, h);
			assert_int_equal(f->f.w, w);
			assert_int_equal(f->f.h, h);
			assert_clean_frame(&f->f);
			uistate_key(&f->st, UK_END);
			render(f, w, h);
			assert_clean_frame(&f->f);
		}
	render(f, 10, 3);
	assert_true(find_row(f, "too small") >= 0);

	/* the view alone, in areas down to 1x1: nothing outside the area */
	lv = uistate_level(&f->st);
	for (rw = 1; rw <= 12; rw++)
		for (rh = 1; rh <= 3; rh++) {
			struct rect r = { 3, 2, rw, rh };
			int inside = 0;

			assert_int_equal(frame_resize(&f->f, 20, 8), 0);
			frame_fill(&f->f, (struct rect){ 0, 0, 20, 8 }, '#', ST_NORMAL);
			lv->top = 0;
			view_advice_ops.draw(&f->st, lv, &f->f, r);
			for (y = 0; y < 8; y++)
				for (x = 0; x < 20; x++) {
					const struct frame_cell *c = frame_cell_at(&f->f, x, y);
					int in = x >= r.x && x < r.x + r.w &&
						 y >= r.y && y < r.y + r.h;

					if (!in)
						assert_int_equal(c->ch, '#');
					else if (c->ch != '#')
						inside++;
				}
			assert_true(inside > 0);
			assert_clean_frame(&f->f);
		}
}

static void test_advice_view_from_dests(void **state)
{
	struct fx *f = *state;
	struct advice a;
	char *got = malloc(16384), *want = malloc(16384), title[4096], num[64];
	int y;

	assert_non_null(got);
	assert_non_null(want);
	/* the second row of Destinations is 127.0.0.1:5002 */
	render(f, 80, 24);
	y = find_row_from(f, "127.0.0.1:5001", find_row(f, "REMOTE"));
	assert_true(y > 0);
	assert_int_equal(find_row_from(f, "127.0.0.1:5002", y), y + 1);
	keys(f, "ja");
	assert_int_equal(f->st.depth, 2);
	assert_int_equal(uistate_level(&f->st)->view, VIEW_ADVICE);
	render(f, 80, 24);
	assert_true(find_row(f, "Destinations > tcp 127.0.0.1 -> 127.0.0.1:5002 advice") >= 0);

	advice_text(f, 80, 24, got, 16384, title, sizeof(title));
	expected_text(f, 1, want, 16384, &a);
	assert_int_equal(a.dest, 1);
	assert_has(title, "Advice for tcp 127.0.0.1 -> 127.0.0.1:5002 (selected)");
	assert_string_equal(got, want);
	snprintf(num, sizeof(num), "%u of %u usable ports left",
		 (unsigned)f->dests[1].available, FX_USABLE);
	assert_has(got, num);
	snprintf(num, sizeof(num), "%u of %u usable ports left",
		 (unsigned)f->dests[0].available, FX_USABLE);
	assert_null(strstr(got, num));
	/* a again does not stack another level; Esc goes back */
	keys(f, "a");
	assert_int_equal(f->st.depth, 2);
	uistate_key(&f->st, UK_ESC);
	assert_int_equal(f->st.depth, 1);
	assert_int_equal(uistate_level(&f->st)->view, VIEW_DESTS);

	/* from a destination's sockets: that destination */
	keys(f, "\n");
	assert_int_equal(uistate_level(&f->st)->view, VIEW_SOCKS);
	keys(f, "a");
	assert_int_equal(uistate_level(&f->st)->view, VIEW_ADVICE);
	render(f, 80, 24);
	assert_true(find_row(f, "Advice for tcp 127.0.0.1 -> 127.0.0.1:5002 (selected)") >= 0);

	/* the destination went away: said so, not another one explained */
	f->snap.ndests = 1;
	uistate_set_snapshot(&f->st, &f->snap);
	render(f, 80, 24);
	assert_true(find_row(f, "no socket toward it in this sample") >= 0);
	assert_int_equal(find_row(f, "Advice for"), -1);
	free(got);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_advice_view_worst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_advice_view_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_advice_view_from_dests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
