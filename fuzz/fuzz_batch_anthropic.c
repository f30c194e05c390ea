/* fuzz_batch_anthropic.c - libFuzzer target for the batch codec of Anthropic's Message Batches
 * (anthropic_batch_parse.c): message_batch objects and result lines, as untrusted bytes from the
 * server. The input and the checks are fuzz_batch.h's. */
#include "fuzz_batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_batch_run(&batch_codec_anthropic, data, size);
    return 0;
}
