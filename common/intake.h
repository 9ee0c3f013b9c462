/*  intake: the one place where a signal from outside (a JSON file in the
 *  police spool, `keten signal submit`, the local API) is decoded and
 *  checked.  The rest of the code receives only a validated Keten__Signal.
 *  Format and rules: docs/SIGNAL-FORMAT.md, example in configs/.  The
 *  legal-basis table and the text check, which the items of a signal
 *  (items.c) need as well, are in intake_rules.h, included here.
 */
#ifndef KETEN_INTAKE_H
#define KETEN_INTAKE_H

#include "intake_rules.h"
#include "keten.pb-c.h"
#include "util.h"

#include <jansson.h>
#include <stddef.h>

#define INTAKE_MAX_BYTES (64 * 1024)

/*  What is wrong with JSON that jansson could not parse, in fixed words
 *  ("duplicate key", "JSON ends too early", "not valid JSON"), to be shown
 *  with err->line and err->column.  Never err->text: it quotes the input
 *  near the error ("near 'Jansen'"), which may be personal data.  err
 *  must come from a json_load* call that failed. */
const char *intake_json_error (const json_error_t *err);

/*  Parse JSON text (len bytes, at most INTAKE_MAX_BYTES) into a new signal.
 *  On failure the reason names the offending field (never its value: the
 *  value may be personal data). */
int intake_signal_from_json (const char *text, size_t len, Keten__Signal **signal_p,
                             kt_reason_t *reason);
/*  Same, from an already parsed JSON object (borrowed); packed, the
 *  signal is at most INTAKE_MAX_BYTES (as a binary submission's). */
int intake_signal_from_object (json_t *obj, Keten__Signal **signal_p, kt_reason_t *reason);
/*  Same, from a packed Keten__Signal (the local API's binary submission,
 *  at most INTAKE_MAX_BYTES): besides the rules above, it must hold no
 *  field a JSON signal cannot (the ones the police node sets itself, and
 *  fields this release does not know), and no NUL inside a string. */
int intake_signal_from_packed (const uint8_t *data, size_t len, Keten__Signal **signal_p,
                               kt_reason_t *reason);
/*  Check a signal that arrived as protobuf (at the uitvoerder, from an
 *  authenticated kernpartij) against the same rules as the JSON intake:
 *  an authenticated sender is still untrusted input. */
int intake_signal_check (const Keten__Signal *signal, kt_reason_t *reason);
/*  The rules only new data is held to (a signal as it enters: at intake,
 *  on its arrival at the uitvoerder), not a signal stored before them:
 *  no blank required text, no text that reads other than it is stored
 *  (intake_text_reorders), art. 9/10 Wpg data only held (items_wpg_held).
 *  0, or -1 with reason. */
int intake_signal_new (const Keten__Signal *signal, kt_reason_t *reason);
/*  Free a signal made by intake_signal_from_* and NULL the pointer. */
void intake_signal_destroy (Keten__Signal **signal_p);
/*  The JSON form of a signal (new reference), the inverse of the above. */
json_t *intake_signal_to_object (const Keten__Signal *signal);

/*  Strict calendar date YYYY-MM-DD. */
bool intake_valid_date (const char *s);
/*  Dutch BSN: 9 digits passing the elfproef. */
bool intake_valid_bsn (const char *s);

#endif
