#ifndef PORTTOP_TERMINAL_H
#define PORTTOP_TERMINAL_H

#include "frame.h"
#include "strbuf.h"

/*
 * terminal: the one adapter between frames and curses (ncursesw). Only this
 * file and ui.c include curses. It opens the terminal with newterm() (so a
 * bad TERM is an error, not an exit), maps frame styles to colours or to
 * monochrome attributes, copies frames to the screen and lets curses send
 * only what changed, and translates curses keys to enum ui_key.
 */

struct term;

/*
 * Open the terminal on standard input/output. want_color: use colours if
 * the terminal has them. Returns 0, or -EINVAL with a one-line reason
 * appended to err (unknown or unset TERM, or a terminal that cannot move
 * the cursor).
 */
int term_open(struct term **out, int want_color, struct strbuf *err);
/* Restore the terminal and free; NULL is fine. */
void term_close(struct term *t);

int term_fd(const struct term *t);
int term_has_color(const struct term *t);
void term_size(const struct term *t, int *w, int *h);
/* After SIGWINCH: read the new size from the kernel and resize curses. */
void term_resize(struct term *t);
/* Copy a frame of exactly term_size() to the screen; full: repaint all. */
void term_present(struct term *t, const struct frame *f, int full);
/* The next pending key (enum ui_key or a code point), or -1 if none. */
int term_key(struct term *t);

#endif
