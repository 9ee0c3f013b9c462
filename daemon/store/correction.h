/*  correction: the uitvoerder's record of its correction decisions (art.
 *  12.5-12.6, docs/RIGHTS.md, "Correctie"): what was corrected, added,
 *  deleted, blocked or unblocked, in answer to which request, by whom,
 *  when, when it is due (the decision plus 4 weeks, art. 12.6, and no
 *  later than the request's own 4 weeks, art. 12.5), and how
 *  far it went - the casusoverleg file's copy, the CORRECTED log entry,
 *  the notices to the parties.  The parties' confirmations are their
 *  receipts of the notices, kept by the relay.  The table lives in the
 *  weegploeg file, so a decision and its change to the signal commit
 *  together.
 */
#ifndef KETEN_CORRECTION_H
#define KETEN_CORRECTION_H

#include "keten.pb-c.h"
#include "store.h"
#include "util.h"
#include "weegploeg.h"

#include <stdbool.h>
#include <stdint.h>

/*  art. 12.6: carried out "within four weeks" of the decision, as a
 *  request is answered within four weeks of receipt (art. 12.3, 12.5;
 *  request.h): the whole last day counts, on the Dutch calendar. */
#define CORRECTION_DUE_DAYS 28

typedef struct _correction_t correction_t;

/*  weegploeg is borrowed; the table is in its file. */
correction_t *correction_new (weegploeg_t *weegploeg, kt_reason_t *reason);
void correction_destroy (correction_t **self_p);
/*  When a decision taken at decided_ms is due: the last ms of the Dutch
 *  day four weeks after the Dutch day it was taken on (a decision of 1
 *  December, at any hour, is due at the end of 29 December). */
uint64_t correction_due_ms (uint64_t decided_ms);
/*  When a decision on a request is due: art. 12.5 wants the correction
 *  within four weeks of the request's receipt too, so the earlier of the
 *  decision's own due time and request_due_ms (the request's due_ms,
 *  request.h; 0: no request). */
uint64_t correction_due_for (uint64_t decided_ms, uint64_t request_due_ms);

/*  One decision. */
typedef struct {
    weegploeg_correction_t change; /* the signal and what changes (in/out) */
    const char *request_id;        /* the request it answers, "" none: an opaque id */
    uint64_t request_due_ms;       /* that request's due_ms (art. 12.5), 0 none */
    const char *reason;            /* "" none; sealed under the subject's key */
    const char *decided_by;        /* the OS user, or the member correcting its own signal */
    const uint8_t *message_id;     /* that member's notice, or NULL */
    const char *sender_user;       /* that member's OS user who asked, or NULL */
    /*  A new text for an art. 9/10 Wpg signal: the officers its sender
     *  consulted (Wpg machtigingsbesluit art. 2c), sealed; NULL: none. */
    const char *om_officer, *bevoegd_functionaris;
    uint64_t decided_ms;
    /*  art. 7.2a: the police representative's withdrawal of a spool
     *  signal.  The subject's destruction is owed from this decision's
     *  own commit on, until it is settled (correction_destroy_settled):
     *  so that a crash or a failure before the destruction begins leaves
     *  it owed, not forgotten. */
    bool destroy_owed;
    char correction_id[24]; /* out: "c-" + 16 hex */
} correction_decision_t;

/*  Record d and apply its change to the weegploeg file in one commit,
 *  then truncate the file's WAL, so no page of the old value is left in
 *  it (the file runs with secure_delete).  Fails, changing nothing, when
 *  the change breaks a rule (weegploeg_correct). */
int correction_decide (correction_t *self, correction_decision_t *d, kt_reason_t *reason);

/*  art. 7.2a: each case_ref a withdrawal recorded the destruction of as
 *  owed (destroy_owed) and that is not settled yet, once, to fn.  The
 *  rows go with the subject when it is destroyed (weegploeg.c). */
int correction_each_destroy_owed (correction_t *self, store_text_fn *fn, void *arg,
                                  kt_reason_t *reason);
/*  case_ref's owed destruction is settled: it is not to be done, as
 *  something else rests on the subject (art. 13 takes it then). */
int correction_destroy_settled (correction_t *self, const char *case_ref, kt_reason_t *reason);
/*  Each case_ref whose destruction a withdrawal owes, with since when
 *  (its earliest owing withdrawal's decided_ms), longest owed first. */
typedef int (correction_owed_fn) (void *arg, const char *case_ref, uint64_t since_ms,
                                  kt_reason_t *reason);
int correction_each_owed (correction_t *self, correction_owed_fn *fn, void *arg,
                          kt_reason_t *reason);

/*  art. 7.2a, once after an upgrade: withdrawals decided before the mark
 *  existed, whose destruction could not begin then, marked as owed.
 *  Pending: 1 when the file held sender withdrawals before (migration
 *  4) and they have not been looked at, 0, -1. */
int correction_backfill_pending (correction_t *self, kt_reason_t *reason);
/*  A subject's newest deletion of a whole signal, when it was its
 *  sender's withdrawal and is not marked; borrowed for the callback. */
typedef struct {
    const char *correction_id;
    const char *case_ref;
    uint8_t signal_id[KT_ID_LEN];
    uint64_t decided_ms;
} correction_withdrawal_t;
typedef int (correction_withdrawal_fn) (void *arg, const correction_withdrawal_t *w,
                                        kt_reason_t *reason);
/*  Each such withdrawal, oldest first, to fn (which must not change the
 *  file: collect, then act). */
int correction_each_last_withdrawal (correction_t *self, correction_withdrawal_fn *fn, void *arg,
                                     kt_reason_t *reason);
/*  The n decisions ids marked as owing their subject's destruction, and
 *  the look done, in one commit. */
int correction_backfill_done (correction_t *self, const char *const *ids, size_t n,
                              kt_reason_t *reason);

/*  Whether decision d is recorded already: by its member's message id
 *  when it has one (unique), else by its signal, action, item (not for
 *  an addition, whose place is found when it is decided), request, time
 *  and decider.  1, 0, -1 with reason (a replay after a restore that a
 *  crash cut off does not decide it twice). */
int correction_recorded (correction_t *self, const correction_decision_t *d, kt_reason_t *reason);

/*  Whether d could be decided now (every rule of correction_decide),
 *  changing nothing: 0, or -1 with the reason. */
int correction_check (correction_t *self, correction_decision_t *d, kt_reason_t *reason);

/*  What has been done with a decision. */
typedef enum {
    CORRECTION_CASUS,  /* the casusoverleg file's copy follows */
    CORRECTION_LOGGED, /* CORRECTED is in the log */
    CORRECTION_SENT    /* the notices are kept in the relay */
} correction_step_t;
int correction_done (correction_t *self, const char *correction_id, correction_step_t step,
                     uint64_t now_ms, kt_reason_t *reason);

/*  One decision, without personal data; strings borrowed for the
 *  callback. */
typedef struct {
    const char *correction_id;
    const char *case_ref;
    uint8_t signal_id[KT_ID_LEN];
    const char *action; /* correct, add, delete, block, unblock */
    Keten__CorrectionAction action_code;
    bool whole_signal;
    uint32_t item_index;
    const char *request_id;
    const char *decided_by;
    const char *signal_sender; /* the member that sent the signal */
    const char *sender_user;   /* by_sender: its OS user who asked, else "" */
    bool by_sender;            /* the signal's own sender corrected it */
    /*  due_ms: when it is due, the earlier of decision_due_ms (art.
     *  12.6) and request_due_ms (art. 12.5; 0: no request, or decided
     *  before the request's due time was kept). */
    uint64_t decided_ms, due_ms, decision_due_ms, request_due_ms;
    uint64_t casus_ms, logged_ms, sent_ms; /* 0: not yet */
} correction_row_t;
typedef int (correction_row_fn) (void *arg, const correction_row_t *row, kt_reason_t *reason);
/*  The decisions, oldest first (owed_only: those with a step still to
 *  do), each to fn. */
int correction_each (correction_t *self, bool owed_only, correction_row_fn *fn, void *arg,
                     kt_reason_t *reason);
/*  The decision a member's notice became: 1 (correction_id filled), 0
 *  none, -1. */
int correction_of_message (correction_t *self, const uint8_t message_id[KT_ID_LEN],
                           char correction_id[24], kt_reason_t *reason);

const char *correction_action_name (Keten__CorrectionAction action);
/*  The action named name, or 0 (UNSPECIFIED). */
Keten__CorrectionAction correction_action_code (const char *name);

#endif
