#include "util/paths.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

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

/* Memoised matcher: each (pattern position, string position) state is
 * decided once, so hostile globs and names cost O(|pattern| x |path|), never
 * exponential backtracking. memo: 0 unknown, 1 no match, 2 match. */
struct glob_state {
	const char *pat, *s;
	size_t plen, slen;
	unsigned char *memo;
};

static int gm(struct glob_state *g, size_t pi, size_t si);

static int gm_step(struct glob_state *g, size_t pi, size_t si)
{
	const char *pat = g->pat, *s = g->s;

	if (pi == g->plen)
		return si == g->slen;
	if (pat[pi] == '*' && pat[pi + 1] == '*') {
		if (pat[pi + 2] == '/') { /* zero or more whole components */
			if (gm(g, pi + 3, si))
				return 1;
			const char *slash = memchr(s + si, '/', g->slen - si);
			return slash != NULL && gm(g, pi, (size_t)(slash - s) + 1);
		}
		return gm(g, pi + 2, si) || (si < g->slen && gm(g, pi, si + 1));
	}
	if (pat[pi] == '/' && pat[pi + 1] == '*' && pat[pi + 2] == '*' && pat[pi + 3] == '\0' &&
	    si == g->slen)
		return 1; /* "dir" matches "dir" + "/" + "**" */
	if (pat[pi] == '*')
		return gm(g, pi + 1, si) || (si < g->slen && s[si] != '/' && gm(g, pi, si + 1));
	if (si == g->slen)
		return 0;
	if (pat[pi] == '?')
		return s[si] != '/' && gm(g, pi + 1, si + 1);
	if (pat[pi] == '[') {
		const char *p = pat + pi;
		int r = s[si] == '/' ? 0 : class_match(&p, s[si]);
		if (r >= 0)
			return r == 1 && gm(g, (size_t)(p - pat), si + 1);
		return s[si] == '[' && gm(g, pi + 1, si + 1); /* unterminated: literal */
	}
	if (pat[pi] == '\\' && pat[pi + 1])
		return pat[pi + 1] == s[si] && gm(g, pi + 2, si + 1);
	return pat[pi] == s[si] && gm(g, pi + 1, si + 1);
}

static int gm(struct glob_state *g, size_t pi, size_t si)
{
	unsigned char *m = &g->memo[pi * (g->slen + 1) + si];

	if (*m == 0)
		*m = (unsigned char)(gm_step(g, pi, si) ? 2 : 1);
	return *m == 2;
}

int glob_match(const char *pat, const char *s)
{
	struct glob_state g = {pat, s, strlen(pat), strlen(s), NULL};
	unsigned char small[4096];
	size_t cells = (g.plen + 1) * (g.slen + 1);
	int r;

	g.memo = cells <= sizeof(small) ? small : xcalloc(cells, 1);
	if (g.memo == small)
		memset(small, 0, cells);
	r = gm(&g, 0, 0);
	if (g.memo != small)
		free(g.memo);
	return r;
}

int path_cmp(const char *a, const char *b)
{
	return strcmp(a, b);
}
