#ifndef PORTTOP_OPTIONS_H
#define PORTTOP_OPTIONS_H

#include "import.h"
#include "strbuf.h"

/*
 * options: the command line (the stable contract in docs/porttop.1).
 * Parsing never prints and never exits: main() decides.
 */

enum out_format {
	OUT_TEXT,
	OUT_JSON,
	OUT_PROMETHEUS,          /* the Prometheus text format (0.0.4) */
	OUT_OPENMETRICS,         /* OpenMetrics 1.0 (engine/expfmt.h) */
};

#define OPTIONS_MAX_PIDS 64

struct options {
	double delay;            /* -d, seconds between samples, > 0 */
	int batch;               /* -b */
	long iterations;         /* -n, 0 = unlimited */
	enum out_format format;  /* -o */
	int no_color;            /* --no-color or NO_COLOR set */
	int no_bpf;              /* --no-bpf: no BPF port-state reader */
	int ascii;               /* --ascii */
	int help;                /* -h */
	int version;             /* -V */
	int check;               /* --check given (implies batch) */
	double check_warn;       /* --check=WARN,CRIT: percent of headroom */
	double check_crit;       /*   used, 0 <= WARN <= CRIT <= 100 */
	double check_eta;        /* --check-eta=SECS, < 0 when not given */
	int pids[OPTIONS_MAX_PIDS]; /* -p: only these processes' sockets; */
	size_t npids;            /*   distinct, in the order given; 0 = all */
	/* >>> record: recordings, imports, OpenMetrics */
	const char *record;      /* -w FILE: append every sample, or NULL */
	const char *replay;      /* -r FILE: samples from a recording, or NULL */
	int demo;                /* --demo: replay the bundled recording */
	const char *import;      /* --import=FILE ("-": stdin), or NULL */
	enum import_format import_format;  /* --import-format, IMPORT_AUTO */
	int have_range;          /* --range=LOW-HIGH given (imports) */
	unsigned range_low, range_high;
	size_t top;              /* --top=N: metrics destinations listed */
	const char *textfile;    /* --textfile=FILE: keep sampling, replace
				    FILE (Prometheus text) after each sample;
				    implies batch, nothing on stdout */
	/* <<< record */
	/* >>> nat: other network namespaces, conntrack */
	const char *netns;       /* -N NAME|PID: sample that namespace, or
				    NULL for porttop's own */
	int all_netns;           /* --all-netns: list every namespace */
	int have_nat_range;      /* --nat-range=LOW-HIGH given */
	unsigned nat_low, nat_high;  /* the SNAT port range counted against
				    (default 1024-65535) */
	/* <<< nat */
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
