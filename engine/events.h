#ifndef PORTTOP_EVENTS_H
#define PORTTOP_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "nlio.h"

/*
 * events: exact close counts per destination from sock_diag destroy
 * events (linux-ports.md section 6). A NETLINK_SOCK_DIAG socket joined to
 * the TCP and UDP destroy groups, IPv4 and IPv6, gets one
 * SOCK_DIAG_BY_FAMILY message (an inet_diag_msg plus INET_DIAG_PROTOCOL)
 * each time a full socket is freed: for a connection this side closes
 * first, when it enters TIME_WAIT. No privilege is needed. This counts
 * every close, also of connections that opened and closed between two
 * samples, which no dump can see.
 *
 * The socket is non-blocking: the owner drains it from its event loop
 * (events_fd() for poll) so the kernel's queue does not overrun at high
 * close rates. When it does overrun anyway (recv fails with ENOBUFS),
 * events were lost: the interval is flagged, never silently undercounted.
 *
 * Messages are parsed with diag_parse_msg() (the same hostile-input
 * checks as dumps); a malformed message is counted and skipped.
 */

/* A destination as the model keys it: addresses normalised like sock_rec
 * (IPv4 in the first 4 bytes, the rest zero). */
struct ev_key {
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t dport;
	uint8_t family;
	uint8_t proto;
};

struct ev_count {
	struct ev_key key;
	uint32_t closes;
};

/* Flags of an interval (ev_counts.flags). */
enum ev_flags {
	EV_OVERRUN = 1 << 0,      /* ENOBUFS: the kernel dropped events */
	EV_TRUNCATED = 1 << 1,    /* more than EVENTS_MAX_KEYS destinations,
				     or a datagram cut short: some closes
				     are missing from the counts */
};

/*
 * The closes of one interval, per destination (in no particular order).
 * The struct owns `v`; embed it with ev_counts_init()/_release().
 */
struct ev_counts {
	struct ev_count *v;
	size_t len;
	size_t cap;
	uint64_t events;          /* destroy messages read (all protocols and
				     ports, before filtering) */
	uint64_t counted;         /* of those, closes counted in v */
	uint64_t malformed;       /* messages skipped as malformed */
	unsigned flags;           /* enum ev_flags */
};

void ev_counts_init(struct ev_counts *c);
void ev_counts_release(struct ev_counts *c);
/* Forget the counts, keep the memory. */
void ev_counts_clear(struct ev_counts *c);
/*
 * Append a count for k (replay and tests build samples with it). Keys are
 * not merged: a key appended twice counts twice. Returns 0 or -ENOMEM.
 */
int ev_counts_add(struct ev_counts *c, const struct ev_key *k, uint32_t closes);
/* Closes counted toward k (all its entries), 0 if none. Linear: for
 * tests and small sets. */
uint32_t ev_counts_find(const struct ev_counts *c, const struct ev_key *k);

/* Most destinations counted per interval; more sets EV_TRUNCATED. */
#define EVENTS_MAX_KEYS 65536
/* Most datagrams read by one events_drain() call, so a flood cannot keep
 * the caller from its other work; the rest waits for the next call. */
#define EVENTS_DRAIN_MAX 4096
/* Receive buffer asked for by default (SO_RCVBUFFORCE when allowed,
 * else SO_RCVBUF, which the kernel caps at net.core.rmem_max). */
#define EVENTS_RCVBUF_DEFAULT (8 * 1024 * 1024)

/* Multicast groups of the destroy events, as a bind() bitmask:
 * SKNLGRP_INET_TCP_DESTROY .. SKNLGRP_INET6_UDP_DESTROY (groups 1..4). */
#define EVENTS_GROUPS 0xfu

struct events;

/*
 * Open a real destroy-event socket in the caller's network namespace,
 * non-blocking, with a receive buffer of rcvbuf bytes (0: the default
 * above; a small value is for tests that force an overrun).
 * Returns 0 or a negative errno (*out is then NULL).
 */
int events_open(struct events **out, int rcvbuf);

/*
 * Count events from any transport (tests use a canned nlio). io is taken
 * over (closed by events_free(), also on failure). Returns 0 or -ENOMEM.
 */
int events_new(struct events **out, struct nlio *io);

void events_free(struct events *ev);

/* The socket to poll for POLLIN, or -1 (canned transport). */
int events_fd(const struct events *ev);

/*
 * Closes on a local port whose bit is set in skip (a 65536-bit map, copied)
 * are not counted: ports outside the ephemeral range and listening ports
 * (their children are server-side sockets, not destinations). NULL counts
 * every port. The sampler sets it after each dump.
 */
void events_set_skip(struct events *ev, const uint8_t *skip);

/*
 * Read what is queued, up to EVENTS_DRAIN_MAX datagrams, without blocking.
 * Returns the number of datagrams read (>= 0), or a negative errno when
 * the socket failed in another way than "nothing more" or an overrun
 * (ENOBUFS sets EV_OVERRUN and reading goes on).
 */
int events_drain(struct events *ev);

/*
 * Move the counts gathered since the previous take into *out (its old
 * contents are dropped, its memory reused) and start a new interval.
 */
void events_take(struct events *ev, struct ev_counts *out);

/*
 * Parse one received datagram of len bytes into the current counts (what
 * events_drain() does with each datagram; exposed for tests and fuzzing).
 * Messages that are not SOCK_DIAG_BY_FAMILY (NLMSG_NOOP, errors) are
 * ignored; truncated or malformed ones are counted as malformed.
 */
void events_parse(struct events *ev, const void *buf, size_t len);

#endif
