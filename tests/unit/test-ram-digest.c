/* test-ram-digest.c - RAMBlock digests (src/vi-ram-digest.c): the same guest
 * memory sent in different ways has the same digest, and that digest is the
 * documented XXH3-128 computed here independently. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include "streambuf.h"
#include "unit-main.h"

#define PAGE 4096u
#define NPAGES 4u
#define VMDESC_EMPTY "{\"page_size\":4096,\"devices\":[]}"

struct rec { int page; int fill; int zero; };

/* A stream whose one RAMBlock "pc.ram" gets the page records in recs. */
static void ram_stream(struct sbuf *b, const struct rec *recs, size_t n)
{
	sb_init(b);
	sb_header(b);
	sb_config(b, "pc-q35-10.0");
	sb_section(b, QVM_SECTION_START, 2, "ram", 0, 4);
	sb_ram_mem_size(b, NPAGES * PAGE);
	sb_ram_block(b, "pc.ram", NPAGES * PAGE);
	sb_ram_eos(b);
	sb_footer(b, 2);
	sb_section_ref(b, QVM_SECTION_END, 2);
	for (size_t i = 0; i < n; i++) {
		const char *blk = i ? NULL : "pc.ram";
		if (recs[i].zero)
			sb_ram_zero(b, (uint64_t)recs[i].page * PAGE, blk);
		else
			sb_ram_page(b, (uint64_t)recs[i].page * PAGE, blk, PAGE,
				    (uint8_t)recs[i].fill);
	}
	sb_ram_eos(b);
	sb_footer(b, 2);
	sb_eof(b);
	sb_vmdesc(b, VMDESC_EMPTY);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The documented digest of memory whose page i is filled with fill[i]. */
static void expected(const int fill[NPAGES], char hex[RAM_DIGEST_HEX])
{
	uint8_t buf[16 * NPAGES + 16], page[PAGE];
	size_t k = 0;
	XXH128_hash_t h;

	for (unsigned i = 0; i < NPAGES; i++) {
		if (!fill[i])
			continue;
		memset(page, fill[i], PAGE);
		put_le64(buf + k, i);
		put_le64(buf + k + 8, XXH3_64bits(page, PAGE));
		k += 16;
	}
	put_le64(buf + k, NPAGES * PAGE);
	put_le64(buf + k + 8, PAGE);
	h = XXH3_128bits(buf, k + 16);
	snprintf(hex, RAM_DIGEST_HEX, "%016llx%016llx", (unsigned long long)h.high64,
		 (unsigned long long)h.low64);
}

static const char *digest_of(struct walk_run *run, const struct rec *recs, size_t n)
{
	static const struct vi_walk_opts opts = { .ram_digests = 1 };
	struct sbuf b;
	json_t *d;

	ram_stream(&b, recs, n);
	run_bytes(run, b.data, b.len, &opts);
	sb_free(&b);
	ck_assert_walk_ok(run);
	d = jpath(run->json, "ram/blocks/pc.ram/xxh3_128");
	ck_assert_msg(json_is_string(d), "no digest");
	return json_string_value(d);
}

START_TEST(test_digest_order_and_resends)
{
	/* final memory: page 0 = 0x11, 1 = zero, 2 = 0x22, 3 = zero */
	static const int fill[NPAGES] = { 0x11, 0, 0x22, 0 };
	static const struct rec in_order[] = {
		{ 0, 0x11, 0 }, { 1, 0, 1 }, { 2, 0x22, 0 }, { 3, 0, 1 },
	};
	static const struct rec shuffled[] = {
		{ 3, 0x55, 0 }, { 2, 0x99, 0 }, { 0, 0x11, 0 }, { 3, 0, 1 },
		{ 1, 0, 0 },	/* a normal page of zero bytes */
		{ 2, 0x22, 0 },
	};
	static const struct rec other[] = {
		{ 0, 0x11, 0 }, { 2, 0x23, 0 },
	};
	struct walk_run a, b, c;
	char want[RAM_DIGEST_HEX];

	expected(fill, want);
	ck_assert_str_eq(digest_of(&a, in_order, 4), want);
	ck_assert_str_eq(digest_of(&b, shuffled, 6), want);
	ck_assert_str_ne(digest_of(&c, other, 2), want);
	ck_assert_juint(a.json, 2, "ram/blocks/pc.ram/nonzero_pages");
	ck_assert_juint(b.json, 2, "ram/blocks/pc.ram/nonzero_pages");
	/* pages that differ: only page 2 */
	ck_assert_uint_eq(ram_pages_differ(&a.facts.blocks[0].pg, NPAGES * PAGE,
					   &c.facts.blocks[0].pg, NPAGES * PAGE, PAGE), 1);
	ck_assert_uint_eq(ram_pages_differ(&a.facts.blocks[0].pg, NPAGES * PAGE,
					   &b.facts.blocks[0].pg, NPAGES * PAGE, PAGE), 0);
	run_free(&a);
	run_free(&b);
	run_free(&c);
}
END_TEST

START_TEST(test_digest_of_file)
{
	static const int fill[NPAGES] = { 0, 0x7f, 0, 0x01 };
	uint8_t mem[NPAGES * PAGE];
	char want[RAM_DIGEST_HEX], got[RAM_DIGEST_HEX];
	int fd;

	for (unsigned i = 0; i < NPAGES; i++)
		memset(mem + i * PAGE, fill[i], PAGE);
	expected(fill, want);
	fd = sb_temp_fd(mem, sizeof(mem));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ram_digest_fd(fd, sizeof(mem), PAGE, got), 0);
	ck_assert_str_eq(got, want);
	close(fd);
}
END_TEST

START_TEST(test_no_digest_without_flag)
{
	static const struct rec recs[] = { { 0, 0x11, 0 } };
	struct sbuf b;
	struct walk_run run;

	ram_stream(&b, recs, 1);
	run_sb(&run, &b);
	ck_assert_walk_ok(&run);
	ck_assert_jabsent(run.json, "ram/blocks/pc.ram/xxh3_128");
	run_free(&run);
	sb_free(&b);
}
END_TEST

START_TEST(test_digest_unavailable_xbzrle)
{
	static const struct vi_walk_opts opts = { .ram_digests = 1 };
	struct sbuf b;
	struct walk_run run;

	sb_init(&b);
	sb_header(&b);
	sb_config(&b, "pc-q35-10.0");
	sb_section(&b, QVM_SECTION_START, 2, "ram", 0, 4);
	sb_ram_mem_size(&b, NPAGES * PAGE);
	sb_ram_block(&b, "pc.ram", NPAGES * PAGE);
	sb_ram_xbzrle(&b, PAGE, "pc.ram", 16);
	sb_ram_eos(&b);
	sb_footer(&b, 2);
	sb_eof(&b);
	sb_vmdesc(&b, VMDESC_EMPTY);
	run_bytes(&run, b.data, b.len, &opts);
	ck_assert_walk_ok(&run);
	ck_assert_jabsent(run.json, "ram/blocks/pc.ram/xxh3_128");
	ck_assert_msg(json_is_string(jpath(run.json, "ram/blocks/pc.ram/digest_unavailable")),
		      "no reason given");
	run_free(&run);
	sb_free(&b);
}
END_TEST

static Suite *ram_digest_suite(void)
{
	Suite *s = suite_create("ram-digest");
	TCase *tc = tcase_create("digest");

	tcase_add_test(tc, test_digest_order_and_resends);
	tcase_add_test(tc, test_digest_of_file);
	tcase_add_test(tc, test_no_digest_without_flag);
	tcase_add_test(tc, test_digest_unavailable_xbzrle);
	suite_add_tcase(s, tc);
	return s;
}

VI_UNIT_MAIN(ram_digest_suite)
