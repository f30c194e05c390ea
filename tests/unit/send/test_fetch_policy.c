/* test_fetch_policy.c - the network-free rules of --fetch-urls (fetch_policy.h): a URL as
 * a message shows it, which downloads count as done, and the reason a failed one gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "send/fetch_policy.h"

#include <string.h>

static void expect_shown(const char *url, const char *shown)
{
    char out[256];
    fetch_url_for_message(url, out, sizeof out);
    assert_string_equal(out, shown);
}

static void test_url_in_messages_drops_query_and_credentials(void **state)
{
    (void)state;
    expect_shown("https://cdn.example.com/a/b.jpg", "https://cdn.example.com/a/b.jpg");
    expect_shown("https://cdn.example.com/b.jpg?X-Amz-Signature=abc&Expires=1#frag",
                 "https://cdn.example.com/b.jpg");
    expect_shown("http://user:hunter2@127.0.0.1:8080/x.png?token=t", "http://127.0.0.1:8080/x.png");
    expect_shown("http://[::1]:99/y.png", "http://[::1]:99/y.png");
    expect_shown("https://host.example", "https://host.example/");
    /* libcurl cannot parse it: cut at the query, the userinfo masked */
    expect_shown("http://user:pw@[zz/p?q=secret#f", "http://*******@[zz/p");
    char tiny[8];
    fetch_url_for_message("https://cdn.example.com/b.jpg", tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), 7);
}

static void test_outcome_ok_needs_2xx_under_the_cap(void **state)
{
    (void)state;
    fetch_outcome_t o = {.code = CURLE_OK, .http_status = 200};
    assert_true(fetch_outcome_ok(&o));
    o.http_status = 204;
    assert_true(fetch_outcome_ok(&o));
    o.http_status = 302; /* a redirect not followed (a Location missing) is no image */
    assert_false(fetch_outcome_ok(&o));
    o.http_status = 404;
    assert_false(fetch_outcome_ok(&o));
    o.http_status = 200;
    o.over_cap = 1;
    assert_false(fetch_outcome_ok(&o));
    o.over_cap = 0;
    o.code = CURLE_OPERATION_TIMEDOUT;
    assert_false(fetch_outcome_ok(&o));
}

static void expect_reason(fetch_outcome_t o, const char *reason)
{
    char out[256];
    o.cap = 1000;
    o.timeout_s = 2.5;
    fetch_failure_reason(&o, out, sizeof out);
    assert_string_equal(out, reason);
}

static void test_failure_reasons(void **state)
{
    (void)state;
    expect_reason((fetch_outcome_t){.code = CURLE_OK, .http_status = 404}, "HTTP 404");
    expect_reason((fetch_outcome_t){.code = CURLE_OK, .http_status = 503}, "HTTP 503");
    expect_reason((fetch_outcome_t){.code = CURLE_OPERATION_TIMEDOUT},
                  "timed out after 2.5 s (--timeout)");
    expect_reason((fetch_outcome_t){.code = CURLE_FILESIZE_EXCEEDED},
                  "larger than --max-image-bytes (1000 bytes)");
    expect_reason((fetch_outcome_t){.code = CURLE_WRITE_ERROR, .over_cap = 1},
                  "larger than --max-image-bytes (1000 bytes)");
    /* the redirect policy: a Location to file:// (or any scheme but http/https) */
    expect_reason((fetch_outcome_t){.code = CURLE_UNSUPPORTED_PROTOCOL, .http_status = 302},
                  "redirect refused: only http and https are followed");
    expect_reason((fetch_outcome_t){.code = CURLE_UNSUPPORTED_PROTOCOL},
                  "only http and https URLs are fetched");
    expect_reason((fetch_outcome_t){.code = CURLE_TOO_MANY_REDIRECTS, .redirects = 5},
                  "redirect refused: more than 5 redirects");
    expect_reason((fetch_outcome_t){.code = CURLE_COULDNT_RESOLVE_HOST},
                  "DNS: cannot resolve the host");
    expect_reason((fetch_outcome_t){.code = CURLE_COULDNT_CONNECT}, "cannot connect to the host");
    /* libcurl's words are used as they are, without a URL's password or query */
    expect_reason((fetch_outcome_t){.code = CURLE_RECV_ERROR,
                                    .curl_error = "Failure when receiving data from "
                                                  "http://u:pw@h/x?sig=1"},
                  "Failure when receiving data from http://****@h/x");
    expect_reason((fetch_outcome_t){.code = CURLE_RECV_ERROR},
                  curl_easy_strerror(CURLE_RECV_ERROR));
}

static void test_redirect_limits(void **state)
{
    (void)state;
    assert_int_equal(FETCH_MAX_REDIRECTS, 5);
    assert_string_equal(FETCH_PROTOCOLS, "http,https");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_in_messages_drops_query_and_credentials),
        cmocka_unit_test(test_outcome_ok_needs_2xx_under_the_cap),
        cmocka_unit_test(test_failure_reasons),
        cmocka_unit_test(test_redirect_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
