#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "sanitize.h"

/* mountinfo is read whole up to this size; a longer one is cut (the
 * cgroup2 line of a normal host comes early). */
#define MOUNTINFO_MAX (1024 * 1024)

/* ---- mountinfo ---------------------------------------------------------- */

/* Read at most max bytes of a file into a new NUL-terminated buffer. */
static int cgroup_read_file(const char *path, size_t max, char **out,
			    size_t *outlen)
{
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap + 1), *nb;
	int fd, err = 0;

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = -errno;
		free(buf);
		return err;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap >= max)
				break;
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
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
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

static int cgroup_octal(const char *s)
{
	int v = 0, i;

	for (i = 0; i < 3; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -1;
		v = v * 8 + (s[i] - '0');
	}
	return v > 0 && v < 256 ? v : -1;
}

/* Copy the field [s, e) into buf, undoing mountinfo's \ooo escapes. */
static int cgroup_unescape(const char *s, const char *e, char *buf, size_t len)
{
	size_t o = 0;

	while (s < e) {
		int c = (unsigned char)*s;

		if (c == '\\' && e - s >= 4 && cgroup_octal(s + 1) > 0) {
			c = cgroup_octal(s + 1);
			s += 4;
		} else {
			s++;
		}
		if (o + 1 >= len)
			return -ENAMETOOLONG;
		buf[o++] = (char)c;
	}
	if (len == 0)
		return -ENAMETOOLONG;
	buf[o] = '\0';
	return 0;
}

/*
 * One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] -
 * FSTYPE SOURCE SUPEROPTS". 1 and the mount point in buf for cgroup2.
 */
static int cgroup_mount_line(const char *line, const char *end, char *buf,
			     size_t len, int *err)
{
	const char *f[5], *fe[5], *p = line, *sep;
	int i;

	for (i = 0; i < 5; i++) {
		while (p < end && *p == ' ')
			p++;
		f[i] = p;
		while (p < end && *p != ' ')
			p++;
		fe[i] = p;
		if (f[i] == fe[i])
			return 0;
	}
	/* the optional tags end at a lone "-" */
	for (sep = p; sep + 3 <= end; sep++)
		if (sep[0] == ' ' && sep[1] == '-' && sep[2] == ' ')
			break;
	if (sep + 3 > end)
		return 0;
	p = sep + 3;
	if (end - p < 8 || memcmp(p, "cgroup2", 7) != 0 || p[7] != ' ')
		return 0;
	/* a mount point is absolute: anything else is a malformed line, and
	 * a relative path would be walked from porttop's working directory */
	if (*f[4] != '/')
		return 0;
	*err = cgroup_unescape(f[4], fe[4], buf, len);
	return *err == 0;
}

int cgroup_find_mount(const char *procroot, char *buf, size_t len)
{
	char path[4096], *data = NULL;
	const char *p, *end;
	size_t n = 0;
	int err;

	if (snprintf(path, sizeof(path), "%s/self/mountinfo", procroot) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	err = cgroup_read_file(path, MOUNTINFO_MAX, &data, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (p = data, end = data + n; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		int e = 0;

		if (cgroup_mount_line(p, le, buf, len, &e)) {
			err = 0;
			break;
		}
		if (e) {
			err = e;
			break;
		}
		p = nl ? nl + 1 : end;
	}
	free(data);
	return err;
}

/* ---- the id -> path cache ------------------------------------------------ */

struct cgroup_ent {
	uint64_t id;
	uint32_t path;        /* offset into pool */
};

struct cgroup_cache {
	char *mount;          /* NULL: nothing to walk */
	unsigned walks;
	int walked;

	struct cgroup_ent *ents;
	size_t nents, ents_cap;
	uint32_t *tab;        /* entry index + 1, 0 empty; size tab_cap (2^k) */
	size_t tab_cap;
	char *pool;
	size_t pool_len, pool_cap;

	uint64_t missing[CGROUP_MAX_MISSING];
	size_t nmissing;
};

int cgroup_cache_new(struct cgroup_cache **out, const char *mount)
{
	struct cgroup_cache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	if (mount) {
		c->mount = strdup(mount);
		if (!c->mount) {
			free(c);
			return -ENOMEM;
		}
	}
	*out = c;
	return 0;
}

void cgroup_cache_free(struct cgroup_cache *c)
{
	if (!c)
		return;
	free(c->mount);
	free(c->ents);
	free(c->tab);
	free(c->pool);
	free(c);
}

unsigned cgroup_cache_walks(const struct cgroup_cache *c)
{
	return c ? c->walks : 0;
}

static size_t cgroup_hash(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (size_t)id;
}

static int cgroup_add(struct cgroup_cache *c, uint64_t id, const char *path,
		      size_t plen)
{
	struct cgroup_ent *e;
	size_t need;

	if (c->nents >= CGROUP_MAX_ENTRIES)
		return -ENOSPC;
	if (c->nents == c->ents_cap) {
		size_t nc = c->ents_cap ? c->ents_cap * 2 : 256;
		void *q = realloc(c->ents, nc * sizeof(*c->ents));

		if (!q)
			return -ENOMEM;
		c->ents = q;
		c->ents_cap = nc;
	}
	need = c->pool_len + plen + 1;
	if (need > UINT32_MAX)
		return -ENOSPC;
	if (need > c->pool_cap) {
		size_t nc = c->pool_cap ? c->pool_cap : 16384;
		void *q;

		while (nc < need)
			nc *= 2;
		q = realloc(c->pool, nc);
		if (!q)
			return -ENOMEM;
		c->pool = q;
		c->pool_cap = nc;
	}
	e = &c->ents[c->nents++];
	e->id = id;
	e->path = (uint32_t)c->pool_len;
	memcpy(c->pool + c->pool_len, path, plen);
	c->pool[c->pool_len + plen] = '\0';
	c->pool_len = need;
	return 0;
}

static int cgroup_index(struct cgroup_cache *c)
{
	size_t cap = 64, i;

	while (cap < c->nents * 2 + 2)
		cap *= 2;
	if (cap != c->tab_cap) {
		void *q = realloc(c->tab, cap * sizeof(*c->tab));

		if (!q)
			return -ENOMEM;
		c->tab = q;
		c->tab_cap = cap;
	}
	memset(c->tab, 0, c->tab_cap * sizeof(*c->tab));
	for (i = 0; i < c->nents; i++) {
		size_t h = cgroup_hash(c->ents[i].id) & (cap - 1);

		while (c->tab[h])
			h = (h + 1) & (cap - 1);
		c->tab[h] = (uint32_t)(i + 1);
	}
	return 0;
}

/*
 * Walk the directory open as fd whose path (relative to the root) is
 * path[0..plen). Subdirectories are cgroups; their d_ino is their id.
 * Recursion depth is bounded; symlinks are never followed.
 */
static int cgroup_walk_dir(struct cgroup_cache *c, int fd, char *path,
			   size_t plen, unsigned depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int err = 0;

	if (!d) {
		close(fd);
		return 0;   /* unreadable: skip the subtree */
	}
	while (err == 0 && (de = readdir(d)) != NULL) {
		size_t nlen = strlen(de->d_name);
		int sub;

		if (de->d_name[0] == '.' &&
		    (nlen == 1 || (nlen == 2 && de->d_name[1] == '.')))
			continue;
		if (de->d_type != DT_DIR) {
			struct stat st;

			if (de->d_type != DT_UNKNOWN ||
			    fstatat(dirfd(d), de->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) != 0 ||
			    !S_ISDIR(st.st_mode))
				continue;
		}
		if (plen + 1 + nlen >= CGROUP_PATH_MAX)
			continue;
		path[plen] = '/';
		memcpy(path + plen + 1, de->d_name, nlen + 1);
		err = cgroup_add(c, (uint64_t)de->d_ino, path, plen + 1 + nlen);
		if (err == -ENOSPC) {
			err = 0;
			break;
		}
		if (err || depth + 1 >= CGROUP_MAX_DEPTH)
			continue;
		sub = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			err = cgroup_walk_dir(c, sub, path, plen + 1 + nlen,
					      depth + 1);
	}
	closedir(d);
	path[plen] = '\0';
	return err;
}

static int cgroup_walk(struct cgroup_cache *c)
{
	char path[CGROUP_PATH_MAX];
	struct stat st;
	int fd, err;

	c->nents = 0;
	c->pool_len = 0;
	c->walked = 1;
	c->walks++;
	if (!c->mount)
		return cgroup_index(c);
	fd = open(c->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cgroup_index(c);
	if (fstat(fd, &st) != 0) {
		close(fd);
		return cgroup_index(c);
	}
	err = cgroup_add(c, (uint64_t)st.st_ino, "/", 1);
	path[0] = '\0';
	if (err == 0)
		err = cgroup_walk_dir(c, fd, path, 0, 0);
	else
		close(fd);
	if (err == 0)
		err = cgroup_index(c);
	if (err) {
		/* keep nothing half-built */
		c->nents = 0;
		c->pool_len = 0;
		cgroup_index(c);
	}
	return err;
}

static const char *cgroup_find(const struct cgroup_cache *c, uint64_t id)
{
	size_t h;

	if (!c->tab_cap)
		return NULL;
	h = cgroup_hash(id) & (c->tab_cap - 1);
	while (c->tab[h]) {
		const struct cgroup_ent *e = &c->ents[c->tab[h] - 1];

		if (e->id == id)
			return c->pool + e->path;
		h = (h + 1) & (c->tab_cap - 1);
	}
	return NULL;
}

const char *cgroup_cache_path(struct cgroup_cache *c, uint64_t id)
{
	const char *p;
	size_t i;

	if (!c || id == 0 || !c->mount)
		return NULL;
	if (c->walked) {
		p = cgroup_find(c, id);
		if (p)
			return p;
		for (i = 0; i < c->nmissing; i++)
			if (c->missing[i] == id)
				return NULL;
	}
	if (cgroup_walk(c) != 0)
		return NULL;
	p = cgroup_find(c, id);
	if (p)
		return p;
	if (c->nmissing == CGROUP_MAX_MISSING)
		c->nmissing = 0;
	c->missing[c->nmissing++] = id;
	return NULL;
}

/* ---- labels ---------------------------------------------------------------- */

static int cgroup_is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* A Kubernetes pod uid: 36 characters of hex and '-' (or '_' in systemd
 * slice names, where '-' separates the slice levels). */
static int cgroup_is_poduid(const char *s, size_t n)
{
	size_t i;

	if (n != 36)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (ch != '-' && ch != '_')
				return 0;
		} else if (!cgroup_is_hex(&ch, 1)) {
			return 0;
		}
	}
	return 1;
}

struct cgroup_comp {
	const char *s;
	size_t n;
};

static int cgroup_has_prefix(struct cgroup_comp c, const char *pfx)
{
	size_t n = strlen(pfx);

	return c.n >= n && memcmp(c.s, pfx, n) == 0;
}

static int cgroup_has_suffix(struct cgroup_comp c, const char *sfx)
{
	size_t n = strlen(sfx);

	return c.n >= n && memcmp(c.s + c.n - n, sfx, n) == 0;
}

/* "<prefix><64 hex>.scope" -> the hex, else NULL */
static const char *cgroup_scope_id(struct cgroup_comp c, const char *pfx)
{
	size_t n = strlen(pfx);

	if (c.n == n + 64 + 6 && cgroup_has_prefix(c, pfx) &&
	    cgroup_has_suffix(c, ".scope") && cgroup_is_hex(c.s + n, 64))
		return c.s + n;
	return NULL;
}

/* The pod uid inside a component: "pod<uid>" (cgroupfs) or
 * "kubepods[-qos]-pod<uid>.slice" (systemd). */
static const char *cgroup_pod_uid(struct cgroup_comp c)
{
	size_t i;

	if (c.n < 39)
		return NULL;
	if (c.n == 39 && cgroup_has_prefix(c, "pod") &&
	    cgroup_is_poduid(c.s + 3, 36))
		return c.s + 3;
	if (!cgroup_has_prefix(c, "kubepods") || !cgroup_has_suffix(c, ".slice"))
		return NULL;
	/* "-pod" + uid + ".slice" must fit: below that, i would wrap */
	if (c.n < 4 + 36 + 6)
		return NULL;
	i = c.n - 6 - 36;
	if (memcmp(c.s + i - 4, "-pod", 4) == 0 &&
	    cgroup_is_poduid(c.s + i, 36))
		return c.s + i;
	return NULL;
}

int cgroup_label(const char *path, char *buf, size_t len)
{
	static const struct {
		const char *prefix;
		const char *label;
	} scopes[] = {
		{ "docker-", "docker" },
		{ "cri-containerd-", "containerd" },
		{ "crio-", "crio" },
		{ "libpod-", "podman" },
	};
	struct cgroup_comp c, prev = { "", 0 }, service = { NULL, 0 };
	const char *pod = NULL, *cid = NULL, *cid_label = NULL;
	const char *p = path;
	char tmp[CGROUP_LABEL_MAX];
	size_t k;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (!path)
		return 0;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		c.s = p;
		while (*p && *p != '/')
			p++;
		c.n = (size_t)(p - c.s);
		if (!pod)
			pod = cgroup_pod_uid(c);
		for (k = 0; !cid && k < sizeof(scopes) / sizeof(scopes[0]); k++) {
			cid = cgroup_scope_id(c, scopes[k].prefix);
			if (cid)
				cid_label = scopes[k].label;
		}
		/* cgroupfs drivers: /docker/<id>, /kubepods/.../pod<uid>/<id> */
		if (!cid && c.n == 64 && cgroup_is_hex(c.s, 64)) {
			cid = c.s;
			cid_label = prev.n == 6 && memcmp(prev.s, "docker", 6) == 0 ?
				    "docker" : NULL;
		}
		if (cgroup_has_suffix(c, ".service") && c.n > 8)
			service = c;
		prev = c;
	}
	if (pod) {
		memcpy(tmp, "pod:", 4);
		for (k = 0; k < 36; k++)
			tmp[4 + k] = pod[k] == '_' ? '-' : pod[k];
		tmp[40] = '\0';
	} else if (cid && cid_label) {
		snprintf(tmp, sizeof(tmp), "%s:%.12s", cid_label, cid);
	} else if (service.s) {
		memcpy(tmp, "unit:", 5);
		sanitize_text(tmp + 5, sizeof(tmp) - 5, service.s, service.n);
	} else {
		return 0;
	}
	if (strlen(tmp) >= len)
		return 0;
	memcpy(buf, tmp, strlen(tmp) + 1);
	return 1;
}
