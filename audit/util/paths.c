#include "util/paths.h"

#include <string.h>

int utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t n;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

const char *path_invalid(const char *p, size_t len)
{
	size_t start = 0;

	if (len == 0)
		return "path is empty";
	if (memchr(p, '\0', len) != NULL)
		return "path contains a NUL byte";
	if (p[0] == '/')
		return "path must be relative (no leading '/')";
	if (!utf8_valid(p, len))
		return "path is not valid UTF-8";
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		size_t n = i - start;
		if (n == 0)
			return "path has an empty component";
		if (n == 1 && p[start] == '.')
			return "path has a '.' component";
		if (n == 2 && p[start] == '.' && p[start + 1] == '.')
			return "path has a '..' component";
		start = i + 1;
	}
	return NULL;
}

static int class_match(const char **pp, char c)
{
	const char *p = *pp + 1;
	int neg = 0, ok = 0;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	if (*p == ']') { /* literal ']' first */
		ok |= c == ']';
		p++;
	}
	while (*p && *p != ']') {
		if (p[1] == '-' && p[2] && p[2] != ']') {
			ok |= c >= p[0] && c <= p[2];
			p += 3;
		} else {
			ok |= c == *p;
			p++;
		}
	}
	if (*p != ']')
		return -1; /* unterminated: treat '[' literally */
	*pp = p + 1;
	return ok ^ neg;
}

int glob_match(const char *pat, const char *s)
{
	while (*pat) {
		if (pat[0] == '*' && pat[1] == '*') {
			const char *rest = pat + 2;
			if (*rest == '/') {
				/* "**" + "/": zero or more whole components */
				if (glob_match(rest + 1, s))
					return 1;
				for (const char *q = s; *q; q++)
					if (*q == '/' && glob_match(rest + 1, q + 1))
						return 1;
				return 0;
			}
			for (const char *q = s;; q++) {
				if (glob_match(rest, q))
					return 1;
				if (!*q)
					return 0;
			}
		}
		if (*pat == '/' && pat[1] == '*' && pat[2] == '*' && pat[3] == '\0' && *s == '\0')
			return 1; /* "dir" matches "dir" + "/" + "**" */
		if (*pat == '*') {
			for (const char *q = s;; q++) {
				if (glob_match(pat + 1, q))
					return 1;
				if (!*q || *q == '/')
					return 0;
			}
		}
		if (!*s)
			return 0;
		if (*pat == '?') {
			if (*s == '/')
				return 0;
		} else if (*pat == '[') {
			const char *p = pat;
			int r = *s == '/' ? 0 : class_match(&p, *s);
			if (r == 0)
				return 0;
			if (r == 1) {
				pat = p;
				s++;
				continue;
			}
			if (*s != '[')
				return 0;
		} else if (*pat == '\\' && pat[1]) {
			pat++;
			if (*pat != *s)
				return 0;
		} else if (*pat != *s) {
			return 0;
		}
		pat++;
		s++;
	}
	return *s == '\0';
}

int path_cmp(const char *a, const char *b)
{
	return strcmp(a, b);
}
