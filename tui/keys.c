#include "config.h"

#include <stdio.h>

#include "keys.h"

enum ui_action keys_action(int key)
{
	switch (key) {
	case 'q': case UK_F(10):
		return ACT_QUIT;
	case 'h': case '?': case UK_F(1):
		return ACT_HELP;
	case UK_TAB:
		return ACT_VIEW_NEXT;
	case UK_BTAB:
		return ACT_VIEW_PREV;
	case '1':
		return ACT_VIEW_1;
	case '2':
		return ACT_VIEW_2;
	case '3':
		return ACT_VIEW_3;
	case '4':
		return ACT_VIEW_4;
	case '5':
		return ACT_VIEW_5;
	case '6':
		return ACT_VIEW_6;
	case '7':
		return ACT_VIEW_7;
	case UK_UP: case 'k':
		return ACT_UP;
	case UK_DOWN: case 'j':
		return ACT_DOWN;
	case UK_LEFT:
		return ACT_LEFT;
	case UK_RIGHT:
		return ACT_RIGHT;
	case UK_PGUP:
		return ACT_PGUP;
	case UK_PGDN:
		return ACT_PGDN;
	case UK_HOME:
		return ACT_HOME;
	case UK_END:
		return ACT_END;
	case UK_ENTER:
		return ACT_ENTER;
	case UK_ESC: case UK_BACKSPACE:
		return ACT_BACK;
	case '>': case '.': case UK_F(6):
		return ACT_SORT_NEXT;
	case '<': case ',':
		return ACT_SORT_PREV;
	case 'I':
		return ACT_INVERT;
	case '/': case UK_F(3):
		return ACT_SEARCH;
	case '\\': case UK_F(4):
		return ACT_FILTER;
	case ' ': case 'Z': case 'z':
		return ACT_PAUSE;
	case '+': case '=':
		return ACT_SLOWER;
	case '-': case '_':
		return ACT_FASTER;
	case UK_CTRL('l'):
		return ACT_REDRAW;
	case UK_RESIZE:
		return ACT_RESIZE;
	case 'd':
		return ACT_DEST_NEXT;
	case 'D':
		return ACT_DEST_PREV;
	case 'm':
		return ACT_MAP;
	case 'a':
		return ACT_ADVICE;
	default:
		return ACT_NONE;
	}
}

const char *keys_name(int key, char *buf, unsigned len)
{
	static const char *const names[] = {
		"Up", "Down", "Left", "Right", "PgUp", "PgDn", "Home", "End",
		"Enter", "Backspace", "Delete", "Esc", "Tab", "Shift-Tab",
		"Resize",
	};

	if (!len)
		return buf;
	if (key >= UK_BASE && key < UK_F1)
		snprintf(buf, len, "%s", names[key - UK_BASE]);
	else if (key >= UK_F1 && key <= UK_F12)
		snprintf(buf, len, "F%d", key - UK_F1 + 1);
	else if (key == ' ')
		snprintf(buf, len, "Space");
	else if (key > 0 && key < 0x20)
		snprintf(buf, len, "Ctrl-%c", key + '@');
	else if (key > 0x20 && key < 0x7f)
		snprintf(buf, len, "%c", key);
	else
		snprintf(buf, len, "U+%04X", (unsigned)key);
	return buf;
}
