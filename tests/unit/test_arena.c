/*  The arena that a drain's messages are decoded in (common/arena.h):
 *  aligned memory in order, large requests and those past the cap left
 *  to malloc, a message decoded and read back through it, everything
 *  given back at a reset and the blocks used again, and - under
 *  AddressSanitizer - what was handed out poisoned by the reset.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arena.h"
#include "keten.pb-c.h"

#include <stdalign.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(T_ASAN)
#include <sanitizer/asan_interface.h>
#define T_POISONED(p) __asan_address_is_poisoned (p)
#else
#define T_POISONED(p) 1 /* nothing to see without ASan */
#endif

static void
test_memory_is_aligned_and_given_back_at_a_reset (void **state)
{
    (void) state;
    kt_arena_t *arena = kt_arena_new ();
    assert_non_null (arena);
    ProtobufCAllocator *a = kt_arena_allocator (arena);
    uint8_t *first = a->alloc (a->allocator_data, 3);
    uint8_t *second = a->alloc (a->allocator_data, 0);
    assert_non_null (first);
    assert_non_null (second);
    assert_int_equal ((uintptr_t) first % alignof (max_align_t), 0);
    assert_int_equal ((uintptr_t) second % alignof (max_align_t), 0);
    assert_true (second > first);
    memset (first, 0xab, 3);
    a->free (a->allocator_data, first); /* nothing until the reset */
    assert_int_equal (first[2], 0xab);
    /*  Larger than a quarter block: malloc's, written whole and freed at
     *  once (LeakSanitizer reports it otherwise). */
    uint8_t *large = a->alloc (a->allocator_data, KT_ARENA_BLOCK + 1);
    assert_non_null (large);
    memset (large, 1, KT_ARENA_BLOCK + 1);
    a->free (a->allocator_data, large);
    /*  Past the cap: malloc's again, and freed as such; the arena's own
     *  stay until the reset. */
    uint8_t *last = NULL;
    for (size_t n = 0; n < KT_ARENA_CAP / 1024 + 8; n++) {
        uint8_t *p = a->alloc (a->allocator_data, 1024);
        assert_non_null (p);
        memset (p, 2, 1024);
        if (last)
            a->free (a->allocator_data, last);
        last = p;
    }
    a->free (a->allocator_data, last);
    /*  After the reset the first block hands out the same memory again,
     *  and what was handed out before is poisoned (under ASan). */
    kt_arena_reset (arena);
    assert_true (T_POISONED (first));
    uint8_t *again = a->alloc (a->allocator_data, 3);
    assert_ptr_equal (again, first);
    kt_arena_destroy (&arena);
    assert_null (arena);
}

/*  A message decoded through the arena reads back as it was packed, and
 *  freeing it through the allocator leaves the arena usable. */
static void
test_a_message_decodes_in_the_arena (void **state)
{
    (void) state;
    Keten__Heartbeat hb = KETEN__HEARTBEAT__INIT;
    hb.software_version = "keten-test";
    hb.uptime_s = 42;
    hb.bundle_max = 65536;
    uint8_t packed[128];
    size_t len = keten__heartbeat__pack (&hb, packed);
    kt_arena_t *arena = kt_arena_new ();
    assert_non_null (arena);
    for (int round = 0; round < 3; round++) {
        Keten__Heartbeat *got = keten__heartbeat__unpack (kt_arena_allocator (arena), len, packed);
        assert_non_null (got);
        assert_string_equal (got->software_version, "keten-test");
        assert_int_equal (got->uptime_s, 42);
        assert_int_equal (got->bundle_max, 65536);
        keten__heartbeat__free_unpacked (got, kt_arena_allocator (arena));
        kt_arena_reset (arena);
    }
    kt_arena_destroy (&arena);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_memory_is_aligned_and_given_back_at_a_reset),
        cmocka_unit_test (test_a_message_decodes_in_the_arena),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
