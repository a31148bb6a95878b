/* vi-budget.c - one memory budget for everything built from input (vi-budget.h). */
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-budget.h"

static uint64_t limit = VI_BUDGET_BASE;
static uint64_t used;
static unsigned refusals;
static int parsing;	/* inside vi_json_load*: the reader refuses, not malloc */

int vi_budget_charge(size_t n)
{
	used += n;
	return used > limit ? -1 : 0;
}

void vi_budget_release(size_t n)
{
	used = n > used ? 0 : used - n;
}

void vi_budget_charge_ptr(void *p)
{
	if (p)
		(void)vi_budget_charge(malloc_usable_size(p));
}

void vi_budget_release_ptr(void *p)
{
	if (p)
		vi_budget_release(malloc_usable_size(p));
}

/* jansson: refuse what would go over, so a hostile document fails to parse
 * ("out of memory") instead of growing without bound. */
static void *json_budget_malloc(size_t n)
{
	void *p;

	if ((!parsing && used + n > limit) || !(p = malloc(n))) {
		refusals++;
		return NULL;
	}
	used += malloc_usable_size(p);
	return p;
}

static void json_budget_free(void *p)
{
	if (p) {
		vi_budget_release(malloc_usable_size(p));
		free(p);
	}
}

/* jansson's lexer does not survive an allocation refused in the middle of a
 * token (2.14 asserts in lex_scan_string), so while it parses, nothing is
 * refused by the allocator: the source stops delivering bytes once the
 * budget is over, which jansson handles as a read error at any point.  The
 * overshoot is bounded by what jansson builds from one 1 KiB read. */
struct json_src {
	const char *buf;
	size_t len, pos;
	FILE *f;
};

static size_t json_src_read(void *dst, size_t n, void *data)
{
	struct json_src *src = data;

	if (used > limit) {
		refusals++;
		return (size_t)-1;
	}
	if (src->f) {
		size_t got = fread(dst, 1, n, src->f);
		return got == 0 && ferror(src->f) ? (size_t)-1 : got;
	}
	if (n > src->len - src->pos)
		n = src->len - src->pos;
	memcpy(dst, src->buf + src->pos, n);
	src->pos += n;
	return n;
}

static json_t *json_load_src(struct json_src *src, size_t flags, json_error_t *err)
{
	json_t *doc;

	parsing = 1;
	doc = json_load_callback(json_src_read, src, flags, err);
	parsing = 0;
	if (doc && used > limit) {	/* the last read's values went over */
		refusals++;
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

json_t *vi_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err)
{
	struct json_src src = { buf, len, 0, NULL };

	return json_load_src(&src, flags, err);
}

json_t *vi_json_load_file(const char *path, size_t flags, json_error_t *err)
{
	struct json_src src = { NULL, 0, 0, fopen(path, "rb") };
	json_t *doc;

	if (!src.f) {
		if (err) {
			snprintf(err->text, sizeof(err->text), "unable to open %s: %s", path,
				 strerror(errno));
			err->position = 0;
		}
		return NULL;
	}
	doc = json_load_src(&src, flags, err);
	fclose(src.f);
	return doc;
}

void vi_budget_reset(void)
{
	static int installed;

	if (!installed) {
		json_set_alloc_funcs(json_budget_malloc, json_budget_free);
		installed = 1;
	}
	limit = VI_BUDGET_BASE;
}

static void add(uint64_t n, uint64_t per_byte)
{
	if (n > (UINT64_MAX - limit) / per_byte)
		limit = UINT64_MAX;
	else
		limit += per_byte * n;
}

void vi_budget_add_input(uint64_t n)
{
	add(n, VI_BUDGET_PER_BYTE);
}

void vi_budget_add_json_input(uint64_t n)
{
	add(n, VI_BUDGET_PER_JSON_BYTE);
}

int vi_budget_over(void)
{
	return used > limit;
}

unsigned vi_budget_refusals(void)
{
	return refusals;
}

uint64_t vi_budget_limit(void)
{
	return limit;
}

uint64_t vi_budget_used(void)
{
	return used;
}
