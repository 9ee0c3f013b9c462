/*  keten register: the federation's entry in the verwerkingsregister (AVG
 *  art. 30, convenant art. 4; docs/REGISTER.md) as the uitvoerder builds
 *  it from keten's own tables, as text, markdown or JSON.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char s_register_usage[] =
    "Usage: keten register [--format text|markdown|json]\n"
    "\n"
    "The federation's entry in the verwerkingsregister (AVG art. 30), built by the\n"
    "uitvoerder from keten's own tables: controllers, purposes, categories of\n"
    "persons and data, legal bases, recipients per message type, retention periods\n"
    "of the roster in force, members, security measures and the access groups\n"
    "(docs/REGISTER.md).  Needs the audit group.\n"
    "\n"
    "  --format FORMAT  text (default), markdown or json\n";

enum { O_FORMAT = CLI_OPT_LONG + 1 };

static int
s_option (void *arg, const char *cmd, int opt, const char *value)
{
    (void) opt;
    return cli_opt_string (cmd, "format", value, 16, (const char **) arg);
}

static void
s_md_text (FILE *out, bool md, const char *s)
{
    char buf[2048];
    cli_clean (buf, sizeof buf, s);
    for (const char *p = buf; *p; p++) {
        if (md && strchr ("|*_`<>[]\\", *p))
            fputc ('\\', out);
        fputc (*p, out);
    }
}

static const char *
s_str (json_t *o, const char *key)
{
    const char *s = json_string_value (json_object_get (o, key));
    return s ? s : "";
}

static void
s_heading (FILE *out, bool md, const char *title)
{
    if (md)
        fprintf (out, "\n## %s\n\n", title);
    else
        fprintf (out, "\n%s\n", title);
}

static void
s_item (FILE *out, bool md, const char *a, const char *b)
{
    fputs (md ? "- " : "  ", out);
    if (md)
        fputs ("**", out);
    s_md_text (out, md, a);
    if (md)
        fputs ("**", out);
    if (b) {
        fputs (": ", out);
        s_md_text (out, md, b);
    }
    fputc ('\n', out);
}

static int
s_print_register (json_t *reg, const void *arg)
{
    bool md = strcmp ((const char *) arg, "markdown") == 0;
    FILE *out = stdout;
    char line[512];
    json_t *v;
    size_t i;
    if (md)
        fputs ("# Verwerkingsregister (AVG art. 30): ", out);
    else
        fputs ("Verwerkingsregister (AVG art. 30): ", out);
    s_md_text (out, md, s_str (reg, "federation"));
    uint64_t version = 0;
    cli_json_uint (reg, "roster_version", &version);
    fprintf (out, "\n%sroster version %llu, referentiekader ", md ? "\n" : "",
             (unsigned long long) version);
    s_md_text (out, md, *s_str (reg, "referentiekader") ? s_str (reg, "referentiekader") : "-");
    fputc ('\n', out);

    json_t *c = json_object_get (reg, "controller");
    s_heading (out, md, "Controllers (convenant art. 4)");
    s_item (out, md, "jointly", s_str (c, "joint"));
    json_array_foreach (json_object_get (c, "kernpartijen"), i, v)
    {
        snprintf (line, sizeof line, "%s (%s)", s_str (v, "name"), s_str (v, "kind"));
        s_item (out, md, s_str (v, "id"), line);
    }
    json_t *k = json_object_get (c, "keeper");
    snprintf (line, sizeof line, "%s, keeps the files in the controllers' name (uitvoerder)",
              s_str (k, "name"));
    s_item (out, md, s_str (k, "id"), line);

    s_heading (out, md, "Purposes (convenant art. 3)");
    json_array_foreach (json_object_get (reg, "purposes"), i, v)
        s_item (out, md, json_string_value (v), NULL);
    s_heading (out, md, "Tasks that make it lawful (convenant art. 2)");
    json_array_foreach (json_object_get (reg, "tasks"), i, v)
        s_item (out, md, s_str (v, "kind"), s_str (v, "task"));
    s_heading (out, md, "Categories of persons");
    json_array_foreach (json_object_get (reg, "persons"), i, v)
        s_item (out, md, s_str (v, "category"), s_str (v, "what"));
    s_heading (out, md, "Categories of data");
    json_array_foreach (json_object_get (reg, "data"), i, v)
        s_item (out, md, s_str (v, "category"), s_str (v, "what"));
    s_heading (out, md, "Legal bases (common/intake_rules.c)");
    json_array_foreach (json_object_get (reg, "legal_bases"), i, v)
    {
        char for_[256] = "";
        json_t *p;
        size_t j;
        json_array_foreach (json_object_get (v, "shared_for"), j, p)
        {
            strncat (for_, j ? ", " : "", sizeof for_ - strlen (for_) - 1);
            strncat (for_, json_string_value (p) ? json_string_value (p) : "",
                     sizeof for_ - strlen (for_) - 1);
        }
        snprintf (line, sizeof line, "%s; shared for: %s", s_str (v, "law"), for_);
        s_item (out, md, s_str (v, "code"), line);
    }
    s_heading (out, md, "Recipients per message type (common/policy.c)");
    json_array_foreach (json_object_get (reg, "message_types"), i, v)
    {
        json_t *rule;
        size_t j;
        if (json_array_size (json_object_get (v, "recipients")) == 0)
            s_item (out, md, s_str (v, "type"), "not accepted by this federation (no recipients)");
        json_array_foreach (json_object_get (v, "recipients"), j, rule)
        {
            char from[128] = "";
            json_t *p;
            size_t n;
            json_array_foreach (json_object_get (rule, "from"), n, p)
            {
                strncat (from, n ? ", " : "", sizeof from - strlen (from) - 1);
                strncat (from, json_string_value (p) ? json_string_value (p) : "",
                         sizeof from - strlen (from) - 1);
            }
            snprintf (line, sizeof line, "from %s to %s (%s)", from, s_str (rule, "to"),
                      s_str (rule, "rule"));
            s_item (out, md, s_str (v, "type"), line);
        }
    }
    s_heading (out, md, "Which member a rule's \"one member\" is (decided per message)");
    json_array_foreach (json_object_get (reg, "routing"), i, v)
        s_item (out, md, json_string_value (v), NULL);
    json_t *ret = json_object_get (reg, "retention");
    uint64_t na = 0, ar = 0, de = 0;
    cli_json_uint (ret, "not_agendered_days", &na);
    cli_json_uint (ret, "archive_days", &ar);
    cli_json_uint (ret, "destroy_days", &de);
    s_heading (out, md, "Retention (convenant art. 13, roster in force)");
    snprintf (line, sizeof line, "%llu days", (unsigned long long) na);
    s_item (out, md, "not agendered: destroyed after", line);
    snprintf (line, sizeof line, "%llu days", (unsigned long long) ar);
    s_item (out, md, "archived after", line);
    snprintf (line, sizeof line, "%llu days", (unsigned long long) de);
    s_item (out, md, "destroyed after", line);
    s_heading (out, md, "Members (roster)");
    json_array_foreach (json_object_get (reg, "members"), i, v)
    {
        snprintf (line, sizeof line, "%s, %s (%s), joined %s%s%s", s_str (v, "name"),
                  s_str (v, "kind"), s_str (v, "role"), s_str (v, "joined"),
                  *s_str (v, "leaves_at") ? ", leaves " : "", s_str (v, "leaves_at"));
        s_item (out, md, s_str (v, "id"), line);
    }
    s_heading (out, md, "Security measures (AVG art. 32)");
    json_array_foreach (json_object_get (reg, "security"), i, v)
        s_item (out, md, json_string_value (v), NULL);
    s_heading (out, md, "Access: the local group each command needs (config access/*)");
    json_array_foreach (json_object_get (reg, "access"), i, v)
    {
        snprintf (line, sizeof line, "%s = %s", s_str (v, "setting"), s_str (v, "group"));
        s_item (out, md, s_str (v, "command"), line);
    }
    return CLI_OK;
}

int
cmd_register (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"format", required_argument, NULL, O_FORMAT},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *format = NULL;
    int rc = cli_options ("register", argc, argv, options, s_register_usage, s_option, &format);
    if (rc)
        return CLI_DONE (rc);
    if (optind != argc)
        return cli_usage_error ("register", "unexpected argument");
    format = format ? format : "text";
    if (strcmp (format, "text") && strcmp (format, "markdown") && strcmp (format, "json"))
        return cli_usage_error ("register", "--format must be text, markdown or json");
    return cli_request (cli, "register.show", json_object (), CLI_TIMEOUT_MS,
                        strcmp (format, "json") == 0, s_print_register, format);
}
