#ifndef PORTTOP_CGROUP_H
#define PORTTOP_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/*
 * cgroup: cgroup v2 ids to paths, and paths to a short label.
 *
 * The kernel tags every full socket with the cgroup v2 id of the task that
 * created it (INET_DIAG_CGROUP_ID, sent whether asked for or not). That id
 * is the kernfs node id of the cgroup's directory in the cgroup2 mount,
 * which on 64-bit systems is the directory's inode number. So one walk of
 * the mount maps every id to its path; the cache walks again only when an
 * id it has never seen shows up, and remembers ids a walk did not find (a
 * socket can outlive the cgroup it was created in), so a dead id costs one
 * walk, not one per sample.
 *
 * Paths are relative to the cgroup2 root and start with "/", like the
 * "0::" line of /proc/PID/cgroup. Every path is bounded (CGROUP_PATH_MAX),
 * the walk's depth too (CGROUP_MAX_DEPTH), and so is the number of cgroups
 * remembered (CGROUP_MAX_ENTRIES): what is past a bound is not mapped.
 */

#define CGROUP_PATH_MAX 512
#define CGROUP_MAX_DEPTH 32
#define CGROUP_MAX_ENTRIES 65536
/* ids remembered as "not found by the last walks" before that list resets */
#define CGROUP_MAX_MISSING 1024
/* Longest label: "docker:" + 12 hex, "pod:" + a UUID, "unit:" + a name. */
#define CGROUP_LABEL_MAX 80

/*
 * Find the cgroup2 mount point in <procroot>/self/mountinfo into buf.
 * Mount points are unescaped (\040 and friends). Returns 0, -ENOENT when
 * there is no cgroup2 mount, -ENAMETOOLONG, or the error of reading the
 * file.
 */
int cgroup_find_mount(const char *procroot, char *buf, size_t len);

struct cgroup_cache;

/*
 * Create a cache over the cgroup2 tree mounted at `mount` (copied), or an
 * empty cache that never finds anything when mount is NULL. Nothing is
 * read until the first lookup. Returns 0 or -ENOMEM.
 */
int cgroup_cache_new(struct cgroup_cache **out, const char *mount);
void cgroup_cache_free(struct cgroup_cache *c);

/*
 * The path of cgroup `id`, or NULL when it is not known (0, no mount, a
 * cgroup removed since, past a bound). May walk the tree (see above). The
 * string stays valid until the next lookup or cgroup_cache_free().
 */
const char *cgroup_cache_path(struct cgroup_cache *c, uint64_t id);

/* Number of walks made so far (for tests and statistics). */
unsigned cgroup_cache_walks(const struct cgroup_cache *c);

/*
 * A short label for a cgroup path, into buf (at least CGROUP_LABEL_MAX
 * bytes is enough for every label): "docker:<12 hex>" for a Docker
 * container, "pod:<uid>" for a Kubernetes pod (systemd or cgroupfs
 * driver), "containerd:<12 hex>", "crio:<12 hex>" or "podman:<12 hex>"
 * for other containers, else "unit:<name>.service" for the innermost
 * systemd service. Returns 1 when recognised, 0 otherwise (buf is then
 * ""). The path may be anything; a unit name is sanitised.
 */
int cgroup_label(const char *path, char *buf, size_t len);

#endif
