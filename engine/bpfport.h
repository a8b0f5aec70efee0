#ifndef PORTTOP_BPFPORT_H
#define PORTTOP_BPFPORT_H

#include <stddef.h>
#include <stdint.h>

#include "sock.h"

/*
 * bpfport: the kernel's own port state, read by a BPF socket iterator
 * (SEC("iter/tcp"), Linux 5.9+). For every TCP socket of the calling
 * thread's network namespace, TIME_WAIT included, the iterator writes
 * one fixed-size record: the socket's cookie, local port, state and the
 * state of its bind bucket (fastreuse, fastreuseport). The sampler joins
 * the records to its sock_diag dump by cookie and sets sock_rec.bind.
 *
 * The layer is split so that tests feed it canned bytes:
 *   bpfport_parse()  bytes the iterator wrote -> records (hostile input:
 *                    lengths and values checked);
 *   bpfport_join()   records + a dump -> sock_rec.bind;
 *   bpfport_open()/bpfport_read()  the live iterator (root, or CAP_BPF
 *                    and CAP_PERFMON; BTF at /sys/kernel/btf/vmlinux).
 *
 * The parser and the join are always built; without HAVE_BPF (configure
 * --disable-bpf, or no libbpf/clang) open and read return -ENOSYS.
 *
 * Request sockets (NEW_SYN_RECV) have no bucket of their own and are not
 * written; bound-inactive sockets (BOUND) are not in the tables the
 * iterator walks. The join gives both, and listeners, SOCK_BIND_OWNED.
 */

/* The record as the BPF program writes it (host byte order, 16 bytes). */
struct bpfport_wire {
	uint64_t cookie;          /* socket cookie (the same as sock_diag's) */
	uint16_t sport;           /* local port, host order */
	uint8_t state;            /* TCP state (enum sock_state numbers) */
	uint8_t family;           /* AF_INET or AF_INET6 */
	int8_t fastreuse;         /* the bucket's fields; valid with has_tb */
	int8_t fastreuseport;
	uint8_t has_tb;           /* 1: the socket has a bind bucket */
	uint8_t version;          /* BPFPORT_WIRE_VERSION */
};
#define BPFPORT_WIRE_VERSION 1
#define BPFPORT_WIRE_SIZE 16

/* A parsed record: the wire record, its bucket judged. */
struct bpfport_rec {
	uint64_t cookie;
	uint16_t sport;
	uint8_t state;
	uint8_t family;
	uint8_t bind;             /* enum sock_bind: AUTO (bucket -1/-1),
				     OWNED (either field >= 0), UNKNOWN (no
				     bucket: a socket being torn down) */
};

/* A growable vector of records; owns v. */
struct bpfport_vec {
	struct bpfport_rec *v;
	size_t len, cap;
};
void bpfport_vec_init(struct bpfport_vec *bv);
void bpfport_vec_release(struct bpfport_vec *bv);

struct bpfport_stats {
	uint64_t records;         /* records parsed */
	uint64_t malformed;       /* records skipped (bad version, family,
				     state, or a torn tail) */
	uint64_t joined;          /* dump sockets given a bind state */
	uint64_t missing;         /* TCP dump sockets with no record (gone
				     between the dump and the iteration) */
};

/*
 * Append the records in buf (len bytes, as read from the iterator) to
 * out. A trailing partial record and records that fail the checks are
 * counted in st->malformed and skipped. Returns 0 or -ENOMEM (out keeps
 * what it had on entry then).
 */
int bpfport_parse(const void *buf, size_t len, struct bpfport_vec *out,
		  struct bpfport_stats *st);

/*
 * Set sock_rec.bind of every TCP socket of socks from the record with the
 * same cookie (sockets without a cookie or without a record are left
 * as they are, SOCK_BIND_UNKNOWN from a plain dump, and counted in
 * st->missing; LISTEN, BOUND and
 * NEW_SYN_RECV sockets are SOCK_BIND_OWNED whatever the records say).
 * When several records carry one cookie, OWNED wins over AUTO over
 * UNKNOWN. UDP sockets are not touched. Sorts recs by cookie (recs->v
 * may be replaced by a new array; on a failed allocation the sort is done
 * in place, slower). Counts are added to st. Returns 0 (-ENOMEM is kept
 * in the contract for later use).
 */
int bpfport_join(struct bpfport_vec *recs, struct sockvec *socks,
		 struct bpfport_stats *st);

struct bpfport;

/*
 * Load the iterator program and attach it. Returns 0, -ENOSYS when
 * porttop was built without BPF, -EPERM when privileges are lacking,
 * -ENOENT when the kernel has no BTF or no tcp iterator, or another
 * negative errno. *out is NULL on failure.
 */
int bpfport_open(struct bpfport **out);
void bpfport_free(struct bpfport *bp);

/*
 * Run the iterator once, in the calling thread's network namespace,
 * replacing out's records (counts are added to st). The kernel binds an
 * iterator instance to the network namespace of the thread that creates
 * it (bpf_iter_create(), done here at every read), not to the one the
 * program was loaded or attached in: one bpfport serves every namespace,
 * the caller setns()-es first. Not thread-safe per bp (one read buffer).
 * More than BPFPORT_READ_MAX_BYTES of records, or more than
 * BPFPORT_READ_MAX_CALLS read() calls, is -E2BIG (out is empty then, as
 * on every error). Returns 0 or a negative errno.
 */
#define BPFPORT_READ_CHUNK 65536
#define BPFPORT_READ_MAX_BYTES (64u << 20)    /* 4 Mi sockets */
#define BPFPORT_READ_MAX_CALLS (1u << 23)
int bpfport_read(struct bpfport *bp, struct bpfport_vec *out,
		 struct bpfport_stats *st);

/* A one-line reason for a bpfport_open()/bpfport_read() error, saying
 * how to get the exact figures where that helps. */
const char *bpfport_strerror(int err);

#endif
