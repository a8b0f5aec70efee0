#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "sysctl.h"

#define IPV4 "/sys/net/ipv4/"

/* ---- helpers ------------------------------------------------------------- */

static int count_reserved(const uint8_t *bitmap)
{
	struct sysctl_vals v;
	unsigned p;
	int n = 0;

	memcpy(v.reserved, bitmap, sizeof(v.reserved));
	for (p = 0; p < 65536; p++)
		n += sysctl_port_reserved(&v, p);
	return n;
}

static int bitmap_is_zero(const uint8_t *bitmap)
{
	size_t i;

	for (i = 0; i < SYSCTL_PORT_BITMAP_BYTES; i++)
		if (bitmap[i])
			return 0;
	return 1;
}

static int port_set(const uint8_t *bitmap, unsigned port)
{
	return (bitmap[port >> 3] >> (port & 7)) & 1;
}

/*
 * Setup: a fresh private directory under $TMPDIR (or /tmp) as *state;
 * teardown removes it even when the test failed half-way.
 */
static int tmp_setup(void **state)
{
	const char *base = getenv("TMPDIR");
	char *dir;
	int n;

	if (!base || !*base)
		base = "/tmp";
	dir = malloc(PATH_MAX);
	if (!dir)
		return -1;
	n = snprintf(dir, PATH_MAX, "%s/porttop-sysctl-XXXXXX", base);
	if (n < 0 || n >= PATH_MAX || !mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int tmp_teardown(void **state)
{
	char *dir = *state;
	int ret;

	ret = nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	return ret == 0 ? 0 : -1;
}

/* mkdir -p of every parent of dir/rel. */
static void mkparents(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	char *p;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_true(n > 0 && (size_t)n < sizeof(path));
	for (p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0755) < 0)
			assert_int_equal(errno, EEXIST);
		*p = '/';
	}
}

static void put_file(const char *dir, const char *rel, const char *data,
		     size_t len)
{
	char path[PATH_MAX];
	size_t off = 0;
	int fd, n;

	mkparents(dir, rel);
	n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_true(n > 0 && (size_t)n < sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		assert_true(w > 0);
		off += (size_t)w;
	}
	assert_int_equal(close(fd), 0);
}

static void put_str(const char *dir, const char *rel, const char *s)
{
	put_file(dir, rel, s, strlen(s));
}

static void put_link(const char *dir, const char *rel, const char *target)
{
	char path[PATH_MAX];
	int n;

	mkparents(dir, rel);
	n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_true(n > 0 && (size_t)n < sizeof(path));
	assert_int_equal(symlink(target, path), 0);
}

/* "1,3,5,...,65535\n": the longest list the kernel can print. */
static char *odd_ports_list(size_t *len)
{
	size_t cap = 200000, off = 0;
	char *s = malloc(cap);
	unsigned p;

	assert_non_null(s);
	for (p = 1; p <= 65535; p += 2) {
		int n = snprintf(s + off, cap - off, "%s%u", p > 1 ? "," : "", p);

		assert_true(n > 0 && (size_t)n < cap - off);
		off += (size_t)n;
	}
	assert_true(off + 2 <= cap);
	s[off++] = '\n';
	s[off] = '\0';
	*len = off;
	return s;
}

/* ---- defaults ------------------------------------------------------------ */

static void test_defaults(void **state)
{
	struct sysctl_vals v;

	(void)state;
	memset(&v, 0xa5, sizeof(v));
	sysctl_defaults(&v);
	assert_int_equal(v.port_low, 32768);
	assert_int_equal(v.port_high, 60999);
	assert_int_equal(v.tcp_tw_reuse, 2);
	assert_int_equal(v.tcp_timestamps, 1);
	assert_int_equal(v.tcp_fin_timeout, 60);
	assert_int_equal(v.tcp_max_tw_buckets, 262144);
	assert_int_equal(v.tcp_tw_reuse_delay_ms, 1000);
	assert_int_equal(v.known, 0);
	assert_true(bitmap_is_zero(v.reserved));
}

/* ---- sysctl_parse_range -------------------------------------------------- */

static void range_ok(const char *text, unsigned low, unsigned high)
{
	unsigned lo = 7, hi = 7;

	assert_int_equal(sysctl_parse_range(text, &lo, &hi), 0);
	assert_int_equal(lo, low);
	assert_int_equal(hi, high);
}

static void range_bad(const char *text)
{
	unsigned lo = 7, hi = 9;

	assert_int_equal(sysctl_parse_range(text, &lo, &hi), -EINVAL);
	/* outputs untouched */
	assert_int_equal(lo, 7);
	assert_int_equal(hi, 9);
}

static void test_parse_range_good(void **state)
{
	(void)state;
	range_ok("32768\t60999\n", 32768, 60999);	/* as the kernel prints */
	range_ok("40000 40199", 40000, 40199);
	range_ok("1 65535\n", 1, 65535);
	range_ok("5 5", 5, 5);
	range_ok("  100 \t 200 \n", 100, 200);
	range_ok("1024\t\t2048", 1024, 2048);
}

static void test_parse_range_bad(void **state)
{
	(void)state;
	range_bad("60999 32768");		/* reversed */
	range_bad("0 100");			/* LOW >= 1 */
	range_bad("0 0");
	range_bad("100 65536");			/* > 65535 */
	range_bad("65536 65537");
	range_bad("abc def");
	range_bad("100");			/* missing field */
	range_bad("100\n");
	range_bad("100 200 300");		/* extra field */
	range_bad("99999999999999999999 1");	/* huge */
	range_bad("1 99999999999999999999");
	range_bad("4294967297 4294967298");	/* 2^32 + 1 must not wrap */
	range_bad("+100 200");			/* no signs */
	range_bad("-100 200");
	range_bad("100 -200");
	range_bad("100 200x");			/* trailing garbage */
	range_bad("100x 200");
	range_bad("100,200");
	range_bad("100 200\n\n");
	range_bad("100 200\nx");
	range_bad("0x10 0x20");
	range_bad("");
	range_bad("\n");
	range_bad(NULL);
}

/* ---- sysctl_parse_reserved ----------------------------------------------- */

static void test_parse_reserved_basic(void **state)
{
	uint8_t bm[SYSCTL_PORT_BITMAP_BYTES];
	unsigned p;

	(void)state;
	memset(bm, 0xff, sizeof(bm));		/* must be cleared first */
	assert_int_equal(sysctl_parse_reserved("8080", bm), 1);
	assert_true(port_set(bm, 8080));
	assert_false(port_set(bm, 8079));
	assert_false(port_set(bm, 8081));
	assert_int_equal(count_reserved(bm), 1);

	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(sysctl_parse_reserved("8080,9000-9010", bm), 12);
	assert_true(port_set(bm, 8080));
	for (p = 9000; p <= 9010; p++)
		assert_true(port_set(bm, p));
	assert_false(port_set(bm, 8999));
	assert_false(port_set(bm, 9011));
	assert_int_equal(count_reserved(bm), 12);

	/* the kernel's own output ends in a newline */
	assert_int_equal(sysctl_parse_reserved("8080,9000-9010\n", bm), 12);

	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(sysctl_parse_reserved("", bm), 0);
	assert_true(bitmap_is_zero(bm));
	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(sysctl_parse_reserved("\n", bm), 0);
	assert_true(bitmap_is_zero(bm));
}

static void test_parse_reserved_overlap(void **state)
{
	uint8_t bm[SYSCTL_PORT_BITMAP_BYTES];

	(void)state;
	/* 1-15 in all, however often covered */
	assert_int_equal(sysctl_parse_reserved("1-10,5-15,15,7,1-3", bm), 15);
	assert_int_equal(count_reserved(bm), 15);
	assert_int_equal(sysctl_parse_reserved("8080,8080,8080", bm), 1);
	assert_int_equal(sysctl_parse_reserved("100-200,150-250", bm), 151);
	assert_int_equal(count_reserved(bm), 151);
	assert_true(port_set(bm, 100));
	assert_true(port_set(bm, 250));
	assert_false(port_set(bm, 251));
	/* ranges that straddle byte boundaries */
	assert_int_equal(sysctl_parse_reserved("3-21,22-22,30-33", bm), 24);
	assert_false(port_set(bm, 2));
	assert_false(port_set(bm, 23));
	assert_false(port_set(bm, 29));
	assert_true(port_set(bm, 33));
	assert_false(port_set(bm, 34));
}

static void test_parse_reserved_blanks(void **state)
{
	uint8_t bm[SYSCTL_PORT_BITMAP_BYTES];

	(void)state;
	assert_int_equal(sysctl_parse_reserved(" 80 , 90-91\t\n", bm), 3);
	assert_true(port_set(bm, 80));
	assert_true(port_set(bm, 91));
	assert_int_equal(sysctl_parse_reserved("  \n", bm), 0);
}

/* The kernel accepts "80," (and "80,\n") on write and stores port 80. */
static void test_parse_reserved_trailing_comma(void **state)
{
	uint8_t bm[SYSCTL_PORT_BITMAP_BYTES];

	(void)state;
	assert_int_equal(sysctl_parse_reserved("80,", bm), 1);
	assert_true(port_set(bm, 80));
	assert_int_equal(sysctl_parse_reserved("80,90-92,\n", bm), 4);
	assert_true(port_set(bm, 92));
}

static void reserved_bad(const char *text)
{
	uint8_t bm[SYSCTL_PORT_BITMAP_BYTES];

	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(sysctl_parse_reserved(text, bm), -EINVAL);
	assert_true(bitmap_is_zero(bm));
}

static void test_parse_reserved_bad(void **state)
{
	(void)state;
	reserved_bad("9010-9000");		/* reversed */
	reserved_bad("abc");
	reserved_bad("80,,81");			/* empty item */
	reserved_bad(",80");
	reserved_bad(",");
	reserved_bad("65536");
	reserved_bad("1-65536");
	reserved_bad("99999999999999999999");
	reserved_bad("4294967376");		/* 2^32 + 80 must not wrap */
	reserved_bad("80-");
	reserved_bad("-80");
	reserved_bad("+80");
	reserved_bad("80-90-100");
	reserved_bad("80 - 90");
	reserved_bad("80 81");			/* no separator */
	reserved_bad("80;81");
	reserved_bad("0x50");
	/* garbage after good items still clears what was set */
	reserved_bad("8080,9000-9010,x");
	reserved_bad(NULL);
}

static void test_parse_reserved_edges(void **state)
{
	uint8_t bm[SYSCTL_PORT_BITMAP_BYTES];

	(void)state;
	assert_int_equal(sysctl_parse_reserved("65535", bm), 1);
	assert_true(port_set(bm, 65535));
	assert_int_equal(sysctl_parse_reserved("1-65535", bm), 65535);
	assert_int_equal(count_reserved(bm), 65535);
	assert_int_equal(sysctl_parse_reserved("65530-65535", bm), 6);
	/* port 0 parses (the kernel takes it) but is never allocated */
	assert_int_equal(sysctl_parse_reserved("0", bm), 0);
	assert_false(port_set(bm, 0));
	assert_int_equal(sysctl_parse_reserved("0-3", bm), 3);
	assert_false(port_set(bm, 0));
	assert_true(port_set(bm, 1));
	assert_true(port_set(bm, 3));
}

static void test_parse_reserved_long(void **state)
{
	uint8_t bm[SYSCTL_PORT_BITMAP_BYTES];
	size_t len, i;
	char *s;
	unsigned p;

	(void)state;
	s = odd_ports_list(&len);
	assert_int_equal(len, 191053);
	assert_int_equal(sysctl_parse_reserved(s, bm), 32768);
	for (p = 0; p < 65536; p++)
		assert_int_equal(port_set(bm, p), p & 1);
	free(s);

	/* many wide overlapping ranges: counted once */
	len = 100000;
	s = malloc(len * 8 + 1);
	assert_non_null(s);
	for (i = 0; i < len; i++)
		memcpy(s + i * 8, "1-65535,", 8);
	s[len * 8] = '\0';
	assert_int_equal(sysctl_parse_reserved(s, bm), 65535);
	/* one bad byte at the very end rejects the lot */
	s[len * 8 - 1] = 'x';
	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(sysctl_parse_reserved(s, bm), -EINVAL);
	assert_true(bitmap_is_zero(bm));
	free(s);
}

/* ---- sysctl_parse_int ---------------------------------------------------- */

static void int_ok(const char *text, int want)
{
	int v = 12345;

	assert_int_equal(sysctl_parse_int(text, &v), 0);
	assert_int_equal(v, want);
}

static void int_bad(const char *text)
{
	int v = 12345;

	assert_int_equal(sysctl_parse_int(text, &v), -EINVAL);
	assert_int_equal(v, 12345);
}

static void test_parse_int(void **state)
{
	(void)state;
	int_ok("0", 0);
	int_ok("0\n", 0);
	int_ok("42\n", 42);
	int_ok("  -7 \t\n", -7);
	int_ok("-0", 0);
	int_ok("262144\n", 262144);
	int_ok("2147483647", INT_MAX);
	int_ok("-2147483648\n", INT_MIN);

	int_bad("2147483648");
	int_bad("-2147483649");
	int_bad("99999999999999999999999");
	int_bad("");
	int_bad("\n");
	int_bad("-");
	int_bad("--5");
	int_bad("+5");
	int_bad("4 2");
	int_bad("42x");
	int_bad("x42");
	int_bad("42\n\n");
	int_bad("42\nx");
	int_bad(NULL);
}

/* ---- sysctl_read on fixture trees ---------------------------------------- */

static void test_read_basic(void **state)
{
	struct sysctl_vals v;
	unsigned p;

	(void)state;
	assert_int_equal(sysctl_read(TESTDATA "/proc-basic", &v), 0);
	assert_int_equal(v.known, SYSCTL_K_RANGE | SYSCTL_K_RESERVED |
			 SYSCTL_K_TW_REUSE | SYSCTL_K_TIMESTAMPS |
			 SYSCTL_K_FIN_TIMEOUT | SYSCTL_K_MAX_TW |
			 SYSCTL_K_TW_REUSE_DELAY);
	assert_int_equal(v.port_low, 40000);
	assert_int_equal(v.port_high, 40199);
	assert_int_equal(v.tcp_tw_reuse, 0);
	assert_int_equal(v.tcp_timestamps, 1);
	assert_int_equal(v.tcp_fin_timeout, 30);
	assert_int_equal(v.tcp_max_tw_buckets, 4096);
	assert_int_equal(v.tcp_tw_reuse_delay_ms, 500);
	for (p = 40010; p <= 40019; p++)
		assert_true(sysctl_port_reserved(&v, p));
	assert_true(sysctl_port_reserved(&v, 40100));
	assert_false(sysctl_port_reserved(&v, 40009));
	assert_false(sysctl_port_reserved(&v, 40020));
	assert_false(sysctl_port_reserved(&v, 40099));
	assert_false(sysctl_port_reserved(&v, 40101));
	assert_int_equal(count_reserved(v.reserved), 11);
	assert_false(sysctl_port_reserved(&v, 65536));
}

static void test_read_partial(void **state)
{
	struct sysctl_vals v, d;

	(void)state;
	sysctl_defaults(&d);
	assert_int_equal(sysctl_read(TESTDATA "/proc-partial", &v), 0);
	assert_int_equal(v.known, SYSCTL_K_RANGE | SYSCTL_K_TIMESTAMPS);
	assert_int_equal(v.port_low, 50000);
	assert_int_equal(v.port_high, 50999);
	assert_int_equal(v.tcp_timestamps, 0);
	/* the rest keeps the defaults (e.g. a kernel before 6.13 has no
	 * tcp_tw_reuse_delay) */
	assert_int_equal(v.tcp_tw_reuse, d.tcp_tw_reuse);
	assert_int_equal(v.tcp_fin_timeout, d.tcp_fin_timeout);
	assert_int_equal(v.tcp_max_tw_buckets, d.tcp_max_tw_buckets);
	assert_int_equal(v.tcp_tw_reuse_delay_ms, d.tcp_tw_reuse_delay_ms);
	assert_true(bitmap_is_zero(v.reserved));
}

static void test_read_garbage_range(void **state)
{
	struct sysctl_vals v, d;

	(void)state;
	sysctl_defaults(&d);
	assert_int_equal(sysctl_read(TESTDATA "/proc-garbage-range", &v), -EINVAL);
	assert_int_equal(v.port_low, d.port_low);
	assert_int_equal(v.port_high, d.port_high);
	/* the other files are still read */
	assert_int_equal(v.known, SYSCTL_K_RESERVED | SYSCTL_K_TW_REUSE);
	assert_int_equal(v.tcp_tw_reuse, 1);
	assert_true(bitmap_is_zero(v.reserved));
}

static void test_read_bad_values(void **state)
{
	struct sysctl_vals v, d;

	(void)state;
	sysctl_defaults(&d);
	assert_int_equal(sysctl_read(TESTDATA "/proc-bad-values", &v), 0);
	/* fin_timeout -5 is a value the kernel stores; everything else in
	 * this tree is something the kernel would never print */
	assert_int_equal(v.known, SYSCTL_K_RANGE | SYSCTL_K_FIN_TIMEOUT);
	assert_int_equal(v.port_low, 30000);
	assert_int_equal(v.port_high, 30999);
	assert_int_equal(v.tcp_fin_timeout, -5);
	assert_true(bitmap_is_zero(v.reserved));		/* "80,,81" */
	assert_int_equal(v.tcp_tw_reuse, d.tcp_tw_reuse);	/* 3 */
	assert_int_equal(v.tcp_timestamps, d.tcp_timestamps);	/* "1x" */
	assert_int_equal(v.tcp_max_tw_buckets, d.tcp_max_tw_buckets); /* overflow */
	assert_int_equal(v.tcp_tw_reuse_delay_ms, d.tcp_tw_reuse_delay_ms); /* 0 */
}

static void test_read_missing_root(void **state)
{
	struct sysctl_vals v, d;
	const char *dir = *state;

	sysctl_defaults(&d);
	memset(&v, 0x5a, sizeof(v));
	assert_int_equal(sysctl_read(TESTDATA "/proc-does-not-exist", &v), -ENOENT);
	assert_int_equal(v.known, 0);
	assert_int_equal(v.port_low, d.port_low);
	assert_int_equal(v.port_high, d.port_high);
	assert_int_equal(v.tcp_max_tw_buckets, d.tcp_max_tw_buckets);
	assert_true(bitmap_is_zero(v.reserved));

	/* a root without sys/net/ipv4 */
	assert_int_equal(sysctl_read(dir, &v), -ENOENT);
	assert_int_equal(v.known, 0);
	/* only the range file missing */
	put_str(dir, "sys/net/ipv4/tcp_tw_reuse", "1\n");
	assert_int_equal(sysctl_read(dir, &v), -ENOENT);
	assert_int_equal(v.known, SYSCTL_K_TW_REUSE);
	assert_int_equal(v.tcp_tw_reuse, 1);
}

static void test_read_oversized_reserved(void **state)
{
	struct sysctl_vals v;
	const char *dir = *state;
	size_t len, i;
	char *s;

	put_str(dir, "sys/net/ipv4/ip_local_port_range", "32768\t60999\n");

	/* the longest list the kernel can print must be read whole */
	s = odd_ports_list(&len);
	put_file(dir, "sys/net/ipv4/ip_local_reserved_ports", s, len);
	free(s);
	assert_int_equal(sysctl_read(dir, &v), 0);
	assert_true(v.known & SYSCTL_K_RESERVED);
	assert_int_equal(count_reserved(v.reserved), 32768);
	assert_true(sysctl_port_reserved(&v, 65535));
	assert_false(sysctl_port_reserved(&v, 65534));

	/* 1 MiB of valid items: longer than any kernel output, refused
	 * rather than parsed in part */
	len = 1024 * 1024;
	s = malloc(len);
	assert_non_null(s);
	for (i = 0; i + 8 <= len; i += 8)
		memcpy(s + i, "1-65535,", 8);
	put_file(dir, "sys/net/ipv4/ip_local_reserved_ports", s, len);
	free(s);
	assert_int_equal(sysctl_read(dir, &v), 0);
	assert_true(v.known & SYSCTL_K_RANGE);
	assert_false(v.known & SYSCTL_K_RESERVED);
	assert_true(bitmap_is_zero(v.reserved));
}

static void test_read_hostile_files(void **state)
{
	static const char nul[] = "40000 40100\n\0 1 2";
	struct sysctl_vals v;
	const char *dir = *state;
	char path[PATH_MAX], link[PATH_MAX + 16];
	char pad[512];
	int n;

	put_str(dir, "sys/net/ipv4/real_range", "40000 40100\n");

	/* the last component is never followed */
	put_link(dir, "sys/net/ipv4/ip_local_port_range", "real_range");
	assert_int_equal(sysctl_read(dir, &v), -ELOOP);
	assert_false(v.known & SYSCTL_K_RANGE);

	/* but procroot itself may be a symlink */
	n = snprintf(path, sizeof(path), "%s/sys/net/ipv4/ip_local_port_range", dir);
	assert_true(n > 0 && (size_t)n < sizeof(path));
	assert_int_equal(unlink(path), 0);
	put_str(dir, "sys/net/ipv4/ip_local_port_range", "40000 40100\n");
	n = snprintf(link, sizeof(link), "%s/root-link", dir);
	assert_true(n > 0 && (size_t)n < sizeof(link));
	assert_int_equal(symlink(".", link), 0);
	assert_int_equal(sysctl_read(link, &v), 0);
	assert_int_equal(v.port_low, 40000);
	assert_int_equal(v.port_high, 40100);

	/* a FIFO must neither block nor be read */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(sysctl_read(dir, &v), -EINVAL);
	assert_false(v.known & SYSCTL_K_RANGE);

	/* a directory is not a value */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(sysctl_read(dir, &v), -EINVAL);
	assert_int_equal(rmdir(path), 0);

	/* an embedded NUL would hide trailing bytes from the parser */
	put_file(dir, "sys/net/ipv4/ip_local_port_range", nul, sizeof(nul) - 1);
	assert_int_equal(sysctl_read(dir, &v), -EINVAL);

	/* a number file longer than the bound, even if it would parse */
	memset(pad, ' ', sizeof(pad));
	memcpy(pad, "40000", 5);
	memcpy(pad + sizeof(pad) - 7, "40100\n", 7);
	put_file(dir, "sys/net/ipv4/ip_local_port_range", pad, sizeof(pad) - 1);
	assert_int_equal(sysctl_parse_range(pad, &(unsigned){0}, &(unsigned){0}), 0);
	assert_int_equal(sysctl_read(dir, &v), -EINVAL);
	assert_false(v.known & SYSCTL_K_RANGE);

}

static void test_read_live(void **state)
{
	struct sysctl_vals v;
	unsigned lo = 0, hi = 0;
	FILE *f;

	(void)state;
	assert_int_equal(sysctl_read("/proc", &v), 0);
	assert_true(v.known & SYSCTL_K_RANGE);
	assert_true(v.port_low >= 1);
	assert_true(v.port_low <= v.port_high);
	assert_true(v.port_high <= 65535);
	if (v.known & SYSCTL_K_TW_REUSE)
		assert_in_range(v.tcp_tw_reuse, 0, 2);
	/* agrees with an independent read */
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%u %u", &lo, &hi), 2);
	fclose(f);
	assert_int_equal(v.port_low, lo);
	assert_int_equal(v.port_high, hi);
}

/* ---- sysctl_read_netns --------------------------------------------------- */

static void test_netns_good(void **state)
{
	const char *dir = *state;
	char buf[64];

	/* a dangling symlink is enough for readlink */
	put_link(dir, "self/ns/net", "net:[4026531840]");
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(sysctl_read_netns(dir, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "net:[4026531840]");

	/* exactly enough room: 16 chars + NUL */
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(sysctl_read_netns(dir, buf, 17), 0);
	assert_string_equal(buf, "net:[4026531840]");

	/* one byte short: refused, not truncated */
	memset(buf, 'z', sizeof(buf));
	assert_true(sysctl_read_netns(dir, buf, 16) < 0);
	assert_string_equal(buf, "unknown");
	assert_int_equal(buf[15], 'z');

	/* too small even for "unknown": cut, still terminated */
	memset(buf, 'z', sizeof(buf));
	assert_true(sysctl_read_netns(dir, buf, 4) < 0);
	assert_string_equal(buf, "unk");
	assert_int_equal(buf[4], 'z');
}

static void netns_bad(const char *dir, const char *target)
{
	char path[PATH_MAX];
	char buf[64];
	int n;

	put_link(dir, "self/ns/net", target);
	memset(buf, 'z', sizeof(buf));
	assert_true(sysctl_read_netns(dir, buf, sizeof(buf)) < 0);
	assert_string_equal(buf, "unknown");
	n = snprintf(path, sizeof(path), "%s/self/ns/net", dir);
	assert_true(n > 0 && (size_t)n < sizeof(path));
	assert_int_equal(unlink(path), 0);
}

static void test_netns_hostile(void **state)
{
	const char *dir = *state;
	char buf[64];

	netns_bad(dir, "../../etc/passwd");
	netns_bad(dir, "net:[]");
	netns_bad(dir, "net:[123");
	netns_bad(dir, "net:[123]x");
	netns_bad(dir, "net:[12a3]");
	netns_bad(dir, "mnt:[4026531840]");
	netns_bad(dir, "net:[-4026531840]");
	netns_bad(dir, "net:[123456789012345678901]");	/* 21 digits */
	netns_bad(dir, "net:[4026531840]/../../../../../../../../../etc/passwd");

	/* a regular file, not a link */
	put_str(dir, "self/ns/net", "net:[4026531840]");
	assert_int_equal(sysctl_read_netns(dir, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, "unknown");

	/* missing */
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(sysctl_read_netns(TESTDATA "/proc-does-not-exist", buf,
					   sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "unknown");
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(sysctl_read_netns(TESTDATA "/proc-basic", buf,
					   sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "unknown");
}

static void test_netns_live(void **state)
{
	char want[64], buf[64];
	ssize_t n;

	(void)state;
	n = readlink("/proc/self/ns/net", want, sizeof(want) - 1);
	assert_true(n > 0 && (size_t)n < sizeof(want) - 1);
	want[n] = '\0';
	assert_int_equal(sysctl_read_netns("/proc", buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
	assert_memory_equal(buf, "net:[", 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_range_good),
		cmocka_unit_test(test_parse_range_bad),
		cmocka_unit_test(test_parse_reserved_basic),
		cmocka_unit_test(test_parse_reserved_overlap),
		cmocka_unit_test(test_parse_reserved_blanks),
		cmocka_unit_test(test_parse_reserved_trailing_comma),
		cmocka_unit_test(test_parse_reserved_bad),
		cmocka_unit_test(test_parse_reserved_edges),
		cmocka_unit_test(test_parse_reserved_long),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_read_basic),
		cmocka_unit_test(test_read_partial),
		cmocka_unit_test(test_read_garbage_range),
		cmocka_unit_test(test_read_bad_values),
		cmocka_unit_test_setup_teardown(test_read_missing_root, tmp_setup,
						tmp_teardown),
		cmocka_unit_test_setup_teardown(test_read_oversized_reserved, tmp_setup,
						tmp_teardown),
		cmocka_unit_test_setup_teardown(test_read_hostile_files, tmp_setup,
						tmp_teardown),
		cmocka_unit_test(test_read_live),
		cmocka_unit_test_setup_teardown(test_netns_good, tmp_setup,
						tmp_teardown),
		cmocka_unit_test_setup_teardown(test_netns_hostile, tmp_setup,
						tmp_teardown),
		cmocka_unit_test(test_netns_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
