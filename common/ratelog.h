/*  ratelog: a rate limit for log lines that a failure repeats on every
 *  pass of a loop (a spool scan every spool-poll-ms, say), so that a file
 *  stuck for a day does not write a line every second.
 *
 *  A line is identified by an event (a fixed word, such as "read_retry")
 *  and a 64-bit key the caller chooses (an inode number, a descriptor, 0
 *  for "the one table").  ratelog_due says whether such a line is to be
 *  written now:
 *  - at most once per (event, key) every RATELOG_INTERVAL_US;
 *  - at most RATELOG_BUDGET lines in all per window of RATELOG_INTERVAL_US
 *    (a window starts at the first call after the previous one ended);
 *  - RATELOG_SLOTS (event, key) pairs are remembered; a new pair takes a
 *    free slot, else that of the pair written least recently, whose count
 *    is forgotten with it.
 *  A line that is due says what was left out since, through
 *  ratelog_note: " repeated=N" (lines of this pair left out since its
 *  last line) and " suppressed=N" (lines of pairs without a slot, left
 *  out for the budget since the last line written).
 *
 *  The ratelog keeps only event pointers, keys, times and counts: never a
 *  file name, nor anything the caller's line says.  Keys must be chosen
 *  likewise (an inode number, not a value derived from a name).
 */
#ifndef KETEN_RATELOG_H
#define KETEN_RATELOG_H

#include <stdbool.h>
#include <stdint.h>

#define RATELOG_INTERVAL_US (60ULL * 1000 * 1000) /* a pair at most once a minute */
enum {
    RATELOG_SLOTS = 64, /* (event, key) pairs remembered */
    RATELOG_BUDGET = 32 /* lines written per window, in all */
};

typedef struct _ratelog_t ratelog_t;

/*  A new, empty ratelog (owned: ratelog_destroy), or NULL when out of
 *  memory. */
ratelog_t *ratelog_new (void);
/*  Free *self_p (NULL is fine) and set it to NULL. */
void ratelog_destroy (ratelog_t **self_p);

/*  Whether the line for (event, key) is to be written at now_us (a
 *  monotonic clock in microseconds, e.g. kt_mono_us; never decreasing).
 *  Counts the line as left out when it is not.  Events are compared by
 *  content; event is borrowed and kept, so it must outlive self (a string
 *  literal). */
bool ratelog_due (ratelog_t *self, const char *event, uint64_t key, uint64_t now_us);
/*  What the line the last ratelog_due allowed should add at its end: "",
 *  " repeated=N", " suppressed=N" or both.  Borrowed; valid until the next
 *  ratelog_due. */
const char *ratelog_note (const ratelog_t *self);
/*  The thing key named is gone (a spool file handled: its inode may be
 *  reused by the next file at once): forget every pair of key, and the
 *  lines of it left out, so a new thing under the same key gets its first
 *  line at once. */
void ratelog_forget (ratelog_t *self, uint64_t key);

/*  One line of one thing's (a peer's link's) that each change of a value
 *  repeats, which a fault can change many times a second (two copies of a
 *  member taking turns on its link): the line of a change is due at once
 *  when none was written in the last RATELOG_INTERVAL_US, else left out
 *  and counted; with changes left out, the next call at least that long
 *  after the last line (a change or not) is due, so the line says the
 *  value as it now stands, with the count.  No budget across things: each
 *  keeps its own (a member's link its own line at its connection). */
typedef struct {
    uint64_t at_us;    /* last line written, 0 none */
    unsigned left_out; /* changes since, not written */
} ratelog_one_t;

/*  Whether the line is to be written now, at now_us (monotonic), for a
 *  change (changed) or, without one, for the changes left out; *repeated
 *  is then how many were left out since the last line (" repeated=N").
 *  A change not due is counted. */
bool ratelog_one_due (ratelog_one_t *self, bool changed, uint64_t now_us, unsigned *repeated);

#endif
