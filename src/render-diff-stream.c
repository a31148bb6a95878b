/* render-diff-stream.c - the text view of a diff of two streams: the
 * document vi_diff_streams (diff-stream.c) builds, shown line by line. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include "vi-error.h"
#include "vi-escape.h"
#include "render-diff-stream.h"
#include "render-jw.h"

static void print_value(FILE *out, json_t *v)
{
	if (json_is_null(v))
		fputs("-", out);
	else if (json_is_object(v))
		fprintf(out, "%" JSON_INTEGER_FORMAT " bytes %s", json_integer_value(
			json_object_get(v, "bytes")), json_string_value(json_object_get(v, "preview")));
	else if (v)
		vi_jw_write(out, v, 0, 0);
	else
		fputs("?", out);
}

void vi_diff_streams_text(FILE *out, json_t *doc, const char *fa, const char *fb)
{
	json_t *x;
	size_t i;
	char esc[VI_ESC_NAME];

	fprintf(out, "a: %s\nb: %s\n", fa, fb);
	for (int side = 0; side < 2; side++)
		json_array_foreach(json_object_get(doc, side ? "sections_only_in_b" :
						   "sections_only_in_a"), i, x)
			fprintf(out, "only in %c   %s[%" JSON_INTEGER_FORMAT "] v%"
				JSON_INTEGER_FORMAT " at 0x%" PRIx64 "\n", side ? 'b' : 'a',
				vi_esc(esc, sizeof(esc),
				       json_string_value(json_object_get(x, "section"))),
				json_integer_value(json_object_get(x, "instance_id")),
				json_integer_value(json_object_get(x, "version_id")),
				(uint64_t)json_integer_value(json_object_get(x, "offset")));
	json_array_foreach(json_object_get(doc, "versions"), i, x)
		fprintf(out, "version     %s[%" JSON_INTEGER_FORMAT "]: %" JSON_INTEGER_FORMAT
			" in a, %" JSON_INTEGER_FORMAT " in b\n",
			vi_esc(esc, sizeof(esc), json_string_value(json_object_get(x, "section"))),
			json_integer_value(json_object_get(x, "instance_id")),
			json_integer_value(json_object_get(x, "a")),
			json_integer_value(json_object_get(x, "b")));
	json_array_foreach(json_object_get(doc, "fields"), i, x) {
		char p[1024];
		json_t *oa = json_object_get(x, "offset_a"), *ob = json_object_get(x, "offset_b");
		fprintf(out, "%-11s %s: ", json_string_value(json_object_get(x, "what")),
			vi_esc(p, sizeof(p), json_string_value(json_object_get(x, "path"))));
		print_value(out, json_object_get(x, "a"));
		if (json_is_integer(oa))
			fprintf(out, " (a 0x%" PRIx64 ")", (uint64_t)json_integer_value(oa));
		fputs(" -> ", out);
		print_value(out, json_object_get(x, "b"));
		if (json_is_integer(ob))
			fprintf(out, " (b 0x%" PRIx64 ")", (uint64_t)json_integer_value(ob));
		fputc('\n', out);
	}
	json_array_foreach(json_object_get(doc, "ram"), i, x) {
		json_t *d = json_object_get(x, "digest");
		if (json_is_true(json_object_get(x, "same")))
			continue;
		vi_esc(esc, sizeof(esc), json_string_value(json_object_get(x, "block")));
		if (json_object_get(x, "only_in_a") || json_object_get(x, "only_in_b")) {
			fprintf(out, "ram         %s: only in %s\n", esc,
				json_object_get(x, "only_in_a") ? "a" : "b");
			continue;
		}
		fprintf(out, "ram         %s: %" JSON_INTEGER_FORMAT " / %" JSON_INTEGER_FORMAT
			" bytes, zero pages %" JSON_INTEGER_FORMAT " / %" JSON_INTEGER_FORMAT
			", pages with data %" JSON_INTEGER_FORMAT " / %" JSON_INTEGER_FORMAT, esc,
			json_integer_value(json_array_get(json_object_get(x, "used_length"), 0)),
			json_integer_value(json_array_get(json_object_get(x, "used_length"), 1)),
			json_integer_value(json_array_get(json_object_get(x, "zero_pages"), 0)),
			json_integer_value(json_array_get(json_object_get(x, "zero_pages"), 1)),
			json_integer_value(json_array_get(json_object_get(x, "normal_pages"), 0)),
			json_integer_value(json_array_get(json_object_get(x, "normal_pages"), 1)));
		if (json_is_array(d))
			fprintf(out, ", xxh3-128 %s / %s, %" JSON_INTEGER_FORMAT " page(s) differ\n",
				json_string_value(json_array_get(d, 0)),
				json_string_value(json_array_get(d, 1)),
				json_integer_value(json_object_get(x, "pages_differ")));
		else
			fputs(", no digest (XBZRLE or compressed pages)\n", out);
	}
	if (json_integer_value(json_object_get(doc, "ignored")))
		fprintf(out, "ignored     %" JSON_INTEGER_FORMAT " difference(s) in volatile fields "
			"(--ignore, and the default set unless --no-default-ignore)\n",
			json_integer_value(json_object_get(doc, "ignored")));
	fprintf(out, "%s\n", json_is_true(json_object_get(doc, "same")) ? "same" : "different");
}
