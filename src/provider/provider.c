/* provider.c - what every provider shares: freeing answers and templates, finding a
 * provider by name. */
#include "provider/provider.h"

#include "media/base64.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void answer_clear(answer_t *a)
{
    if (!a)
        return;
    free(a->content);
    free(a->model);
    a->content = a->model = NULL;
}

void body_template_clear(body_template_t *t)
{
    if (!t)
        return;
    free(t->prefix);
    free(t->suffix);
    memset(t, 0, sizeof *t);
}

char *body_template_join(const body_template_t *t, const char *head, const unsigned char *mid,
                         size_t mid_len, bool encode, const char *close, size_t *body_len)
{
    size_t head_len = strlen(head), close_len = strlen(close);
    size_t coded = encode ? base64_encoded_len(mid_len) : mid_len;
    size_t n = t->prefix_len + head_len + coded + close_len + t->suffix_len;
    char *b = malloc(n + 1);
    if (!b)
        return NULL;
    char *p = b;
    memcpy(p, t->prefix, t->prefix_len);
    p += t->prefix_len;
    memcpy(p, head, head_len);
    p += head_len;
    if (encode) {
        p += base64_encode(mid, mid_len, p);
    } else {
        memcpy(p, mid, mid_len);
        p += mid_len;
    }
    memcpy(p, close, close_len);
    p += close_len;
    memcpy(p, t->suffix, t->suffix_len);
    p[t->suffix_len] = '\0';
    *body_len = n;
    return b;
}

/* Every provider, the default (OpenAI's protocol) first. */
static const provider_t *const all_providers[] = {&provider_openai, &provider_anthropic,
                                                     &provider_gemini};

const provider_t *provider_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof all_providers / sizeof all_providers[0]; i++)
        if (strcmp(all_providers[i]->name, name) == 0)
            return all_providers[i];
    return NULL;
}

/* The provider whose real service is at host: the host of its default base URL. */
static const provider_t *provider_for_host(const char *host)
{
    for (size_t i = 0; i < sizeof all_providers / sizeof all_providers[0]; i++) {
        const char *d = all_providers[i]->default_base_url;
        const char *h = d ? strstr(d, "://") : NULL;
        if (!h)
            continue;
        h += 3;
        size_t n = strcspn(h, "/:");
        if (strlen(host) == n && strncasecmp(host, h, n) == 0)
            return all_providers[i];
    }
    return &provider_openai;
}

const provider_t *provider_for_url(const char *base_url)
{
    const provider_t *p = &provider_openai;
    CURLU *u = base_url ? curl_url() : NULL;
    char *host = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, base_url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        size_t n = strlen(host);
        if (n > 1 && host[n - 1] == '.') /* api.anthropic.com. is the same host */
            host[n - 1] = '\0';
        p = provider_for_host(host);
    }
    curl_free(host);
    curl_url_cleanup(u);
    return p;
}
