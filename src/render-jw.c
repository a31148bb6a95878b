/* render-jw.c - the one JSON writer (render-jw.h). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "vi-escape.h"
#include "render-jw.h"
#include "vi-tree.h"

void vi_jw_init(struct vi_jw *w, FILE *f, int indent, int flags)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->indent = indent;
	w->flags = flags;
}

static size_t lvl(const struct vi_jw *w)
{
	return w->depth < VI_JW_MAXDEPTH ? (size_t)w->depth : VI_JW_MAXDEPTH - 1;
}

/* jansson's dump_indent: a line break and depth * indent spaces, or
 * (without indent) one space between items. */
static void newline(struct vi_jw *w, int depth, int space)
{
	if (w->indent > 0) {
		putc_unlocked('\n', w->f);
		for (long i = (long)depth * w->indent; i > 0; i--)
			putc_unlocked(' ', w->f);
	} else if (space) {
		putc_unlocked(' ', w->f);
	}
}

/* Before an item (a value in an array, a key in an object). */
static void item(struct vi_jw *w)
{
	size_t d = lvl(w);

	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (!w->depth)
		return;
	if (w->count[d])
		putc_unlocked(',', w->f);
	newline(w, w->depth, w->count[d] != 0);
	w->count[d] = 1;
}

static void jw_open(struct vi_jw *w, int c)
{
	item(w);
	putc_unlocked(c, w->f);
	w->depth++;
	w->count[lvl(w)] = 0;
}

void vi_jw_obj(struct vi_jw *w)
{
	jw_open(w, '{');
	w->is_obj[lvl(w)] = 1;
}

void vi_jw_arr(struct vi_jw *w)
{
	jw_open(w, '[');
	w->is_obj[lvl(w)] = 0;
}

void vi_jw_end(struct vi_jw *w)
{
	size_t d = lvl(w);
	int c = w->is_obj[d] ? '}' : ']';

	if (!w->depth)
		return;
	if (w->count[d])
		newline(w, w->depth - 1, 0);
	putc_unlocked(c, w->f);
	w->depth--;
}

/* A string of n bytes that is valid UTF-8, as jansson's dump_string. */
static void put_utf8(struct vi_jw *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	putc_unlocked('"', w->f);
	while (p < end) {
		unsigned cp = *p;
		size_t len = 1;
		const unsigned char *run = p;
		/* a run that needs no escape: one write (a call a byte was most
		 * of check's time on 10 000 findings) */
		while (run < end && *run >= 0x20 && *run != '"' && *run != '\\' &&
		       (*run < 0x80 || !(w->flags & VI_JW_ASCII)))
			run++;
		if (run > p) {
			fwrite(p, 1, (size_t)(run - p), w->f);
			p = run;
			continue;
		}
		if (cp >= 0x80) {
			len = cp >= 0xf0 ? 4 : cp >= 0xe0 ? 3 : 2;
			if (len > (size_t)(end - p))
				len = (size_t)(end - p);
			cp &= 0x3f >> (len - 1);
			for (size_t i = 1; i < len; i++)
				cp = (cp << 6) | (p[i] & 0x3f);
		}
		switch (cp) {
		case '"': fputs("\\\"", w->f); break;
		case '\\': fputs("\\\\", w->f); break;
		case '\b': fputs("\\b", w->f); break;
		case '\f': fputs("\\f", w->f); break;
		case '\n': fputs("\\n", w->f); break;
		case '\r': fputs("\\r", w->f); break;
		case '\t': fputs("\\t", w->f); break;
		default:
			if (cp < 0x20)
				fprintf(w->f, "\\u%04X", cp);
			else if (cp >= 0x80 && (w->flags & VI_JW_ASCII)) {
				if (cp < 0x10000) {
					fprintf(w->f, "\\u%04X", cp);
				} else {
					cp -= 0x10000;
					fprintf(w->f, "\\u%04X\\u%04X", 0xd800 | (cp >> 10),
						0xdc00 | (cp & 0x3ff));
				}
			} else {
				fwrite(p, 1, len, w->f);
			}
		}
		p += len;
	}
	putc_unlocked('"', w->f);
}

/* Any bytes as a JSON string (not UTF-8: \xNN text, escape.h). */
static void put_str(struct vi_jw *w, const char *s)
{
	if (w->flags & VI_JW_ASCII) {
		json_t *j = vi_jstr(s ? s : "");
		put_utf8(w, json_string_value(j), json_string_length(j));
		json_decref(j);
	} else {
		vi_put_json_str(w->f, s);
	}
}

void vi_jw_key(struct vi_jw *w, const char *key)
{
	item(w);
	put_str(w, key);
	fputs(": ", w->f);
	w->after_key = 1;
}

void vi_jw_str(struct vi_jw *w, const char *s)
{
	item(w);
	put_str(w, s);
}

void vi_jw_uint(struct vi_jw *w, uint64_t v)
{
	item(w);
	if (v <= INT64_MAX)
		fprintf(w->f, "%" PRIu64, v);
	else
		fprintf(w->f, "\"%" PRIu64 "\"", v);
}

void vi_jw_int(struct vi_jw *w, int64_t v)
{
	item(w);
	fprintf(w->f, "%" PRId64, v);
}

void vi_jw_bool(struct vi_jw *w, int v)
{
	item(w);
	fputs(v ? "true" : "false", w->f);
}

void vi_jw_null(struct vi_jw *w)
{
	item(w);
	fputs("null", w->f);
}

/* jansson's jsonp_dtostr: "%.17g", ".0" when neither '.' nor 'e', no '+'
 * and no leading zeros in the exponent. */
void vi_jw_real(struct vi_jw *w, double d)
{
	char buf[64], *e;

	if (isnan(d) || isinf(d)) {
		vi_jw_str(w, isnan(d) ? "NaN" : d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	item(w);
	snprintf(buf, sizeof(buf) - 2, "%.17g", d);
	for (char *p = buf; *p; p++)
		if (*p == ',')
			*p = '.';	/* a locale's decimal comma */
	if (!strchr(buf, '.') && !strchr(buf, 'e'))
		strcat(buf, ".0");
	if ((e = strchr(buf, 'e'))) {
		char *start = e + 1, *end = e + 2;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start)
			memmove(start, end, strlen(end) + 1);
	}
	fputs(buf, w->f);
}

struct kv {
	const char *k;
	json_t *v;
};

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

/* A member of a jansson object: its key is UTF-8 already, written as is. */
static void json_member(struct vi_jw *w, const char *k, const json_t *v)
{
	item(w);
	put_utf8(w, k, strlen(k));
	fputs(": ", w->f);
	w->after_key = 1;
	vi_jw_json(w, v);
}

void vi_jw_json(struct vi_jw *w, const json_t *cv)
{
	json_t *v = (json_t *)cv, *x;
	const char *k;
	size_t i;

	if (!v) {
		vi_jw_null(w);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		vi_jw_obj(w);
		if (w->flags & VI_JW_SORT_KEYS) {
			struct kv *a = vi_xmalloc((json_object_size(v) + 1) * sizeof(*a));
			size_t n = 0;
			json_object_foreach(v, k, x)
				a[n++] = (struct kv){ k, x };
			qsort(a, n, sizeof(*a), kv_cmp);
			for (i = 0; i < n; i++)
				json_member(w, a[i].k, a[i].v);
			free(a);
		} else {
			json_object_foreach(v, k, x)
				json_member(w, k, x);
		}
		vi_jw_end(w);
		break;
	case JSON_ARRAY:
		vi_jw_arr(w);
		json_array_foreach(v, i, x)
			vi_jw_json(w, x);
		vi_jw_end(w);
		break;
	case JSON_STRING:
		item(w);
		put_utf8(w, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		vi_jw_int(w, (int64_t)json_integer_value(v));
		break;
	case JSON_REAL:
		vi_jw_real(w, json_real_value(v));
		break;
	case JSON_TRUE: vi_jw_bool(w, 1); break;
	case JSON_FALSE: vi_jw_bool(w, 0); break;
	default: vi_jw_null(w); break;
	}
}

int vi_jw_done(struct vi_jw *w)
{
	putc_unlocked('\n', w->f);
	return ferror(w->f) ? -1 : 0;
}

void vi_jw_kstr(struct vi_jw *w, const char *key, const char *s)
{
	if (!s)
		return;
	vi_jw_key(w, key);
	vi_jw_str(w, s);
}

void vi_jw_kuint(struct vi_jw *w, const char *key, uint64_t v)
{
	vi_jw_key(w, key);
	vi_jw_uint(w, v);
}

void vi_jw_kbool(struct vi_jw *w, const char *key, int v)
{
	vi_jw_key(w, key);
	vi_jw_bool(w, v);
}

void vi_jw_knull(struct vi_jw *w, const char *key)
{
	vi_jw_key(w, key);
	vi_jw_null(w);
}

void vi_jw_write(FILE *f, const json_t *v, int indent, int flags)
{
	struct vi_jw w;

	vi_jw_init(&w, f, indent, flags);
	if (v)		/* json_dumpf writes nothing of no document */
		vi_jw_json(&w, v);
}

int vi_jw_dump(FILE *f, const json_t *v, int indent, int flags)
{
	vi_jw_write(f, v, indent, flags);
	putc_unlocked('\n', f);
	return ferror(f) ? -1 : 0;
}
