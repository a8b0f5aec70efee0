#ifndef PORTTOP_BENCH_DUMP_H
#define PORTTOP_BENCH_DUMP_H

/*
 * bench_dump: the floor of `make bench`: the bare sock_diag dumps that
 * one porttop sample makes, the replies only counted. The requests are
 * those of engine/diag.c: every TCP socket in one TCPDIAG_GETSOCK dump
 * (both families in one walk of the kernel's tables), then UDP over
 * SOCK_DIAG_BY_FAMILY for IPv4 and IPv6; every state including bit 13,
 * no extensions, a 32 KiB receive buffer. per_family: TCP as two
 * SOCK_DIAG_BY_FAMILY dumps instead (what diag.c falls back to).
 */

struct bench_dump;

/* Open a NETLINK_SOCK_DIAG socket: NULL on failure (errno set). */
struct bench_dump *bench_dump_new(int per_family);
void bench_dump_free(struct bench_dump *bd);

/* The dumps of one sample; returns the sockets counted, or -1 on an
 * error. A family or protocol the kernel does not have counts as empty. */
long bench_dump_all(struct bench_dump *bd);

#endif
