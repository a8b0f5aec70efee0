#include "config.h"

#include <errno.h>
#include <linux/netlink.h>
#include <string.h>

#include "fuzz_chunks.h"

static ssize_t chunks_send(void *ctx, const void *buf, size_t len)
{
	struct fuzz_chunks *c = ctx;
	struct nlmsghdr h;

	c->sends++;
	if (len >= sizeof(h)) {
		memcpy(&h, buf, sizeof(h));
		c->last_seq = h.nlmsg_seq;
	}
	return (ssize_t)len;
}

/* Rewrite the sequence number of every message that fits. */
static void chunks_reseq(uint8_t *buf, size_t len, uint32_t seq)
{
	size_t off = 0;

	while (off + sizeof(struct nlmsghdr) <= len) {
		struct nlmsghdr h;

		memcpy(&h, buf + off, sizeof(h));
		h.nlmsg_seq = seq;
		memcpy(buf + off, &h, sizeof(h));
		/* past the datagram, NLMSG_ALIGN() could wrap */
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			break;
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
}

static ssize_t chunks_recv(void *ctx, void *buf, size_t len)
{
	struct fuzz_chunks *c = ctx;
	uint8_t kind;
	size_t n;

	/* a runaway loop that ignores the end would spin forever: the
	 * transport ends after this many receives in any case */
	if (++c->recvs > 4096)
		return 0;
	if (c->pos + 3 > c->size)
		return 0;
	kind = c->data[c->pos];
	n = (size_t)c->data[c->pos + 1] | (size_t)c->data[c->pos + 2] << 8;
	c->pos += 3;
	if (n > c->size - c->pos)
		n = c->size - c->pos;
	c->delivered[kind & 7]++;
	switch (kind & 7) {
	case FUZZ_CHUNK_EINTR:
		c->pos += n;
		return -EINTR;
	case FUZZ_CHUNK_ENOBUFS:
		c->pos += n;
		return -ENOBUFS;
	case FUZZ_CHUNK_ENOSPC:
		c->pos += n;
		return -ENOSPC;
	case FUZZ_CHUNK_EAGAIN:
		c->pos += n;
		return -EAGAIN;
	case FUZZ_CHUNK_END:
		c->pos += n;
		return 0;
	default:
		break;
	}
	if (n > len)
		n = len;   /* the kernel cuts a datagram to the buffer too */
	memcpy(buf, c->data + c->pos, n);
	c->pos += n;
	if (kind & FUZZ_CHUNK_RESEQ)
		chunks_reseq(buf, n, c->last_seq);
	if (n == 0)
		return 0;
	return (ssize_t)n;
}

static const struct nlio_ops chunks_ops = {
	.send = chunks_send,
	.recv = chunks_recv,
	.close = NULL,
};

void fuzz_chunks_init(struct nlio *io, struct fuzz_chunks *c,
		      const uint8_t *data, size_t size)
{
	memset(c, 0, sizeof(*c));
	c->data = data;
	c->size = size;
	io->ops = &chunks_ops;
	io->ctx = c;
	io->portid = 0;
	io->seq = 1;
}

size_t fuzz_chunk_put(uint8_t *buf, size_t len, uint8_t kind,
		      const void *data, uint16_t n)
{
	buf[len] = kind;
	buf[len + 1] = (uint8_t)(n & 0xff);
	buf[len + 2] = (uint8_t)(n >> 8);
	if (n)
		memcpy(buf + len + 3, data, n);
	return len + 3 + n;
}
