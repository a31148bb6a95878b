/* decode-choices.c - schema mode's driver: decode a section from a schema
 * vmsd, trying the layouts the schema leaves open (fields a device test
 * decides, counts the stream does not carry) until one ends at the section
 * footer.  Each try runs as an attempt of its own (dv_attempt_begin): one
 * that runs off the data is a mismatch, and the next is tried. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "decode-vmsd.h"

/* The order choices are tried in: fewest guesses flipped first and, among
 * as many, later fields first (a field added late is the one an old machine
 * type or an unusual configuration leaves out, e.g. piix4_pm's acpi_index
 * on pc-i440fx-2.10, where flipping an earlier field of the same size would
 * fit the bytes too). */
#define CHOICE_BITS 12	/* choices that may be flipped; at most
				   MAX_CHOICE_ATTEMPTS combinations are tried */
static uint64_t choice_mask(unsigned k)
{
	static uint16_t order[1u << CHOICE_BITS];
	static int ready;

	if (!ready) {
		unsigned n = 0;
		for (int pop = 0; pop <= CHOICE_BITS; pop++)
			for (int m = (1 << CHOICE_BITS) - 1; m >= 0; m--)
				if (__builtin_popcount((unsigned)m) == pop)
					order[n++] = (uint16_t)m;
		ready = 1;
	}
	return order[k];
}

int vmsd_decode_schema(struct vi_decode_env *env, json_t *vmsd, struct vi_node *sec,
		       uint32_t section_id, uint32_t version, struct vi_mismatch *why)
{
	struct dctx c = { .env = env, .r = env->r, .err = env->err, .why = why,
			  .schema = 1, .section_id = section_id };
	uint64_t start = rd_tell(env->r), tried = 0;
	int rc = VMSD_MISMATCH, most = 0;

	why->msg[0] = '\0';

	for (unsigned k = 0; k < (1u << CHOICE_BITS) && tried < MAX_CHOICE_ATTEMPTS; k++) {
		uint64_t attempt = choice_mask(k);
		if (k && most < CHOICE_BITS && attempt >> most)
			continue;	/* flips choices this section does not have */
		tried++;
		struct dv_attempt a;
		c.choices = attempt;
		c.nchoice = 0;
		/* Running off the stream says this way is wrong: a mismatch. */
		dv_attempt_begin(&c, &a);
		rc = dv_attempt_end(&c, &a, dv_decode_desc(&c, vmsd, sec, version, 0), 1);
		if (rc == 0 && env->at_section_end(env->walker, section_id))
			return 0;
		if (rc == -1)
			return -1;
		if (rc == 0)
			snprintf(why->msg, sizeof(why->msg),
				 "the schema's layout ends at byte %" PRIu64 ", not at the footer",
				 rd_tell(env->r));
		if (getenv("VI_DEBUG_SCHEMA")) {
			fprintf(stderr, "attempt %llu rc %d at %llu: %s\n", (unsigned long long)attempt,
				rc, (unsigned long long)rd_tell(env->r), why->msg);
			for (size_t j = 0; j < sec->nkids; j++)
				fprintf(stderr, "   %s %s @%llu len %llu\n", sec->kids[j]->name,
					sec->kids[j]->type, (unsigned long long)sec->kids[j]->offset,
					(unsigned long long)sec->kids[j]->length);
		}
		vi_node_drop_kids_from(sec, 0);
		rd_seek(env->r, start);
		/* Choices met depend on earlier ones: count the most any attempt met. */
		if (c.nchoice > most)
			most = c.nchoice;
		if (most < CHOICE_BITS && (uint64_t)1 << most <= tried)
			break;	/* every combination tried */
	}
	return VMSD_MISMATCH;
}
