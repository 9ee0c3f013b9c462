/*  checkpoint: the provenance log's signed tree heads (C2SP tlog-checkpoint,
 *  https://c2sp.org/tlog-checkpoint) and witness cosignatures on them
 *  (C2SP tlog-cosignature v1, https://c2sp.org/tlog-cosignature).
 *
 *  A checkpoint is a signed note (note.h) whose text is exactly
 *      <origin>\n<decimal size>\n<base64 root>\n
 *  signed by the log's Ed25519 key under the key name <origin>.  keten
 *  writes no extension lines and refuses checkpoints that carry them.
 *  A witness cosignature is one more signature line, by key name
 *  <witness>, key ID = SHA-256(name || 0x0A || 0x04 || pk)[:4], whose
 *  blob is key ID || 8-byte big-endian timestamp || Ed25519 signature over
 *  "cosignature/v1\ntime <timestamp>\n" || checkpoint text.
 */
#ifndef KETEN_CHECKPOINT_H
#define KETEN_CHECKPOINT_H

#include "note.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  The origin is the log's key name, so it obeys the key name rules;
 *  keten further keeps it to printable ASCII. */
#define CHECKPOINT_ORIGIN_MAX NOTE_NAME_MAX
/*  Largest size accepted (Go's tlog parses sizes as int64). */
#define CHECKPOINT_SIZE_MAX INT64_MAX
/*  Largest checkpoint note accepted, signatures included. */
#define CHECKPOINT_NOTE_MAX (64 * 1024)
/*  Room for a checkpoint text: origin, 19 digits, 44 base64, newlines. */
#define CHECKPOINT_TEXT_MAX (CHECKPOINT_ORIGIN_MAX + 20 + 45 + 2)

typedef struct {
    char origin[CHECKPOINT_ORIGIN_MAX + 1];
    uint64_t size;
    uint8_t root[32];
} checkpoint_t;

/*  The note text of cp into out (NUL-terminated); *len_p (if not NULL)
 *  receives its length.  Fails on an invalid origin or a size above
 *  CHECKPOINT_SIZE_MAX. */
int checkpoint_text (const checkpoint_t *cp, char *out, size_t outlen, size_t *len_p,
                     kt_reason_t *reason);
/*  Parse a checkpoint text (len bytes, exactly three lines).  The one
 *  place a checkpoint text from outside is decoded. */
int checkpoint_parse_text (const char *text, size_t len, checkpoint_t *cp, kt_reason_t *reason);

/*  Sign cp as the log (key name = cp->origin) with its Ed25519 secret key
 *  sk (libsodium 64-byte form).  *note_p receives a heap string (free()). */
int checkpoint_format (const checkpoint_t *cp, const uint8_t sk[64], char **note_p,
                       kt_reason_t *reason);
/*  Verify a signed checkpoint note (len bytes) from the log origin with
 *  public key pk, and parse it into *cp.  Other signature lines (witness
 *  cosignatures) are allowed and ignored here. */
int checkpoint_open (const char *note, size_t len, const char *origin, const uint8_t pk[32],
                     checkpoint_t *cp, kt_reason_t *reason);

/*  Witness side: check the note as checkpoint_open does, then cosign its
 *  checkpoint as witness name with sk at timestamp (seconds since the
 *  epoch).  *note_p receives the note with the cosignature line appended
 *  (heap string, free()). */
int checkpoint_cosign (const char *note, size_t len, const char *origin, const uint8_t log_pk[32],
                       const char *name, const uint8_t sk[64], uint64_t timestamp, char **note_p,
                       kt_reason_t *reason);

/*  A witness a verifier knows. */
typedef struct {
    const char *name;
    const uint8_t *pk; /* 32 bytes */
} checkpoint_witness_t;

/*  Which known witness cosigned, and when. */
typedef struct {
    bool cosigned;
    uint64_t timestamp; /* the latest, when a witness signed twice */
} checkpoint_cosig_t;

/*  The known witness whose name and key ID the signature line (len
 *  bytes, "— name base64", with or without its '\n') carries, as an
 *  index into known, or -1: a line by any other key, or not a
 *  cosignature.  No signature is verified: it says only which key a line
 *  claims, so a caller can drop every other line before verifying. */
int checkpoint_line_witness (const char *line, size_t len, const checkpoint_witness_t *known,
                             size_t n_known);

/*  Verify the checkpoint as checkpoint_open does, then its cosignatures:
 *  found[i] tells whether known[i] cosigned it.  Lines by other keys are
 *  counted in *n_unknown_p (if not NULL) and otherwise ignored, as the
 *  signed-note spec asks; a line by a known witness (name and key ID)
 *  that does not verify fails the whole note.  How many cosignatures are
 *  enough is the caller's policy. */
int checkpoint_verify_cosignatures (const char *note, size_t len, const char *origin,
                                    const uint8_t log_pk[32], const checkpoint_witness_t *known,
                                    size_t n_known, checkpoint_cosig_t *found, size_t *n_unknown_p,
                                    checkpoint_t *cp, kt_reason_t *reason);

#endif
