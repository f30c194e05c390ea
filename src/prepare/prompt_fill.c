/* prompt_fill.c - {field} placeholders filled from an item's fields. */
#include "prepare/prompt_fill.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest placeholder name taken as one. */
#define NAME_MAX_LEN 128

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ' ';
}

/* Length of the placeholder name after the '{' at p (p points past it), when a valid
 * name and its '}' follow; else 0. */
static size_t placeholder_len(const char *p)
{
    size_t n = 0;
    while (p[n] && p[n] != '}' && n <= NAME_MAX_LEN) {
        if (!name_char(p[n]))
            return 0;
        n++;
    }
    if (p[n] != '}' || n == 0 || n > NAME_MAX_LEN || p[0] == ' ' || p[n - 1] == ' ')
        return 0;
    return n;
}

int prompt_is_template(const char *text)
{
    for (const char *p = text; *p; p++) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}'))
            p++;
        else if (*p == '{' && placeholder_len(p + 1))
            return 1;
    }
    return 0;
}

/* A growable output string. */
typedef struct {
    char *s;
    size_t len, cap;
    bool oom;
} strbuf_t;

static void sb_add(strbuf_t *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* Appends the value of field name[0..n) from fields; false (why set) when it has none. */
static bool add_field(strbuf_t *b, const json_t *fields, const char *name, size_t n, char *why,
                      size_t whylen)
{
    char key[NAME_MAX_LEN + 1];
    memcpy(key, name, n);
    key[n] = '\0';
    json_t *v = fields ? json_object_get(fields, key) : NULL;
    if (!v || json_is_null(v)) {
        snprintf(why, whylen, "the prompt uses {%s}, but the item has no field \"%s\"%s", key, key,
                 v ? " (it is null)" : "");
        return false;
    }
    if (json_is_string(v)) {
        sb_add(b, json_string_value(v), json_string_length(v));
        return true;
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        b->oom = true;
        return true;
    }
    sb_add(b, text, strlen(text));
    free(text);
    return true;
}

char *prompt_fill(const char *text, const json_t *fields, char *why, size_t whylen)
{
    strbuf_t b = {0};
    sb_add(&b, "", 0);
    const char *p = text, *lit = text;
    while (*p) {
        size_t n;
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            sb_add(&b, lit, (size_t)(p - lit) + 1); /* the literal and one brace */
            p += 2;
            lit = p;
        } else if (p[0] == '{' && (n = placeholder_len(p + 1))) {
            sb_add(&b, lit, (size_t)(p - lit));
            if (!add_field(&b, fields, p + 1, n, why, whylen)) {
                free(b.s);
                return NULL;
            }
            p += n + 2;
            lit = p;
        } else {
            p++;
        }
    }
    sb_add(&b, lit, (size_t)(p - lit));
    if (b.oom) {
        free(b.s);
        snprintf(why, whylen, "out of memory filling the prompt");
        return NULL;
    }
    return b.s;
}
