/* version.c - the library's version at run time, which may differ from the header a
 * program was compiled with. */
#include <visionbatch.h>

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)
#define MAJOR         STRINGIFY(VB_VERSION_MAJOR)
#define MINOR         STRINGIFY(VB_VERSION_MINOR)
#define PATCH         STRINGIFY(VB_VERSION_PATCH)

const char *vb_version(void)
{
    return MAJOR "." MINOR "." PATCH;
}
