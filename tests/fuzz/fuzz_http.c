/*  libFuzzer harness: the metrics responder's request parser
 *  (daemon/core/httpd.c), on arbitrary bytes as a client on the metrics
 *  address would send them.  httpd.c is included to reach the parser,
 *  which is static. */
#include "../../daemon/core/httpd.c"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    bool head = false;
    int code = s_parse_request ((const char *) data, size, "/metrics", &head);
    if (code != 200 && code != 400 && code != 404 && code != 405)
        abort ();
    if (head && code == 405)
        abort ();
    return 0;
}
