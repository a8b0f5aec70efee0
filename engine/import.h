#ifndef PORTTOP_IMPORT_H
#define PORTTOP_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "sampler.h"
#include "sock.h"

/*
 * import: one sample from the text another tool printed on another host,
 * so a host without porttop can still be analysed:
 *
 *   ss       `ss -tanH`, `ss -tanpH`, `ss -tuanpH` (with or without -H,
 *            with or without the Netid column, with or without -p)
 *   netstat  Linux net-tools `netstat -tan`, `-tanp` (also -tuanp)
 *   windows  Windows `netstat -ano` (also -an)
 *
 * What a capture does not hold stays unknown, never invented: sysctls
 * keep their `known` bits clear (the model and the outputs say so),
 * reserved ports are unknown, timers are 0, and processes are known only
 * when the capture names them (ss -p, netstat -p, the PID column of
 * Windows), by pid and command name, with no user.
 *
 * Input is hostile: lines are bounded (IMPORT_LINE_MAX; a longer one is
 * malformed and skipped to its end), every field is checked, and a line
 * that does not parse is counted (with the number of the first such line)
 * and skipped, never fatal; but a capture where nothing parsed and some
 * lines did not is refused (-ENODATA), as is UTF-16 text (-EILSEQ) and a
 * capture past IMPORT_MAX_BYTES or IMPORT_MAX_LINES (-EFBIG). Sockets past IMPORT_MAX_SOCKETS are dropped
 * and counted.
 */

enum import_format {
	IMPORT_AUTO = 0,          /* decided by the first line that parses */
	IMPORT_SS,
	IMPORT_NETSTAT,
	IMPORT_WINDOWS,
};

#define IMPORT_LINE_MAX 4096
#define IMPORT_MAX_SOCKETS 4000000u
/* Past these a capture is refused (-EFBIG): /dev/zero or /dev/urandom
 * would otherwise be read forever. */
#define IMPORT_MAX_BYTES ((uint64_t)1 << 30)
#define IMPORT_MAX_LINES 8000000u
/* The default dynamic port range of Windows (Vista and later). */
#define IMPORT_WINDOWS_LOW 49152
#define IMPORT_WINDOWS_HIGH 65535

struct import_opts {
	enum import_format format;    /* IMPORT_AUTO: detect */
	int have_range;               /* range_low..range_high given (--range) */
	unsigned range_low, range_high;
	double time;                  /* the sample's time (seconds since the
					 epoch): when the capture was taken,
					 as well as the caller knows */
};

struct import_stats {
	enum import_format format;    /* detected or forced; AUTO if none */
	uint64_t lines;               /* lines read */
	uint64_t sockets;             /* sockets imported */
	uint64_t ignored;             /* blank and header lines */
	uint64_t malformed;           /* lines that did not parse */
	uint64_t first_malformed;     /* line number of the first, 0 if none */
	uint64_t dropped;             /* sockets past IMPORT_MAX_SOCKETS */
	int has_owners;               /* the capture names processes */
	int utf16;                    /* UTF-16 text (a BOM or NUL bytes) */
	uint64_t bytes;               /* bytes read */
};

/* "ss", "netstat", "windows", "auto" <-> enum. Parse: 0 or -EINVAL. */
int import_format_parse(const char *name, enum import_format *out);
const char *import_format_name(enum import_format f);

/* One parsed line (exposed for tests and fuzzing). */
struct import_line {
	struct sock_rec rec;
	int32_t pid;                  /* owner, 0 if none is named */
	char comm[SAMPLE_COMM_LEN];   /* sanitised, "" if none */
};

/* Results of import_parse_line() besides 1 (a socket). */
enum import_line_result {
	IMPORT_LINE_IGNORED = 0,      /* blank or a header line */
};

/*
 * Parse one line (len bytes, no newline needed, any content) in format
 * *fmt. When *fmt is IMPORT_AUTO, every format is tried and *fmt is set
 * to the one that parsed. Returns 1 with *out filled, IMPORT_LINE_IGNORED,
 * or -EINVAL for a malformed line.
 */
int import_parse_line(enum import_format *fmt, const char *line, size_t len,
		      struct import_line *out);

struct importer;

/* Returns 0 or -ENOMEM; opts is copied. */
int import_new(struct importer **out, const struct import_opts *opts);
void import_free(struct importer *im);

/* Feed the next len bytes of the capture (split anywhere). 0, -ENOMEM,
 * -EILSEQ when the capture is UTF-16 (a BOM, or a NUL second byte; then
 * import_finish() returns -EILSEQ too), or -EFBIG past IMPORT_MAX_BYTES
 * or IMPORT_MAX_LINES. */
int import_feed(struct importer *im, const void *buf, size_t len);

/*
 * End of input: move the sample into *s (its sockets, owners and notes
 * replaced; s must have been sample_init()ed) and fill *st. Returns 0,
 * -ENOMEM, or -ENODATA when no line parsed at all (s then holds an empty
 * sample and st says why). The importer is spent afterwards.
 */
int import_finish(struct importer *im, struct sample *s, struct import_stats *st);

/*
 * Read the whole capture from fd (until EOF, retrying EINTR) into *s:
 * import_new + import_feed + import_finish. Returns as import_finish(),
 * or the negative errno of a failed read.
 */
int import_read_fd(int fd, const struct import_opts *opts, struct sample *s,
		   struct import_stats *st);

#endif
