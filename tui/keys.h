#ifndef PORTTOP_KEYS_H
#define PORTTOP_KEYS_H

/*
 * keys: porttop's own key codes (independent of curses, so key handling
 * is testable) and the mapping from keys to actions, following htop's
 * conventions.
 *
 * A key is a Unicode code point (typed characters) or one of the UK_*
 * codes above the Unicode range. term.c translates curses input to these;
 * control characters that mean a key (Tab, Enter, Backspace, Esc) arrive
 * as their UK_* code, other control characters as themselves (Ctrl-L = 12).
 */

#define UK_BASE 0x110000

enum ui_key {
	UK_UP = UK_BASE,
	UK_DOWN,
	UK_LEFT,
	UK_RIGHT,
	UK_PGUP,
	UK_PGDN,
	UK_HOME,
	UK_END,
	UK_ENTER,
	UK_BACKSPACE,
	UK_DELETE,
	UK_ESC,
	UK_TAB,
	UK_BTAB,
	UK_RESIZE,
	UK_F1,  /* UK_F1 + n - 1 is Fn, up to F12 */
	UK_F12 = UK_F1 + 11,
	UK_MAX
};

#define UK_F(n) (UK_F1 + (n) - 1)
#define UK_CTRL(c) ((c) & 0x1f)

enum ui_action {
	ACT_NONE = 0,
	ACT_QUIT,
	ACT_HELP,
	ACT_VIEW_NEXT,
	ACT_VIEW_PREV,
	ACT_VIEW_1,       /* ACT_VIEW_1 + n: the n-th top view */
	ACT_VIEW_2,
	ACT_VIEW_3,
	ACT_VIEW_4,
	ACT_VIEW_5,       /* nat: NAT destinations */
	ACT_VIEW_6,       /* nat: namespaces */
	ACT_VIEW_7,       /* advice */
	ACT_UP,
	ACT_DOWN,
	ACT_LEFT,
	ACT_RIGHT,
	ACT_PGUP,
	ACT_PGDN,
	ACT_HOME,
	ACT_END,
	ACT_ENTER,
	ACT_BACK,
	ACT_SORT_NEXT,
	ACT_SORT_PREV,
	ACT_INVERT,
	ACT_SEARCH,
	ACT_FILTER,
	ACT_PAUSE,
	ACT_SLOWER,       /* + : longer interval */
	ACT_FASTER,       /* - : shorter interval */
	ACT_REDRAW,
	ACT_RESIZE,
	ACT_DEST_NEXT,    /* heatmap: next destination (d) */
	ACT_DEST_PREV,    /* heatmap: previous destination (D) */
	ACT_MAP,          /* heatmap of the selected destination (m) */
	ACT_ADVICE,       /* advice for the selected destination (a) */
	ACT_COUNT
};

/* The action of a key outside of a text prompt (ACT_NONE if none). */
enum ui_action keys_action(int key);

/* Short printable name of a key ("F1", "Enter", "q"), into buf. */
const char *keys_name(int key, char *buf, unsigned len);

#endif
