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
 * Returns 0, or a negative errno with a one-line reason appended to err:
 * when no sample at all could be taken, or when `out` fails (closed pipe,
 * full disk). A failed sample after a good one is reported on `diag` (a
 * line on stderr) and the run goes on. sp, m and out stay the caller's.
 */
int batch_run(const struct options *opts, struct sampler *sp, struct model *m,
	      FILE *out, FILE *diag, struct strbuf *err);

#endif
