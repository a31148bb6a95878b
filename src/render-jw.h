/* render-jw.h - the one JSON writer: every view's JSON (dump, check, report,
 * diff, explain, extract, machines, targets, schema import) is written by it,
 * as events (open an object, a key, a value, close) streamed to a FILE, never
 * built as a document first.  A part a view still holds as a jansson value
 * (a finding, a libvirt header) is written through the same writer
 * (vi_jw_json).
 *
 * The bytes are those jansson's json_dumpf writes with JSON_INDENT(indent)
 * (indent 0: one line, ", " and ": " between items), so documents stay as
 * they were: an empty object or array is "{}" / "[]", every member on a line
 * of its own at depth * indent spaces, integers in decimal, reals as
 * jansson's "%.17g" with ".0" or an exponent, strings as vi_put_json_str
 * (escape.h) writes them (VI_JW_ASCII: every non-ASCII character as \uXXXX).
 */
#ifndef VI_RENDER_JW_H
#define VI_RENDER_JW_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#define VI_JW_MAXDEPTH 2100   /* jansson parses at most 2048 levels */

enum { VI_JW_ASCII = 1, VI_JW_SORT_KEYS = 2 };

struct vi_jw {
	FILE *f;
	int indent, flags, depth;
	unsigned char count[VI_JW_MAXDEPTH];  /* items so far at each level (0, 1, many) */
	unsigned char is_obj[VI_JW_MAXDEPTH];
	int after_key;                        /* a key was written: the value follows */
};

void vi_jw_init(struct vi_jw *w, FILE *f, int indent, int flags);
void vi_jw_obj(struct vi_jw *w);
void vi_jw_arr(struct vi_jw *w);
void vi_jw_end(struct vi_jw *w);    /* closes the innermost object or array */
void vi_jw_key(struct vi_jw *w, const char *key);
/* Values.  vi_jw_str: any bytes (not UTF-8 is written as \xNN text);
 * vi_jw_uint: above INT64_MAX as a string of its digits; vi_jw_real: NaN and
 * the infinities as the strings "NaN", "Infinity", "-Infinity". */
void vi_jw_str(struct vi_jw *w, const char *s);
void vi_jw_uint(struct vi_jw *w, uint64_t v);
void vi_jw_int(struct vi_jw *w, int64_t v);
void vi_jw_bool(struct vi_jw *w, int v);
void vi_jw_null(struct vi_jw *w);
void vi_jw_real(struct vi_jw *w, double d);
/* A jansson value (any kind), its members in their order. */
void vi_jw_json(struct vi_jw *w, const json_t *v);
/* End the document: a newline; 0, or -1 if a write failed. */
int vi_jw_done(struct vi_jw *w);

/* key: value in one call (vi_jw_kstr: nothing at all when s is NULL, as
 * jansson leaves out a member set to a NULL value). */
void vi_jw_kstr(struct vi_jw *w, const char *key, const char *s);
void vi_jw_kuint(struct vi_jw *w, const char *key, uint64_t v);
void vi_jw_kbool(struct vi_jw *w, const char *key, int v);
void vi_jw_knull(struct vi_jw *w, const char *key);

/* A whole jansson document, as json_dumpf(v, f, JSON_INDENT(indent)) and a
 * newline; 0 or -1 on a write error.  vi_jw_write: without the newline (any
 * value: a string, a number). */
int vi_jw_dump(FILE *f, const json_t *v, int indent, int flags);
void vi_jw_write(FILE *f, const json_t *v, int indent, int flags);

#endif
