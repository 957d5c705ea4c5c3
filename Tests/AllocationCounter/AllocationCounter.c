// Test-only allocation counter for the allocation regression guard (Tests/TLSKitTests/AllocationGuardTests.swift).
//
// glibc supports replacing malloc: an executable that defines malloc, free, calloc and realloc (plus the aligned
// variants) is used by every shared object in the process, the Swift runtime included. Linked into the test
// executable only, these definitions count each call and forward it to glibc's own allocator (__libc_malloc & co.,
// which glibc exports), so behaviour is unchanged and the count is exact. Elsewhere (not glibc) nothing is replaced
// and the count stays 0, which the guard reports as "cannot count here".
#include "AllocationCounter.h"

#if defined(__linux__) && defined(__GLIBC__)
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static _Atomic int64_t allocations;

static inline void count(void) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); }

void *malloc(size_t size) { count(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count(); return __libc_realloc(p, size); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    count();
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(alignment, size);
    if (p == NULL && size != 0) return ENOMEM;
    *out = p;
    return 0;
}

int64_t tlskit_test_allocation_count(void) { return atomic_load_explicit(&allocations, memory_order_relaxed); }
#else
int64_t tlskit_test_allocation_count(void) { return 0; }
#endif
