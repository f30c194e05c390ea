/* hash.c - SHA-256 content hashes through OpenSSL's EVP interface. */
#include "media/hash.h"

#include <openssl/evp.h>

void hash_sha256_hex(const void *data, size_t len, char out[HASH_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (!EVP_Digest(data ? data : "", len, digest, &n, EVP_sha256(), NULL) || n != 32) {
        out[0] = '\0';
        return;
    }
    for (unsigned int i = 0; i < n; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[2 * n] = '\0';
}
