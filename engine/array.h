#ifndef PORTTOP_ARRAY_H
#define PORTTOP_ARRAY_H

#include <stddef.h>

/*
 * array: growing the plain heap arrays the engine keeps (a pointer and a
 * capacity in elements).
 *
 * array_grow(&v, &cap, n, sizeof(*v)) makes v hold at least n elements.
 * `p` is the address of the array pointer (NULL when empty), `cap` its
 * capacity. Capacities go 64, 128, 256, ... so a capacity reached only
 * through array_grow() is a power of two and can serve as a hash mask.
 * realloc() keeps the contents. Returns 0, or -ENOMEM with *p and *cap
 * unchanged. The caller owns the array and frees it with free().
 */
int array_grow(void *p, size_t *cap, size_t n, size_t size);

/*
 * array_copy(&v, &cap, &len, src, n, sizeof(*v)): make v hold a copy of the
 * n elements of src (grown with array_grow()) and set *len to n. Returns 0,
 * or -ENOMEM with *len set to 0 (v and cap as array_grow() leaves them).
 */
int array_copy(void *p, size_t *cap, size_t *len, const void *src, size_t n,
	       size_t size);

#endif
