/* models_list.c - reading a {"data":[{"id":...}]} model listing (models_list.h), as
 * OpenAI's GET /models and Anthropic's GET /v1/models answer. */
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

/* A {"data":[{"id":...}]} listing: whether model is among the ids, a few of them into
 * listed. paged: the answer's has_more says whether the list is whole. */
models_verdict_t models_data_listing(long status, const char *body, size_t len, const char *model,
                                     bool paged, char *listed, size_t listed_len)
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
            if (model && strcmp(id, model) == 0)
                v = MODELS_PRESENT;
            list_add(listed, listed_len, id, &count);
        }
        if (v == MODELS_ABSENT && paged && json_is_true(json_object_get(root, "has_more")))
            v = MODELS_CANNOT_TELL; /* it may be on a later page */
    }
    json_decref(root);
    return v;
}
