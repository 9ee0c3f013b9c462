/*  arena: memory for the messages of one drain (arena.h).  */
#include "arena.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/*  Under AddressSanitizer a reset poisons what was handed out, so that a
 *  pointer kept past the drain's end is reported, as one kept past a
 *  free would be. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define S_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(S_ASAN)
#include <sanitizer/asan_interface.h>
#define S_POISON(p, n) ASAN_POISON_MEMORY_REGION ((p), (n))
#define S_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION ((p), (n))
#else
#define S_POISON(p, n) ((void) (p), (void) (n))
#define S_UNPOISON(p, n) ((void) (p), (void) (n))
#endif

typedef struct _block_t {
    struct _block_t *next;
    size_t used;
    alignas (max_align_t) unsigned char data[KT_ARENA_BLOCK];
} block_t;

struct _kt_arena_t {
    ProtobufCAllocator allocator;
    block_t *blocks; /* in the order they were made */
    block_t *at;     /* the one handing out now */
    size_t n_blocks;
};

/*  Whether p is in one of the arena's blocks (else malloc gave it). */
static bool
s_owns (const kt_arena_t *self, const void *p)
{
    for (const block_t *b = self->blocks; b; b = b->next)
        if ((const unsigned char *) p >= b->data &&
            (const unsigned char *) p < b->data + KT_ARENA_BLOCK)
            return true;
    return false;
}

static void *
s_alloc (void *data, size_t size)
{
    kt_arena_t *self = data;
    /*  A large request, or one past what a drain may hold: malloc's, and
     *  freed as it always was (a large or hostile message costs no more
     *  memory than before). */
    if (size > KT_ARENA_BLOCK / 4)
        return malloc (size ? size : 1);
    size_t align = alignof (max_align_t);
    size = size ? (size + align - 1) & ~(align - 1) : align;
    /*  The block handing out, or a later kept one with room. */
    while (self->at && KT_ARENA_BLOCK - self->at->used < size)
        self->at = self->at->next;
    if (!self->at) {
        if (self->n_blocks == KT_ARENA_CAP / KT_ARENA_BLOCK)
            return malloc (size);
        block_t *b = malloc (sizeof *b);
        if (!b)
            return NULL;
        b->next = NULL;
        b->used = 0;
        S_POISON (b->data, KT_ARENA_BLOCK);
        block_t **end = &self->blocks;
        while (*end)
            end = &(*end)->next;
        *end = b;
        self->at = b;
        self->n_blocks++;
    }
    void *p = self->at->data + self->at->used;
    self->at->used += size;
    S_UNPOISON (p, size);
    return p;
}

static void
s_free (void *data, void *pointer)
{
    /*  The arena's is given back at the reset. */
    if (pointer && !s_owns (data, pointer))
        free (pointer);
}

kt_arena_t *
kt_arena_new (void)
{
    kt_arena_t *self = calloc (1, sizeof *self);
    if (self)
        self->allocator = (ProtobufCAllocator){s_alloc, s_free, self};
    return self;
}

void
kt_arena_destroy (kt_arena_t **self_p)
{
    kt_arena_t *self = *self_p;
    if (!self)
        return;
    while (self->blocks) {
        block_t *next = self->blocks->next;
        S_UNPOISON (self->blocks->data, KT_ARENA_BLOCK);
        free (self->blocks);
        self->blocks = next;
    }
    free (self);
    *self_p = NULL;
}

ProtobufCAllocator *
kt_arena_allocator (kt_arena_t *self)
{
    return &self->allocator;
}

void
kt_arena_reset (kt_arena_t *self)
{
    size_t kept = 0;
    block_t **link = &self->blocks;
    while (*link) {
        block_t *b = *link;
        if (kept == KT_ARENA_KEEP / KT_ARENA_BLOCK) {
            *link = b->next;
            S_UNPOISON (b->data, KT_ARENA_BLOCK);
            free (b);
            self->n_blocks--;
            continue;
        }
        kept++;
        S_POISON (b->data, b->used);
        b->used = 0;
        link = &b->next;
    }
    self->at = self->blocks;
}
