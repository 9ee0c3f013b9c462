/*  note: C2SP signed notes (https://c2sp.org/signed-note) with Ed25519, and
 *  C2SP tlog-cosignature (type 0x04).  Used for the roster and for the
 *  provenance-log checkpoints.
 *
 *  A note is text (non-empty, ends with "\n", no blank line inside), then a
 *  blank line, then one or more signature lines
 *      "\u2014 <name> <base64(keyID[4] || signature)>\n"
 *  The Ed25519 signature covers the text up to and including its last "\n".
 *  keyID = first 4 bytes (big-endian) of SHA-256(name || 0x0A || type || pk)
 *  with type 0x01 for ordinary note signatures.
 *  A verifier key is written "name+<8 hex keyID>+<base64(0x01 || pk)>".
 */
#ifndef KETEN_NOTE_H
#define KETEN_NOTE_H

#include "util.h"

#include <stddef.h>
#include <stdint.h>

#define NOTE_NAME_MAX 128
#define NOTE_TYPE_ED25519 0x01
#define NOTE_TYPE_COSIGNATURE 0x04

uint32_t note_key_id (const char *name, uint8_t type, const uint8_t pk[32]);

/*  Parse "name+hex+base64" into name (NOTE_NAME_MAX + 1 bytes) and pk.
 *  Checks the type byte and that the key id matches name and key. */
int note_verifier_parse (const char *vkey, char *name, uint8_t pk[32], kt_reason_t *reason);
/*  Format a verifier key; out needs at least NOTE_NAME_MAX + 64 bytes. */
int note_verifier_format (char *out, size_t outlen, const char *name, const uint8_t pk[32]);

/*  Sign text (must be a valid note text) as name with the Ed25519 secret key
 *  sk (libsodium 64-byte form).  *note_p receives a heap string (free())
 *  holding text, the blank line and the one signature line. */
int note_sign (const char *text, size_t text_len, const char *name, const uint8_t sk[64],
               char **note_p, kt_reason_t *reason);

/*  Verify that note (len bytes, need not be NUL-terminated) carries a valid
 *  signature by (name, pk).  Other signature lines are ignored (they may be
 *  from other signers).  On success *text_len_p is the length of the signed
 *  text.  Fails, with a reason, on a malformed note, on no signature line
 *  for this key, or on a bad signature. */
int note_verify (const char *note, size_t len, const char *name, const uint8_t pk[32],
                 size_t *text_len_p, kt_reason_t *reason);

#endif
