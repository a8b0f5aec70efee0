#ifndef PORTTOP_TEXTFILE_H
#define PORTTOP_TEXTFILE_H

#include <stddef.h>

/*
 * textfile: replace a file atomically (`porttop --textfile=FILE`, for
 * node_exporter's textfile collector, which may read FILE at any moment).
 *
 * textfile_write() writes len bytes of buf to a new temporary file in
 * FILE's directory (".NAME.XXXXXX", created with O_EXCL, so never a file
 * somebody else put there; not matched by the collector's "*.prom"),
 * sets its mode to 0644 whatever the umask, fsyncs it, renames it over
 * path and fsyncs the directory. A reader sees the old content or the
 * new one, never a mix or a short file. SIGINT, SIGTERM and SIGHUP are
 * held back while the temporary file exists, so a stop never leaves one.
 *
 * An existing path must be a regular file: a symlink is refused with
 * -ELOOP (as -w does; rename() would not follow it, but a symlink there
 * means somebody meant the data to go elsewhere), anything else with
 * -EINVAL. Returns 0 or a negative errno; on failure path is untouched
 * and the temporary file is removed.
 */
int textfile_write(const char *path, const char *buf, size_t len);

/*
 * Check that path can be a textfile before the first sample: the same
 * refusals as textfile_write(), and -ENOENT/-ENOTDIR when its directory
 * does not exist. Writes nothing. Returns 0 or a negative errno.
 */
int textfile_check(const char *path);

#endif
