/*  infoplicht_letter: the letter that informs the person (convenant art.
 *  11.2, with the content of art. 14 AVG), in Dutch, as HTML and as plain
 *  text with the same sections: who the controllers are (the kernpartijen
 *  jointly, art. 4, the uitvoerder keeping the files in their name), the
 *  purposes (art. 3), the categories of data, the recipients, the
 *  retention periods (art. 13, from the roster), the person's rights and
 *  where to use them, and the complaint to the Autoriteit
 *  Persoonsgegevens.  It names the person and no one else: no melder, no
 *  description of a signal, no other subject.
 */
#ifndef KETEN_INFOPLICHT_LETTER_H
#define KETEN_INFOPLICHT_LETTER_H

#include "keten.pb-c.h"
#include "roster.h"
#include "util.h"
#include "weegploeg.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *html; /* owned */
    char *text; /* owned */
} infoplicht_letter_t;

/*  The sections, in order, by their HTML id (a test checks them). */
extern const char *const infoplicht_letter_sections[];

/*  The letter on decision d about the subject of signals[0..n) (oldest
 *  first; the newest names the person), from uitvoerder self, dated
 *  now_ms.  0, or -1 with reason; free with infoplicht_letter_free. */
int infoplicht_letter_make (const roster_t *roster, const roster_member_t *self,
                            const Keten__WeegploegDecision *d,
                            const weegploeg_case_signal_t *signals, size_t n, uint64_t now_ms,
                            infoplicht_letter_t *out, kt_reason_t *reason);
void infoplicht_letter_free (infoplicht_letter_t *letter);

#endif
