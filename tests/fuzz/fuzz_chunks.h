#ifndef PORTTOP_FUZZ_CHUNKS_H
#define PORTTOP_FUZZ_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

#include "nlio.h"

/*
 * A netlink transport played from fuzz input, for the targets that drive
 * a whole dump (diag, conntrack, events). The input is a list of chunks:
 *
 *   u8 kind, u16 length (little endian), length bytes
 *
 * kind % 8: 0 a datagram; 1 recv fails with EINTR; 2 with ENOBUFS; 3 with
 * ENOSPC (datagram too large); 4 with EAGAIN (nothing queued); 5 the
 * transport ends (recv returns 0); others are datagrams too. A datagram
 * with kind bit 3 set has the nlmsg_seq of each message it holds
 * rewritten to the sequence number of the last request sent, so recorded
 * replies answer whatever request the code under test made.
 */

#define FUZZ_CHUNK_DATA 0
#define FUZZ_CHUNK_EINTR 1
#define FUZZ_CHUNK_ENOBUFS 2
#define FUZZ_CHUNK_ENOSPC 3
#define FUZZ_CHUNK_EAGAIN 4
#define FUZZ_CHUNK_END 5
#define FUZZ_CHUNK_RESEQ 8

struct fuzz_chunks {
	const uint8_t *data;
	size_t size;
	size_t pos;
	uint32_t last_seq;
	unsigned sends;
	unsigned recvs;
	unsigned delivered[8];   /* chunks returned, by kind % 8 */
};

/* io reads from c, which must outlive it. */
void fuzz_chunks_init(struct nlio *io, struct fuzz_chunks *c,
		      const uint8_t *data, size_t size);

/* Append one chunk to buf (for seed writers). Returns the new length. */
size_t fuzz_chunk_put(uint8_t *buf, size_t len, uint8_t kind,
		      const void *data, uint16_t n);

#endif
