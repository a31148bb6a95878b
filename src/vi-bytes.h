/* vi-bytes.h - byte order: the stream is big-endian (QEMU's qemu_put_be*),
 * a few containers little-endian.  One copy of each decoder, used
 * everywhere; p must hold the bytes read. */
#ifndef VI_BYTES_H
#define VI_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* n (0..8) big-endian bytes. */
static inline uint64_t vi_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static inline uint16_t vi_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t vi_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t vi_be64(const uint8_t *p)
{
	return (uint64_t)vi_be32(p) << 32 | vi_be32(p + 4);
}

static inline uint16_t vi_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t vi_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

#endif
