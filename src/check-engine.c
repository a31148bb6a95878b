/* check-engine.c - what the destination would do with each part of a stream.
 *
 * Mirrors QEMU's loader (migration/savevm.c, vmstate.c): configuration
 * first, then each record in stream order; a section must be known (by
 * idstr and instance), its version within the destination's range, every
 * subsection known to its parent, values the destination compares equal.
 * The destination is described by a schema and, optionally, by a stream its
 * own configuration wrote (the only source for configuration-dependent
 * facts: which devices exist, their instance ids, RAMBlocks, config space).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jutil.h"
#include "check-engine.h"
#include "schema-facts.h"
#include "pci-config.h"
#include "virtio.h"

struct ctx {
	struct vi_session *src;
	const struct vi_dest *d;
	struct vi_findings *f;
	char release[16];
};

static struct vi_node *find_section(struct vi_node *root, const char *idstr,
				    uint64_t instance)
{
	for (size_t i = 0; root && i < root->nkids; i++) {
		struct vi_node *s = root->kids[i];
		if (s->kind == VI_N_SECTION && (!strcmp(s->type, "full") || !strcmp(s->type, "start")) &&
		    !strcmp(s->name, idstr) && vi_node_attr(s, "instance_id")->u == instance)
			return s;
	}
	return NULL;
}

/* QEMU finds a section's handler by idstr, "<bus path>/<vmsd name>" or the
 * bare name (which may hold a '/': "spapr/rtc"), so the destination's vmsd
 * is the longest tail of the idstr it knows (facts_vmsd_name). */
static const char *vmsd_name_of(const struct vi_schema *s, struct vi_node *sec)
{
	return facts_vmsd_name(s ? s->vmsds : NULL, sec->name);
}

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
		struct vi_node *root = d->stream->w.root;
		for (size_t i = 0; root && i < root->nkids && !theirs; i++)
			if (root->kids[i]->kind == VI_N_CONFIG)
				theirs = page_bits_field(root->kids[i]);
		if (theirs) {
			local = (int)theirs->v.u;
			from = "its own stream's configuration";
		} else if (!d->stream->w.page_size_assumed && d->stream->w.page_size) {
			local = log2_exact(d->stream->w.page_size);
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
		theirs = caps_list(config_of(c->d->stream->w.root));
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
static void assume(struct ctx *c, const char *run_msg, const char *file_msg)
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

	if (d->stream && d->stream->w.root) {
		for (i = 0; i < d->stream->w.root->nkids; i++)
			if (d->stream->w.root->kids[i]->kind == VI_N_CONFIG) {
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

static void check_machine(struct ctx *c)
{
	struct vi_walk *w = &c->src->w;
	const char *local = c->d->machine, *why = "";
	struct vi_node *cfg = NULL;
	int expects;

	for (size_t i = 0; w->root && i < w->root->nkids; i++)
		if (w->root->kids[i]->kind == VI_N_CONFIG)
			cfg = w->root->kids[i];
	if (!local && c->d->stream && c->d->stream->w.machine[0])
		local = c->d->stream->w.machine;
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
		if (expects && c->src->w.root && !c->src->err.set)
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
		assume(c, "destination machine type not given (--machine or --dest-stream): "
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

static void check_ram(struct ctx *c)
{
	struct vi_node *mine = block_list(c->src->w.root), *theirs;

	if (!c->d->stream || !mine || !(theirs = block_list(c->d->stream->w.root)))
		return;
	for (size_t i = 0; i < mine->nkids; i++) {
		struct vi_node *b = mine->kids[i], *o = NULL;
		uint64_t len = vi_node_attr(b, "used_length")->u, olen;
		for (size_t k = 0; k < theirs->nkids && !o; k++)
			if (!strcmp(theirs->kids[k]->name, b->name))
				o = theirs->kids[k];
		if (!o) {
			vi_finding_add(c->f, VI_C_UNKNOWN_SECTION, VI_SEV_ERROR, b->offset, b->length,
				       b->name, "Unknown ramblock \"%s\", cannot accept migration",
				       b->name);
			continue;
		}
		olen = vi_node_attr(o, "used_length")->u;
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

/* ---- values the destination compares with its own ---------------------- */

static struct vi_node *same_path(struct vi_node *mine, struct vi_node *their_sec)
{
	/* Path of names from the section down to mine, replayed in theirs. */
	struct vi_node *chain[64], *n = their_sec;
	int depth = 0;

	for (struct vi_node *p = mine; p && p->kind != VI_N_SECTION && depth < 64; p = p->parent)
		chain[depth++] = p;
	while (depth-- > 0 && n) {
		struct vi_node *next = NULL;
		for (size_t i = 0; i < n->nkids && !next; i++)
			if (!strcmp(n->kids[i]->name, chain[depth]->name))
				next = n->kids[i];
		n = next;
	}
	return n;
}

static void node_path(const struct vi_node *n, char *buf, size_t len)
{
	const struct vi_node *chain[64];
	int depth = 0;
	size_t k = 0;

	for (; n && n->kind != VI_N_ROOT && depth < 64; n = n->parent)
		chain[depth++] = n;
	buf[0] = '\0';
	while (depth-- > 0 && k < len) {
		const struct vi_node *x = chain[depth];
		int w;
		if (x->kind == VI_N_SECTION)
			w = snprintf(buf + k, len - k, "%s[%" PRIu64 "]", x->name,
				     vi_node_attr(x, "instance_id")->u);
		else
			w = snprintf(buf + k, len - k, "/%s", x->name);
		if (w < 0)
			break;
		k += (size_t)w;
	}
}

static int64_t node_int(const struct vi_node *n)
{
	return n->vt == VI_V_INT ? n->v.i : (int64_t)n->v.u;
}

static int read_bytes(struct vi_session *s, uint64_t off, uint8_t *buf, size_t n)
{
	return rd_peek_at(s->r, off, buf, n) == n ? 0 : -1;
}

static void compare_config(struct ctx *c, struct vi_node *mine, struct vi_node *theirs,
			   uint64_t skip, const char *what)
{
	uint8_t a[4096], b[4096], m = 0;
	size_t n;
	long bad;
	char path[512];

	if (mine->length < skip + 64 || theirs->length < skip + 64)
		return;
	n = mine->length - skip < sizeof(a) ? mine->length - skip : sizeof(a);
	if (theirs->length - skip < n)
		n = theirs->length - skip;
	if (read_bytes(c->src, mine->offset + skip, a, n) < 0 ||
	    read_bytes(c->d->stream, theirs->offset + skip, b, n) < 0)
		return;
	n = pci_config_size(b, n) < n ? pci_config_size(b, n) : n;
	if ((bad = pci_config_mismatch(a, b, n, &m)) < 0)
		return;
	node_path(mine, path, sizeof(path));
	vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, mine->offset + skip + (uint64_t)bad, 1,
		       path, "%sget_pci_config_device: Bad config data: i=0x%lx read: %x "
		       "device: %x cmask: %x", what, bad, a[bad], b[bad], m);
}

static void check_values(struct ctx *c, struct vi_node *n, struct vi_node *their_sec)
{
	for (size_t i = 0; i < n->nkids; i++)
		check_values(c, n->kids[i], their_sec);
	if (n->kind != VI_N_FIELD || n->nkids)
		return;
	/* An int32 is bounded where the destination's own vmstate says so
	 * (its trailer's "int32 le"), whatever type the source wrote it as. */
	if (strstr(n->type, " equal") || !strncmp(n->type, "int32", 5) ||
	    !strcmp(n->type, "pci config") || !strcmp(n->type, "virtio")) {
		struct vi_node *o = their_sec ? same_path(n, their_sec) : NULL;
		char path[512];

		node_path(n, path, sizeof(path));
		if (!strncmp(n->type, "int32", 5) &&
		    strcmp(o && o->type ? o->type : n->type, "int32 le") != 0)
			return;
		if (!strncmp(n->type, "int32", 5)) {
			int64_t v = node_int(n), lim = o ? node_int(o) : INT32_MAX;
			if (v < 0 || v > lim)
				vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, n->offset, n->length,
					       path, "Invalid value %" PRId64 " expecting positive "
					       "value <= %" PRId64, v, lim);
		} else if (o && strstr(n->type, " equal") && node_int(n) != node_int(o)) {
			vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, n->offset, n->length, path,
				       "%" PRIx64 " != %" PRIx64 " (the destination requires "
				       "its own value)", (uint64_t)node_int(n), (uint64_t)node_int(o));
		} else if (o && !strcmp(n->type, "pci config")) {
			compare_config(c, n, o, 0, "");
		} else if (o && !strcmp(n->type, "virtio")) {
			/* virtio-pci transport first: int32 version, then config space. */
			compare_config(c, n, o, 4, "virtio transport: ");
		}
	}
}

/* ---- sections, subsections ---------------------------------------------- */

static json_t *schema_field(json_t *desc, const char *name)
{
	char base[300];
	const char *br = strrchr(name, '[');
	json_t *f;
	size_t i;

	snprintf(base, sizeof(base), "%.*s", br ? (int)(br - name) : (int)strlen(name), name);
	json_array_foreach(json_object_get(desc, "fields"), i, f)
		if (jstr(f, "name") && (!strcmp(jstr(f, "name"), name) ||
					!strcmp(jstr(f, "name"), base)))
			return f;
	return NULL;
}

static void check_desc(struct ctx *c, struct vi_node *n, json_t *desc, int trusted,
		       int depth)
{
	char path[512];

	if (!desc || depth > 32)
		return;
	for (size_t i = 0; i < n->nkids; i++) {
		struct vi_node *k = n->kids[i];
		if (k->kind == VI_N_FIELD && k->nkids) {
			json_t *sf = schema_field(desc, k->name), *st = json_object_get(sf, "struct");
			if (!st)
				continue;
			if (vi_node_attr(k, "array_len"))
				for (size_t e = 0; e < k->nkids; e++)
					check_desc(c, k->kids[e], st, trusted, depth + 1);
			else
				check_desc(c, k, st, trusted, depth + 1);
		} else if (k->kind == VI_N_SUBSECTION) {
			json_t *ss = schema_subsection(desc, k->name);
			const char *parent = jstr(desc, "name");
			uint64_t v = vi_node_attr(k, "version_id")->u & 0xff;  /* QEMU keeps 8 bits */
			node_path(k, path, sizeof(path));
			if (!ss) {
				int known = schema_subsection_name_known(desc, k->name);
				if (known == 1)
					continue;	/* known, never sent by the schema's streams */
				if (known == 0) {
					vi_finding_add(c->f, VI_C_UNKNOWN_SUBSECTION, VI_SEV_ERROR, k->offset,
						       k->length, path, "QEMU %s's %s has no subsection "
						       "'%s': load fails with \"No such file or directory\"",
						       c->release, parent, k->name);
					continue;
				}
			}
			if (!ss) {
				if (parent && strncmp(k->name, parent, strlen(parent)) != 0)
					vi_finding_add(c->f, VI_C_BAD_FOOTER, VI_SEV_ERROR, k->offset, k->length,
						       path, "subsection '%s' does not start with its parent's "
						       "name '%s': QEMU leaves it unread and fails on the "
						       "section footer", k->name, parent);
				else
					vi_finding_add(c->f, VI_C_UNKNOWN_SUBSECTION,
						       trusted ? VI_SEV_ERROR : VI_SEV_WARNING,
						       k->offset, k->length, path,
						       "the destination's %s has no subsection '%s'%s", parent,
						       k->name, trusted ? ": load fails with \"No such file "
						       "or directory\"" : " among those the schema saw "
						       "(its list may be incomplete)");
				continue;
			}
			if ((int64_t)v > jint(ss, "version_id", INT64_MAX))
				vi_finding_add(c->f, VI_C_VERSION_TOO_NEW, VI_SEV_ERROR, k->offset, k->length,
					       path, "%s: incoming version_id %" PRIu64 " is too new for "
					       "local version_id %" PRId64, k->name, v,
					       jint(ss, "version_id", 0));
			else if ((int64_t)v < jint(ss, "minimum_version_id", 0))
				vi_finding_add(c->f, VI_C_VERSION_TOO_OLD, VI_SEV_ERROR, k->offset, k->length,
					       path, "%s: incoming version_id %" PRIu64 " is too old for "
					       "local minimum version_id  %" PRId64, k->name, v,
					       jint(ss, "minimum_version_id", 0));
			check_desc(c, k, ss, trusted, depth + 1);
		}
	}
}

static int trusted(json_t *vmsd)
{
	const char *o = jstr(vmsd, "origin");
	return o && (!strcmp(o, "dump-vmstate") || !strcmp(o, "extra"));
}

/* The subsections that end a virtio payload, as virtio_load() reads them:
 * vmstate "virtio" loads subsections while their names start with
 * "virtio"; virtio/extra_state holds the transport's vmstate ("virtio_pci"
 * or "virtio_mmio"), whose own subsections follow it.  A name the current
 * vmstate does not know fails with ENOENT; a name that is not its own ends
 * its loop, and the bytes left over fail the section footer check.  The
 * decoder lists them flat, in stream order; the lists each release knows
 * are virtio.c's table (no -dump-vmstate has them). */
static int sub_is_ours(const char *name, const char *parent)
{
	size_t n = strlen(parent);
	return strlen(name) >= n + 1 && !strncmp(name, parent, n);
}

static void check_virtio_payload(struct ctx *c, struct vi_node *v)
{
	int vid, vmin, sure = facts_virtio_subsection(c->d->schema, "virtio", "", &vid, &vmin) >= 0;
	enum vi_severity sev = sure ? VI_SEV_ERROR : VI_SEV_WARNING;
	const char *tr = vi_node_attr(v, "transport") ? vi_node_attr(v, "transport")->s : NULL;
	const char *nested = NULL;      /* the transport's vmstate after extra_state */
	char path[512], note[160];

	snprintf(note, sizeof(note), "%s", sure ? "" : " (the target's schema has no virtio "
		 "subsection lists: release_facts)");
	for (size_t i = 0; i < v->nkids; i++) {
		struct vi_node *k = v->kids[i];
		const char *parent = "virtio";
		uint64_t ver;

		if (k->kind != VI_N_SUBSECTION)
			continue;
		node_path(k, path, sizeof(path));
		if (nested && sub_is_ours(k->name, nested))
			parent = nested;
		else if (nested && sub_is_ours(k->name, "virtio/extra_state"))
			parent = "virtio/extra_state";	/* it has no subsections */
		else
			nested = NULL;
		if (!sub_is_ours(k->name, parent)) {
			vi_finding_add(c->f, VI_C_BAD_FOOTER, sev, k->offset, k->length, path,
				       "subsection '%s' does not start with '%s': virtio_load "
				       "leaves it unread and the section footer check fails%s",
				       k->name, parent, note);
			return;
		}
		if (facts_virtio_subsection(c->d->schema, parent, k->name, &vid, &vmin) <= 0) {
			vi_finding_add(c->f, VI_C_UNKNOWN_SUBSECTION, sev, k->offset, k->length, path,
				       "QEMU %s's %s vmstate has no subsection '%s': load fails "
				       "with \"No such file or directory\"%s",
				       c->release[0] ? c->release : "(release unknown)", parent,
				       k->name, note);
			return;
		}
		ver = (vi_node_attr(k, "version_id") ? vi_node_attr(k, "version_id")->u : 0) & 0xff;
		if ((int64_t)ver > vid) {
			vi_finding_add(c->f, VI_C_VERSION_TOO_NEW, sev, k->offset, k->length, path,
				       "%s: incoming version_id %" PRIu64 " is too new for local "
				       "version_id %d%s", k->name, ver, vid, note);
			return;
		}
		if ((int64_t)ver < vmin) {
			vi_finding_add(c->f, VI_C_VERSION_TOO_OLD, sev, k->offset, k->length, path,
				       "%s: incoming version_id %" PRIu64 " is too old for local "
				       "minimum version_id  %d%s", k->name, ver,
				       vmin, note);
			return;
		}
		if (!strcmp(k->name, "virtio/extra_state"))
			nested = tr && !strcmp(tr, "virtio-mmio") ? "virtio_mmio" : "virtio_pci";
	}
}

static void check_virtio(struct ctx *c, struct vi_node *n)
{
	if (n->kind == VI_N_FIELD && !strcmp(n->type, "virtio")) {
		check_virtio_payload(c, n);
		return;
	}
	for (size_t i = 0; i < n->nkids; i++)
		check_virtio(c, n->kids[i]);
}

/* ---- post_load hooks whose bound is the destination's own state -------- */

/* Element i of a uint64 array field (decoded as children, or read). */
static int u64_elem(struct vi_session *s, struct vi_node *f, uint64_t i, uint64_t *v,
		    uint64_t *off)
{
	uint8_t b[8];

	if (f->nkids) {
		if (i >= f->nkids)
			return -1;
		*v = f->kids[i]->v.u;
		*off = f->kids[i]->offset;
		return 0;
	}
	if (f->length < 8 * (i + 1) || read_bytes(s, f->offset + 8 * i, b, 8) < 0)
		return -1;
	*v = 0;
	for (int k = 0; k < 8; k++)
		*v = *v << 8 | b[k];
	*off = f->offset + 8 * i;
	return 0;
}

static struct vi_node *direct_field(struct vi_node *n, const char *name)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->kind == VI_N_FIELD && !strcmp(n->kids[i]->name, name))
			return n->kids[i];
	return NULL;
}

/* An AArch64 ID register (op0 3, op1 0, CRn 0 in the KVM-style index
 * 0x6030000000130000 | op0 << 14 | op1 << 11 | CRn << 7 | CRm << 3 | op2):
 * constant under TCG, so cpu_post_load's write_list_to_cpustate reads back
 * the destination's own value and fails when the incoming one differs. */
static int is_arm_id_reg(uint64_t idx)
{
	return (idx >> 16) == 0x603000000013ULL && ((idx >> 14) & 3) == 3 &&
	       ((idx >> 11) & 7) == 0 && ((idx >> 7) & 15) == 0;
}

static int id_reg_differs(struct ctx *c, struct vi_node *sec, struct vi_node *theirs,
			  uint64_t v, uint64_t i, uint64_t idx)
{
	struct vi_node *mv = direct_field(sec, "cpreg_vmstate_values");
	struct vi_node *tv = direct_field(theirs, "cpreg_vmstate_values");
	uint64_t a, b, off, doff, end = sec->offset + sec->length;
	char path[512];

	if (!mv || !tv || u64_elem(c->src, mv, v, &a, &off) < 0 ||
	    u64_elem(c->d->stream, tv, i, &b, &doff) < 0 || a == b)
		return 0;
	for (size_t k = 0; k < sec->nkids; k++)	/* post_load: after the subsections */
		if (sec->kids[k]->kind == VI_N_FOOTER)
			end = sec->kids[k]->offset;
	node_path(mv, path, sizeof(path));
	vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, end, 0, path,
		       "ID register 0x%" PRIx64 " (op0 3, op1 0, CRn 0, CRm %u, op2 %u; value at "
		       "byte %" PRIu64 ") is 0x%" PRIx64 " here and 0x%" PRIx64 " in the "
		       "destination's CPU, where it is "
		       "constant: cpu_post_load's write_list_to_cpustate fails the load "
		       "(\"Operation not permitted\", no message of its own)", idx,
		       (unsigned)((idx >> 3) & 15), (unsigned)(idx & 7), off, a, b);
	return 1;
}

/* ARM "cpu" (target/arm/machine.c cpu_post_load): the incoming coprocessor
 * register indexes are merged with the destination CPU's sorted list; one
 * the destination lacks fails the load with no message of its own (-1,
 * "Operation not permitted").  The destination's list is its own stream's
 * cpreg_vmstate_indexes.  post_load runs after the section's subsections,
 * so the finding is placed at the section's end. */
static void check_arm_cpregs(struct ctx *c, struct vi_node *sec, struct vi_node *theirs)
{
	struct vi_node *mi = direct_field(sec, "cpreg_vmstate_indexes");
	struct vi_node *ti = direct_field(theirs, "cpreg_vmstate_indexes");
	uint64_t ns, nd, i = 0, v = 0, sv = 0, dv = 0, off = 0, doff, end;
	char path[512];

	if (!mi || !ti || !vi_node_attr(mi, "array_len") || !vi_node_attr(ti, "array_len"))
		return;
	ns = vi_node_attr(mi, "array_len")->u;
	nd = vi_node_attr(ti, "array_len")->u;
	while (i < nd && v < ns) {
		if (u64_elem(c->src, mi, v, &sv, &off) < 0 ||
		    u64_elem(c->d->stream, ti, i, &dv, &doff) < 0)
			return;
		if (sv > dv) {
			i++;
			continue;
		}
		if (sv < dv)
			break;
		if (is_arm_id_reg(sv) && id_reg_differs(c, sec, theirs, v, i, sv))
			return;
		i++;
		v++;
	}
	if (i >= nd || v >= ns)
		return;
	end = sec->offset + sec->length;
	for (size_t k = 0; k < sec->nkids; k++)
		if (sec->kids[k]->kind == VI_N_FOOTER)
			end = sec->kids[k]->offset;
	node_path(mi, path, sizeof(path));
	vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, end, 0, path,
		       "incoming coprocessor register 0x%" PRIx64 " (element %" PRIu64 ", byte %"
		       PRIu64 ") is not one of the destination CPU's %" PRIu64 " registers: "
		       "cpu_post_load fails the load (\"Operation not permitted\", no message "
		       "of its own)", sv, v, off, nd);
}

/* ARM "cpu" without --dest-stream: the destination's register list is the
 * schema's list for the CPU model whose list the incoming one matches best
 * (cpreg_index_sets, from the generated streams; the same model's list
 * changes a little between releases, different models' lists a lot).
 * Assumes the destination runs the source's CPU model, as check assumes the
 * source's devices.  Two checks, in QEMU's order: cpreg_vmstate_array_len is
 * an int32 le field bounded by the destination's length, then cpu_post_load
 * needs every incoming index in the destination's list. */
static void check_arm_cpregs_schema(struct ctx *c, struct vi_node *sec, json_t *sv)
{
	struct vi_node *mi = direct_field(sec, "cpreg_vmstate_indexes");
	struct vi_node *ml = direct_field(sec, "cpreg_vmstate_array_len");
	json_t *sets = json_object_get(sv, "cpreg_index_sets"), *best = NULL, *x;
	uint64_t ns, best_missing = UINT64_MAX, v, off, end;
	size_t i;
	char path[512];

	if (!mi || !vi_node_attr(mi, "array_len") || !json_array_size(sets))
		return;
	ns = vi_node_attr(mi, "array_len")->u;
	if (ns > 65536)
		return;
	json_array_foreach(sets, i, x) {	/* the list missing the fewest incoming indexes */
		json_t *list = json_object_get(x, "indexes");
		uint64_t missing = 0;
		size_t j = 0, n = json_array_size(list);
		for (uint64_t k = 0; k < ns; k++) {
			if (u64_elem(c->src, mi, k, &v, &off) < 0)
				return;
			while (j < n && (uint64_t)json_integer_value(json_array_get(list, j)) < v)
				j++;
			if (j >= n || (uint64_t)json_integer_value(json_array_get(list, j)) != v)
				missing++;
		}
		if (missing < best_missing) {
			best_missing = missing;
			best = x;
		}
	}
	/* A CPU model the schema never ran: its list is not among these. */
	if (!best || best_missing * 10 > ns)
		return;
	if (ml && (uint64_t)node_int(ml) > json_array_size(json_object_get(best, "indexes"))) {
		node_path(ml, path, sizeof(path));
		vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, ml->offset, ml->length, path,
			       "Invalid value %" PRId64 " expecting positive value <= %zu (QEMU %s's "
			       "%s has %zu coprocessor registers; assumed: the destination runs the "
			       "source's CPU model, whose register list this is closest to)",
			       node_int(ml), json_array_size(json_object_get(best, "indexes")),
			       c->release, jstr(best, "cpu"),
			       json_array_size(json_object_get(best, "indexes")));
		return;
	}
	if (!best_missing)
		return;
	for (uint64_t k = 0; k < ns; k++) {	/* the first one missing */
		json_t *list = json_object_get(best, "indexes");
		int found = 0;
		if (u64_elem(c->src, mi, k, &v, &off) < 0)
			return;
		json_array_foreach(list, i, x)
			if ((uint64_t)json_integer_value(x) == v) {
				found = 1;
				break;
			}
		if (found)
			continue;
		end = sec->offset + sec->length;
		for (size_t j = 0; j < sec->nkids; j++)
			if (sec->kids[j]->kind == VI_N_FOOTER)
				end = sec->kids[j]->offset;
		node_path(mi, path, sizeof(path));
		vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, end, 0, path,
			       "incoming coprocessor register 0x%" PRIx64 " (element %" PRIu64 ", byte %"
			       PRIu64 ") is not one of QEMU %s's %s registers: cpu_post_load fails the "
			       "load (\"Operation not permitted\", no message of its own); assumed: "
			       "the destination runs the source's CPU model", v, k, off, c->release,
			       jstr(best, "cpu"));
		return;
	}
}

static void check_section(struct ctx *c, struct vi_node *sec)
{
	const struct vi_schema *s = c->d->schema;
	struct vi_session *dest = c->d->stream;
	const char *vmsd = vmsd_name_of(s, sec);
	uint64_t inst = vi_node_attr(sec, "instance_id")->u;
	uint64_t version = vi_node_attr(sec, "version_id")->u;
	struct vi_node *theirs = NULL;
	json_t *sv = s ? schema_vmsd(s, vmsd) : NULL;
	int64_t local = -1, min = -1;
	char path[512];

	snprintf(path, sizeof(path), "%s[%" PRIu64 "]", sec->name, inst);
	if (dest) {
		theirs = find_section(dest->w.root, sec->name, inst);
		if (!theirs) {
			vi_finding_add(c->f, VI_C_UNKNOWN_SECTION, VI_SEV_ERROR, sec->offset, sec->length,
				       path, "Unknown savevm section or instance '%s' %" PRIu64
				       ": the destination's configuration has no such device",
				       sec->name, inst);
			return;
		}
		local = (int64_t)vi_node_attr(theirs, "version_id")->u;
	} else if (s && !sv) {
		int partial = json_is_true(json_object_get(s->doc, "device_classes_only"));
		vi_finding_add(c->f, VI_C_UNKNOWN_SECTION, partial ? VI_SEV_WARNING : VI_SEV_ERROR,
			       sec->offset, sec->length, path,
			       "Unknown savevm section '%s': %s has no vmstate named '%s'%s",
			       sec->name, s->target, vmsd, partial ? " (a raw -dump-vmstate "
			       "lists device classes only)" : "");
		return;
	} else if (strchr(sec->name, '/') && inst != 0) {
		vi_finding_add(c->f, VI_C_UNKNOWN_SECTION, VI_SEV_ERROR, sec->offset, sec->length, path,
			       "Unknown savevm section or instance '%s' %" PRIu64 ": a device "
			       "with a bus path has only instance 0 in the same configuration",
			       sec->name, inst);
		return;
	} else if (sv && json_is_integer(json_object_get(sv, "registered_instance_id")) &&
		   (json_int_t)inst != jint(sv, "registered_instance_id", -1)) {
		vi_finding_add(c->f, VI_C_UNKNOWN_SECTION, VI_SEV_ERROR, sec->offset, sec->length, path,
			       "Unknown savevm section or instance '%s' %" PRIu64 ": %s registers "
			       "every '%s' as instance %" PRId64 " (a fixed instance id in its "
			       "source), so no configuration of it has this one",
			       sec->name, inst, s->target, vmsd,
			       (int64_t)jint(sv, "registered_instance_id", -1));
		return;
	}
	if (local < 0 && sv)
		local = jint(sv, "version_id", -1);
	if (sv)
		min = jint(sv, "minimum_version_id", -1);
	if (local >= 0 && (int64_t)version > local) {
		vi_finding_add(c->f, VI_C_VERSION_TOO_NEW, VI_SEV_ERROR, sec->offset, sec->length, path,
			       "savevm: unsupported version %" PRIu64 " for '%s' v%" PRId64,
			       version, sec->name, local);
		return;
	}
	if (min >= 0 && (int64_t)version < min) {
		vi_finding_add(c->f, VI_C_VERSION_TOO_OLD, VI_SEV_ERROR, sec->offset, sec->length, path,
			       "%s: incoming version_id %" PRIu64 " is too old for local minimum "
			       "version_id  %" PRId64, vmsd, version, min);
		return;
	}
	if (sv)
		check_desc(c, sec, sv, trusted(sv), 0);
	check_virtio(c, sec);
	check_values(c, sec, theirs);
	if (theirs && !strcmp(sec->name, "cpu"))
		check_arm_cpregs(c, sec, theirs);
	else if (!dest && sv && !strcmp(sec->name, "cpu"))
		check_arm_cpregs_schema(c, sec, sv);
}

/* loadvm_process_command: a MIG_CMD number past the destination's table
 * (release_facts migration_commands) fails the load. */
static void check_commands(struct ctx *c)
{
	struct vi_node *root = c->src->w.root;

	for (size_t i = 0; root && i < root->nkids; i++) {
		struct vi_node *n = root->kids[i];
		const char *name = NULL;
		size_t known = 0;
		uint64_t cmd;

		if (n->kind != VI_N_COMMAND)
			continue;
		cmd = vi_node_attr(n, "command")->u;
		if (facts_command(c->d->schema, cmd, &name, &known) == 0 && cmd > 0)
			vi_finding_add(c->f, VI_C_UNSUPPORTED_COMMAND, VI_SEV_ERROR, n->offset, n->length,
				       n->name, "MIG_CMD 0x%" PRIx64 " unknown: QEMU %s has no %s (its "
				       "loader knows MIG_CMD 0x1 to 0x%zx)", cmd, c->release, n->name,
				       known ? known - 1 : 0);
	}
}

size_t vi_check_stream(struct vi_session *src, const char *file,
		       const struct vi_dest *d, struct vi_findings *out)
{
	struct ctx c = { src, d, out, "" };
	struct vi_node *root = src->w.root;
	size_t errors = 0;

	(void)file;
	if (d->schema)
		schema_release(d->schema, c.release, sizeof(c.release));
	if (src->err.set)
		vi_finding_add(out, vi_error_cls(&src->err), VI_SEV_ERROR,
			       src->err.has_offset ? src->err.offset : 0, 0, "stream", "%s",
			       src->err.msg);
	if (root) {
		check_machine(&c);
		check_ram(&c);
		check_commands(&c);
		for (size_t i = 0; i < root->nkids; i++) {
			struct vi_node *n = root->kids[i];
			if (n->kind == VI_N_SECTION &&
			    (!strcmp(n->type, "full") || !strcmp(n->type, "start")))
				check_section(&c, n);
		}
		if (d->machines && !d->machine_unknown)
			machines_check(d->machines, d->machine ? d->machine :
				       d->stream && d->stream->w.machine[0] ? d->stream->w.machine :
				       src->w.machine, src, d->stream, out);
	}
	if (!d->stream) {
		static const char msg[] = "no --dest-stream: the destination is assumed to be "
			"configured like the source (same devices, instances and RAMBlocks)";
		assume(&c, msg, msg);
	}
	vi_findings_sort(out);
	for (size_t i = 0; i < out->n; i++)
		errors += out->v[i].severity == VI_SEV_ERROR;
	return errors;
}
