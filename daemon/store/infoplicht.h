/*  infoplicht: the informatieplicht (convenant art. 11.2-11.5), kept in the
 *  weegploeg file.  Every weegploeg decision, agenderen or niet agenderen,
 *  opens one task for its subject.  The task records which kernpartijen
 *  were consulted (11.3), then either that the person was informed (on
 *  which date, by which party, how) or that informing is deferred on a
 *  ground of art. 41 lid 1 UAVG, with a note in the file (11.4) and a date
 *  to review the deferral; when the ground has lapsed the person is
 *  informed after all (11.5).  The free text (how, the note) may name the
 *  person: it is sealed under the subject's key, so destroying the subject
 *  (art. 13) destroys it too.  The clear columns hold ids, dates, codes.
 */
#ifndef KETEN_INFOPLICHT_H
#define KETEN_INFOPLICHT_H

#include "roster.h"
#include "store.h"
#include "util.h"
#include "weegploeg.h"

#include <stdbool.h>
#include <stdint.h>

#define INFOPLICHT_ID_LEN 19 /* "t-" + 16 hex + NUL */
#define INFOPLICHT_TEXT_MAX 4000
#define INFOPLICHT_MAX_CONSULTED 32
/*  A deferral's review date is at most this many days on (art. 11.4-11.5:
 *  not yet, reviewed; not never). */
#define INFOPLICHT_REVIEW_MAX_DAYS 366

typedef struct _infoplicht_t infoplicht_t;

/*  weegploeg is borrowed: tasks live in its file, next to the decisions
 *  (open decision_new first: a task refers to its decision). */
infoplicht_t *infoplicht_new (weegploeg_t *weegploeg, kt_reason_t *reason);
void infoplicht_destroy (infoplicht_t **self_p);

/*  The art. 41 lid 1 UAVG grounds a deferral may name: "uavg-41-1-a" ..
 *  "uavg-41-1-j"; NULL when code is not one, else its short Dutch title. */
const char *infoplicht_ground (const char *code);

/*  Open the task of decision_id (about case_ref), inside the caller's
 *  transaction, the one that records the decision.  Idempotent: a second
 *  call for the same decision opens nothing.  id (may be NULL) receives
 *  the task's id. */
int infoplicht_open (infoplicht_t *self, const char *decision_id, const char *case_ref,
                     bool agenderen, uint64_t now_ms, char *id, kt_reason_t *reason);

/*  Record that kernpartij party was consulted on task id (11.3); party
 *  must be an active kernpartij of roster.  Consulting a party again is
 *  not an error (it is recorded once).  Refused on an informed task. */
int infoplicht_consult (infoplicht_t *self, const roster_t *roster, const char *id,
                        const char *party, uint32_t uid, uint64_t now_ms, kt_reason_t *reason);

/*  Record that the person was informed on date on (YYYY-MM-DD, not after
 *  today and not before the decision) by party (an active roster member),
 *  how (text).  Only after a kernpartij decided that the person can be
 *  informed (state "to-inform", infoplicht_decide); an informed task is
 *  final. */
int infoplicht_inform (infoplicht_t *self, const roster_t *roster, const char *id, const char *on,
                       const char *by, const char *how, uint32_t uid, uint64_t now_ms,
                       kt_reason_t *reason);

/*  A kernpartij's decision on task_id (art. 4, 11.3-11.5), as its
 *  RIGHTS_DECISION message carried it; strings borrowed.  Not defer: the
 *  person can be informed now (the task goes to "to-inform", and the
 *  desk records the informing with infoplicht_inform).  defer: not yet,
 *  on ground (infoplicht_ground), with note (the note in the file, 11.4)
 *  until review_on (YYYY-MM-DD, after today). */
typedef struct {
    const char *task_id;
    bool defer;
    const char *ground;
    const char *note;
    const char *review_on;
    const char *node;    /* the deciding kernpartij (the message's signer) */
    const char *os_user; /* who decided at its node */
} infoplicht_decision_t;

/*  Whether d may be recorded now: the task exists (its subject not
 *  archived), is not informed, has at least one consultation (11.3), and
 *  a deferral's ground, note and review date are good. */
int infoplicht_decision_check (infoplicht_t *self, const infoplicht_decision_t *d, uint64_t now_ms,
                               kt_reason_t *reason);
/*  Record checked decision d, received as message_id and logged under
 *  log_index, with what it does to the task, in one commit.  A deferral
 *  is kept with the others; a later decision supersedes an earlier one
 *  until the person is informed. */
int infoplicht_decide (infoplicht_t *self, const infoplicht_decision_t *d,
                       const uint8_t message_id[KT_ID_LEN], uint64_t log_index, uint64_t now_ms,
                       kt_reason_t *reason);
/*  1 when the decision in message_id is recorded (*log_index_p its
 *  index: a retry), 0 when not, -1 with reason. */
int infoplicht_decision_find (infoplicht_t *self, const uint8_t message_id[KT_ID_LEN],
                              uint64_t *log_index_p, kt_reason_t *reason);

/*  One task, without personal data; strings borrowed for the callback. */
typedef struct {
    const char *task_id;
    const char *decision_id;
    const char *case_ref;
    bool agenderen;
    uint64_t opened_ms;
    const char *state;       /* "open", "deferred", "to-inform", "informed" */
    const char *consulted;   /* "a,b": the kernpartijen consulted */
    const char *ground;      /* deferred: the ground's code, else "" */
    const char *review_on;   /* deferred: YYYY-MM-DD, else "" */
    bool review_due;         /* deferred and review_on is today or earlier */
    unsigned deferrals;      /* deferrals recorded so far */
    const char *informed_on; /* informed: YYYY-MM-DD, else "" */
    const char *informed_by; /* informed: the party, else "" */
    const char *decided_by;  /* deferred, to-inform: the kernpartij that decided, else "" */
} infoplicht_row_t;
typedef int (infoplicht_row_fn) (void *arg, const infoplicht_row_t *row, kt_reason_t *reason);

/*  Tasks of subjects not archived, oldest first; due_only: deferrals due
 *  for review as of now_ms (review_on is today or earlier, UTC). */
int infoplicht_each (infoplicht_t *self, bool due_only, uint64_t now_ms, infoplicht_row_fn *fn,
                     void *arg, kt_reason_t *reason);
/*  One task by id: 1 found (fn called), 0 none, -1 with reason. */
int infoplicht_one (infoplicht_t *self, const char *id, uint64_t now_ms, infoplicht_row_fn *fn,
                    void *arg, kt_reason_t *reason);
/*  Open tasks (not informed, not deferred) of subjects not archived; -1
 *  on error. */
int64_t infoplicht_count_open (infoplicht_t *self);

/*  The texts of task id, unsealed (personal data: the caller records
 *  the read).  *how_p / *note_p (malloc'd, NULL when none; the note of
 *  the newest deferral). */
int infoplicht_texts (infoplicht_t *self, const char *id, char **how_p, char **note_p,
                      kt_reason_t *reason);

/*  Today's date in UTC as YYYY-MM-DD, of now_ms. */
void infoplicht_date (char out[11], uint64_t now_ms);

#endif
