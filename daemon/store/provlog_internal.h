/*  provlog_internal: what provlog.c (the log the daemon appends to) shares
 *  with provlog_verify.c (reading a log file from outside).  Not part of
 *  the API: include only from provlog*.c.
 */
#ifndef KETEN_PROVLOG_INTERNAL_H
#define KETEN_PROVLOG_INTERNAL_H

#include "merkle.h"

#include <stdint.h>

/*  Called for an interior node (level >= 1, index) that an append
 *  completes, with its row id in the node table and its hash; nonzero
 *  stops the append. */
typedef int (provlog_emit_fn) (void *arg, int64_t id, const uint8_t hash[32], int level,
                               uint64_t index);

/*  Append leaf to range; for every interior node the append completes,
 *  call emit (when not NULL) with its id and hash, lowest level first -
 *  the order in which their ids are numbered.  -1 when emit fails (range
 *  is then left unchanged), else 0. */
int provlog_range_append (merkle_range_t *range, const uint8_t leaf[32], provlog_emit_fn *emit,
                          void *arg);

#endif
