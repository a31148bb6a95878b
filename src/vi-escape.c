/* vi-escape.c - escaping strings from input for text, JSON, XML and URIs. */
#include <stdlib.h>
#include <string.h>
#include "vi-escape.h"
#include "vi-tree.h"

size_t vi_utf8_char(const unsigned char *p, size_t n, unsigned *cp)
{
	unsigned c = p[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; c &= 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; c &= 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

char *vi_utf8_cut(char *s, size_t max)
{
	size_t n = strlen(s), k = n, back = 0;
	unsigned cp;

	if (n < max || !n)
		return s;
	/* Back over continuation bytes to the last lead byte. */
	while (k > 0 && back < 4 && ((unsigned char)s[k - 1] & 0xc0) == 0x80) {
		k--;
		back++;
	}
	if (k > 0 && ((unsigned char)s[k - 1] & 0xc0) == 0xc0 &&
	    !vi_utf8_char((const unsigned char *)s + k - 1, n - (k - 1), &cp))
		s[k - 1] = '\0';	/* a lead byte whose character was cut */
	return s;
}

/* What an escaper does with the piece at p: 0 copy *len bytes as they are,
 * 1 write each of the *len bytes as \xNN. */
static int classify(const unsigned char *p, size_t n, size_t *len, unsigned *cp)
{
	size_t k = vi_utf8_char(p, n, cp);

	if (!k) {
		*len = 1;
		return 1;
	}
	*len = k;
	return (*cp >= 0x80 && *cp <= 0x9f) || *cp == 0xfffe || *cp == 0xffff;
}

static void put_hex(FILE *f, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "\\x%02x", p[i]);
}

static int text_clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

void vi_put_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), len;
	unsigned cp;

	if (text_clean((const char *)p)) {
		fputs((const char *)p, f);
		return;
	}
	while (n) {
		int esc = classify(p, n, &len, &cp) || cp < 0x20 || cp == 0x7f;
		if (esc)
			put_hex(f, p, len);
		else
			fwrite(p, 1, len, f);
		p += len;
		n -= len;
	}
}

static struct { char **v; size_t n, cap; } tx_pool;

const char *vi_tx(const char *s)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m;

	if (!s || text_clean(s))
		return s ? s : "";
	if (!(m = open_memstream(&buf, &size)))
		return "?";
	vi_put_text(m, s);
	fclose(m);
	if (tx_pool.n == tx_pool.cap) {
		tx_pool.cap = tx_pool.cap ? 2 * tx_pool.cap : 16;
		tx_pool.v = vi_xrealloc(tx_pool.v, tx_pool.cap * sizeof(*tx_pool.v));
	}
	tx_pool.v[tx_pool.n++] = buf;
	return buf;
}

void vi_tx_release(void)
{
	for (size_t i = 0; i < tx_pool.n; i++)
		free(tx_pool.v[i]);
	free(tx_pool.v);
	memset(&tx_pool, 0, sizeof(tx_pool));
}

/* s as JSON text content: valid UTF-8, C1 and non-UTF-8 bytes as \xNN. */
static char *json_clean(const char *s, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len, o = 0;
	char *out = vi_xmalloc(4 * n + 1);
	unsigned cp;

	while (n) {
		if (classify(p, n, &len, &cp)) {
			for (size_t i = 0; i < len; i++)
				o += (size_t)sprintf(out + o, "\\x%02x", p[i]);
		} else {
			memcpy(out + o, p, len);
			o += len;
		}
		p += len;
		n -= len;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

static int json_is_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	unsigned cp;

	for (; *p; p++)
		if (*p >= 0x80)
			break;
	n -= (size_t)(p - (const unsigned char *)s);
	while (n) {
		if (classify(p, n, &len, &cp))
			return 0;
		p += len;
		n -= len;
	}
	return 1;
}

json_t *vi_jstr(const char *s)
{
	json_t *j;
	size_t n;
	char *c;

	if (!s)
		return NULL;
	if (json_is_clean(s) && (j = json_string(s)))
		return j;
	c = json_clean(s, &n);
	j = json_stringn(c, n);
	free(c);
	return j ? j : json_string("");
}

void vi_put_json_str(FILE *f, const char *s)
{
	char *c = NULL;
	size_t n;

	if (!s)
		s = "";
	if (!json_is_clean(s))
		s = c = json_clean(s, &n);
	putc_unlocked('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04X", *p);
			else
				putc_unlocked(*p, f);
		}
	}
	putc_unlocked('"', f);
	free(c);
}

void vi_put_xml(FILE *f, const char *s, int attr)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), len;
	unsigned cp;

	(void)attr;
	while (n) {
		if (classify(p, n, &len, &cp) ||
		    (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')) {
			put_hex(f, p, len);
		} else {
			switch (cp) {
			case '<': fputs("&lt;", f); break;
			case '>': fputs("&gt;", f); break;
			case '&': fputs("&amp;", f); break;
			case '"': fputs("&quot;", f); break;
			case '\'': fputs("&apos;", f); break;
			case '\r': fputs("&#13;", f); break;
			case '\t': fputs("&#9;", f); break;
			case '\n': fputs("&#10;", f); break;
			default: fwrite(p, 1, len, f); break;
			}
		}
		p += len;
		n -= len;
	}
}

char *vi_file_uri(const char *path)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t n = strlen(path), o = 0;
	char *out = vi_xmalloc(3 * n + 8);

	if (path[0] == '/') {
		memcpy(out, "file://", 7);
		o = 7;
	}
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hexd[*p >> 4];
			out[o++] = hexd[*p & 15];
		}
	}
	out[o] = '\0';
	return out;
}
