#ifndef PORTTOP_MODEL_H
#define PORTTOP_MODEL_H

#include <stddef.h>
#include <stdint.h>

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
 * owned     usable ports held by a TCP socket that is LISTEN or BOUND (any
 *           local address, either family): connect() skips them for every
 *           destination.
 * dest      (proto, saddr, daddr, dport) of TCP sockets whose local port is
 *           in the range and which are not children of a listener.
 *           in_use    distinct local ports in the range used toward it, any
 *                     state (TIME_WAIT included);
 *           reusable  of those, TIME_WAIT entries connect() could reuse now
 *                     (tcp_tw_reuse 1, or 2 with a loopback address;
 *                     tcp_timestamps on; older than tcp_tw_reuse_delay);
 *           available usable ports neither owned nor in use toward it: the
 *                     number of further connect() calls sure to succeed;
 *           headroom  available / usable, in percent.
 * pool      per (proto, local address): what bind(addr, 0) (TCP) or a new
 *           UDP socket on addr can still get: usable ports not held by a
 *           socket of that protocol whose local address overlaps addr
 *           (equal, or either side a wildcard).
 *
 * Ownership: the model owns its snapshot and the sockets behind it. A
 * snapshot pointer stays valid until the next model_update() or
 * model_free().
 */

/* eta_s value meaning "no forecast" (null in JSON). */
#define SNAP_NO_ETA (-1.0)
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
	uint32_t reusable;
	uint32_t available;
	double headroom_pct;
	double close_rate;                /* closes/s (0 until rates exist) */
	double eta_s;                     /* SNAP_NO_ETA when none */
};

struct snap_pool {
	uint8_t saddr[16];
	uint8_t family;
	uint8_t proto;
	uint32_t in_use;
	uint32_t available;
};

struct snap_proc {
	int pid;
	uint32_t uid;
	char comm[64];                    /* sanitised */
	uint32_t sockets;
	uint32_t time_wait;
	uint32_t destinations;
};

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

	struct snap_dest *dests;          /* sorted: available ascending */
	size_t ndests;
	struct snap_pool *pools;          /* TCP first, then UDP; by address */
	size_t npools;
	struct snap_proc *procs;
	size_t nprocs;
	uint32_t unattributed_time_wait;

	char warnings[SNAP_MAX_WARNINGS][SNAP_WARNING_LEN];
	size_t nwarnings;

	/* Drill-down: the sockets behind every number. */
	const struct sock_rec *socks;
	size_t nsocks;
	const uint32_t *sock_dest;        /* per socket: index into dests or
					      SNAP_NO_DEST */
	const uint8_t *usable_map;        /* bitmap over ports 0..65535 */
	const uint8_t *owned_map;         /* bitmap over ports 0..65535 */
};

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

/* The latest snapshot, or NULL before the first successful update. */
const struct snapshot *model_snapshot(const struct model *m);

/* Add a warning line to a snapshot under construction (truncated, and
 * dropped past SNAP_MAX_WARNINGS). */
void snapshot_warn(struct snapshot *snap, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
