/* sim_describe.h - what the simulated "model" says about one image: the line that both
 * plain answers (sim_answer.c, "Image N: <line>") and batch answers (sim_batch.c, one
 * array entry per image) are made of. A leaf of its own so that sim_answer.c can hand
 * batch requests to sim_batch.c without the two including each other. */
#ifndef VB_SIM_DESCRIBE_H
#define VB_SIM_DESCRIBE_H

#include <stddef.h>

#include "sim_request.h"

/* Writes what the "model" says about img into buf (at most cap bytes):
 * "sha256:<hex> (<format> <W>x<H>). <description>", or "sha256:<hex> (url). ..." for
 * an unfetched URL; the description is picked by the image's hash, so the same image
 * always gets the same line. Returns snprintf's count. */
int sim_describe_image(const sim_image_t *img, char *buf, size_t cap);

#endif
