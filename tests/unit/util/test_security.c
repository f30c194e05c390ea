/* test_security.c - the base URL policy and the id set behind duplicate_id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "input/idset.h"
#include "util/proxy_env.h"
#include "util/url_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_loopback_hosts(void **state)
{
    (void)state;
    const char *yes[] = {"localhost",       "LOCALHOST", "127.0.0.1", "127.0.0.2",
                         "127.255.255.254", "::1",       "[::1]"};
    const char *no[] = {"128.0.0.1", "10.0.0.1", "example.com", "localhost.example.com",
                        "::2",       "[::]",     "0.0.0.0",     "126.0.0.1",
                        ""};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(url_policy_is_loopback(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(url_policy_is_loopback(no[i]));
}

static void test_http_only_to_loopback(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(url_policy_check("https://api.openai.com/v1", 0, err, sizeof err), 0);
    assert_int_equal(url_policy_check("http://127.0.0.1:8080/v1", 0, err, sizeof err), 0);
    assert_int_equal(url_policy_check("http://localhost/v1", 0, err, sizeof err), 0);
    assert_int_equal(url_policy_check("http://[::1]:9/v1", 0, err, sizeof err), 0);
    assert_int_equal(url_policy_check("http://api.example.com/v1", 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "refusing plain http:// to api.example.com"));
    assert_int_equal(url_policy_check("http://api.example.com/v1", 1, err, sizeof err), 0);
    /* a user:password part is never echoed */
    assert_int_equal(url_policy_check("http://user:s3cret@10.1.2.3/v1", 0, err, sizeof err), -1);
    assert_null(strstr(err, "s3cret"));
    /* "localhost" as a user name does not make the host loopback */
    assert_int_equal(url_policy_check("http://localhost@evil.example/v1", 0, err, sizeof err), -1);
    assert_int_equal(url_policy_check("ftp://127.0.0.1/v1", 1, err, sizeof err), -1);
    assert_int_equal(url_policy_check("https://", 0, err, sizeof err), -1);
}

/* no_proxy entries as libcurl reads them: "*", a name and its subdomains, a leading dot. */
static void test_noproxy_match(void **state)
{
    (void)state;
    assert_true(proxy_env_noproxy_matches("*", "api.example.com"));
    assert_true(proxy_env_noproxy_matches("foo, example.com", "api.example.com"));
    assert_true(proxy_env_noproxy_matches(".example.com", "API.Example.com"));
    assert_true(proxy_env_noproxy_matches("example.com", "example.com."));
    assert_false(proxy_env_noproxy_matches("example.com", "badexample.com"));
    assert_false(proxy_env_noproxy_matches("api.example.com", "example.com"));
    assert_false(proxy_env_noproxy_matches("", "example.com"));
    assert_false(proxy_env_noproxy_matches(NULL, "example.com"));
}

/* Plain http through an environment proxy is refused with the proxy named, its password
 * never; HTTP_PROXY (upper case) is not libcurl's for http; no_proxy lifts it. */
static void test_http_through_proxy(void **state)
{
    (void)state;
    char err[512];
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    setenv("http_proxy", "http://bob:pr0xyPass@proxy.corp:3128", 1);
    assert_int_equal(url_policy_check("http://vllm.corp/v1", 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "through the proxy proxy.corp:3128 (from http_proxy)"));
    assert_null(strstr(err, "pr0xyPass"));
    assert_null(strstr(err, "bob"));
    assert_int_equal(url_policy_check("http://vllm.corp/v1", 1, err, sizeof err), 0);
    assert_int_equal(url_policy_check("http://127.0.0.1:9/v1", 0, err, sizeof err), 0);
    setenv("no_proxy", ".corp", 1);
    assert_int_equal(url_policy_check("http://vllm.corp/v1", 0, err, sizeof err), -1);
    assert_null(strstr(err, "proxy"));
    unsetenv("no_proxy");
    unsetenv("http_proxy");
    setenv("HTTP_PROXY", "proxy.corp:3128", 1);
    setenv("ALL_PROXY", "socks5://10.0.0.1", 1);
    assert_int_equal(url_policy_check("http://vllm.corp/v1", 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "10.0.0.1:1080 (from ALL_PROXY)"));
    unsetenv("HTTP_PROXY");
    unsetenv("ALL_PROXY");
}

static void test_idset(void **state)
{
    (void)state;
    idset_t *s = idset_new();
    assert_non_null(s);
    char id[32];
    for (int i = 0; i < 5000; i++) { /* past several doublings */
        int n = snprintf(id, sizeof id, "item-%d", i);
        assert_int_equal(idset_add(s, id, (size_t)n), 1);
    }
    for (int i = 0; i < 5000; i += 7) {
        int n = snprintf(id, sizeof id, "item-%d", i);
        assert_int_equal(idset_add(s, id, (size_t)n), 0);
    }
    assert_int_equal(idset_add(s, "a\xff", 2), 1); /* any bytes */
    assert_int_equal(idset_add(s, "a\xff", 2), 0);
    assert_int_equal(idset_add(s, "", 0), 1);
    for (int i = 0; i < 5000; i += 13) { /* idset_has finds them, and only them */
        int n = snprintf(id, sizeof id, "item-%d", i);
        assert_int_equal(idset_has(s, id, (size_t)n), 1);
        n = snprintf(id, sizeof id, "other-%d", i);
        assert_int_equal(idset_has(s, id, (size_t)n), 0);
    }
    idset_free(s);
    idset_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_hosts),
        cmocka_unit_test(test_http_only_to_loopback),
        cmocka_unit_test(test_noproxy_match),
        cmocka_unit_test(test_http_through_proxy),
        cmocka_unit_test(test_idset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
