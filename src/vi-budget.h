/* vi-budget.h - one memory budget for everything built from input.
 *
 * Decoded tree nodes and their strings (vi-tree.c), findings (vi-findings.c) and
 * every jansson value (trailers, schemas, -dump-vmstate files, documents
 * being built) are charged here, in bytes, as they are allocated, and
 * released as they are freed.  The budget is VI_BUDGET_BASE plus
 * VI_BUDGET_PER_BYTE for every byte of input the run reads (streams, schema
 * and -dump-vmstate files): a run's memory is bounded by its input, whatever
 * the input claims.  The man page documents the bound (LIMITS).
 *
 * Tree and finding charges never fail (their callers cannot): the walker's
 * budget check (walk_node_budget), which runs before each record,
 * subsection and RAMBlock is added, stops the walk once the budget is over.
 * A jansson allocation over the budget (or one malloc refuses) is refused
 * (NULL), which jansson's parser reports as "out of memory"; it is also
 * counted (vi_budget_refusals), because functions that build documents
 * (json_object_set_new) fail silently: code that builds one compares the
 * count before and after and refuses a document with keys missing.
 */
#ifndef VI_BUDGET_H
#define VI_BUDGET_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* What is charged, not all a process holds (code, libraries, stdio and
 * malloc's own overhead come on top): the man page promises a peak RSS of
 * at most 160 MiB + 8 bytes per stream byte + 32 bytes per byte of JSON
 * file read (schemas, -dump-vmstate, machine data: jansson needs 10-25
 * bytes per byte of compact JSON, and a file's raw and converted forms are
 * alive together while it loads); tests/hostile.py measures it.  The base
 * is above what the count limits of vi-limits.h allow (VI_MAX_NODES values
 * of up to ~250 bytes each), so on small inputs those fire first, as they
 * always did; the budget bounds what they do not (bytes per node, jansson
 * documents, findings) and what grows with the input. */
#define VI_BUDGET_BASE      (128ull << 20)
#define VI_BUDGET_PER_BYTE  6ull
#define VI_BUDGET_PER_JSON_BYTE 24ull

/* Start a run: limit VI_BUDGET_BASE; installs the jansson allocator
 * (once).  Allocations already live stay charged. */
void vi_budget_reset(void);
/* The run reads n more bytes of input: the limit grows by
 * VI_BUDGET_PER_BYTE x n. */
void vi_budget_add_input(uint64_t n);
/* The run reads a JSON file of n bytes: VI_BUDGET_PER_JSON_BYTE x n. */
void vi_budget_add_json_input(uint64_t n);
/* Charge or release bytes (0 or -1 when the charge goes over the limit;
 * charged either way). */
int vi_budget_charge(size_t n);
void vi_budget_release(size_t n);
/* Charge/release the size malloc gave p (NULL is ignored). */
void vi_budget_charge_ptr(void *p);
void vi_budget_release_ptr(void *p);
/* More is charged than the limit allows now. */
int vi_budget_over(void);
/* jansson allocations refused so far (over the budget or out of memory). */
unsigned vi_budget_refusals(void);
uint64_t vi_budget_limit(void);

/* json_loadb and json_load_file under the budget: a document that would go
 * over it fails (NULL, one more refusal) as a read error at the next 1 KiB
 * read, never with an allocation refused inside jansson (whose lexer then
 * writes out of bounds or asserts).  Every parse of input goes through these. */
json_t *vi_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err);
json_t *vi_json_load_file(const char *path, size_t flags, json_error_t *err);
uint64_t vi_budget_used(void);

#endif
