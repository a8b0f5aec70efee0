#ifndef PORTTOP_RADIX_H
#define PORTTOP_RADIX_H

#include <stddef.h>
#include <stdint.h>

/*
 * radix: a stable LSD radix sort of 64-bit keys, a byte at a time, that
 * skips every byte on which all the keys agree (so 120,000 keys that differ
 * in three bytes cost three passes).
 *
 * radix_sort(keys, keys_tmp, vals, vals_tmp, n) sorts keys[0..n) ascending
 * and moves vals[i] (when vals is not NULL) along with keys[i]; equal keys
 * keep their order. keys_tmp (and vals_tmp) are caller-owned scratch of n
 * elements. The result is always in keys/vals. Nothing is allocated.
 */
void radix_sort(uint64_t *keys, uint64_t *keys_tmp, uint32_t *vals,
		uint32_t *vals_tmp, size_t n);

#endif
