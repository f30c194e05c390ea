/* group.c - grouping images into one request, building its body, splitting its answer.
 *
 * See group.h for the contract. A batch body reuses each member's data URL as it was
 * encoded by the preparing thread (copied out of the member's single-image body), so no
 * image is read, resized or encoded twice. */
#include "send/group.h"

#include "cost/estimate.h"
#include "cost/tokens.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes a batch body may hold beyond the single-image template's: the instruction. */
#define INSTRUCTION_MAX_BYTES 512

struct group {
    const group_settings_t *s;
    request_t **group; /* s->size slots */
    size_t n;
    size_t group_bytes;               /* upper bound of the batch body for the group */
    request_t *solo_head, *solo_tail; /* images to send alone, first to last */
};

group_t *group_new(const group_settings_t *s)
{
    group_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->s = s;
    if (!(b->group = calloc((size_t)s->size, sizeof *b->group))) {
        free(b);
        return NULL;
    }
    return b;
}

void group_free(group_t *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        request_free(b->group[i]);
    request_t *r;
    while ((r = group_pop_solo(b)))
        request_free(r);
    free(b->group);
    free(b);
}

/* The length of r's data (or http) URL inside its single-image body. */
static size_t url_len(const group_t *b, const request_t *r)
{
    const body_template_t *t = b->s->template;
    return r->body_len - t->prefix_len - t->suffix_len;
}

/* Upper bound of a batch body's bytes besides its images' parts. */
static size_t base_bytes(const group_t *b)
{
    const body_template_t *t = b->s->template;
    return t->prefix_len + t->suffix_len + INSTRUCTION_MAX_BYTES;
}

static size_t part_bytes(const group_t *b, const request_t *r)
{
    return url_len(b, r) + b->s->provider->group_part_overhead(b->s->body);
}

bool group_can_join(const group_t *b, const request_t *r)
{
    const body_template_t *t = b->s->template;
    if (!r->body || r->item.prompt || r->item.batch_body || r->solo || r->n_members || r->attempts > 0 ||
        r->cached_line || r->error_kind || r->unchanged)
        return false;
    if (r->body_len < t->prefix_len + t->suffix_len ||
        memcmp(r->body, t->prefix, t->prefix_len) != 0 ||
        memcmp(r->body + r->body_len - t->suffix_len, t->suffix, t->suffix_len) != 0)
        return false; /* not built from the job's template */
    return base_bytes(b) + part_bytes(b, r) <= b->s->max_body_bytes;
}

group_add_t group_add(group_t *b, request_t *r)
{
    size_t bytes = (b->n ? b->group_bytes : base_bytes(b)) + part_bytes(b, r);
    if (b->n > 0 && bytes > b->s->max_body_bytes)
        return GROUP_NO_ROOM;
    b->group[b->n++] = r;
    b->group_bytes = bytes;
    return b->n >= (size_t)b->s->size ? GROUP_FULL : GROUP_ADDED;
}

size_t group_pending(const group_t *b)
{
    return b->n;
}

bool group_idle(const group_t *b)
{
    return b->n == 0 && !b->solo_head;
}

/* Queues r to go alone, after those already waiting (an intrusive list: nothing to
 * allocate, so nothing can be lost). */
static void solo_push(group_t *b, request_t *r)
{
    r->solo = 1;
    r->next_solo = NULL;
    if (b->solo_tail)
        b->solo_tail->next_solo = r;
    else
        b->solo_head = r;
    b->solo_tail = r;
}

request_t *group_pop_solo(group_t *b)
{
    request_t *r = b->solo_head;
    if (r) {
        b->solo_head = r->next_solo;
        if (!b->solo_head)
            b->solo_tail = NULL;
        r->next_solo = NULL;
    }
    return r;
}

/* Queues members[0..n) to go alone, in order. */
static void go_alone(group_t *b, request_t **members, size_t n)
{
    for (size_t i = 0; i < n; i++)
        solo_push(b, members[i]);
}

/* The instruction that follows the prompt in a batch of n images: short, since it is
 * billed with every batch (what a batch saves is the prompt sent once instead of n
 * times, less this). */
#define INSTRUCTION                                                                                \
    "%s\n\nThere are %zu images. Do this for each on its own and reply with only a JSON "          \
    "array of %zu objects in image order: "                                                        \
    "[{\"image\":1,\"answer\":...},...,{\"image\":%zu,\"answer\":...}]"

char *group_text(const char *prompt, size_t n)
{
    int len = snprintf(NULL, 0, INSTRUCTION, prompt, n, n, n);
    char *text = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (text)
        snprintf(text, (size_t)len + 1, INSTRUCTION, prompt, n, n, n);
    return text;
}

/* Builds the batch body of members[0..n) into r: the provider's group body, each image
 * part cut out of its member's own body. Returns 0, or -1 when out of memory. */
static int build_body(const group_t *b, request_t *r, const char *text, request_t **members,
                      size_t n)
{
    body_part_t *parts = malloc(n * sizeof *parts);
    if (!parts)
        return -1;
    for (size_t i = 0; i < n; i++) {
        parts[i].bytes = members[i]->body + b->s->template->prefix_len;
        parts[i].len = url_len(b, members[i]);
    }
    body_settings_t bs = *b->s->body;
    bs.max_tokens = bs.max_tokens > 0 ? bs.max_tokens * (long)n : 0;
    r->body = b->s->provider->group_body(&bs, text, parts, n, &r->body_len);
    free(parts);
    return r->body ? 0 : -1;
}

/* Fills the batch request's estimates from its members' (the prompt text and framing are
 * counted once instead of once per image) and each member's weight for the usage split. */
static void batch_estimates(const group_t *b, request_t *r, const char *text)
{
    double prompt_tokens = (double)tokens_text_estimate(b->s->body->prompt, strlen(b->s->body->prompt)) +
                           ESTIMATE_MESSAGE_OVERHEAD_TOKENS;
    double text_tokens =
        (double)tokens_text_estimate(text, strlen(text)) + ESTIMATE_MESSAGE_OVERHEAD_TOKENS;
    double out = b->s->body->max_tokens > 0 ? (double)b->s->body->max_tokens : 0;
    r->token_estimate = text_tokens;
    r->input_tokens_worst = (double)strlen(text);
    for (size_t i = 0; i < r->n_members; i++) {
        request_t *m = r->members[i];
        double image = m->token_estimate - prompt_tokens - out;
        m->batch_weight = (image > 0 ? image : 0) + text_tokens / (double)r->n_members;
        r->token_estimate += m->token_estimate - prompt_tokens;
        r->input_tokens_worst += m->input_tokens_worst;
        r->image_tokens_saved += m->image_tokens_saved;
    }
}

request_t *group_take(group_t *b)
{
    size_t n = b->n;
    if (n == 0)
        return NULL;
    b->n = 0;
    b->group_bytes = 0;
    if (n == 1) {
        b->group[0]->solo = 1;
        return b->group[0];
    }
    request_t *r = calloc(1, sizeof *r);
    request_t **members = r ? malloc(n * sizeof *members) : NULL;
    char *text = members ? group_text(b->s->body->prompt, n) : NULL;
    if (text && build_body(b, r, text, b->group, n) == 0) {
        memcpy(members, b->group, n * sizeof *members);
        r->members = members;
        r->n_members = n;
        r->batch_max_tokens = b->s->body->max_tokens > 0 ? b->s->body->max_tokens * (long)n : 0;
        r->dedupe_checked = 1; /* its members were checked */
        r->solo = 1;
        batch_estimates(b, r, text);
        free(text);
        return r;
    }
    free(text);
    free(members);
    free(r);
    go_alone(b, b->group, n);
    return NULL;
}

void group_dissolve(group_t *b, request_t *r)
{
    go_alone(b, r->members, r->n_members);
    free(r->members);
    r->members = NULL;
    r->n_members = 0;
    request_free(r);
}

/* ---- answers ---------------------------------------------------------------------- */

static int why_set(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int why_set(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The JSON inside content: without surrounding blanks and a ``` fence. */
static void unfence(const char *content, const char **start, size_t *len)
{
    const char *s = content, *e = content + strlen(content);
    while (s < e && strchr(" \t\r\n", *s))
        s++;
    while (e > s && strchr(" \t\r\n", e[-1]))
        e--;
    if (e - s >= 6 && strncmp(s, "```", 3) == 0 && strncmp(e - 3, "```", 3) == 0) {
        const char *nl = memchr(s, '\n', (size_t)(e - s));
        if (nl && nl < e - 3) {
            s = nl + 1;
            e -= 3;
        }
    }
    *start = s;
    *len = (size_t)(e - s);
}

int group_parse_answer(const char *content, size_t n, char **answers, char *why, size_t whylen)
{
    if (!content)
        return why_set(why, whylen, "the answer has no text");
    const char *start;
    size_t len;
    unfence(content, &start, &len);
    json_error_t jerr;
    json_t *root = json_loadb(start, len, 0, &jerr);
    if (!root)
        return why_set(why, whylen, "the answer is not JSON: %s", jerr.text);
    json_t *arr = root;
    if (json_is_object(root) && json_object_size(root) == 1)
        arr = json_object_iter_value(json_object_iter(root));
    int rc = 0;
    if (!json_is_array(arr))
        rc = why_set(why, whylen, "the answer is not a JSON array");
    else if (json_array_size(arr) != n)
        rc = why_set(why, whylen, "the answer has %zu entries for %zu images", json_array_size(arr),
                     n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *entry = json_array_get(arr, i);
        json_t *num = json_object_get(entry, "image");
        if (!json_is_integer(num) || json_integer_value(num) != (json_int_t)(i + 1))
            rc = why_set(why, whylen, "entry %zu is not marked as image %zu", i + 1, i + 1);
        else if (!json_object_get(entry, "answer"))
            rc = why_set(why, whylen, "entry %zu has no answer", i + 1);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *a = json_object_get(json_array_get(arr, i), "answer");
        answers[i] = json_is_string(a) ? strdup(json_string_value(a))
                                       : json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!answers[i]) {
            while (i > 0)
                free(answers[--i]);
            rc = why_set(why, whylen, "out of memory splitting the answer");
        }
    }
    json_decref(root);
    return rc;
}

void group_share(long total, const double *weights, size_t n, long *out)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += weights[i] > 0 ? weights[i] : 0;
    long given = 0;
    for (size_t i = 0; i < n; i++) {
        double w = sum > 0 ? (weights[i] > 0 ? weights[i] : 0) / sum : 1.0 / (double)n;
        out[i] = total > 0 ? (long)((double)total * w) : 0;
        given += out[i];
    }
    /* largest remainders first; ties to the earlier member */
    while (total > 0 && given < total) {
        size_t best = 0;
        double best_rem = -1;
        for (size_t i = 0; i < n; i++) {
            double w = sum > 0 ? (weights[i] > 0 ? weights[i] : 0) / sum : 1.0 / (double)n;
            double rem = (double)total * w - (double)out[i];
            if (rem > best_rem) {
                best_rem = rem;
                best = i;
            }
        }
        out[best]++;
        given++;
    }
}

void group_split_clear(group_split_t *s)
{
    if (!s)
        return;
    if (s->answers)
        for (size_t i = 0; i < s->n; i++)
            free(s->answers[i]);
    free(s->answers);
    free(s->prompt_tokens);
    free(s->completion_tokens);
    free(s->cost_usd);
    memset(s, 0, sizeof *s);
}

int group_split_answer(const request_t *r, const char *content, long prompt_tokens,
                       long completion_tokens, const pricing_entry_t *price, double cost,
                       group_split_t *out)
{
    size_t n = r->n_members;
    memset(out, 0, sizeof *out);
    out->n = n;
    out->answers = calloc(n, sizeof *out->answers);
    out->prompt_tokens = calloc(n, sizeof *out->prompt_tokens);
    out->completion_tokens = calloc(n, sizeof *out->completion_tokens);
    out->cost_usd = calloc(n, sizeof *out->cost_usd);
    double *w = calloc(n, sizeof *w);
    if (!out->answers || !out->prompt_tokens || !out->completion_tokens || !out->cost_usd || !w) {
        free(w);
        group_split_clear(out);
        return -1;
    }
    out->ok = group_parse_answer(content, n, out->answers, out->why, sizeof out->why) == 0;
    for (size_t i = 0; i < n; i++)
        w[i] = r->members[i]->batch_weight;
    group_share(prompt_tokens, w, n, out->prompt_tokens);
    for (size_t i = 0; i < n; i++)
        w[i] = out->ok ? (double)strlen(out->answers[i]) + 1 : 1;
    group_share(completion_tokens, w, n, out->completion_tokens);
    free(w);
    double left = cost;
    for (size_t i = 0; i < n; i++) {
        if (prompt_tokens < 0)
            out->prompt_tokens[i] = out->completion_tokens[i] = -1;
        if (!price || cost < 0) {
            out->cost_usd[i] = -1;
            continue;
        }
        out->cost_usd[i] =
            i + 1 < n ? pricing_cost(price, out->prompt_tokens[i], out->completion_tokens[i], 0)
                      : left;
        left -= out->cost_usd[i];
    }
    return 0;
}
