/*
 * free_watch.h — tell whether the core freed a given pointer, for
 * reference-count tests. Link the test with -Wl,--wrap=free: every free()
 * of the statically linked core objects then passes through here.
 * Include in one test file only.
 */
#ifndef WSGW_TEST_FREE_WATCH_H
#define WSGW_TEST_FREE_WATCH_H

#include <stddef.h>

#define WATCH_MAX 8192

static const void *watch_ptr[WATCH_MAX];
static int watch_freed[WATCH_MAX];
static size_t watch_n;

void __real_free(void *p);
void __wrap_free(void *p);

void __wrap_free(void *p)
{
    for (size_t i = 0; p && i < watch_n; i++)
        if (watch_ptr[i] == p && !watch_freed[i])
            watch_freed[i]++;
    __real_free(p);
}

/* Start watching p (a live allocation; an address reused after a free is
 * watched afresh). */
static inline void watch(const void *p)
{
    for (size_t i = 0; i < watch_n; i++) {
        if (watch_ptr[i] == p) {
            watch_freed[i] = 0;
            return;
        }
    }
    if (watch_n < WATCH_MAX) {
        watch_ptr[watch_n] = p;
        watch_freed[watch_n++] = 0;
    }
}

/* 1 when p was freed since watch(p). */
static inline int freed(const void *p)
{
    for (size_t i = 0; i < watch_n; i++)
        if (watch_ptr[i] == p)
            return watch_freed[i];
    return 0;
}

static inline void watch_reset(void)
{
    watch_n = 0;
}

#endif
