/*  checkpoint: C2SP tlog-checkpoint and tlog-cosignature v1 over note.c.
 *
 *  note_verify checks the note's structure (bounds, UTF-8, blank line,
 *  every signature line well-formed with canonical base64) and the log's
 *  own signature; checkpoint_parse_text is the one place the text is
 *  decoded.  Cosignature lines are type 0x04, which note.c does not
 *  verify: s_scan_cosignatures walks the signature lines of a note that
 *  note_verify has already accepted.
 */
#include "checkpoint.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EM_DASH_SP "\xe2\x80\x94 "
#define EM_DASH_SP_LEN (sizeof EM_DASH_SP - 1)
#define B64V sodium_base64_VARIANT_ORIGINAL
#define ROOT_B64_LEN 44 /* base64 of 32 bytes, padded */
#define COSIG_BLOB_LEN (4 + 8 + crypto_sign_BYTES)
#define COSIG_B64_LEN (4 * ((COSIG_BLOB_LEN + 2) / 3))
#define COSIG_PREFIX "cosignature/v1\ntime "

/*  keten's origins and witness names: printable ASCII without space or
 *  '+' (a subset of what a key name may be), so every byte means itself. */
static bool
s_valid_name (const char *name, size_t len)
{
    if (len == 0 || len > NOTE_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (name[i] <= 0x20 || name[i] >= 0x7f || name[i] == '+')
            return false;
    return true;
}

int
checkpoint_text (const checkpoint_t *cp, char *out, size_t outlen, size_t *len_p,
                 kt_reason_t *reason)
{
    size_t origin_len = strnlen (cp->origin, sizeof cp->origin);
    if (origin_len == sizeof cp->origin || !s_valid_name (cp->origin, origin_len))
        return kt_fail (reason,
                        "checkpoint origin must be 1..%d printable ASCII characters "
                        "without spaces or '+'",
                        CHECKPOINT_ORIGIN_MAX);
    if (cp->size > (uint64_t) CHECKPOINT_SIZE_MAX)
        return kt_fail (reason, "checkpoint size %llu is too large", (unsigned long long) cp->size);
    char b64[ROOT_B64_LEN + 1];
    sodium_bin2base64 (b64, sizeof b64, cp->root, 32, B64V);
    int n =
        snprintf (out, outlen, "%s\n%llu\n%s\n", cp->origin, (unsigned long long) cp->size, b64);
    if (n < 0 || (size_t) n >= outlen)
        return kt_fail (reason, "no room for the checkpoint text");
    if (len_p)
        *len_p = (size_t) n;
    return 0;
}

int
checkpoint_parse_text (const char *text, size_t len, checkpoint_t *cp, kt_reason_t *reason)
{
    memset (cp, 0, sizeof *cp);
    if (len == 0 || len > CHECKPOINT_TEXT_MAX || text[len - 1] != '\n')
        return kt_fail (reason,
                        "checkpoint text is empty, too long or does not end with a newline");
    /*  Exactly three lines: keten writes no extension lines. */
    const char *line[3], *end = text + len;
    size_t line_len[3];
    const char *at = text;
    for (int i = 0; i < 3; i++) {
        const char *nl = at < end ? memchr (at, '\n', (size_t) (end - at)) : NULL;
        if (!nl)
            return kt_fail (reason, "checkpoint text has fewer than three lines");
        line[i] = at;
        line_len[i] = (size_t) (nl - at);
        at = nl + 1;
    }
    if (at != end)
        return kt_fail (reason, "checkpoint has lines after the root (extension lines are not "
                                "accepted)");
    /*  1: origin. */
    if (!s_valid_name (line[0], line_len[0]))
        return kt_fail (reason,
                        "checkpoint origin must be 1..%d printable ASCII characters "
                        "without spaces or '+'",
                        CHECKPOINT_ORIGIN_MAX);
    /*  2: decimal size, no sign, no leading zeros, at most INT64_MAX. */
    if (line_len[1] == 0 || line_len[1] > 19 || (line[1][0] == '0' && line_len[1] > 1))
        return kt_fail (reason, "checkpoint size is not a decimal number without leading zeros "
                                "of at most 19 digits");
    uint64_t size = 0;
    for (size_t i = 0; i < line_len[1]; i++) {
        char c = line[1][i];
        if (c < '0' || c > '9')
            return kt_fail (reason, "checkpoint size is not a decimal number");
        size = size * 10 + (uint64_t) (c - '0'); /* 19 digits cannot overflow */
    }
    if (size > (uint64_t) CHECKPOINT_SIZE_MAX)
        return kt_fail (reason, "checkpoint size is larger than %lld",
                        (long long) CHECKPOINT_SIZE_MAX);
    /*  3: the root, canonical padded base64 of exactly 32 bytes. */
    size_t got = 0;
    const char *b64_end = NULL;
    if (line_len[2] != ROOT_B64_LEN ||
        sodium_base642bin (cp->root, sizeof cp->root, line[2], line_len[2], NULL, &got, &b64_end,
                           B64V) != 0 ||
        got != 32 || b64_end != line[2] + line_len[2])
        return kt_fail (reason, "checkpoint root is not base64 of a 32-byte hash");
    memcpy (cp->origin, line[0], line_len[0]);
    cp->origin[line_len[0]] = '\0';
    cp->size = size;
    return 0;
}

int
checkpoint_format (const checkpoint_t *cp, const uint8_t sk[64], char **note_p, kt_reason_t *reason)
{
    char text[CHECKPOINT_TEXT_MAX + 1];
    size_t len;
    if (checkpoint_text (cp, text, sizeof text, &len, reason) != 0)
        return -1;
    return note_sign (text, len, cp->origin, sk, note_p, reason);
}

/*  The log's signature and the text; *text_len_p is the text's length. */
static int
s_open (const char *note, size_t len, const char *origin, const uint8_t pk[32], checkpoint_t *cp,
        size_t *text_len_p, kt_reason_t *reason)
{
    if (!s_valid_name (origin, strlen (origin)))
        return kt_fail (reason, "invalid checkpoint origin to verify against");
    if (len > CHECKPOINT_NOTE_MAX)
        return kt_fail (reason, "checkpoint note is larger than %d bytes", CHECKPOINT_NOTE_MAX);
    kt_reason_t why;
    if (note_verify (note, len, origin, pk, text_len_p, &why) != 0)
        return kt_fail (reason, "checkpoint not signed by log %s: %s", origin, why.text);
    if (checkpoint_parse_text (note, *text_len_p, cp, reason) != 0)
        return -1;
    /*  The log signed it, so a different origin means a key shared by two
     *  logs: still not a checkpoint of this log. */
    if (strcmp (cp->origin, origin) != 0)
        return kt_fail (reason, "checkpoint is for log '%s', not '%s'", cp->origin, origin);
    return 0;
}

int
checkpoint_open (const char *note, size_t len, const char *origin, const uint8_t pk[32],
                 checkpoint_t *cp, kt_reason_t *reason)
{
    size_t text_len;
    return s_open (note, len, origin, pk, cp, &text_len, reason);
}

/*  The message a cosignature signs: "cosignature/v1\ntime T\n" || text.
 *  out needs room for CHECKPOINT_TEXT_MAX + 48 bytes. */
static size_t
s_cosig_message (char *out, size_t outlen, uint64_t timestamp, const char *text, size_t text_len)
{
    int n = snprintf (out, outlen, COSIG_PREFIX "%llu\n", (unsigned long long) timestamp);
    if (n < 0 || (size_t) n + text_len > outlen)
        return 0;
    memcpy (out + n, text, text_len);
    return (size_t) n + text_len;
}

int
checkpoint_cosign (const char *note, size_t len, const char *origin, const uint8_t log_pk[32],
                   const char *name, const uint8_t sk[64], uint64_t timestamp, char **note_p,
                   kt_reason_t *reason)
{
    checkpoint_t cp;
    size_t text_len;
    size_t name_len = strlen (name);
    if (!s_valid_name (name, name_len))
        return kt_fail (reason, "invalid witness name");
    if (s_open (note, len, origin, log_pk, &cp, &text_len, reason) != 0)
        return -1;
    char msg[CHECKPOINT_TEXT_MAX + 64];
    size_t msg_len = s_cosig_message (msg, sizeof msg, timestamp, note, text_len);
    if (msg_len == 0)
        return kt_fail (reason, "checkpoint text too long to cosign");
    uint8_t blob[COSIG_BLOB_LEN];
    uint32_t id = note_key_id (name, NOTE_TYPE_COSIGNATURE, sk + 32);
    for (int i = 0; i < 4; i++)
        blob[i] = (uint8_t) (id >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        blob[4 + i] = (uint8_t) (timestamp >> (56 - 8 * i));
    crypto_sign_detached (blob + 12, NULL, (const uint8_t *) msg, msg_len, sk);
    char b64[sodium_base64_ENCODED_LEN (COSIG_BLOB_LEN, B64V)];
    sodium_bin2base64 (b64, sizeof b64, blob, sizeof blob, B64V);
    size_t out_len = len + EM_DASH_SP_LEN + name_len + 1 + strlen (b64) + 1;
    if (out_len > CHECKPOINT_NOTE_MAX)
        return kt_fail (reason, "cosigned checkpoint would exceed %d bytes", CHECKPOINT_NOTE_MAX);
    char *out = malloc (out_len + 1);
    if (!out)
        return kt_fail (reason, "out of memory");
    memcpy (out, note, len);
    snprintf (out + len, out_len + 1 - len, EM_DASH_SP "%s %s\n", name, b64);
    *note_p = out;
    return 0;
}

int
checkpoint_line_witness (const char *line, size_t len, const checkpoint_witness_t *known,
                         size_t n_known)
{
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len < EM_DASH_SP_LEN || memcmp (line, EM_DASH_SP, EM_DASH_SP_LEN) != 0)
        return -1;
    const char *signer = line + EM_DASH_SP_LEN, *end = line + len;
    const char *space = memchr (signer, ' ', (size_t) (end - signer));
    if (!space)
        return -1;
    size_t signer_len = (size_t) (space - signer), b64_len = (size_t) (end - space - 1);
    uint8_t blob[COSIG_BLOB_LEN];
    size_t got = 0;
    if (b64_len > COSIG_B64_LEN ||
        sodium_base642bin (blob, sizeof blob, space + 1, b64_len, NULL, &got, NULL, B64V) != 0 ||
        got != COSIG_BLOB_LEN)
        return -1;
    uint32_t id =
        (uint32_t) blob[0] << 24 | (uint32_t) blob[1] << 16 | (uint32_t) blob[2] << 8 | blob[3];
    for (size_t k = 0; k < n_known; k++)
        if (strlen (known[k].name) == signer_len &&
            memcmp (known[k].name, signer, signer_len) == 0 &&
            note_key_id (known[k].name, NOTE_TYPE_COSIGNATURE, known[k].pk) == id)
            return (int) k;
    return -1;
}

int
checkpoint_verify_cosignatures (const char *note, size_t len, const char *origin,
                                const uint8_t log_pk[32], const checkpoint_witness_t *known,
                                size_t n_known, checkpoint_cosig_t *found, size_t *n_unknown_p,
                                checkpoint_t *cp, kt_reason_t *reason)
{
    size_t text_len, unknown = 0;
    if (s_open (note, len, origin, log_pk, cp, &text_len, reason) != 0)
        return -1;
    for (size_t k = 0; k < n_known; k++) {
        found[k].cosigned = false;
        found[k].timestamp = 0;
    }
    uint32_t log_id = note_key_id (origin, NOTE_TYPE_ED25519, log_pk);
    /*  note_verify accepted the note: after the text comes one blank line,
     *  then signature lines "— name base64\n", each well-formed. */
    const char *end = note + len;
    for (const char *line = note + text_len + 1; line < end;) {
        const char *nl = memchr (line, '\n', (size_t) (end - line));
        if (!nl || (size_t) (nl - line) < EM_DASH_SP_LEN ||
            memcmp (line, EM_DASH_SP, EM_DASH_SP_LEN) != 0)
            return kt_fail (reason, "checkpoint has a malformed signature line");
        const char *signer = line + EM_DASH_SP_LEN;
        const char *space = memchr (signer, ' ', (size_t) (nl - signer));
        if (!space)
            return kt_fail (reason, "checkpoint has a malformed signature line");
        size_t signer_len = (size_t) (space - signer), b64_len = (size_t) (nl - space - 1);
        line = nl + 1;
        /*  Only blobs as long as a cosignature (or the log's own) need
         *  decoding; longer ones are someone else's. */
        uint8_t blob[COSIG_BLOB_LEN];
        size_t got = 0;
        if (b64_len > COSIG_B64_LEN ||
            sodium_base642bin (blob, sizeof blob, space + 1, b64_len, NULL, &got, NULL, B64V) !=
                0 ||
            got < 4) {
            unknown++;
            continue;
        }
        uint32_t id =
            (uint32_t) blob[0] << 24 | (uint32_t) blob[1] << 16 | (uint32_t) blob[2] << 8 | blob[3];
        if (signer_len == strlen (origin) && memcmp (signer, origin, signer_len) == 0 &&
            id == log_id)
            continue; /* the log's own, checked by note_verify */
        bool ours = false;
        for (size_t k = 0; k < n_known; k++) {
            if (strlen (known[k].name) != signer_len ||
                memcmp (known[k].name, signer, signer_len) != 0 ||
                note_key_id (known[k].name, NOTE_TYPE_COSIGNATURE, known[k].pk) != id)
                continue;
            ours = true;
            if (got != COSIG_BLOB_LEN)
                return kt_fail (reason, "cosignature by witness %s has the wrong length",
                                known[k].name);
            uint64_t t = 0;
            for (int i = 0; i < 8; i++)
                t = t << 8 | blob[4 + i];
            char msg[CHECKPOINT_TEXT_MAX + 64];
            size_t msg_len = s_cosig_message (msg, sizeof msg, t, note, text_len);
            if (msg_len == 0 || crypto_sign_verify_detached (blob + 12, (const uint8_t *) msg,
                                                             msg_len, known[k].pk) != 0)
                return kt_fail (reason, "bad cosignature by witness %s", known[k].name);
            found[k].cosigned = true;
            if (t > found[k].timestamp)
                found[k].timestamp = t;
        }
        if (!ours)
            unknown++;
    }
    if (n_unknown_p)
        *n_unknown_p = unknown;
    return 0;
}
