/* check-compat.c - compat properties against a stream: for each property of
 * the source's machine type, the rules (schemas/compat-rules.json) about it
 * are evaluated on the decoded tree, and where the stream breaks one (and
 * the destination's own stream does not) a machine-property finding says
 * so.
 *
 * Every effect kind of schemas/README-compat.md is a constraint on what a
 * source whose machine type has the property writes: its row in KINDS lists
 * the places where a stream breaks it (the offending bytes). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-json.h"
#include "schema-machines.h"
#include "check-compat.h"
#include "vi-release.h"

static void eval_request_queue_count(struct eval *e)
{
	json_int_t fq = jint(e->eff, "fixed_queues", -1);

	if (fq >= 0)
		cc_eval_queue_count(e, (uint64_t)fq);
}

static void eval_virtio_queue_count(struct eval *e)
{
	cc_eval_queue_count(e, 0);
}

/* presence: the kind forbids something an older release did not know at
 * all (a subsection, section, command, field or RAM flag); then a real
 * QEMU of the release the compat array stands for rejects the stream even
 * where 10.0 loads it.  Value kinds (field-value, ring size) are hints. */
static const struct {
	const char *kind;
	void (*fn)(struct eval *e);
	int presence;
} KINDS[] = {
	{ "subsection-absent", cc_eval_subsection_absent, 1 },
	{ "section-absent", cc_eval_section_absent, 1 },
	{ "command-absent", cc_eval_command_absent, 1 },
	{ "ram-flag-absent", cc_eval_ram_flag_absent, 1 },
	{ "virtio-queue-count", eval_virtio_queue_count, 0 },
	{ "virtio-request-queue-count", eval_request_queue_count, 0 },
	{ "msix-vectors", cc_eval_msix_vectors, 0 },
	{ "virtio-feature-bit", cc_eval_feature_bit, 0 },
	{ "field-value", cc_eval_field_value, 0 },
	{ "field-absent", cc_eval_field_absent, 1 },
	{ "pci-config-bits", cc_eval_pci_config_bits, 0 },
	{ "virtio-ring-size", cc_eval_ring_size, 0 },
	{ "ramblock-name", cc_eval_ramblock_name, 0 },
	{ "scsi-request-layout", cc_eval_scsi_layout, 0 },
};

/* Other kinds: unknown to this version, ignored (README-compat.md). */
static void eval_rule(struct eval *e)
{
	for (size_t i = 0; i < sizeof(KINDS) / sizeof(KINDS[0]); i++)
		if (!strcmp(KINDS[i].kind, e->kind)) {
			KINDS[i].fn(e);
			return;
		}
}

static int kind_is_presence(const char *k)
{
	for (size_t i = 0; i < sizeof(KINDS) / sizeof(KINDS[0]); i++)
		if (!strcmp(KINDS[i].kind, k))
			return KINDS[i].presence;
	return 0;
}

/* One finding before de-duplication: variants of a device (virtio-rng-pci,
 * -transitional, -non-transitional) share a vmsd, so one section breaks
 * the rules of all three; they become one finding naming the three. */
struct hit {
	json_t *rule;
	const char *property, *value, *array;
	char drivers[512];
	struct viol v;
};

struct hits {
	struct hit *v;
	size_t n, cap;
};

static void add_hit(struct hits *h, json_t *rule, json_t *prop, const struct viol *v)
{
	const char *drv = jstr(prop, "driver"), *pr = jstr(prop, "property");
	const char *val = jstr(prop, "value"), *arr = jstr(prop, "array") ? jstr(prop, "array") : "";
	json_t *eff = json_object_get(rule, "effect");
	struct hit *x;

	for (size_t i = 0; i < h->n; i++) {
		x = &h->v[i];
		if (x->v.offset == v->offset && x->v.length == v->length &&
		    !strcmp(x->property, pr) && !strcmp(x->value, val) && !strcmp(x->array, arr) &&
		    !strcmp(x->v.detail, v->detail) &&
		    json_equal(json_object_get(x->rule, "effect"), eff) &&
		    !strcmp(jstr(x->rule, "load_with_property") ? jstr(x->rule, "load_with_property") : "",
			    jstr(rule, "load_with_property") ? jstr(rule, "load_with_property") : "")) {
			size_t l = strlen(x->drivers);
			if (!strstr(x->drivers, drv))
				snprintf(x->drivers + l, sizeof(x->drivers) - l, ", %s", drv);
			return;
		}
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 16;
		h->v = vi_xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	x = &h->v[h->n++];
	x->rule = rule;
	x->property = pr;
	x->value = val;
	x->array = arr;
	snprintf(x->drivers, sizeof(x->drivers), "%s", drv);
	x->v = *v;
}

static void report(const struct hit *h, const char *machine, const char *target_release,
		   struct vi_findings *out)
{
	json_t *eff = json_object_get(h->rule, "effect");
	const char *kind = jstr(eff, "kind"), *lwp = jstr(h->rule, "load_with_property");
	char path[512], old[32], outcome[600];

	if (vi_release_of_compat_array(h->array, old, sizeof(old)) < 0) {
		/* a board array (pc_q35_compat_defaults ...): the machine's own */
		const char *d = machine + strlen(machine);
		while (d > machine && (d[-1] == '.' || (d[-1] >= '0' && d[-1] <= '9')))
			d--;
		snprintf(old, sizeof(old), "%s", *d ? d : "(the machine type's own)");
	}
	if (lwp && !strcmp(lwp, "rejected"))
		snprintf(outcome, sizeof(outcome), "a destination with that value rejects this "
			 "stream (measured with QEMU 10.0): QEMU %s with %s loads it only if its "
			 "command line sets %s as the source's did", target_release, machine,
			 h->property);
	else if (lwp && !strcmp(lwp, "accepted") && kind_is_presence(kind))
		snprintf(outcome, sizeof(outcome), "only a warning: QEMU 10.0 with %s still loads "
			 "it, but a real QEMU %s or older (the releases %s stands for) would reject "
			 "it, and so would a later migration to such a host", machine, old, h->array);
	else if (lwp && !strcmp(lwp, "accepted"))
		snprintf(outcome, sizeof(outcome), "only a hint: destinations load it (the "
			 "difference is guest-visible); the source did not use %s's value", machine);
	else
		snprintf(outcome, sizeof(outcome), "what a destination does with it was not "
			 "measured; QEMU %s and older (the releases %s stands for) never wrote it",
			 old, h->array);
	vi_node_path(h->v.at, path, sizeof(path));
	vi_finding_add(out, VI_C_MACHINE_PROPERTY, VI_SEV_WARNING, h->v.offset, h->v.length,
		       path[0] ? path : "stream",
		       "%s sets %s %s=%s (compat array %s): %s; %s",
		       machine, h->drivers, h->property, h->value, h->array[0] ? h->array : "?",
		       h->v.detail, outcome);
}

/* A compat property, or a rule, by the strings the matching compares
 * (taken out of their JSON once per call, not once per pair). */
struct key {
	json_t *j;
	const char *driver, *property, *value;	/* a rule's value: its "when" */
	int skip;		/* a property a later one overrides; a rule of no kind */
};

static struct key *keys(json_t *list, int rules)
{
	struct key *k = vi_xmalloc((json_array_size(list) + 1) * sizeof(*k));
	json_t *x;
	size_t i;

	json_array_foreach(list, i, x) {
		k[i] = (struct key){ x, jstr(x, "driver"), jstr(x, "property"),
				     jstr(x, rules ? "when" : "value"), 0 };
		k[i].skip = !k[i].driver || !k[i].property ||
			    (rules && !jstr(json_object_get(x, "effect"), "kind"));
	}
	/* A property overridden by a later entry for the same driver.property:
	 * the last one is the value QEMU applies. */
	for (i = 0; !rules && i < json_array_size(list); i++)
		for (size_t j = i + 1; !k[i].skip && j < json_array_size(list); j++)
			k[i].skip = !k[j].skip && !strcmp(k[j].driver, k[i].driver) &&
				    !strcmp(k[j].property, k[i].property);
	return k;
}

void machines_check(const struct vi_machines *m, const char *machine,
		    struct vi_session *src, struct vi_session *dest, struct vi_findings *out)
{
	json_t *mt, *props;
	const char *name = machine, *target = jstr(m->doc, "target");
	char release[32] = "";
	struct hits hits = { 0 };
	struct key *pk, *rk;
	size_t i, j, np, nr;

	if (!m->doc || !m->rules || !src || !src->root || !machine ||
	    !(mt = machines_get(m, machine, &name)))
		return;
	vi_release_of_target(target, release, sizeof(release));
	props = json_object_get(mt, "compat_props");
	pk = keys(props, 0);
	rk = keys(m->rules, 1);
	np = json_array_size(props);
	nr = json_array_size(m->rules);
	for (i = 0; i < np; i++) {
		const struct key *p = &pk[i];
		if (p->skip)
			continue;
		for (j = 0; j < nr; j++) {
			const struct key *r = &rk[j];
			json_t *eff;
			struct viols mine = { 0 }, theirs = { 0 };
			struct eval e;
			if (r->skip || strcmp(r->driver, p->driver) != 0 ||
			    strcmp(r->property, p->property) != 0 ||
			    (r->value && (!p->value || strcmp(r->value, p->value) != 0)))
				continue;
			eff = json_object_get(r->j, "effect");
			e = (struct eval){ src, eff, jstr(eff, "kind"), jstr(eff, "vmsd"), p->value,
					   &mine };
			eval_rule(&e);
			if (mine.n && dest && dest->root) {
				/* The destination's own stream breaks the rule too: it
				 * overrides the property like the source did. */
				e.s = dest;
				e.out = &theirs;
				eval_rule(&e);
			}
			if (!theirs.n)
				for (size_t k = 0; k < mine.n; k++)
					add_hit(&hits, r->j, p->j, &mine.v[k]);
			free(mine.v);
			free(theirs.v);
		}
	}
	free(pk);
	free(rk);
	for (i = 0; i < hits.n; i++)
		report(&hits.v[i], name, release[0] ? release : "?", out);
	free(hits.v);
}
