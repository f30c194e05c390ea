/* openai_batch_request.c - checks an OpenAI batch request line (openai_batch_request.h). */
#include "input/openai_batch_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int openai_batch_request_parse(const json_t *obj, char **custom_id, char **body, char *why,
                               size_t whylen)
{
    *custom_id = *body = NULL;
    const json_t *cid = json_object_get(obj, "custom_id");
    const json_t *method = json_object_get(obj, "method");
    const json_t *url = json_object_get(obj, "url");
    const json_t *b = json_object_get(obj, "body");
    if (!json_is_string(cid) || json_string_length(cid) == 0) {
        snprintf(why, whylen, "\"custom_id\" must be a non-empty string");
        return -1;
    }
    if (method && (!json_is_string(method) || strcmp(json_string_value(method), "POST") != 0)) {
        snprintf(why, whylen, "\"method\" must be \"POST\"");
        return -1;
    }
    if (url && (!json_is_string(url) || (strcmp(json_string_value(url), "/v1/chat/completions") &&
                                         strcmp(json_string_value(url), "/chat/completions")))) {
        snprintf(why, whylen, "\"url\" must be \"/v1/chat/completions\" (%.80s is not supported)",
                 json_is_string(url) ? json_string_value(url) : "a non-string");
        return -1;
    }
    if (!json_is_object(b)) {
        snprintf(why, whylen, "\"body\" must be a JSON object");
        return -1;
    }
    *custom_id = strdup(json_string_value(cid));
    *body = json_dumps(b, JSON_COMPACT);
    if (!*custom_id || !*body) {
        free(*custom_id);
        free(*body);
        *custom_id = *body = NULL;
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    return 0;
}
