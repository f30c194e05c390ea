/* sim_batch.c - JSON-array answers to batch requests, and their garbling. */
#include "sim_batch.h"

#include "sim_describe.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int sim_batch_applies(const sim_request_t *req)
{
    return req->n_images >= 2 && req->asks_json_array;
}

const char *sim_batch_garble_name(sim_garble_t g)
{
    switch (g) {
    case SIM_GARBLE_COUNT:
        return "count";
    case SIM_GARBLE_JSON:
        return "json";
    case SIM_GARBLE_ORDER:
        return "order";
    default:
        return "none";
    }
}

/* The entry for image i (0-based) of req: {"image": i+1, "answer": "<image line>"}. */
static json_t *entry(const sim_request_t *req, size_t i)
{
    char line[256];
    sim_describe_image(&req->images[i], line, sizeof line);
    return json_pack("{s:I, s:s}", "image", (json_int_t)(i + 1), "answer", line);
}

char *sim_batch_answer_text(const sim_request_t *req, sim_garble_t garble)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    size_t n = req->n_images;
    if (garble == SIM_GARBLE_COUNT)
        n--; /* at least two images: one is left */
    for (size_t i = 0; i < n; i++) {
        size_t which = i;
        if (garble == SIM_GARBLE_ORDER && i < 2)
            which = 1 - i; /* each entry keeps its own number, as a model mixing them up */
        if (json_array_append_new(arr, entry(req, which)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (text && garble == SIM_GARBLE_JSON)
        text[strlen(text) / 2] = '\0'; /* cut off half way: never valid JSON */
    return text;
}
