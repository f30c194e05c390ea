/* output.c - JSONL result lines through jansson. */
#include "record/output.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the byte there starts none. */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

/* A JSON string of s; bytes that are not UTF-8 become U+FFFD. NULL s gives JSON null. */
static json_t *json_text(const char *s)
{
    if (!s)
        return json_null();
    size_t len = strlen(s);
    json_t *j = json_stringn(s, len);
    if (j)
        return j;
    char *fixed = malloc(len * 3 + 1);
    if (!fixed)
        return json_null();
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);
        if (n == 0) {
            memcpy(fixed + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(fixed + o, s + i, n);
            o += n;
            i += n;
        }
    }
    j = json_stringn(fixed, o);
    free(fixed);
    return j ? j : json_null();
}

static json_t *json_count(long v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

char *output_format(const vb_result_t *r)
{
    json_t *line = json_object();
    json_object_set_new(line, "id", json_text(r->id));
    json_object_set_new(line, "image", json_text(r->image));
    json_object_set_new(line, "status",
                        json_string(r->status == VB_STATUS_OK        ? "ok"
                                    : r->status == VB_STATUS_SKIPPED ? "skipped"
                                                                     : "error"));
    json_object_set_new(line, "response", json_text(r->response));
    json_object_set_new(line, "model", json_text(r->model));
    if (r->prompt_tokens >= 0 || r->completion_tokens >= 0 || r->total_tokens >= 0)
        json_object_set_new(line, "usage",
                            json_pack("{s:o, s:o, s:o}", "prompt_tokens",
                                      json_count(r->prompt_tokens), "completion_tokens",
                                      json_count(r->completion_tokens), "total_tokens",
                                      json_count(r->total_tokens)));
    else
        json_object_set_new(line, "usage", json_null());
    json_object_set_new(line, "latency_ms", json_real((double)(long)(r->latency_ms * 10) / 10));
    json_object_set_new(line, "attempts", json_integer(r->attempts));
    if (r->status == VB_STATUS_OK)
        json_object_set_new(line, "error", json_null());
    else
        json_object_set_new(line, "error",
                            json_pack("{s:o, s:o, s:o}", "kind", json_text(r->error_kind),
                                      "http_status",
                                      r->http_status ? json_integer(r->http_status) : json_null(),
                                      "message", json_text(r->error_message)));
    json_object_set_new(line, "content_hash", json_text(r->content_hash));
    json_object_set_new(line, "cost_usd",
                        r->cost_usd >= 0 ? json_real(r->cost_usd) : json_null());
    json_object_set_new(line, "cached", json_boolean(r->cached));
    if (r->duplicate_of)
        json_object_set_new(line, "duplicate_of", json_text(r->duplicate_of));
    json_t *meta = r->meta_json ? json_loads(r->meta_json, 0, NULL) : NULL;
    json_object_set_new(line, "meta", meta ? meta : json_null());
    if (r->data_json) { /* --json / --schema: the answer parsed */
        json_t *data = json_loads(r->data_json, JSON_DECODE_ANY, NULL);
        json_object_set_new(line, "data", data ? data : json_null());
    }
    char *text = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(line);
    return text;
}

/* {"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}: what a copy was billed. */
static json_t *zero_usage(void)
{
    return json_pack("{s:i, s:i, s:i}", "prompt_tokens", 0, "completion_tokens", 0,
                     "total_tokens", 0);
}

char *output_line_unbilled_copy(const char *line)
{
    json_t *j = line && strstr(line, "\"duplicate_of\"") ? json_loads(line, 0, NULL) : NULL;
    json_t *usage = json_object_get(j, "usage");
    char *text = NULL;
    if (json_is_string(json_object_get(j, "duplicate_of")) && json_is_object(usage) &&
        (json_integer_value(json_object_get(usage, "prompt_tokens")) ||
         json_integer_value(json_object_get(usage, "completion_tokens")) ||
         json_integer_value(json_object_get(usage, "total_tokens")))) {
        json_object_set_new(j, "usage", zero_usage());
        text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
    }
    json_decref(j);
    return text;
}

char *output_line_for(const char *line, const char *id, const char *image,
                      const char *meta_json, int cached, const char *duplicate_of,
                      int require_ok)
{
    json_t *j = json_loads(line, 0, NULL);
    const char *status = json_string_value(json_object_get(j, "status"));
    if (!json_is_object(j) || (require_ok && (!status || strcmp(status, "ok") != 0))) {
        json_decref(j);
        return NULL;
    }
    json_object_set_new(j, "id", json_text(id));
    json_object_set_new(j, "image", json_text(image));
    json_t *meta = meta_json ? json_loads(meta_json, 0, NULL) : NULL;
    json_object_set_new(j, "meta", meta ? meta : json_null());
    json_object_set_new(j, "attempts", json_integer(0));
    json_object_set_new(j, "latency_ms", json_real(0));
    json_object_set_new(j, "cost_usd", json_real(0));
    json_object_set_new(j, "cached", json_boolean(cached));
    if (duplicate_of) {
        json_object_set_new(j, "duplicate_of", json_text(duplicate_of));
        json_object_set_new(j, "usage", zero_usage());
    } else {
        json_object_del(j, "duplicate_of");
    }
    char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(j);
    return text;
}

void output_line_error(const char *line, char **kind, char **message)
{
    json_t *root = line ? json_loads(line, 0, NULL) : NULL;
    json_t *e = json_object_get(root, "error");
    const char *k = json_string_value(json_object_get(e, "kind"));
    const char *m = json_string_value(json_object_get(e, "message"));
    *kind = k ? strdup(k) : NULL;
    *message = m ? strdup(m) : NULL;
    json_decref(root);
}
