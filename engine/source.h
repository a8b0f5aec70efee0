#ifndef PORTTOP_SOURCE_H
#define PORTTOP_SOURCE_H

#include <stddef.h>

#include "import.h"
#include "record.h"
#include "sampler.h"
#include "strbuf.h"

/*
 * source: samples that do not come from the kernel, as feeds for
 * sampler_new_feed(), so batch mode and the UI run them through the same
 * sampler calls and the same model as a live run.
 *
 *   replay  the samples of a recording (-r FILE, --demo), in order; it can
 *           be moved (t/T/b in the UI). The model must see every sample
 *           from the recording's start up to the one shown, so that rates
 *           and forecasts are those of the live run: replay_seek() sets
 *           what comes next, and the caller feeds what lies between (a
 *           jump backwards starts again from the first sample, which
 *           restarts the model's rates).
 *   import  one sample from a capture (--import, engine/import.h).
 *
 * next() returns -ENODATA once a source has nothing left.
 */

struct replay;

/* Open a recording (rec_reader_open()). Returns 0 or a negative errno
 * with a reason appended to err; -ENODATA when no sample is readable. */
int replay_open(struct replay **out, const char *path, struct strbuf *err);
void replay_free(struct replay *rp);

struct rec_reader *replay_reader(const struct replay *rp);
/* The feed for sampler_new_feed(); rp stays the caller's. */
void replay_feed(struct replay *rp, struct sampler_feed *feed);

size_t replay_count(const struct replay *rp);
/* Index of the sample next() returns next (== count at the end). */
size_t replay_pos(const struct replay *rp);
/* Make next() return sample index next; -ERANGE past the end. */
int replay_seek(struct replay *rp, size_t index);
double replay_time(const struct replay *rp, size_t index);
/*
 * The sample shown at time t: the last one at or before t (the first
 * when t is before it). t is seconds since the epoch.
 */
size_t replay_find_time(const struct replay *rp, double t);

/*
 * Parse a time to jump to: "HH:MM:SS" (or "HH:MM") of the day of the
 * recording's first sample, in local time, or "+SECS" / "SECS" counted
 * from the first sample. Returns 0 with *t (seconds since the epoch) or
 * -EINVAL.
 */
int replay_parse_time(const struct replay *rp, const char *text, double *t);

/*
 * Show sample `index` (UI keys t, T and b): make `m` hold exactly the
 * snapshot the live run had for it, rates and attribution included. m
 * must have been fed every sample before replay_pos() and no other (as
 * sampler_take() on sp does; none when replay_pos() is 0): the samples
 * from there to index are fed. A model remembers what it saw (rates,
 * owners of TIME_WAIT), so going back needs a fresh one: index below
 * replay_pos() - 1 returns -ESPIPE; the caller then makes a new model
 * (model_new(), its filters set), calls replay_seek(rp, 0) and this
 * again. s is scratch; sp must be the sampler fed by rp (a tap, -w, sees
 * every sample fed). Returns 0 or a negative errno (-ERANGE past the
 * end); afterwards replay_pos() is index + 1.
 */
struct model;
int replay_goto(struct replay *rp, struct sampler *sp, struct model *m,
		struct sample *s, size_t index);

/*
 * The header's words for the sample shown (the one before replay_pos()):
 * "REPLAY 14:03:22 17/80" (local time). Returns buf.
 */
char *replay_label(const struct replay *rp, char *buf, size_t len);

struct import_src;

/*
 * Read a capture from path ("-": standard input) and keep its one sample.
 * Its time is the file's modification time for a regular file, else
 * opts->time (the caller's now: a pipe is read as it is captured).
 * Returns 0, or a negative errno with a reason appended to err (-ENODATA
 * when no line parsed). *st is filled.
 */
int import_src_open(struct import_src **out, const char *path,
		    const struct import_opts *opts, struct import_stats *st,
		    struct strbuf *err);
void import_src_free(struct import_src *is);
void import_src_feed(struct import_src *is, struct sampler_feed *feed);

/*
 * Where the bundled demo recording is: installed under pkgdatadir, else
 * (running from the build tree) the source tree's tests/data/demo.ptr.
 * Writes the path into buf. Returns 0 or -ENOENT (buf holds the installed
 * path then, for the message).
 */
int source_demo_path(char *buf, size_t len);

#endif
