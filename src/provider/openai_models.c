/* openai_models.c - OpenAI's model listing, for the preflight: GET {base}/models answers
 * {"object":"list","data":[{"id","object":"model","created","owned_by"}]}, not paged
 * (OpenAI API reference, "List models"); compatible servers (vLLM, resellers) mostly
 * have it too. */
#include "provider/models_list.h"
#include "provider/openai_internal.h"

#include "provider/batch_api_internal.h"

char *openai_models_url(const char *base_url, const char *model)
{
    (void)model;
    return batch_url(base_url, NULL, "/models");
}

models_verdict_t openai_models_parse(long status, const char *body, size_t len, const char *model,
                                     char *listed, size_t listed_len)
{
    return models_data_listing(status, body, len, model, listed, listed_len);
}
