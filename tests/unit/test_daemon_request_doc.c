/*  The documents of the request desk (art. 12.3, 12.4), parsed: the
 *  overview and the refusal letter are well-formed, self-contained HTML
 *  with a print stylesheet and no script, every sender's text escaped;
 *  they name the recipients and origins with their dates, and never the
 *  melder, the source detail or the name behind an opinion.  Every
 *  person here is fictional.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "intake.h"
#include "rights_doc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t
s_utc (int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (uint64_t) timegm (&tm) * 1000;
}

/*  A small HTML checker: tags nest and close (void elements aside), no
 *  script, no event handler, nothing loaded from elsewhere, no bare '<',
 *  '>' or '&' in text.  Returns NULL when fine, else what is wrong; text
 *  receives the text a reader sees (tags dropped, entities decoded). */
static const char *
s_check_html (const char *html, char *text, size_t len)
{
    static const char *const voids[] = {"meta", "br", "hr", NULL};
    char stack[64][16];
    int depth = 0;
    size_t o = 0;
    if (strncmp (html, "<!DOCTYPE html>\n", 16) != 0)
        return "no doctype";
    if (!strstr (html, "@media print"))
        return "no print stylesheet";
    const char *p = html + 16;
    bool in_style = false;
    while (*p) {
        if (*p == '<') {
            const char *end = strchr (p, '>');
            if (!end)
                return "a tag that does not end";
            bool closing = p[1] == '/';
            const char *name = p + 1 + closing;
            size_t n = 0;
            while (isalnum ((unsigned char) name[n]))
                n++;
            if (n == 0 || n >= 16)
                return "a bare < in the text";
            char tag[16];
            for (size_t i = 0; i < n; i++)
                tag[i] = (char) tolower ((unsigned char) name[i]);
            tag[n] = '\0';
            char attrs[512];
            snprintf (attrs, sizeof attrs, "%.*s", (int) (end - p), p);
            if (!strcmp (tag, "script") || strstr (attrs, " on") || strstr (attrs, "src=") ||
                !strcmp (tag, "link") || !strcmp (tag, "img") || !strcmp (tag, "iframe"))
                return "script or outside content";
            bool is_void = false;
            for (int i = 0; voids[i]; i++)
                is_void = is_void || !strcmp (voids[i], tag);
            if (closing) {
                if (depth == 0 || strcmp (stack[depth - 1], tag) != 0)
                    return "a closing tag that does not match";
                depth--;
            } else if (!is_void) {
                if (depth == 64)
                    return "too deep";
                snprintf (stack[depth++], 16, "%s", tag);
            }
            in_style = !closing && !strcmp (tag, "style");
            p = end + 1;
            continue;
        }
        if (in_style) {
            p++;
            continue;
        }
        if (*p == '>')
            return "a bare > in the text";
        if (*p == '&') {
            static const struct {
                const char *entity;
                char c;
            } ents[] = {
                {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
            size_t i = 0;
            while (i < 5 && strncmp (p, ents[i].entity, strlen (ents[i].entity)) != 0)
                i++;
            if (i == 5)
                return "a bare & in the text";
            if (o + 1 < len)
                text[o++] = ents[i].c;
            p += strlen (ents[i].entity);
            continue;
        }
        if (o + 1 < len)
            text[o++] = *p;
        p++;
    }
    text[o] = '\0';
    return depth ? "an element left open" : NULL;
}

typedef struct {
    Keten__Signal *police, *gemeente;
    rights_item_t items[2];
    rights_recipient_t recipients[2];
    rights_contribution_t contributions[2];
    /*  rvdk-test's netwerk contribution (about someone else) and the
     *  gemeente's informatie about the person. */
    Keten__CaseContribution netwerk, informatie;
    Keten__SignalItem net_item, info_items[2];
    Keten__SignalItem *net_items[1], *info_ptrs[2];
    const char *parties[2];
    rights_doc_t doc;
} fixture_t;

static Keten__Signal *
s_signal (const char *json)
{
    Keten__Signal *s = NULL;
    kt_reason_t r;
    if (intake_signal_from_json (json, strlen (json), &s, &r) != 0)
        fail_msg ("intake: %s", r.text);
    return s;
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f)
        return -1;
    f->police = s_signal (
        "{\"subject\": {\"name\": \"Test Persoon\", \"birth_date\": \"2001-04-12\","
        " \"municipality\": \"Maastricht\", \"bsn\": \"111222333\"},"
        " \"description\": \"</td><script>alert('x')</script> & <b onload=x>\","
        " \"category\": \"uitingen\", \"observed_on\": \"2026-03-28\","
        " \"melder\": {\"name\": \"Agent Geheim\", \"contact\": \"geheim@politie.invalid\"},"
        " \"source\": {\"kind\": \"eigen\", \"detail\": \"wijkagent Jansen\"},"
        " \"legal_basis\": \"wpg-16\"}");
    f->gemeente = s_signal (
        "{\"subject\": {\"name\": \"Test Persoon\", \"birth_date\": \"2001-04-12\","
        " \"municipality\": \"Maastricht\"}, \"description\": \"Zorgen op school.\","
        " \"items\": [{\"kind\": \"opinion\", \"of\": \"mentor Pietersen\", \"text\": "
        "\"Zorgen.\"}],"
        " \"category\": \"uitingen\", \"observed_on\": \"2026-10-20\","
        " \"melder\": {\"name\": \"Medewerker Veiligheid\", \"contact\": \"v@gemeente.invalid\"},"
        " \"source\": {\"kind\": \"school\", \"detail\": \"mentor Pietersen\"},"
        " \"legal_basis\": \"avg-6-1-e\"}");
    /*  Received just before summer time ends: 25 October 2026 00:30 UTC
     *  is 02:30 CEST; sent a day later, confirmed at 01:30 UTC on the
     *  29th of March (03:30 CEST, the first hour of summer time). */
    f->items[0] = (rights_item_t){f->police, "Politie Test (politie-test)",
                                  s_utc (2026, 3, 28, 23, 30), "a1b2c3d4"};
    f->items[1] = (rights_item_t){f->gemeente, "gemeente-maastricht", s_utc (2026, 10, 25, 0, 30),
                                  "e5f60718"};
    f->recipients[0] =
        (rights_recipient_t){s_utc (2026, 3, 29, 0, 30), "agenda van de weegploeg",
                             "Politie Test (politie-test)", s_utc (2026, 3, 29, 1, 30)};
    f->recipients[1] = (rights_recipient_t){s_utc (2026, 11, 2, 9, 0), "besluit van de weegploeg",
                                            "gemeente-maastricht", 0};
    keten__case_contribution__init (&f->netwerk);
    keten__signal_item__init (&f->net_item);
    f->net_item.kind = KETEN__ITEM_KIND__FACT;
    f->net_item.text = "Broer Karel Persoon woont in Heerlen";
    f->net_items[0] = &f->net_item;
    f->netwerk.case_ref = "k-0123456789abcdef";
    f->netwerk.kind = "netwerk";
    f->netwerk.items = f->net_items;
    f->netwerk.n_items = 1;
    f->netwerk.legal_basis = "avg-6-1-e";
    keten__case_contribution__init (&f->informatie);
    for (int i = 0; i < 2; i++) {
        keten__signal_item__init (&f->info_items[i]);
        f->info_ptrs[i] = &f->info_items[i];
    }
    f->info_items[0].kind = KETEN__ITEM_KIND__FACT;
    f->info_items[0].text = "Schuldhulp sinds <mei> & lopend";
    f->info_items[1].kind = KETEN__ITEM_KIND__DIAGNOSIS;
    f->info_items[1].text = "Angststoornis";
    f->info_items[1].opinion_of = "psycholoog Verhoeven";
    f->info_items[1].qualified_professional = true;
    f->info_items[1].legal_basis = "avg-9-2-h";
    f->informatie.case_ref = "k-0123456789abcdef";
    f->informatie.kind = "informatie";
    f->informatie.items = f->info_ptrs;
    f->informatie.n_items = 2;
    f->informatie.legal_basis = "wmo-5-1-3";
    f->contributions[0] =
        (rights_contribution_t){"rvdk-test", s_utc (2026, 11, 3, 9, 0), &f->netwerk};
    f->contributions[1] =
        (rights_contribution_t){"gemeente-maastricht", s_utc (2026, 11, 4, 9, 0), &f->informatie};
    f->parties[0] = "rvdk-test";
    f->parties[1] = "gemeente-maastricht";
    f->doc = (rights_doc_t){.request_id = "r-0123456789abcdef",
                            .kind = "inzage",
                            .received = "2026-11-30",
                            .from = "vertegenwoordiger",
                            .representation = "mentorschap",
                            .controller = "Uitvoerder <Limburg>",
                            .now_ms = s_utc (2026, 12, 3, 12, 0),
                            .items = f->items,
                            .n_items = 2,
                            .in_casus = true,
                            .casus_opened_ms = s_utc (2026, 11, 2, 9, 0),
                            .casus_parties = f->parties,
                            .n_casus_parties = 2,
                            .contributions = f->contributions,
                            .n_contributions = 2,
                            .recipients = f->recipients,
                            .n_recipients = 2};
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    intake_signal_destroy (&f->police);
    intake_signal_destroy (&f->gemeente);
    free (f);
    return 0;
}

static void
s_has (const char *text, const char *want)
{
    if (!strstr (text, want))
        fail_msg ("missing: %s", want);
}

static void
s_lacks (const char *text, const char *never)
{
    if (strstr (text, never))
        fail_msg ("must not show: %s", never);
}

static void
test_the_overview_names_recipients_and_origins_with_their_dates (void **state)
{
    fixture_t *f = *state;
    char *html = NULL, *txt = NULL;
    kt_reason_t r;
    assert_int_equal (rights_overview (&f->doc, &html, &txt, &r), 0);
    static char text[65536];
    const char *bad = s_check_html (html, text, sizeof text);
    if (bad)
        fail_msg ("overview HTML: %s", bad);
    for (int v = 0; v < 2; v++) {
        const char *t = v ? txt : text;
        s_has (t, "Vertrouwelijk");
        s_has (t, "r-0123456789abcdef");
        s_has (t, "30 november 2026");
        s_has (t, "de mentor van betrokkene");
        s_has (t, "Test Persoon");
        s_has (t, "111222333");
        s_has (t, "</td><script>alert('x')</script> & <b onload=x>");
        /*  Dates in Dutch civil time, across both changes of the clocks. */
        s_has (t, "ingebracht door Politie Test (politie-test) op 29 maart 2026");
        s_has (t, "ingebracht door gemeente-maastricht op 25 oktober 2026");
        s_has (t, "29 maart 2026, 01:30");
        s_has (t, "29 maart 2026, 03:30");
        s_has (t, "2 november 2026, 10:00");
        s_has (t, "besluit van de weegploeg");
        s_has (t, "soort bron: school");
        s_has (t, "rvdk-test");
        s_has (t, "3 november 2026");
        s_has (t, "mening van een professional");
        s_has (t, "het bieden van hulp aan achterblijvers");
        s_has (t, "Uitvoerder <Limburg>");
        s_lacks (t, "Agent Geheim");
        s_lacks (t, "geheim@politie.invalid");
        s_lacks (t, "Medewerker Veiligheid");
        s_lacks (t, "v@gemeente.invalid");
        s_lacks (t, "Jansen");
        s_lacks (t, "Pietersen");
    }
    s_lacks (html, "<script");
    s_lacks (html, "<b onload");
    free (html);
    free (txt);
}

static void
test_the_overview_shows_information_contributions_and_describes_others (void **state)
{
    fixture_t *f = *state;
    char *html = NULL, *txt = NULL;
    kt_reason_t r;
    assert_int_equal (rights_overview (&f->doc, &html, &txt, &r), 0);
    static char text[65536];
    const char *bad = s_check_html (html, text, sizeof text);
    if (bad)
        fail_msg ("overview HTML: %s", bad);
    for (int v = 0; v < 2; v++) {
        const char *t = v ? txt : text;
        /*  informatie: its items, by kind, with party, date and basis. */
        s_has (t, "Schuldhulp sinds <mei> & lopend");
        s_has (t, "Angststoornis");
        s_has (t, "diagnose (door een bevoegde professional)");
        s_has (t, "avg-9-2-h");
        s_has (t, "wmo-5-1-3");
        s_has (t, "4 november 2026");
        s_lacks (t, "Verhoeven"); /* an opinion by role, never by name */
        /*  netwerk: that it is there, nothing that identifies anyone. */
        s_has (t, "een bijdrage over een persoon uit uw omgeving, van rvdk-test op 3 november "
                  "2026");
        s_lacks (t, "Karel");
        s_lacks (t, "Heerlen");
        s_lacks (t, "gearchiveerd");
    }
    s_lacks (html, "<mei>");
    free (html);
    free (txt);
}

static void
test_an_archived_subject_s_signals_are_shown_marked_archived (void **state)
{
    fixture_t *f = *state;
    f->doc.archived = true;
    f->doc.casus_archived = true;
    char *html = NULL, *txt = NULL;
    kt_reason_t r;
    assert_int_equal (rights_overview (&f->doc, &html, &txt, &r), 0);
    static char text[65536];
    assert_null (s_check_html (html, text, sizeof text));
    for (int v = 0; v < 2; v++) {
        const char *t = v ? txt : text;
        s_has (t, "Melding 1 (kenmerk a1b2c3d4) - gearchiveerd");
        s_has (t, "gearchiveerd, alleen nog raadpleegbaar door de kernpartijen");
        s_has (t, "</td><script>alert('x')</script> & <b onload=x>");
        s_has (t, "Zorgen op school.");
        s_has (t, "Bijdrage 2 - gearchiveerd");
        s_has (t, "Schuldhulp sinds <mei> & lopend");
        s_lacks (t, "Karel");
        s_lacks (t, "Agent Geheim");
    }
    s_lacks (html, "<script");
    free (html);
    free (txt);
}

static void
test_a_partial_overview_says_that_items_are_withheld (void **state)
{
    fixture_t *f = *state;
    f->doc.items = &f->items[1];
    f->doc.n_items = 1;
    f->doc.n_withheld = 1;
    char *html = NULL, *txt = NULL;
    kt_reason_t r;
    assert_int_equal (rights_overview (&f->doc, &html, &txt, &r), 0);
    static char text[65536];
    assert_null (s_check_html (html, text, sizeof text));
    s_has (text, "Een deel van de gegevens staat niet in dit overzicht");
    s_lacks (text, "ingebracht door Politie Test");
    s_lacks (txt, "111222333");
    free (html);
    free (txt);
}

static void
test_the_refusal_letter_names_the_ground_and_the_motivation (void **state)
{
    fixture_t *f = *state;
    const rights_ground_t *g = rights_ground_find ("41-1-d");
    assert_non_null (g);
    assert_null (rights_ground_find ("41-1-k"));
    assert_null (rights_ground_find (NULL));
    assert_int_equal (rights_n_grounds, 10);
    char *html = NULL, *txt = NULL;
    kt_reason_t r;
    const char *why = "Een lopend onderzoek <zou> worden geschaad & dat weegt zwaarder.";
    assert_int_equal (rights_refusal (&f->doc, g, why, false, &html, &txt, &r), 0);
    static char text[65536];
    const char *bad = s_check_html (html, text, sizeof text);
    if (bad)
        fail_msg ("letter HTML: %s", bad);
    for (int v = 0; v < 2; v++) {
        const char *t = v ? txt : text;
        s_has (t, "Vertrouwelijk");
        s_has (t, "weigering");
        s_has (t, "Artikel 41, eerste lid, onderdeel d");
        s_has (t, "opsporing en de vervolging van strafbare feiten");
        s_has (t, why);
        s_has (t, "Autoriteit Persoonsgegevens");
        s_lacks (t, "Test Persoon"); /* the letter holds no data */
        s_lacks (t, "gedeeltelijk");
    }
    free (html);
    free (txt);
    assert_int_equal (rights_refusal (&f->doc, g, why, true, &html, &txt, &r), 0);
    s_has (txt, "gedeeltelijk ingewilligd");
    free (html);
    free (txt);
}

/*  The overview stops once past its bound (the most one answer of the
 *  local API carries), keeping nothing; within it, it is the same. */
static void
test_the_overview_stops_past_its_bound (void **state)
{
    fixture_t *f = *state;
    char *html = NULL, *txt = NULL;
    kt_reason_t r;
    assert_int_equal (rights_overview (&f->doc, &html, &txt, &r), 0);
    size_t whole = strlen (html) + strlen (txt);
    char *html0 = html, *txt0 = txt;
    html = txt = NULL;
    f->doc.max_bytes = whole;
    assert_int_equal (rights_overview (&f->doc, &html, &txt, &r), 0);
    assert_string_equal (html, html0);
    assert_string_equal (txt, txt0);
    free (html);
    free (txt);
    html = txt = NULL;
    f->doc.max_bytes = whole / 4;
    assert_int_equal (rights_overview (&f->doc, &html, &txt, &r), RIGHTS_TOO_LARGE);
    assert_null (html);
    assert_null (txt);
    char want[64];
    snprintf (want, sizeof want, "grew past %zu bytes", whole / 4);
    s_has (r.text, want);
    free (html0);
    free (txt0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_the_overview_names_recipients_and_origins_with_their_dates, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_the_overview_shows_information_contributions_and_describes_others, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_an_archived_subject_s_signals_are_shown_marked_archived, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_partial_overview_says_that_items_are_withheld,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_the_refusal_letter_names_the_ground_and_the_motivation, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_overview_stops_past_its_bound, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
