#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "record.h"
#include "sanitize.h"

/*
 * Layout details (docs/record-format.md is the reference): integers are
 * little-endian; varints are LEB128 (7 bits a byte, low first, at most
 * 10 bytes); signed values are zigzag-coded varints; doubles are their
 * IEEE 754 bits as a u64; strings are a varint length and the bytes.
 */

#define REC_SYNC0 0xf0
#define REC_SYNC "\xf0PTS"

enum rec_kind {
	REC_KIND_KEY = 1,
	REC_KIND_DELTA = 2,
};

/* Section types; REC_SEC_CRITICAL marks what a reader must understand. */
enum rec_sec {
	REC_SEC_TIME = 0x01,
	REC_SEC_NETNS = 0x02,
	REC_SEC_SYSCTL = 0x03,
	REC_SEC_STATS = 0x04,
	REC_SEC_EVENTS = 0x05,
	REC_SEC_NETSTAT = 0x06,
	REC_SEC_NOTES = 0x07,
	REC_SEC_PROCS = 0x08,
	REC_SEC_PROCS_SAME = 0x09,
	REC_SEC_OWNERS = 0x0a,
	REC_SEC_CONNTRACK = 0x0b,
	REC_SEC_SAME = 0x0c,      /* these sections equal the base record's */
	REC_SEC_BIND = 0x0d,      /* bind states (sock_rec.bind, sample.bind_src) */
	REC_SEC_CRITICAL = 0x80,
	REC_SEC_SOCKS_FULL = 0x81,
	REC_SEC_SOCKS_DELTA = 0x82,
};

/* Header field types. */
enum rec_hdr {
	REC_HDR_HOST = 1,
	REC_HDR_RANGE = 2,
	REC_HDR_CREATED = 3,
	REC_HDR_VERSION = 4,
	REC_HDR_NETNS = 5,
};

/* Delta operations on the socket list. */
enum rec_op {
	REC_OP_COPY = 0,          /* run of unchanged sockets, their timers as
				     corrections of the expected countdown */
	REC_OP_LIT = 2,           /* new sockets in full */
};

/* Bits of a socket's first byte. */
enum rec_sockbits {
	RS_V6 = 1 << 0,
	RS_UDP = 1 << 1,
	RS_FLAGS = 1 << 2,
	RS_IFINDEX = 1 << 3,
	RS_CGROUP = 1 << 4,
	RS_UID = 1 << 5,
	RS_INODE = 1 << 6,
	RS_COOKIE = 1 << 7,
};

/* The smallest a literal socket can be: two bytes of bits, state,
 * source port, expires. */
#define REC_SOCK_MIN 6

static const uint32_t crc_table[256] = {
	0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
	0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
	0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
	0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
	0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
	0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
	0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
	0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
	0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
	0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
	0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
	0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
	0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
	0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
	0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
	0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
	0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
	0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
	0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
	0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
	0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
	0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
	0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
	0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
	0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
	0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
	0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
	0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
	0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
	0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
	0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
	0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
	0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
	0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
	0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
	0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
	0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
	0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
	0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
	0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
	0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
	0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
	0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

uint32_t rec_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- encoding ------------------------------------------------------------ */

static void put_u8(struct strbuf *b, unsigned v)
{
	strbuf_addch(b, (char)(uint8_t)v);
}

static void put_u16(struct strbuf *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	strbuf_add(b, x, 2);
}

static void put_u32_at(uint8_t *x, uint32_t v)
{
	x[0] = (uint8_t)v;
	x[1] = (uint8_t)(v >> 8);
	x[2] = (uint8_t)(v >> 16);
	x[3] = (uint8_t)(v >> 24);
}

static void put_u32(struct strbuf *b, uint32_t v)
{
	uint8_t x[4];

	put_u32_at(x, v);
	strbuf_add(b, x, 4);
}

static void put_var(struct strbuf *b, uint64_t v)
{
	uint8_t x[10];
	size_t n = 0;

	do {
		x[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			x[n] |= 0x80;
		n++;
	} while (v);
	strbuf_add(b, x, n);
}

static void put_svar(struct strbuf *b, int64_t v)
{
	put_var(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void put_f64(struct strbuf *b, double d)
{
	uint64_t v;
	uint8_t x[8];
	int i;

	memcpy(&v, &d, 8);
	for (i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	strbuf_add(b, x, 8);
}

static void put_str(struct strbuf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	put_var(b, n);
	strbuf_add(b, s, n);
}

/* A section: its body is built in `body`, then framed into b. */
static void put_section(struct strbuf *b, unsigned type, const struct strbuf *body)
{
	put_u8(b, type);
	put_var(b, body->len);
	strbuf_add(b, body->buf, body->len);
	if (body->failed)
		b->failed = 1;
}

/* ---- decoding: a bounded cursor ------------------------------------------ */

struct cur {
	const uint8_t *p;
	size_t n;
	int bad;
};

static void cur_init(struct cur *c, const void *p, size_t n)
{
	c->p = p;
	c->n = n;
	c->bad = 0;
}

static int cur_need(struct cur *c, size_t n)
{
	if (c->bad || c->n < n) {
		c->bad = 1;
		return 0;
	}
	return 1;
}

static unsigned get_u8(struct cur *c)
{
	unsigned v;

	if (!cur_need(c, 1))
		return 0;
	v = c->p[0];
	c->p++;
	c->n--;
	return v;
}

static unsigned get_u16(struct cur *c)
{
	unsigned v;

	if (!cur_need(c, 2))
		return 0;
	v = (unsigned)c->p[0] | (unsigned)c->p[1] << 8;
	c->p += 2;
	c->n -= 2;
	return v;
}

static uint32_t get_u32_at(const uint8_t *x)
{
	return (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 |
	       (uint32_t)x[3] << 24;
}

static uint64_t get_var(struct cur *c)
{
	uint64_t v = 0;
	unsigned shift = 0;

	for (;;) {
		unsigned b;

		if (!cur_need(c, 1))
			return 0;
		b = c->p[0];
		c->p++;
		c->n--;
		if (shift == 63 && (b & 0x7e)) {
			c->bad = 1;       /* more than 64 bits */
			return 0;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
		if (shift > 63) {
			c->bad = 1;
			return 0;
		}
	}
}

static int64_t get_svar(struct cur *c)
{
	uint64_t v = get_var(c);

	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* A varint that must fit in 32 bits. */
static uint32_t get_var32(struct cur *c)
{
	uint64_t v = get_var(c);

	if (v > UINT32_MAX) {
		c->bad = 1;
		return 0;
	}
	return (uint32_t)v;
}

static int get_int(struct cur *c)
{
	int64_t v = get_svar(c);

	if (v < -2147483647 - 1 || v > 2147483647) {
		c->bad = 1;
		return 0;
	}
	return (int)v;
}

static double get_f64(struct cur *c)
{
	uint64_t v = 0;
	double d;
	int i;

	if (!cur_need(c, 8))
		return 0;
	for (i = 0; i < 8; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += 8;
	c->n -= 8;
	memcpy(&d, &v, 8);
	return d;
}

static void get_bytes(struct cur *c, void *dst, size_t n)
{
	if (!cur_need(c, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, c->p, n);
	c->p += n;
	c->n -= n;
}

/* A string into dst (size dstlen > 0), sanitised: the file is hostile. */
static void get_str(struct cur *c, char *dst, size_t dstlen)
{
	uint64_t n = get_var(c);

	dst[0] = '\0';
	if (c->bad || n > c->n) {
		c->bad = 1;
		return;
	}
	sanitize_text(dst, dstlen, (const char *)c->p, (size_t)n);
	c->p += n;
	c->n -= (size_t)n;
}

/* ---- samples ------------------------------------------------------------- */

int rec_sample_copy(struct sample *dst, const struct sample *src)
{
	struct sockvec socks = dst->socks;
	struct ev_counts closes = dst->closes;
	struct sample_proc *procs = dst->procs;
	size_t procs_cap = dst->procs_cap;
	uint32_t *owner = dst->owner;
	size_t owner_cap = dst->owner_cap;
	struct ct_nat_dest *nat = dst->ct.nat;
	size_t nat_cap = dst->ct.nat_cap;
	int err = 0;

	if (dst == src)
		return 0;
	/* plain fields by assignment, then the owned arrays by hand */
	*dst = *src;
	dst->socks = socks;
	dst->closes = closes;
	dst->procs = procs;
	dst->procs_cap = procs_cap;
	dst->owner = owner;
	dst->owner_cap = owner_cap;
	dst->ct.nat = nat;
	dst->ct.nat_cap = nat_cap;

	sockvec_clear(&dst->socks);
	if (sockvec_reserve(&dst->socks, src->socks.len) == 0) {
		if (src->socks.len)
			memcpy(dst->socks.v, src->socks.v,
			       src->socks.len * sizeof(*src->socks.v));
		dst->socks.len = src->socks.len;
	} else {
		err = -ENOMEM;
	}
	ev_counts_clear(&dst->closes);
	dst->closes.events = src->closes.events;
	dst->closes.counted = src->closes.counted;
	dst->closes.malformed = src->closes.malformed;
	dst->closes.flags = src->closes.flags;
	/* `|`, not `||`: every copy runs, so each length is either the copy's
	 * or 0 (never src's over dst's older, smaller array) */
	if ((array_copy(&dst->closes.v, &dst->closes.cap, &dst->closes.len,
			src->closes.v, src->closes.len, sizeof(*src->closes.v)) |
	     array_copy(&dst->procs, &dst->procs_cap, &dst->nprocs, src->procs,
			src->nprocs, sizeof(*src->procs)) |
	     array_copy(&dst->ct.nat, &dst->ct.nat_cap, &dst->ct.nnat, src->ct.nat,
			src->ct.nnat, sizeof(*src->ct.nat)) |
	     array_copy(&dst->owner, &dst->owner_cap, &dst->nowner, src->owner,
			src->nowner, sizeof(*src->owner))) != 0)
		err = -ENOMEM;
	return err;
}

/* ---- sockets ------------------------------------------------------------- */

static size_t addr_len(const struct sock_rec *s)
{
	return s->family == AF_INET6 ? 16 : 4;
}

/* Equal in everything but the timer's countdown. */
static int sock_same(const struct sock_rec *a, const struct sock_rec *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->state == b->state && a->timer == b->timer &&
	       a->flags == b->flags && a->sport == b->sport &&
	       a->dport == b->dport && a->cookie == b->cookie &&
	       a->inode == b->inode && a->uid == b->uid &&
	       a->cgroup_id == b->cgroup_id && a->ifindex == b->ifindex &&
	       a->bind == b->bind &&
	       memcmp(a->saddr, b->saddr, addr_len(a)) == 0 &&
	       memcmp(a->daddr, b->daddr, addr_len(a)) == 0;
}

static uint64_t sock_hash(const struct sock_rec *s)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i, n = addr_len(s);

#define MIX(v) do { h ^= (uint64_t)(v); h *= 1099511628211ULL; } while (0)
	MIX(s->family); MIX(s->proto); MIX(s->state); MIX(s->timer);
	MIX(s->flags); MIX(s->sport); MIX(s->dport); MIX(s->cookie);
	MIX(s->inode); MIX(s->uid); MIX(s->cgroup_id); MIX(s->ifindex);
	MIX(s->bind);
	for (i = 0; i < n; i++) {
		MIX(s->saddr[i]);
		MIX(s->daddr[i]);
	}
#undef MIX
	return h ^ (h >> 29);
}

/* Coding context of literal sockets: cookies and inodes as differences,
 * endpoints, uid and cgroup as "the same as the literal before". */
struct lit_ctx {
	uint64_t cookie;
	uint32_t inode;
	uint8_t family;
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t dport;
	uint32_t uid;
	uint64_t cgroup_id;
};

/* The second byte of a literal socket. */
enum rec_sockext {
	RX_SAME_SADDR = 1 << 0,
	RX_SAME_DADDR = 1 << 1,
	RX_SAME_DPORT = 1 << 2,
	RX_SAME_UID = 1 << 3,
	RX_SAME_CGROUP = 1 << 4,
	RX_TIMER_SHIFT = 5,       /* bits 5-7: the timer, 7 = a byte follows */
};

static int sock_encodable(const struct sock_rec *s)
{
	return (s->family == AF_INET || s->family == AF_INET6) &&
	       (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP) &&
	       s->bind <= SOCK_BIND_OWNED;
}

/* What the next socket may say "same as" (writer and reader alike); n:
 * the address length. */
static void lit_remember(struct lit_ctx *lc, const struct sock_rec *s, size_t n)
{
	lc->family = s->family;
	memset(lc->saddr, 0, sizeof(lc->saddr));
	memset(lc->daddr, 0, sizeof(lc->daddr));
	memcpy(lc->saddr, s->saddr, n);
	memcpy(lc->daddr, s->daddr, n);
	lc->dport = s->dport;
	if (s->uid)
		lc->uid = s->uid;
	if (s->cgroup_id)
		lc->cgroup_id = s->cgroup_id;
}

static void put_sock(struct strbuf *b, const struct sock_rec *s,
		     struct lit_ctx *lc)
{
	unsigned bits = 0, ext = 0;
	size_t n = addr_len(s);
	int same_fam = lc->family == s->family;

	if (s->family == AF_INET6)
		bits |= RS_V6;
	if (s->proto == IPPROTO_UDP)
		bits |= RS_UDP;
	if (s->flags)
		bits |= RS_FLAGS;
	if (s->ifindex)
		bits |= RS_IFINDEX;
	if (s->cgroup_id)
		bits |= RS_CGROUP;
	if (s->uid)
		bits |= RS_UID;
	if (s->inode)
		bits |= RS_INODE;
	if (s->cookie)
		bits |= RS_COOKIE;
	if (same_fam && memcmp(lc->saddr, s->saddr, n) == 0)
		ext |= RX_SAME_SADDR;
	if (same_fam && memcmp(lc->daddr, s->daddr, n) == 0)
		ext |= RX_SAME_DADDR;
	if (lc->dport == s->dport)
		ext |= RX_SAME_DPORT;
	if (s->uid && lc->uid == s->uid)
		ext |= RX_SAME_UID;
	if (s->cgroup_id && lc->cgroup_id == s->cgroup_id)
		ext |= RX_SAME_CGROUP;
	ext |= (unsigned)(s->timer < 7 ? s->timer : 7) << RX_TIMER_SHIFT;
	put_u8(b, bits);
	put_u8(b, ext);
	put_u8(b, s->state);
	if (s->timer >= 7)
		put_u8(b, s->timer);
	put_u16(b, s->sport);
	if (!(ext & RX_SAME_DPORT))
		put_u16(b, s->dport);
	if (!(ext & RX_SAME_SADDR))
		strbuf_add(b, s->saddr, n);
	if (!(ext & RX_SAME_DADDR))
		strbuf_add(b, s->daddr, n);
	put_var(b, s->expires_ms);
	if (s->cookie) {
		put_svar(b, (int64_t)(s->cookie - lc->cookie));
		lc->cookie = s->cookie;
	}
	if (s->uid && !(ext & RX_SAME_UID))
		put_var(b, s->uid);
	if (s->inode) {
		put_svar(b, (int64_t)s->inode - (int64_t)lc->inode);
		lc->inode = s->inode;
	}
	if (s->cgroup_id && !(ext & RX_SAME_CGROUP))
		put_var(b, s->cgroup_id);
	if (s->ifindex)
		put_var(b, s->ifindex);
	if (s->flags)
		put_u8(b, s->flags);
	lit_remember(lc, s, n);
}

static void get_sock(struct cur *c, struct sock_rec *s, struct lit_ctx *lc)
{
	unsigned bits = get_u8(c), ext = get_u8(c);
	size_t n;

	memset(s, 0, sizeof(*s));
	s->family = bits & RS_V6 ? AF_INET6 : AF_INET;
	s->proto = bits & RS_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	s->state = (uint8_t)get_u8(c);
	s->timer = (uint8_t)(ext >> RX_TIMER_SHIFT);
	if (s->timer == 7)
		s->timer = (uint8_t)get_u8(c);
	s->sport = (uint16_t)get_u16(c);
	s->dport = ext & RX_SAME_DPORT ? lc->dport : (uint16_t)get_u16(c);
	n = s->family == AF_INET6 ? 16 : 4;
	if ((ext & (RX_SAME_SADDR | RX_SAME_DADDR)) && lc->family != s->family)
		c->bad = 1;
	if (ext & RX_SAME_SADDR)
		memcpy(s->saddr, lc->saddr, n);
	else
		get_bytes(c, s->saddr, n);
	if (ext & RX_SAME_DADDR)
		memcpy(s->daddr, lc->daddr, n);
	else
		get_bytes(c, s->daddr, n);
	s->expires_ms = get_var32(c);
	if (bits & RS_COOKIE) {
		lc->cookie += (uint64_t)get_svar(c);
		s->cookie = lc->cookie;
	}
	if (bits & RS_UID)
		s->uid = ext & RX_SAME_UID ? lc->uid : get_var32(c);
	else if (ext & RX_SAME_UID)
		c->bad = 1;
	if (bits & RS_INODE) {
		int64_t v = (int64_t)lc->inode + get_svar(c);

		if (v < 0 || v > UINT32_MAX)
			c->bad = 1;
		lc->inode = (uint32_t)v;
		s->inode = lc->inode;
	}
	if (bits & RS_CGROUP)
		s->cgroup_id = ext & RX_SAME_CGROUP ? lc->cgroup_id : get_var(c);
	else if (ext & RX_SAME_CGROUP)
		c->bad = 1;
	if (bits & RS_IFINDEX)
		s->ifindex = get_var32(c);
	if (bits & RS_FLAGS)
		s->flags = (uint8_t)get_u8(c);
	/* zero sockets say nothing: "same uid" needs one that was sent */
	if ((bits & RS_UID) && s->uid == 0)
		c->bad = 1;
	if ((bits & RS_CGROUP) && s->cgroup_id == 0)
		c->bad = 1;
	lit_remember(lc, s, n);
}

static uint32_t interval_ms(double prev_mono, double mono)
{
	double d = (mono - prev_mono) * 1000.0;

	if (!(d > 0))
		return 0;
	if (d > 4e9)
		return 4000000000u;
	return (uint32_t)llround(d);
}

/* ---- processes ------------------------------------------------------------ */

static int proc_same(const struct sample_proc *a, const struct sample_proc *b)
{
	return a->pid == b->pid && a->uid == b->uid &&
	       a->start_time == b->start_time && a->cgroup_id == b->cgroup_id &&
	       strncmp(a->comm, b->comm, sizeof(a->comm)) == 0 &&
	       strncmp(a->user, b->user, sizeof(a->user)) == 0 &&
	       strncmp(a->unit, b->unit, sizeof(a->unit)) == 0 &&
	       strncmp(a->cgroup, b->cgroup, sizeof(a->cgroup)) == 0 &&
	       strncmp(a->cmdline, b->cmdline, sizeof(a->cmdline)) == 0;
}

static int procs_same(const struct sample *a, const struct sample *b)
{
	size_t i;

	if (a->nprocs != b->nprocs)
		return 0;
	for (i = 0; i < a->nprocs; i++)
		if (!proc_same(&a->procs[i], &b->procs[i]))
			return 0;
	return 1;
}

static void put_procs(struct strbuf *b, const struct sample *s)
{
	size_t i;

	put_var(b, s->procs_denied);
	put_var(b, s->nprocs);
	for (i = 0; i < s->nprocs; i++) {
		const struct sample_proc *p = &s->procs[i];

		put_svar(b, p->pid);
		put_var(b, p->uid);
		put_var(b, p->start_time);
		put_var(b, p->cgroup_id);
		put_str(b, p->comm, sizeof(p->comm));
		put_str(b, p->user, sizeof(p->user));
		put_str(b, p->unit, sizeof(p->unit));
		put_str(b, p->cgroup, sizeof(p->cgroup));
		put_str(b, p->cmdline, sizeof(p->cmdline));
	}
}

/* Smallest encoding of one process: pid, uid, start, cgroup, 5 strings. */
#define REC_PROC_MIN 9

static int get_procs(struct cur *c, struct sample *s)
{
	uint64_t n;
	size_t i;

	s->procs_denied = get_var32(c);
	n = get_var(c);
	if (c->bad || n > c->n / REC_PROC_MIN)
		return -EBADMSG;
	if (array_grow(&s->procs, &s->procs_cap, (size_t)n, sizeof(*s->procs)) < 0)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct sample_proc *p = &s->procs[i];
		int64_t pid;

		memset(p, 0, sizeof(*p));
		pid = get_svar(c);
		if (pid < -2147483647 - 1 || pid > 2147483647)
			c->bad = 1;
		p->pid = (int32_t)pid;
		p->uid = get_var32(c);
		p->start_time = get_var(c);
		p->cgroup_id = get_var(c);
		get_str(c, p->comm, sizeof(p->comm));
		get_str(c, p->user, sizeof(p->user));
		get_str(c, p->unit, sizeof(p->unit));
		get_str(c, p->cgroup, sizeof(p->cgroup));
		get_str(c, p->cmdline, sizeof(p->cmdline));
		if (c->bad)
			return -EBADMSG;
	}
	s->nprocs = (size_t)n;
	return 0;
}

/*
 * Where each process of `prev` is in `cur` (the same pid, start time,
 * uid, cgroup and names), or SAMPLE_NO_OWNER: the owner a copied socket
 * is expected to keep. Writer and reader compute it alike.
 */
static int procs_remap(const struct sample *prev, const struct sample *cur,
		       uint32_t **map, size_t *cap)
{
	size_t i, j, hcap = 16;
	uint32_t *tab;

	if (array_grow(map, cap, prev->nprocs + 1, sizeof(**map)) < 0)
		return -ENOMEM;
	if (procs_same(prev, cur)) {
		for (i = 0; i < prev->nprocs; i++)
			(*map)[i] = (uint32_t)i;
		return 0;
	}
	while (hcap < cur->nprocs * 2 + 2)
		hcap *= 2;
	tab = calloc(hcap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (j = 0; j < cur->nprocs; j++) {
		size_t h = ((uint32_t)cur->procs[j].pid * 2654435761u) & (hcap - 1);

		while (tab[h])
			h = (h + 1) & (hcap - 1);
		tab[h] = (uint32_t)j + 1;
	}
	for (i = 0; i < prev->nprocs; i++) {
		const struct sample_proc *p = &prev->procs[i];
		size_t h = ((uint32_t)p->pid * 2654435761u) & (hcap - 1);
		uint32_t best = SAMPLE_NO_OWNER;

		/* the lowest matching index: the first one, as the writer */
		for (; tab[h]; h = (h + 1) & (hcap - 1))
			if (proc_same(p, &cur->procs[tab[h] - 1]) &&
			    tab[h] - 1 < best)
				best = tab[h] - 1;
		(*map)[i] = best;
	}
	free(tab);
	return 0;
}

/* ---- the other sections ---------------------------------------------------- */

static void put_sysctl(struct strbuf *b, const struct sysctl_vals *v)
{
	unsigned p, start = 0, in = 0, nranges = 0;
	struct strbuf ranges;

	strbuf_init(&ranges);
	put_var(b, v->port_low);
	put_var(b, v->port_high);
	put_svar(b, v->tcp_tw_reuse);
	put_svar(b, v->tcp_timestamps);
	put_svar(b, v->tcp_fin_timeout);
	put_svar(b, v->tcp_max_tw_buckets);
	put_svar(b, v->tcp_tw_reuse_delay_ms);
	put_var(b, v->known);
	/* reserved ports as ranges: (gap from the last end, length) */
	{
		unsigned last = 0;

		for (p = 0; p <= 65536; p++) {
			int r = p < 65536 && sysctl_port_reserved(v, p);

			if (r && !in) {
				start = p;
				in = 1;
			} else if (!r && in) {
				put_var(&ranges, start - last);
				put_var(&ranges, p - start);
				last = p;
				in = 0;
				nranges++;
			}
		}
	}
	put_var(b, nranges);
	strbuf_add(b, ranges.buf, ranges.len);
	if (ranges.failed)
		b->failed = 1;
	strbuf_release(&ranges);
}

static void get_sysctl(struct cur *c, struct sysctl_vals *v)
{
	uint64_t n, i, at = 0;

	v->port_low = get_var32(c);
	v->port_high = get_var32(c);
	v->tcp_tw_reuse = get_int(c);
	v->tcp_timestamps = get_int(c);
	v->tcp_fin_timeout = get_int(c);
	v->tcp_max_tw_buckets = get_int(c);
	v->tcp_tw_reuse_delay_ms = get_int(c);
	v->known = get_var32(c);
	if (v->port_low > 65535 || v->port_high > 65535)
		c->bad = 1;
	memset(v->reserved, 0, sizeof(v->reserved));
	n = get_var(c);
	if (n > 32768)
		c->bad = 1;
	for (i = 0; i < n && !c->bad; i++) {
		uint64_t gap = get_var(c), len = get_var(c), p;

		if (gap > 65536 || len == 0 || len > 65536 ||
		    at + gap + len > 65536) {
			c->bad = 1;
			break;
		}
		for (p = at + gap; p < at + gap + len; p++)
			v->reserved[p >> 3] |= (uint8_t)(1u << (p & 7));
		at += gap + len;
	}
}

static void put_key(struct strbuf *b, const struct ev_key *k)
{
	size_t n = k->family == AF_INET6 ? 16 : 4;

	put_u8(b, k->family == AF_INET6 ? 6 : 4);
	put_u8(b, k->proto);
	strbuf_add(b, k->saddr, n);
	strbuf_add(b, k->daddr, n);
	put_u16(b, k->dport);
}

static void put_events(struct strbuf *b, const struct sample *s)
{
	size_t i;

	put_var(b, (uint64_t)s->events);
	put_f64(b, s->events_since);
	put_var(b, s->closes.events);
	put_var(b, s->closes.counted);
	put_var(b, s->closes.malformed);
	put_var(b, s->closes.flags);
	put_var(b, s->closes.len);
	for (i = 0; i < s->closes.len; i++) {
		put_key(b, &s->closes.v[i].key);
		put_var(b, s->closes.v[i].closes);
	}
}

static int get_events(struct cur *c, struct sample *s)
{
	uint64_t n, i, ev;

	ev = get_var(c);
	if (ev > SAMPLE_EV_LOST)
		c->bad = 1;
	s->events = (int)ev;
	s->events_since = get_f64(c);
	ev_counts_clear(&s->closes);
	s->closes.events = get_var(c);
	s->closes.counted = get_var(c);
	s->closes.malformed = get_var(c);
	s->closes.flags = get_var32(c);
	n = get_var(c);
	/* family, proto, two IPv4 addresses, port, count */
	if (c->bad || n > c->n / 13)
		return -EBADMSG;
	if (array_grow(&s->closes.v, &s->closes.cap, (size_t)n,
		     sizeof(*s->closes.v)) < 0)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct ev_count *e = &s->closes.v[i];
		unsigned fam = get_u8(c);
		size_t alen = fam == 6 ? 16 : 4;

		memset(e, 0, sizeof(*e));
		if (fam != 4 && fam != 6)
			c->bad = 1;
		e->key.family = fam == 6 ? AF_INET6 : AF_INET;
		e->key.proto = (uint8_t)get_u8(c);
		get_bytes(c, e->key.saddr, alen);
		get_bytes(c, e->key.daddr, alen);
		e->key.dport = (uint16_t)get_u16(c);
		e->closes = get_var32(c);
		if (c->bad)
			return -EBADMSG;
	}
	s->closes.len = (size_t)n;
	return 0;
}

/* Conntrack (engine/conntrack.h): fill, stats and the NAT destinations
 * as the sampler computed them. */
static void put_addr16(struct strbuf *b, int family, const uint8_t *a)
{
	strbuf_add(b, a, family == AF_INET6 ? 16 : 4);
}

static void put_ct(struct strbuf *b, const struct ct_sample *ct)
{
	size_t i;

	put_var(b, ct->have);
	put_svar(b, ct->count);
	put_svar(b, ct->max);
	put_var(b, CT_S_MAX);
	for (i = 0; i < CT_S_MAX; i++)
		put_var(b, ct->stats.v[i]);
	put_var(b, ct->stats.entries);
	put_var(b, ct->stats.cpus);
	put_var(b, ct->stats.known);
	put_svar(b, ct->dump_err);
	put_var(b, ct->nat_low);
	put_var(b, ct->nat_high);
	put_var(b, ct->nat_range_given ? 1 : 0);
	put_var(b, ct->entries);
	put_var(b, ct->malformed);
	put_var(b, ct->flags);
	put_var(b, ct->nnat);
	for (i = 0; i < ct->nnat; i++) {
		const struct ct_nat_dest *d = &ct->nat[i];

		put_u8(b, d->family == AF_INET6 ? 6 : 4);
		put_u8(b, d->proto);
		put_addr16(b, d->family, d->nat_addr);
		put_addr16(b, d->family, d->daddr);
		put_u16(b, d->dport);
		put_var(b, d->entries);
		put_var(b, d->nat_entries);
		put_var(b, d->in_use);
		put_var(b, d->established);
		put_var(b, d->time_wait);
		put_var(b, d->other);
		put_var(b, d->available);
		put_f64(b, d->headroom_pct);
	}
}

static int get_ct(struct cur *c, struct ct_sample *ct)
{
	uint64_t ncols, n, i;

	ct_sample_clear(ct);
	ct->have = get_var32(c);
	ct->count = get_svar(c);
	ct->max = get_svar(c);
	ncols = get_var(c);
	if (c->bad || ncols > 64)
		return -EBADMSG;
	for (i = 0; i < ncols; i++) {
		uint64_t v = get_var(c);

		if (i < CT_S_MAX)   /* columns of a later version are skipped */
			ct->stats.v[i] = v;
	}
	ct->stats.entries = get_var(c);
	ct->stats.cpus = get_var32(c);
	ct->stats.known = get_var32(c);
	ct->dump_err = get_int(c);
	ct->nat_low = get_var32(c);
	ct->nat_high = get_var32(c);
	ct->nat_range_given = get_var(c) != 0;
	ct->entries = get_var(c);
	ct->malformed = get_var(c);
	ct->flags = get_var32(c);
	n = get_var(c);
	/* family, proto, two IPv4 addresses, port, 7 counts, a double */
	if (c->bad || n > c->n / 27 || ct->nat_low > 65535 || ct->nat_high > 65535)
		return -EBADMSG;
	if (array_grow(&ct->nat, &ct->nat_cap, (size_t)n + 1, sizeof(*ct->nat)) < 0)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct ct_nat_dest *d = &ct->nat[i];
		unsigned fam = get_u8(c);
		size_t alen = fam == 6 ? 16 : 4;

		memset(d, 0, sizeof(*d));
		if (fam != 4 && fam != 6)
			c->bad = 1;
		d->family = fam == 6 ? AF_INET6 : AF_INET;
		d->proto = (uint8_t)get_u8(c);
		get_bytes(c, d->nat_addr, alen);
		get_bytes(c, d->daddr, alen);
		d->dport = (uint16_t)get_u16(c);
		d->entries = get_var32(c);
		d->nat_entries = get_var32(c);
		d->in_use = get_var32(c);
		d->established = get_var32(c);
		d->time_wait = get_var32(c);
		d->other = get_var32(c);
		d->available = get_var32(c);
		d->headroom_pct = get_f64(c);
		if (c->bad)
			return -EBADMSG;
	}
	ct->nnat = (size_t)n;
	return 0;
}

/* ---- one record: encode ------------------------------------------------------- */

/* Matching a sample's sockets with the previous sample's. */
/* Sections a delta record may mark as unchanged (REC_SEC_SAME). */
static const uint8_t rec_same_types[] = {
	REC_SEC_NETNS, REC_SEC_SYSCTL, REC_SEC_CONNTRACK,
};
#define REC_NSAME (sizeof(rec_same_types) / sizeof(rec_same_types[0]))

struct matcher {
	struct strbuf last[REC_NSAME];   /* writer: those sections as last sent */
	uint32_t *tab;            /* index into prev + 1, 0 empty */
	size_t cap;
	long *match;              /* per new socket: prev index or -1 */
	size_t match_cap;
	uint32_t *map;            /* procs_remap() */
	size_t map_cap;
	int have_last;            /* last[] holds the last record's sections */
};

static void matcher_release(struct matcher *m)
{
	size_t i;

	for (i = 0; i < REC_NSAME; i++)
		if (m->last[i].alloc)
			strbuf_release(&m->last[i]);
	free(m->tab);
	free(m->match);
	free(m->map);
	memset(m, 0, sizeof(*m));
}

static int matcher_index(struct matcher *m, const struct sockvec *prev)
{
	size_t cap = 64, i;

	while (cap < prev->len * 2 + 2)
		cap *= 2;
	if (cap > m->cap) {
		uint32_t *t = realloc(m->tab, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		m->tab = t;
		m->cap = cap;
	}
	cap = m->cap;
	memset(m->tab, 0, cap * sizeof(*m->tab));
	for (i = 0; i < prev->len; i++) {
		size_t h = (size_t)sock_hash(&prev->v[i]) & (cap - 1);

		while (m->tab[h])
			h = (h + 1) & (cap - 1);
		m->tab[h] = (uint32_t)i + 1;
	}
	return 0;
}

static long matcher_find(const struct matcher *m, const struct sockvec *prev,
			 const struct sock_rec *s, long last)
{
	size_t h;

	if (last + 1 < (long)prev->len && sock_same(&prev->v[last + 1], s))
		return last + 1;
	for (h = (size_t)sock_hash(s) & (m->cap - 1); m->tab[h];
	     h = (h + 1) & (m->cap - 1))
		if (sock_same(&prev->v[m->tab[h] - 1], s))
			return (long)m->tab[h] - 1;
	return -1;
}

static uint32_t owner_of(const struct sample *s, size_t i)
{
	uint32_t o;

	if (!s->nowner || i >= s->nowner)
		return SAMPLE_NO_OWNER;
	o = s->owner[i];
	return o < s->nprocs ? o : SAMPLE_NO_OWNER;
}

/* The owner socket i of cur is expected to have. */
static uint32_t owner_pred(const struct sample *prev, const struct matcher *m,
			   size_t i)
{
	uint32_t o;

	if (!prev || m->match[i] < 0)
		return SAMPLE_NO_OWNER;
	o = owner_of(prev, (size_t)m->match[i]);
	return o == SAMPLE_NO_OWNER ? o : m->map[o];
}

static void put_owners(struct strbuf *b, const struct sample *s,
		       const struct sample *prev, const struct matcher *m)
{
	size_t n = s->socks.len, i = 0;
	int has = s->nowner > 0 && s->nowner == n;

	put_var(b, has);
	if (!has)
		return;
	while (i < n) {
		size_t run = 0;
		uint32_t o;

		while (i + run < n && owner_of(s, i + run) == owner_pred(prev, m, i + run))
			run++;
		put_var(b, run);
		i += run;
		if (i >= n)
			break;
		o = owner_of(s, i);
		put_var(b, o == SAMPLE_NO_OWNER ? 0 : (uint64_t)o + 1);
		i++;
	}
}

/*
 * Bind states (REC_SEC_BIND). Each socket's bind is predicted: a copied
 * socket keeps its base's (sock_same() compares it, so a socket whose bind
 * changed is sent as a literal), a literal one has the bind of the literal
 * before it in this record (SOCK_BIND_UNKNOWN for the first). The body is
 * the sample's bind_src and bind_why, then pairs like OWNERS: varint number
 * of sockets that match the prediction, u8 bind of the next one.
 */
struct bind_pred {
	const struct sample *prev;
	const struct matcher *m;
	unsigned last_lit;
};

static unsigned bind_expect(const struct bind_pred *bp, size_t i)
{
	if (bp->prev && bp->m->match[i] >= 0)
		return bp->prev->socks.v[bp->m->match[i]].bind;
	return bp->last_lit;
}

static void bind_seen(struct bind_pred *bp, size_t i, unsigned bind)
{
	if (!bp->prev || bp->m->match[i] < 0)
		bp->last_lit = bind;
}

/* Nothing to say: what a recording without the section means. */
static int binds_none(const struct sample *s)
{
	size_t i;

	if (s->bind_src != SOCK_BSRC_NONE || s->bind_why[0])
		return 0;
	for (i = 0; i < s->socks.len; i++)
		if (s->socks.v[i].bind)
			return 0;
	return 1;
}

static void put_binds(struct strbuf *b, const struct sample *s,
		      const struct sample *prev, const struct matcher *m)
{
	struct bind_pred bp = { prev, m, SOCK_BIND_UNKNOWN };
	size_t n = s->socks.len, i = 0;

	put_var(b, (uint64_t)(s->bind_src > 0 && s->bind_src <= SOCK_BSRC_BPF ?
			      s->bind_src : SOCK_BSRC_NONE));
	put_str(b, s->bind_why, sizeof(s->bind_why));
	while (i < n) {
		size_t run = 0;

		while (i + run < n &&
		       s->socks.v[i + run].bind == bind_expect(&bp, i + run)) {
			bind_seen(&bp, i + run, s->socks.v[i + run].bind);
			run++;
		}
		put_var(b, run);
		i += run;
		if (i >= n)
			break;
		put_u8(b, s->socks.v[i].bind);
		bind_seen(&bp, i, s->socks.v[i].bind);
		i++;
	}
}

/* Fill the binds of s's decoded sockets (m->match says which were copied
 * from prev, NULL for a key record). A record without the section has no
 * bind information: bind_src NONE and every bind UNKNOWN, whatever a copied
 * socket had in the base. */
static int get_binds(struct cur *c, struct sample *s, const struct sample *prev,
		     const struct matcher *m)
{
	struct bind_pred bp = { prev, m, SOCK_BIND_UNKNOWN };
	size_t n = s->socks.len, i = 0;
	uint64_t src;

	s->bind_src = SOCK_BSRC_NONE;
	s->bind_why[0] = 0;
	if (!c) {
		for (i = 0; i < n; i++)
			s->socks.v[i].bind = SOCK_BIND_UNKNOWN;
		return 0;
	}
	src = get_var(c);
	get_str(c, s->bind_why, sizeof(s->bind_why));
	if (c->bad || src > SOCK_BSRC_BPF)
		return -EBADMSG;
	while (i < n) {
		uint64_t run = get_var(c), k;
		unsigned v;

		if (c->bad || run > n - i)
			return -EBADMSG;
		for (k = 0; k < run; k++, i++) {
			s->socks.v[i].bind = (uint8_t)bind_expect(&bp, i);
			bind_seen(&bp, i, s->socks.v[i].bind);
		}
		if (i >= n)
			break;
		v = get_u8(c);
		if (c->bad || v > SOCK_BIND_OWNED)
			return -EBADMSG;
		s->socks.v[i].bind = (uint8_t)v;
		bind_seen(&bp, i, v);
		i++;
	}
	/* bytes after the last pair are left to later versions */
	s->bind_src = (int)src;
	return 0;
}

static void put_socks_full(struct strbuf *b, const struct sockvec *sv)
{
	struct lit_ctx lc = { 0 };
	size_t i;

	put_var(b, sv->len);
	for (i = 0; i < sv->len; i++)
		put_sock(b, &sv->v[i], &lc);
}

/*
 * Timers of copied sockets: a socket whose timer ran keeps counting down
 * by the interval; what the kernel shows differs from that by when in
 * the dump it was read, about alike for every socket of a sample. So the
 * expected value is old - interval + bias, bias being the last correction
 * seen in this record, and most corrections are 0: they are coded as
 * (varint run of zeros, zigzag value) pairs over the run's timed sockets.
 * A socket without a timer before keeps none (one that gets a timer is
 * sent in full).
 */
struct timer_pred {
	uint32_t dt;
	int64_t bias;
};

static int64_t timer_expect(const struct timer_pred *tp, uint32_t old)
{
	int64_t e = (int64_t)old - (int64_t)tp->dt + tp->bias;

	return e > 0 ? e : 0;
}

static void timer_seen(struct timer_pred *tp, uint32_t old, uint32_t now)
{
	/* an expired timer (0) says nothing about the bias */
	if (now > 0)
		tp->bias = (int64_t)now - ((int64_t)old - (int64_t)tp->dt);
}

/* Can socket i be copied from its match? */
static int copyable(const struct sample *s, const struct sample *prev,
		    const struct matcher *m, size_t i)
{
	return m->match[i] >= 0 &&
	       (prev->socks.v[m->match[i]].expires_ms != 0 ||
		s->socks.v[i].expires_ms == 0);
}

static void put_socks_delta(struct strbuf *b, const struct sample *s,
			    const struct sample *prev, struct matcher *m)
{
	struct timer_pred tp = { interval_ms(prev->mono, s->mono), 0 };
	struct lit_ctx lc = { 0 };
	size_t n = s->socks.len, i = 0, k;
	long expect = 0;

	for (i = 0; i < n; i++)
		if (!copyable(s, prev, m, i))
			m->match[i] = -1;
	put_var(b, n);
	i = 0;
	while (i < n) {
		size_t run = 1;

		if (m->match[i] < 0) {
			while (i + run < n && m->match[i + run] < 0)
				run++;
			put_u8(b, REC_OP_LIT);
			put_var(b, run);
			for (k = 0; k < run; k++)
				put_sock(b, &s->socks.v[i + k], &lc);
		} else {
			long j0 = m->match[i];
			size_t zeros = 0;

			while (i + run < n && m->match[i + run] == j0 + (long)run)
				run++;
			put_u8(b, REC_OP_COPY);
			put_svar(b, j0 - expect);
			put_var(b, run);
			for (k = 0; k < run; k++) {
				uint32_t old = prev->socks.v[j0 + (long)k].expires_ms;
				uint32_t now = s->socks.v[i + k].expires_ms;
				int64_t v;

				if (old == 0)
					continue;
				v = (int64_t)now - timer_expect(&tp, old);
				timer_seen(&tp, old, now);
				if (v == 0) {
					zeros++;
					continue;
				}
				put_var(b, zeros);
				put_svar(b, v);
				zeros = 0;
			}
			/* the tail of zeros, when there is one: the reader
			 * stops at the run's end */
			if (zeros)
				put_var(b, zeros);
			expect = j0 + (long)run;
		}
		i += run;
	}
}

/*
 * Build the payload of one record for s into b: a key record when prev is
 * NULL, else a delta against prev. m is scratch.
 */
static int rec_encode(struct strbuf *b, const struct sample *s,
		      const struct sample *prev, uint64_t seq, uint64_t run,
		      struct matcher *m)
{
	struct strbuf sec;
	size_t i;

	for (i = 0; i < s->socks.len; i++)
		if (!sock_encodable(&s->socks.v[i]))
			return -EINVAL;
	if (array_grow(&m->match, &m->match_cap, s->socks.len + 1,
		     sizeof(*m->match)) < 0)
		return -ENOMEM;
	if (prev) {
		if (matcher_index(m, &prev->socks) < 0 ||
		    procs_remap(prev, s, &m->map, &m->map_cap) < 0)
			return -ENOMEM;
		for (i = 0; i < s->socks.len; i++)
			m->match[i] = matcher_find(m, &prev->socks, &s->socks.v[i],
						   i ? m->match[i - 1] : -1);
	} else {
		for (i = 0; i < s->socks.len; i++)
			m->match[i] = -1;
	}

	strbuf_init(&sec);
	put_u8(b, prev ? REC_KIND_DELTA : REC_KIND_KEY);
	put_var(b, seq);
	{
		uint8_t x[8];
		int j;

		for (j = 0; j < 8; j++)
			x[j] = (uint8_t)(run >> (8 * j));
		strbuf_add(b, x, 8);
	}

	strbuf_reset(&sec);
	put_f64(&sec, s->time);
	put_f64(&sec, s->mono);
	put_section(b, REC_SEC_TIME, &sec);

	/* what rarely changes: sent when it did, else named in SAME */
	{
		struct strbuf same;

		strbuf_init(&same);
		for (i = 0; i < REC_NSAME; i++) {
			struct strbuf *last = &m->last[i];

			if (!last->alloc && !last->len)
				strbuf_init(last);
			strbuf_reset(&sec);
			if (rec_same_types[i] == REC_SEC_NETNS)
				put_str(&sec, s->netns, sizeof(s->netns));
			else if (rec_same_types[i] == REC_SEC_SYSCTL)
				put_sysctl(&sec, &s->sys);
			else
				put_ct(&sec, &s->ct);
			if (prev && m->have_last && !last->failed &&
			    sec.len == last->len &&
			    memcmp(sec.buf, last->buf, sec.len) == 0) {
				put_u8(&same, rec_same_types[i]);
				continue;
			}
			put_section(b, rec_same_types[i], &sec);
			strbuf_reset(last);
			strbuf_add(last, sec.buf, sec.len);
		}
		if (same.len)
			put_section(b, REC_SEC_SAME, &same);
		if (same.failed)
			b->failed = 1;
		strbuf_release(&same);
		m->have_last = 1;
	}

	strbuf_reset(&sec);
	put_var(&sec, s->stats.messages);
	put_var(&sec, s->stats.sockets);
	put_var(&sec, s->stats.malformed);
	put_var(&sec, s->stats.retries);
	put_section(b, REC_SEC_STATS, &sec);

	strbuf_reset(&sec);
	put_events(&sec, s);
	put_section(b, REC_SEC_EVENTS, &sec);

	strbuf_reset(&sec);
	put_var(&sec, s->net.active_opens);
	put_var(&sec, s->net.tw_recycled);
	put_var(&sec, s->net.tw_overflow);
	put_var(&sec, s->net.known);
	put_section(b, REC_SEC_NETSTAT, &sec);

	if (s->nnotes) {
		size_t n = s->nnotes < SAMPLE_MAX_NOTES ? s->nnotes : SAMPLE_MAX_NOTES;

		strbuf_reset(&sec);
		put_var(&sec, n);
		for (i = 0; i < n; i++)
			put_str(&sec, s->notes[i], SAMPLE_NOTE_LEN);
		put_section(b, REC_SEC_NOTES, &sec);
	}

	strbuf_reset(&sec);
	if (prev && procs_same(prev, s) && prev->procs_denied == s->procs_denied) {
		put_section(b, REC_SEC_PROCS_SAME, &sec);
	} else {
		put_procs(&sec, s);
		put_section(b, REC_SEC_PROCS, &sec);
	}

	strbuf_reset(&sec);
	if (prev) {
		put_socks_delta(&sec, s, prev, m);
		put_section(b, REC_SEC_SOCKS_DELTA, &sec);
	} else {
		put_socks_full(&sec, &s->socks);
		put_section(b, REC_SEC_SOCKS_FULL, &sec);
	}

	strbuf_reset(&sec);
	put_owners(&sec, s, prev, m);
	put_section(b, REC_SEC_OWNERS, &sec);

	if (!binds_none(s)) {
		strbuf_reset(&sec);
		put_binds(&sec, s, prev, m);
		put_section(b, REC_SEC_BIND, &sec);
	}

	strbuf_release(&sec);
	if (strbuf_error(b))
		return -ENOMEM;
	if (b->len > REC_MAX_RECORD)
		return -EFBIG;
	return 0;
}

/* ---- one record: decode ------------------------------------------------------- */

static int get_owners(struct cur *c, struct sample *s, const struct sample *prev,
		      const struct matcher *m)
{
	size_t n = s->socks.len, i = 0;
	uint64_t has = get_var(c);

	s->nowner = 0;
	if (c->bad || has > 1)
		return -EBADMSG;
	if (!has)
		return 0;
	if (array_grow(&s->owner, &s->owner_cap, n + 1, sizeof(*s->owner)) < 0)
		return -ENOMEM;
	while (i < n) {
		uint64_t run = get_var(c), v, k;

		if (c->bad || run > n - i)
			return -EBADMSG;
		for (k = 0; k < run; k++, i++)
			s->owner[i] = owner_pred(prev, m, i);
		if (i >= n)
			break;
		v = get_var(c);
		if (c->bad || v > s->nprocs)
			return -EBADMSG;
		s->owner[i++] = v ? (uint32_t)(v - 1) : SAMPLE_NO_OWNER;
	}
	s->nowner = n;
	return 0;
}

static int get_socks_full(struct cur *c, struct sample *s, struct matcher *m)
{
	struct lit_ctx lc = { 0 };
	uint64_t n = get_var(c), i;

	sockvec_clear(&s->socks);
	if (c->bad || n > c->n / REC_SOCK_MIN)
		return -EBADMSG;
	if (sockvec_reserve(&s->socks, (size_t)n) < 0 ||
	    array_grow(&m->match, &m->match_cap, (size_t)n + 1, sizeof(*m->match)) < 0)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		get_sock(c, &s->socks.v[i], &lc);
		m->match[i] = -1;
		if (c->bad)
			return -EBADMSG;
	}
	s->socks.len = (size_t)n;
	return 0;
}

static int get_socks_delta(struct cur *c, struct sample *s,
			   const struct sample *prev, struct matcher *m)
{
	struct timer_pred tp = { interval_ms(prev->mono, s->mono), 0 };
	struct lit_ctx lc = { 0 };
	uint64_t n = get_var(c), done = 0;
	int64_t expect = 0;
	size_t plen = prev->socks.len;

	sockvec_clear(&s->socks);
	if (c->bad || n > (uint64_t)plen + c->n / REC_SOCK_MIN ||
	    n > REC_MAX_RECORD)
		return -EBADMSG;
	if (sockvec_reserve(&s->socks, (size_t)n) < 0 ||
	    array_grow(&m->match, &m->match_cap, (size_t)n + 1, sizeof(*m->match)) < 0)
		return -ENOMEM;
	while (done < n) {
		unsigned op = get_u8(c);
		uint64_t k;

		if (c->bad)
			return -EBADMSG;
		if (op == REC_OP_LIT) {
			uint64_t cnt = get_var(c);

			if (c->bad || cnt == 0 || cnt > n - done ||
			    cnt > c->n / REC_SOCK_MIN)
				return -EBADMSG;
			for (k = 0; k < cnt; k++, done++) {
				get_sock(c, &s->socks.v[done], &lc);
				m->match[done] = -1;
			}
			if (c->bad)
				return -EBADMSG;
		} else if (op == REC_OP_COPY) {
			int64_t start = expect + get_svar(c);
			uint64_t cnt = get_var(c), zeros = 0;
			int have_zeros = 0;

			if (c->bad || start < 0 || cnt == 0 || cnt > n - done ||
			    (uint64_t)start > plen || cnt > plen - (uint64_t)start)
				return -EBADMSG;
			for (k = 0; k < cnt; k++, done++) {
				struct sock_rec *d = &s->socks.v[done];
				uint32_t old;
				int64_t e;

				*d = prev->socks.v[(size_t)start + k];
				m->match[done] = (long)start + (long)k;
				old = d->expires_ms;
				if (old == 0)
					continue;
				if (!have_zeros) {
					zeros = get_var(c);
					have_zeros = 1;
				}
				e = timer_expect(&tp, old);
				if (zeros > 0) {
					zeros--;
				} else {
					e += get_svar(c);
					have_zeros = 0;
				}
				if (c->bad || e < 0 || e > UINT32_MAX)
					return -EBADMSG;
				d->expires_ms = (uint32_t)e;
				timer_seen(&tp, old, d->expires_ms);
			}
			if (have_zeros && zeros)
				return -EBADMSG;   /* zeros past the run */
			expect = start + (int64_t)cnt;
		} else {
			return -EBADMSG;
		}
	}
	s->socks.len = (size_t)n;
	return 0;
}

/* Section spans found in a payload. */
struct spans {
	struct cur sec[256];
	uint8_t have[256];
};

/*
 * Decode one payload into *s; prev is the sample of the record before it
 * (NULL when there is none that decoded). Returns 0, -EBADMSG (malformed),
 * -ENOENT (a delta without its base), -EPROTONOSUPPORT (an unknown
 * critical section), -ENOMEM. *kind is set when the payload starts well.
 */
static int rec_decode(const uint8_t *p, size_t len, struct sample *s,
		      const struct sample *prev, uint64_t *seq, uint64_t *run,
		      int *kind, struct matcher *m, struct spans *sp)
{
	struct cur c;
	uint8_t rb[8], same[256];
	int e, i;

	memset(same, 0, sizeof(same));
	cur_init(&c, p, len);
	*kind = (int)get_u8(&c);
	*seq = get_var(&c);
	get_bytes(&c, rb, 8);
	*run = 0;
	for (i = 0; i < 8; i++)
		*run |= (uint64_t)rb[i] << (8 * i);
	if (c.bad || (*kind != REC_KIND_KEY && *kind != REC_KIND_DELTA))
		return -EBADMSG;
	memset(sp->have, 0, sizeof(sp->have));
	while (c.n > 0) {
		unsigned type = get_u8(&c);
		uint64_t slen = get_var(&c);

		if (c.bad || slen > c.n)
			return -EBADMSG;
		if (sp->have[type])
			return -EBADMSG;          /* one of each */
		sp->have[type] = 1;
		cur_init(&sp->sec[type], c.p, (size_t)slen);
		c.p += slen;
		c.n -= (size_t)slen;
		if ((type & REC_SEC_CRITICAL) && type != REC_SEC_SOCKS_FULL &&
		    type != REC_SEC_SOCKS_DELTA)
			return -EPROTONOSUPPORT;
	}
	if (*kind == REC_KIND_DELTA && !prev)
		return -ENOENT;
	if (!sp->have[REC_SEC_TIME] ||
	    !sp->have[*kind == REC_KIND_KEY ? REC_SEC_SOCKS_FULL : REC_SEC_SOCKS_DELTA] ||
	    sp->have[*kind == REC_KIND_KEY ? REC_SEC_SOCKS_DELTA : REC_SEC_SOCKS_FULL])
		return -EBADMSG;
	if (*kind == REC_KIND_KEY && sp->have[REC_SEC_PROCS_SAME])
		return -EBADMSG;

	/* what is absent is unknown */
	s->time = get_f64(&sp->sec[REC_SEC_TIME]);
	s->mono = get_f64(&sp->sec[REC_SEC_TIME]);
	if (sp->sec[REC_SEC_TIME].bad || !isfinite(s->time) || !isfinite(s->mono))
		return -EBADMSG;
	/* sections named unchanged take the base's values */
	if (sp->have[REC_SEC_SAME]) {
		struct cur *x = &sp->sec[REC_SEC_SAME];

		if (*kind != REC_KIND_DELTA)
			return -EBADMSG;
		while (x->n > 0) {
			unsigned t = get_u8(x);

			if (sp->have[t] || (t != REC_SEC_NETNS && t != REC_SEC_SYSCTL &&
					    t != REC_SEC_CONNTRACK))
				return -EBADMSG;
			same[t] = 1;
		}
	}
	snprintf(s->netns, sizeof(s->netns), "unknown");
	if (same[REC_SEC_NETNS])
		memcpy(s->netns, prev->netns, sizeof(s->netns));
	else if (sp->have[REC_SEC_NETNS])
		get_str(&sp->sec[REC_SEC_NETNS], s->netns, sizeof(s->netns));
	sysctl_defaults(&s->sys);
	if (same[REC_SEC_SYSCTL])
		s->sys = prev->sys;
	else if (sp->have[REC_SEC_SYSCTL])
		get_sysctl(&sp->sec[REC_SEC_SYSCTL], &s->sys);
	memset(&s->stats, 0, sizeof(s->stats));
	if (sp->have[REC_SEC_STATS]) {
		struct cur *x = &sp->sec[REC_SEC_STATS];

		s->stats.messages = get_var(x);
		s->stats.sockets = get_var(x);
		s->stats.malformed = get_var(x);
		s->stats.retries = get_var(x);
	}
	s->events = SAMPLE_EV_NONE;
	s->events_since = s->mono;
	ev_counts_clear(&s->closes);
	if (sp->have[REC_SEC_EVENTS]) {
		e = get_events(&sp->sec[REC_SEC_EVENTS], s);
		if (e)
			return e;
	}
	memset(&s->net, 0, sizeof(s->net));
	if (sp->have[REC_SEC_NETSTAT]) {
		struct cur *x = &sp->sec[REC_SEC_NETSTAT];

		s->net.active_opens = get_var(x);
		s->net.tw_recycled = get_var(x);
		s->net.tw_overflow = get_var(x);
		s->net.known = get_var32(x);
	}
	s->nnotes = 0;
	if (sp->have[REC_SEC_NOTES]) {
		struct cur *x = &sp->sec[REC_SEC_NOTES];
		uint64_t n = get_var(x), j;

		if (n > SAMPLE_MAX_NOTES)
			return -EBADMSG;
		for (j = 0; j < n; j++)
			get_str(x, s->notes[j], SAMPLE_NOTE_LEN);
		s->nnotes = (size_t)n;
	}
	if (same[REC_SEC_CONNTRACK]) {
		struct ct_nat_dest *nat = s->ct.nat;
		size_t cap = s->ct.nat_cap;

		s->ct = prev->ct;
		s->ct.nat = nat;
		s->ct.nat_cap = cap;
		s->ct.nnat = 0;
		if (array_grow(&s->ct.nat, &s->ct.nat_cap, prev->ct.nnat + 1,
			     sizeof(*s->ct.nat)) < 0)
			return -ENOMEM;
		if (prev->ct.nnat)
			memcpy(s->ct.nat, prev->ct.nat,
			       prev->ct.nnat * sizeof(*prev->ct.nat));
		s->ct.nnat = prev->ct.nnat;
	} else if (sp->have[REC_SEC_CONNTRACK]) {
		e = get_ct(&sp->sec[REC_SEC_CONNTRACK], &s->ct);
		if (e)
			return e;
	} else {
		ct_sample_clear(&s->ct);
		s->ct.nat_low = CT_NAT_LOW_DEFAULT;
		s->ct.nat_high = CT_NAT_HIGH_DEFAULT;
		s->ct.nat_range_given = 0;
	}
	s->nprocs = 0;
	s->procs_denied = 0;
	if (sp->have[REC_SEC_PROCS_SAME]) {
		if (array_grow(&s->procs, &s->procs_cap, prev->nprocs + 1,
			     sizeof(*s->procs)) < 0)
			return -ENOMEM;
		if (prev->nprocs)
			memcpy(s->procs, prev->procs, prev->nprocs * sizeof(*s->procs));
		s->nprocs = prev->nprocs;
		s->procs_denied = prev->procs_denied;
	} else if (sp->have[REC_SEC_PROCS]) {
		e = get_procs(&sp->sec[REC_SEC_PROCS], s);
		if (e)
			return e;
	}
	if (*kind == REC_KIND_KEY)
		e = get_socks_full(&sp->sec[REC_SEC_SOCKS_FULL], s, m);
	else
		e = get_socks_delta(&sp->sec[REC_SEC_SOCKS_DELTA], s, prev, m);
	if (e)
		return e;
	s->nowner = 0;
	if (sp->have[REC_SEC_OWNERS]) {
		if (prev && *kind == REC_KIND_DELTA &&
		    procs_remap(prev, s, &m->map, &m->map_cap) < 0)
			return -ENOMEM;
		e = get_owners(&sp->sec[REC_SEC_OWNERS], s,
			       *kind == REC_KIND_DELTA ? prev : NULL, m);
		if (e)
			return e;
	}
	e = get_binds(sp->have[REC_SEC_BIND] ? &sp->sec[REC_SEC_BIND] : NULL, s,
		      *kind == REC_KIND_DELTA ? prev : NULL, m);
	if (e)
		return e;
	for (i = 0; i < 256; i++)
		if (sp->have[i] && sp->sec[i].bad)
			return -EBADMSG;
	return 0;
}

/* ---- the header ------------------------------------------------------------- */

static void put_header(struct strbuf *b, const char *host, const struct sample *s)
{
	struct strbuf f;
	uint8_t x[4];

	strbuf_init(&f);
	put_u8(&f, REC_HDR_HOST);
	put_var(&f, strnlen(host, 255));
	strbuf_add(&f, host, strnlen(host, 255));
	put_u8(&f, REC_HDR_RANGE);
	put_var(&f, 4);
	put_u16(&f, s->sys.port_low);
	put_u16(&f, s->sys.port_high);
	put_u8(&f, REC_HDR_CREATED);
	put_var(&f, 8);
	put_f64(&f, s->time);
	put_u8(&f, REC_HDR_VERSION);
	put_var(&f, strlen(PACKAGE_VERSION));
	strbuf_addstr(&f, PACKAGE_VERSION);
	put_u8(&f, REC_HDR_NETNS);
	put_var(&f, strnlen(s->netns, sizeof(s->netns)));
	strbuf_add(&f, s->netns, strnlen(s->netns, sizeof(s->netns)));

	strbuf_add(b, REC_MAGIC, REC_MAGIC_LEN);
	put_u16(b, REC_VERSION);
	put_u16(b, 0);
	put_u32(b, (uint32_t)f.len);
	strbuf_add(b, f.buf, f.len);
	if (f.failed)
		b->failed = 1;
	if (!b->failed) {
		put_u32_at(x, rec_crc32(0, b->buf + REC_MAGIC_LEN,
					b->len - REC_MAGIC_LEN));
		strbuf_add(b, x, 4);
	}
	strbuf_release(&f);
}

/*
 * Parse a header from the first bytes of a file (n of them available).
 * Returns the header's length, or -EBADMSG (not a recording, or torn),
 * -EPROTONOSUPPORT (a newer version); *partial is set when the bytes are
 * a prefix of a header that was being written.
 */
static long get_header(const uint8_t *p, size_t n, struct rec_header *h,
		       int *partial)
{
	uint32_t flen;
	struct cur c;

	*partial = 0;
	memset(h, 0, sizeof(*h));
	if (n < REC_HEADER_FIXED) {
		*partial = memcmp(p, REC_MAGIC, n < REC_MAGIC_LEN ? n : REC_MAGIC_LEN) == 0;
		return -EBADMSG;
	}
	if (memcmp(p, REC_MAGIC, REC_MAGIC_LEN) != 0)
		return -EBADMSG;
	h->version = (unsigned)p[8] | (unsigned)p[9] << 8;
	if (h->version == 0)
		return -EBADMSG;
	if (h->version > REC_VERSION)
		return -EPROTONOSUPPORT;
	flen = get_u32_at(p + 12);
	if (flen > REC_MAX_HEADER)
		return -EBADMSG;
	if (n < REC_HEADER_FIXED + (size_t)flen + 4) {
		*partial = 1;
		return -EBADMSG;
	}
	if (rec_crc32(0, p + REC_MAGIC_LEN, REC_HEADER_FIXED - REC_MAGIC_LEN + flen) !=
	    get_u32_at(p + REC_HEADER_FIXED + flen))
		return -EBADMSG;
	cur_init(&c, p + REC_HEADER_FIXED, flen);
	while (c.n > 0 && !c.bad) {
		unsigned type = get_u8(&c);
		uint64_t len = get_var(&c);
		struct cur f;

		if (c.bad || len > c.n)
			return -EBADMSG;
		cur_init(&f, c.p, (size_t)len);
		switch (type) {
		case REC_HDR_HOST:
			sanitize_text(h->host, sizeof(h->host), (const char *)f.p, f.n);
			break;
		case REC_HDR_VERSION:
			sanitize_text(h->porttop_version, sizeof(h->porttop_version),
				      (const char *)f.p, f.n);
			break;
		case REC_HDR_NETNS:
			sanitize_text(h->netns, sizeof(h->netns), (const char *)f.p, f.n);
			break;
		case REC_HDR_RANGE:
			h->range_low = get_u16(&f);
			h->range_high = get_u16(&f);
			break;
		case REC_HDR_CREATED:
			h->created = get_f64(&f);
			break;
		default:
			break;        /* a field of a later version */
		}
		c.p += len;
		c.n -= (size_t)len;
	}
	return REC_HEADER_FIXED + (long)flen + 4;
}

/* ---- where records come from ---------------------------------------------- */

struct rec_src {
	int fd;                   /* -1 for memory */
	const uint8_t *mem;
	uint64_t size;
	/* Resync work: bytes checksummed for candidate records, and whether
	 * the bound (rec_resync_budget()) stopped a search. */
	uint64_t resync_crc;
	int resync_gave_up;
};

/*
 * Markers every few bytes with plausible lengths would make each resync
 * checksum the rest of the file per marker: quadratic. Candidates must be
 * followed by a marker (or the end), and the bytes checksummed for
 * candidates over a whole file stay under twice its size plus 16 MiB.
 */
static uint64_t rec_resync_budget(const struct rec_src *s)
{
	return 2 * s->size + ((uint64_t)16 << 20);
}

static int src_read(const struct rec_src *s, uint64_t off, void *dst, size_t n)
{
	uint8_t *d = dst;

	if (off > s->size || n > s->size - off)
		return -EIO;
	if (s->fd < 0) {
		memcpy(d, s->mem + off, n);
		return 0;
	}
	while (n > 0) {
		ssize_t r = pread(s->fd, d, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;   /* shrunk under us */
		d += r;
		off += (uint64_t)r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Is there a whole, intact record at off? Returns 0 with its payload in
 * *buf and its length in *len, or -EBADMSG with why, or a read error.
 */
static int rec_at(const struct rec_src *s, uint64_t off, uint8_t **buf,
		  size_t *cap, uint32_t *len, char *why, size_t whylen)
{
	uint8_t h[REC_RECORD_HEAD];
	uint32_t crc;
	int e;

	if (s->size - off < REC_RECORD_HEAD) {
		snprintf(why, whylen, "record header cut short (%llu of %d bytes)",
			 (unsigned long long)(s->size - off), REC_RECORD_HEAD);
		return -EBADMSG;
	}
	e = src_read(s, off, h, sizeof(h));
	if (e)
		return e;
	if (memcmp(h, REC_SYNC, 4) != 0) {
		snprintf(why, whylen, "no record marker");
		return -EBADMSG;
	}
	*len = get_u32_at(h + 4);
	if (*len < 2 || *len > REC_MAX_RECORD) {
		snprintf(why, whylen, "impossible record length %lu",
			 (unsigned long)*len);
		return -EBADMSG;
	}
	if (*len > s->size - off - REC_RECORD_HEAD) {
		snprintf(why, whylen, "record cut short (%llu of %lu bytes)",
			 (unsigned long long)(s->size - off - REC_RECORD_HEAD),
			 (unsigned long)*len);
		return -EBADMSG;
	}
	if (array_grow(buf, cap, *len, 1) < 0)
		return -ENOMEM;
	e = src_read(s, off + REC_RECORD_HEAD, *buf, *len);
	if (e)
		return e;
	crc = rec_crc32(0, h + 4, 4);
	crc = rec_crc32(crc, *buf, *len);
	if (crc != get_u32_at(h + 8)) {
		snprintf(why, whylen, "checksum mismatch");
		return -EBADMSG;
	}
	return 0;
}

/*
 * The offset of the next intact record after `from`, or size if none (or
 * when the work bound was reached: s->resync_gave_up is then set).
 */
static uint64_t rec_resync(struct rec_src *s, uint64_t from, uint8_t **buf,
			   size_t *cap)
{
	uint8_t chunk[65536];
	uint64_t off = from + 1;
	char why[8];

	while (off + REC_RECORD_HEAD <= s->size) {
		size_t n = (size_t)(s->size - off < sizeof(chunk) ?
				    s->size - off : sizeof(chunk)), i;

		if (src_read(s, off, chunk, n) < 0)
			return s->size;
		for (i = 0; i + 4 <= n; i++) {
			uint64_t at = off + i, end;
			uint8_t next[4];
			uint32_t len;

			if (chunk[i] != REC_SYNC0 || memcmp(chunk + i, REC_SYNC, 4) != 0)
				continue;
			if (i + 8 <= n)
				len = get_u32_at(chunk + i + 4);
			else if (src_read(s, at + 4, next, 4) == 0)
				len = get_u32_at(next);
			else
				continue;
			if (len < 2 || len > REC_MAX_RECORD ||
			    len > s->size - at - REC_RECORD_HEAD)
				continue;
			/* a record is followed by a record, a torn one, or
			 * the end: cheap to check before the checksum */
			end = at + REC_RECORD_HEAD + len;
			if (s->size - end >= 4 &&
			    (src_read(s, end, next, 4) < 0 ||
			     memcmp(next, REC_SYNC, 4) != 0))
				continue;
			if (s->resync_crc + len > rec_resync_budget(s)) {
				s->resync_gave_up = 1;
				return s->size;
			}
			s->resync_crc += len;
			if (rec_at(s, at, buf, cap, &len, why, sizeof(why)) == 0)
				return at;
		}
		if (n < 4)
			break;
		off += n - 3;       /* keep a marker cut by the chunk's end */
	}
	return s->size;
}

/* ---- writer ------------------------------------------------------------------- */

struct rec_writer {
	int fd;
	char host[256];
	int header_done;          /* the file has a header */
	uint64_t end;             /* end of the last whole record */
	uint64_t seq;
	uint64_t run;             /* this writer's run: deltas name their base
				     by run and sequence number */
	int need_key;
	size_t since_key;
	uint64_t key_bytes, since_key_bytes;
	struct sample prev;
	int have_prev;
	struct strbuf buf, payload;
	struct matcher m;
	uint64_t bytes, records, keys;
	uint64_t damage_off;      /* first damage kept in the file, 0: none */
	char damage_why[120];
};

const char *rec_strerror(int err)
{
	switch (err) {
	case -ELOOP: return "is a symbolic link: refusing to follow it";
	case -EINVAL: return "not a regular file with a single link";
	case -EBADMSG: return "not a porttop recording (or its header is damaged)";
	case -EPROTONOSUPPORT: return "made by a newer porttop (unknown format version)";
	case -ENODATA: return "no readable sample";
	case -EFBIG: return "sample too large for one record";
	default: return strerror(err < 0 ? -err : err);
	}
}

/*
 * Is the damage at off a torn tail, the beginning of one record that a
 * crash cut short? A header prefix, or a header whose length runs past
 * the end. Anything else (a flipped bit in a whole record) is kept.
 */
static int rec_torn(const struct rec_src *s, uint64_t off)
{
	uint8_t h[REC_RECORD_HEAD];
	uint64_t left = s->size - off;
	uint32_t len;

	if (left < REC_RECORD_HEAD) {
		if (src_read(s, off, h, (size_t)left) < 0)
			return 0;
		return memcmp(h, REC_SYNC, left < 4 ? (size_t)left : 4) == 0;
	}
	if (src_read(s, off, h, sizeof(h)) < 0 || memcmp(h, REC_SYNC, 4) != 0)
		return 0;
	len = get_u32_at(h + 4);
	return len >= 2 && len <= REC_MAX_RECORD &&
	       len > left - REC_RECORD_HEAD;
}

/*
 * An existing file: check the header, then find where its last whole
 * record ends; a torn tail (a record cut short by a crash) is trimmed,
 * other damage is kept (readers report it) and noted in w->damage_off.
 */
static int rec_writer_resume(struct rec_writer *w, uint64_t size, struct strbuf *err)
{
	struct rec_src src = { w->fd, NULL, size, 0, 0 };
	uint8_t head[REC_HEADER_FIXED + REC_MAX_HEADER + 4];
	size_t n = size < sizeof(head) ? (size_t)size : sizeof(head);
	struct rec_header h;
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t off;
	long hl;
	int partial, e;
	char why[120];

	e = src_read(&src, 0, head, n);
	if (e)
		return e;
	hl = get_header(head, n, &h, &partial);
	if (hl == -EBADMSG && partial && n == size) {
		/* a header that a crash cut short: nothing else is there */
		if (ftruncate(w->fd, 0) < 0)
			return -errno;
		w->end = 0;
		return 0;
	}
	if (hl < 0) {
		strbuf_addf(err, "%s", rec_strerror((int)hl));
		return (int)hl;
	}
	if (h.version != REC_VERSION) {
		strbuf_addf(err, "format version %u: this porttop appends only to version %d",
			    h.version, REC_VERSION);
		return -EPROTONOSUPPORT;
	}
	off = (uint64_t)hl;
	while (off < size) {
		uint32_t len;

		e = rec_at(&src, off, &buf, &cap, &len, why, sizeof(why));
		if (e == 0) {
			off += REC_RECORD_HEAD + len;
			continue;
		}
		if (e != -EBADMSG)
			break;
		{
			uint64_t next = rec_resync(&src, off, &buf, &cap);

			if (src.resync_gave_up) {
				strbuf_addf(err, "damaged at offset %llu beyond what "
					    "porttop checks: refusing to append",
					    (unsigned long long)off);
				e = -EBADMSG;
				free(buf);
				return e;
			}
			if (next >= size && rec_torn(&src, off)) {
				/* a record cut short at the end: trim it */
				if (ftruncate(w->fd, (off_t)off) < 0)
					e = -errno;
				else
					e = 0;
				size = off;
				break;
			}
			/* damage stays for readers to report */
			if (!w->damage_off) {
				w->damage_off = off;
				snprintf(w->damage_why, sizeof(w->damage_why),
					 "%s", why);
			}
			e = 0;
			if (next >= size)
				break;
			off = next;
		}
	}
	free(buf);
	if (e && e != -EBADMSG)
		return e;
	w->header_done = 1;
	w->end = size;
	return 0;
}

int rec_writer_open(struct rec_writer **out, const char *path, const char *host,
		    struct strbuf *err)
{
	struct rec_writer *w;
	struct stat st;
	int e;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		e = errno == ELOOP ? -ELOOP : -errno;
		strbuf_addf(err, "%s", rec_strerror(e));
		free(w);
		return e;
	}
	if (fstat(w->fd, &st) < 0) {
		e = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		e = -EINVAL;
		strbuf_addf(err, "%s", rec_strerror(e));
		goto fail;
	}
	/* a file someone else made (and may read) is not ours to fill */
	if (st.st_uid != getuid()) {
		e = -EPERM;
		strbuf_addf(err, "owned by uid %lu, not by the user running "
			    "porttop (uid %lu): refusing to write to it",
			    (unsigned long)st.st_uid, (unsigned long)getuid());
		goto fail;
	}
	/* two writers would interleave and trim each other's records */
	if (flock(w->fd, LOCK_EX | LOCK_NB) < 0) {
		e = errno == EWOULDBLOCK ? -EBUSY : -errno;
		strbuf_addstr(err, e == -EBUSY ? "another porttop is writing "
			      "this recording" : strerror(-e));
		goto fail;
	}
	sanitize_text(w->host, sizeof(w->host), host ? host : "", host ? strlen(host) : 0);
	strbuf_init(&w->buf);
	strbuf_init(&w->payload);
	sample_init(&w->prev);
	w->need_key = 1;
	if (st.st_size > 0) {
		e = rec_writer_resume(w, (uint64_t)st.st_size, err);
		if (e)
			goto fail_init;
	}
	/* only once it is known to be a recording (or empty) */
	if ((st.st_mode & 07777) != 0600 && fchmod(w->fd, 0600) < 0) {
		e = -errno;
		strbuf_addf(err, "cannot make it private (mode 0600): %s",
			    strerror(-e));
		goto fail_init;
	}
	*out = w;
	return 0;
fail_init:
	strbuf_release(&w->buf);
	strbuf_release(&w->payload);
	sample_release(&w->prev);
fail:
	if (e != -EINVAL && e != -EBADMSG && e != -EPROTONOSUPPORT && !err->len)
		strbuf_addf(err, "%s", strerror(-e));
	close(w->fd);
	free(w);
	return e;
}

/* A run identifier: the first sample's times and the process id. */
static uint64_t rec_run_id(const struct sample *s)
{
	uint64_t h = 1469598103934665603ULL, v[3];
	size_t i;

	memcpy(&v[0], &s->time, 8);
	memcpy(&v[1], &s->mono, 8);
	v[2] = (uint64_t)getpid();
	for (i = 0; i < 3; i++) {
		h ^= v[i];
		h *= 1099511628211ULL;
		h ^= h >> 31;
	}
	return h ? h : 1;
}

int rec_writer_append(struct rec_writer *w, const struct sample *s)
{
	uint8_t head[REC_RECORD_HEAD];
	uint32_t crc;
	ssize_t n;
	int e, key;

	if (!w || !s)
		return -EINVAL;
	/* a key record now and then bounds what damage can take and how far
	 * a jump decodes: when the deltas since the last one add up to four
	 * times its size (keys then cost a quarter of the deltas), or after
	 * REC_KEY_EVERY records */
	key = w->need_key || !w->have_prev || w->since_key >= REC_KEY_EVERY ||
	      w->since_key_bytes / 4 > w->key_bytes;
	strbuf_reset(&w->buf);
	strbuf_reset(&w->payload);
	if (!w->header_done)
		put_header(&w->buf, w->host, s);
	if (w->run == 0)
		w->run = rec_run_id(s);
	e = rec_encode(&w->payload, s, key ? NULL : &w->prev, w->seq, w->run, &w->m);
	if (e)
		return e;
	memcpy(head, REC_SYNC, 4);
	put_u32_at(head + 4, (uint32_t)w->payload.len);
	crc = rec_crc32(0, head + 4, 4);
	crc = rec_crc32(crc, w->payload.buf, w->payload.len);
	put_u32_at(head + 8, crc);
	strbuf_add(&w->buf, head, sizeof(head));
	strbuf_add(&w->buf, w->payload.buf, w->payload.len);
	if (strbuf_error(&w->buf))
		return -ENOMEM;

	/* one write() of the whole record: a crash can only cut it short */
	do
		n = write(w->fd, w->buf.buf, w->buf.len);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != w->buf.len) {
		e = n < 0 ? -errno : -ENOSPC;
		/* take back what went out, so the file ends on a whole record */
		if (n > 0 && ftruncate(w->fd, (off_t)w->end) < 0) {
			off_t end;

			e = -errno;
			end = lseek(w->fd, 0, SEEK_END);
			/* a torn record stays: the next one goes after it,
			 * and a later trim must not cut into it */
			if (end >= 0)
				w->end = (uint64_t)end;
		}
		w->need_key = 1;
		return e;
	}
	w->end += (uint64_t)n;
	w->bytes += (uint64_t)n;
	w->records++;
	w->header_done = 1;
	if (key) {
		w->keys++;
		w->key_bytes = w->payload.len;
		w->since_key = 0;
		w->since_key_bytes = 0;
	} else {
		w->since_key++;
		w->since_key_bytes += w->payload.len;
	}
	w->seq++;
	w->need_key = 0;
	e = rec_sample_copy(&w->prev, s);
	w->have_prev = e == 0;
	if (e)
		w->need_key = 1;
	return 0;
}

uint64_t rec_writer_damage(const struct rec_writer *w, const char **why)
{
	if (why)
		*why = w && w->damage_off ? w->damage_why : "";
	return w ? w->damage_off : 0;
}

uint64_t rec_writer_bytes(const struct rec_writer *w)
{
	return w ? w->bytes : 0;
}

uint64_t rec_writer_records(const struct rec_writer *w)
{
	return w ? w->records : 0;
}

uint64_t rec_writer_keys(const struct rec_writer *w)
{
	return w ? w->keys : 0;
}

void rec_writer_close(struct rec_writer *w)
{
	if (!w)
		return;
	close(w->fd);
	strbuf_release(&w->buf);
	strbuf_release(&w->payload);
	sample_release(&w->prev);
	matcher_release(&w->m);
	free(w);
}

/* ---- reader ------------------------------------------------------------------- */

struct rec_ent {
	uint64_t off;             /* of the record */
	uint32_t len;             /* of its payload */
	uint32_t key;             /* index of the key sample its chain starts at */
	double time;
};

struct rec_reader {
	struct rec_src src;
	uint8_t *mem;             /* owned copy for rec_reader_open_mem */
	struct rec_header hdr;

	struct rec_ent *ents;
	size_t nents, ents_cap;
	struct rec_damage damage[REC_MAX_DAMAGE];
	size_t ndamage, damage_total;
	uint64_t undecodable;
	int last_damage_base;     /* the last region is "base lost", extendable */

	struct sample bufs[2];
	struct sample *cur, *other;
	long cur_index;           /* sample in *cur, -1 when none */
	uint8_t *pbuf;
	size_t pbuf_cap;
	struct matcher m;
	struct spans *spans;
};

__attribute__((format(printf, 4, 5)))
static void rec_damage_add(struct rec_reader *r, uint64_t off, uint64_t len,
			   const char *fmt, ...)
{
	struct rec_damage *d;
	va_list ap;

	r->damage_total++;
	r->last_damage_base = 0;
	if (r->ndamage >= REC_MAX_DAMAGE)
		return;
	d = &r->damage[r->ndamage++];
	d->offset = off;
	d->length = len;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
}

static int rec_decode_at(struct rec_reader *r, uint64_t off, uint32_t len,
			 const struct sample *prev, struct sample *out,
			 uint64_t *seq, uint64_t *run, int *kind)
{
	char why[120];
	uint32_t got;
	int e;

	e = rec_at(&r->src, off, &r->pbuf, &r->pbuf_cap, &got, why, sizeof(why));
	if (e == 0 && got != len)
		e = -EIO;               /* the file changed since it was opened */
	if (e)
		return e == -EBADMSG ? -EIO : e;
	return rec_decode(r->pbuf, len, out, prev, seq, run, kind, &r->m, r->spans);
}

/* The sequence number and run of a payload. 0 or -EBADMSG. */
static int rec_peek_seq(const uint8_t *p, size_t len, uint64_t *seq, uint64_t *run)
{
	uint8_t rb[8];
	struct cur c;
	int i;

	cur_init(&c, p, len);
	(void)get_u8(&c);
	*seq = get_var(&c);
	get_bytes(&c, rb, 8);
	*run = 0;
	for (i = 0; i < 8; i++)
		*run |= (uint64_t)rb[i] << (8 * i);
	return c.bad ? -EBADMSG : 0;
}

static int rec_reader_scan(struct rec_reader *r, uint64_t off)
{
	uint64_t size = r->src.size, prev_seq = 0, prev_run = 0;
	int chain = 0;            /* *cur holds the last record decoded */
	char why[120];

	while (off < size) {
		uint32_t len;
		uint64_t seq, run;
		int e, kind;

		e = rec_at(&r->src, off, &r->pbuf, &r->pbuf_cap, &len, why, sizeof(why));
		if (e == -EBADMSG) {
			uint64_t next = rec_resync(&r->src, off, &r->pbuf, &r->pbuf_cap);

			rec_damage_add(r, off, next - off, "%s%s", why,
				       r->src.resync_gave_up ? " (the rest is not "
				       "searched: too many false record markers)" : "");
			off = next;
			continue;
		}
		if (e)
			return e;
		/* a delta decodes only on its base: the record before it in
		 * the same run, whatever damage lies between them */
		if (rec_peek_seq(r->pbuf, len, &seq, &run) == 0 &&
		    (!chain || run != prev_run || seq != prev_seq + 1))
			e = rec_decode(r->pbuf, len, r->other, NULL, &seq, &run,
				       &kind, &r->m, r->spans);
		else
			e = rec_decode(r->pbuf, len, r->other, chain ? r->cur : NULL,
				       &seq, &run, &kind, &r->m, r->spans);
		if (e == -ENOMEM)
			return e;
		if (e) {
			uint64_t rl = REC_RECORD_HEAD + (uint64_t)len;

			r->undecodable++;
			if (e == -ENOENT && r->last_damage_base && r->ndamage &&
			    r->damage[r->ndamage - 1].offset +
			    r->damage[r->ndamage - 1].length == off) {
				r->damage[r->ndamage - 1].length += rl;
			} else {
				rec_damage_add(r, off, rl, "%s",
					       e == -ENOENT ?
					       "delta records whose base was lost "
					       "(skipped up to the next key record)" :
					       e == -EPROTONOSUPPORT ?
					       "record needs a newer porttop" :
					       "malformed record");
				r->last_damage_base = e == -ENOENT;
			}
			off += rl;
			continue;
		}
		if (array_grow(&r->ents, &r->ents_cap, r->nents + 1, sizeof(*r->ents)) < 0)
			return -ENOMEM;
		r->ents[r->nents].off = off;
		r->ents[r->nents].len = len;
		r->ents[r->nents].key = kind == REC_KIND_KEY ? (uint32_t)r->nents :
					r->ents[r->nents - 1].key;
		r->ents[r->nents].time = r->other->time;
		{
			struct sample *t = r->cur;

			r->cur = r->other;
			r->other = t;
		}
		r->cur_index = (long)r->nents;
		r->nents++;
		r->last_damage_base = 0;
		prev_seq = seq;
		prev_run = run;
		chain = 1;
		off += REC_RECORD_HEAD + (uint64_t)len;
	}
	return 0;
}

static int rec_reader_init(struct rec_reader *r, struct strbuf *err)
{
	uint8_t head[REC_HEADER_FIXED + REC_MAX_HEADER + 4];
	size_t n = r->src.size < sizeof(head) ? (size_t)r->src.size : sizeof(head);
	long hl;
	int partial, e;

	sample_init(&r->bufs[0]);
	sample_init(&r->bufs[1]);
	r->cur = &r->bufs[0];
	r->other = &r->bufs[1];
	r->cur_index = -1;
	r->spans = malloc(sizeof(*r->spans));
	if (!r->spans)
		return -ENOMEM;
	e = src_read(&r->src, 0, head, n);
	if (e) {
		strbuf_addf(err, "cannot read: %s", strerror(-e));
		return e;
	}
	hl = get_header(head, n, &r->hdr, &partial);
	if (hl < 0) {
		strbuf_addf(err, "%s%s", rec_strerror((int)hl),
			    partial ? " (the header is cut short)" : "");
		return (int)hl;
	}
	e = rec_reader_scan(r, (uint64_t)hl);
	if (e)
		strbuf_addf(err, "cannot read: %s", strerror(-e));
	return e;
}

int rec_reader_open(struct rec_reader **out, const char *path, struct strbuf *err)
{
	struct rec_reader *r;
	struct stat st;
	int e;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	/* O_NONBLOCK: a FIFO must not block the open; it is refused below */
	r->src.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (r->src.fd < 0) {
		e = -errno;
		strbuf_addf(err, "%s", strerror(-e));
		free(r);
		return e;
	}
	if (fstat(r->src.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		e = -EINVAL;
		strbuf_addstr(err, "not a regular file (porttop reads recordings "
			      "only from regular files)");
		rec_reader_free(r);
		return e;
	}
	r->src.size = (uint64_t)st.st_size;
	e = rec_reader_init(r, err);
	if (e) {
		rec_reader_free(r);
		return e;
	}
	*out = r;
	return 0;
}

int rec_reader_open_mem(struct rec_reader **out, const void *buf, size_t len,
			struct strbuf *err)
{
	struct rec_reader *r;
	int e;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->src.fd = -1;
	r->mem = malloc(len ? len : 1);
	if (!r->mem) {
		free(r);
		return -ENOMEM;
	}
	if (len)
		memcpy(r->mem, buf, len);
	r->src.mem = r->mem;
	r->src.size = len;
	e = rec_reader_init(r, err);
	if (e) {
		rec_reader_free(r);
		return e;
	}
	*out = r;
	return 0;
}

void rec_reader_free(struct rec_reader *r)
{
	if (!r)
		return;
	if (r->src.fd >= 0)
		close(r->src.fd);
	free(r->mem);
	free(r->ents);
	if (r->cur) {
		sample_release(&r->bufs[0]);
		sample_release(&r->bufs[1]);
	}
	free(r->pbuf);
	matcher_release(&r->m);
	free(r->spans);
	free(r);
}

const struct rec_header *rec_reader_header(const struct rec_reader *r)
{
	return &r->hdr;
}

size_t rec_reader_count(const struct rec_reader *r)
{
	return r ? r->nents : 0;
}

double rec_reader_time(const struct rec_reader *r, size_t i)
{
	return r && i < r->nents ? r->ents[i].time : (double)NAN;
}

uint64_t rec_reader_offset(const struct rec_reader *r, size_t i)
{
	return r && i < r->nents ? r->ents[i].off : 0;
}

int rec_reader_read(struct rec_reader *r, size_t i, struct sample *s)
{
	size_t from;

	if (!r || i >= r->nents)
		return -ERANGE;
	if (r->cur_index >= 0 && (size_t)r->cur_index == i)
		return rec_sample_copy(s, r->cur);
	if (r->cur_index >= 0 && (size_t)r->cur_index + 1 == i &&
	    (r->ents[i].key == i || r->ents[i].key == r->ents[i - 1].key))
		from = i;
	else
		from = r->ents[i].key;
	for (; from <= i; from++) {
		const struct rec_ent *e = &r->ents[from];
		uint64_t seq, run;
		int kind, err;

		err = rec_decode_at(r, e->off, e->len,
				    e->key == from ? NULL : r->cur, r->other,
				    &seq, &run, &kind);
		if (err) {
			r->cur_index = -1;
			return err;
		}
		{
			struct sample *t = r->cur;

			r->cur = r->other;
			r->other = t;
		}
		r->cur_index = (long)from;
	}
	return rec_sample_copy(s, r->cur);
}

size_t rec_reader_ndamage(const struct rec_reader *r)
{
	return r ? r->ndamage : 0;
}

size_t rec_reader_damage_total(const struct rec_reader *r)
{
	return r ? r->damage_total : 0;
}

const struct rec_damage *rec_reader_damage(const struct rec_reader *r, size_t i)
{
	return r && i < r->ndamage ? &r->damage[i] : NULL;
}

uint64_t rec_reader_undecodable(const struct rec_reader *r)
{
	return r ? r->undecodable : 0;
}
