/*
 * portstate: a TCP socket iterator (SEC("iter/tcp"), Linux 5.9+) that
 * writes, for every TCP socket of the reading thread's network namespace,
 * one 16-byte record: the socket's cookie, local port, state, family and
 * the two fields of its bind bucket that decide whether connect() may
 * reuse the port (engine/bpfport.h reads them).
 *
 * No vmlinux.h and no kernel headers: the few kernel structures used are
 * declared here with only the fields read, marked preserve_access_index,
 * so libbpf relocates every field access against the running kernel's
 * BTF (CO-RE) when the program is loaded.
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define TCP_NEW_SYN_RECV 12

/* ---- kernel structures: names and the fields used, nothing else ------ */

struct sock_common {
	__u16 skc_num;               /* local port, host order */
	unsigned short skc_family;
	volatile unsigned char skc_state;
} __attribute__((preserve_access_index));

struct inet_bind_bucket {
	signed char fastreuse;
	signed char fastreuseport;
} __attribute__((preserve_access_index));

/* A full socket (struct sock embeds sock_common at offset 0). */
struct inet_connection_sock {
	struct inet_bind_bucket *icsk_bind_hash;
} __attribute__((preserve_access_index));

/* A TIME_WAIT socket (embeds sock_common at offset 0 too). */
struct inet_timewait_sock {
	struct inet_bind_bucket *tw_tb;
} __attribute__((preserve_access_index));

struct bpf_iter_meta {
	void *seq;
} __attribute__((preserve_access_index));

struct bpf_iter__tcp {
	struct bpf_iter_meta *meta;
	struct sock_common *sk_common;
} __attribute__((preserve_access_index));

/* ---- the record: must match struct bpfport_wire in engine/bpfport.h -- */

struct bpfport_wire {
	__u64 cookie;
	__u16 sport;
	__u8 state;
	__u8 family;
	__s8 fastreuse;
	__s8 fastreuseport;
	__u8 has_tb;
	__u8 version;
};
#define BPFPORT_WIRE_VERSION 1

_Static_assert(sizeof(struct bpfport_wire) == 16, "bpfport_wire is 16 bytes");

/* Time-wait state number in enum tcp_state. */
#define TCP_TIME_WAIT 6

SEC("iter/tcp")
int porttop_portstate(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct inet_bind_bucket *tb;
	struct bpfport_wire w = {};

	if (!skc)
		return 0;
	w.state = BPF_CORE_READ(skc, skc_state);
	/* a request socket (SYN received, not yet accepted) has no bucket
	 * of its own: its listener owns the port */
	if (w.state == TCP_NEW_SYN_RECV)
		return 0;
	w.family = (__u8)BPF_CORE_READ(skc, skc_family);
	if (w.family != AF_INET && w.family != AF_INET6)
		return 0;
	w.sport = BPF_CORE_READ(skc, skc_num);
	w.cookie = bpf_get_socket_cookie(skc);
	if (w.state == TCP_TIME_WAIT)
		tb = BPF_CORE_READ((struct inet_timewait_sock *)skc, tw_tb);
	else
		tb = BPF_CORE_READ((struct inet_connection_sock *)skc,
				   icsk_bind_hash);
	if (tb) {
		w.fastreuse = BPF_CORE_READ(tb, fastreuse);
		w.fastreuseport = BPF_CORE_READ(tb, fastreuseport);
		w.has_tb = 1;
	}
	w.version = BPFPORT_WIRE_VERSION;
	bpf_seq_write(ctx->meta->seq, &w, sizeof(w));
	return 0;
}
