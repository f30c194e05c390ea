/* provider.c - what every provider shares: freeing answers and templates, finding a
 * provider by name. */
#include "provider/provider.h"

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
