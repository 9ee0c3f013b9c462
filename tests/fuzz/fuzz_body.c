/*  libFuzzer harness: a received message's body as the dispatcher takes
 *  it (daemon/core/dispatch.c) - decoded with its policy row's descriptor
 *  and bounded by the row's checker - for every message type.  The first
 *  byte picks the type, the rest is the body.  */
#include "policy.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const policy_body_t *b = policy_body ((Keten__MessageType) data[0]);
    if (!b)
        return 0;
    ProtobufCMessage *body = protobuf_c_message_unpack (b->descriptor, NULL, size - 1, data + 1);
    if (body) {
        kt_reason_t r;
        if (b->check)
            b->check (body, &r);
        protobuf_c_message_free_unpacked (body, NULL);
    }
    return 0;
}
