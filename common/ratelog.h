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

/*  Lines a peer's messages cause one by one (a refusal each), which a
 *  hostile or broken peer can repeat as fast as it sends: each (event,
 *  peer) pair gets its first RATELOG_PEER_LINES lines of a window of
 *  RATELOG_INTERVAL_US as they are; those past them are counted, and the
 *  count is said in one line, "EVENT_counted peer=PEER count=N", once the
 *  window is over (ratelog_peer_flush) or the pair's slot is needed for
 *  another.  So each pair writes at most RATELOG_PEER_LINES + 1 lines a
 *  window, and a line left out is in exactly one count.
 *
 *  The event is the line's start ("message refused"), the peer a member
 *  id (KEYS_ID_MAX): both copied, never anything the message says. */
enum {
    RATELOG_PEER_LINES = 20,  /* lines per (event, peer) a window, as they are */
    RATELOG_PEER_SLOTS = 128, /* (event, peer) pairs remembered */
    RATELOG_PEER_EVENT = 48,  /* longest event kept, with its NUL */
    RATELOG_PEER_ID = 65      /* longest peer id kept, with its NUL */
};
typedef struct _ratelog_peer_t ratelog_peer_t;

/*  A new, empty table (owned: ratelog_peer_destroy), or NULL when out of
 *  memory. */
ratelog_peer_t *ratelog_peer_new (void);
/*  Say every count still open (ratelog_peer_flush with all), free *self_p
 *  (NULL is fine) and set it to NULL. */
void ratelog_peer_destroy (ratelog_peer_t **self_p);
/*  Whether the line of event caused by peer is to be written at now_us
 *  (monotonic, never decreasing); counts it when it is not.  A line past
 *  RATELOG_PEER_LINES in a window is counted, and the count said later. */
bool ratelog_peer_due (ratelog_peer_t *self, const char *event, const char *peer, uint64_t now_us);
/*  Write the "EVENT_counted peer=PEER count=N" line (a warning) of each
 *  pair whose window is over at now_us (all: of every pair, as the node
 *  stops), and forget those pairs.  Call it about once a second. */
void ratelog_peer_flush (ratelog_peer_t *self, uint64_t now_us, bool all);

#endif
