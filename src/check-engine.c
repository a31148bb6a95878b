/* check-engine.c - what the destination would do with each part of a stream.
 *
 * Mirrors QEMU's loader (migration/savevm.c, vmstate.c): configuration
 * first, then each record in stream order; a section must be known (by
 * idstr and instance), its version within the destination's range, every
 * subsection known to its parent, values the destination compares equal.
 * The destination is described by a schema and, optionally, by a stream its
 * own configuration wrote (the only source for configuration-dependent
 * facts: which devices exist, their instance ids, RAMBlocks, config space).
 *
 * This file walks the records (sections, subsections, fields, virtio
 * payloads, commands) and gives the verdict; the configuration, capabilities,
 * machine type and RAM are check-config.c, values the destination compares
 * with its own and post_load bounds check-values.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-json.h"
#include "check-engine.h"
#include "check-ctx.h"
#include "check-ppc-cpu.h"
#include "schema-facts.h"
#include "vi-pci-config.h"
#include "decode-virtio.h"



static struct vi_node *find_section(struct vi_node *root, const char *idstr,
				    uint64_t instance)
{
	for (size_t i = 0; root && i < root->nkids; i++) {
		struct vi_node *s = root->kids[i];
		if (s->kind == VI_N_SECTION && (!strcmp(s->type, "full") || !strcmp(s->type, "start")) &&
		    !strcmp(s->name, idstr) && vi_node_get(s, VI_A_INSTANCE_ID)->u == instance)
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


/* ---- sections, subsections ---------------------------------------------- */

/* desc's field called name, or name without its last index ("a[2]": "a"). */
static json_t *schema_field(json_t *desc, const char *name)
{
	const char *br = strrchr(name, '[');
	size_t blen = br ? (size_t)(br - name) : strlen(name);
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(desc, "fields"), i, f) {
		const char *n = jstr(f, "name");
		if (n && (!strcmp(n, name) || (!strncmp(n, name, blen) && n[blen] == '\0')))
			return f;
	}
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
			if (vi_node_get(k, VI_A_ARRAY_LEN))
				for (size_t e = 0; e < k->nkids; e++)
					check_desc(c, k->kids[e], st, trusted, depth + 1);
			else
				check_desc(c, k, st, trusted, depth + 1);
		} else if (k->kind == VI_N_SUBSECTION) {
			json_t *ss = schema_subsection(desc, k->name);
			const char *parent = jstr(desc, "name");
			uint64_t v = vi_node_get(k, VI_A_VERSION_ID)->u & 0xff;  /* QEMU keeps 8 bits */
			vi_node_path(k, path, sizeof(path));
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
 * are decode-virtio.c's table (no -dump-vmstate has them). */
static int sub_is_ours(const char *name, const char *parent)
{
	size_t n = strlen(parent);
	return strlen(name) >= n + 1 && !strncmp(name, parent, n);
}

static void check_virtio_payload(struct ctx *c, struct vi_node *v)
{
	int vid, vmin, sure = facts_virtio_subsection(c->d->schema, "virtio", "", &vid, &vmin) >= 0;
	enum vi_severity sev = sure ? VI_SEV_ERROR : VI_SEV_WARNING;
	const char *tr = vi_node_get(v, VI_A_TRANSPORT) ? vi_node_get(v, VI_A_TRANSPORT)->s : NULL;
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
		vi_node_path(k, path, sizeof(path));
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
		ver = (vi_node_get(k, VI_A_VERSION_ID) ? vi_node_get(k, VI_A_VERSION_ID)->u : 0) & 0xff;
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


/* The destination's machine type: --machine, else its own stream's, else
 * the source's (the destination is assumed configured like it). */
static const char *dest_machine(struct ctx *c)
{
	const struct vi_dest *d = c->d;

	if (d->machine_unknown)
		return NULL;
	return d->machine ? d->machine : d->stream && d->stream->facts.machine[0] ?
	       d->stream->facts.machine : c->src->facts.machine[0] ? c->src->facts.machine : NULL;
}

static void check_section(struct ctx *c, struct vi_node *sec)
{
	const struct vi_schema *s = c->d->schema;
	struct vi_session *dest = c->d->stream;
	const char *vmsd = vmsd_name_of(s, sec);
	uint64_t inst = vi_node_get(sec, VI_A_INSTANCE_ID)->u;
	uint64_t version = vi_node_get(sec, VI_A_VERSION_ID)->u;
	struct vi_node *theirs = NULL;
	json_t *sv = s ? schema_vmsd(s, vmsd) : NULL;
	int64_t local = -1, min = -1;
	char path[512];

	snprintf(path, sizeof(path), "%s[%" PRIu64 "]", sec->name, inst);
	if (dest) {
		theirs = find_section(dest->root, sec->name, inst);
		if (!theirs) {
			vi_finding_add(c->f, VI_C_UNKNOWN_SECTION, VI_SEV_ERROR, sec->offset, sec->length,
				       path, "Unknown savevm section or instance '%s' %" PRIu64
				       ": the destination's configuration has no such device",
				       sec->name, inst);
			return;
		}
		local = (int64_t)vi_node_get(theirs, VI_A_VERSION_ID)->u;
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
	ce_check_values(c, sec, theirs);
	if (theirs && !strcmp(sec->name, "cpu"))
		ce_check_arm_cpregs(c, sec, theirs);
	else if (!dest && sv && !strcmp(sec->name, "cpu"))
		ce_check_arm_cpregs_schema(c, sec, sv);
	if (!strcmp(sec->name, "cpu")) {
		const char *m = dest_machine(c);
		check_ppc_cpu(sec, theirs, m && c->d->machines ? machines_get(c->d->machines, m, &m)
			      : NULL, m, c->release, c->f);
	}
}

/* loadvm_process_command: a MIG_CMD number past the destination's table
 * (release_facts migration_commands) fails the load. */
static void check_commands(struct ctx *c)
{
	struct vi_node *root = c->src->root;

	for (size_t i = 0; root && i < root->nkids; i++) {
		struct vi_node *n = root->kids[i];
		const char *name = NULL;
		size_t known = 0;
		uint64_t cmd;

		if (n->kind != VI_N_COMMAND)
			continue;
		cmd = vi_node_get(n, VI_A_COMMAND)->u;
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
	struct vi_node *root = src->root;
	size_t errors = 0;

	(void)file;
	if (d->schema)
		schema_release(d->schema, c.release, sizeof(c.release));
	if (src->err.set)
		vi_finding_add(out, vi_error_cls(&src->err), VI_SEV_ERROR,
			       src->err.has_offset ? src->err.offset : 0, 0, "stream", "%s",
			       src->err.msg);
	if (root) {
		ce_check_machine(&c);
		ce_check_ram(&c);
		check_commands(&c);
		for (size_t i = 0; i < root->nkids; i++) {
			struct vi_node *n = root->kids[i];
			if (n->kind == VI_N_SECTION &&
			    (!strcmp(n->type, "full") || !strcmp(n->type, "start")))
				check_section(&c, n);
		}
		if (d->machines && !d->machine_unknown)
			machines_check(d->machines, d->machine ? d->machine :
				       d->stream && d->stream->facts.machine[0] ? d->stream->facts.machine :
				       src->facts.machine, src, d->stream, out);
	}
	if (!d->stream) {
		static const char msg[] = "no --dest-stream: the destination is assumed to be "
			"configured like the source (same devices, instances and RAMBlocks)";
		ce_assume(&c, msg, msg);
	}
	vi_findings_sort(out);
	for (size_t i = 0; i < out->n; i++)
		errors += out->v[i].severity == VI_SEV_ERROR;
	return errors;
}
