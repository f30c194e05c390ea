/* model_name.c - vendor prefixes, name boundaries and snapshot suffixes of model names. */
#include "cost/model_name.h"

#include <string.h>
#include <strings.h>

const char *model_name_strip_vendor(const char *model)
{
    const char *slash = strrchr(model, '/');
    return slash ? slash + 1 : model;
}

bool model_name_is_boundary(char c)
{
    return c == '\0' || c == '-' || c == ':' || c == '@' || c == '_';
}

size_t model_name_prefix_len(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    if (n == 0 || strncasecmp(name, prefix, n) != 0 || !model_name_is_boundary(name[n]))
        return 0;
    return n;
}

bool model_name_is_snapshot_suffix(const char *rest)
{
    if (rest[0] == '\0')
        return true;
    if (!model_name_is_boundary(rest[0]) || rest[1] < '0' || rest[1] > '9')
        return false;
    for (const char *p = rest + 1; *p; p++)
        if (!(*p >= '0' && *p <= '9') && !model_name_is_boundary(*p) && *p != '.')
            return false;
    return true;
}
