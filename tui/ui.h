#ifndef PORTTOP_UI_H
#define PORTTOP_UI_H

#include "model.h"
#include "options.h"
#include "sampler.h"
#include "strbuf.h"

/*
 * ui: the interactive ncurses front end.
 *
 * ui_run() owns the terminal from start to end: it samples with `sp`
 * every opts->delay seconds (and at once on start), feeds every sample to
 * `m`, draws the current view, and handles keys until the user quits
 * (q, F10) or SIGINT/SIGTERM/SIGHUP arrives. It honours opts->iterations
 * (stop after N samples) like batch mode. It never exits the process.
 * The terminal is restored on every path out.
 *
 * Returns 0 on a normal end, or a negative errno with a one-line reason
 * appended to err: -ENOTTY (not a terminal), -EINVAL (unknown TERM), or
 * the sampler's error when not even the first sample could be taken.
 * sp and m stay owned by the caller.
 */
int ui_run(const struct options *opts, struct sampler *sp, struct model *m,
	   struct strbuf *err);

#endif
