#include "config.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "check.h"
#include "expfmt.h"
#include "netns.h"     /* nat */
#include "out_json.h"
#include "out_openmetrics.h"
#include "out_text.h"
#include "textfile.h"

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

/*
 * Wait until the deadline while keeping the destroy-event socket drained
 * (engine/events.h): at high close rates its queue would overrun if it
 * were read only at sample time.
 */
static void wait_until(struct sampler *sp, double deadline)
{
	int fd = sampler_event_fd(sp);

	if (fd < 0) {
		sleep_until(deadline);
		return;
	}
	for (;;) {
		double left = deadline - monotonic_now();
		struct pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0 };
		int n;

		if (left <= 0)
			return;
		n = poll(&pfd, 1, (int)ceil(left * 1000));
		if (n > 0 && sampler_drain_events(sp) < 0) {
			/* The event socket broke: samples flag the loss. */
			sleep_until(deadline);
			return;
		}
		if (n < 0 && errno != EINTR) {
			sleep_until(deadline);
			return;
		}
	}
}

/* -o openmetrics: the Prometheus text in sb, made OpenMetrics. */
static int to_openmetrics(struct strbuf *sb)
{
	struct strbuf om;
	int err;

	strbuf_init(&om);
	err = expfmt_openmetrics(&om, sb->buf, sb->len);
	if (err == 0) {
		strbuf_reset(sb);
		strbuf_add(sb, om.buf, om.len);
		err = strbuf_error(sb);
	}
	strbuf_release(&om);
	return err;
}

/* sb to out, or (--textfile) in place of the file. */
static int batch_emit(const struct options *opts, const struct strbuf *sb,
		      FILE *out)
{
	if (opts->textfile)
		return textfile_write(opts->textfile, sb->buf, sb->len);
	if (fwrite(sb->buf, 1, sb->len, out) != sb->len || fflush(out) != 0)
		return errno ? -errno : -EIO;
	return 0;
}

static int batch_print(const struct options *opts, const struct snapshot *snap,
		       const struct om_run *run, struct strbuf *sb, FILE *out)
{
	int err;

	strbuf_reset(sb);
	if (opts->format == OUT_JSON)
		err = out_json_snapshot(sb, snap);
	else if (opts->format == OUT_PROMETHEUS ||
		 opts->format == OUT_OPENMETRICS)
		err = out_openmetrics_snapshot(sb, snap, run);
	else
		err = out_text_snapshot(sb, snap);
	if (err == 0 && opts->format == OUT_OPENMETRICS)
		err = to_openmetrics(sb);
	if (err)
		return err;
	return batch_emit(opts, sb, out);
}

int batch_run(const struct options *opts, struct sampler *sp, struct model *m,
	      FILE *out, FILE *diag, struct strbuf *err)
{
	struct sample sample;
	struct strbuf sb;
	double start = monotonic_now();
	long done = 0, printed = 0;
	/* record: a recording or a capture is read as fast as it goes */
	int live = sampler_feed_ctx(sp) == NULL;
	struct om_run run = {
		.source = live ? "live" : opts->import ? "import" : "replay",
		.top = opts->top,
	};
	int rc = 0;

	sample_init(&sample);
	strbuf_init(&sb);
	for (;;) {
		int e;

		/* from the last sample, as the UI: after a stall, one late
		 * sample, not a burst of the missed ones */
		if (done > 0 && live)
			wait_until(sp, start + opts->delay);
		start = monotonic_now();
		e = sampler_take(sp, &sample);
		if (e == -ENODATA && !live) {
			/* the end of the recording or capture */
			if (printed == 0) {
				strbuf_addstr(err, "no sample to read");
				rc = e;
			}
			break;
		}
		if (e == 0)
			e = model_update(m, &sample);
		done++;
		run.samples = (uint64_t)done;
		if (e)
			run.sample_errors++;
		if (e == 0) {
			e = batch_print(opts, model_snapshot(m), &run, &sb, out);
			if (e && opts->textfile && printed > 0) {
				/* an exporter outlives a full disk: the
				 * file keeps the last sample meanwhile */
				fprintf(diag, "porttop: sample %ld: cannot "
					"write %s: %s\n", done, opts->textfile,
					strerror(-e));
			} else if (e) {
				strbuf_addf(err, "cannot write the output: %s",
					    strerror(-e));
				rc = e;
				break;
			} else {
				printed++;
			}
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

int batch_check(const struct options *opts, struct sampler *sp,
		struct model *m, FILE *out, FILE *diag)
{
	struct check_opts co = {
		.warn_pct = opts->check_warn,
		.crit_pct = opts->check_crit,
		.eta_warn_s = opts->check_eta,
	};
	long n = opts->iterations ? opts->iterations : BATCH_CHECK_SAMPLES;
	double start = monotonic_now();
	const struct snapshot *snap = NULL;
	struct check_result res;
	struct sample sample;
	struct strbuf sb, reason;
	long done;
	int e = 0, rc;

	sample_init(&sample);
	strbuf_init(&sb);
	strbuf_init(&reason);
	for (done = 0; done < n; done++) {
		/* record: a recording is read as fast as it goes, to its end */
		if (done > 0 && !sampler_feed_ctx(sp))
			wait_until(sp, start + opts->delay);
		start = monotonic_now();
		e = sampler_take(sp, &sample);
		if (e == -ENODATA && sampler_feed_ctx(sp))
			break;
		if (e == 0)
			e = model_update(m, &sample);
		if (e)
			fprintf(diag, "porttop: sample %ld skipped: %s\n",
				done + 1, diag_strerror(e));
	}
	snap = model_snapshot(m);
	if (!snap)
		strbuf_addf(&reason, "cannot sample sockets: %s",
			    diag_strerror(e ? e : -EIO));
	check_eval(snap, &co, &res);
	check_format(&sb, snap, &co, &res, reason.buf);
	rc = check_exit_code(res.status);
	if (res.status == CHECK_UNKNOWN)
		fprintf(diag, "porttop: %s\n", reason.len ? reason.buf :
			res.unknown_why ? res.unknown_why : "no sample");
	if (strbuf_error(&sb) == 0)
		fwrite(sb.buf, 1, sb.len, out);
	if (fflush(out) != 0 || strbuf_error(&sb))
		rc = check_exit_code(CHECK_UNKNOWN);
	strbuf_release(&reason);
	strbuf_release(&sb);
	sample_release(&sample);
	return rc;
}

/* >>> nat: --all-netns */
int batch_namespaces(const struct options *opts, const char *procroot,
		     const char *rundir, FILE *out, struct strbuf *err)
{
	struct netns_list l;
	struct strbuf sb;
	struct clock clk;
	double start = monotonic_now();
	long done = 0;
	int rc = 0;

	clock_init_system(&clk);
	netns_list_init(&l);
	strbuf_init(&sb);
	for (;;) {
		int e;

		if (done > 0)
			sleep_until(start + opts->delay);
		start = monotonic_now();
		e = netns_discover(&l, procroot, rundir);
		if (e == 0)
			e = netns_survey(&l, procroot, rundir, &clk,
					 opts->nat_low, opts->nat_high);
		if (e) {
			strbuf_addf(err, "cannot list the network namespaces: %s",
				    strerror(-e));
			rc = e;
			break;
		}
		strbuf_reset(&sb);
		if (opts->format == OUT_JSON)
			e = out_json_namespaces(&sb, &l, clock_wall(&clk));
		else if (opts->format == OUT_PROMETHEUS ||
			 opts->format == OUT_OPENMETRICS)
			e = out_openmetrics_namespaces(&sb, &l,
						       clock_wall(&clk));
		else
			e = out_text_namespaces(&sb, &l, clock_wall(&clk));
		if (e == 0 && opts->format == OUT_OPENMETRICS)
			e = to_openmetrics(&sb);
		if (e == 0)
			e = batch_emit(opts, &sb, out);
		if (e) {
			strbuf_addf(err, "cannot write the output: %s",
				    strerror(-e));
			rc = e;
			break;
		}
		done++;
		if (opts->iterations && done >= opts->iterations)
			break;
	}
	strbuf_release(&sb);
	netns_list_release(&l);
	return rc;
}
/* <<< nat */
