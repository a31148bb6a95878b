/* schema-stamp.c - run by `make`: validate the schema and machine files
 * under schemas/ as the tool does when it loads one whole, and list those
 * that pass (XXH3-64 and size of their bytes) in validated.list.  The tool
 * then parses only the vmsds and machine types a run asks for of a file
 * whose bytes are listed there (schema-lazy.h); any other file, or one
 * changed since, it loads whole and validates as before.
 *
 * Usage: schema-stamp OUT FILE...   (files that do not pass are left out
 * and named on stderr; the exit status is 0 unless OUT cannot be written).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-budget.h"
#include "schema-machines.h"
#include "vi-ram-digest.h"
#include "schema.h"

static int hash_file(const char *path, unsigned long long *h, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, len = 0, got;

	if (!f)
		return -1;
	do {
		if (len == cap)
			buf = realloc(buf, cap = cap ? 2 * cap : 1 << 20);
		if (!buf)
			exit(3);
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got);
	fclose(f);
	*h = (unsigned long long)ram_page_hash(buf, len);	/* XXH3-64 */
	*n = len;
	free(buf);
	return 0;
}

static int valid(const char *path)
{
	struct vi_error err = { 0 };
	json_t *raw = vi_json_load_file(path, 0, NULL);
	int ok;

	/* raw -dump-vmstate output is converted when loaded: never lazy */
	ok = json_is_object(raw) && !json_object_get(raw, "vmschkmachine");
	json_decref(raw);
	if (!ok)
		return 0;
	if (strstr(path, "/machines/"))
		return machines_validate_file(path, &err) == 0;
	if (strstr(path, "/qemu-")) {
		struct vi_schema s;
		ok = schema_load_file(&s, path, &err) == 0;
		if (ok)
			schema_free(&s);
		return ok;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char tmp[4200];
	FILE *out;

	if (argc < 2) {
		fputs("usage: schema-stamp OUT FILE...\n", stderr);
		return 2;
	}
	vi_budget_reset();
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	if (!(out = fopen(tmp, "w"))) {
		perror(tmp);
		return 1;
	}
	fputs("# XXH3-64 and size of each schema/machine file validated at build time\n", out);
	for (int i = 2; i < argc; i++) {
		unsigned long long h;
		size_t n;
		const char *name = strstr(argv[i], "schemas/");
		if (!strstr(argv[i], "/qemu-") && !strstr(argv[i], "/machines/"))
			continue;	/* compat-rules.json: always read whole */
		if (!valid(argv[i]) || hash_file(argv[i], &h, &n) < 0) {
			fprintf(stderr, "schema-stamp: %s: not valid, left out\n", argv[i]);
			continue;
		}
		fprintf(out, "%016llx %zu %s\n", h, n, name ? name : argv[i]);
	}
	if (fclose(out) != 0 || rename(tmp, argv[1]) != 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
