#include "config.h"

#include <string.h>

#include "radix.h"

void radix_sort(uint64_t *keys, uint64_t *keys_tmp, uint32_t *vals,
		uint32_t *vals_tmp, size_t n)
{
	uint64_t *ka = keys, *kb = keys_tmp, *kt, all_or = 0,
		 all_and = ~(uint64_t)0, varying;
	uint32_t *va = vals, *vb = vals_tmp, *vt;
	size_t cnt[256], i, sum;
	unsigned shift;

	for (i = 0; i < n; i++) {
		all_or |= keys[i];
		all_and &= keys[i];
	}
	varying = all_or ^ all_and;
	for (shift = 0; shift < 64; shift += 8) {
		if (!((varying >> shift) & 0xff))
			continue;   /* one value for this byte: order unchanged */
		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < n; i++)
			cnt[(ka[i] >> shift) & 0xff]++;
		for (i = 0, sum = 0; i < 256; i++) {
			size_t c = cnt[i];

			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++) {
			size_t to = cnt[(ka[i] >> shift) & 0xff]++;

			kb[to] = ka[i];
			if (va)
				vb[to] = va[i];
		}
		kt = ka;
		ka = kb;
		kb = kt;
		vt = va;
		va = vb;
		vb = vt;
	}
	if (ka != keys) {
		memcpy(keys, ka, n * sizeof(*ka));
		if (vals)
			memcpy(vals, va, n * sizeof(*va));
	}
}
