#ifndef PORTTOP_OPTIONS_H
#define PORTTOP_OPTIONS_H

#include "strbuf.h"

/*
 * options: the command line (the stable contract in docs/porttop.1).
 * Parsing never prints and never exits: main() decides.
 */

enum out_format {
	OUT_TEXT,
	OUT_JSON,
};

#define OPTIONS_MAX_PIDS 64

struct options {
	double delay;            /* -d, seconds between samples, > 0 */
	int batch;               /* -b */
	long iterations;         /* -n, 0 = unlimited */
	enum out_format format;  /* -o */
	int no_color;            /* --no-color or NO_COLOR set */
	int ascii;               /* --ascii */
	int help;                /* -h */
	int version;             /* -V */
};

/* What options_parse() found. */
enum options_result {
	OPTIONS_RUN = 0,         /* run porttop */
	OPTIONS_HELP = 1,        /* print usage to stdout, exit 0 */
	OPTIONS_VERSION = 2,     /* print version to stdout, exit 0 */
};

/*
 * Parse argv into opts (defaults first). Returns an options_result, or
 * -EINVAL with a one-line English reason appended to err (usage error:
 * exit 2). Options the design reserves but this build does not have yet
 * are refused with a clear reason, never silently ignored.
 */
int options_parse(int argc, char **argv, struct options *opts, struct strbuf *err);

/* The --help text. */
const char *options_usage(void);

#endif
