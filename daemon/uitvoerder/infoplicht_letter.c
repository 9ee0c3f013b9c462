/*  infoplicht_letter: the information letter to the person (art. 11.2, art.
 *  14 AVG), HTML and text from one description of its sections.  */
#include "infoplicht_letter.h"

#include "calendar.h"
#include "rights_doc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const infoplicht_letter_sections[] = {
    "aanleiding", "verantwoordelijken", "doeleinden", "gegevens",
    "ontvangers", "bewaartermijnen",    "rechten",    "klacht",
    NULL};

/*  The two documents being written. */
typedef struct {
    FILE *html, *text;
    char *html_buf, *text_buf;
    size_t html_len, text_len;
} s_doc_t;

/*  One paragraph (or, with item, one list item) in both documents. */
static void s_line (s_doc_t *doc, bool item, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static void
s_line (s_doc_t *doc, bool item, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf, sizeof buf, fmt, ap);
    va_end (ap);
    fputs (item ? "<li>" : "<p>", doc->html);
    rights_doc_escape (doc->html, buf);
    fputs (item ? "</li>\n" : "</p>\n", doc->html);
    fprintf (doc->text, "%s%s\n", item ? "  - " : "", buf);
}

static void
s_section (s_doc_t *doc, const char *id, const char *title)
{
    fprintf (doc->html, "<section id=\"%s\">\n<h2>", id);
    rights_doc_escape (doc->html, title);
    fputs ("</h2>\n", doc->html);
    fprintf (doc->text, "\n== %s ==\n\n", title);
}

static void
s_section_end (s_doc_t *doc)
{
    fputs ("</section>\n", doc->html);
}

static void
s_list (s_doc_t *doc, bool open)
{
    fputs (open ? "<ul>\n" : "</ul>\n", doc->html);
}

/*  ms as "3 december 2026", the Dutch civil day. */
static void
s_date (char out[32], uint64_t ms)
{
    char day[11];
    kt_local_date (ms, day);
    rights_doc_day (out, day);
}

/*  A member's name, or its id when the roster no longer has it. */
static const char *
s_name (const roster_t *roster, const char *id)
{
    const roster_member_t *m = roster_find (roster, id);
    return m ? m->name : id;
}

static void
s_recipients (s_doc_t *doc, const roster_t *roster, const Keten__WeegploegDecision *d,
              const char *municipality, uint64_t now_ms)
{
    s_section (doc, "ontvangers", "Wie uw gegevens ontvangen");
    s_line (doc, false,
            "Uw gegevens zijn alleen gedeeld met de partijen die bij de weging of de aanpak "
            "betrokken zijn:");
    s_list (doc, true);
    for (size_t i = 0; i < roster->member_count; i++) {
        const roster_member_t *m = &roster->members[i];
        /*  The weegploeg's data went to these kernpartijen (art. 8.4). */
        if (roster_member_active (m, now_ms) && weegploeg_kernpartij_sees (m, municipality))
            s_line (doc, true, "%s (weegploeg)", m->name);
    }
    for (size_t i = 0; i < d->n_parties; i++)
        s_line (doc, true, "%s (casusoverleg)", s_name (roster, d->parties[i]));
    s_list (doc, false);
    s_section_end (doc);
}

static void
s_categories (s_doc_t *doc, const weegploeg_case_signal_t *signals, size_t n)
{
    bool bsn = false, special = false, criminal = false, wpg = false;
    for (size_t i = 0; i < n; i++) {
        const Keten__Signal *s = signals[i].signal;
        bsn |= s->subject && s->subject->bsn && *s->subject->bsn;
        special |= s->special_category;
        criminal |= s->criminal_data;
        wpg |= s->wpg_basis != 0;
    }
    s_section (doc, "gegevens", "Welke gegevens wij over u verwerken");
    s_list (doc, true);
    s_line (doc, true, "uw naam, geboortedatum, adres en woonplaats");
    if (bsn)
        s_line (doc, true, "uw burgerservicenummer");
    s_line (doc, true,
            "zorgen over u die partijen hebben gemeld (signalen), met de datum en de soort "
            "bron");
    if (special)
        s_line (doc, true, "bijzondere persoonsgegevens (zoals gegevens over gezondheid)");
    if (criminal || wpg)
        s_line (doc, true, "strafrechtelijke gegevens of politiegegevens");
    s_line (doc, true, "de weging en het besluit van de weegploeg");
    s_list (doc, false);
    s_line (doc, false,
            "Wij hebben deze gegevens gekregen van de kernpartijen die de zorgen "
            "meldden, niet van u zelf.");
    s_section_end (doc);
}

int
infoplicht_letter_make (const roster_t *roster, const roster_member_t *self,
                        const Keten__WeegploegDecision *d, const weegploeg_case_signal_t *signals,
                        size_t n, uint64_t now_ms, infoplicht_letter_t *out, kt_reason_t *reason)
{
    out->html = out->text = NULL;
    if (n == 0 || !signals[n - 1].signal->subject)
        return kt_fail (reason, "the subject has no signal to name the person");
    const Keten__Subject *p = signals[n - 1].signal->subject;
    s_doc_t doc = {0};
    doc.html = open_memstream (&doc.html_buf, &doc.html_len);
    doc.text = open_memstream (&doc.text_buf, &doc.text_len);
    if (!doc.html || !doc.text) {
        if (doc.html)
            fclose (doc.html);
        free (doc.html_buf);
        return kt_fail (reason, "out of memory");
    }
    bool agenderen = d->outcome == KETEN__DECISION_OUTCOME__AGENDEREN;
    char today[40], decided[40];
    s_date (today, now_ms);
    s_date (decided, d->decided_ms);
    const char *title = "Informatie over de verwerking van uw persoonsgegevens";

    fputs ("<!DOCTYPE html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>",
           doc.html);
    rights_doc_escape (doc.html, title);
    fputs ("</title>\n</head>\n<body>\n<header id=\"adres\">\n", doc.html);
    fprintf (doc.text, "%s\n\n", title);
    s_line (&doc, false, "%s", p->name);
    s_line (&doc, false, "%s", p->address);
    s_line (&doc, false, "%s", p->municipality);
    fputs ("</header>\n<h1>", doc.html);
    fputs ("\n", doc.text);
    rights_doc_escape (doc.html, title);
    fputs ("</h1>\n", doc.html);
    s_line (&doc, false, "%s, %s", self->name, today);
    s_line (&doc, false, "Geachte heer/mevrouw %s,", p->name);

    s_section (&doc, "aanleiding", "Waarom u deze brief krijgt");
    s_line (&doc, false,
            "Partijen die samenwerken in de persoonsgerichte aanpak van radicalisering en "
            "extremisme hebben zorgen over u gemeld. De weegploeg heeft deze zorgen op %s "
            "gewogen en besloten %s.",
            decided,
            agenderen ? "u te bespreken in een casusoverleg, om samen een plan van aanpak te "
                        "maken"
                      : "u niet te bespreken in een casusoverleg; er volgt geen aanpak");
    s_line (&doc, false,
            "Met deze brief informeren wij u daarover, zoals de wet (artikel 14 "
            "van de Algemene verordening gegevensbescherming) en het convenant "
            "(artikel 11) voorschrijven.");
    s_section_end (&doc);

    s_section (&doc, "verantwoordelijken", "Wie verantwoordelijk zijn");
    s_line (&doc, false,
            "De kernpartijen van het convenant zijn samen verantwoordelijk voor "
            "de verwerking van uw gegevens (gezamenlijke "
            "verwerkingsverantwoordelijken, artikel 4 van het convenant):");
    s_list (&doc, true);
    for (size_t i = 0; i < roster->member_count; i++)
        if (roster->members[i].role == ROLE_KERNPARTIJ &&
            roster_member_active (&roster->members[i], now_ms))
            s_line (&doc, true, "%s", roster->members[i].name);
    s_list (&doc, false);
    s_line (&doc, false,
            "%s houdt de bestanden van de weegploeg en het casusoverleg namens hen bij en is "
            "uw aanspreekpunt.",
            self->name);
    s_section_end (&doc);

    s_section (&doc, "doeleinden", "Waarvoor wij uw gegevens gebruiken");
    s_line (&doc, false,
            "Wij gebruiken uw gegevens alleen voor de doelen van het convenant "
            "(artikel 3):");
    s_list (&doc, true);
    s_line (&doc, true, "zorgen over radicalisering en extremisme tijdig wegen;");
    s_line (&doc, true,
            "zo nodig samen een plan van aanpak maken, gericht op deradicalisering, "
            "gedragsverandering, het beperken van veiligheidsrisico's, het "
            "voorkomen van uitreizen, zorg en hulp aan achterblijvers.");
    s_list (&doc, false);
    s_section_end (&doc);

    s_categories (&doc, signals, n);
    s_recipients (&doc, roster, d, p->municipality, now_ms);

    s_section (&doc, "bewaartermijnen", "Hoe lang wij uw gegevens bewaren");
    s_list (&doc, true);
    /*  As the schedule applies them (common/retention.c): the roster's
     *  days, never past the convenant's months and years. */
    char not_agendered[48], archive[48];
    if (roster->retention_not_agendered_days >= 181)
        snprintf (not_agendered, sizeof not_agendered, "uiterlijk 6 maanden");
    else
        snprintf (not_agendered, sizeof not_agendered, "%u dagen",
                  roster->retention_not_agendered_days);
    if (roster->retention_archive_days >= 365)
        snprintf (archive, sizeof archive, "uiterlijk 1 jaar");
    else
        snprintf (archive, sizeof archive, "%u dagen", roster->retention_archive_days);
    s_line (&doc, true,
            "Besluit de weegploeg u niet te bespreken, dan worden uw gegevens na %s "
            "vernietigd.",
            not_agendered);
    s_line (&doc, true,
            "Anders worden ze %s na de laatste verwerking gearchiveerd en 5 jaar na de "
            "laatste verwerking vernietigd.",
            archive);
    s_list (&doc, false);
    s_line (&doc, false, "(artikel 13 van het convenant)");
    s_section_end (&doc);

    s_section (&doc, "rechten", "Uw rechten");
    s_line (&doc, false, "U hebt het recht:");
    s_list (&doc, true);
    s_line (&doc, true, "uw gegevens in te zien (inzage);");
    s_line (&doc, true, "onjuiste gegevens te laten verbeteren (correctie);");
    s_line (&doc, true, "gegevens te laten verwijderen (verwijdering);");
    s_line (&doc, true, "de verwerking te laten beperken (afscherming);");
    s_line (&doc, true, "bezwaar te maken tegen de verwerking (verzet).");
    s_list (&doc, false);
    s_line (&doc, false,
            "Een verzoek kunt u richten aan %s, die het namens alle kernpartijen behandelt. "
            "U krijgt binnen een maand antwoord.",
            self->name);
    s_section_end (&doc);

    s_section (&doc, "klacht", "Klacht");
    s_line (&doc, false,
            "Bent u het niet eens met hoe wij met uw gegevens omgaan, dan kunt u een klacht "
            "indienen bij de Autoriteit Persoonsgegevens (www.autoriteitpersoonsgegevens.nl).");
    s_section_end (&doc);

    fputs ("\n", doc.text);
    s_line (&doc, false, "Met vriendelijke groet,");
    s_line (&doc, false, "%s, namens de kernpartijen", self->name);
    fputs ("</body>\n</html>\n", doc.html);
    bool failed = ferror (doc.html) || ferror (doc.text);
    fclose (doc.html);
    fclose (doc.text);
    out->html = doc.html_buf;
    out->text = doc.text_buf;
    if (failed || !out->html || !out->text) {
        infoplicht_letter_free (out);
        return kt_fail (reason, "out of memory");
    }
    return 0;
}

void
infoplicht_letter_free (infoplicht_letter_t *letter)
{
    free (letter->html);
    free (letter->text);
    letter->html = letter->text = NULL;
}
