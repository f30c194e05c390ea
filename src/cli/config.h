/* config.h - settings from defaults, a config file, the environment and flags.
 *
 * Every setting has one name, used the same way everywhere: as a long flag
 * (--max-tokens 300), as a key in the INI config file (max-tokens = 300) and as an
 * environment variable (VISIONBATCH_MAX_TOKENS=300). Layers are applied in the order
 * defaults < config file < environment < flags, and within that order the last value
 * set wins. The API key is not a setting: it comes from OPENAI_API_KEY or
 * VISIONBATCH_API_KEY, or from the file named by api-key-file, never from a flag value. */
#ifndef VB_CONFIG_H
#define VB_CONFIG_H

#include <visionbatch.h>

#include <stdio.h>

typedef struct config {
    vb_options_t o;     /* string fields point into strings owned by the config */
    char *output_path;  /* NULL or "-" for standard output */
    char *journal_path; /* NULL: OUTPUT.journal when writing to a file (set by the CLI) */
    int no_journal;
    char *pricing_path; /* --pricing FILE, or NULL */
    char *prompt_file;  /* when set, the prompt is read from it */
    char *api_key_file; /* when set, the key is read from it */
    char *api_key;      /* from the environment or the key file */
    char *schema_path;  /* --schema FILE, or NULL */
    char *redis_url;    /* --redis: a distributed job (cli_redis_run.c); may hold a password */
    char *job_name;     /* --job */
    char *visibility;   /* --visibility-timeout, seconds as text */
    char *owned[7];     /* base_url, model, prompt, detail, limiter, resize, output_format
                           (owned copies) */
} config_t;

/* Creates a config holding the built-in defaults. NULL when out of memory. */
config_t *config_new(void);

/* Sets one setting by name from text; origin ("--model", "config.ini:3") names where the
 * value came from in error messages. Returns 0, or -1 with a reason in err for an
 * unknown name or a bad value. */
int config_set(config_t *c, const char *name, const char *value, const char *origin, char *err,
               size_t errlen);

/* Applies an INI file (keys at top level or under [visionbatch]). Returns 0, or -1 with
 * the file, line and reason in err. */
int config_load_file(config_t *c, const char *path, char *err, size_t errlen);

/* Applies OPENAI_BASE_URL, VISIONBATCH_<NAME> for every setting, and the API key from
 * VISIONBATCH_API_KEY or else OPENAI_API_KEY. Returns 0, or -1 with a reason in err. */
int config_load_env(config_t *c, char *err, size_t errlen);

/* Reads the prompt file and the API key file if set, points o.api_key at the key and
 * o.journal at the journal (unless no-journal).
 * Warns on stderr (warn may be NULL) when the key file is readable by others. Returns 0,
 * or -1 with a reason in err (which never contains the key). */
int config_finish(config_t *c, FILE *warn, char *err, size_t errlen);

/* Prints every setting's name and description, for --help. */
void config_print_settings(FILE *out);

/* Frees the config, wiping the key. NULL is a no-op. */
void config_free(config_t *c);

#endif
