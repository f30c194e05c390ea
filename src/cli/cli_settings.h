/* cli_settings.h - the settings a subcommand's flags give, applied in their place:
 * defaults < config file < environment < flags (config.h). Each command collects its
 * setting flags while it parses argv, then applies them once. */
#ifndef VB_CLI_SETTINGS_H
#define VB_CLI_SETTINGS_H

#include "config.h"

#include <stddef.h>

typedef struct cli_flag {
    const char *name;  /* a setting's name, as in config.c's table */
    const char *value; /* points into argv */
} cli_flag_t;

typedef struct cli_flags {
    cli_flag_t *v;
    size_t n;
    const char *config_path; /* --config, else $VISIONBATCH_CONFIG, else NULL */
} cli_flags_t;

/* Prepares room for argc flags. Returns 0, or -1 when out of memory. */
int cli_flags_init(cli_flags_t *f, int argc);

/* Records setting name = value from a flag (both must outlive the cli_flags_t). */
void cli_flags_add(cli_flags_t *f, const char *name, const char *value);

/* Applies the config file, the environment and the flags to c, then config_finish.
 * Prints the reason on stderr and returns -1 on a bad setting; 0 otherwise. */
int cli_flags_apply(cli_flags_t *f, config_t *c);

/* Frees what cli_flags_init allocated. */
void cli_flags_free(cli_flags_t *f);

#endif
