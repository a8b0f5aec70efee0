#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "fuzz.h"
#include "procs.h"
#include "sock.h"

/*
 * /proc/PID files. Byte 0 % 3 picks the mode:
 *   0:    the rest goes to the parsers (procs_parse_stat, _uid, _cgroup)
 *         and the cgroup path found to cgroup_label();
 *   1:    the rest is five fields (u16 length, little endian, then the
 *         bytes): stat, status, cmdline, cgroup and the target of the
 *         link fd/3, written as a process 4242 in a private proc tree;
 *         procs_refresh() then looks for socket inode 4242, as porttop
 *         does on a live host (the cmdline path is only reachable so);
 *   2:    the rest is <procroot>/self/mountinfo for cgroup_find_mount().
 * Checks: every string that comes out is NUL-terminated within its
 * buffer and inert (no control character, no bidi override, valid
 * UTF-8), whatever the files hold.
 */

static void check_str(const char *buf, size_t size)
{
	FUZZ_CHECK(fuzz_bounded(buf, size));
	FUZZ_CHECK(fuzz_text_inert(buf, strlen(buf), 0));
}

static void fuzz_parsers(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	char comm[PROCS_COMM_LEN], path[PROCS_CGROUP_LEN];
	char label[CGROUP_LABEL_MAX];
	uint64_t start = 77;
	uint32_t uid = 88;
	int r;

	memset(comm, 'X', sizeof(comm));
	r = procs_parse_stat(buf, size, comm, sizeof(comm), &start);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r == 0)
		check_str(comm, sizeof(comm));
	r = procs_parse_uid(buf, size, &uid);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r != 0)
		FUZZ_CHECK(uid == 88);
	r = procs_parse_cgroup(buf, size, path, sizeof(path));
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r == 0) {
		FUZZ_CHECK(fuzz_bounded(path, sizeof(path)));
		FUZZ_CHECK(path[0] == '/');
	} else {
		/* any bytes at all as a path */
		size_t n = size < sizeof(path) - 1 ? size : sizeof(path) - 1;

		memcpy(path, buf, n);
		path[n] = '\0';
	}
	memset(label, 'X', sizeof(label));
	r = cgroup_label(path, label, sizeof(label));
	FUZZ_CHECK(r == 0 || r == 1);
	check_str(label, sizeof(label));
	if (r == 0)
		FUZZ_CHECK(label[0] == '\0');
}

/* ---- a private proc tree ------------------------------------------------ */

static char root[256];

static void tree_cleanup(void)
{
	static const char *const files[] = {
		"4242/fd/3", "4242/fd", "4242/stat", "4242/status",
		"4242/cmdline", "4242/cgroup", "4242", "self/mountinfo",
		"self", "",
	};
	char p[512];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, files[i]);
		if (unlink(p) != 0)
			rmdir(p);
	}
}

static int tree_init(void)
{
	const char *tmp = getenv("TMPDIR");
	char p[512];

	if (root[0])
		return 0;
	if (access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";   /* tmpfs: fast */
	else if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(root, sizeof(root), "%s/porttop-fuzz-procs.XXXXXX", tmp);
	if (!mkdtemp(root)) {
		root[0] = '\0';
		return -1;
	}
	atexit(tree_cleanup);
	snprintf(p, sizeof(p), "%s/4242", root);
	if (mkdir(p, 0755) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/4242/fd", root);
	return mkdir(p, 0755);
}

static void tree_write(const char *name, const uint8_t *data, size_t n)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/4242/%s", root, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(n == 0 || write(fd, data, n) == (ssize_t)n);
	close(fd);
}

static void fuzz_tree(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"stat", "status", "cmdline", "cgroup",
	};
	const struct procs_info *owner = NULL;
	struct procs *pc = NULL;
	struct sock_rec rec;
	char link[512], p[512];
	size_t pos = 0, i, n;
	int r;

	FUZZ_CHECK(tree_init() == 0);
	for (i = 0; i < 5; i++) {
		n = 0;
		if (pos + 2 <= size) {
			n = (size_t)data[pos] | (size_t)data[pos + 1] << 8;
			pos += 2;
		}
		if (n > size - pos)
			n = size - pos;
		if (i < 4) {
			tree_write(names[i], data + pos, n);
		} else {
			/* a link target is a C string */
			if (n > sizeof(link) - 1)
				n = sizeof(link) - 1;
			memcpy(link, data + pos, n);
			link[n] = '\0';
			if (memchr(link, '\0', n) || n == 0)
				snprintf(link, sizeof(link), "socket:[4242]");
			snprintf(p, sizeof(p), "%s/4242/fd/3", root);
			unlink(p);
			FUZZ_CHECK(symlink(link, p) == 0);
		}
		pos += n;
	}

	memset(&rec, 0, sizeof(rec));
	rec.family = 2;
	rec.proto = 6;
	rec.state = SOCK_ESTABLISHED;
	rec.inode = 4242;
	FUZZ_CHECK(procs_new(&pc, root) == 0);
	r = procs_refresh(pc, &rec, 1, &owner);
	FUZZ_CHECK(r == 0);
	if (owner) {
		FUZZ_CHECK(owner->pid == 4242);
		check_str(owner->comm, sizeof(owner->comm));
		check_str(owner->cmdline, sizeof(owner->cmdline));
		check_str(owner->cgroup, sizeof(owner->cgroup));
		check_str(owner->unit, sizeof(owner->unit));
	}
	procs_free(pc);
}

/* <root>/self/mountinfo holds the input: the cgroup2 mount point found
 * (unescaped) is NUL-terminated within the buffer and absolute. */
static void fuzz_mountinfo(const uint8_t *data, size_t size)
{
	char p[512], mount[256];
	int fd, r;

	FUZZ_CHECK(tree_init() == 0);
	snprintf(p, sizeof(p), "%s/self", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/self/mountinfo", root);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
	close(fd);
	memset(mount, 'X', sizeof(mount));
	r = cgroup_find_mount(root, mount, sizeof(mount));
	FUZZ_CHECK(r <= 0);
	if (r == 0) {
		FUZZ_CHECK(fuzz_bounded(mount, sizeof(mount)));
		FUZZ_CHECK(mount[0] == '/');
	}
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 1:
		fuzz_tree(data + 1, size - 1);
		break;
	case 2:
		fuzz_mountinfo(data + 1, size - 1);
		break;
	default:
		fuzz_parsers(data + 1, size - 1);
		break;
	}
	return 0;
}

FUZZ_TARGET(procs)
