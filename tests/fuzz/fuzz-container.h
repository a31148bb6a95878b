/* fuzz-container.h - one container format per harness (header-only).
 *
 * fuzz-libvirt and fuzz-qcow2 prepend their format's magic to the input, so
 * every mutation lands in that format's header parser instead of in the
 * bidding; then they open the file as dump does and read every stream byte
 * the container claims (as fuzz-input's mode 0), or, when the first input
 * byte is odd, also walk and render it.
 */
#ifndef VI_FUZZ_CONTAINER_H
#define VI_FUZZ_CONTAINER_H

#include "fuzz-common.h"

static inline void fuzz_container(const char *magic, size_t nmagic, const uint8_t *data,
				  size_t size)
{
	struct vi_input in;
	struct vi_error err;
	uint8_t *buf;
	char path[64];
	int walk, opened;

	if (size < 1)
		return;
	walk = data[0] & 1;
	data++;
	size--;
	if (!(buf = malloc(nmagic + size + 1)))
		abort();
	memcpy(buf, magic, nmagic);
	memcpy(buf + nmagic, data, size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fuzz_memfd(buf, nmagic + size));
	free(buf);
	memset(&err, 0, sizeof(err));
	opened = vi_input_open(&in, path, &err) == 0;
	if (opened && !in.rs && (in.base > in.file_size || in.size > in.file_size - in.base)) {
		fprintf(stderr, "fuzz: stream range base %llu size %llu beyond file size %llu\n",
			(unsigned long long)in.base, (unsigned long long)in.size,
			(unsigned long long)in.file_size);
		abort();
	}
	if (walk || !opened) {
		fuzz_walk_render(&in, opened, NULL, &err);
	} else {
		struct vi_reader *r = malloc(sizeof(*r));
		uint8_t chunk[4096];
		if (!r)
			abort();
		rd_init_input(r, &in, &err);
		while (in.rs) {	/* read once: to its end, or to an error */
			size_t k = rd_peek(r, 0, chunk, sizeof(chunk));
			if (!k || rd_skip(r, k, "fuzz") < 0)
				break;
		}
		while (!in.rs && rd_left(r)) {
			size_t k = rd_left(r) < sizeof(chunk) ? (size_t)rd_left(r) : sizeof(chunk);
			if (rd_bytes(r, chunk, k, "fuzz") < 0) {
				fprintf(stderr, "fuzz: stream byte %llu of %llu unreadable: %s\n",
					(unsigned long long)rd_tell(r),
					(unsigned long long)in.size, err.msg);
				abort();
			}
		}
		rd_release(r);
		free(r);
	}
	fuzz_check_error(&err);
	vi_input_close(&in);
}

#endif
