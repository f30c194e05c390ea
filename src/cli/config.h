/* config.h - settings from defaults, a config file, the environment and flags.
 *
 * Every setting has one name, used the same way everywhere: as a long flag
 * (--max-tokens 300), as a key in the INI config file (max-tokens = 300) and as an
 * environment variable (VISIONBATCH_MAX_TOKENS=300). Layers are applied in the order
 * defaults < config file < environment < flags, and within that order the last value
 * set wins. The API key is not a setting: it comes from VISIONBATCH_API_KEY or the
 * provider SDK's variable (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or
 * GOOGLE_API_KEY), or from the file named by api-key-file, never from a flag value. */
#ifndef VB_CONFIG_H
#define VB_CONFIG_H

#include <visionbatch.h>

#include <stdio.h>

/* The layers settings come from, in the order they are applied (config_t.layer). */
enum { CONFIG_LAYER_FILE = 0, CONFIG_LAYER_ENV, CONFIG_LAYER_FLAGS };

typedef struct config {
    vb_options_t o;     /* string fields point into strings owned by the config */
    char *output_path;  /* NULL or "-" for standard output */
    char *journal_path; /* NULL: OUTPUT.journal when writing to a file (set by the CLI) */
    int no_journal;
    int allow_empty;    /* inputs holding no image end the run with exit 0, not 2 */
    char *csv_image_column; /* --image-column NAME, or NULL */
    char *csv_id_column;    /* --id-column NAME, or NULL */
    char *csv_delimiter;    /* --csv-delimiter C, or NULL: detected */
    char *pricing_path; /* --pricing FILE, or NULL */
    char *prompt_file;  /* when set, the prompt is read from it */
    char *api_key_file; /* when set, the key is read from it */
    char *api_key;      /* from the environment or the key file */
    char *schema_path;  /* --schema FILE, or NULL */
    char *ca_cert_path; /* --ca-cert FILE, or NULL */
    char *redis_url;    /* --redis: a distributed job (cli_redis_run.c); may hold a password */
    char *job_name;     /* --job */
    char *visibility;   /* --visibility-timeout, seconds as text */
    char *system_prompt; /* --system TEXT, or NULL: no system prompt */
    int layer;          /* what is being applied: CONFIG_LAYER_* */
    int key_file_layer; /* where api_key_file came from: a flag's wins over the env's key */
    int base_url_layer; /* where base-url came from: a file's loses to $OPENAI_BASE_URL... */
    int key_from_env;   /* api_key came from the environment */
    char *owned[8];     /* base_url, model, provider, prompt, detail, limiter, resize,
                           output_format (owned copies; the first three may be NULL) */
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

/* Applies VISIONBATCH_<NAME> for every setting. The provider's own variables (its base
 * URL and key) are read by config_choose_provider, once the provider is known. Returns
 * 0, or -1 with a reason in err. */
int config_load_env(config_t *c, char *err, size_t errlen);

/* Settles the provider (named, else from the base URL's host, else openai), the base URL
 * (given, else the provider SDK's variable, else NULL: the provider's service) and the
 * key from the environment (VISIONBATCH_API_KEY, else the provider's variables) unless a
 * key file named by a flag wins; a key taken from another provider's variable is
 * dropped. Called by config_finish, and again after settings change (a Redis worker
 * adopting its job's). Returns 0, or -1 with a reason in err. */
int config_choose_provider(config_t *c, char *err, size_t errlen);

/* The provider a setting named (flag, file, environment), or NULL when none did. */
const char *config_named_provider(const config_t *c);

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
