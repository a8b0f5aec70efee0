#ifndef PORTTOP_CONNTRACK_H
#define PORTTOP_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "nlio.h"

/*
 * conntrack: netfilter connection tracking, where NAT runs out of ports
 * without telling anyone (linux-ports.md section 8).
 *
 * SNAT and MASQUERADE pick a source port so that the reply tuple (proto,
 * NAT address, NAT port, destination address, destination port) is unique
 * in the conntrack table. When every port of the NAT range is taken toward
 * one destination the packet is dropped at confirmation: the kernel counts
 * insert_failed and drop, and the client sees a timeout, not an errno.
 *
 * Three sources, from cheap to privileged:
 *  - fill: <procroot>/sys/net/netfilter/nf_conntrack_count and _max
 *    (world-readable, only present while nf_conntrack is loaded);
 *  - stats: <procroot>/net/stat/nf_conntrack, one line of hex counters per
 *    possible CPU under a header naming the columns (which vary between
 *    kernels: columns are found by name); summed over the CPUs here;
 *  - the table itself over NETLINK_NETFILTER (ctnetlink, IPCTNL_MSG_CT_GET
 *    with NLM_F_DUMP), which needs CAP_NET_ADMIN in the namespace.
 * Every one of them is per network namespace (nf_conntrack_max excepted,
 * which is global): read them inside the namespace sampled.
 *
 * NAT destinations: every TCP and UDP entry whose reply tuple goes to an
 * address that source NAT hands out (the reply's destination address of
 * at least one entry with IPS_SRC_NAT) holds one NAT port toward the
 * reply's source (address, port). Per (proto, NAT address, destination
 * address, destination port): in_use = distinct reply destination ports
 * inside the NAT range, available = range size - in_use. Entries that
 * were not NAT'ed but use the NAT address (the router's own connections)
 * hold tuples in the same space and are counted too. The NAT range is
 * not read from the rules: it is 1024-65535 (the kernel's default for
 * sources above 1023) unless the caller gives one (--nat-range).
 *
 * Every byte from the kernel is hostile: lengths and attribute types are
 * checked before use, a malformed message is counted and skipped.
 */

/* The kernel's default SNAT range for a source port above 1023. */
#define CT_NAT_LOW_DEFAULT 1024
#define CT_NAT_HIGH_DEFAULT 65535
/* nf_conntrack_tcp_timeout_time_wait (seconds) by default. */
#define CT_TIME_WAIT_S 120
/* Longest stat file read (a line per possible CPU, ~150 bytes each). */
#define CT_STAT_MAX (2 * 1024 * 1024)
/* Most entries kept from one dump; more sets CT_TRUNCATED. */
#define CT_MAX_ENTRIES (2u * 1024 * 1024)
/* Most NAT destinations reported. */
#define CT_MAX_NAT_DESTS 65536

/* Columns of /proc/net/stat/nf_conntrack (ct_stats.known bits). */
enum ct_stat_col {
	CT_S_FOUND,
	CT_S_INVALID,
	CT_S_INSERT,
	CT_S_INSERT_FAILED,
	CT_S_DROP,
	CT_S_EARLY_DROP,
	CT_S_ICMP_ERROR,
	CT_S_CLASH_RESOLVE,       /* "clashres" (Linux 5.9+) */
	CT_S_SEARCH_RESTART,
	CT_S_CHAIN_TOOLONG,       /* "chainlength" (Linux 5.15+) */
	CT_S_MAX
};

/* The counters of every CPU summed; `known` has bit 1 << enum ct_stat_col
 * set for each column the header named. Unknown columns stay 0. */
struct ct_stats {
	uint64_t v[CT_S_MAX];
	uint64_t entries;         /* the "entries" column (a global count) */
	uint32_t cpus;            /* CPU lines summed */
	unsigned known;
};

/* Stable names of the columns, for outputs: "insert_failed", ... */
const char *ct_stat_name(unsigned col);

/*
 * Parse the text of /proc/net/stat/nf_conntrack (len bytes, need not be
 * NUL-terminated). The first line names the columns; each further line is
 * one CPU, one hex number (at most 16 digits) per column. Columns porttop
 * does not know are skipped; sums saturate. Returns 0, or -EINVAL when
 * the header names no known column or a CPU line is malformed (out is then
 * zeroed).
 */
int ct_parse_stat(const char *text, size_t len, struct ct_stats *out);

/* Conntrack TCP states (enum tcp_conntrack of the kernel). */
enum ct_tcp_state {
	CT_TCP_NONE = 0,
	CT_TCP_SYN_SENT = 1,
	CT_TCP_SYN_RECV = 2,
	CT_TCP_ESTABLISHED = 3,
	CT_TCP_FIN_WAIT = 4,
	CT_TCP_CLOSE_WAIT = 5,
	CT_TCP_LAST_ACK = 6,
	CT_TCP_TIME_WAIT = 7,
	CT_TCP_CLOSE = 8,
	CT_TCP_SYN_SENT2 = 9,
	CT_TCP_UNKNOWN = 0xff,    /* no protoinfo in the message */
};

/* IPS_SRC_NAT / IPS_DST_NAT of ct status (linux/netfilter/nf_conntrack_common.h). */
#define CT_STATUS_SRC_NAT (1u << 4)
#define CT_STATUS_DST_NAT (1u << 5)

struct ct_tuple {
	uint8_t src[16];          /* IPv4 in the first 4 bytes, rest zero */
	uint8_t dst[16];
	uint16_t sport;           /* host order; 0 for protocols without */
	uint16_t dport;
	uint8_t proto;            /* IPPROTO_* */
};

/* One conntrack entry as porttop reads it. */
struct ct_entry {
	uint8_t family;           /* AF_INET or AF_INET6 */
	uint8_t tcp_state;        /* enum ct_tcp_state */
	uint16_t zone;
	uint32_t status;          /* CTA_STATUS bits */
	struct ct_tuple orig;
	struct ct_tuple reply;
};

/*
 * Parse one ctnetlink message (IPCTNL_MSG_CT_NEW, as dumps send them; its
 * nlmsghdr included, nlmsg_len already checked to be <= the bytes
 * available). Returns 0, or -EINVAL when it is malformed or lacks an
 * original or reply tuple with addresses (out undefined).
 */
struct nlmsghdr;
int ct_parse_msg(const struct nlmsghdr *nlh, struct ct_entry *out);

/* One NAT destination (see the top of this file). */
struct ct_nat_dest {
	uint8_t nat_addr[16];     /* the address source NAT hands out */
	uint8_t daddr[16];        /* where the NAT'ed connections go */
	uint16_t dport;
	uint8_t family;
	uint8_t proto;            /* IPPROTO_TCP or IPPROTO_UDP */
	uint32_t entries;         /* entries holding a tuple toward it */
	uint32_t nat_entries;     /* of those, source-NAT'ed */
	uint32_t in_use;          /* distinct NAT ports inside the range */
	uint32_t established;     /* TCP ESTABLISHED entries */
	uint32_t time_wait;       /* TCP TIME_WAIT entries (held 120 s) */
	uint32_t other;           /* every other entry (TCP states, UDP) */
	uint32_t available;       /* range size - in_use */
	double headroom_pct;      /* available / range size, in percent */
};

/* What a sample knows of conntrack (ct_sample.have bits). */
enum ct_have {
	CT_HAVE_FILL = 1 << 0,    /* count read (max too, when readable) */
	CT_HAVE_STATS = 1 << 1,   /* per-CPU stats read */
	CT_HAVE_DUMP = 1 << 2,    /* the table was dumped: nat is complete */
};

/* ct_sample.flags */
enum ct_flags {
	CT_TRUNCATED = 1 << 0,    /* past CT_MAX_ENTRIES or CT_MAX_NAT_DESTS:
				     some entries were not counted */
};

/*
 * Conntrack in one sample. Owns `nat`; embed with ct_sample_init() and
 * ct_sample_release().
 */
struct ct_sample {
	unsigned have;            /* enum ct_have */
	int64_t count;            /* nf_conntrack_count, -1 unknown */
	int64_t max;              /* nf_conntrack_max, -1 unknown */
	struct ct_stats stats;
	int dump_err;             /* why there is no dump: 0 (not asked),
				     -EPERM (no CAP_NET_ADMIN), other errno */
	unsigned nat_low, nat_high;   /* the range counted against */
	int nat_range_given;      /* set by the user, not the default */
	uint64_t entries;         /* entries in the dump */
	uint64_t malformed;       /* messages skipped */
	unsigned flags;           /* enum ct_flags */
	struct ct_nat_dest *nat;  /* sorted: available ascending */
	size_t nnat, nat_cap;
};

void ct_sample_init(struct ct_sample *s);
void ct_sample_release(struct ct_sample *s);
/* Forget what was read, keep the memory (nat_low/high are kept). */
void ct_sample_clear(struct ct_sample *s);

/*
 * Read the fill and the stats under procroot into s (ct_sample_clear()
 * first). Files that are missing or unreadable leave their bit clear in
 * s->have. Returns 0 when the count was read, else the negative errno of
 * that read (-ENOENT: conntrack is not loaded).
 */
int ct_read_proc(const char *procroot, struct ct_sample *s);

/*
 * Aggregator of NAT destinations over a set of entries.
 */
struct ct_nat_acc;

/* nat_low..nat_high: the NAT port range, 1 <= low <= high <= 65535. */
int ct_nat_acc_new(struct ct_nat_acc **out, unsigned nat_low,
		   unsigned nat_high);
void ct_nat_acc_free(struct ct_nat_acc *a);
/* Start over (keeps the memory). */
void ct_nat_acc_reset(struct ct_nat_acc *a);
/* Add one entry. Returns 0, -ENOMEM, or -E2BIG past CT_MAX_ENTRIES (the
 * entry is then not counted). Entries other than TCP and UDP are ignored. */
int ct_nat_acc_add(struct ct_nat_acc *a, const struct ct_entry *e);
/*
 * Turn what was added into NAT destinations in s (s->nat replaced,
 * s->nat_low/high set). Returns 0 or -ENOMEM (s->nnat is then 0).
 */
int ct_nat_acc_finish(struct ct_nat_acc *a, struct ct_sample *s);

/*
 * Parse one received datagram of a conntrack dump answering `seq`, adding
 * each entry to acc. Returns CT_PARSE_MORE, CT_PARSE_DONE, -ENOMEM, or
 * the negated error of an NLMSG_ERROR message (-EPERM without
 * CAP_NET_ADMIN). Messages of another sequence number are ignored;
 * malformed ones are counted in *malformed (may be NULL) and skipped;
 * *entries (may be NULL) counts the entries parsed.
 */
enum { CT_PARSE_MORE = 0, CT_PARSE_DONE = 1 };
int ct_parse(const void *buf, size_t len, uint32_t seq, struct ct_nat_acc *acc,
	     uint64_t *entries, uint64_t *malformed);

/*
 * conntrack: a dump socket plus the aggregator, for the sampler.
 */
struct conntrack;

/*
 * Open a NETLINK_NETFILTER socket in the caller's network namespace (the
 * socket keeps it) for dumps against the range nat_low..nat_high
 * (nat_given: the user chose it). Opening needs no privilege; dumping
 * does (see ct_dump). Returns 0 or a negative errno (-EPROTONOSUPPORT: no
 * nfnetlink in this kernel).
 */
int conntrack_open(struct conntrack **out, unsigned nat_low,
		   unsigned nat_high, int nat_given);

/* The same over any transport (tests use a canned nlio); io is taken
 * over (closed by conntrack_free(), also on failure). */
int conntrack_new(struct conntrack **out, struct nlio *io, unsigned nat_low,
		  unsigned nat_high, int nat_given);
void conntrack_free(struct conntrack *ct);

/*
 * Dump the table (all families) into s: s->nat, entries, malformed, the
 * NAT range, CT_HAVE_DUMP and flags. On error s->dump_err is set and
 * CT_HAVE_DUMP stays clear; after -EPERM later calls return -EPERM
 * without asking the kernel again (the capability does not come back).
 * Returns 0 or the negative errno.
 */
int conntrack_dump(struct conntrack *ct, struct ct_sample *s);

/* A one-line English reason for a dump error ("needs CAP_NET_ADMIN"). */
const char *ct_strerror(int err);

/*
 * The model's side: rates between samples and the snapshot's view.
 */

/* Conntrack in a snapshot (see struct ct_sample for the shared fields). */
struct ct_snap {
	unsigned have;            /* enum ct_have */
	int in_use;               /* conntrack is loaded in this namespace */
	int64_t count, max;       /* -1 unknown */
	double fill_pct;          /* count / max in percent, NAN unknown */
	struct ct_stats stats;    /* totals since boot */
	int have_rates;           /* an interval to the previous sample */
	double interval_s;
	double rate[CT_S_MAX];    /* growth per second over the interval,
				     by enum ct_stat_col; NAN unknown */
	uint64_t delta[CT_S_MAX]; /* growth over the interval */
	int dump_err;
	unsigned nat_low, nat_high;
	uint32_t nat_size;        /* nat_high - nat_low + 1 */
	int nat_range_given;
	uint64_t entries;
	unsigned flags;
	const struct ct_nat_dest *nat;  /* sorted: available ascending */
	size_t nnat;
};

/* Fill at or above which a snapshot warns. */
#define CT_FILL_WARN_PCT 80.0

/*
 * Kept by the model across updates (zero-initialised is ready). Owns the
 * NAT destinations its snapshots point to.
 */
struct ct_model {
	struct ct_nat_dest *nat;
	size_t nat_cap;
	struct ct_stats prev;
	double prev_mono;
	int have_prev;
};

void ct_model_release(struct ct_model *cm);

struct snapshot;
struct sample;
/*
 * Build snap->ct from the sample's conntrack part, with rates against the
 * previous sample, and add the snapshot's warnings (table filling, drops,
 * NAT ports used up, no privilege to dump). Returns 0 or -ENOMEM (the
 * snapshot then shows no NAT destinations, with a warning).
 */
int ct_model_update(struct ct_model *cm, struct snapshot *snap,
		    const struct sample *s);

#endif
