/* sim_batch.h - answers to batch requests: several images, and a text asking for a JSON
 * array (as visionbatch --batch-size sends). The answer is the array a model would give,
 * [{"image": 1, "answer": "sha256:<hex> (...). ..."}, ...], one entry per image in
 * request order, each naming its image's hash so tests can check the client assigns
 * every entry to the right image. --garble-rate spoils a fraction of these answers the
 * ways a model does (an entry missing, JSON cut off, two entries swapped): a client must
 * notice and never attach an answer to the wrong image. */
#ifndef VB_SIM_BATCH_H
#define VB_SIM_BATCH_H

#include "sim_reply.h"
#include "sim_request.h"

/* Whether req is a batch request: at least two images and a text asking for a JSON
 * array. */
int sim_batch_applies(const sim_request_t *req);

/* The batch answer's text for req, spoiled as garble says (SIM_GARBLE_NONE: the exact
 * array). malloc'd, NULL when out of memory. */
char *sim_batch_answer_text(const sim_request_t *req, sim_garble_t garble);

/* The name of a garble kind for the counters: "count", "json", "order". */
const char *sim_batch_garble_name(sim_garble_t g);

#endif
