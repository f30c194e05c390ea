/* anthropic_models.c - Anthropic's model listing, for the preflight: GET /v1/models
 * answers {"data":[{"type":"model","id","display_name","created_at"}],"has_more",
 * "first_id","last_id"}, paged (limit: 20 by default, at most 1000) (Anthropic API
 * reference, "List Models"). */
#include "provider/anthropic_internal.h"
#include "provider/models_list.h"

#include "provider/batch_api_internal.h"

char *anthropic_models_url(const char *base_url, const char *model)
{
    (void)model;
    static const char *const strip[] = {"/v1", NULL};
    return batch_url(base_url, strip, "/v1/models?limit=1000");
}

models_verdict_t anthropic_models_parse(long status, const char *body, size_t len,
                                        const char *model, char *listed, size_t listed_len)
{
    return models_data_listing(status, body, len, model, true, listed, listed_len);
}
