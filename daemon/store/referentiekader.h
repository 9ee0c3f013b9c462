/*  referentiekader: the criteria the weegploeg weighs signals against
 *  (convenant art. 7.3), read from a versioned ZPL file.  The real NCTV
 *  referentiekader is not public; configs/referentiekader-example.zpl is an
 *  illustration and says so (example = 1), and the uitvoerder logs a
 *  warning at every start while an example is in force.
 */
#ifndef KETEN_REFERENTIEKADER_H
#define KETEN_REFERENTIEKADER_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>

#define REFERENTIEKADER_MAX_CRITERIA 128
#define REFERENTIEKADER_CODE_MAX 32

typedef struct {
    char version[65];
    bool example;
    size_t n_criteria;
    char codes[REFERENTIEKADER_MAX_CRITERIA][REFERENTIEKADER_CODE_MAX + 1];
} referentiekader_t;

/*  Load and check path (bounded size, known keys only, unique codes). */
int referentiekader_load (const char *path, referentiekader_t *out, kt_reason_t *reason);
bool referentiekader_has (const referentiekader_t *self, const char *code);

#endif
