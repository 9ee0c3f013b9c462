/*  rights_doc: the overview (art. 12.3) and the refusal letter (12.4). */
#include "rights_doc.h"
#include "calendar.h"
#include "request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  art. 41 lid 1 UAVG, kept as data: the desk picks one by code, the
 *  letter quotes it. */
const rights_ground_t rights_grounds[] = {
    {"41-1-a", "de nationale veiligheid"},
    {"41-1-b", "landsverdediging"},
    {"41-1-c", "de openbare veiligheid"},
    {"41-1-d",
     "de voorkoming, het onderzoek, de opsporing en de vervolging van strafbare feiten of "
     "de tenuitvoerlegging van straffen, met inbegrip van de bescherming tegen en de "
     "voorkoming van gevaren voor de openbare veiligheid"},
    {"41-1-e",
     "andere belangrijke doelstellingen van algemeen belang van de Unie of van Nederland, "
     "met name een belangrijk economisch of financieel belang van de Unie of van "
     "Nederland, met inbegrip van monetaire, budgettaire en fiscale aangelegenheden, "
     "volksgezondheid en sociale zekerheid"},
    {"41-1-f", "de bescherming van de onafhankelijkheid van de rechter en van gerechtelijke "
               "procedures"},
    {"41-1-g", "de voorkoming, het onderzoek, de opsporing en de vervolging van schendingen van de "
               "beroepscodes voor gereglementeerde beroepen"},
    {"41-1-h",
     "een taak op het gebied van toezicht, inspectie of regelgeving die, zelfs incidenteel, "
     "verband houdt met de uitoefening van het openbaar gezag in de gevallen bedoeld in "
     "de onderdelen a, b, c, d, e en g"},
    {"41-1-i", "de bescherming van de betrokkene of van de rechten en vrijheden van anderen"},
    {"41-1-j", "de inning van civielrechtelijke vorderingen"},
};
const size_t rights_n_grounds = sizeof rights_grounds / sizeof rights_grounds[0];

const rights_ground_t *
rights_ground_find (const char *code)
{
    for (size_t i = 0; code && i < rights_n_grounds; i++)
        if (strcmp (rights_grounds[i].code, code) == 0)
            return &rights_grounds[i];
    return NULL;
}

/*  art. 3 of the convenant: what the processing is for. */
static const char *const s_purposes[] = {
    "het tegengaan van radicalisering (deradicalisering);",
    "het bevorderen van gedragsverandering;",
    "het beperken van veiligheidsrisico's;",
    "het voorkomen van uitreizen naar een strijdgebied;",
    "het bieden van zorg;",
    "het bieden van hulp aan achterblijvers.",
};

/*  Both versions of a document, written side by side. */
typedef struct {
    FILE *h, *t;
    char *hbuf, *tbuf;
    size_t hlen, tlen;
} doc_t;

static int
s_open (doc_t *d, const char *title, kt_reason_t *reason)
{
    memset (d, 0, sizeof *d);
    d->h = open_memstream (&d->hbuf, &d->hlen);
    d->t = open_memstream (&d->tbuf, &d->tlen);
    if (!d->h || !d->t) {
        if (d->h)
            fclose (d->h);
        free (d->hbuf);
        return kt_fail (reason, "out of memory");
    }
    return 0;
    (void) title;
}

void
rights_doc_escape (FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs ("&amp;", f);
            break;
        case '<':
            fputs ("&lt;", f);
            break;
        case '>':
            fputs ("&gt;", f);
            break;
        case '"':
            fputs ("&quot;", f);
            break;
        case '\'':
            fputs ("&#39;", f);
            break;
        default:
            fputc (*s, f);
        }
    }
}

static const char *const s_months[] = {"januari",   "februari", "maart",    "april",
                                       "mei",       "juni",     "juli",     "augustus",
                                       "september", "oktober",  "november", "december"};

void
rights_doc_day (char out[32], const char *day)
{
    int y, m, d;
    if (!day || sscanf (day, "%d-%d-%d", &y, &m, &d) != 3 || m < 1 || m > 12)
        snprintf (out, 32, "%s", day ? day : "");
    else
        snprintf (out, 32, "%d %s %d", d, s_months[m - 1], y);
}

/*  Dutch local date of ms, "3 december 2026". */
static void
s_date_nl (char out[32], uint64_t ms)
{
    char day[11];
    kt_local_date (ms, day);
    rights_doc_day (out, day);
}

/*  "3 december 2026, 14:05" (Dutch local time). */
static void
s_time_nl (char out[48], uint64_t ms)
{
    char t[17], d[32];
    kt_local_time (ms, t);
    s_date_nl (d, ms);
    snprintf (out, 48, "%s, %s", d, t + 11);
}

static const char s_style[] =
    "body{font-family:Georgia,'Times New Roman',serif;max-width:46em;margin:2em auto;"
    "padding:0 1em;line-height:1.45;color:#111}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #999}"
    "h3{font-size:1.05em}table{border-collapse:collapse;width:100%;margin:.5em 0}"
    "th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}"
    "th{background:#eee;width:30%}.vertrouwelijk{font-weight:bold;letter-spacing:.2em;"
    "text-transform:uppercase;color:#900;border:2px solid #900;display:inline-block;"
    "padding:.1em .6em}.meta{color:#333}"
    "@media print{body{margin:0;max-width:none;font-size:11pt}"
    ".vertrouwelijk{color:#000;border-color:#000}h2{page-break-after:avoid}"
    "table,tr{page-break-inside:avoid}"
    "@page{margin:2cm;@top-center{content:'Vertrouwelijk'}}}";

static void
s_head (doc_t *d, const char *title)
{
    fputs ("<!DOCTYPE html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\">\n<title>", d->h);
    rights_doc_escape (d->h, title);
    fprintf (d->h, "</title>\n<style>%s</style>\n</head>\n<body>\n", s_style);
    fputs ("<p class=\"vertrouwelijk\">Vertrouwelijk</p>\n<h1>", d->h);
    rights_doc_escape (d->h, title);
    fputs ("</h1>\n", d->h);
    fprintf (d->t, "*** Vertrouwelijk ***\n\n%s\n", title);
    for (size_t i = strlen (title); i > 0; i--)
        fputc ('=', d->t);
    fputs ("\n\n", d->t);
}

static void
s_h2 (doc_t *d, const char *title)
{
    fputs ("<h2>", d->h);
    rights_doc_escape (d->h, title);
    fputs ("</h2>\n", d->h);
    fprintf (d->t, "\n%s\n", title);
    for (size_t i = strlen (title); i > 0; i--)
        fputc ('-', d->t);
    fputs ("\n", d->t);
}

/*  A paragraph of our own words (fmt) in both versions; %s arguments are
 *  escaped in the HTML. */
static void __attribute__ ((format (printf, 2, 3))) s_p (doc_t *d, const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;
    va_start (ap, fmt);
    int n = vasprintf (&text, fmt, ap);
    va_end (ap);
    if (n < 0)
        return;
    fputs ("<p>", d->h);
    rights_doc_escape (d->h, text);
    fputs ("</p>\n", d->h);
    fprintf (d->t, "%s\n\n", text);
    free (text);
}

static void
s_table_open (doc_t *d)
{
    fputs ("<table>\n", d->h);
}

static void
s_table_close (doc_t *d)
{
    fputs ("</table>\n", d->h);
    fputs ("\n", d->t);
}

/*  One row "label: value" (value escaped; "" shows as "-"). */
static void
s_row (doc_t *d, const char *label, const char *value)
{
    const char *v = value && *value ? value : "-";
    fputs ("<tr><th>", d->h);
    rights_doc_escape (d->h, label);
    fputs ("</th><td>", d->h);
    rights_doc_escape (d->h, v);
    fputs ("</td></tr>\n", d->h);
    fprintf (d->t, "  %-28s %s\n", label, v);
}

static int
s_close (doc_t *d, char **html, char **txt, kt_reason_t *reason)
{
    fputs ("</body>\n</html>\n", d->h);
    int bad = ferror (d->h) || ferror (d->t);
    bad |= fclose (d->h) != 0;
    bad |= fclose (d->t) != 0;
    if (bad || !d->hbuf || !d->tbuf) {
        free (d->hbuf);
        free (d->tbuf);
        return kt_fail (reason, "out of memory writing the document");
    }
    *html = d->hbuf;
    *txt = d->tbuf;
    return 0;
}

/*  True when d has grown past max bytes, HTML and text together (0: no
 *  bound).  The sizes are those of the last flush. */
static bool
s_past (doc_t *d, size_t max)
{
    if (!max)
        return false;
    fflush (d->h);
    fflush (d->t);
    return d->hlen + d->tlen > max;
}

/*  Give up d: what it holds is freed. */
static void
s_discard (doc_t *d)
{
    fclose (d->h);
    fclose (d->t);
    free (d->hbuf);
    free (d->tbuf);
}

static const char *
s_yes (bool b)
{
    return b ? "ja" : "nee";
}

static const char *
s_item_kind (Keten__ItemKind k)
{
    switch (k) {
    case KETEN__ITEM_KIND__FACT:
        return "feit";
    case KETEN__ITEM_KIND__OPINION:
        return "mening van een professional";
    case KETEN__ITEM_KIND__COUNTER_INDICATION:
        return "tegenindicatie";
    case KETEN__ITEM_KIND__DIAGNOSIS:
        return "diagnose";
    default:
        return "gegeven";
    }
}

/*  Who asked, and for whom (a representative). */
static void
s_intro (doc_t *d, const rights_doc_t *doc)
{
    const char *kind =
        !strcmp (doc->kind, "inzage") ? "inzage (artikel 12 van het convenant, artikel 15 AVG)"
        : !strcmp (doc->kind, "correctie")
            ? "correctie of aanvulling (artikel 12.5 van het convenant, artikel 16 AVG)"
        : !strcmp (doc->kind, "verwijdering")
            ? "verwijdering (artikel 12.5 van het convenant, artikel 17 AVG)"
        : !strcmp (doc->kind, "afscherming")
            ? "afscherming (artikel 12.5 van het convenant, artikel 18 AVG)"
            : "verzet (artikel 21 AVG)";
    char received[32], today[32];
    rights_doc_day (received, doc->received);
    s_date_nl (today, doc->now_ms);
    s_table_open (d);
    s_row (d, "Kenmerk", doc->request_id);
    s_row (d, "Soort verzoek", kind);
    s_row (d, "Verzoek ontvangen op", received);
    s_row (d, "Datum van dit document", today);
    s_row (d, "Opgesteld door", doc->controller);
    if (strcmp (doc->from, "vertegenwoordiger") == 0) {
        const char *r = doc->representation;
        s_row (d, "Verzoek gedaan door",
               !strcmp (r, "minderjarige")
                   ? "een wettelijk vertegenwoordiger (betrokkene is jonger "
                     "dan 16 jaar)"
               : !strcmp (r, "curatele")    ? "de curator van betrokkene"
               : !strcmp (r, "mentorschap") ? "de mentor van betrokkene"
                                            : "een vertegenwoordiger");
    } else
        s_row (d, "Verzoek gedaan door", "betrokkene zelf");
    s_table_close (d);
}

static const char s_archived_note[] = "gearchiveerd, alleen nog raadpleegbaar door de kernpartijen";

/*  One item of a signal or a contribution: its kind (an opinion as a
 *  professional's, never by name), the qualified-professional flag of a
 *  diagnosis, its text, and its legal basis when it has one of its own. */
static void
s_item (doc_t *d, const Keten__SignalItem *item, size_t i)
{
    char label[200];
    /*  A deleted item holds nothing; a blocked one is still held, shown
     *  to nobody but the person (art. 12.3, 12.5). */
    if (item->deleted)
        return;
    snprintf (label, sizeof label, "Onderdeel %zu: %s%s%s", i + 1, s_item_kind (item->kind),
              item->kind == KETEN__ITEM_KIND__DIAGNOSIS
                  ? (item->qualified_professional ? " (door een bevoegde professional)"
                                                  : " (niet door een bevoegde professional)")
                  : "",
              item->blocked ? " (afgeschermd: bewaard, voor niemand anders zichtbaar)" : "");
    s_row (d, label, item->text);
    if (item->legal_basis && *item->legal_basis) {
        snprintf (label, sizeof label, "Onderdeel %zu: wettelijke grondslag", i + 1);
        s_row (d, label, item->legal_basis);
    }
}

static void
s_signal (doc_t *d, const rights_item_t *it, size_t n, bool archived)
{
    const Keten__Signal *s = it->signal;
    char title[128], received[32], observed[32];
    snprintf (title, sizeof title, "Melding %zu (kenmerk %s)%s", n, it->ref,
              archived ? " - gearchiveerd" : "");
    fputs ("<h3>", d->h);
    rights_doc_escape (d->h, title);
    fputs ("</h3>\n", d->h);
    fprintf (d->t, "%s\n", title);
    s_date_nl (received, it->received_ms);
    rights_doc_day (observed, s->observed_on);
    s_table_open (d);
    if (archived)
        s_row (d, "Status", s_archived_note);
    if (s->subject) {
        s_row (d, "Naam", s->subject->name);
        s_row (d, "Geboortedatum", s->subject->birth_date);
        s_row (d, "Adres", s->subject->address);
        s_row (d, "Gemeente", s->subject->municipality);
        s_row (d, "BSN", s->subject->bsn);
    }
    s_row (d, "Ontvangen op", received);
    s_row (d, "Afkomstig van", it->party);
    s_row (d, "Soort bron", s->source_kind);
    s_row (d, "Categorie", s->category);
    s_row (d, "Waargenomen op", observed);
    s_row (d, "Omschrijving", s->description);
    s_row (d, "Wettelijke grondslag", s->legal_basis);
    s_row (d, "Bijzondere persoonsgegevens", s_yes (s->special_category));
    s_row (d, "Strafrechtelijke gegevens", s_yes (s->criminal_data));
    for (size_t i = 0; i < s->n_items; i++)
        s_item (d, s->items[i], i);
    s_table_close (d);
}

/*  A contribution to the casusoverleg: of kind informatie, what it holds
 *  about the person; of any other kind only that it is there, without
 *  anything that identifies the person it is about (art. 12.3). */
static void
s_contribution (doc_t *d, const rights_contribution_t *c, size_t n, bool archived)
{
    char title[128], when[32];
    s_date_nl (when, c->received_ms);
    const Keten__CaseContribution *k = c->contribution;
    if (!k || strcmp (k->kind, "informatie") != 0) {
        s_p (d, "Bijdrage %zu: %s, van %s op %s%s.", n,
             k ? "een bijdrage over een persoon uit uw omgeving" : "een bijdrage", c->party, when,
             archived ? " (gearchiveerd, alleen nog raadpleegbaar door de kernpartijen)" : "");
        return;
    }
    snprintf (title, sizeof title, "Bijdrage %zu%s", n, archived ? " - gearchiveerd" : "");
    fputs ("<h3>", d->h);
    rights_doc_escape (d->h, title);
    fputs ("</h3>\n", d->h);
    fprintf (d->t, "%s\n", title);
    s_table_open (d);
    if (archived)
        s_row (d, "Status", s_archived_note);
    s_row (d, "Afkomstig van", c->party);
    s_row (d, "Ontvangen op", when);
    s_row (d, "Wettelijke grondslag", k->legal_basis);
    for (size_t i = 0; i < k->n_items; i++)
        s_item (d, k->items[i], i);
    s_table_close (d);
}

int
rights_overview (const rights_doc_t *doc, char **html, char **txt, kt_reason_t *reason)
{
    doc_t d;
    if (s_open (&d, NULL, reason) != 0)
        return -1;
    s_head (&d, "Overzicht van de gegevens die over u zijn vastgelegd");
    s_intro (&d, doc);
    s_p (&d, "U heeft gevraagd welke gegevens over u zijn vastgelegd in het kader van de "
             "persoonsgerichte aanpak van radicalisering. Dit overzicht noemt alle gegevens in het "
             "bestand van de weegploeg en in het bestand van het casusoverleg, waarvoor ze worden "
             "gebruikt, van wie ze afkomstig zijn en aan wie ze zijn verstrekt.");
    if (doc->n_withheld)
        s_p (&d,
             "Een deel van de gegevens staat niet in dit overzicht. Waarom, leest u in de brief "
             "die bij dit overzicht hoort.");

    s_h2 (&d, "1. Waarvoor uw gegevens worden gebruikt");
    s_p (&d, "De partijen van het convenant gebruiken deze gegevens alleen voor de doelen van "
             "artikel 3 van het convenant:");
    fputs ("<ol type=\"a\">\n", d.h);
    for (size_t i = 0; i < sizeof s_purposes / sizeof s_purposes[0]; i++) {
        fputs ("<li>", d.h);
        rights_doc_escape (d.h, s_purposes[i]);
        fputs ("</li>\n", d.h);
        fprintf (d.t, "  %c. %s\n", (char) ('a' + i), s_purposes[i]);
    }
    fputs ("</ol>\n", d.h);
    fputs ("\n", d.t);

    s_h2 (&d, "2. Uw gegevens in het bestand van de weegploeg");
    if (doc->archived)
        s_p (&d, "Uw gegevens zijn gearchiveerd (artikel 13.2 van het convenant): zij worden niet "
                 "meer gebruikt en zijn alleen nog raadpleegbaar door de kernpartijen. Welke "
                 "gegevens dat zijn, van wie zij afkomstig zijn en aan wie zij zijn verstrekt, "
                 "staat hieronder.");
    if (!doc->n_items)
        s_p (&d, "In het bestand van de weegploeg staan geen gegevens over u.");
    /*  Each of the longer parts stops once past the bound, so that a
     *  subject with many signals never makes more than that. */
    size_t shown = 0;
    for (; shown < doc->n_items && !s_past (&d, doc->max_bytes); shown++)
        s_signal (&d, &doc->items[shown], shown + 1, doc->archived);
    if (doc->n_answers)
        s_p (&d, "De weegploeg heeft een partij om aanvullende informatie gevraagd (artikel 7.4 "
                 "van het convenant). Die partij heeft het volgende gegeven:");
    for (size_t i = 0; i < doc->n_answers && !s_past (&d, doc->max_bytes); i++)
        s_contribution (&d, &doc->answers[i], doc->n_items + i + 1, doc->archived);

    s_h2 (&d, "3. Uw gegevens in het bestand van het casusoverleg");
    if (!doc->in_casus)
        s_p (&d, "Over u is geen casus geopend in het casusoverleg.");
    else {
        char opened[32], parties[1024] = "";
        s_date_nl (opened, doc->casus_opened_ms);
        for (size_t i = 0, n = 0; i < doc->n_casus_parties && n < sizeof parties; i++)
            n += (size_t) snprintf (parties + n, sizeof parties - n, "%s%s", i ? ", " : "",
                                    doc->casus_parties[i]);
        s_p (&d,
             "Op %s heeft de weegploeg besloten uw situatie te bespreken in het "
             "casusoverleg. De meldingen hierboven zijn daarvoor gekopieerd naar het bestand "
             "van het casusoverleg. Daaraan nemen deel: %s.",
             opened, *parties ? parties : "-");
        if (doc->casus_archived)
            s_p (&d, "De casus is gearchiveerd (artikel 13.2 van het convenant): de gegevens "
                     "worden niet meer gebruikt en zijn alleen nog raadpleegbaar door de "
                     "kernpartijen.");
        if (doc->n_contributions)
            s_p (&d, "Partijen hebben het volgende aan het casusoverleg bijgedragen:");
        for (size_t i = 0; i < doc->n_contributions && !s_past (&d, doc->max_bytes); i++)
            s_contribution (&d, &doc->contributions[i], i + 1, doc->casus_archived);
        s_p (&d, "Wat in het casusoverleg is vastgelegd over andere personen, zoals achterblijvers "
                 "of mensen uit uw omgeving, staat niet in dit overzicht.");
    }

    s_h2 (&d, "4. Aan wie uw gegevens zijn verstrekt");
    if (!doc->n_recipients)
        s_p (&d, "Uw gegevens zijn aan geen enkele partij verstrekt.");
    else {
        fputs ("<table>\n<tr><th>Datum</th><th>Ontvanger</th><th>Wat</th>"
               "<th>Ontvangst bevestigd</th></tr>\n",
               d.h);
        for (size_t i = 0; i < doc->n_recipients && !s_past (&d, doc->max_bytes); i++) {
            const rights_recipient_t *r = &doc->recipients[i];
            char sent[48], got[48] = "-";
            s_time_nl (sent, r->sent_ms);
            if (r->delivered_ms)
                s_time_nl (got, r->delivered_ms);
            fputs ("<tr><td>", d.h);
            rights_doc_escape (d.h, sent);
            fputs ("</td><td>", d.h);
            rights_doc_escape (d.h, r->party);
            fputs ("</td><td>", d.h);
            rights_doc_escape (d.h, r->what);
            fputs ("</td><td>", d.h);
            rights_doc_escape (d.h, got);
            fputs ("</td></tr>\n", d.h);
            fprintf (d.t, "  %s  aan %s: %s (ontvangst bevestigd: %s)\n", sent, r->party, r->what,
                     got);
        }
        fputs ("</table>\n", d.h);
        fputs ("\n", d.t);
    }

    s_h2 (&d, "5. Waar uw gegevens vandaan komen");
    if (!doc->n_items)
        s_p (&d, "-");
    for (size_t i = 0; i < doc->n_items && !s_past (&d, doc->max_bytes); i++) {
        const rights_item_t *it = &doc->items[i];
        char when[32];
        s_date_nl (when, it->received_ms);
        s_p (&d, "Melding %zu (kenmerk %s): ingebracht door %s op %s; soort bron: %s.", i + 1,
             it->ref, it->party, when,
             it->signal->source_kind && *it->signal->source_kind ? it->signal->source_kind : "-");
    }
    s_p (&d, "Wie een melding heeft gedaan, wordt niet genoemd: de naam en de contactgegevens "
             "van een melder worden beschermd.");

    s_h2 (&d, "6. Uw rechten");
    s_p (&d, "Kloppen uw gegevens niet, dan kunt u vragen ze te verbeteren of aan te vullen "
             "(correctie). U kunt ook vragen ze te verwijderen of af te schermen, of bezwaar "
             "maken tegen het gebruik (artikel 12 van het convenant, artikelen 16 tot en met 21 "
             "AVG). Bent u het niet eens met hoe wij met uw verzoek zijn omgegaan, dan kunt u een "
             "klacht indienen bij de Autoriteit Persoonsgegevens of u wenden tot de rechter.");
    if (s_past (&d, doc->max_bytes)) {
        s_discard (&d);
        kt_fail (reason, "the overview grew past %zu bytes with %zu of its %zu signals written",
                 doc->max_bytes, shown, doc->n_items);
        return RIGHTS_TOO_LARGE;
    }
    return s_close (&d, html, txt, reason);
}

int
rights_refusal (const rights_doc_t *doc, const rights_ground_t *ground, const char *motivation,
                bool partial, char **html, char **txt, kt_reason_t *reason)
{
    doc_t d;
    if (s_open (&d, NULL, reason) != 0)
        return -1;
    s_head (&d, partial ? "Besluit op uw verzoek: gedeeltelijke weigering"
                        : "Besluit op uw verzoek: weigering");
    s_intro (&d, doc);
    char letter = ground->code[strlen (ground->code) - 1];
    if (partial)
        s_p (&d, "Wij hebben uw verzoek gedeeltelijk ingewilligd. Een deel van de gegevens die "
                 "over u zijn vastgelegd, verstrekken wij u niet. De overige gegevens vindt u in "
                 "het overzicht dat bij deze brief hoort.");
    else
        s_p (&d, "Wij hebben besloten uw verzoek niet in te willigen.");
    s_h2 (&d, "Grond van het besluit");
    s_p (&d,
         "Artikel 41, eerste lid, onderdeel %c, van de Uitvoeringswet Algemene verordening "
         "gegevensbescherming (UAVG) staat toe dit recht te beperken wanneer dat noodzakelijk "
         "en evenredig is ter waarborging van %s.",
         letter, ground->text);
    s_h2 (&d, "Motivering");
    s_p (&d, "%s", motivation);
    s_h2 (&d, "Wat u kunt doen");
    s_p (&d, "Bent u het niet eens met dit besluit, dan kunt u een klacht indienen bij de "
             "Autoriteit Persoonsgegevens of u wenden tot de rechter (artikel 12, vierde lid, "
             "AVG; artikel 12.4 van het convenant).");
    return s_close (&d, html, txt, reason);
}

/*  What a change did, in Dutch. */
static const char *
s_change_words (const rights_change_t *c)
{
    if (!strcmp (c->action, "correct"))
        return "verbeterd";
    if (!strcmp (c->action, "add"))
        return "aangevuld";
    if (!strcmp (c->action, "delete"))
        return "verwijderd";
    if (!strcmp (c->action, "block"))
        return "afgeschermd";
    if (!strcmp (c->action, "unblock"))
        return "niet langer afgeschermd";
    return "gewijzigd";
}

int
rights_carried_out (const rights_doc_t *doc, const rights_change_t *changes, size_t n, char **html,
                    char **txt, kt_reason_t *reason)
{
    doc_t d;
    if (s_open (&d, NULL, reason) != 0)
        return -1;
    s_head (&d, "Besluit op uw verzoek: ingewilligd");
    s_intro (&d, doc);
    s_p (&d, "Wij hebben uw verzoek ingewilligd en de gegevens gewijzigd zoals hieronder staat. "
             "De partijen die deze gegevens van ons hebben ontvangen, hebben de wijziging ook "
             "doorgevoerd (artikel 12.6 van het convenant).");
    s_h2 (&d, "Wat er is gewijzigd");
    s_table_open (&d);
    for (size_t i = 0; i < n; i++) {
        const rights_change_t *c = &changes[i];
        char label[64], value[128], day[32];
        s_date_nl (day, c->decided_ms);
        if (c->whole_signal)
            snprintf (label, sizeof label, "Signaal %s", c->ref);
        else
            snprintf (label, sizeof label, "Signaal %s, onderdeel %u", c->ref,
                      (unsigned) c->item_index + 1);
        snprintf (value, sizeof value, "%s (besluit van %s)", s_change_words (c), day);
        s_row (&d, label, value);
    }
    s_table_close (&d);
    s_h2 (&d, "Wat u kunt doen");
    s_p (&d, "Bent u het niet eens met hoe wij met uw verzoek zijn omgegaan, dan kunt u een "
             "klacht indienen bij de Autoriteit Persoonsgegevens of u wenden tot de rechter.");
    return s_close (&d, html, txt, reason);
}
