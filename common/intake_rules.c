/*  intake_rules: the legal-basis table and the text check that a signal,
 *  its items and the daemon's own texts are held to.  */
#include "intake_rules.h"

#include <stdint.h>
#include <string.h>

/*  Legal bases a signal can be processed under.  Every item
 *  carries its basis, and the list is data so it can follow the law (the
 *  Wet gegevensverwerking PGA, Kamerstuk 36225, will add its articles
 *  here).  A code starting with "wpg-" is a Wet politiegegevens basis;
 *  "law" is for the reader (docs/SIGNAL-FORMAT.md has the same table). */
#define P_WEEG (1u << INTAKE_PURPOSE_WEEGPLOEG)
#define P_CASUS (1u << INTAKE_PURPOSE_CASUSOVERLEG)
#define P_EXTERN (1u << INTAKE_PURPOSE_EXTERN)
static const struct {
    const char *code;
    const char *law;
    unsigned purposes; /* onward sharing outside these is refused */
} s_legal_bases[] = {
    /*  art. 10.5: to an externe casuspartner only with consent, and only
     *  gemeente data under the AVG; police and judicial data stay within
     *  the convenant parties' weegploeg and casusoverleg. */
    {"avg-6-1-e", "AVG art. 6(1)(e): task in the public interest", P_WEEG | P_CASUS | P_EXTERN},
    {"wpg-16", "Wpg art. 16: provision of police data", P_WEEG | P_CASUS},
    /*  Wpg art. 18(2) and the machtigingsbesluit: art. 9/10 Wpg data go to
     *  the college of the gemeente concerned (and, art. 16 Wpg, to the
     *  OM), both kernpartijen in the weegploeg; never to the casusoverleg,
     *  where the RvdK and the Reclassering sit, nor to an extern. */
    {"wpg-18-2", "Wpg art. 18(2): provision of police data", P_WEEG},
    {"wpg-20", "Wpg art. 20: provision within a samenwerkingsverband", P_WEEG | P_CASUS},
    {"wjsg-39f", "Wjsg art. 39f: provision of judicial data by the OM", P_WEEG | P_CASUS},
};
#define N_LEGAL_BASES (sizeof s_legal_bases / sizeof s_legal_bases[0])

bool
intake_legal_basis_known (const char *code)
{
    for (size_t i = 0; i < N_LEGAL_BASES; i++)
        if (strcmp (code, s_legal_bases[i].code) == 0)
            return true;
    return false;
}

int
intake_legal_basis (size_t i, const char **code, const char **law, unsigned *purposes)
{
    if (i >= N_LEGAL_BASES)
        return -1;
    *code = s_legal_bases[i].code;
    *law = s_legal_bases[i].law;
    *purposes = s_legal_bases[i].purposes;
    return 0;
}

bool
intake_basis_allows (const char *code, intake_purpose_t purpose)
{
    for (size_t i = 0; i < N_LEGAL_BASES; i++)
        if (strcmp (code, s_legal_bases[i].code) == 0)
            return (s_legal_bases[i].purposes & (1u << purpose)) != 0;
    return false;
}

bool
intake_text_ok (const char *text, size_t min, size_t max, bool lines)
{
    size_t len = text ? strlen (text) : 0;
    return len >= min && len <= max && intake_text_check (text, len, lines) == INTAKE_TEXT_OK;
}

/*  The code point at p (valid UTF-8, checked before); *len receives its
 *  length in bytes. */
static uint32_t
s_code_point (const unsigned char *p, size_t *len)
{
    uint32_t cp = p[0];
    size_t n = cp < 0x80 ? 1 : (cp & 0xe0) == 0xc0 ? 2 : (cp & 0xf0) == 0xe0 ? 3 : 4;
    cp = n == 1 ? cp : n == 2 ? cp & 0x1f : n == 3 ? cp & 0x0f : cp & 0x07;
    for (size_t k = 1; k < n; k++)
        cp = cp << 6 | (p[k] & 0x3f);
    *len = n;
    return cp;
}

/*  Whether the code point at p (valid UTF-8, checked) is a space of some
 *  kind; *len receives its length in bytes. */
static bool
s_is_space (const unsigned char *p, size_t *len)
{
    uint32_t cp = s_code_point (p, len);
    return cp == 0x20 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200b) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000 ||
           cp == 0xfeff;
}

bool
intake_text_blank (const char *text)
{
    for (const unsigned char *p = (const unsigned char *) text; p && *p;) {
        size_t n;
        if (!s_is_space (p, &n) && *p != '\n' && *p != '\t')
            return false;
        p += n;
    }
    return true;
}

uint32_t
intake_text_reorders (const char *text, bool lines)
{
    /*  Valid UTF-8 (checked before): only the code points are read. */
    for (const unsigned char *p = (const unsigned char *) text; p && *p;) {
        size_t n;
        uint32_t cp = s_code_point (p, &n);
        if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
            (!lines && (cp == 0x2028 || cp == 0x2029)))
            return cp;
        p += n;
    }
    return 0;
}

bool
intake_data_kind_ok (const char *kind)
{
    size_t len = strlen (kind);
    if (len < 1 || len > INTAKE_DATA_KIND_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = kind[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!letter && (i == 0 || (c != '-' && c != '_')))
            return false;
    }
    return true;
}

bool
intake_name_ok (const char *text)
{
    /*  Blank is no name: spaces of any kind name nobody. */
    return intake_text_ok (text, 1, INTAKE_NAME_MAX, false) && !intake_text_blank (text);
}

/*  Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF)
 *  and no control characters (C0, DEL, C1); in multi-line text \n and \t
 *  are allowed.  JSON from jansson is already UTF-8, a protobuf string or
 *  a hand-built json_t need not be. */
intake_text_t
intake_text_check (const char *text, size_t len, bool lines)
{
    const unsigned char *s = (const unsigned char *) text;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            if ((c < 0x20 && !(lines && (c == '\n' || c == '\t'))) || c == 0x7f)
                return INTAKE_TEXT_CONTROL;
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0)
            n = 1, cp = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0)
            n = 2, cp = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0)
            n = 3, cp = c & 0x07, min = 0x10000;
        else
            return INTAKE_TEXT_UTF8;
        if (len - i - 1 < n)
            return INTAKE_TEXT_UTF8;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return INTAKE_TEXT_UTF8;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return INTAKE_TEXT_UTF8;
        if (cp <= 0x9f)
            return INTAKE_TEXT_CONTROL;
        i += n + 1;
    }
    return INTAKE_TEXT_OK;
}
