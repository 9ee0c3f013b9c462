/*  weegploeg: the uitvoerder's weegploeg file (convenant art. 8.1-8.2), a
 *  database of its own.  A received signal is joined to its subject (same
 *  BSN, or same normalised name and birth date) under one random case_ref;
 *  the personal fields are sealed under the subject's own data key
 *  (keystore), so the file holds personal data only in encrypted form.
 */
#ifndef KETEN_WEEGPLOEG_H
#define KETEN_WEEGPLOEG_H

#include "keten.pb-c.h"
#include "keystore.h"
#include "roster.h"
#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _weegploeg_t weegploeg_t;

/*  keystore and storage_key are borrowed. */
weegploeg_t *weegploeg_open (const char *path, keystore_t *keystore, const uint8_t storage_key[32],
                             kt_reason_t *reason);
void weegploeg_destroy (weegploeg_t **self_p);
/*  Take new subjects' keys from the keystore's pool (keystore_take),
 *  keeping out any pooled key a subject uses already. */
int weegploeg_key_pool (weegploeg_t *self, kt_reason_t *reason);

/*  True when a signal with this message id is stored (deduplication).
 *  When sender is given, true only if that sender stored it with this body
 *  commitment; *log_index_p then receives the index its receipt carried. */
bool weegploeg_has_signal (weegploeg_t *self, const uint8_t id[KT_ID_LEN], const char *sender,
                           const uint8_t *commitment, uint64_t *log_index_p);
/*  Whether a signal with this message id was stored and deleted since (a
 *  withdrawal, a correction's deletion, a destroyed subject: its id is in
 *  the trail).  1, 0, or -1 with reason. */
int weegploeg_signal_deleted (weegploeg_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason);

typedef struct {
    const uint8_t *message_id;
    const char *sender;
    uint64_t created_ms;
    uint64_t received_ms;
    uint64_t log_index;
    const uint8_t *body_commitment;
    const Keten__Signal *signal;
    char case_ref[40];              /* out: the subject's pseudonym */
    char gemeente[KEYS_ID_MAX + 1]; /* the subject's gemeente (roster id or ""), for figures.h */
    const uint8_t *log_entry;       /* its packed MESSAGE_RECEIVED entry (NULL: none) */
    size_t log_entry_len;
} weegploeg_signal_t;

/*  Store a batch of signals.  Subject keys for new subjects are created
 *  and committed in the keystore first (an orphaned key after a crash is
 *  harmless), then all signals are committed in one transaction. */
int weegploeg_store_signals (weegploeg_t *self, weegploeg_signal_t *signals, size_t n,
                             kt_reason_t *reason);

/*  Each stored signal whose log index is from or later, in index order:
 *  its id, index and packed log entry (NULL and 0 for a signal stored
 *  without one).  fn returns 0 to go on, -1 with reason to stop. */
typedef int (weegploeg_owed_fn) (void *arg, const uint8_t id[KT_ID_LEN], uint64_t log_index,
                                 const uint8_t *entry, size_t entry_len, kt_reason_t *reason);
int weegploeg_each_from_log_index (weegploeg_t *self, uint64_t from, weegploeg_owed_fn *fn,
                                   void *arg, kt_reason_t *reason);

/*  Normalised name for matching subjects and municipalities: ASCII letters
 *  lower-cased, runs of anything that is not a letter or digit become one
 *  space ("Sittard-Geleen" and "sittard geleen" match). */
void weegploeg_normalise (char *out, size_t outlen, const char *name);

/*  Data minimisation (art. 6b, 8.4): whether kernpartij to may receive the
 *  weegploeg data of a subject living in municipality - politie and OM
 *  always, a gemeente only for its own residents. */
bool weegploeg_kernpartij_sees (const roster_member_t *to, const char *municipality);

/*  One stored signal of a subject, decrypted. */
typedef struct {
    uint8_t message_id[KT_ID_LEN];
    char sender[65];
    uint64_t received_ms;
    Keten__Signal *signal; /* owned; free with weegploeg_case_free */
} weegploeg_case_signal_t;

/*  Every signal of case_ref, oldest first, decrypted with the subject's
 *  key.  Fails naming the problem for an unknown case_ref, a destroyed
 *  key or a record that does not decrypt.  Personal data: the caller
 *  logs the access (art. 15.2e). */
int weegploeg_read_case (weegploeg_t *self, const char *case_ref,
                         weegploeg_case_signal_t **signals_p, size_t *n_p, kt_reason_t *reason);
void weegploeg_case_free (weegploeg_case_signal_t *signals, size_t n);
/*  The bytes of case_ref's signals as stored (sealed), archived or not,
 *  without reading them: what weegploeg_read_case would decrypt is of
 *  that order.  0, or -1 with reason. */
int weegploeg_case_bytes (weegploeg_t *self, const char *case_ref, uint64_t *bytes_p,
                          kt_reason_t *reason);
/*  weegploeg_read_case of an archived subject too.  Only for the request
 *  desk: a person's inzage covers archived data (art. 13.2,
 *  docs/RIGHTS.md); every other reader is refused the archive.
 *  with_blocked: blocked items keep their text (the person's own inzage,
 *  art. 12.3: afgeschermd data is still held); else wiped as every read. */
int weegploeg_read_case_archived (weegploeg_t *self, const char *case_ref, bool with_blocked,
                                  weegploeg_case_signal_t **signals_p, size_t *n_p,
                                  kt_reason_t *reason);

/*  The data key of case_ref's subject: what else is kept about the
 *  subject in this file (the weegploeg's analysis) is sealed under it, so
 *  destroying the key destroys all of it (art. 13). */
int weegploeg_case_key (weegploeg_t *self, const char *case_ref, uint8_t key[KEYSTORE_KEY_LEN],
                        kt_reason_t *reason);
/*  Whether case_ref names a subject in the file: 1 yes, 0 no, -1 with
 *  reason when the file cannot be read. */
int weegploeg_has_subject (weegploeg_t *self, const char *case_ref, kt_reason_t *reason);

/*  A pair of subjects that may be one person but could not be matched
 *  for certain (case_refs and the reason only); borrowed for the
 *  callback. */
typedef struct {
    const char *case_ref;
    const char *other;
    const char *reason;
    uint64_t found_ms;
    const char *state; /* "open", "same", "different", "moot" */
} weegploeg_match_t;
/*  Take one pair: 0 go on, 1 stop, -1 error with reason. */
typedef int (weegploeg_match_fn) (void *arg, const weegploeg_match_t *match, kt_reason_t *reason);
/*  The possible matches (open_only: undecided ones), oldest first. */
int weegploeg_each_match (weegploeg_t *self, bool open_only, weegploeg_match_fn *fn, void *arg,
                          kt_reason_t *reason);
/*  The uitvoerder's decision on the open possible match {keep, gone}:
 *  same: gone's signals move to keep (re-sealed under keep's key), gone
 *  is removed and its key destroyed; refused when gone is on an agenda or
 *  decided on.  Not same: the pair is closed as different persons. */
/*  Each pair merged whose kept subject is still here or was merged on
 *  later itself, as (keep, gone), to fn (0 go on, -1 error with reason). */
typedef int (weegploeg_merged_fn) (void *arg, const char *keep, const char *gone,
                                   kt_reason_t *reason);
int weegploeg_each_merged (weegploeg_t *self, weegploeg_merged_fn *fn, void *arg,
                           kt_reason_t *reason);
/*  1 when the pair {a, b} is closed as the same person (merged), 0 when
 *  not (open, different, moot or unknown), -1 with reason. */
int weegploeg_merged_pair (weegploeg_t *self, const char *a, const char *b, kt_reason_t *reason);
int weegploeg_decide_match (weegploeg_t *self, const char *keep, const char *gone, bool same,
                            uint32_t uid, kt_reason_t *reason);

/*  art. 8.2f: record that the case of case_ref was closed at closed_ms:
 *  one row per closure (a case agendered again and closed again has
 *  two); the same closure recorded again (a resumed send) is one. */
int weegploeg_record_closure (weegploeg_t *self, const char *case_ref, uint64_t closed_ms,
                              kt_reason_t *reason);

/*  Take one message id: 0 go on, 1 stop, -1 error with reason. */
typedef int (weegploeg_id_fn) (void *arg, const uint8_t id[KT_ID_LEN], kt_reason_t *reason);
/*  The message ids of case_ref's signals, for its trail in the
 *  provenance log; no personal data. */
int weegploeg_each_case_message (weegploeg_t *self, const char *case_ref, weegploeg_id_fn *fn,
                                 void *arg, kt_reason_t *reason);

/*  The weegploeg file, for modules that keep tables in it (meetings). */
sqlite3 *weegploeg_db (weegploeg_t *self);

/*  Metadata of one stored signal (no personal data); strings borrowed
 *  for the callback. */
typedef struct {
    bool has_id;
    uint8_t message_id[KT_ID_LEN];
    const char *case_ref;
    const char *sender;
    const char *category;
    uint64_t received_ms;
    uint64_t log_index;
} weegploeg_row_t;
/*  Take one row: 0 go on, 1 stop, -1 error with reason. */
typedef int (weegploeg_row_fn) (void *arg, const weegploeg_row_t *row, kt_reason_t *reason);
/*  The newest signals, at most limit, each to fn. */
int weegploeg_each (weegploeg_t *self, int limit, weegploeg_row_fn *fn, void *arg,
                    kt_reason_t *reason);
int64_t weegploeg_count_signals (weegploeg_t *self);
int64_t weegploeg_count_subjects (weegploeg_t *self);
/*  Whether case_ref still holds a signal: 1, 0, -1 with reason. */
int weegploeg_case_has_signals (weegploeg_t *self, const char *case_ref, kt_reason_t *reason);

/* ---- retention (art. 13; the lifecycle module drives these) ------------- */

#define WEEGPLOEG_SUBJECT_ACTIVE 1
#define WEEGPLOEG_SUBJECT_ARCHIVED 2
/*  0 no such subject, WEEGPLOEG_SUBJECT_ACTIVE, WEEGPLOEG_SUBJECT_ARCHIVED,
 *  -1 with reason when the file cannot be read.  An archived subject
 *  (art. 13.2) is in no list, match or agenda, and is not read. */
int weegploeg_subject_state (weegploeg_t *self, const char *case_ref, kt_reason_t *reason);
/*  Set or clear the archive flag (inside the caller's transaction); a
 *  subject back from the archive is offered as a possible match with the
 *  active subjects that share its blind indexes. */
int weegploeg_set_archived (weegploeg_t *self, const char *case_ref, bool archived,
                            kt_reason_t *reason);
/*  The subject's data key id: 1 found, 0 no such subject, -1. */
int weegploeg_subject_key_id (weegploeg_t *self, const char *case_ref,
                              uint8_t key_id[KEYSTORE_ID_LEN], kt_reason_t *reason);
/*  Delete every row of case_ref in the file (signals, subject with its
 *  blind indexes, possible matches, closure, decisions, agenda items) in
 *  one commit; idempotent.  The key is the caller's to shred.  Its
 *  signals' message ids stay, so weegploeg_each_case_message still gives
 *  the start of its trail in the provenance log. */
int weegploeg_forget_subject (weegploeg_t *self, const char *case_ref, kt_reason_t *reason);

/*  A subject that a person asking about their own data may be (art. 12,
 *  the request desk); strings borrowed for the callback. */
typedef struct {
    const char *case_ref;
    bool certain;    /* false: shown as uncertain, never merged or linked by itself */
    bool archived;   /* art. 13.2: archived subjects are found too */
    const char *by;  /* "bsn" or "name+birth" */
    const char *why; /* what makes it uncertain; "" when certain */
} weegploeg_found_t;
typedef int (weegploeg_found_fn) (void *arg, const weegploeg_found_t *found, kt_reason_t *reason);
/*  The subjects, archived ones included, that match bsn (may be NULL)
 *  or the normalised name with birth_date (both or neither), through
 *  the blind indexes.  Certain: the same BSN; or, asked by name and
 *  birth date alone, the one subject with them and no open possible
 *  match.  Everything else that shares an index is uncertain. */
int weegploeg_find_person (weegploeg_t *self, const char *bsn, const char *name,
                           const char *birth_date, weegploeg_found_fn *fn, void *arg,
                           kt_reason_t *reason);

/*  A case_ref as keten makes them: "k-" and 16 lower-case hex digits.
 *  Anything else from a sender is its own text and goes in no log. */
bool weegploeg_case_ref_ok (const char *s);

/* ---- correction (art. 12.5-12.6; daemon/store/correction.c drives these) - */

/*  One correction of a signal in the file. */
typedef struct {
    Keten__CorrectionAction action;
    uint8_t signal_id[KT_ID_LEN];
    bool whole_signal;             /* DELETE only: the signal goes */
    uint32_t item_index;           /* ADD: out, where the item went */
    const Keten__SignalItem *item; /* CORRECT, ADD: borrowed */
    char case_ref[40];             /* in: "" or the subject it must be of; out: its subject */
    char sender[65];               /* out: the member that sent the signal */
} weegploeg_correction_t;

/*  Apply c inside the caller's transaction on weegploeg_db: the signal is
 *  unsealed, its items changed and sealed again under the subject's key
 *  (a deleted item keeps its place and nothing else; a blocked one its
 *  data and the flag that hides it from every read), or the whole signal
 *  deleted (its id kept for the trail).  The changed signal must pass
 *  the intake's rules on items.  The caller commits and truncates the
 *  WAL. */
int weegploeg_correct (weegploeg_t *self, weegploeg_correction_t *c, kt_reason_t *reason);
/*  The subject and sender of signal id: 1, 0 no such signal, -1. */
int weegploeg_signal_owner (weegploeg_t *self, const uint8_t id[KT_ID_LEN], char case_ref[40],
                            char sender[65], kt_reason_t *reason);
/*  Signal id as kept, blocked items with their data (for the notices of
 *  a correction only; never shown): 1 with *signal_p (free with
 *  keten__signal__free_unpacked), 0 none, -1. */
int weegploeg_signal_raw (weegploeg_t *self, const uint8_t id[KT_ID_LEN], Keten__Signal **signal_p,
                          kt_reason_t *reason);
/*  Wipe the blocked items' text in s, as every read shows them (art.
 *  12.5); weegploeg_read_case does it to what it returns. */
void weegploeg_hide_blocked (Keten__Signal *s);

#endif
