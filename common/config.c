/*  config: the node's ZPL configuration, checked in one place.  */
#include "config.h"

#include <czmq.h>
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_FILE_MAX (256 * 1024)

typedef enum { K_STR, K_PATH, K_U32 } kind_t;

typedef struct {
    const char *key;
    kind_t kind;
    size_t offset;
    size_t size;       /* string buffer size */
    uint32_t def, min, max;
    bool required;
} field_t;

#define STR(k, f, req) {k, K_STR, offsetof (config_t, f), sizeof ((config_t *) 0)->f, 0, 0, 0, req}
#define PATH(k, f, req) {k, K_PATH, offsetof (config_t, f), sizeof ((config_t *) 0)->f, 0, 0, 0, req}
#define U32(k, f, d, lo, hi) {k, K_U32, offsetof (config_t, f), 0, d, lo, hi, false}

/*  Every key, its default and bounds: the table is the documentation's
 *  source (docs/CONFIG.md). */
static const field_t s_fields[] = {
    STR ("node/id", id, true),
    PATH ("node/key-file", key_file, true),
    PATH ("node/state-dir", state_dir, true),
    PATH ("node/socket", socket_path, true),
    PATH ("node/roster", roster_file, true),
    STR ("node/uitvoerder-key", uitvoerder_key, true),
    STR ("node/log-level", log_level, false),
    STR ("transport/bind", bind, false),
    STR ("transport/connect", connect, false),
    U32 ("transport/max-message", max_message, 1048576, 4096, 67108864),
    U32 ("transport/hwm", hwm, 10000, 100, 1000000),
    U32 ("transport/heartbeat-ms", heartbeat_ms, 1000, 100, 60000),
    U32 ("transport/heartbeat-timeout-ms", heartbeat_timeout_ms, 5000, 200, 600000),
    U32 ("delivery/retry-min-ms", retry_min_ms, 1000, 10, 60000),
    U32 ("delivery/retry-max-ms", retry_max_ms, 30000, 10, 3600000),
    U32 ("delivery/max-inflight", max_inflight, 8192, 1, 1000000),
    U32 ("delivery/batch-max", batch_max, 256, 1, 4096),
    U32 ("delivery/clock-skew-ms", clock_skew_ms, 300000, 1000, 3600000),
    U32 ("delivery/max-age-s", max_age_s, 2592000, 60, 31536000),
};
#define N_FIELDS (sizeof s_fields / sizeof s_fields[0])

static const field_t *
s_field (const char *key)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strcmp (s_fields[i].key, key) == 0)
            return &s_fields[i];
    return NULL;
}

static int
s_parse_u32 (const char *s, uint32_t *out)
{
    if (!s || !*s || strlen (s) > 10)
        return -1;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (uint64_t) (*p - '0');
    }
    if (v > UINT32_MAX)
        return -1;
    *out = (uint32_t) v;
    return 0;
}

/*  Walk the tree: exactly two levels (section/key), every key known. */
static int
s_check_keys (zconfig_t *root, const char *path, kt_reason_t *reason)
{
    for (zconfig_t *sec = zconfig_child (root); sec; sec = zconfig_next (sec)) {
        const char *sname = zconfig_name (sec);
        if (strcmp (sname, "node") != 0 && strcmp (sname, "transport") != 0
            && strcmp (sname, "delivery") != 0)
            return kt_fail (reason, "%s: unknown section %.64s", path, sname);
        for (zconfig_t *k = zconfig_child (sec); k; k = zconfig_next (k)) {
            char key[160];
            snprintf (key, sizeof key, "%s/%.64s", sname, zconfig_name (k));
            if (!s_field (key))
                return kt_fail (reason, "%s: unknown key %s", path, key);
            if (zconfig_child (k))
                return kt_fail (reason, "%s: %s must be a value, not a section", path, key);
        }
    }
    return 0;
}

int
config_load (const char *path, config_t *out, kt_reason_t *reason)
{
    memset (out, 0, sizeof *out);
    char *data;
    size_t len;
    if (kt_read_file (path, CONFIG_FILE_MAX, &data, &len, reason) != 0)
        return -1;
    zconfig_t *root = zconfig_str_load (data);
    free (data);
    if (!root)
        return kt_fail (reason, "%s: not valid ZPL", path);
    char dir[PATH_MAX];
    char *copy = strdup (path);
    char *real = copy ? realpath (dirname (copy), dir) : NULL;
    free (copy);
    int rc = real ? s_check_keys (root, path, reason)
                  : kt_fail (reason, "%s: cannot resolve its directory", path);
    for (size_t i = 0; rc == 0 && i < N_FIELDS; i++) {
        const field_t *f = &s_fields[i];
        const char *v = zconfig_get (root, f->key, NULL);
        if (v && !*v)
            v = NULL;
        if (!v && f->required) {
            rc = kt_fail (reason, "%s: missing required key %s", path, f->key);
            break;
        }
        char *dst = (char *) out + f->offset;
        if (f->kind == K_U32) {
            uint32_t value = f->def;
            if (v && (s_parse_u32 (v, &value) != 0 || value < f->min || value > f->max)) {
                rc = kt_fail (reason, "%s: %s must be a whole number from %u to %u", path, f->key,
                              f->min, f->max);
                break;
            }
            memcpy (dst, &value, sizeof value);
        } else if (v) {
            int n;
            if (f->kind == K_PATH && v[0] != '/')
                n = snprintf (dst, f->size, "%s/%s", dir, v);
            else
                n = snprintf (dst, f->size, "%s", v);
            if (n < 0 || (size_t) n >= f->size) {
                rc = kt_fail (reason, "%s: %s is too long (at most %zu bytes)", path, f->key,
                              f->size - 1);
                break;
            }
        }
    }
    zconfig_destroy (&root);
    if (rc != 0)
        return -1;
    if (!kt_valid_node_id (out->id))
        return kt_fail (reason, "%s: node/id must be 1-64 of a-z, 0-9 and '-'", path);
    if (!*out->log_level)
        snprintf (out->log_level, sizeof out->log_level, "info");
    if (strcmp (out->log_level, "debug") && strcmp (out->log_level, "info")
        && strcmp (out->log_level, "warn") && strcmp (out->log_level, "error"))
        return kt_fail (reason, "%s: node/log-level must be debug, info, warn or error", path);
    if (!!*out->bind == !!*out->connect)
        return kt_fail (reason,
                        "%s: set exactly one of transport/bind (uitvoerder) and transport/connect "
                        "(partners)",
                        path);
    const char *ep = *out->bind ? out->bind : out->connect;
    if (strncmp (ep, "tcp://", 6) != 0 && strncmp (ep, "ipc://", 6) != 0)
        return kt_fail (reason, "%s: %s must start with tcp:// or ipc://", path,
                        *out->bind ? "transport/bind" : "transport/connect");
    if (out->heartbeat_timeout_ms < 2 * out->heartbeat_ms)
        return kt_fail (reason, "%s: transport/heartbeat-timeout-ms must be at least twice "
                                "transport/heartbeat-ms",
                        path);
    if (out->retry_max_ms < out->retry_min_ms)
        return kt_fail (reason, "%s: delivery/retry-max-ms must be at least delivery/retry-min-ms",
                        path);
    return 0;
}
