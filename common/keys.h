/*  keys: a node's three key pairs (CurveZMQ transport X25519, message
 *  signing Ed25519, message encryption X25519) plus its at-rest storage key,
 *  and the files that hold them.
 *
 *  `keten keygen --id ID --kind KIND --out DIR` writes
 *      DIR/ID.secret   mode 0600, all secret and public keys (ZPL)
 *      DIR/ID.pub      mode 0644, id, name, kind and public keys (ZPL)
 *  The format is documented in docs/KEYS.md.  Secret key material lives only
 *  in sodium_malloc'd memory and is wiped after use.
 */
#ifndef KETEN_KEYS_H
#define KETEN_KEYS_H

#include "util.h"

#include <stdbool.h>
#include <stdint.h>

#define KEYS_ID_MAX 64
#define KEYS_NAME_MAX 128
#define KEYS_KIND_MAX 15

typedef struct {
    char id[KEYS_ID_MAX + 1];
    char name[KEYS_NAME_MAX + 1]; /* display name, e.g. "Politie eenheid Limburg" */
    char
        kind[KEYS_KIND_MAX + 1]; /* gemeente, politie, om, rvdk, reclassering, extern, uitvoerder */
    uint8_t transport_pk[32];
    uint8_t signing_pk[32];
    uint8_t encryption_pk[32];
} keys_public_t;

typedef struct {
    keys_public_t pub;
    uint8_t transport_sk[32];
    uint8_t signing_sk[64]; /* libsodium form: seed || public key */
    uint8_t encryption_sk[32];
    uint8_t storage_key[32]; /* wraps this node's per-subject keys at rest */
} keys_secret_t;

/*  True for the organisation kinds of the convenant. */
bool keys_valid_kind (const char *kind);

/*  True for a display name: 1..KEYS_NAME_MAX bytes of valid UTF-8 without
 *  control characters or '"' (ZPL has no escapes).  The roster uses the
 *  same rule for member names. */
bool keys_valid_name (const char *name);
/*  Whether an X25519 public key can be used for encryption: not a point
 *  of low order (whose shared key is the same, all zeros, for everyone).
 *  Checked wherever such a key enters (a .pub file, a roster), so that a
 *  roster that names one is never signed or kept. */
bool keys_encryption_usable (const uint8_t pk[32]);

/*  Generate fresh keys for id/kind (name may be NULL: defaults to id) and
 *  write DIR/ID.secret (0600) and DIR/ID.pub (0644).  Refuses to overwrite
 *  existing files and refuses an invalid id or kind. */
int keys_generate (const char *id, const char *kind, const char *name, const char *dir,
                   kt_reason_t *reason);
/*  keys_generate for a key rotation: new transport, signing and
 *  encryption keys, and the node's storage key kept (storage_key, 32
 *  bytes; NULL makes a new one).  The storage key wraps the node's data
 *  keys in keystore.db; a new one would leave them unreadable, so a
 *  rotation keeps it (docs/KEYS.md). */
int keys_generate_keeping (const char *id, const char *kind, const char *name, const char *dir,
                           const uint8_t *storage_key, kt_reason_t *reason);

/*  Load a secret key file.  Refuses, naming the file and the reason, a file
 *  that is not a regular file, is readable or writable by group or others,
 *  or is not owned by the effective uid; and any malformed or inconsistent
 *  key (public key not matching its secret).  Returns sodium_malloc'd
 *  memory; destroy with keys_secret_destroy. */
keys_secret_t *keys_load_secret (const char *path, kt_reason_t *reason);
void keys_secret_destroy (keys_secret_t **self_p);

/*  Load a public key file (ID.pub), validating every field. */
int keys_load_public (const char *path, keys_public_t *out, kt_reason_t *reason);
/*  The same from the text of a .pub file (what names it in reasons); the
 *  text must be NUL-terminated at len. */
int keys_parse_public (const char *data, size_t len, const char *what, keys_public_t *out,
                       kt_reason_t *reason);

#endif
