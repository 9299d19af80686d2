#ifndef CRETAINCOUNTER_H
#define CRETAINCOUNTER_H
#include <stdint.h>
/// Swift reference-count operations (retain/release, plain and bridged) made by the calling
/// thread from code linked into this executable. Linking this target interposes them.
uint64_t aeq_thread_refcount_operations(void);
#endif
