#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

/* Limits that keep a typo from turning into a busy loop or a frozen UI. */
#define DELAY_MIN 0.05
#define DELAY_MAX 3600.0

enum {
	OPT_NO_COLOR = 256,
	OPT_ASCII,
	OPT_CHECK,
};

static const struct option long_options[] = {
	{ "delay", required_argument, NULL, 'd' },
	{ "batch", no_argument, NULL, 'b' },
	{ "iterations", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "record", required_argument, NULL, 'w' },
	{ "replay", required_argument, NULL, 'r' },
	{ "netns", required_argument, NULL, 'N' },
	{ "pid", required_argument, NULL, 'p' },
	{ "check", required_argument, NULL, OPT_CHECK },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "ascii", no_argument, NULL, OPT_ASCII },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

const char *options_usage(void)
{
	return
	"Usage: porttop [OPTION]...\n"
	"Show how much of the ephemeral port range is left, per destination.\n"
	"\n"
	"  -d, --delay=SECS        seconds between samples (default 1; fractions\n"
	"                          allowed, 0.05 to 3600)\n"
	"  -b, --batch             no terminal UI: print snapshots to stdout\n"
	"  -n, --iterations=N      stop after N samples (batch and UI)\n"
	"  -o, --output=FORMAT     batch format: text (default) or json\n"
	"      --no-color          monochrome (also when NO_COLOR is set)\n"
	"      --ascii             7-bit drawing characters only\n"
	"  -h, --help              show this help and exit\n"
	"  -V, --version           show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 2 usage error, 3 cannot sample (reason on stderr).\n"
	"See porttop(1) for the views, the keys and what every number means.\n";
}

static const char *reserved_name(int c)
{
	switch (c) {
	case 'w': return "--record";
	case 'r': return "--replay";
	case 'N': return "--netns";
	case 'p': return "--pid";
	default: return "--check";
	}
}

/* The option getopt refused, as the user wrote it: "--name" (without
 * "=value") for long options, "-c" for short ones. */
static const char *bad_option_name(char **argv, char *buf, size_t len)
{
	const char *arg = argv[optind - 1];

	if (strncmp(arg, "--", 2) == 0) {
		snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
		return buf;
	}
	snprintf(buf, len, "-%c", optopt);
	return buf;
}

static int parse_delay(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) ||
	    v < DELAY_MIN || v > DELAY_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_count(const char *arg, long *out)
{
	char *end;
	long v;

	if (*arg < '0' || *arg > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v < 1)
		return -EINVAL;
	*out = v;
	return 0;
}

__attribute__((format(printf, 2, 3)))
static int usage_error(struct strbuf *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(err, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int options_parse(int argc, char **argv, struct options *opts, struct strbuf *err)
{
	const char *no_color = getenv("NO_COLOR");
	char name[64];
	int c;

	memset(opts, 0, sizeof(*opts));
	opts->delay = 1.0;
	opts->format = OUT_TEXT;
	/* https://no-color.org: any non-empty value disables colour. */
	opts->no_color = no_color && *no_color;

	optind = 0;   /* 0 makes glibc reinitialise: options_parse is re-entrant */
	opterr = 0;   /* we word the errors ourselves */
	while ((c = getopt_long(argc, argv, ":d:bn:o:w:r:N:p:hV",
				long_options, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_delay(optarg, &opts->delay))
				return usage_error(err, "invalid delay '%s': "
						   "give seconds from 0.05 to 3600", optarg);
			break;
		case 'b':
			opts->batch = 1;
			break;
		case 'n':
			if (parse_count(optarg, &opts->iterations))
				return usage_error(err, "invalid iteration count '%s': "
						   "give a whole number >= 1", optarg);
			break;
		case 'o':
			if (strcmp(optarg, "text") == 0)
				opts->format = OUT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				opts->format = OUT_JSON;
			else if (strcmp(optarg, "openmetrics") == 0)
				return usage_error(err, "output format '%s' is not "
						   "available in this version", optarg);
			else
				return usage_error(err, "unknown output format '%s': "
						   "use text or json", optarg);
			break;
		case 'w':
		case 'r':
		case 'N':
		case 'p':
		case OPT_CHECK:
			/* Reserved by the command-line contract; refusing is
			 * honest, ignoring would not be. */
			return usage_error(err, "option '%s' is not available in "
					   "this version", reserved_name(c));
		case OPT_NO_COLOR:
			opts->no_color = 1;
			break;
		case OPT_ASCII:
			opts->ascii = 1;
			break;
		case 'h':
			opts->help = 1;
			break;
		case 'V':
			opts->version = 1;
			break;
		case ':':
			return usage_error(err, "option '%s' needs an argument",
					   bad_option_name(argv, name, sizeof(name)));
		default:
			return usage_error(err, "unknown option '%s'",
					   bad_option_name(argv, name, sizeof(name)));
		}
	}
	if (optind < argc)
		return usage_error(err, "unexpected argument '%s'", argv[optind]);
	if (opts->help)
		return OPTIONS_HELP;
	if (opts->version)
		return OPTIONS_VERSION;
	if (opts->format != OUT_TEXT && !opts->batch)
		return usage_error(err, "%s needs --batch (-b)", "--output");
	return OPTIONS_RUN;
}
