#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

int array_grow(void *p, size_t *cap, size_t n, size_t size)
{
	void **pp = p;
	size_t c = *cap ? *cap : 64;
	void *q;

	if (n <= *cap)
		return 0;
	while (c < n) {
		if (c > ((size_t)-1 / size) / 2)
			return -ENOMEM;
		c *= 2;
	}
	q = realloc(*pp, c * size);
	if (!q)
		return -ENOMEM;
	*pp = q;
	*cap = c;
	return 0;
}

int array_copy(void *p, size_t *cap, size_t *len, const void *src, size_t n,
	       size_t size)
{
	*len = 0;
	if (n == 0)
		return 0;
	if (array_grow(p, cap, n, size) != 0)
		return -ENOMEM;
	memcpy(*(void **)p, src, n * size);
	*len = n;
	return 0;
}
