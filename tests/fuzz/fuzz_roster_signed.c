/*  libFuzzer harness: a roster body as the uitvoerder signs it - the input
 *  is signed as a note with the pinned key, so roster_parse gets past the
 *  signature into the ZPL parser and the member checks (fuzz_roster never
 *  does).  */
#include "fuzzfed.h"

static fuzzfed_t s_fed;

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    fuzzfed_init (&s_fed);
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *note = NULL;
    kt_reason_t r;
    /*  A note text ends with a newline and holds no NUL. */
    char *text = malloc (size + 2);
    if (!text)
        return 0;
    memcpy (text, data, size);
    size_t len = size;
    if (len == 0 || text[len - 1] != '\n')
        text[len++] = '\n';
    text[len] = '\0';
    if (strlen (text) == len &&
        note_sign (text, len, fuzzfed_ids[0], s_fed.keys[0]->signing_sk, &note, &r) == 0) {
        roster_t *roster = roster_parse (note, strlen (note), s_fed.pinned, &r);
        roster_destroy (&roster);
        free (note);
    }
    free (text);
    return 0;
}
