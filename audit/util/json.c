#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/encode.h"
#include "util/paths.h"

void json_init(json_w *w, buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

static void indent(json_w *w)
{
	buf_addc(w->out, '\n');
	for (int i = 0; i < w->depth; i++)
		buf_add(w->out, "  ", 2);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	return n <= len && utf8_valid((const char *)s, n) ? n : 0;
}

void json_quote(buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	buf_addc(out, '"');
	while (i < len) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			buf_addc(out, '\\');
			buf_addc(out, (char)c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			static const char *const named[] = {
				['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n",
				['\f'] = "\\f", ['\r'] = "\\r"};
			if (c < sizeof(named) / sizeof(named[0]) && named[c])
				buf_adds(out, named[c]);
			else
				buf_printf(out, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			buf_addc(out, (char)c);
			i++;
		} else {
			size_t n = utf8_seq(p + i, len - i);
			if (n == 0) {
				buf_adds(out, "\\ufffd");
				i++;
			} else {
				buf_add(out, p + i, n);
				i += n;
			}
		}
	}
	buf_addc(out, '"');
}

static void item(json_w *w, const char *key)
{
	if (w->depth > 0) {
		if (w->count[w->depth - 1]++ > 0)
			buf_addc(w->out, ',');
		indent(w);
	}
	if (key != NULL) {
		json_quote(w->out, key, strlen(key));
		buf_add(w->out, ": ", 2);
	}
}

static void open_(json_w *w, const char *key, char c)
{
	item(w, key);
	buf_addc(w->out, c);
	/* unreachable for eia's model (see JSON_MAX_DEPTH); clamped, never overrun */
	if (w->depth < JSON_MAX_DEPTH - 1)
		w->depth++;
	w->count[w->depth - 1] = 0;
}

static void close_(json_w *w, char c)
{
	int had = w->count[w->depth - 1] > 0;
	w->depth--;
	if (had)
		indent(w);
	buf_addc(w->out, c);
}

void json_obj_begin(json_w *w, const char *key) { open_(w, key, '{'); }
void json_obj_end(json_w *w) { close_(w, '}'); }
void json_arr_begin(json_w *w, const char *key) { open_(w, key, '['); }
void json_arr_end(json_w *w) { close_(w, ']'); }

void json_str(json_w *w, const char *key, const char *s, size_t len)
{
	item(w, key);
	json_quote(w->out, s, len);
}

void json_cstr(json_w *w, const char *key, const char *s)
{
	if (s == NULL)
		json_null(w, key);
	else
		json_str(w, key, s, strlen(s));
}

void json_u64(json_w *w, const char *key, uint64_t v)
{
	item(w, key);
	buf_printf(w->out, "%llu", (unsigned long long)v);
}

void json_i64(json_w *w, const char *key, int64_t v)
{
	item(w, key);
	buf_printf(w->out, "%lld", (long long)v);
}

void json_bool(json_w *w, const char *key, int v)
{
	item(w, key);
	buf_adds(w->out, v ? "true" : "false");
}

void json_null(json_w *w, const char *key)
{
	item(w, key);
	buf_adds(w->out, "null");
}

void json_hex_if_invalid(json_w *w, const char *key, const char *s, size_t len)
{
	char *hex;

	if (utf8_valid(s, len))
		return;
	hex = xmalloc(2 * len + 1);
	hex_encode((const unsigned char *)s, len, hex);
	json_str(w, key, hex, 2 * len);
	free(hex);
}

void json_finish(json_w *w)
{
	buf_addc(w->out, '\n');
}
