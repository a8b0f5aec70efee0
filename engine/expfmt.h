#ifndef PORTTOP_EXPFMT_H
#define PORTTOP_EXPFMT_H

#include <stddef.h>

#include "strbuf.h"

/*
 * expfmt: the two exposition formats of the metrics.
 *
 * engine/out_openmetrics.c prints the Prometheus text format (version
 * 0.0.4, what node_exporter's textfile collector and a Prometheus scrape
 * of "text/plain; version=0.0.4" read): `-o prometheus`, --textfile.
 *
 * `-o openmetrics` is OpenMetrics 1.0 ("application/openmetrics-text;
 * version=1.0.0"), made from it by expfmt_openmetrics(). The differences
 * porttop's output meets:
 *  - a counter family is named without the _total its sample carries
 *    (`# TYPE porttop_samples counter`, then `porttop_samples_total 3`);
 *  - a double quote in # HELP text is escaped (\");
 *  - the exposition ends with the line "# EOF".
 * Everything else (names, labels and their escaping, +Inf/-Inf/NaN,
 * families announced once, no timestamps) is common to both.
 */

/*
 * Append to dst the OpenMetrics form of one exposition, len bytes of
 * text in the Prometheus text format as porttop prints it (whole lines,
 * every family's # HELP line just before its # TYPE line). The input is
 * porttop's own output, not a general parser's. Returns 0, -ENOMEM, or
 * -EINVAL when dst or text is NULL.
 */
int expfmt_openmetrics(struct strbuf *dst, const char *text, size_t len);

#endif
