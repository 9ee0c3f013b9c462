/*  note: C2SP signed notes (https://c2sp.org/signed-note) with Ed25519.
 *
 *  note_verify is the one place where a signed note from outside is parsed.
 *  It follows the spec and Go's golang.org/x/mod/sumdb/note (Open), with
 *  these bounds and deliberate choices:
 *  - a note is at most NOTE_MAX_BYTES and carries at most NOTE_MAX_SIGS
 *    signature lines (the spec asks verifiers for a limit of at least 16);
 *  - every key name, also an unknown signer's, is at most NOTE_NAME_MAX
 *    bytes;
 *  - base64 must be canonical (libsodium rejects stray trailing bits, which
 *    Go's decoder accepts), so one signature has one spelling;
 *  - every line for our (name, key ID) must verify; Go checks only the
 *    first and skips repeats.
 *  As the spec says, the text is everything up to the LAST blank line, so
 *  the text itself may contain empty lines.  note_sign is stricter and only
 *  produces texts without them (see note.h).
 */
#include "note.h"

#include <assert.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EM_DASH        "\xe2\x80\x94"
#define SIG_PREFIX     EM_DASH " "
#define SIG_PREFIX_LEN (sizeof SIG_PREFIX - 1)
#define NOTE_MAX_BYTES (4 * 1024 * 1024)
#define NOTE_MAX_SIGS  100
#define NOTE_PK_LEN    crypto_sign_PUBLICKEYBYTES
#define NOTE_BLOB_LEN  (4 + crypto_sign_BYTES) /* key ID || Ed25519 signature */
#define B64V           sodium_base64_VARIANT_ORIGINAL
/*  Room for the blank line and our signature line, so that every note
 *  note_sign makes is within what note_verify accepts. */
#define NOTE_SIGN_ROOM \
    (2 + SIG_PREFIX_LEN + NOTE_NAME_MAX + 1 + sodium_base64_ENCODED_LEN (NOTE_BLOB_LEN, B64V))

/*  Decode one strict UTF-8 sequence (no overlongs, no surrogates, at most
 *  U+10FFFF) at s.  Returns its length, or 0 if the bytes are not UTF-8. */
static size_t
s_utf8_decode (const uint8_t *s, size_t avail, uint32_t *cp_p)
{
    uint8_t b = s[0];
    size_t len;
    uint32_t cp, min;
    if (b < 0x80) {
        *cp_p = b;
        return 1;
    }
    else if ((b & 0xe0) == 0xc0) {
        len = 2;
        cp = b & 0x1f;
        min = 0x80;
    }
    else if ((b & 0xf0) == 0xe0) {
        len = 3;
        cp = b & 0x0f;
        min = 0x800;
    }
    else if ((b & 0xf8) == 0xf0) {
        len = 4;
        cp = b & 0x07;
        min = 0x10000;
    }
    else
        return 0;
    if (len > avail)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *cp_p = cp;
    return len;
}

/*  Spec: valid UTF-8, no ASCII control characters other than newline. */
static bool
s_valid_chars (const char *text, size_t len)
{
    const uint8_t *s = (const uint8_t *) text;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = s_utf8_decode (s + i, len - i, &cp);
        if (n == 0 || (cp < 0x20 && cp != '\n'))
            return false;
        i += n;
    }
    return true;
}

/*  Unicode White_Space (what Go's unicode.IsSpace tests). */
static bool
s_is_space (uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f
        || cp == 0x205f || cp == 0x3000;
}

/*  Spec: a key name is non-empty, has no Unicode spaces and no '+' (the
 *  verifier key format uses '+' as separator).  We also bound its length
 *  and refuse control characters and NUL. */
static bool
s_valid_name (const char *name, size_t len)
{
    if (len == 0 || len > NOTE_NAME_MAX)
        return false;
    const uint8_t *s = (const uint8_t *) name;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = s_utf8_decode (s + i, len - i, &cp);
        if (n == 0 || cp < 0x20 || cp == 0x7f || cp == '+' || s_is_space (cp))
            return false;
        i += n;
    }
    return true;
}

/*  What note_sign accepts: non-empty, ends with a newline, no empty line
 *  (which also rules out a text that is only "\n"), valid characters. */
static bool
s_valid_sign_text (const char *text, size_t len)
{
    if (len == 0 || len > NOTE_MAX_BYTES - NOTE_SIGN_ROOM || text[len - 1] != '\n' || text[0] == '\n')
        return false;
    for (size_t i = 0; i + 1 < len; i++)
        if (text[i] == '\n' && text[i + 1] == '\n')
            return false;
    return s_valid_chars (text, len);
}

static uint32_t
s_be32 (const uint8_t b[4])
{
    return (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 | (uint32_t) b[2] << 8 | b[3];
}

/*  Decode standard padded base64 of any length, checking all of it, into
 *  out (the first out_max bytes are kept); *total_p receives the full
 *  decoded length.  Other signers' signatures can be kilobytes long (the
 *  spec warns of ~5 kB post-quantum ones): they must be checked but need
 *  not be kept, so they are decoded in chunks instead of into a buffer
 *  sized by the input. */
static int
s_base64_decode (const char *b64, size_t len, uint8_t *out, size_t out_max, size_t *total_p)
{
    /*  Padded base64 comes in whole 4-character groups (this also keeps
     *  len - 4 below from wrapping).  Chunks end on group boundaries, and
     *  groups decode independently; only the last group may hold padding. */
    if (len == 0 || len % 4 != 0)
        return -1;
    if (memchr (b64, '=', len - 4))
        return -1;
    size_t total = 0;
    for (size_t off = 0; off < len; off += 64) {
        uint8_t chunk[48];
        size_t want = len - off < 64 ? len - off : 64, got;
        if (sodium_base642bin (chunk, sizeof chunk, b64 + off, want, NULL, &got, NULL, B64V) != 0)
            return -1;
        if (total < out_max)
            memcpy (out + total, chunk, got < out_max - total ? got : out_max - total);
        total += got;
    }
    *total_p = total;
    return 0;
}

uint32_t
note_key_id (const char *name, uint8_t type, const uint8_t pk[32])
{
    /*  Spec: SHA-256(name || 0x0A || type || public key)[:4], big-endian. */
    const uint8_t nl = '\n';
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init (&st);
    crypto_hash_sha256_update (&st, (const uint8_t *) name, strlen (name));
    crypto_hash_sha256_update (&st, &nl, 1);
    crypto_hash_sha256_update (&st, &type, 1);
    crypto_hash_sha256_update (&st, pk, NOTE_PK_LEN);
    crypto_hash_sha256_final (&st, h);
    return s_be32 (h);
}

int
note_verifier_parse (const char *vkey, char *name, uint8_t pk[32], kt_reason_t *reason)
{
    /*  name "+" 8 hex digits "+" base64(0x01 || pk).  The base64 may itself
     *  contain '+', so only the first two '+' separate. */
    const char *plus1 = strchr (vkey, '+');
    const char *plus2 = plus1 ? strchr (plus1 + 1, '+') : NULL;
    if (!plus2 || plus2 - plus1 != 9)
        return kt_fail (reason, "verifier key is not name+keyid+key");
    size_t name_len = (size_t) (plus1 - vkey);
    if (!s_valid_name (vkey, name_len))
        return kt_fail (reason, "verifier key has an invalid key name");
    char idhex[9];
    uint8_t idbin[4];
    memcpy (idhex, plus1 + 1, 8);
    idhex[8] = '\0';
    if (kt_unhex (idbin, sizeof idbin, idhex) != 0)
        return kt_fail (reason, "verifier key id is not 8 hex digits");
    uint8_t raw[1 + NOTE_PK_LEN];
    size_t raw_len;
    if (sodium_base642bin (raw, sizeof raw, plus2 + 1, strlen (plus2 + 1), NULL, &raw_len, NULL,
                           B64V)
            != 0
        || raw_len != sizeof raw)
        return kt_fail (reason, "verifier key is not a base64 Ed25519 key");
    if (raw[0] != NOTE_TYPE_ED25519)
        return kt_fail (reason, "verifier key type %u is not Ed25519", raw[0]);
    char checked[NOTE_NAME_MAX + 1];
    memcpy (checked, vkey, name_len);
    checked[name_len] = '\0';
    /*  The id is redundant; a mismatch means a corrupted or forged key. */
    if (note_key_id (checked, NOTE_TYPE_ED25519, raw + 1) != s_be32 (idbin))
        return kt_fail (reason, "verifier key id does not match its name and key");
    memcpy (name, checked, name_len + 1);
    memcpy (pk, raw + 1, NOTE_PK_LEN);
    return 0;
}

int
note_verifier_format (char *out, size_t outlen, const char *name, const uint8_t pk[32])
{
    if (!s_valid_name (name, strlen (name)))
        return -1;
    uint8_t raw[1 + NOTE_PK_LEN];
    raw[0] = NOTE_TYPE_ED25519;
    memcpy (raw + 1, pk, NOTE_PK_LEN);
    char b64[sodium_base64_ENCODED_LEN (sizeof raw, B64V)];
    sodium_bin2base64 (b64, sizeof b64, raw, sizeof raw, B64V);
    int n = snprintf (out, outlen, "%s+%08x+%s", name,
                      (unsigned) note_key_id (name, NOTE_TYPE_ED25519, pk), b64);
    return n > 0 && (size_t) n < outlen ? 0 : -1;
}

int
note_sign (const char *text, size_t text_len, const char *name, const uint8_t sk[64],
           char **note_p, kt_reason_t *reason)
{
    assert (note_p);
    if (!s_valid_sign_text (text, text_len))
        return kt_fail (reason, "note text must be UTF-8 without control characters, "
                                "non-empty, end with a newline and have no empty lines");
    size_t name_len = strlen (name);
    if (!s_valid_name (name, name_len))
        return kt_fail (reason, "invalid key name for a signed note");
    /*  libsodium's 64-byte secret key ends with the public key. */
    uint8_t blob[NOTE_BLOB_LEN];
    uint32_t id = note_key_id (name, NOTE_TYPE_ED25519, sk + 32);
    blob[0] = (uint8_t) (id >> 24);
    blob[1] = (uint8_t) (id >> 16);
    blob[2] = (uint8_t) (id >> 8);
    blob[3] = (uint8_t) id;
    crypto_sign_detached (blob + 4, NULL, (const uint8_t *) text, text_len, sk);
    char b64[sodium_base64_ENCODED_LEN (sizeof blob, B64V)];
    sodium_bin2base64 (b64, sizeof b64, blob, sizeof blob, B64V);
    size_t b64_len = strlen (b64);

    /*  text "\n" "— " name " " b64 "\n", NUL-terminated for convenience. */
    size_t len = text_len + 1 + SIG_PREFIX_LEN + name_len + 1 + b64_len + 1;
    char *note = malloc (len + 1);
    if (!note)
        return kt_fail (reason, "out of memory");
    snprintf (note + text_len, len + 1 - text_len, "\n" SIG_PREFIX "%s %s\n", name, b64);
    memcpy (note, text, text_len);
    *note_p = note;
    return 0;
}

/*  The key note_verify looks for. */
typedef struct {
    const char *name;
    size_t name_len;
    uint32_t id;
    const uint8_t *pk;
} s_signer_t;

/*  Parse one signature line (without its "\n") and, if it is by the
 *  signer (name and key ID), verify it over text.  *ours_p tells whether
 *  it was. */
static int
s_check_line (const char *line, size_t line_len, const s_signer_t *want, const char *text,
              size_t text_len, bool *ours_p, kt_reason_t *reason)
{
    *ours_p = false;
    if (line_len < SIG_PREFIX_LEN || memcmp (line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
        return kt_fail (reason, "signed note: signature line does not start with an em dash");
    const char *signer = line + SIG_PREFIX_LEN, *end = line + line_len;
    const char *space = memchr (signer, ' ', (size_t) (end - signer));
    if (!space || !s_valid_name (signer, (size_t) (space - signer)))
        return kt_fail (reason, "signed note: signature line has no valid key name");
    uint8_t blob[NOTE_BLOB_LEN];
    size_t blob_len;
    if (s_base64_decode (space + 1, (size_t) (end - space - 1), blob, sizeof blob, &blob_len) != 0
        || blob_len < 5)
        return kt_fail (reason, "signed note: signature is not base64 of a key ID and signature");
    /*  Spec: a line is ours only if name AND key ID match; anything else is
     *  an unknown key and is ignored. */
    size_t signer_len = (size_t) (space - signer);
    if (signer_len != want->name_len || memcmp (signer, want->name, signer_len) != 0
        || s_be32 (blob) != want->id)
        return 0;
    *ours_p = true;
    if (blob_len != NOTE_BLOB_LEN)
        return kt_fail (reason, "signed note: signature by %s has the wrong length", want->name);
    if (crypto_sign_verify_detached (blob + 4, (const uint8_t *) text, text_len, want->pk) != 0)
        return kt_fail (reason, "signed note: bad signature by %s", want->name);
    return 0;
}

int
note_verify (const char *note, size_t len, const char *name, const uint8_t pk[32],
             size_t *text_len_p, kt_reason_t *reason)
{
    size_t name_len = strlen (name);
    if (!s_valid_name (name, name_len))
        return kt_fail (reason, "signed note: invalid key name to verify with");
    if (len > NOTE_MAX_BYTES)
        return kt_fail (reason, "signed note is larger than %d bytes", NOTE_MAX_BYTES);
    if (!s_valid_chars (note, len))
        return kt_fail (reason, "signed note is not UTF-8 text without control characters");

    /*  The text ends at the LAST blank line (spec; Go's LastIndex of
     *  "\n\n"): the text keeps its final "\n", the blank line is dropped. */
    size_t split = len; /* index of the first "\n" of the last "\n\n" */
    for (size_t i = len; i >= 2; i--)
        if (note[i - 2] == '\n' && note[i - 1] == '\n') {
            split = i - 2;
            break;
        }
    if (split == len)
        return kt_fail (reason, "signed note has no blank line before its signatures");
    size_t text_len = split + 1;
    const char *sigs = note + split + 2, *end = note + len;
    if (sigs == end || end[-1] != '\n')
        return kt_fail (reason, "signed note has a malformed signature block");

    s_signer_t want = {name, name_len, note_key_id (name, NOTE_TYPE_ED25519, pk), pk};
    size_t lines = 0;
    bool found = false;
    for (const char *line = sigs; line < end;) {
        /*  end[-1] is '\n', so every line has one. */
        const char *nl = memchr (line, '\n', (size_t) (end - line));
        if (++lines > NOTE_MAX_SIGS)
            return kt_fail (reason, "signed note has more than %d signatures", NOTE_MAX_SIGS);
        bool ours;
        if (s_check_line (line, (size_t) (nl - line), &want, note, text_len, &ours, reason) != 0)
            return -1;
        found = found || ours;
        line = nl + 1;
    }
    if (!found)
        return kt_fail (reason, "signed note carries no signature by %s+%08x", name,
                        (unsigned) want.id);
    if (text_len_p)
        *text_len_p = text_len;
    return 0;
}
