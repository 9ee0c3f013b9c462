/*  libFuzzer harness: config_load (ZPL, every key's bounds) on arbitrary
 *  bytes written to a file, as an operator's config file would be.  */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char path[] = "/tmp/keten-fuzz-config.XXXXXX";
    int fd = mkstemp (path);
    if (fd < 0)
        return 0;
    if (write (fd, data, size) == (ssize_t) size) {
        config_t config;
        kt_reason_t r;
        config_load (path, &config, &r);
    }
    close (fd);
    unlink (path);
    return 0;
}
