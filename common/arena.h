/*  arena: memory for the messages of one drain, handed out in order from
 *  a few large blocks and given back all at once (issue #17: protobuf-c
 *  allocates every field it decodes, and frees each again - about a tenth
 *  of a busy uitvoerder's time).  A protobuf-c allocator over it decodes
 *  an envelope, its header and its body; freeing through that allocator
 *  does nothing, and kt_arena_reset ends them all.  Nothing may keep a
 *  pointer into the arena past the reset.  */
#ifndef KETEN_ARENA_H
#define KETEN_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct _kt_arena_t kt_arena_t;

/*  NULL when out of memory. */
kt_arena_t *kt_arena_new (void);
void kt_arena_destroy (kt_arena_t **self_p);
/*  The arena as protobuf-c's allocator: alloc from the arena (NULL when
 *  out of memory), free a no-op for the arena's memory.  A request larger
 *  than a quarter block, or one past KT_ARENA_CAP in a drain, is malloc's
 *  and freed as before: a drain of large or hostile messages holds no
 *  more than it did without the arena.  Owned by the arena. */
ProtobufCAllocator *kt_arena_allocator (kt_arena_t *self);
/*  Everything handed out is given back.  The blocks are kept for the
 *  next drain, up to KT_ARENA_KEEP bytes of them. */
void kt_arena_reset (kt_arena_t *self);

/*  A block's size, the most a drain holds in blocks, and how much of
 *  them a reset keeps. */
#define KT_ARENA_BLOCK (256 * 1024)
#define KT_ARENA_CAP (4 * 1024 * 1024)
#define KT_ARENA_KEEP (1024 * 1024)

#endif
