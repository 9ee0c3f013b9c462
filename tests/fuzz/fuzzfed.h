/*  fuzzfed: a two-member federation in memory for the harnesses that must
 *  get past a signature - an uitvoerder and a politie member with fresh
 *  keys, one signed roster, a keyring each.  Keys are fresh per process.
 */
#ifndef KETEN_FUZZFED_H
#define KETEN_FUZZFED_H

#include "envelope.h"
#include "keys.h"
#include "note.h"
#include "roster.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    keys_secret_t *keys[2]; /* [0] the uitvoerder, [1] politie */
    keyring_t *ring[2];
    char pinned[256]; /* the uitvoerder's roster key, as a node pins it */
} fuzzfed_t;

static const char *const fuzzfed_ids[2] = {"uitvoerder-f", "politie-f"};

/*  Make the federation; aborts when it cannot (nothing to fuzz then). */
static inline void
fuzzfed_init (fuzzfed_t *f)
{
    if (sodium_init () < 0)
        abort ();
    char dir[] = "/tmp/keten-fuzz.XXXXXX";
    if (!mkdtemp (dir))
        abort ();
    const char *kinds[] = {"uitvoerder", "politie"};
    char pubs[2][128];
    const char *pub_p[2];
    kt_reason_t r;
    for (int i = 0; i < 2; i++) {
        char path[128];
        if (keys_generate (fuzzfed_ids[i], kinds[i], NULL, dir, &r) != 0)
            abort ();
        snprintf (path, sizeof path, "%s/%s.secret", dir, fuzzfed_ids[i]);
        f->keys[i] = keys_load_secret (path, &r);
        if (!f->keys[i])
            abort ();
        snprintf (pubs[i], sizeof pubs[i], "%s/%s.pub", dir, fuzzfed_ids[i]);
        pub_p[i] = pubs[i];
    }
    char *note;
    /*  art. 7.3: the roster names a referentiekader (an illustration). */
    static const referentiekader_t rk = {.version = "fuzz-1", .example = true};
    if (roster_build ("pga-fuzz", 1, pub_p, 2, f->keys[0], &rk, &note, &r) != 0)
        abort ();
    /*  In memory now: the key files (test keys, secret ones too) go. */
    for (int i = 0; i < 2; i++) {
        char path[128];
        snprintf (path, sizeof path, "%s/%s.secret", dir, fuzzfed_ids[i]);
        unlink (path);
        unlink (pubs[i]);
    }
    rmdir (dir);
    note_verifier_format (f->pinned, sizeof f->pinned, fuzzfed_ids[0],
                          f->keys[0]->pub.signing_pk);
    for (int i = 0; i < 2; i++) {
        roster_t *roster = roster_parse (note, strlen (note), f->pinned, &r);
        f->ring[i] = roster ? keyring_new (f->keys[i], &roster, &r) : NULL;
        if (!f->ring[i])
            abort ();
    }
    free (note);
}

#endif
