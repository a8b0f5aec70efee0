#ifndef PORTTOP_MODEL_H
#define PORTTOP_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "sampler.h"
#include "sock.h"
#include "sysctl.h"

/*
 * model: turns samples into snapshots of ephemeral-port occupancy, by the
 * kernel's own rules (docs/model.md):
 *
 * usable    the ports automatic selection can hand out: the range
 *           ip_local_port_range less ip_local_reserved_ports, less one
 *           when the range has an odd number of ports (each TCP scan looks
 *           at an even count, leaving out one end of the range, which end
 *           depending on its random start: the last free port is then not
 *           always found). usable_map marks every non-reserved port.
 * owned     usable ports whose bind bucket is bind()-owned: a TCP socket
 *           that is LISTEN or BOUND, or any other whose sock_rec.bind is
 *           SOCK_BIND_OWNED (any local address, either family): connect()
 *           skips them for every destination.
 * dest      (proto, saddr, daddr, dport) of TCP sockets whose local port is
 *           in the range and which are not children of a listener.
 *           in_use    distinct local ports in the range used toward it, any
 *                     state (TIME_WAIT included);
 *           reusable  of those, TIME_WAIT entries connect() could reuse now
 *                     (tcp_tw_reuse 1, or 2 with a loopback address;
 *                     tcp_timestamps on; older than tcp_tw_reuse_delay;
 *                     their bucket not bind()-owned);
 *           available usable ports neither owned nor in use toward it,
 *                     plus reusable: the number of further connect()
 *                     calls that succeed. With sockets of unknown bind
 *                     state (no BPF reader) it is the estimate that
 *                     counts them as connect()-made, and available_min
 *                     the sure figure that counts them as owned;
 *           headroom  available / usable, in percent.
 * pool      per (proto, local address): what bind(addr, 0) (TCP) or a new
 *           UDP socket on addr can still get: usable ports not held by a
 *           socket of that protocol whose local address overlaps addr
 *           (equal, or either side a wildcard; across families see
 *           docs/model.md).
 *
 * Ownership: the model owns its snapshot and the sockets behind it. A
 * snapshot pointer stays valid until the next model_update() or
 * model_free().
 */

/* eta_s value meaning "no forecast" (null in JSON). */
#define SNAP_NO_ETA (-1.0)
/* Where the rates of a snapshot come from (snapshot.rates_source). */
enum snap_rates_source {
	SNAP_RATES_NONE = 0,              /* first sample: no interval yet */
	SNAP_RATES_EXACT = 1,             /* destroy events, all received */
	SNAP_RATES_ESTIMATED = 2,         /* new TIME_WAIT entries instead:
					     no event source, or events lost */
};

/* sock_dest value for a socket that belongs to no destination. */
#define SNAP_NO_DEST UINT32_MAX

struct snap_dest {
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t dport;
	uint8_t family;
	uint8_t proto;
	uint32_t states[SOCK_STATE_MAX];  /* by enum sock_state; NEW_SYN_RECV
					      is counted as SYN_RECV */
	uint32_t sockets;
	uint32_t in_use;
	uint32_t reusable;                /* part of available: TIME_WAIT
					     entries connect() takes over now */
	uint32_t available;               /* the estimate (exact when exact) */
	uint32_t available_min;           /* sure lower bound: every socket of
					     unknown bind state (sock_rec.bind)
					     counted as bind()-owned */
	int exact;                        /* available_min == available */
	double headroom_pct;
	double close_rate;                /* closes/s (0 until rates exist) */
	double eta_s;                     /* SNAP_NO_ETA when none */
	/* >>> rates (engine/rates.h): 0 until rates exist */
	double close_rate_last;           /* closes/s over the last interval */
	double tw_rate;                   /* new TIME_WAIT entries/s (EWMA) */
	double new_rate;                  /* new connections/s (EWMA) */
	uint32_t closes;                  /* closes in the last interval */
	/* <<< rates */
};

struct snap_pool {
	uint8_t saddr[16];
	uint8_t family;
	uint8_t proto;
	uint32_t in_use;
	uint32_t available;
};

/*
 * One owner of sockets (engine/attrib.h): a process, or, with pid 0, the
 * sockets known only by their uid (their process could not be read: see
 * the snapshot's warnings) grouped by uid and cgroup. Every string is
 * sanitised.
 */
struct snap_proc {
	int pid;                          /* 0: uid-only row */
	uint32_t uid;
	char comm[64];                    /* sanitised */
	uint32_t sockets;                 /* live sockets it holds */
	uint32_t time_wait;               /* TIME_WAIT entries attributed to it */
	uint32_t destinations;            /* distinct destinations of all its
					     sockets, TIME_WAIT included */
	/* >>> procs */
	uint32_t closing;                 /* sockets it closed that are not gone
					     yet, other than TIME_WAIT (orphaned
					     FIN_WAIT1/2, CLOSING, LAST_ACK) */
	uint64_t start_time;              /* with pid: the process identity */
	uint64_t cgroup_id;               /* uid-only rows: the sockets' cgroup */
	char user[SAMPLE_USER_LEN];       /* user name, or the uid */
	char unit[SAMPLE_UNIT_LEN];       /* "docker:<id>", "pod:<uid>",
					     "unit:<name>.service", or "" */
	char cgroup[SAMPLE_CGROUP_LEN];   /* cgroup v2 path, or "" */
	char cmdline[SAMPLE_CMDLINE_LEN]; /* "" for uid-only rows */
	/* <<< procs */
};

/* >>> procs */
/* sock_proc value for a socket attributed to no row. */
#define SNAP_NO_PROC UINT32_MAX
/* Most pids model_set_pid_filter() takes. */
#define MODEL_MAX_PIDS 64
/* <<< procs */

#define SNAP_MAX_WARNINGS 8
#define SNAP_WARNING_LEN 200

struct snapshot {
	double time;                      /* wall clock of the sample */
	char netns[40];
	struct sysctl_vals sys;

	unsigned range_low, range_high;
	uint32_t reserved;                /* reserved ports inside the range */
	uint32_t usable;

	uint32_t tcp_states[SOCK_STATE_MAX];  /* all TCP sockets by state */
	uint32_t tcp_sockets;
	uint32_t udp_sockets;
	uint32_t udp_ports_in_range;      /* distinct UDP ports in the range */
	uint32_t ports_in_use;            /* distinct TCP ports in the range */
	uint32_t owned_ports;             /* |owned| */
	/* What connect() toward a destination with no socket yet gets: the
	 * usable ports not owned (estimate) and its sure lower bound. */
	uint32_t available_new_destination;
	uint32_t available_new_destination_min;
	/* Bind states of the sample (enum sock_bind_src), how many TCP
	 * sockets in the range have an unknown one, and, when nothing is
	 * exact, why not and how to get the exact figures. */
	int bind_src;
	uint32_t bind_unknown;
	int exact;                        /* every destination exact */
	char inexact_why[160];

	struct snap_dest *dests;          /* sorted: available ascending */
	size_t ndests;
	struct snap_pool *pools;          /* TCP first, then UDP; by address */
	size_t npools;
	struct snap_proc *procs;          /* most sockets + TIME_WAIT first */
	size_t nprocs;
	uint32_t unattributed_time_wait;  /* TIME_WAIT entries of no known
					     owner (never guessed) */
	/* >>> procs */
	uint32_t unattributed_sockets;    /* all sockets of no known owner,
					     TIME_WAIT included */
	int attribution;                  /* 1 when the sample carried owners */
	size_t npid_filter;               /* -p: counts cover only the sockets
					     of these pids (0: all sockets) */
	int pid_filter[MODEL_MAX_PIDS];
	/* <<< procs */

	char warnings[SNAP_MAX_WARNINGS][SNAP_WARNING_LEN];
	size_t nwarnings;

	/* >>> rates (engine/rates.h): over the interval since the previous
	 * sample; rates_source is SNAP_RATES_NONE on the first sample. */
	int rates_source;                 /* enum snap_rates_source */
	int rates_estimated;              /* the rates shown rest, wholly or
					     in part (the last tau seconds),
					     on TIME_WAIT estimates */
	int events_lost;                  /* destroy events were lost (overrun)
					     in the last interval */
	double rates_interval_s;          /* length of the last interval */
	uint64_t close_events;            /* destroy events counted in it */
	double active_opens_rate;         /* Tcp ActiveOpens/s, NAN unknown */
	int64_t tw_recycled;              /* TcpExt TWRecycled delta over the
					     interval, -1 unknown */
	int64_t tw_overflow;              /* TcpExt TCPTimeWaitOverflow delta,
					     -1 unknown */
	/* <<< rates */

	/* Drill-down: the sockets behind every number. */
	const struct sock_rec *socks;
	size_t nsocks;
	const uint32_t *sock_dest;        /* per socket: index into dests or
					      SNAP_NO_DEST */
	const uint8_t *usable_map;        /* bitmap over ports 0..65535 */
	const uint8_t *owned_map;         /* bitmap over ports 0..65535 */
	const uint32_t *sock_proc;        /* procs: per socket, index into
					      procs or SNAP_NO_PROC */
	/* Indexes for the views (engine/sockindex.h), so that a refresh
	 * needs no sort or scan of every socket; NULL when memory ran out.
	 * sock_order  every socket, by local address (family, address,
	 *             port), ties in dump order;
	 * dest_socks  the sockets of dests[d] are dest_socks[dest_first[d]]
	 *             up to dest_socks[dest_first[d + 1] - 1], in sock_order's
	 *             order (so by local port: a destination has one local
	 *             address); dest_first has ndests + 1 entries;
	 * proc_socks  the same per procs row (NULL when nprocs is 0);
	 * port_class  per port 0..65535, enum snap_port_class: the highest
	 *             class the port's state and sockets give it (never
	 *             NULL in a snapshot from model_update()). */
	const uint32_t *sock_order;
	const uint32_t *dest_first, *dest_socks;
	const uint32_t *proc_first, *proc_socks;
	const uint8_t *port_class;
	/* >>> nat: conntrack fill, stats, rates and NAT destinations of the
	 * namespace (engine/conntrack.h); ct.nat stays valid like dests */
	struct ct_snap ct;
	/* <<< nat */
};

/*
 * What holds a local port, by precedence (a higher class wins): free, a
 * TIME_WAIT entry, another socket (UDP, closing states), an ESTABLISHED
 * socket, owned (LISTEN or BOUND: no destination gets it), reserved (not
 * usable: ip_local_reserved_ports, or outside the range).
 */
enum snap_port_class {
	SNAP_PORT_FREE = 0,
	SNAP_PORT_TIME_WAIT,
	SNAP_PORT_OTHER,
	SNAP_PORT_ESTABLISHED,
	SNAP_PORT_OWNED,
	SNAP_PORT_RESERVED,
	SNAP_PORT_CLASSES
};

/* The class a socket gives its local port. */
static inline uint8_t snap_sock_port_class(const struct sock_rec *r)
{
	if (r->proto != IPPROTO_TCP)
		return SNAP_PORT_OTHER;
	if (r->bind == SOCK_BIND_OWNED)
		return SNAP_PORT_OWNED;
	switch (r->state) {
	case SOCK_ESTABLISHED:
		return SNAP_PORT_ESTABLISHED;
	case SOCK_TIME_WAIT:
		return SNAP_PORT_TIME_WAIT;
	case SOCK_LISTEN:
	case SOCK_BOUND:
		return SNAP_PORT_OWNED;
	default:
		return SNAP_PORT_OTHER;
	}
}

static inline int snap_bit(const uint8_t *map, unsigned port)
{
	return port < 65536 && (map[port >> 3] >> (port & 7)) & 1;
}

struct model;

/* Returns 0 or -ENOMEM. */
int model_new(struct model **out);
void model_free(struct model *m);

/*
 * Feed one sample. The model takes the sample's sockets (s->socks is left
 * empty and reusable) and rebuilds the snapshot. Returns 0 or -ENOMEM (the
 * previous snapshot is then kept).
 */
int model_update(struct model *m, struct sample *s);

/* >>> procs */
/*
 * Process attribution: the model keeps the history of socket owners
 * (engine/attrib.h) across updates, so TIME_WAIT entries are attributed
 * from what earlier samples said; samples without owners leave every
 * socket unattributed (history lookups still apply).
 *
 * model_set_pid_filter(): from the next update on, every number of the
 * snapshot (totals, destinations, pools, processes) counts only the
 * sockets of these pids: those they hold, and the TIME_WAIT and closing
 * entries attributed to them. n == 0 removes the filter. Returns 0, or
 * -EINVAL when n > MODEL_MAX_PIDS or a pid is not positive.
 */
int model_set_pid_filter(struct model *m, const int *pids, size_t n);
/* <<< procs */

/* The latest snapshot, or NULL before the first successful update. */
const struct snapshot *model_snapshot(const struct model *m);

/* Add a warning line to a snapshot under construction (truncated, and
 * dropped past SNAP_MAX_WARNINGS). */
void snapshot_warn(struct snapshot *snap, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
