#ifndef PORTTOP_FUZZ_H
#define PORTTOP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Shared by porttop's fuzz targets (tests/fuzz/fuzz_*.c).
 *
 * Each target defines `static int fuzz_one(const uint8_t *, size_t)` and
 * ends with FUZZ_TARGET(name). Built by tests/fuzz/run.sh (clang,
 * -fsanitize=fuzzer,address,undefined) that becomes libFuzzer's entry
 * point; built into tests/test_fuzz_corpus (any compiler, make check) with
 * PORTTOP_FUZZ_REPLAY defined, it becomes fuzz_<name>(), which replays the
 * seed corpus and every input that once crashed a target.
 *
 * A target checks what must hold for any input (FUZZ_CHECK): a failure
 * aborts, so libFuzzer keeps the input and the replay test fails.
 */

#define FUZZ_CHECK(cond)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",  \
				__FILE__, __LINE__, #cond);               \
			abort();                                          \
		}                                                         \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef PORTTOP_FUZZ_REPLAY
#define FUZZ_TARGET(name)                                                 \
	int fuzz_##name(const uint8_t *data, size_t size)                 \
	{                                                                 \
		return fuzz_one(data, size);                              \
	}
#else
#define FUZZ_TARGET(name)                                                 \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)      \
	{                                                                 \
		return fuzz_one(data, size);                              \
	}
#endif

/* Replay entry points (tests/test_fuzz_corpus.c). */
int fuzz_diag(const uint8_t *data, size_t size);
int fuzz_events(const uint8_t *data, size_t size);
int fuzz_ctnetlink(const uint8_t *data, size_t size);
int fuzz_ctstat(const uint8_t *data, size_t size);
int fuzz_sysctl(const uint8_t *data, size_t size);
int fuzz_procs(const uint8_t *data, size_t size);
int fuzz_netstat(const uint8_t *data, size_t size);
int fuzz_sanitize(const uint8_t *data, size_t size);
int fuzz_import(const uint8_t *data, size_t size);
int fuzz_record(const uint8_t *data, size_t size);
int fuzz_model(const uint8_t *data, size_t size);
int fuzz_ui(const uint8_t *data, size_t size);

/*
 * 1 when s[0..len) is valid UTF-8 holding no C0 control (but '\n' when
 * newlines are allowed), no DEL, no C1 control and no bidirectional
 * override or isolate: text that cannot act on a terminal.
 */
int fuzz_text_inert(const char *s, size_t len, int allow_newline);

/* A NUL within the first size bytes of buf: a bounded C string. */
int fuzz_bounded(const char *buf, size_t size);

/*
 * Feed s to the model m (s's sockets are taken) and render the snapshot
 * as JSON, text and OpenMetrics, checking what every output promises:
 * JSON is one line of inert text ending in '\n'; text and OpenMetrics are
 * inert lines; every snapshot string is bounded and inert; the counts add
 * up (available + in_use <= usable, headroom within 0..100).
 * Returns model_update()'s result.
 */
struct model;
struct sample;
struct sock_rec;
int fuzz_check_outputs(struct model *m, struct sample *s);

/*
 * A socket record the parsers could produce (valid family, protocol and
 * state) from FUZZ_REC_BYTES bytes: addresses from a small set, so that
 * destinations repeat, any ports, timers, inode, cookie and uid.
 */
#define FUZZ_REC_BYTES 16
void fuzz_make_rec(const uint8_t *b, struct sock_rec *r);

#endif
