#ifndef PORTTOP_OUT_OPENMETRICS_H
#define PORTTOP_OUT_OPENMETRICS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "strbuf.h"

/*
 * out_openmetrics: a snapshot in the Prometheus text exposition format
 * (`porttop -b -o openmetrics`), every family with # HELP and # TYPE,
 * checked by `promtool check metrics`. docs/openmetrics.md lists the
 * metrics and shows the node_exporter textfile-collector recipe.
 *
 * Label cardinality is bounded: the `top` destinations most at risk get
 * their own series (labels proto, saddr, daddr, dport); the rest are
 * summed up in the porttop_other_destinations_* families. Pools are
 * bounded by the model (one per local address, at most a few hundred).
 */

/* Destinations listed one by one unless told otherwise (--top). */
#define OUT_OM_TOP_DEFAULT 10
#define OUT_OM_TOP_MAX 10000

/* What the run knows beyond the snapshot. */
struct om_run {
	const char *source;        /* "live", "replay" or "import" */
	uint64_t samples;          /* samples taken by this run, this one too */
	uint64_t sample_errors;    /* samples that failed in this run */
	size_t top;                /* destinations with their own series */
};

/*
 * Append the exposition for snap. Returns 0, -ENOMEM, or -EINVAL when sb,
 * snap or run is NULL.
 */
int out_openmetrics_snapshot(struct strbuf *sb, const struct snapshot *snap,
			     const struct om_run *run);

/* >>> nat */
struct netns_list;
/*
 * --all-netns: the namespaces of l (engine/netns.h) as porttop_netns_*
 * families, one series per namespace and family (label netns, the
 * "net:[INODE]" id; porttop_netns_info adds name, comm, unit, hostname).
 * Bounded by NETNS_MAX namespaces. Returns 0, -ENOMEM, or -EINVAL when
 * sb or l is NULL.
 */
int out_openmetrics_namespaces(struct strbuf *sb, const struct netns_list *l,
			       double time);
/* <<< nat */

/* Append s as a label value: \ " and newline escaped. */
void out_openmetrics_label(struct strbuf *sb, const char *s);

#endif
