/* test-reader.c - the bounds-checked big-endian reader (src/input-reader.c). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "input-reader.h"
#include "streambuf.h"
#include "unit-main.h"

/* How the readers of a test case read: -1 as rd_init decides (mapped
 * where that measures cheaper than copying), 0 pread into the buffer, 1
 * always mapped.  Every
 * test runs in each mode: the bounds checks and errors must not differ. */
static int mode = -1;
static void mode_pread(void) { mode = 0; }
static void mode_mmap(void) { mode = 1; }

/* A reader over an unlinked temporary file holding the given bytes. */
struct rfix {
	struct vi_error err;
	struct vi_reader *r;
	int fd;
};

static void rfix_open_fd(struct rfix *f, int fd, uint64_t size)
{
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->r = malloc(sizeof(*f->r));
	ck_assert_ptr_nonnull(f->r);
	rd_init(f->r, fd, 0, size, &f->err);
	if (mode >= 0)
		rd_set_mmap(f->r, mode);
}

static void rfix_open(struct rfix *f, const void *p, size_t n)
{
	rfix_open_fd(f, sb_temp_fd(p, n), n);
}

static void rfix_close(struct rfix *f)
{
	close(f->fd);
	rd_release(f->r);
	free(f->r);
}

/* The reader failed with an input error at byte off and did not move. */
#define ck_assert_reader_error(f, off) do {                                       \
	ck_assert_msg((f)->err.set, "expected a reader error");                   \
	ck_assert_int_eq((f)->err.exit_code, VI_EXIT_INPUT);                       \
	ck_assert_int_eq((f)->err.has_offset, 1);                                  \
	ck_assert_uint_eq((f)->err.offset, (off));                                 \
	ck_assert_uint_eq(rd_tell((f)->r), (off));                                 \
} while (0)

static const uint8_t seq[] = {
	0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b,
	0x8c, 0x8d, 0x8e, 0x8f, 0x90,
};

START_TEST(test_big_endian_values)
{
	struct rfix f;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	rfix_open(&f, seq, sizeof(seq));
	ck_assert_int_eq(rd_u8(f.r, &u8, "u8"), 0);
	ck_assert_uint_eq(u8, 0x81);
	ck_assert_int_eq(rd_be16(f.r, &u16, "be16"), 0);
	ck_assert_uint_eq(u16, 0x8283);
	ck_assert_int_eq(rd_be32(f.r, &u32, "be32"), 0);
	ck_assert_uint_eq(u32, 0x84858687u);
	ck_assert_int_eq(rd_be64(f.r, &u64, "be64"), 0);
	ck_assert_uint_eq(u64, 0x88898a8b8c8d8e8full);
	ck_assert_uint_eq(rd_tell(f.r), 15);
	ck_assert_uint_eq(rd_left(f.r), 1);
	ck_assert_int_eq(f.err.set, 0);
	rfix_close(&f);
}
END_TEST

START_TEST(test_counted_strings)
{
	static const uint8_t bytes[] = { 5, 'h', 'e', 'l', 'l', 'o', 0, 3, 'a', 0x7f, 'c' };
	struct rfix f;
	char s[256];

	rfix_open(&f, bytes, sizeof(bytes));
	ck_assert_int_eq(rd_cstr(f.r, s, "name"), 0);
	ck_assert_str_eq(s, "hello");
	ck_assert_uint_eq(rd_tell(f.r), 6);
	ck_assert_int_eq(rd_cstr(f.r, s, "empty"), 0);	/* length 0 */
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(rd_tell(f.r), 7);
	ck_assert_int_eq(rd_cstr(f.r, s, "raw"), 0);	/* bytes are copied as they are */
	ck_assert_uint_eq(strlen(s), 3);
	ck_assert_int_eq((unsigned char)s[1], 0x7f);
	ck_assert_uint_eq(rd_tell(f.r), sizeof(bytes));
	rfix_close(&f);
}
END_TEST

START_TEST(test_counted_string_longest)
{
	struct sbuf b;
	struct rfix f;
	char name[256], s[256];

	memset(name, 'x', 255);
	name[255] = '\0';
	sb_init(&b);
	sb_cstr(&b, name);
	rfix_open(&f, b.data, b.len);
	ck_assert_int_eq(rd_cstr(f.r, s, "long name"), 0);
	ck_assert_str_eq(s, name);
	ck_assert_uint_eq(rd_tell(f.r), 256);
	rfix_close(&f);
	sb_free(&b);
}
END_TEST

START_TEST(test_counted_string_truncated)
{
	static const uint8_t bytes[] = { 0xaa, 10, 'a', 'b', 'c' };
	struct rfix f;
	uint8_t u8;
	char s[256];

	rfix_open(&f, bytes, sizeof(bytes));
	ck_assert_int_eq(rd_u8(f.r, &u8, "lead"), 0);
	/* the length byte is read (pos 2), then 10 bytes are missing there */
	ck_assert_int_eq(rd_cstr(f.r, s, "name"), -1);
	ck_assert_reader_error(&f, 2);
	ck_assert_ptr_nonnull(strstr(f.err.msg, "name"));
	rfix_close(&f);
}
END_TEST

START_TEST(test_read_across_buffer_boundary)
{
	/* A value that straddles the end of the first buffer fill. */
	size_t n = VI_RD_BUF + 64;
	uint8_t *p = calloc(1, n);
	struct rfix f;
	uint64_t v;

	ck_assert_ptr_nonnull(p);
	for (int i = 0; i < 8; i++)
		p[VI_RD_BUF - 3 + i] = (uint8_t)(0x10 + i);
	rfix_open(&f, p, n);
	ck_assert_int_eq(rd_skip(f.r, 1, "first"), 0);
	ck_assert_int_eq(rd_be64(f.r, &v, "before"), 0);	/* fills the buffer */
	ck_assert_int_eq(rd_seek(f.r, VI_RD_BUF - 3), 0);
	ck_assert_int_eq(rd_be64(f.r, &v, "straddling"), 0);
	ck_assert_uint_eq(v, 0x1011121314151617ull);
	ck_assert_uint_eq(rd_tell(f.r), VI_RD_BUF + 5);
	rfix_close(&f);
	free(p);
}
END_TEST

START_TEST(test_skip_does_not_read)
{
	/* A 64 MiB sparse file ending in 1000 records of an 8-byte word and a
	 * 4 KiB page, like RAM records: only the words may be read. */
	const uint64_t size = 64ull << 20, page = 4096, npages = 1000;
	const uint64_t tail = size - npages * (8 + page);
	struct rfix f;
	uint8_t u8;
	uint64_t v;
	int fd = sb_temp_fd(NULL, 0);

	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	for (uint64_t i = 0; i < npages; i++) {
		uint8_t w[8];
		for (int k = 0; k < 8; k++)
			w[k] = (uint8_t)((i >> (8 * (7 - k))) & 0xff);
		ck_assert_int_eq(pwrite(fd, w, 8, (off_t)(tail + i * (8 + page))), 8);
	}
	rfix_open_fd(&f, fd, size);

	ck_assert_int_eq(rd_u8(f.r, &u8, "first byte"), 0);
	ck_assert_uint_le(f.r->bytes_read, VI_RD_BUF);
	ck_assert_int_eq(rd_skip(f.r, tail - 1, "big hole"), 0);
	ck_assert_uint_eq(rd_tell(f.r), tail);
	for (uint64_t i = 0; i < npages; i++) {
		ck_assert_int_eq(rd_be64(f.r, &v, "word"), 0);
		ck_assert_uint_eq(v, i);
		ck_assert_int_eq(rd_skip(f.r, page, "page"), 0);
	}
	ck_assert_uint_eq(rd_tell(f.r), size);
	ck_assert_int_eq(f.err.set, 0);
	/* The 60 MiB hole is not read; the 4 KiB pages may be read through
	 * by the pread buffer (one pread per VI_RD_BUF), once. */
	ck_assert_msg(f.r->bytes_read <= npages * (8 + page) + 2 * VI_RD_BUF,
		      "read %llu bytes for %llu words",
		      (unsigned long long)f.r->bytes_read, (unsigned long long)npages);
	rfix_close(&f);
}
END_TEST

START_TEST(test_skip_past_end_fails)
{
	struct rfix f;

	rfix_open(&f, seq, sizeof(seq));
	ck_assert_int_eq(rd_skip(f.r, 10, "a"), 0);
	ck_assert_int_eq(rd_skip(f.r, 7, "too far"), -1);	/* 6 left */
	ck_assert_reader_error(&f, 10);
	rfix_close(&f);
}
END_TEST

START_TEST(test_peek_does_not_move)
{
	struct rfix f;
	uint8_t b[8];
	uint32_t v;

	rfix_open(&f, seq, sizeof(seq));
	ck_assert_int_eq(rd_skip(f.r, 3, "x"), 0);
	ck_assert_uint_eq(rd_peek(f.r, 0, b, 2), 2);
	ck_assert_uint_eq(b[0], 0x84);
	ck_assert_uint_eq(b[1], 0x85);
	ck_assert_uint_eq(rd_peek(f.r, 5, b, 1), 1);
	ck_assert_uint_eq(b[0], 0x89);
	ck_assert_uint_eq(rd_peek_at(f.r, 0, b, 4), 4);
	ck_assert_uint_eq(b[0], 0x81);
	ck_assert_uint_eq(b[3], 0x84);
	ck_assert_uint_eq(rd_tell(f.r), 3);
	/* near the end only what is there is copied; beyond it nothing */
	ck_assert_uint_eq(rd_peek_at(f.r, 14, b, 8), 2);
	ck_assert_uint_eq(b[1], 0x90);
	ck_assert_uint_eq(rd_peek_at(f.r, 16, b, 8), 0);
	ck_assert_uint_eq(rd_peek(f.r, 100, b, 8), 0);
	ck_assert_uint_eq(rd_tell(f.r), 3);
	ck_assert_int_eq(f.err.set, 0);
	/* and the next read still starts where it did */
	ck_assert_int_eq(rd_be32(f.r, &v, "after peeks"), 0);
	ck_assert_uint_eq(v, 0x84858687u);
	rfix_close(&f);
}
END_TEST

START_TEST(test_limit_stops_reads)
{
	struct rfix f;
	uint32_t v;
	uint64_t old;
	uint8_t b[8];

	rfix_open(&f, seq, sizeof(seq));
	ck_assert_int_eq(rd_skip(f.r, 2, "x"), 0);
	old = rd_push_limit(f.r, 8);
	ck_assert_uint_eq(old, sizeof(seq));
	ck_assert_uint_eq(rd_left(f.r), 6);
	ck_assert_int_eq(rd_be32(f.r, &v, "inside"), 0);	/* bytes 2..5 */
	/* peeks stop at the limit too */
	ck_assert_uint_eq(rd_peek(f.r, 0, b, 8), 2);
	/* bytes 6..9 cross the limit at 8: error at the read position 6 */
	ck_assert_int_eq(rd_be32(f.r, &v, "crossing"), -1);
	ck_assert_reader_error(&f, 6);
	ck_assert_ptr_nonnull(strstr(f.err.msg, "enclosing record"));
	rd_pop_limit(f.r, old);
	ck_assert_uint_eq(rd_left(f.r), 10);
	rfix_close(&f);
}
END_TEST

START_TEST(test_limit_only_narrows)
{
	struct rfix f;
	uint64_t outer, inner;

	rfix_open(&f, seq, sizeof(seq));
	outer = rd_push_limit(f.r, 10);
	inner = rd_push_limit(f.r, 12);	/* wider than 10: stays 10 */
	ck_assert_uint_eq(f.r->limit, 10);
	ck_assert_int_eq(rd_skip(f.r, 11, "past the outer limit"), -1);
	ck_assert_reader_error(&f, 0);
	rd_pop_limit(f.r, inner);
	rd_pop_limit(f.r, outer);
	ck_assert_uint_eq(f.r->limit, sizeof(seq));
	rfix_close(&f);
}
END_TEST

START_TEST(test_seek_bounds)
{
	struct rfix f;
	uint8_t u8;

	rfix_open(&f, seq, sizeof(seq));
	ck_assert_int_eq(rd_seek(f.r, 16), 0);	/* the end itself is fine */
	ck_assert_int_eq(rd_seek(f.r, 4), 0);
	ck_assert_int_eq(rd_u8(f.r, &u8, "x"), 0);
	ck_assert_uint_eq(u8, 0x85);
	ck_assert_int_eq(rd_seek(f.r, 17), -1);
	ck_assert_reader_error(&f, 5);
	rfix_close(&f);
}
END_TEST

START_TEST(test_truncation_error)
{
	struct rfix f;
	uint64_t v;
	uint32_t w;

	rfix_open(&f, seq, 12);
	ck_assert_int_eq(rd_be32(f.r, &w, "a"), 0);
	ck_assert_int_eq(rd_be64(f.r, &v, "b"), 0);	/* exactly to the end */
	ck_assert_int_eq(rd_left(f.r), 0);
	ck_assert_int_eq(rd_u8(f.r, (uint8_t *)&w, "one more byte"), -1);
	ck_assert_reader_error(&f, 12);
	ck_assert_ptr_nonnull(strstr(f.err.msg, "truncated"));
	ck_assert_ptr_nonnull(strstr(f.err.msg, "one more byte"));
	rfix_close(&f);
}
END_TEST

START_TEST(test_truncation_mid_value)
{
	struct rfix f;
	uint64_t v;
	uint32_t w;

	rfix_open(&f, seq, 7);
	ck_assert_int_eq(rd_be32(f.r, &w, "a"), 0);
	ck_assert_int_eq(rd_be64(f.r, &v, "b"), -1);	/* only 3 of 8 bytes */
	ck_assert_reader_error(&f, 4);
	rfix_close(&f);
}
END_TEST

START_TEST(test_first_error_is_kept)
{
	struct rfix f;
	uint64_t v;

	rfix_open(&f, seq, 4);
	ck_assert_int_eq(rd_be64(f.r, &v, "first"), -1);
	ck_assert_int_eq(rd_seek(f.r, 2), 0);
	ck_assert_int_eq(rd_be64(f.r, &v, "second"), -1);
	ck_assert_uint_eq(f.err.offset, 0);
	ck_assert_ptr_nonnull(strstr(f.err.msg, "first"));
	rfix_close(&f);
}
END_TEST

START_TEST(test_base_offset)
{
	/* A stream that starts 5 bytes into the file (a container): stream
	 * offsets are relative to it, and the size ends the stream. */
	static const uint8_t bytes[] = { 9, 9, 9, 9, 9, 0x12, 0x34, 0x56, 0x78, 0xee };
	struct vi_error err = { 0 };
	struct vi_reader *r = malloc(sizeof(*r));
	int fd = sb_temp_fd(bytes, sizeof(bytes));
	uint32_t v;

	ck_assert_ptr_nonnull(r);
	rd_init(r, fd, 5, 4, &err);
	if (mode >= 0)
		rd_set_mmap(r, mode);
	ck_assert_int_eq(rd_be32(r, &v, "value"), 0);
	ck_assert_uint_eq(v, 0x12345678u);
	ck_assert_uint_eq(rd_tell(r), 4);
	ck_assert_int_eq(rd_u8(r, (uint8_t *)&v, "past the stream"), -1);
	ck_assert_uint_eq(err.offset, 4);
	ck_assert_int_eq(err.exit_code, VI_EXIT_INPUT);
	close(fd);
	rd_release(r);
	free(r);
}
END_TEST

START_TEST(test_window_moves)
{
	/* A stream starting 5 bytes into a file of three mapping windows:
	 * values straddling each window end, read forwards and backwards. */
	const uint64_t size = 3ull * VI_RD_WIN + 100;
	uint8_t *p = calloc(1, (size_t)size + 5);
	struct vi_error err = { 0 };
	struct vi_reader *r = malloc(sizeof(*r));
	uint64_t v;
	int fd;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(r);
	for (uint64_t w = 1; w <= 3; w++)
		for (int i = 0; i < 8; i++)
			p[5 + w * VI_RD_WIN - 3 + (uint64_t)i] = (uint8_t)(w << 4 | (uint64_t)i);
	fd = sb_temp_fd(p, (size_t)size + 5);
	rd_init(r, fd, 5, size, &err);
	if (mode >= 0)
		rd_set_mmap(r, mode);
	for (uint64_t w = 1; w <= 2; w++) {
		ck_assert_int_eq(rd_seek(r, w * VI_RD_WIN - 3), 0);
		ck_assert_int_eq(rd_be64(r, &v, "straddling"), 0);
		ck_assert_uint_eq(v, 0x0001020304050607ull | 0x1010101010101010ull * w);
	}
	ck_assert_int_eq(rd_seek(r, VI_RD_WIN - 3), 0);	/* back */
	ck_assert_int_eq(rd_be64(r, &v, "again"), 0);
	ck_assert_uint_eq(v, 0x1011121314151617ull);
	ck_assert_int_eq(rd_seek(r, size - 8), 0);		/* the last bytes */
	ck_assert_int_eq(rd_be64(r, &v, "last"), 0);
	ck_assert_int_eq(rd_u8(r, (uint8_t *)&v, "past the end"), -1);
	ck_assert_uint_eq(err.offset, size);
	close(fd);
	rd_release(r);
	free(r);
	free(p);
}
END_TEST

START_TEST(test_default_decides_on_first_window)
{
	/* By default the first big window decides, by measuring, between the
	 * mapping and pread: the reader leaves "undecided" there, and reads
	 * the same bytes either way. */
	const size_t size = 3u * VI_RD_WIN;
	uint8_t *p = malloc(size);
	struct rfix f;
	uint64_t v;

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)(i * 7 + (i >> 20));
	rfix_open(&f, p, size);
	ck_assert_int_eq(f.r->map, 2);			/* not yet */
	ck_assert_int_eq(rd_seek(f.r, VI_RD_WIN + 1000), 0);
	ck_assert_int_eq(rd_be64(f.r, &v, "word"), 0);
	ck_assert(f.r->map == 0 || f.r->map == 1);	/* decided */
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq((v >> (56 - 8 * i)) & 0xff, p[VI_RD_WIN + 1000 + (size_t)i]);
	ck_assert_int_eq(rd_seek(f.r, size - 8), 0);
	ck_assert_int_eq(rd_be64(f.r, &v, "last"), 0);
	ck_assert_uint_eq(v >> 56, p[size - 8]);
	rfix_close(&f);
	free(p);
}
END_TEST

START_TEST(test_file_shrinks_under_mapping)
{
	/* Another process truncates the file while it is mapped: the run ends
	 * with exit code 3 (bad input) and one line, not SIGBUS. */
	const size_t size = 4u << 20;
	uint8_t *p = calloc(1, size), b;
	struct rfix f;

	ck_assert_ptr_nonnull(p);
	rfix_open(&f, p, size);
	rd_set_mmap(f.r, 1);
	ck_assert_int_eq(rd_u8(f.r, &b, "first"), 0);
	ck_assert_ptr_nonnull(f.r->map_addr);
	ck_assert_int_eq(ftruncate(f.fd, 4096), 0);
	rd_peek_at(f.r, size - 100, &b, 1);
	ck_abort_msg("reading past a truncated mapping returned");
}
END_TEST

START_TEST(test_long_skips_not_read)
{
	/* 100 records of an 8-byte word and a 256 KiB page: pages this long
	 * are skipped unread, also by the pread buffer. */
	const uint64_t page = 256u << 10, npages = 100, size = npages * (8 + page);
	struct rfix f;
	uint64_t v;
	int fd = sb_temp_fd(NULL, 0);

	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	rfix_open_fd(&f, fd, size);
	for (uint64_t i = 0; i < npages; i++) {
		ck_assert_int_eq(rd_be64(f.r, &v, "word"), 0);
		ck_assert_int_eq(rd_skip(f.r, page, "page"), 0);
	}
	ck_assert_uint_eq(rd_tell(f.r), size);
	ck_assert_msg(f.r->bytes_read < npages * page / 4,
		      "read %llu bytes for %llu words",
		      (unsigned long long)f.r->bytes_read, (unsigned long long)npages);
	rfix_close(&f);
}
END_TEST

static void add_tests(Suite *s, const char *name, void (*setup)(void))
{
	TCase *tc = tcase_create(name);

	if (setup)
		tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_big_endian_values);
	tcase_add_test(tc, test_counted_strings);
	tcase_add_test(tc, test_counted_string_longest);
	tcase_add_test(tc, test_counted_string_truncated);
	tcase_add_test(tc, test_read_across_buffer_boundary);
	tcase_add_test(tc, test_skip_does_not_read);
	tcase_add_test(tc, test_skip_past_end_fails);
	tcase_add_test(tc, test_peek_does_not_move);
	tcase_add_test(tc, test_limit_stops_reads);
	tcase_add_test(tc, test_limit_only_narrows);
	tcase_add_test(tc, test_seek_bounds);
	tcase_add_test(tc, test_truncation_error);
	tcase_add_test(tc, test_truncation_mid_value);
	tcase_add_test(tc, test_first_error_is_kept);
	tcase_add_test(tc, test_base_offset);
	tcase_add_test(tc, test_window_moves);
	tcase_add_test(tc, test_long_skips_not_read);
	suite_add_tcase(s, tc);
}

static Suite *reader_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *tc = tcase_create("mmap");

	add_tests(s, "default", NULL);
	add_tests(s, "pread", mode_pread);
	add_tests(s, "mmap", mode_mmap);
	tcase_add_exit_test(tc, test_file_shrinks_under_mapping, 3);
	tcase_add_test(tc, test_default_decides_on_first_window);
	suite_add_tcase(s, tc);
	return s;
}

VI_UNIT_MAIN(reader_suite)
