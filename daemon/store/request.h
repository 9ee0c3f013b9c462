/*  request: the uitvoerder's register of the requests a person makes
 *  about their own data (convenant art. 12, AVG art. 15-21): inzage,
 *  correctie, verwijdering, afscherming, verzet.  It records when the
 *  request came in and from whom (the person or a legal representative,
 *  and on what ground the representation rests), how and by whom their
 *  identity was established (never a copy of an identity document), which
 *  subject it concerns once found, and how it was answered (overview,
 *  refusal on an art. 41 UAVG ground, partly both).
 *
 *  A file of its own, `requests.db`, not the weegploeg file: a request
 *  is the uitvoerder's own accountability (AVG art. 5.2, 12.3) and must
 *  outlive the subject it is about - when retention (art. 13) destroys a
 *  subject in weegploeg.db, the register still shows that the request was
 *  answered in time.  It holds no data from either file: the request
 *  names the subject only by its case_ref, and its free texts go with
 *  the subject (request_forget_case).
 *
 *  The deadlines follow the Europe/Amsterdam calendar (art. 12.3, 12.5):
 *  the answer is due at the end of the day four weeks after receipt.
 */
#ifndef KETEN_REQUEST_H
#define KETEN_REQUEST_H

#include "store.h"
#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _request_t request_t;

#define REQUEST_ID_LEN 19                     /* "r-" + 16 hex + NUL */
#define REQUEST_WARN_MS (7ull * 86400 * 1000) /* status warns a week ahead */

/*  Open (or create) the register at path. */
request_t *request_open (const char *path, kt_reason_t *reason);
void request_destroy (request_t **self_p);
/*  The register's file, for the figure table (figures.h). */
sqlite3 *request_db (request_t *self);

/*  A new request as the desk takes it in; strings borrowed. */
typedef struct {
    const char *kind;           /* inzage, correctie, verwijdering, afscherming, verzet */
    const char *received;       /* YYYY-MM-DD, the day it came in */
    const char *from;           /* betrokkene, vertegenwoordiger */
    const char *representation; /* minderjarige, curatele, mentorschap; NULL for betrokkene */
    const char *identity_by;    /* the staff member who established the identity */
    const char *identity_how;   /* how (document seen, not copied) */
} request_new_t;

/*  Check a new request (kinds, dates, texts); now_ms bounds the date. */
int request_check (const request_new_t *r, uint64_t now_ms, kt_reason_t *reason);
/*  Register a checked request; id receives "r-" + 16 hex. */
int request_register (request_t *self, const request_new_t *r, uint32_t uid, uint64_t now_ms,
                      char id[REQUEST_ID_LEN], kt_reason_t *reason);
/*  Record which subject an open request concerns (the uitvoerder chose
 *  it after a find: an uncertain match is never linked by itself). */
int request_link (request_t *self, const char *id, const char *case_ref, uint32_t uid,
                  uint64_t now_ms, kt_reason_t *reason);
/*  Close an open request: answered with the overview (ground NULL), or
 *  refused on ground with motivation (partial: the rest answered).
 *  held says what the answer found: the subject it is linked to
 *  (REQUEST_HELD), no subject (REQUEST_NOTHING_FOUND: the lookups found
 *  none; it must not be linked), or the subject it is linked to
 *  destroyed meanwhile (REQUEST_DESTROYED, art. 13: nothing is held any
 *  more; the caller checks).
 *  decided_by is the kernpartij whose decision the answer follows. */
typedef enum { REQUEST_HELD, REQUEST_NOTHING_FOUND, REQUEST_DESTROYED } request_held_t;
int request_close (request_t *self, const char *id, const char *ground, const char *motivation,
                   bool partial, request_held_t held, const char *decided_by, uint32_t uid,
                   uint64_t now_ms, kt_reason_t *reason);

/*  One request; strings borrowed for the callback. */
typedef struct {
    const char *id;
    const char *kind;
    const char *received;
    const char *from;
    const char *representation; /* "" when none */
    const char *identity_by;
    const char *identity_how;
    uint64_t opened_ms;
    uint32_t opened_uid;
    uint64_t due_ms;
    const char *case_ref; /* "" until linked */
    const char *state;    /* open, answered, refused, partly-refused */
    uint64_t closed_ms;   /* 0 while open */
    const char *ground;   /* "" unless refused */
    const char *motivation;
    const char *decided_by; /* closed: the kernpartij whose decision it followed */
} request_row_t;
typedef int (request_row_fn) (void *arg, const request_row_t *row, kt_reason_t *reason);
/*  Every request, newest first; open_only: the open ones, soonest due
 *  first. */
int request_each (request_t *self, bool open_only, request_row_fn *fn, void *arg,
                  kt_reason_t *reason);
/*  One request: 1 found (fn called), 0 none, -1 with reason. */
int request_get (request_t *self, const char *id, request_row_fn *fn, void *arg,
                 kt_reason_t *reason);

/* ---- the kernpartijen's decisions (art. 4, 12.3-12.4) ------------------ */

/*  A kernpartij's decision on a request, as its RIGHTS_DECISION message
 *  carried it; strings borrowed. */
typedef struct {
    const char *request_id;
    const char *outcome;    /* grant, partial, refuse */
    const char *ground;     /* partial, refuse: 41-1-a .. 41-1-j; else "" */
    const char *motivation; /* partial, refuse: why, for this person; else "" */
    const char *withhold;   /* partial: hex message ids "a,b"; else "" */
    const char *node;       /* the deciding kernpartij (the message's signer) */
    const char *os_user;    /* who decided at its node */
} request_decision_t;

/*  Whether d may be recorded: the request is open; grant and partial
 *  only for inzage (12.3), refuse for any kind (12.4), with a ground and
 *  a motivation; partial with the signals withheld.  Which signals are
 *  the subject's is checked when the answer is made. */
int request_decision_check (request_t *self, const request_decision_t *d, kt_reason_t *reason);
/*  Record checked decision d, received as message_id and logged under
 *  log_index.  The newest decision of a request is the one its answer
 *  follows; each is kept. */
int request_decide (request_t *self, const request_decision_t *d,
                    const uint8_t message_id[KT_ID_LEN], uint64_t log_index, uint64_t now_ms,
                    kt_reason_t *reason);
/*  1 when the decision in message_id is recorded (*log_index_p its
 *  index: a retry), 0 when not, -1 with reason. */
int request_decision_find (request_t *self, const uint8_t message_id[KT_ID_LEN],
                           uint64_t *log_index_p, kt_reason_t *reason);
typedef int (request_decision_fn) (void *arg, const request_decision_t *d, uint64_t decided_ms,
                                   uint64_t log_index, kt_reason_t *reason);
/*  The newest decision on request id: 1 (fn called), 0 none, -1. */
int request_decision_latest (request_t *self, const char *id, request_decision_fn *fn, void *arg,
                             kt_reason_t *reason);

/* ---- forgetting (art. 13) ----------------------------------------------- */

/*  What replaces a free text of a request about a destroyed subject. */
#define REQUEST_FORGOTTEN "(destroyed with the subject, art. 13)"

/*  The free texts of every request linked to case_ref (how the identity
 *  was established, the refusal's motivation, each kernpartij decision's
 *  motivation) replaced by REQUEST_FORGOTTEN in one commit, and the file's
 *  write-ahead log cut to nothing, so neither the file nor its -wal keeps
 *  them (the file runs with secure_delete).  What the register must show
 *  stays: the request, who established the identity, the dates, the
 *  ground, who decided.  Idempotent: 0, or -1 with reason. */
int request_forget_case (request_t *self, const char *case_ref, kt_reason_t *reason);
/*  Subject gone was merged into keep: the open requests linked to gone
 *  are linked to keep (a closed one keeps what it was answered about).
 *  Idempotent: 0, or -1 with reason. */
int request_relink (request_t *self, const char *gone, const char *keep, kt_reason_t *reason);
/*  Each case_ref with a request whose free text is still kept, to fn
 *  (store_text_fn: 0 go on, 1 stop, -1 error). */
int request_each_kept_case (request_t *self, store_text_fn *fn, void *arg, kt_reason_t *reason);

/* ---- deadlines, on the Europe/Amsterdam calendar (common/calendar.h) ---- */

/*  The deadline of a request received on YYYY-MM-DD: the last ms of the
 *  local day four weeks later (art. 12.3), and that day.  -1 with reason
 *  when received is not a date. */
int request_due (const char *received, uint64_t *due_ms, char due_day[11], kt_reason_t *reason);
/*  "ok", "warning" (due within REQUEST_WARN_MS) or "overdue". */
const char *request_deadline_state (uint64_t due_ms, uint64_t now_ms);

#endif
