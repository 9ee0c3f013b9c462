/*  libFuzzer harness: the signal intake on arbitrary JSON text and on
 *  arbitrary packed Signal bytes (the local API's binary submission), and
 *  the protobuf check on them.  */
#include "intake.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    kt_reason_t r;
    Keten__Signal *s = NULL;
    if (intake_signal_from_json ((const char *) data, size, &s, &r) == 0) {
        json_t *o = intake_signal_to_object (s);
        json_decref (o);
        intake_signal_destroy (&s);
    }
    if (intake_signal_from_packed (data, size, &s, &r) == 0)
        intake_signal_destroy (&s);
    Keten__Signal *p = keten__signal__unpack (NULL, size, data);
    if (p) {
        intake_signal_check (p, &r);
        keten__signal__free_unpacked (p, NULL);
    }
    return 0;
}
