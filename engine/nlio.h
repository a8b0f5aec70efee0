#ifndef PORTTOP_NLIO_H
#define PORTTOP_NLIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * nlio: the thin netlink transport under the sampler. Production uses a
 * real NETLINK_SOCK_DIAG socket (libmnl); tests and fuzzers use a canned
 * transport that replays fixed buffers, so every parser path can be fed
 * exactly the bytes it must survive.
 *
 * Receive buffers are NLIO_BUF_SIZE bytes (libmnl 1.0.4's
 * MNL_SOCKET_BUFFER_SIZE is not a constant expression).
 */
#define NLIO_BUF_SIZE 32768

struct nlio_ops {
	/* Send one request. Returns bytes sent or a negative errno. */
	ssize_t (*send)(void *ctx, const void *buf, size_t len);
	/*
	 * Receive one datagram into buf. Returns its length, 0 when nothing
	 * more will ever come (canned transport exhausted), or a negative
	 * errno (-EINTR is retried by callers; -ENOBUFS means overrun).
	 */
	ssize_t (*recv)(void *ctx, void *buf, size_t len);
	/* Release ctx. May be NULL. */
	void (*close)(void *ctx);
};

struct nlio {
	const struct nlio_ops *ops;
	void *ctx;
	uint32_t portid;   /* our netlink port id (0 for canned) */
	uint32_t seq;      /* next sequence number to use */
};

/*
 * Open a real NETLINK_SOCK_DIAG socket (close-on-exec) and bind it.
 * groups: multicast groups bitmask to join (0 for a dump socket).
 * Returns 0 or a negative errno; on error io is untouched.
 */
int nlio_open_sock_diag(struct nlio *io, unsigned groups);

/* File descriptor of a real nlio (for poll), or -1 for a canned one. */
int nlio_fd(const struct nlio *io);

/*
 * A canned transport: recv() returns bufs[0], bufs[1], ... in order, then
 * 0. A buffer with len == 0 and err != 0 makes recv() return -err instead.
 * send() records how many requests were sent and succeeds. The caller owns
 * `c` and the buffers and keeps them alive while io is in use.
 */
struct nlio_canned_buf {
	const void *data;
	size_t len;
	int err;
};
struct nlio_canned {
	const struct nlio_canned_buf *bufs;
	size_t nbufs;
	size_t next;       /* index of the next buffer recv() returns */
	unsigned sends;    /* requests sent so far */
	/* If non-zero, every sent request's nlmsg_seq is read into last_seq. */
	uint32_t last_seq;
};
void nlio_init_canned(struct nlio *io, struct nlio_canned *c);

/* Close and release. Accepts NULL and an io never opened (ops == NULL). */
void nlio_close(struct nlio *io);

#endif
