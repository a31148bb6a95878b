/* schema-lazy.h - one big JSON object of a document parsed entry by entry,
 * when first asked for.
 *
 * A schema file is mostly its "vmsds" and "qom" objects (a machine file
 * its "machines"; both also a "provenance" few runs read), of which a run
 * needs the few entries its stream's
 * sections name: parsing every entry of every installed target into a
 * jansson tree cost ~0.1 s and ~5 MiB per file.  A lazy document is the
 * file with those objects empty, plus where each entry's bytes are in the
 * file (read with pread when asked for); vi_lazy_get() parses an entry into
 * its object the first time it is asked for, so json_object_get() on the
 * object afterwards finds it too.
 *
 * Only for files `make` validated whole when the tool was built (it runs
 * src/schema-stamp over schemas/, which writes schemas/validated.idx, see
 * schema-index.h): the run reads the rest of the document and each entry
 * it asks for, each checked against the index's hash of its bytes.  Any
 * other file, and any file the index does not describe, is loaded whole and
 * validated as before.
 */
#ifndef VI_SCHEMA_LAZY_H
#define VI_SCHEMA_LAZY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Called on each entry of the object named key once parsed (schemas
 * attach variants): NULL to keep entry as it is, or a new reference to keep
 * instead.  entry may be shared with other documents (the same bytes are
 * parsed once): a hook never changes it, it returns a changed copy. */
typedef json_t *(*vi_lazy_hook)(json_t *doc, const char *name, json_t *entry);

/* The document of the file at path (len bytes, a regular file) with
 * member key (and each other object its index lists) an empty object
 * indexed lazily, or NULL: the file is not one
 * `make` validated, has no such member or cannot be indexed, and the
 * caller loads it whole.  dirs: the schema directories, NULL-terminated,
 * searched for validated.idx. */
json_t *vi_lazy_load_file(const char *path, size_t len, const char *key,
			  vi_lazy_hook hook, const char *const *dirs);
/* The entry name of obj (a lazy object or any JSON object), parsed now if
 * it was not yet; NULL when there is none.  A file whose entry no longer
 * has the bytes `make` validated ends the run (exit 2, the file and byte named). */
json_t *vi_lazy_get(json_t *obj, const char *name);
/* Every entry parsed, in the file's order (for whoever iterates); the keys
 * of entries parsed before move (are freed): hold none across the first
 * call.  Later calls do nothing. */
void vi_lazy_complete(json_t *obj);
/* Called on each entry found by vi_lazy_aliases, with its name (valid as
 * long as obj, even once completed); nonzero stops the search. */
typedef int (*vi_lazy_each)(json_t *entry, const char *key, void *ctx);
/* Each entry of obj whose member `member` is the string alias or an array
 * that lists it, in the file's order, parsed and handed to fn: how many
 * were, or -1 when the index cannot tell (obj is not lazy, or its file's
 * index lists no such member): then search the completed object. */
int vi_lazy_aliases(json_t *obj, const char *alias, const char *member, vi_lazy_each fn,
		    void *ctx);
/* The first of them: 1 with *entry and *key, 0 when there is none, -1. */
int vi_lazy_alias(json_t *obj, const char *alias, const char *member, json_t **entry,
		  const char **key);
/* Is there an entry name in obj (a lazy object or any JSON object)?  The
 * index tells, without parsing it. */
int vi_lazy_has(json_t *obj, const char *name);
/* The index's hash of entry name's bytes (checked against the file), for
 * what the index keeps of it (schema-shape.h): 1 and *bhash, 0 when obj
 * has no such entry, -1 when obj is not lazy. */
int vi_lazy_entry_hash(json_t *obj, const char *name, uint64_t *bhash);
/* The document doc (from vi_lazy_load) is being freed: drop its index. */
void vi_lazy_forget(json_t *doc);
/* A hook out of memory: the one-line message, exit status 2. */
void vi_lazy_no_memory(const char *name) __attribute__((noreturn));

#endif
