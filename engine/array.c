#include "config.h"

#include <errno.h>
#include <stdlib.h>

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
