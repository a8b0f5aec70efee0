#ifndef PORTTOP_RECORD_H
#define PORTTOP_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "sampler.h"
#include "strbuf.h"

/*
 * record: porttop's recording format (`-w FILE`, `-r FILE`), specified in
 * docs/record-format.md. In short:
 *
 *   file    = header record*
 *   header  = magic "\x89PTR\r\n\x1a\n", u16 version, u16 flags,
 *             u32 length, fields (host, range, creation time, porttop
 *             version, netns), u32 CRC-32
 *   record  = u32 sync 0xf0 'P' 'T' 'S', u32 length, u32 CRC-32 (of the
 *             length and the payload), payload
 *   payload = kind (key or delta), sequence number, sections
 *   section = u8 type, varint length, bytes
 *
 * One record is one sample with everything the model reads: the time,
 * the sysctls, the sockets, the destroy-event counts, the host counters,
 * the owners of the sockets and the source's notes. A key record holds
 * every socket; a delta record holds what changed since the record before
 * it (sockets copied by runs, their timers as a small correction of the
 * expected countdown, new sockets in full). Unknown sections are skipped;
 * a section type with the high bit set must be understood, else the
 * record is reported as needing a newer porttop.
 *
 * Writing is crash-safe: each record is built in memory and written with
 * one write() to a file opened O_APPEND; a kill -9 can only cut the last
 * record short, which the reader detects (length, CRC) and a later writer
 * trims before it appends. Reading validates every length and checksum,
 * reports each damaged region with its offset, skips to the next intact
 * record (a delta whose base was lost waits for the next key record), and
 * never reads past what the file holds.
 */

#define REC_VERSION 1
#define REC_MAGIC "\x89PTR\r\n\x1a\n"
#define REC_MAGIC_LEN 8
#define REC_HEADER_FIXED 16       /* magic, version, flags, length */
#define REC_RECORD_HEAD 12        /* sync, length, CRC */
/* Largest record accepted: a sample of several million sockets. */
#define REC_MAX_RECORD (256u * 1024 * 1024)
#define REC_MAX_HEADER 4096
/* A key record at least this often (records). */
#define REC_KEY_EVERY 300

/* CRC-32 (IEEE 802.3, as zlib's crc32()), continuing from crc (0 first). */
uint32_t rec_crc32(uint32_t crc, const void *buf, size_t len);

/* What the header says. */
struct rec_header {
	unsigned version;
	char host[256];               /* sanitised */
	char porttop_version[32];     /* sanitised */
	char netns[40];               /* sanitised */
	unsigned range_low, range_high;
	double created;               /* time of the first sample */
};

/* ---- writer ------------------------------------------------------------ */

struct rec_writer;

/*
 * Open path for appending samples: created with mode 0600 when missing
 * (O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC); an existing file must be
 * a regular file with one link, not a symlink, and a porttop recording of
 * a version this porttop writes, owned by the real user (made 0600), and
 * not locked by another writer (flock): its torn tail, if any, is trimmed
 * first; other damage is kept (rec_writer_damage()).
 * host names the machine in the header of a new file. Returns 0 or a
 * negative errno: -ELOOP (a symlink), -EINVAL (not a regular file, or
 * hard-linked), -EPERM (another user's), -EBUSY (another writer),
 * -EBADMSG (not a porttop recording, or damaged beyond the resync work
 * bound), -EPROTONOSUPPORT (a
 * newer version), or what open/read/ftruncate said; with a reason
 * appended to err.
 */
int rec_writer_open(struct rec_writer **out, const char *path, const char *host,
		    struct strbuf *err);

/*
 * Append one sample (a key record first, then deltas). The header goes
 * out with the first record of a new file. Returns 0 or a negative errno
 * (the file is then trimmed back to its last whole record when possible,
 * and the next append writes a key record).
 */
int rec_writer_append(struct rec_writer *w, const struct sample *s);

/* The offset of the first damage rec_writer_open() found and kept in the
 * file (0: none), with its reason in *why (never NULL). */
uint64_t rec_writer_damage(const struct rec_writer *w, const char **why);

/* Bytes written so far by this writer (header and records). */
uint64_t rec_writer_bytes(const struct rec_writer *w);
/* Records written so far by this writer, and of those key records. */
uint64_t rec_writer_records(const struct rec_writer *w);
uint64_t rec_writer_keys(const struct rec_writer *w);

void rec_writer_close(struct rec_writer *w);

/* ---- reader ------------------------------------------------------------ */

/* A region of the file that could not be used. */
struct rec_damage {
	uint64_t offset;              /* first byte of the region */
	uint64_t length;              /* bytes skipped */
	char reason[120];
};

#define REC_MAX_DAMAGE 64         /* regions kept; more are only counted */

struct rec_reader;

/*
 * Open and check a recording: the header, then every record (lengths,
 * checksums, and a full decode), building an index of the samples that
 * can be read. Damage is not an error: see rec_reader_damage(). Returns
 * 0, or a negative errno with a reason appended to err: the file cannot
 * be opened or read, -EBADMSG (no valid header: not a recording, or torn
 * before its first record), -EPROTONOSUPPORT (a newer version), -ENOMEM.
 */
int rec_reader_open(struct rec_reader **out, const char *path,
		    struct strbuf *err);
/* The same over len bytes in memory (tests, fuzzing); buf is copied. */
int rec_reader_open_mem(struct rec_reader **out, const void *buf, size_t len,
			struct strbuf *err);
void rec_reader_free(struct rec_reader *r);

const struct rec_header *rec_reader_header(const struct rec_reader *r);

/* Samples that can be read. */
size_t rec_reader_count(const struct rec_reader *r);
/* Time of sample i (seconds since the epoch), NAN when out of range. */
double rec_reader_time(const struct rec_reader *r, size_t i);
/* File offset of sample i's record (for messages). */
uint64_t rec_reader_offset(const struct rec_reader *r, size_t i);

/*
 * Decode sample i into *s (sample_init()ed by the caller; its contents are
 * replaced, its memory reused). Sequential reads are cheap; a jump decodes
 * from the key record before i. Returns 0, -ERANGE, or -ENOMEM.
 */
int rec_reader_read(struct rec_reader *r, size_t i, struct sample *s);

/* Damaged regions found by the open, in file order; the total count can
 * exceed what is kept (REC_MAX_DAMAGE). */
size_t rec_reader_ndamage(const struct rec_reader *r);
size_t rec_reader_damage_total(const struct rec_reader *r);
const struct rec_damage *rec_reader_damage(const struct rec_reader *r, size_t i);
/* Records that were intact but could not be decoded (base lost, unknown
 * critical section). */
uint64_t rec_reader_undecodable(const struct rec_reader *r);

/*
 * Copy a sample, deeply (sockets, owners, processes, close counts,
 * notes): dst's memory is reused. Returns 0 or -ENOMEM (dst is then a
 * valid, possibly partial sample).
 */
int rec_sample_copy(struct sample *dst, const struct sample *src);

/* A one-line English description of an error of this module. */
const char *rec_strerror(int err);

#endif
