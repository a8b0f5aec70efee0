#ifndef PORTTOP_NETSTAT_H
#define PORTTOP_NETSTAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * netstat: the host-wide TCP counters porttop shows rates of, read from
 * <procroot>/net/snmp (Tcp: ActiveOpens) and <procroot>/net/netstat
 * (TcpExt: TWRecycled, TCPTimeWaitOverflow). procroot is "/proc" in
 * production; /proc/net follows the reader's network namespace.
 *
 * Both files are pairs of lines: a header line "Sect: Name1 Name2 ..." and
 * a value line "Sect: v1 v2 ...". They are hostile input: reads are
 * bounded, a line or token that does not parse leaves the value unknown,
 * and nothing is read past the text.
 */

enum netstat_known {
	NETSTAT_K_ACTIVE_OPENS = 1 << 0,
	NETSTAT_K_TW_RECYCLED = 1 << 1,
	NETSTAT_K_TW_OVERFLOW = 1 << 2,
};

struct netstat_vals {
	uint64_t active_opens;    /* Tcp ActiveOpens: connect() attempts */
	uint64_t tw_recycled;     /* TcpExt TWRecycled: TIME_WAIT reused */
	uint64_t tw_overflow;     /* TcpExt TCPTimeWaitOverflow */
	unsigned known;           /* enum netstat_known bits */
};

/* Longest file read; the kernel's /proc/net/netstat is about 4 KiB. */
#define NETSTAT_FILE_MAX (64 * 1024)

/*
 * Find the value of each of the n names in section `sect` (without the
 * colon, e.g. "TcpExt") of text (len bytes, need not be NUL-terminated).
 * vals[i] is set and bit i of *found set for every name found with an
 * unsigned decimal value (a leading '-' or junk makes it not found). When
 * a section appears twice, the first header/value pair wins. Returns the
 * number of names found.
 */
int netstat_parse(const char *text, size_t len, const char *sect,
		  const char *const names[], uint64_t vals[], size_t n,
		  unsigned *found);

/*
 * Read the counters under procroot into *v (zeroed first). Counters that
 * cannot be read stay 0 with their bit clear in v->known. Returns 0 when
 * at least one counter was read, else a negative errno.
 */
int netstat_read(const char *procroot, struct netstat_vals *v);

#endif
