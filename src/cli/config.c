/* config.c - one table of settings, applied from an INI file, the environment or flags. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* SET_DOUBLE must be above its minimum; SET_DOUBLE0 may equal it. */
typedef enum {
    SET_TEXT,
    SET_PATH,
    SET_LONG,
    SET_DOUBLE,
    SET_DOUBLE0,
    SET_SIZE,
    SET_BOOL, /* an int in vb_options_t: 1/true/yes/on or 0/false/no/off */
    SET_BOOL_CONFIG, /* the same, an int in config_t */
} setting_kind_t;

/* Where a setting lands: a string slot of config_t, or a number field of vb_options_t. */
typedef struct setting {
    const char *name;
    setting_kind_t kind;
    size_t offset; /* into config_t for TEXT/PATH, into vb_options_t for numbers */
    long min, max;
    const char *help;
} setting_t;

#define TEXT(field) SET_TEXT, offsetof(config_t, field)
#define PATH(field) SET_PATH, offsetof(config_t, field)
#define NUM(kind, field) kind, offsetof(vb_options_t, field)

/* The owned copies behind o's string fields live in config_t.owned[]. */
enum {
    OWN_BASE_URL, /* NULL: the provider SDK's variable, else the provider's service */
    OWN_MODEL,    /* NULL: the provider's default model */
    OWN_PROVIDER, /* NULL: from the base URL's host */
    OWN_PROMPT,
    OWN_DETAIL,
    OWN_LIMITER,
    OWN_RESIZE,
    OWN_OUTPUT_FORMAT
};

/* Each provider's official SDK names its API root and key in the environment. */
static const struct provider_env {
    const char *provider;
    const char *base_url_var; /* NULL: none */
    const char *key_vars[2];  /* tried in order after VISIONBATCH_API_KEY */
} provider_envs[] = {
    {"openai", "OPENAI_BASE_URL", {"OPENAI_API_KEY", NULL}},
    {"anthropic", "ANTHROPIC_BASE_URL", {"ANTHROPIC_API_KEY", NULL}},
    {"gemini", NULL, {"GEMINI_API_KEY", "GOOGLE_API_KEY"}},
};

static const setting_t settings[] = {
    {"provider", TEXT(owned[OWN_PROVIDER]), 0, 0,
     "openai, anthropic or gemini (default: from the base URL's host, else openai)"},
    {"base-url", TEXT(owned[OWN_BASE_URL]), 0, 0,
     "API root (default $OPENAI_BASE_URL / $ANTHROPIC_BASE_URL, else the provider's service)"},
    {"model", TEXT(owned[OWN_MODEL]), 0, 0,
     "model name (default gpt-4o-mini; anthropic, gemini: their defaults in --help)"},
    {"prompt", TEXT(owned[OWN_PROMPT]), 0, 0, "text sent with every image"},
    {"prompt-file", PATH(prompt_file), 0, 0, "read the prompt from this file"},
    {"detail", TEXT(owned[OWN_DETAIL]), 0, 0, "image detail: auto, low or high (default auto)"},
    {"system", TEXT(system_prompt), 0, 0, "system prompt sent with every request"},
    {"temperature", NUM(SET_DOUBLE0, temperature), 0, 2,
     "sampling temperature, 0 to 2 (anthropic: 0 to 1); default: not sent"},
    {"seed", NUM(SET_LONG, seed), 0, 2147483647,
     "sampling seed (openai, gemini; not anthropic); default: not sent"},
    {"max-tokens", NUM(SET_LONG, max_tokens), 0, 1000000,
     "completion token limit per request, 0 = not sent (default 300)"},
    {"concurrency", NUM(SET_LONG, concurrency), 1, 10000, "requests in flight (default 10)"},
    {"batch-size", NUM(SET_LONG, batch_size), 1, 500,
     "images per request, answered as one JSON array (default 1)"},
    {"batch-max-bytes", NUM(SET_SIZE, batch_max_bytes), 1024, LONG_MAX,
     "a multi-image request body stays below this (default 20000000)"},
    {"timeout", NUM(SET_DOUBLE, timeout_s), 0, 86400, "seconds per request (default 120)"},
    {"max-image-bytes", NUM(SET_SIZE, max_image_bytes), 1, LONG_MAX,
     "refuse larger image files (default 20971520)"},
    {"prepare-threads", NUM(SET_LONG, prepare_threads), 0, 64,
     "threads reading and encoding images, 0 = automatic"},
    {"rpm", NUM(SET_DOUBLE0, rpm), 0, 100000000,
     "requests per minute to pace to, 0 = learn the limit from the server"},
    {"tpm", NUM(SET_DOUBLE0, tpm), 0, 1000000000,
     "tokens per minute to pace to, 0 = learn the limit from the server"},
    {"burst", NUM(SET_DOUBLE0, burst), 0, 1000000,
     "requests allowed back to back, 0 = automatic (100 ms of quota)"},
    {"limiter", TEXT(owned[OWN_LIMITER]), 0, 0,
     "gcra (smooth pacing, default) or window (60 s sliding window)"},
    {"retries", NUM(SET_LONG, retries), 0, 1000, "retries per image after the first try (6)"},
    {"retry-base", NUM(SET_DOUBLE0, retry_base_s), 0, 3600,
     "seconds before the first retry, doubling per retry (0.5)"},
    {"retry-max", NUM(SET_DOUBLE0, retry_max_s), 0, 3600,
     "longest wait between retries in seconds (30)"},
    {"journal", PATH(journal_path), 0, 0,
     "SQLite journal making the job resumable (default: OUTPUT.journal)"},
    {"no-journal", SET_BOOL_CONFIG, offsetof(config_t, no_journal), 0, 1,
     "keep no journal (a stopped run then starts over)"},
    {"allow-empty", SET_BOOL_CONFIG, offsetof(config_t, allow_empty), 0, 1,
     "inputs holding no image are not an error: images 0, exit 0"},
    {"image-column", TEXT(csv_image_column), 0, 0,
     ".csv manifests: the column holding the image path or URL (default image)"},
    {"id-column", TEXT(csv_id_column), 0, 0,
     ".csv manifests: the column holding the item's id (default id)"},
    {"csv-delimiter", TEXT(csv_delimiter), 0, 0,
     ".csv manifests: , ; or tab (default: the one the header line holds most of)"},
    {"new-job", NUM(SET_BOOL, new_job), 0, 1,
     "the journal holds another job: forget its items and start this one"},
    {"retry-failed", NUM(SET_BOOL, retry_failed), 0, 1,
     "resuming: send the items that failed before again"},
    {"no-cache", NUM(SET_BOOL, no_cache), 0, 1,
     "send every image even when the result cache has its answer"},
    {"grace", NUM(SET_DOUBLE0, grace_s), 0, 86400,
     "seconds in-flight requests may finish after Ctrl-C / SIGTERM (30)"},
    {"budget", NUM(SET_DOUBLE0, budget_usd), 0, 1000000000,
     "hard limit in USD: stop sending before the spend could pass it"},
    {"cost-warn", NUM(SET_DOUBLE0, cost_warn_usd), 0, 1000000000,
     "warn once when the spend passes this many USD"},
    {"pricing", PATH(pricing_path), 0, 0, "JSON price file over the built-in prices"},
    {"resize", TEXT(owned[OWN_RESIZE]), 0, 0,
     "auto: downscale to the size the provider would keep (same tokens, fewer bytes); off"},
    {"max-side", NUM(SET_LONG, max_side), 0, 100000,
     "downscale images to fit within N x N pixels before sending, 0 = no limit"},
    {"no-dedupe", NUM(SET_BOOL, no_dedupe), 0, 1,
     "send byte-identical images with the same request every time"},
    {"no-decode-check", NUM(SET_BOOL, no_decode_check), 0, 1,
     "trust the pixels: check headers and end markers only, not a full decode"},
    {"convert", NUM(SET_BOOL, convert), 0, 1,
     "send BMP, TIFF, HEIC, AVIF converted to PNG/JPEG, animated GIF/WebP as the first frame"},
    {"fetch-urls", NUM(SET_BOOL, fetch_urls), 0, 1,
     "download URL images and send them as files: checked, hashed, deduplicated, cached, "
     "resized; a dead URL is a fetch_failed line, never sent"},
    {"fetch-concurrency", NUM(SET_LONG, fetch_concurrency), 1, 256,
     "with fetch-urls: downloads at once (16)"},
    {"fetch-per-host", NUM(SET_LONG, fetch_per_host), 1, 256,
     "with fetch-urls: connections to one host at once (4)"},
    {"body-timeout", NUM(SET_DOUBLE, body_timeout_s), 0, 86400,
     "seconds a response may take from its first byte to its last: a server dripping "
     "bytes is a timeout (30)"},
    {"unreachable-timeout", NUM(SET_DOUBLE, unreachable_timeout_s), 1, 86400,
     "after a success, seconds the endpoint may stay unreachable (the run paused, probing) "
     "before the run stops with exit 3 (300)"},
    {"no-preflight", NUM(SET_BOOL, no_preflight), 0, 1,
     "do not ask the server's model listing whether it has the model before the first upload"},
    {"insecure", NUM(SET_BOOL, insecure), 0, 1,
     "do NOT verify the server's TLS certificate (warned about on every run)"},
    {"ca-cert", PATH(ca_cert_path), 0, 0,
     "PEM file of the CAs to trust instead of the system's (default: $CURL_CA_BUNDLE, "
     "then $SSL_CERT_FILE)"},
    {"allow-http", NUM(SET_BOOL, allow_http), 0, 1,
     "allow a plain http:// base URL to a host that is not loopback (the key goes in clear)"},
    {"output", PATH(output_path), 0, 0, "write JSONL results here (default: standard output)"},
    {"json", NUM(SET_BOOL, json_object), 0, 1,
     "ask for a JSON object answer (response_format json_object); parsed into \"data\""},
    {"schema", PATH(schema_path), 0, 0,
     "JSON Schema file the answers must follow (response_format json_schema, strict)"},
    {"json-retries", NUM(SET_LONG, json_retries), 0, 100,
     "re-ask this often when an answer is not the JSON asked for (2)"},
    {"output-format", TEXT(owned[OWN_OUTPUT_FORMAT]), 0, 0,
     "jsonl (default) or openai-batch (OpenAI Batch API output lines)"},
    {"batch-api", NUM(SET_BOOL, batch_api), 0, 1,
     "send through the provider's batch API: half the price, answers within 24 h (needs a "
     "journal)"},
    {"no-wait", NUM(SET_BOOL, batch_no_wait), 0, 1,
     "with batch-api: submit the batches and exit; the same command collects them"},
    {"poll-interval", NUM(SET_DOUBLE, poll_interval_s), 0, 3600,
     "with batch-api: seconds between polls of open batches, 0.05 to 3600 (30)"},
    {"batch-api-max-lines", NUM(SET_LONG, batch_api_max_lines), 0, 10000000,
     "with batch-api: requests per batch at most, 0 = the provider's cap"},
    {"max-enqueued-tokens", NUM(SET_DOUBLE0, max_enqueued_tokens), 0, LONG_MAX,
     "with batch-api: estimated prompt tokens of the job's open batches at most, 0 = no limit"},
    {"fallback-online", NUM(SET_BOOL, fallback_online), 0, 1,
     "with batch-api: send the items of an expired batch online instead of in a new batch"},
    {"fallback-after", NUM(SET_DOUBLE0, fallback_after_s), 0, 86400,
     "with fallback-online: also once a batch has waited this many seconds (0: on expiry)"},
    {"api-key-file", PATH(api_key_file), 0, 0, "read the API key from this file"},
    {"redis", TEXT(redis_url), 0, 0,
     "redis://[user:password@]host:port[/db]: share the job with workers on other machines"},
    {"job", TEXT(job_name), 0, 0, "the name of a distributed job (with --redis)"},
    {"visibility-timeout", TEXT(visibility), 0, 0,
     "seconds before a dead worker's items go to another worker (with --redis; 60)"},
};

/* Wipes and frees the key held, if any. */
static void key_wipe(config_t *c)
{
    if (c->api_key) {
        explicit_bzero(c->api_key, strlen(c->api_key));
        free(c->api_key);
    }
    c->api_key = NULL;
    c->key_from_env = 0;
}

static const setting_t *setting_find(const char *name)
{
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        if (strcmp(settings[i].name, name) == 0)
            return &settings[i];
    return NULL;
}

/* Re-points o's string fields at the owned copies after one changed. */
static void config_sync(config_t *c)
{
    c->o.provider = c->owned[OWN_PROVIDER];
    c->o.base_url = c->owned[OWN_BASE_URL];
    c->o.model = c->owned[OWN_MODEL];
    c->o.prompt = c->owned[OWN_PROMPT];
    c->o.detail = c->owned[OWN_DETAIL];
    c->o.limiter = c->owned[OWN_LIMITER];
    c->o.resize = c->owned[OWN_RESIZE];
    c->o.output_format = c->owned[OWN_OUTPUT_FORMAT];
    c->o.system = c->system_prompt;
    c->o.csv_image_column = c->csv_image_column;
    c->o.csv_id_column = c->csv_id_column;
    c->o.csv_delimiter = c->csv_delimiter;
}

config_t *config_new(void)
{
    config_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    vb_options_init(&c->o);
    c->owned[OWN_PROMPT] = strdup(c->o.prompt);
    c->owned[OWN_DETAIL] = strdup(c->o.detail);
    c->owned[OWN_LIMITER] = strdup(c->o.limiter);
    c->owned[OWN_RESIZE] = strdup(c->o.resize);
    c->owned[OWN_OUTPUT_FORMAT] = strdup(c->o.output_format);
    for (int i = OWN_PROMPT; i <= OWN_OUTPUT_FORMAT; i++) {
        if (!c->owned[i]) {
            config_free(c);
            return NULL;
        }
    }
    config_sync(c);
    return c;
}

static int parse_number(const setting_t *s, const char *value, const char *origin,
                        vb_options_t *o, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    if (s->kind == SET_DOUBLE || s->kind == SET_DOUBLE0) {
        double d = strtod(value, &end);
        bool low = s->kind == SET_DOUBLE ? d <= s->min : d < s->min;
        if (errno || end == value || *end || !isfinite(d) || low || d > s->max) {
            snprintf(err, errlen, "%s: %s must be a number %s %ld and at most %ld, not '%s'",
                     origin, s->name, s->kind == SET_DOUBLE ? "above" : "from", s->min, s->max,
                     value);
            return -1;
        }
        *(double *)((char *)o + s->offset) = d;
        return 0;
    }
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < s->min || v > s->max) {
        snprintf(err, errlen, "%s: %s must be a whole number from %ld to %ld, not '%s'", origin,
                 s->name, s->min, s->max, value);
        return -1;
    }
    if (s->kind == SET_SIZE)
        *(size_t *)((char *)o + s->offset) = (size_t)v;
    else
        *(long *)((char *)o + s->offset) = (long)v;
    return 0;
}

int config_set(config_t *c, const char *name, const char *value, const char *origin, char *err,
               size_t errlen)
{
    const setting_t *s = setting_find(name);
    if (!s) {
        snprintf(err, errlen, "%s: unknown setting '%s'", origin, name);
        return -1;
    }
    if (s->kind == SET_BOOL || s->kind == SET_BOOL_CONFIG) {
        int v;
        if (!strcmp(value, "1") || !strcasecmp(value, "true") || !strcasecmp(value, "yes") ||
            !strcasecmp(value, "on"))
            v = 1;
        else if (!strcmp(value, "0") || !strcasecmp(value, "false") || !strcasecmp(value, "no") ||
                 !strcasecmp(value, "off"))
            v = 0;
        else {
            snprintf(err, errlen, "%s: %s must be true or false, not '%s'", origin, name, value);
            return -1;
        }
        *(int *)((s->kind == SET_BOOL ? (char *)&c->o : (char *)c) + s->offset) = v;
        return 0;
    }
    if (s->kind != SET_TEXT && s->kind != SET_PATH)
        return parse_number(s, value, origin, &c->o, err, errlen);
    if (s->kind == SET_TEXT && value[0] == '\0') {
        snprintf(err, errlen, "%s: %s must not be empty", origin, name);
        return -1;
    }
    char *copy = strdup(value);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char **slot = (char **)((char *)c + s->offset);
    free(*slot);
    *slot = copy;
    /* A prompt and a prompt file replace each other; so do the two key sources. */
    if (strcmp(name, "prompt") == 0) {
        free(c->prompt_file);
        c->prompt_file = NULL;
    } else if (strcmp(name, "api-key-file") == 0) {
        c->key_file_layer = c->layer; /* a flag's key file wins over the env's key */
        key_wipe(c);
    }
    if (strcmp(name, "base-url") == 0)
        c->base_url_layer = c->layer; /* a file's loses to the provider's variable */
    config_sync(c);
    return 0;
}

/* The system's inih is built with INI_ALLOW_INLINE_COMMENTS (a ';' after a blank ends
 * the value: "prompt = a; b ; c" would read "a; b"), and being a shared library its
 * configuration cannot be changed here. In visionbatch's files only a line whose first
 * non-blank is ';' or '#' is a comment, so the reader below hands inih every other
 * line's ';' as INI_KEPT_SEMICOLON, which inih does not look at, and ini_on_value turns
 * it back. (A file holding that control byte itself is refused.) */
#define INI_KEPT_SEMICOLON '\x1f'

typedef struct ini_reader_state {
    FILE *f;
    int at_line_start; /* the next chunk begins a line (the last one ended with '\n') */
    int in_comment;    /* the line being read is a comment line */
    int control_byte;  /* the file holds INI_KEPT_SEMICOLON itself */
} ini_reader_state_t;

/* inih's reader: fgets, with the ';' of value lines kept from inih's comment cutting.
 * A line longer than buf arrives in several chunks: only the first says what it is. */
static char *ini_read_line(char *buf, int size, void *stream)
{
    ini_reader_state_t *r = stream;
    if (!fgets(buf, size, r->f))
        return NULL;
    if (r->at_line_start) {
        size_t blank = strspn(buf, " \t");
        r->in_comment = buf[blank] == ';' || buf[blank] == '#';
    }
    size_t n = strlen(buf);
    r->at_line_start = n > 0 && buf[n - 1] == '\n';
    for (char *p = buf; *p; p++) {
        if (*p == INI_KEPT_SEMICOLON)
            r->control_byte = 1;
        else if (*p == ';' && !r->in_comment)
            *p = INI_KEPT_SEMICOLON;
    }
    return buf;
}

typedef struct ini_ctx {
    config_t *c;
    const char *path;
    char *err;
    size_t errlen;
    int failed;
} ini_ctx_t;

static int ini_on_value(void *user, const char *section, const char *name, const char *value)
{
    ini_ctx_t *x = user;
    if (x->failed)
        return 0;
    if (section[0] && strcmp(section, "visionbatch") != 0) {
        snprintf(x->err, x->errlen, "%s: unknown section [%s] (use [visionbatch] or none)",
                 x->path, section);
        x->failed = 1;
        return 0;
    }
    char origin[300];
    snprintf(origin, sizeof origin, "%.280s", x->path);
    char *kept = strdup(value);
    if (!kept) {
        snprintf(x->err, x->errlen, "out of memory");
        x->failed = 1;
        return 0;
    }
    for (char *p = kept; *p; p++)
        if (*p == INI_KEPT_SEMICOLON)
            *p = ';';
    int set = config_set(x->c, name, kept, origin, x->err, x->errlen);
    free(kept);
    if (set != 0) {
        x->failed = 1;
        return 0;
    }
    return 1;
}

int config_load_file(config_t *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "config file %s: %s", path, strerror(errno));
        return -1;
    }
    ini_ctx_t x = {c, path, err, errlen, 0};
    ini_reader_state_t r = {f, 1, 0, 0};
    int line = ini_parse_stream(ini_read_line, &r, ini_on_value, &x);
    fclose(f);
    if (x.failed)
        return -1;
    if (r.control_byte) {
        snprintf(err, errlen, "config file %s: holds a control character (0x1f)", path);
        return -1;
    }
    if (line != 0) {
        snprintf(err, errlen, "config file %s:%d: not a 'name = value' line", path, line);
        return -1;
    }
    return 0;
}

int config_load_env(config_t *c, char *err, size_t errlen)
{
    const char *v;
    c->layer = CONFIG_LAYER_ENV;
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        char var[64] = "VISIONBATCH_";
        size_t n = strlen(var);
        for (const char *p = settings[i].name; *p && n + 1 < sizeof var; p++)
            var[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        var[n] = '\0';
        v = getenv(var);
        if (v && *v && config_set(c, settings[i].name, v, var, err, errlen) != 0)
            return -1;
    }
    c->layer = CONFIG_LAYER_FLAGS; /* the provider's variables are read once it is known */
    return 0;
}

static const struct provider_env *provider_env_of(const char *provider)
{
    for (size_t i = 0; i < sizeof provider_envs / sizeof provider_envs[0]; i++)
        if (strcmp(provider_envs[i].provider, provider) == 0)
            return &provider_envs[i];
    return &provider_envs[0];
}

/* The key from VISIONBATCH_API_KEY, else the provider SDK's variables, or NULL; *var gets
 * the variable's name. */
static const char *env_key(const struct provider_env *pe, const char **var)
{
    const char *names[] = {"VISIONBATCH_API_KEY", pe->key_vars[0], pe->key_vars[1]};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = names[i] ? getenv(names[i]) : NULL;
        if (v && *v) {
            *var = names[i];
            return v;
        }
    }
    return NULL;
}

const char *config_named_provider(const config_t *c)
{
    return c->owned[OWN_PROVIDER];
}

int config_choose_provider(config_t *c, char *err, size_t errlen)
{
    const char *named = c->owned[OWN_PROVIDER];
    if (named && !vb_provider_resolve(named, NULL)) {
        snprintf(err, errlen, "unknown provider '%.64s' (openai, anthropic or gemini)", named);
        return -1;
    }
    const char *base = c->owned[OWN_BASE_URL];
    if (!base || c->base_url_layer == CONFIG_LAYER_FILE) {
        /* the SDK's variable of the provider named, else OpenAI's (as before) */
        const char *var = provider_env_of(named ? named : "openai")->base_url_var;
        if (var && getenv(var) && *getenv(var))
            base = getenv(var);
    }
    const char *provider = vb_provider_resolve(named, base);
    const struct provider_env *pe = provider_env_of(provider);
    c->o.provider = provider;
    c->o.base_url = base;
    if (!(c->api_key_file && c->key_file_layer == CONFIG_LAYER_FLAGS)) {
        /* the environment's key wins over a config file's key file; a key meant for
         * another provider is never sent to this one */
        const char *var = NULL, *v = env_key(pe, &var);
        if (v || c->key_from_env)
            key_wipe(c);
        if (v) {
            free(c->api_key_file);
            c->api_key_file = NULL;
            if (!(c->api_key = strdup(v))) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            c->key_from_env = 1;
        }
    }
    c->o.api_key = c->api_key;
    return 0;
}

/* Reads a small text file whole (at most max bytes); what names it in errors. Returns a
 * malloc'd, NUL-terminated string, or NULL with a reason in err. (The library's
 * small_file.c does the same for its files; the CLI sees only the public API.) */
static char *read_small_file(const char *path, size_t max, const char *what, char *err,
                             size_t errlen)
{
    const char *why = NULL;
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc(max + 1) : NULL;
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    if (!f)
        why = strerror(errno);
    else if (!buf)
        why = "out of memory";
    else if (ferror(f))
        why = "read error";
    else if (n > max)
        why = "file too large";
    if (f)
        fclose(f);
    if (why) {
        snprintf(err, errlen, "%s %s: %s", what, path, why);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

int config_finish(config_t *c, FILE *warn, char *err, size_t errlen)
{
    if (config_choose_provider(c, err, errlen) != 0)
        return -1;
    if (c->prompt_file) {
        char *p = read_small_file(c->prompt_file, 256 * 1024, "prompt file", err, errlen);
        if (!p)
            return -1;
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
            p[--n] = '\0';
        if (n == 0) {
            snprintf(err, errlen, "prompt file %s is empty", c->prompt_file);
            free(p);
            return -1;
        }
        free(c->owned[OWN_PROMPT]);
        c->owned[OWN_PROMPT] = p;
    }
    if (c->api_key_file) {
        struct stat st;
        if (stat(c->api_key_file, &st) == 0 && (st.st_mode & 077) && warn)
            fprintf(warn, "visionbatch: warning: API key file %s is readable by other users "
                          "(chmod 600 it)\n", c->api_key_file);
        char *k = read_small_file(c->api_key_file, 4096, "API key file", err, errlen);
        if (!k)
            return -1;
        /* the key is the first line, without surrounding blanks */
        char *s = k;
        while (isspace((unsigned char)*s))
            s++;
        size_t n = strcspn(s, "\r\n");
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            n--;
        key_wipe(c);
        c->api_key = n ? strndup(s, n) : NULL;
        explicit_bzero(k, strlen(k));
        free(k);
        if (!c->api_key) {
            snprintf(err, errlen, "API key file %s holds no key", c->api_key_file);
            return -1;
        }
    }
    config_sync(c);
    if (config_choose_provider(c, err, errlen) != 0) /* config_sync reset its choices */
        return -1;
    if (!c->journal_path && c->output_path && strcmp(c->output_path, "-") != 0) {
        /* beside the output: results.jsonl -> results.journal */
        const char *out = c->output_path;
        size_t n = strlen(out);
        if (n > 6 && strcmp(out + n - 6, ".jsonl") == 0)
            n -= 6;
        if (!(c->journal_path = malloc(n + sizeof ".journal"))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        snprintf(c->journal_path, n + sizeof ".journal", "%.*s.journal", (int)n, out);
    }
    c->o.journal = c->no_journal ? NULL : c->journal_path;
    c->o.pricing = c->pricing_path;
    c->o.schema = c->schema_path;
    c->o.ca_cert = c->ca_cert_path;
    return 0;
}

void config_print_settings(FILE *out)
{
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        fprintf(out, "  %-16s %s\n", settings[i].name, settings[i].help);
}

void config_free(config_t *c)
{
    if (!c)
        return;
    key_wipe(c);
    for (size_t i = 0; i < sizeof c->owned / sizeof c->owned[0]; i++)
        free(c->owned[i]);
    free(c->output_path);
    free(c->journal_path);
    free(c->pricing_path);
    free(c->schema_path);
    free(c->ca_cert_path);
    free(c->prompt_file);
    free(c->api_key_file);
    if (c->redis_url)
        explicit_bzero(c->redis_url, strlen(c->redis_url));
    free(c->redis_url);
    free(c->job_name);
    free(c->visibility);
    free(c->system_prompt);
    free(c->csv_image_column);
    free(c->csv_id_column);
    free(c->csv_delimiter);
    free(c);
}
