/* schema-stamp.c - run by `make`: validate the schema and machine files
 * under schemas/ as the tool does when it loads one whole, and index those
 * that pass in validated.idx (schema-index.h): where each vmsd or machine
 * type is in the file, with the hash of its bytes.  The tool then reads
 * only the vmsds and machine types a run asks for of a file the index
 * describes (schema-lazy.h); any other file, or one changed since, it
 * loads whole and validates as before.
 *
 * Usage: schema-stamp OUT FILE...   (files that do not pass are left out
 * and named on stderr; the exit status is 0 unless OUT cannot be written).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-budget.h"
#include "schema-machines.h"
#include "schema-index.h"
#include "schema.h"

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
	struct vi_idx_writer *w;

	if (argc < 2) {
		fputs("usage: schema-stamp OUT FILE...\n", stderr);
		return 2;
	}
	vi_budget_reset();
	w = vi_idx_writer_new();
	for (int i = 2; i < argc; i++) {
		int machines = strstr(argv[i], "/machines/") != NULL;
		if (!strstr(argv[i], "/qemu-") && !machines)
			continue;	/* compat-rules.json: always read whole */
		if (!valid(argv[i]) ||
		    vi_idx_add(w, argv[i], machines ? machines_index_objects : schema_index_objects) < 0)
			fprintf(stderr, "schema-stamp: %s: not valid, left out\n", argv[i]);
	}
	if (vi_idx_save(w, argv[1]) < 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
