#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H
#include <stdint.h>
/// Number of malloc/calloc/realloc/posix_memalign/aligned_alloc calls made by the calling
/// thread since it started. Linking this target interposes the allocator for the process.
uint64_t aeq_thread_allocation_count(void);
/// 1 where the interposer is active (glibc), 0 elsewhere: tests skip rather than pass vacuously.
int aeq_allocation_counting_available(void);
#endif
