/*  meeting: the weegploeg meetings the uitvoerder plans (art. 8.2-8.3),
 *  kept in the weegploeg file, and the agenda each kernpartij receives;
 *  and, the same way, the casusoverleg meetings (art. 9-10), whose agenda
 *  goes to the participants of the cases on it and to nobody else.
 *
 *  Every change (new time, place or subjects, or a cancellation) is a new
 *  version of the meeting with a higher sequence.  Data minimisation
 *  (art. 6b, 8.4): politie and OM receive every item, a gemeente only the
 *  items of its own residents (the roster names each gemeente's
 *  municipality), and a gemeente whose last item was taken off receives
 *  the meeting as cancelled, so its calendar does not keep a stale event.
 *  A casusoverleg agenda gives each participant only the cases it takes
 *  part in (casusoverleg file), as case_ref and subject without BSN or
 *  signals; an externe casuspartner gets the case_ref only (art. 10.5:
 *  personal data other than the plan reaches it only with consent).
 */
#ifndef KETEN_MEETING_H
#define KETEN_MEETING_H

#include "casusoverleg.h"
#include "keten.pb-c.h"
#include "roster.h"
#include "store.h"
#include "util.h"
#include "weegploeg.h"

#include <stdbool.h>
#include <stdint.h>

#define MEETING_ID_LEN 19 /* "w-" + 16 hex + NUL */
#define MEETING_MAX_ITEMS 64
/*  Signals and answers on one item of a weegploeg agenda: what a
 *  kernpartij's node takes (agendabox.c), so the uitvoerder refuses to
 *  compose more. */
#define MEETING_MAX_SIGNALS 256
#define MEETING_LOCATION_MAX 128

typedef struct _meeting_t meeting_t;

typedef enum {
    MEETING_WEEGPLOEG = 0,   /* art. 8.2: subjects, to the kernpartijen */
    MEETING_CASUSOVERLEG = 1 /* art. 9-10: cases, to their participants */
} meeting_kind_t;

/*  "weegploeg" or "casusoverleg". */
const char *meeting_kind_name (meeting_kind_t kind);

/*  weegploeg is borrowed: the meetings live in its file. */
meeting_t *meeting_new (weegploeg_t *weegploeg, kt_reason_t *reason);
void meeting_destroy (meeting_t **self_p);

/*  A change as asked for through the local API (checked here). */
typedef struct {
    meeting_kind_t kind;          /* a change must name the meeting's kind */
    const char *meeting_id;       /* NULL: plan a new meeting */
    const char *starts_at;        /* YYYY-MM-DDTHH:MM local time; NULL: unchanged */
    uint32_t duration_min;        /* 0: unchanged (new: 120) */
    const char *location;         /* NULL: unchanged */
    const char *const *case_refs; /* the subjects; used when set_cases */
    size_t n_case_refs;
    bool set_cases;
    bool cancel;
    uint32_t uid; /* who asked */
} meeting_change_t;

/*  Validate c and record the new version.  Refuses bad fields, unknown
 *  case_refs, changes to a cancelled meeting or to a meeting of the other
 *  kind, and a new meeting without time, place or subjects; for a
 *  casusoverleg meeting also a case_ref that is not an open case in casus
 *  (borrowed; may be NULL for weegploeg meetings).  The reason names the
 *  problem. */
int meeting_change (meeting_t *self, casusoverleg_t *casus, const meeting_change_t *c,
                    char meeting_id[MEETING_ID_LEN], uint32_t *sequence_p, kt_reason_t *reason);

/*  Record a new version of weegploeg meeting_id that changes nothing:
 *  composed from the file as it is now (a subject left without a signal
 *  is not on it, meeting_compose).  1 when recorded (*sequence_p its
 *  sequence), 0 when the meeting is unknown, cancelled or not a
 *  weegploeg meeting, -1 with reason. */
int meeting_renew (meeting_t *self, const char *meeting_id, uint32_t uid, uint32_t *sequence_p,
                   kt_reason_t *reason);

/*  Called once per recipient of a version with that recipient's copy;
 *  return -1 (with reason) to stop. */
typedef int (meeting_send_fn) (void *arg, const roster_member_t *to,
                               const Keten__WeegploegAgenda *agenda, kt_reason_t *reason);

/*  Compose the newest version of meeting_id for every recipient it is due
 *  to and hand each copy to fn (agenda->kind tells the kind).  Decrypts
 *  the subjects' signals.  casus (borrowed) gives the participants of a
 *  casusoverleg meeting's cases. */
int meeting_compose (meeting_t *self, casusoverleg_t *casus, const roster_t *roster,
                     const char *meeting_id, uint64_t now_ms, meeting_send_fn *fn, void *arg,
                     kt_reason_t *reason);

/*  Record that the newest version was handed over for delivery (after the
 *  caller committed its delivery rows). */
int meeting_mark_sent (meeting_t *self, const char *meeting_id, kt_reason_t *reason);

/*  Meetings whose newest version was recorded but not handed over (the
 *  node stopped in between), each to fn. */
int meeting_each_unsent (meeting_t *self, store_text_fn *fn, void *arg, kt_reason_t *reason);

/*  One meeting without personal data; strings borrowed for the callback. */
typedef struct {
    const char *meeting_id;
    meeting_kind_t kind;
    int64_t sequence;
    int64_t sent_sequence;
    const char *starts_at;
    int duration_min;
    const char *location;
    bool cancelled;
    uint64_t updated_ms;
} meeting_row_t;
/*  Take one row: 0 go on, 1 stop, -1 error with reason. */
typedef int (meeting_row_fn) (void *arg, const meeting_row_t *row, kt_reason_t *reason);
/*  Meetings of kind, newest first, at most limit, each to fn.  A row's
 *  agenda and recipients are read with meeting_each_item and
 *  meeting_each_recipient (from inside fn too). */
int meeting_each (meeting_t *self, meeting_kind_t kind, int limit, meeting_row_fn *fn, void *arg,
                  kt_reason_t *reason);
/*  The case_refs on meeting_id's agenda, in order. */
int meeting_each_item (meeting_t *self, const char *meeting_id, store_text_fn *fn, void *arg,
                       kt_reason_t *reason);
/*  Take one recipient of the newest version sent: 0 go on, 1 stop, -1
 *  error with reason. */
typedef int (meeting_recipient_fn) (void *arg, const char *member, bool has_items,
                                    kt_reason_t *reason);
/*  The members meeting_id was sent to, by id, and whether their copy
 *  carried items. */
int meeting_each_recipient (meeting_t *self, const char *meeting_id, meeting_recipient_fn *fn,
                            void *arg, kt_reason_t *reason);

/* ---- subjects due (art. 7.4 sub 1) --------------------------------------- */

/*  Mark case_ref due on the next weegploeg agenda (a kernpartij answered
 *  the weegploeg's question), inside the caller's transaction on the
 *  weegploeg file; a subject due already keeps its first mark.  Putting
 *  a subject on a weegploeg agenda (any change naming it, a new meeting,
 *  meeting_place_due) clears the mark in the same commit. */
int meeting_mark_due (meeting_t *self, const char *case_ref, uint64_t now_ms, kt_reason_t *reason);
/*  The active subjects due, first marked first. */
int meeting_each_due (meeting_t *self, store_text_fn *fn, void *arg, kt_reason_t *reason);
/*  Put the subjects due on the earliest weegploeg meeting still to come
 *  (Dutch time) and not cancelled, as a new version of it, in one
 *  commit: 1 (meeting_id and *sequence_p receive it; the caller sends
 *  it, or the meeting resume does), 0 when no meeting is planned or none
 *  is due, -1 with reason.  A new weegploeg meeting (meeting_change)
 *  takes every subject due itself, and needs no case_refs when some are. */
int meeting_place_due (meeting_t *self, uint64_t now_ms, uint32_t uid,
                       char meeting_id[MEETING_ID_LEN], uint32_t *sequence_p, kt_reason_t *reason);

#endif
