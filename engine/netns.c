#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conntrack.h"
#include "events.h"
#include "model.h"
#include "netns.h"
#include "nlio.h"
#include "sampler.h"
#include "sanitize.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

struct netns {
	int fd;                    /* the namespace, O_RDONLY | O_CLOEXEC */
	int home;                  /* ours, to come back to */
	int current;               /* fd and home are the same namespace */
	int entered;
	uint64_t inode;
	char label[NETNS_LABEL_MAX];
	char id[NETNS_ID_LEN];
};

static int netns_errno(int e)
{
	switch (e) {
	case ENOENT:
	case ESRCH:
	case ENOTDIR:
		return -ENOENT;
	case EPERM:
	case EACCES:
		return -EACCES;
	default:
		return -e;
	}
}

/* The caller's own namespace: per thread (setns changes one thread). */
static int netns_open_home(const char *procroot)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/thread-self/ns/net", procroot);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(path, sizeof(path), "%s/self/ns/net", procroot);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	return fd < 0 ? netns_errno(errno) : fd;
}

int netns_open_path(struct netns **out, const char *procroot,
		    const char *path, const char *label, uint64_t inode)
{
	struct netns *ns;
	struct stat st, hst;
	int err;

	*out = NULL;
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->fd = ns->home = -1;
	/* O_NONBLOCK: a FIFO planted under /run/netns must not hang us */
	ns->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (ns->fd < 0) {
		err = netns_errno(errno);
		goto fail;
	}
	/* A namespace file, and a network one (NS_GET_NSTYPE, Linux 4.11):
	 * a stale name under /run/netns is a plain empty file. */
	if (ioctl(ns->fd, NS_GET_NSTYPE) != CLONE_NEWNET ||
	    fstat(ns->fd, &st) != 0) {
		err = -EINVAL;
		goto fail;
	}
	if (inode && (uint64_t)st.st_ino != inode) {
		err = -ESRCH;
		goto fail;
	}
	ns->home = netns_open_home(procroot);
	if (ns->home < 0) {
		err = ns->home;
		goto fail;
	}
	if (fstat(ns->home, &hst) == 0 && hst.st_ino == st.st_ino &&
	    hst.st_dev == st.st_dev)
		ns->current = 1;
	ns->inode = (uint64_t)st.st_ino;
	snprintf(ns->id, sizeof(ns->id), "net:[%llu]",
		 (unsigned long long)ns->inode);
	sanitize_text(ns->label, sizeof(ns->label), label, strlen(label));
	*out = ns;
	return 0;
fail:
	netns_free(ns);
	return err;
}

static int netns_parse_pid(const char *s, int *pid)
{
	long v = 0;
	const char *p;

	if (!*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
		if (v > 0x3fffffff)        /* PID_MAX_LIMIT is 4M */
			return -EINVAL;
	}
	if (v < 1)
		return -EINVAL;
	*pid = (int)v;
	return 0;
}

int netns_open(struct netns **out, const char *procroot, const char *rundir,
	       const char *spec)
{
	char path[4096], label[NETNS_LABEL_MAX];
	size_t len;
	int pid;

	*out = NULL;
	if (!spec || !*spec)
		return -EINVAL;
	len = strlen(spec);
	if (spec[0] >= '0' && spec[0] <= '9') {
		if (netns_parse_pid(spec, &pid))
			return -EINVAL;
		snprintf(path, sizeof(path), "%s/%d/ns/net", procroot, pid);
		snprintf(label, sizeof(label), "pid %d", pid);
	} else {
		if (strchr(spec, '/') || strcmp(spec, ".") == 0 ||
		    strcmp(spec, "..") == 0 || len >= NETNS_LABEL_MAX)
			return -EINVAL;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", rundir, spec)
		    >= sizeof(path))
			return -EINVAL;
		snprintf(label, sizeof(label), "%s", spec);
	}
	return netns_open_path(out, procroot, path, label, 0);
}

void netns_free(struct netns *ns)
{
	if (!ns)
		return;
	if (ns->entered)
		(void)netns_leave(ns);
	if (ns->fd >= 0)
		close(ns->fd);
	if (ns->home >= 0)
		close(ns->home);
	free(ns);
}

const char *netns_label(const struct netns *ns)
{
	return ns ? ns->label : "";
}

const char *netns_id(const struct netns *ns)
{
	return ns ? ns->id : "";
}

uint64_t netns_inode(const struct netns *ns)
{
	return ns ? ns->inode : 0;
}

int netns_is_current(const struct netns *ns)
{
	return !ns || ns->current;
}

int netns_enter(struct netns *ns)
{
	if (!ns || ns->current)
		return 0;
	if (ns->entered)
		return -EBUSY;
	if (setns(ns->fd, CLONE_NEWNET) != 0)
		return -errno;
	ns->entered = 1;
	return 0;
}

int netns_leave(struct netns *ns)
{
	if (!ns || ns->current || !ns->entered)
		return 0;
	if (setns(ns->home, CLONE_NEWNET) != 0)
		return -errno;
	ns->entered = 0;
	return 0;
}

int netns_run(struct netns *ns, int (*fn)(void *arg), void *arg)
{
	int err = netns_enter(ns), rc, lerr;

	if (err)
		return err;
	rc = fn(arg);
	lerr = netns_leave(ns);
	return lerr ? lerr : rc;
}

const char *netns_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case EPERM:
		return "Operation not permitted (needs root or CAP_SYS_ADMIN)";
	case EACCES:
		return "Permission denied (needs root, or the process's own "
			"user)";
	case ENOENT:
		return "no such namespace";
	case ESRCH:
		return "no such namespace (its process is gone)";
	case EINVAL:
		return "not a network namespace";
	case EBUSY:
		return "already inside another namespace";
	default:
		return strerror(err);
	}
}

/* ---- discovery ------------------------------------------------------------ */

void netns_list_init(struct netns_list *l)
{
	memset(l, 0, sizeof(*l));
}

void netns_list_release(struct netns_list *l)
{
	if (!l)
		return;
	free(l->v);
	netns_list_init(l);
}

/* "net:[4026531840]" -> 4026531840. 0 or -EINVAL. */
static int netns_parse_link(const char *s, const char *kind, uint64_t *out)
{
	size_t k = strlen(kind);
	uint64_t v = 0;
	const char *p;

	if (strncmp(s, kind, k) != 0 || s[k] != ':' || s[k + 1] != '[')
		return -EINVAL;
	p = s + k + 2;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p[0] != ']' || p[1] != '\0' || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* readlink <procroot>/<pid>/ns/<kind> into an inode. */
static int netns_read_link(const char *procroot, const char *pid,
			   const char *kind, uint64_t *out)
{
	char path[4096], buf[64];
	ssize_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/ns/%s", procroot, pid,
			     kind) >= sizeof(path))
		return -ENAMETOOLONG;
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return netns_parse_link(buf, kind, out);
}

/* The first line of a small file open as fd (closed), sanitised; "" when
 * unreadable or not a regular file. */
static void netns_read_fd_line(int fd, char *dst, size_t dstlen)
{
	struct stat st;
	char buf[512];
	ssize_t n;

	dst[0] = '\0';
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	sanitize_text(dst, dstlen, buf, strlen(buf));
}

static void netns_read_line(const char *path, char *dst, size_t dstlen)
{
	netns_read_fd_line(open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
				O_NONBLOCK), dst, dstlen);
}

/*
 * <procroot>/PID/root/etc/hostname, resolved inside that root: a
 * container's symlinks (an absolute one to /etc/shadow) must not lead out
 * of it. The file is first opened O_PATH and must be a regular file: a
 * container may put a device node there, and opening a device can have
 * side effects (and would show its bytes). It is then reopened for
 * reading through our own /proc/self/fd, which names that same inode.
 * Needs openat2() (Linux 5.6); without it, no hostname.
 */
static void netns_read_hostname(const char *procroot, int pid, char *dst,
				size_t dstlen)
{
	char path[4096];
	int root, fd = -1;

	dst[0] = '\0';
	snprintf(path, sizeof(path), "%s/%d/root", procroot, pid);
	root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return;
#ifdef SYS_openat2
	{
		struct open_how how;

		struct stat st;
		int pfd;

		memset(&how, 0, sizeof(how));
		how.flags = O_PATH | O_CLOEXEC;
		how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
		pfd = (int)syscall(SYS_openat2, root, "etc/hostname", &how,
				   sizeof(how));
		if (pfd >= 0 && fstat(pfd, &st) == 0 && S_ISREG(st.st_mode)) {
			/* not procroot: this is our own fd table */
			snprintf(path, sizeof(path), "/proc/self/fd/%d", pfd);
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
				  O_NONBLOCK);
		}
		if (pfd >= 0)
			close(pfd);
	}
#endif
	close(root);
	netns_read_fd_line(fd, dst, dstlen);
}

/* The cgroup v2 path of a process ("0::" line), for cgroup_label(). */
static void netns_read_cgroup(const char *procroot, int pid, char *dst,
			      size_t dstlen)
{
	char path[4096], buf[4096];
	const char *line;
	ssize_t n;
	int fd;

	dst[0] = '\0';
	snprintf(path, sizeof(path), "%s/%d/cgroup", procroot, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = buf; line && *line; line = strchr(line, '\n'),
	     line = line ? line + 1 : NULL) {
		if (strncmp(line, "0::", 3) == 0) {
			size_t len = strcspn(line + 3, "\n");

			if (len >= dstlen)
				len = dstlen - 1;
			memcpy(dst, line + 3, len);
			dst[len] = '\0';
			return;
		}
	}
}

/* Who the namespace belongs to, from its first process. */
static void netns_describe(struct netns_info *in, const char *procroot,
			   uint64_t self_uts)
{
	char path[4096], pidtxt[16], cg[CGROUP_PATH_MAX];
	uint64_t uts;
	int pid;

	if (!in->npids)
		return;
	pid = in->pids[0];
	snprintf(pidtxt, sizeof(pidtxt), "%d", pid);
	snprintf(path, sizeof(path), "%s/%d/comm", procroot, pid);
	netns_read_line(path, in->comm, sizeof(in->comm));
	netns_read_cgroup(procroot, pid, cg, sizeof(cg));
	if (cg[0])
		cgroup_label(cg, in->unit, sizeof(in->unit));
	/* A container's hostname is its name (a pod's is the pod name):
	 * worth showing only when it is not the host's. */
	if (netns_read_link(procroot, pidtxt, "uts", &uts) == 0 &&
	    uts != self_uts)
		netns_read_hostname(procroot, pid, in->hostname,
				    sizeof(in->hostname));
}

#define NETNS_HASH 8192   /* > 2 * NETNS_MAX, a power of two */

static size_t netns_hash(uint64_t ino)
{
	ino *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(ino >> 40) & (NETNS_HASH - 1);
}

/* Index of inode in l (through tab: index + 1, 0 empty), added if new.
 * -ENOMEM, or -E2BIG past NETNS_MAX. */
static long netns_slot(struct netns_list *l, uint32_t *tab, uint64_t ino)
{
	size_t h;

	for (h = netns_hash(ino); tab[h]; h = (h + 1) & (NETNS_HASH - 1))
		if (l->v[tab[h] - 1].inode == ino)
			return (long)tab[h] - 1;
	if (l->len >= NETNS_MAX)
		return -E2BIG;
	if (l->len == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct netns_info *nv = realloc(l->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = nc;
	}
	memset(&l->v[l->len], 0, sizeof(l->v[0]));
	l->v[l->len].inode = ino;
	l->v[l->len].ct_count = l->v[l->len].ct_max = -1;
	snprintf(l->v[l->len].id, sizeof(l->v[0].id), "net:[%llu]",
		 (unsigned long long)ino);
	tab[h] = (uint32_t)++l->len;
	return (long)l->len - 1;
}

/* Keep the NETNS_MAX_PIDS lowest pids, ascending. */
static void netns_add_pid(struct netns_info *in, int pid)
{
	uint32_t i, n = in->npids;

	in->nprocs++;
	if (n == NETNS_MAX_PIDS && pid > in->pids[n - 1])
		return;
	if (n < NETNS_MAX_PIDS)
		n++;
	for (i = n - 1; i > 0 && in->pids[i - 1] > pid; i--)
		in->pids[i] = in->pids[i - 1];
	in->pids[i] = pid;
	in->npids = n;
}

static int netns_cmp(const void *pa, const void *pb)
{
	const struct netns_info *a = pa, *b = pb;

	if (a->current != b->current)
		return a->current ? -1 : 1;
	if (!!a->npids != !!b->npids)
		return a->npids ? -1 : 1;
	if (a->npids && a->pids[0] != b->pids[0])
		return a->pids[0] < b->pids[0] ? -1 : 1;
	if (!a->npids) {
		int c = strcmp(a->name, b->name);

		if (c)
			return c;
	}
	return (a->inode > b->inode) - (a->inode < b->inode);
}

/* Names under rundir: matched by inode; a real namespace file without a
 * process is listed on its own. */
static int netns_add_names(struct netns_list *l, uint32_t *tab,
			   const char *rundir)
{
	struct dirent *de;
	DIR *d = opendir(rundir);

	if (!d)
		return 0;   /* no named namespaces */
	while ((de = readdir(d)) != NULL) {
		char path[4096], name[NETNS_LABEL_MAX];
		struct statfs sfs;
		struct stat st;
		size_t h;
		long idx = -1;

		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", rundir,
				     de->d_name) >= sizeof(path) ||
		    stat(path, &st) != 0)
			continue;
		for (h = netns_hash((uint64_t)st.st_ino); tab[h];
		     h = (h + 1) & (NETNS_HASH - 1))
			if (l->v[tab[h] - 1].inode == (uint64_t)st.st_ino) {
				idx = (long)tab[h] - 1;
				break;
			}
		if (idx < 0) {
			/* a stale name (ip netns left a plain file) is not
			 * a namespace */
			if (statfs(path, &sfs) != 0 ||
			    sfs.f_type != NSFS_MAGIC)
				continue;
			idx = netns_slot(l, tab, (uint64_t)st.st_ino);
			if (idx == -ENOMEM) {
				closedir(d);
				return -ENOMEM;
			}
			if (idx < 0) {
				l->truncated = 1;
				continue;
			}
		}
		sanitize_text(name, sizeof(name), de->d_name,
			      strlen(de->d_name));
		/* several names: the first in order, for a stable output */
		if (!l->v[idx].name[0] || strcmp(name, l->v[idx].name) < 0)
			snprintf(l->v[idx].name, sizeof(l->v[idx].name), "%s",
				 name);
	}
	closedir(d);
	return 0;
}

int netns_discover(struct netns_list *l, const char *procroot,
		   const char *rundir)
{
	uint32_t *tab;
	struct dirent *de;
	uint64_t self_net = 0, self_uts = 0;
	size_t i;
	DIR *d;
	int err = 0;

	l->len = 0;
	l->procs = l->denied = 0;
	l->truncated = 0;
	d = opendir(procroot);
	if (!d)
		return -errno;
	tab = calloc(NETNS_HASH, sizeof(*tab));
	if (!tab) {
		closedir(d);
		return -ENOMEM;
	}
	(void)netns_read_link(procroot, "self", "net", &self_net);
	(void)netns_read_link(procroot, "self", "uts", &self_uts);
	while ((de = readdir(d)) != NULL) {
		uint64_t ino;
		long idx;
		int e, pid;

		if (netns_parse_pid(de->d_name, &pid) != 0)
			continue;
		l->procs++;
		e = netns_read_link(procroot, de->d_name, "net", &ino);
		if (e == -EACCES || e == -EPERM)
			l->denied++;
		if (e)
			continue;   /* gone, a kernel without ns links, junk */
		idx = netns_slot(l, tab, ino);
		if (idx == -ENOMEM) {
			err = -ENOMEM;
			break;
		}
		if (idx < 0) {
			l->truncated = 1;
			continue;
		}
		netns_add_pid(&l->v[idx], pid);
	}
	closedir(d);
	if (!err)
		err = netns_add_names(l, tab, rundir);
	free(tab);
	if (err) {
		l->len = 0;
		return err;
	}
	for (i = 0; i < l->len; i++) {
		l->v[i].current = self_net && l->v[i].inode == self_net;
		netns_describe(&l->v[i], procroot, self_uts);
	}
	if (l->len)
		qsort(l->v, l->len, sizeof(*l->v), netns_cmp);
	return 0;
}

const struct netns_info *netns_list_find(const struct netns_list *l,
					 uint64_t inode)
{
	size_t i;

	for (i = 0; l && i < l->len; i++)
		if (l->v[i].inode == inode)
			return &l->v[i];
	return NULL;
}

int netns_open_info(struct netns **out, const char *procroot,
		    const char *rundir, const struct netns_info *in)
{
	char path[4096], label[NETNS_LABEL_MAX];
	uint32_t i;
	int err = -ENOENT;

	*out = NULL;
	if (in->name[0]) {
		snprintf(path, sizeof(path), "%s/%s", rundir, in->name);
		err = netns_open_path(out, procroot, path, in->name, in->inode);
		if (err == 0)
			return 0;
	}
	for (i = 0; i < in->npids; i++) {
		snprintf(path, sizeof(path), "%s/%d/ns/net", procroot,
			 in->pids[i]);
		snprintf(label, sizeof(label), "pid %d", in->pids[i]);
		err = netns_open_path(out, procroot, path, label, in->inode);
		/* a pid gone or reused: try the next one */
		if (err != -ENOENT && err != -ESRCH)
			return err;
	}
	return err;
}

/* ---- a live sampler of a namespace ------------------------------------------ */

/* What is opened inside the namespace. */
struct netns_socks {
	const struct netns_sampler_cfg *cfg;
	struct nlio io;
	struct events *ev;
	struct conntrack *ct;
};

static int netns_open_socks(void *arg)
{
	struct netns_socks *so = arg;
	const struct netns_sampler_cfg *cfg = so->cfg;
	int err = nlio_open_sock_diag(&so->io, 0);

	if (err)
		return err;
	if (cfg->events && events_open(&so->ev, cfg->events_rcvbuf) != 0)
		so->ev = NULL;       /* rates are estimated then */
	if (cfg->conntrack &&
	    conntrack_open(&so->ct, cfg->nat_low, cfg->nat_high,
			   cfg->nat_given) != 0)
		so->ct = NULL;       /* no nfnetlink: the fill counters only */
	return 0;
}

int netns_sampler_open(struct sampler **out, struct netns *ns,
		       const struct clock *clock,
		       const struct netns_sampler_cfg *cfg)
{
	struct netns_socks so;
	int err;

	*out = NULL;
	memset(&so, 0, sizeof(so));
	so.cfg = cfg;
	err = netns_run(ns, netns_open_socks, &so);
	if (err) {
		nlio_close(&so.io);
		events_free(so.ev);
		conntrack_free(so.ct);
		netns_free(ns);
		return err;
	}
	err = sampler_new(out, cfg->procroot, clock, &so.io);
	if (err == 0 && cfg->attribution)
		err = sampler_enable_attribution(*out, cfg->procroot);
	if (err) {
		sampler_free(*out);
		*out = NULL;
		events_free(so.ev);
		conntrack_free(so.ct);
		netns_free(ns);
		return err;
	}
	if (cfg->bpf)
		(void)sampler_enable_bpf(*out);   /* the samples say why not */
	if (so.ev)
		sampler_set_events(*out, so.ev);
	sampler_set_conntrack(*out, so.ct);
	sampler_set_netns(*out, ns);
	return 0;
}

/* ---- survey ----------------------------------------------------------------- */

/* One sample of one namespace into its survey fields. */
static int netns_survey_one(struct netns_info *in, const char *procroot,
			    const char *rundir, const struct clock *clock,
			    unsigned nat_low, unsigned nat_high)
{
	const struct snapshot *snap;
	struct netns_sampler_cfg cfg = {
		.procroot = procroot, .conntrack = 1,
		.nat_low = nat_low, .nat_high = nat_high,
	};
	struct sampler *sp = NULL;
	struct model *m = NULL;
	struct netns *ns = NULL;
	struct sample s;
	int err;

	in->surveyed = 0;
	in->have_worst = 0;
	in->have_nat_worst = 0;
	in->err = netns_open_info(&ns, procroot, rundir, in);
	if (in->err)
		return 0;
	err = netns_sampler_open(&sp, ns, clock, &cfg);
	if (err) {
		in->err = err;
		return err == -ENOMEM ? err : 0;
	}
	err = model_new(&m);
	if (err) {
		sampler_free(sp);
		return err;
	}
	sample_init(&s);
	in->err = sampler_take(sp, &s);
	if (in->err == 0) {
		in->ct_count = s.ct.count;
		in->ct_max = s.ct.max;
		in->ct_dump_err = s.ct.dump_err;
		err = model_update(m, &s);
	}
	snap = model_snapshot(m);
	if (in->err == 0 && err == 0 && snap) {
		in->surveyed = 1;
		in->range_low = snap->range_low;
		in->range_high = snap->range_high;
		in->usable = snap->usable;
		in->tcp_sockets = snap->tcp_sockets;
		in->udp_sockets = snap->udp_sockets;
		in->time_wait = snap->tcp_states[SOCK_TIME_WAIT];
		in->ndests = (uint32_t)snap->ndests;
		if (snap->ndests) {   /* sorted: most at risk first */
			const struct snap_dest *dd = &snap->dests[0];

			in->have_worst = 1;
			memcpy(in->worst.saddr, dd->saddr, 16);
			memcpy(in->worst.daddr, dd->daddr, 16);
			in->worst.dport = dd->dport;
			in->worst.family = dd->family;
			in->worst.proto = dd->proto;
			in->worst.in_use = dd->in_use;
			in->worst.available = dd->available;
			in->worst.headroom_pct = dd->headroom_pct;
		}
		if (snap->ct.nnat) {  /* sorted: most at risk first */
			in->have_nat_worst = 1;
			in->nat_worst = snap->ct.nat[0];
			in->nat_size = snap->ct.nat_size;
		}
	}
	sample_release(&s);
	model_free(m);
	sampler_free(sp);
	return err == -ENOMEM ? err : 0;
}

int netns_survey(struct netns_list *l, const char *procroot,
		 const char *rundir, const struct clock *clock,
		 unsigned nat_low, unsigned nat_high)
{
	size_t i;
	int err;

	for (i = 0; i < l->len; i++) {
		err = netns_survey_one(&l->v[i], procroot, rundir, clock,
				       nat_low, nat_high);
		if (err)
			return err;
	}
	return 0;
}
