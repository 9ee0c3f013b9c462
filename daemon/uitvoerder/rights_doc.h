/*  rights_doc: the documents the request desk gives a person (convenant
 *  art. 12): the overview of the data held about them "in begrijpelijke
 *  vorm" (12.3) and the motivated refusal on a ground of art. 41 UAVG
 *  (12.4), each in Dutch as a self-contained HTML page with a print
 *  stylesheet and as plain text.  Pure functions of what the caller
 *  gathered (uitvoerder_request.c): nothing here reads a file, so the
 *  documents are tested on their own.
 *
 *  What never goes in: a melder's name or contact, the source detail
 *  (it may name the melder), the name behind an opinion, and anything
 *  from a case about other persons (achterblijvers, network).  Every
 *  string is escaped for HTML: signal text is a sender's text.
 */
#ifndef KETEN_RIGHTS_DOC_H
#define KETEN_RIGHTS_DOC_H

#include "keten.pb-c.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*  A ground of art. 41 lid 1 UAVG on which a right may be restricted. */
typedef struct {
    const char *code; /* "41-1-d" */
    const char *text; /* the ground in the words of the law */
} rights_ground_t;
/*  The grounds, as data: rights_grounds[0..rights_n_grounds). */
extern const rights_ground_t rights_grounds[];
extern const size_t rights_n_grounds;
const rights_ground_t *rights_ground_find (const char *code);

/*  Text for HTML: & < > " ' escaped, nothing else changed (NULL: nothing).
 *  Every document for the person writes its text through this. */
void rights_doc_escape (FILE *f, const char *s);
/*  "3 december 2026" of YYYY-MM-DD ("" or a malformed day stays as given). */
void rights_doc_day (char out[32], const char *day);

/*  One item held about the person: a signal in the weegploeg file. */
typedef struct {
    const Keten__Signal *signal; /* borrowed */
    const char *party;           /* the convenant party that brought it in, by name */
    uint64_t received_ms;
    char ref[9]; /* kenmerk: the message id's last 8 hex digits */
} rights_item_t;

/*  One copy of data about the person that went to a party (the log). */
typedef struct {
    uint64_t sent_ms;
    const char *what;      /* Dutch: "agenda van de weegploeg", ... */
    const char *party;     /* by name */
    uint64_t delivered_ms; /* 0: no receipt logged */
} rights_recipient_t;

/*  A contribution to the casusoverleg about the person.  Of kind
 *  informatie its items are shown; one of kind achterblijver or netwerk
 *  (or any other) is about someone else and is only described, by party
 *  and date, without its text. */
typedef struct {
    const char *party;
    uint64_t received_ms;
    const Keten__CaseContribution *contribution; /* borrowed; NULL: by party and date only */
} rights_contribution_t;

typedef struct {
    const char *request_id;
    const char *kind;           /* inzage, correctie, ... */
    const char *received;       /* YYYY-MM-DD */
    const char *from;           /* betrokkene, vertegenwoordiger */
    const char *representation; /* "" or minderjarige, curatele, mentorschap */
    const char *controller;     /* the uitvoerder's name */
    uint64_t now_ms;
    bool archived;       /* art. 13.2: the subject is in the archive (its items marked) */
    bool casus_archived; /* and the case in the casusoverleg file */
    const rights_item_t *items;
    size_t n_items;
    size_t n_withheld; /* items left out on a partial refusal */
    bool in_casus;     /* a case is open (or was) in the casusoverleg file */
    uint64_t casus_opened_ms;
    const char *const *casus_parties; /* by name */
    size_t n_casus_parties;
    const rights_contribution_t *contributions;
    size_t n_contributions;
    const rights_recipient_t *recipients;
    size_t n_recipients;
    /*  art. 7.4 sub 1: what a kernpartij answered when the weegploeg
     *  asked it for more information, kept in the weegploeg file (last:
     *  a doc built by position leaves it empty). */
    const rights_contribution_t *answers;
    size_t n_answers;
    /*  The overview's HTML and text together at most this many bytes (0:
     *  no bound): past it rights_overview stops writing (last: a doc
     *  built by position leaves it 0). */
    size_t max_bytes;
} rights_doc_t;

/*  One correction decided on the person's request and carried out (art.
 *  12.5-12.6): which signal (by kenmerk) and item, what was done. */
typedef struct {
    char ref[9];         /* the signal's kenmerk: its message id's last 8 hex digits */
    const char *action;  /* correct, add, delete, block, unblock */
    bool whole_signal;   /* delete: the whole signal */
    uint32_t item_index; /* else the item, from 0 (add: where it went) */
    uint64_t decided_ms;
} rights_change_t;

/*  The overview (art. 12.3): *html and *txt (malloc'd, NUL-terminated).
 *  0; RIGHTS_TOO_LARGE with reason when it grew past doc->max_bytes
 *  (nothing kept: its memory is bounded by the limit and one item); -1
 *  with reason. */
#define RIGHTS_TOO_LARGE (-2)
int rights_overview (const rights_doc_t *doc, char **html, char **txt, kt_reason_t *reason);
/*  The motivated refusal letter (art. 12.4) on ground with motivation;
 *  partial says that the rest is given in the overview sent with it. */
int rights_refusal (const rights_doc_t *doc, const rights_ground_t *ground, const char *motivation,
                    bool partial, char **html, char **txt, kt_reason_t *reason);
/*  The answer to a correctie, verwijdering, afscherming or verzet request
 *  granted (art. 12.5-12.6): what was changed, and that the parties that
 *  received the data were told.  0, or -1 with reason; the caller frees
 *  both. */
int rights_carried_out (const rights_doc_t *doc, const rights_change_t *changes, size_t n,
                        char **html, char **txt, kt_reason_t *reason);

#endif
