/* sim_answer.h - the deterministic answer to a valid request, and its bill, before any
 * protocol wraps it (sim_protocol.h: each protocol puts the text and usage into its own
 * response body). */
#ifndef VB_SIM_ANSWER_H
#define VB_SIM_ANSWER_H

#include "sim_reply.h"
#include "sim_request.h"

/* Tokens added per message for the chat framing (role, separators); a fixed number so
 * tests can compute prompt tokens exactly. */
#define SIM_TOKENS_PER_MESSAGE 7

/* One answer's text, whatever protocol carries it. */
typedef struct {
    char *text; /* malloc'd, owned */
    int cut;    /* cut at the request's max_tokens (finish "length", "max_tokens", ...) */
} sim_answer_t;

/* Image tokens the simulator bills for img under model: tokens_image_for_model (gpt-4o's
 * rules for an unknown model); an unfetched URL is billed as a 512x512 low-detail image
 * (the base tokens of tile models). */
unsigned long sim_answer_image_tokens(const char *model, const sim_image_t *img);

/* The prompt tokens req is billed: its images' tokens + its text estimate +
 * SIM_TOKENS_PER_MESSAGE per message (what the answers report as prompt/input tokens). */
unsigned long sim_answer_prompt_tokens(const sim_request_t *req);

/* Composes the answer to req into *out and its bill into *billing (replacing what it
 * held). The text names every image in order as "Image N: <image line>"; a request of
 * several images whose text asks for a JSON array (a batch, sim_batch.h) gets that array
 * instead, garbled as garble says; a request with a response_format gets the structured
 * answer of sim_json.h (broken when json_draw < bad_json_rate). The text is cut at
 * max_tokens. Returns 0, or -1 when out of memory (*out then holds nothing). */
int sim_answer_compose(const sim_request_t *req, sim_garble_t garble, double bad_json_rate,
                       double json_draw, sim_answer_t *out, sim_billing_t *billing);

/* Frees the answer's text; a may be NULL. */
void sim_answer_clear(sim_answer_t *a);

#endif
