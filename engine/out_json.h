#ifndef PORTTOP_OUT_JSON_H
#define PORTTOP_OUT_JSON_H

#include <stddef.h>

#include "model.h"
#include "strbuf.h"

/*
 * out_json: the JSON snapshot contract of design.md, one object per line.
 * Keys are never renamed; new ones may be added.
 */

/*
 * Append the snapshot as one JSON object followed by '\n'.
 * Returns 0, -ENOMEM, or -EINVAL when sb or snap is NULL.
 */
int out_json_snapshot(struct strbuf *sb, const struct snapshot *snap);

/*
 * Append s (len bytes, any content) as a JSON string literal with quotes:
 * ", \ and control characters escaped, invalid UTF-8 replaced by U+FFFD.
 */
void out_json_string(struct strbuf *sb, const char *s, size_t len);

/* >>> nat */
struct netns_list;
/*
 * --all-netns: append one JSON object (and '\n') listing the namespaces
 * of l (engine/netns.h) at wall-clock `time`:
 * {"time": ..., "namespaces": [{"netns": "net:[...]", "inode": N,
 *   "current": bool, "name": str|null, "processes": N, "pids": [...],
 *   "comm": str, "unit": str, "hostname": str, "error": str|null,
 *   "range": {"low", "high", "usable"}|null, "tcp_sockets",
 *   "udp_sockets", "time_wait", "destinations", "worst": {"proto",
 *   "saddr", "daddr", "dport", "in_use", "available",
 *   "headroom_pct"}|null, "conntrack": {"count", "max"},
 *   "nat_worst": a nat_destinations entry (the one most at risk)|null},
 *   ...],
 *  "processes": N, "denied": N, "truncated": bool}
 * Returns 0, -ENOMEM, or -EINVAL when sb or l is NULL.
 */
int out_json_namespaces(struct strbuf *sb, const struct netns_list *l,
			double time);
/* <<< nat */

#endif
