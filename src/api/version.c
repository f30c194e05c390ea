/* version.c - the library's version at run time, which may differ from the header a
 * program was compiled with. */
#include <visionbatch.h>

#define VB_STRINGIFY_(x) #x
#define VB_STRINGIFY(x) VB_STRINGIFY_(x)

const char *vb_version(void)
{
    return VB_STRINGIFY(VB_VERSION_MAJOR) "." VB_STRINGIFY(VB_VERSION_MINOR) "." VB_STRINGIFY(
        VB_VERSION_PATCH);
}
