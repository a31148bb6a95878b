/* fuzz-diff.c - "diff" on two hostile -dump-vmstate (or schema) documents.
 *
 * Input: SRC, "\n@@@@\n", DST (fuzz-split.h).  Both are loaded with
 * schema_load_file, compared in both directions as `diff --both` does, and
 * the findings rendered in every report format into /dev/null.
 * Seeds: tests/fuzz/corpus-diff (make-seeds.py).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fuzz-common.h"
#include "fuzz-split.h"
#include "diff.h"
#include "render-findings.h"
#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *a, *b;
	size_t na, nb;
	char pa[64], pb[64];
	struct vi_schema s, d;
	struct vi_error err;
	struct vi_result res[2];
	struct vi_report rep;

	fuzz_split(data, size, &a, &na, &b, &nb);
	snprintf(pa, sizeof(pa), "/proc/self/fd/%d", fuzz_memfd(a, na));
	snprintf(pb, sizeof(pb), "/proc/self/fd/%d", fuzz_memfd2(b, nb));
	memset(&err, 0, sizeof(err));
	if (schema_load_file(&s, pa, &err) < 0) {
		fuzz_check_error(&err);
		return 0;
	}
	memset(&err, 0, sizeof(err));
	if (schema_load_file(&d, pb, &err) < 0) {
		fuzz_check_error(&err);
		schema_free(&s);
		return 0;
	}
	memset(res, 0, sizeof(res));
	memset(&rep, 0, sizeof(rep));
	res[0].file = "src -> dst";
	res[0].target = d.target;
	res[0].qemu_version = d.qemu_version;
	res[0].verdict = vi_diff_schemas(&s, &d, &res[0].findings) ? "incompatible" : "compatible";
	res[1].file = "dst -> src";
	res[1].target = s.target;
	res[1].qemu_version = s.qemu_version;
	res[1].input = 1;
	res[1].verdict = vi_diff_schemas(&d, &s, &res[1].findings) ? "incompatible" : "compatible";
	rep.tool_command = "diff";
	rep.results = res;
	rep.n = 2;
	rep.no_offsets = 1;
	rep.min_severity = VI_SEV_NOTE;
	vi_report_finish(&rep, "compatible", "incompatible");
	for (size_t i = 0; vi_report_formats[i].name; i++)
		vi_report_formats[i].render(fuzz_devnull(), &rep);
	fflush(fuzz_devnull());
	for (size_t i = 0; i < 2; i++)
		vi_findings_free(&res[i].findings);
	schema_free(&s);
	schema_free(&d);
	return 0;
}
