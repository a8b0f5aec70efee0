#ifndef PORTTOP_SAMPLER_H
#define PORTTOP_SAMPLER_H

#include "clock.h"
#include "conntrack.h"   /* nat */
#include "diag.h"
#include "events.h"
#include "netstat.h"
#include "nlio.h"
#include "sock.h"
#include "sysctl.h"

/*
 * sampler: takes one sample = one dump of every TCP and UDP socket + the
 * sysctls + the time, through the interfaces it is given (an nlio, a proc
 * root, a clock), so tests can run it on canned data.
 */

/* >>> record */
#define SAMPLE_MAX_NOTES 4
#define SAMPLE_NOTE_LEN 200
/* <<< record */

struct sample {
	double time;              /* wall clock, seconds since the epoch */
	double mono;              /* monotonic seconds */
	char netns[40];           /* "net:[INODE]" or "unknown" */
	struct sysctl_vals sys;
	struct sockvec socks;     /* owned by the sample */
	struct diag_stats stats;  /* of this sample's dump */
	/* Port ownership (sock_rec.bind): where it comes from, enum
	 * sock_bind_src, and, when the BPF reader was wanted but could not
	 * be used, why (a one-line reason, "" otherwise). */
	int bind_src;
	char bind_why[120];
	/* >>> rates: what happened since the previous sample (kept in the
	 * sample, not only in live state, so a recorded sample replays). */
	int events;               /* enum sample_events */
	double events_since;      /* monotonic start of the counted interval */
	struct ev_counts closes;  /* destroy events per destination over
				     [events_since, mono]; owned */
	struct netstat_vals net;  /* host TCP counters at this sample */
	/* <<< rates */
	/* >>> procs: who held each socket (sampler_enable_attribution), kept
	 * in the sample so a recorded sample replays without /proc. */
	struct sample_proc *procs;  /* owners of this sample's sockets; owned */
	size_t nprocs, procs_cap;
	uint32_t *owner;          /* per socket: index into procs, or
				     SAMPLE_NO_OWNER; owned */
	size_t nowner, owner_cap; /* nowner == socks.len when the sample
				     carries ownership, else 0 */
	uint32_t procs_denied;    /* processes whose open files could not be
				     read (need root or CAP_SYS_PTRACE) */
	/* <<< procs */
	/* >>> record: notes from the sample's source (an import's skipped
	 * lines, what a capture lacks) that the model shows as warnings;
	 * live samples have none. */
	char notes[SAMPLE_MAX_NOTES][SAMPLE_NOTE_LEN];
	size_t nnotes;
	/* <<< record */
	/* >>> nat: conntrack fill, stats and NAT destinations of the
	 * sample's namespace (engine/conntrack.h); owned */
	struct ct_sample ct;
	/* <<< nat */
};

/* >>> procs */
#define SAMPLE_NO_OWNER UINT32_MAX
#define SAMPLE_COMM_LEN 64
#define SAMPLE_USER_LEN 32
#define SAMPLE_UNIT_LEN 80
#define SAMPLE_CGROUP_LEN 256
#define SAMPLE_CMDLINE_LEN 256

/*
 * One owner of sockets in a sample. pid 0 is not a process: it stands for
 * the sockets whose process could not be found (its /proc entry is not
 * readable, or it is in another pid namespace), grouped by what the
 * kernel says about every full socket: its uid (idiag_uid) and cgroup
 * (INET_DIAG_CGROUP_ID). Every string is sanitised and NUL-terminated.
 */
struct sample_proc {
	int32_t pid;              /* 0: uid-only group (see above) */
	uint32_t uid;             /* effective uid; the sockets' uid for pid 0 */
	uint64_t start_time;      /* /proc/PID/stat field 22 (clock ticks
				     after boot): pid + start_time identify a
				     process across pid reuse; 0 for pid 0 */
	uint64_t cgroup_id;       /* pid 0: the sockets' cgroup id; else 0 */
	char comm[SAMPLE_COMM_LEN];       /* "" for pid 0 */
	char user[SAMPLE_USER_LEN];       /* user name, or the uid in decimal */
	char unit[SAMPLE_UNIT_LEN];       /* cgroup_label(): "docker:<id>",
					     "pod:<uid>", "unit:<name>", or "" */
	char cgroup[SAMPLE_CGROUP_LEN];   /* cgroup v2 path, or "" */
	char cmdline[SAMPLE_CMDLINE_LEN]; /* "" for pid 0 */
};
/* <<< procs */

/* Where a sample's close counts come from (sample.events). */
enum sample_events {
	SAMPLE_EV_NONE = 0,       /* no event source: rates are estimated */
	SAMPLE_EV_EXACT = 1,      /* every destroy event of the interval */
	SAMPLE_EV_LOST = 2,       /* events were lost (overrun): estimated */
};

void sample_init(struct sample *s);
void sample_release(struct sample *s);

struct sampler;

/*
 * Create a sampler. procroot is copied; clock is copied; io is taken over
 * (the sampler closes it, also on failure). Returns 0 or -ENOMEM.
 */
int sampler_new(struct sampler **out, const char *procroot,
		const struct clock *clock, struct nlio *io);
void sampler_free(struct sampler *sp);

/*
 * Read every TCP socket's bind bucket through the BPF reader
 * (engine/bpfport.h) from now on, so that every figure is exact. Without
 * it (the default, or when this fails) each sample marks explicit-port
 * binds only (diag_dump_userbound(), refreshed every 10th sample) and
 * says why in sample.bind_why.
 * Returns 0 or what bpfport_open() returns (the sampler works on).
 */
int sampler_enable_bpf(struct sampler *sp);

/*
 * Take one sample into *s (its previous sockets are discarded, its memory
 * reused). Returns 0, or a negative errno when the sockets could not be
 * dumped or the sampled namespace could not be entered (s->socks is then
 * empty); a missing sysctl is not an error (see sysctl_vals.known), nor
 * is a conntrack that cannot be read or dumped (see sample.ct).
 */
int sampler_take(struct sampler *sp, struct sample *s);

/*
 * Destroy events (engine/events.h). sampler_set_events() hands the
 * sampler an event source (taken over; NULL removes it): from then on
 * each sample carries the closes counted since the previous one, and the
 * netstat counters. Between samples the owner's event loop must keep the
 * event socket drained: poll sampler_event_fd() (-1 when there is none)
 * for POLLIN and call sampler_drain_events() when it is readable.
 * sampler_drain_events() returns what events_drain() returns (0 when
 * there is no event source).
 */
void sampler_set_events(struct sampler *sp, struct events *ev);
int sampler_event_fd(const struct sampler *sp);
int sampler_drain_events(struct sampler *sp);

/* >>> record */
/*
 * Samples from elsewhere (engine/source.h: a recording, an import).
 * A sampler made by sampler_new_feed() never touches the kernel:
 * sampler_take() returns what feed.next() returns: 0 with *s filled,
 * -ENODATA once a finite source has no sample left, or another negative
 * errno. It has no event source. The sampler does not own feed.ctx.
 * Returns 0 or -ENOMEM.
 */
struct sampler_feed {
	int (*next)(void *ctx, struct sample *s);
	void *ctx;
};
int sampler_new_feed(struct sampler **out, const struct sampler_feed *feed);

/* The feed's ctx, or NULL for a sampler that samples the kernel. */
void *sampler_feed_ctx(const struct sampler *sp);

/*
 * A tap sees every good sample before sampler_take() returns it (the
 * recorder, -w). It may add a note to the sample (a write that failed);
 * its result does not change what sampler_take() returns. NULL removes
 * it. The sampler does not own tap.ctx.
 */
struct sampler_tap {
	int (*sample)(void *ctx, struct sample *s);
	void *ctx;
};
void sampler_set_tap(struct sampler *sp, const struct sampler_tap *tap);

/* Append a note to a sample (cut to SAMPLE_NOTE_LEN; dropped past
 * SAMPLE_MAX_NOTES). */
void sample_note(struct sample *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* <<< record */

/* >>> procs */
/*
 * Attribute sockets to processes (engine/procs.h) from now on, reading
 * <procroot>/PID (copied; "/proc" in production) and the cgroup2 mount
 * found in <procroot>/self/mountinfo. Every later sample carries its
 * owners (sample.procs, sample.owner). Returns 0 or -ENOMEM; a host
 * without a cgroup2 mount is not an error (no cgroup paths then).
 * Calling it again replaces the caches.
 */
int sampler_enable_attribution(struct sampler *sp, const char *procroot);
/* <<< procs */

/* >>> nat */
struct netns;
/*
 * Sample another network namespace (engine/netns.h). ns is taken over
 * (NULL: the caller's own). The sampler's sockets (the nlio, the event
 * source, the conntrack socket) must have been opened inside ns; each
 * kernel sample then reads the sysctls, /proc/net and the conntrack files
 * inside ns (they show the reader's namespace) and returns before
 * sampler_take() does. sampler_take() fails with the error of entering
 * (netns_strerror()) when that is refused.
 */
void sampler_set_netns(struct sampler *sp, struct netns *ns);
/*
 * Every kernel sample reads the conntrack fill and stats (sample.ct);
 * with a conntrack socket (taken over; NULL removes it) it also dumps the
 * table for the NAT destinations whenever conntrack is loaded.
 */
void sampler_set_conntrack(struct sampler *sp, struct conntrack *ct);
/* <<< nat */

#endif
