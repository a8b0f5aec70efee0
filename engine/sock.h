#ifndef PORTTOP_SOCK_H
#define PORTTOP_SOCK_H

#include <stddef.h>
#include <stdint.h>

/*
 * sock: the plain socket record every part of porttop works on, and a
 * growable vector of them.
 *
 * A record is what one sock_diag message says about one socket, reduced to
 * what the model needs. Addresses are normalised: an IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) is stored as IPv4, because the kernel hashes and
 * allocates ports for such a socket exactly as for an IPv4 one.
 */

/* Kernel TCP state numbers (include/net/tcp_states.h). */
enum sock_state {
	SOCK_ESTABLISHED = 1,
	SOCK_SYN_SENT = 2,
	SOCK_SYN_RECV = 3,
	SOCK_FIN_WAIT1 = 4,
	SOCK_FIN_WAIT2 = 5,
	SOCK_TIME_WAIT = 6,
	SOCK_CLOSE = 7,
	SOCK_CLOSE_WAIT = 8,
	SOCK_LAST_ACK = 9,
	SOCK_LISTEN = 10,
	SOCK_CLOSING = 11,
	SOCK_NEW_SYN_RECV = 12,
	/*
	 * porttop's own state for a TCP socket that is bound but neither
	 * listening nor connected. The kernel reports those (only when the
	 * request sets bit 13, Linux 6.8+) as CLOSE; the parser renames them.
	 */
	SOCK_BOUND = 13,
	SOCK_STATE_MAX = 14
};

/* Bit for the request's state mask: TCPF_BOUND_INACTIVE (Linux 6.8+). */
#define SOCK_TCPF_BOUND_INACTIVE (1u << 13)

enum sock_flag {
	SOCK_F_V6ONLY = 1 << 0,  /* IPv6 socket with IPV6_V6ONLY */
};

/*
 * Who chose a TCP socket's local port, as far as porttop knows (sock_rec.bind).
 * What matters is the socket's bind bucket (struct inet_bind_bucket, one
 * per port): __inet_hash_connect() skips every port whose bucket has
 * fastreuse or fastreuseport >= 0, which is the case for buckets made by
 * bind() and listen(), and keeps -1/-1 for buckets connect() made itself.
 * A socket keeps its bucket while connected and in TIME_WAIT (tw_tb).
 */
enum sock_bind {
	SOCK_BIND_UNKNOWN = 0,   /* not known: bind(addr, 0) + connect()
				    looks like connect() to sock_diag */
	SOCK_BIND_AUTO = 1,      /* connect() chose the port: its bucket is
				    -1/-1 (only the BPF reader can say so) */
	SOCK_BIND_OWNED = 2,     /* the bucket is bind()-owned: connect()
				    toward every destination skips the port
				    (BPF; or sock_diag's INET_DIAG_BC_AUTO
				    for a bind() to an explicit port) */
};

/* Where the bind states of a sample come from (sample.bind_src). */
enum sock_bind_src {
	SOCK_BSRC_NONE = 0,      /* no information (imports, old recordings):
				    every connected socket is UNKNOWN */
	SOCK_BSRC_AUTOBOUND = 1, /* INET_DIAG_BC_AUTO: explicit-port binds of
				    live sockets are OWNED, the rest UNKNOWN */
	SOCK_BSRC_BPF = 2,       /* the bind bucket of every socket
				    (engine/bpfport.h): AUTO or OWNED */
};

struct sock_rec {
	uint8_t saddr[16];    /* IPv4 in the first 4 bytes, network order */
	uint8_t daddr[16];
	uint64_t cookie;      /* kernel socket cookie, 0 if none */
	uint64_t cgroup_id;   /* INET_DIAG_CGROUP_ID: cgroup v2 id of the
				 creating task, 0 if none (TIME_WAIT, request
				 sockets, kernels without cgroups) */
	uint32_t uid;         /* idiag_uid (0 for TIME_WAIT) */
	uint32_t inode;       /* idiag_inode (0 for TIME_WAIT) */
	uint32_t expires_ms;  /* idiag_expires: timer ms left, 0 if none */
	uint32_t ifindex;     /* bound device, 0 if none */
	uint16_t sport;       /* host order */
	uint16_t dport;       /* host order */
	uint8_t family;       /* AF_INET or AF_INET6 (after normalising) */
	uint8_t proto;        /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t state;        /* enum sock_state */
	uint8_t timer;        /* idiag_timer */
	uint8_t flags;        /* enum sock_flag */
	uint8_t bind;         /* enum sock_bind (TCP; 0 for UDP) */
};

/* Name of a bind source (enum sock_bind_src) as used in JSON and
 * OpenMetrics output: "bpf", "autobound", or "none" for anything else. */
const char *sock_bind_src_name(int src);

/* Name of a state as used in JSON and text output ("TIME_WAIT", "BOUND"),
 * or "UNKNOWN". SOCK_NEW_SYN_RECV is reported as "SYN_RECV". */
const char *sock_state_name(unsigned state);

/* The state names in output order, and how many there are; the index of a
 * state in this list is sock_state_slot(state) (-1 for states not listed). */
extern const unsigned sock_state_order[];
extern const unsigned sock_state_order_len;
int sock_state_slot(unsigned state);

/* 1 if the address (16 bytes, family) is the wildcard address. */
int sock_addr_is_any(int family, const uint8_t *addr);
/* 1 if the address is loopback (127/8, ::1, ::ffff:127/8). */
int sock_addr_is_loopback(int family, const uint8_t *addr);
/* Compare two addresses of a family: like memcmp on the meaningful bytes. */
int sock_addr_cmp(int family, const uint8_t *a, const uint8_t *b);
/*
 * Normalise in place: if family is AF_INET6 and addr is IPv4-mapped, move
 * the IPv4 bytes to the front, zero the rest and return AF_INET; otherwise
 * return family unchanged.
 */
int sock_addr_normalise(int family, uint8_t *addr);
/* Text form of an address into buf (at least 46 bytes); returns buf. */
char *sock_addr_format(int family, const uint8_t *addr, char *buf, size_t len);

/*
 * sockvec: a growable array of records. The vector owns `v`.
 * sockvec_push() returns 0 or -ENOMEM (the vector is unchanged then).
 */
struct sockvec {
	struct sock_rec *v;
	size_t len;
	size_t cap;
};

void sockvec_init(struct sockvec *sv);
void sockvec_release(struct sockvec *sv);
void sockvec_clear(struct sockvec *sv);   /* len = 0, keeps the memory */
int sockvec_push(struct sockvec *sv, const struct sock_rec *rec);
/* Make room for n more records: 0 or -ENOMEM. */
int sockvec_reserve(struct sockvec *sv, size_t n);

#endif
