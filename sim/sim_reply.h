/* sim_reply.h - one HTTP answer of the simulator, built by the policy and sent by the
 * server: status, JSON body, extra headers, how long to wait, and what it bills. */
#ifndef VB_SIM_REPLY_H
#define VB_SIM_REPLY_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>

#define SIM_REPLY_MAX_HEADERS 24 /* Anthropic sends 12 rate-limit headers alone */
#define SIM_DIGEST_LEN        32

typedef struct {
    char name[48];
    char value[160];
} sim_header_t;

/* How a batch answer (several images, a JSON array asked for) is spoiled by --garble-rate. */
typedef enum {
    SIM_GARBLE_NONE = 0,
    SIM_GARBLE_COUNT, /* the last entry is missing */
    SIM_GARBLE_JSON,  /* the JSON is cut off half way */
    SIM_GARBLE_ORDER, /* the first two entries are swapped */
    SIM_GARBLE_KINDS
} sim_garble_t;

/* What a 200 answer bills; all zero for errors. */
typedef struct {
    unsigned long prompt_tokens;
    unsigned long completion_tokens;
    unsigned long image_tokens;
    size_t n_images;
    unsigned char (*digests)[SIM_DIGEST_LEN]; /* n_images content hashes; owned */
    int batch;                                /* answered as a JSON array, one per image */
    sim_garble_t garbled;                     /* and spoiled so */
} sim_billing_t;

/* How the transport delivers a reply. */
typedef enum {
    SIM_FAULT_NONE = 0, /* send it as it is */
    SIM_FAULT_HTTP,     /* send it as it is: an injected 500/502/503 */
    SIM_FAULT_TIMEOUT,  /* send nothing: hold the call for hang_ms, then close */
    SIM_FAULT_RESET,    /* send the headers and half the body, then break the connection */
    /* bad bodies (sim_faults_bad_body), in the order of SIM_BAD_BODY_NAMES: */
    SIM_FAULT_HTML,      /* 200 with an HTML page */
    SIM_FAULT_TRUNCATED, /* 200 with the first half of the JSON (Content-Length matches);
                            billed: the model ran, its answer was cut on the way */
    SIM_FAULT_NO_USAGE,  /* the answer without "usage" (billed as usual) */
    SIM_FAULT_ERROR200,  /* 200 with an error object */
    SIM_FAULT_HUGE,      /* 200 whose chunked body never ends (up to SIM_HUGE_BODY_BYTES) */
    SIM_FAULT_DRIP,      /* the answer, one byte every SIM_DRIP_MS */
    SIM_FAULT_REDIRECT,  /* 307 to --redirect-to, or to itself (a loop) */
    SIM_FAULT_REFUSAL,   /* 200 with the model's refusal instead of the answer (billed) */
} sim_fault_t;

#define SIM_BAD_BODY_KINDS 8
#define SIM_BAD_BODY_NAMES                                                                     \
    {"html", "truncate", "no-usage", "error200", "huge-body", "drip", "redirect", "refusal"}
#define SIM_HUGE_BODY_BYTES ((size_t)64 * 1024 * 1024)
#define SIM_DRIP_MS 100

/* Why a call was refused with a 429, for the counters. */
typedef enum {
    SIM_REFUSAL_NONE = 0,
    SIM_REFUSAL_RATE_LIMIT, /* rate_limit_exceeded (over RPM/TPM, or larger than TPM) */
    SIM_REFUSAL_QUOTA,      /* insufficient_quota */
    SIM_REFUSAL_INVALID_IMAGE, /* a 400 for an image: invalid_image, invalid_image_format,
                                  invalid_image_url (a client should never send one) */
} sim_refusal_t;

typedef struct {
    unsigned long call_id; /* the call's number, for the request ids error bodies carry */
    int status;
    char *body; /* malloc'd, owned by the reply; JSON unless content_type says otherwise */
    size_t body_len;
    sim_header_t headers[SIM_REPLY_MAX_HEADERS];
    size_t n_headers;
    const char *content_type; /* static string; NULL: application/json */
    unsigned delay_ms;        /* answer this long after the request arrived */
    sim_fault_t fault;
    unsigned hang_ms; /* SIM_FAULT_TIMEOUT: the longest the call is held after delay_ms */
    sim_refusal_t refusal;
    sim_billing_t billing; /* what a 200 bills when it is sent without a fault */
} sim_reply_t;

/* A request refused with an OpenAI-style error; empty param/code mean JSON null. */
typedef struct {
    int status;
    char message[512];
    char param[160];
    char code[48];
} sim_error_t;

/* Zeroes a reply. */
void sim_reply_init(sim_reply_t *r);

/* Frees what the reply owns and zeroes it again, but for call_id. r may be NULL. */
void sim_reply_clear(sim_reply_t *r);

/* Adds a response header (value from printf-style fmt). Returns 0, or -1 when the header
 * table is full (the header is dropped). */
int sim_reply_header(sim_reply_t *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills status and body with an OpenAI error object:
 * {"error":{"message":...,"type":type,"param":param|null,"code":code|null}}.
 * param and code may be NULL or "" for null. Replaces any earlier body. Returns 0, or -1
 * when out of memory. */
int sim_reply_error(sim_reply_t *r, int status, const char *type, const char *param,
                    const char *code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Replaces reply's body with body dumped compactly (body's reference is taken over, NULL
 * allowed: out of memory) and sets status. Returns 0, or -1 when out of memory. */
int sim_reply_json(sim_reply_t *r, int status, json_t *body);

/* Replaces every byte of s that is not part of valid UTF-8 with '?', in place: messages
 * quote request text and are cut by snprintf, and JSON needs UTF-8. */
void sim_reply_utf8_sanitize(char *s);

/* sim_reply_error for a validation failure (type "invalid_request_error"). */
int sim_reply_from_error(sim_reply_t *r, const sim_error_t *e);

/* Fills e (status 400 unless changed later) with a message from printf-style fmt.
 * param and code may be NULL. Returns -1 so validators can `return sim_error_set(...)`. */
int sim_error_set(sim_error_t *e, const char *param, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
