/* sim_multipart.h - finding one field of a multipart/form-data body (RFC 7578), as
 * OpenAI's POST /v1/files receives its "purpose" and "file". */
#ifndef VB_SIM_MULTIPART_H
#define VB_SIM_MULTIPART_H

#include <stddef.h>

/* Finds the part named name in body[0..len), a multipart/form-data body whose
 * Content-Type header is content_type (it carries the boundary). On success returns 0,
 * points *value at the part's content inside body (*value_len bytes) and copies the
 * part's filename into filename ("" when it names none; cut to filename_cap - 1 bytes).
 * Returns -1 with a reason in why when content_type is not multipart/form-data with a
 * boundary, the body does not follow it, or no part has that name. */
int sim_multipart_field(const char *content_type, const char *body, size_t len, const char *name,
                        const char **value, size_t *value_len, char *filename, size_t filename_cap,
                        char *why, size_t whylen);

#endif
