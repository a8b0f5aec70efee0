#ifndef PORTTOP_OUT_TEXT_H
#define PORTTOP_OUT_TEXT_H

#include "model.h"
#include "strbuf.h"

/*
 * out_text: the readable batch report (`porttop -b`), like `top -b`: a
 * header (time, netns, range, sysctls, totals by state, owned ports, worst
 * destination), then the destinations table, most at risk first, then the
 * pools, then the processes (OUT_TEXT_MAX_PROCS at most). Every system
 * string passes through sanitize_text().
 */

/* Most destinations listed; the rest are summarised in one line. */
#define OUT_TEXT_MAX_DESTS 20
/* Most processes listed (most sockets + TIME_WAIT first). */
#define OUT_TEXT_MAX_PROCS 10

/* Append the report, ending with a blank line. Returns 0, -ENOMEM, or
 * -EINVAL when sb or snap is NULL. */
int out_text_snapshot(struct strbuf *sb, const struct snapshot *snap);

/* >>> nat */
struct netns_list;
/*
 * --all-netns: a table of the namespaces of l (engine/netns.h) at `time`:
 * id (* marks porttop's own), name (its /run/netns name, else hostname,
 * container or pod, else command), processes, sockets, TIME_WAIT, range,
 * the worst destination with its available ports and headroom, the
 * conntrack fill, the NAT destination most at risk (available of the NAT
 * range); the reason instead when one could not be sampled.
 * Ends with a blank line. Returns 0, -ENOMEM, or -EINVAL on NULL.
 */
int out_text_namespaces(struct strbuf *sb, const struct netns_list *l,
			double time);
/* <<< nat */

#endif
