#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "out_json.h"
#include "out_text.h"

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep until the monotonic deadline; deadlines (not fixed sleeps) keep
 * the sample rate from drifting by the cost of each sample. */
static void sleep_until(double deadline)
{
	double left = deadline - monotonic_now();
	struct timespec ts;

	if (left <= 0)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - floor(left)) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int batch_print(const struct options *opts, const struct snapshot *snap,
		       struct strbuf *sb, FILE *out)
{
	int err;

	strbuf_reset(sb);
	if (opts->format == OUT_JSON)
		err = out_json_snapshot(sb, snap);
	else
		err = out_text_snapshot(sb, snap);
	if (err)
		return err;
	if (fwrite(sb->buf, 1, sb->len, out) != sb->len || fflush(out) != 0)
		return errno ? -errno : -EIO;
	return 0;
}

int batch_run(const struct options *opts, struct sampler *sp, struct model *m,
	      FILE *out, FILE *diag, struct strbuf *err)
{
	struct sample sample;
	struct strbuf sb;
	double start = monotonic_now();
	long done = 0, printed = 0;
	int rc = 0;

	sample_init(&sample);
	strbuf_init(&sb);
	for (;;) {
		int e;

		if (done > 0)
			sleep_until(start + (double)done * opts->delay);
		e = sampler_take(sp, &sample);
		if (e == 0)
			e = model_update(m, &sample);
		done++;
		if (e == 0) {
			e = batch_print(opts, model_snapshot(m), &sb, out);
			if (e) {
				strbuf_addf(err, "cannot write the output: %s",
					    strerror(-e));
				rc = e;
				break;
			}
			printed++;
		} else if (printed == 0) {
			strbuf_addf(err, "cannot sample sockets: %s",
				    diag_strerror(e));
			rc = e;
			break;
		} else {
			fprintf(diag, "porttop: sample %ld skipped: %s\n", done,
				diag_strerror(e));
		}
		if (opts->iterations && done >= opts->iterations)
			break;
	}
	strbuf_release(&sb);
	sample_release(&sample);
	return rc;
}
