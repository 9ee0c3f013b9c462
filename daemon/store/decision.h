/*  decision: the weegploeg's decisions (art. 7.3-7.4, 8.2), kept in the
 *  weegploeg file.  A decision names the referentiekader version applied,
 *  the criteria that apply, the analysis (free text, sealed under the
 *  subject's key) and the outcome: agenderen in a casusoverleg with the
 *  parties to involve, or niet agenderen.  decision_record is the one place
 *  the uitvoerder's input is checked.
 */
#ifndef KETEN_DECISION_H
#define KETEN_DECISION_H

#include "keten.pb-c.h"
#include "referentiekader.h"
#include "roster.h"
#include "store.h"
#include "util.h"
#include "weegploeg.h"

#include <stdbool.h>
#include <stdint.h>

#define DECISION_ID_LEN 19 /* "d-" + 16 hex + NUL */
#define DECISION_MAX_CRITERIA 32
#define DECISION_MAX_PARTIES 32
#define DECISION_ANALYSIS_MAX 16384
#define DECISION_QUESTION_MAX 16384
#define DECISION_MAX_ANSWERS 16 /* per question: each goes on every agenda copy */
/*  All answers on one subject together, sealed: they go on every agenda
 *  copy of the subject, next to its signals, within a message's bound. */
#define DECISION_ANSWERS_BYTES_MAX (256 * 1024)

typedef struct _decision_t decision_t;

/*  weegploeg is borrowed: decisions live in its file. */
decision_t *decision_new (weegploeg_t *weegploeg, kt_reason_t *reason);
void decision_destroy (decision_t **self_p);

typedef struct {
    const char *case_ref;
    bool agenderen;
    const char *const *criteria;
    size_t n_criteria;
    const char *analysis;
    const char *const *parties; /* agenderen: roster ids (not the uitvoerder) */
    size_t n_parties;
    const char *meeting_id; /* NULL or a planned meeting */
    uint32_t uid;
    /*  art. 7.4 sub 1: meer informatie (agenderen false): the active
     *  kernpartij asked (roster id) and the question (personal data,
     *  sealed with the analysis); NULL otherwise. */
    bool meer_informatie;
    const char *asked;
    const char *question;
} decision_input_t;

/*  Check in against the referentiekader and the roster, then record it.
 *  The reason names what is wrong: an unknown criterion, a party that is
 *  not an active member, agenderen without parties, an unknown case_ref. */
int decision_record (decision_t *self, const referentiekader_t *rk, const roster_t *roster,
                     const decision_input_t *in, uint64_t now_ms, char id[DECISION_ID_LEN],
                     kt_reason_t *reason);

/*  The decision, decrypted (free with keten__weegploeg_decision__free_unpacked). */
int decision_get (decision_t *self, const char *id, Keten__WeegploegDecision **out_p,
                  kt_reason_t *reason);

/*  After its copies were handed over for delivery. */
int decision_mark_sent (decision_t *self, const char *id, kt_reason_t *reason);
/*  Decisions recorded but not handed over (the node stopped in between). */
int decision_each_unsent (decision_t *self, store_text_fn *fn, void *arg, kt_reason_t *reason);

/*  One decision without personal data; strings borrowed for the callback. */
typedef struct {
    const char *decision_id;
    const char *case_ref;
    bool agenderen; /* else niet agenderen, or meer informatie */
    const char *referentiekader;
    const char *criteria; /* "a,b" */
    const char *parties;  /* "a,b" */
    const char *meeting_id;
    uint64_t decided_ms;
    bool sent;
    const char *referentiekader_sha256; /* hex; "" before art. 7.3's hash was recorded */
    bool meer_informatie; /* art. 7.4 sub 1 */
    const char *asked;    /* meer informatie: the kernpartij asked; else "" */
    bool open;            /* meer informatie not followed by a later decision */
} decision_row_t;
/*  Take one row: 0 go on, 1 stop, -1 error with reason. */
typedef int (decision_row_fn) (void *arg, const decision_row_t *row, kt_reason_t *reason);
/*  Decisions, newest first, at most limit, each to fn. */
int decision_each (decision_t *self, int limit, decision_row_fn *fn, void *arg,
                   kt_reason_t *reason);

/*  Whether any decision on case_ref is recorded: 1, 0, -1 with reason. */
int decision_on_case (decision_t *self, const char *case_ref, kt_reason_t *reason);

/*  art. 7.2a: whether the weegploeg weighed the signal sent as
 *  signal_id - a decision on its subject recorded since it arrived, a
 *  question for more information (meer informatie) not counted: 1
 *  (decision_id receives the first), 0, or -1 with reason.  (Reads the
 *  weegploeg file's signal table, in the same file, for the subject and
 *  the arrival.) */
int decision_weighed (decision_t *self, const uint8_t signal_id[KT_ID_LEN],
                      char decision_id[DECISION_ID_LEN], kt_reason_t *reason);

/* ---- meer informatie (art. 7.4 sub 1) ------------------------------------ */

/*  The subject's open question: its newest decision, when that is meer
 *  informatie.  1 (id and asked receive it), 0 none, -1 with reason. */
int decision_open_question (decision_t *self, const char *case_ref, char id[DECISION_ID_LEN],
                            char asked[65], kt_reason_t *reason);

/*  What an answer is checked against (no personal data). */
typedef struct {
    char case_ref[40];
    int outcome; /* Keten__DecisionOutcome */
    char asked[65];
    bool open; /* no later decision on the subject */
} decision_question_t;
/*  Decision id as far as an answer to it needs: 1 found, 0 no such
 *  decision, -1 with reason. */
int decision_question (decision_t *self, const char *id, decision_question_t *q,
                       kt_reason_t *reason);

/*  Every rule for an answer c from roster member sender: a decision_id
 *  in answers, a meer informatie decision on c's case_ref that asked
 *  sender and that no later decision followed and that has fewer than
 *  DECISION_MAX_ANSWERS answers, an active subject, kind informatie and
 *  items under the intake's rules.  0 take it, 1 refused
 *  (reason says why), -1 the file cannot say. */
int decision_answer_check (decision_t *self, const char *sender, const Keten__CaseContribution *c,
                           kt_reason_t *reason);
/*  Whether the answer message id is kept: 1 by sender (*log_index_p its
 *  index), -2 by another sender (an id reused), 0 not. */
int decision_answer_seen (decision_t *self, const uint8_t id[KT_ID_LEN], const char *sender,
                          uint64_t *log_index_p);
/*  Keep an answer to decision_id, sealed under its subject's key, inside
 *  the caller's transaction on the weegploeg file. */
int decision_answer_store (decision_t *self, const uint8_t id[KT_ID_LEN], const char *decision_id,
                           const char *sender, const Keten__CaseContribution *c,
                           uint64_t received_ms, uint64_t log_index, kt_reason_t *reason);

/*  One answer kept in the weegploeg file, decrypted. */
typedef struct {
    uint8_t message_id[KT_ID_LEN];
    char sender[65];
    char decision_id[DECISION_ID_LEN];
    uint64_t received_ms;
    Keten__CaseContribution *answer; /* owned; free with decision_answers_free */
} decision_answer_t;
/*  Every answer on case_ref, oldest first (none when the file has no
 *  answer table: a module that does not keep decisions).  Personal data:
 *  the caller records the access. */
int decision_answers_read (weegploeg_t *weegploeg, const char *case_ref,
                           decision_answer_t **answers_p, size_t *n_p, kt_reason_t *reason);
void decision_answers_free (decision_answer_t *answers, size_t n);

#endif
