/* fuzz_manifest.c - libFuzzer target for the manifest reader (input.c): the bytes are a
 * whole manifest file, read through input_add/input_next exactly as a run reads it (line
 * splitting, CR/LF, NUL bytes, comments, JSONL objects, URL schemes, relative paths).
 *
 * The first byte picks the kind: even = .jsonl, odd = .txt. Every item must come out
 * well formed (an id and a source; either an error kind with a message, or a path or a
 * URL), its meta must be a JSON object, and its result line as output.c formats it must
 * be valid JSON that keeps the meta. */
#include "fuzz_util.h"

#include "input/input.h"
#include "record/output.h"

#include <jansson.h>

/* Formats item as a failed result and checks the line is a JSON object that carries
 * the item's meta (a line that drops it loses the user's data). */
static void check_line(const input_item_t *item)
{
    vb_result_t r = {0};
    r.id = item->id;
    r.image = item->source;
    r.meta_json = item->meta_json;
    r.status = VB_STATUS_ERROR;
    r.error_kind = item->error_kind ? item->error_kind : "corrupt_image";
    r.error_message = item->error_message ? item->error_message : "fuzz";
    r.prompt_tokens = r.completion_tokens = r.total_tokens = -1;
    r.cost_usd = -1;
    char *line = output_format(&r);
    FUZZ_CHECK(line != NULL);
    json_t *j = json_loads(line, 0, NULL);
    FUZZ_CHECK(json_is_object(j));
    FUZZ_CHECK(json_is_string(json_object_get(j, "id")));
    FUZZ_CHECK(!item->meta_json || json_is_object(json_object_get(j, "meta")));
    json_decref(j);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *path = fuzz_scratch_file(data[0] & 1 ? "m.txt" : "m.jsonl");
    fuzz_write_file(path, data + 1, size - 1);

    char err[256];
    input_t *in = input_new();
    FUZZ_CHECK(in != NULL);
    FUZZ_CHECK(input_add(in, path, err, sizeof err) == 0);
    input_item_t item;
    size_t items = 0;
    while (input_next(in, &item)) {
        FUZZ_CHECK(item.id && item.source);
        if (item.error_kind) {
            FUZZ_CHECK(item.error_message && item.error_message[0]);
        } else {
            FUZZ_CHECK(item.is_url ? item.path == NULL : item.path != NULL);
        }
        if (item.meta_json) {
            json_t *meta = json_loads(item.meta_json, JSON_ALLOW_NUL, NULL);
            FUZZ_CHECK(json_is_object(meta));
            json_decref(meta);
        }
        check_line(&item);
        input_item_clear(&item);
        items++;
    }
    /* a line yields at most one item */
    size_t lines = 1;
    for (size_t i = 1; i < size; i++)
        lines += data[i] == '\n';
    FUZZ_CHECK(items <= lines);
    input_free(in);
    unlink(path);
    return 0;
}
