/* sim_answer.h - the deterministic completion for a valid request, and its bill. */
#ifndef VB_SIM_ANSWER_H
#define VB_SIM_ANSWER_H

#include "sim_reply.h"
#include "sim_validate.h"

/* Tokens added per message for the chat framing (role, separators); a fixed number so
 * tests can compute prompt_tokens exactly. */
#define SIM_TOKENS_PER_MESSAGE 7

/* Image tokens the simulator bills for img under req's model: tokens_image for the
 * model (gpt-4o's rules for an unknown model); an unfetched URL is billed as a 512x512
 * low-detail image (the base tokens of tile models). */
unsigned long sim_answer_image_tokens(const char *model, const sim_image_t *img);

/* The prompt tokens req is billed: its images' tokens + its text estimate +
 * SIM_TOKENS_PER_MESSAGE per message (what sim_answer_build puts in usage). */
unsigned long sim_answer_prompt_tokens(const sim_request_t *req);

/* Builds the 200 chat.completion answer for req into reply: the body (id
 * "chatcmpl-sim-<id>", created at `created`), status 200 and reply->billing. The content
 * names every image in order as "Image N: <image line>"; a request of several images
 * whose text asks for a JSON array (a batch, sim_batch.h) gets that array instead,
 * garbled as garble says. The content is cut at max_tokens (finish_reason "length").
 * Returns 0, or -1 when out of memory (reply is then left without a body). */
int sim_answer_build(const sim_request_t *req, sim_garble_t garble, unsigned long id,
                     long long created, sim_reply_t *reply);

#endif
