/*  note: C2SP signed notes with Ed25519.  */
#include "note.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define EM_DASH "\xe2\x80\x94"
#define NOTE_MAX_BYTES (4 * 1024 * 1024)
#define NOTE_MAX_SIGS 100

uint32_t
note_key_id (const char *name, uint8_t type, const uint8_t pk[32])
{
    crypto_hash_sha256_state st;
    uint8_t h[32];
    const uint8_t nl = '\n';
    crypto_hash_sha256_init (&st);
    crypto_hash_sha256_update (&st, (const uint8_t *) name, strlen (name));
    crypto_hash_sha256_update (&st, &nl, 1);
    crypto_hash_sha256_update (&st, &type, 1);
    crypto_hash_sha256_update (&st, pk, 32);
    crypto_hash_sha256_final (&st, h);
    return (uint32_t) h[0] << 24 | (uint32_t) h[1] << 16 | (uint32_t) h[2] << 8 | h[3];
}

/*  A key name: non-empty, printable, no spaces and no '+'. */
static bool
s_valid_name (const char *name, size_t len)
{
    if (len == 0 || len > NOTE_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) name[i];
        if (c <= ' ' || c == '+' || c == 0x7f)
            return false;
    }
    return true;
}

int
note_verifier_parse (const char *vkey, char *name, uint8_t pk[32], kt_reason_t *reason)
{
    const char *p1 = strchr (vkey, '+');
    const char *p2 = p1 ? strchr (p1 + 1, '+') : NULL;
    if (!p1 || !p2 || p2 - p1 != 9)
        return kt_fail (reason, "verifier key is not name+keyid+key");
    size_t name_len = (size_t) (p1 - vkey);
    if (!s_valid_name (vkey, name_len))
        return kt_fail (reason, "verifier key has an invalid name");
    uint8_t idb[4];
    char idhex[9];
    memcpy (idhex, p1 + 1, 8);
    idhex[8] = '\0';
    if (kt_unhex (idb, 4, idhex) != 0)
        return kt_fail (reason, "verifier key id is not 8 hex digits");
    uint8_t raw[33];
    size_t raw_len;
    if (sodium_base642bin (raw, sizeof raw, p2 + 1, strlen (p2 + 1), NULL, &raw_len, NULL,
                           sodium_base64_VARIANT_ORIGINAL)
            != 0
        || raw_len != 33 || raw[0] != NOTE_TYPE_ED25519)
        return kt_fail (reason, "verifier key is not a base64 Ed25519 key");
    memcpy (name, vkey, name_len);
    name[name_len] = '\0';
    uint32_t id = (uint32_t) idb[0] << 24 | (uint32_t) idb[1] << 16 | (uint32_t) idb[2] << 8 | idb[3];
    if (note_key_id (name, NOTE_TYPE_ED25519, raw + 1) != id)
        return kt_fail (reason, "verifier key id does not match its name and key");
    memcpy (pk, raw + 1, 32);
    return 0;
}

int
note_verifier_format (char *out, size_t outlen, const char *name, const uint8_t pk[32])
{
    if (!s_valid_name (name, strlen (name)))
        return -1;
    uint8_t raw[33];
    raw[0] = NOTE_TYPE_ED25519;
    memcpy (raw + 1, pk, 32);
    char b64[sodium_base64_ENCODED_LEN (33, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64 (b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf (out, outlen, "%s+%08x+%s", name, note_key_id (name, NOTE_TYPE_ED25519, pk),
                      b64);
    return n > 0 && (size_t) n < outlen ? 0 : -1;
}

/*  Text rules: non-empty, ends with a newline, no blank line inside. */
static bool
s_valid_text (const char *text, size_t len)
{
    if (len == 0 || text[len - 1] != '\n' || text[0] == '\n')
        return false;
    for (size_t i = 0; i + 1 < len; i++)
        if (text[i] == '\n' && text[i + 1] == '\n')
            return false;
    return memchr (text, '\0', len) == NULL;
}

int
note_sign (const char *text, size_t text_len, const char *name, const uint8_t sk[64],
           char **note_p, kt_reason_t *reason)
{
    if (!s_valid_text (text, text_len))
        return kt_fail (reason, "note text must be non-empty, end with a newline and have no "
                                "blank lines");
    if (!s_valid_name (name, strlen (name)))
        return kt_fail (reason, "invalid signer name");
    uint8_t blob[4 + crypto_sign_BYTES];
    uint32_t id = note_key_id (name, NOTE_TYPE_ED25519, sk + 32);
    blob[0] = (uint8_t) (id >> 24);
    blob[1] = (uint8_t) (id >> 16);
    blob[2] = (uint8_t) (id >> 8);
    blob[3] = (uint8_t) id;
    crypto_sign_detached (blob + 4, NULL, (const uint8_t *) text, text_len, sk);
    char b64[sodium_base64_ENCODED_LEN (sizeof blob, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64 (b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
    size_t len = text_len + 1 + strlen (EM_DASH) + 1 + strlen (name) + 1 + strlen (b64) + 1;
    char *note = malloc (len + 1);
    if (!note)
        return kt_fail (reason, "out of memory");
    memcpy (note, text, text_len);
    snprintf (note + text_len, len + 1 - text_len, "\n" EM_DASH " %s %s\n", name, b64);
    *note_p = note;
    return 0;
}

int
note_verify (const char *note, size_t len, const char *name, const uint8_t pk[32],
             size_t *text_len_p, kt_reason_t *reason)
{
    if (len > NOTE_MAX_BYTES)
        return kt_fail (reason, "signed note larger than %d bytes", NOTE_MAX_BYTES);
    if (memchr (note, '\0', len))
        return kt_fail (reason, "signed note contains a NUL byte");
    /*  The signatures follow the last blank line (as Go's note package). */
    size_t split = len;
    for (size_t i = len; i-- > 1;)
        if (note[i] == '\n' && note[i - 1] == '\n') {
            split = i;
            break;
        }
    if (split == len)
        return kt_fail (reason, "not a signed note: no signature block");
    size_t text_len = split; /* text ends with the '\n' before the blank line */
    if (!s_valid_text (note, text_len))
        return kt_fail (reason, "signed note text is malformed");
    if (len == split + 1 || note[len - 1] != '\n')
        return kt_fail (reason, "signed note has a malformed signature block");
    uint32_t want_id = note_key_id (name, NOTE_TYPE_ED25519, pk);
    bool found = false;
    size_t sigs = 0;
    const char *p = note + split + 1, *end = note + len;
    size_t name_len = strlen (name);
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t) (end - p));
        if (!nl || ++sigs > NOTE_MAX_SIGS)
            return kt_fail (reason, "signed note has a malformed signature block");
        size_t line_len = (size_t) (nl - p);
        const size_t dash = strlen (EM_DASH);
        if (line_len < dash + 3 || memcmp (p, EM_DASH " ", dash + 1) != 0)
            return kt_fail (reason, "signature line does not start with an em dash");
        const char *n = p + dash + 1;
        const char *sp = memchr (n, ' ', (size_t) (nl - n));
        if (!sp || !s_valid_name (n, (size_t) (sp - n)))
            return kt_fail (reason, "signature line has no valid key name");
        uint8_t blob[4 + crypto_sign_BYTES + 1];
        size_t blob_len;
        if (sodium_base642bin (blob, sizeof blob, sp + 1, (size_t) (nl - sp - 1), NULL, &blob_len,
                               NULL, sodium_base64_VARIANT_ORIGINAL)
                != 0
            || blob_len < 5)
            return kt_fail (reason, "signature line is not valid base64");
        uint32_t id = (uint32_t) blob[0] << 24 | (uint32_t) blob[1] << 16
                    | (uint32_t) blob[2] << 8 | blob[3];
        if ((size_t) (sp - n) == name_len && memcmp (n, name, name_len) == 0 && id == want_id) {
            if (blob_len != 4 + crypto_sign_BYTES
                || crypto_sign_verify_detached (blob + 4, (const uint8_t *) note, text_len, pk)
                       != 0)
                return kt_fail (reason, "bad signature by %s on the signed note", name);
            found = true;
        }
        p = nl + 1;
    }
    if (!found)
        return kt_fail (reason, "the note carries no signature by %s+%08x", name, want_id);
    *text_len_p = text_len;
    return 0;
}
