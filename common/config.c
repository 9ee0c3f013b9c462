/*  config: a node's ZPL configuration, checked in one place
 *  (docs/ARCHITECTURE.md, "Conventions", rule 4).
 *
 *  Every key is in s_fields with its default and bounds; docs/CONFIG.md and
 *  the examples in configs/ describe the same table.  Anything not in the
 *  table is refused, so a typo never silently falls back to a default.
 */
#include "config.h"

#include "intake_rules.h"
#include "note.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define CONFIG_FILE_MAX (256 * 1024)

typedef enum { F_STR, F_PATH, F_U32 } s_type_t;

typedef struct {
    const char *section;
    const char *key;
    s_type_t type;
    size_t offset;
    size_t size; /* F_STR, F_PATH: buffer size in config_t */
    bool required;
    uint32_t def, min, max;
} s_field_t;

#define FIELD_SIZE(f) sizeof (((config_t *) 0)->f)
#define STR(s, k, f, req)                                                                          \
    {                                                                                              \
        s, k, F_STR, offsetof (config_t, f), FIELD_SIZE (f), req, 0, 0, 0                          \
    }
#define PATH(s, k, f)                                                                              \
    {                                                                                              \
        s, k, F_PATH, offsetof (config_t, f), FIELD_SIZE (f), true, 0, 0, 0                        \
    }
#define OPTPATH(s, k, f)                                                                           \
    {                                                                                              \
        s, k, F_PATH, offsetof (config_t, f), FIELD_SIZE (f), false, 0, 0, 0                       \
    }
#define U32(s, k, f, def, min, max)                                                                \
    {                                                                                              \
        s, k, F_U32, offsetof (config_t, f), FIELD_SIZE (f), false, def, min, max                  \
    }

static const s_field_t s_fields[] = {
    STR ("node", "id", id, true),
    PATH ("node", "key-file", key_file),
    PATH ("node", "state-dir", state_dir),
    PATH ("node", "socket", socket_path),
    PATH ("node", "roster", roster_file),
    STR ("node", "uitvoerder-key", uitvoerder_key, true),
    STR ("node", "log-level", log_level, false),
    /*  art. 7.3: a roster that names an example referentiekader (the
     *  illustration in configs/) is refused unless this is a test or demo
     *  federation. */
    U32 ("node", "test-federation", test_federation, 0, 0, 1),
    /*  Exactly one of bind/connect: checked after the table. */
    STR ("transport", "bind", bind, false),
    STR ("transport", "connect", connect, false),
    /*  Bounded so a peer cannot make us buffer without limit
     *  (docs/ARCHITECTURE.md, "Transport"); libzmq needs max-message >= 276
     *  for the CURVE handshake. */
    U32 ("transport", "max-message", max_message, 1048576, 4096, 67108864),
    U32 ("transport", "hwm", hwm, 10000, 100, 1000000),
    U32 ("transport", "heartbeat-ms", heartbeat_ms, 1000, 100, 60000),
    /*  Lower bound here; ">= 2 x heartbeat-ms" after the table.  600 s
     *  stays inside ZMQ_HEARTBEAT_TTL's range (6553.5 s). */
    U32 ("transport", "heartbeat-timeout-ms", heartbeat_timeout_ms, 5000, 200, 600000),
    U32 ("delivery", "retry-min-ms", retry_min_ms, 200, 10, 60000),
    U32 ("delivery", "retry-max-ms", retry_max_ms, 30000, 10, 3600000),
    U32 ("delivery", "max-inflight", max_inflight, 8192, 1, 1000000),
    U32 ("delivery", "batch-max", batch_max, 256, 1, 4096),
    U32 ("delivery", "clock-skew-ms", clock_skew_ms, 300000, 1000, 3600000),
    U32 ("delivery", "max-age-s", max_age_s, 2592000, 60, 31536000),
    /*  Police node: JSON signals dropped here are forwarded by themselves. */
    OPTPATH ("intake", "spool-dir", spool_dir),
    /*  ketend's own work/, done/ and rejected/, outside the directory the
     *  police system writes (default: a sibling, SPOOL-DIR.state; checked
     *  after the table). */
    OPTPATH ("intake", "spool-state-dir", spool_state_dir),
    U32 ("intake", "spool-poll-ms", spool_poll_ms, 500, 50, 60000),
    /*  art. 13: a rejected spool file (plaintext, never sent) is kept only
     *  long enough for an operator to look at it. */
    U32 ("intake", "rejected-keep-days", rejected_keep_days, 14, 1, 365),
    /*  Wpg machtigingsbesluit: who may release held art. 9/10 signals. */
    STR ("intake", "release-group", release_group, false),
    /*  art. 7.2a: the police representative in the weegploeg. */
    STR ("intake", "representative-group", representative_group, false),
    /*  art. 7.2a: auto (forwarded at once in the representative's name) or
     *  confirm (held until a member of representative-group confirms);
     *  and the representative's name, which travels sealed in each spool
     *  signal.  Checked after the table. */
    STR ("intake", "representative-mode", representative_mode, false),
    STR ("intake", "representative", representative, false),
    /*  Who may do what through the local API: a group per right; a right
     *  whose group is not set is nobody's (docs/API.md, "Who may do what"). */
    STR ("access", "read-group", read_group, false),
    STR ("access", "submit-group", submit_group, false),
    STR ("access", "weegploeg-group", weegploeg_group, false),
    STR ("access", "disclosure-group", disclosure_group, false),
    STR ("access", "rights-group", rights_group, false),
    STR ("access", "audit-group", audit_group, false),
    STR ("access", "admin-group", admin_group, false),
    /*  art. 15.2e-f: the access log is reviewed periodically; after this
     *  many days without a review `keten status` says one is due
     *  (default 91: quarterly). */
    U32 ("access", "review-days", access_review_days, 91, 1, 3650),
    /*  Kernpartij nodes: received weegploeg agendas as iCalendar files
     *  for the dossierhouder's calendar, and a command run on arrival. */
    OPTPATH ("agenda", "ics-dir", ics_dir),
    OPTPATH ("agenda", "hook", agenda_hook),
    U32 ("agenda", "ics-personal-data", ics_personal_data, 0, 0, 1),
    /*  Uitvoerder: the referentiekader the weegploeg weighs against
     *  (art. 7.3); its version must be the one the roster names. */
    OPTPATH ("weegploeg", "referentiekader", referentiekader_file),
    /*  Uitvoerder: art. 8.3, 10.3: a subject or case not reviewed for its
     *  accuracy this many days is on the review worklist. */
    U32 ("weegploeg", "review-days", review_days, 90, 1, 3650),
    /*  Prometheus metrics (docs/OPERATIONS.md, "Prometheus metrics"): off
     *  unless an address is given; an address beyond loopback must be asked
     *  for, the endpoint has no authentication. */
    STR ("metrics", "listen", metrics_listen, false),
    U32 ("metrics", "allow-remote", metrics_allow_remote, 0, 0, 1),
};
#define N_FIELDS (sizeof s_fields / sizeof s_fields[0])

static const char *s_sections[] = {"node",   "transport", "delivery", "intake",
                                   "agenda", "weegploeg", "metrics",  "access"};
#define N_SECTIONS (sizeof s_sections / sizeof s_sections[0])

static const s_field_t *
s_field (const char *section, const char *key)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (streq (s_fields[i].section, section) && streq (s_fields[i].key, key))
            return &s_fields[i];
    return NULL;
}

/*  Digits only: no sign, no spaces, no hex, no suffix, no overflow. */
static int
s_parse_u32 (const char *text, uint32_t *out)
{
    if (!*text)
        return -1;
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (uint64_t) (*p - '0');
        if (v > UINT32_MAX)
            return -1;
    }
    *out = (uint32_t) v;
    return 0;
}

/*  An endpoint libzmq will accept and we mean: tcp://host:port (port '*'
 *  lets the uitvoerder bind an ephemeral port, as the tests do) or
 *  ipc://path. */
static int
s_check_endpoint (const char *ep, bool bind, const char *path, kt_reason_t *reason)
{
    const char *key = bind ? "transport/bind" : "transport/connect";
    if (strncmp (ep, "ipc://", 6) == 0) {
        if (!ep[6])
            return kt_fail (reason, "%s: %s = %s has no socket path", path, key, ep);
        return 0;
    }
    if (strncmp (ep, "tcp://", 6) != 0)
        return kt_fail (reason, "%s: %s = %s must start with tcp:// or ipc://", path, key, ep);
    const char *colon = strrchr (ep + 6, ':');
    if (!colon || colon == ep + 6)
        return kt_fail (reason, "%s: %s = %s must be tcp://HOST:PORT", path, key, ep);
    const char *port = colon + 1;
    if (bind && streq (port, "*"))
        return 0;
    uint32_t n;
    if (s_parse_u32 (port, &n) != 0 || n < 1 || n > 65535)
        return kt_fail (reason, "%s: %s = %s has no valid port (1..65535%s)", path, key, ep,
                        bind ? " or *" : "");
    return 0;
}

int
config_parse_listen (const char *text, struct sockaddr_storage *addr, socklen_t *addr_len,
                     bool *loopback, kt_reason_t *reason)
{
    memset (addr, 0, sizeof *addr);
    char host[64];
    const char *colon = strrchr (text, ':');
    size_t hlen = colon ? (size_t) (colon - text) : 0;
    if (!colon || hlen == 0 || hlen >= sizeof host)
        return kt_fail (reason, "%.64s must be HOST:PORT", text);
    memcpy (host, text, hlen);
    host[hlen] = 0;
    uint32_t port = 0;
    if (!streq (colon + 1, "*") &&
        (s_parse_u32 (colon + 1, &port) != 0 || port < 1 || port > 65535))
        return kt_fail (reason, "%.64s has no valid port (1..65535 or *)", text);
    if (host[0] == '[' && host[hlen - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) addr;
        host[hlen - 1] = 0;
        if (inet_pton (AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return kt_fail (reason, "%.64s: %s is not an IPv6 address", text, host + 1);
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons ((uint16_t) port);
        *addr_len = sizeof *a6;
        *loopback = IN6_IS_ADDR_LOOPBACK (&a6->sin6_addr);
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *) addr;
    if (inet_pton (AF_INET, host, &a4->sin_addr) != 1)
        return kt_fail (reason, "%.64s: %s is not an IPv4 address (or [IPv6] in brackets)", text,
                        host);
    a4->sin_family = AF_INET;
    a4->sin_port = htons ((uint16_t) port);
    *addr_len = sizeof *a4;
    *loopback = (ntohl (a4->sin_addr.s_addr) >> 24) == 127;
    return 0;
}

/*  Walk the whole tree once: known sections, known keys, no duplicates,
 *  nothing nested deeper than section/key. */
static int
s_check_tree (zconfig_t *root, const char *path, kt_reason_t *reason)
{
    bool seen_section[N_SECTIONS] = {false};
    bool seen_field[N_FIELDS] = {false};
    for (zconfig_t *sec = zconfig_child (root); sec; sec = zconfig_next (sec)) {
        const char *sname = zconfig_name (sec);
        size_t s = 0;
        while (s < N_SECTIONS && !streq (sname, s_sections[s]))
            s++;
        if (s == N_SECTIONS)
            return kt_fail (reason, "%s: unknown section %.64s", path, sname);
        if (seen_section[s])
            return kt_fail (reason, "%s: section %s appears twice", path, sname);
        seen_section[s] = true;
        if (*zconfig_value (sec))
            return kt_fail (reason, "%s: %s is a section and takes no value", path, sname);
        for (zconfig_t *k = zconfig_child (sec); k; k = zconfig_next (k)) {
            const s_field_t *f = s_field (sname, zconfig_name (k));
            if (!f)
                return kt_fail (reason, "%s: unknown key %s/%.64s", path, sname, zconfig_name (k));
            if (seen_field[f - s_fields])
                return kt_fail (reason, "%s: key %s/%s appears twice", path, sname, f->key);
            seen_field[f - s_fields] = true;
            if (zconfig_child (k))
                return kt_fail (reason, "%s: %s/%s is a key and takes no nested keys", path, sname,
                                f->key);
        }
    }
    return 0;
}

/*  Fill one field from its value (NULL: absent). */
static int
s_set_field (config_t *out, const s_field_t *f, const char *value, const char *base,
             const char *path, kt_reason_t *reason)
{
    char *dst = (char *) out + f->offset;
    if (f->type == F_U32) {
        uint32_t v = f->def;
        if (value && s_parse_u32 (value, &v) != 0)
            return kt_fail (reason, "%s: %s/%s = %.32s is not a whole number", path, f->section,
                            f->key, value);
        if (v < f->min || v > f->max)
            return kt_fail (reason, "%s: %s/%s = %u is out of range (%u..%u)", path, f->section,
                            f->key, v, f->min, f->max);
        memcpy (dst, &v, sizeof v);
        return 0;
    }
    if (!value)
        return 0;
    /*  Relative paths are relative to the config file, not to whatever
     *  directory the daemon happened to be started from. */
    int n = f->type == F_PATH && value[0] != '/' ? snprintf (dst, f->size, "%s/%s", base, value)
                                                 : snprintf (dst, f->size, "%s", value);
    if (n < 0 || (size_t) n >= f->size)
        return kt_fail (reason, "%s: %s/%s is too long (at most %zu bytes%s)", path, f->section,
                        f->key, f->size - 1,
                        f->type == F_PATH && value[0] != '/' ? " once made absolute" : "");
    return 0;
}

/*  Read path and fill every field of out from it, with its default when
 *  absent: the shape of the file and each value on its own. */
static int
s_read_fields (const char *path, config_t *out, kt_reason_t *reason)
{
    char *data = NULL;
    size_t len = 0;
    if (kt_read_file (path, CONFIG_FILE_MAX, &data, &len, reason) != 0)
        return -1;
    int rc = kt_check_zpl_text (data, len, path, reason);
    zconfig_t *root = NULL;
    if (rc == 0 && !(root = zconfig_str_load (data)))
        rc = kt_fail (reason,
                      "%s is not valid ZPL (zconfig logged the line; indent by "
                      "exactly 4 spaces per level)",
                      path);
    free (data);

    char base[PATH_MAX];
    if (rc == 0) {
        char *copy = strdup (path);
        if (!copy || !realpath (dirname (copy), base))
            rc = kt_fail (reason, "%s: cannot resolve the directory it is in", path);
        free (copy);
    }
    if (rc == 0)
        rc = s_check_tree (root, path, reason);
    /*  Whether the file has an intake section, which only a kernpartij's
     *  node reads (node_config_member_check). */
    zconfig_t *intake = rc == 0 ? zconfig_locate (root, "intake") : NULL;
    zconfig_t *first = intake ? zconfig_child (intake) : NULL;
    /*  A section that sets nothing (comments only, as a copied example
     *  left it) changes nothing, and is not refused. */
    if (first)
        snprintf (out->intake_key, sizeof out->intake_key, "intake/%.32s", zconfig_name (first));
    for (size_t i = 0; rc == 0 && i < N_FIELDS; i++) {
        const s_field_t *f = &s_fields[i];
        char key[64];
        snprintf (key, sizeof key, "%s/%s", f->section, f->key);
        zconfig_t *item = zconfig_locate (root, key);
        const char *value = item ? zconfig_value (item) : NULL;
        if (value && !*value)
            rc = kt_fail (reason, "%s: %s is empty", path, key);
        else if (!value && f->required)
            rc = kt_fail (reason, "%s: missing required key %s", path, key);
        else
            rc = s_set_field (out, f, value, base, path, reason);
    }
    zconfig_destroy (&root);
    return rc;
}

/*  art. 7.2a: police signals reach the weegploeg through the police
 *  representative who takes part in it (docs/CONFIG.md, "intake").  A
 *  spool forwards in the representative's name (auto) or waits for one
 *  of the representative group (confirm); either needs its half set. */
static int
s_check_representative (const char *path, config_t *out, kt_reason_t *reason)
{
    if (!*out->representative_mode)
        snprintf (out->representative_mode, sizeof out->representative_mode, "auto");
    else if (!streq (out->representative_mode, "auto") &&
             !streq (out->representative_mode, "confirm"))
        return kt_fail (reason, "%s: intake/representative-mode = %s must be auto or confirm", path,
                        out->representative_mode);
    out->representative_confirm = streq (out->representative_mode, "confirm");
    if (*out->representative && !intake_name_ok (out->representative))
        return kt_fail (reason,
                        "%s: intake/representative must name the police representative: 1..%d "
                        "bytes of text on one line, not blank",
                        path, INTAKE_NAME_MAX);
    if (!*out->spool_dir)
        return 0;
    if (!out->representative_confirm && !*out->representative)
        return kt_fail (reason,
                        "%s: intake/spool-dir is set and intake/representative-mode is auto: "
                        "intake/representative must name the police representative in the "
                        "weegploeg, in whose name spool signals are forwarded (art. 7.2a)",
                        path);
    if (out->representative_confirm && !*out->representative_group)
        return kt_fail (reason,
                        "%s: intake/representative-mode is confirm: intake/representative-group "
                        "must name the group whose members confirm spool signals (art. 7.2a), "
                        "or none would ever be sent",
                        path);
    return 0;
}

/*  ketend's own directories for the spool (work/, done/, rejected/) are
 *  not in the spool, which the police system writes and where it could
 *  rename them: by default a sibling, SPOOL-DIR.state, in the directory
 *  that holds the spool - on its filesystem and, under the units, in the
 *  same writable path, since a file moves there by rename
 *  (docs/SIGNAL-FORMAT.md, "The police spool").  Where they may be is
 *  checked against the filesystem at start (spool_check). */
static int
s_check_spool_state_dir (const char *path, config_t *out, kt_reason_t *reason)
{
    if (!*out->spool_dir) {
        if (*out->spool_state_dir)
            return kt_fail (reason, "%s: intake/spool-state-dir is set without intake/spool-dir",
                            path);
        return 0;
    }
    size_t len = strlen (out->spool_dir);
    while (len > 1 && out->spool_dir[len - 1] == '/')
        out->spool_dir[--len] = '\0';
    if (*out->spool_state_dir) {
        len = strlen (out->spool_state_dir);
        while (len > 1 && out->spool_state_dir[len - 1] == '/')
            out->spool_state_dir[--len] = '\0';
        if (streq (out->spool_state_dir, out->spool_dir))
            return kt_fail (reason,
                            "%s: intake/spool-state-dir must not be the spool directory itself: "
                            "the police system can write there",
                            path);
        return 0;
    }
    const char *last = strrchr (out->spool_dir, '/');
    last = last ? last + 1 : out->spool_dir;
    if (!*last || streq (last, ".") || streq (last, ".."))
        return kt_fail (reason,
                        "%s: intake/spool-dir = %s names no directory of its own to put "
                        "ketend's beside (SPOOL-DIR.state); name it plainly, or set "
                        "intake/spool-state-dir",
                        path, out->spool_dir);
    int n =
        snprintf (out->spool_state_dir, sizeof out->spool_state_dir, "%s.state", out->spool_dir);
    if (n < 0 || (size_t) n >= sizeof out->spool_state_dir)
        return kt_fail (reason,
                        "%s: intake/spool-dir is too long for its default "
                        "intake/spool-state-dir (SPOOL-DIR.state); set that key",
                        path);
    return 0;
}

/*  The rules between fields, and the values only a parser can check,
 *  once every field is filled. */
static int
s_check_values (const char *path, config_t *out, kt_reason_t *reason)
{
    if (!kt_valid_node_id (out->id))
        return kt_fail (reason,
                        "%s: node/id = %.64s must be 1..64 of [a-z0-9-] starting with a "
                        "letter",
                        path, out->id);
    /*  Fail early on a mistyped pin rather than on the first roster. */
    char vname[NOTE_NAME_MAX + 1];
    uint8_t vpk[32];
    kt_reason_t why;
    if (note_verifier_parse (out->uitvoerder_key, vname, vpk, &why) != 0)
        return kt_fail (reason, "%s: node/uitvoerder-key: %s", path, why.text);
    if (!*out->log_level)
        snprintf (out->log_level, sizeof out->log_level, "info");
    else if (!streq (out->log_level, "debug") && !streq (out->log_level, "info") &&
             !streq (out->log_level, "warn") && !streq (out->log_level, "error"))
        return kt_fail (reason, "%s: node/log-level = %s must be debug, info, warn or error", path,
                        out->log_level);
    /*  Hub and spoke (docs/ARCHITECTURE.md, "Transport"): only the uitvoerder binds. */
    if (*out->bind && *out->connect)
        return kt_fail (reason,
                        "%s: set only one of transport/bind (uitvoerder) and "
                        "transport/connect (partners), not both",
                        path);
    if (!*out->bind && !*out->connect)
        return kt_fail (reason,
                        "%s: missing transport/bind (uitvoerder) or transport/connect "
                        "(partners)",
                        path);
    if (s_check_endpoint (*out->bind ? out->bind : out->connect, *out->bind, path, reason) != 0)
        return -1;
    if (strlen (out->socket_path) >= sizeof (((struct sockaddr_un *) 0)->sun_path))
        return kt_fail (reason,
                        "%s: node/socket = %s is longer than a Unix socket path may be "
                        "(%zu bytes)",
                        path, out->socket_path, sizeof (((struct sockaddr_un *) 0)->sun_path) - 1);
    if (out->heartbeat_timeout_ms < 2 * out->heartbeat_ms)
        return kt_fail (reason,
                        "%s: transport/heartbeat-timeout-ms = %u must be at least twice "
                        "transport/heartbeat-ms = %u",
                        path, out->heartbeat_timeout_ms, out->heartbeat_ms);
    if (*out->metrics_listen) {
        struct sockaddr_storage addr;
        socklen_t addr_len;
        bool loopback;
        if (config_parse_listen (out->metrics_listen, &addr, &addr_len, &loopback, &why) != 0)
            return kt_fail (reason, "%s: metrics/listen: %s", path, why.text);
        if (!loopback && !out->metrics_allow_remote)
            return kt_fail (reason,
                            "%s: metrics/listen = %s is not a loopback address; the "
                            "metrics have no authentication, set metrics/allow-remote = 1 "
                            "to serve them beyond this machine",
                            path, out->metrics_listen);
    }
    if (s_check_representative (path, out, reason) != 0 ||
        s_check_spool_state_dir (path, out, reason) != 0)
        return -1;
    if (out->retry_max_ms < out->retry_min_ms)
        return kt_fail (reason,
                        "%s: delivery/retry-max-ms = %u must not be below "
                        "delivery/retry-min-ms = %u",
                        path, out->retry_max_ms, out->retry_min_ms);
    return 0;
}

int
config_load (const char *path, config_t *out, kt_reason_t *reason)
{
    memset (out, 0, sizeof *out);
    if (s_read_fields (path, out, reason) != 0)
        return -1;
    return s_check_values (path, out, reason);
}
