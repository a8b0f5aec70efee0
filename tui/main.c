#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "check.h"
#include "clock.h"
#include "conntrack.h"   /* nat */
#include "events.h"
#include "model.h"
#include "netns.h"      /* nat */
#include "nlio.h"
#include "options.h"
#include "record.h"
#include "sampler.h"
#include "sanitize.h"
#include "source.h"
#include "strbuf.h"
#include "textfile.h"
#include "ui.h"

/* Exit codes: the command-line contract (docs/porttop.1). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 2,
	EXIT_CANNOT_SAMPLE = 3,
};

static int fail(int code, const char *what, const char *why)
{
	fprintf(stderr, "porttop: %s%s%s\n", what, why ? ": " : "", why ? why : "");
	return code;
}

/*
 * A closed standard descriptor would be taken by the next open(): the
 * netlink socket would receive the report, a recording the warnings. Hold
 * 0-2 open on /dev/null before anything else opens. -1 if that fails.
 */
static int std_fds_hold(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		int got;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* the lowest free descriptor: fd itself. porttop runs no
		 * program, so close-on-exec loses nothing. */
		got = open("/dev/null", fd ? O_WRONLY | O_CLOEXEC :
			   O_RDONLY | O_CLOEXEC);
		if (got != fd) {
			if (got >= 0)
				close(got);
			return -1;
		}
	}
	return 0;
}

/*
 * Receive buffer of the destroy-event socket: PORTTOP_EVENTS_RCVBUF bytes
 * when set (tests shrink it to force an overrun), else the default.
 */
static int events_rcvbuf(void)
{
	const char *v = getenv("PORTTOP_EVENTS_RCVBUF");
	char *end;
	long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 0 || n > INT_MAX)
		return 0;
	return (int)n;
}

/* >>> record: recordings, replays and imports */
struct sources {
	struct replay *replay;
	struct import_src *import;
	struct rec_writer *writer;
	const char *record_path;
	int batch;                /* failures also go to stderr */
	unsigned long failed;     /* appends that failed */
};

/* The recorder (sampler tap): a failed write is shown with the sample,
 * and in batch mode on stderr (the exit status says so at the end). The
 * next sample tries again. */
static int record_tap(void *ctx, struct sample *s)
{
	struct sources *src = ctx;
	int e = rec_writer_append(src->writer, s);

	if (e) {
		char path[128];

		src->failed++;
		sanitize_text(path, sizeof(path), src->record_path,
			      strlen(src->record_path));
		sample_note(s, "cannot append to the recording %.80s: %s",
			    path, rec_strerror(e));
		if (src->batch)
			fprintf(stderr, "porttop: cannot append to the recording "
				"%s: %s\n", path, rec_strerror(e));
	}
	return e;
}

static void report_damage(const char *path, const struct rec_reader *rd)
{
	size_t i, n = rec_reader_ndamage(rd), total = rec_reader_damage_total(rd);

	for (i = 0; i < n; i++) {
		const struct rec_damage *d = rec_reader_damage(rd, i);

		fprintf(stderr, "porttop: %s: damaged at offset %llu (%llu bytes "
			"skipped): %s\n", path, (unsigned long long)d->offset,
			(unsigned long long)d->length, d->reason);
	}
	if (total > n)
		fprintf(stderr, "porttop: %s: %zu more damaged regions\n", path,
			total - n);
	if (total)
		fprintf(stderr, "porttop: %s: %zu samples readable\n", path,
			rec_reader_count(rd));
}

/*
 * A sampler fed from a recording or a capture (no kernel needed), or NULL
 * in *sp for a live run. Returns 0 or an exit code, the reason printed.
 */
static int sources_open(const struct options *opts, struct sources *src,
			struct sampler **sp, struct strbuf *err)
{
	struct sampler_feed feed;
	char demo[4096];
	const char *path = opts->replay;
	int e;

	*sp = NULL;
	if (opts->demo) {
		if (source_demo_path(demo, sizeof(demo)) < 0)
			return fail(EXIT_CANNOT_SAMPLE, "the demo recording is not "
				    "installed", demo);
		path = demo;
	}
	if (path) {
		e = replay_open(&src->replay, path, err);
		if (e) {
			fprintf(stderr, "porttop: %s: %s\n", path, err->buf);
			return EXIT_CANNOT_SAMPLE;
		}
		report_damage(path, replay_reader(src->replay));
		replay_feed(src->replay, &feed);
	} else if (opts->import) {
		struct import_opts io = {
			.format = opts->import_format,
			.have_range = opts->have_range,
			.range_low = opts->range_low,
			.range_high = opts->range_high,
		};
		struct import_stats st;
		struct clock clk;

		clock_init_system(&clk);
		io.time = clock_wall(&clk);   /* a pipe: captured now */

		e = import_src_open(&src->import, opts->import, &io, &st, err);
		if (e) {
			fprintf(stderr, "porttop: %s: %s\n",
				strcmp(opts->import, "-") ? opts->import :
				"standard input", err->buf);
			return EXIT_CANNOT_SAMPLE;
		}
		if (st.malformed)
			fprintf(stderr, "porttop: %s: %llu malformed lines skipped "
				"(the first is line %llu)\n",
				strcmp(opts->import, "-") ? opts->import :
				"standard input", (unsigned long long)st.malformed,
				(unsigned long long)st.first_malformed);
		import_src_feed(src->import, &feed);
	} else {
		return 0;
	}
	if (sampler_new_feed(sp, &feed) < 0)
		return fail(EXIT_CANNOT_SAMPLE, "out of memory", NULL);
	return 0;
}

static int sources_record(const struct options *opts, struct sources *src,
			  struct sampler *sp, struct strbuf *err)
{
	struct sampler_tap tap = { record_tap, src };
	char host[256] = "";
	const char *why;
	int e;

	if (!opts->record)
		return 0;
	if (src->replay)
		snprintf(host, sizeof(host), "%s",
			 rec_reader_header(replay_reader(src->replay))->host);
	else if (!src->import && gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	e = rec_writer_open(&src->writer, opts->record, host, err);
	if (e) {
		fprintf(stderr, "porttop: cannot record to %s: %s\n", opts->record,
			err->len ? err->buf : rec_strerror(e));
		return EXIT_CANNOT_SAMPLE;
	}
	if (rec_writer_damage(src->writer, &why))
		fprintf(stderr, "porttop: %s: damaged at offset %llu (%s): kept, "
			"appending after it\n", opts->record, (unsigned long long)
			rec_writer_damage(src->writer, NULL), why);
	src->record_path = opts->record;
	src->batch = opts->batch || opts->check;
	sampler_set_tap(sp, &tap);
	return 0;
}

static void sources_close(struct sources *src)
{
	rec_writer_close(src->writer);
	replay_free(src->replay);
	import_src_free(src->import);
}
/* <<< record */

/* >>> nat: -N, --all-netns, conntrack */
/*
 * -N: open the namespace and enter it. Returns 0 or an exit code (the
 * reason printed; as a status line too under --check).
 */
static int nat_enter(const struct options *opts, struct netns **ns)
{
	char name[256];
	int e;

	*ns = NULL;
	if (!opts->netns)
		return 0;
	/* the name as typed may hold terminal escapes: never echoed raw */
	sanitize_text(name, sizeof(name), opts->netns, strlen(opts->netns));
	e = netns_open(ns, "/proc", NETNS_RUNDIR, opts->netns);
	if (e == 0)
		e = netns_enter(*ns);
	if (e == 0)
		return 0;
	if (opts->check)
		printf("PORTTOP UNKNOWN - cannot enter network namespace %s: "
		       "%s\n", name, netns_strerror(e));
	fprintf(stderr, "porttop: cannot enter network namespace %s: %s\n",
		name, netns_strerror(e));
	netns_free(*ns);
	*ns = NULL;
	return EXIT_CANNOT_SAMPLE;
}

/*
 * Still inside: open the conntrack socket (without nfnetlink there is
 * none, and samples carry the fill counters only); then go home and hand
 * both to the sampler, which reads the namespace's files inside it.
 */
static int nat_leave(const struct options *opts, struct netns *ns,
		     struct sampler *sp)
{
	struct conntrack *ct = NULL;
	int e;

	if (conntrack_open(&ct, opts->nat_low, opts->nat_high,
			   opts->have_nat_range) != 0)
		ct = NULL;
	e = netns_leave(ns);
	if (e) {
		fprintf(stderr, "porttop: cannot return to its own network "
			"namespace: %s\n", strerror(-e));
		conntrack_free(ct);
		netns_free(ns);
		return EXIT_CANNOT_SAMPLE;
	}
	sampler_set_conntrack(sp, ct);
	sampler_set_netns(sp, ns);
	return 0;
}

static int nat_all_netns(const struct options *opts, struct strbuf *err)
{
	int e;

	e = batch_namespaces(opts, "/proc", NETNS_RUNDIR, stdout, err);
	if (e) {
		fprintf(stderr, "porttop: %s\n", err->len ? err->buf :
			strerror(-e));
		return EXIT_CANNOT_SAMPLE;
	}
	return EXIT_OK;
}
/* <<< nat */

int main(int argc, char **argv)
{
	struct options opts;
	struct strbuf err;
	struct sampler *sp = NULL;
	struct model *m = NULL;
	struct events *ev = NULL;
	struct sources src = { NULL, NULL, NULL, NULL, 0, 0 };
	struct clock clk;
	struct nlio io;
	struct netns *ns = NULL;   /* nat: -N */
	int rc, e;

	if (std_fds_hold() < 0)
		return EXIT_CANNOT_SAMPLE;   /* nowhere to say why */
	strbuf_init(&err);
	rc = options_parse(argc, argv, &opts, &err);
	if (rc < 0) {
		fprintf(stderr, "porttop: %s\nTry 'porttop --help' for more information.\n",
			err.buf);
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	if (rc == OPTIONS_HELP) {
		fputs(options_usage(), stdout);
		return EXIT_OK;
	}
	if (rc == OPTIONS_VERSION) {
		printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return EXIT_OK;
	}

	/* --textfile: refuse a symlink or a missing directory now, not
	 * after the first sample */
	if (opts.textfile && (e = textfile_check(opts.textfile)) != 0) {
		fprintf(stderr, "porttop: cannot write the textfile %s: %s\n",
			opts.textfile, e == -ELOOP ? "it is a symbolic link" :
			e == -EINVAL ? "it is not a regular file" :
			strerror(-e));
		strbuf_release(&err);
		return EXIT_CANNOT_SAMPLE;
	}

	/* nat: a list of every namespace instead of one */
	if (opts.all_netns && opts.batch) {   /* the UI starts on its view */
		rc = nat_all_netns(&opts, &err);
		strbuf_release(&err);
		return rc;
	}

	/* record: a recording or a capture instead of the kernel */
	rc = sources_open(&opts, &src, &sp, &err);
	if (rc) {
		sources_close(&src);
		strbuf_release(&err);
		return rc;
	}
	if (sp) {
		e = model_new(&m);
		if (e == 0)
			e = model_set_pid_filter(m, opts.pids, opts.npids);
		if (e) {
			sampler_free(sp);
			sources_close(&src);
			return fail(EXIT_CANNOT_SAMPLE, "out of memory", NULL);
		}
		goto run;
	}

	/* nat: -N: the sockets opened from here to nat_leave() belong to
	 * that namespace (a socket keeps the namespace it was made in) */
	rc = nat_enter(&opts, &ns);
	if (rc) {
		strbuf_release(&err);
		return rc;
	}
	e = nlio_open_sock_diag(&io, 0);
	if (e && opts.check)
		printf("PORTTOP UNKNOWN - cannot open the sock_diag netlink "
		       "socket: %s\n", diag_strerror(e));
	if (e)
		return fail(EXIT_CANNOT_SAMPLE,
			    "cannot open the sock_diag netlink socket",
			    diag_strerror(e));
	clock_init_system(&clk);
	e = sampler_new(&sp, "/proc", &clk, &io);
	if (e == 0)
		e = model_new(&m);
	/* Who owns each socket (/proc/PID/fd), and -p. */
	if (e == 0)
		e = sampler_enable_attribution(sp, "/proc");
	/* The exact port state when privileges allow; without it every
	 * sample says why and shows sure minimum and estimate. */
	if (e == 0 && !opts.no_bpf)
		(void)sampler_enable_bpf(sp);
	if (e == 0)
		e = model_set_pid_filter(m, opts.pids, opts.npids);
	if (e) {
		sampler_free(sp);
		return fail(EXIT_CANNOT_SAMPLE, "out of memory", NULL);
	}
	/* Destroy events make close rates exact; without them (an old
	 * kernel) rates are estimated from TIME_WAIT, and the output says so. */
	if (events_open(&ev, events_rcvbuf()) == 0)
		sampler_set_events(sp, ev);
	rc = nat_leave(&opts, ns, sp);   /* nat: conntrack, then home */
	if (rc) {
		model_free(m);
		sampler_free(sp);
		strbuf_release(&err);
		return rc;
	}

run:
	strbuf_reset(&err);
	rc = sources_record(&opts, &src, sp, &err);
	if (rc) {
		model_free(m);
		sampler_free(sp);
		sources_close(&src);
		strbuf_release(&err);
		return rc;
	}

	if (opts.check) {
		/* The status decides the exit code (check_exit_code()). */
		rc = batch_check(&opts, sp, m, stdout, stderr);
		model_free(m);
		sampler_free(sp);
		sources_close(&src);
		strbuf_release(&err);
		return rc;
	}
	if (opts.batch)
		e = batch_run(&opts, sp, m, stdout, stderr, &err);
	else
		e = ui_run(&opts, sp, m, &err);
	rc = EXIT_OK;
	if (e) {
		fprintf(stderr, "porttop: %s\n", err.len ? err.buf : strerror(-e));
		rc = EXIT_CANNOT_SAMPLE;
	} else if (src.failed && opts.batch) {
		fprintf(stderr, "porttop: %lu samples could not be recorded\n",
			src.failed);
		rc = EXIT_CANNOT_SAMPLE;
	}
	model_free(m);
	sampler_free(sp);
	sources_close(&src);
	strbuf_release(&err);
	return rc;
}
