/* cli_settings.c - flags, config file and environment into one config_t. */
#include "cli_settings.h"

#include <stdio.h>
#include <stdlib.h>

int cli_flags_init(cli_flags_t *f, int argc)
{
    f->n = 0;
    f->config_path = getenv("VISIONBATCH_CONFIG");
    f->v = calloc((size_t)argc + 1, sizeof *f->v);
    return f->v ? 0 : -1;
}

void cli_flags_add(cli_flags_t *f, const char *name, const char *value)
{
    f->v[f->n].name = name;
    f->v[f->n++].value = value;
}

int cli_flags_apply(cli_flags_t *f, config_t *c)
{
    char err[512];
    if (f->config_path && f->config_path[0] &&
        config_load_file(c, f->config_path, err, sizeof err) != 0)
        goto bad;
    if (config_load_env(c, err, sizeof err) != 0)
        goto bad;
    for (size_t i = 0; i < f->n; i++) {
        char origin[64];
        snprintf(origin, sizeof origin, "--%s", f->v[i].name);
        if (config_set(c, f->v[i].name, f->v[i].value, origin, err, sizeof err) != 0)
            goto bad;
    }
    if (config_finish(c, stderr, err, sizeof err) != 0)
        goto bad;
    return 0;
bad:
    fprintf(stderr, "visionbatch: %s\n", err);
    return -1;
}

void cli_flags_free(cli_flags_t *f)
{
    free(f->v);
    f->v = NULL;
}
