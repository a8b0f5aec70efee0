#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "sysctl.h"

/* Longest number file we accept ("32768\t60999\n" is 12 bytes). */
#define SYSCTL_NUM_MAX 256
/*
 * Longest reserved-ports list we accept. The kernel prints the list in a
 * single read() and truncates it to the caller's buffer; the worst case
 * (every odd port, "1,3,...,65535\n") is 191053 bytes, so 256 KiB holds
 * any list the kernel can print, and a longer file is not the kernel's.
 */
#define SYSCTL_LIST_MAX (256 * 1024)

/* The netns link is "net:[" + up to 20 digits (a u64 inode) + "]". */
#define SYSCTL_NETNS_MAX 32

void sysctl_defaults(struct sysctl_vals *v)
{
	memset(v, 0, sizeof(*v));
	v->port_low = 32768;
	v->port_high = 60999;
	v->tcp_tw_reuse = 2;
	v->tcp_timestamps = 1;
	v->tcp_fin_timeout = 60;
	v->tcp_max_tw_buckets = 262144;
	v->tcp_tw_reuse_delay_ms = 1000;
	v->known = 0;
}

static int sysctl_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *sysctl_skip_blanks(const char *p)
{
	while (sysctl_is_blank(*p))
		p++;
	return p;
}

/* Blanks, then at most one newline, then the end of the text. */
static int sysctl_at_end(const char *p)
{
	p = sysctl_skip_blanks(p);
	if (*p == '\n')
		p++;
	return *p == '\0';
}

/*
 * Decimal digits at *pp, at least one, value <= max (no sign accepted).
 * Advances *pp past the digits. 0 or -EINVAL.
 */
static int sysctl_scan_uint(const char **pp, unsigned long max,
			    unsigned long *out)
{
	const char *p = *pp;
	unsigned long v = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		unsigned long d = (unsigned long)(*p - '0');

		if (d > max || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		p++;
	}
	*pp = p;
	*out = v;
	return 0;
}

int sysctl_parse_range(const char *text, unsigned *low, unsigned *high)
{
	const char *p;
	unsigned long lo, hi;

	if (!text)
		return -EINVAL;
	p = sysctl_skip_blanks(text);
	if (sysctl_scan_uint(&p, 65535, &lo) < 0)
		return -EINVAL;
	if (!sysctl_is_blank(*p))
		return -EINVAL;
	p = sysctl_skip_blanks(p);
	if (sysctl_scan_uint(&p, 65535, &hi) < 0)
		return -EINVAL;
	if (!sysctl_at_end(p))
		return -EINVAL;
	if (lo < 1 || lo > hi)
		return -EINVAL;
	*low = (unsigned)lo;
	*high = (unsigned)hi;
	return 0;
}

int sysctl_parse_int(const char *text, int *out)
{
	const char *p;
	unsigned long mag;
	int neg = 0;

	if (!text)
		return -EINVAL;
	p = sysctl_skip_blanks(text);
	if (*p == '-') {
		neg = 1;
		p++;
	}
	/* -INT_MIN does not fit in int: bound the magnitude per sign. */
	if (sysctl_scan_uint(&p, (unsigned long)INT_MAX + (unsigned long)neg,
			     &mag) < 0)
		return -EINVAL;
	if (!sysctl_at_end(p))
		return -EINVAL;
	if (neg)
		*out = mag > (unsigned long)INT_MAX ? INT_MIN : -(int)mag;
	else
		*out = (int)mag;
	return 0;
}

static int sysctl_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static const char *sysctl_skip_space(const char *p)
{
	while (sysctl_is_space(*p))
		p++;
	return p;
}

/* Set bits a..b (a <= b <= 65535); whole bytes by memset, so a hostile
 * list of many wide ranges stays cheap. */
static void sysctl_bitmap_set(uint8_t *bitmap, unsigned a, unsigned b)
{
	while (a <= b && (a & 7)) {
		bitmap[a >> 3] |= (uint8_t)(1u << (a & 7));
		a++;
	}
	if (a <= b && b - a + 1 >= 8) {
		unsigned bytes = (b - a + 1) >> 3;

		memset(bitmap + (a >> 3), 0xff, bytes);
		a += bytes << 3;
	}
	while (a <= b) {
		bitmap[a >> 3] |= (uint8_t)(1u << (a & 7));
		a++;
	}
}

static int sysctl_bitmap_count(const uint8_t *bitmap)
{
	int n = 0;
	size_t i;

	for (i = 0; i < SYSCTL_PORT_BITMAP_BYTES; i++) {
		unsigned x = bitmap[i];

		while (x) {
			x &= x - 1;
			n++;
		}
	}
	return n;
}

/*
 * The kernel prints "a-b,c\n" (proc_do_large_bitmap). On write it also
 * accepts a trailing comma ("80," is taken as "80"), so we do too; an
 * empty item (",80", "80,,81") is rejected by the kernel and here.
 */
int sysctl_parse_reserved(const char *text, uint8_t *bitmap)
{
	const char *p;

	memset(bitmap, 0, SYSCTL_PORT_BITMAP_BYTES);
	if (!text)
		return -EINVAL;
	p = sysctl_skip_space(text);
	while (*p) {
		unsigned long a, b;

		if (sysctl_scan_uint(&p, 65535, &a) < 0)
			goto bad;
		b = a;
		if (*p == '-') {
			p++;
			if (sysctl_scan_uint(&p, 65535, &b) < 0 || a > b)
				goto bad;
		}
		/* Port 0 is never chosen automatically: reserving it means
		 * nothing, so it is neither set nor counted. */
		if (a == 0)
			a = 1;
		if (a <= b)
			sysctl_bitmap_set(bitmap, (unsigned)a, (unsigned)b);
		p = sysctl_skip_space(p);
		if (*p == '\0')
			break;
		if (*p != ',')
			goto bad;
		p = sysctl_skip_space(p + 1);
	}
	return sysctl_bitmap_count(bitmap);
bad:
	memset(bitmap, 0, SYSCTL_PORT_BITMAP_BYTES);
	return -EINVAL;
}

/*
 * Read dirfd/name into buf (size cap, at least 2) and NUL-terminate it.
 * Only the last component is opened with O_NOFOLLOW; O_NONBLOCK keeps a
 * FIFO planted in a fixture from blocking the open. Proc files report
 * st_size 0, so we read until EOF; a file that fills cap - 1 bytes is
 * longer than the caller's bound and refused (a cut list would be
 * silently wrong), as is an embedded NUL.
 */
static int sysctl_slurp(int dirfd, const char *name, char *buf, size_t cap)
{
	struct stat st;
	size_t len = 0;
	int fd, err = 0;

	buf[0] = '\0';
	fd = openat(dirfd, name,
		    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	while (!err && len < cap - 1) {
		/* One big read matters: proc sysctls print everything on
		 * the first read() and return EOF after. */
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
		} else if (n == 0) {
			break;
		} else {
			len += (size_t)n;
		}
	}
	close(fd);
	if (err) {
		buf[0] = '\0';
		return err;
	}
	buf[len] = '\0';
	if (len >= cap - 1 || memchr(buf, '\0', len)) {
		buf[0] = '\0';
		return -EINVAL;
	}
	return 0;
}

struct sysctl_int_file {
	const char *name;
	size_t offset;		/* of the int in struct sysctl_vals */
	int min, max;		/* what the kernel itself accepts */
	unsigned bit;
};

static const struct sysctl_int_file sysctl_int_files[] = {
	{ "tcp_tw_reuse", offsetof(struct sysctl_vals, tcp_tw_reuse),
	  0, 2, SYSCTL_K_TW_REUSE },
	/* a u8 sysctl: any value but 0 enables timestamps */
	{ "tcp_timestamps", offsetof(struct sysctl_vals, tcp_timestamps),
	  0, 255, SYSCTL_K_TIMESTAMPS },
	/* plain ints: the kernel stores even negative values */
	{ "tcp_fin_timeout", offsetof(struct sysctl_vals, tcp_fin_timeout),
	  INT_MIN, INT_MAX, SYSCTL_K_FIN_TIMEOUT },
	{ "tcp_max_tw_buckets", offsetof(struct sysctl_vals, tcp_max_tw_buckets),
	  INT_MIN, INT_MAX, SYSCTL_K_MAX_TW },
	/* 1..TCP_PAWS_MSL seconds in ms; absent before Linux 6.13 */
	{ "tcp_tw_reuse_delay", offsetof(struct sysctl_vals, tcp_tw_reuse_delay_ms),
	  1, 60000, SYSCTL_K_TW_REUSE_DELAY },
};

static int sysctl_read_int(int dirfd, const struct sysctl_int_file *f,
			   struct sysctl_vals *v)
{
	char buf[SYSCTL_NUM_MAX + 2];
	int val, err;

	err = sysctl_slurp(dirfd, f->name, buf, sizeof(buf));
	if (err < 0)
		return err;
	if (sysctl_parse_int(buf, &val) < 0 || val < f->min || val > f->max)
		return -EINVAL;
	memcpy((char *)v + f->offset, &val, sizeof(val));
	v->known |= f->bit;
	return 0;
}

static int sysctl_read_reserved(int dirfd, struct sysctl_vals *v)
{
	char *buf;
	int err;

	buf = malloc(SYSCTL_LIST_MAX + 2);
	if (!buf)
		return -ENOMEM;
	err = sysctl_slurp(dirfd, "ip_local_reserved_ports", buf,
			   SYSCTL_LIST_MAX + 2);
	/* parse_reserved clears the bitmap on garbage: defaults again */
	if (!err && sysctl_parse_reserved(buf, v->reserved) < 0)
		err = -EINVAL;
	free(buf);
	if (err < 0)
		return err;
	v->known |= SYSCTL_K_RESERVED;
	return 0;
}

int sysctl_read(const char *procroot, struct sysctl_vals *v)
{
	char buf[SYSCTL_NUM_MAX + 2];
	unsigned low, high;
	int rootfd, dirfd, ret;
	size_t i;

	sysctl_defaults(v);
	if (!procroot)
		return -EINVAL;
	rootfd = open(procroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return v->range_err = -errno;
	dirfd = openat(rootfd, "sys/net/ipv4",
		       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ret = dirfd < 0 ? -errno : 0;
	close(rootfd);
	if (ret < 0)
		return v->range_err = ret;

	ret = sysctl_slurp(dirfd, "ip_local_port_range", buf, sizeof(buf));
	if (!ret && sysctl_parse_range(buf, &low, &high) < 0)
		ret = -EINVAL;
	if (!ret) {
		v->port_low = low;
		v->port_high = high;
		v->known |= SYSCTL_K_RANGE;
	}
	/* The rest is best effort: a missing or bad file keeps its default
	 * and its bit stays clear. */
	(void)sysctl_read_reserved(dirfd, v);
	for (i = 0; i < sizeof(sysctl_int_files) / sizeof(sysctl_int_files[0]); i++)
		(void)sysctl_read_int(dirfd, &sysctl_int_files[i], v);
	close(dirfd);
	v->range_err = ret;
	return ret;
}

/* "net:[" digits "]", nothing else. */
static int sysctl_netns_valid(const char *s, size_t len)
{
	size_t i, digits = 0;

	if (len < 7 || memcmp(s, "net:[", 5) != 0 || s[len - 1] != ']')
		return 0;
	for (i = 5; i < len - 1; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		digits++;
	}
	return digits >= 1 && digits <= 20;
}

static void sysctl_set_unknown(char *buf, size_t len)
{
	static const char unknown[] = "unknown";
	size_t n;

	if (!buf || len == 0)
		return;
	n = len - 1 < sizeof(unknown) - 1 ? len - 1 : sizeof(unknown) - 1;
	memcpy(buf, unknown, n);
	buf[n] = '\0';
}

int sysctl_read_netns(const char *procroot, char *buf, size_t len)
{
	char link[SYSCTL_NETNS_MAX];
	ssize_t n;
	int rootfd, err = 0;

	if (!procroot || !buf || len == 0) {
		sysctl_set_unknown(buf, len);
		return -EINVAL;
	}
	rootfd = open(procroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		err = -errno;
		sysctl_set_unknown(buf, len);
		return err;
	}
	n = readlinkat(rootfd, "self/ns/net", link, sizeof(link));
	if (n < 0)
		err = -errno;
	close(rootfd);
	/* readlink does not terminate and silently truncates: a full
	 * buffer means the target was too long to be a netns link. */
	if (!err && ((size_t)n >= sizeof(link) ||
		     !sysctl_netns_valid(link, (size_t)n)))
		err = -EINVAL;
	if (!err && (size_t)n >= len)
		err = -ENAMETOOLONG;
	if (err) {
		sysctl_set_unknown(buf, len);
		return err;
	}
	memcpy(buf, link, (size_t)n);
	buf[n] = '\0';
	return 0;
}
