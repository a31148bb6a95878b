/* fuzz-schema.c - "schema import" on a hostile -dump-vmstate file and stream.
 *
 * Input: the -dump-vmstate JSON, "\n@@@@\n", a stream with a VMDESCRIPTION
 * trailer (fuzz-split.h).  Runs what cmd-schema.c's import() runs for one
 * --dump-vmstate and one --stream: load, walk, merge every section
 * (import_section / import_live_section), finish, validate and write the
 * schema into /dev/null.
 * Seeds: tests/fuzz/corpus-schema (make-seeds.py).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fuzz-common.h"
#include "fuzz-split.h"
#include "schema.h"
#include "schema-import.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *a, *b;
	size_t na, nb;
	char pa[64], pb[64];
	struct vi_schema s;
	struct vi_error err;
	struct vi_session ses;
	struct vi_import im;
	json_t *doc;

	fuzz_split(data, size, &a, &na, &b, &nb);
	snprintf(pa, sizeof(pa), "/proc/self/fd/%d", fuzz_memfd(a, na));
	snprintf(pb, sizeof(pb), "/proc/self/fd/%d", fuzz_memfd2(b, nb));
	memset(&err, 0, sizeof(err));
	if (schema_load_file(&s, pa, &err) < 0) {
		fuzz_check_error(&err);
		return 0;
	}
	doc = json_incref(s.doc);
	schema_free(&s);
	memset(&im, 0, sizeof(im));
	im.vmsds = json_object_get(doc, "vmsds");
	if (vi_session_walk(&ses, pb, NULL) == 0 && ses.facts.vmdesc) {
		json_t *devices = json_object_get(ses.facts.vmdesc, "devices");
		struct vi_node *root = ses.root;
		for (size_t i = 0; i < root->nkids; i++) {
			struct vi_node *sec = root->kids[i];
			const struct vi_attr *idx = vi_node_get(sec, VI_A_VMDESC_INDEX);
			const struct vi_attr *ver = vi_node_get(sec, VI_A_VERSION_ID);
			if (sec->kind != VI_N_SECTION)
				continue;
			if (strcmp(sec->type, "start") == 0 && ver)
				import_live_section(&im, sec->name, (uint32_t)ver->u);
			else if (idx)
				import_section(&im, json_array_get(devices, idx->u), sec);
		}
	}
	fuzz_check_error(&ses.err);
	vi_session_close(&ses);
	import_finish(im.vmsds, 0);
	import_free(&im);
	memset(&err, 0, sizeof(err));
	if (schema_validate(doc, "(result)", &err) == 0)
		json_dumpf(doc, fuzz_devnull(), JSON_INDENT(1) | JSON_SORT_KEYS);
	fuzz_check_error(&err);
	fflush(fuzz_devnull());
	json_decref(doc);
	return 0;
}
