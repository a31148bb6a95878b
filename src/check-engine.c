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
#include "pci-config.h"

struct ctx {
	struct vi_session *src;
	const struct vi_dest *d;
	struct vi_findings *f;
	char release[16];
};

/* Release "X.Y" as X*100+Y, 0 when unknown. */
static int release_num(const char *r)
{
	int maj = 0, min = 0;
	return sscanf(r, "%d.%d", &maj, &min) >= 1 ? maj * 100 + min : 0;
}

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
 * bare name, so the destination's vmsd is the idstr's last component. */
static const char *vmsd_name_of(struct vi_node *sec)
{
	const char *slash = strrchr(sec->name, '/');
	return slash ? slash + 1 : sec->name;
}

/* ---- configuration ------------------------------------------------------ */

static void check_machine(struct ctx *c)
{
	struct vi_walk *w = &c->src->w;
	const char *local = c->d->machine;
	struct vi_node *cfg = NULL;

	for (size_t i = 0; w->root && i < w->root->nkids; i++)
		if (w->root->kids[i]->kind == VI_N_CONFIG)
			cfg = w->root->kids[i];
	if (!local && c->d->stream && c->d->stream->w.machine[0])
		local = c->d->stream->w.machine;
	if (!local) {
		vi_finding_add(c->f, "assumption", VI_SEV_NOTE, 0, 0, "configuration",
			       "destination machine type not given (--machine or --dest-stream): "
			       "assumed to be the stream's own, %s", w->machine[0] ? w->machine : "(none)");
		return;
	}
	if (!cfg) {
		if (c->src->w.root && !c->src->err.set)
			vi_finding_add(c->f, "machine-mismatch", VI_SEV_ERROR, 8, 0, "configuration",
				       "the stream has no configuration record; QEMU says "
				       "\"Configuration section missing\"");
		return;
	}
	/* QEMU compares only as many bytes as it received (strncmp). */
	if (strncmp(w->machine, local, strlen(w->machine)) != 0)
		vi_finding_add(c->f, "machine-mismatch", VI_SEV_ERROR, cfg->offset + 5,
			       strlen(w->machine), "configuration/name",
			       "Machine type received is '%s' and local is '%s'", w->machine, local);
	if (c->d->stream && c->d->stream->w.page_size && w->page_size &&
	    !w->page_size_assumed && !c->d->stream->w.page_size_assumed &&
	    c->d->stream->w.page_size != w->page_size)
		vi_finding_add(c->f, "machine-mismatch", VI_SEV_ERROR, cfg->offset, cfg->length,
			       "configuration", "target page size %u, the destination's is %u",
			       w->page_size, c->d->stream->w.page_size);
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
			vi_finding_add(c->f, "unknown-section", VI_SEV_ERROR, b->offset, b->length,
				       b->name, "Unknown ramblock \"%s\", cannot accept migration",
				       b->name);
			continue;
		}
		olen = vi_node_attr(o, "used_length")->u;
		/* Firmware-provided ACPI blobs are resizable; other blocks are not. */
		if (len != olen && strncmp(b->name, "/rom@etc/", 9) != 0)
			vi_finding_add(c->f, "field-mismatch", VI_SEV_ERROR, b->offset, b->length,
				       b->name, "Length mismatch: %s: 0x%" PRIx64 " in != 0x%" PRIx64,
				       b->name, len, olen);
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
	vi_finding_add(c->f, "field-mismatch", VI_SEV_ERROR, mine->offset + skip + (uint64_t)bad, 1,
		       path, "%sget_pci_config_device: Bad config data: i=0x%lx read: %x "
		       "device: %x cmask: %x", what, bad, a[bad], b[bad], m);
}

static void check_values(struct ctx *c, struct vi_node *n, struct vi_node *their_sec)
{
	for (size_t i = 0; i < n->nkids; i++)
		check_values(c, n->kids[i], their_sec);
	if (n->kind != VI_N_FIELD || n->nkids)
		return;
	if (strstr(n->type, " equal") || !strcmp(n->type, "int32 le") ||
	    !strcmp(n->type, "pci config") || !strcmp(n->type, "virtio")) {
		struct vi_node *o = their_sec ? same_path(n, their_sec) : NULL;
		char path[512];

		node_path(n, path, sizeof(path));
		if (!strcmp(n->type, "int32 le")) {
			int64_t v = node_int(n), lim = o ? node_int(o) : INT32_MAX;
			if (v < 0 || v > lim)
				vi_finding_add(c->f, "field-mismatch", VI_SEV_ERROR, n->offset, n->length,
					       path, "Invalid value %" PRId64 " expecting positive "
					       "value <= %" PRId64, v, lim);
		} else if (o && strstr(n->type, " equal") && node_int(n) != node_int(o)) {
			vi_finding_add(c->f, "field-mismatch", VI_SEV_ERROR, n->offset, n->length, path,
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
				if (parent && strncmp(k->name, parent, strlen(parent)) != 0)
					vi_finding_add(c->f, "bad-footer", VI_SEV_ERROR, k->offset, k->length,
						       path, "subsection '%s' does not start with its parent's "
						       "name '%s': QEMU leaves it unread and fails on the "
						       "section footer", k->name, parent);
				else
					vi_finding_add(c->f, "unknown-subsection",
						       trusted ? VI_SEV_ERROR : VI_SEV_WARNING,
						       k->offset, k->length, path,
						       "the destination's %s has no subsection '%s'%s", parent,
						       k->name, trusted ? ": load fails with \"No such file "
						       "or directory\"" : " among those the schema saw "
						       "(its list may be incomplete)");
				continue;
			}
			if ((int64_t)v > jint(ss, "version_id", INT64_MAX))
				vi_finding_add(c->f, "version-too-new", VI_SEV_ERROR, k->offset, k->length,
					       path, "%s: incoming version_id %" PRIu64 " is too new for "
					       "local version_id %" PRId64, k->name, v,
					       jint(ss, "version_id", 0));
			else if ((int64_t)v < jint(ss, "minimum_version_id", 0))
				vi_finding_add(c->f, "version-too-old", VI_SEV_ERROR, k->offset, k->length,
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

/* Subsections found inside a virtio payload belong to the vmstate their
 * name starts with ("virtio/..." to "virtio", "virtio_pci/..." to
 * "virtio_pci"): check them against those vmstates of the destination. */
static void check_virtio(struct ctx *c, struct vi_node *n)
{
	char parent[256], path[512];

	if (n->kind == VI_N_FIELD && !strcmp(n->type, "virtio") && c->d->schema) {
		for (size_t i = 0; i < n->nkids; i++) {
			struct vi_node *k = n->kids[i];
			const char *slash = strrchr(k->name, '/');
			json_t *sv;
			if (k->kind != VI_N_SUBSECTION || !slash)
				continue;
			snprintf(parent, sizeof(parent), "%.*s", (int)(slash - k->name), k->name);
			if (!(sv = schema_vmsd(c->d->schema, parent)))
				continue;
			if (!schema_subsection(sv, k->name)) {
				node_path(k, path, sizeof(path));
				vi_finding_add(c->f, "unknown-subsection",
					       trusted(sv) ? VI_SEV_ERROR : VI_SEV_WARNING,
					       k->offset, k->length, path,
					       "the destination's %s has no subsection '%s'%s", parent,
					       k->name, trusted(sv) ? ": load fails with \"No such file "
					       "or directory\"" : " among those the schema saw (its "
					       "list may be incomplete)");
			}
		}
		return;
	}
	for (size_t i = 0; i < n->nkids; i++)
		check_virtio(c, n->kids[i]);
}

static void check_section(struct ctx *c, struct vi_node *sec)
{
	const struct vi_schema *s = c->d->schema;
	struct vi_session *dest = c->d->stream;
	const char *vmsd = vmsd_name_of(sec);
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
			vi_finding_add(c->f, "unknown-section", VI_SEV_ERROR, sec->offset, sec->length,
				       path, "Unknown savevm section or instance '%s' %" PRIu64
				       ": the destination's configuration has no such device",
				       sec->name, inst);
			return;
		}
		local = (int64_t)vi_node_attr(theirs, "version_id")->u;
	} else if (s && !sv) {
		int partial = json_is_true(json_object_get(s->doc, "device_classes_only"));
		vi_finding_add(c->f, "unknown-section", partial ? VI_SEV_WARNING : VI_SEV_ERROR,
			       sec->offset, sec->length, path,
			       "Unknown savevm section '%s': %s has no vmstate named '%s'%s",
			       sec->name, s->target, vmsd, partial ? " (a raw -dump-vmstate "
			       "lists device classes only)" : "");
		return;
	} else if (strchr(sec->name, '/') && inst != 0) {
		vi_finding_add(c->f, "unknown-section", VI_SEV_ERROR, sec->offset, sec->length, path,
			       "Unknown savevm section or instance '%s' %" PRIu64 ": a device "
			       "with a bus path has only instance 0 in the same configuration",
			       sec->name, inst);
		return;
	}
	if (local < 0 && sv)
		local = jint(sv, "version_id", -1);
	if (sv)
		min = jint(sv, "minimum_version_id", -1);
	if (local >= 0 && (int64_t)version > local) {
		vi_finding_add(c->f, "version-too-new", VI_SEV_ERROR, sec->offset, sec->length, path,
			       "savevm: unsupported version %" PRIu64 " for '%s' v%" PRId64,
			       version, sec->name, local);
		return;
	}
	if (min >= 0 && (int64_t)version < min) {
		vi_finding_add(c->f, "version-too-old", VI_SEV_ERROR, sec->offset, sec->length, path,
			       "%s: incoming version_id %" PRIu64 " is too old for local minimum "
			       "version_id  %" PRId64, vmsd, version, min);
		return;
	}
	if (sv)
		check_desc(c, sec, sv, trusted(sv), 0);
	check_virtio(c, sec);
	check_values(c, sec, theirs);
}

static void check_commands(struct ctx *c)
{
	struct vi_node *root = c->src->w.root;
	int rel = release_num(c->release);

	for (size_t i = 0; root && i < root->nkids; i++) {
		struct vi_node *n = root->kids[i];
		if (n->kind == VI_N_COMMAND && vi_node_attr(n, "command")->u == 11 && rel && rel < 1000)
			vi_finding_add(c->f, "unsupported-command", VI_SEV_ERROR, n->offset, n->length,
				       n->name, "MIG_CMD 0xb unknown: QEMU %s has no SWITCHOVER_START "
				       "(10.0+; machine types <= 9.2 do not send it)", c->release);
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
		if (d->machines)
			machines_check(d->machines, d->machine ? d->machine : src->w.machine,
				       root, out);
	}
	if (!d->stream)
		vi_finding_add(out, "assumption", VI_SEV_NOTE, 0, 0, "configuration",
			       "no --dest-stream: the destination is assumed to be configured "
			       "like the source (same devices, instances and RAMBlocks)");
	vi_findings_sort(out);
	for (size_t i = 0; i < out->n; i++)
		errors += out->v[i].severity == VI_SEV_ERROR;
	return errors;
}
