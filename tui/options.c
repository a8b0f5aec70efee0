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
#include "out_openmetrics.h"

/* Limits that keep a typo from turning into a busy loop or a frozen UI. */
#define DELAY_MIN 0.05
#define DELAY_MAX 3600.0

enum {
	OPT_NO_COLOR = 256,
	OPT_NO_BPF,
	OPT_ASCII,
	OPT_CHECK,
	OPT_CHECK_ETA,
	OPT_IMPORT,              /* record */
	OPT_IMPORT_FORMAT,
	OPT_RANGE,
	OPT_DEMO,
	OPT_TOP,
	OPT_TEXTFILE,
	OPT_ALL_NETNS,           /* nat */
	OPT_NAT_RANGE,
};

static const struct option long_options[] = {
	{ "delay", required_argument, NULL, 'd' },
	{ "batch", no_argument, NULL, 'b' },
	{ "iterations", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "record", required_argument, NULL, 'w' },
	{ "replay", required_argument, NULL, 'r' },
	{ "netns", required_argument, NULL, 'N' },
	{ "all-netns", no_argument, NULL, OPT_ALL_NETNS },
	{ "nat-range", required_argument, NULL, OPT_NAT_RANGE },
	{ "pid", required_argument, NULL, 'p' },
	{ "check", required_argument, NULL, OPT_CHECK },
	{ "check-eta", required_argument, NULL, OPT_CHECK_ETA },
	{ "import", required_argument, NULL, OPT_IMPORT },
	{ "import-format", required_argument, NULL, OPT_IMPORT_FORMAT },
	{ "range", required_argument, NULL, OPT_RANGE },
	{ "demo", no_argument, NULL, OPT_DEMO },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "textfile", required_argument, NULL, OPT_TEXTFILE },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "no-bpf", no_argument, NULL, OPT_NO_BPF },
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
	"  -o, --output=FORMAT     batch format: text (default), json,\n"
	"                          prometheus (Prometheus text format) or\n"
	"                          openmetrics (OpenMetrics 1.0)\n"
	"      --top=N             metrics: series for the N destinations\n"
	"                          most at risk (default 10), the rest summed\n"
	"      --textfile=FILE     exporter: keep sampling every -d seconds and\n"
	"                          replace FILE atomically after each sample\n"
	"                          (Prometheus text format, mode 0644), for\n"
	"                          node_exporter's textfile collector\n"
	"  -w, --record=FILE       also append every sample to FILE (mode 0600)\n"
	"  -r, --replay=FILE       read samples from a recording instead of the\n"
	"                          kernel (UI keys: t/T next/previous, b jump)\n"
	"      --demo              replay the bundled recording of an exhaustion\n"
	"      --import=FILE       analyse a capture (- for stdin): the output of\n"
	"                          ss -tanH/-tanpH/-tuanpH, Linux netstat -tan[p]\n"
	"                          or Windows netstat -ano\n"
	"      --import-format=F   auto (default), ss, netstat or windows\n"
	"      --range=LOW-HIGH    --import: the capturing host's port range\n"
	"  -p, --pid=PID[,PID...]  count only the sockets of these processes\n"
	"                          (their TIME_WAIT included, by attribution)\n"
	"      --check=WARN,CRIT   health check (implies -b): print one status\n"
	"                          line and exit 0 ok, 1 warning, 2 critical, by\n"
	"                          the percent of ports used toward the worst\n"
	"                          destination or pool; samples -n times\n"
	"                          (default 2, so rates are known)\n"
	"      --check-eta=SECS    with --check: also warn when a destination\n"
	"                          runs out within SECS at the current rate\n"
	"  -N, --netns=NAME|PID    sample another network namespace: a name\n"
	"                          under /run/netns, or a process's namespace\n"
	"      --all-netns         list every network namespace with its\n"
	"                          processes and worst headroom\n"
	"      --nat-range=LOW-HIGH  the SNAT/MASQUERADE port range NAT\n"
	"                          headroom is counted against (default\n"
	"                          1024-65535; porttop does not read the rules)\n"
	"      --no-bpf            do not read the kernel's port state through\n"
	"                          BPF: ports of bind(addr,0)+connect() sockets\n"
	"                          are then not known, and headroom is shown as\n"
	"                          a sure minimum and an estimate (>=MIN ~EST)\n"
	"      --no-color          monochrome (also when NO_COLOR is set)\n"
	"      --ascii             7-bit drawing characters only\n"
	"  -h, --help              show this help and exit\n"
	"  -V, --version           show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 warning (--check), 2 critical (--check) or usage\n"
	"error, 3 cannot sample (reason on stderr).\n"
	"See porttop(1) for the views, the keys and what every number means.\n";
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

/* A percentage 0..100 (fractions allowed). */
static int parse_pct(const char *arg, size_t len, double *out)
{
	char buf[64], *end;
	double v;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, arg, len);
	buf[len] = '\0';
	if (!((buf[0] >= '0' && buf[0] <= '9') || buf[0] == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(buf, &end);
	if (errno || end == buf || *end || !isfinite(v) || v < 0 || v > 100)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "WARN,CRIT": two percentages, WARN <= CRIT. */
static int parse_check(const char *arg, double *warn, double *crit)
{
	const char *comma = strchr(arg, ',');
	double w, c;

	if (!comma || parse_pct(arg, (size_t)(comma - arg), &w) ||
	    parse_pct(comma + 1, strlen(comma + 1), &c) || w > c)
		return -EINVAL;
	*warn = w;
	*crit = c;
	return 0;
}

/* Seconds for --check-eta: 0 .. 1e9, fractions allowed. */
static int parse_seconds(const char *arg, double *out)
{
	char *end;
	double v;

	if (!((*arg >= '0' && *arg <= '9') || *arg == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0 || v > 1e9)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "PID[,PID...]", added to opts->pids (repeating -p adds more). */
static int parse_pids(const char *arg, struct options *opts)
{
	const char *p = arg;

	for (;;) {
		long v = 0;
		size_t i, digits = 0;

		while (*p >= '0' && *p <= '9') {
			if (v > (INT_MAX - (*p - '0')) / 10)
				return -EINVAL;
			v = v * 10 + (*p++ - '0');
			digits++;
		}
		if (digits == 0 || v < 1 || (*p && *p != ','))
			return -EINVAL;
		for (i = 0; i < opts->npids && opts->pids[i] != (int)v; i++)
			;
		if (i == opts->npids) {
			if (opts->npids == OPTIONS_MAX_PIDS)
				return -EINVAL;
			opts->pids[opts->npids++] = (int)v;
		}
		if (!*p)
			return 0;
		p++;
	}
}

/* "LOW-HIGH", 1 <= LOW <= HIGH <= 65535 (record: --range). */
static int parse_range(const char *arg, unsigned *low, unsigned *high)
{
	unsigned long lo, hi;
	char *end;

	if (*arg < '0' || *arg > '9')
		return -EINVAL;
	errno = 0;
	lo = strtoul(arg, &end, 10);
	if (errno || *end != '-' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	hi = strtoul(end + 1, &end, 10);
	if (errno || *end || lo < 1 || lo > hi || hi > 65535)
		return -EINVAL;
	*low = (unsigned)lo;
	*high = (unsigned)hi;
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
	long top = 0;
	int c, have_top = 0;

	memset(opts, 0, sizeof(*opts));
	opts->top = OUT_OM_TOP_DEFAULT;
	opts->delay = 1.0;
	opts->format = OUT_TEXT;
	opts->check_eta = -1;
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
			else if (strcmp(optarg, "prometheus") == 0)
				opts->format = OUT_PROMETHEUS;
			else if (strcmp(optarg, "openmetrics") == 0)
				opts->format = OUT_OPENMETRICS;
			else
				return usage_error(err, "unknown output format '%s': "
						   "use text, json, prometheus or "
						   "openmetrics", optarg);
			break;
		case OPT_CHECK:
			if (parse_check(optarg, &opts->check_warn, &opts->check_crit))
				return usage_error(err, "invalid --check '%s': give "
						   "WARN,CRIT, percentages of ports "
						   "used from 0 to 100 with WARN <= "
						   "CRIT (e.g. 80,95)", optarg);
			opts->check = 1;
			break;
		case OPT_CHECK_ETA:
			if (parse_seconds(optarg, &opts->check_eta))
				return usage_error(err, "invalid --check-eta '%s': "
						   "give seconds (e.g. 300)", optarg);
			break;
		case 'p':
			if (parse_pids(optarg, opts))
				return usage_error(err, "invalid --pid '%s': give "
						   "process ids from 1, separated by "
						   "commas, %d at most", optarg,
						   OPTIONS_MAX_PIDS);
			break;
		case 'w':
			if (!*optarg)
				return usage_error(err, "--record needs a file name");
			opts->record = optarg;
			break;
		case OPT_TEXTFILE:
			if (!*optarg)
				return usage_error(err, "--textfile needs a file name");
			opts->textfile = optarg;
			break;
		case 'r':
			if (!*optarg)
				return usage_error(err, "--replay needs a file name");
			opts->replay = optarg;
			break;
		case OPT_NO_BPF:
			opts->no_bpf = 1;
			break;
		case OPT_DEMO:
			opts->demo = 1;
			break;
		case OPT_IMPORT:
			if (!*optarg)
				return usage_error(err, "--import needs a file name or -");
			opts->import = optarg;
			break;
		case OPT_IMPORT_FORMAT:
			if (import_format_parse(optarg, &opts->import_format))
				return usage_error(err, "unknown --import-format '%s': "
						   "use auto, ss, netstat or windows",
						   optarg);
			break;
		case OPT_RANGE:
			if (parse_range(optarg, &opts->range_low, &opts->range_high))
				return usage_error(err, "invalid --range '%s': give "
						   "LOW-HIGH with 1 <= LOW <= HIGH "
						   "<= 65535", optarg);
			opts->have_range = 1;
			break;
		case OPT_TOP:
			if (parse_count(optarg, &top) || top > OUT_OM_TOP_MAX)
				return usage_error(err, "invalid --top '%s': give a "
						   "whole number from 1 to 10000", optarg);
			opts->top = (size_t)top;
			have_top = 1;
			break;
		case 'N':   /* nat */
			if (!*optarg || strchr(optarg, '/') ||
			    strcmp(optarg, ".") == 0 || strcmp(optarg, "..") == 0)
				return usage_error(err, "invalid --netns '%s': give "
						   "a name under /run/netns or a "
						   "process id", optarg);
			opts->netns = optarg;
			break;
		case OPT_ALL_NETNS:
			opts->all_netns = 1;
			break;
		case OPT_NAT_RANGE:
			if (parse_range(optarg, &opts->nat_low, &opts->nat_high))
				return usage_error(err, "invalid --nat-range '%s': "
						   "give LOW-HIGH with 1 <= LOW <= "
						   "HIGH <= 65535", optarg);
			opts->have_nat_range = 1;
			break;
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
	if (opts->check_eta >= 0 && !opts->check)
		return usage_error(err, "--check-eta needs --check=WARN,CRIT");
	if (opts->textfile) {
		/* An exporter: the file is its output, in the format the
		 * textfile collector reads. */
		if (opts->check || opts->all_netns)
			return usage_error(err, "--textfile exports samples: it "
					   "does not take %s", opts->check ?
					   "--check" : "--all-netns");
		if (opts->format != OUT_TEXT && opts->format != OUT_PROMETHEUS)
			return usage_error(err, "--textfile writes the Prometheus "
					   "text format: it takes no other "
					   "--output");
		opts->format = OUT_PROMETHEUS;
		opts->batch = 1;
	}
	if (opts->check) {
		/* A check prints one status, not snapshots. */
		if (opts->format != OUT_TEXT)
			return usage_error(err, "--check prints a status line: "
					   "it does not take --output");
		if (opts->check_eta >= 0 && opts->iterations == 1)
			return usage_error(err, "--check-eta needs at least two "
					   "samples (-n 2) to know the rates");
		opts->batch = 1;
	}
	if (opts->format != OUT_TEXT && !opts->batch)
		return usage_error(err, "%s needs --batch (-b)", "--output");
	/* record: one source of samples; what only makes sense with one */
	if ((opts->replay != NULL) + (opts->import != NULL) + opts->demo > 1)
		return usage_error(err, "--replay, --demo and --import are "
				   "different sources: give one");
	if (opts->have_range && !opts->import)
		return usage_error(err, "--range applies to --import (a live run "
				   "and a recording know their range)");
	if (opts->import_format != IMPORT_AUTO && !opts->import)
		return usage_error(err, "--import-format needs --import");
	if (have_top && opts->format != OUT_OPENMETRICS &&
	    opts->format != OUT_PROMETHEUS)
		return usage_error(err, "--top applies to -o prometheus, -o "
				   "openmetrics and --textfile");
	if (opts->textfile && ((opts->record && strcmp(opts->textfile,
						       opts->record) == 0) ||
			       (opts->replay && strcmp(opts->textfile,
						       opts->replay) == 0)))
		return usage_error(err, "--textfile and --record or --replay "
				   "name the same file");
	if (opts->record && opts->replay && strcmp(opts->record, opts->replay) == 0)
		return usage_error(err, "--record and --replay name the same file");
	/* nat: namespaces are sampled live */
	if ((opts->netns || opts->all_netns) &&
	    (opts->replay || opts->import || opts->demo))
		return usage_error(err, "%s samples the kernel: it does not "
				   "take --replay, --demo or --import",
				   opts->netns ? "--netns" : "--all-netns");
	if (opts->all_netns && opts->netns)
		return usage_error(err, "--all-netns lists every namespace: "
				   "give it or --netns, not both");
	if (opts->all_netns && (opts->check || opts->record || opts->npids))
		return usage_error(err, "--all-netns lists namespaces: it does "
				   "not take --check, --record or --pid");
	if (!opts->have_nat_range) {
		opts->nat_low = 1024;
		opts->nat_high = 65535;
	}
	return OPTIONS_RUN;
}
