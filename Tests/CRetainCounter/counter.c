// Interposes the Swift runtime's reference-counting entry points for everything linked into
// the test executable: each call bumps a per-thread counter and forwards to the runtime's
// own function (found with dlsym(RTLD_NEXT)). Tests read the counter around a render call
// to show that the real-time path performs no ARC traffic. Test-only: never linked into
// the product.
#define _GNU_SOURCE
#include "CRetainCounter.h"
#include <dlfcn.h>
#include <stddef.h>

static __thread uint64_t operations;

uint64_t aeq_thread_refcount_operations(void) { return operations; }

#define FORWARD(ret, name, params, args)                                   \
    ret name params {                                                      \
        static ret (*real) params;                                         \
        if (!real) real = (ret (*) params)dlsym(RTLD_NEXT, #name);         \
        operations++;                                                      \
        return real args;                                                  \
    }

FORWARD(void *, swift_retain, (void *o), (o))
FORWARD(void *, swift_retain_n, (void *o, unsigned int n), (o, n))
FORWARD(void, swift_release, (void *o), (o))
FORWARD(void, swift_release_n, (void *o, unsigned int n), (o, n))
FORWARD(void *, swift_bridgeObjectRetain, (void *o), (o))
FORWARD(void, swift_bridgeObjectRelease, (void *o), (o))
