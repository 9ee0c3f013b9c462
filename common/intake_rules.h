/*  intake_rules: the rules a signal and its items share, below both
 *  intake.c (the signal) and items.c (its items) so that calls go one way:
 *  intake -> items -> intake_rules.  The legal-basis table and the text
 *  check live here; so does everything else in the daemon that asks
 *  whether a code is a legal basis or a text is fit to store.
 */
#ifndef KETEN_INTAKE_RULES_H
#define KETEN_INTAKE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  What data is shared for (every item's legal basis allows
 *  some purposes; onward sharing outside them is refused). */
typedef enum {
    INTAKE_PURPOSE_WEEGPLOEG = 0,
    INTAKE_PURPOSE_CASUSOVERLEG = 1,
    INTAKE_PURPOSE_EXTERN = 2 /* to an externe casuspartner (art. 10.5) */
} intake_purpose_t;

/*  A legal basis code of the table in intake_rules.c
 *  (docs/SIGNAL-FORMAT.md). */
bool intake_legal_basis_known (const char *code);
/*  Whether data under basis code may be shared for purpose. */
bool intake_basis_allows (const char *code, intake_purpose_t purpose);

/*  Row i of the legal-basis table, read-only (the register, AVG art.
 *  30): its code, the law it cites and the purposes it allows (a bit set
 *  of 1 << intake_purpose_t).  0, or -1 past the last row. */
int intake_legal_basis (size_t i, const char **code, const char **law, unsigned *purposes);

typedef enum { INTAKE_TEXT_OK, INTAKE_TEXT_UTF8, INTAKE_TEXT_CONTROL } intake_text_t;

/*  Why len bytes of text are not fit to store, or INTAKE_TEXT_OK: strict
 *  UTF-8 and no control characters (newline and tab allowed when lines). */
intake_text_t intake_text_check (const char *text, size_t len, bool lines);
/*  min..max bytes of valid UTF-8 without control characters (newline
 *  and tab allowed when lines). */
bool intake_text_ok (const char *text, size_t min, size_t max, bool lines);

/*  A kind of data (docs/CASUSOVERLEG.md, "Kinds of data"): a word of
 *  1..INTAKE_DATA_KIND_MAX ASCII letters, '-' and '_', beginning with a
 *  letter ("naw", "gezinssituatie", "medische-gegevens").  The kinds of a
 *  consent or share are named in the provenance log (DISCLOSED) and those
 *  of an incident go to every kernpartij, so a kind has no digit, dot,
 *  colon or space: no BSN, date, number or "J.de Vries" fits.  Asked of
 *  new data only (a consent, share or incident report as it is made or
 *  arrives): what was stored before the rule stays readable. */
#define INTAKE_DATA_KIND_MAX 64
bool intake_data_kind_ok (const char *kind);

/*  A person named by a function, not a subject: the police representative
 *  (art. 7.2a), the OM officer and the bevoegd functionaris consulted
 *  (Wpg machtigingsbesluit art. 2c).  One line of 1..INTAKE_NAME_MAX
 *  bytes of text, not blank (not only spaces). */
#define INTAKE_NAME_MAX 200
bool intake_name_ok (const char *text);
/*  Whether text holds nothing but spaces of any kind (and newlines and
 *  tabs): no text at all. */
bool intake_text_blank (const char *text);
/*  The first formatting character in text (valid UTF-8) that changes how
 *  the rest reads - a bidi embedding, override or isolate (U+202A-202E,
 *  U+2066-2069), and in one-line text (lines false) a line or paragraph
 *  separator (U+2028, U+2029) - or 0 when there is none.  Asked of new
 *  data only: what was stored before the rule stays readable. */
uint32_t intake_text_reorders (const char *text, bool lines);

#endif
