/*  kt_random_buf (common/util.h): bytes handed out once, a pool used to
 *  its last byte and drawn again when it runs out, large requests past
 *  the pool, each thread its own pool, and a child process that never
 *  hands out its parent's bytes.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define T_DRAW 32
/*  More draws than one pool holds, so that it is drawn again. */
#define T_DRAWS (3 * KT_RANDOM_POOL / T_DRAW)

static int
s_cmp (const void *a, const void *b)
{
    return memcmp (a, b, T_DRAW);
}

/*  A byte handed out again would come out wiped, as a zero. */
static size_t
s_zeros (const uint8_t *p, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += p[i] == 0;
    return n;
}

static void
test_no_draw_is_handed_out_twice (void **state)
{
    (void) state;
    static uint8_t draws[T_DRAWS][T_DRAW];
    for (size_t i = 0; i < T_DRAWS; i++)
        kt_random_buf (draws[i], T_DRAW);
    /*  About 48 of these 12,288 bytes are zero by chance, 200 never are. */
    assert_true (s_zeros (&draws[0][0], sizeof draws) < 200);
    qsort (draws, T_DRAWS, T_DRAW, s_cmp);
    for (size_t i = 0; i < T_DRAWS; i++) {
        assert_false (sodium_is_zero (draws[i], T_DRAW));
        if (i > 0)
            assert_true (memcmp (draws[i - 1], draws[i], T_DRAW) != 0);
    }
}

static void
test_requests_of_every_size (void **state)
{
    (void) state;
    /*  A pool left with fewer bytes than asked for is drawn again; a
     *  request past KT_RANDOM_POOLED goes to libsodium directly.  Each
     *  buffer is filled to its end (a 64-byte all-zero tail is 2^-512). */
    static const size_t sizes[] = {
        1, 7, KT_RANDOM_POOLED, KT_RANDOM_POOLED + 1, 100, KT_RANDOM_POOL, 3 * KT_RANDOM_POOL};
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            uint8_t *buf = calloc (1, sizes[i]);
            assert_non_null (buf);
            kt_random_buf (buf, sizes[i]);
            size_t tail = sizes[i] < 64 ? sizes[i] : 64;
            if (sizes[i] >= 16)
                assert_false (sodium_is_zero (buf + sizes[i] - tail, tail));
            free (buf);
        }
}

/*  A new thread's pool, from its first byte to its last and past it:
 *  draws of 255 bytes leave 16 at the end, which a draw of 16 takes
 *  exactly; a draw of 17 then needs a pool drawn again.  The pool's last
 *  byte borders a guard page, so a draw past it would crash. */
static void *
s_thread_boundary (void *arg)
{
    uint8_t buf[KT_RANDOM_POOLED], *seen = arg;
    for (size_t i = 0; i < 16; i++) {
        kt_random_buf (buf, 255);
        memcpy (seen + 255 * i, buf, 255);
    }
    kt_random_buf (buf, 16);
    memcpy (seen + 255 * 16, buf, 16);
    kt_random_buf (buf, 17);
    memcpy (seen + KT_RANDOM_POOL, buf, 17);
    return NULL;
}

static void
test_a_pool_is_used_to_its_last_byte_and_drawn_again (void **state)
{
    (void) state;
    static uint8_t seen[KT_RANDOM_POOL + 17];
    pthread_t t;
    assert_int_equal (pthread_create (&t, NULL, s_thread_boundary, seen), 0);
    assert_int_equal (pthread_join (t, NULL), 0);
    assert_true (s_zeros (seen, sizeof seen) < 64); /* about 16 by chance */
    assert_false (sodium_is_zero (seen + KT_RANDOM_POOL - 16, 16));
    assert_false (sodium_is_zero (seen + KT_RANDOM_POOL + 1, 16));
}

static void *
s_thread_draw (void *arg)
{
    kt_random_buf (arg, T_DRAW);
    return NULL;
}

static void
test_threads_draw_their_own_bytes (void **state)
{
    (void) state;
    uint8_t mine[T_DRAW], theirs[2][T_DRAW];
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal (pthread_create (&t[i], NULL, s_thread_draw, theirs[i]), 0);
    kt_random_buf (mine, sizeof mine);
    for (int i = 0; i < 2; i++)
        assert_int_equal (pthread_join (t[i], NULL), 0);
    assert_true (memcmp (mine, theirs[0], T_DRAW) != 0);
    assert_true (memcmp (mine, theirs[1], T_DRAW) != 0);
    assert_true (memcmp (theirs[0], theirs[1], T_DRAW) != 0);
}

static void
test_a_child_never_hands_out_its_parents_bytes (void **state)
{
    (void) state;
    uint8_t first[T_DRAW];
    kt_random_buf (first, sizeof first); /* the pool holds bytes now */
    int fd[2];
    assert_int_equal (pipe (fd), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        uint8_t child[T_DRAW];
        kt_random_buf (child, sizeof child);
        _exit (write (fd[1], child, sizeof child) == (ssize_t) sizeof child ? 0 : 1);
    }
    close (fd[1]);
    uint8_t parent[T_DRAW], child[T_DRAW];
    kt_random_buf (parent, sizeof parent);
    assert_int_equal (read (fd[0], child, sizeof child), (ssize_t) sizeof child);
    close (fd[0]);
    int status = 0;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    assert_true (memcmp (parent, child, T_DRAW) != 0);
    assert_false (sodium_is_zero (child, T_DRAW)); /* not a wiped pool */
}

int
main (void)
{
    /*  No sodium_init here: kt_random_buf must work in a program that
     *  never called it (its pool is sodium_malloc memory). */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_no_draw_is_handed_out_twice),
        cmocka_unit_test (test_requests_of_every_size),
        cmocka_unit_test (test_threads_draw_their_own_bytes),
        cmocka_unit_test (test_a_pool_is_used_to_its_last_byte_and_drawn_again),
        cmocka_unit_test (test_a_child_never_hands_out_its_parents_bytes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
