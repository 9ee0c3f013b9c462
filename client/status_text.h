/*  status_text: the text `keten status` prints from the daemon's status
 *  answer (client/cmd_status.c asks, and prints JSON, --check and --all
 *  itself).
 */
#ifndef KETEN_STATUS_TEXT_H
#define KETEN_STATUS_TEXT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/*  Print result (the `status` command's answer) for a person, as of
 *  now_ms (ms since the epoch); result is borrowed. */
void status_text_print (json_t *result, uint64_t now_ms);

/*  Shared by the two files of the text (status_text.c, and
 *  status_text_uitvoerder.c for the uitvoerder's own part). */
/*  "LABEL           value", one line. */
void status_text_line (const char *label, const char *value);
/*  "3 s ago" for a past wall-clock time in ms, "never" for 0. */
const char *status_text_ago (char *buf, size_t len, uint64_t at_ms, uint64_t now_ms);
/*  The alarm names, comma separated, or "-". */
const char *status_text_alarms (char *buf, size_t len, json_t *alarms);
/*  art. 13: the retention lines of either role. */
void status_text_retention (json_t *retention);
/*  The uitvoerder's part: below the lines every node shows. */
void status_text_uitvoerder (json_t *result, uint64_t now_ms);

#endif
