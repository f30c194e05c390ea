/* test_redis.c - the pure parts of the distributed mode: Redis URLs (and that the
 * password never reaches an error message), the limiter's key fingerprint, and how
 * admission and the budget use a shared backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admit/admit.h"
#include "cost/budget.h"
#include "redis/redis_conn.h"
#include "redis/redis_limiter.h"
#include "redis/redis_queue.h"

#include <stdlib.h>
#include <string.h>

#define S 1000000000ull

static void test_url_full(void **state)
{
    (void)state;
    redis_url_t u;
    char err[256];
    unsetenv("VISIONBATCH_REDIS_PASSWORD");
    assert_int_equal(redis_url_parse("redis://alice:p@ss:w@db.example:6380/3", &u, err,
                                     sizeof err), 0);
    assert_string_equal(u.host, "db.example");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 3);
    assert_string_equal(u.user, "alice");
    assert_string_equal(u.password, "p@ss:w"); /* the last @ ends the password */
    redis_url_clear(&u);
}

static void test_url_defaults_and_env(void **state)
{
    (void)state;
    redis_url_t u;
    char err[256];
    unsetenv("VISIONBATCH_REDIS_PASSWORD");
    assert_int_equal(redis_url_parse("redis://127.0.0.1", &u, err, sizeof err), 0);
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    assert_null(u.user);
    assert_null(u.password);
    redis_url_clear(&u);
    setenv("VISIONBATCH_REDIS_PASSWORD", "from-env", 1);
    assert_int_equal(redis_url_parse("redis://h:1/", &u, err, sizeof err), 0);
    assert_string_equal(u.password, "from-env");
    redis_url_clear(&u);
    assert_int_equal(redis_url_parse("redis://:inurl@h:1", &u, err, sizeof err), 0);
    assert_string_equal(u.password, "inurl"); /* the URL's wins */
    assert_null(u.user);
    redis_url_clear(&u);
    unsetenv("VISIONBATCH_REDIS_PASSWORD");
}

static void test_url_errors_hide_password(void **state)
{
    (void)state;
    redis_url_t u;
    char err[256];
    const char *bad[] = {"http://h:1", "redis://:secret-pw@h:99999", "redis://:secret-pw@h:x",
                         "redis://:secret-pw@/0", "redis://:secret-pw@h:1/db"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(redis_url_parse(bad[i], &u, err, sizeof err), -1);
        assert_true(err[0] != '\0');
        assert_null(strstr(err, "secret-pw"));
    }
}

static void test_limiter_key_is_a_fingerprint(void **state)
{
    (void)state;
    char a[64], b[64], c[64];
    redis_limiter_key("https://api.example/v1", "sk-secret-key", a, sizeof a);
    redis_limiter_key("https://api.example/v1", "sk-other-key", b, sizeof b);
    redis_limiter_key("https://api.example/v1", "sk-secret-key", c, sizeof c);
    assert_int_equal(strlen(a), strlen("vb:limit:") + 16);
    assert_null(strstr(a, "secret"));
    assert_string_not_equal(a, b);
    assert_string_equal(a, c);
}

static void test_job_names(void **state)
{
    (void)state;
    redis_job_t j;
    char err[256];
    assert_int_equal(redis_job_init(&j, "photos-2024.v1_a", err, sizeof err), 0);
    assert_string_equal(j.items, "vb:job:photos-2024.v1_a:items");
    assert_int_equal(redis_job_init(&j, "a b", err, sizeof err), -1);
    assert_int_equal(redis_job_init(&j, "a:b", err, sizeof err), -1);
    assert_int_equal(redis_job_init(&j, "", err, sizeof err), -1);
}

/* A fake shared limiter: records what it was asked, answers a set wait. */
typedef struct fake_limits {
    double rpm, rpm_burst, tpm, tokens;
    int calls;
    uint64_t answer;
} fake_limits_t;

static uint64_t fake_take(void *ctx, double rpm, double rpm_burst, double tpm, double tpm_burst,
                          double tokens)
{
    fake_limits_t *f = ctx;
    (void)tpm_burst;
    f->rpm = rpm;
    f->rpm_burst = rpm_burst;
    f->tpm = tpm;
    f->tokens = tokens;
    f->calls++;
    return f->answer;
}

static void test_admit_asks_the_shared_limiter(void **state)
{
    (void)state;
    admit_settings_t s = {.rpm = 600, .tpm = 10000, .kind = RATELIMIT_GCRA, .concurrency = 4,
                          .pause_base_s = 0.5, .pause_max_s = 30};
    admit_t *a = admit_new(&s);
    fake_limits_t f = {0};
    admit_shared_t shared = {fake_take, &f};
    admit_set_shared(a, &shared);
    uint64_t wake = 0, now = 10 * S;
    /* many requests back to back: the local limiters would refuse; the shared one rules */
    for (int i = 0; i < 3; i++)
        assert_int_equal(admit_try(a, 500, i, now, &wake), ADMIT_GO);
    assert_int_equal(f.calls, 3);
    assert_true(f.rpm == 600 && f.tpm == 10000 && f.tokens == 500);
    assert_true(f.rpm_burst >= 1);
    f.answer = 250000000; /* 250 ms */
    assert_int_equal(admit_try(a, 500, 0, now, &wake), ADMIT_WAIT);
    assert_int_equal(wake, now + 250000000);
    /* the window and the token ceiling are still this process's */
    f.answer = 0;
    assert_int_equal(admit_try(a, 500, 4, now, &wake), ADMIT_WAIT);
    assert_int_equal(admit_try(a, 20000, 0, now, &wake), ADMIT_NEVER);
    assert_int_equal(f.calls, 4);
    /* a 429 cuts the rate this process asks for */
    admit_on_response(a, ADMIT_SIGNAL_RATE_LIMITED, NULL, now, 1, now);
    assert_int_equal(admit_try(a, 500, 0, now + 60 * S, &wake), ADMIT_GO);
    assert_true(f.rpm < 600);
    admit_free(a);
}

/* A fake shared budget: one pool that several budget_t draw from. */
typedef struct pool {
    double spent, reserved;
} pool_t;

static int pool_reserve(void *ctx, double limit, double amount)
{
    pool_t *p = ctx;
    if (p->spent + p->reserved + amount > limit)
        return -1;
    p->reserved += amount;
    return 0;
}

static void pool_settle(void *ctx, double reserved, double actual)
{
    pool_t *p = ctx;
    p->reserved -= reserved;
    p->spent += actual;
}

static void test_budget_shared_by_two(void **state)
{
    (void)state;
    pool_t pool = {0};
    budget_shared_t shared = {pool_reserve, pool_settle, &pool};
    budget_t a = {.limit = 1.0, .shared = &shared}, b = {.limit = 1.0, .shared = &shared};
    assert_int_equal(budget_reserve(&a, 0.4), 0);
    assert_int_equal(budget_reserve(&b, 0.4), 0);
    assert_int_equal(budget_reserve(&a, 0.4), -1); /* 1.2 > 1: b's hold counts */
    budget_settle(&b, 0.4, 0.1);
    assert_int_equal(budget_reserve(&a, 0.4), 0);
    assert_true(pool.spent > 0.099 && pool.spent < 0.101);
    assert_true(pool.reserved > 0.799 && pool.reserved < 0.801);
    assert_true(b.spent > 0.099 && b.spent < 0.101); /* each keeps its own spend too */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_full),
        cmocka_unit_test(test_url_defaults_and_env),
        cmocka_unit_test(test_url_errors_hide_password),
        cmocka_unit_test(test_limiter_key_is_a_fingerprint),
        cmocka_unit_test(test_job_names),
        cmocka_unit_test(test_admit_asks_the_shared_limiter),
        cmocka_unit_test(test_budget_shared_by_two),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
