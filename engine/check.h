#ifndef PORTTOP_CHECK_H
#define PORTTOP_CHECK_H

#include <stddef.h>

#include "model.h"
#include "strbuf.h"

/*
 * check: `porttop -b --check=WARN,CRIT [--check-eta=SECS]`, a
 * Nagios-style health check. Pure: a snapshot and thresholds in, a status
 * and its text out.
 *
 * "Used" is the percentage of the usable range a destination or pool
 * cannot get any more: 100 x (usable - available) / usable. The status is
 * CRITICAL when the worst destination or pool has used >= CRIT, else
 * WARNING when it has used >= WARN, or when a destination's forecast is
 * below --check-eta seconds; else OK. UNKNOWN when nothing could be
 * sampled, or when the port range is not known (a sysctl that could not
 * be read, a capture without --range): a guessed range is no verdict.
 */

enum check_status {
	CHECK_OK = 0,
	CHECK_WARNING = 1,
	CHECK_CRITICAL = 2,
	CHECK_UNKNOWN = 3,
};

struct check_opts {
	double warn_pct;         /* 0..100 */
	double crit_pct;         /* warn_pct..100 */
	double eta_warn_s;       /* warn when eta_s < this; < 0: off */
};

/* What was found; pointers into the snapshot (valid as long as it is). */
struct check_result {
	enum check_status status;
	int worst_is_pool;                /* the worst item is a pool */
	const struct snap_dest *dest;     /* worst destination, or NULL */
	const struct snap_pool *pool;     /* worst pool, or NULL */
	double used_pct;                  /* of the worst item */
	uint32_t available;               /* of the worst item */
	const struct snap_dest *soonest;  /* smallest eta_s, or NULL */
	int eta_warn;                     /* soonest->eta_s < eta_warn_s */
	const char *unknown_why;          /* UNKNOWN for a snapshot: why */
};

/* The exit status of a check: the status itself (0, 1, 2, 3). */
int check_exit_code(enum check_status st);

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *check_status_name(enum check_status st);

/* Used percentage of a destination or pool with `available` ports left
 * out of `usable` (100 when usable is 0). */
double check_used_pct(uint32_t available, uint32_t usable);

/*
 * Evaluate the snapshot (NULL: UNKNOWN). Returns the status, also in
 * out->status.
 */
enum check_status check_eval(const struct snapshot *snap,
			     const struct check_opts *o,
			     struct check_result *out);

/*
 * Append the report: the status line ("PORTTOP CRITICAL - ... | perfdata"),
 * then detail lines (the worst destinations and pools, the advice for the
 * worst destination). snap may be NULL with reason set (UNKNOWN).
 * Returns 0 or -ENOMEM.
 */
int check_format(struct strbuf *sb, const struct snapshot *snap,
		 const struct check_opts *o, const struct check_result *r,
		 const char *reason);

#endif
