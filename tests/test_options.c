#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
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
	assert_int_equal(parse(&o, &err, "-w", "file", NULL), -EINVAL);
	assert_string_equal(err.buf, "option '--record' is not available in this version");
	assert_int_equal(parse(&o, &err, "--replay=f", NULL), -EINVAL);
	assert_non_null(strstr(err.buf, "--replay"));
	assert_int_equal(parse(&o, &err, "-N", "x", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-p", "1", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "--check=10,20", NULL), -EINVAL);
	assert_int_equal(parse(&o, &err, "-b", "-o", "openmetrics", NULL), -EINVAL);
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
	assert_null(strstr(options_usage(), "--record"));
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
		cmocka_unit_test(test_help_version_color),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
