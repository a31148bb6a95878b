/* test-scsi-requests.c - the SCSI request list decoder (src/decode-scsi-requests.c).
 *
 * Lists are built byte by byte as put_scsi_requests() writes them; the
 * real-QEMU side (an emulated SYNCHRONIZE CACHE kept in flight, both
 * migrate-emulated-scsi-request values) is tests/machine/evidence.py. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "decode-scsi-requests.h"
#include "vi-tree.h"
#include "unit-main.h"

#define VQ_PART (4 + 49168)

struct list {
	uint8_t *p;
	size_t n;
};

static void put(struct list *l, const void *b, size_t n)
{
	l->p = realloc(l->p, l->n + n + 1);
	ck_assert_ptr_nonnull(l->p);
	if (b)
		memcpy(l->p + l->n, b, n);
	else
		memset(l->p + l->n, 0, n);
	l->n += n;
}

static void put_be(struct list *l, uint64_t v, int n)
{
	uint8_t b[8];
	for (int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	put(l, b, (size_t)n);
}

/* One request: marker (1 retry, 2 not), opcode, optional HBA part of hba
 * bytes, optional disk part with buflen (no data: retried or no buffer). */
static void request(struct list *l, int marker, uint8_t op, uint32_t tag, size_t hba,
		    int disk_part, uint32_t count, uint32_t buflen)
{
	uint8_t cdb[16] = { op };

	put_be(l, (uint64_t)marker, 1);
	put(l, cdb, sizeof(cdb));
	put_be(l, tag, 4);
	put_be(l, 0, 4);
	if (hba) {
		put_be(l, 0, 4);
		put(l, NULL, hba - 4);
	}
	if (disk_part) {
		put_be(l, 100, 8);
		put_be(l, count, 4);
		put_be(l, buflen, 4);
	}
}

static const char *attr_s(const struct vi_node *n, const char *k)
{
	const struct vi_attr *a = vi_node_attr_by_key(n, k);
	return a && a->is_str ? a->s : NULL;
}

static struct vi_node *decode(struct list *l, int *rc)
{
	struct vi_node *root = vi_node_new(NULL, VI_N_ROOT, "", "", 0);
	struct vi_node *e = vi_node_new(root, VI_N_FIELD, "requests", "scsi-requests", 1000);
	*rc = scsi_requests_decode(e, l->p, (uint32_t)l->n, 1000);
	return e;
}

START_TEST(test_empty_list)
{
	struct list l = { 0 };
	int rc;
	struct vi_node *e;

	put_be(&l, 0, 1);
	e = decode(&l, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(vi_node_attr_by_key(e, "requests")->u, 0);
	ck_assert_ptr_null(vi_node_attr_by_key(e, "emulated_disk_part"));
	ck_assert_uint_eq(e->nkids, 1);
	ck_assert_str_eq(e->kids[0]->name, "end");
	vi_node_free(e->parent);
	free(l.p);
}
END_TEST

/* virtio-scsi, emulated SYNCHRONIZE CACHE with scsi-disk's part (what QEMU
 * 9.1+ machine types write), then a WRITE(10) being retried. */
START_TEST(test_emulated_with_part)
{
	struct list l = { 0 };
	struct vi_node *e, *r;
	int rc;

	request(&l, 1, 0x35, 4, VQ_PART, 1, 0, 4096);
	request(&l, 1, 0x2a, 5, VQ_PART, 1, 8, 0);
	put_be(&l, 0, 1);
	e = decode(&l, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(vi_node_attr_by_key(e, "requests")->u, 2);
	ck_assert_str_eq(attr_s(e, "hba_part"), "virtio-scsi");
	ck_assert_str_eq(attr_s(e, "emulated_disk_part"), "yes");
	r = e->kids[0];
	ck_assert_str_eq(attr_s(r, "command"), "SYNCHRONIZE CACHE(10)");
	ck_assert_str_eq(attr_s(r, "ops"), "emulated");
	ck_assert_uint_eq(r->offset, 1000);
	ck_assert_uint_eq(r->length, 25 + VQ_PART + 16);
	ck_assert_str_eq(r->kids[r->nkids - 1]->name, "buflen");
	ck_assert_uint_eq(r->kids[r->nkids - 1]->v.u, 4096);
	ck_assert_str_eq(attr_s(e->kids[1], "ops"), "read/write");
	ck_assert_uint_eq(e->kids[1]->offset, 1000 + 25 + VQ_PART + 16);
	vi_node_free(e->parent);
	free(l.p);
}
END_TEST

/* The same without the part (migrate-emulated-scsi-request=false). */
START_TEST(test_emulated_without_part)
{
	struct list l = { 0 };
	struct vi_node *e;
	int rc;

	request(&l, 1, 0x35, 4, VQ_PART, 0, 0, 0);
	request(&l, 1, 0x2a, 5, VQ_PART, 1, 8, 0);
	put_be(&l, 0, 1);
	e = decode(&l, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(attr_s(e, "emulated_disk_part"), "no");
	ck_assert_uint_eq(e->kids[0]->length, 25 + VQ_PART);
	vi_node_free(e->parent);
	free(l.p);
}
END_TEST

/* An HBA without a part of its own; a new READ(10) request carries its
 * data as be32 length + bytes. */
START_TEST(test_no_hba_part_with_data)
{
	struct list l = { 0 };
	struct vi_node *e, *r;
	int rc;

	request(&l, 2, 0x28, 9, 0, 1, 4, 2048);
	put_be(&l, 3, 4);
	put(&l, "abc", 3);
	put_be(&l, 0, 1);
	e = decode(&l, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(attr_s(e, "hba_part"), "none");
	r = e->kids[0];
	ck_assert_str_eq(r->kids[r->nkids - 1]->name, "data");
	ck_assert_uint_eq(r->kids[r->nkids - 1]->length, 3);
	ck_assert_ptr_null(vi_node_attr_by_key(e, "emulated_disk_part"));
	vi_node_free(e->parent);
	free(l.p);
}
END_TEST

/* Bytes that are no request list, or a list cut short: no children, -1. */
START_TEST(test_not_a_list)
{
	static const uint8_t junk[] = { 3, 1, 2, 3 };
	struct list l = { 0 };
	struct vi_node *e;
	int rc;

	put(&l, junk, sizeof(junk));
	e = decode(&l, &rc);
	ck_assert_int_eq(rc, -1);
	ck_assert_uint_eq(e->nkids, 0);
	vi_node_free(e->parent);
	free(l.p);

	memset(&l, 0, sizeof(l));
	request(&l, 1, 0x35, 4, VQ_PART, 1, 0, 0);	/* no end marker */
	e = decode(&l, &rc);
	ck_assert_int_eq(rc, -1);
	ck_assert_uint_eq(e->nkids, 0);
	vi_node_free(e->parent);
	free(l.p);
}
END_TEST

static Suite *scsi_suite(void)
{
	Suite *s = suite_create("scsi-requests");
	TCase *tc = tcase_create("scsi-requests");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_empty_list);
	tcase_add_test(tc, test_emulated_with_part);
	tcase_add_test(tc, test_emulated_without_part);
	tcase_add_test(tc, test_no_hba_part_with_data);
	tcase_add_test(tc, test_not_a_list);
	suite_add_tcase(s, tc);
	return s;
}

VI_UNIT_MAIN(scsi_suite)
