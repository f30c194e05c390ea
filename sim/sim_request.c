/* sim_request.c - the shared request record and image checks (sim_request.h).
 *
 * Images are decoded completely: a provider bills only images its decoder accepts, so a
 * client that sends truncated or mislabelled files must see it here, not in production. */
#include "sim_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "media/base64.h"
#include "prepare/structured.h"
#include "sim_heif.h"

void sim_request_free(sim_request_t *req)
{
    if (!req)
        return;
    free(req->model);
    free(req->images);
    free(req->response_format);
    memset(req, 0, sizeof *req);
}

int sim_request_add_image(sim_request_t *req, const sim_image_t *img)
{
    if (req->n_images == req->images_cap) {
        size_t cap = req->images_cap ? req->images_cap * 2 : 4;
        sim_image_t *grown = realloc(req->images, cap * sizeof *grown);
        if (!grown)
            return -1;
        req->images = grown;
        req->images_cap = cap;
    }
    req->images[req->n_images++] = *img;
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return 0;
}

void sim_image_set_hash(sim_image_t *img, const void *data, size_t len)
{
    hash_sha256_hex(data, len, img->hash_hex);
    for (size_t i = 0; i < SIM_DIGEST_LEN; i++)
        img->digest[i] = (unsigned char)(hex_value(img->hash_hex[2 * i]) << 4 |
                                         hex_value(img->hash_hex[2 * i + 1]));
}

void sim_request_add_text(sim_request_t *req, const char *text, size_t len)
{
    req->text_tokens += tokens_text_estimate(text, len);
    if (strstr(text, "JSON array"))
        req->asks_json_array = 1;
    req->mentions_json |= structured_mentions_json(text);
}

int sim_image_mime_is_heif(const char *mime, size_t len)
{
    return (len == 10 &&
            (strncasecmp(mime, "image/heic", 10) == 0 || strncasecmp(mime, "image/heif", 10) == 0));
}

const char *sim_image_format_name(const sim_image_t *img)
{
    if (img->heif)
        return "heif";
    const char *mime = image_mime(img->format);
    return mime ? mime + strlen("image/") : "unknown";
}

int sim_error_no_memory(sim_error_t *e)
{
    sim_error_set(e, NULL, NULL, "The server is out of memory.");
    e->status = 500;
    return -1;
}

/* Checks that data[0..len) is a HEIF image and measures it. */
static sim_image_status_t check_heif(const unsigned char *data, size_t len, sim_image_t *img,
                                     const char **found_mime, char *why, size_t whylen)
{
    if (sim_heif_probe(data, len, &img->width, &img->height) == 0) {
        img->heif = 1;
        img->format = IMAGE_UNKNOWN;
        return SIM_IMAGE_OK;
    }
    if (sim_heif_is_heif(data, len)) {
        snprintf(why, whylen, "no image size in the HEIF boxes");
        return SIM_IMAGE_CORRUPT;
    }
    image_info_t info;
    if (image_probe(data, len, &info, why, whylen) == IMAGE_OK) {
        *found_mime = image_mime(info.format);
        return SIM_IMAGE_MISMATCH;
    }
    snprintf(why, whylen, "not a HEIF image");
    return SIM_IMAGE_NOT_IMAGE;
}

/* Checks that data[0..len) is a complete image of the declared format and measures it. */
static sim_image_status_t check_bytes(const sim_config_t *cfg, const unsigned char *data,
                                      size_t len, image_format_t declared, sim_image_t *img,
                                      const char **found_mime, char *why, size_t whylen)
{
    image_info_t info;
    image_status_t st = image_probe(data, len, &info, why, whylen);
    if (st != IMAGE_OK) {
        if (sim_heif_is_heif(data, len)) {
            *found_mime = "image/heif";
            return SIM_IMAGE_MISMATCH;
        }
        return st == IMAGE_ERR_NOT_IMAGE || st == IMAGE_ERR_UNSUPPORTED ? SIM_IMAGE_NOT_IMAGE
                                                                        : SIM_IMAGE_CORRUPT;
    }
    if (info.format != declared) {
        *found_mime = image_mime(info.format);
        return SIM_IMAGE_MISMATCH;
    }
    if (!cfg->header_check_only && image_decode_check(data, len, why, whylen) != 0)
        return SIM_IMAGE_CORRUPT;
    img->format = info.format;
    img->width = info.width;
    img->height = info.height;
    return SIM_IMAGE_OK;
}

sim_image_status_t sim_image_check_base64(const sim_config_t *cfg, const char *b64, size_t len,
                                          const char *declared_mime, sim_image_t *img,
                                          const char **found_mime, char *why, size_t whylen)
{
    why[0] = '\0';
    if (len == 0)
        return SIM_IMAGE_EMPTY;
    if (len % 4 != 0)
        return SIM_IMAGE_BAD_BASE64;
    size_t decoded_len = len / 4 * 3 - (b64[len - 1] == '=') - (b64[len - 2] == '=');
    if (decoded_len > cfg->max_image_bytes) {
        snprintf(why, whylen, "The image is %zu bytes, more than the limit of %zu bytes.",
                 decoded_len, cfg->max_image_bytes);
        return SIM_IMAGE_TOO_LARGE;
    }
    unsigned char *data = malloc(len / 4 * 3);
    if (!data)
        return SIM_IMAGE_NO_MEMORY;
    sim_image_status_t st;
    long got = base64_decode(b64, len, data);
    if (got < 0)
        st = SIM_IMAGE_BAD_BASE64;
    else if (sim_image_mime_is_heif(declared_mime, strlen(declared_mime)))
        st = check_heif(data, (size_t)got, img, found_mime, why, whylen);
    else
        st = check_bytes(cfg, data, (size_t)got,
                         image_format_from_mime(declared_mime, strlen(declared_mime)), img,
                         found_mime, why, whylen);
    if (st == SIM_IMAGE_OK)
        sim_image_set_hash(img, data, (size_t)got);
    free(data);
    return st;
}
