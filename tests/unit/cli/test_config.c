/* test_config.c - defaults < config file < environment < flags, and the API key's sources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[64];

static void write_text(const char *p, const char *text, mode_t mode)
{
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(p, mode);
}

static int clear_env(void **state)
{
    (void)state;
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_API_KEY");
    unsetenv("ANTHROPIC_BASE_URL");
    unsetenv("ANTHROPIC_API_KEY");
    unsetenv("GEMINI_API_KEY");
    unsetenv("GOOGLE_API_KEY");
    unsetenv("VISIONBATCH_PROVIDER");
    unsetenv("VISIONBATCH_API_KEY");
    unsetenv("VISIONBATCH_MODEL");
    unsetenv("VISIONBATCH_CONCURRENCY");
    snprintf(path, sizeof path, "/tmp/vb-config-%d.ini", (int)getpid());
    return 0;
}

static int remove_file(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void test_defaults(void **state)
{
    (void)state;
    char err[256];
    config_t *c = config_new();
    assert_int_equal(config_finish(c, NULL, err, sizeof err), 0);
    /* OpenAI's protocol; its service and model are the library's defaults */
    assert_string_equal(c->o.provider, "openai");
    assert_null(c->o.base_url);
    assert_null(c->o.model);
    assert_string_equal(vb_provider_default_base_url("openai"), "https://api.openai.com/v1");
    assert_string_equal(vb_provider_default_model("openai"), "gpt-4o-mini");
    assert_int_equal(c->o.concurrency, 10);
    assert_null(c->o.api_key);
    config_free(c);
}

static void test_layers_in_order(void **state)
{
    (void)state;
    char err[256];
    write_text(path, "# settings\n[visionbatch]\nmodel = from-file\nconcurrency = 7\n"
                     "base-url = http://file.example/v1\ntimeout = 2.5\n",
               0600);
    setenv("VISIONBATCH_MODEL", "from-env", 1);
    setenv("OPENAI_BASE_URL", "http://env.example/v1", 1);
    config_t *c = config_new();
    assert_int_equal(config_load_file(c, path, err, sizeof err), 0);
    assert_int_equal(c->o.concurrency, 7);
    assert_string_equal(c->o.model, "from-file");
    assert_int_equal(config_load_env(c, err, sizeof err), 0);
    assert_string_equal(c->o.model, "from-env");
    assert_int_equal(config_set(c, "model", "from-flag", "--model", err, sizeof err), 0);
    assert_int_equal(config_finish(c, NULL, err, sizeof err), 0);
    assert_string_equal(c->o.base_url, "http://env.example/v1"); /* env beats the file */
    assert_string_equal(c->o.model, "from-flag");
    assert_int_equal(c->o.concurrency, 7);
    assert_true(c->o.timeout_s > 2.49 && c->o.timeout_s < 2.51);
    config_free(c);
}

/* The batch API's settings, as config lines, environment variables and flags; their
 * defaults when none is given. */
static void test_batch_api_settings(void **state)
{
    (void)state;
    char err[256];
    config_t *c = config_new();
    assert_int_equal(c->o.batch_api, 0);
    assert_true(c->o.poll_interval_s == 30 && c->o.fallback_after_s == 0);
    write_text(path, "batch-api = true\nno-wait = yes\npoll-interval = 2.5\n"
                     "batch-api-max-lines = 500\nmax-enqueued-tokens = 2000000\n"
                     "fallback-online = on\nfallback-after = 3600\n",
               0600);
    assert_int_equal(config_load_file(c, path, err, sizeof err), 0);
    assert_int_equal(c->o.batch_api, 1);
    assert_int_equal(c->o.batch_no_wait, 1);
    assert_true(c->o.poll_interval_s == 2.5);
    assert_int_equal(c->o.batch_api_max_lines, 500);
    assert_true(c->o.max_enqueued_tokens == 2000000);
    assert_int_equal(c->o.fallback_online, 1);
    assert_true(c->o.fallback_after_s == 3600);
    setenv("VISIONBATCH_POLL_INTERVAL", "7", 1);
    setenv("VISIONBATCH_NO_WAIT", "false", 1);
    assert_int_equal(config_load_env(c, err, sizeof err), 0);
    unsetenv("VISIONBATCH_POLL_INTERVAL");
    unsetenv("VISIONBATCH_NO_WAIT");
    assert_true(c->o.poll_interval_s == 7);
    assert_int_equal(c->o.batch_no_wait, 0);
    assert_int_equal(config_set(c, "batch-api", "0", "--batch-api", err, sizeof err), 0);
    assert_int_equal(c->o.batch_api, 0);
    assert_int_equal(config_set(c, "poll-interval", "0", "--poll-interval", err, sizeof err), -1);
    assert_int_equal(config_set(c, "batch-api-max-lines", "-1", "x.ini", err, sizeof err), -1);
    assert_int_equal(config_set(c, "max-enqueued-tokens", "-1", "x.ini", err, sizeof err), -1);
    assert_int_equal(config_set(c, "fallback-after", "-5", "x.ini", err, sizeof err), -1);
    config_free(c);
}

static void test_bad_values_name_their_origin(void **state)
{
    (void)state;
    char err[256];
    config_t *c = config_new();
    assert_int_equal(config_set(c, "concurrency", "ten", "--concurrency", err, sizeof err), -1);
    assert_non_null(strstr(err, "--concurrency"));
    assert_int_equal(config_set(c, "concurrency", "0", "--concurrency", err, sizeof err), -1);
    assert_int_equal(config_set(c, "max-tokens", "12x", "--max-tokens", err, sizeof err), -1);
    assert_int_equal(config_set(c, "timeout", "-1", "--timeout", err, sizeof err), -1);
    assert_int_equal(config_set(c, "no-such-thing", "1", "x.ini", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown setting"));
    write_text(path, "model = a\nthis line is wrong\n", 0600);
    assert_int_equal(config_load_file(c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2"));
    write_text(path, "[other]\nmodel = a\n", 0600);
    assert_int_equal(config_load_file(c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown section"));
    config_free(c);
}

static void test_api_key_sources(void **state)
{
    (void)state;
    char err[256];
    setenv("OPENAI_API_KEY", "key-from-openai-env", 1);
    config_t *c = config_new();
    assert_int_equal(config_load_env(c, err, sizeof err), 0);
    assert_int_equal(config_finish(c, NULL, err, sizeof err), 0);
    assert_string_equal(c->o.api_key, "key-from-openai-env");
    config_free(c);

    setenv("VISIONBATCH_API_KEY", "key-from-vb-env", 1);
    c = config_new();
    assert_int_equal(config_load_env(c, err, sizeof err), 0);
    assert_int_equal(config_finish(c, NULL, err, sizeof err), 0);
    assert_string_equal(c->o.api_key, "key-from-vb-env");
    config_free(c);

    /* a key file given as a flag beats the environment; a world-readable one warns */
    write_text(path, "  key-from-file  \nsecond line ignored\n", 0644);
    c = config_new();
    assert_int_equal(config_load_env(c, err, sizeof err), 0);
    assert_int_equal(config_set(c, "api-key-file", path, "--api-key-file", err, sizeof err), 0);
    char warning[512] = "";
    FILE *w = fmemopen(warning, sizeof warning, "w");
    assert_int_equal(config_finish(c, w, err, sizeof err), 0);
    fclose(w);
    assert_string_equal(c->o.api_key, "key-from-file");
    assert_non_null(strstr(warning, "readable by other users"));
    assert_null(strstr(warning, "key-from-file"));
    config_free(c);
}

/* The provider: named, or from the base URL's host; each takes its SDK's variables, and
 * a key meant for another provider is never used. */
static void test_provider_choice(void **state)
{
    (void)state;
    char err[256];
    setenv("OPENAI_API_KEY", "openai-key", 1);
    setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1", 1);
    setenv("ANTHROPIC_API_KEY", "anthropic-key", 1);
    setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:2", 1);
    setenv("GOOGLE_API_KEY", "google-key", 1);

    config_t *c = config_new(); /* nothing named: OpenAI's, with its variables */
    assert_int_equal(config_load_env(c, err, sizeof err), 0);
    assert_int_equal(config_finish(c, NULL, err, sizeof err), 0);
    assert_string_equal(c->o.provider, "openai");
    assert_string_equal(c->o.base_url, "http://127.0.0.1:1/v1");
    assert_string_equal(c->o.api_key, "openai-key");
    config_free(c);

    c = config_new(); /* --provider anthropic: its variables, never OpenAI's key */
    assert_int_equal(config_load_env(c, err, sizeof err), 0);
    assert_int_equal(config_set(c, "provider", "anthropic", "--provider", err, sizeof err), 0);
    assert_int_equal(config_finish(c, NULL, err, sizeof err), 0);
    assert_string_equal(c->o.provider, "anthropic");
    assert_string_equal(c->o.base_url, "http://127.0.0.1:2");
    assert_string_equal(c->o.api_key, "anthropic-key");
    config_free(c);

    unsetenv("OPENAI_BASE_URL"); /* the host alone names Gemini; GOOGLE_API_KEY after GEMINI_ */
    c = config_new();
    assert_int_equal(config_load_env(c, err, sizeof err), 0);
    assert_int_equal(config_set(c, "base-url", "https://generativelanguage.googleapis.com",
                                "--base-url", err, sizeof err), 0);
    assert_int_equal(config_finish(c, NULL, err, sizeof err), 0);
    assert_string_equal(c->o.provider, "gemini");
    assert_string_equal(c->o.api_key, "google-key");
    setenv("GEMINI_API_KEY", "gemini-key", 1);
    assert_int_equal(config_choose_provider(c, err, sizeof err), 0);
    assert_string_equal(c->o.api_key, "gemini-key");
    config_free(c);

    unsetenv("ANTHROPIC_API_KEY"); /* no key of its own: none, not OpenAI's */
    c = config_new();
    assert_int_equal(config_load_env(c, err, sizeof err), 0);
    assert_int_equal(config_set(c, "base-url", "https://api.anthropic.com", "--base-url", err,
                                sizeof err), 0);
    assert_int_equal(config_finish(c, NULL, err, sizeof err), 0);
    assert_string_equal(c->o.provider, "anthropic");
    assert_null(c->o.api_key);
    /* a Redis worker adopting an OpenAI job drops nothing it should keep */
    assert_int_equal(config_set(c, "provider", "openai", "job", err, sizeof err), 0);
    assert_int_equal(config_choose_provider(c, err, sizeof err), 0);
    assert_string_equal(c->o.api_key, "openai-key");
    config_free(c);

    c = config_new();
    assert_int_equal(config_set(c, "provider", "azure", "--provider", err, sizeof err), 0);
    assert_int_equal(config_finish(c, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown provider 'azure'"));
    config_free(c);
    unsetenv("GEMINI_API_KEY");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, clear_env, remove_file),
        cmocka_unit_test_setup_teardown(test_layers_in_order, clear_env, remove_file),
        cmocka_unit_test_setup_teardown(test_batch_api_settings, clear_env, remove_file),
        cmocka_unit_test_setup_teardown(test_bad_values_name_their_origin, clear_env,
                                        remove_file),
        cmocka_unit_test_setup_teardown(test_api_key_sources, clear_env, remove_file),
        cmocka_unit_test_setup_teardown(test_provider_choice, clear_env, remove_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
