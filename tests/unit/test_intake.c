/*  intake: every rule of docs/SIGNAL-FORMAT.md refuses what it must, with
 *  a reason that names the field and never its value, the examples in
 *  configs/ parse and round-trip, and no input crashes or leaks.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calendar.h"
#include "intake.h"
#include "items.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*  Fictional, like everything in these tests. */
static const char *s_valid =
    "{\"subject\": {\"name\": \"Test Persoon\", \"birth_date\": \"2001-04-12\","
    "               \"address\": \"Teststraat 1, Maastricht\", \"municipality\": \"Maastricht\","
    "               \"bsn\": \"111222333\"},"
    " \"description\": \"Fictional test signal.\\nSecond line.\","
    " \"category\": \"uitingen\","
    " \"observed_on\": \"2026-01-10\","
    " \"melder\": {\"name\": \"Agent Test\", \"contact\": \"test@politie.invalid\"},"
    " \"source\": {\"kind\": \"school\", \"detail\": \"mentor\"},"
    " \"wpg_basis\": \"art-8-13\","
    " \"legal_basis\": \"wpg-16\","
    " \"special_category\": true, \"criminal_data\": true,"
    " \"local_ref\": \"T-1/2026.a_b\"}";

/*  A value nobody would write by accident, to show it never leaks into a
 *  reason. */
#define MARK "Qzxv"

static json_t *
s_valid_obj (void)
{
    json_error_t err;
    json_t *obj = json_loads (s_valid, JSON_REJECT_DUPLICATES, &err);
    if (!obj)
        fail_msg ("test example does not parse: %s", err.text);
    return obj;
}

/*  Set (value taken) or, with NULL, delete "key" or "group.key". */
static void
s_put (json_t *root, const char *path, json_t *value)
{
    char buf[64];
    snprintf (buf, sizeof buf, "%s", path);
    char *dot = strchr (buf, '.');
    json_t *obj = root;
    const char *key = buf;
    if (dot) {
        *dot = '\0';
        obj = json_object_get (root, buf);
        key = dot + 1;
        assert_non_null (obj);
    }
    if (value)
        assert_int_equal (json_object_set_new (obj, key, value), 0);
    else
        json_object_del (obj, key);
}

static void
s_reason_has (const kt_reason_t *reason, const char *needle)
{
    if (!strstr (reason->text, needle))
        fail_msg ("reason \"%s\" does not name \"%s\"", reason->text, needle);
    if (strstr (reason->text, MARK))
        fail_msg ("reason \"%s\" contains the value", reason->text);
}

/*  root (taken) is refused with a reason containing needle, from the
 *  object and, with text, also from its JSON text. */
static void
s_refused_as (json_t *root, const char *needle, bool text)
{
    kt_reason_t reason = {{0}};
    Keten__Signal *signal = (Keten__Signal *) 1;
    assert_int_equal (intake_signal_from_object (root, &signal, &reason), -1);
    assert_null (signal);
    s_reason_has (&reason, needle);
    if (text) {
        char *dump = json_dumps (root, JSON_COMPACT);
        assert_non_null (dump);
        memset (&reason, 0, sizeof reason);
        assert_int_equal (intake_signal_from_json (dump, strlen (dump), &signal, &reason), -1);
        assert_null (signal);
        s_reason_has (&reason, needle);
        free (dump);
    }
    json_decref (root);
}

static void
s_refused (json_t *root, const char *needle)
{
    s_refused_as (root, needle, true);
}

static void
s_accepted (json_t *root)
{
    kt_reason_t reason = {{0}};
    Keten__Signal *signal = NULL;
    if (intake_signal_from_object (root, &signal, &reason) != 0)
        fail_msg ("refused: %s", reason.text);
    assert_non_null (signal);
    assert_int_equal (intake_signal_check (signal, &reason), 0);
    intake_signal_destroy (&signal);
    assert_null (signal);
    json_decref (root);
}

/*  Refused from text, with a reason containing needle. */
static void
s_text_refused (const char *text, size_t len, const char *needle)
{
    kt_reason_t reason = {{0}};
    Keten__Signal *signal = NULL;
    assert_int_equal (intake_signal_from_json (text, len, &signal, &reason), -1);
    assert_null (signal);
    s_reason_has (&reason, needle);
}

static json_t *
s_with (const char *path, json_t *value)
{
    json_t *root = s_valid_obj ();
    s_put (root, path, value);
    return root;
}

/*  A date days from today, in local time like the intake's "today". */
static void
s_date_from_today (int days, char out[11])
{
    /*  The Dutch calendar's day, as intake's "today" (calendar.h). */
    kt_local_date (kt_now_ms () + (uint64_t) ((int64_t) days * 86400000), out);
}

static json_t *
s_load_example (const char *name)
{
    char path[512];
    snprintf (path, sizeof path, "%s/configs/%s", KETEN_SOURCE_DIR, name);
    json_error_t err;
    json_t *obj = json_load_file (path, JSON_REJECT_DUPLICATES, &err);
    if (!obj)
        fail_msg ("%s: %s", path, err.text);
    return obj;
}

static void
test_example_files_are_valid_and_round_trip (void **state)
{
    (void) state;
    const char *names[] = {"signal-example.json", "signal-police-example.json"};
    for (size_t i = 0; i < 2; i++) {
        json_t *obj = s_load_example (names[i]);
        char *text = json_dumps (obj, 0);
        Keten__Signal *signal = NULL;
        kt_reason_t reason = {{0}};
        if (intake_signal_from_json (text, strlen (text), &signal, &reason) != 0)
            fail_msg ("%s: %s", names[i], reason.text);
        json_t *back = intake_signal_to_object (signal);
        assert_non_null (back);
        assert_true (json_equal (obj, back));
        if (i == 0) {
            /*  art. 7.2: a gemeente signal keeps its original source. */
            assert_string_equal (signal->source_kind, "school");
            assert_int_equal (signal->wpg_basis, KETEN__WPG_BASIS__WPG_NONE);
        } else {
            assert_int_equal (signal->wpg_basis, KETEN__WPG_BASIS__WPG_ART_8_13);
            assert_true (signal->criminal_data);
        }
        json_decref (back);
        json_decref (obj);
        free (text);
        intake_signal_destroy (&signal);
    }
}

static void
test_valid_signal_round_trips_through_to_object_and_protobuf (void **state)
{
    (void) state;
    json_t *obj = s_valid_obj ();
    Keten__Signal *signal = NULL;
    kt_reason_t reason;
    assert_int_equal (intake_signal_from_json (s_valid, strlen (s_valid), &signal, &reason), 0);
    assert_string_equal (signal->subject->name, "Test Persoon");
    assert_string_equal (signal->subject->bsn, "111222333");
    assert_string_equal (signal->melder->contact, "test@politie.invalid");
    assert_string_equal (signal->source_detail, "mentor");
    assert_string_equal (signal->local_ref, "T-1/2026.a_b");
    assert_true (signal->special_category);
    json_t *back = intake_signal_to_object (signal);
    assert_true (json_equal (obj, back));

    /*  What the uitvoerder receives passes the same check. */
    size_t size = keten__signal__get_packed_size (signal);
    uint8_t *buf = malloc (size);
    keten__signal__pack (signal, buf);
    Keten__Signal *wire = keten__signal__unpack (NULL, size, buf);
    assert_non_null (wire);
    assert_int_equal (intake_signal_check (wire, &reason), 0);
    json_t *wire_obj = intake_signal_to_object (wire);
    assert_true (json_equal (obj, wire_obj));
    keten__signal__free_unpacked (wire, NULL);
    free (buf);
    json_decref (wire_obj);
    json_decref (back);
    json_decref (obj);
    intake_signal_destroy (&signal);
    intake_signal_destroy (&signal); /* twice is harmless */
    intake_signal_destroy (NULL);
}

static void
test_to_object_leaves_out_empty_optional_fields (void **state)
{
    (void) state;
    json_t *root = s_valid_obj ();
    const char *optional[] = {"subject.address",  "subject.bsn",   "source.detail", "wpg_basis",
                              "special_category", "criminal_data", "local_ref"};
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        s_put (root, optional[i], NULL);
    s_put (root, "legal_basis", json_string ("avg-6-1-e"));
    Keten__Signal *signal = NULL;
    kt_reason_t reason;
    assert_int_equal (intake_signal_from_object (root, &signal, &reason), 0);
    json_t *back = intake_signal_to_object (signal);
    assert_true (json_equal (root, back));
    json_decref (back);
    intake_signal_destroy (&signal);

    /*  Explicit defaults mean the same signal. */
    s_put (root, "wpg_basis", json_string ("none"));
    s_put (root, "special_category", json_false ());
    s_put (root, "subject.address", json_string (""));
    assert_int_equal (intake_signal_from_object (root, &signal, &reason), 0);
    assert_int_equal (signal->wpg_basis, KETEN__WPG_BASIS__WPG_NONE);
    back = intake_signal_to_object (signal);
    assert_null (json_object_get (back, "wpg_basis"));
    assert_null (json_object_get (back, "special_category"));
    assert_null (json_object_get (json_object_get (back, "subject"), "address"));
    json_decref (back);
    intake_signal_destroy (&signal);
    json_decref (root);
}

static void
test_each_required_field_missing_is_refused_naming_it (void **state)
{
    (void) state;
    const char *required[] = {"subject.name",
                              "subject.birth_date",
                              "subject.municipality",
                              "description",
                              "category",
                              "observed_on",
                              "melder.name",
                              "melder.contact",
                              "source.kind",
                              "legal_basis",
                              "subject",
                              "source"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        s_refused (s_with (required[i], NULL), required[i]);
    /*  Present but empty is missing too. */
    for (size_t i = 0; i < 10; i++)
        s_refused (s_with (required[i], json_string ("")), required[i]);
}

static void
test_signal_without_melder_is_refused (void **state)
{
    (void) state;
    s_refused (s_with ("melder", NULL), "melder: required");
}

static void
test_unknown_key_is_refused_naming_it (void **state)
{
    (void) state;
    s_refused (s_with ("colour", json_string ("x")), "unknown key \"colour\"");
    s_refused (s_with ("subject.nickname", json_string ("x")), "subject: unknown key \"nickname\"");
    s_refused (s_with ("melder.phone", json_string ("x")), "melder: unknown key \"phone\"");
    s_refused (s_with ("source.who", json_string ("x")), "source: unknown key \"who\"");
    /*  A key that is not a plain name may itself be personal data. */
    s_refused (s_with ("subject.Mr " MARK " Jansen", json_string ("x")), "subject: unknown key");
}

static void
test_duplicate_key_is_refused (void **state)
{
    (void) state;
    const char *text = "{\"category\": \"uitingen\", \"category\": \"" MARK "\"}";
    s_text_refused (text, strlen (text), "duplicate key");
    char dup[2048];
    snprintf (dup, sizeof dup, "%.*s, \"name\": \"" MARK "\"}}",
              (int) (strstr (s_valid, "}") - s_valid), s_valid);
    s_text_refused (dup, strlen (dup), "duplicate key");
}

static void
test_wrong_types_are_refused (void **state)
{
    (void) state;
    s_refused (s_with ("subject.name", json_integer (42)), "subject.name: must be a string");
    s_refused (s_with ("subject.birth_date", json_null ()), "subject.birth_date: must be a string");
    s_refused (s_with ("description", json_pack ("[s]", "x")), "description: must be a string");
    s_refused (s_with ("source.kind", json_true ()), "source.kind: must be a string");
    s_refused (s_with ("local_ref", json_real (1.5)), "local_ref: must be a string");
    s_refused (s_with ("wpg_basis", json_integer (1)), "wpg_basis: must be a string");
    s_refused (s_with ("special_category", json_string ("yes")),
               "special_category: must be true or false");
    s_refused (s_with ("criminal_data", json_integer (0)), "criminal_data: must be true or false");
    s_refused (s_with ("subject", json_string (MARK)), "subject: must be an object");
    s_refused (s_with ("melder", json_array ()), "melder: must be an object");
    s_refused (s_with ("source", json_null ()), "source: must be an object");
    s_refused (s_with ("wpg_basis", json_string ("art-9")), "wpg_basis: must be none");

    const char *not_objects[] = {"[]", "[1]", "\"x\"", "42", "null", "true", "{", "{}x", "{} {}"};
    for (size_t i = 0; i < sizeof not_objects / sizeof not_objects[0]; i++)
        s_text_refused (not_objects[i], strlen (not_objects[i]), "");
    s_text_refused ("[]", 2, "");
    s_text_refused ("", 0, "empty");
    s_text_refused (NULL, 0, "empty");
    kt_reason_t reason;
    assert_int_equal (intake_signal_from_object (NULL, &(Keten__Signal *){NULL}, &reason), -1);
    json_t *arr = json_array ();
    s_refused_as (arr, "must be a JSON object", false);
    /*  No reason buffer is fine too. */
    Keten__Signal *signal = NULL;
    assert_int_equal (intake_signal_from_json ("[]", 2, &signal, NULL), -1);
}

static void
test_oversize_text_is_refused_before_parsing (void **state)
{
    (void) state;
    /*  A valid signal padded with whitespace: exactly the limit passes,
     *  one byte more is refused without looking at it. */
    char *text = malloc (INTAKE_MAX_BYTES + 1);
    size_t n = strlen (s_valid);
    memcpy (text, s_valid, n);
    memset (text + n, ' ', INTAKE_MAX_BYTES + 1 - n);
    Keten__Signal *signal = NULL;
    kt_reason_t reason;
    assert_int_equal (intake_signal_from_json (text, INTAKE_MAX_BYTES, &signal, &reason), 0);
    intake_signal_destroy (&signal);
    s_text_refused (text, INTAKE_MAX_BYTES + 1, "larger than 65536 bytes");
    free (text);
}

/*  A signal object of n items of 4,000 bytes of text each. */
static json_t *
s_with_big_items (size_t n)
{
    char *text = malloc (4001);
    memset (text, 'a', 4000);
    text[4000] = '\0';
    json_t *items = json_array ();
    for (size_t i = 0; i < n; i++)
        json_array_append_new (items, json_pack ("{s:s, s:s}", "kind", "fact", "text", text));
    free (text);
    return s_with ("items", items);
}

/*  A signal in a request of the local API (a frame may be 1 MiB) is held
 *  to the size a binary submission may have, packed. */
static void
test_an_object_larger_than_a_packed_signal_may_be_is_refused (void **state)
{
    (void) state;
    kt_reason_t reason = {{0}};
    Keten__Signal *signal = NULL;
    json_t *root = s_with_big_items (15);
    if (intake_signal_from_object (root, &signal, &reason) != 0)
        fail_msg ("refused: %s", reason.text);
    intake_signal_destroy (&signal);
    json_decref (root);
    root = s_with_big_items (17);
    assert_int_equal (intake_signal_from_object (root, &signal, &reason), -1);
    assert_null (signal);
    assert_non_null (strstr (reason.text, "larger than 65536 bytes"));
    json_decref (root);
}

/*  A string of len bytes: MARK then 'a's. */
static json_t *
s_long (size_t len)
{
    char *buf = malloc (len + 1);
    memset (buf, 'a', len);
    memcpy (buf, MARK, len < 4 ? len : 4);
    buf[len] = '\0';
    json_t *s = json_string (buf);
    free (buf);
    return s;
}

static void
test_over_long_fields_are_refused (void **state)
{
    (void) state;
    const struct {
        const char *path;
        size_t max;
    } bounds[] = {{"subject.name", 200},  {"subject.address", 300}, {"subject.municipality", 100},
                  {"description", 10000}, {"melder.name", 200},     {"melder.contact", 200},
                  {"source.detail", 500}};
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        s_accepted (s_with (bounds[i].path, s_long (bounds[i].max)));
        s_refused (s_with (bounds[i].path, s_long (bounds[i].max + 1)), bounds[i].path);
    }
    char cat[66];
    memset (cat, 'c', sizeof cat);
    cat[64] = '\0';
    s_accepted (s_with ("category", json_string (cat)));
    cat[64] = 'c';
    cat[65] = '\0';
    s_refused (s_with ("category", json_string (cat)), "category: must be 1 to 64");
    /*  Bounds are bytes, not characters: 101 two-byte letters are 202. */
    char wide[203] = "";
    for (int i = 0; i < 101; i++)
        strcat (wide, "\xc3\xa9");
    s_refused (s_with ("subject.name", json_string (wide)), "subject.name: must be 1 to 200 bytes");
}

static void
test_invalid_dates_are_refused_and_leap_days_accepted (void **state)
{
    (void) state;
    const char *bad[] = {"2023-02-29", "2024-13-01",      "2024-1-01",   "2024-01-1",  "2024-00-10",
                         "2024-04-31", "2024-02-30",      "1900-02-29",  "0000-01-01", "2024/01/01",
                         "20240101",   " 2024-01-01",     "2024-01-01 ", "2024-01-0a", "+024-01-01",
                         "",           "2024-01-01T00:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false (intake_valid_date (bad[i]));
        s_refused (s_with ("subject.birth_date", json_string (bad[i])), "subject.birth_date");
        s_refused (s_with ("observed_on", json_string (bad[i])), "observed_on");
    }
    s_refused (s_with ("subject.birth_date", json_string ("2023-02-29")),
               "subject.birth_date: not a valid date YYYY-MM-DD");
    assert_false (intake_valid_date (NULL));
    const char *good[] = {"2024-02-29", "2000-02-29", "1900-01-01", "2023-12-31", "2024-01-31"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true (intake_valid_date (good[i]));
        s_accepted (s_with ("subject.birth_date", json_string (good[i])));
        s_accepted (s_with ("observed_on", json_string (good[i])));
    }
    assert_true (intake_valid_date ("9999-12-31"));
}

static void
test_birth_date_outside_1900_to_today_is_refused (void **state)
{
    (void) state;
    char d[11];
    s_date_from_today (2, d);
    s_refused (s_with ("subject.birth_date", json_string (d)),
               "subject.birth_date: must be between 1900-01-01 and today");
    s_refused (s_with ("subject.birth_date", json_string ("1899-12-31")), "subject.birth_date");
    s_refused (s_with ("subject.birth_date", json_string ("2999-01-01")), "subject.birth_date");
    s_date_from_today (-1, d);
    s_accepted (s_with ("subject.birth_date", json_string (d)));
}

/*  "Today" is the Dutch calendar day whatever TZ the node runs in: under
 *  a TZ a day behind (UTC-24) a subject born on the Dutch today is taken
 *  and an observation two Dutch days ahead refused; under one a day ahead
 *  (UTC+24) one born on the Dutch tomorrow is refused. */
static void
test_today_is_the_dutch_day_whatever_the_tz (void **state)
{
    (void) state;
    const char *tz = getenv ("TZ");
    char *saved = tz ? strdup (tz) : NULL;
    char today[11], tomorrow[11], ahead[11];
    uint64_t now = kt_now_ms ();
    kt_local_date (now, today);
    kt_local_date (now + 86400000, tomorrow);
    kt_local_date (now + 2 * 86400000, ahead);
    setenv ("TZ", "<-24>+24", 1);
    tzset ();
    s_accepted (s_with ("subject.birth_date", json_string (today)));
    s_accepted (s_with ("observed_on", json_string (tomorrow)));
    s_refused (s_with ("observed_on", json_string (ahead)), "observed_on: more than one day");
    setenv ("TZ", "<+24>-24", 1);
    tzset ();
    s_refused (s_with ("subject.birth_date", json_string (tomorrow)),
               "subject.birth_date: must be between 1900-01-01 and today");
    s_accepted (s_with ("subject.birth_date", json_string (today)));
    if (saved)
        setenv ("TZ", saved, 1);
    else
        unsetenv ("TZ");
    tzset ();
    free (saved);
}

/*  observed_on has the birth date's lower bound. */
static void
test_observed_on_before_1900_is_refused (void **state)
{
    (void) state;
    s_refused (s_with ("observed_on", json_string ("0001-01-01")),
               "observed_on: must not be before 1900-01-01");
    s_refused (s_with ("observed_on", json_string ("1899-12-31")),
               "observed_on: must not be before 1900-01-01");
    s_accepted (s_with ("observed_on", json_string ("1900-01-01")));
}

static void
test_observed_on_more_than_a_day_ahead_is_refused (void **state)
{
    (void) state;
    char d[11];
    s_date_from_today (0, d);
    s_accepted (s_with ("observed_on", json_string (d)));
    s_date_from_today (1, d);
    s_accepted (s_with ("observed_on", json_string (d)));
    s_date_from_today (3, d);
    s_refused (s_with ("observed_on", json_string (d)), "observed_on: more than one day");
}

static void
test_bsn_must_pass_the_elfproef (void **state)
{
    (void) state;
    const char *good[] = {"111222333", "123456782", "999993653"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true (intake_valid_bsn (good[i]));
        s_accepted (s_with ("subject.bsn", json_string (good[i])));
    }
    const char *bad[] = {"123456789", "111222334", "000000000", "12345678",  "1234567820",
                         "12345678a", "12345 782", "-23456782", "123456782 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false (intake_valid_bsn (bad[i]));
        s_refused (s_with ("subject.bsn", json_string (bad[i])),
                   "subject.bsn: not 9 digits passing the elfproef");
    }
    assert_false (intake_valid_bsn (NULL));
    assert_false (intake_valid_bsn (""));
    /*  Optional means left out, not given empty. */
    s_refused (s_with ("subject.bsn", json_string ("")), "subject.bsn: empty");
    s_accepted (s_with ("subject.bsn", NULL));
}

static void
test_control_characters_are_refused_except_newline_and_tab_in_description (void **state)
{
    (void) state;
    const char *ctl[] = {MARK "\x01",    MARK "\n",   MARK "\t",       MARK "\r",
                         MARK "\x1b[2J", MARK "\x7f", MARK "\xc2\x85", MARK "\xc2\x9f"};
    const char *single[] = {"subject.name", "subject.address", "subject.municipality",
                            "melder.name",  "melder.contact",  "source.detail"};
    for (size_t i = 0; i < sizeof ctl / sizeof ctl[0]; i++)
        for (size_t k = 0; k < sizeof single / sizeof single[0]; k++)
            s_refused (s_with (single[k], json_string (ctl[i])), single[k]);
    s_refused (s_with ("subject.name", json_string ("Test\x01Persoon")),
               "subject.name: contains a control character");
    s_accepted (s_with ("description", json_string ("line one\n\tline two\n")));
    s_refused (s_with ("description", json_string ("windows\r\nline")),
               "description: contains a control character other than newline and tab");
    s_refused (s_with ("description", json_string ("bell\x07")), "description");
    /*  Non-ASCII letters are text, not control. */
    s_accepted (
        s_with ("subject.name", json_string ("Ren\xc3\xa9 \xc3\x96zt\xc3\xbcrk \xe2\x82\xac")));
}

static void
test_invalid_utf8_is_refused (void **state)
{
    (void) state;
    /*  jansson refuses it while parsing text ... */
    char text[1024];
    snprintf (text, sizeof text, "{\"subject\": {\"name\": \"%s\xff\"}}", MARK);
    s_text_refused (text, strlen (text), "not valid UTF-8");
    /*  ... but a json_t built without checks, or a protobuf string, is
     *  checked by the intake itself. */
    const char *bad[] = {MARK "\xff",
                         MARK "\xc0\xaf",
                         MARK "\xe0\x80\xaf",
                         MARK "\xed\xa0\x80",
                         MARK "\xf4\x90\x80\x80",
                         MARK "\xc3",
                         MARK "\xe2\x82",
                         MARK "\x80",
                         MARK "\xf8\x88\x80\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_refused_as (s_with ("subject.name", json_stringn_nocheck (bad[i], strlen (bad[i]))),
                      "subject.name: not valid UTF-8", false);
        s_refused_as (s_with ("description", json_stringn_nocheck (bad[i], strlen (bad[i]))),
                      "description: not valid UTF-8", false);
    }
    /*  A NUL inside a string would cut it short behind the checks' back. */
    s_refused_as (s_with ("melder.name", json_stringn ("ab\0cd", 5)), "melder.name: contains a NUL",
                  false);
    const char *nul = "{\"subject\": {\"name\": \"a\\u0000b\"}}";
    s_text_refused (nul, strlen (nul), "NUL");
}

static void
test_reason_never_contains_the_value (void **state)
{
    (void) state;
    /*  s_refused checks every reason for MARK; these put MARK in the value
     *  that is wrong, for each kind of rule. */
    s_refused (s_with ("subject.name", s_long (201)), "subject.name");
    s_refused (s_with ("subject.birth_date", json_string (MARK "-01-01")), "subject.birth_date");
    s_refused (s_with ("observed_on", json_string (MARK)), "observed_on");
    s_refused (s_with ("subject.bsn", json_string (MARK "12345")), "subject.bsn");
    s_refused (s_with ("category", json_string (MARK)), "category");
    s_refused (s_with ("source.kind", json_string (MARK)), "source.kind");
    s_refused (s_with ("legal_basis", json_string (MARK)), "legal_basis");
    s_refused (s_with ("wpg_basis", json_string (MARK)), "wpg_basis");
    s_refused (s_with ("local_ref", json_string (MARK " x")), "local_ref");
    s_refused (s_with ("melder.contact", json_string (MARK "\x02")), "melder.contact");
    /*  jansson's own messages quote the text near a syntax error. */
    const char *syntax[] = {"{\"subject\": {\"name\": " MARK "}}",
                            "{\"subject\": " MARK "}",
                            "{\"" MARK "\" 1}",
                            "{\"a\": 1" MARK,
                            "{\"a\": 99999999999999999999" MARK "}",
                            "{\"a\": \"" MARK "\\x\"}",
                            "{\"a\": \"" MARK "\\ud800\"}"};
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++)
        s_text_refused (syntax[i], strlen (syntax[i]), "line 1");
}

static void
test_codes_are_checked_against_their_tables (void **state)
{
    (void) state;
    s_refused (s_with ("category", json_string ("Uitingen")), "category: must be 1 to 64 of a-z");
    s_refused (s_with ("category", json_string ("uit ingen")), "category");
    s_accepted (s_with ("category", json_string ("gedrag-2")));
    const char *kinds[] = {"eigen",          "school",
                           "sociale-dienst", "jongerenwerk",
                           "burger",         "aivd-ambtsbericht",
                           "zorg",           "leerplicht",
                           "politie",        "om"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        s_accepted (s_with ("source.kind", json_string (kinds[i])));
    s_refused (s_with ("source.kind", json_string ("School")), "source.kind: not a known");
    s_refused (s_with ("source.kind", json_string ("buurman")), "source.kind: not a known");
    const char *bases[] = {"wpg-16", "wpg-20"};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
        s_accepted (s_with ("legal_basis", json_string (bases[i])));
    json_t *nine = s_with ("legal_basis", json_string ("wpg-18-2"));
    s_put (nine, "wpg_basis", json_string ("art-9-10"));
    s_accepted (nine);
    s_refused (s_with ("legal_basis", json_string ("wpg-99")), "legal_basis: not a known");
    s_refused (s_with ("legal_basis", json_string ("AVG-6-1-E")), "legal_basis: not a known");
    json_t *gem = s_with ("wpg_basis", NULL);
    s_put (gem, "legal_basis", json_string ("wjsg-39f"));
    s_accepted (json_incref (gem));
    s_put (gem, "legal_basis", json_string ("avg-6-1-e"));
    s_accepted (gem);
}

/*  A required text of spaces says nothing; formatting that changes how
 *  the rest reads (bidi overrides, a line separator in one line) is no
 *  text either. */
static void
test_blank_and_reordering_text_is_refused (void **state)
{
    (void) state;
    s_refused (s_with ("subject.name", json_string ("   ")),
               "subject.name: required, must not be blank");
    s_refused (s_with ("subject.name", json_string ("\u00a0\u3000")), "must not be blank");
    s_refused (s_with ("subject.name", json_string ("Test\u2028Persoon")),
               "subject.name: contains U+2028");
    s_refused (s_with ("subject.name", json_string ("Test Persoon\u202e")), "contains U+202E");
    s_refused (s_with ("description", json_string ("Fictief \u2066x\u2069.")), "contains U+2066");
    s_accepted (s_with ("description", json_string ("Regel een\u2028regel twee (fictief).")));
    s_accepted (s_with ("subject.name", json_string ("\u00c9lise Test")));
    /*  New data only: a signal stored before these rules is checked again
     *  (a transfer, a correction of another item) as before. */
    kt_reason_t r = {{0}};
    Keten__Signal *stored = NULL;
    json_t *root = s_with ("subject.name", json_string ("Test Persoon"));
    assert_int_equal (intake_signal_from_object (root, &stored, &r), 0);
    json_decref (root);
    char *was = stored->subject->name;
    stored->subject->name = "Test\u202ePersoon";
    assert_int_equal (intake_signal_check (stored, &r), 0);
    assert_int_equal (intake_signal_new (stored, &r), -1);
    s_reason_has (&r, "U+202E");
    stored->subject->name = "   ";
    assert_int_equal (intake_signal_check (stored, &r), 0);
    assert_int_equal (intake_signal_new (stored, &r), -1);
    stored->subject->name = was;
    intake_signal_destroy (&stored);
}

static void
test_source_anders_without_detail_is_refused (void **state)
{
    (void) state;
    /*  art. 7.2: the original source is always named. */
    json_t *root = s_with ("source.kind", json_string ("anders"));
    s_put (root, "source.detail", NULL);
    s_refused (json_incref (root), "source.detail: required when source.kind is anders");
    s_put (root, "source.detail", json_string ("buurtvereniging"));
    s_accepted (root);
}

static void
test_local_ref_has_a_restricted_form (void **state)
{
    (void) state;
    s_accepted (s_with ("local_ref", json_string ("AB-12/2026.x_y")));
    s_accepted (s_with ("local_ref", NULL));
    s_refused (s_with ("local_ref", json_string ("a b")), "local_ref: must be 1 to 64 of");
    s_refused (s_with ("local_ref", json_string ("zaak:1")), "local_ref");
    s_refused (s_with ("local_ref", json_string ("\xc3\xa9")), "local_ref");
    s_refused (s_with ("local_ref", json_string ("")), "local_ref: empty");
    char ref[66];
    memset (ref, 'R', sizeof ref);
    ref[64] = '\0';
    s_accepted (s_with ("local_ref", json_string (ref)));
    ref[64] = 'R';
    ref[65] = '\0';
    s_refused (s_with ("local_ref", json_string (ref)), "local_ref");
}

static void
test_wpg_basis_without_wpg_legal_basis_is_refused (void **state)
{
    (void) state;
    /*  Police data is processed under the Wpg (Wpg besluit;
     *  docs/SIGNAL-FORMAT.md, "Wpg basis"). */
    json_t *root = s_with ("wpg_basis", json_string ("art-9-10"));
    s_put (root, "legal_basis", json_string ("avg-6-1-e"));
    s_refused (json_incref (root), "legal_basis: wpg_basis is set");
    s_put (root, "legal_basis", json_string ("wjsg-39f"));
    s_refused (json_incref (root), "legal_basis: wpg_basis is set");
    s_put (root, "legal_basis", json_string ("wpg-20"));
    s_accepted (json_incref (root));
    s_put (root, "wpg_basis", json_string ("art-8-13"));
    s_put (root, "legal_basis", json_string ("avg-6-1-e"));
    s_refused (json_incref (root), "legal_basis");
    s_put (root, "wpg_basis", json_string ("none"));
    s_accepted (json_incref (root));
    /*  wpg-18-2 is art. 9/10 Wpg data's basis: only on a signal marked
     *  art-9-10, which the police node holds until its release. */
    s_put (root, "legal_basis", json_string ("wpg-18-2"));
    s_refused (json_incref (root), "wpg_basis must be art-9-10");
    s_put (root, "wpg_basis", json_string ("art-8-13"));
    s_refused (json_incref (root), "wpg_basis must be art-9-10");
    /*  A signal stored before this rule is checked again as before (a
     *  correction of another item, a transfer): only new data is held
     *  to it. */
    s_put (root, "wpg_basis", json_string ("art-9-10"));
    kt_reason_t stored_reason = {{0}};
    Keten__Signal *stored = NULL;
    assert_int_equal (intake_signal_from_object (root, &stored, &stored_reason), 0);
    stored->wpg_basis = KETEN__WPG_BASIS__WPG_ART_8_13;
    assert_int_equal (intake_signal_check (stored, &stored_reason), 0);
    assert_int_equal (items_wpg_held (stored, &stored_reason), -1);
    intake_signal_destroy (&stored);
    s_put (root, "wpg_basis", json_string ("art-8-13"));
    s_put (root, "legal_basis", json_string ("wpg-20"));
    json_t *item = json_pack ("[{s:s, s:s, s:s}]", "kind", "fact", "text", "Feit (fictief).",
                              "legal_basis", "wpg-18-2");
    s_put (root, "items", item);
    s_refused (json_incref (root), "items[0].legal_basis: wpg-18-2 is the basis of art. 9/10");
    json_decref (root);
    /*  Nor in an answer or a contribution: they are never held. */
    Keten__SignalItem one = KETEN__SIGNAL_ITEM__INIT, *items[1] = {&one};
    one.kind = KETEN__ITEM_KIND__FACT;
    one.text = "Feit (fictief).";
    kt_reason_t reason = {{0}};
    assert_int_equal (items_check_contribution (items, 1, "wpg-18-2", "an answer", &reason), -1);
    s_reason_has (&reason, "wpg-18-2 is the basis of art. 9/10");
    assert_int_equal (items_check_contribution (items, 1, "wpg-20", "an answer", &reason), 0);
    one.legal_basis = "wpg-18-2";
    assert_int_equal (items_check_contribution (items, 1, "wpg-20", "a contribution", &reason), -1);
    /*  Police data only from the police, whatever the item says. */
    roster_member_t politie = {.id = "politie-test", .kind = "politie"};
    roster_member_t gemeente = {.id = "gemeente-test", .kind = "gemeente"};
    one.legal_basis = "";
    assert_int_equal (items_wpg_from (&politie, "wpg-20", items, 1, &reason), 0);
    assert_int_equal (items_wpg_from (&gemeente, "avg-6-1-e", items, 1, &reason), 0);
    assert_int_equal (items_wpg_from (&gemeente, "wpg-20", items, 1, &reason), -1);
    s_reason_has (&reason, "gemeente-test is not the police");
    one.legal_basis = "wpg-16";
    assert_int_equal (items_wpg_from (&gemeente, "avg-6-1-e", items, 1, &reason), -1);
}

/*  Replace one string of a checked signal, check, and put it back (the
 *  signal owns the original). */
static void
s_check_refuses (Keten__Signal *signal, char **member, const char *value, const char *needle)
{
    char *saved = *member;
    *member = (char *) value;
    kt_reason_t reason = {{0}};
    assert_int_equal (intake_signal_check (signal, &reason), -1);
    s_reason_has (&reason, needle);
    *member = saved;
    assert_int_equal (intake_signal_check (signal, &reason), 0);
}

static void
test_protobuf_signal_is_held_to_the_same_rules (void **state)
{
    (void) state;
    Keten__Signal *signal = NULL;
    kt_reason_t reason;
    assert_int_equal (intake_signal_from_json (s_valid, strlen (s_valid), &signal, &reason), 0);
    s_check_refuses (signal, &signal->subject->name, "", "subject.name: required");
    s_check_refuses (signal, &signal->subject->name, NULL, "subject.name: required");
    s_check_refuses (signal, &signal->subject->name, MARK "\x01", "subject.name: contains");
    s_check_refuses (signal, &signal->subject->name, MARK "\xc0\x80",
                     "subject.name: not valid UTF-8");
    s_check_refuses (signal, &signal->subject->birth_date, "2023-02-29", "subject.birth_date");
    s_check_refuses (signal, &signal->subject->bsn, "123456789", "subject.bsn");
    s_check_refuses (signal, &signal->melder->contact, "", "melder.contact: required");
    s_check_refuses (signal, &signal->source_kind, "", "source.kind: required");
    s_check_refuses (signal, &signal->legal_basis, "avg-6-1-e", "legal_basis: wpg_basis is set");
    s_check_refuses (signal, &signal->local_ref, "a b", "local_ref");
    s_check_refuses (signal, &signal->category, "X", "category");
    /*  The police node's own fields (art. 7.2a, Wpg besluit art. 2c):
     *  absent, or a name that is not blank. */
    char long_name[INTAKE_NAME_MAX + 2];
    memset (long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    s_check_refuses (signal, &signal->representative, "  ", "representative: must be");
    s_check_refuses (signal, &signal->confirmed_by, long_name, "confirmed_by: must be");
    s_check_refuses (signal, &signal->om_officer, "a\nb", "om_officer: must be");
    s_check_refuses (signal, &signal->bevoegd_functionaris, "\xc2\xa0", "bevoegd_functionaris");
    s_check_refuses (signal, &signal->released_by, "\xc0\x80", "released_by: must be");
    /*  Who confirmed or released goes into the provenance log: an OS
     *  user name, never a person's name. */
    s_check_refuses (signal, &signal->confirmed_by, "Piet Jansen", "confirmed_by: must be an OS");
    s_check_refuses (signal, &signal->released_by, "Piet Jansen", "released_by: must be an OS");
    /*  and the JSON form cannot set them: they are the node's, not the
     *  sender's. */
    s_refused (s_with ("representative", json_string ("Iemand")), "unknown key \"representative\"");

    signal->wpg_basis = (Keten__WpgBasis) 7;
    assert_int_equal (intake_signal_check (signal, &reason), -1);
    s_reason_has (&reason, "wpg_basis");
    assert_null (intake_signal_to_object (signal));
    signal->wpg_basis = KETEN__WPG_BASIS__WPG_ART_9_10;

    Keten__Subject *subject = signal->subject;
    signal->subject = NULL;
    assert_int_equal (intake_signal_check (signal, &reason), -1);
    s_reason_has (&reason, "subject: required");
    signal->subject = subject;
    Keten__Melder *melder = signal->melder;
    signal->melder = NULL;
    assert_int_equal (intake_signal_check (signal, &reason), -1);
    s_reason_has (&reason, "melder: required");
    json_t *partial = intake_signal_to_object (signal);
    assert_non_null (partial);
    assert_null (json_object_get (partial, "melder"));
    json_decref (partial);
    signal->melder = melder;
    assert_int_equal (intake_signal_check (NULL, &reason), -1);
    assert_null (intake_signal_to_object (NULL));

    /*  An unchecked protobuf string that is not UTF-8 has no JSON form. */
    char *saved = signal->description;
    signal->description = (char *) "bad \xff";
    assert_null (intake_signal_to_object (signal));
    signal->description = saved;
    intake_signal_destroy (&signal);

    /*  An empty protobuf (all defaults) decodes and is refused. */
    Keten__Signal *empty = keten__signal__unpack (NULL, 0, (const uint8_t *) "");
    assert_non_null (empty);
    assert_int_equal (intake_signal_check (empty, &reason), -1);
    s_reason_has (&reason, "subject: required");
    intake_signal_destroy (&empty);
}

/*  xorshift64*: fixed seed, the same inputs on every run. */
static uint64_t s_rng = 0x6b6574656e2d3031ull;

static uint32_t
s_rand (uint32_t n)
{
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return (uint32_t) ((s_rng * 0x2545f4914f6cdd1dull) >> 32) % n;
}

/*  Whatever the outcome, it must be consistent: a refusal leaves no
 *  signal and says why; an accepted signal passes the check and comes
 *  back from its own JSON form. */
static void
s_feed (const char *buf, size_t len, int *accepted)
{
    Keten__Signal *signal = (Keten__Signal *) 1;
    kt_reason_t reason = {{0}};
    if (intake_signal_from_json (buf, len, &signal, &reason) != 0) {
        assert_null (signal);
        assert_true (reason.text[0] != '\0');
        return;
    }
    (*accepted)++;
    assert_int_equal (intake_signal_check (signal, &reason), 0);
    json_t *obj = intake_signal_to_object (signal);
    assert_non_null (obj);
    Keten__Signal *again = NULL;
    assert_int_equal (intake_signal_from_object (obj, &again, &reason), 0);
    json_t *obj2 = intake_signal_to_object (again);
    assert_true (json_equal (obj, obj2));
    json_decref (obj);
    json_decref (obj2);
    intake_signal_destroy (&again);
    intake_signal_destroy (&signal);
}

static void
test_arbitrary_input_never_crashes_or_leaks (void **state)
{
    (void) state;
    static const char alphabet[] = "{}[]\":,.-0123456789 \\untrfalse\x01\xc3\xa9\xff";
    char buf[4096];
    int accepted = 0;
    for (int i = 0; i < 2000; i++) {
        size_t len = s_rand (400);
        bool json_ish = i % 2;
        for (size_t k = 0; k < len; k++)
            buf[k] = json_ish ? alphabet[s_rand (sizeof alphabet - 1)] : (char) s_rand (256);
        s_feed (buf, len, &accepted);
    }
    size_t base = strlen (s_valid);
    for (int i = 0; i < 2000; i++) {
        memcpy (buf, s_valid, base);
        size_t len = base;
        int edits = 1 + (int) s_rand (4);
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = s_rand ((uint32_t) len);
            switch (s_rand (5)) {
            case 0: /* flip one bit */
                buf[at] = (char) (buf[at] ^ (1 << s_rand (8)));
                break;
            case 1: /* replace with a random byte */
                buf[at] = (char) s_rand (256);
                break;
            case 2: { /* delete a span */
                size_t n = 1 + s_rand (16);
                if (n > len - at)
                    n = len - at;
                memmove (buf + at, buf + at + n, len - at - n);
                len -= n;
                break;
            }
            case 3: /* insert a byte */
                if (len < sizeof buf - 1) {
                    memmove (buf + at + 1, buf + at, len - at);
                    buf[at] = alphabet[s_rand (sizeof alphabet - 1)];
                    len++;
                }
                break;
            default: { /* duplicate a span */
                size_t n = 1 + s_rand (32);
                if (n > len - at)
                    n = len - at;
                if (len + n < sizeof buf) {
                    memmove (buf + at + n, buf + at, len - at);
                    len += n;
                }
                break;
            }
            }
        }
        s_feed (buf, len, &accepted);
    }
    /*  Some mutations (inside free text) must still be valid signals, or
     *  the mutator is not reaching the checks. */
    assert_true (accepted > 0);
}

/* ---- items (docs/SIGNAL-FORMAT.md, "Items") ------------------------------- */

static json_t *
s_with_items (const char *items_json)
{
    json_error_t err;
    json_t *items = json_loads (items_json, 0, &err);
    if (!items)
        fail_msg ("items do not parse: %s", err.text);
    return s_with ("items", items);
}

static void
test_items_round_trip_facts_opinions_counter_indications_and_diagnoses (void **state)
{
    (void) state;
    json_t *root = s_with_items (
        "[{\"kind\": \"fact\", \"text\": \"Said X in class.\"},"
        " {\"kind\": \"opinion\", \"of\": \"mentor\", \"text\": \"Worried.\"},"
        " {\"kind\": \"counter-indication\", \"text\": \"Still attends school.\"},"
        " {\"kind\": \"diagnosis\", \"text\": \"ADHD\", \"qualified_professional\": false,"
        "  \"special_category\": true, \"legal_basis\": \"wpg-20\"}]");
    kt_reason_t reason = {{0}};
    Keten__Signal *signal = NULL;
    if (intake_signal_from_object (root, &signal, &reason) != 0)
        fail_msg ("refused: %s", reason.text);
    assert_int_equal (signal->n_items, 4);
    assert_int_equal (signal->items[1]->kind, KETEN__ITEM_KIND__OPINION);
    assert_string_equal (signal->items[1]->opinion_of, "mentor");
    assert_int_equal (signal->items[3]->kind, KETEN__ITEM_KIND__DIAGNOSIS);
    assert_false (signal->items[3]->qualified_professional);
    char label[96];
    assert_string_equal (items_label (signal->items[1], label, sizeof label), "Mening (mentor)");
    items_label (signal->items[3], label, sizeof label);
    assert_non_null (strstr (label, "NIET door gekwalificeerde"));
    json_t *back = intake_signal_to_object (signal);
    assert_true (json_equal (back, root));
    json_decref (back);
    intake_signal_destroy (&signal);
    json_decref (root);
}

static void
test_opinion_must_say_whose_it_is (void **state)
{
    (void) state;
    s_refused (s_with_items ("[{\"kind\": \"opinion\", \"text\": \"Worried.\"}]"),
               "items[0].of: an opinion says whose");
    s_refused (s_with_items ("[{\"kind\": \"fact\", \"of\": \"x\", \"text\": \"y\"}]"),
               "items[0].of: only an opinion");
}

static void
test_diagnosis_says_whether_a_qualified_professional_made_it (void **state)
{
    (void) state;
    s_refused (s_with_items ("[{\"kind\": \"diagnosis\", \"text\": \"x\","
                             " \"special_category\": true}]"),
               "qualified_professional: required for a diagnosis");
    s_refused (s_with_items ("[{\"kind\": \"fact\", \"text\": \"x\","
                             " \"qualified_professional\": true}]"),
               "only for a diagnosis");
    /*  Health data is a special category. */
    s_refused (s_with_items ("[{\"kind\": \"diagnosis\", \"text\": \"x\","
                             " \"qualified_professional\": true}]"),
               "a diagnosis is health data");
}

static void
test_item_flags_and_basis_must_fit_the_signal (void **state)
{
    (void) state;
    json_t *root = s_with_items ("[{\"kind\": \"fact\", \"text\": \"x\","
                                 " \"criminal_data\": true}]");
    s_put (root, "criminal_data", json_false ());
    s_refused (root, "criminal_data: an item is criminal data");
    /*  The valid example is police data: every item needs a Wpg basis. */
    s_refused (s_with_items ("[{\"kind\": \"fact\", \"text\": \"x\","
                             " \"legal_basis\": \"avg-6-1-e\"}]"),
               "police data needs a Wpg basis");
    s_refused (s_with_items ("[{\"kind\": \"fact\", \"text\": \"x\","
                             " \"legal_basis\": \"nope\"}]"),
               "not a known legal basis");
    s_refused (s_with_items ("[{\"kind\": \"rumour\", \"text\": \"x\"}]"),
               "items[0].kind");
    s_refused (s_with_items ("[{\"kind\": \"fact\", \"text\": \"\"}]"), "items[0].text");
    s_refused (s_with_items ("[{\"kind\": \"fact\", \"text\": \"x\", \"colour\": 1}]"),
               "items[0]: unknown key");
    s_refused (s_with_items ("{}"), "items: must be an array");
}

static void
test_legal_bases_limit_onward_sharing (void **state)
{
    (void) state;
    /*  art. 10.5 (docs/SIGNAL-FORMAT.md, "Legal bases"): police and judicial
     *  data stay within the convenant parties; gemeente data may reach an
     *  externe casuspartner. */
    assert_true (intake_basis_allows ("wpg-16", INTAKE_PURPOSE_WEEGPLOEG));
    assert_true (intake_basis_allows ("wpg-16", INTAKE_PURPOSE_CASUSOVERLEG));
    assert_false (intake_basis_allows ("wpg-16", INTAKE_PURPOSE_EXTERN));
    assert_false (intake_basis_allows ("wjsg-39f", INTAKE_PURPOSE_EXTERN));
    assert_true (intake_basis_allows ("avg-6-1-e", INTAKE_PURPOSE_EXTERN));
    assert_false (intake_basis_allows ("unknown", INTAKE_PURPOSE_WEEGPLOEG));
}

static void
test_wpg_18_2_data_goes_to_the_weegploeg_only (void **state)
{
    (void) state;
    /*  Convenant art. 6b, Wpg art. 16 and 18(2): art. 9/10 Wpg data go to
     *  the college of the gemeente and the OM, who sit in the weegploeg;
     *  not to the casusoverleg (RvdK, Reclassering) nor to an extern. */
    assert_true (intake_basis_allows ("wpg-18-2", INTAKE_PURPOSE_WEEGPLOEG));
    assert_false (intake_basis_allows ("wpg-18-2", INTAKE_PURPOSE_CASUSOVERLEG));
    assert_false (intake_basis_allows ("wpg-18-2", INTAKE_PURPOSE_EXTERN));
}

static void
test_art_10_1_b_wpg_data_is_refused_at_intake (void **state)
{
    (void) state;
    /*  The machtigingsbesluit covers art. 9 and 10(1)(a) and (c) Wpg only. */
    json_t *root = s_with ("wpg_basis", json_string ("art-10-1-b"));
    s_put (root, "legal_basis", json_string ("wpg-18-2"));
    s_refused (root, "wpg_basis: art. 10(1)(b) Wpg data");
}

static void
test_officer_names_are_not_blank (void **state)
{
    (void) state;
    assert_true (intake_name_ok ("mr. A. de Officier"));
    assert_true (intake_name_ok (" x "));
    assert_false (intake_name_ok (""));
    assert_false (intake_name_ok (NULL));
    assert_false (intake_name_ok ("   "));
    assert_false (intake_name_ok ("\xc2\xa0 \xe2\x80\x83"));
    assert_false (intake_name_ok ("tab\there"));
    assert_false (intake_name_ok ("line\nbreak"));
    char long_name[INTAKE_NAME_MAX + 2];
    memset (long_name, 'a', sizeof long_name - 1);
    long_name[INTAKE_NAME_MAX + 1] = '\0';
    assert_false (intake_name_ok (long_name));
    long_name[INTAKE_NAME_MAX] = '\0';
    assert_true (intake_name_ok (long_name));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_example_files_are_valid_and_round_trip),
        cmocka_unit_test (test_valid_signal_round_trips_through_to_object_and_protobuf),
        cmocka_unit_test (test_to_object_leaves_out_empty_optional_fields),
        cmocka_unit_test (test_each_required_field_missing_is_refused_naming_it),
        cmocka_unit_test (test_signal_without_melder_is_refused),
        cmocka_unit_test (test_unknown_key_is_refused_naming_it),
        cmocka_unit_test (test_duplicate_key_is_refused),
        cmocka_unit_test (test_wrong_types_are_refused),
        cmocka_unit_test (test_oversize_text_is_refused_before_parsing),
        cmocka_unit_test (test_an_object_larger_than_a_packed_signal_may_be_is_refused),
        cmocka_unit_test (test_over_long_fields_are_refused),
        cmocka_unit_test (test_invalid_dates_are_refused_and_leap_days_accepted),
        cmocka_unit_test (test_birth_date_outside_1900_to_today_is_refused),
        cmocka_unit_test (test_observed_on_more_than_a_day_ahead_is_refused),
        cmocka_unit_test (test_today_is_the_dutch_day_whatever_the_tz),
        cmocka_unit_test (test_observed_on_before_1900_is_refused),
        cmocka_unit_test (test_bsn_must_pass_the_elfproef),
        cmocka_unit_test (
            test_control_characters_are_refused_except_newline_and_tab_in_description),
        cmocka_unit_test (test_invalid_utf8_is_refused),
        cmocka_unit_test (test_reason_never_contains_the_value),
        cmocka_unit_test (test_codes_are_checked_against_their_tables),
        cmocka_unit_test (test_source_anders_without_detail_is_refused),
        cmocka_unit_test (test_blank_and_reordering_text_is_refused),
        cmocka_unit_test (test_local_ref_has_a_restricted_form),
        cmocka_unit_test (test_wpg_basis_without_wpg_legal_basis_is_refused),
        cmocka_unit_test (test_protobuf_signal_is_held_to_the_same_rules),
        cmocka_unit_test (test_arbitrary_input_never_crashes_or_leaks),
        cmocka_unit_test (test_items_round_trip_facts_opinions_counter_indications_and_diagnoses),
        cmocka_unit_test (test_opinion_must_say_whose_it_is),
        cmocka_unit_test (test_diagnosis_says_whether_a_qualified_professional_made_it),
        cmocka_unit_test (test_item_flags_and_basis_must_fit_the_signal),
        cmocka_unit_test (test_legal_bases_limit_onward_sharing),
        cmocka_unit_test (test_wpg_18_2_data_goes_to_the_weegploeg_only),
        cmocka_unit_test (test_art_10_1_b_wpg_data_is_refused_at_intake),
        cmocka_unit_test (test_officer_names_are_not_blank),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
