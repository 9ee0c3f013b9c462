/*  config: every key, default, bound and refusal of the node config.
 *  Real files in a fresh directory.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "config.h"
#include "note.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char dir[64];
    char real_dir[PATH_MAX];  /* dir with symlinks resolved (/tmp may be one) */
    char path[PATH_MAX];      /* dir/config.cfg */
} fixture_t;

static char s_vkey[256];      /* a valid pinned uitvoerder key */

typedef struct {
    const char *section, *key, *value;
} kv_t;

/*  A complete partner config with only the required keys. */
static const kv_t s_base[] = {
    {"node", "id", "politie-limburg"},
    {"node", "key-file", "/etc/keten/politie-limburg.secret"},
    {"node", "state-dir", "/var/lib/keten"},
    {"node", "socket", "/run/keten/ketend.sock"},
    {"node", "roster", "/etc/keten/roster.txt"},
    {"node", "uitvoerder-key", NULL},  /* s_vkey */
    {"transport", "connect", "tcp://keten.veiligheidshuis.example:7700"},
};
#define N_BASE (sizeof s_base / sizeof s_base[0])

static int
s_group_setup (void **state)
{
    (void) state;
    assert_true (sodium_init () >= 0);
    uint8_t pk[32], sk[64];
    crypto_sign_keypair (pk, sk);
    assert_int_equal (note_verifier_format (s_vkey, sizeof s_vkey, "uitvoerder-limburg", pk), 0);
    return 0;
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    assert_int_equal (testutil_tmpdir (f->dir, sizeof f->dir, "config"), 0);
    assert_non_null (realpath (f->dir, f->real_dir));
    snprintf (f->path, sizeof f->path, "%s/config.cfg", f->dir);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    assert_int_equal (testutil_rmtree (f->dir), 0);
    free (f);
    return 0;
}

static void
s_write_text (const char *path, const char *text)
{
    FILE *fp = fopen (path, "w");
    assert_non_null (fp);
    fputs (text, fp);
    fclose (fp);
}

/*  Write s_base to path, leaving out `omit` ("section/key") and setting
 *  `set` ("section/key", added if not in the base) to `value`. */
static void
s_write (const char *path, const char *omit, const char *set, const char *value)
{
    char text[8192] = "";
    const char *sections[4] = {"node", "transport", "delivery", NULL};
    char set_section[64] = "";
    const char *set_key = NULL;
    if (set) {
        const char *slash = strchr (set, '/');
        snprintf (set_section, sizeof set_section, "%.*s", (int) (slash - set), set);
        set_key = slash + 1;
        if (strcmp (set_section, "node") && strcmp (set_section, "transport")
            && strcmp (set_section, "delivery"))
            sections[3] = set_section;
    }
    for (int s = 0; s < 4 && sections[s]; s++) {
        snprintf (text + strlen (text), sizeof text - strlen (text), "%s\n", sections[s]);
        bool done = false;
        for (size_t i = 0; i < N_BASE; i++) {
            char name[64];
            snprintf (name, sizeof name, "%s/%s", s_base[i].section, s_base[i].key);
            if (strcmp (s_base[i].section, sections[s]) || (omit && !strcmp (name, omit)))
                continue;
            const char *v = s_base[i].value ? s_base[i].value : s_vkey;
            if (set && !strcmp (name, set)) {
                v = value;
                done = true;
            }
            snprintf (text + strlen (text), sizeof text - strlen (text), "    %s = %s\n",
                      s_base[i].key, v);
        }
        if (set && !done && !strcmp (set_section, sections[s]))
            snprintf (text + strlen (text), sizeof text - strlen (text), "    %s = %s\n", set_key,
                      value);
    }
    s_write_text (path, text);
}

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("'%s' does not contain '%s'", text, part);
}

/*  Load must fail, naming the file and `why`. */
static void
s_refused (fixture_t *f, const char *why)
{
    config_t c;
    kt_reason_t r = {""};
    if (config_load (f->path, &c, &r) == 0)
        fail_msg ("loaded, expected refusal '%s'", why);
    s_assert_contains (r.text, f->path);
    s_assert_contains (r.text, why);
}

static void
test_full_valid_file_loads_with_defaults (void **state)
{
    fixture_t *f = *state;
    s_write (f->path, NULL, NULL, NULL);
    config_t c;
    kt_reason_t r;
    if (config_load (f->path, &c, &r) != 0)
        fail_msg ("%s", r.text);
    assert_string_equal (c.id, "politie-limburg");
    assert_string_equal (c.key_file, "/etc/keten/politie-limburg.secret");
    assert_string_equal (c.state_dir, "/var/lib/keten");
    assert_string_equal (c.socket_path, "/run/keten/ketend.sock");
    assert_string_equal (c.roster_file, "/etc/keten/roster.txt");
    assert_string_equal (c.uitvoerder_key, s_vkey);
    assert_string_equal (c.log_level, "info");
    assert_string_equal (c.bind, "");
    assert_string_equal (c.connect, "tcp://keten.veiligheidshuis.example:7700");
    assert_int_equal (c.max_message, 1048576);
    assert_int_equal (c.hwm, 10000);
    assert_int_equal (c.heartbeat_ms, 1000);
    assert_int_equal (c.heartbeat_timeout_ms, 5000);
    assert_int_equal (c.retry_min_ms, 200);
    assert_int_equal (c.retry_max_ms, 30000);
    assert_int_equal (c.max_inflight, 8192);
    assert_int_equal (c.batch_max, 256);
    assert_int_equal (c.clock_skew_ms, 300000);
    assert_int_equal (c.max_age_s, 2592000);
}

static void
test_every_key_is_read (void **state)
{
    fixture_t *f = *state;
    char text[4096];
    snprintf (text, sizeof text,
              "#   uitvoerder, every key set\n"
              "node\n"
              "    id = uitvoerder-limburg     # comment after a value\n"
              "    key-file = \"/etc/keten/uitvoerder-limburg.secret\"\n"
              "    state-dir = /var/lib/keten\n"
              "    socket = /run/keten/ketend.sock\n"
              "    roster = /etc/keten/roster.txt\n"
              "    uitvoerder-key = %s\n"
              "    log-level = debug\n"
              "transport\n"
              "    bind = tcp://0.0.0.0:7700\n"
              "    max-message = 4096\n"
              "    hwm = 1000000\n"
              "    heartbeat-ms = 60000\n"
              "    heartbeat-timeout-ms = 120000\n"
              "delivery\n"
              "    retry-min-ms = 10\n"
              "    retry-max-ms = 3600000\n"
              "    max-inflight = 1\n"
              "    batch-max = 4096\n"
              "    clock-skew-ms = 1000\n"
              "    max-age-s = 31536000\n",
              s_vkey);
    s_write_text (f->path, text);
    config_t c;
    kt_reason_t r;
    if (config_load (f->path, &c, &r) != 0)
        fail_msg ("%s", r.text);
    assert_string_equal (c.id, "uitvoerder-limburg");
    assert_string_equal (c.key_file, "/etc/keten/uitvoerder-limburg.secret");
    assert_string_equal (c.log_level, "debug");
    assert_string_equal (c.bind, "tcp://0.0.0.0:7700");
    assert_string_equal (c.connect, "");
    assert_int_equal (c.max_message, 4096);
    assert_int_equal (c.hwm, 1000000);
    assert_int_equal (c.heartbeat_ms, 60000);
    assert_int_equal (c.heartbeat_timeout_ms, 120000);
    assert_int_equal (c.retry_min_ms, 10);
    assert_int_equal (c.retry_max_ms, 3600000);
    assert_int_equal (c.max_inflight, 1);
    assert_int_equal (c.batch_max, 4096);
    assert_int_equal (c.clock_skew_ms, 1000);
    assert_int_equal (c.max_age_s, 31536000);
}

static void
test_each_required_key_missing_is_refused_naming_the_key (void **state)
{
    fixture_t *f = *state;
    const char *required[] = {"node/id",     "node/key-file", "node/state-dir",
                              "node/socket", "node/roster",   "node/uitvoerder-key"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        s_write (f->path, required[i], NULL, NULL);
        char why[96];
        snprintf (why, sizeof why, "missing required key %s", required[i]);
        s_refused (f, why);
    }
    s_write (f->path, NULL, "node/id", "\"\"");
    s_refused (f, "node/id is empty");
}

static void
test_unknown_key_or_section_is_refused_naming_it (void **state)
{
    fixture_t *f = *state;
    s_write (f->path, NULL, "transport/hmw", "100");
    s_refused (f, "config.cfg: unknown key transport/hmw");
    s_write (f->path, NULL, "node/bind", "tcp://127.0.0.1:7700");
    s_refused (f, "unknown key node/bind");
    s_write (f->path, NULL, "logging/level", "info");
    s_refused (f, "unknown section logging");
}

static void
test_repeated_or_misplaced_keys_are_refused (void **state)
{
    fixture_t *f = *state;
    char text[4096];
    snprintf (text, sizeof text,
              "node\n    id = politie-limburg\n    key-file = a\n    state-dir = b\n"
              "    socket = c\n    roster = d\n    uitvoerder-key = %s\n    id = om-limburg\n"
              "transport\n    connect = tcp://h:1\n",
              s_vkey);
    s_write_text (f->path, text);
    s_refused (f, "key node/id appears twice");
    snprintf (text, sizeof text,
              "node\n    id = politie-limburg\n    key-file = a\n    state-dir = b\n"
              "    socket = c\n    roster = d\n    uitvoerder-key = %s\n"
              "transport\n    connect = tcp://h:1\nnode\n    log-level = info\n",
              s_vkey);
    s_write_text (f->path, text);
    s_refused (f, "section node appears twice");
    snprintf (text, sizeof text,
              "node = yes\n    id = politie-limburg\n    key-file = a\n    state-dir = b\n"
              "    socket = c\n    roster = d\n    uitvoerder-key = %s\n"
              "transport\n    connect = tcp://h:1\n",
              s_vkey);
    s_write_text (f->path, text);
    s_refused (f, "node is a section and takes no value");
    snprintf (text, sizeof text,
              "node\n    id = politie-limburg\n        extra = 1\n    key-file = a\n"
              "    state-dir = b\n    socket = c\n    roster = d\n    uitvoerder-key = %s\n"
              "transport\n    connect = tcp://h:1\n",
              s_vkey);
    s_write_text (f->path, text);
    s_refused (f, "node/id is a key and takes no nested keys");
}

static void
test_malformed_zpl_is_refused (void **state)
{
    fixture_t *f = *state;
    s_write_text (f->path, "node\n   id = politie-limburg\n");
    s_refused (f, "not valid ZPL");
    /*  zconfig would silently cut a long line at 1024 bytes. */
    char text[3000];
    snprintf (text, sizeof text, "node\n    roster = /%01500d\n", 0);
    s_write_text (f->path, text);
    s_refused (f, "line 2 is longer than 1000 bytes");
}

static void
test_out_of_range_numbers_are_refused (void **state)
{
    fixture_t *f = *state;
    const struct {
        const char *key, *low, *high;
    } cases[] = {
        {"transport/max-message", "4095", "67108865"},
        {"transport/hwm", "99", "1000001"},
        {"transport/heartbeat-ms", "99", "60001"},
        {"transport/heartbeat-timeout-ms", "199", "600001"},
        {"delivery/retry-min-ms", "9", "60001"},
        {"delivery/retry-max-ms", "9", "3600001"},
        {"delivery/max-inflight", "0", "1000001"},
        {"delivery/batch-max", "0", "4097"},
        {"delivery/clock-skew-ms", "999", "3600001"},
        {"delivery/max-age-s", "59", "31536001"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[128];
        s_write (f->path, NULL, cases[i].key, cases[i].low);
        snprintf (why, sizeof why, "%s = %s is out of range", cases[i].key, cases[i].low);
        s_refused (f, why);
        s_write (f->path, NULL, cases[i].key, cases[i].high);
        snprintf (why, sizeof why, "%s = %s is out of range", cases[i].key, cases[i].high);
        s_refused (f, why);
    }
}

static void
test_numbers_must_be_plain_decimal (void **state)
{
    fixture_t *f = *state;
    const char *bad[] = {"12x", "-1", "+500", "0x100", "1e3", "5 00", "4294967296",
                         "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_write (f->path, NULL, "transport/hwm", bad[i]);
        s_refused (f, "transport/hwm");
        s_refused (f, "is not a whole number");
    }
    s_write (f->path, NULL, "transport/hwm", "000500");
    config_t c;
    kt_reason_t r;
    assert_int_equal (config_load (f->path, &c, &r), 0);
    assert_int_equal (c.hwm, 500);
}

static void
test_timing_keys_must_be_consistent (void **state)
{
    fixture_t *f = *state;
    s_write (f->path, NULL, "transport/heartbeat-timeout-ms", "1999");
    s_refused (f, "at least twice transport/heartbeat-ms");
    s_write (f->path, NULL, "delivery/retry-max-ms", "100");
    s_refused (f, "delivery/retry-max-ms = 100 must not be below delivery/retry-min-ms");
}

static void
s_append (const char *path, const char *text)
{
    FILE *fp = fopen (path, "a");
    assert_non_null (fp);
    fputs (text, fp);
    fclose (fp);
}

static void
test_police_representative_keys_are_checked (void **state)
{
    fixture_t *f = *state;
    config_t c;
    kt_reason_t r;
    /*  art. 7.2a: default auto; another mode is refused. */
    s_write (f->path, NULL, "intake/representative-mode", "sometimes");
    s_refused (f, "intake/representative-mode = sometimes must be auto or confirm");
    /*  A spool forwards in the representative's name: required in auto. */
    s_write (f->path, NULL, "intake/spool-dir", "/var/spool/keten");
    s_refused (f, "intake/representative must name the police representative");
    s_append (f->path, "    representative = \"   \"\n");
    s_refused (f, "not blank");
    s_write (f->path, NULL, "intake/spool-dir", "/var/spool/keten");
    s_append (f->path, "    representative = \"Insp. De Wit\"\n");
    if (config_load (f->path, &c, &r) != 0)
        fail_msg ("%s", r.text);
    assert_string_equal (c.representative_mode, "auto");
    assert_false (c.representative_confirm);
    assert_string_equal (c.representative, "Insp. De Wit");
    /*  confirm: someone must be able to confirm. */
    s_write (f->path, NULL, "intake/spool-dir", "/var/spool/keten");
    s_append (f->path, "    representative-mode = confirm\n");
    s_refused (f, "intake/representative-group must name the group");
    s_append (f->path, "    representative-group = politie-weegploeg\n");
    if (config_load (f->path, &c, &r) != 0)
        fail_msg ("%s", r.text);
    assert_true (c.representative_confirm);
    /*  Without a spool nothing is required. */
    s_write (f->path, NULL, "intake/representative-mode", "confirm");
    if (config_load (f->path, &c, &r) != 0)
        fail_msg ("%s", r.text);
}

/*  ketend's own spool directories default to a sibling of the spool,
 *  SPOOL-DIR.state (never inside it); one set by hand is taken as given,
 *  but never the spool itself, nor without a spool. */
static void
test_spool_state_dir_defaults_beside_the_spool (void **state)
{
    fixture_t *f = *state;
    config_t c;
    kt_reason_t r;
    s_write (f->path, NULL, "intake/spool-dir", "/var/spool/keten/politie/");
    s_append (f->path, "    representative = \"Insp. De Wit\"\n");
    if (config_load (f->path, &c, &r) != 0)
        fail_msg ("%s", r.text);
    assert_string_equal (c.spool_dir, "/var/spool/keten/politie");
    assert_string_equal (c.spool_state_dir, "/var/spool/keten/politie.state");
    s_append (f->path, "    spool-state-dir = /srv/keten/politie-own/\n");
    if (config_load (f->path, &c, &r) != 0)
        fail_msg ("%s", r.text);
    assert_string_equal (c.spool_state_dir, "/srv/keten/politie-own");
    s_write (f->path, NULL, "intake/spool-dir", "/var/spool/keten/politie");
    s_append (f->path, "    representative = \"Insp. De Wit\"\n");
    s_append (f->path, "    spool-state-dir = /var/spool/keten/politie/\n");
    s_refused (f, "intake/spool-state-dir must not be the spool directory itself");
    s_write (f->path, NULL, "intake/spool-dir", "/var/spool/keten/politie/.");
    s_append (f->path, "    representative = \"Insp. De Wit\"\n");
    s_refused (f, "names no directory of its own");
    s_write (f->path, NULL, "intake/spool-state-dir", "/var/spool/keten/politie.state");
    s_refused (f, "intake/spool-state-dir is set without intake/spool-dir");
    /*  No spool: none. */
    s_write (f->path, NULL, NULL, NULL);
    if (config_load (f->path, &c, &r) != 0)
        fail_msg ("%s", r.text);
    assert_string_equal (c.spool_state_dir, "");
}

static void
test_bind_and_connect_both_or_neither_is_refused (void **state)
{
    fixture_t *f = *state;
    s_write (f->path, NULL, "transport/bind", "tcp://0.0.0.0:7700");
    s_refused (f, "not both");
    s_write (f->path, "transport/connect", NULL, NULL);
    s_refused (f, "missing transport/bind");
}

static void
test_endpoints_must_be_tcp_or_ipc_with_a_port (void **state)
{
    fixture_t *f = *state;
    const char *bad[] = {"udp://h:1", "h:7700", "tcp://h", "tcp://h:0", "tcp://h:65536",
                         "tcp://:7700", "tcp://h:*", "ipc://"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_write (f->path, NULL, "transport/connect", bad[i]);
        s_refused (f, "transport/connect");
    }
    config_t c;
    kt_reason_t r;
    s_write (f->path, NULL, "transport/connect", "ipc:///run/keten/hub.ipc");
    assert_int_equal (config_load (f->path, &c, &r), 0);
    s_write (f->path, NULL, "transport/connect", "tcp://[::1]:7700");
    assert_int_equal (config_load (f->path, &c, &r), 0);
    /*  The uitvoerder may bind an ephemeral port (the tests do). */
    s_write (f->path, "transport/connect", "transport/bind", "tcp://127.0.0.1:*");
    if (config_load (f->path, &c, &r) != 0)
        fail_msg ("%s", r.text);
    assert_string_equal (c.bind, "tcp://127.0.0.1:*");
}

static void
test_relative_paths_are_resolved_against_the_config_directory (void **state)
{
    fixture_t *f = *state;
    char sub[256], path[PATH_MAX];
    snprintf (sub, sizeof sub, "%s/etc", f->dir);
    assert_int_equal (mkdir (sub, 0700), 0);
    snprintf (path, sizeof path, "%s/keten.cfg", sub);
    char text[4096];
    snprintf (text, sizeof text,
              "node\n    id = politie-limburg\n    key-file = keys/politie-limburg.secret\n"
              "    state-dir = ../state\n    socket = ketend.sock\n    roster = roster.txt\n"
              "    uitvoerder-key = %s\ntransport\n    connect = tcp://h:7700\n",
              s_vkey);
    s_write_text (path, text);

    /*  Load through a relative name from another directory: the paths
     *  still point next to the file. */
    char cwd[PATH_MAX];
    assert_non_null (getcwd (cwd, sizeof cwd));
    assert_int_equal (chdir (f->dir), 0);
    config_t c;
    kt_reason_t r;
    int rc = config_load ("etc/keten.cfg", &c, &r);
    assert_int_equal (chdir (cwd), 0);
    if (rc != 0)
        fail_msg ("%s", r.text);
    char want[PATH_MAX + 64];
    snprintf (want, sizeof want, "%s/etc/keys/politie-limburg.secret", f->real_dir);
    assert_string_equal (c.key_file, want);
    snprintf (want, sizeof want, "%s/etc/../state", f->real_dir);
    assert_string_equal (c.state_dir, want);
    snprintf (want, sizeof want, "%s/etc/ketend.sock", f->real_dir);
    assert_string_equal (c.socket_path, want);
    snprintf (want, sizeof want, "%s/etc/roster.txt", f->real_dir);
    assert_string_equal (c.roster_file, want);
}

static void
test_socket_path_must_fit_a_unix_socket_address (void **state)
{
    fixture_t *f = *state;
    char sock[200];
    snprintf (sock, sizeof sock, "/run/%0120d.sock", 0);
    s_write (f->path, NULL, "node/socket", sock);
    s_refused (f, "node/socket");
    s_refused (f, "too long");
}

static void
test_bad_id_log_level_or_pinned_key_is_refused (void **state)
{
    fixture_t *f = *state;
    s_write (f->path, NULL, "node/id", "Politie_Limburg");
    s_refused (f, "node/id = Politie_Limburg");
    s_write (f->path, NULL, "node/log-level", "verbose");
    s_refused (f, "node/log-level = verbose");
    s_write (f->path, NULL, "node/uitvoerder-key", "uitvoerder-limburg+abcd1234+AAAA");
    s_refused (f, "node/uitvoerder-key");
    /*  A key whose id does not match its name: a mistyped pin. */
    char wrong[256];
    snprintf (wrong, sizeof wrong, "%s", s_vkey);
    wrong[0] = 'v';
    s_write (f->path, NULL, "node/uitvoerder-key", wrong);
    s_refused (f, "node/uitvoerder-key");
}

static void
test_missing_or_oversized_file_is_refused (void **state)
{
    fixture_t *f = *state;
    config_t c;
    kt_reason_t r;
    assert_int_equal (config_load (f->path, &c, &r), -1);
    s_assert_contains (r.text, f->path);
    FILE *fp = fopen (f->path, "w");
    assert_non_null (fp);
    for (int i = 0; i < 300 * 1024 / 64; i++)
        fprintf (fp, "#%062d\n", i);
    fclose (fp);
    s_refused (f, "more than the limit");
}

static void
test_example_configs_for_every_role_load (void **state)
{
    (void) state;
    const struct {
        const char *file, *id;
        bool binds;
    } examples[] = {
        {"uitvoerder.cfg", "uitvoerder-limburg", true}, {"politie.cfg", "politie-limburg", false},
        {"gemeente.cfg", "gemeente-maastricht", false}, {"om.cfg", "om-limburg", false},
        {"rvdk.cfg", "rvdk-limburg", false},
        {"reclassering.cfg", "reclassering-limburg", false}, {"extern.cfg", "nctv", false},
    };
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
        char path[PATH_MAX];
        snprintf (path, sizeof path, "%s/configs/%s", KETEN_SOURCE_DIR, examples[i].file);
        config_t c;
        kt_reason_t r;
        if (config_load (path, &c, &r) != 0)
            fail_msg ("%s", r.text);
        assert_string_equal (c.id, examples[i].id);
        assert_int_equal (*c.bind != '\0', examples[i].binds);
        assert_int_equal (*c.connect != '\0', !examples[i].binds);
        assert_string_equal (c.socket_path, "/run/keten/ketend.sock");
    }
}

int
main (void)
{
#define T(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T (test_full_valid_file_loads_with_defaults),
        T (test_every_key_is_read),
        T (test_each_required_key_missing_is_refused_naming_the_key),
        T (test_unknown_key_or_section_is_refused_naming_it),
        T (test_repeated_or_misplaced_keys_are_refused),
        T (test_malformed_zpl_is_refused),
        T (test_out_of_range_numbers_are_refused),
        T (test_numbers_must_be_plain_decimal),
        T (test_timing_keys_must_be_consistent),
        T (test_police_representative_keys_are_checked),
        T (test_spool_state_dir_defaults_beside_the_spool),
        T (test_bind_and_connect_both_or_neither_is_refused),
        T (test_endpoints_must_be_tcp_or_ipc_with_a_port),
        T (test_relative_paths_are_resolved_against_the_config_directory),
        T (test_socket_path_must_fit_a_unix_socket_address),
        T (test_bad_id_log_level_or_pinned_key_is_refused),
        T (test_missing_or_oversized_file_is_refused),
        cmocka_unit_test (test_example_configs_for_every_role_load),
    };
    return cmocka_run_group_tests (tests, s_group_setup, NULL);
}
