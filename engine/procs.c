#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "procs.h"
#include "sanitize.h"

/* Bounded reads: a stat line is ~300 bytes, a status file ~1.5 KiB. */
#define PROCS_STAT_MAX 1024
#define PROCS_STATUS_MAX 8192
#define PROCS_CMDLINE_MAX 4096
#define PROCS_CGROUPFILE_MAX 8192
/* A process that produced new sockets is read first next time; the score
 * decays by half on every read that found nothing new. */
#define PROCS_HOT_MAX 64u
#define PROCS_USER_CACHE 64

/* flags of a dump inode */
enum {
	DS_UNKNOWN = 1,     /* not mapped: being searched for */
	DS_NEGATIVE = 2,    /* searched before without success */
};

struct pent {
	int pid;                  /* 0: free slot */
	uint32_t epoch;           /* map entries of another epoch are stale */
	uint32_t seen_gen;        /* last listing that showed it */
	uint32_t scan_gen;        /* last refresh that read its fds; 0 never */
	uint32_t scan_seq;        /* pc->scan_seq when it was last read */
	uint32_t born_gen;        /* the listing that first showed it */
	uint32_t hot;
	uint32_t next_free;
	uint64_t start_time;      /* 0 until read */
	uint64_t sig_size;        /* fd directory at the last read */
	int64_t sig_mtime;
	uint8_t have_sig;
	uint8_t denied;
	uint8_t info_ok;
	uint32_t info_fail_gen;   /* reading its info failed in this refresh */
	struct procs_info *info;
};

struct imap_ent {
	uint32_t inode;           /* 0: empty */
	uint32_t slot;
	uint32_t epoch;
	uint32_t seen;            /* last refresh whose dump had the inode */
};

struct dset_ent {
	uint32_t inode;           /* 0: empty */
	uint32_t flags;
};

struct user_ent {
	uint32_t uid;
	char name[PROCS_USER_LEN];
};

struct procs {
	char *root;
	int rootfd;
	uint32_t gen;
	struct procs_stats st;

	struct pent *pents;
	size_t npents, pents_cap;     /* slots used (incl. free ones) */
	uint32_t free_head;           /* slot + 1, 0 none */
	size_t live;                  /* slots with a pid */
	size_t born;                  /* added by this refresh's listing */
	uint32_t *ptab;               /* pid hash: slot + 1 */
	size_t ptab_cap;
	size_t rr;                    /* round-robin cursor */

	struct imap_ent *imap;        /* inode -> slot */
	size_t imap_cap, imap_count;

	struct dset_ent *dset;        /* this refresh's dump inodes, built */
	size_t dset_cap, dset_count;  /* only when a process is read */
	int dset_built;
	const struct sock_rec *socks; /* this refresh's dump */
	size_t nsocks;
	long *sslot;                  /* per socket: slot holding it, or -1 */
	size_t sslot_cap;
	uint32_t scan_seq;            /* fd directories read, ever */

	uint32_t *neg;                /* inodes searched for in vain */
	size_t nneg, neg_cap;

	uint64_t *cand;               /* search order scratch */
	size_t cand_cap;

	struct user_ent users[PROCS_USER_CACHE];
	size_t nusers;
};

/* ---- small helpers -------------------------------------------------------- */

static size_t procs_hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/* Read at most max bytes of dirfd/name into buf (of max bytes). Returns
 * the length or a negative errno. Never follows a symlink. */
static ssize_t procs_read_at(int dirfd, const char *name, char *buf, size_t max)
{
	size_t len = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	int err = 0;

	if (fd < 0)
		return -errno;
	while (len < max) {
		ssize_t n = read(fd, buf + len, max - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return err ? err : (ssize_t)len;
}

/* Unsigned decimal at *p (advanced), at most UINT64_MAX. */
static int procs_u64(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	while (s < end && *s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

/* ---- parsers ----------------------------------------------------------- */

int procs_parse_stat(const char *buf, size_t len, char *comm, size_t commlen,
		     uint64_t *start_time)
{
	const char *open, *close = NULL, *p, *end = buf + len;
	unsigned field;
	size_t i;

	open = memchr(buf, '(', len);
	if (!open)
		return -EINVAL;
	/* comm may hold ')' and spaces: it ends at the last ')' */
	for (i = len; i > (size_t)(open - buf); i--)
		if (buf[i - 1] == ')') {
			close = buf + i - 1;
			break;
		}
	if (!close || close <= open)
		return -EINVAL;
	if (comm && commlen)
		sanitize_text(comm, commlen, open + 1, (size_t)(close - open - 1));
	/* after ") " come fields 3 (state) .. 22 (starttime) */
	p = close + 1;
	for (field = 3; field < 22; field++) {
		if (p >= end || *p != ' ')
			return -EINVAL;
		p++;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
	}
	if (p >= end || *p != ' ')
		return -EINVAL;
	p++;
	return procs_u64(&p, end, start_time);
}

int procs_parse_uid(const char *buf, size_t len, uint32_t *uid)
{
	const char *p = buf, *end = buf + len;
	uint64_t v;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (le - p > 4 && memcmp(p, "Uid:", 4) == 0) {
			const char *q = p + 4;
			int k;

			/* real, effective, saved, fs: the second one */
			for (k = 0; k < 2; k++) {
				while (q < le && (*q == ' ' || *q == '\t'))
					q++;
				if (procs_u64(&q, le, &v) != 0)
					return -EINVAL;
			}
			if (v > UINT32_MAX)
				return -EINVAL;
			*uid = (uint32_t)v;
			return 0;
		}
		p = nl ? nl + 1 : end;
	}
	return -EINVAL;
}

int procs_parse_cgroup(const char *buf, size_t len, char *path, size_t pathlen)
{
	const char *p = buf, *end = buf + len, *best = NULL, *best_end = NULL;
	size_t n;

	if (pathlen == 0)
		return -EINVAL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (le - p >= 3 && memcmp(p, "0::", 3) == 0) {
			best = p + 3;
			best_end = le;
			break;
		}
		if (!best) {
			/* "N:name=systemd:/path" (cgroup v1 only) */
			const char *c1 = memchr(p, ':', (size_t)(le - p));

			if (c1 && le - c1 > 14 &&
			    memcmp(c1 + 1, "name=systemd:", 13) == 0) {
				best = c1 + 14;
				best_end = le;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (!best || best == best_end || *best != '/')
		return -EINVAL;
	n = (size_t)(best_end - best);
	if (n >= pathlen)
		n = pathlen - 1;
	memcpy(path, best, n);
	path[n] = '\0';
	return 0;
}

/* ---- lifetime ---------------------------------------------------------- */

int procs_new(struct procs **out, const char *procroot)
{
	struct procs *pc = calloc(1, sizeof(*pc));

	*out = NULL;
	if (!pc)
		return -ENOMEM;
	pc->root = strdup(procroot);
	if (!pc->root) {
		free(pc);
		return -ENOMEM;
	}
	pc->rootfd = -1;
	*out = pc;
	return 0;
}

void procs_free(struct procs *pc)
{
	size_t i;

	if (!pc)
		return;
	for (i = 0; i < pc->npents; i++)
		free(pc->pents[i].info);
	if (pc->rootfd >= 0)
		close(pc->rootfd);
	free(pc->pents);
	free(pc->ptab);
	free(pc->imap);
	free(pc->dset);
	free(pc->sslot);
	free(pc->neg);
	free(pc->cand);
	free(pc->root);
	free(pc);
}

void procs_get_stats(const struct procs *pc, struct procs_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (pc)
		*st = pc->st;
}

const char *procs_user_name(struct procs *pc, uint32_t uid, char *buf,
			    size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];
	size_t i;

	if (len == 0)
		return buf;
	for (i = 0; i < pc->nusers; i++)
		if (pc->users[i].uid == uid) {
			snprintf(buf, len, "%s", pc->users[i].name);
			return buf;
		}
	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) == 0 && res &&
	    res->pw_name && res->pw_name[0])
		sanitize_text(buf, len < PROCS_USER_LEN ? len : PROCS_USER_LEN,
			      res->pw_name, strlen(res->pw_name));
	else
		snprintf(buf, len, "%u", (unsigned)uid);
	if (pc->nusers == PROCS_USER_CACHE)
		pc->nusers = 0;
	pc->users[pc->nusers].uid = uid;
	snprintf(pc->users[pc->nusers].name, PROCS_USER_LEN, "%s", buf);
	pc->nusers++;
	return buf;
}

/* ---- the dump's inodes --------------------------------------------------- */

static struct dset_ent *procs_dset_find(const struct procs *pc, uint32_t ino)
{
	size_t mask = pc->dset_cap - 1, h = procs_hash32(ino) & mask;

	while (pc->dset[h].inode) {
		if (pc->dset[h].inode == ino)
			return &pc->dset[h];
		h = (h + 1) & mask;
	}
	return NULL;
}

/* The set of the dump's inodes: needed only to read a process (to keep
 * just the inodes that matter), so built on first need in a refresh. */
static int procs_dset_build(struct procs *pc)
{
	const struct sock_rec *socks = pc->socks;
	size_t cap = 64, i, n = pc->nsocks;

	if (pc->dset_built)
		return 0;

	while (cap < n * 2 + 2)
		cap *= 2;
	if (cap > pc->dset_cap) {
		void *q = realloc(pc->dset, cap * sizeof(*pc->dset));

		if (!q)
			return -ENOMEM;
		pc->dset = q;
		pc->dset_cap = cap;
	}
	memset(pc->dset, 0, pc->dset_cap * sizeof(*pc->dset));
	pc->dset_count = 0;
	for (i = 0; i < n; i++) {
		uint32_t ino = socks[i].inode;
		size_t mask = pc->dset_cap - 1, h;

		if (!ino)
			continue;
		for (h = procs_hash32(ino) & mask; pc->dset[h].inode;
		     h = (h + 1) & mask)
			if (pc->dset[h].inode == ino)
				break;
		if (!pc->dset[h].inode) {
			pc->dset[h].inode = ino;
			pc->dset_count++;
		}
	}
	pc->dset_built = 1;
	return 0;
}

/* ---- inode -> process map -------------------------------------------------- */

static int procs_imap_valid(const struct procs *pc, const struct imap_ent *e)
{
	return e->slot < pc->npents && pc->pents[e->slot].pid != 0 &&
	       pc->pents[e->slot].epoch == e->epoch;
}

static struct imap_ent *procs_imap_slot(const struct procs *pc, uint32_t ino)
{
	size_t mask = pc->imap_cap - 1, h = procs_hash32(ino) & mask;

	while (pc->imap[h].inode && pc->imap[h].inode != ino)
		h = (h + 1) & mask;
	return &pc->imap[h];
}

/*
 * The live slot holding ino, or -1. An inode missing from the last two
 * dumps is not trusted any more: socket inode numbers come from a 32-bit
 * counter that wraps, so it may now name another socket. Looking it up
 * marks it seen in this refresh.
 */
static long procs_imap_get(const struct procs *pc, uint32_t ino)
{
	struct imap_ent *e;

	if (!pc->imap_cap)
		return -1;
	e = procs_imap_slot(pc, ino);
	if (!e->inode || !procs_imap_valid(pc, e) || pc->gen - e->seen > 2)
		return -1;
	e->seen = pc->gen;
	return (long)e->slot;
}

/*
 * Rebuild the map at capacity cap (a power of two), keeping only entries
 * still valid whose inode is in this refresh's dump.
 */
static int procs_imap_rebuild(struct procs *pc, size_t cap)
{
	struct imap_ent *old = pc->imap, *nt;
	size_t oldcap = pc->imap_cap, i;

	nt = calloc(cap, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	pc->imap = nt;
	pc->imap_cap = cap;
	pc->imap_count = 0;
	for (i = 0; i < oldcap; i++) {
		struct imap_ent *e;

		if (!old[i].inode || !procs_imap_valid(pc, &old[i]) ||
		    !procs_dset_find(pc, old[i].inode))
			continue;
		e = procs_imap_slot(pc, old[i].inode);
		*e = old[i];
		pc->imap_count++;
	}
	free(old);
	return 0;
}

/* Map ino to slot unless another live process already holds it. */
static int procs_imap_put(struct procs *pc, uint32_t ino, uint32_t slot)
{
	struct imap_ent *e;

	if ((pc->imap_count + 1) * 2 > pc->imap_cap) {
		size_t cap = pc->imap_cap ? pc->imap_cap : 1024;
		int err;

		/* A rebuild keeps only live entries of dump inodes, at most
		 * dset_count: room for twice that keeps the load under 1/2. */
		while (cap < (pc->dset_count + 1) * 2)
			cap *= 2;
		err = procs_imap_rebuild(pc, cap);
		if (err)
			return err;
	}
	e = procs_imap_slot(pc, ino);
	if (e->inode && procs_imap_valid(pc, e) && e->slot != slot &&
	    pc->gen - e->seen <= 2)
		return 0;   /* the first holder found keeps it */
	if (!e->inode)
		pc->imap_count++;
	e->inode = ino;
	e->slot = slot;
	e->epoch = pc->pents[slot].epoch;
	e->seen = pc->gen;
	return 0;
}

/* ---- the process list ------------------------------------------------------- */

static long procs_pid_slot(const struct procs *pc, int pid)
{
	size_t mask, h;

	if (!pc->ptab_cap)
		return -1;
	mask = pc->ptab_cap - 1;
	for (h = procs_hash32((uint32_t)pid) & mask; pc->ptab[h];
	     h = (h + 1) & mask)
		if (pc->pents[pc->ptab[h] - 1].pid == pid)
			return (long)(pc->ptab[h] - 1);
	return -1;
}

static int procs_pid_rehash(struct procs *pc)
{
	size_t cap = 64, i;

	while (cap < pc->live * 2 + 2)
		cap *= 2;
	if (cap != pc->ptab_cap) {
		void *q = realloc(pc->ptab, cap * sizeof(*pc->ptab));

		if (!q)
			return -ENOMEM;
		pc->ptab = q;
		pc->ptab_cap = cap;
	}
	memset(pc->ptab, 0, pc->ptab_cap * sizeof(*pc->ptab));
	for (i = 0; i < pc->npents; i++) {
		size_t h;

		if (!pc->pents[i].pid)
			continue;
		h = procs_hash32((uint32_t)pc->pents[i].pid) & (cap - 1);
		while (pc->ptab[h])
			h = (h + 1) & (cap - 1);
		pc->ptab[h] = (uint32_t)(i + 1);
	}
	return 0;
}

static void procs_pent_drop(struct procs *pc, uint32_t slot)
{
	struct pent *e = &pc->pents[slot];
	uint32_t epoch = e->epoch + 1;   /* its map entries become stale */

	free(e->info);
	memset(e, 0, sizeof(*e));
	e->epoch = epoch;
	e->next_free = pc->free_head;
	pc->free_head = slot + 1;
	pc->live--;
}

static int procs_pent_add(struct procs *pc, int pid)
{
	struct pent *e;
	uint32_t slot, epoch;

	if (pc->live >= PROCS_MAX_PROCS) {
		pc->st.overflow++;
		return 0;
	}
	if (pc->free_head) {
		slot = pc->free_head - 1;
		pc->free_head = pc->pents[slot].next_free;
	} else {
		if (array_grow(&pc->pents, &pc->pents_cap, pc->npents + 1,
			       sizeof(*pc->pents)))
			return -ENOMEM;
		slot = (uint32_t)pc->npents++;
		pc->pents[slot].epoch = 0;
	}
	e = &pc->pents[slot];
	epoch = e->epoch;
	memset(e, 0, sizeof(*e));
	e->epoch = epoch;
	e->pid = pid;
	e->seen_gen = pc->gen;
	e->born_gen = pc->gen;
	pc->born++;
	pc->live++;
	return 0;
}

static int procs_parse_pid(const char *s)
{
	long v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return i > 0 && s[0] != '0' && v <= 0x7fffffff ? (int)v : 0;
}

/* List <procroot>: note the processes seen, add new ones, drop gone ones. */
static int procs_list(struct procs *pc)
{
	struct dirent *de;
	DIR *d;
	size_t i;
	int fd, err = 0;

	if (pc->rootfd < 0) {
		pc->rootfd = open(pc->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pc->rootfd < 0)
			return -errno;
	}
	fd = openat(pc->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((de = readdir(d)) != NULL) {
		int pid = procs_parse_pid(de->d_name);
		long slot;

		if (!pid)
			continue;
		pc->st.procs++;
		slot = procs_pid_slot(pc, pid);
		if (slot >= 0) {
			pc->pents[slot].seen_gen = pc->gen;
		} else {
			err = procs_pent_add(pc, pid);
			if (err)
				break;
		}
	}
	closedir(d);
	for (i = 0; i < pc->npents; i++)
		if (pc->pents[i].pid && pc->pents[i].seen_gen != pc->gen)
			procs_pent_drop(pc, (uint32_t)i);
	if (procs_pid_rehash(pc) != 0 && !err)
		err = -ENOMEM;
	return err;
}

/* ---- reading one process ------------------------------------------------ */

static int procs_open_pid(const struct procs *pc, int pid)
{
	char name[16];

	snprintf(name, sizeof(name), "%d", pid);
	return openat(pc->rootfd, name,
		      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * Read the start time (and comm into the info if there is one). A start
 * time other than the one known means the pid was reused: the slot's
 * inodes and info are stale. Returns 0 or a negative errno (gone).
 */
static int procs_read_identity(struct procs *pc, struct pent *e, int pdir)
{
	char buf[PROCS_STAT_MAX], comm[PROCS_COMM_LEN];
	uint64_t start;
	ssize_t n;

	(void)pc;
	n = procs_read_at(pdir, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (procs_parse_stat(buf, (size_t)n, comm, sizeof(comm), &start) != 0)
		return -EINVAL;
	if (e->start_time && e->start_time != start) {
		e->epoch++;
		e->hot = 0;
		e->denied = 0;
		e->have_sig = 0;
		e->info_ok = 0;
		if (e->info)
			memset(e->info, 0, sizeof(*e->info));
	}
	e->start_time = start;
	if (e->info) {
		memcpy(e->info->comm, comm, sizeof(comm));
		e->info->start_time = start;
	}
	return 0;
}

static int procs_denied_errno(int err)
{
	return err == EACCES || err == EPERM;
}

/* Out of descriptors is porttop's limit, not the process's: counted apart
 * so that it is not reported as a namespace or permission problem. */
static int procs_nofile_errno(struct procs *pc, int err)
{
	if (err != EMFILE && err != ENFILE)
		return 0;
	pc->st.nofile++;
	return 1;
}

/* "socket:[N]" -> N, or 0 */
static uint32_t procs_socket_inode(const char *s, size_t n)
{
	const char *p = s + 8, *end = s + n;
	uint64_t v;

	if (n < 10 || memcmp(s, "socket:[", 8) != 0 || s[n - 1] != ']')
		return 0;
	if (procs_u64(&p, end, &v) != 0 || p != end - 1 || v > UINT32_MAX)
		return 0;
	return (uint32_t)v;
}

/*
 * Read the fds of the process in `slot`: map the dump inodes it holds.
 * *unknown is decreased for each inode that was being searched for.
 */
static int procs_scan(struct procs *pc, uint32_t slot, size_t *unknown)
{
	struct pent *e = &pc->pents[slot];
	struct dirent *de;
	struct stat st;
	uint32_t found = 0;
	int pdir, fdd, err = 0;
	DIR *d;

	err = procs_dset_build(pc);
	if (err)
		return err;
	e->scan_gen = pc->gen;
	e->scan_seq = ++pc->scan_seq;
	pdir = procs_open_pid(pc, e->pid);
	if (pdir < 0) {
		(void)procs_nofile_errno(pc, errno);
		return 0;   /* gone: the next listing drops it */
	}
	errno = 0;
	if (procs_read_identity(pc, e, pdir) != 0) {
		(void)procs_nofile_errno(pc, errno);
		close(pdir);
		return 0;
	}
	fdd = openat(pdir, "fd", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fdd < 0) {
		if (procs_nofile_errno(pc, errno))
			;
		else if (procs_denied_errno(errno))
			e->denied = 1;
		close(pdir);
		return 0;
	}
	close(pdir);
	pc->st.read++;
	if (fstat(fdd, &st) == 0) {
		e->sig_size = (uint64_t)st.st_size;
		e->sig_mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 +
			       st.st_mtim.tv_nsec;
		e->have_sig = 1;
	}
	d = fdopendir(fdd);
	if (!d) {
		(void)procs_nofile_errno(pc, errno);
		close(fdd);
		return 0;
	}
	e->epoch++;      /* what it held before may be closed now */
	e->denied = 0;
	e->info_ok = 0;  /* re-read comm and cmdline when next needed */
	while ((de = readdir(d)) != NULL) {
		char link[32];
		struct dset_ent *ds;
		uint32_t ino;
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link));
		if (n < 0) {
			if (procs_denied_errno(errno)) {
				e->denied = 1;
				break;
			}
			continue;   /* closed meanwhile */
		}
		ino = procs_socket_inode(link, (size_t)n);
		if (!ino || !(ds = procs_dset_find(pc, ino)))
			continue;
		err = procs_imap_put(pc, ino, slot);
		if (err)
			break;
		if (ds->flags & DS_UNKNOWN) {
			(*unknown)--;
			found++;
		}
		ds->flags = 0;
	}
	closedir(d);
	if (found)
		e->hot = e->hot + 4 + found > PROCS_HOT_MAX ? PROCS_HOT_MAX :
			 e->hot + 4 + found;
	else
		e->hot /= 2;
	return err;
}

/* comm, uid, cmdline and cgroup of a process that holds dump sockets. */
static int procs_load_info(struct procs *pc, struct pent *e)
{
	char buf[PROCS_CGROUPFILE_MAX > PROCS_STATUS_MAX ?
		 PROCS_CGROUPFILE_MAX : PROCS_STATUS_MAX];
	struct procs_info *in;
	struct stat st;
	uint64_t start = e->start_time;
	ssize_t n, i;
	int pdir;

	if (!e->info) {
		e->info = calloc(1, sizeof(*e->info));
		if (!e->info)
			return -ENOMEM;
	}
	in = e->info;
	pdir = procs_open_pid(pc, e->pid);
	if (pdir < 0)
		return -ESRCH;
	if (procs_read_identity(pc, e, pdir) != 0 || e->start_time != start) {
		/* gone or reused since its fds were read: its inodes are
		 * stale (the identity check bumped the epoch) */
		close(pdir);
		return -ESRCH;
	}
	in->pid = e->pid;
	in->start_time = e->start_time;
	n = procs_read_at(pdir, "status", buf, PROCS_STATUS_MAX);
	if (n < 0 || procs_parse_uid(buf, (size_t)n, &in->uid) != 0)
		in->uid = fstat(pdir, &st) == 0 ? (uint32_t)st.st_uid : UINT32_MAX;

	n = procs_read_at(pdir, "cmdline", buf, PROCS_CMDLINE_MAX);
	if (n < 0)
		n = 0;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	if (n > 0)
		sanitize_text(in->cmdline, sizeof(in->cmdline), buf, (size_t)n);
	else
		snprintf(in->cmdline, sizeof(in->cmdline), "[%s]", in->comm);

	in->cgroup[0] = '\0';
	in->unit[0] = '\0';
	n = procs_read_at(pdir, "cgroup", buf, PROCS_CGROUPFILE_MAX);
	if (n > 0) {
		char path[PROCS_CGROUPFILE_MAX];

		if (procs_parse_cgroup(buf, (size_t)n, path, sizeof(path)) == 0) {
			sanitize_text(in->cgroup, sizeof(in->cgroup), path,
				      strlen(path));
			cgroup_label(path, in->unit, sizeof(in->unit));
		}
	}
	close(pdir);
	e->info_ok = 1;
	return 0;
}

/* ---- one refresh ----------------------------------------------------------- */

/* A few processes per refresh: stat their fd directory, re-read on change. */
static int procs_check_some(struct procs *pc)
{
	size_t budget = PROCS_CHECK_PER_REFRESH, visited, dummy = 0;
	int err = 0;

	for (visited = 0; budget && visited < pc->npents && !err; visited++) {
		struct pent *e;
		char name[24];
		struct stat st;
		uint32_t slot;

		if (pc->rr >= pc->npents)
			pc->rr = 0;
		slot = (uint32_t)pc->rr++;
		e = &pc->pents[slot];
		if (!e->pid || !e->scan_gen || e->scan_gen == pc->gen)
			continue;
		budget--;
		pc->st.checked++;
		if (e->denied) {
			/* unreadable: only notice a reused pid */
			int pdir = procs_open_pid(pc, e->pid);

			if (pdir >= 0) {
				uint64_t before = e->start_time;

				if (procs_read_identity(pc, e, pdir) == 0 &&
				    e->start_time != before)
					e->scan_gen = 0;  /* read it as new */
				close(pdir);
			}
			continue;
		}
		snprintf(name, sizeof(name), "%d/fd", e->pid);
		if (fstatat(pc->rootfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (e->have_sig && e->sig_size == (uint64_t)st.st_size &&
		    e->sig_mtime == (int64_t)st.st_mtim.tv_sec * 1000000000 +
				   st.st_mtim.tv_nsec)
			continue;
		err = procs_scan(pc, slot, &dummy);
	}
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Read processes, most likely owners first, until nothing is unknown. */
static int procs_search(struct procs *pc, size_t *unknown)
{
	size_t n = 0, i;
	int err = 0;

	pc->st.searches++;
	if (array_grow(&pc->cand, &pc->cand_cap, pc->npents + 1,
		       sizeof(uint64_t)))
		return -ENOMEM;
	for (i = 0; i < pc->npents; i++) {
		const struct pent *e = &pc->pents[i];
		uint64_t key;

		if (!e->pid || e->denied || e->scan_gen == pc->gen)
			continue;
		/* hot first, then never read, then by slot */
		key = (uint64_t)(PROCS_HOT_MAX - e->hot) << 40 |
		      (uint64_t)(e->scan_gen ? 1 : 0) << 32 | i;
		pc->cand[n++] = key;
	}
	qsort(pc->cand, n, sizeof(uint64_t), cmp_u64);
	for (i = 0; i < n && *unknown > 0 && !err; i++)
		err = procs_scan(pc, (uint32_t)(pc->cand[i] & 0xffffffffu),
				 unknown);
	return err;
}

static int procs_neg_has(const struct procs *pc, uint32_t ino)
{
	size_t lo = 0, hi = pc->nneg;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pc->neg[mid] == ino)
			return 1;
		if (pc->neg[mid] < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The new negative list: the dump's inodes still unknown (sorted, once
 * each). Inodes gone from the dump leave it. */
static int procs_neg_update(struct procs *pc)
{
	size_t i, n = 0, k;

	for (i = 0; i < pc->nsocks; i++)
		if (pc->socks[i].inode && pc->sslot[i] < 0)
			n++;
	if (array_grow(&pc->neg, &pc->neg_cap, n + 1, sizeof(uint32_t)))
		return -ENOMEM;
	pc->nneg = 0;
	for (i = 0; i < pc->nsocks; i++)
		if (pc->socks[i].inode && pc->sslot[i] < 0)
			pc->neg[pc->nneg++] = pc->socks[i].inode;
	qsort(pc->neg, pc->nneg, sizeof(uint32_t), cmp_u32);
	for (i = 0, k = 0; i < pc->nneg; i++)
		if (k == 0 || pc->neg[k - 1] != pc->neg[i])
			pc->neg[k++] = pc->neg[i];
	pc->nneg = k;
	pc->st.unknown = (uint32_t)pc->nneg;
	return 0;
}

int procs_refresh(struct procs *pc, const struct sock_rec *socks, size_t n,
		  const struct procs_info **owners)
{
	uint32_t searches = pc->st.searches, seq;
	size_t unknown = 0, i;
	int err, search = 0;

	if (owners)
		for (i = 0; i < n; i++)
			owners[i] = NULL;
	pc->gen++;
	if (pc->gen == 0)
		pc->gen = 1;   /* 0 means "never" in scan_gen */
	memset(&pc->st, 0, sizeof(pc->st));
	pc->st.searches = searches;
	pc->socks = socks;
	pc->nsocks = n;
	pc->dset_built = 0;
	pc->born = 0;

	err = array_grow(&pc->sslot, &pc->sslot_cap, n + 1, sizeof(long));
	if (!err)
		err = procs_list(pc);
	if (!err && pc->imap_cap == 0)
		err = procs_imap_rebuild(pc, 1024);
	if (!err)
		err = procs_check_some(pc);
	if (err)
		return err;

	/* Warm path: one lookup per socket, nothing else when all are known
	 * (or known to be nobody's). */
	seq = pc->scan_seq;
	for (i = 0; i < n; i++) {
		uint32_t ino = socks[i].inode;

		pc->sslot[i] = ino ? procs_imap_get(pc, ino) : -1;
		if (ino && pc->sslot[i] < 0 && !procs_neg_has(pc, ino))
			search = 1;
	}
	if (search) {
		err = procs_dset_build(pc);
		for (i = 0; !err && i < n; i++) {
			struct dset_ent *ds;

			if (!socks[i].inode || pc->sslot[i] >= 0)
				continue;
			ds = procs_dset_find(pc, socks[i].inode);
			if (!ds || (ds->flags & (DS_UNKNOWN | DS_NEGATIVE)))
				continue;
			if (procs_neg_has(pc, ds->inode)) {
				ds->flags |= DS_NEGATIVE;
			} else {
				ds->flags |= DS_UNKNOWN;
				unknown++;
			}
		}
		if (!err)
			err = procs_search(pc, &unknown);
	}
	/* Inodes searched for in vain before are not searched again, but a
	 * process that just appeared may hold one (passed to it, or a race
	 * with the listing): new processes are read once in that case. */
	for (i = 0; !err && pc->born && i < n; i++) {
		size_t k;

		if (!socks[i].inode || pc->sslot[i] >= 0)
			continue;
		for (k = 0; !err && k < pc->npents; k++) {
			const struct pent *e = &pc->pents[k];

			if (e->pid && e->born_gen == pc->gen && !e->denied &&
			    e->scan_gen != pc->gen)
				err = procs_scan(pc, (uint32_t)k, &unknown);
		}
		search = 1;
		break;
	}
	/* what was read may have moved sockets */
	for (i = 0; search && !err && i < n; i++)
		if (socks[i].inode &&
		    (pc->sslot[i] < 0 || pc->pents[pc->sslot[i]].scan_seq > seq))
			pc->sslot[i] = procs_imap_get(pc, socks[i].inode);
	if (!err)
		err = procs_neg_update(pc);
	if (err)
		return err;

	for (i = 0; i < pc->npents; i++)
		if (pc->pents[i].pid && pc->pents[i].denied)
			pc->st.denied++;

	for (i = 0; owners && i < n; i++) {
		struct pent *e;

		if (pc->sslot[i] < 0)
			continue;
		e = &pc->pents[pc->sslot[i]];
		if (!e->info_ok) {
			if (e->info_fail_gen == pc->gen)
				continue;
			err = procs_load_info(pc, e);
			if (err == -ENOMEM)
				return err;
			if (err) {
				/* gone or reused: its inodes are stale */
				e->info_fail_gen = pc->gen;
				continue;
			}
		}
		/* a reuse noticed by another socket's info read */
		if (e->info_fail_gen == pc->gen)
			continue;
		owners[i] = e->info;
	}
	/* Drop entries of closed sockets once they outnumber the live ones
	 * (the map keeps only inodes of some dump). */
	if (pc->imap_count > 4 * n + 4096) {
		err = procs_dset_build(pc);
		if (!err)
			err = procs_imap_rebuild(pc, pc->imap_cap);
	}
	return err;
}
