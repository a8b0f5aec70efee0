#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "model.h"
#include "netns.h"
#include "nlio.h"
#include "out_json.h"
#include "out_openmetrics.h"
#include "out_text.h"
#include "sampler.h"
#include "strbuf.h"
#include "sysctl.h"

#define FIXTURE TESTDATA "/proc-netns"

/* ---- discovery against fixture trees ------------------------------------ */

/* A temporary tree: <dir>/proc and <dir>/run. */
struct tree {
	char dir[256];
};

static void tree_path(const struct tree *t, char *buf, size_t len,
		      const char *rel)
{
	assert_true((size_t)snprintf(buf, len, "%s/%s", t->dir, rel) < len);
}

static void tree_mkdir(const struct tree *t, const char *rel)
{
	char p[512];

	tree_path(t, p, sizeof(p), rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void tree_file(const struct tree *t, const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	tree_path(t, p, sizeof(p), rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void tree_link(const struct tree *t, const char *rel,
		      const char *target)
{
	char p[512];

	tree_path(t, p, sizeof(p), rel);
	assert_int_equal(symlink(target, p), 0);
}

static unsigned long long tree_inode(const struct tree *t, const char *rel)
{
	struct stat st;
	char p[512];

	tree_path(t, p, sizeof(p), rel);
	assert_int_equal(stat(p, &st), 0);
	return (unsigned long long)st.st_ino;
}

static void tree_new(struct tree *t)
{
	snprintf(t->dir, sizeof(t->dir), "%s/porttop-netns.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(t->dir));
	tree_mkdir(t, "proc");
	tree_mkdir(t, "run");
}

static void tree_free(struct tree *t)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

/* A process whose ns/net names the namespace `inode`. */
static void tree_proc(const struct tree *t, int pid, unsigned long long inode,
		      const char *comm)
{
	char rel[128], target[64];

	snprintf(rel, sizeof(rel), "proc/%d", pid);
	tree_mkdir(t, rel);
	snprintf(rel, sizeof(rel), "proc/%d/ns", pid);
	tree_mkdir(t, rel);
	snprintf(rel, sizeof(rel), "proc/%d/ns/net", pid);
	snprintf(target, sizeof(target), "net:[%llu]", inode);
	tree_link(t, rel, target);
	snprintf(rel, sizeof(rel), "proc/%d/comm", pid);
	tree_file(t, rel, comm);
}

/*
 * A copy of the fixture tree tests/data/proc-netns under <dir>/proc, with
 * the symbolic links its links.txt lists (a source tarball cannot carry
 * links that point nowhere, as /proc's ns links do).
 */
static void tree_fixture(struct tree *t, char *proc, size_t len)
{
	char cmd[1024], line[256], path[512];
	FILE *f;

	tree_new(t);
	tree_path(t, proc, len, "proc");
	snprintf(cmd, sizeof(cmd), "cp -R '%s/.' '%s'", FIXTURE, proc);
	assert_int_equal(system(cmd), 0);
	f = fopen(FIXTURE "/links.txt", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *target, *slash;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		target = strchr(line, ' ');
		assert_non_null(target);
		*target++ = '\0';
		snprintf(path, sizeof(path), "%s/%s", proc, line);
		/* make the parent directories (git keeps no empty ones) */
		for (slash = strchr(path + strlen(proc) + 1, '/'); slash;
		     slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			(void)mkdir(path, 0755);
			*slash = '/';
		}
		assert_int_equal(symlink(target, path), 0);
	}
	fclose(f);
}


static void test_discover_fixture(void **state)
{
	struct netns_list l;
	const struct netns_info *in;
	struct tree t;
	char proc[512];

	(void)state;
	tree_fixture(&t, proc, sizeof(proc));
	netns_list_init(&l);
	assert_int_equal(netns_discover(&l, proc, FIXTURE "/no-such-dir"), 0);
	/* pids 1, 2, 100, 101, 200, 300 (a garbage link), 400 (none) */
	assert_int_equal(l.procs, 7);
	assert_int_equal(l.denied, 0);
	assert_false(l.truncated);
	assert_int_equal(l.len, 3);

	/* ours first: self is pid 1 */
	in = &l.v[0];
	assert_true(in->inode == 4026531840ULL);
	assert_string_equal(in->id, "net:[4026531840]");
	assert_true(in->current);
	assert_int_equal(in->nprocs, 2);
	assert_int_equal(in->npids, 2);
	assert_int_equal(in->pids[0], 1);
	assert_int_equal(in->pids[1], 2);
	assert_string_equal(in->comm, "systemd");
	assert_string_equal(in->unit, "");
	assert_string_equal(in->hostname, "");
	assert_string_equal(in->name, "");
	assert_int_equal(in->surveyed, 0);
	assert_int_equal(in->ct_count, -1);

	/* a Docker container in its own UTS namespace */
	in = &l.v[1];
	assert_true(in->inode == 4026532300ULL);
	assert_false(in->current);
	assert_int_equal(in->nprocs, 2);
	assert_int_equal(in->pids[0], 100);
	assert_int_equal(in->pids[1], 101);
	assert_string_equal(in->comm, "nginx");
	assert_string_equal(in->unit, "docker:0123456789ab");
	assert_string_equal(in->hostname, "web-1");

	/* a pod sharing the host's UTS namespace: its hostname file is not
	 * the pod's name and is not read; a hostile comm is sanitised */
	in = &l.v[2];
	assert_true(in->inode == 4026532400ULL);
	assert_int_equal(in->nprocs, 1);
	assert_int_equal(in->pids[0], 200);
	assert_string_equal(in->comm, "pa?use");
	assert_string_equal(in->unit, "pod:1234abcd-5678-90ab-cdef-1234567890ab");
	assert_string_equal(in->hostname, "");

	assert_ptr_equal(netns_list_find(&l, 4026532400ULL), &l.v[2]);
	assert_null(netns_list_find(&l, 12345));
	assert_null(netns_list_find(NULL, 4026532400ULL));

	/* the list is cleared by a new discovery */
	assert_int_equal(netns_discover(&l, proc, FIXTURE "/no-such-dir"), 0);
	assert_int_equal(l.len, 3);
	netns_list_release(&l);
	assert_int_equal(l.len, 0);
	netns_list_release(NULL);

	assert_int_equal(netns_discover(&l, TESTDATA "/no-such-proc", "/x"),
			 -ENOENT);
	tree_free(&t);
}

/* The list as JSON and text: what was found, what was sampled, and why
 * a namespace was not. */
static void test_list_outputs(void **state)
{
	struct netns_list l;
	struct netns_info *in;
	struct strbuf sb;
	struct tree t;
	char proc[512];

	(void)state;
	tree_fixture(&t, proc, sizeof(proc));
	netns_list_init(&l);
	strbuf_init(&sb);
	assert_int_equal(netns_discover(&l, proc, FIXTURE "/no-such-dir"), 0);
	assert_int_equal(l.len, 3);
	/* as netns_survey() leaves them: ours sampled, the container not
	 * enterable, the pod with a NAT destination used up */
	in = &l.v[0];
	in->surveyed = 1;
	in->range_low = 32768;
	in->range_high = 60999;
	in->usable = 28232;
	in->tcp_sockets = 12;
	in->udp_sockets = 3;
	in->time_wait = 4;
	in->ndests = 1;
	in->have_worst = 1;
	in->worst.family = AF_INET;
	in->worst.proto = IPPROTO_TCP;
	inet_pton(AF_INET, "10.0.0.1", in->worst.saddr);
	inet_pton(AF_INET, "10.0.0.9", in->worst.daddr);
	in->worst.dport = 443;
	in->worst.in_use = 232;
	in->worst.available = 28000;
	in->worst.headroom_pct = 99.2;
	in->ct_count = 6;
	in->ct_max = 262144;
	l.v[1].err = -EPERM;
	in = &l.v[2];
	in->surveyed = 1;
	in->range_low = 40000;
	in->range_high = 40099;
	in->usable = 100;
	in->have_nat_worst = 1;
	in->nat_size = 4;
	in->nat_worst.family = AF_INET;
	in->nat_worst.proto = IPPROTO_TCP;
	inet_pton(AF_INET, "10.77.2.1", in->nat_worst.nat_addr);
	inet_pton(AF_INET, "10.77.2.2", in->nat_worst.daddr);
	in->nat_worst.dport = 80;
	in->nat_worst.in_use = 4;
	in->nat_worst.entries = 4;
	in->nat_worst.nat_entries = 4;
	in->nat_worst.established = 4;

	assert_int_equal(out_json_namespaces(&sb, &l, 1763800000.25), 0);
	assert_true(sb.len > 0 && sb.buf[sb.len - 1] == '\n');
	assert_non_null(strstr(sb.buf, "{\"time\": 1763800000.25, "
			       "\"namespaces\": [{\"netns\": \"net:[4026531840]\", "
			       "\"inode\": 4026531840, \"current\": true, "
			       "\"name\": null, \"processes\": 2, \"pids\": [1, 2], "
			       "\"comm\": \"systemd\", \"unit\": \"\", "
			       "\"hostname\": \"\", \"error\": null, "
			       "\"range\": {\"low\": 32768, \"high\": 60999, "
			       "\"usable\": 28232}, \"tcp_sockets\": 12, "
			       "\"udp_sockets\": 3, \"time_wait\": 4, "
			       "\"destinations\": 1, \"worst\": {\"proto\": \"tcp\", "
			       "\"saddr\": \"10.0.0.1\", \"daddr\": \"10.0.0.9\", "
			       "\"dport\": 443, \"in_use\": 232, \"available\": 28000, "
			       "\"headroom_pct\": 99.2}, \"conntrack\": {\"count\": 6, "
			       "\"max\": 262144}, \"nat_worst\": null}"));
	assert_non_null(strstr(sb.buf, "\"hostname\": \"web-1\", \"error\": "
			       "\"Operation not permitted (needs root or "
			       "CAP_SYS_ADMIN)\", \"range\": null"));
	assert_non_null(strstr(sb.buf, "\"nat_worst\": {\"proto\": \"tcp\", "
			       "\"nat_addr\": \"10.77.2.1\", \"daddr\": "
			       "\"10.77.2.2\", \"dport\": 80, \"entries\": 4"));
	assert_non_null(strstr(sb.buf, "], \"processes\": 7, \"denied\": 0, "
			       "\"truncated\": false}\n"));

	strbuf_reset(&sb);
	assert_int_equal(out_text_namespaces(&sb, &l, 1763800000.25), 0);
	assert_non_null(strstr(sb.buf, "3 network namespaces, 7 processes\n"));
	assert_non_null(strstr(sb.buf, "net:[4026531840]*  systemd"));
	assert_non_null(strstr(sb.buf, "tcp 10.0.0.9:443"));
	assert_non_null(strstr(sb.buf, "28000 (99.2%)"));
	assert_non_null(strstr(sb.buf, "6/262144"));
	assert_non_null(strstr(sb.buf, "web-1"));
	assert_non_null(strstr(sb.buf, "(Operation not permitted (needs root "
			       "or CAP_SYS_ADMIN))"));
	assert_non_null(strstr(sb.buf, "pod:1234abcd-5678-90ab-cdef-1234567890ab"));
	assert_non_null(strstr(sb.buf, "10.77.2.2:80 0/4"));
	strbuf_reset(&sb);
	assert_int_equal(out_openmetrics_namespaces(&sb, &l, 1763800000.25), 0);
	assert_non_null(strstr(sb.buf, "\nporttop_netns 3\n"));
	assert_non_null(strstr(sb.buf, "\nporttop_netns_info{netns=\"net:[4026532300]\","
			       "name=\"\",comm=\"nginx\",unit=\"docker:0123456789ab\","
			       "hostname=\"web-1\",current=\"0\"} 1\n"));
	assert_non_null(strstr(sb.buf, "\nporttop_netns_sampled{netns=\"net:[4026532300]\"} 0\n"));
	assert_non_null(strstr(sb.buf, "\nporttop_netns_worst_ports_available{netns=\"net:[4026531840]\"} 28000\n"));
	assert_non_null(strstr(sb.buf, "\nporttop_netns_worst_headroom_ratio{netns=\"net:[4026531840]\"} 0.992\n"));
	assert_non_null(strstr(sb.buf, "\nporttop_netns_nat_worst_ports_available{netns=\"net:[4026532400]\"} 0\n"));
	/* nothing is said of what was not sampled */
	assert_null(strstr(sb.buf, "porttop_netns_tcp_sockets{netns=\"net:[4026532300]\"}"));
	assert_int_equal(out_openmetrics_namespaces(&sb, NULL, 0), -EINVAL);
	assert_int_equal(out_json_namespaces(NULL, &l, 0), -EINVAL);
	assert_int_equal(out_text_namespaces(&sb, NULL, 0), -EINVAL);
	strbuf_release(&sb);
	netns_list_release(&l);
	tree_free(&t);
}

/* Names under the run directory are matched by inode; a plain file that
 * matches no process is not a namespace. */
static void test_discover_names(void **state)
{
	struct netns_list l;
	struct tree t;
	char proc[512], run[512];
	unsigned long long ino;

	(void)state;
	tree_new(&t);
	tree_file(&t, "run/blue", "");
	tree_file(&t, "run/stale", "");
	ino = tree_inode(&t, "run/blue");
	{
		char a[512], b[512];

		/* a second name for the same namespace */
		tree_path(&t, a, sizeof(a), "run/blue");
		tree_path(&t, b, sizeof(b), "run/azure");
		assert_int_equal(link(a, b), 0);
	}
	tree_proc(&t, 600, ino, "client\n");
	tree_proc(&t, 500, ino, "shell\n");
	tree_path(&t, proc, sizeof(proc), "proc");
	tree_path(&t, run, sizeof(run), "run");

	netns_list_init(&l);
	assert_int_equal(netns_discover(&l, proc, run), 0);
	assert_int_equal(l.len, 1);
	assert_true(l.v[0].inode == ino);
	assert_string_equal(l.v[0].name, "azure");
	assert_int_equal(l.v[0].nprocs, 2);
	assert_int_equal(l.v[0].pids[0], 500);
	assert_int_equal(l.v[0].pids[1], 600);
	assert_string_equal(l.v[0].comm, "shell");
	assert_false(l.v[0].current);   /* no "self" in this tree */
	netns_list_release(&l);
	tree_free(&t);
}

/* A container's hostname is read inside its root: an absolute symlink
 * resolves there, not on the host; a FIFO is not read (nor waited on). */
static void test_hostname_contained(void **state)
{
	struct netns_list l;
	struct tree t;
	char proc[512], run[512], p[512];

	(void)state;
	tree_new(&t);
	tree_proc(&t, 700, 4026511111ULL, "app\n");
	tree_link(&t, "proc/700/ns/uts", "uts:[4026511110]");
	tree_mkdir(&t, "proc/700/root");
	tree_mkdir(&t, "proc/700/root/etc");
	tree_file(&t, "proc/700/root/etc/passwd", "inside\n");
	tree_link(&t, "proc/700/root/etc/hostname", "/etc/passwd");
	tree_proc(&t, 800, 4026522222ULL, "app2\n");
	tree_link(&t, "proc/800/ns/uts", "uts:[4026511110]");
	tree_mkdir(&t, "proc/800/root");
	tree_mkdir(&t, "proc/800/root/etc");
	tree_path(&t, p, sizeof(p), "proc/800/root/etc/hostname");
	assert_int_equal(mkfifo(p, 0600), 0);
	tree_path(&t, proc, sizeof(proc), "proc");
	tree_path(&t, run, sizeof(run), "run");
	netns_list_init(&l);
	assert_int_equal(netns_discover(&l, proc, run), 0);
	assert_int_equal(l.len, 2);
	assert_int_equal(l.v[0].pids[0], 700);
	assert_string_equal(l.v[0].hostname, "inside");
	assert_int_equal(l.v[1].pids[0], 800);
	assert_string_equal(l.v[1].hostname, "");
	netns_list_release(&l);
	tree_free(&t);
}

/* The lowest NETNS_MAX_PIDS pids are kept, ascending, whatever the order
 * of the directory. */
static void test_discover_many_pids(void **state)
{
	static const int pids[] = { 90, 7, 55, 3, 1000, 12, 8, 41, 2, 66, 5,
				    300 };
	const size_t n = sizeof(pids) / sizeof(pids[0]);
	struct netns_list l;
	struct tree t;
	char proc[512], run[512];
	size_t i;

	(void)state;
	tree_new(&t);
	for (i = 0; i < n; i++)
		tree_proc(&t, pids[i], 4026599999ULL, "x\n");
	tree_proc(&t, 4, 4026500000ULL, "y\n");
	tree_path(&t, proc, sizeof(proc), "proc");
	tree_path(&t, run, sizeof(run), "run");
	netns_list_init(&l);
	assert_int_equal(netns_discover(&l, proc, run), 0);
	assert_int_equal(l.len, 2);
	/* by lowest pid: 2 < 4 */
	assert_true(l.v[0].inode == 4026599999ULL);
	assert_int_equal(l.v[0].nprocs, n);
	assert_int_equal(l.v[0].npids, NETNS_MAX_PIDS);
	assert_int_equal(l.v[0].pids[0], 2);
	assert_int_equal(l.v[0].pids[1], 3);
	assert_int_equal(l.v[0].pids[2], 5);
	assert_int_equal(l.v[0].pids[3], 7);
	assert_int_equal(l.v[0].pids[4], 8);
	assert_int_equal(l.v[0].pids[5], 12);
	assert_int_equal(l.v[0].pids[6], 41);
	assert_int_equal(l.v[0].pids[7], 55);
	assert_int_equal(l.v[1].pids[0], 4);
	netns_list_release(&l);
	tree_free(&t);
}

/* ---- opening ---------------------------------------------------------------- */

static void test_open_errors(void **state)
{
	struct netns *ns = (struct netns *)&ns;
	struct tree t;
	char run[512];

	(void)state;
	tree_new(&t);
	tree_file(&t, "run/plain", "");
	tree_path(&t, run, sizeof(run), "run");
	assert_int_equal(netns_open(&ns, "/proc", run, ""), -EINVAL);
	assert_null(ns);
	assert_int_equal(netns_open(&ns, "/proc", run, NULL), -EINVAL);
	assert_int_equal(netns_open(&ns, "/proc", run, "a/b"), -EINVAL);
	assert_int_equal(netns_open(&ns, "/proc", run, ".."), -EINVAL);
	assert_int_equal(netns_open(&ns, "/proc", run, "."), -EINVAL);
	assert_int_equal(netns_open(&ns, "/proc", run, "0"), -EINVAL);
	assert_int_equal(netns_open(&ns, "/proc", run, "12x"), -EINVAL);
	assert_int_equal(netns_open(&ns, "/proc", run, "99999999999"), -EINVAL);
	assert_int_equal(netns_open(&ns, "/proc", run, "missing"), -ENOENT);
	/* a stale name: a plain file, not a namespace */
	assert_int_equal(netns_open(&ns, "/proc", run, "plain"), -EINVAL);
	/* no such process (above any pid_max) */
	assert_int_equal(netns_open(&ns, "/proc", run, "999999999"), -ENOENT);
	assert_null(ns);
	assert_string_equal(netns_strerror(-EPERM),
			    "Operation not permitted (needs root or "
			    "CAP_SYS_ADMIN)");
	assert_string_equal(netns_strerror(-ENOENT), "no such namespace");
	assert_string_equal(netns_strerror(-EINVAL), "not a network namespace");
	assert_string_equal(netns_strerror(EPERM), netns_strerror(-EPERM));
	netns_free(NULL);
	assert_int_equal(netns_enter(NULL), 0);
	assert_int_equal(netns_leave(NULL), 0);
	assert_true(netns_is_current(NULL));
	tree_free(&t);
}

static int run_fn(void *arg)
{
	int *calls = arg;

	(*calls)++;
	return 42;
}

/* Our own namespace, by our pid: no privilege needed, enter and leave do
 * nothing. */
static void test_open_self(void **state)
{
	struct netns *ns = NULL;
	char spec[32], link[64];
	ssize_t n;
	int calls = 0;

	(void)state;
	snprintf(spec, sizeof(spec), "%d", (int)getpid());
	assert_int_equal(netns_open(&ns, "/proc", NETNS_RUNDIR, spec), 0);
	assert_non_null(ns);
	assert_true(netns_is_current(ns));
	n = readlink("/proc/self/ns/net", link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_string_equal(netns_id(ns), link);
	snprintf(spec, sizeof(spec), "pid %d", (int)getpid());
	assert_string_equal(netns_label(ns), spec);
	assert_true(netns_inode(ns) > 0);
	assert_int_equal(netns_enter(ns), 0);
	assert_int_equal(netns_enter(ns), 0);    /* a no-op: no nesting */
	assert_int_equal(netns_leave(ns), 0);
	assert_int_equal(netns_run(ns, run_fn, &calls), 42);
	assert_int_equal(calls, 1);
	netns_free(ns);
}

/* ---- another namespace (root) ------------------------------------------- */

/*
 * A child in a new network namespace with a range of 40000-40099 and a
 * listener on 127.0.0.1:40050. It writes one byte on `ready` when set up
 * and lives until `stop` is closed.
 */
struct child {
	pid_t pid;
	int stop;                 /* our end: close to end the child */
	int ok;
	uint32_t inode;           /* the listener's socket inode */
};

/* Without the privilege to make a namespace: skip, unless CI requires
 * the namespace tests to run (PORTTOP_REQUIRE_NETNS=1, as tests/lib.sh). */
#define skip_or_fail() do { \
	const char *req_ = getenv("PORTTOP_REQUIRE_NETNS"); \
	if (req_ && strcmp(req_, "1") == 0) \
		fail_msg("cannot make a network namespace (needs root) and " \
			 "PORTTOP_REQUIRE_NETNS=1"); \
	skip(); \
} while (0)

static void child_start(struct child *c)
{
	int ready[2], stop[2];
	char b = 0;
	uint32_t ino = 0;

	c->ok = 0;
	c->pid = -1;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(stop), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		struct sockaddr_in sin;
		struct stat st;
		int fd;
		FILE *f;

		close(ready[0]);
		close(stop[1]);
		if (unshare(CLONE_NEWNET) != 0)
			_exit(1);
		f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "w");
		if (!f || fputs("40000 40099\n", f) < 0 || fclose(f) != 0)
			_exit(2);
		/* lo is down in a new namespace: the wildcard address */
		fd = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(40050);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
		    listen(fd, 1) || fstat(fd, &st))
			_exit(3);
		ino = (uint32_t)st.st_ino;
		if (write(ready[1], &ino, sizeof(ino)) != sizeof(ino))
			_exit(4);
		(void)read(stop[0], &b, 1);
		_exit(0);
	}
	close(ready[1]);
	close(stop[0]);
	c->stop = stop[1];
	c->ok = read(ready[0], &ino, sizeof(ino)) == sizeof(ino);
	c->inode = ino;
	close(ready[0]);
}

static void child_stop(struct child *c)
{
	int st;

	if (c->pid <= 0)
		return;
	close(c->stop);
	assert_int_equal(waitpid(c->pid, &st, 0), c->pid);
	c->pid = -1;
}

static void self_netns(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/ns/net", buf, len - 1);

	assert_true(n > 0);
	buf[n] = '\0';
}

static int open_diag(void *arg)
{
	return nlio_open_sock_diag(arg, 0);
}

/* Sockets of the sample with that inode. */
static int count_inode(const struct sample *s, uint32_t inode)
{
	size_t i;
	int n = 0;

	for (i = 0; i < s->socks.len; i++)
		if (s->socks.v[i].inode == inode &&
		    s->socks.v[i].sport == 40050)
			n++;
	return n;
}

static void test_enter_other(void **state)
{
	struct child c;
	struct netns *ns = NULL;
	struct sysctl_vals before, inside, after;
	struct sampler *sp = NULL;
	struct sample s;
	struct clock clk;
	struct nlio io;
	char spec[32], home[64], now[64];
	int err;

	(void)state;
	child_start(&c);
	if (!c.ok) {
		child_stop(&c);
		skip_or_fail();   /* no CAP_SYS_ADMIN to make a namespace */
	}
	self_netns(home, sizeof(home));
	snprintf(spec, sizeof(spec), "%d", (int)c.pid);
	err = netns_open(&ns, "/proc", NETNS_RUNDIR, spec);
	assert_int_equal(err, 0);
	assert_false(netns_is_current(ns));
	assert_string_not_equal(netns_id(ns), home);

	sysctl_read("/proc", &before);
	assert_int_equal(netns_enter(ns), 0);
	assert_int_equal(netns_enter(ns), -EBUSY);
	self_netns(now, sizeof(now));
	assert_string_equal(now, netns_id(ns));
	sysctl_read("/proc", &inside);
	assert_int_equal(netns_leave(ns), 0);
	self_netns(now, sizeof(now));
	assert_string_equal(now, home);
	sysctl_read("/proc", &after);
	assert_int_equal(inside.port_low, 40000);
	assert_int_equal(inside.port_high, 40099);
	assert_int_equal(after.port_low, before.port_low);
	assert_int_equal(after.port_high, before.port_high);

	/* a sampler of that namespace: its socket opened inside, its reads
	 * done inside, and back home after every sample */
	memset(&io, 0, sizeof(io));
	assert_int_equal(netns_run(ns, open_diag, &io), 0);
	clock_init_system(&clk);
	assert_int_equal(sampler_new(&sp, "/proc", &clk, &io), 0);
	sampler_set_netns(sp, ns);
	sample_init(&s);
	assert_int_equal(sampler_take(sp, &s), 0);
	self_netns(now, sizeof(now));
	assert_string_equal(now, home);
	assert_string_equal(s.netns, netns_id(ns));
	assert_int_equal(s.sys.port_low, 40000);
	assert_int_equal(s.sys.port_high, 40099);
	assert_int_equal(count_inode(&s, c.inode), 1);
	sampler_free(sp);

	/* our own namespace does not see the child's listener */
	assert_int_equal(nlio_open_sock_diag(&io, 0), 0);
	assert_int_equal(sampler_new(&sp, "/proc", &clk, &io), 0);
	assert_int_equal(sampler_take(sp, &s), 0);
	assert_string_equal(s.netns, home);
	assert_int_equal(count_inode(&s, c.inode), 0);
	assert_int_equal(s.sys.port_low, before.port_low);
	sampler_free(sp);
	sample_release(&s);
	child_stop(&c);
}

/* The factory the UI switches namespaces with: every socket opened
 * inside, the sampler's reads done inside. */
static void test_sampler_open(void **state)
{
	const struct netns_sampler_cfg cfg = {
		.procroot = "/proc", .events = 1, .attribution = 1,
		.conntrack = 1, .nat_low = 1024, .nat_high = 65535,
	};
	struct child c;
	struct netns *ns = NULL;
	struct sampler *sp = NULL;
	struct sample s;
	struct clock clk;
	char spec[32], home[64], now[64];

	(void)state;
	child_start(&c);
	if (!c.ok) {
		child_stop(&c);
		skip_or_fail();
	}
	self_netns(home, sizeof(home));
	snprintf(spec, sizeof(spec), "%d", (int)c.pid);
	assert_int_equal(netns_open(&ns, "/proc", NETNS_RUNDIR, spec), 0);
	clock_init_system(&clk);
	assert_int_equal(netns_sampler_open(&sp, ns, &clk, &cfg), 0);
	self_netns(now, sizeof(now));
	assert_string_equal(now, home);
	assert_true(sampler_event_fd(sp) >= 0);
	sample_init(&s);
	assert_int_equal(sampler_take(sp, &s), 0);
	self_netns(now, sizeof(now));
	assert_string_equal(now, home);
	assert_string_not_equal(s.netns, home);
	assert_int_equal(s.sys.port_low, 40000);
	assert_int_equal(count_inode(&s, c.inode), 1);
	/* attribution: the listener is the child's */
	assert_true(s.nowner == s.socks.len);
	sample_release(&s);
	sampler_free(sp);

	/* NULL: porttop's own namespace */
	assert_int_equal(netns_sampler_open(&sp, NULL, &clk, &cfg), 0);
	sample_init(&s);
	assert_int_equal(sampler_take(sp, &s), 0);
	assert_string_equal(s.netns, home);
	assert_int_equal(count_inode(&s, c.inode), 0);
	sample_release(&s);
	sampler_free(sp);
	child_stop(&c);
}

/* The survey samples each namespace in its own right. */
static void test_survey(void **state)
{
	struct netns_list l;
	struct child c;
	struct clock clk;
	char home[64];
	size_t i, keep = 0;
	int found = 0;

	(void)state;
	child_start(&c);
	if (!c.ok) {
		child_stop(&c);
		skip_or_fail();
	}
	self_netns(home, sizeof(home));
	netns_list_init(&l);
	assert_int_equal(netns_discover(&l, "/proc", NETNS_RUNDIR), 0);
	assert_true(l.len >= 2);
	assert_true(l.v[0].current);
	assert_string_equal(l.v[0].id, home);
	/* keep only ours and the child's: the host may have many */
	for (i = 0; i < l.len; i++) {
		uint32_t k;
		int mine = l.v[i].current;

		for (k = 0; k < l.v[i].npids; k++)
			if (l.v[i].pids[k] == c.pid)
				mine = 1;
		if (mine)
			l.v[keep++] = l.v[i];
	}
	l.len = keep;
	assert_int_equal(l.len, 2);
	clock_init_system(&clk);
	assert_int_equal(netns_survey(&l, "/proc", NETNS_RUNDIR, &clk,
				      CT_NAT_LOW_DEFAULT, CT_NAT_HIGH_DEFAULT), 0);
	for (i = 0; i < l.len; i++) {
		const struct netns_info *in = &l.v[i];

		assert_int_equal(in->err, 0);
		assert_true(in->surveyed);
		if (in->current)
			continue;
		found = 1;
		assert_int_equal(in->nprocs, 1);
		assert_int_equal(in->pids[0], c.pid);
		assert_int_equal(in->range_low, 40000);
		assert_int_equal(in->range_high, 40099);
		assert_int_equal(in->usable, 100);
		assert_int_equal(in->tcp_sockets, 1);
		assert_int_equal(in->udp_sockets, 0);
		assert_false(in->have_worst);   /* a listener only */
		assert_false(in->have_nat_worst);
	}
	assert_true(found);
	/* and we are back home */
	self_netns(home, sizeof(home));
	assert_string_equal(home, l.v[0].id);
	netns_list_release(&l);
	child_stop(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_fixture),
		cmocka_unit_test(test_list_outputs),
		cmocka_unit_test(test_discover_names),
		cmocka_unit_test(test_hostname_contained),
		cmocka_unit_test(test_discover_many_pids),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_self),
		cmocka_unit_test(test_enter_other),
		cmocka_unit_test(test_sampler_open),
		cmocka_unit_test(test_survey),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
