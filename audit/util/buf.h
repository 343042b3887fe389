/* buf.h - a growable byte buffer, always NUL-terminated after `len`.
 * The buffer owns `data`; buf_free releases it. Allocation failure aborts
 * the process through xmalloc (the only out-of-memory policy in eia). */
#ifndef EIA_BUF_H
#define EIA_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct buf {
	unsigned char *data;
	size_t len;
	size_t cap;
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
void buf_reserve(buf *b, size_t extra);
void buf_add(buf *b, const void *p, size_t n);
void buf_adds(buf *b, const char *s);
void buf_addc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Transfers ownership of the data to the caller (never NULL). */
char *buf_steal(buf *b, size_t *len);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xmemdup0(const void *p, size_t n);

#endif
