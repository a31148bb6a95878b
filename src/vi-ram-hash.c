/* vi-ram-hash.c - XXH3-64 of page contents, with the widest vectors the CPU
 * has.  libxxhash as Debian builds it uses SSE2 on x86-64; compiled here
 * for AVX2 (chosen at run time) it hashes about twice as fast, which is
 * most of what `--digests` costs (bench/RESULTS.md).  The hash is the same
 * whatever the vector width. */
#include <stddef.h>
#include <stdint.h>
#include "vi-ram-digest.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC target("avx2")
#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>
static uint64_t hash_avx2(const void *buf, size_t n)
{
	return XXH3_64bits(buf, n);
}
#pragma GCC pop_options
#endif

uint64_t ram_page_hash(const void *buf, size_t n)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
	static int avx2 = -1;

	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2");
	if (avx2)
		return hash_avx2(buf, n);
#endif
	return ram_page_hash_lib(buf, n);
}
