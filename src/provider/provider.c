/* provider.c - what every provider shares: freeing answers and templates, finding a
 * provider by name. */
#include "provider/provider.h"

#include <stdlib.h>
#include <string.h>

void answer_clear(answer_t *a)
{
    if (!a)
        return;
    free(a->content);
    free(a->model);
    a->content = a->model = NULL;
}

void body_template_clear(body_template_t *t)
{
    if (!t)
        return;
    free(t->prefix);
    free(t->suffix);
    memset(t, 0, sizeof *t);
}

const provider_t *provider_find(const char *name)
{
    static const provider_t *const all[] = {&provider_openai};
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}
