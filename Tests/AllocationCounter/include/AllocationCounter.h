#ifndef TLSKIT_ALLOCATION_COUNTER_H
#define TLSKIT_ALLOCATION_COUNTER_H
#include <stdint.h>

/// Heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) made by any thread of this
/// process since it started. Test-only: this target replaces malloc for the test executable (see the .c file).
int64_t tlskit_test_allocation_count(void);

#endif
