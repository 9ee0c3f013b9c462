/*  status_text: the text `keten status` prints from the daemon's status
 *  answer (client/cmd_status.c asks, and prints JSON, --check and --all
 *  itself).
 */
#ifndef KETEN_STATUS_TEXT_H
#define KETEN_STATUS_TEXT_H

#include <jansson.h>
#include <stdint.h>

/*  Print result (the `status` command's answer) for a person, as of
 *  now_ms (ms since the epoch); result is borrowed. */
void status_text_print (json_t *result, uint64_t now_ms);

#endif
