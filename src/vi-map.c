/* vi-map.c - the one hash map (vi-map.h). */
#include <stdio.h>
#include <stdlib.h>
#include "vi-tree.h"
#include "vi-map.h"

#define EMPTY UINT32_MAX

static size_t slot_of(const struct vi_map *m, uint32_t key)
{
	uint32_t h = key * 0x9e3779b1u;	/* Fibonacci hashing */
	size_t i = (size_t)(h ^ h >> 16) & (m->cap - 1);

	while (m->slot[i].val != EMPTY && m->slot[i].key != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void vi_map_put(struct vi_map *m, uint32_t key, size_t val)
{
	size_t i;

	if (val >= EMPTY) {
		fputs("vmstate-inspect: internal error: map value out of range\n", stderr);
		abort();
	}
	if (2 * (m->n + 1) > m->cap) {
		struct vi_map g = { NULL, m->cap ? 2 * m->cap : 64, 0 };
		g.slot = vi_xmalloc(g.cap * sizeof(*g.slot));
		for (i = 0; i < g.cap; i++)
			g.slot[i].val = EMPTY;
		for (i = 0; i < m->cap; i++)
			if (m->slot[i].val != EMPTY) {
				g.slot[slot_of(&g, m->slot[i].key)] = m->slot[i];
				g.n++;
			}
		free(m->slot);
		*m = g;
	}
	i = slot_of(m, key);
	if (m->slot[i].val == EMPTY)
		m->n++;
	m->slot[i].key = key;
	m->slot[i].val = (uint32_t)val;
}

size_t vi_map_get(const struct vi_map *m, uint32_t key)
{
	uint32_t v = m->cap ? m->slot[slot_of(m, key)].val : EMPTY;

	return v == EMPTY ? VI_MAP_NONE : v;
}

void vi_map_free(struct vi_map *m)
{
	free(m->slot);
	m->slot = NULL;
	m->cap = m->n = 0;
}
