#ifndef PORTTOP_NETNS_H
#define PORTTOP_NETNS_H

#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "clock.h"
#include "conntrack.h"

/*
 * netns: sampling other network namespaces (pods, containers, `ip netns`).
 *
 * A netlink socket keeps the namespace it was created in, and /proc/sys/net
 * and /proc/net show the namespace of the task that opens them. So porttop
 * enters a namespace with setns(CLONE_NEWNET), opens its sockets and reads
 * its files there, and returns to its own namespace (a descriptor saved
 * when the handle was opened) before doing anything else: the process is
 * never left in the wrong namespace. A file opened inside keeps showing
 * that namespace after the return (seen on Linux 6.18), but sysctl_read()
 * opens its files by path on every sample, so the sampler reads them
 * inside (netns_enter ... netns_leave around the reads).
 *
 * Privileges: opening <procroot>/PID/ns/net needs ptrace read access to
 * PID (same user, or CAP_SYS_PTRACE); entering needs CAP_SYS_ADMIN. The
 * namespace porttop runs in needs neither: enter and leave do nothing.
 * A descriptor keeps its namespace alive: once opened, a namespace cannot
 * go away under porttop (its processes can).
 *
 * Each namespace has its own port range, sysctls, sockets, TIME_WAIT table
 * and conntrack table: samples of different namespaces are never mixed
 * (one sampler and one model per namespace).
 */

#define NETNS_RUNDIR "/run/netns"
#define NETNS_LABEL_MAX 80        /* "router", "pid 1234" */
#define NETNS_ID_LEN 40           /* "net:[4026531840]" */

struct netns;

/*
 * Open the network namespace named by spec: a decimal PID (that process's
 * namespace, <procroot>/PID/ns/net) or a name under rundir (as `ip netns
 * add` makes them; no '/', not "." nor ".."). Saves the caller's own
 * namespace (<procroot>/thread-self/ns/net) for netns_leave().
 * Returns 0, or: -ENOENT (no such process or name), -EACCES (not allowed
 * to open it), -EINVAL (a malformed spec, or the file is not a network
 * namespace), -ENOMEM.
 */
int netns_open(struct netns **out, const char *procroot, const char *rundir,
	       const char *spec);

/*
 * Open <path> (a namespace file, e.g. /proc/PID/ns/net) under the label
 * given, and check that it is the namespace of inode `inode` (0: any), so
 * a reused pid cannot swap namespaces. Returns what netns_open() returns,
 * or -ESRCH when the inode differs.
 */
int netns_open_path(struct netns **out, const char *procroot,
		    const char *path, const char *label, uint64_t inode);

void netns_free(struct netns *ns);

/* As given: "router", "pid 1234". */
const char *netns_label(const struct netns *ns);
/* "net:[INODE]". */
const char *netns_id(const struct netns *ns);
uint64_t netns_inode(const struct netns *ns);
/* 1 when it is the namespace porttop runs in. */
int netns_is_current(const struct netns *ns);

/*
 * Enter the namespace (setns). Every netns_enter() that returns 0 must be
 * matched by a netns_leave() before the caller does anything else; they do
 * not nest (-EBUSY). Returns 0, -EPERM (needs CAP_SYS_ADMIN) or another
 * negative errno (the process is then still in its own namespace).
 * NULL is "here": 0, nothing done.
 */
int netns_enter(struct netns *ns);

/* Return to the saved namespace. 0 or a negative errno; on failure the
 * process may be left inside (no way out is known then). */
int netns_leave(struct netns *ns);

/* Run fn(arg) inside ns (NULL: here) and come back. Returns the error of
 * entering, else of leaving, else fn's result. */
int netns_run(struct netns *ns, int (*fn)(void *arg), void *arg);

/*
 * The end of "cannot enter network namespace X: ..." for an error of
 * netns_open*() or netns_enter(): "Operation not permitted (needs root or
 * CAP_SYS_ADMIN)", "no such namespace", ...
 */
const char *netns_strerror(int err);

/* ---- a live sampler of a namespace ------------------------------------------ */

struct sampler;

/* What netns_sampler_open() gives the sampler. */
struct netns_sampler_cfg {
	const char *procroot;         /* "/proc" in production */
	int events;                   /* a destroy-event socket (exact rates) */
	int events_rcvbuf;            /* its receive buffer, 0: the default */
	int attribution;              /* process attribution (procs.h) */
	int bpf;                      /* the BPF port-state reader
					 (sampler_enable_bpf), if it works */
	int conntrack;                /* a ctnetlink socket (NAT headroom) */
	unsigned nat_low, nat_high;   /* the NAT range, 1 <= low <= high */
	int nat_given;                /* the user chose it (--nat-range) */
};

/*
 * A live sampler of ns (taken over, also on failure; NULL: the namespace
 * porttop runs in): enters ns, opens the sock_diag dump socket and what
 * cfg asks for, returns, and makes the sampler, which then reads ns's
 * files inside ns on every sample. Returns 0, or a negative errno: of
 * entering (netns_strerror()), of the dump socket (diag_strerror()), or
 * -ENOMEM. An event or conntrack socket that cannot be opened is not an
 * error: the sampler has none (estimated rates, fill counters only).
 */
int netns_sampler_open(struct sampler **out, struct netns *ns,
		       const struct clock *clock,
		       const struct netns_sampler_cfg *cfg);

/* ---- discovery ------------------------------------------------------------ */

#define NETNS_MAX 4096            /* namespaces listed */
#define NETNS_MAX_PIDS 8          /* owner pids kept per namespace */
#define NETNS_COMM_LEN 64
#define NETNS_HOST_LEN 65

/* The worst destination of a surveyed namespace. */
struct netns_worst {
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t dport;
	uint8_t family;
	uint8_t proto;
	uint32_t in_use;
	uint32_t available;
	double headroom_pct;
};

/* One namespace. Strings are sanitised and NUL-terminated. */
struct netns_info {
	uint64_t inode;
	char id[NETNS_ID_LEN];        /* "net:[INODE]" */
	int current;                  /* the namespace porttop runs in */
	char name[NETNS_LABEL_MAX];   /* its name under rundir, or "" */
	uint32_t nprocs;              /* processes in it */
	int pids[NETNS_MAX_PIDS];     /* the lowest pids, ascending */
	uint32_t npids;
	char comm[NETNS_COMM_LEN];    /* of pids[0] */
	char unit[CGROUP_LABEL_MAX];  /* cgroup_label() of pids[0]: "pod:<uid>",
					 "docker:<id>", "unit:<name>", "" */
	char hostname[NETNS_HOST_LEN];/* pids[0]'s hostname, when it runs in
					 another UTS namespace (a container's
					 or pod's name), else "" */

	/* Filled by netns_survey(). */
	int surveyed;                 /* a sample was taken */
	int err;                      /* else why not (netns_strerror()) */
	unsigned range_low, range_high;
	uint32_t usable;
	uint32_t tcp_sockets, udp_sockets, time_wait;
	uint32_t ndests;
	int have_worst;
	struct netns_worst worst;
	int64_t ct_count, ct_max;     /* -1 unknown */
	int ct_dump_err;              /* why no NAT destinations (conntrack.h) */
	int have_nat_worst;           /* a NAT destination exists */
	struct ct_nat_dest nat_worst; /* the NAT destination most at risk */
	uint32_t nat_size;            /* the NAT range it was counted against */
};

/* Owns v; embed with netns_list_init() / netns_list_release(). */
struct netns_list {
	struct netns_info *v;         /* current first, then by lowest pid;
					 named namespaces without a process
					 last, by name */
	size_t len, cap;
	uint32_t procs;               /* processes looked at */
	uint32_t denied;              /* processes whose namespace could not
					 be read (needs root) */
	int truncated;                /* more than NETNS_MAX namespaces */
};

void netns_list_init(struct netns_list *l);
void netns_list_release(struct netns_list *l);

/*
 * List every network namespace: those of the processes under procroot
 * (<procroot>/PID/ns/net links, deduplicated by inode) and those named
 * under rundir (matched by inode; a name without a process is listed when
 * it is a real namespace file). The list is cleared first. Returns 0,
 * -ENOMEM, or the error of listing procroot.
 */
int netns_discover(struct netns_list *l, const char *procroot,
		   const char *rundir);

/* The entry for inode, or NULL. */
const struct netns_info *netns_list_find(const struct netns_list *l,
					 uint64_t inode);

/*
 * Open the namespace of a listed entry: by its name, else through its
 * pids (checked against its inode). Returns what netns_open_path() does.
 */
int netns_open_info(struct netns **out, const char *procroot,
		    const char *rundir, const struct netns_info *in);

/*
 * Take one sample of each listed namespace (enter, open the dump and
 * conntrack sockets, read the sysctls and the conntrack files, return)
 * and fill the survey fields: sockets, range, the worst destination, the
 * conntrack fill and the NAT destination most at risk against the range
 * nat_low..nat_high. A namespace that cannot be entered gets err set.
 * Returns 0, or -ENOMEM.
 */
int netns_survey(struct netns_list *l, const char *procroot,
		 const char *rundir, const struct clock *clock,
		 unsigned nat_low, unsigned nat_high);

#endif
