/* pricing.c - the price table, for programs that price what they run or estimate. */
#include <visionbatch.h>

#include "cost/pricing.h"

#include <stdlib.h>

struct vb_pricing {
    pricing_t *table;
};

vb_pricing_t *vb_pricing_load(const char *path, char *err, size_t errlen)
{
    vb_pricing_t *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->table = path ? pricing_load_file(path, err, errlen) : pricing_load(NULL, err, errlen);
    if (!p->table) {
        free(p);
        return NULL;
    }
    return p;
}

int vb_pricing_lookup(const vb_pricing_t *p, const char *model, vb_price_t *out)
{
    pricing_entry_t e;
    if (pricing_lookup(p->table, model, &e) != 0)
        return -1;
    *out = (vb_price_t){.model = e.model,
                        .input = e.input,
                        .output = e.output,
                        .has_batch = e.has_batch,
                        .batch_input = e.batch_input,
                        .batch_output = e.batch_output};
    return 0;
}

void vb_pricing_free(vb_pricing_t *p)
{
    if (!p)
        return;
    pricing_free(p->table);
    free(p);
}
