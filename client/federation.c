/*  The nodes this machine runs, one per federation (docs/OPERATIONS.md,
 *  "A party in several federations"): every NODE.cfg in the config
 *  directory, each with the federation its roster names.
 */
#include "cli.h"

#include "config.h"
#include "roster.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *
cli_config_dir (void)
{
    const char *dir = getenv ("KETEN_CONFIG_DIR");
    return dir && *dir ? dir : "/etc/keten";
}

static int
s_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

/*  The federation of config: its roster's name, from the roster file it
 *  names or else the newest one ketend kept. */
static int
s_federation (const config_t *config, char *out, size_t len)
{
    char kept[PATH_MAX + 16];
    snprintf (kept, sizeof kept, "%s/roster.txt", config->state_dir);
    const char *paths[] = {config->roster_file, kept};
    for (size_t i = 0; i < 2; i++) {
        kt_reason_t reason;
        roster_t *r = *paths[i] ? roster_load (paths[i], config->uitvoerder_key, &reason) : NULL;
        if (r) {
            snprintf (out, len, "%s", r->federation);
            roster_destroy (&r);
            return 0;
        }
    }
    return -1;
}

int
cli_each_node (cli_node_fn *fn, void *arg)
{
    const char *dir = cli_config_dir ();
    DIR *d = opendir (dir);
    if (!d) {
        cli_error ("cannot read the config directory %s (KETEN_CONFIG_DIR): %m", dir);
        return -1;
    }
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir (d)) && n < sizeof names / sizeof names[0]) {
        size_t len = strlen (e->d_name);
        if (len > 4 && strcmp (e->d_name + len - 4, ".cfg") == 0 && e->d_name[0] != '.')
            if ((names[n] = strdup (e->d_name)))
                n++;
    }
    closedir (d);
    qsort (names, n, sizeof names[0], s_cmp);
    config_t *config = calloc (1, sizeof *config);
    int count = config ? 0 : -1;
    for (size_t i = 0; config && i < n; i++) {
        char path[PATH_MAX];
        struct stat st;
        snprintf (path, sizeof path, "%s/%s", dir, names[i]);
        kt_reason_t reason;
        char federation[80] = "";
        if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
            continue;
        if (config_load (path, config, &reason) != 0) {
            fn (arg, path, NULL, reason.text);
            continue;
        }
        if (s_federation (config, federation, sizeof federation) != 0) {
            fn (arg, path, NULL, "its roster cannot be read");
            continue;
        }
        fn (arg, path, config, federation);
        count++;
    }
    for (size_t i = 0; i < n; i++)
        free (names[i]);
    free (config);
    return count;
}

typedef struct {
    const char *name;
    char path[PATH_MAX], found[1024];
    int matches;
} s_find_t;

static void
s_find (void *arg, const char *path, const config_t *config, const char *federation)
{
    s_find_t *f = arg;
    if (!config)
        return;
    size_t used = strlen (f->found);
    snprintf (f->found + used, sizeof f->found - used, "%s%s (%s)", used ? ", " : "", federation,
              path);
    if (strcmp (federation, f->name) == 0 && f->matches++ == 0)
        snprintf (f->path, sizeof f->path, "%s", path);
}

int
cli_federation_config (const char *name, char *path, size_t len)
{
    s_find_t f = {.name = name};
    if (cli_each_node (s_find, &f) < 0)
        return -1;
    if (f.matches == 0) {
        cli_error ("no node of federation %s in %s; found: %s", name, cli_config_dir (),
                   *f.found ? f.found : "none");
        return -1;
    }
    if (f.matches > 1) {
        cli_error ("more than one node of federation %s in %s (%s): name one with -c", name,
                   cli_config_dir (), f.found);
        return -1;
    }
    snprintf (path, len, "%s", f.path);
    return 0;
}
