#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "fuzz.h"

/*
 * Every fuzz target (tests/fuzz/fuzz_*.c) over its seed corpus
 * (tests/fuzz/corpus/TARGET) and the inputs that once made it fail
 * (tests/fuzz/regress/TARGET), built with the configured compiler: the
 * regression tests of `make fuzz`, run by every `make check` (and by the
 * sanitizer and valgrind passes). A target aborts when one of its
 * invariants does not hold, which fails the test.
 */

typedef int (*fuzz_fn)(const uint8_t *, size_t);

/* Run fn over every regular file of dir; returns how many. */
static unsigned replay_dir(const char *dir, fuzz_fn fn, int must_exist)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d = opendir(dir);

	if (!d) {
		if (must_exist)
			fail_msg("cannot open %s: %s", dir, strerror(errno));
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		char path[1024];
		struct stat st;
		uint8_t *buf;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		/* one byte more, so an empty file is a valid pointer */
		buf = malloc((size_t)st.st_size + 1);
		assert_non_null(buf);
		f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fread(buf, 1, (size_t)st.st_size, f),
				 (size_t)st.st_size);
		fclose(f);
		assert_int_equal(fn(buf, (size_t)st.st_size), 0);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

static void replay(const char *name, fuzz_fn fn)
{
	char dir[1024];
	unsigned seeds, regress;

	snprintf(dir, sizeof(dir), "%s/corpus/%s", FUZZDIR, name);
	seeds = replay_dir(dir, fn, 1);
	snprintf(dir, sizeof(dir), "%s/regress/%s", FUZZDIR, name);
	regress = replay_dir(dir, fn, 0);
	/* every target has seeds from real data */
	assert_true(seeds > 0);
	printf("# %s: %u seeds, %u regression inputs\n", name, seeds, regress);
}

#define REPLAY_TEST(name)                              \
	static void test_##name(void **state)          \
	{                                              \
		(void)state;                           \
		replay(#name, fuzz_##name);            \
	}

REPLAY_TEST(diag)
REPLAY_TEST(events)
REPLAY_TEST(ctnetlink)
REPLAY_TEST(ctstat)
REPLAY_TEST(sysctl)
REPLAY_TEST(procs)
REPLAY_TEST(netstat)
REPLAY_TEST(sanitize)
REPLAY_TEST(import)
REPLAY_TEST(record)
REPLAY_TEST(model)
REPLAY_TEST(ui)

/* A short input of every byte value and length, to every target: the
 * shapes a corpus seldom holds (empty, one byte, all ones). */
static void test_tiny_inputs(void **state)
{
	static const fuzz_fn fns[] = {
		fuzz_diag, fuzz_events, fuzz_ctnetlink, fuzz_ctstat,
		fuzz_sysctl, fuzz_procs, fuzz_netstat, fuzz_sanitize,
		fuzz_import, fuzz_record, fuzz_model, fuzz_ui,
	};
	uint8_t buf[64];
	size_t i, len;
	unsigned b;

	(void)state;
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		for (b = 0; b < 256; b += 51)
			for (len = 0; len <= sizeof(buf); len += 7) {
				memset(buf, (int)b, sizeof(buf));
				assert_int_equal(fns[i](buf, len), 0);
			}
}

/* ---- what the fuzzers found, as plain unit tests --------------------- */

/*
 * cgroup_label(): a component "kubepods...slice" of 39 to 45 bytes is too
 * short to hold "-pod" + a uid + ".slice"; the offset of "-pod" wrapped
 * below 0 and memcmp() read before the path (fuzz_procs,
 * regress/procs/cgroup-label-pod-wrap). Each path is its own heap block
 * of exactly its size, so AddressSanitizer sees any read outside it.
 */
static void test_cgroup_label_short_pod_slice(void **state)
{
	char label[CGROUP_LABEL_MAX];
	size_t n;

	(void)state;
	for (n = 14; n <= 60; n++) {
		char *path = malloc(n + 1);

		assert_non_null(path);
		memcpy(path, "kubepods", 8);
		memset(path + 8, 'a', n - 14);
		memcpy(path + n - 6, ".slice", 7);
		assert_int_equal(strlen(path), n);
		assert_int_equal(cgroup_label(path, label, sizeof(label)), 0);
		assert_string_equal(label, "");
		free(path);
	}
}

/*
 * cgroup_find_mount(): a cgroup2 line whose mount point is not absolute
 * (fields run together in a malformed mountinfo) was taken as the mount,
 * and the cgroup walk would have started from the working directory
 * (fuzz_procs, regress/procs/mountinfo-relative-mount-point). Such a line
 * is skipped now.
 */
static void test_mountinfo_relative_mount_point(void **state)
{
	const char *t = getenv("TMPDIR");
	char root[256], path[512], buf[256];
	FILE *f;

	(void)state;
	snprintf(root, sizeof(root), "%s/porttop-mountinfo.XXXXXX",
		 t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/self", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/self/mountinfo", root);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("36 25:0:30 / rw,nosuid shared:1 - cgroup2 cgroup2 rw\n", f);
	fclose(f);
	assert_int_equal(cgroup_find_mount(root, buf, sizeof(buf)), -ENOENT);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("36 25:0:30 / rw,nosuid shared:1 - cgroup2 cgroup2 rw\n"
	      "37 25 0:31 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", f);
	fclose(f);
	assert_int_equal(cgroup_find_mount(root, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup");

	unlink(path);
	snprintf(path, sizeof(path), "%s/self", root);
	rmdir(path);
	rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diag),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_ctnetlink),
		cmocka_unit_test(test_ctstat),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_procs),
		cmocka_unit_test(test_netstat),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_ui),
		cmocka_unit_test(test_tiny_inputs),
		cmocka_unit_test(test_cgroup_label_short_pod_slice),
		cmocka_unit_test(test_mountinfo_relative_mount_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
