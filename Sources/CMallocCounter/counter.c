// Interposes the C allocator entry points and counts, per thread, how often they are
// called, then forwards to glibc's own implementation. Tests read the count before and
// after a render call: any allocation on the render path shows up, whatever allocated it
// (Swift runtime, stdlib, our code). Only glibc is supported; elsewhere it counts nothing.
#define _GNU_SOURCE
#include "CMallocCounter.h"
#include <stddef.h>
#include <errno.h>

#if defined(__GLIBC__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static __thread uint64_t allocations;

void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t c, size_t n) { allocations++; return __libc_calloc(c, n); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *aligned_alloc(size_t a, size_t n) { allocations++; return __libc_memalign(a, n); }
void *memalign(size_t a, size_t n) { allocations++; return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    allocations++;
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
uint64_t aeq_thread_allocation_count(void) { return allocations; }
int aeq_allocation_counting_available(void) { return 1; }
#else
uint64_t aeq_thread_allocation_count(void) { return 0; }
int aeq_allocation_counting_available(void) { return 0; }
#endif
