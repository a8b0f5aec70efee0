#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "clock.h"
#include "model.h"
#include "nlio.h"
#include "options.h"
#include "sampler.h"
#include "strbuf.h"
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

int main(int argc, char **argv)
{
	struct options opts;
	struct strbuf err;
	struct sampler *sp = NULL;
	struct model *m = NULL;
	struct clock clk;
	struct nlio io;
	int rc, e;

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

	e = nlio_open_sock_diag(&io, 0);
	if (e)
		return fail(EXIT_CANNOT_SAMPLE,
			    "cannot open the sock_diag netlink socket",
			    diag_strerror(e));
	clock_init_system(&clk);
	e = sampler_new(&sp, "/proc", &clk, &io);
	if (e == 0)
		e = model_new(&m);
	if (e) {
		sampler_free(sp);
		return fail(EXIT_CANNOT_SAMPLE, "out of memory", NULL);
	}

	if (opts.batch)
		e = batch_run(&opts, sp, m, stdout, stderr, &err);
	else
		e = ui_run(&opts, sp, m, &err);
	rc = EXIT_OK;
	if (e) {
		fprintf(stderr, "porttop: %s\n", err.len ? err.buf : strerror(-e));
		rc = EXIT_CANNOT_SAMPLE;
	}
	model_free(m);
	sampler_free(sp);
	strbuf_release(&err);
	return rc;
}

/* TEMPORARY until tui/ui.c lands. */
__attribute__((weak)) int ui_run(const struct options *opts, struct sampler *sp,
				 struct model *m, struct strbuf *err)
{
	(void)opts; (void)sp; (void)m;
	strbuf_addstr(err, "interactive mode not built yet: use -b");
	return -ENOSYS;
}
