/*  referentiekader: the criteria the weegploeg weighs signals against
 *  (convenant art. 7.3), read from a versioned ZPL file.  The real NCTV
 *  referentiekader is not public; configs/referentiekader-example.zpl is an
 *  illustration and says so (example = 1).  The roster names the one in
 *  force by version and by the SHA-256 of the file's exact bytes, so every
 *  node knows which criteria a decision was weighed against; a node refuses
 *  a roster that names an example unless it is a test federation
 *  (node/test-federation).
 *
 *  In common/ so that the offline `keten roster build` checks the file the
 *  same way the uitvoerder does.
 */
#ifndef KETEN_REFERENTIEKADER_H
#define KETEN_REFERENTIEKADER_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REFERENTIEKADER_MAX_CRITERIA 128
#define REFERENTIEKADER_CODE_MAX 32
#define REFERENTIEKADER_VERSION_MAX 64
/*  The file, and the text `keten referentiekader adopt` sends. */
#define REFERENTIEKADER_MAX_BYTES (256 * 1024)

typedef struct {
    char version[REFERENTIEKADER_VERSION_MAX + 1];
    bool example;
    uint8_t sha256[32]; /* of the file's exact bytes */
    size_t n_criteria;
    char codes[REFERENTIEKADER_MAX_CRITERIA][REFERENTIEKADER_CODE_MAX + 1];
} referentiekader_t;

/*  Load and check path (bounded size, known keys only, unique codes);
 *  out->sha256 is the SHA-256 of the bytes read.  When text_p is not
 *  NULL it receives those bytes (heap, NUL-terminated, free()). */
int referentiekader_load (const char *path, referentiekader_t *out, char **text_p,
                          kt_reason_t *reason);
/*  The same check of text (len bytes, the whole file; where names it in
 *  a reason). */
int referentiekader_parse (const char *text, size_t len, const char *where, referentiekader_t *out,
                           kt_reason_t *reason);
bool referentiekader_has (const referentiekader_t *self, const char *code);

/*  Each criterion of a checked text in file order, its code and its text
 *  (borrowed for the call).  0, or -1 when text does not parse. */
typedef void (referentiekader_criterion_fn) (void *arg, const char *code, const char *text);
int referentiekader_each (const char *text, size_t len, referentiekader_criterion_fn *fn,
                          void *arg);

/*  A version as the roster and the file spell it: 1..64 of [A-Za-z0-9._-]. */
bool referentiekader_valid_version (const char *s);

#endif
