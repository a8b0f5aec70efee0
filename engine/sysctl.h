#ifndef PORTTOP_SYSCTL_H
#define PORTTOP_SYSCTL_H

#include <stddef.h>
#include <stdint.h>

/*
 * sysctl: the kernel settings that decide port allocation, read from
 * <procroot>/sys/net/ipv4/... so tests can point at a fixture tree.
 * procroot is "/proc" in production. Files are hostile input: every read
 * is bounded and every number range-checked.
 */

/* Bits of sysctl_vals.known: which values were read (others are defaults). */
enum sysctl_known {
	SYSCTL_K_RANGE = 1 << 0,
	SYSCTL_K_RESERVED = 1 << 1,
	SYSCTL_K_TW_REUSE = 1 << 2,
	SYSCTL_K_TIMESTAMPS = 1 << 3,
	SYSCTL_K_FIN_TIMEOUT = 1 << 4,
	SYSCTL_K_MAX_TW = 1 << 5,
	SYSCTL_K_TW_REUSE_DELAY = 1 << 6,
};

#define SYSCTL_PORT_BITMAP_BYTES (65536 / 8)

struct sysctl_vals {
	unsigned port_low;            /* ip_local_port_range, default 32768 */
	unsigned port_high;           /* default 60999 */
	uint8_t reserved[SYSCTL_PORT_BITMAP_BYTES]; /* ip_local_reserved_ports */
	int tcp_tw_reuse;             /* default 2 */
	int tcp_timestamps;           /* default 1 */
	int tcp_fin_timeout;          /* default 60 */
	int tcp_max_tw_buckets;       /* fallback 262144; the kernel sizes it
					 from its hash table: trust it only
					 when known */
	int tcp_tw_reuse_delay_ms;    /* default 1000 (sysctl since Linux 6.13) */
	unsigned known;               /* enum sysctl_known bits */
	int range_err;                /* why the range was not read (-errno),
					 0 when read or not tried */
};

/* Fill with the kernel's defaults and known = 0. */
void sysctl_defaults(struct sysctl_vals *v);

/*
 * Read every value under procroot. Values that cannot be read keep their
 * defaults and their bit stays clear in `known`. Returns 0 when at least
 * the port range was read, else the negative errno of that read.
 */
int sysctl_read(const char *procroot, struct sysctl_vals *v);

/*
 * Parse "LOW HIGH" (any blanks, optional trailing newline). 1 <= LOW <=
 * HIGH <= 65535. Returns 0 or -EINVAL (outputs untouched).
 */
int sysctl_parse_range(const char *text, unsigned *low, unsigned *high);

/*
 * Parse a reserved-ports list: "" or "\n" (none), "8080", "8080,9000-9010",
 * blanks allowed around items, a trailing comma accepted (as the kernel
 * does). Sets bits in bitmap (which it clears first); port 0 is accepted
 * but neither set nor counted. Returns the number of ports reserved, or
 * -EINVAL on garbage (the bitmap is then cleared).
 */
int sysctl_parse_reserved(const char *text, uint8_t *bitmap);

/* Parse one decimal integer (optional '-', blanks, newline). 0 or -EINVAL. */
int sysctl_parse_int(const char *text, int *out);

static inline int sysctl_port_reserved(const struct sysctl_vals *v, unsigned port)
{
	return port < 65536 && (v->reserved[port >> 3] >> (port & 7)) & 1;
}

/*
 * Read the network namespace identity ("net:[4026531840]") from
 * <procroot>/self/ns/net into buf. Returns 0 or a negative errno (buf is
 * then "unknown").
 */
int sysctl_read_netns(const char *procroot, char *buf, size_t len);

#endif
