/* fuzz_jpeg_check.c - libFuzzer target for the JPEG decode check (jpeg_check.c): the
 * bytes are a would-be JPEG, fed to libjpeg through the check's own chunked source.
 *
 * Checks: the check returns 0 or -1, and -1 always comes with a message; it never reads
 * outside the input (ASan) nor holds memory for more than the pixel limit allows. */
#include "fuzz_util.h"

#include "media/jpeg_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "";
    int rc = jpeg_check(data, size, err, sizeof err);
    FUZZ_CHECK(rc == 0 || (rc == -1 && err[0] != '\0'));
    return 0;
}
