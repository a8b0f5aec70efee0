#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

/* Parse a NULL-terminated argument list; the reason lands in *err. */
static int parse(struct options *o, struct strbuf *err, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"porttop";
	va_start(ap, err);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	strbuf_reset(err);
	return options_parse(argc, argv, o, err);
}

static void test_defaults(void **state)
{
	struct options o;
	struct strbuf err;

	(void)state;
	unsetenv("NO_COLOR");
	strbuf_init(&err);
	assert_int_equal(parse(&o, &err, NULL), OPTIONS_RUN);
	assert_true(o.delay == 1.0);
	assert_int_equal(o.batch, 0);
	assert_int_equal(o.iterations, 0);
	assert_int_equal(o.format, OUT_TEXT);
	assert_int_equal(o.no_color, 0);
	strbuf_release(&err);
}

static void test_batch_json(void **state)
{
	struct options o;
	struct strbuf err;

	(void)state;
	strbuf_init(&err);
	assert_int_equal(parse(&o, &err, "-b", "-n", "3", "-d", "0.5", "-o", "json", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o.batch, 1);
	assert_int_equal(o.iterations, 3);
	assert_true(o.delay == 0.5);
	assert_int_equal(o.format, OUT_JSON);
	assert_int_equal(parse(&o, &err, "--batch", "--iterations=2", "--delay=2",
			       "--output=text", NULL), OPTIONS_RUN);
	assert_int_equal(o.iterations, 2);
	assert_true(o.delay == 2.0);
	assert_int_equal(o.format, OUT_TEXT);
	strbuf_release(&err);
}

static void test_bad_values(void **state)
{
	struct options o;
	struct strbuf err;

	(void)state;
	strbuf_init(&err);
	assert_int_equal(parse(&o, &err, "-d", "0", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "delay"));
	assert_int_equal(parse(&o, &err, "-d", "abc", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-d", "1e9", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-d", "nan", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-d", "1s", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-n", "0", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-n", "-3", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-n", "99999999999999999999", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-b", "-o", "xml", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "xml"));
	assert_int_equal(parse(&o, &err, "-o", "json", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "--batch"));
	assert_int_equal(parse(&o, &err, "extra", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "extra"));
	strbuf_release(&err);
}

static void test_unknown_and_missing(void **state)
{
	struct options o;
	struct strbuf err;

	(void)state;
	strbuf_init(&err);
	assert_int_equal(parse(&o, &err, "-x", NULL), -EINVAL);
	assert_string_equal(err.buf, "unknown option '-x'");
	assert_int_equal(parse(&o, &err, "--frobnicate", NULL), -EINVAL);
	assert_string_equal(err.buf, "unknown option '--frobnicate'");
	assert_int_equal(parse(&o, &err, "-n", NULL), -EINVAL);
	assert_string_equal(err.buf, "option '-n' needs an argument");
	assert_int_equal(parse(&o, &err, "--delay", NULL), -EINVAL);
	assert_string_equal(err.buf, "option '--delay' needs an argument");
	strbuf_release(&err);
}

/* Options the contract reserves but this version lacks are refused by
 * name, never silently accepted. */
static void test_reserved_refused(void **state)
{
	struct options o;
	struct strbuf err;

	(void)state;
	strbuf_init(&err);
	/* record: -w, -r and -o openmetrics exist now (test_record_options) */
	assert_int_equal(parse(&o, &err, "-w", "file", NULL), OPTIONS_RUN);
	assert_string_equal(o.record, "file");
	assert_int_equal(parse(&o, &err, "-b", "-o", "openmetrics", NULL), OPTIONS_RUN);
	assert_int_equal(o.format, OUT_OPENMETRICS);
	strbuf_release(&err);
}

/* record: -w, -r, --demo, --import, --import-format, --range, --top */
static void test_record_options(void **state)
{
	struct options o;
	struct strbuf err;

	(void)state;
	strbuf_init(&err);
	assert_int_equal(parse(&o, &err, NULL), OPTIONS_RUN);
	assert_null(o.record);
	assert_null(o.replay);
	assert_null(o.import);
	assert_int_equal(o.demo, 0);
	assert_int_equal(o.import_format, IMPORT_AUTO);
	assert_int_equal(o.have_range, 0);
	assert_int_equal(o.top, 10);

	assert_int_equal(parse(&o, &err, "-b", "-r", "in.ptr", "-w", "out.ptr",
			       "-o", "json", NULL), OPTIONS_RUN);
	assert_string_equal(o.replay, "in.ptr");
	assert_string_equal(o.record, "out.ptr");
	assert_int_equal(parse(&o, &err, "--replay=a", "--record=b", NULL), OPTIONS_RUN);
	assert_string_equal(o.replay, "a");
	assert_string_equal(o.record, "b");
	assert_int_equal(parse(&o, &err, "--demo", NULL), OPTIONS_RUN);
	assert_int_equal(o.demo, 1);
	assert_int_equal(parse(&o, &err, "--import", "-", "--range=49152-65535",
			       "--import-format=windows", "-b", NULL), OPTIONS_RUN);
	assert_string_equal(o.import, "-");
	assert_int_equal(o.have_range, 1);
	assert_int_equal(o.range_low, 49152);
	assert_int_equal(o.range_high, 65535);
	assert_int_equal(o.import_format, IMPORT_WINDOWS);
	assert_int_equal(parse(&o, &err, "-b", "-o", "openmetrics", "--top=3", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o.top, 3);

	/* refused, with the reason */
	assert_int_equal(parse(&o, &err, "-r", "a", "--import", "b", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "give one"));
	assert_int_equal(parse(&o, &err, "--demo", "-r", "a", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-r", "same", "-w", "same", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "same file"));
	assert_int_equal(parse(&o, &err, "--range=1-2", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "--import"));
	assert_int_equal(parse(&o, &err, "--import=x", "--range=2-1", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--import=x", "--range=0-10", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--import=x", "--range=1-65536", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--import=x", "--range=10", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--import=x", "--range=a-b", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--import=x", "--import-format=xml", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "xml"));
	assert_int_equal(parse(&o, &err, "--import-format=ss", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--import=", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-w", "", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-b", "--top=3", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "openmetrics"));
	assert_int_equal(parse(&o, &err, "-b", "-o", "openmetrics", "--top=0", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-o", "openmetrics", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "--batch"));
	/* the help documents them */
	assert_non_null(strstr(options_usage(), "--import=FILE"));
	assert_non_null(strstr(options_usage(), "--demo"));
	assert_non_null(strstr(options_usage(), "openmetrics"));
	strbuf_release(&err);
}

/* -p/--pid: comma lists, repeatable, distinct, bounded; bad lists refused. */
static void test_pids(void **state)
{
	char many[OPTIONS_MAX_PIDS * 8 + 16];
	struct options o;
	struct strbuf err;
	size_t i, len = 0;

	(void)state;
	strbuf_init(&err);
	assert_int_equal(parse(&o, &err, NULL), OPTIONS_RUN);
	assert_int_equal(o.npids, 0);
	assert_int_equal(parse(&o, &err, "-p", "42", NULL), OPTIONS_RUN);
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.pids[0], 42);
	assert_int_equal(parse(&o, &err, "--pid=7,3,7", "-p", "9", "-b", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o.npids, 3);   /* the repeated 7 counts once */
	assert_int_equal(o.pids[0], 7);
	assert_int_equal(o.pids[1], 3);
	assert_int_equal(o.pids[2], 9);
	assert_int_equal(parse(&o, &err, "-p", "2147483647", NULL), OPTIONS_RUN);
	assert_int_equal(o.pids[0], 2147483647);

	assert_int_equal(parse(&o, &err, "-p", "0", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "--pid '0'"));
	assert_int_equal(parse(&o, &err, "-p", "-5", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-p", "1,,2", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-p", "1,", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-p", ",1", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-p", "12x", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-p", "1 2", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-p", "2147483648", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-p", "", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-p", NULL), -EINVAL);
	assert_string_equal(err.buf, "option '-p' needs an argument");

	/* OPTIONS_MAX_PIDS distinct pids fit, one more does not */
	for (i = 1; i <= OPTIONS_MAX_PIDS; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "%s%zu",
					i > 1 ? "," : "", i);
	assert_int_equal(parse(&o, &err, "-p", many, NULL), OPTIONS_RUN);
	assert_int_equal(o.npids, OPTIONS_MAX_PIDS);
	assert_int_equal(o.pids[OPTIONS_MAX_PIDS - 1], OPTIONS_MAX_PIDS);
	snprintf(many + len, sizeof(many) - len, ",%d", OPTIONS_MAX_PIDS + 1);
	assert_int_equal(parse(&o, &err, "-p", many, NULL), -EINVAL);
	assert_non_null(strstr(options_usage(), "--pid=PID[,PID...]"));
	strbuf_release(&err);
}

/* --check=WARN,CRIT and --check-eta=SECS. */
static void test_check(void **state)
{
	struct options o;
	struct strbuf err;

	(void)state;
	strbuf_init(&err);
	assert_int_equal(parse(&o, &err, NULL), OPTIONS_RUN);
	assert_int_equal(o.check, 0);
	assert_true(o.check_eta < 0);

	/* implies batch; fractions allowed */
	assert_int_equal(parse(&o, &err, "--check=80,95", NULL), OPTIONS_RUN);
	assert_int_equal(o.check, 1);
	assert_int_equal(o.batch, 1);
	assert_true(o.check_warn == 80.0);
	assert_true(o.check_crit == 95.0);
	assert_true(o.check_eta < 0);
	assert_int_equal(parse(&o, &err, "-b", "--check", "0,100", "-n", "3",
			       "-d", "0.5", "--check-eta=300", NULL), OPTIONS_RUN);
	assert_true(o.check_warn == 0.0);
	assert_true(o.check_crit == 100.0);
	assert_true(o.check_eta == 300.0);
	assert_int_equal(o.iterations, 3);
	assert_int_equal(parse(&o, &err, "--check=12.5,12.5", "--check-eta=0.5",
			       NULL), OPTIONS_RUN);
	assert_true(o.check_warn == 12.5);
	assert_true(o.check_crit == 12.5);
	assert_true(o.check_eta == 0.5);

	/* bad thresholds */
	assert_int_equal(parse(&o, &err, "--check=95,80", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "--check"));
	assert_int_equal(parse(&o, &err, "--check=80", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--check=80,", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--check=,80", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--check=80,101", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--check=-1,50", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--check=a,b", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--check=80,95,99", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--check=nan,95", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--check=80 ,95", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--check", NULL), -EINVAL);
	assert_string_equal(err.buf, "option '--check' needs an argument");

	/* bad or orphan --check-eta */
	assert_int_equal(parse(&o, &err, "--check=1,2", "--check-eta=-5", NULL),
			 -EINVAL);
	assert_non_null(strstr(err.buf, "--check-eta"));
	assert_int_equal(parse(&o, &err, "--check=1,2", "--check-eta=5m", NULL),
			 -EINVAL);
	assert_int_equal(parse(&o, &err, "--check-eta=60", NULL), -EINVAL);
	assert_string_equal(err.buf, "--check-eta needs --check=WARN,CRIT");
	/* one sample has no rates: an eta threshold could never fire */
	assert_int_equal(parse(&o, &err, "--check=1,2", "--check-eta=60", "-n", "1",
			       NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "-n 2"));
	/* a check prints a status line, not JSON */
	assert_int_equal(parse(&o, &err, "-b", "-o", "json", "--check=1,2", NULL),
			 -EINVAL);
	/* the help documents both */
	assert_non_null(strstr(options_usage(), "--check=WARN,CRIT"));
	assert_non_null(strstr(options_usage(), "--check-eta=SECS"));
	strbuf_release(&err);
}

static void test_help_version_color(void **state)
{
	struct options o;
	struct strbuf err;

	(void)state;
	strbuf_init(&err);
	assert_int_equal(parse(&o, &err, "-h", NULL), OPTIONS_HELP);
	assert_int_equal(parse(&o, &err, "--version", NULL), OPTIONS_VERSION);
	assert_int_equal(parse(&o, &err, "--no-color", "--ascii", NULL), OPTIONS_RUN);
	assert_int_equal(o.no_color, 1);
	assert_int_equal(o.ascii, 1);
	setenv("NO_COLOR", "1", 1);
	assert_int_equal(parse(&o, &err, NULL), OPTIONS_RUN);
	assert_int_equal(o.no_color, 1);
	setenv("NO_COLOR", "", 1);   /* empty means unset, per no-color.org */
	assert_int_equal(parse(&o, &err, NULL), OPTIONS_RUN);
	assert_int_equal(o.no_color, 0);
	unsetenv("NO_COLOR");
	/* the help lists every option the parser accepts for real */
	assert_non_null(strstr(options_usage(), "--delay"));
	assert_non_null(strstr(options_usage(), "--batch"));
	assert_non_null(strstr(options_usage(), "--iterations"));
	assert_non_null(strstr(options_usage(), "--output"));
	assert_non_null(strstr(options_usage(), "--record"));   /* record */
	assert_non_null(strstr(options_usage(), "--replay"));
	strbuf_release(&err);
}

/* nat: -N, --all-netns, --nat-range */
static void test_netns_options(void **state)
{
	struct options o;
	struct strbuf err;

	(void)state;
	strbuf_init(&err);
	assert_int_equal(parse(&o, &err, NULL), OPTIONS_RUN);
	assert_null(o.netns);
	assert_false(o.all_netns);
	assert_false(o.have_nat_range);
	assert_int_equal(o.nat_low, 1024);
	assert_int_equal(o.nat_high, 65535);

	assert_int_equal(parse(&o, &err, "-N", "router", NULL), OPTIONS_RUN);
	assert_string_equal(o.netns, "router");
	assert_int_equal(parse(&o, &err, "--netns=1234", "-b", NULL),
			 OPTIONS_RUN);
	assert_string_equal(o.netns, "1234");
	assert_int_equal(parse(&o, &err, "--netns=", NULL), -EINVAL);
	assert_string_equal(err.buf, "invalid --netns '': give a name under "
			    "/run/netns or a process id");
	strbuf_reset(&err);
	assert_int_equal(parse(&o, &err, "-N", "../etc", NULL), -EINVAL);
	strbuf_reset(&err);
	assert_int_equal(parse(&o, &err, "-N", "..", NULL), -EINVAL);
	strbuf_reset(&err);

	assert_int_equal(parse(&o, &err, "--all-netns", "-b", "-o", "json",
			       NULL), OPTIONS_RUN);
	assert_true(o.all_netns);
	assert_int_equal(o.format, OUT_JSON);
	assert_int_equal(parse(&o, &err, "--all-netns", "-N", "x", NULL),
			 -EINVAL);
	assert_non_null(strstr(err.buf, "not both"));
	strbuf_reset(&err);
	assert_int_equal(parse(&o, &err, "--all-netns", "--check=80,90",
			       NULL), -EINVAL);
	strbuf_reset(&err);
	assert_int_equal(parse(&o, &err, "--all-netns", "-b", "-o",
			       "openmetrics", NULL), OPTIONS_RUN);
	assert_int_equal(o.format, OUT_OPENMETRICS);
	assert_int_equal(parse(&o, &err, "-N", "x", "--replay=f", NULL),
			 -EINVAL);
	assert_non_null(strstr(err.buf, "--netns samples the kernel"));
	strbuf_reset(&err);

	assert_int_equal(parse(&o, &err, "--nat-range=50000-50003", NULL),
			 OPTIONS_RUN);
	assert_true(o.have_nat_range);
	assert_int_equal(o.nat_low, 50000);
	assert_int_equal(o.nat_high, 50003);
	assert_int_equal(parse(&o, &err, "--nat-range=50003-50000", NULL),
			 -EINVAL);
	assert_non_null(strstr(err.buf, "invalid --nat-range"));
	strbuf_reset(&err);
	assert_int_equal(parse(&o, &err, "--nat-range=0-10", NULL), -EINVAL);
	strbuf_reset(&err);
	assert_int_equal(parse(&o, &err, "--nat-range=1-65536", NULL), -EINVAL);
	strbuf_reset(&err);
	assert_non_null(strstr(options_usage(), "--netns=NAME|PID"));
	assert_non_null(strstr(options_usage(), "--all-netns"));
	assert_non_null(strstr(options_usage(), "--nat-range=LOW-HIGH"));
	strbuf_release(&err);
}

/* pkg: -o prometheus, -o openmetrics, --textfile */
static void test_exporter_options(void **state)
{
	struct options o;
	struct strbuf err;

	(void)state;
	strbuf_init(&err);
	assert_int_equal(parse(&o, &err, "-b", "-o", "prometheus", "--top=4",
			       NULL), OPTIONS_RUN);
	assert_int_equal(o.format, OUT_PROMETHEUS);
	assert_int_equal(o.top, 4);
	assert_null(o.textfile);
	assert_int_equal(parse(&o, &err, "-b", "-o", "openmetrics", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o.format, OUT_OPENMETRICS);

	/* --textfile: batch, the Prometheus text format, until killed */
	assert_int_equal(parse(&o, &err, "--textfile=/x/p.prom", "-d", "15",
			       NULL), OPTIONS_RUN);
	assert_string_equal(o.textfile, "/x/p.prom");
	assert_true(o.batch);
	assert_int_equal(o.format, OUT_PROMETHEUS);
	assert_int_equal(o.iterations, 0);
	assert_true(o.delay == 15.0);
	assert_int_equal(parse(&o, &err, "--textfile", "p", "-o", "prometheus",
			       "--top=20", "-n", "3", NULL), OPTIONS_RUN);
	assert_int_equal(o.top, 20);
	assert_int_equal(o.iterations, 3);

	/* refused, with the reason */
	assert_int_equal(parse(&o, &err, "--textfile=", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "file name"));
	strbuf_reset(&err);
	assert_int_equal(parse(&o, &err, "--textfile=p", "-o", "json", NULL),
			 -EINVAL);
	assert_non_null(strstr(err.buf, "Prometheus text format"));
	assert_int_equal(parse(&o, &err, "--textfile=p", "-o", "openmetrics",
			       NULL), -EINVAL);
	strbuf_reset(&err);
	assert_int_equal(parse(&o, &err, "--textfile=p", "--check=80,90",
			       NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "--check"));
	assert_int_equal(parse(&o, &err, "--textfile=p", "--all-netns", NULL),
			 -EINVAL);
	assert_int_equal(parse(&o, &err, "--textfile=p", "-w", "p", NULL),
			 -EINVAL);
	assert_int_equal(parse(&o, &err, "-b", "-o", "openmetric", NULL),
			 -EINVAL);
	strbuf_reset(&err);
	assert_int_equal(parse(&o, &err, "-b", "--top=3", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "prometheus"));
	assert_non_null(strstr(options_usage(), "--textfile=FILE"));
	assert_non_null(strstr(options_usage(), "prometheus"));
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_batch_json),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_unknown_and_missing),
		cmocka_unit_test(test_reserved_refused),
		cmocka_unit_test(test_record_options),
		cmocka_unit_test(test_pids),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_help_version_color),
		cmocka_unit_test(test_netns_options),   /* nat */
		cmocka_unit_test(test_exporter_options),   /* pkg */
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
