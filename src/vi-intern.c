/* vi-intern.c - counted, shared copies of the tree's names (vi-intern.h).
 * A chained hash table of entries; an entry's string is its last member, so
 * the string's address finds its entry. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-budget.h"
#include "vi-error.h"
#include "vi-intern.h"
#include "vi-tree.h"

struct entry {
	struct entry *next;
	uint32_t hash;
	uint32_t refs;
	char s[];
};

static struct entry **bucket;
static size_t nbucket;          /* 0 or a power of two */
static unsigned long nentries;

static uint32_t hash_of(const char *s, size_t len)
{
	uint32_t h = 2166136261u;       /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int printable(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	int ok = 1;

	for (; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '\\')
			ok = 0;
	*len = (size_t)(p - (const unsigned char *)s);
	return ok;
}

/* s escaped as vi_esc escapes names for messages, in a buffer it never
 * needs to cut (4 bytes per byte at most). */
static char *escaped(const char *s, size_t *len)
{
	size_t n = 4 * *len + 1;
	char *out = vi_xmalloc(n);

	vi_esc(out, n, s);
	*len = strlen(out);
	return out;
}

static void grow(void)
{
	size_t n = nbucket ? nbucket * 2 : 256;
	struct entry **b = vi_xmalloc(n * sizeof(*b));

	memset(b, 0, n * sizeof(*b));
	for (size_t i = 0; i < nbucket; i++)
		for (struct entry *e = bucket[i], *next; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	free(bucket);
	bucket = b;
	nbucket = n;
}

const char *vi_intern(const char *s)
{
	size_t len;
	char *tmp = NULL;
	uint32_t h;
	struct entry *e;

	if (!printable(s, &len))
		s = tmp = escaped(s, &len);
	h = hash_of(s, len);
	if (nbucket)
		for (e = bucket[h & (nbucket - 1)]; e; e = e->next)
			if (e->hash == h && memcmp(e->s, s, len + 1) == 0 && e->refs < UINT32_MAX) {
				e->refs++;
				free(tmp);
				return e->s;
			}
	if (nentries >= nbucket)
		grow();
	e = vi_xmalloc(sizeof(*e) + len + 1);
	vi_budget_charge_ptr(e);
	e->hash = h;
	e->refs = 1;
	memcpy(e->s, s, len + 1);
	e->next = bucket[h & (nbucket - 1)];
	bucket[h & (nbucket - 1)] = e;
	nentries++;
	free(tmp);
	return e->s;
}

void vi_unintern(const char *s)
{
	struct entry *e, **pp;

	if (!s)
		return;
	e = (struct entry *)(void *)((char *)(uintptr_t)s - offsetof(struct entry, s));
	if (--e->refs)
		return;
	for (pp = &bucket[e->hash & (nbucket - 1)]; *pp != e; pp = &(*pp)->next)
		;
	*pp = e->next;
	nentries--;
	vi_budget_release_ptr(e);
	free(e);
	if (!nentries) {	/* nothing held: give the table back too */
		free(bucket);
		bucket = NULL;
		nbucket = 0;
	}
}

unsigned long vi_intern_count(void)
{
	return nentries;
}
