#ifndef PORTTOP_PROCS_H
#define PORTTOP_PROCS_H

#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "sock.h"

/*
 * procs: which process holds which socket, from /proc/PID/fd
 * ("socket:[INODE]" links), kept in a cache across samples.
 *
 * Reading every fd of every process costs as much as `ss -p` (a readlink
 * per open file on the host), so the cache does it only when it must:
 *
 *  - every refresh lists <procroot> (one directory read) to learn which
 *    processes appeared and which are gone; a gone pid drops its inodes;
 *  - the inodes of the sockets in the current dump are looked up; only
 *    when some are unknown are processes read, in order of likelihood
 *    (processes that produced new sockets recently, then processes never
 *    read, then the rest), stopping as soon as every inode is found;
 *    inodes that a read of every readable process did not find (sockets
 *    held by no process, or by processes that cannot be read) are
 *    remembered and do not trigger another search while they live, but
 *    processes that appear later are read once for them;
 *  - a few processes per refresh (PROCS_CHECK_PER_REFRESH, round robin)
 *    have their fd directory stat()ed; when it changed (its size is the
 *    number of open files on Linux 6.2 and later; its mtime on other
 *    trees) the process is read again, which also notices a reused pid:
 *    its start time (stat field 22) no longer matches.
 *
 * A warm refresh where nothing changed is one directory listing, a hash
 * lookup per socket and PROCS_CHECK_PER_REFRESH stat() calls.
 *
 * Only inodes of the dump are mapped, and entries of closed sockets are
 * pruned, so the cache is bounded by the dump (and by PROCS_MAX_PROCS
 * processes). An inode missing from two dumps in a row is not trusted
 * again: the kernel's inode counter wraps, so the number may come back
 * for another socket.
 * A socket shared by several processes (inherited across fork, passed
 * over a unix socket) is attributed to the first process found holding it.
 *
 * Every file is read with a bounded buffer, opened relative to the
 * process's own directory with O_NOFOLLOW | O_CLOEXEC, and parsed as
 * hostile: comm may hold spaces and ')' (stat is parsed from the last
 * ')'), cmdline and cgroup paths may hold anything (sanitised).
 */

#define PROCS_CHECK_PER_REFRESH 64
#define PROCS_MAX_PROCS 262144
#define PROCS_COMM_LEN 64
#define PROCS_CMDLINE_LEN 256
#define PROCS_CGROUP_LEN 256
#define PROCS_USER_LEN 32

/* What the cache knows about one process. */
struct procs_info {
	int pid;
	uint32_t uid;              /* effective uid (status "Uid:"), else the
				      owner of /proc/PID */
	uint64_t start_time;       /* stat field 22: clock ticks after boot */
	char comm[PROCS_COMM_LEN];         /* sanitised */
	char cmdline[PROCS_CMDLINE_LEN];   /* sanitised, arguments joined by
					      spaces, cut; "[comm]" when the
					      process has none (kernel threads,
					      zombies) */
	char cgroup[PROCS_CGROUP_LEN];     /* cgroup v2 path ("0::" line, else
					      name=systemd), sanitised, cut;
					      "" when unknown */
	char unit[CGROUP_LABEL_MAX];       /* cgroup_label() of the full path */
};

struct procs_stats {
	uint32_t procs;            /* processes listed by the last refresh */
	uint32_t read;             /* fd directories read by it */
	uint32_t checked;          /* fd directories stat()ed by it */
	uint32_t denied;           /* processes known to be unreadable (their
				      fds need root or CAP_SYS_PTRACE +
				      CAP_DAC_READ_SEARCH) */
	uint32_t unknown;          /* dump inodes no process was found for */
	uint32_t searches;         /* refreshes that had to search so far */
	uint32_t overflow;         /* processes ignored past PROCS_MAX_PROCS */
	uint32_t nofile;           /* processes not read for want of file
				      descriptors (EMFILE, ENFILE) */
};

struct procs;

/*
 * Create a cache over <procroot> (copied; "/proc" in production, a
 * fixture tree in tests). Nothing is read yet. Returns 0 or -ENOMEM.
 */
int procs_new(struct procs **out, const char *procroot);
void procs_free(struct procs *pc);

/*
 * Bring the cache up to date for the sockets socks[0..n) and set
 * owners[i] to the process holding socks[i] (by its inode), or NULL when
 * none is known (inode 0: TIME_WAIT, request sockets, orphans; or no
 * readable process holds it). The pointers stay valid until the next
 * refresh or procs_free(). owners may be NULL (the cache is still
 * refreshed). Returns 0, or a negative errno when <procroot> cannot be
 * listed or memory runs out (owners are then all NULL).
 */
int procs_refresh(struct procs *pc, const struct sock_rec *socks, size_t n,
		  const struct procs_info **owners);

/* Statistics of the last refresh. */
void procs_get_stats(const struct procs *pc, struct procs_stats *st);

/*
 * The name of user `uid` (cached; the uid in decimal when it has none)
 * into buf. Returns buf.
 */
const char *procs_user_name(struct procs *pc, uint32_t uid, char *buf,
			    size_t len);

/*
 * Parsers, exposed for tests. Each takes the bytes of a file (not
 * NUL-terminated, any content) and returns 0 or -EINVAL.
 * procs_parse_stat: comm (sanitised into comm, of size commlen) and the
 * start time, field 22, parsed from the last ')'.
 * procs_parse_uid: the effective uid from a status file's "Uid:" line.
 * procs_parse_cgroup: the cgroup v2 path (else the name=systemd one),
 * copied raw and NUL-terminated into path (of size pathlen, cut).
 */
int procs_parse_stat(const char *buf, size_t len, char *comm, size_t commlen,
		     uint64_t *start_time);
int procs_parse_uid(const char *buf, size_t len, uint32_t *uid);
int procs_parse_cgroup(const char *buf, size_t len, char *path, size_t pathlen);

#endif
