#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expfmt.h"
#include "strbuf.h"
#include "textfile.h"

/*
 * expfmt: the Prometheus text made OpenMetrics (counter families without
 * _total, " escaped in # HELP, # EOF). textfile: FILE replaced by rename,
 * mode 0644, symlinks and non-files refused, nothing left behind. The
 * library parsers check real output in tests/netns_record.sh and
 * tests/netns_textfile.sh.
 */

static void test_openmetrics(void **state)
{
	static const char in[] =
		"# HELP a_total Gauge \"named\" oddly.\n"
		"# TYPE a_total gauge\n"
		"a_total 1\n"
		"# HELP porttop_samples_total Samples this run took.\n"
		"# TYPE porttop_samples_total counter\n"
		"porttop_samples_total 3\n"
		"# HELP x_total A counter whose TYPE is another family's.\n"
		"# TYPE y_total counter\n"
		"y_total{l=\"v\"} 2\n";
	static const char want[] =
		"# HELP a_total Gauge \\\"named\\\" oddly.\n"
		"# TYPE a_total gauge\n"
		"a_total 1\n"
		"# HELP porttop_samples Samples this run took.\n"
		"# TYPE porttop_samples counter\n"
		"porttop_samples_total 3\n"
		"# HELP x_total A counter whose TYPE is another family's.\n"
		"# TYPE y_total counter\n"
		"y_total{l=\"v\"} 2\n"
		"# EOF\n";
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	assert_int_equal(expfmt_openmetrics(&sb, in, strlen(in)), 0);
	assert_string_equal(sb.buf, want);

	/* a last line without its newline; an # EOF inside is not repeated */
	strbuf_reset(&sb);
	assert_int_equal(expfmt_openmetrics(&sb, "# EOF\nb 1", 9), 0);
	assert_string_equal(sb.buf, "b 1\n# EOF\n");
	strbuf_reset(&sb);
	assert_int_equal(expfmt_openmetrics(&sb, "", 0), 0);
	assert_string_equal(sb.buf, "# EOF\n");
	assert_int_equal(expfmt_openmetrics(NULL, "", 0), -EINVAL);
	assert_int_equal(expfmt_openmetrics(&sb, NULL, 0), -EINVAL);
	strbuf_release(&sb);
}

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s", "/tmp/porttop-textfile.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[sizeof(dir) + 256 + 2];

	(void)state;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (!de->d_name[1] ||
		    (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (unlink(p) != 0)
			rmdir(p);
	}
	if (d)
		closedir(d);
	return rmdir(dir);
}

static size_t entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n++;
	closedir(d);
	return n - 2;
}

static void slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

static void test_textfile(void **state)
{
	char path[128], link[128], sub[128], buf[64];
	struct stat st;
	mode_t old;
	int held;
	ssize_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/p.prom", dir);
	assert_int_equal(textfile_check(path), 0);
	old = umask(077);
	assert_int_equal(textfile_write(path, "one\n", 4), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "one\n");

	/* replaced, not rewritten: a descriptor on the old file reads it */
	held = open(path, O_RDONLY);
	assert_true(held >= 0);
	assert_int_equal(textfile_write(path, "second\n", 7), 0);
	n = pread(held, buf, sizeof(buf) - 1, 0);
	assert_int_equal(n, 4);
	buf[n] = '\0';
	assert_string_equal(buf, "one\n");
	close(held);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "second\n");
	assert_int_equal(entries(), 1);   /* no temporary file left */

	/* a symlink: refused, its target untouched */
	snprintf(link, sizeof(link), "%s/l.prom", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(textfile_check(link), -ELOOP);
	assert_int_equal(textfile_write(link, "x\n", 2), -ELOOP);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "second\n");
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));

	/* not a regular file; no directory; no name */
	snprintf(sub, sizeof(sub), "%s/d", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(textfile_check(sub), -EINVAL);
	assert_int_equal(textfile_write(sub, "x\n", 2), -EINVAL);
	snprintf(sub, sizeof(sub), "%s/none/p.prom", dir);
	assert_int_equal(textfile_check(sub), -ENOENT);
	assert_int_equal(textfile_write(sub, "x\n", 2), -ENOENT);
	snprintf(sub, sizeof(sub), "%s/", dir);
	assert_int_equal(textfile_check(sub), -EISDIR);
	assert_int_equal(textfile_write(NULL, "", 0), -EINVAL);
	assert_int_equal(entries(), 3);   /* p.prom, l.prom, d */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test_setup_teardown(test_textfile, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
