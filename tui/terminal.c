#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>

#include "keys.h"
#include "sanitize.h"
#include "terminal.h"

struct term {
	SCREEN *screen;
	int color;
	attr_t attr[ST_COUNT];
	short pair[ST_COUNT];
	cchar_t *row;
	size_t row_cap;
};

struct style_def {
	short fg, bg;
	attr_t color_attr;    /* with colours */
	attr_t mono_attr;     /* without */
};

/* -1: the terminal's default colour. */
static const struct style_def styles[ST_COUNT] = {
	[ST_NORMAL] = { -1, -1, A_NORMAL, A_NORMAL },
	[ST_DIM] = { -1, -1, A_DIM, A_NORMAL },
	[ST_LABEL] = { COLOR_CYAN, -1, A_NORMAL, A_NORMAL },
	[ST_VALUE] = { -1, -1, A_BOLD, A_NORMAL },
	[ST_TITLE] = { COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE },
	[ST_TITLE_SORT] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[ST_TAB] = { -1, -1, A_NORMAL, A_NORMAL },
	[ST_TAB_ACTIVE] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[ST_FKEY] = { -1, -1, A_NORMAL, A_NORMAL },
	[ST_FLABEL] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[ST_CURSOR] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[ST_OK] = { COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
	[ST_WARN] = { COLOR_YELLOW, -1, A_BOLD, A_NORMAL },
	[ST_CRIT] = { COLOR_RED, -1, A_BOLD, A_NORMAL },
	[ST_HM_FREE] = { COLOR_GREEN, -1, A_DIM, A_NORMAL },
	[ST_HM_TW] = { COLOR_YELLOW, -1, A_BOLD, A_NORMAL },
	[ST_HM_EST] = { COLOR_GREEN, -1, A_BOLD, A_NORMAL },
	[ST_HM_OTHER] = { COLOR_MAGENTA, -1, A_NORMAL, A_NORMAL },
	[ST_HM_OWNED] = { COLOR_CYAN, -1, A_BOLD, A_NORMAL },
	[ST_HM_RESERVED] = { -1, -1, A_DIM, A_NORMAL },
	[ST_PAUSED] = { COLOR_BLACK, COLOR_YELLOW, A_NORMAL, A_REVERSE },
	[ST_ERROR] = { COLOR_RED, -1, A_BOLD, A_REVERSE },
	[ST_PROMPT] = { -1, -1, A_NORMAL, A_NORMAL },
};

static void setup_styles(struct term *t)
{
	int i;
	short next = 1;

	for (i = 0; i < ST_COUNT; i++) {
		t->pair[i] = 0;
		if (!t->color) {
			t->attr[i] = styles[i].mono_attr;
			continue;
		}
		t->attr[i] = styles[i].color_attr;
		if (styles[i].fg != -1 || styles[i].bg != -1) {
			if (next < COLOR_PAIRS && init_pair(next, styles[i].fg, styles[i].bg) == OK)
				t->pair[i] = next++;
		}
	}
}

int term_open(struct term **out, int want_color, struct strbuf *err)
{
	const char *name = getenv("TERM");
	struct term *t;
	char clean[64];

	*out = NULL;
	if (!name || !*name) {
		strbuf_addstr(err, "TERM is not set: cannot drive the terminal");
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		strbuf_addstr(err, "out of memory");
		return -ENOMEM;
	}
	/* newterm() returns NULL for an unknown TERM where initscr() exits. */
	t->screen = newterm(name, stdout, stdin);
	if (!t->screen) {
		sanitize_ascii(clean, sizeof(clean), name, strlen(name));
		strbuf_addf(err, "unknown terminal type '%s'", clean);
		free(t);
		return -EINVAL;
	}
	set_term(t->screen);
	/* A terminal that cannot move the cursor (dumb, hardcopy) cannot
	 * show a full-screen UI: refuse it rather than scribble. */
	{
		const char *cup = tigetstr("cup");

		if (!cup || cup == (const char *)-1) {
			endwin();
			delscreen(t->screen);
			free(t);
			sanitize_ascii(clean, sizeof(clean), name, strlen(name));
			strbuf_addf(err, "terminal type '%s' cannot move the cursor "
				    "(use -b for batch output)", clean);
			return -EINVAL;
		}
	}
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	leaveok(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (want_color && has_colors() && start_color() == OK) {
		use_default_colors();
		t->color = 1;
	}
	setup_styles(t);
	*out = t;
	return 0;
}

void term_close(struct term *t)
{
	if (!t)
		return;
	curs_set(1);
	endwin();
	delscreen(t->screen);
	free(t->row);
	free(t);
}

int term_fd(const struct term *t)
{
	(void)t;
	return fileno(stdin);
}

int term_has_color(const struct term *t)
{
	return t->color;
}

void term_size(const struct term *t, int *w, int *h)
{
	(void)t;
	getmaxyx(stdscr, *h, *w);
	if (*h < 0)
		*h = 0;
	if (*w < 0)
		*w = 0;
}

void term_resize(struct term *t)
{
	struct winsize ws;

	(void)t;
	if (ioctl(fileno(stdout), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
}

void term_present(struct term *t, const struct frame *f, int full)
{
	int x, y, w, h;
	size_t n;

	term_size(t, &w, &h);
	if ((size_t)f->w + 1 > t->row_cap) {
		cchar_t *r = realloc(t->row, ((size_t)f->w + 1) * sizeof(*r));

		if (!r)
			return;
		t->row = r;
		t->row_cap = (size_t)f->w + 1;
	}
	for (y = 0; y < f->h && y < h; y++) {
		n = 0;
		for (x = 0; x < f->w && x < w; x++) {
			const struct frame_cell *c = frame_cell_at(f, x, y);
			wchar_t wc[2];
			unsigned st;
			attr_t a;

			if (c->ch == FRAME_CONT)
				continue;
			/* A wide character that no longer fits: a blank. */
			wc[0] = (c->attr & FA_WIDE) && x + 1 >= w ? L' ' : (wchar_t)c->ch;
			wc[1] = L'\0';
			st = c->attr & FA_STYLE_MASK;
			if (st >= ST_COUNT)
				st = ST_NORMAL;
			a = t->attr[st];
			if (c->attr & FA_REVERSE)
				a ^= A_REVERSE;
			setcchar(&t->row[n++], wc, a, t->pair[st], NULL);
		}
		mvwadd_wchnstr(stdscr, y, 0, t->row, (int)n);
	}
	if (full)
		clearok(curscr, TRUE);
	wnoutrefresh(stdscr);
	doupdate();
}

int term_key(struct term *t)
{
	wint_t wc;
	int r;

	(void)t;
	r = wget_wch(stdscr, &wc);
	if (r == ERR)
		return -1;
	if (r == KEY_CODE_YES) {
		switch (wc) {
		case KEY_UP: return UK_UP;
		case KEY_DOWN: return UK_DOWN;
		case KEY_LEFT: return UK_LEFT;
		case KEY_RIGHT: return UK_RIGHT;
		case KEY_PPAGE: return UK_PGUP;
		case KEY_NPAGE: return UK_PGDN;
		case KEY_HOME: case KEY_A1: return UK_HOME;
		case KEY_END: case KEY_C1: return UK_END;
		case KEY_ENTER: return UK_ENTER;
		case KEY_BACKSPACE: return UK_BACKSPACE;
		case KEY_DC: return UK_DELETE;
		case KEY_BTAB: return UK_BTAB;
		case KEY_RESIZE: return UK_RESIZE;
		default:
			if (wc >= KEY_F(1) && wc <= KEY_F(12))
				return UK_F1 + (int)(wc - KEY_F(1));
			return 0;
		}
	}
	switch (wc) {
	case '\t': return UK_TAB;
	case '\r': case '\n': return UK_ENTER;
	case 127: case 8: return UK_BACKSPACE;
	case 27: return UK_ESC;
	default:
		return (int)wc;
	}
}
