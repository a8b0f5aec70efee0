#include "config.h"

#include <string.h>

#include "frame.h"
#include "fuzz.h"
#include "keys.h"
#include "model.h"
#include "sampler.h"
#include "uistate.h"
#include "view.h"

/*
 * The interactive UI without a terminal: keys (the filter and search
 * prompts among them) and terminal sizes, over a snapshot of any
 * population, with a process whose name and command line are raw bytes
 * (the UI must gate them itself). Input:
 *   byte 0, 1   frame width (10..265) and height (3..66)
 *   byte 2      bit 0: UTF-8 glyphs, bit 1: colours
 *   byte 3      number of sockets n (0..63)
 *   then        n socket records (fuzz_make_rec), owned by process 4242
 *               when byte 0 of the record has bit 7 set
 *   then        u8 length + the process name, u8 length + its command line
 *   then        keys: a byte below 0x80 is that character; 0x80..0x9f a
 *               special key (arrows, Enter, Esc, F1..F12, ...); 0xa0..0xef
 *               a UTF-8 character; 0xf0..0xfd a new size from the next
 *               two bytes; 0xfe a new sample (same population); 0xff
 *               the snapshot is taken away (a failed sample).
 * Every key (at most 128) is followed by a render. Checks: every cell is printable
 * (no control, no DEL/C1, 7-bit without UTF-8), styles are valid, and
 * the navigation state stays within bounds.
 */

static const int specials[32] = {
	UK_UP, UK_DOWN, UK_LEFT, UK_RIGHT, UK_PGUP, UK_PGDN, UK_HOME, UK_END,
	UK_ENTER, UK_BACKSPACE, UK_DELETE, UK_ESC, UK_TAB, UK_BTAB, UK_RESIZE,
	UK_F(1), UK_F(2), UK_F(3), UK_F(4), UK_F(5), UK_F(6), UK_F(7), UK_F(8),
	UK_F(9), UK_F(10), UK_F(11), UK_F(12), UK_CTRL('l'), '/', '\\', '\n',
	0x1b,
};

static void check_frame(const struct frame *f)
{
	int x, y;

	for (y = 0; y < f->h; y++)
		for (x = 0; x < f->w; x++) {
			const struct frame_cell *c = frame_cell_at(f, x, y);

			FUZZ_CHECK(c != NULL);
			if (c->ch == FRAME_CONT)
				continue;
			FUZZ_CHECK(c->ch >= 0x20);
			FUZZ_CHECK(!(c->ch >= 0x7f && c->ch < 0xa0));
			FUZZ_CHECK(!(c->ch >= 0x202a && c->ch <= 0x202e));
			FUZZ_CHECK(!(c->ch >= 0x2066 && c->ch <= 0x2069));
			FUZZ_CHECK(c->ch < 0x110000);
			if (!f->utf8)
				FUZZ_CHECK(c->ch < 0x80);
			FUZZ_CHECK((c->attr & FA_STYLE_MASK) < ST_COUNT);
		}
}

static void check_state(struct uistate *st)
{
	struct ui_level *lv = uistate_level(st);

	FUZZ_CHECK(st->depth >= 1 && st->depth <= UI_MAX_DEPTH);
	FUZZ_CHECK(fuzz_bounded(st->edit_buf, sizeof(st->edit_buf)));
	FUZZ_CHECK(fuzz_bounded(st->search, sizeof(st->search)));
	FUZZ_CHECK(fuzz_bounded(lv->filter, sizeof(lv->filter)));
	FUZZ_CHECK(fuzz_bounded(lv->label, sizeof(lv->label)));
	FUZZ_CHECK(lv->nrows == 0 || lv->cursor < lv->nrows);
	FUZZ_CHECK(st->delay > 0.0);
}

struct pop {
	const uint8_t *recs;
	size_t n;
	char comm[SAMPLE_COMM_LEN];
	char cmdline[SAMPLE_CMDLINE_LEN];
};

static int take_sample(struct model *m, const struct pop *p, double t)
{
	struct sample s;
	size_t i;
	int r;

	sample_init(&s);
	s.sys.port_low = 40000;
	s.sys.port_high = 40199;
	s.sys.known = SYSCTL_K_RANGE;
	s.time = 1700000000.0 + t;
	s.mono = 1000.0 + t;
	FUZZ_CHECK(sockvec_reserve(&s.socks, p->n + 1) == 0);
	s.procs = calloc(1, sizeof(*s.procs));
	s.owner = calloc(p->n + 1, sizeof(*s.owner));
	FUZZ_CHECK(s.procs && s.owner);
	s.procs_cap = 1;
	s.nprocs = 1;
	s.owner_cap = p->n + 1;
	s.procs[0].pid = 4242;
	s.procs[0].uid = 0;
	s.procs[0].start_time = 1;
	memcpy(s.procs[0].comm, p->comm, sizeof(p->comm));
	memcpy(s.procs[0].cmdline, p->cmdline, sizeof(p->cmdline));
	memcpy(s.procs[0].user, "root", 5);
	for (i = 0; i < p->n; i++) {
		struct sock_rec r0;

		fuzz_make_rec(p->recs + i * FUZZ_REC_BYTES, &r0);
		/* mostly inside the range, so the views have rows */
		r0.sport = (uint16_t)(40000 + r0.sport % 220);
		FUZZ_CHECK(sockvec_push(&s.socks, &r0) == 0);
		s.owner[i] = p->recs[i * FUZZ_REC_BYTES] & 0x80 ? 0 : SAMPLE_NO_OWNER;
	}
	s.nowner = p->n;
	r = model_update(m, &s);
	sample_release(&s);
	return r;
}

static int fake_user(uint32_t uid, char *buf, size_t len)
{
	(void)uid;
	snprintf(buf, len, "u\x1b[31m\xe2\x80\xae");
	return 0;
}

static void copy_field(const uint8_t **p, const uint8_t *end, char *dst,
		       size_t dstlen)
{
	size_t n = 0;

	if (*p < end) {
		n = **p;
		(*p)++;
	}
	if (n > (size_t)(end - *p))
		n = (size_t)(end - *p);
	if (n > dstlen - 1)
		n = dstlen - 1;
	memcpy(dst, *p, n);
	dst[n] = '\0';
	*p += n;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	const uint8_t *p, *end = data + size;
	struct model *m = NULL;
	struct uistate st;
	struct frame f;
	struct pop pop;
	int w, h, keys = 0;
	double t = 0.0;

	if (size < 4)
		return 0;
	w = 10 + data[0];
	h = 3 + data[1] % 64;
	memset(&pop, 0, sizeof(pop));
	pop.n = data[3] % 64;
	p = data + 4;
	if (pop.n * FUZZ_REC_BYTES > (size_t)(end - p))
		pop.n = (size_t)(end - p) / FUZZ_REC_BYTES;
	pop.recs = p;
	p += pop.n * FUZZ_REC_BYTES;
	copy_field(&p, end, pop.comm, sizeof(pop.comm));
	copy_field(&p, end, pop.cmdline, sizeof(pop.cmdline));

	FUZZ_CHECK(model_new(&m) == 0);
	FUZZ_CHECK(take_sample(m, &pop, t) == 0);
	FUZZ_CHECK(uistate_init(&st, 1.0, data[2] & 1) == 0);
	st.color = (data[2] >> 1) & 1;
	st.user_lookup = fake_user;
	snprintf(st.host, sizeof(st.host), "fuzzhost");
	uistate_set_snapshot(&st, model_snapshot(m));
	frame_init(&f, data[2] & 1);
	FUZZ_CHECK(frame_resize(&f, w, h) == 0);
	screen_render(&st, &f);
	check_frame(&f);

	while (p < end && keys++ < 128 && !st.quit) {
		uint8_t b = *p++;
		int key;

		if (b < 0x80) {
			key = b;
		} else if (b < 0xa0) {
			key = specials[b - 0x80];
		} else if (b < 0xf0) {
			/* U+00A0.. and a few that must be gated: bidi
			 * overrides, C1 controls as code points */
			static const int cps[] = { 0x202e, 0x2066, 0x85, 0x9b,
						   0xe9, 0x4e2d, 0x1f600, 0xfeff };
			key = cps[b & 7];
		} else if (b < 0xfe) {
			if (end - p < 2)
				break;
			w = p[0] % 300;
			h = p[1] % 100;
			p += 2;
			FUZZ_CHECK(frame_resize(&f, w, h) == 0);
			key = UK_RESIZE;
		} else if (b == 0xfe) {
			t += 1.0;
			FUZZ_CHECK(take_sample(m, &pop, t) == 0);
			uistate_set_snapshot(&st, model_snapshot(m));
			key = -1;
		} else {
			uistate_set_snapshot(&st, NULL);
			key = -1;
		}
		if (key >= 0)
			uistate_key(&st, key);
		screen_render(&st, &f);
		check_frame(&f);
		check_state(&st);
	}
	frame_release(&f);
	uistate_release(&st);
	model_free(m);
	return 0;
}

FUZZ_TARGET(ui)
