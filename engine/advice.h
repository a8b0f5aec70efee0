#ifndef PORTTOP_ADVICE_H
#define PORTTOP_ADVICE_H

#include <stddef.h>

#include "model.h"
#include "strbuf.h"

/*
 * advice: plain-words explanation of one destination, built only from
 * numbers the snapshot holds (every sentence carries its numbers, so the
 * reader can check it against the screen). Pure: snapshot in, lines out;
 * no I/O, no allocation.
 *
 * Rules, each emitted only when its numbers back it:
 *   SUMMARY     ports left, what holds them, rates and the forecast;
 *   CLOSER      who closes first (TIME_WAIT stays with the side that
 *               closes first) and the process TIME_WAIT is attributed to;
 *   TW_REUSE    whether tcp_tw_reuse applies to this destination
 *               (timestamps, loopback) and how many entries it frees;
 *   RANGE       how many ports a wider ip_local_port_range adds, against
 *               what the current rate needs;
 *   FIN_TIMEOUT tcp_fin_timeout does not shorten TIME_WAIT (only when
 *               TIME_WAIT holds most of the ports);
 *   BIND        sockets bound before connect() (odd/even port evidence,
 *               BOUND sockets) draw from a global pool;
 *               IP_BIND_ADDRESS_NO_PORT fixes it;
 *   POOLING     connection churn toward the destination that pooling or
 *               keep-alive would remove;
 *   TW_OVERFLOW TCPTimeWaitOverflow grew: tcp_max_tw_buckets is reached;
 *   OK          nothing urgent (the other per-destination rules are then
 *               left out).
 */

enum advice_kind {
	ADVICE_SUMMARY,
	ADVICE_CLOSER,
	ADVICE_TW_REUSE,
	ADVICE_RANGE,
	ADVICE_FIN_TIMEOUT,
	ADVICE_BIND,
	ADVICE_POOLING,
	ADVICE_TW_OVERFLOW,
	ADVICE_OK,
};

/* Headroom (percent) at or above which, with no forecast, a destination
 * is not urgent. */
#define ADVICE_CALM_PCT 50.0

#define ADVICE_MAX 12
#define ADVICE_TEXT_LEN 512

struct advice_line {
	enum advice_kind kind;
	char text[ADVICE_TEXT_LEN];   /* one paragraph, no newline; plain
					 ASCII built from numbers and
					 addresses (no system strings but
					 the sanitised process name) */
};

struct advice {
	size_t dest;                  /* index into snap->dests explained,
					 or ADVICE_NO_DEST */
	size_t n;
	struct advice_line lines[ADVICE_MAX];
};

#define ADVICE_NO_DEST ((size_t)-1)

/*
 * The destination advice explains by default: the one with the soonest
 * forecast, else the one with the fewest ports available (dests[0]).
 * ADVICE_NO_DEST when the snapshot has none.
 */
size_t advice_worst_dest(const struct snapshot *snap);

/*
 * Explain destination `dest` (an index into snap->dests; ADVICE_NO_DEST
 * or out of range: the default above) into *out. Host-wide lines
 * (TW_OVERFLOW) come even without destinations. Returns the number of
 * lines (>= 0), or -EINVAL for NULL arguments.
 */
int advice_build(const struct snapshot *snap, size_t dest, struct advice *out);

/* Append the lines as "  - text\n" paragraphs (for text reports).
 * Returns 0 or -ENOMEM. */
int advice_format(struct strbuf *sb, const struct advice *a);

/* Short name of a kind ("summary", "tw_reuse"...), for JSON and tests. */
const char *advice_kind_name(enum advice_kind kind);

#endif
