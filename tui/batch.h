#ifndef PORTTOP_BATCH_H
#define PORTTOP_BATCH_H

#include <stdio.h>

#include "model.h"
#include "options.h"
#include "sampler.h"
#include "strbuf.h"

/*
 * batch: `porttop -b`. Samples every opts->delay seconds (the first one at
 * once), feeds the model and prints each snapshot to `out` in
 * opts->format, flushing after each, until opts->iterations samples were
 * printed (0: until killed).
 *
 * While it waits between samples it keeps the sampler's destroy-event
 * socket drained (sampler_event_fd(), sampler_drain_events()).
 *
 * --textfile (opts->textfile): each snapshot replaces that file instead
 * (textfile_write(), engine/textfile.h) and nothing goes to `out`; a
 * write that fails after a good one is reported on `diag` and the run
 * goes on. OUT_OPENMETRICS is the OUT_PROMETHEUS text made OpenMetrics
 * (engine/expfmt.h).
 *
 * Returns 0, or a negative errno with a one-line reason appended to err:
 * when no sample at all could be taken, or when `out` fails (closed pipe,
 * full disk). A failed sample after a good one is reported on `diag` (a
 * line on stderr) and the run goes on. sp, m and out stay the caller's.
 */
int batch_run(const struct options *opts, struct sampler *sp, struct model *m,
	      FILE *out, FILE *diag, struct strbuf *err);

/* Samples a check takes when -n is not given: two, one interval apart,
 * so close rates and forecasts are known. */
#define BATCH_CHECK_SAMPLES 2

/*
 * `porttop --check` (engine/check.h): takes opts->iterations samples
 * (BATCH_CHECK_SAMPLES when 0) opts->delay apart, keeping the event
 * socket drained in between, evaluates the last snapshot and prints the
 * status line and details to `out`. A sample that fails is reported on
 * `diag` and the next one is tried. Returns the exit status: 0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN (no sample at all, or `out` failed;
 * the reason also goes to `diag`, one line).
 */
int batch_check(const struct options *opts, struct sampler *sp,
		struct model *m, FILE *out, FILE *diag);

/* >>> nat */
/*
 * `porttop -b --all-netns`: every opts->delay seconds, list the network
 * namespaces under procroot and rundir (engine/netns.h), sample each one,
 * and print the list to `out` (text, json, prometheus or openmetrics), until
 * opts->iterations
 * lists were printed (0: until killed). Returns 0, or a negative errno
 * with a one-line reason appended to err (no list at all, or `out`
 * failed).
 */
int batch_namespaces(const struct options *opts, const char *procroot,
		     const char *rundir, FILE *out, struct strbuf *err);
/* <<< nat */

#endif
