/* gemini_models.c - Gemini's model lookup, for the preflight: GET /v1beta/models/{model}
 * answers the Model ({"name":"models/...",...}) or a 404 NOT_FOUND (Gemini API
 * reference, "models.get"). */
#include "provider/gemini_internal.h"

#include "provider/batch_api_internal.h"

#include <jansson.h>
#include <string.h>

char *gemini_models_url(const char *base_url, const char *model)
{
    if (!gemini_model_name_ok(model))
        return NULL;
    static const char *const strip[] = {"/v1beta", "/v1", NULL};
    const char *id = strncmp(model, "models/", 7) == 0 ? model + 7 : model;
    return batch_url(base_url, strip, "/v1beta/models/%s", id);
}

models_verdict_t gemini_models_parse(long status, const char *body, size_t len, const char *model,
                                     char *listed, size_t listed_len)
{
    (void)model;
    (void)listed_len;
    listed[0] = '\0';
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    models_verdict_t v = MODELS_CANNOT_TELL;
    const char *st = json_string_value(json_object_get(json_object_get(root, "error"), "status"));
    if (status == 200 && json_is_string(json_object_get(root, "name")))
        v = MODELS_PRESENT;
    else if (status == 404 && st && strcmp(st, "NOT_FOUND") == 0)
        v = MODELS_ABSENT; /* a Gemini error body: the API is there, the model is not */
    json_decref(root);
    return v;
}
