/*  libFuzzer harness: roster_parse (signed-note verification, then ZPL) on
 *  arbitrary bytes against a fixed pinned key, and note_verifier_parse.  */
#include "note.h"
#include "roster.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    kt_reason_t r;
    static const char pinned[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    roster_t *roster = roster_parse ((const char *) data, size, pinned, &r);
    roster_destroy (&roster);
    char text[512], name[NOTE_NAME_MAX + 1];
    uint8_t pk[32];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy (text, data, n);
    text[n] = '\0';
    note_verifier_parse (text, name, pk, &r);
    return 0;
}
