/* vi-budget.c - one memory budget for everything built from input (vi-budget.h). */
#include <jansson.h>
#include <malloc.h>
#include <stdlib.h>
#include "vi-budget.h"

static uint64_t limit = VI_BUDGET_BASE;
static uint64_t used;
static unsigned refusals;

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

	if (used + n > limit || !(p = malloc(n))) {
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

void vi_budget_reset(void)
{
	static int installed;

	if (!installed) {
		json_set_alloc_funcs(json_budget_malloc, json_budget_free);
		installed = 1;
	}
	limit = VI_BUDGET_BASE;
}

void vi_budget_forget(void)
{
	used = 0;
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
