/* sim_models.c - the models the simulator serves and lists (sim_models.h). */
#include "sim_models.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* What GET /v1/models lists without --models. */
static const char *const default_models[] = {
    "gpt-4o-mini",  "gpt-4o",  "gpt-4.1",           "gpt-4.1-mini",
    "gpt-4.1-nano", "o4-mini", "claude-sonnet-4-5", "gemini-2.5-flash",
};

bool sim_models_serves(const char *list, const char *model)
{
    if (!list)
        return true;
    size_t n = strlen(model);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, model, n) == 0)
            return true;
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

/* Appends one listed model, in the protocol's shape, to data. */
static void add_model(json_t *data, const char *id, size_t len, bool anthropic)
{
    json_t *name = json_stringn(id, len);
    if (!name)
        return;
    if (anthropic)
        json_array_append_new(data, json_pack("{s:s,s:O,s:O,s:s}", "type", "model", "id", name,
                                              "display_name", name, "created_at",
                                              "2025-01-01T00:00:00Z"));
    else
        json_array_append_new(data,
                              json_pack("{s:O,s:s,s:i,s:s}", "id", name, "object", "model",
                                        "created", 1700000000, "owned_by", "visionbatch-sim"));
    json_decref(name);
}

char *sim_models_list_json(const char *list, bool anthropic)
{
    json_t *data = json_array();
    if (list) {
        for (const char *p = list; data && *p;) {
            const char *end = strchr(p, ',');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (len)
                add_model(data, p, len, anthropic);
            if (!end)
                break;
            p = end + 1;
        }
    } else {
        for (size_t i = 0; data && i < sizeof default_models / sizeof default_models[0]; i++)
            add_model(data, default_models[i], strlen(default_models[i]), anthropic);
    }
    json_t *root;
    if (anthropic) {
        size_t n = json_array_size(data);
        json_t *first = json_object_get(json_array_get(data, 0), "id");
        json_t *last = json_object_get(json_array_get(data, n ? n - 1 : 0), "id");
        root = json_pack("{s:o,s:b,s:O?,s:O?}", "data", data, "has_more", 0, "first_id", first,
                         "last_id", last);
    } else {
        root = json_pack("{s:s,s:o}", "object", "list", "data", data);
    }
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return text;
}

char *sim_models_gemini_json(const char *model)
{
    json_t *root = json_pack("{s:s+,s:s,s:s,s:[s,s]}", "name", "models/", model, "version", "001",
                             "displayName", model, "supportedGenerationMethods", "generateContent",
                             "countTokens");
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return text;
}

char *sim_models_one_json(const char *model, bool anthropic)
{
    json_t *data = json_array();
    if (data)
        add_model(data, model, strlen(model), anthropic);
    json_t *one = json_incref(json_array_get(data, 0));
    json_decref(data);
    char *text = one ? json_dumps(one, JSON_COMPACT) : NULL;
    json_decref(one);
    return text;
}
