/* encode.h - hex and base64 (RFC 4648, padded) with strict decoding. */
#ifndef EIA_ENCODE_H
#define EIA_ENCODE_H

#include <stddef.h>

/* Writes 2*n lowercase hex chars plus NUL into out (size >= 2n+1). */
void hex_encode(const unsigned char *in, size_t n, char *out);
/* Decodes exactly 2*n lowercase-or-uppercase hex chars; returns 0 on success, -1 if malformed. */
int hex_decode(const char *in, size_t inlen, unsigned char *out, size_t n);
/* Returns a malloc'd NUL-terminated base64 string. */
char *base64_encode(const unsigned char *in, size_t n);
/* Strict: padded, no whitespace. Returns malloc'd bytes or NULL if malformed. */
unsigned char *base64_decode(const char *in, size_t inlen, size_t *outlen);

#endif
