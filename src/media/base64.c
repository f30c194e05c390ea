/* base64.c - base64 through OpenSSL's block coder, with strict validation on decode. */
#include "media/base64.h"

#include <limits.h>
#include <openssl/evp.h>

/* OpenSSL's block functions take int lengths: work in chunks that are multiples of 3
 * (encode) and 4 (decode) bytes so any size_t length is handled. */
#define B64_ENC_CHUNK ((size_t)3 * 1024 * 1024)
#define B64_DEC_CHUNK ((size_t)4 * 1024 * 1024)

size_t base64_encoded_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

size_t base64_encode(const unsigned char *in, size_t len, char *out)
{
    size_t written = 0;
    while (len > 0) {
        size_t n = len < B64_ENC_CHUNK ? len : B64_ENC_CHUNK;
        written += (size_t)EVP_EncodeBlock((unsigned char *)out + written, in, (int)n);
        in += n;
        len -= n;
    }
    out[written] = '\0';
    return written;
}

long base64_decode(const char *in, size_t len, unsigned char *out)
{
    if (len % 4 != 0)
        return -1;
    size_t total = 0;
    for (size_t off = 0; off < len; off += B64_DEC_CHUNK) {
        size_t n = len - off < B64_DEC_CHUNK ? len - off : B64_DEC_CHUNK;
        /* '=' is only allowed in the last two places of the last quantum. */
        for (size_t i = 0; i < n; i++) {
            if (in[off + i] == '=' && off + i + 2 < len)
                return -1;
        }
        int got = EVP_DecodeBlock(out + total, (const unsigned char *)in + off, (int)n);
        if (got < 0)
            return -1;
        total += (size_t)got;
    }
    if (len >= 2 && in[len - 2] == '=' && in[len - 1] != '=')
        return -1;
    /* EVP_DecodeBlock counts padding as zero bytes. */
    if (len >= 1 && in[len - 1] == '=')
        total--;
    if (len >= 2 && in[len - 2] == '=')
        total--;
    return total > LONG_MAX ? -1 : (long)total;
}
