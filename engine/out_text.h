#ifndef PORTTOP_OUT_TEXT_H
#define PORTTOP_OUT_TEXT_H

#include "model.h"
#include "strbuf.h"

/*
 * out_text: the readable batch report (`porttop -b`), like `top -b`: a
 * header (time, netns, range, sysctls, totals by state, owned ports, worst
 * destination), then the destinations table, most at risk first, then the
 * pools. Every system string passes through sanitize_text().
 */

/* Most destinations listed; the rest are summarised in one line. */
#define OUT_TEXT_MAX_DESTS 20

/* Append the report, ending with a blank line. Returns 0, -ENOMEM, or
 * -EINVAL when sb or snap is NULL. */
int out_text_snapshot(struct strbuf *sb, const struct snapshot *snap);

#endif
