/* fuzz_config.c - libFuzzer target for the config file parser: the bytes are an INI
 * file read by config_load_file (libinih, then config_set's value parsing for every
 * setting: numbers with their ranges, booleans, text, paths), then config_finish's
 * derived settings and the job's own option checks (vb_job_new).
 *
 * Checks: a load either succeeds or fails with a message; after any load the options
 * still satisfy the settings' ranges (a rejected value must not have been half-applied);
 * the string options always point at live strings. config_finish runs only when the file
 * named no prompt or key file, so the fuzzer cannot make it read arbitrary files. */
#include "fuzz_util.h"

#include "cli/config.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_scratch_file("c.ini");
    fuzz_write_file(path, data, size);

    config_t *c = config_new();
    FUZZ_CHECK(c != NULL);
    char err[512] = "";
    int rc = config_load_file(c, path, err, sizeof err);
    FUZZ_CHECK(rc == 0 || (rc == -1 && err[0] != '\0'));
    const vb_options_t *o = &c->o;
    /* base URL, model and provider may be unset: the provider's defaults then */
    FUZZ_CHECK(o->prompt && o->detail && o->limiter && o->resize);
    FUZZ_CHECK((!o->base_url || o->base_url[0]) && (!o->model || o->model[0]));
    FUZZ_CHECK((!o->provider || o->provider[0]) && o->prompt[0] && o->detail[0]);
    FUZZ_CHECK(o->concurrency >= 1 && o->concurrency <= 10000);
    FUZZ_CHECK(o->max_tokens >= 0 && o->prepare_threads >= 0 && o->retries >= 0);
    FUZZ_CHECK(isfinite(o->timeout_s) && o->timeout_s > 0);
    FUZZ_CHECK(isfinite(o->rpm) && o->rpm >= 0 && isfinite(o->tpm) && o->tpm >= 0);
    FUZZ_CHECK(isfinite(o->budget_usd) && isfinite(o->retry_base_s) && isfinite(o->retry_max_s));
    if (rc == 0 && !c->prompt_file && !c->api_key_file) {
        err[0] = '\0';
        rc = config_finish(c, NULL, err, sizeof err);
        FUZZ_CHECK(rc == 0 || err[0] != '\0');
        FUZZ_CHECK(!c->no_journal || c->o.journal == NULL);
        /* what the CLI does next: the job takes the options or says why not */
        if (rc == 0) {
            err[0] = '\0';
            vb_job_t *job = vb_job_new(&c->o, err, sizeof err);
            FUZZ_CHECK(job != NULL || err[0] != '\0');
            vb_job_free(job);
        }
    }
    config_free(c);
    unlink(path);
    return 0;
}
