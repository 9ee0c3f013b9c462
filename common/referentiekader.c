/*  referentiekader: the weegploeg's criteria file (art. 7.3).  */
#include "referentiekader.h"

#include <czmq.h>
#include <sodium.h>
#include <string.h>

static bool
s_valid_code (const char *s)
{
    size_t len = strlen (s);
    if (len < 1 || len > REFERENTIEKADER_CODE_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

bool
referentiekader_valid_version (const char *s)
{
    size_t len = strlen (s);
    if (len < 1 || len > REFERENTIEKADER_VERSION_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}

static int
s_criteria (zconfig_t *section, referentiekader_t *out, const char *path, kt_reason_t *reason)
{
    for (zconfig_t *c = zconfig_child (section); c; c = zconfig_next (c)) {
        const char *code = zconfig_name (c);
        if (!s_valid_code (code))
            return kt_fail (reason, "%s: criterion '%.40s' must be 1..%d of [a-z0-9-]", path, code,
                            REFERENTIEKADER_CODE_MAX);
        if (referentiekader_has (out, code))
            return kt_fail (reason, "%s: criterion %s is listed twice", path, code);
        if (out->n_criteria == REFERENTIEKADER_MAX_CRITERIA)
            return kt_fail (reason, "%s: more than %d criteria", path,
                            REFERENTIEKADER_MAX_CRITERIA);
        for (zconfig_t *k = zconfig_child (c); k; k = zconfig_next (k))
            if (strcmp (zconfig_name (k), "text") != 0)
                return kt_fail (reason, "%s: criterion %s: unknown key %.32s", path, code,
                                zconfig_name (k));
        const char *text = zconfig_get (c, "text", "");
        if (!*text)
            return kt_fail (reason, "%s: criterion %s has no text", path, code);
        snprintf (out->codes[out->n_criteria++], REFERENTIEKADER_CODE_MAX + 1, "%s", code);
    }
    return 0;
}

int
referentiekader_parse (const char *text, size_t len, const char *path, referentiekader_t *out,
                       kt_reason_t *reason)
{
    memset (out, 0, sizeof *out);
    if (len > REFERENTIEKADER_MAX_BYTES)
        return kt_fail (reason, "%s: more than %d bytes", path, REFERENTIEKADER_MAX_BYTES);
    if (kt_check_zpl_text (text, len, path, reason) != 0)
        return -1;
    /*  zconfig_str_load wants a NUL-terminated string: a copy of exactly
     *  len bytes, so that what is hashed is what is parsed. */
    char *copy = malloc (len + 1);
    if (!copy)
        return kt_fail (reason, "out of memory");
    memcpy (copy, text, len);
    copy[len] = '\0';
    zconfig_t *root = zconfig_str_load (copy);
    free (copy);
    zconfig_t *top = root ? zconfig_child (root) : NULL;
    int rc = 0;
    if (!top || strcmp (zconfig_name (top), "referentiekader") != 0 || zconfig_next (top))
        rc = kt_fail (reason, "%s: expected one 'referentiekader' section", path);
    for (zconfig_t *k = top ? zconfig_child (top) : NULL; rc == 0 && k; k = zconfig_next (k)) {
        const char *name = zconfig_name (k);
        if (strcmp (name, "version") == 0) {
            if (!referentiekader_valid_version (zconfig_value (k)))
                rc = kt_fail (reason, "%s: version must be 1..64 of [A-Za-z0-9._-]", path);
            else
                snprintf (out->version, sizeof out->version, "%s", zconfig_value (k));
        } else if (strcmp (name, "example") == 0) {
            const char *v = zconfig_value (k);
            if (strcmp (v, "0") != 0 && strcmp (v, "1") != 0)
                rc = kt_fail (reason, "%s: example must be 0 or 1", path);
            out->example = strcmp (v, "1") == 0;
        } else if (strcmp (name, "criterion") == 0)
            rc = s_criteria (k, out, path, reason);
        else
            rc = kt_fail (reason, "%s: unknown key %.32s", path, name);
    }
    if (rc == 0 && !*out->version)
        rc = kt_fail (reason, "%s: no version", path);
    if (rc == 0 && out->n_criteria == 0)
        rc = kt_fail (reason, "%s: no criteria", path);
    zconfig_destroy (&root);
    /*  art. 7.3: the roster names the exact bytes, not only a version a
     *  changed file could keep. */
    if (rc == 0)
        crypto_hash_sha256 (out->sha256, (const uint8_t *) text, len);
    return rc;
}

int
referentiekader_load (const char *path, referentiekader_t *out, char **text_p, kt_reason_t *reason)
{
    memset (out, 0, sizeof *out);
    if (text_p)
        *text_p = NULL;
    char *text = NULL;
    size_t len = 0;
    if (kt_read_file (path, REFERENTIEKADER_MAX_BYTES, &text, &len, reason) != 0)
        return -1;
    if (referentiekader_parse (text, len, path, out, reason) != 0) {
        free (text);
        return -1;
    }
    if (text_p)
        *text_p = text;
    else
        free (text);
    return 0;
}

bool
referentiekader_has (const referentiekader_t *self, const char *code)
{
    for (size_t i = 0; i < self->n_criteria; i++)
        if (strcmp (self->codes[i], code) == 0)
            return true;
    return false;
}

int
referentiekader_each (const char *text, size_t len, referentiekader_criterion_fn *fn, void *arg)
{
    referentiekader_t check;
    kt_reason_t why;
    if (referentiekader_parse (text, len, "referentiekader", &check, &why) != 0)
        return -1;
    char *copy = malloc (len + 1);
    if (!copy)
        return -1;
    memcpy (copy, text, len);
    copy[len] = '\0';
    zconfig_t *root = zconfig_str_load (copy);
    free (copy);
    /*  Every criterion section (the parser takes more than one). */
    zconfig_t *top = root ? zconfig_child (root) : NULL;
    for (zconfig_t *k = top ? zconfig_child (top) : NULL; k; k = zconfig_next (k))
        if (strcmp (zconfig_name (k), "criterion") == 0)
            for (zconfig_t *c = zconfig_child (k); c; c = zconfig_next (c))
                fn (arg, zconfig_name (c), zconfig_get (c, "text", ""));
    zconfig_destroy (&root);
    return 0;
}
