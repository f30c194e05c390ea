/* fuzz_batch_openai.c - libFuzzer target for the batch codec of OpenAI's Batch API
 * (openai_batch_parse.c): batch objects and lines of output and error files, as untrusted bytes
 * from the server. The input and the checks are fuzz_batch.h's. */
#include "fuzz_batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_batch_run(&batch_codec_openai, data, size);
    return 0;
}
