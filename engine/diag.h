#ifndef PORTTOP_DIAG_H
#define PORTTOP_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "nlio.h"
#include "sock.h"

/*
 * diag: sock_diag dumps (SOCK_DIAG_BY_FAMILY, inet_diag_req_v2) and the
 * parsing of their replies into sock_rec records.
 *
 * Every length in a reply is checked before it is used: a truncated or
 * malformed message is skipped and counted in diag_stats.malformed, never
 * read past. No extensions are requested; only the attributes the kernel
 * always sends are read (INET_DIAG_SKV6ONLY, and INET_DIAG_CGROUP_ID,
 * which every full socket carries when the kernel has cgroups).
 */

struct diag_stats {
	uint64_t messages;     /* sock_diag messages seen */
	uint64_t sockets;      /* records produced */
	uint64_t malformed;    /* messages skipped as truncated or invalid */
	uint64_t retries;      /* dumps restarted after NLM_F_DUMP_INTR */
};

/* Result of diag_parse() besides negative errnos. */
enum diag_parse_result {
	DIAG_PARSE_MORE = 0,   /* the dump goes on: receive again */
	DIAG_PARSE_DONE = 1,   /* NLMSG_DONE seen */
};

/*
 * Parse one message (its nlmsghdr included, nlmsg_len already checked by
 * the caller to be <= the bytes available) of a dump for `proto`
 * (IPPROTO_TCP or IPPROTO_UDP) into *out.
 * Returns 0, or -EINVAL when the message is malformed (out undefined).
 * TCP state CLOSE becomes SOCK_BOUND (only bound-inactive sockets are
 * dumped in that state); IPv4-mapped addresses are normalised.
 */
struct nlmsghdr;
int diag_parse_msg(const struct nlmsghdr *nlh, uint8_t proto,
		   struct sock_rec *out);

/*
 * Parse one received datagram of `len` bytes answering request `seq`,
 * appending one record per socket to `out`.
 * Returns DIAG_PARSE_MORE, DIAG_PARSE_DONE, -EAGAIN when a message carries
 * NLM_F_DUMP_INTR (the dump is inconsistent: restart it), -ENOMEM, or the
 * negated error of an NLMSG_ERROR message. Messages of another sequence
 * number are ignored; malformed ones are counted and skipped.
 */
int diag_parse(const void *buf, size_t len, uint32_t seq, uint8_t proto,
	       struct sockvec *out, struct diag_stats *st);

/*
 * Dump every socket of one family (AF_INET, AF_INET6) and protocol, all
 * states including bound-inactive ones, appending to out.
 * Returns 0, -EAGAIN if the dump was interrupted, -EPROTO if the
 * transport ended before NLMSG_DONE, or another negative errno. On every
 * error out is restored to its length on entry, and what is left of an
 * aborted dump is drained (a netlink socket runs one dump at a time).
 * NLMSG_DONE carrying a negative status is an error too.
 */
int diag_dump(struct nlio *io, int family, uint8_t proto,
	      struct sockvec *out, struct diag_stats *st);

/*
 * Dump TCP and UDP, IPv4 and IPv6, into out (cleared first). An
 * interrupted dump is retried up to DIAG_MAX_RETRIES times, then -EAGAIN
 * is returned and out is empty: a partial dump is never returned as
 * complete. Returns 0 or a negative errno.
 */
#define DIAG_MAX_RETRIES 5
int diag_dump_all(struct nlio *io, struct sockvec *out, struct diag_stats *st);

/*
 * Explicit-port binds (bind() to a non-zero port, then connect():
 * SOCK_BINDPORT_LOCK), told without privilege by one more dump of the
 * live connected-type TCP sockets filtered by sock_diag bytecode
 * (INET_DIAG_BC_AUTO). diag_dump_userbound() gives their cookies, sorted,
 * in a new array the caller frees (*cookies is NULL when there are none);
 * diag_mark_owned() sets SOCK_BIND_OWNED on the TCP sockets whose cookie
 * is in such an array and leaves the others as they are. TIME_WAIT
 * entries carry no lock, so the dump cannot show them. A cookie outlives its
 * socket's connection: the TIME_WAIT entry keeps it, and its bucket. The
 * dump returns 0 or a negative errno (*cookies NULL, *n 0 then).
 */
int diag_dump_userbound(struct nlio *io, uint64_t **cookies, size_t *n,
			struct diag_stats *st);
void diag_mark_owned(struct sockvec *socks, const uint64_t *cookies, size_t n);

/* A one-line English description of a dump error for users. */
const char *diag_strerror(int err);

#endif
