/* check-config.c - what the destination does with the configuration record
 * (machine type, target page size, migration capabilities) and the RAM
 * blocks, before and besides the device sections (check-engine.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-json.h"
#include "check-engine.h"
#include "check-ctx.h"
#include "schema-facts.h"
#include "vi-pci-config.h"
#include "decode-virtio.h"


/* ---- configuration ------------------------------------------------------ */

/* Field `field` of the configuration's subsection `sub`, or NULL when the
 * subsection was not sent. */
static struct vi_node *config_field(struct vi_node *cfg, const char *sub, const char *field)
{
	for (size_t i = 0; cfg && i < cfg->nkids; i++) {
		struct vi_node *s = cfg->kids[i];
		if (s->kind != VI_N_SUBSECTION || strcmp(s->name, sub))
			continue;
		for (size_t k = 0; k < s->nkids; k++)
			if (!strcmp(s->kids[k]->name, field))
				return s->kids[k];
	}
	return NULL;
}

/* The configuration's target-page-bits field, or NULL when not sent. */
static struct vi_node *page_bits_field(struct vi_node *cfg)
{
	return config_field(cfg, "configuration/target-page-bits", "target_page_bits");
}

static int log2_exact(uint64_t v)
{
	int b = 0;
	if (!v || (v & (v - 1)))
		return -1;
	while (v >>= 1)
		b++;
	return b;
}

/* TARGET_PAGE_BITS_MIN of an architecture: what QEMU's configuration
 * pre_load assumes when the subsection is absent (it is sent only when the
 * page bits exceed the minimum).  -1 when unknown. */
static int page_bits_min(const char *target)
{
	const char *arch = target ? strrchr(target, '/') : NULL;

	if (!arch)
		return -1;
	arch++;
	if (!strcmp(arch, "x86_64") || !strcmp(arch, "i386"))
		return 12;                      /* target/i386/cpu-param.h */
	if (!strcmp(arch, "aarch64") || !strcmp(arch, "arm"))
		return 10;                      /* target/arm/cpu-param.h, TARGET_PAGE_BITS_VARY */
	return -1;
}

/* configuration_post_load (migration/savevm.c): the received target page
 * bits (the subsection, else the destination's minimum) must equal the
 * destination's own.  Those come from its own stream (the subsection, else
 * its page size), else from the target schema's page_size. */
static void check_page_bits(struct ctx *c, struct vi_node *cfg)
{
	const struct vi_dest *d = c->d;
	struct vi_node *mine = page_bits_field(cfg), *theirs = NULL;
	int local = -1, received, min = page_bits_min(d->schema ? d->schema->target : NULL);
	const char *from = NULL;

	if (d->stream) {
		struct vi_node *root = d->stream->root;
		for (size_t i = 0; root && i < root->nkids && !theirs; i++)
			if (root->kids[i]->kind == VI_N_CONFIG)
				theirs = page_bits_field(root->kids[i]);
		if (theirs) {
			local = (int)theirs->v.u;
			from = "its own stream's configuration";
		} else if (!d->stream->facts.page_size_assumed && d->stream->facts.page_size) {
			local = log2_exact(d->stream->facts.page_size);
			from = "its own stream's page size";
		}
	}
	if (local < 0 && d->schema) {
		local = log2_exact((uint64_t)jint(d->schema->doc, "page_size", 0));
		from = "the target schema's page_size";
	}
	if (local < 0)
		return;
	if (mine)
		received = (int)mine->v.u;
	else if ((received = min) < 0)
		return;
	if (received == local)
		return;
	/* Checked after the name (post_load): without the subsection, at the
	 * configuration's end. */
	vi_finding_add(c->f, VI_C_MACHINE_MISMATCH, VI_SEV_ERROR,
		       mine ? mine->offset : cfg->offset + cfg->length, mine ? mine->length : 0,
		       mine ? "configuration/target-page-bits/target_page_bits" : "configuration",
		       "Received TARGET_PAGE_BITS is %d but local is %d (%s%s)", received, local,
		       mine ? "the destination's comes from " : "no target-page-bits subsection: "
		       "the destination assumes its minimum; its own comes from ", from);
}

/* ---- migration capabilities -------------------------------------------- */

/* The configuration's capabilities subsection is read with get_capability()
 * (migration/savevm.c), which fails on the first name the destination does
 * not know (its MigrationCapability names: release_facts); post_load then
 * compares the capabilities the destination validates (release_facts
 * validated_capabilities: should_validate_capability) with its own
 * (configuration_validate_capabilities).  Without those facts every
 * capability the stream has on is taken as possibly validated, as a
 * warning. */

static struct vi_node *config_of(struct vi_node *root)
{
	for (size_t i = 0; root && i < root->nkids; i++)
		if (root->kids[i]->kind == VI_N_CONFIG)
			return root->kids[i];
	return NULL;
}

/* The capabilities list of a configuration record, or NULL. */
static struct vi_node *caps_list(struct vi_node *cfg)
{
	return config_field(cfg, "configuration/capabilities", "capabilities");
}

static const char *cap_name(const struct vi_node *n)
{
	return n->vt == VI_V_STR && n->v.s ? n->v.s : "";
}

static struct vi_node *cap_find(struct vi_node *list, const char *name)
{
	for (size_t i = 0; list && i < list->nkids; i++)
		if (!strcmp(cap_name(list->kids[i]), name))
			return list->kids[i];
	return NULL;
}

static void check_capabilities(struct ctx *c, struct vi_node *cfg)
{
	const struct vi_schema *sc = c->d->schema;
	json_t *validated = facts_validated_capabilities(sc), *name_j;
	struct vi_node *mine = caps_list(cfg), *theirs = NULL, *sub = mine ? mine->parent : NULL;
	enum vi_severity sev = validated ? VI_SEV_ERROR : VI_SEV_WARNING;
	const char *rs = c->release[0] ? c->release : "(release unknown)";
	char note[120];
	size_t v;

	snprintf(note, sizeof(note), "%s", validated ? "" : "; the destination's validated "
		 "capabilities are unknown (its schema has no release_facts)");
	/* get_capability: the first unknown name fails the load, before
	 * post_load compares anything. */
	for (size_t i = 0; mine && i < mine->nkids; i++) {
		struct vi_node *k = mine->kids[i];
		if (!facts_capability_known(sc, cap_name(k))) {
			vi_finding_add(c->f, VI_C_CAPABILITY_MISMATCH, VI_SEV_ERROR, k->offset, k->length,
				       "configuration/capabilities/capabilities",
				       "Received unknown capability %s: QEMU %s has no such migration "
				       "capability (\"Failed to load configuration/capabilities:"
				       "capabilities\")", cap_name(k), c->release);
			return;
		}
	}
	if (c->d->stream)
		theirs = caps_list(config_of(c->d->stream->root));
	/* the validated names, or without facts every name either side has on */
	json_t *names = validated ? json_incref(validated) : json_array();
	for (size_t i = 0; !validated && mine && i < mine->nkids; i++)
		json_array_append_new(names, json_string(cap_name(mine->kids[i])));
	for (size_t i = 0; !validated && theirs && i < theirs->nkids; i++)
		if (!cap_find(mine, cap_name(theirs->kids[i])))
			json_array_append_new(names, json_string(cap_name(theirs->kids[i])));
	json_array_foreach(names, v, name_j) {
		const char *name = json_string_value(name_j);
		struct vi_node *on = name ? cap_find(mine, name) : NULL;
		int src = on != NULL, dst = name && cap_find(theirs, name) != NULL;

		if (!name)
			continue;
		if (!c->d->stream) {
			if (src)
				vi_finding_add(c->f, VI_C_CAPABILITY_MISMATCH, VI_SEV_WARNING, on->offset,
					       on->length, "configuration/capabilities/capabilities",
					       "the source had migration capability %s on: the destination "
					       "must enable it too (migrate-set-capabilities, before "
					       "migrate-incoming), or QEMU %s says \"Capability %s is off, "
					       "but received capability is on\"%s", name, rs, name, note);
			continue;
		}
		if (src == dst)
			continue;
		/* post_load, after the subsections: at the subsection, or
		 * without one at the configuration's end. */
		vi_finding_add(c->f, VI_C_CAPABILITY_MISMATCH, sev,
			       sub ? sub->offset : cfg->offset + cfg->length, sub ? sub->length : 0,
			       sub ? "configuration/capabilities" : "configuration",
			       "Capability %s is %s, but received capability is %s (QEMU %s: the "
			       "destination's own stream was saved with it %s; set it %s there with "
			       "migrate-set-capabilities before migrate-incoming%s)",
			       name, dst ? "on" : "off", src ? "on" : "off", rs, dst ? "on" : "off",
			       src ? "on" : "off", note);
	}
	json_decref(names);
}

/* A note of what the check assumed: once per run in d->notes when the
 * caller collects them there, else with the stream's findings. */
void ce_assume(struct ctx *c, const char *run_msg, const char *file_msg)
{
	struct vi_findings *notes = c->d->notes;

	if (!notes) {
		vi_finding_add(c->f, VI_C_ASSUMPTION, VI_SEV_NOTE, 0, 0, "configuration", "%s",
			       file_msg);
		return;
	}
	for (size_t i = 0; i < notes->n; i++)
		if (strcmp(notes->v[i].message, run_msg) == 0)
			return;
	vi_finding_add(notes, VI_C_ASSUMPTION, VI_SEV_NOTE, 0, 0, "configuration", "%s", run_msg);
}

/* Does the destination expect a configuration section?  QEMU reads one
 * exactly when its own migration object's send-configuration is on: a fact
 * of the destination.  Its own stream tells (a destination that sends one
 * expects one); else the documented default: on, unless its machine type's
 * compat properties turn it off (pc-i440fx-2.3 and older). */
static int dest_expects_config(struct ctx *c, const char *machine, const char **why)
{
	const struct vi_dest *d = c->d;
	json_t *m, *p;
	size_t i;
	int on = 1;

	if (d->stream && d->stream->root) {
		for (i = 0; i < d->stream->root->nkids; i++)
			if (d->stream->root->kids[i]->kind == VI_N_CONFIG) {
				*why = "its own stream has one";
				return 1;
			}
		*why = "its own stream has none: it runs with send-configuration=off";
		return 0;
	}
	*why = "QEMU's default send-configuration=on";
	if (!machine || !d->machines || !(m = machines_get(d->machines, machine, NULL)))
		return 1;
	json_array_foreach(json_object_get(m, "compat_props"), i, p)
		if (jstr(p, "driver") && !strcmp(jstr(p, "driver"), "migration") &&
		    jstr(p, "property") && !strcmp(jstr(p, "property"), "send-configuration") &&
		    jstr(p, "value"))
			on = strcmp(jstr(p, "value"), "off") && strcmp(jstr(p, "value"), "false");
	if (!on)
		*why = "its machine type's compat properties set send-configuration=off";
	return on;
}

void ce_check_machine(struct ctx *c)
{
	const struct vi_stream_facts *w = &c->src->facts;
	struct vi_node *root = c->src->root;
	const char *local = c->d->machine, *why = "";
	struct vi_node *cfg = NULL;
	int expects;

	for (size_t i = 0; root && i < root->nkids; i++)
		if (root->kids[i]->kind == VI_N_CONFIG)
			cfg = root->kids[i];
	if (!local && c->d->stream && c->d->stream->facts.machine[0])
		local = c->d->stream->facts.machine;
	/* A machine type the release lacks: QEMU refuses to start with it
	 * (vl.c: "unsupported machine type: \"%s\""), long before loading. */
	if (local && c->d->machine_unknown) {
		vi_finding_add(c->f, VI_C_MACHINE_MISMATCH, VI_SEV_ERROR, cfg ? cfg->offset : 0,
			       cfg ? cfg->length : 0, "configuration", "QEMU %s has no machine type "
			       "%s: the destination cannot even be started (unsupported machine "
			       "type: \"%s\")", c->release[0] ? c->release : "(release unknown)",
			       local, local);
		return;
	}
	expects = dest_expects_config(c, local ? local : w->machine[0] ? w->machine : NULL, &why);
	if (!cfg) {
		if (expects && c->src->root && !c->src->err.set)
			vi_finding_add(c->f, VI_C_MACHINE_MISMATCH, VI_SEV_ERROR, 8, 0, "configuration",
				       "the stream has no configuration record; QEMU says "
				       "\"Configuration section missing\" (the destination expects "
				       "one: %s)", why);
		return;
	}
	if (!expects) {
		/* Read as a section type by a destination that expects none
		 * (QEMU 7.2 and 10.0 alike). */
		vi_finding_add(c->f, VI_C_UNKNOWN_SECTION, VI_SEV_ERROR, cfg->offset, 1,
			       "configuration", "the destination expects no configuration record "
			       "(%s); QEMU says \"Unknown savevm section type 7\"", why);
		return;
	}
	check_page_bits(c, cfg);
	check_capabilities(c, cfg);
	if (!local) {
		char msg[400];
		snprintf(msg, sizeof(msg), "destination machine type not given (--machine or "
			 "--dest-stream): assumed to be the stream's own, %s",
			 w->machine[0] ? w->machine : "(none)");
		ce_assume(c, "destination machine type not given (--machine or --dest-stream): "
		       "each stream's own is assumed", msg);
		if (w->machine[0] && c->d->machines &&
		    !machines_get(c->d->machines, w->machine, NULL))
			vi_finding_add(c->f, VI_C_MACHINE_MISMATCH, VI_SEV_ERROR, cfg->offset, cfg->length,
				       "configuration", "QEMU %s has no machine type %s: a destination "
				       "with the stream's own machine type cannot even be started "
				       "(unsupported machine type: \"%s\"); give --machine to check "
				       "against one it has", c->release[0] ? c->release : "(release unknown)",
				       w->machine, w->machine);
		return;
	}
	/* QEMU compares only as many bytes as it received (strncmp). */
	if (strncmp(w->machine, local, strlen(w->machine)) != 0)
		vi_finding_add(c->f, VI_C_MACHINE_MISMATCH, VI_SEV_ERROR, cfg->offset + 5,
			       strlen(w->machine), "configuration/name",
			       "Machine type received is '%s' and local is '%s'", w->machine, local);
}

/* ---- RAM ---------------------------------------------------------------- */

static struct vi_node *block_list(struct vi_node *root)
{
	for (size_t i = 0; root && i < root->nkids; i++) {
		struct vi_node *s = root->kids[i];
		if (s->kind == VI_N_SECTION && !strcmp(s->name, "ram") && !strcmp(s->type, "start"))
			for (size_t k = 0; k < s->nkids; k++)
				if (!strcmp(s->kids[k]->type, "ramblock list"))
					return s->kids[k];
	}
	return NULL;
}

void ce_check_ram(struct ctx *c)
{
	struct vi_node *mine = block_list(c->src->root), *theirs;

	if (!c->d->stream || !mine || !(theirs = block_list(c->d->stream->root)))
		return;
	for (size_t i = 0; i < mine->nkids; i++) {
		struct vi_node *b = mine->kids[i], *o = NULL;
		uint64_t len = vi_node_get(b, VI_A_USED_LENGTH)->u, olen;
		for (size_t k = 0; k < theirs->nkids && !o; k++)
			if (!strcmp(theirs->kids[k]->name, b->name))
				o = theirs->kids[k];
		if (!o) {
			vi_finding_add(c->f, VI_C_UNKNOWN_SECTION, VI_SEV_ERROR, b->offset, b->length,
				       b->name, "Unknown ramblock \"%s\", cannot accept migration",
				       b->name);
			continue;
		}
		olen = vi_node_get(o, VI_A_USED_LENGTH)->u;
		/* Firmware-provided ACPI blobs are resizable; other blocks are not:
		 * qemu_ram_resize (system/physmem.c; softmmu/ in 7.2) fails with
		 * error_setg_errno(EINVAL), the incoming length first. */
		if (len != olen && strncmp(b->name, "/rom@etc/", 9) != 0)
			vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, b->offset, b->length,
				       b->name, "Size mismatch: %s: 0x%" PRIx64 " != 0x%" PRIx64
				       ": Invalid argument (the stream's length, then the "
				       "destination's own)", b->name, len, olen);
	}
}
