/* test_sim_digest_set.c - the digest set behind distinct_images_billed and billed_twice:
 * new, present again, growth keeps every digest, and a full set refuses without losing
 * what it holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim_digest_set.h"

#include <string.h>

/* A digest made from n (never all zero). */
static void digest(unsigned long n, unsigned char d[SIM_DIGEST_LEN])
{
    memset(d, 0x5a, SIM_DIGEST_LEN);
    memcpy(d, &n, sizeof n);
    d[SIM_DIGEST_LEN - 1] = (unsigned char)(n * 31u + 1u);
}

static void test_add_and_grow(void **state)
{
    (void)state;
    sim_digest_set_t s;
    sim_digest_set_init(&s, (size_t)1 << 16);
    unsigned char d[SIM_DIGEST_LEN];
    for (unsigned long i = 0; i < 5000; i++) { /* past the first table's half load */
        digest(i, d);
        assert_int_equal(sim_digest_set_add(&s, d), 1);
    }
    for (unsigned long i = 0; i < 5000; i++) {
        digest(i, d);
        assert_int_equal(sim_digest_set_add(&s, d), 0);
    }
    assert_int_equal(s.count, 5000);
    static const unsigned char zero[SIM_DIGEST_LEN];
    assert_int_equal(sim_digest_set_add(&s, zero), -1);
    sim_digest_set_clear(&s);
    assert_int_equal(s.count, 0);
    digest(1, d);
    assert_int_equal(sim_digest_set_add(&s, d), 1);
    sim_digest_set_clear(&s);
}

static void test_full(void **state)
{
    (void)state;
    sim_digest_set_t s;
    sim_digest_set_init(&s, 1024); /* no growth: fills to three quarters */
    unsigned char d[SIM_DIGEST_LEN];
    unsigned long added = 0;
    for (unsigned long i = 0; i < 2000; i++) {
        digest(i, d);
        if (sim_digest_set_add(&s, d) == 1)
            added++;
    }
    assert_int_equal(added, 768);
    digest(0, d);
    assert_int_equal(sim_digest_set_add(&s, d), 0); /* still known when full */
    sim_digest_set_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_grow),
        cmocka_unit_test(test_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
