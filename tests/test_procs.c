#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "diag.h"
#include "procs.h"

/*
 * The /proc scanner and its cache against a fixture tree built (and
 * changed) at run time: <root>/PID/{stat,status,cmdline,cgroup,fd/N}.
 */

struct fx {
	char root[512];
	long mtime;              /* fake mtimes: each change gets a new one */
};

static void fx_path(const struct fx *f, char *buf, size_t len,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fx_path(const struct fx *f, char *buf, size_t len,
		    const char *fmt, ...)
{
	va_list ap;
	size_t n = (size_t)snprintf(buf, len, "%s/", f->root);

	assert_true(n < len);
	va_start(ap, fmt);
	assert_true((size_t)vsnprintf(buf + n, len - n, fmt, ap) < len - n);
	va_end(ap);
}

static void fx_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void fx_init(struct fx *f)
{
	const char *tmp = getenv("TMPDIR");

	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "%s/porttop-procs-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->root));
	/* searchable by everyone: the permission test reads it as nobody */
	assert_int_equal(chmod(f->root, 0755), 0);
	f->mtime = 1000000;
}

static void fx_rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char sub[1024];

	if (!d) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
			chmod(sub, 0755);
			fx_rm_tree(sub);
		} else {
			unlink(sub);
		}
	}
	closedir(d);
	rmdir(path);
}

/* Mark the fd directory of pid as changed (what a changed fd count is on
 * a real /proc). */
static void fx_touch_fd(struct fx *f, int pid)
{
	struct timespec ts[2];
	char p[1024];

	fx_path(f, p, sizeof(p), "%d/fd", pid);
	ts[0].tv_sec = ts[1].tv_sec = ++f->mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
}

/* A process; cmdline may hold NULs (cmdlen bytes). */
static void fx_proc(struct fx *f, int pid, const char *comm,
		    unsigned long long start, unsigned uid, const char *cmdline,
		    size_t cmdlen, const char *cgroup)
{
	char p[1024], buf[1024];
	int n;

	fx_path(f, p, sizeof(p), "%d", pid);
	assert_int_equal(mkdir(p, 0755), 0);
	fx_path(f, p, sizeof(p), "%d/fd", pid);
	assert_int_equal(mkdir(p, 0755), 0);
	n = snprintf(buf, sizeof(buf), "%d (%s) S 1 1 1 0 -1 4194560 0 0 0 0 "
		     "0 0 0 0 20 0 1 0 %llu 1000 100 18446744073709551615\n",
		     pid, comm, start);
	fx_path(f, p, sizeof(p), "%d/stat", pid);
	fx_write(p, buf, (size_t)n);
	n = snprintf(buf, sizeof(buf), "Name:\tx\nUmask:\t0022\nState:\tS\n"
		     "Uid:\t%u\t%u\t%u\t%u\nGid:\t0\t0\t0\t0\n",
		     uid + 1, uid, uid, uid);
	fx_path(f, p, sizeof(p), "%d/status", pid);
	fx_write(p, buf, (size_t)n);
	fx_path(f, p, sizeof(p), "%d/cmdline", pid);
	fx_write(p, cmdline, cmdlen);
	n = snprintf(buf, sizeof(buf), "2:cpu:/\n1:name=systemd:/v1/path\n%s%s%s",
		     cgroup ? "0::" : "", cgroup ? cgroup : "", cgroup ? "\n" : "");
	fx_path(f, p, sizeof(p), "%d/cgroup", pid);
	fx_write(p, buf, (size_t)n);
	fx_touch_fd(f, pid);
}

static void fx_fd(struct fx *f, int pid, int fd, const char *target)
{
	char p[1024];

	fx_path(f, p, sizeof(p), "%d/fd/%d", pid, fd);
	assert_int_equal(symlink(target, p), 0);
	fx_touch_fd(f, pid);
}

static void fx_sock(struct fx *f, int pid, int fd, unsigned inode)
{
	char t[64];

	snprintf(t, sizeof(t), "socket:[%u]", inode);
	fx_fd(f, pid, fd, t);
}

/* A new socket fd that leaves the fd directory's signature unchanged
 * (a process that closed one socket and opened another in between). */
static void fx_sock_quiet(struct fx *f, int pid, int fd, unsigned inode)
{
	struct timespec ts[2];
	struct stat st;
	char p[1024], t[64];

	fx_path(f, p, sizeof(p), "%d/fd", pid);
	assert_int_equal(stat(p, &st), 0);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	fx_path(f, p, sizeof(p), "%d/fd/%d", pid, fd);
	snprintf(t, sizeof(t), "socket:[%u]", inode);
	assert_int_equal(symlink(t, p), 0);
	fx_path(f, p, sizeof(p), "%d/fd", pid);
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static void fx_unfd(struct fx *f, int pid, int fd)
{
	char p[1024];

	fx_path(f, p, sizeof(p), "%d/fd/%d", pid, fd);
	assert_int_equal(unlink(p), 0);
	fx_touch_fd(f, pid);
}

static void fx_rmproc(struct fx *f, int pid)
{
	char p[1024];

	fx_path(f, p, sizeof(p), "%d", pid);
	fx_rm_tree(p);
}

static void fx_done(struct fx *f)
{
	fx_rm_tree(f->root);
}

/* Sockets with these inodes (0 ends the list). */
static size_t socks_of(struct sock_rec *v, size_t cap, ...)
{
	va_list ap;
	size_t n = 0;
	unsigned ino;

	va_start(ap, cap);
	while ((ino = va_arg(ap, unsigned)) != 0) {
		assert_true(n < cap);
		memset(&v[n], 0, sizeof(v[n]));
		v[n].inode = ino;
		v[n].proto = 6;
		v[n].state = SOCK_ESTABLISHED;
		n++;
	}
	va_end(ap);
	return n;
}

static int owner_pid(const struct procs_info *in)
{
	return in ? in->pid : 0;
}

/* ---- parsers --------------------------------------------------------------- */

static void test_parse_stat(void **state)
{
	static const char hostile[] = "77 (a) b) \x1b[2Jc)) S 1 1 1 0 -1 0 0 0 0 0 "
				      "0 0 0 0 20 0 1 0 98765 0\n";
	static const char plain[] = "1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 "
				    "8 20 0 1 0 4 123 456\n";
	char comm[64];
	uint64_t st = 0;

	(void)state;
	assert_int_equal(procs_parse_stat(plain, sizeof(plain) - 1, comm,
					  sizeof(comm), &st), 0);
	assert_string_equal(comm, "init");
	assert_int_equal(st, 4);
	/* comm with spaces, ')' and an escape: parsed from the last ')' */
	assert_int_equal(procs_parse_stat(hostile, sizeof(hostile) - 1, comm,
					  sizeof(comm), &st), 0);
	assert_string_equal(comm, "a) b) ?[2Jc)");
	assert_int_equal(st, 98765);
	/* cut anywhere before field 22: refused */
	assert_int_equal(procs_parse_stat(plain, 40, comm, sizeof(comm), &st),
			 -EINVAL);
	assert_int_equal(procs_parse_stat("5 (x", 4, comm, sizeof(comm), &st),
			 -EINVAL);
	assert_int_equal(procs_parse_stat("no parens", 9, comm, sizeof(comm), &st),
			 -EINVAL);
	assert_int_equal(procs_parse_stat(") (", 3, comm, sizeof(comm), &st),
			 -EINVAL);
	/* a start time past 64 bits, or not a number */
	{
		static const char big[] = "1 (x) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 "
					  "0 1 0 99999999999999999999 0\n";
		static const char word[] = "1 (x) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 "
					   "0 1 0 abc 0\n";

		assert_int_equal(procs_parse_stat(big, sizeof(big) - 1, comm,
						  sizeof(comm), &st), -EINVAL);
		assert_int_equal(procs_parse_stat(word, sizeof(word) - 1, comm,
						  sizeof(comm), &st), -EINVAL);
	}
}

static void test_parse_uid_cgroup(void **state)
{
	static const char status[] = "Name:\tx\nUid:\t1000\t1001\t1002\t1003\n";
	static const char v2[] = "12:pids:/a\n0::/system.slice/x.service\n";
	static const char v1[] = "3:cpu:/\n1:name=systemd:/user.slice/u\n";
	char path[64];
	uint32_t uid = 0;

	(void)state;
	assert_int_equal(procs_parse_uid(status, sizeof(status) - 1, &uid), 0);
	assert_int_equal(uid, 1001);   /* the effective uid */
	assert_int_equal(procs_parse_uid("Uid:\t5\n", 7, &uid), -EINVAL);
	assert_int_equal(procs_parse_uid("Uid:\t5\t99999999999\n", 19, &uid),
			 -EINVAL);
	assert_int_equal(procs_parse_uid("Gid:\t1\t2\n", 9, &uid), -EINVAL);

	assert_int_equal(procs_parse_cgroup(v2, sizeof(v2) - 1, path,
					    sizeof(path)), 0);
	assert_string_equal(path, "/system.slice/x.service");
	assert_int_equal(procs_parse_cgroup(v1, sizeof(v1) - 1, path,
					    sizeof(path)), 0);
	assert_string_equal(path, "/user.slice/u");
	/* cut to the buffer */
	assert_int_equal(procs_parse_cgroup(v2, sizeof(v2) - 1, path, 8), 0);
	assert_string_equal(path, "/system");
	assert_int_equal(procs_parse_cgroup("0::\n", 4, path, sizeof(path)),
			 -EINVAL);
	assert_int_equal(procs_parse_cgroup("garbage", 7, path, sizeof(path)),
			 -EINVAL);
}

/* ---- the cache ------------------------------------------------------------- */

static void test_new_and_warm(void **state)
{
	static const char cmd[] = "nginx: worker\0--flag\0\x1b[31m\0";
	const struct procs_info *own[8];
	struct sock_rec v[8];
	struct procs_stats st;
	struct procs *pc;
	struct fx f;
	size_t n;
	int p;

	(void)state;
	fx_init(&f);
	fx_proc(&f, 100, "nginx", 500, 33, cmd, sizeof(cmd) - 1,
		"/system.slice/nginx.service");
	fx_sock(&f, 100, 3, 1000);
	fx_sock(&f, 100, 4, 1001);
	fx_fd(&f, 100, 5, "/dev/null");
	fx_fd(&f, 100, 6, "pipe:[1002]");
	fx_proc(&f, 200, "curl", 600, 0, "curl\0http://x\0", 14, NULL);
	fx_sock(&f, 200, 3, 2000);
	for (p = 300; p < 310; p++)       /* processes without sockets */
		fx_proc(&f, p, "idle", 700, 0, "idle", 4, NULL);

	assert_int_equal(procs_new(&pc, f.root), 0);
	n = socks_of(v, 8, 1000, 2000, 1001, 4242, 0);
	v[4] = v[0];
	v[4].inode = 0;                   /* a TIME_WAIT entry: no inode */
	n++;
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	assert_int_equal(owner_pid(own[0]), 100);
	assert_int_equal(owner_pid(own[1]), 200);
	assert_int_equal(owner_pid(own[2]), 100);
	assert_null(own[3]);              /* nobody holds 4242 */
	assert_null(own[4]);
	assert_ptr_equal(own[0], own[2]);
	assert_string_equal(own[0]->comm, "nginx");
	assert_string_equal(own[0]->cmdline, "nginx: worker --flag ?[31m");
	assert_string_equal(own[0]->cgroup, "/system.slice/nginx.service");
	assert_string_equal(own[0]->unit, "unit:nginx.service");
	assert_int_equal(own[0]->uid, 33);
	assert_int_equal(own[0]->start_time, 500);
	/* no cgroup v2 line: the name=systemd one */
	assert_string_equal(own[1]->cgroup, "/v1/path");
	assert_string_equal(own[1]->unit, "");
	procs_get_stats(pc, &st);
	assert_int_equal(st.procs, 12);
	assert_int_equal(st.unknown, 1);
	assert_int_equal(st.searches, 1);
	assert_true(st.read >= 2);

	/* warm: nothing changed, so no fd directory is read and the inode
	 * nobody holds does not start another search */
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	procs_get_stats(pc, &st);
	assert_int_equal(st.read, 0);
	assert_int_equal(st.searches, 1);
	assert_int_equal(st.unknown, 1);
	assert_true(st.checked <= PROCS_CHECK_PER_REFRESH);
	assert_int_equal(owner_pid(own[0]), 100);
	assert_int_equal(owner_pid(own[1]), 200);

	/* a new socket of an existing process whose fd directory looks the
	 * same: a targeted search finds it, reading the processes that
	 * produced sockets before, not all twelve */
	fx_sock_quiet(&f, 200, 4, 2001);
	n = socks_of(v, 8, 1000, 2000, 1001, 2001, 0);
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	assert_int_equal(owner_pid(own[3]), 200);
	procs_get_stats(pc, &st);
	assert_int_equal(st.searches, 2);
	assert_true(st.read >= 1 && st.read <= 2);
	assert_int_equal(st.unknown, 0);

	/* a changed fd directory is noticed by the round-robin check alone */
	fx_sock(&f, 100, 9, 1009);
	n = socks_of(v, 8, 1000, 2000, 1001, 2001, 1009, 0);
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	assert_int_equal(owner_pid(own[4]), 100);
	procs_get_stats(pc, &st);
	assert_int_equal(st.searches, 2);
	assert_int_equal(st.read, 1);

	procs_free(pc);
	fx_done(&f);
}

static void test_exit_reuse_close(void **state)
{
	const struct procs_info *own[8];
	struct sock_rec v[8];
	struct procs_stats st;
	struct procs *pc;
	struct fx f;
	size_t n;

	(void)state;
	fx_init(&f);
	fx_proc(&f, 100, "old", 500, 0, "old", 3, NULL);
	fx_sock(&f, 100, 3, 1000);
	fx_proc(&f, 200, "keep", 600, 0, "keep", 4, NULL);
	fx_sock(&f, 200, 3, 2000);
	fx_sock(&f, 200, 4, 2001);
	fx_proc(&f, 300, "gone", 700, 0, "gone", 4, NULL);
	fx_sock(&f, 300, 3, 3000);
	assert_int_equal(procs_new(&pc, f.root), 0);
	n = socks_of(v, 8, 1000, 2000, 2001, 3000, 0);
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	assert_int_equal(owner_pid(own[0]), 100);
	assert_int_equal(owner_pid(own[3]), 300);

	/* pid 300 exits; pid 100 is reused by another process (other start
	 * time) holding 1001 and no longer 1000; pid 200 closes fd 3 (its
	 * socket 2000 lives on, held by nobody we can see) */
	fx_rmproc(&f, 300);
	fx_rmproc(&f, 100);
	fx_proc(&f, 100, "new", 900, 0, "new", 3, NULL);
	fx_sock(&f, 100, 7, 1001);
	fx_unfd(&f, 200, 3);
	n = socks_of(v, 8, 1000, 2000, 2001, 3000, 1001, 0);
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	assert_null(own[0]);              /* the old process's socket */
	assert_null(own[1]);              /* closed by 200 */
	assert_int_equal(owner_pid(own[2]), 200);
	assert_null(own[3]);              /* its process exited */
	assert_int_equal(owner_pid(own[4]), 100);
	assert_string_equal(own[4]->comm, "new");
	assert_int_equal(own[4]->start_time, 900);
	procs_get_stats(pc, &st);
	assert_int_equal(st.procs, 2);
	assert_int_equal(st.unknown, 3);

	/* pid 200 reused again: the re-read notices the new start time */
	fx_rmproc(&f, 200);
	fx_proc(&f, 200, "again", 1200, 0, "again", 5, NULL);
	fx_sock(&f, 200, 4, 2001);
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	assert_int_equal(owner_pid(own[2]), 200);
	assert_string_equal(own[2]->comm, "again");
	assert_int_equal(own[2]->start_time, 1200);

	procs_free(pc);
	fx_done(&f);
}

/* An inode number that left the dump and came back names a new socket
 * (the kernel's inode counter wraps): not the old holder's, even when the
 * old holder's fd directory looks unchanged. */
static void test_inode_reuse(void **state)
{
	const struct procs_info *own[2];
	struct sock_rec v[2];
	struct timespec ts[2];
	struct procs *pc;
	struct stat st;
	char p[1024];
	struct fx f;
	size_t n;
	int i;

	(void)state;
	fx_init(&f);
	fx_proc(&f, 100, "old", 500, 0, "old", 3, NULL);
	fx_sock(&f, 100, 3, 7000);
	assert_int_equal(procs_new(&pc, f.root), 0);
	n = socks_of(v, 2, 7000, 0);
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	assert_int_equal(owner_pid(own[0]), 100);
	/* 100 closes it; its fd directory keeps its signature */
	fx_path(&f, p, sizeof(p), "100/fd");
	assert_int_equal(stat(p, &st), 0);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	fx_path(&f, p, sizeof(p), "100/fd/3");
	assert_int_equal(unlink(p), 0);
	fx_path(&f, p, sizeof(p), "100/fd");
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(procs_refresh(pc, v, 0, own), 0);
	/* a new process's socket gets the same inode number */
	fx_proc(&f, 200, "new", 900, 0, "new", 3, NULL);
	fx_sock(&f, 200, 3, 7000);
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	assert_int_equal(owner_pid(own[0]), 200);
	procs_free(pc);
	fx_done(&f);
}

/* Hostile trees: a symlinked stat, garbage files, odd names. */
static void test_hostile_tree(void **state)
{
	const struct procs_info *own[4];
	struct sock_rec v[4];
	struct procs *pc;
	char p[1024], big[8192];
	struct fx f;
	size_t n;

	(void)state;
	fx_init(&f);
	fx_proc(&f, 100, "x", 500, 0, "x", 1, NULL);
	fx_sock(&f, 100, 3, 1000);
	fx_path(&f, p, sizeof(p), "100/stat");
	unlink(p);
	assert_int_equal(symlink("/proc/self/stat", p), 0);   /* not followed */
	fx_proc(&f, 200, "y", 600, 0, "y", 1, NULL);
	fx_sock(&f, 200, 3, 2000);
	fx_fd(&f, 200, 4, "socket:[99999999999]");             /* > 32 bits */
	fx_fd(&f, 200, 5, "socket:[12");
	fx_fd(&f, 200, 6, "socket:[]");
	memset(big, 'A', sizeof(big));
	fx_path(&f, p, sizeof(p), "200/status");
	fx_write(p, big, sizeof(big));                          /* no Uid: */
	fx_path(&f, p, sizeof(p), "200/cmdline");
	fx_write(p, big, sizeof(big));                          /* too long */
	fx_path(&f, p, sizeof(p), "0123");                      /* not a pid */
	assert_int_equal(mkdir(p, 0755), 0);
	fx_path(&f, p, sizeof(p), "99999999999");
	assert_int_equal(mkdir(p, 0755), 0);

	assert_int_equal(procs_new(&pc, f.root), 0);
	n = socks_of(v, 4, 1000, 2000, 12, 0);
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	assert_null(own[0]);
	assert_int_equal(owner_pid(own[1]), 200);
	assert_null(own[2]);
	assert_int_equal(strlen(own[1]->cmdline), PROCS_CMDLINE_LEN - 1);
	procs_free(pc);
	fx_done(&f);

	/* a procroot that does not exist */
	assert_int_equal(procs_new(&pc, "/nonexistent/porttop/proc"), 0);
	assert_int_equal(procs_refresh(pc, v, n, own), -ENOENT);
	assert_null(own[1]);
	procs_free(pc);
}

/* A process whose fds cannot be read: counted, never guessed. Run as a
 * user without privilege over the fixture (nobody when we are root). */
static void test_permission_denied(void **state)
{
	const struct procs_info *own[4];
	struct sock_rec v[4];
	struct procs_stats st;
	char p[1024];
	struct fx f;
	pid_t child;
	int status, up[2], down[2];
	size_t n;

	(void)state;
	fx_init(&f);
	fx_proc(&f, 100, "mine", 500, 0, "mine", 4, NULL);
	fx_sock(&f, 100, 3, 1000);
	fx_proc(&f, 200, "theirs", 600, 0, "theirs", 6, NULL);
	fx_sock(&f, 200, 3, 2000);
	fx_path(&f, p, sizeof(p), "200/fd");
	assert_int_equal(chmod(p, 0), 0);
	n = socks_of(v, 4, 1000, 2000, 0);
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct procs *pc;
		int code = 0;
		char c = 'x';

		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(10);
		if (procs_new(&pc, f.root) != 0 || procs_refresh(pc, v, n, own) != 0)
			_exit(11);
		procs_get_stats(pc, &st);
		if (owner_pid(own[0]) != 100)
			code = 12;
		else if (own[1] != NULL)
			code = 13;
		else if (st.denied != 1)
			code = 14;
		else if (st.unknown != 1)
			code = 15;
		/* pid 200 is reused by a readable process: noticed by its
		 * start time, and read */
		if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(16);
		n = socks_of(v, 4, 1000, 2001, 0);
		if (procs_refresh(pc, v, n, own) != 0)
			_exit(17);
		procs_get_stats(pc, &st);
		if (!code && owner_pid(own[1]) != 200)
			code = 18;
		else if (!code && (st.denied != 0 || st.unknown != 0))
			code = 19;
		procs_free(pc);
		_exit(code);
	}
	{
		char c;

		assert_int_equal(read(up[0], &c, 1), 1);
		fx_rmproc(&f, 200);
		fx_proc(&f, 200, "reborn", 1600, 0, "reborn", 6, NULL);
		fx_sock(&f, 200, 3, 2001);
		assert_int_equal(write(down[1], &c, 1), 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
	fx_done(&f);
}

/* An inode nobody held is not searched for again, but a process that
 * appears later holding it is read once and found. */
static void test_newborn_holder(void **state)
{
	const struct procs_info *own[2];
	struct sock_rec v[2];
	struct procs_stats st;
	struct procs *pc;
	struct fx f;
	size_t n;
	int p;

	(void)state;
	fx_init(&f);
	for (p = 100; p < 120; p++)
		fx_proc(&f, p, "idle", 500, 0, "idle", 4, NULL);
	assert_int_equal(procs_new(&pc, f.root), 0);
	n = socks_of(v, 2, 5000, 0);
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	assert_null(own[0]);
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	procs_get_stats(pc, &st);
	assert_int_equal(st.searches, 1);
	assert_int_equal(st.read, 0);
	fx_proc(&f, 300, "late", 900, 0, "late", 4, NULL);
	fx_sock(&f, 300, 3, 5000);
	assert_int_equal(procs_refresh(pc, v, n, own), 0);
	assert_int_equal(owner_pid(own[0]), 300);
	procs_get_stats(pc, &st);
	assert_int_equal(st.searches, 1);
	assert_int_equal(st.read, 1);     /* the new process only */
	procs_free(pc);
	fx_done(&f);
}

static void test_user_name(void **state)
{
	struct procs *pc;
	char buf[PROCS_USER_LEN];

	(void)state;
	assert_int_equal(procs_new(&pc, "/proc"), 0);
	assert_string_equal(procs_user_name(pc, 0, buf, sizeof(buf)), "root");
	assert_string_equal(procs_user_name(pc, 4000000001u, buf, sizeof(buf)),
			    "4000000001");
	/* cached: same answers */
	assert_string_equal(procs_user_name(pc, 0, buf, sizeof(buf)), "root");
	procs_free(pc);
}

/* Many processes: the cache stays consistent through churn. */
static void test_many_processes(void **state)
{
	const struct procs_info *own[400];
	struct sock_rec v[400];
	struct procs_stats st;
	struct procs *pc;
	struct fx f;
	int i, round;

	(void)state;
	fx_init(&f);
	for (i = 0; i < 200; i++) {
		fx_proc(&f, 1000 + i, "w", 100 + (unsigned)i, 0, "w", 1, NULL);
		fx_sock(&f, 1000 + i, 3, 50000u + (unsigned)i);
	}
	assert_int_equal(procs_new(&pc, f.root), 0);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 200; i++) {
			memset(&v[i], 0, sizeof(v[i]));
			v[i].inode = 50000u + (unsigned)i +
				     (round == 2 && i % 2 ? 100000u : 0);
		}
		if (round == 2) {
			/* every odd process swaps its socket for a new one */
			for (i = 1; i < 200; i += 2) {
				fx_unfd(&f, 1000 + i, 3);
				fx_sock(&f, 1000 + i, 3, 150000u + (unsigned)i);
			}
		}
		assert_int_equal(procs_refresh(pc, v, 200, own), 0);
		for (i = 0; i < 200; i++)
			assert_int_equal(owner_pid(own[i]), 1000 + i);
		procs_get_stats(pc, &st);
		if (round == 1)
			assert_int_equal(st.read, 0);
		assert_int_equal(st.unknown, 0);
	}
	procs_free(pc);
	fx_done(&f);
}

/* ---- cgroup ------------------------------------------------------------------ */

static void check_label(const char *path, const char *want)
{
	char buf[CGROUP_LABEL_MAX];

	assert_int_equal(cgroup_label(path, buf, sizeof(buf)), want[0] != 0);
	assert_string_equal(buf, want);
}

static void test_cgroup_labels(void **state)
{
	static const char id[] =
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", id);
	check_label(path, "docker:0123456789ab");
	snprintf(path, sizeof(path), "/docker/%s", id);
	check_label(path, "docker:0123456789ab");
	snprintf(path, sizeof(path), "/kubepods.slice/kubepods-burstable.slice/"
		 "kubepods-burstable-pod1b2c3d4e_0000_4111_8222_333344445555.slice/"
		 "cri-containerd-%s.scope", id);
	check_label(path, "pod:1b2c3d4e-0000-4111-8222-333344445555");
	snprintf(path, sizeof(path), "/kubepods/besteffort/"
		 "pod1b2c3d4e-0000-4111-8222-333344445555/%s", id);
	check_label(path, "pod:1b2c3d4e-0000-4111-8222-333344445555");
	snprintf(path, sizeof(path), "/kubepods.slice/"
		 "kubepods-pod1b2c3d4e_0000_4111_8222_333344445555.slice");
	check_label(path, "pod:1b2c3d4e-0000-4111-8222-333344445555");
	snprintf(path, sizeof(path), "/system.slice/cri-containerd-%s.scope", id);
	check_label(path, "containerd:0123456789ab");
	snprintf(path, sizeof(path), "/machine.slice/libpod-%s.scope", id);
	check_label(path, "podman:0123456789ab");
	check_label("/system.slice/nginx.service", "unit:nginx.service");
	check_label("/user.slice/user-1000.slice/user@1000.service/app.slice/"
		    "foo.service", "unit:foo.service");
	check_label("/user.slice/user-1000.slice/session-2.scope", "");
	check_label("/", "");
	check_label("", "");
	check_label("/.service", "");
	check_label("/system.slice/docker-0123.scope", "");   /* short id */
	check_label("/system.slice/ev\x1b[2Jil.service", "unit:ev?[2Jil.service");
	{
		char small[8];

		/* a label that does not fit is not cut into a wrong one */
		assert_int_equal(cgroup_label("/system.slice/nginx.service", small,
					      sizeof(small)), 0);
		assert_string_equal(small, "");
	}
}

static void test_cgroup_mount(void **state)
{
	static const char mi[] =
		"22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
		"30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
		"bad line\n"
		"40 30 0:37 / /sys/fs/cgroup/my\\040unified rw shared:9 - cgroup2 "
		"cgroup2 rw\n";
	static const char none[] = "22 1 0:21 / /proc rw - proc proc rw\n";
	char p[1024], buf[256];
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_path(&f, p, sizeof(p), "self");
	assert_int_equal(mkdir(p, 0755), 0);
	fx_path(&f, p, sizeof(p), "self/mountinfo");
	fx_write(p, mi, sizeof(mi) - 1);
	assert_int_equal(cgroup_find_mount(f.root, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/my unified");
	assert_int_equal(cgroup_find_mount(f.root, buf, 10), -ENAMETOOLONG);
	fx_write(p, none, sizeof(none) - 1);
	assert_int_equal(cgroup_find_mount(f.root, buf, sizeof(buf)), -ENOENT);
	fx_done(&f);
	assert_true(cgroup_find_mount("/nonexistent/x", buf, sizeof(buf)) < 0);
}

static uint64_t ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_ino;
}

static void test_cgroup_cache(void **state)
{
	struct cgroup_cache *c;
	char p[1024], cg[1024];
	const char *path;
	uint64_t a, b, late;
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_path(&f, cg, sizeof(cg), "cg");
	assert_int_equal(mkdir(cg, 0755), 0);
	fx_path(&f, p, sizeof(p), "cg/system.slice");
	assert_int_equal(mkdir(p, 0755), 0);
	fx_path(&f, p, sizeof(p), "cg/system.slice/nginx.service");
	assert_int_equal(mkdir(p, 0755), 0);
	a = ino_of(p);
	fx_path(&f, p, sizeof(p), "cg/system.slice/cgroup.procs");
	fx_write(p, "1\n", 2);            /* files are not cgroups */
	fx_path(&f, p, sizeof(p), "cg/link");
	assert_int_equal(symlink("/", p), 0);   /* never followed */
	b = ino_of(cg);

	assert_int_equal(cgroup_cache_new(&c, cg), 0);
	assert_int_equal(cgroup_cache_walks(c), 0);
	path = cgroup_cache_path(c, a);
	assert_non_null(path);
	assert_string_equal(path, "/system.slice/nginx.service");
	assert_int_equal(cgroup_cache_walks(c), 1);
	path = cgroup_cache_path(c, b);
	assert_non_null(path);
	assert_string_equal(path, "/");
	fx_path(&f, p, sizeof(p), "cg/system.slice/cgroup.procs");
	assert_null(cgroup_cache_path(c, ino_of(p)));
	assert_null(cgroup_cache_path(c, 0));
	assert_int_equal(cgroup_cache_walks(c), 2);
	/* an id no walk finds costs one walk, not one per lookup */
	assert_null(cgroup_cache_path(c, ino_of(p)));
	assert_int_equal(cgroup_cache_walks(c), 2);
	/* a cgroup created later is found by a new walk */
	fx_path(&f, p, sizeof(p), "cg/system.slice/late.service");
	assert_int_equal(mkdir(p, 0755), 0);
	late = ino_of(p);
	path = cgroup_cache_path(c, late);
	assert_non_null(path);
	assert_string_equal(path, "/system.slice/late.service");
	assert_int_equal(cgroup_cache_walks(c), 3);
	assert_string_equal(cgroup_cache_path(c, a), "/system.slice/nginx.service");
	assert_int_equal(cgroup_cache_walks(c), 3);
	cgroup_cache_free(c);

	/* no cgroup2 mount: nothing, and no walk */
	assert_int_equal(cgroup_cache_new(&c, NULL), 0);
	assert_null(cgroup_cache_path(c, a));
	assert_int_equal(cgroup_cache_walks(c), 0);
	cgroup_cache_free(c);
	cgroup_cache_free(NULL);
	fx_done(&f);
}

/* ---- the cgroup id of a socket (engine/diag.c) ----------------------------- */

/* A TCP message for port 40000 with an INET_DIAG_CGROUP_ID attribute of
 * alen bytes (8 is right), or none when alen is 0. */
static struct nlmsghdr *diag_msg(char *buf, size_t alen, uint64_t id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_msg *m;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->idiag_family = AF_INET;
	m->idiag_state = SOCK_ESTABLISHED;
	m->id.idiag_sport = htons(40000);
	m->idiag_uid = 1000;
	m->idiag_inode = 4242;
	if (alen == 8)
		mnl_attr_put_u64(nlh, INET_DIAG_CGROUP_ID, id);
	else if (alen)
		mnl_attr_put(nlh, INET_DIAG_CGROUP_ID, alen, &id);
	return nlh;
}

static void test_diag_cgroup_id(void **state)
{
	union {
		struct nlmsghdr h;
		char b[512];
	} buf;
	struct sock_rec r;

	(void)state;
	memset(&buf, 0, sizeof(buf));
	assert_int_equal(diag_parse_msg(diag_msg(buf.b, 8, 0x1122334455667788ULL),
					IPPROTO_TCP, &r), 0);
	assert_int_equal(r.cgroup_id, 0x1122334455667788ULL);
	assert_int_equal(r.uid, 1000);
	assert_int_equal(r.inode, 4242);
	memset(&buf, 0, sizeof(buf));
	assert_int_equal(diag_parse_msg(diag_msg(buf.b, 0, 0), IPPROTO_TCP, &r), 0);
	assert_int_equal(r.cgroup_id, 0);
	/* a cgroup id of the wrong size: malformed, not half-read */
	memset(&buf, 0, sizeof(buf));
	assert_int_equal(diag_parse_msg(diag_msg(buf.b, 4, 7), IPPROTO_TCP, &r),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_uid_cgroup),
		cmocka_unit_test(test_new_and_warm),
		cmocka_unit_test(test_exit_reuse_close),
		cmocka_unit_test(test_inode_reuse),
		cmocka_unit_test(test_hostile_tree),
		cmocka_unit_test(test_permission_denied),
		cmocka_unit_test(test_newborn_holder),
		cmocka_unit_test(test_user_name),
		cmocka_unit_test(test_many_processes),
		cmocka_unit_test(test_cgroup_labels),
		cmocka_unit_test(test_cgroup_mount),
		cmocka_unit_test(test_cgroup_cache),
		cmocka_unit_test(test_diag_cgroup_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
