/* provider_choice.c - which provider a job speaks, and its defaults, for the public API
 * and for the job's own options (job.c, estimate.c). */
#include <visionbatch.h>

#include "api/api_internal.h"
#include "provider/provider.h"

#include <stdio.h>

const char *vb_provider_resolve(const char *provider, const char *base_url)
{
    const provider_t *p = provider ? provider_find(provider) : provider_for_url(base_url);
    return p ? p->name : NULL;
}

const char *vb_provider_default_base_url(const char *provider)
{
    const provider_t *p = provider_find(provider);
    return p ? p->default_base_url : NULL;
}

const char *vb_provider_default_model(const char *provider)
{
    const provider_t *p = provider_find(provider);
    return p ? p->default_model : NULL;
}

int api_options_resolve(const vb_options_t *o, api_choice_t *out, char *err, size_t errlen)
{
    const provider_t *p = o->provider ? provider_find(o->provider) : provider_for_url(o->base_url);
    if (!p) {
        snprintf(err, errlen, "unknown provider '%.64s' (openai, anthropic or gemini)",
                 o->provider);
        return -1;
    }
    out->provider = p->name;
    out->base_url = o->base_url ? o->base_url : p->default_base_url;
    out->model = o->model ? o->model : p->default_model;
    return 0;
}
