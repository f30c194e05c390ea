/* anthropic_models.c - Anthropic's model lookup, for the preflight: GET
 * /v1/models/{model_id} ("Model identifier or alias": an alias such as claude-sonnet-4-0
 * resolves, where the listing shows only dated ids) answers the ModelInfo
 * {"type":"model","id",...} or a 404 not_found_error (Anthropic API reference, "Get a
 * Model"). */
#include "provider/anthropic_internal.h"

#include "provider/batch_api_internal.h"

#include <jansson.h>
#include <string.h>

/* Whether model can go in a URL path as it is: Anthropic's ids and aliases are letters,
 * digits, '.', '-' and '_'. */
static bool path_safe(const char *model)
{
    return model && model[0] &&
           strspn(model, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
               strlen(model);
}

char *anthropic_models_url(const char *base_url, const char *model)
{
    if (!path_safe(model))
        return NULL; /* no preflight for a name the path cannot carry */
    static const char *const strip[] = {"/v1", NULL};
    return batch_url(base_url, strip, "/v1/models/%s", model);
}

models_verdict_t anthropic_models_parse(long status, const char *body, size_t len,
                                        const char *model, char *listed, size_t listed_len)
{
    (void)model;
    (void)listed_len;
    listed[0] = '\0';
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    json_t *error = json_object_get(root, "error");
    const char *type = json_string_value(json_object_get(error, "type"));
    const char *message = json_string_value(json_object_get(error, "message"));
    models_verdict_t v = MODELS_CANNOT_TELL;
    if (status == 200 && json_is_string(json_object_get(root, "id")))
        v = MODELS_PRESENT;
    else if (status == 404 && type && strcmp(type, "not_found_error") == 0 && message &&
             strncmp(message, "model:", 6) == 0)
        v = MODELS_ABSENT; /* "model: X": the API is there, the model is not (a path it does
                              not know is a not_found_error too, without the "model:") */
    json_decref(root);
    return v;
}
