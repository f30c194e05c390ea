/* fuzz_batch_gemini.c - libFuzzer target for the batch codec of the Gemini API's batch mode
 * (gemini_batch_parse.c): Operations, bare batches and responses-file lines, as untrusted bytes
 * from the server. The input and the checks are fuzz_batch.h's. */
#include "fuzz_batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_batch_run(&batch_codec_gemini, data, size);
    return 0;
}
