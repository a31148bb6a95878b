/* vi-map.h - the one hash map: 32-bit keys (section ids) to indexes, open
 * addressing with linear probing, grown to stay at most half full.  A put of
 * a key already there replaces its value. */
#ifndef VI_MAP_H
#define VI_MAP_H

#include <stddef.h>
#include <stdint.h>

struct vi_map {
	struct vi_map_slot { uint32_t key, val; } *slot;  /* val UINT32_MAX: empty */
	size_t cap, n;          /* cap: 0 or a power of two, >= 2 * n */
};

#define VI_MAP_NONE SIZE_MAX

/* val below UINT32_MAX (an index: sections and devices are far fewer). */
void vi_map_put(struct vi_map *m, uint32_t key, size_t val);
/* The value of key, or VI_MAP_NONE. */
size_t vi_map_get(const struct vi_map *m, uint32_t key);
void vi_map_free(struct vi_map *m);

#endif
