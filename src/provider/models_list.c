/* models_list.c - reading a {"data":[{"id":...}]} model listing (models_list.h), as
 * OpenAI's GET /models (and compatible servers') answers. */
#include "provider/models_list.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* Appends name to the comma-separated listed, while it fits whole (at most 8 names). */
static void list_add(char *listed, size_t listed_len, const char *name, int *count)
{
    size_t used = strlen(listed);
    size_t need = strlen(name) + (used ? 2 : 0);
    if (*count >= 8 || used + need + 1 > listed_len)
        return;
    snprintf(listed + used, listed_len - used, "%s%s", used ? ", " : "", name);
    (*count)++;
}

/* Whether the listed id names model: the same, or the same but for a ":latest" tag on
 * either side (Ollama lists "llava:latest" and serves it as "llava"). */
static bool same_model(const char *id, const char *model)
{
    static const char latest[] = ":latest";
    size_t n = strlen(id), m = strlen(model), t = sizeof latest - 1;
    return strcmp(id, model) == 0 ||
           (n == m + t && strncmp(id, model, m) == 0 && strcmp(id + m, latest) == 0) ||
           (m == n + t && strncmp(model, id, n) == 0 && strcmp(model + n, latest) == 0);
}

/* A {"data":[{"id":...}]} listing: whether model is among the ids, a few of them into
 * listed. */
models_verdict_t models_data_listing(long status, const char *body, size_t len, const char *model,
                                     char *listed, size_t listed_len)
{
    listed[0] = '\0';
    if (status != 200)
        return MODELS_CANNOT_TELL;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    json_t *data = json_object_get(root, "data");
    models_verdict_t v = MODELS_CANNOT_TELL;
    if (json_is_array(data) && json_array_size(data) > 0) {
        size_t i;
        json_t *entry;
        int count = 0;
        v = MODELS_ABSENT;
        json_array_foreach(data, i, entry)
        {
            const char *id = json_string_value(json_object_get(entry, "id"));
            if (!id)
                continue;
            if (model && same_model(id, model))
                v = MODELS_PRESENT;
            list_add(listed, listed_len, id, &count);
        }
        if (v == MODELS_ABSENT && json_is_true(json_object_get(root, "has_more")))
            v = MODELS_CANNOT_TELL; /* a paged listing: it may be on a later page */
    }
    json_decref(root);
    return v;
}
